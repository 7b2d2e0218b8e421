/* flowsim — test harness: runs the engine (fs_run) exactly as the command
 * line does, into a temporary directory, and reads back its outputs. */
#ifndef FS_HARNESS_H
#define FS_HARNESS_H
#include <stdint.h>
#include "fs.h"

/* Runs traces through the pipelines (specs) with run options given as a
 * "name=value,..." list over the run parameters (bin, seeds, seed, ...).
 * outdir receives a fresh directory. Returns fs_run's exit status, or -1. */
int th_run(const char *const *traces, int ntraces, const char *const *specs, int nspecs,
           const char *opts, char *outdir, size_t n);

/* Called by th_run (when set) with the parsed pipelines, before the run: a
 * test may change them, e.g. swap in a copy of an algorithm's op table. */
struct fs_pipeline_spec;
extern void (*th_spec_hook)(struct fs_pipeline_spec *ps, int n);

/* Values of one metric, one per replicate in replicate order, from
 * results.csv. Returns how many were found (at most max). */
int th_metric(const char *outdir, int pipeline, const char *bin, const char *agg,
              const char *key, const char *metric, double *vals, int max);
/* The same, also copying the rows' estimand column (results.csv's last) into
 * est (estlen bytes; NULL: not wanted). */
int th_metric_est(const char *outdir, int pipeline, const char *bin, const char *agg,
                  const char *key, const char *metric, double *vals, int max, char *est,
                  size_t estlen);

typedef struct th_rec {
    fs_ns exported, first, last;
    char src[48], dst[48];
    unsigned proto, sport, dport, tos, vlan;
    uint64_t pkts;
    double bytes;
    unsigned syn, flags;
    char reason[16];
    double q;
} th_rec;

/* Records of pipeline p, replicate r (in export order). Returns the count. */
int th_records(const char *outdir, int p, int r, th_rec *recs, int max);

/* Removes a run directory made by th_run. */
void th_cleanup(const char *outdir);
#endif

/* ---- driving one meter directly -------------------------------------------
 * No engine, no trace file: packets built in memory go straight into one
 * meter, exactly as the engine drives it (advance before each packet, flush
 * at the end), and every record reaches rec_fn. For tests that need many
 * seeds of a small, controlled input (variance per flow size, budgets). */
#include "algo.h"

/* A packet: IPv4 10.0.<flow/256>.<flow%256>:1000+flow -> 10.1.0.1:80, TCP
 * (proto 6) or UDP (17), size bytes, TCP flags. */
fs_pkt th_pkt(fs_ns ts, uint32_t flow, uint8_t proto, uint32_t size, uint8_t flags);

typedef struct th_meter_out {
    int64_t  peak_entries;   /* peak live entries the meter accounted */
    double   mean_entries;
    uint64_t records;
} th_meter_out;

/* spec: "algorithm[:params]" (no record stages); seed seeds the meter's
 * generator. Returns 0, or -1 with a message on stderr. */
int th_meter(const char *spec, uint64_t seed, const fs_pkt *pkts, size_t n,
             void (*rec_fn)(void *ctx, const fs_record *r), void *ctx, th_meter_out *out);

/* The algorithm's estimate of a record summed over all bins (analysis bin
 * length `bin`, FS_NS_INF for one bin). */
fs_contrib th_estimate(const char *spec, const fs_record *r, fs_ns bin);
