/* flowsim — NetFlow known answers: small traces written here, run through the
 * whole engine (fs_run), and the exact records each expiry rule must export,
 * derived by hand in the comments. Times are in seconds from the epoch.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "pcapw.h"
#include "tf.h"

#define S(x) ((int64_t)((x) * 1e9 + 0.5))

typedef struct expect {
    double exported, first, last;
    const char *src;
    unsigned sport;
    uint64_t pkts;
    double bytes;
    const char *reason;
} expect;

/* Runs one pipeline over the file and compares its records, in export
 * order, with the expected list. */
static void check_records(const char *pcap, const char *spec, const char *opts,
                          const expect *ex, int nex)
{
    char out[128];
    const char *traces[] = {pcap};
    const char *specs[] = {spec};
    CHECK_EQ_I(th_run(traces, 1, specs, 1, opts, out, sizeof out), 0);
    th_rec r[64];
    int n = th_records(out, 0, 0, r, 64);
    CHECK_EQ_I(n, nex);
    for (int i = 0; i < n && i < nex; i++) {
        CHECK_EQ_I(r[i].exported, S(ex[i].exported));
        CHECK_EQ_I(r[i].first, S(ex[i].first));
        CHECK_EQ_I(r[i].last, S(ex[i].last));
        CHECK_STR(r[i].src, ex[i].src);
        CHECK_EQ_U(r[i].sport, ex[i].sport);
        CHECK_EQ_U(r[i].pkts, ex[i].pkts);
        CHECK_NEAR(r[i].bytes, ex[i].bytes, 0);
        CHECK_STR(r[i].reason, ex[i].reason);
    }
    th_cleanup(out);
}

/* A TCP packet of 40 + payload bytes (20 IP + 20 TCP + payload). */
static void tcp(pcapw *w, double t, const char *src, uint16_t sport, uint8_t flags,
                uint16_t payload)
{
    pcapw_pkt p = pcapw_tcp(src, sport, "10.0.0.100", 80, flags);
    p.payload_len = payload;
    pcapw_put(w, S(t), &p);
}

/* A UDP packet of 28 + payload bytes. */
static void udp(pcapw *w, double t, const char *src, uint16_t sport, uint16_t payload)
{
    pcapw_pkt p = pcapw_udp(src, sport, "10.0.0.100", 53);
    p.payload_len = payload;
    pcapw_put(w, S(t), &p);
}

