/* flowsim — the algorithm interface.
 *
 * Each metering algorithm is one file in algorithms/ whose functions are all
 * static and which exports exactly one const fs_algo table (or a few, when
 * variants share code, as NetFlow and Sampled NetFlow do). The registry
 * (registry.c) is the only place that lists them; the engine knows an
 * algorithm only through this table.
 *
 * The table carries the parameter definitions (name, unit, default, help) from
 * which the command-line parser, `flowsim algorithms` and the run manifest are
 * generated, the meter operations, and the algorithm's estimators.
 *
 * Contract of the meter operations (all times are simulated nanoseconds, from
 * packet timestamps; they never decrease between calls):
 *   init     set up the state (allocated by the engine, state_size bytes,
 *            zeroed) from parsed parameters and the environment.
 *   packet   meter one packet (already through the observation stage). The
 *            engine has called advance(p->ts) before, so every event due at
 *            or before p->ts has fired. Returns the time of the meter's next
 *            timed event (FS_NS_INF if none).
 *   advance  fire, in time order, every event due at or before now (expiry,
 *            bin ends, ...), stamping exported records with the event's own
 *            time. Returns the next event time.
 *   flush    end of trace at time `end`: export everything still held.
 *   live     live entries now (what fs_acct_mem was last told).
 *   pending  the earliest time into which data not yet exported can still
 *            be apportioned by the algorithm's estimator (its first packet,
 *            or its last under apportion=last; FS_NS_INF if none). The evaluation finalises an analysis bin
 *            only once every meter's pending time is past its end, so a
 *            meter must never later export data older than this.
 *   destroy  free what init allocated.
 * Records are handed to env->emit during packet/advance/flush; the memory
 * accountant env->acct must be told every change of live entries.
 *
 * Estimators: estimate() turns one exported record into per-bin
 * contributions (packets, bytes, active flows, TCP flow arrivals and, where
 * theory gives them, variances) by calling fn once per analysis bin the record
 * contributes to. The evaluation sums contributions per aggregate; for active
 * flows it keeps, per (bin, key), the contribution of the record whose data
 * in that bin starts earliest (flow_ts) — the reconstruction rule of Flow
 * Slices §2.4.6 and NetFlow's "distinct keys in the bin".
 */
#ifndef FS_ALGO_H
#define FS_ALGO_H

#include <gsl/gsl_rng.h>
#include "acct.h"
#include "fs.h"
#include "params.h"

#define FS_ALGO_ABI 1

/* Analysis bins: [origin + k*len, origin + (k+1)*len); len = FS_NS_INF
 * means a single bin holding the whole trace. Bins are aligned to the epoch
 * (origin 0) so that the bins of every run over a trace coincide.          */
typedef struct fs_binning {
    fs_ns len;
} fs_binning;

static inline int64_t fs_bin_of(const fs_binning *b, fs_ns t)
{
    if (b->len == FS_NS_INF)
        return 0;
    return t >= 0 ? t / b->len : -((-t + b->len - 1) / b->len);
}
static inline fs_ns fs_bin_start(const fs_binning *b, int64_t k)
{
    return b->len == FS_NS_INF ? INT64_MIN : k * b->len;
}
static inline fs_ns fs_bin_end(const fs_binning *b, int64_t k)
{
    return b->len == FS_NS_INF ? FS_NS_INF : (k + 1) * b->len;
}

typedef struct fs_contrib {
    double pkts, bytes;      /* estimated packets and bytes               */
    double var_pkts;         /* estimated variance of pkts (NAN: unknown)  */
    double var_bytes;        /* estimated variance of bytes (NAN: unknown) */
    /* Covariance of this contribution with the record's whole estimate (its
     * sum over every bin it contributes to): what the record adds to the
     * variance of any sum over bins. A record's shares of one random
     * estimate are correlated (a share f of X has covariance f Var(X) with
     * X), so the variance of a multi-bin sum is the sum of these, not of
     * var_*: a record wholly in one bin has cov = var. NAN: unknown.     */
    double cov_pkts, cov_bytes;
    double flows;            /* active-flow contribution                   */
    fs_ns  flow_ts;          /* start of the record's data in this bin     */
    double arrivals;         /* TCP flow arrivals, primary estimator       */
    double arrivals_alt;     /* second arrival estimator (NAN if none)     */
} fs_contrib;

