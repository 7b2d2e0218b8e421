/* flowsim — evaluation: estimates from exported records against ground truth.
 *
 * One evaluation per pipeline-replicate. The algorithm's estimator turns each
 * record into per-bin contributions (fs_contrib), which are summed per (bin,
 * flow key). A bin is finalised once the meter can no longer export data for
 * it (its pending time is past the bin's end) and the truth for it is
 * complete; then it is compared with the truth for every aggregate and its
 * memory is freed, so memory follows the bins still open.
 *
 * Aggregates: total; proto (IP protocol); flow (individual flows, grouped by
 * size decade of true packets in the bin); dport (application: protocol and
 * destination port, TCP/UDP/SCTP/UDP-Lite only); src_prefix and dst_prefix
 * (/prefix4 for IPv4, /prefix6 for IPv6). Metric names and meanings are the
 * FS_METRICS table below (`flowsim metrics` prints it).
 *
 * Standard errors: a record's contribution to a bin carries its variance in
 * the bin and its covariance with the record's whole estimate (fs_contrib);
 * per-bin rows use the first, whole-trace rows the second (algorithms.md
 * §2.7), for the total, proto, and the per-key rows of key_totals trace.
 *
 * The whole-trace rows (bin "all") are sums over bins for counts; for flows
 * and arrivals they are therefore flow-bins (a flow active in 3 bins counts
 * 3 times) unless the bin is `inf` (one bin: distinct flows of the trace);
 * per-flow errors are averaged over flow-bins. For dport and prefixes the
 * run parameter key_totals chooses:
 *   trace            the errors are computed on whole-trace sums per key
 *                    (the estimated and the true bytes of a port over the
 *                    whole trace), with per-key rows for the true top-k;
 *                    these whole-trace tables grow with the distinct ports
 *                    and prefixes of the trace, so with its length;
 *   bins (default)   the whole-trace rows are made from the per-bin
 *                    comparisons, like the flow aggregate's: keys counts
 *                    key-bins, wmre = sum over bins of |est - true| / sum
 *                    over bins of true, topk_recall and topk_precision are
 *                    means over the bins where they are defined, and there
 *                    are no per-key rows; no whole-trace per-key table is
 *                    kept, so memory follows the bins still open.
 * With one bin (bin inf) both give the same keys, wmre_bytes, wmre_packets,
 * topk_recall and topk_precision (bins only lacks the per-key rows). The
 * per-bin rows (bin_rows all) are the same in both modes.
 *
 * Per-bin tables (truth bins, estimate bins, aggregates) are reused through
 * small pools (ftab.h) instead of being freed and made again every bin.
 *
 * A record split over many bins (fs_apportion, a long record and short
 * bins) is kept as one span: the bins that hold a table get their share at
 * once; a bin without one gets the shares of every span over it, in the
 * order the records came, when its table is made (a contribution of its
 * own, its close or its finalisation), so the sums are those of a share per
 * bin as it came. The open bins are a sorted array (binary search), so a
 * record costs the bins that have data, not the bins it spans, and a bin
 * with neither truth, nor estimate nor span costs nothing. Each bin a span
 * covers still has an estimate, so it is finalised and has rows.
 */
#ifndef FS_EVAL_H
#define FS_EVAL_H

#include <stdio.h>
#include "algo.h"
#include "ftab.h"
#include "truth.h"