TEST(netflow_fin_rst)
{
    char dir[64], path[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/finrst.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* Flow A: SYN 1 s, data 2 s (100 B payload), FIN 3 s -> one record,
     * exported at the FIN, 3 packets, 40 + 140 + 40 = 220 bytes. A packet of
     * the same 5-tuple at 4 s starts a new entry, flushed at the end (8 s). */
    tcp(w, 1, "10.0.0.1", 1000, FS_TCP_SYN, 0);
    tcp(w, 2, "10.0.0.1", 1000, FS_TCP_ACK, 100);
    tcp(w, 3, "10.0.0.1", 1000, FS_TCP_FIN | FS_TCP_ACK, 0);
    tcp(w, 4, "10.0.0.1", 1000, FS_TCP_ACK, 10);
    /* Flow B: SYN 5 s, RST 6 s -> record at 6 s, reason rst, 80 bytes. */
    tcp(w, 5, "10.0.0.2", 2000, FS_TCP_SYN, 0);
    tcp(w, 6, "10.0.0.2", 2000, FS_TCP_RST, 0);
    /* Flow C: a UDP packet at 8 s, flushed at the end of the trace (8 s). */
    udp(w, 8, "10.0.0.3", 3000, 0);
    pcapw_close(w);
    const expect ex[] = {
        {3, 1, 3, "10.0.0.1", 1000, 3, 220, "fin"},
        {6, 5, 6, "10.0.0.2", 2000, 2, 80, "rst"},
        {8, 4, 4, "10.0.0.1", 1000, 1, 50, "flush"},
        {8, 8, 8, "10.0.0.3", 3000, 1, 28, "flush"},
    };
    check_records(path, "netflow", NULL, ex, 4);
    /* With finrst=no the FIN does not end the entry: A is one record of 4
     * packets, B of 2, both flushed. Flush order is creation order. */
    const expect ex2[] = {
        {8, 1, 4, "10.0.0.1", 1000, 4, 270, "flush"},
        {8, 5, 6, "10.0.0.2", 2000, 2, 80, "flush"},
        {8, 8, 8, "10.0.0.3", 3000, 1, 28, "flush"},
    };
    check_records(path, "netflow:finrst=no", NULL, ex2, 3);
    pcapw_rmdir(dir);
}

TEST(netflow_inactive_active)
{
    char dir[64], path[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/timeouts.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* Flow D (UDP 128 B each): packets at 0, 10, 20, ..., 100 s with
     * active=30s, inactive=15s. The entry created at 0 expires exactly at
     * 30 s, before the packet stamped 30 s is metered (events due at or
     * before a packet's time fire first), so records are [0,10,20] at 30,
     * [30,40,50] at 60, [60,70,80] at 90, and [90,100] flushed at 130. */
    for (int i = 0; i <= 10; i++)
        udp(w, 10.0 * i, "10.0.0.4", 4000, 100);
    /* Flow E: packets at 1 s and 5 s, then 120 s. Inactive expiry at
     * 5 + 15 = 20 s exactly; the packet at 120 s starts a new entry. */
    udp(w, 1, "10.0.0.5", 5000, 0);
    udp(w, 5, "10.0.0.5", 5000, 0);
    udp(w, 120, "10.0.0.5", 5000, 0);
    /* a last packet so that the trace ends at 130 s */
    udp(w, 130, "10.0.0.6", 6000, 0);
    pcapw_close(w);
    /* pcapw writes packets in the order given; the reader merges one file in
     * file order, so time order must be respected: rewrite sorted. */
    pcapw *w2 = pcapw_open(path, DLT_EN10MB, 1);
    const struct { double t; const char *src; uint16_t sp; uint16_t pl; } pk[] = {
        {0, "10.0.0.4", 4000, 100}, {1, "10.0.0.5", 5000, 0}, {5, "10.0.0.5", 5000, 0},
        {10, "10.0.0.4", 4000, 100}, {20, "10.0.0.4", 4000, 100}, {30, "10.0.0.4", 4000, 100},
        {40, "10.0.0.4", 4000, 100}, {50, "10.0.0.4", 4000, 100}, {60, "10.0.0.4", 4000, 100},
        {70, "10.0.0.4", 4000, 100}, {80, "10.0.0.4", 4000, 100}, {90, "10.0.0.4", 4000, 100},
        {100, "10.0.0.4", 4000, 100}, {120, "10.0.0.5", 5000, 0}, {130, "10.0.0.6", 6000, 0},
    };
    for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++)
        udp(w2, pk[i].t, pk[i].src, pk[i].sp, pk[i].pl);
    pcapw_close(w2);
    const expect ex[] = {
        {20, 1, 5, "10.0.0.5", 5000, 2, 56, "inactive"},
        {30, 0, 20, "10.0.0.4", 4000, 3, 384, "active"},
        {60, 30, 50, "10.0.0.4", 4000, 3, 384, "active"},
        {90, 60, 80, "10.0.0.4", 4000, 3, 384, "active"},
        /* D's last entry [90, 100] goes inactive at 115 s */
        {115, 90, 100, "10.0.0.4", 4000, 2, 256, "inactive"},
        {130, 120, 120, "10.0.0.5", 5000, 1, 28, "flush"},
        {130, 130, 130, "10.0.0.6", 6000, 1, 28, "flush"},
    };
    check_records(path, "netflow:active=30s,inactive=15s", NULL, ex, 7);
    pcapw_rmdir(dir);
}

TEST(netflow_emergency_refuse)
{
    char dir[64], path[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/full.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* Five UDP flows at 1..5 s, flow 1 again at 6 s. Cache of 4 entries. */
    udp(w, 1, "10.0.1.1", 1, 0);
    udp(w, 2, "10.0.1.2", 2, 0);
    udp(w, 3, "10.0.1.3", 3, 0);
    udp(w, 4, "10.0.1.4", 4, 0);
    udp(w, 5, "10.0.1.5", 5, 0);
    udp(w, 6, "10.0.1.1", 1, 0);
    pcapw_close(w);
    /* policy lru, emerg_low 0, batch 2: flow 5 finds no free entry, so the
     * two least recently updated (flows 1 and 2) are exported at 5 s with
     * reason emergency; flow 1 at 6 s is a new entry. Flush at 6 s in
     * creation order: 3, 4, 5, 1. */
    const expect ex[] = {
        {5, 1, 1, "10.0.1.1", 1, 1, 28, "emergency"},
        {5, 2, 2, "10.0.1.2", 2, 1, 28, "emergency"},
        {6, 3, 3, "10.0.1.3", 3, 1, 28, "flush"},
        {6, 4, 4, "10.0.1.4", 4, 1, 28, "flush"},
        {6, 5, 5, "10.0.1.5", 5, 1, 28, "flush"},
        {6, 6, 6, "10.0.1.1", 1, 1, 28, "flush"},
    };
    check_records(path, "netflow:entries=4,emerg_low=0,emerg_batch=2", NULL, ex, 6);
    /* policy refuse: flow 5 is refused (not metered); flow 1 at 6 s updates
     * its existing entry. Flush: 1 (2 packets), 2, 3, 4. */
    const expect ex2[] = {
        {6, 1, 6, "10.0.1.1", 1, 2, 56, "flush"},
        {6, 2, 2, "10.0.1.2", 2, 1, 28, "flush"},
        {6, 3, 3, "10.0.1.3", 3, 1, 28, "flush"},
        {6, 4, 4, "10.0.1.4", 4, 1, 28, "flush"},
    };
    check_records(path, "netflow:entries=4,policy=refuse", NULL, ex2, 4);
    /* default emergency low water is 1% of 4 entries = 0 entries: the same
     * trigger as above, with the default batch of 30 exporting all four. */
    pcapw_rmdir(dir);
}

TEST(netflow_dynamic_timeout)
{
    char dir[64], path[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/dyn.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* Cache 4, dyn_hwm 0.5 (2 entries), dyn_inactive 1 s, inactive 15 s.
     * Flow A at 0 s. Flow B at 10 s makes 2 entries: the inactive timeout
     * becomes 1 s, A (last packet 0 s) is overdue and expires at 10 s.
     * Occupancy is then 1, the timeout 15 s again: B is flushed at 12 s
     * together with C, which arrives at 12 s making occupancy 2 — B's last
     * packet is 10 s, overdue by the 1 s rule, so B expires at 12 s too. */
    udp(w, 0, "10.0.2.1", 1, 0);
    udp(w, 10, "10.0.2.2", 2, 0);
    udp(w, 12, "10.0.2.3", 3, 0);
    pcapw_close(w);
    const expect ex[] = {
        {10, 0, 0, "10.0.2.1", 1, 1, 28, "inactive"},
        {12, 10, 10, "10.0.2.2", 2, 1, 28, "inactive"},
        {12, 12, 12, "10.0.2.3", 3, 1, 28, "flush"},
    };
    check_records(path, "netflow:entries=4,dyn_hwm=0.5,dyn_inactive=1s", NULL, ex, 3);
    pcapw_rmdir(dir);
}

/* Memory and export accounting on a known trace: peak entries, the
 * time-average (integral of live entries over the trace span), records by
 * reason and v5 bytes. */
TEST(netflow_resources)
{
    char dir[64], path[128], out[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/res.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* A at 0..10 s (live 0-10 s), B at 5 s only (live 5-20 s with inactive
     * 15 s), trace ends at 20 s with C. Live entries: 1 on [0,5), 2 on
     * [5,10), 2 on [10,20) (A is still live until 25 s)... A's last packet
     * is at 10 s, so A lives until the end (flush at 20 s); B expires at
     * 20 s exactly (5 + 15) — as an event due at the packet's time it fires
     * before C is metered. Integral: 1*5 + 2*15 = 35 entry-s over 20 s
     * = 1.75 mean; peak 2 (C is added after B left). */
    udp(w, 0, "10.0.3.1", 1, 0);
    udp(w, 5, "10.0.3.2", 2, 0);
    udp(w, 10, "10.0.3.1", 1, 0);
    udp(w, 20, "10.0.3.3", 3, 0);
    pcapw_close(w);
    const char *traces[] = {path};
    const char *specs[] = {"netflow"};
    CHECK_EQ_I(th_run(traces, 1, specs, 1, "bin=inf", out, sizeof out), 0);
    double v[1];
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "mem_peak_entries", v, 1), 1);
    CHECK_NEAR(v[0], 2, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "mem_mean_entries", v, 1), 1);
    CHECK_NEAR(v[0], 1.75, 1e-9);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "mem_peak_bytes", v, 1), 1);
    CHECK_NEAR(v[0], 128, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "reason", "inactive", "export_records", v, 1), 1);
    CHECK_NEAR(v[0], 1, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "reason", "flush", "export_records", v, 1), 1);
    CHECK_NEAR(v[0], 2, 0);
    /* v5: B alone in a datagram sent 1 s (export_delay) after 20 s? No:
     * the trace ends at 20 s and the end flushes everything, so B, A and C
     * share one datagram: 24 + 3 * 48 = 168 bytes. */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_bytes_v5", v, 1), 1);
    CHECK_NEAR(v[0], 168, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_datagrams", v, 1), 1);
    CHECK_NEAR(v[0], 1, 0);
    /* v9: header 20 + template flowset (4 + 2 templates x (4 + 11 x 4) = 100)
     * + data flowset 4 + 3 x 39 = 121, padded to 124: 244 bytes. */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_bytes_v9", v, 1), 1);
    CHECK_NEAR(v[0], 244, 0);
    /* IPFIX: 16 + template set (4 + 2 x (4 + 12 x 4) = 108) + 4 + 3 x 49 =
     * 275 bytes (no padding). */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_bytes_ipfix", v, 1), 1);
    CHECK_NEAR(v[0], 275, 0);
    /* exact estimates and flows for unsampled NetFlow */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_flows", v, 1), 1);
    CHECK_NEAR(v[0], 3, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "rel_err_bytes", v, 1), 1);
    CHECK_NEAR(v[0], 0, 0);
    th_cleanup(out);
    pcapw_rmdir(dir);
}

/* The direct meter harness against the same rules: one flow of 5 packets
 * 1 s apart with inactive 2 s is one record; a 3 s gap splits it. */
static void count_rec(void *ctx, const fs_record *r)
{
    uint64_t *n = ctx;
    n[0]++;
    n[1] += r->pkts;
}

TEST(netflow_direct_harness)
{
    fs_pkt p[6];
    for (int i = 0; i < 5; i++)
        p[i] = th_pkt((fs_ns)i * FS_NS_PER_S, 7, 17, 100, 0);
    p[5] = th_pkt(8 * FS_NS_PER_S, 7, 17, 100, 0);
    uint64_t n[2] = {0, 0};
    th_meter_out o;
    CHECK_EQ_I(th_meter("netflow:inactive=2s", 1, p, 6, count_rec, n, &o), 0);
    CHECK_EQ_U(n[0], 2);
    CHECK_EQ_U(n[1], 6);
    CHECK_EQ_I(o.peak_entries, 1);
    CHECK_EQ_U(o.records, 2);
}
