/* flowsim — the engine's pass-over path (algo.h, pass): a meter that can
 * pass over the packets its sampler skips is handed runs of them in one call
 * instead of one packet() call each. The outputs must be exactly those of
 * the per-packet path: every pipeline here runs twice through fs_run on real
 * captures, once with the meter's pass op and once with it removed, and
 * results, records and time series must match byte for byte. A counting
 * wrapper checks that the pass path really ran.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "harness.h"
#include "tf.h"

static fs_algo copy;                       /* the algorithm as this run sees it */
static uint64_t (*orig_pass)(void *st, uint64_t n);
static uint64_t calls, passed;
static int strip;                          /* 1: no pass op; 0: counting wrapper */

static uint64_t counting_pass(void *st, uint64_t n)
{
    uint64_t m = orig_pass(st, n);
    calls++;
    passed += m;
    return m;
}

static void hook(fs_pipeline_spec *ps, int n)
{
    for (int i = 0; i < n; i++) {
        if (ps[i].algo != &copy) {
            copy = *ps[i].algo;
            orig_pass = ps[i].algo->pass;
        }
        copy.pass = strip ? NULL : orig_pass ? counting_pass : NULL;
        ps[i].algo = &copy;
    }
}

/* 1 if the two files exist and are byte-identical. */
static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void check_same_outputs(const char *da, const char *db, int nrep, const char *what)
{
    const char *files[] = {"results.csv", "timeseries.csv"};
    char pa[600], pb[600];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        snprintf(pa, sizeof pa, "%s/%s", da, files[f]);
        snprintf(pb, sizeof pb, "%s/%s", db, files[f]);
        if (!same_file(pa, pb)) {
            fprintf(stderr, "  %s: %s differs\n", what, files[f]);
            CHECK(0);
        }
    }
    for (int r = 0; r < nrep; r++) {
        snprintf(pa, sizeof pa, "%s/records/p0_r%d.csv", da, r);
        snprintf(pb, sizeof pb, "%s/records/p0_r%d.csv", db, r);
        if (!same_file(pa, pb)) {
            fprintf(stderr, "  %s: records of replicate %d differ\n", what, r);
            CHECK(0);
        }
    }
}

TEST(engine_pass_equals_per_packet)
{
    const char *traces[] = {
        "../traces/real/ndpi_gnutella_full.pcap",
        "../traces/real/ndpi_bittorrent_transmission.pcapng",
        "../traces/real/pcapplusplus_tls2.pcap",
    };
    /* every meter with a pass op, its samplers' modes, and settings whose
     * events (timers, bins, adaptation ticks, record stages) interleave
     * with the passed runs */
    struct { const char *spec; int runs; } specs[] = {
        /* runs: the sampling rate is low enough that a call passes over
         * more than one packet on average */
        {"sampled-netflow:rate=1/10", 1},
        {"sampled-netflow:rate=1/7,mode=systematic,inactive=2s,active=10s", 1},
        {"sampled-netflow:rate=1/4,entries=64,policy=lru|uniform:rate=1/2", 1},
        {"adaptive-netflow:entries=200,p_max=1/4,bin=5s", 1},
        {"adaptive-netflow:entries=50,p_max=1/2,bin=2s,start=carry", 0},
        {"flow-slices:q=1/5,p=1/2,t=4s", 1},
        {"flow-slices:q=1/3,adapt=occupancy,entries=100,delta=1s", 1},
    };
    const char *opts = "bin=2s,bin_rows=all,seeds=2,records=all,timeseries=all";
    th_spec_hook = hook;
    for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++)
        for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
            char da[128], db[128], what[256];
            snprintf(what, sizeof what, "%s on %s", specs[s].spec, traces[t]);
            calls = passed = 0;
            strip = 0;
            int ra = th_run(&traces[t], 1, &specs[s].spec, 1, opts, da, sizeof da);
            uint64_t with_calls = calls, with_passed = passed;
            strip = 1;
            calls = passed = 0;
            int rb = th_run(&traces[t], 1, &specs[s].spec, 1, opts, db, sizeof db);
            CHECK_EQ_I(ra, 0);
            CHECK_EQ_I(rb, 0);
            /* the path under test ran, and passed over runs, not single packets */
            if (!(with_passed > 0 && (!specs[s].runs || with_passed > with_calls)))
                fprintf(stderr, "  %s: %llu packets passed in %llu calls\n", what,
                        (unsigned long long)with_passed, (unsigned long long)with_calls);
            CHECK(with_passed > 0);
            CHECK(!specs[s].runs || with_passed > with_calls);
            CHECK_EQ_U(calls, 0);
            check_same_outputs(da, db, 2, what);
            th_cleanup(da);
            th_cleanup(db);
        }
    th_spec_hook = NULL;
}