#define FS_METRICS(X) \
    X(TRUE_BYTES, "true_bytes", FS_Q_NONE, "bytes (sum of IP total lengths) in the truth") \
    X(EST_BYTES, "est_bytes", FS_Q_BYTES, "bytes estimated from the exported records") \
    X(REL_ERR_BYTES, "rel_err_bytes", FS_Q_BYTES, "(est_bytes - true_bytes) / true_bytes (signed)") \
    X(EST_BYTES_SE, "est_bytes_se", FS_Q_BYTES, "standard error of est_bytes from the estimator's variance: per bin the variance of the bin's contributions; bin all the whole-trace variance of every record (its shares of several bins covary); nan if unknown (an algorithm without a variance, a record stage that reweights)") \
    X(TRUE_PACKETS, "true_packets", FS_Q_NONE, "packets in the truth") \
    X(EST_PACKETS, "est_packets", FS_Q_PACKETS, "estimated packets") \
    X(REL_ERR_PACKETS, "rel_err_packets", FS_Q_PACKETS, "(est_packets - true_packets) / true_packets (signed)") \
    X(EST_PACKETS_SE, "est_packets_se", FS_Q_PACKETS, "standard error of est_packets, as est_bytes_se") \
    X(TRUE_FLOWS, "true_flows", FS_Q_NONE, "active flows (keys with a packet in the bin; bin all: flow-bins)") \
    X(EST_FLOWS, "est_flows", FS_Q_FLOWS, "estimated active flows (see the estimand column: sampled NetFlow counts sampled flows)") \
    X(REL_ERR_FLOWS, "rel_err_flows", FS_Q_FLOWS, "(est_flows - true_flows) / true_flows (signed)") \
    X(TRUE_TCP_ARRIVALS, "true_tcp_arrivals", FS_Q_NONE, "TCP flows with a SYN packet in the bin") \
    X(EST_TCP_ARRIVALS, "est_tcp_arrivals", FS_Q_ARRIVALS, "estimated TCP arrivals, the algorithm's primary estimator (SYN-based M1: 1/q per record with SYN)") \
    X(REL_ERR_TCP_ARRIVALS, "rel_err_tcp_arrivals", FS_Q_ARRIVALS, "signed relative error of est_tcp_arrivals") \
    X(TRUE_TCP_FLOWS, "true_tcp_flows", FS_Q_NONE, "TCP flows whose first packet of the trace is in the bin (bin all: distinct TCP flows of the trace), the truth of est_tcp_arrivals_m2") \
    X(EST_TCP_ARRIVALS_M2, "est_tcp_arrivals_m2", FS_Q_TCP_FLOWS, "estimated TCP flows, M2 of Duffield-Lund-Thorup (counted in the bin of a record's first packet), nan if none") \
    X(REL_ERR_TCP_ARRIVALS_M2, "rel_err_tcp_arrivals_m2", FS_Q_TCP_FLOWS, "(est_tcp_arrivals_m2 - true_tcp_flows) / true_tcp_flows (signed)") \
    X(TRUE_MULTI_SYN_FLOWS, "true_multi_syn_flows", FS_Q_NONE, "TCP flows with more than one SYN packet in the bin (break the SYN estimators' assumption)") \
    X(EST_SPURIOUS_FLOWS, "est_spurious_flows", FS_Q_NONE, "keys with an estimate in a bin where they had no packet (binning error)") \
    X(FLOWS, "flows", FS_Q_NONE, "aggregate flow: true flows in this size decade") \
    X(ARE_PACKETS, "are_packets", FS_Q_PACKETS, "aggregate flow: mean of |est - true| / true packets over the decade's flows") \
    X(ARE_BYTES, "are_bytes", FS_Q_BYTES, "aggregate flow: mean of |est - true| / true bytes over the decade's flows") \
    X(MISSED_FLOWS, "missed_flows", FS_Q_NONE, "aggregate flow: flows of the decade with no estimate at all") \
    X(WMRE_BYTES, "wmre_bytes", FS_Q_BYTES, "sum over keys of |est - true| bytes / sum of true bytes") \
    X(WMRE_PACKETS, "wmre_packets", FS_Q_PACKETS, "sum over keys of |est - true| packets / sum of true packets") \
    X(TOPK_RECALL, "topk_recall", FS_Q_BYTES, "share of the true top-k keys by bytes found in the estimated top-k (bin all of flow, and of dport and prefixes with key_totals bins: mean over bins)") \
    X(TOPK_PRECISION, "topk_precision", FS_Q_BYTES, "share of the estimated top-k keys by bytes that are in the true top-k") \
    X(KEYS, "keys", FS_Q_NONE, "number of keys of the aggregate with true traffic (bin all with key_totals bins: key-bins)")

