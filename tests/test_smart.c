/* flowsim — smart sampling (record stage `smart`) and sample and hold
 * (`sample-and-hold`): known answers, unbiasedness and variance against
 * the formulas of algorithms/smart_sampling.c and algorithms/sample_and_hold.c.
 *
 * Seeds are pinned, so every outcome is fixed; tolerances are what theory
 * and the number of replicates R give, set so that a correct implementation
 * fails a check with probability below ~1e-4 (as in test_stats.c):
 *   mean      |mean - expectation| <= 4.5 sigma / sqrt(R), sigma from the
 *             exact variance, from an upper bound on it (smart sampling:
 *             Var <= z X, algorithms.md §2.5), or from the replicates when
 *             no formula applies (said at each check);
 *   variance  |s²/sigma² - 1| <= 4.5 sqrt(2/(R-1) + g/R), g the excess
 *             kurtosis of the estimator (exact, or from the fourth moment).
 * Smart sampling is driven two ways: through the whole engine (th_run,
 * meters on a real capture) and, for the many-seed statistics, directly: a
 * fixed list of records (from the NetFlow meter run once over the capture,
 * or synthetic) goes through the stage chain parsed from a pipeline spec,
 * with the meter's own estimator as env->estimate, as the engine does.
 * Set TF_VERBOSE=1 to print the measured numbers quoted in the comments.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "engine.h"
#include "rng.h"
#include "ftab.h"
#include "harness.h"
#include "reader.h"
#include "tf.h"

#define BITTORRENT "../traces/real/ndpi_bittorrent_transmission.pcapng"

static int verbose(void)
{
    return getenv("TF_VERBOSE") != NULL;
}

static void mean_var(const double *x, int n, double *m, double *v)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *m = s / n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *m) * (x[i] - *m);
    *v = n > 1 ? ss / (n - 1) : 0;
}

/* Tolerance of a sample variance of n draws around sigma2, from the sample
 * fourth central moment m4 (Var s² ≈ (m4 - sigma⁴)/n + 2 sigma⁴/(n(n-1))). */
static double var_tol(const double *x, int n, double sigma2)
{
    double m, v, m4 = 0;
    mean_var(x, n, &m, &v);
    for (int i = 0; i < n; i++)
        m4 += pow(x[i] - m, 4);
    m4 /= n;
    double vs = (m4 - v * v) / n + 2 * v * v / ((double)n * (n - 1));
    return 4.5 * sqrt(vs > 0 ? vs : 0) / sigma2;
}

/* ---- the trace in memory ------------------------------------------------------ */

/* Packets of a capture keyed as the engine keys them by default (ToS in,
 * VLAN out) with the key hash the meters expect (seed 0). */
static fs_pkt *load_trace(const char *path, size_t *n)
{
    fs_reader *rd;
    char err[512];
    const char *p[] = {path};
    *n = 0;
    if (fs_reader_open(&rd, p, 1, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    size_t cap = 1024;
    fs_pkt *v = malloc(cap * sizeof *v), k;
    while (v && fs_reader_next(rd, &k, err, sizeof err) == 1) {
        if (*n == cap) {
            fs_pkt *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                free(v);
                v = NULL;
                break;
            }
            v = nv;
            cap *= 2;
        }
        k.data = NULL;
        k.key.vlan = 0;
        k.key_hash = fs_key_hash(&k.key, 0);
        v[(*n)++] = k;
    }
    fs_reader_close(rd);
    return v;
}

typedef struct reclist {
    fs_record *r;
    size_t n, cap;
} reclist;

static void rl_add(void *ctx, const fs_record *r)
{
    reclist *l = ctx;
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 256;
        fs_record *nr = realloc(l->r, c * sizeof *nr);
        if (!nr)
            return;
        l->r = nr;
        l->cap = c;
    }
    l->r[l->n] = *r;
    l->r[l->n].bin_pkts = NULL;
    l->r[l->n].bin_bytes = NULL;
    l->n++;
}

/* The NetFlow records of the BitTorrent capture (default parameters, as the
 * engine makes them: the meter is deterministic). */
static reclist netflow_records(void)
{
    reclist l = {NULL, 0, 0};
    size_t n;
    fs_pkt *p = load_trace(BITTORRENT, &n);
    if (p && th_meter("netflow", 1, p, n, rl_add, &l, NULL))
        l.n = 0;
    free(p);
    return l;
}

/* ---- driving record stages directly ---------------------------------------- */
typedef struct hop {
    const fs_stage *stage;
    void *state;
} hop;

typedef struct chain {
    fs_pipeline_spec ps;
    hop hops[FS_MAX_STAGES];
    gsl_rng *rng;
    int simple;                /* estimate = counts x weight (synthetic records) */
    /* sink: sums of the estimates of the records leaving the chain */
    double pkts, bytes, arr;
    uint64_t out;
    void (*on_out)(void *ctx, const fs_record *r);
    void *out_ctx;
} chain;

static void add_contrib(void *ctx, int64_t bin, const fs_contrib *c)
{
    (void)bin;
    double *e = ctx;
    e[0] += c->pkts;
    e[1] += c->bytes;
    e[2] += c->arrivals;
}

static void add_contrib_var(void *ctx, int64_t bin, const fs_contrib *c)
{
    double *e = ctx;
    add_contrib(ctx, bin, c);
    e[3] += c->var_pkts;
    e[4] += c->var_bytes;
}

static void whole_estimate(const chain *c, const fs_record *r, double e[3])
{
    e[0] = e[1] = e[2] = 0;
    if (c->simple) {
        e[0] = (double)r->pkts * r->weight;
        e[1] = r->bytes * r->weight;
        e[2] = (r->tcp_flags & FS_TCP_SYN) ? r->weight : 0;
        return;
    }
    fs_binning one = {FS_NS_INF};
    c->ps.algo->estimate(c->ps.aparams, r, &one, add_contrib, e);
}

static void ch_estimate(void *ctx, const fs_record *r, double *pk, double *by, double *ar)
{
    double e[3];
    whole_estimate(ctx, r, e);
    *pk = e[0];
    *by = e[1];
    *ar = e[2];
}

static void ch_sink(void *ctx, const fs_record *r)
{
    chain *c = ctx;
    double e[3];
    whole_estimate(c, r, e);
    c->pkts += e[0];
    c->bytes += e[1];
    c->arr += e[2];
    c->out++;
    if (c->on_out)
        c->on_out(c->out_ctx, r);
}

static void ch_to(void *ctx, const fs_record *r)
{
    hop *h = ctx;
    h->stage->record(h->state, r);
}

static void ch_close(chain *c)
{
    for (int j = 0; j < c->ps.nstages; j++) {
        if (c->hops[j].state && c->hops[j].stage->destroy)
            c->hops[j].stage->destroy(c->hops[j].state);
        free(c->hops[j].state);
    }
    if (c->rng)
        gsl_rng_free(c->rng);
    fs_pipeline_free(&c->ps);
    memset(c, 0, sizeof *c);
}

