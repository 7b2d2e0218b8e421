/* flowsim — ground truth: exact per-flow counts per analysis bin.
 *
 * One truth object per (trace, flow-key configuration, bin length), shared by
 * every pipeline that uses that key. It is streamed: a bin's table is built
 * while the trace passes through the bin and freed as soon as every pipeline
 * has evaluated the bin, so memory follows the flows active in the bins still
 * open, not the trace length. The tables of released bins go to a small
 * pool (ftab.h) and are reused, cleared, for the next bins.
 *
 * Per (bin, key): packets, bytes (IP total length) and SYN packets. A flow is
 * active in a bin if it has a packet in it; a TCP flow arrives in a bin if
 * one of its packets in the bin carries SYN (algorithms.md §1.4, counted once
 * per bin; flows with more than one SYN packet in the bin, which break the
 * SYN estimators' assumption, are counted apart). A TCP flow starts in the
 * bin of its first packet in the trace (tcp_new: the truth of the TCP-flow
 * estimator M2, whose contributions go to the bin of a record's first
 * packet). With finite bins this needs the set of TCP keys already seen,
 * one small entry per distinct TCP key of the trace (with one bin every key
 * of the bin is new, and no set is kept).
 *
 * With a cache directory, the finished bins are also written to a cache file
 * keyed by the traces' SHA-256, the key configuration and the bin length;
 * a later run over the same traces reads the bins from the file instead of
 * computing them (see truth.c for the format and how the key is found).
 */
#ifndef FS_TRUTH_H
#define FS_TRUTH_H

#include <stdio.h>
#include "algo.h"
#include "ftab.h"

typedef struct fs_truth_ent {
    FS_FTAB_ENTRY_HEAD;
    uint64_t pkts, bytes;
    uint32_t syn;
    uint32_t tcp_new;   /* TCP key whose first packet of the trace is in
                           this bin                                   */
} fs_truth_ent;

typedef struct fs_tbin {
    int64_t bin;
    fs_ftab tab;
    int     refs;          /* evaluations that still need this bin */
    void   *sum;           /* the evaluation's summary of the bin, made once
                              and shared by every evaluation (eval.c)   */
    void  (*sum_free)(void *);
    struct fs_tbin *next;
} fs_tbin;

typedef struct fs_truth {
    int        keycfg;     /* key configuration index (engine's)      */
    fs_binning binning;
    uint64_t   seed;
    int        users;      /* evaluations sharing this truth          */
    void      *shared;     /* whole-trace state of the evaluations made
                              from this truth once (eval.c)            */
    void     (*shared_free)(void *);
    fs_tbin   *head, *tail;
    fs_ftab_pool pool;         /* tables of released bins, for reuse    */
    int64_t    complete_below; /* bins < this are complete             */
    uint64_t   pkts, bytes;    /* whole-trace totals                   */
    fs_ftab    tcp_keys;       /* TCP keys seen in earlier bins (finite
                                  bins only; tcp_new)                  */
    int        has_tcp_keys;
    /* cache */
    FILE      *cache_in;       /* reading bins from a cache file        */
    FILE      *cache_out;      /* writing bins to a temporary file      */
    char      *cache_path;     /* file read from, or committed to       */
    char      *cache_tmp;      /* temporary file being written          */
    int        cache_written;  /* the temporary file is complete        */
    int        cache_error;
    int64_t    cache_next_bin; /* next bin to be read from cache_in      */
    int        cache_eof;
    void      *cache_xs;       /* XXH3 state over the bytes written      */
} fs_truth;

int  fs_truth_init(fs_truth *t, int keycfg, const fs_binning *b, uint64_t seed);
void fs_truth_free(fs_truth *t);
/* Counts one packet (key and key_hash already under this key config). */
void fs_truth_packet(fs_truth *t, const fs_pkt *p);
/* The trace clock reached `now`: bins ending at or before it are complete. */
void fs_truth_advance(fs_truth *t, fs_ns now);
/* End of trace: every bin is complete (and a cache being written gets its
 * end mark). */
void fs_truth_finish(fs_truth *t);
/* Complete table of bin k, or NULL if the trace had no packet in it. */
fs_tbin *fs_truth_bin(fs_truth *t, int64_t k);
/* Smallest bin index >= k that has a table, or INT64_MAX. */
int64_t fs_truth_next_bin(fs_truth *t, int64_t k);
/* An evaluation is done with every bin < k. */
void fs_truth_release_below(fs_truth *t, int64_t k, int64_t *released_below);

/* ---- disk cache ----
 * Reading: fs_truth_cache_read checks the whole file (checksum, header,
 * every bin's structure, the end mark) before using it. Returns 1 (usable),
 * 0 (no file, or a file of another format version, key configuration or
 * bin length: compute the truth), 2 (the file is corrupt or truncated: err
 * is one line naming it; compute the truth, the commit replaces the file),
 * -1 (cannot read a checked file: err). Writing: bins go to a temporary
 * file while the pass runs; fs_truth_cache_commit renames it to its final
 * name (known only once the traces' SHA-256 is) after a complete pass;
 * fs_truth_cache_abort removes it. fs_truth_cache_write returns 0, or -1
 * with a one-line message naming the file (the truth is then not cached). */
int  fs_truth_cache_read(fs_truth *t, const char *path, char *err, size_t errlen);
int  fs_truth_cache_write(fs_truth *t, const char *tmp_path, char *err, size_t errlen);
int  fs_truth_cache_commit(fs_truth *t, const char *final_path);
/* When reading from the cache: the trace clock reached now. */
int  fs_truth_cache_read_until(fs_truth *t, fs_ns now, char *err, size_t errlen);
void fs_truth_cache_abort(fs_truth *t);

/* Prefetch hint for fs_truth_packet of a packet of bin `bin` with key hash
 * h, a few packets ahead (step 0: the slot, step 1: the entry); no effect on
 * results. */
static inline void fs_truth_prefetch(const fs_truth *t, int64_t bin, uint64_t h, int step)
{
    const fs_tbin *b = t->tail;
    if (!b || b->bin != bin)
        return;
    if (step == 0)
        fs_ftab_prefetch(&b->tab, h);
    else
        fs_ftab_prefetch_entry(&b->tab, h);
}

#endif
