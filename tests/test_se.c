/* flowsim — statistical test of the standard errors at every level of
 * aggregation: over R pinned seeds, the mean of est_*_se^2 must match the
 * observed variance of est_* for the whole trace (bin all), with analysis
 * bins of 5 s, 60 s and inf, for bytes and packets, for the total and for
 * one application port (key_totals trace), for every algorithm that gives
 * a variance; where none is known (a record stage that changes weights)
 * the standard error must be nan, never a number.
 *
 * The input is made here: flows of several ports, many of which span
 * dozens of 5 s bins and several 60 s bins with silent gaps, so that a
 * record's shares of several bins are correlated (the whole-trace variance
 * of a record is (sum_b f_b)^2 Var, not sum_b f_b^2 Var).
 *
 * Tolerance. The estimates are unbiased (tests/test_stats.c and the
 * algorithms' own tests), so E[(est - truth)^2] = Var(est) = E[se^2] when
 * the standard errors are right. Per replicate d = (est - truth)^2 - se^2
 * has mean 0; its sample standard deviation over the R replicates gives,
 * by the central limit theorem, the tolerance |mean d| <= Z sd(d)/sqrt(R),
 * here as a tolerance on the ratio mean((est - truth)^2) / mean(se^2)
 * around 1. Z = 3.5 (two-sided normal tail 5e-4 per check). The test also
 * checks that this tolerance is at most 10 %, i.e. that R is large enough
 * to tell a 10 % error in the variances; R = 4000 gives 7-10 % here.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "pcapw.h"
#include "tf.h"

enum { R = 4000 };
static const double Z = 3.5;
static const double TOL_MAX = 0.10;

/* ---- the input --------------------------------------------------------- */
typedef struct spkt {
    int64_t ts;
    uint16_t flow, len;
} spkt;

static int cmp_spkt(const void *a, const void *b)
{
    const spkt *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts ? 1 : (x->flow > y->flow) - (x->flow < y->flow);
}

enum { NFLOWS = 60, NPORTS = 3, MAXPK = 4000 };
#define PORT0 8000

/* Deterministic: a small LCG, so the input is the same on every machine. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int make_trace(const char *path)
{
    static spkt p[MAXPK];
    int n = 0;
    uint32_t s = 12345;
    for (int f = 0; f < NFLOWS; f++) {
        int64_t t = (int64_t)(lcg(&s) % 60000) * 1000000;   /* start in 0..60 s */
        int long_flow = f % 3 == 0;
        int npk = long_flow ? 60 + (int)(lcg(&s) % 40) : 5 + (int)(lcg(&s) % 20);
        for (int i = 0; i < npk && n < MAXPK; i++) {
            /* gaps: mostly 0.05-1 s, now and then a silent 10-30 s */
            int64_t gap = (int64_t)(50 + lcg(&s) % 950) * 1000000;
            if (long_flow && lcg(&s) % 20 == 0)
                gap += (int64_t)(10000 + lcg(&s) % 20000) * 1000000;
            t += gap;
            p[n].ts = t;
            p[n].flow = (uint16_t)f;
            p[n].len = (uint16_t)(lcg(&s) % 4 ? lcg(&s) % 1400 : 0);
            n++;
        }
    }
    qsort(p, (size_t)n, sizeof *p, cmp_spkt);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w)
        return -1;
    for (int i = 0; i < n; i++) {
        int f = p[i].flow;
        char src[32];
        snprintf(src, sizeof src, "10.0.%d.%d", f / 200, 1 + f % 200);
        pcapw_pkt k = f % 4 == 3 ? pcapw_udp(src, (uint16_t)(20000 + f), "10.9.0.1",
                                             (uint16_t)(PORT0 + f % NPORTS))
                                 : pcapw_tcp(src, (uint16_t)(20000 + f), "10.9.0.1",
                                             (uint16_t)(PORT0 + f % NPORTS), 0x10);
        k.payload_len = p[i].len;
        if (pcapw_put(w, p[i].ts, &k)) {
            pcapw_close(w);
            return -1;
        }
    }
    return pcapw_close(w);
}

/* ---- reading the rows we need, in one pass ------------------------------ */
enum { V_EST_BY, V_SE_BY, V_EST_PK, V_SE_PK, V_TRUE_BY, V_TRUE_PK, V__N };
static const char *const vmetric[V__N] = {"est_bytes", "est_bytes_se", "est_packets",
                                          "est_packets_se", "true_bytes", "true_packets"};
enum { A_TOTAL, A_PORT, A__N };

typedef struct vals {
    double *x[A__N][V__N];   /* [agg][metric][pipeline * R + replicate] */
} vals;