/* spec: "meter|stage|..." — the meter names the estimator (unless simple). */
static int ch_open(chain *c, const char *spec, uint64_t seed, int simple)
{
    char err[1024];
    memset(c, 0, sizeof *c);
    if (fs_pipeline_parse(spec, &c->ps, err, sizeof err)) {
        fprintf(stderr, "ch_open: %s\n", err);
        return -1;
    }
    c->simple = simple;
    c->rng = fs_rng_alloc(seed);   /* the engine's replicate generator */
    fs_emit_fn next = ch_sink;
    void *next_ctx = c;
    for (int j = c->ps.nstages - 1; j >= 0; j--) {
        hop *h = &c->hops[j];
        h->stage = c->ps.stages[j].stage;
        h->state = calloc(1, h->stage->state_size);
        fs_stage_env env = {c->rng, next, next_ctx, ch_estimate, c};
        if (!h->state || h->stage->init(h->state, c->ps.stages[j].params, &env, err, sizeof err)) {
            fprintf(stderr, "ch_open: %s\n", err);
            ch_close(c);
            return -1;
        }
        next = ch_to;
        next_ctx = h;
    }
    return 0;
}

static void ch_record(chain *c, const fs_record *r)
{
    c->hops[0].stage->record(c->hops[0].state, r);
}

typedef struct statq {
    const char *name;
    double v;
} statq;

static void stat_fn(void *ctx, const char *name, double v)
{
    statq *q = ctx;
    if (!strcmp(name, q->name))
        q->v = v;
}

/* A statistic of stage j of the chain (NAN if absent). */
static double ch_stat(const chain *c, int j, const char *name)
{
    statq q = {name, NAN};
    c->hops[j].stage->stats(c->hops[j].state, stat_fn, &q);
    return q.v;
}

static fs_record mkrec(double bytes, uint64_t pkts, int syn, fs_ns exported)
{
    fs_record r;
    fs_record_init(&r);
    r.key.proto = 6;
    r.bytes = bytes;
    r.pkts = pkts;
    r.tcp_flags = syn ? FS_TCP_SYN : 0;
    r.syn_pkts = syn ? 1 : 0;
    r.first = r.last = r.exported = exported;
    return r;
}

/* ---- smart sampling --------------------------------------------------------- */

/* Per-record law of plain smart sampling at z = 1000 bytes, by size: each
 * record is offered M times. A record of x < z bytes is kept with
 * probability x/z and then estimates exactly z; its estimate has mean x and
 * variance x(z - x) (Bernoulli(r) scaled by z: excess kurtosis
 * (1 - 6r(1-r))/(r(1-r))). A record of x >= z always passes, unchanged. */
typedef struct keep_acc {
    double x, w_sum, sq, n, bad;
    double z;
} keep_acc;

static void keep_fn(void *ctx, const fs_record *r)
{
    keep_acc *a = ctx;
    double e = r->bytes * r->weight;
    a->n++;
    a->w_sum += e;
    a->sq += e * e;
    if (fabs(e - fmax(a->x, a->z)) > 1e-9 * a->z)
        a->bad++;
}

TEST(smart_record_law)
{
    const double z = 1000;
    const int M = 20000;
    const double xs[] = {5, 50, 300, 500, 900, 999, 1000, 2500};
    for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
        double x = xs[k];
        chain c;
        CHECK(ch_open(&c, "netflow|smart:zb=1000", 100 + k, 1) == 0);
        keep_acc a = {x, 0, 0, 0, 0, z};
        c.on_out = keep_fn;
        c.out_ctx = &a;
        fs_record r = mkrec(x, 1, 0, 0);
        for (int i = 0; i < M; i++)
            ch_record(&c, &r);
        double m = a.w_sum / M, v = (a.sq - M * m * m) / (M - 1);
        CHECK_NEAR(a.bad, 0, 0);
        if (x >= z) {
            CHECK_NEAR(a.n, M, 0);
            CHECK_NEAR(v, 0, 1e-6);
        } else {
            double rr = x / z, s2 = x * (z - x);
            double g = (1 - 6 * rr * (1 - rr)) / (rr * (1 - rr));
            CHECK_NEAR(m, x, 4.5 * sqrt(s2 / M));
            CHECK_NEAR(v / s2, 1.0, 4.5 * sqrt(2.0 / (M - 1) + g / M));
            /* kept count: binomial(M, x/z) */
            CHECK_NEAR(a.n, M * rr, 4.5 * sqrt(M * rr * (1 - rr)));
        }
        CHECK_NEAR(ch_stat(&c, 0, "smart_expected_out"), M * fmin(1, x / z), 1e-6 * M);
        CHECK_NEAR(ch_stat(&c, 0, "smart_records_out"), a.n, 0);
        CHECK_NEAR(ch_stat(&c, 0, "smart_records_in"), M, 0);
        if (verbose())
            fprintf(stderr, "  smart x=%g z=%g: mean %.2f var %.4g (theory %.4g) kept %.0f/%d\n",
                    x, z, m, v, x < z ? x * (z - x) : 0, a.n, M);
        ch_close(&c);
    }
}

/* Expected number of kept records: a heavy-tailed set of records
 * (x_i = 40 / u_i^(1/1.2), Pareto, fixed) through smart:zb=2000. Over S
 * seeds, the kept count has mean sum min(1, x_i/z) and variance
 * sum r_i(1 - r_i): the mean over seeds must be within 4.5 sqrt of that
 * over S, and the byte total within 4.5 sqrt(z X / S) of X (the bound). */
TEST(smart_expected_records)
{
    enum { N = 3000, S = 200 };
    const double z = 2000;
    static fs_record rec[N];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 7);
    double er = 0, vr = 0, X = 0, vx = 0;
    for (int i = 0; i < N; i++) {
        double x = floor(40 / pow(1 - gsl_rng_uniform(g), 1 / 1.2));
        rec[i] = mkrec(x, 1, 0, 0);
        double r = fmin(1, x / z);
        er += r;
        vr += r * (1 - r);
        X += x;
        vx += x < z ? x * (z - x) : 0;
    }
    gsl_rng_free(g);
    double kept[S], tot[S];
    for (int s = 0; s < S; s++) {
        chain c;
        CHECK(ch_open(&c, "netflow|smart:zb=2000", 1000 + s, 1) == 0);
        for (int i = 0; i < N; i++)
            ch_record(&c, &rec[i]);
        kept[s] = (double)c.out;
        tot[s] = c.bytes;
        CHECK_NEAR(ch_stat(&c, 0, "smart_expected_out"), er, 1e-9 * er);
        if (s == 0) /* one seed alone: binomial error */
            CHECK_NEAR(kept[0], er, 4.5 * sqrt(vr));
        ch_close(&c);
    }
    double m, v, mk;
    mean_var(kept, S, &m, &v);
    CHECK_NEAR(m, er, 4.5 * sqrt(vr / S));
    CHECK_NEAR(v / vr, 1.0, var_tol(kept, S, vr));
    mk = m;
    mean_var(tot, S, &m, &v);
    CHECK(vx <= z * X);
    CHECK_NEAR(m, X, 4.5 * sqrt(z * X / S));
    /* the exact variance sum x(z-x) */
    CHECK_NEAR(v / vx, 1.0, var_tol(tot, S, vx));
    if (verbose())
        fprintf(stderr, "  smart expected records %.2f, mean kept %.2f; bytes var %.4g vs %.4g "
                        "(bound zX %.4g)\n", er, mk, v, vx, z * X);
}

/* Weights compose. A record of weight 2 and x = 100 bytes (estimate 200)
 * meets smart:zb=1000: r = 200/1000, so a kept record weighs 2/0.2 = 10
 * and estimates 1000 = z. uniform:rate=1/2 before it doubles the weight the
 * same way. Resampling property (algorithms.md §2.5): smart:zb=500|
 * smart:zb=2000 keeps x = 100 with probability (100/500)(500/2000) = 1/20
 * and estimates max(x, 2000) = 2000: the law of smart:zb=2000. */
