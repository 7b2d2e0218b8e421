/* flowsim — statistical tests of Sampled NetFlow's estimators over many
 * seeds, on real captures, through the whole engine.
 *
 * Seeds are pinned (master seed 1 unless stated), so the outcome is fixed;
 * the tolerances are what theory and the number of replicates R give, set
 * so that a correct implementation fails with probability below ~1e-4 per
 * check:
 *   mean      |mean - truth| <= 4.5 * sigma / sqrt(R)  (normal tail 7e-6)
 *   variance  |s^2/sigma^2 - 1| <= 4.5 * sqrt(2/(R-1) + g/R), where g is the
 *             excess kurtosis of the estimator computed from the trace
 *             (the variance of a sample variance is sigma^4 (2/(R-1) + g/R)).
 * For independent sampling with probability q of a total X = sum x_i:
 *   Var = (1/q - 1) sum x_i^2, excess kurtosis
 *   g = (1 - 6q(1-q)) / (q(1-q)) * sum x_i^4 / (sum x_i^2)^2.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ftab.h"
#include "harness.h"
#include "reader.h"
#include "tf.h"

#define R 400
#define BITTORRENT "../traces/real/ndpi_bittorrent_transmission.pcapng"
#define SYNSCAN "../traces/real/ndpi_synscan.pcap"

typedef struct trace_sums {
    double pkts, bytes, b2, b4;
} trace_sums;

static trace_sums sums_of(const char *path)
{
    trace_sums s = {0, 0, 0, 0};
    fs_reader *r;
    char err[512];
    const char *p[] = {path};
    if (fs_reader_open(&r, p, 1, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return s;
    }
    fs_pkt k;
    while (fs_reader_next(r, &k, err, sizeof err) == 1) {
        double b = k.ip_len;
        s.pkts++;
        s.bytes += b;
        s.b2 += b * b;
        s.b4 += b * b * b * b;
    }
    fs_reader_close(r);
    return s;
}

static void mean_var(const double *x, int n, double *m, double *v)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *m = s / n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *m) * (x[i] - *m);
    *v = ss / (n - 1);
}

/* Checks mean and variance of R estimates of a total against theory. */
static void check_total(const double *est, double truth, double q, double sx2, double sx4,
                        int check_variance)
{
    double m, v;
    mean_var(est, R, &m, &v);
    double sigma2 = (1 / q - 1) * sx2;
    CHECK_NEAR(m, truth, 4.5 * sqrt(sigma2 / R));
    if (check_variance) {
        double g = (1 - 6 * q * (1 - q)) / (q * (1 - q)) * sx4 / (sx2 * sx2);
        CHECK_NEAR(v / sigma2, 1.0, 4.5 * sqrt(2.0 / (R - 1) + g / R));
    }
}

TEST(stats_sampled_netflow_random)
{
    trace_sums t = sums_of(BITTORRENT);
    CHECK_NEAR(t.pkts, 7723, 0);
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {"sampled-netflow:rate=1/10,mode=random",
                           "sampled-netflow:rate=1/100,mode=random",
                           "netflow:psamp=random,psamp_rate=1/10"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 3, "seeds=400,bin=inf,records=none,timeseries=none",
                      out, sizeof out), 0);
    const double qs[] = {0.1, 0.01, 0.1};
    for (int p = 0; p < 3; p++) {
        double eb[R], ep[R], se[R];
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_bytes", eb, R), R);
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_packets", ep, R), R);
        check_total(eb, t.bytes, qs[p], t.b2, t.b4, 1);
        /* packets: x_i = 1 */
        check_total(ep, t.pkts, qs[p], t.pkts, t.pkts, 1);
        /* The reported standard error squared is an unbiased estimate of
         * the variance: (1/q)(1/q-1) sum over sampled b^2 has mean
         * (1/q-1) sum b^2 and variance ((1/q)(1/q-1))^2 q(1-q) sum b^4. */
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_bytes_se", se, R), R);
        double s2[R];
        for (int i = 0; i < R; i++)
            s2[i] = se[i] * se[i];
        double m, v;
        mean_var(s2, R, &m, &v);
        double q = qs[p], c = (1 / q) * (1 / q - 1);
        CHECK_NEAR(m, (1 / q - 1) * t.b2, 4.5 * sqrt(c * c * q * (1 - q) * t.b4 / R));
    }
    th_cleanup(out);
}

