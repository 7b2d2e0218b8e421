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

/* Values of one metric, one per replicate in replicate order, from
 * results.csv. Returns how many were found (at most max). */
int th_metric(const char *outdir, int pipeline, const char *bin, const char *agg,
              const char *key, const char *metric, double *vals, int max);

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
