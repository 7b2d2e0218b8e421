/* flowsim — resource accounting: memory (live entries) and export traffic
 * over simulated time, as whole-run figures, per analysis bin and per second.
 *
 * Meters report their live entry count at every change (fs_acct_mem, with the
 * simulated time of the change): the entries the meter's memory holds (or
 * reserves, as a second bank does), each costing the run's entry_bytes plus
 * whatever the meter declared per entry with fs_acct_entry_extra (e.g. Flow
 * Slices' binned counter pairs); the export model reports every datagram
 * (fs_acct_export). From these the accountant keeps the peak and the
 * time-average of live entries (exact: the integral of the step function),
 * the bytes, records and datagrams exported, and hands completed seconds to
 * a time-series callback and completed bins to the evaluation.
 */
#ifndef FS_ACCT_H
#define FS_ACCT_H

#include "fs.h"

typedef struct fs_acct_window {
    int64_t  index;          /* second or bin index                     */
    int64_t  mem_max;        /* peak live entries in the window          */
    double   mem_area;       /* integral of live entries, entry*ns       */
    fs_ns    span;           /* length of the window covered, ns        */
    uint64_t exp_records, exp_datagrams, exp_bytes;
} fs_acct_window;

typedef void (*fs_acct_sec_fn)(void *ctx, const fs_acct_window *w);

typedef struct fs_acct {
    int      started;
    fs_ns    t_start;        /* first time seen                          */
    fs_ns    t_last;         /* time of the last change                  */
    int64_t  live, peak;
    double   extra_bytes;    /* bytes per entry beyond entry_bytes       */
    double   area;           /* entry*ns since t_start                   */
    uint64_t exp_records, exp_datagrams, exp_bytes;
    uint64_t peak_sec_bytes, peak_sec_records;
    fs_acct_window sec;      /* current second                           */
    int      sec_active;     /* something happened in the current second */
    int      prev_quiet;     /* nothing happened in the previous second  */
    fs_acct_sec_fn sec_fn;   /* NULL: no time series                     */
    void    *sec_ctx;
} fs_acct;

void fs_acct_init(fs_acct *a, fs_acct_sec_fn fn, void *ctx);
/* Live entries changed to `live` at time t (t never decreases). */
void fs_acct_mem(fs_acct *a, fs_ns t, int64_t live);
/* A datagram of `bytes` bytes holding `records` records was sent at t. */
void fs_acct_export(fs_acct *a, fs_ns t, uint64_t records, uint64_t bytes);
/* Every entry of this meter holds `bytes` bytes more than the run's
 * entry_bytes (memory bytes = entries x (entry_bytes + bytes)); a meter
 * calls it at init, default 0. */
void fs_acct_entry_extra(fs_acct *a, double bytes);
/* Advances the clock to t (emitting completed seconds). */
void fs_acct_advance(fs_acct *a, fs_ns t);
/* Closes the current second at the end of the run. */
void fs_acct_finish(fs_acct *a, fs_ns t_end);
/* Time-averaged live entries over [t_start, t_last]. */
double fs_acct_mean_entries(const fs_acct *a);

#endif