static int read_vals(const char *dir, int npipe, const char *port_key, vals *v)
{
    memset(v, 0, sizeof *v);
    for (int a = 0; a < A__N; a++)
        for (int m = 0; m < V__N; m++) {
            v->x[a][m] = malloc((size_t)npipe * R * sizeof(double));
            if (!v->x[a][m])
                return -1;
            for (size_t i = 0; i < (size_t)npipe * R; i++)
                v->x[a][m][i] = NAN;
        }
    char path[600], line[8192];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char *fld[10];
        int k = 0;
        for (char *s = line, *tok; k < 10 && (tok = strsep(&s, ",")); k++)
            fld[k] = tok;
        if (k != 10 || strcmp(fld[5], "all"))
            continue;
        int a = !strcmp(fld[6], "total") && !strcmp(fld[7], "all") ? A_TOTAL
                : !strcmp(fld[6], "dport") && !strcmp(fld[7], port_key) ? A_PORT : -1;
        if (a < 0)
            continue;
        for (int m = 0; m < V__N; m++)
            if (!strcmp(fld[8], vmetric[m])) {
                int p = atoi(fld[0] + 1), r = atoi(fld[3]);
                if (p >= 0 && p < npipe && r >= 0 && r < R)
                    v->x[a][m][(size_t)p * R + (size_t)r] = strtod(fld[9], NULL);
            }
    }
    fclose(f);
    return 0;
}

static void vals_free(vals *v)
{
    for (int a = 0; a < A__N; a++)
        for (int m = 0; m < V__N; m++)
            free(v->x[a][m]);
}

/* Checks, over R replicates, that the mean of se^2 equals the mean squared
 * error (est - truth)^2 (the estimates are unbiased, so this is their
 * variance). Paired per replicate: d = (est - truth)^2 - se^2 has mean 0,
 * and its sample standard deviation gives the tolerance by the central
 * limit theorem: |mean(d)| <= Z sd(d) / sqrt(R). In units of mean(se^2)
 * this tolerance on the ratio mean((est - truth)^2) / mean(se^2) must be
 * at most TOL_MAX. */
static void check_ratio(const char *what, const double *est, const double *se, double truth,
                        int upper_bound)
{
    double md = 0, q = 0, mse = 0, sd2 = 0;
    int bad = 0;
    for (int i = 0; i < R; i++) {
        bad |= isnan(est[i]) || isnan(se[i]);
        double e2 = (est[i] - truth) * (est[i] - truth);
        md += e2 - se[i] * se[i];
        q += se[i] * se[i];
        mse += e2;
    }
    md /= R;
    q /= R;
    mse /= R;
    for (int i = 0; i < R; i++) {
        double d = (est[i] - truth) * (est[i] - truth) - se[i] * se[i] - md;
        sd2 += d * d;
    }
    double tol = Z * sqrt(sd2 / (R - 1) / R) / q;
    fprintf(stderr, "    %-58s mse/mean(se^2) = %.4f  (tolerance %.4f)\n", what, mse / q, tol);
    CHECK(!bad);
    CHECK(q > 0);
    CHECK(tol <= TOL_MAX);
    if (upper_bound)
        CHECK(mse / q <= 1.0 + tol);
    else
        CHECK_NEAR(mse / q, 1.0, tol);
}

/* Pipelines with a variance, checked at every bin length. Adaptive NetFlow
 * under memory pressure (renormalization, proportional byte scaling) gives
 * the exact-thinning variance, an upper bound (algorithms.md §2.3): its
 * check is one-sided, the standard error must not be too small. */
static const struct {
    const char *spec;
    int upper_bound;
} with_var[] = {
    {"sampled-netflow:rate=1/8", 0},
    {"sample-and-hold:p=1/2000", 0},
    {"flow-slices:q=1,p=1/4,t=120s", 0},
    {"flow-slices:q=1/2,p=1/2,t=10s", 0},
    {"adaptive-netflow:p_max=1/4,entries=1000000", 0},
    {"adaptive-netflow:p_max=1/2,entries=24,bin=60s", 1},
};
enum { NVAR = sizeof with_var / sizeof *with_var };

/* One run per pipeline: a replicate holds a temporary file open, and R
 * replicates of every pipeline at once would need more open files than a
 * default limit allows. */
