/* flowsim — records split over very many analysis bins: a long record and
 * short bins (a day between two packets at 1 s bins, a whole capture at 10 ms
 * or 10 us bins) must cost the bins that hold data, not a table per bin it
 * spans, and stay exactly what a share per bin gives (eval.h, spans).
 * Each case checks that the run succeeds, that its peak memory above what
 * the process held before stays small (the bins of a span made a table
 * each: 621 MB for the day), and that the estimates over the whole trace
 * are those of the records. A regression shows as a run that does not end
 * (minutes, quadratic in the bins) or as a memory check that fails.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "harness.h"
#include "pcapw.h"
#include "tf.h"

#define BITTORRENT "../traces/real/ndpi_bittorrent_transmission.pcapng"

/* Peak memory growth allowed for one run, in KiB: well above what these
 * small captures need (a few MB of tables and rows), far below a table per
 * bin spanned (hundreds of MB). */
#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer keeps freed memory in quarantine (quarantine_size_mb,
 * 256 MB by default) and adds its shadow: still well below a table per bin
 * spanned (621 MB for the day without shadow). */
#define RSS_GROWTH_MAX_KB ((64 + 256) * 1024)
#else
#define RSS_GROWTH_MAX_KB (64 * 1024)
#endif

/* A line "Name:  N kB" of /proc/self/status, in KiB; -1 if absent. */
static long status_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* Starts a measurement of peak memory: resets the peak to the current
 * resident size where the kernel allows it (clear_refs 5), and returns the
 * baseline in KiB. */
static long peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
    long rss = status_kb("VmRSS");
    if (rss >= 0)
        return rss;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Peak growth since peak_reset, in KiB. */
static long peak_growth(long base)
{
    long hwm = status_kb("VmHWM");
    if (hwm < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        hwm = ru.ru_maxrss;
    }
    return hwm - base;
}

/* Runs one trace through one pipeline with run options opts (th_run) and
 * checks that the run succeeds and the peak memory grows by less than
 * RSS_GROWTH_MAX_KB. */
static void run_bounded(const char *trace, const char *spec, const char *opts, char *out,
                        size_t n)
{
    const char *traces[] = {trace};
    long base = peak_reset();
    int rc = th_run(traces, 1, &spec, 1, opts, out, n);
    long grew = peak_growth(base);
    CHECK_EQ_I(rc, 0);
    CHECK(grew < RSS_GROWTH_MAX_KB);
    if (grew >= RSS_GROWTH_MAX_KB)
        fprintf(stderr, "  peak grew by %ld KiB\n", grew);
}

static double metric1(const char *dir, const char *bin, const char *agg, const char *metric)
{
    double v = NAN;
    return th_metric(dir, 0, bin, agg, "all", metric, &v, 1) == 1 ? v : NAN;
}

/* Two packets of one flow a day apart, sample-and-hold with its defaults and
 * 1 s bins: the record spans 86,401 bins, two of which hold packets. */
TEST(binspan_day_apart)
{
    char dir[64], path[128], out[128];
    CHECK_EQ_I(pcapw_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/day.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    CHECK(w != NULL);
    if (!w)
        return;
    pcapw_pkt s = pcapw_udp("10.0.0.1", 1000, "10.0.0.2", 53);
    s.payload_len = 1000;
    const fs_ns day = 86400 * FS_NS_PER_S;
    CHECK_EQ_I(pcapw_put(w, FS_NS_PER_S / 2, &s), 0);
    CHECK_EQ_I(pcapw_put(w, FS_NS_PER_S / 2 + day, &s), 0);
    CHECK_EQ_I(pcapw_close(w), 0);
    run_bounded(path, "sample-and-hold", "bin=1s,seeds=1,records=none", out, sizeof out);
    /* the record holds both packets (the first creates the entry with
     * probability 1 - (1 - p)^1028, near 1 at the default p): the bins'
     * shares add up to its estimate, whichever bins hold them */
    double tb = metric1(out, "all", "total", "true_bytes");
    double eb = metric1(out, "all", "total", "est_bytes");
    CHECK_EQ_I(tb, 2 * 1028);
    CHECK(eb > 0);
    /* a middle bin of the day has the record's share and no truth */
    double mid = metric1(out, "43200", "total", "est_bytes");
    CHECK(mid > 0 && mid < eb);
    th_cleanup(out);
    pcapw_rmdir(dir);
}

/* A real capture at 10 ms bins: NetFlow's records (active timeout 30 min)
 * span thousands of bins each. Without partial close every bin stays open
 * until the records over it are exported, so each would hold a table of its
 * own were the spans' shares not kept apart from the bins. */
TEST(binspan_bittorrent_10ms)
{
    char out[128];
    run_bounded(BITTORRENT, "netflow",
                "bin=10ms,seeds=1,records=none,bin_rows=none,partial_close=0", out, sizeof out);
    /* NetFlow counts every packet: the shares add up to the truth */
    double tb = metric1(out, "all", "total", "true_bytes");
    double eb = metric1(out, "all", "total", "est_bytes");
    CHECK(tb > 0);
    CHECK_NEAR(eb, tb, 1e-9 * tb);
    th_cleanup(out);
}

/* 10 us bins over a 3.3 s capture: 330,000 bins, each inside the records
 * of the flows then active. */
TEST(binspan_10us)
{
    char dir[64], path[128], out[128];
    CHECK_EQ_I(pcapw_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/short.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    CHECK(w != NULL);
    if (!w)
        return;
    enum { FLOWS = 8, PKTS = 40 };
    const fs_ns len = 3300 * FS_NS_PER_MS;
    for (int i = 0; i < PKTS; i++)
        for (int f = 0; f < FLOWS; f++) {
            pcapw_pkt s = pcapw_tcp("10.0.0.1", (uint16_t)(2000 + f), "10.0.0.2", 80,
                                    i == 0 ? FS_TCP_SYN : FS_TCP_ACK);
            s.payload_len = 100;
            CHECK_EQ_I(pcapw_put(w, len / (PKTS - 1) * i + f * FS_NS_PER_MS / 8, &s), 0);
        }
    CHECK_EQ_I(pcapw_close(w), 0);
    run_bounded(path, "netflow", "bin=10us,seeds=1,records=none,bin_rows=none", out, sizeof out);
    double tb = metric1(out, "all", "total", "true_bytes");
    double eb = metric1(out, "all", "total", "est_bytes");
    CHECK_EQ_I(tb, FLOWS * PKTS * 140);
    CHECK_NEAR(eb, tb, 1e-9 * tb);
    th_cleanup(out);
    pcapw_rmdir(dir);
}