/* ---- estimands ------------------------------------------------------------
 * What each estimate of a pipeline estimates, declared by the algorithm (and
 * amended by each record stage) for one configuration. The evaluation
 * compares every estimate with a truth; an estimate that is not unbiased
 * for that truth in this configuration must say so, so that no biased row is
 * read or averaged as an error like the others.
 *   FS_EST_UNBIASED  unbiased for the truth it is compared with
 *   FS_EST_BIASED    biased by design: `how` says what it counts instead
 *                    (a short tag without commas or spaces, e.g.
 *                    "sampled-flows", "slices", "syn-packets")
 *   FS_EST_NA        not available (the estimate is nan)
 *   FS_EST_UNBIASED_IF  unbiased when the trace meets the condition `how`
 *                    names (same tag rules, e.g. "one-syn": every TCP flow
 *                    has at most one SYN packet per bin); the evaluation
 *                    shows the truth that measures the condition next to
 *                    the estimate where there is one (true_multi_syn_flows)
 * Quantities: bytes, packets, active flows (est_flows), TCP flow arrivals
 * (est_tcp_arrivals, M1, against true_tcp_arrivals) and TCP flows
 * (est_tcp_arrivals_m2, M2, against true_tcp_flows).
 * A pipeline's declaration is made by fs_estimands_of (estimand.c): the
 * algorithm's op (NULL: every quantity unbiased), then each record stage's,
 * in order; fs_estimand_text writes the form results.csv carries.         */
enum fs_quantity { FS_Q_BYTES, FS_Q_PACKETS, FS_Q_FLOWS, FS_Q_ARRIVALS, FS_Q_TCP_FLOWS,
                   FS_Q__COUNT };
enum fs_estimand_status { FS_EST_UNBIASED, FS_EST_BIASED, FS_EST_NA, FS_EST_UNBIASED_IF };
typedef struct fs_estimand {
    int         status;      /* enum fs_estimand_status                  */
    const char *how;         /* FS_EST_BIASED: what it estimates instead;
                                FS_EST_UNBIASED_IF: the condition         */
    int         one_record;  /* FS_Q_FLOWS: the meter exports at most one
                                record per flow and analysis bin, so a
                                stage sampling records keeps active flows
                                unbiased (Horvitz-Thompson per flow)      */
    /* per_bin: the per-bin condition comes only from how a record's
     * estimate is attributed to analysis bins (apportioning a record that
     * spans bins: exact only when records lie within bins); a sum over bins
     * (bin all) has the status whole_status and condition whole_how it had
     * before (fs_estimand_set_per_bin, fs_estimand_whole). */
    int         per_bin;
    int         whole_status;
    const char *whole_how;
} fs_estimand;

typedef void (*fs_contrib_fn)(void *ctx, int64_t bin, const fs_contrib *c);
typedef void (*fs_emit_fn)(void *ctx, const fs_record *r);

typedef struct fs_meter_env {
    gsl_rng   *rng;          /* this pipeline-replicate's generator        */
    double     obs_q;        /* packet inclusion probability of the
                                observation stage's sampler (1 if none)    */
    fs_acct   *acct;         /* memory accountant                          */
    fs_emit_fn emit;         /* export a record                            */
    void      *emit_ctx;
    uint64_t   hash_seed;    /* seed for flow-table hashing                */
} fs_meter_env;