static void run_bin(const char *trace, const char *bin)
{
    const char *traces[] = {trace};
    char port[32];
    snprintf(port, sizeof port, "tcp/%d", PORT0);
    for (int p = 0; p < NVAR; p++) {
        char out[512], opts[256];
        snprintf(opts, sizeof opts,
                 "seeds=%d,seed=7,bin=%s,key_totals=trace,topk=%d,bin_rows=none,records=none,"
                 "timeseries=none",
                 R, bin, NPORTS);
        CHECK_EQ_I(th_run(traces, 1, &with_var[p].spec, 1, opts, out, sizeof out), 0);
        vals v;
        if (read_vals(out, 1, port, &v) == 0) {
            for (int a = 0; a < A__N; a++) {
                const char *an = a == A_TOTAL ? "total" : port;
                char w[160];
                snprintf(w, sizeof w, "bin %s %s %s bytes", bin, with_var[p].spec, an);
                check_ratio(w, v.x[a][V_EST_BY], v.x[a][V_SE_BY], v.x[a][V_TRUE_BY][0],
                            with_var[p].upper_bound);
                snprintf(w, sizeof w, "bin %s %s %s packets", bin, with_var[p].spec, an);
                check_ratio(w, v.x[a][V_EST_PK], v.x[a][V_SE_PK], v.x[a][V_TRUE_PK][0],
                            with_var[p].upper_bound);
            }
        } else {
            CHECK(!"results.csv could not be read");
        }
        vals_free(&v);
        th_cleanup(out);
    }
}

static void run_bin_trace(const char *bin)
{
    char dir[256], trace[600];
    CHECK_EQ_I(pcapw_tmpdir(dir, sizeof dir), 0);
    snprintf(trace, sizeof trace, "%s/se.pcap", dir);
    CHECK_EQ_I(make_trace(trace), 0);
    run_bin(trace, bin);
    pcapw_rmdir(dir);
}

TEST(stats_se_bins_5s)
{
    run_bin_trace("5s");
}

TEST(stats_se_bins_60s)
{
    run_bin_trace("60s");
}

TEST(stats_se_bins_inf)
{
    run_bin_trace("inf");
}

/* Where no variance is known the standard error is nan at every level, never
 * a number; unsampled NetFlow's is 0 and its estimates exact. */
TEST(se_unknown_is_nan)
{
    char dir[256], trace[600], out[512];
    CHECK_EQ_I(pcapw_tmpdir(dir, sizeof dir), 0);
    snprintf(trace, sizeof trace, "%s/se.pcap", dir);
    CHECK_EQ_I(make_trace(trace), 0);
    const char *traces[] = {trace};
    const char *specs[] = {"sampled-netflow:rate=1/8|uniform:rate=1/2",
                           "sampled-netflow:rate=1/8|smart:zb=20000", "netflow"};
    enum { N = 3, REPS = 3 };
    static const char *const bins[] = {"5s", "inf"};
    for (int b = 0; b < 2; b++) {
        char opts[256];
        snprintf(opts, sizeof opts,
                 "seeds=%d,bin=%s,key_totals=trace,topk=%d,bin_rows=all,records=none,"
                 "timeseries=none",
                 REPS, bins[b], NPORTS);
        CHECK_EQ_I(th_run(traces, 1, specs, N, opts, out, sizeof out), 0);
        char port[32];
        snprintf(port, sizeof port, "tcp/%d", PORT0);
        for (int p = 0; p < N; p++) {
            static const char *const se[] = {"est_bytes_se", "est_packets_se"};
            for (int m = 0; m < 2; m++) {
                double v[REPS], e[REPS], t[REPS];
                const char *where[][2] = {{"total", "all"}, {"proto", "tcp"}, {"dport", port}};
                for (int w = 0; w < 3; w++) {
                    CHECK_EQ_I(th_metric(out, p, "all", where[w][0], where[w][1], se[m], v,
                                         REPS), REPS);
                    CHECK_EQ_I(th_metric(out, p, "all", where[w][0], where[w][1],
                                         m ? "est_packets" : "est_bytes", e, REPS), REPS);
                    CHECK_EQ_I(th_metric(out, p, "all", where[w][0], where[w][1],
                                         m ? "true_packets" : "true_bytes", t, REPS), REPS);
                    for (int r = 0; r < REPS; r++) {
                        if (p < 2) {
                            CHECK(isnan(v[r]));
                        } else {
                            CHECK_NEAR(v[r], 0, 0);
                            CHECK_NEAR(e[r], t[r], 0);
                        }
                    }
                }
                /* a per-bin row */
                CHECK_EQ_I(th_metric(out, p, "0", "total", "all", se[m], v, REPS), REPS);
                for (int r = 0; r < REPS; r++)
                    CHECK(p < 2 ? isnan(v[r]) : v[r] == 0);
            }
        }
        th_cleanup(out);
    }
    pcapw_rmdir(dir);
}