typedef struct wacc {
    double n, bad, expect_w;
} wacc;

static void w_fn(void *ctx, const fs_record *r)
{
    wacc *a = ctx;
    a->n++;
    if (fabs(r->weight - a->expect_w) > 1e-9 * a->expect_w)
        a->bad++;
}

TEST(smart_composition_weights)
{
    const int M = 40000;
    struct {
        const char *spec;
        double w_in, w_out, p_keep;
    } cs[] = {
        {"netflow|smart:zb=1000", 2, 10, 0.2},
        {"netflow|uniform:rate=1/2|smart:zb=1000", 1, 10, 0.5 * 0.2},
        {"netflow|smart:zb=500|smart:zb=2000", 1, 20, 1.0 / 20},
        {"netflow|smart:z=2000", 1, 20, 1.0 / 20},
        {"netflow|smart:zb=50|smart:zb=1000|uniform:rate=1/4", 1, 40, 0.1 * 0.25},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        chain c;
        CHECK(ch_open(&c, cs[k].spec, 50 + k, 1) == 0);
        wacc a = {0, 0, cs[k].w_out};
        c.on_out = w_fn;
        c.out_ctx = &a;
        fs_record r = mkrec(100, 1, 0, 0);
        r.weight = cs[k].w_in;
        for (int i = 0; i < M; i++)
            ch_record(&c, &r);
        double p = cs[k].p_keep;
        CHECK_NEAR(a.bad, 0, 0);
        CHECK_NEAR(a.n, M * p, 4.5 * sqrt(M * p * (1 - p)));
        /* unbiased: mean estimate 100 * w_in */
        double m = c.bytes / M, sd = 100 * cs[k].w_in * sqrt((1 - p) / p);
        CHECK_NEAR(m, 100 * cs[k].w_in, 4.5 * sd / sqrt(M));
        ch_close(&c);
    }
}

/* Multi-factor smart sampling against byte-only smart sampling at the same
 * expected number of records (algorithms.md §2.4.8, §4.3 claim 8: FS reports
 * flow-count estimates "up to 8x" more accurate). Records: NetFlow (default
 * timeouts) over the BitTorrent capture, 1901 records, 558 TCP flows. Each
 * record i has meter estimates B_i (bytes) and A_i (1 if its SYN flag is
 * set: the M1 estimator), and r_i = min(1, B_i/zb + A_i/za); the stage's
 * arrival estimate has exact variance sum A_i² (1/r_i - 1) (bytes alike).
 * Byte-only: zb1 chosen so that sum min(1, B_i/zb1) = K = 190 (10 % of the
 * records). Multi-factor: za = 5, then zb2 so that the expected count is
 * the same K (within 1 %, the 1-byte granularity of zb). Both are run over
 * S seeds: mean arrivals and bytes within 4.5 sqrt(Var/S) of the meter's
 * own totals, observed variances equal to the exact ones, and the ratio of
 * the arrival standard deviations (byte-only / multi-factor).
 * Measured (TF_VERBOSE=1, exact): at K = 190, za = 5 (zb 8422 vs 4029) the
 * arrival sd is 3.37x smaller (relative sd 0.084 vs 0.284) for a byte sd
 * 1.45x larger; over K = 48..760 and za from N_syn/K up, the ratio runs
 * from 1.4 to 4.6 on this capture, 3.1-3.4 where bytes lose ~30 %. FS's
 * "up to 8x" is not reached here (setting not retrieved, §4.3 claim 8). */
static double expected_kept(const reclist *l, const double *B, const double *A, double zb,
                            double za)
{
    double e = 0;
    for (size_t i = 0; i < l->n; i++)
        e += fmin(1, B[i] / zb + A[i] / za);
    return e;
}

static void exact_var(const reclist *l, const double *B, const double *A, double zb, double za,
                      double *vb, double *va)
{
    *vb = *va = 0;
    for (size_t i = 0; i < l->n; i++) {
        double r = fmin(1, B[i] / zb + A[i] / za);
        if (r < 1 && r > 0) {
            *vb += B[i] * B[i] * (1 / r - 1);
            *va += A[i] * A[i] * (1 / r - 1);
        }
    }
}

/* zb (whole bytes) giving expected count K with za fixed, by bisection. */
static double solve_zb(const reclist *l, const double *B, const double *A, double za, double K)
{
    double lo = 1, hi = 1e12;
    for (int it = 0; it < 200 && hi - lo > 0.5; it++) {
        double mid = sqrt(lo * hi) > lo + 1 ? sqrt(lo * hi) : (lo + hi) / 2;
        if (expected_kept(l, B, A, mid, za) > K)
            lo = mid;
        else
            hi = mid;
    }
    return round(hi);
}

TEST(smart_multifactor_arrivals)
{
    enum { S = 400 };
    reclist l = netflow_records();
    CHECK(l.n > 1000);
    if (l.n == 0)
        return;
    chain est;
    CHECK(ch_open(&est, "netflow|smart:zb=1", 1, 0) == 0);
    double *B = calloc(l.n, sizeof *B), *A = calloc(l.n, sizeof *A);
    double tb = 0, ta = 0;
    for (size_t i = 0; i < l.n; i++) {
        double e[3];
        whole_estimate(&est, &l.r[i], e);
        B[i] = e[1];
        A[i] = e[2];
        tb += B[i];
        ta += A[i];
    }
    ch_close(&est);
    const double K = 190, za = 5;
    double zb1 = solve_zb(&l, B, A, INFINITY, K);
    double zb2 = solve_zb(&l, B, A, za, K);
    double k1 = expected_kept(&l, B, A, zb1, INFINITY), k2 = expected_kept(&l, B, A, zb2, za);
    CHECK_NEAR(k1, K, 0.01 * K);
    CHECK_NEAR(k2, K, 0.01 * K);
    double vb1, va1, vb2, va2;
    exact_var(&l, B, A, zb1, INFINITY, &vb1, &va1);
    exact_var(&l, B, A, zb2, za, &vb2, &va2);
    char s1[128], s2[128];
    snprintf(s1, sizeof s1, "netflow|smart:zb=%.0f", zb1);
    snprintf(s2, sizeof s2, "netflow|smart:zb=%.0f,za=%.0f", zb2, za);
    const char *specs[2] = {s1, s2};
    const double vb[2] = {vb1, vb2}, va[2] = {va1, va2}, kk[2] = {k1, k2};
    double sd_a[2], rel_a[2];
    for (int p = 0; p < 2; p++) {
        double eb[S], ea[S], n[S];
        for (int s = 0; s < S; s++) {
            chain c;
            CHECK(ch_open(&c, specs[p], 7000 + 13 * s + p, 0) == 0);
            for (size_t i = 0; i < l.n; i++)
                ch_record(&c, &l.r[i]);
            eb[s] = c.bytes;
            ea[s] = c.arr;
            n[s] = (double)c.out;
            if (s == 0)
                CHECK_NEAR(ch_stat(&c, 0, "smart_expected_out"), kk[p], 1e-9 * kk[p]);
            ch_close(&c);
        }
        double m, v;
        mean_var(eb, S, &m, &v);
        CHECK_NEAR(m, tb, 4.5 * sqrt(vb[p] / S));
        CHECK_NEAR(v / vb[p], 1.0, var_tol(eb, S, vb[p]));
        mean_var(ea, S, &m, &v);
        CHECK_NEAR(m, ta, 4.5 * sqrt(va[p] / S));
        CHECK_NEAR(v / va[p], 1.0, var_tol(ea, S, va[p]));
        sd_a[p] = sqrt(v);
        rel_a[p] = sqrt(va[p]) / ta;
        mean_var(n, S, &m, &v);
        CHECK_NEAR(m, kk[p], 4.5 * sqrt(kk[p] / S));
    }
    /* The multi-factor rule must be much better for arrivals at equal
     * record count: exact ratio 3.37; the observed one (its variances were
     * checked above) must exceed 2.5. */
    double ratio = sd_a[0] / sd_a[1];
    CHECK(ratio > 2.5);
    CHECK(sqrt(va1 / va2) > 3);
    if (verbose())
        fprintf(stderr, "  multi-factor: K=%.1f records of %zu; byte-only zb=%.0f: arrivals rel sd "
                        "%.3f, bytes rel sd %.4f; zb=%.0f,za=%.0f: arrivals rel sd %.3f, bytes rel "
                        "sd %.4f; observed arrival sd ratio %.2f (exact %.2f); true arrivals %.0f\n",
                K, l.n, zb1, rel_a[0], sqrt(vb1) / tb, zb2, za, rel_a[1], sqrt(vb2) / tb, ratio,
                sqrt(va1 / va2), ta);
    if (verbose())
        for (double k_ = 47.5; k_ < 800; k_ *= 2) {
            double zb0 = solve_zb(&l, B, A, INFINITY, k_), b0, a0;
            exact_var(&l, B, A, zb0, INFINITY, &b0, &a0);
            for (double z_a = 463 / k_; z_a <= 16 * 463 / k_; z_a *= 2) {
                double zb = solve_zb(&l, B, A, ceil(z_a), k_), b_, a_;
                if (expected_kept(&l, B, A, 1e15, ceil(z_a)) >= k_)
                    continue;
                exact_var(&l, B, A, zb, ceil(z_a), &b_, &a_);
                fprintf(stderr, "  exact at K=%.0f: za=%.0f zb=%.0f: arrival sd ratio %.2f, "
                                "bytes sd ratio %.2f\n", k_, ceil(z_a), zb, sqrt(a0 / a_),
                        sqrt(b0 / b_));
            }
        }
    free(B);
    free(A);
    free(l.r);
}