typedef struct fs_algo {
    unsigned    abi;             /* FS_ALGO_ABI                            */
    const char *name;            /* command-line name                      */
    const char *summary;         /* one line                               */
    const char *notes;           /* provenance and reconstruction choices  */
    const fs_param_def *params;
    size_t      nparams;
    size_t      params_size;     /* size of the parsed parameter struct    */
    size_t      state_size;      /* size of the meter state                */
    /* cross-parameter checks after parsing (NULL: none) */
    int   (*check)(const void *params, char *err, size_t errlen);
    int   (*init)(void *st, const void *params, const fs_meter_env *env,
                  char *err, size_t errlen);
    fs_ns (*packet)(void *st, const fs_pkt *p);
    fs_ns (*advance)(void *st, fs_ns now);
    void  (*flush)(void *st, fs_ns end);
    uint64_t (*live)(const void *st);
    fs_ns (*pending)(const void *st);
    void  (*destroy)(void *st);
    void  (*estimate)(const void *params, const fs_record *r,
                      const fs_binning *b, fs_contrib_fn fn, void *ctx);
    /* meter-specific counters for the results (NULL: none): calls fn once
     * per counter with a metric name and value. */
    void  (*stats)(const void *st, void (*fn)(void *ctx, const char *name, double v),
                   void *ctx);
    /* optional (NULL: none): a hint that p comes through packet() shortly;
     * step 0 may prefetch the table slot, step 1 (a little later) what the
     * slot points to. Must not change any state. */
    void  (*prefetch)(const void *st, const fs_pkt *p, int step);
    /* optional (NULL: none): calls fn with the key of every live entry whose
     * data not yet exported could still be apportioned before `before`, and
     * with `since`, the earliest time into which it can be (as pending()
     * gives it, for this entry alone). Every contribution the meter makes
     * later to a bin ending by `before` comes from one of these keys, to bins
     * ending after its since. Keys come oldest since first; a nonzero return
     * of fn stops the listing. The evaluation then closes such a bin in
     * part: it compares and drops every other key (eval.h, partial_close). */
    void  (*pending_keys)(const void *st, fs_ns before,
                          int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx);
    /* optional (NULL: none): passes over up to n packets, counting them as
     * seen, when packet() would change nothing else for them whatever they
     * are (its packet sampler skips them); returns how many (0: the next
     * packet must go through packet()). The engine calls it only for packets
     * that come before the meter's next event (the last value packet() or
     * advance() returned), so that event still stands afterwards. */
    uint64_t (*pass)(void *st, uint64_t n);
    /* optional (NULL: every quantity unbiased): fills out[FS_Q__COUNT] with
     * what each estimate is an estimate of, for these parameters, the
     * observation stage's packet inclusion probability obs_q and the
     * analysis bins b (see fs_estimand above). */
    void  (*estimands)(const void *params, double obs_q, const fs_binning *b,
                       fs_estimand out[FS_Q__COUNT]);
} fs_algo;

/* ---- record stages ------------------------------------------------------
 * A record stage sits between a meter and the exporter: it sees every record
 * the meter (or the stage before it) exports and passes it on, drops it, or
 * passes it on with a larger weight (flow sampling, smart sampling, record
 * filters). A pipeline is `ALGORITHM[:params][|STAGE[:params]]...`.
 *
 * Estimators compose: a stage that keeps a record with probability p
 * multiplies its weight by 1/p before passing it on, and every algorithm's
 * estimator multiplies its contributions by the record's weight (the
 * Horvitz-Thompson rule; algorithms.md §2.4.8, §2.5).
 *   record   handle one record (valid only during the call); pass it on with
 *            env->emit (a modified copy is fine).
 *   flush    end of trace at time `end`.
 */
typedef struct fs_stage_env {
    gsl_rng   *rng;          /* this pipeline-replicate's generator        */
    fs_emit_fn emit;         /* pass a record on                           */
    void      *emit_ctx;
    /* The record's whole-record estimates from the meter's estimators,
     * weight included: packets, bytes, TCP arrivals (primary). */
    void     (*estimate)(void *ctx, const fs_record *r, double *pkts, double *bytes,
                         double *arrivals);
    void      *est_ctx;
} fs_stage_env;

typedef struct fs_stage {
    unsigned    abi;             /* FS_ALGO_ABI                            */
    const char *name;
    const char *summary;
    const char *notes;
    const fs_param_def *params;
    size_t      nparams;
    size_t      params_size;
    size_t      state_size;
    int   (*check)(const void *params, char *err, size_t errlen);
    int   (*init)(void *st, const void *params, const fs_stage_env *env,
                  char *err, size_t errlen);
    void  (*record)(void *st, const fs_record *r);
    void  (*flush)(void *st, fs_ns end);
    void  (*destroy)(void *st);
    void  (*stats)(const void *st, void (*fn)(void *ctx, const char *name, double v),
                   void *ctx);
    /* optional (NULL: changes nothing): amends the estimands of what comes
     * before the stage (e.g. active flows once a stage can keep several
     * records of one flow). */
    void  (*estimands)(const void *params, const fs_binning *b, fs_estimand io[FS_Q__COUNT]);
    /* nonzero: passes records on with weights other than 1; the meters'
     * variance estimates then do not hold, and every standard error of the
     * pipeline is nan (unknown), in every bin, with or without records. */
    int   reweights;
} fs_stage;

/* ---- registry (registry.c) ---- */
const fs_algo *fs_algo_find(const char *name);
size_t fs_algo_count(void);
const fs_algo *fs_algo_at(size_t i);
const fs_stage *fs_stage_find(const char *name);
size_t fs_stage_count(void);
const fs_stage *fs_stage_at(size_t i);