/* Systematic, window and hash selection: every packet has inclusion
 * probability q, so the estimates are unbiased; their variance is not the
 * Bernoulli one, so the mean is tested against the observed spread. */
TEST(stats_sampled_netflow_other_modes)
{
    trace_sums t = sums_of(BITTORRENT);
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {"sampled-netflow:rate=1/10,mode=systematic",
                           "sampled-netflow:rate=1/10,mode=window",
                           "sampled-netflow:rate=3/10,mode=window,n=3",
                           "sampled-netflow:rate=1/10,mode=hash"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 4, "seeds=400,bin=inf,records=none,timeseries=none",
                      out, sizeof out), 0);
    for (int p = 0; p < 4; p++) {
        double eb[R], ep[R], m, v;
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_bytes", eb, R), R);
        mean_var(eb, R, &m, &v);
        CHECK_NEAR(m, t.bytes, 4.5 * sqrt(v / R));
        CHECK(v > 0);
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_packets", ep, R), R);
        mean_var(ep, R, &m, &v);
        if (p < 3) {
            /* count-based selection: exactly n of every N consecutive
             * packets, so the packet count is within one block of truth */
            for (int i = 0; i < R; i++)
                CHECK(fabs(ep[i] - t.pkts) <= 10.0 + 1e-9);
        } else {
            CHECK_NEAR(m, t.pkts, 4.5 * sqrt(v / R) + 1e-9);
        }
    }
    th_cleanup(out);
}

/* SYN-based TCP arrival estimators M1 and M2 (algorithms.md §2.6) on the
 * SYN-scan capture. Their exact expectation per flow with S packets of
 * which k carry SYN (a record exists if any packet is sampled; M2 gives 1/q
 * when exactly one packet, a SYN, is sampled, else 1) is
 *   E[M1] = (1 - (1-q)^k) / q,
 *   E[M2] = 1 - (1-q)^S + k q (1-q)^(S-1) (1/q - 1);
 * both equal 1 when k = 1 (one SYN, as the estimators assume).
 * The expectations are computed from the trace and compared with the mean
 * over seeds (the spread is taken from the replicates). */
typedef struct sent { FS_FTAB_ENTRY_HEAD; double s, k; } sent;

TEST(stats_syn_estimators)
{
    const double q = 0.25;
    fs_ftab tab;
    CHECK(fs_ftab_init(&tab, sizeof(sent), 1024, 0, 0) == 0);
    fs_reader *rd;
    char err[512];
    const char *p1[] = {SYNSCAN};
    CHECK(fs_reader_open(&rd, p1, 1, err, sizeof err) == 0);
    fs_pkt k;
    while (fs_reader_next(rd, &k, err, sizeof err) == 1) {
        if (k.key.proto != 6)
            continue;
        int created;
        uint32_t i = fs_ftab_upsert(&tab, &k.key, fs_key_hash(&k.key, 0), &created);
        sent *e = fs_ftab_ent(&tab, i);
        e->s++;
        e->k += (k.tcp_flags & FS_TCP_SYN) != 0;
    }
    fs_reader_close(rd);
    double e1 = 0, e2 = 0, arrivals = 0;
    for (uint32_t i = 0; i < tab.hwm; i++) {
        if (!fs_ftab_live(&tab, i))
            continue;
        const sent *e = fs_ftab_ent(&tab, i);
        e1 += (1 - pow(1 - q, e->k)) / q;
        e2 += 1 - pow(1 - q, e->s) + e->k * q * pow(1 - q, e->s - 1) * (1 / q - 1);
        arrivals += e->k > 0;
    }
    fs_ftab_free(&tab);
    const char *traces[] = {SYNSCAN};
    const char *specs[] = {"sampled-netflow:rate=1/4,inactive=inf,active=inf,finrst=no"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 1, "seeds=400,bin=inf,records=none,timeseries=none",
                      out, sizeof out), 0);
    double a1[R], a2[R], tr[R], m, v;
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_tcp_arrivals", tr, R), R);
    CHECK_NEAR(tr[0], arrivals, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_tcp_arrivals", a1, R), R);
    mean_var(a1, R, &m, &v);
    CHECK_NEAR(m, e1, 4.5 * sqrt(v / R));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_tcp_arrivals_m2", a2, R), R);
    mean_var(a2, R, &m, &v);
    CHECK_NEAR(m, e2, 4.5 * sqrt(v / R));
    th_cleanup(out);
}