/* Dynamic control of z (algorithms.md §2.5): synthetic records at `rate`
 * per second of export time, Pareto sizes (x = 40/u^(1/1.2)), windows of
 * 1 s, initial zb = 100 bytes (far too small: most records kept). The input
 * rate doubles at t = 150 s. After each change the controller needs a few
 * windows; the averages of the kept records per window over windows 20-149
 * and 170-299 are compared with the target n* = 100 (rate 1000/s):
 *   - a window's count is about Poisson, sd 10 %; over 130 windows 0.9 %;
 *   - the undamped rule z <- z n_k/n* overshoots on average by about
 *     1/n* = 1 % (Jensen: the next count is proportional to 1/n_k);
 * hence a tolerance of 5 % (about 1 % + 4.5 x 0.9 %), damped (0.5) too.
 * With pow2 the thresholds in force alternate between neighbouring powers
 * of two (counts about sqrt2 x n* and n* / sqrt2, geometric mean n*), whose
 * arithmetic mean is up to 6 % above n*: tolerance 12 %.
 * The byte total stays unbiased under control (rate 200/s, n* = 25):
 * mean over 60 seeds within 4.5 sd/sqrt(60) of the truth, sd from the
 * replicates (the thresholds themselves are random). */
typedef struct wincount {
    int n[400];
} wincount;

static void win_fn(void *ctx, const fs_record *r)
{
    wincount *w = ctx;
    int64_t k = r->exported / FS_NS_PER_S;
    if (k >= 0 && k < 400)
        w->n[k]++;
}

static double dyn_run(const char *spec, int rate, uint64_t seed, uint64_t data_seed,
                      wincount *w, double *truth, double *est, double *zfinal, double *windows)
{
    chain c;
    if (ch_open(&c, spec, seed, 1))
        return NAN;
    memset(w, 0, sizeof *w);
    c.on_out = win_fn;
    c.out_ctx = w;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, (unsigned long)data_seed);
    *truth = 0;
    for (int sec = 0; sec < 300; sec++) {
        int n = sec < 150 ? rate : 2 * rate;
        for (int i = 0; i < n; i++) {
            double x = floor(40 / pow(1 - gsl_rng_uniform(g), 1 / 1.2));
            fs_record r = mkrec(x, 1, 0, (fs_ns)sec * FS_NS_PER_S + (fs_ns)i * (FS_NS_PER_S / n));
            *truth += x;
            ch_record(&c, &r);
        }
    }
    gsl_rng_free(g);
    *est = c.bytes;
    *zfinal = ch_stat(&c, 0, "smart_zb");
    *windows = ch_stat(&c, 0, "smart_windows");
    ch_close(&c);
    double a = 0;
    for (int k = 20; k < 150; k++)
        a += w->n[k];
    return a / 130;
}

TEST(smart_dynamic_control)
{
    const struct {
        const char *spec;
        double tol;
    } cs[] = {
        {"netflow|smart:zb=100,target=100,window=1s", 0.05},
        {"netflow|smart:zb=100,target=100,window=1s,pow2=yes", 0.12},
        {"netflow|smart:zb=100,target=100,window=1s,damping=0.5", 0.05},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        static wincount w;
        double truth, est, zf, nw;
        double a1 = dyn_run(cs[k].spec, 1000, 11 + k, 5, &w, &truth, &est, &zf, &nw);
        double a2 = 0;
        for (int i = 170; i < 300; i++)
            a2 += w.n[i];
        a2 /= 130;
        CHECK_NEAR(a1 / 100, 1.0, cs[k].tol);
        CHECK_NEAR(a2 / 100, 1.0, cs[k].tol);
        /* 299 windows were closed (the last is still open at the end) */
        CHECK_NEAR(nw, 299, 0);
        CHECK(isfinite(zf) && zf > 100);
        if (k == 1)
            CHECK_NEAR(zf, ldexp(1.0, (int)lround(log2(zf))), 0);
        if (verbose())
            fprintf(stderr, "  dynamic %s: kept/window %.2f (t<150), %.2f (t>=170), final zb "
                            "%.0f\n", cs[k].spec, a1, a2, zf);
    }
    enum { S = 60 };
    double e[S], truth = 0;
    for (int s = 0; s < S; s++) {
        static wincount w;
        double zf, nw;
        dyn_run("netflow|smart:zb=100,target=25,window=1s", 200, 300 + s, 5, &w, &truth, &e[s],
                &zf, &nw);
    }
    double m, v;
    mean_var(e, S, &m, &v);
    CHECK_NEAR(m, truth, 4.5 * sqrt(v / S));
}

/* Through the engine on the BitTorrent capture (one analysis bin), R
 * replicates, against the truth or the meter's own deterministic estimates:
 *   p0 netflow|smart:zb=20k            Var(bytes) <= zX; packets and arrivals
 *                                      exact: sum e_i²(1/r_i - 1) over the
 *                                      NetFlow records; the largest dport
 *                                      aggregate by bytes: Var <= z X_agg
 *   p1 sampled-netflow:rate=1/10|smart:zb=50k
 *                                      Var(bytes) <= (1/q-1) sum b² + z X
 *                                      (packet sampling plus the bound)
 *   p2 netflow|uniform:rate=1/2|smart:zb=20k
 *                                      Var <= (1/2) sum x_i² + z X
 *   p3 netflow|smart:zb=50k,za=4       arrivals exact as p0 */