enum fs_metric {
#define FS_X(id, name, q, help) FS_M_##id,
    FS_METRICS(FS_X)
#undef FS_X
    FS_M__COUNT
};
extern const char *const fs_metric_name[FS_M__COUNT];
extern const char *const fs_metric_help[FS_M__COUNT];
/* The quantity (enum fs_quantity) a metric estimates or scores, whose
 * estimand its rows carry; FS_Q_NONE for truths and diagnostics. */
#define FS_Q_NONE (-1)
extern const int fs_metric_quantity[FS_M__COUNT];

enum fs_bin_rows { FS_BINROWS_NONE, FS_BINROWS_TOTAL, FS_BINROWS_ALL };
extern const char *const fs_bin_rows_names[];
enum fs_key_totals { FS_KEYTOT_TRACE, FS_KEYTOT_BINS };
extern const char *const fs_key_totals_names[];

typedef struct fs_eval_cfg {
    fs_binning binning;
    uint64_t   topk;
    uint64_t   prefix4, prefix6;
    int        bin_rows;
    int64_t    bin_origin;   /* bin index printed as 0 (first bin of the trace) */
    int        key_totals;   /* enum fs_key_totals; every evaluation sharing a
                                truth must use the same value                  */
    double     partial_close;/* close a bin in part when its open keys are at
                                most this fraction of its keys; 0 = never
                                (fs_eval_close_part)                           */
    int        no_var;       /* the pipeline's variances are unknown (a record
                                stage reweights): every standard error nan    */
} fs_eval_cfg;

/* Sums of one aggregate. v_* is the variance of the estimate within one bin
 * (sum of the contributions' var_*); c_* its share of the variance of a sum
 * over bins (sum of cov_*, fs_contrib): the standard error of a bin's row
 * comes from v, that of a whole-trace row (bin all) from c. */
typedef struct fs_acc {
    double t_pk, t_by, e_pk, e_by, v_pk, v_by, c_pk, c_by;
    double t_fl, e_fl, t_arr, e_arr, e_arr2, t_msyn, spurious;
    double t_tcpfl;          /* true_tcp_flows */
    int    v_nan, arr2_nan;
} fs_acc;

enum { FS_NDEC = 6 };
typedef struct fs_flowacc {
    double n, are_pk, are_by, missed;
} fs_flowacc;

typedef struct fs_ebin fs_ebin;

/* Whole-trace sums of the per-bin comparisons of one key aggregate
 * (key_totals = bins). */
typedef struct fs_aggsum {
    double keys, t_by, t_pk, err_by, err_pk;
    double recall, n_recall, precision, n_precision;
} fs_aggsum;