/* ---- helpers shared by estimators (estimate.c) ----
 * Spreads a record's scaled packets and bytes over the analysis bins that
 * [first, last] overlaps, in proportion to the overlap (a record with
 * first == last goes wholly into its bin); or puts everything into the bin
 * of `last` or of `first`. Each bin touched gets flows = `flows` and flow_ts
 * = the start of the record's data in that bin; arrivals go to the bin of
 * `first` only. Variances are split like the counts they belong to
 * (f^2 Var in a bin's share f) and covariances with the whole record are
 * f Var; whole->var_* is the record's whole variance (whole->cov_* is not
 * read).                                                                   */
enum fs_apportion { FS_APPORTION_SPLIT, FS_APPORTION_LAST, FS_APPORTION_FIRST };
extern const char *const fs_apportion_names[];
void fs_apportion(const fs_record *r, const fs_binning *b, int how,
                  const fs_contrib *whole, fs_contrib_fn fn, void *ctx);
/* The share of bin k in the split (FS_APPORTION_SPLIT) of a record over
 * several bins: the fraction of [first, last] in the bin, with the
 * record's arrivals in its first bin. */
void fs_apportion_share(const fs_record *r, const fs_binning *b, const fs_contrib *whole,
                        int64_t k, fs_contrib *c);
/* A receiver of whole splits. A record split over many bins would cost a
 * call per bin (millions for long records and short bins); a receiver whose
 * ctx starts with an fs_span_sink and that passes fs_span_contrib as the
 * fs_contrib_fn gets the split of a record over bins k0..k1 in one call to
 * span (each bin's share is fs_apportion_share), and every other
 * contribution through bin. */
typedef struct fs_span_sink {
    fs_contrib_fn bin;
    void (*span)(void *ctx, const fs_record *r, int64_t k0, int64_t k1,
                 const fs_contrib *whole);
} fs_span_sink;
void fs_span_contrib(void *ctx, int64_t bin, const fs_contrib *c);

/* ---- estimands (estimand.c) ----
 * fs_estimands_of: the declaration of a pipeline (algorithm with its
 * parameters, the observation stage's inclusion probability obs_q, then
 * nstages record stages with theirs) for analysis bins b.
 * fs_estimand_text: "unbiased", "unbiased-if:TAG", "biased:TAG" or "na".
 * fs_estimand_set: out[q] = {status, how} (a helper for the ops). */
extern const char *const fs_quantity_names[FS_Q__COUNT];
void fs_estimands_of(const fs_algo *algo, const void *aparams, double obs_q,
                     const fs_binning *b, const fs_stage *const *stages,
                     const void *const *sparams, int nstages, fs_estimand out[FS_Q__COUNT]);
void fs_estimand_text(const fs_estimand *e, char *buf, size_t n);
/* What a stage sampling records one by one (uniform, smart) does to the
 * declaration: active flows become biased ("records-not-flows") unless the
 * meter exports at most one record per flow and bin. */
void fs_estimands_record_sampled(fs_estimand io[FS_Q__COUNT]);
static inline void fs_estimand_set(fs_estimand *out, int q, int status, const char *how)
{
    out[q].status = status;
    out[q].how = how;
    out[q].one_record = 0;
    out[q].per_bin = 0;
    out[q].whole_status = status;
    out[q].whole_how = how;
}
/* Per bin unbiased only if every record lies within one analysis bin (a
 * record spanning bins is apportioned to them: the binning error): status
 * unbiased-if with condition `cond` (the caller joins it to an earlier
 * condition, e.g. "no-refused-packets+records-within-bins"); bin all keeps
 * the status out[q] had. */
static inline void fs_estimand_set_per_bin(fs_estimand *out, int q, const char *cond)
{
    if (out[q].status == FS_EST_BIASED || out[q].status == FS_EST_NA)
        return;
    out[q].whole_status = out[q].status;
    out[q].whole_how = out[q].how;
    out[q].status = FS_EST_UNBIASED_IF;
    out[q].how = cond;
    out[q].per_bin = 1;
}
/* The declaration of a sum over every bin (bin all). */
static inline fs_estimand fs_estimand_whole(const fs_estimand *e)
{
    fs_estimand w = *e;
    if (e->per_bin) {
        w.status = e->whole_status;
        w.how = e->whole_how;
        w.per_bin = 0;
    }
    return w;
}

#endif