TEST(smart_engine_unbiased)
{
    enum { R = 200 };
    reclist l = netflow_records();
    if (l.n == 0) {
        CHECK(0);
        return;
    }
    chain est;
    CHECK(ch_open(&est, "netflow|smart:zb=1", 1, 0) == 0);
    double X = 0, P = 0, A = 0, x2 = 0, b2 = 0;
    double vp0 = 0, va0 = 0, va3 = 0, er0 = 0;
    /* bytes per (proto, dport) aggregate, for the largest one */
    unsigned top_port = 0, top_proto = 0;
    double top_bytes = 0;
    for (size_t i = 0; i < l.n; i++) {
        double e[3];
        whole_estimate(&est, &l.r[i], e);
        X += e[1];
        P += e[0];
        A += e[2];
        x2 += e[1] * e[1];
        double r0 = fmin(1, e[1] / 20000), r3 = fmin(1, e[1] / 50000 + e[2] / 4);
        vp0 += e[0] * e[0] * (1 / r0 - 1);
        va0 += e[2] * e[2] * (1 / r0 - 1);
        va3 += e[2] * e[2] * (1 / r3 - 1);
        er0 += r0;
        double agg = 0;
        for (size_t j = 0; j < l.n; j++)
            if (l.r[j].key.proto == l.r[i].key.proto && l.r[j].key.dport == l.r[i].key.dport)
                agg += l.r[j].bytes;
        if ((l.r[i].key.proto == 6 || l.r[i].key.proto == 17) && agg > top_bytes) {
            top_bytes = agg;
            top_port = l.r[i].key.dport;
            top_proto = l.r[i].key.proto;
        }
    }
    ch_close(&est);
    size_t np;
    fs_pkt *pk = load_trace(BITTORRENT, &np);
    for (size_t i = 0; pk && i < np; i++)
        b2 += (double)pk[i].ip_len * pk[i].ip_len;
    free(pk);
    free(l.r);
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {"netflow|smart:zb=20k", "sampled-netflow:rate=1/10|smart:zb=50k",
                           "netflow|uniform:rate=1/2|smart:zb=20k",
                           "netflow|smart:zb=50k,za=4"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 4, "seeds=200,bin=inf,key_totals=trace,records=none,timeseries=none", out,
                      sizeof out), 0);
    double v[R], tr[R], m, var;
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_bytes", tr, R), R);
    CHECK_NEAR(tr[0], X, 0);
    const double vbound[4] = {20000 * X, (10 - 1) * b2 + 50000 * X, x2 + 20000 * X, 50000 * X};
    for (int p = 0; p < 4; p++) {
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_bytes", v, R), R);
        mean_var(v, R, &m, &var);
        CHECK_NEAR(m, X, 4.5 * sqrt(vbound[p] / R));
        CHECK(var <= vbound[p] * (1 + var_tol(v, R, vbound[p])));
        if (verbose())
            fprintf(stderr, "  engine %s: bytes mean rel err %+.5f, sd %.4g (bound %.4g)\n",
                    specs[p], m / X - 1, sqrt(var), sqrt(vbound[p]));
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_packets", v, R), R);
        mean_var(v, R, &m, &var);
        if (p == 0) {
            CHECK_NEAR(m, P, 4.5 * sqrt(vp0 / R));
            CHECK_NEAR(var / vp0, 1.0, var_tol(v, R, vp0));
        } else {
            CHECK_NEAR(m, P, 4.5 * sqrt(var / R)); /* sd from the replicates */
        }
        CHECK_EQ_I(th_metric(out, p, "all", "total", "all", "est_tcp_arrivals", v, R), R);
        mean_var(v, R, &m, &var);
        if (p == 0 || p == 3) {
            double va = p == 0 ? va0 : va3;
            CHECK_NEAR(m, A, 4.5 * sqrt(va / R));
            CHECK_NEAR(var / va, 1.0, var_tol(v, R, va));
        }
    }
    /* the largest application aggregate */
    char key[32];
    snprintf(key, sizeof key, "%s/%u", top_proto == 6 ? "tcp" : "udp", top_port);
    CHECK_EQ_I(th_metric(out, 0, "all", "dport", key, "true_bytes", tr, R), R);
    CHECK_NEAR(tr[0], top_bytes, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "dport", key, "est_bytes", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, top_bytes, 4.5 * sqrt(20000 * top_bytes / R));
    if (verbose())
        fprintf(stderr, "  engine dport %s: %.0f bytes (%.0f%% of all), mean rel err %+.5f\n",
                key, top_bytes, 100 * top_bytes / X, m / top_bytes - 1);
    /* exported records: mean over replicates = sum r_i */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "stage1_smart_expected_out", v, R), R);
    CHECK_NEAR(v[0], er0, 1e-6 * er0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_records", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, er0, 4.5 * sqrt(er0 / R));
    th_cleanup(out);
}

/* One-line errors for bad parameters. */
TEST(smart_sah_bad_params)
{
    const char *bad[] = {
        "netflow|smart:zb=0",          "netflow|smart:z=0",
        "netflow|smart:zs=0",          "netflow|smart:za=-1",
        "netflow|smart:zb=-5",         "netflow|smart:zb=1k,target=-1",
        "netflow|smart:zb=1k,window=0", "netflow|smart:zb=1k,damping=2",
        "netflow|smart:zb=1k,max_step=0.5", "netflow|smart",
        "netflow|smart:z=1k,zb=1k",    "netflow|smart:zb=abc",
        "sample-and-hold:p=0",         "sample-and-hold:p=2",
        "sample-and-hold:p=-1/10",     "sample-and-hold:p=1/1000,inactive=0",
        "sample-and-hold:p=1/1000,entries=0", "sample-and-hold:p=1/1000,entries=5G",
        "sample-and-hold:p=1/1000,policy=drop",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fs_pipeline_spec ps;
        char err[1024] = "";
        int rc = fs_pipeline_parse(bad[i], &ps, err, sizeof err);
        CHECK_EQ_I(rc, -1);
        if (rc == 0) {
            fprintf(stderr, "  accepted: %s\n", bad[i]);
            fs_pipeline_free(&ps);
            continue;
        }
        CHECK(strlen(err) > 10 && !strchr(err, '\n'));
        if (verbose())
            fprintf(stderr, "  %s\n", err);
    }
    const char *good[] = {"netflow|smart:zb=inf,zs=100", "netflow|smart:za=1",
                          "sample-and-hold:p=1", "sample-and-hold:p=1e-6,entries=10"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        fs_pipeline_spec ps;
        char err[1024] = "";
        CHECK_EQ_I(fs_pipeline_parse(good[i], &ps, err, sizeof err), 0);
        fs_pipeline_free(&ps);
    }
}

/* ---- sample and hold ------------------------------------------------------- */

/* Exact law of one flow under sample and hold (no expiry): the entry is
 * created at packet j with probability P_j = π_j Π_{i<j}(1 - π_i), giving
 *   ŝ_j = (n - j) + 1/π_j,   b̂_j = b_j/π_j + Σ_{i>j} b_i,
 * and no record (estimates 0) with probability Π_i (1 - π_i).
 * Returns the variances and fourth central moments of ŝ and b̂. */
typedef struct flow_law {
    double vs, vb, m4s, m4b, ys, yb;   /* y*: expectation of the variance estimates */
} flow_law;