typedef struct fs_eval {
    fs_eval_cfg cfg;
    fs_truth   *truth;
    uint64_t    seed;
    int64_t     released_below;
    int64_t     final_below;
    int64_t     closed_below; /* bins below are closed in part or final */
    /* open bins with a table, ascending: bins[b0 .. nb) */
    fs_ebin   **bins;
    size_t      b0, nb, capb;
    /* records split over bins that had no table yet (fs_span_sink), in the
     * order they came: a bin's table, when made, takes their shares first */
    struct fs_espan *spans;
    size_t      nspan, capspan;
    uint64_t    tables_made;  /* bin tables made (a bin's data, or its
                                 shares of spans, or its close)        */
    uint64_t    late;
    uint64_t    nbins;
    /* whole trace */
    fs_acc      all_total;
    fs_acc     *all_proto;    /* one per protocol seen, in order of sight */
    uint16_t    proto_ix[256];/* 1 + its index in all_proto, 0: not seen  */
    uint16_t    nproto;
    fs_flowacc  all_flow[FS_NDEC];
    double      flow_topk_recall, flow_topk_precision, flow_topk_bins;
    fs_ftab     all_agg[3];   /* key_totals trace: estimates per key    */
    fs_aggsum   all_aggsum[3];/* key_totals bins                        */
    fs_ftab    *bin_agg;      /* scratch [3], shared by the evaluations
                                 of one truth (eval.c, tshared)         */
    fs_ftab_pool pool;        /* tables of finalised bins, for reuse    */
    fs_ftab    *pend;         /* scratch: the meter's pending keys (shared
                                 like bin_agg)                          */
    uint64_t    part_closed;  /* bins closed in part                    */
    /* output */
    FILE       *out;
    char       *prefix;       /* "pipeline,algorithm,params,replicate,seed" */
    char        estimand[FS_Q__COUNT][64]; /* the estimand column per quantity
                                 (fs_eval_set_estimands; "unbiased" until then) */
    char        estimand_all[FS_Q__COUNT][64]; /* the same for bin all
                                 (fs_estimand_whole)                     */
} fs_eval;

int  fs_eval_init(fs_eval *ev, const fs_eval_cfg *cfg, fs_truth *truth, uint64_t seed,
                  FILE *out, const char *row_prefix);
void fs_eval_free(fs_eval *ev);
/* fs_contrib_fn: contribution of a record to bin `bin` for the record's key.
 * The key comes through fs_eval_set_key before the estimator is called. */
void fs_eval_record(fs_eval *ev, const fs_algo *algo, const void *params, const fs_record *r);
/* Finalise every bin ending at or before `safe` (no more data can reach it). */
void fs_eval_finalize_upto(fs_eval *ev, fs_ns safe);
/* Partial close. A bin that has ended, whose truth is complete, but that a
 * meter's live entries can still add to (their pending time is before the
 * bin's end) would keep all its keys, truth and estimates, until the last
 * such entry is exported: up to the active timeout (30 min for NetFlow), so
 * memory would follow the age of the oldest flow rather than the live ones.
 * Instead, every bin ending at or before `now` is closed in part, in order,
 * while the keys that stay open are at most the fraction cfg.partial_close
 * of the keys the bin holds (truth and estimates; with long-lived entries
 * and short bins the open keys of many bins could cost more than the bins
 * themselves): the meter lists the keys it can still add to the bin
 * (fs_algo.pending_keys); every other key is compared now (each key's comparison is final once its
 * estimate is) and dropped, and the bin keeps only those keys, their truth,
 * and sums, the best-k candidates and the open aggregate keys. The final
 * rows equal those of the whole bin up to the order of floating-point
 * sums. A contribution to such a bin for a key that was not listed breaks
 * the meter's contract and is counted in late_contributions. */
void fs_eval_close_part(fs_eval *ev, fs_ns now,
                        void (*keys)(const void *st, fs_ns before,
                                     int (*fn)(void *ctx, const fs_key *k, fs_ns since),
                                     void *ctx),
                        const void *st);
/* End of run: finalise every bin ending at or before `limit` (FS_NS_INF:
 * every bin), drop the rest, and write the whole-trace rows. A run cut short
 * by a read error passes the start of the bin it stopped in, so that no bin
 * is compared with a truth it saw only part of. */
void fs_eval_finish(fs_eval *ev, fs_ns limit);
/* (est - true) / true; 0 when both are 0, nan when only true is 0. */
double fs_rel_err(double est, double truth);
/* The pipeline's estimand declaration (fs_estimands_of): every row of an
 * estimate or error of quantity q carries est[q] in its last column. */
void fs_eval_set_estimands(fs_eval *ev, const fs_estimand est[FS_Q__COUNT]);
/* Writes one whole-trace row (used by the engine for resources and counters);
 * its estimand column is empty. */
void fs_eval_row(fs_eval *ev, const char *bin, const char *agg, const char *key,
                 const char *metric, double v);

#endif