static double pi_of(double p, double b)
{
    return -expm1(b * log1p(-p));
}

static flow_law law_of(double p, const uint32_t *sz, int n)
{
    flow_law L = {0, 0, 0, 0, 0, 0};
    double S = n, T = 0;
    for (int i = 0; i < n; i++)
        T += sz[i];
    double none = 1, tail = T;
    for (int j = 0; j < n; j++) {
        double pi = pi_of(p, sz[j]), Pj = none * pi;
        double s = (n - 1 - j) + 1 / pi, b = sz[j] / pi + (tail - sz[j]);
        L.vs += Pj * (s - S) * (s - S);
        L.vb += Pj * (b - T) * (b - T);
        L.m4s += Pj * pow(s - S, 4);
        L.m4b += Pj * pow(b - T, 4);
        L.ys += Pj * (1 - pi) / (pi * pi);
        L.yb += Pj * (double)sz[j] * sz[j] * (1 - pi) / (pi * pi);
        tail -= sz[j];
        none *= 1 - pi;
    }
    L.vs += none * S * S;
    L.vb += none * T * T;
    L.m4s += none * pow(S, 4);
    L.m4b += none * pow(T, 4);
    return L;
}

/* p = 1: every packet creates its flow's entry at once, so sample and hold
 * is exact NetFlow without timeouts: π = 1, counters exact, variance 0,
 * one flow each, arrivals 1 for the flow that starts with SYN. Hand-built:
 * flow 1 TCP SYN 60 B at 1 s, 1500 B at 2 s, 40 B at 3 s; flow 2 UDP 100 B
 * at 1.5 s. Records flushed at 3 s in creation order. */
typedef struct recs {
    fs_record r[64];
    int n;
} recs;

static void recs_add(void *ctx, const fs_record *r)
{
    recs *v = ctx;
    if (v->n < 64)
        v->r[v->n++] = *r;
}

TEST(sah_known_p1)
{
    fs_pkt p[4] = {
        th_pkt(1 * FS_NS_PER_S, 1, 6, 60, FS_TCP_SYN),
        th_pkt(1 * FS_NS_PER_S + FS_NS_PER_S / 2, 2, 17, 100, 0),
        th_pkt(2 * FS_NS_PER_S, 1, 6, 1500, FS_TCP_ACK),
        th_pkt(3 * FS_NS_PER_S, 1, 6, 40, FS_TCP_ACK | FS_TCP_FIN),
    };
    recs v = {.n = 0};
    th_meter_out o;
    CHECK_EQ_I(th_meter("sample-and-hold:p=1", 3, p, 4, recs_add, &v, &o), 0);
    CHECK_EQ_I(v.n, 2);
    CHECK_EQ_I(o.peak_entries, 2);
    if (v.n == 2) {
        CHECK_EQ_U(v.r[0].pkts, 3);
        CHECK_NEAR(v.r[0].bytes, 1600, 0);
        CHECK_NEAR(v.r[0].p_slice, 1, 0);
        CHECK_EQ_I(v.r[0].first, 1 * FS_NS_PER_S);
        CHECK_EQ_I(v.r[0].last, 3 * FS_NS_PER_S);
        CHECK_EQ_I(v.r[0].exported, 3 * FS_NS_PER_S);
        CHECK_EQ_I(v.r[0].reason, FS_REASON_FLUSH);
        CHECK_EQ_U(v.r[1].pkts, 1);
        CHECK_NEAR(v.r[1].bytes, 100, 0);
        fs_contrib c = th_estimate("sample-and-hold:p=1", &v.r[0], FS_NS_INF);
        CHECK_NEAR(c.pkts, 3, 0);
        CHECK_NEAR(c.bytes, 1600, 0);
        CHECK_NEAR(c.var_pkts, 0, 0);
        CHECK_NEAR(c.var_bytes, 0, 0);
        CHECK_NEAR(c.flows, 1, 0);
        CHECK_NEAR(c.arrivals, 1, 0);
        CHECK_NEAR(c.arrivals_alt, 1, 0);
        c = th_estimate("sample-and-hold:p=1", &v.r[1], FS_NS_INF);
        CHECK_NEAR(c.pkts, 1, 0);
        CHECK_NEAR(c.flows, 1, 0);
        CHECK_NEAR(c.arrivals, 0, 0);
    }
    /* On the real capture, through the engine: p = 1 is exact; with the
     * same inactive/active timeouts it exports what NetFlow without FIN/RST
     * expiry exports. */
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {"sample-and-hold:p=1", "sample-and-hold:p=1,inactive=15s,active=30m",
                           "netflow:finrst=no"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 3, "bin=inf,records=none,timeseries=none", out,
                      sizeof out), 0);
    double t[1], e[1], r1[1], r2[1];
    const char *ms[][2] = {{"true_bytes", "est_bytes"}, {"true_packets", "est_packets"},
                           {"true_flows", "est_flows"}, {"true_tcp_arrivals", "est_tcp_arrivals"}};
    for (int p0 = 0; p0 < 2; p0++)
        for (int k = 0; k < 3; k++) {
            CHECK_EQ_I(th_metric(out, p0, "all", "total", "all", ms[k][0], t, 1), 1);
            CHECK_EQ_I(th_metric(out, p0, "all", "total", "all", ms[k][1], e, 1), 1);
            CHECK_NEAR(e[0], t[0], 1e-9 * t[0]);
        }
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_bytes_se", e, 1), 1);
    CHECK_NEAR(e[0], 0, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_records", r1, 1), 1);
    CHECK_NEAR(r1[0], 1421, 0);
    CHECK_EQ_I(th_metric(out, 1, "all", "total", "all", "export_records", r1, 1), 1);
    CHECK_EQ_I(th_metric(out, 2, "all", "total", "all", "export_records", r2, 1), 1);
    CHECK_NEAR(r1[0], r2[0], 0);
    th_cleanup(out);
}

/* A tiny case by hand: one UDP flow of two packets of 1 and 2 bytes,
 * p = 1/2 per byte, so π_1 = 1/2, π_2 = 1 - 1/4 = 3/4.
 *   created at packet 1 (prob 1/2):          c_s = 2, c_b = 1/(1/2) + 2 = 4,
 *                                            ŝ = 2 - 1 + 2 = 3
 *   created at packet 2 (prob 1/2·3/4 = 3/8): c_s = 1, c_b = 2/(3/4) = 8/3,
 *                                            ŝ = 1 - 1 + 4/3 = 4/3
 *   no record (prob 1/2·1/4 = 1/8).
 * E[b̂] = 4/2 + (8/3)(3/8) = 3 = 1 + 2; E[ŝ] = 3/2 + (4/3)(3/8) = 2;
 * Var[ŝ] = 9/2 + (16/9)(3/8) - 4 = 7/6 = (1/π_1 - 1) + (1 - π_1)(1/π_2 - 1);
 * Var[b̂] = 16/2 + (64/9)(3/8) - 9 = 5/3 = 1·1 + (1/2)·4·(1/3).
 * The variance estimates are (1-π)/π² = 2 and 4/9 (bytes: b² times that,
 * 2 and 16/9): E = 2/2 + (4/9)(3/8) = 7/6 and 1 + (16/9)(3/8) = 5/3.
 * Over N seeds the three outcomes must appear with these frequencies
 * (within 4.5 binomial sd) and every record must be exactly one of them. */
TEST(sah_tiny_by_hand)
{
    enum { N = 4000 };
    fs_pkt p[2] = {th_pkt(FS_NS_PER_S, 9, 17, 1, 0), th_pkt(2 * FS_NS_PER_S, 9, 17, 2, 0)};
    int n1 = 0, n2 = 0, n0 = 0, bad = 0;
    double sum_s = 0, sum_b = 0, sum_vs = 0, sum_vb = 0;
    for (int s = 0; s < N; s++) {
        recs v = {.n = 0};
        CHECK_EQ_I(th_meter("sample-and-hold:p=1/2,entries=4", 500 + s, p, 2, recs_add, &v, NULL),
                   0);
        if (v.n == 0) {
            n0++;
            continue;
        }
        fs_contrib c = th_estimate("sample-and-hold:p=1/2", &v.r[0], FS_NS_INF);
        sum_s += c.pkts;
        sum_b += c.bytes;
        sum_vs += c.var_pkts;
        sum_vb += c.var_bytes;
        if (v.n == 1 && v.r[0].pkts == 2 && fabs(v.r[0].bytes - 4) < 1e-12 &&
            fabs(v.r[0].p_slice - 0.5) < 1e-12 && fabs(c.pkts - 3) < 1e-12 &&
            fabs(c.var_pkts - 2) < 1e-12 && fabs(c.var_bytes - 2) < 1e-12) {
            n1++;
        } else if (v.n == 1 && v.r[0].pkts == 1 && fabs(v.r[0].bytes - 8.0 / 3) < 1e-12 &&
                   fabs(v.r[0].p_slice - 0.75) < 1e-12 && fabs(c.pkts - 4.0 / 3) < 1e-12 &&
                   fabs(c.var_pkts - 4.0 / 9) < 1e-12 && fabs(c.var_bytes - 16.0 / 9) < 1e-12 &&
                   fabs(c.flows - 4.0 / 3) < 1e-12) {
            n2++;
        } else {
            bad++;
        }
    }
    CHECK_EQ_I(bad, 0);
    CHECK_NEAR(n1, N / 2.0, 4.5 * sqrt(N * 0.5 * 0.5));
    CHECK_NEAR(n2, N * 3.0 / 8, 4.5 * sqrt(N * 3.0 / 8 * 5.0 / 8));
    CHECK_NEAR(n0, N / 8.0, 4.5 * sqrt(N / 8.0 * 7.0 / 8));
    CHECK_NEAR(sum_s / N, 2, 4.5 * sqrt(7.0 / 6 / N));
    CHECK_NEAR(sum_b / N, 3, 4.5 * sqrt(5.0 / 3 / N));
    /* the variance estimates: values 2 / 4/9 / 0 with probabilities 1/2, 3/8, 1/8 */
    double vv = 0.5 * 4 + 3.0 / 8 * 16.0 / 81 - (7.0 / 6) * (7.0 / 6);
    CHECK_NEAR(sum_vs / N, 7.0 / 6, 4.5 * sqrt(vv / N));
    double vvb = 0.5 * 4 + 3.0 / 8 * (16.0 / 9) * (16.0 / 9) - (5.0 / 3) * (5.0 / 3);
    CHECK_NEAR(sum_vb / N, 5.0 / 3, 4.5 * sqrt(vvb / N));
}

/* Variance per flow-size bucket against the exact law (law_of): flows of
 * n = 1, 3, 10, 30, 100 packets, 30 flows per bucket, packet sizes cycling
 * through 40, 576, 1500, 52, 1200 bytes (shifted per flow), p = 1/2000 per
 * byte (π from 0.02 for 40 B to 0.53 for 1500 B). Over R seeds (th_meter,
 * packets in memory), per bucket: mean error of ŝ and b̂ within
 * 4.5 sqrt(sum V / R)/flows; mean squared error around the truth against
 * the exact mean variance, tolerance 4.5 sqrt(sum (μ4 - V²)/R)/sum V (μ4
 * the exact fourth central moment); the mean of the records' variance
 * estimates against the same exact variance (their spread from the
 * replicates). */
typedef struct bucket_run {
    int nfl;
    double *s_hat, *b_hat, *vs_hat, *vb_hat;   /* per flow, this seed */
    const fs_pipeline_spec *ps;
} bucket_run;

static void bucket_rec(void *ctx, const fs_record *r)
{
    bucket_run *b = ctx;
    int f = r->key.sport - 1000;
    if (f < 0 || f >= b->nfl)
        return;
    fs_binning one = {FS_NS_INF};
    double e[5] = {0, 0, 0, 0, 0};
    b->ps->algo->estimate(b->ps->aparams, r, &one, add_contrib_var, e);
    b->s_hat[f] += e[0];
    b->b_hat[f] += e[1];
    b->vs_hat[f] += e[3];
    b->vb_hat[f] += e[4];
}

TEST(sah_variance_by_size)
{
    enum { NB = 5, PER = 30, NF = NB * PER, R = 300 };
    const int sizes[NB] = {1, 3, 10, 30, 100};
    const uint32_t cyc[5] = {40, 576, 1500, 52, 1200};
    const double p = 1.0 / 2000;
    static uint32_t sz[NF][100];
    int len[NF];
    flow_law L[NF];
    double S[NF], T[NF];
    size_t np = 0;
    for (int f = 0; f < NF; f++) {
        len[f] = sizes[f / PER];
        S[f] = len[f];
        T[f] = 0;
        for (int i = 0; i < len[f]; i++) {
            sz[f][i] = cyc[(i + f) % 5];
            T[f] += sz[f][i];
        }
        L[f] = law_of(p, sz[f], len[f]);
        np += (size_t)len[f];
    }
    /* interleave the flows in time: packet i of flow f at i seconds + f µs */
    fs_pkt *pk = malloc(np * sizeof *pk);
    size_t k = 0;
    for (int i = 0; i < 100; i++)
        for (int f = 0; f < NF; f++)
            if (i < len[f])
                pk[k++] = th_pkt((fs_ns)i * FS_NS_PER_S + f * FS_NS_PER_US, (uint32_t)f, 17,
                                 sz[f][i], 0);
    fs_pipeline_spec ps;
    char err[256];
    CHECK(fs_pipeline_parse("sample-and-hold:p=1/2000", &ps, err, sizeof err) == 0);
    double sq_s[NB] = {0}, sq_b[NB] = {0}, er_s[NB] = {0}, er_b[NB] = {0};
    static double ys[R][NB], yb[R][NB];
    for (int s = 0; s < R; s++) {
        double sh[NF] = {0}, bh[NF] = {0}, vsh[NF] = {0}, vbh[NF] = {0};
        bucket_run br = {NF, sh, bh, vsh, vbh, &ps};
        CHECK_EQ_I(th_meter("sample-and-hold:p=1/2000", 9000 + s, pk, np, bucket_rec, &br, NULL),
                   0);
        for (int b = 0; b < NB; b++)
            ys[s][b] = yb[s][b] = 0;
        for (int f = 0; f < NF; f++) {
            int b = f / PER;
            er_s[b] += sh[f] - S[f];
            er_b[b] += bh[f] - T[f];
            sq_s[b] += (sh[f] - S[f]) * (sh[f] - S[f]);
            sq_b[b] += (bh[f] - T[f]) * (bh[f] - T[f]);
            ys[s][b] += vsh[f];
            yb[s][b] += vbh[f];
        }
    }
    for (int b = 0; b < NB; b++) {
        double Vs = 0, Vb = 0, Ds = 0, Db = 0, Ys = 0, Yb = 0;
        for (int f = b * PER; f < (b + 1) * PER; f++) {
            Vs += L[f].vs;
            Vb += L[f].vb;
            Ds += L[f].m4s - L[f].vs * L[f].vs;
            Db += L[f].m4b - L[f].vb * L[f].vb;
            Ys += L[f].ys;
            Yb += L[f].yb;
        }
        /* the exact law's variance is what the recursion of the estimator
         * comment gives: E[Y] = Var */
        CHECK_NEAR(Ys, Vs, 1e-9 * Vs);
        CHECK_NEAR(Yb, Vb, 1e-9 * Vb);
        CHECK_NEAR(er_s[b] / R, 0, 4.5 * sqrt(Vs / R));
        CHECK_NEAR(er_b[b] / R, 0, 4.5 * sqrt(Vb / R));
        CHECK_NEAR(sq_s[b] / R / Vs, 1.0, 4.5 * sqrt(Ds / R) / Vs);
        CHECK_NEAR(sq_b[b] / R / Vb, 1.0, 4.5 * sqrt(Db / R) / Vb);
        double col_s[R], col_b[R], m, v;
        for (int s = 0; s < R; s++) {
            col_s[s] = ys[s][b];
            col_b[s] = yb[s][b];
        }
        mean_var(col_s, R, &m, &v);
        CHECK_NEAR(m, Vs, 4.5 * sqrt(v / R));
        mean_var(col_b, R, &m, &v);
        CHECK_NEAR(m, Vb, 4.5 * sqrt(v / R));
        if (verbose())
            fprintf(stderr, "  sah n=%d: Var[s] %.4g observed %.4g; Var[b] %.4g observed %.4g "
                            "(means per flow)\n", sizes[b], Vs / PER,
                    sq_s[b] / R / PER, Vb / PER, sq_b[b] / R / PER);
    }
    fs_pipeline_free(&ps);
    free(pk);
}

/* Unbiasedness on the BitTorrent capture through the engine (one analysis
 * bin), R replicates:
 *   p0 sample-and-hold:p=1/1000 — no expiry: per flow (engine key) the
 *      exact variances of b̂ and ŝ (the sums of the estimator comment) give
 *      the tolerance of the totals and the variance check; the mean of
 *      est_bytes_se² must equal the exact variance (spread from the
 *      replicates); est_flows has expectation exactly the number of flows
 *      (FS eq. 3 with π: E = 1 per flow); est_tcp_arrivals has expectation
 *      Σ over TCP flows of Σ_j Π_{i<j}(1-π_i) [a SYN among packets j..n]
 *      (the record has SYN and weighs 1/π_j), which is 1 per flow whose
 *      only SYN is its first packet.
 *   p1 sample-and-hold:p=1/300,inactive=10s,entries=100,psamp=random,
 *      psamp_rate=1/2 — timeouts, LRU evictions of a small memory and
 *      observation sampling together: bytes and packets still unbiased (sd
 *      from the replicates); evictions must actually happen. */
typedef struct sflow {
    FS_FTAB_ENTRY_HEAD;
    double none, vb, vs, T, n, syn_total, syn_seen, earr;
    int tcp;
} sflow;

TEST(sah_engine_unbiased)
{
    enum { R = 200 };
    const double p = 1.0 / 1000;
    size_t np;
    fs_pkt *pk = load_trace(BITTORRENT, &np);
    if (!pk) {
        CHECK(0);
        return;
    }
    fs_ftab tab;
    CHECK(fs_ftab_init(&tab, sizeof(sflow), 1024, 0, 0) == 0);
    /* pass 1: SYN packets per flow; pass 2: the sums, in packet order */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < np; i++) {
            int created;
            uint32_t ix = fs_ftab_upsert(&tab, &pk[i].key, pk[i].key_hash, &created);
            sflow *f = fs_ftab_ent(&tab, ix);
            if (created) {
                f->none = 1;
                f->tcp = pk[i].key.proto == 6;
            }
            int syn = (pk[i].tcp_flags & FS_TCP_SYN) != 0;
            if (pass == 0) {
                f->syn_total += syn;
                continue;
            }
            double b = pk[i].ip_len, pi = pi_of(p, b);
            f->vb += b * b * (1 / pi - 1) * f->none;
            f->vs += (1 / pi - 1) * f->none;
            if (f->tcp && f->syn_total - f->syn_seen > 0)
                f->earr += f->none;
            f->syn_seen += syn;
            f->none *= 1 - pi;
            f->T += b;
            f->n++;
        }
    free(pk);
    double X = 0, P = 0, Vb = 0, Vs = 0, EA = 0, flows = 0;
    for (uint32_t i = 0; i < tab.hwm; i++) {
        if (!fs_ftab_live(&tab, i))
            continue;
        const sflow *f = fs_ftab_ent(&tab, i);
        X += f->T;
        P += f->n;
        Vb += f->vb;
        Vs += f->vs;
        EA += f->earr;
        flows++;
    }
    fs_ftab_free(&tab);
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {"sample-and-hold:p=1/1000",
                           "sample-and-hold:p=1/300,inactive=10s,entries=100,psamp=random,"
                           "psamp_rate=1/2"};
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, 2, "seeds=200,bin=inf,records=none,timeseries=none", out,
                      sizeof out), 0);
    double v[R], t[R], m, var;
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_bytes", t, R), R);
    CHECK_NEAR(t[0], X, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_flows", t, R), R);
    CHECK_NEAR(t[0], flows, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_bytes", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, X, 4.5 * sqrt(Vb / R));
    CHECK_NEAR(var / Vb, 1.0, var_tol(v, R, Vb));
    if (verbose())
        fprintf(stderr, "  sah p=1/1000 bytes: mean rel err %+.5f, sd %.4g, theory %.4g\n",
                m / X - 1, sqrt(var), sqrt(Vb));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_packets", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, P, 4.5 * sqrt(Vs / R));
    CHECK_NEAR(var / Vs, 1.0, var_tol(v, R, Vs));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_bytes_se", v, R), R);
    for (int i = 0; i < R; i++)
        v[i] *= v[i];
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, Vb, 4.5 * sqrt(var / R));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_packets_se", v, R), R);
    for (int i = 0; i < R; i++)
        v[i] *= v[i];
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, Vs, 4.5 * sqrt(var / R));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_flows", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, flows, 4.5 * sqrt(var / R));
    double mf = m;
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_tcp_arrivals", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, EA, 4.5 * sqrt(var / R));
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_tcp_arrivals", t, R), R);
    if (verbose())
        fprintf(stderr, "  sah flows %.0f est mean %.1f; arrivals true %.0f, E[est] %.2f, mean %.2f\n",
                flows, mf, t[0], EA, m);
    /* p1 */
    CHECK_EQ_I(th_metric(out, 1, "all", "total", "all", "est_bytes", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, X, 4.5 * sqrt(var / R));
    CHECK_EQ_I(th_metric(out, 1, "all", "total", "all", "est_packets", v, R), R);
    mean_var(v, R, &m, &var);
    CHECK_NEAR(m, P, 4.5 * sqrt(var / R));
    CHECK_EQ_I(th_metric(out, 1, "all", "total", "all", "meter_evictions", v, R), R);
    CHECK(v[0] > 0);
    CHECK_EQ_I(th_metric(out, 1, "all", "total", "all", "mem_peak_entries", v, R), R);
    CHECK(v[0] <= 100);
    th_cleanup(out);
}
