/* flowsim — tests of the synthetic trace generator (traces/gen_*.c).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Three kinds: parameter and profile handling; statistical tests of the
 * generated traffic against the configured laws (seeds pinned, bounds
 * derived from theory and the sample size, stated next to each check); and
 * properties of the written file (distinct keys, identical bytes for the
 * same seed, a libpcap read-back that agrees with the totals).
 *
 * Significance: every goodness-of-fit test accepts at level alpha = 0.001
 * (a correct generator fails with probability 1/1000 per check and seed;
 * with the seeds pinned, the outcome is fixed once it passes). Fractions
 * are checked within 4 binomial standard errors (two-sided probability of
 * a false alarm 6e-5).
 */
#include <gsl/gsl_cdf.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "gen_api.h"
#include "tf.h"

#define ALPHA 0.001
#define N_SE  4.0

/* ---- helpers ------------------------------------------------------------------ */

/* Defaults + a -p list. Returns 0 or -1 (message printed). */
static int params_from(fs_gen_params *p, const char *list)
{
    char err[512];
    if (fs_gen_params_init(p, err, sizeof err) ||
        (list && fs_gen_params_set_list(p, list, "test", err, sizeof err)) ||
        fs_gen_params_check(p, err, sizeof err)) {
        fprintf(stderr, "  params: %s\n", err);
        return -1;
    }
    return 0;
}

static fs_gen *open_gen(const char *list, uint64_t seed)
{
    fs_gen_params p;
    char err[512];
    fs_gen *g = NULL;
    if (params_from(&p, list))
        return NULL;
    if (fs_gen_open(&g, &p, seed, err, sizeof err))
        fprintf(stderr, "  open: %s\n", err);
    fs_gen_params_free(&p);
    return g;
}

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(fs_key));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static size_t count_distinct_keys(fs_key *k, size_t n)
{
    if (!n)
        return 0;
    qsort(k, n, sizeof *k, cmp_key);
    size_t d = 1;
    for (size_t i = 1; i < n; i++)
        d += memcmp(&k[i], &k[i - 1], sizeof *k) != 0;
    return d;
}

struct vec {
    void *v;
    size_t n, cap, elem;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 1024;
        v->v = realloc(v->v, v->cap * v->elem);
        if (!v->v)
            abort();
    }
    return (char *)v->v + v->elem * v->n++;
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][160];
    static int k;
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/flowsim-test-gen.XXXXXX");
        if (!mkdtemp(tmpdir))
            abort();
    }
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* Removes a file and its sidecar, and the directory once it is empty. */
static void rm_tmp(const char *name)
{
    unlink(tmp_path(name));
    char j[200];
    snprintf(j, sizeof j, "%s.json", tmp_path(name));
    unlink(j);
    if (rmdir(tmpdir) == 0)
        tmpdir[0] = 0;
}

static int hash_file(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        XXH64_update(st, buf, n);
    *h = XXH64_digest(st);
    XXH64_freeState(st);
    fclose(f);
    return 0;
}

/* ---- parameters and profiles ------------------------------------------------------- */

TEST(gen_param_table_complete)
{
    /* Every parameter has a unit (possibly ""), a help sentence, a default
     * that parses, and a canonical text that parses back to itself. */
    fs_gen_params p;
    CHECK(params_from(&p, NULL) == 0);
    for (size_t i = 0; i < fs_gen_n_params; i++) {
        const fs_param_def *d = &fs_gen_param_defs[i];
        CHECK(d->unit != NULL);
        CHECK(d->help && strlen(d->help) > 10);
        char a[128], b[128], err[256];
        fs_param_format(d, &p, a, sizeof a);
        fs_gen_params q;
        CHECK(params_from(&q, NULL) == 0);
        CHECK(fs_param_set(d, &q, a, "t", err, sizeof err) == 0);
        fs_param_format(d, &q, b, sizeof b);
        CHECK_STR(a, b);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(fs_gen_param_defs[j].name, d->name) != 0);
    }
    /* The groups name existing parameters, in table order. */
    size_t last = 0;
    for (size_t g = 0; g < fs_gen_n_param_groups; g++) {
        const fs_param_def *d = fs_params_find(fs_gen_param_defs, fs_gen_n_params,
                                               fs_gen_param_groups[g].first);
        CHECK(d != NULL);
        if (d) {
            size_t idx = (size_t)(d - fs_gen_param_defs);
            CHECK(g == 0 ? idx == 0 : idx > last);
            last = idx;
        }
    }
}

TEST(gen_param_errors_name_the_parameter)
{
    static const struct { const char *list, *must; } bad[] = {
        {"flow_rate=-5", "flow_rate"},
        {"flow_rate=0", "flow_rate"},
        {"pareto_shape=0", "pareto_shape"},
        {"pareto_shape=-1", "pareto_shape"},
        {"lognormal_sigma=0", "lognormal_sigma"},
        {"no_such_knob=1", "no_such_knob"},
        {"duration=soon", "duration"},
        {"size_law=cauchy", "size_law"},
        {"tcp_frac=1.5", "tcp_frac"},
        {"snaplen=20", "snaplen"},
        {"include=tiny", "include"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fs_gen_params p;
        char err[512] = "";
        CHECK(params_from(&p, NULL) == 0);
        int rc = fs_gen_params_set_list(&p, bad[i].list, "-p", err, sizeof err);
        CHECK(rc == -1);
        CHECK(strstr(err, bad[i].must) != NULL);
        CHECK(strchr(err, '\n') == NULL);
        if (rc != -1 || !strstr(err, bad[i].must))
            fprintf(stderr, "  %s -> %s\n", bad[i].list, err);
    }
    /* Checks between parameters. */
    static const struct { const char *list, *must; } cross[] = {
        {"tcp_frac=0.7,udp_frac=0.4", "udp_frac"},
        {"pkt_small_frac=0.5,pkt_mid_frac=0.3,pkt_mtu_frac=0.3", "pkt_mtu_frac"},
        {"tcp_fin_frac=0.8,tcp_rst_frac=0.3", "tcp_rst_frac"},
        {"duration=5s,flood_start=6s,flood_duration=1s", "flood_start"},
        {"scan_first_port=65000,scan_ports=1000", "scan_ports"},
        {"mtu=1000,pkt_mid_bytes=1200", "pkt_mid_bytes"},
    };
    for (size_t i = 0; i < sizeof cross / sizeof cross[0]; i++) {
        fs_gen_params p;
        char err[512] = "";
        CHECK(params_from(&p, NULL) == 0);
        CHECK(fs_gen_params_set_list(&p, cross[i].list, "-p", err, sizeof err) == 0);
        CHECK(fs_gen_params_check(&p, err, sizeof err) == -1);
        CHECK(strstr(err, cross[i].must) != NULL);
    }
}

struct prof_seen {
    int n, tiny, backbone, flood, ipv6;
};

static void on_profile(const char *name, const char *desc, void *ctx)
{
    struct prof_seen *s = ctx;
    s->n++;
    s->tiny |= !strcmp(name, "tiny");
    s->backbone |= !strcmp(name, "backbone");
    s->flood |= !strcmp(name, "backbone-flood");
    s->ipv6 |= !strcmp(name, "ipv6");
    CHECK(desc && *desc);
    fs_gen_params p;
    char err[512];
    CHECK(params_from(&p, NULL) == 0);
    CHECK(fs_gen_profile_apply(&p, name, err, sizeof err) == 0);
    CHECK(fs_gen_params_check(&p, err, sizeof err) == 0);
}

TEST(gen_profiles_load)
{
    struct prof_seen s = {0};
    char err[512];
    CHECK(fs_gen_profile_list(on_profile, &s, err, sizeof err) >= 4);
    CHECK(s.tiny && s.backbone && s.flood && s.ipv6);

    fs_gen_params p;
    CHECK(params_from(&p, NULL) == 0);
    CHECK(fs_gen_profile_apply(&p, "no-such-profile", err, sizeof err) == -1);
    CHECK(strstr(err, "no-such-profile") && strstr(err, "tiny"));
    CHECK(fs_gen_profile_apply(&p, "../etc/passwd", err, sizeof err) == -1);
    /* include= composes: backbone-flood is backbone plus a flood. */
    fs_gen_params a, b;
    CHECK(params_from(&a, NULL) == 0 && params_from(&b, NULL) == 0);
    CHECK(fs_gen_profile_apply(&a, "backbone", err, sizeof err) == 0);
    CHECK(fs_gen_profile_apply(&b, "backbone-flood", err, sizeof err) == 0);
    CHECK(a.flow_rate == b.flow_rate && b.flood_duration_ns > 0 && a.flood_duration_ns == 0);
}

TEST(gen_tiny_is_fast)
{
    /* Other tests use the tiny profile; it must stay well under a second. */
    fs_gen_params p;
    char err[512];
    CHECK(params_from(&p, NULL) == 0);
    CHECK(fs_gen_profile_apply(&p, "tiny", err, sizeof err) == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *path = tmp_path("tiny.pcap");
    fs_gen_totals t;
    CHECK(fs_gen_write(&p, 1, "tiny", path, &t, err, sizeof err) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* About 5 ms normally; 1 s leaves room for sanitizers and a busy box. */
    CHECK(s < 1.0);
    CHECK(t.packets > 100 && t.packets < 10000);
    CHECK(t.ipv6_packets > 0 && t.flows_tcp > 0 && t.flows_udp > 0);
    rm_tmp("tiny.pcap");
}

/* ---- flow sizes --------------------------------------------------------------------- */

/* CDF of X for the size law of p. */
static double x_cdf(const fs_gen_params *p, int law, double x)
{
    double lp = gsl_cdf_pareto_P(x, p->pareto_shape, p->pareto_scale);
    double ll = gsl_cdf_lognormal_P(x, log(p->lognormal_median), p->lognormal_sigma);
    if (law == FS_GEN_SIZE_PARETO)
        return lp;
    if (law == FS_GEN_SIZE_LOGNORMAL)
        return ll;
    return p->mix_pareto_frac * lp + (1 - p->mix_pareto_frac) * ll;
}

/* P(size < k) with size = max(1, floor(X)): 0 for k <= 1, else P(X < k). */
static double size_below(const fs_gen_params *p, int law, double k)
{
    return k <= 1 ? 0 : x_cdf(p, law, k);
}

/* Log bins of flow sizes: edges 1, 2, 3, 4, 6, 8, 12, 16, ... (two per
 * octave), bin i = [lo[i], lo[i+1]), the last bin open. Bins are merged
 * (from the top, then from the bottom) until every expected count under
 * the law they are built for is at least 5, the usual validity rule of
 * the chi-square approximation.                                           */
#define MAX_BINS 64
struct bins {
    double lo[MAX_BINS];
    int n;
};

static void bin_probs(const fs_gen_params *p, const struct bins *b, double *prob)
{
    for (int i = 0; i < b->n; i++) {
        double lo = size_below(p, p->size_law, b->lo[i]);
        double hi = i + 1 < b->n ? size_below(p, p->size_law, b->lo[i + 1]) : 1.0;
        prob[i] = hi - lo;
    }
}

static void make_bins(const fs_gen_params *p, size_t n, struct bins *b)
{
    b->n = 0;
    b->lo[b->n++] = 1;
    for (double e = 2; b->n < MAX_BINS && e < 1e7; b->n++) {
        b->lo[b->n] = e;
        double next = (b->n % 2) ? e * 1.5 : e * 4.0 / 3.0;
        e = floor(next + 0.5);
    }
    double prob[MAX_BINS];
    bin_probs(p, b, prob);
    while (b->n > 1 && (double)n * prob[b->n - 1] < 5) {
        prob[b->n - 2] += prob[b->n - 1];
        b->n--;
    }
    while (b->n > 1 && (double)n * prob[0] < 5) {
        prob[1] += prob[0];
        memmove(prob, prob + 1, (size_t)(b->n - 1) * sizeof *prob);
        memmove(b->lo + 1, b->lo + 2, (size_t)(b->n - 2) * sizeof *b->lo);
        b->n--;
    }
}

/* Pearson's statistic of the sizes against the law of p on bins b. */
static double chi2_sizes(const fs_gen_params *p, const struct bins *b, const uint32_t *sizes,
                         size_t n)
{
    double prob[MAX_BINS], obs[MAX_BINS] = {0};
    bin_probs(p, b, prob);
    for (size_t j = 0; j < n; j++) {
        int k = b->n - 1;
        while (k > 0 && sizes[j] < b->lo[k])
            k--;
        obs[k]++;
    }
    double x2 = 0;
    for (int i = 0; i < b->n; i++) {
        double e = (double)n * prob[i];
        x2 += (obs[i] - e) * (obs[i] - e) / e;
    }
    return x2;
}

/* Planned sizes of all background flows that start inside the trace (one
 * per direction). Each is an independent draw of the law, whatever its
 * direction, so together they are an i.i.d. sample.                        */
static uint32_t *collect_sizes(const char *list, uint64_t seed, size_t *n)
{
    fs_gen *g = open_gen(list, seed);
    struct vec v = {NULL, 0, 0, sizeof(uint32_t)};
    fs_gen_pkt pkt;
    char err[256];
    if (!g)
        return NULL;
    while (fs_gen_next(g, &pkt, err, sizeof err) == 1)
        if (pkt.kind == FS_GEN_BACKGROUND && pkt.seq == 0)
            *(uint32_t *)vec_push(&v) = pkt.flow_pkts;
    fs_gen_close(g);
    *n = v.n;
    return v.v;
}

/* Sizes follow the law of list at level ALPHA, and the same sample rejects
 * the law with the parameter `shape_name` scaled by 0.9 and by 1.1.
 *
 * Sample size: the test also proves its own power. Against a law q, the
 * statistic on the bins of the true law p is noncentral chi2(df, lambda)
 * with lambda = n sum (q_i - p_i)^2 / p_i. With the normal approximation
 * of the noncentral chi-square (mean df + lambda, variance 2 (df + 2
 * lambda)), the power to reject q at ALPHA must be at least 0.99, i.e. the
 * mean must exceed the critical value by 2.33 standard deviations. With
 * about 36,000 flows, lambda is 285 (x 1.1) and 436 (x 0.9) for the Pareto
 * shape, where 0.99 power needs about 60 (df ~ 20, critical value ~ 45).
 * The mixture, whose Pareto part has only 30 % of the flows, needs about
 * 60,000 flows for the same power.                                        */
#define POWER_Z 2.326   /* one-sided 99 % normal quantile */

static void check_size_law(const char *list, uint64_t seed, const char *shape_name)
{
    size_t n = 0;
    uint32_t *sizes = collect_sizes(list, seed, &n);
    CHECK(sizes != NULL);
    CHECK(n > 30000);
    if (!sizes)
        return;
    fs_gen_params p;
    CHECK(params_from(&p, list) == 0);
    struct bins b;
    make_bins(&p, n, &b);
    int df = b.n - 1;
    double x2 = chi2_sizes(&p, &b, sizes, n);
    double pv = gsl_cdf_chisq_Q(x2, df);
    double crit = gsl_cdf_chisq_Qinv(ALPHA, df);
    int verbose = getenv("TF_VERBOSE") != NULL;
    if (verbose || !(pv > ALPHA))
        fprintf(stderr, "  %s: n = %zu, chi2 = %.1f, df = %d, p = %.3g\n", list, n, x2, df, pv);
    CHECK(pv > ALPHA);
    CHECK(df >= 8);
    const fs_param_def *d = fs_params_find(fs_gen_param_defs, fs_gen_n_params, shape_name);
    CHECK(d != NULL);
    if (d) {
        double base;
        memcpy(&base, (char *)&p + d->offset, sizeof base);
        for (int s = -1; s <= 1; s += 2) {
            fs_gen_params q = p;
            double v = base * (1 + 0.1 * s);
            memcpy((char *)&q + d->offset, &v, sizeof v);
            /* power of the test as run on this sample size */
            double pp[MAX_BINS], pq[MAX_BINS], lambda = 0;
            bin_probs(&p, &b, pp);
            bin_probs(&q, &b, pq);
            for (int i = 0; i < b.n; i++)
                lambda += (double)n * (pq[i] - pp[i]) * (pq[i] - pp[i]) / pp[i];
            double z = (df + lambda - crit) / sqrt(2 * (df + 2 * lambda));
            CHECK(z >= POWER_Z);
            /* and the rejection itself, on bins valid for q */
            struct bins bq;
            make_bins(&q, n, &bq);
            double xq = chi2_sizes(&q, &bq, sizes, n);
            double pvq = gsl_cdf_chisq_Q(xq, bq.n - 1);
            if (verbose || !(pvq < ALPHA) || z < POWER_Z)
                fprintf(stderr, "  %s x %.1f: lambda = %.0f, power z = %.1f, chi2 = %.1f, "
                        "df = %d, p = %.3g\n", shape_name, 1 + 0.1 * s, lambda, z, xq,
                        bq.n - 1, pvq);
            CHECK(pvq < ALPHA);
        }
    }
    free(sizes);
}

/* Short flows and no reverse direction keep these traces small; the rate
 * does not change the size law.                                            */
#define SIZE_TRACE "duration=3s,flow_rate=12k,tcp_reverse_frac=0,pkt_rate=1k,"

TEST(gen_sizes_pareto)
{
    check_size_law(SIZE_TRACE "size_law=pareto,pareto_shape=1.2,pareto_scale=1", 11,
                   "pareto_shape");
}

TEST(gen_sizes_lognormal)
{
    check_size_law(SIZE_TRACE "size_law=lognormal,lognormal_median=4,lognormal_sigma=1.5", 12,
                   "lognormal_sigma");
}

TEST(gen_sizes_mixture)
{
    check_size_law(SIZE_TRACE "duration=5s,size_law=mixture,lognormal_median=3,lognormal_sigma=1,"
                              "mix_pareto_frac=0.3,pareto_shape=1.3,pareto_scale=5",
                   13, "pareto_shape");
}

/* ---- arrivals ----------------------------------------------------------------------- */

/* Connection arrivals per 1-s bin, from the first packet of each
 * connection's client flow (sent at the arrival time).                     */
static uint64_t *arrival_counts(const char *list, uint64_t seed, int bins, uint64_t *total)
{
    fs_gen *g = open_gen(list, seed);
    uint64_t *c = calloc((size_t)bins, sizeof *c);
    fs_gen_pkt pkt;
    char err[256];
    if (!g || !c) {
        free(c);
        fs_gen_close(g);
        return NULL;
    }
    while (fs_gen_next(g, &pkt, err, sizeof err) == 1)
        if (pkt.kind == FS_GEN_BACKGROUND && !pkt.reverse && pkt.seq == 0) {
            int b = (int)(pkt.rel_ns / FS_NS_PER_S);
            if (b >= 0 && b < bins)
                c[b]++;
        }
    fs_gen_totals t;
    fs_gen_get_totals(g, &t);
    *total = t.connections;
    fs_gen_close(g);
    return c;
}

/* One-packet UDP flows: cheapest traces whose arrivals are the same. */
#define ARRIVAL_TRACE "tcp_frac=0,udp_frac=1,size_law=lognormal,lognormal_median=1," \
                      "lognormal_sigma=0.01,"

TEST(gen_arrivals_poisson)
{
    /* Counts per second of a Poisson process are i.i.d. Poisson(lambda):
     * the dispersion index D = sum (n_i - mean)^2 / mean is chi2(k - 1)
     * (k = 100 bins); two-sided at ALPHA. The mean must be within 4
     * standard errors sqrt(lambda / k) of lambda = 800.                    */
    const int k = 100;
    const double lambda = 800;
    uint64_t total = 0;
    uint64_t *c = arrival_counts(ARRIVAL_TRACE "duration=100s,flow_rate=800", 21, k, &total);
    CHECK(c != NULL);
    if (!c)
        return;
    double sum = 0, ss = 0;
    for (int i = 0; i < k; i++)
        sum += (double)c[i];
    double mean = sum / k;
    for (int i = 0; i < k; i++)
        ss += ((double)c[i] - mean) * ((double)c[i] - mean);
    double dstat = ss / mean;
    double lo = gsl_cdf_chisq_Pinv(ALPHA / 2, k - 1), hi = gsl_cdf_chisq_Qinv(ALPHA / 2, k - 1);
    CHECK(dstat > lo && dstat < hi);
    CHECK_NEAR(mean, lambda, N_SE * sqrt(lambda / k));
    CHECK_EQ_U(total, (uint64_t)sum);
    free(c);
}

/* Counts per bin against the integral m_i of the configured rate over the
 * bin: sum (n_i - m_i)^2 / m_i is approximately chi2(k) (Poisson counts with
 * known means, all m_i >= 300 so the normal approximation holds).            */
static void check_rate_shape(const char *list, uint64_t seed, int k,
                             double (*rate)(double t))
{
    uint64_t total = 0;
    uint64_t *c = arrival_counts(list, seed, k, &total);
    CHECK(c != NULL);
    if (!c)
        return;
    double x2 = 0;
    const int steps = 1000;
    for (int i = 0; i < k; i++) {
        double m = 0;
        for (int s = 0; s < steps; s++)
            m += rate(i + (s + 0.5) / steps) / steps;
        x2 += ((double)c[i] - m) * ((double)c[i] - m) / m;
    }
    double pv = gsl_cdf_chisq_Q(x2, k);
    if (!(pv > ALPHA / 2 && pv < 1 - ALPHA / 2))
        fprintf(stderr, "  %s: chi2 = %.1f, df = %d, p = %.3g\n", list, x2, k, pv);
    CHECK(pv > ALPHA / 2 && pv < 1 - ALPHA / 2);
    free(c);
}

static double ramp_rate(double t)
{
    return 400 * (1 + (3 - 1) * t / 60);
}

static double step_rate(double t)
{
    return t >= 20 ? 400 * 2.5 : 400;
}

static double diurnal_rate(double t)
{
    return 600 * (1 + 0.5 * sin(2 * M_PI * (t + 5) / 30));
}

TEST(gen_arrivals_time_varying)
{
    check_rate_shape(ARRIVAL_TRACE "duration=60s,flow_rate=400,rate_shape=ramp,ramp_end=3",
                     22, 60, ramp_rate);
    check_rate_shape(ARRIVAL_TRACE "duration=40s,flow_rate=400,rate_shape=step,step_at=20s,"
                                   "step_factor=2.5", 23, 40, step_rate);
    check_rate_shape(ARRIVAL_TRACE "duration=60s,flow_rate=600,rate_shape=diurnal,"
                                   "diurnal_period=30s,diurnal_amp=0.5,diurnal_phase=5s",
                     24, 60, diurnal_rate);
}

/* ---- protocol mix and TCP behaviour --------------------------------------------------- */

static int within_binomial(double hits, double n, double p)
{
    double se = sqrt(p * (1 - p) / n);
    int ok = fabs(hits / n - p) <= N_SE * se;
    if (!ok)
        fprintf(stderr, "  fraction %.5f, expected %.5f +- %.5f (n = %.0f)\n", hits / n, p,
                N_SE * se, n);
    return ok;
}

TEST(gen_protocol_and_tcp_fractions)
{
    /* One trace, ~60,000 connections: the fraction of TCP, UDP, ICMP and
     * IPv6 connections, and among TCP connections the reverse-direction,
     * FIN/RST and SYN-retransmission fractions, each within 4 binomial
     * standard errors of its parameter.                                    */
    const char *list = "duration=30s,flow_rate=2000,tcp_frac=0.6,udp_frac=0.3,ipv6_frac=0.25,"
                       "tcp_reverse_frac=0.4,tcp_fin_frac=0.7,tcp_rst_frac=0.2,"
                       "syn_retx_prob=0.1,syn_rto=1s,rtt=20ms,pkt_rate=200,"
                       "size_law=lognormal,lognormal_median=3,lognormal_sigma=1";
    fs_gen *g = open_gen(list, 31);
    CHECK(g != NULL);
    if (!g)
        return;
    double n = 0, tcp = 0, udp = 0, icmp = 0, v6 = 0;
    double tcp_early = 0, rev = 0;           /* connections > 2 s before the end */
    double multi = 0, retx = 0;              /* client flows of >= 2 packets     */
    double ended = 0, fin = 0, rst = 0;      /* last client packet seen, not SYN */
    fs_gen_pkt pkt;
    char err[256];
    const fs_ns early = 28 * FS_NS_PER_S;
    /* The SYN/ACK of a connection follows its arrival by at most syn_rto +
     * rtt/2, so a connection that arrived before `early` shows its reverse
     * flow if it has one.                                                   */
    while (fs_gen_next(g, &pkt, err, sizeof err) == 1) {
        if (pkt.kind != FS_GEN_BACKGROUND)
            continue;
        if (pkt.reverse) {
            if (pkt.seq == 0 && pkt.conn_start_ns < early) {
                rev++;
                CHECK(pkt.tcp_flags == (FS_TCP_SYN | FS_TCP_ACK));
            }
            continue;
        }
        if (pkt.seq == 0) {
            n++;
            tcp += pkt.proto == 6;
            udp += pkt.proto == 17;
            icmp += pkt.proto == 1 || pkt.proto == 58;
            v6 += pkt.ipv6;
            if (pkt.proto == 6) {
                CHECK(pkt.tcp_flags == FS_TCP_SYN);
                tcp_early += pkt.conn_start_ns < early;
            }
        }
        if (pkt.proto == 6 && pkt.seq == 1 && pkt.conn_start_ns < early) {
            multi++;
            retx += pkt.tcp_flags == FS_TCP_SYN;
        }
        if (pkt.proto == 6 && pkt.flow_pkts >= 2 && pkt.seq + 1 == pkt.flow_pkts &&
            !(pkt.tcp_flags & FS_TCP_SYN)) {
            ended++;
            fin += (pkt.tcp_flags & FS_TCP_FIN) != 0;
            rst += (pkt.tcp_flags & FS_TCP_RST) != 0;
        }
    }
    fs_gen_close(g);
    CHECK(n > 50000);
    CHECK(within_binomial(tcp, n, 0.6));
    CHECK(within_binomial(udp, n, 0.3));
    CHECK(within_binomial(icmp, n, 0.1));
    CHECK(within_binomial(v6, n, 0.25));
    CHECK(within_binomial(rev, tcp_early, 0.4));
    /* multi counts flows of >= 2 packets whose second packet was written;
     * retransmission is decided independently of everything seen here.   */
    CHECK(within_binomial(retx, multi, 0.1));
    CHECK(within_binomial(fin, ended, 0.7));
    CHECK(within_binomial(rst, ended, 0.2));
}

/* ---- attacks ------------------------------------------------------------------------------ */

TEST(gen_flood_distinct_sources)
{
    /* rate x duration = 5000 x 1.2 s = 6000 packets, each from its own
     * spoofed source, all inside [0.5 s, 1.7 s), each a one-packet flow. */
    static const char *const kinds[] = {"syn", "udp"};
    for (int k = 0; k < 2; k++) {
        char list[256];
        snprintf(list, sizeof list,
                 "duration=3s,flow_rate=300,flood_start=500ms,flood_duration=1200ms,"
                 "flood_rate=5000,flood_kind=%s,flood_dport=80,flood_bytes=100", kinds[k]);
        fs_gen *g = open_gen(list, 41 + (uint64_t)k);
        CHECK(g != NULL);
        if (!g)
            continue;
        struct vec src = {NULL, 0, 0, sizeof(uint32_t)};
        fs_gen_pkt pkt;
        char err[256];
        int bad_window = 0, bad_shape = 0;
        while (fs_gen_next(g, &pkt, err, sizeof err) == 1) {
            if (pkt.kind != FS_GEN_FLOOD)
                continue;
            uint32_t a = (uint32_t)pkt.key.src[12] << 24 | (uint32_t)pkt.key.src[13] << 16 |
                         (uint32_t)pkt.key.src[14] << 8 | pkt.key.src[15];
            *(uint32_t *)vec_push(&src) = a;
            bad_window += pkt.rel_ns < 500 * FS_NS_PER_MS || pkt.rel_ns >= 1700 * FS_NS_PER_MS;
            if (k == 0)
                bad_shape += pkt.proto != 6 || pkt.tcp_flags != FS_TCP_SYN || pkt.ip_len != 40;
            else
                bad_shape += pkt.proto != 17 || pkt.ip_len != 100;
            bad_shape += pkt.key.dport != 80 || pkt.flow_pkts != 1 || !pkt.first_written;
        }
        fs_gen_totals t;
        fs_gen_get_totals(g, &t);
        fs_gen_close(g);
        CHECK_EQ_U(src.n, 6000);
        CHECK_EQ_U(t.flood_packets, 6000);
        CHECK_EQ_I(bad_window, 0);
        CHECK_EQ_I(bad_shape, 0);
        qsort(src.v, src.n, sizeof(uint32_t), cmp_u32);
        size_t distinct = src.n ? 1 : 0;
        uint32_t *s = src.v;
        for (size_t i = 1; i < src.n; i++)
            distinct += s[i] != s[i - 1];
        CHECK_EQ_U(distinct, 6000);
        free(src.v);
    }
}

TEST(gen_scan_and_elephant)
{
    /* Scan: 200 probes/s for 3 s would be 600 probes, but scan_ports = 500
     * stops it at 500, on ports 100..599. Elephant: 1000 packets/s for 2 s =
     * 2000 packets, SYN first, FIN last, the rest mtu-sized.              */
    fs_gen *g = open_gen("duration=5s,flow_rate=100,scan_start=1s,scan_duration=3s,"
                         "scan_rate=200,scan_first_port=100,scan_ports=500,"
                         "elephant_start=500ms,elephant_duration=2s,elephant_rate=1000", 51);
    CHECK(g != NULL);
    if (!g)
        return;
    fs_gen_pkt pkt;
    char err[256];
    uint64_t probes = 0, ele = 0;
    int bad = 0;
    while (fs_gen_next(g, &pkt, err, sizeof err) == 1) {
        if (pkt.kind == FS_GEN_SCAN) {
            bad += pkt.key.dport != 100 + probes || pkt.tcp_flags != FS_TCP_SYN;
            probes++;
        } else if (pkt.kind == FS_GEN_ELEPHANT) {
            if (ele == 0)
                bad += pkt.tcp_flags != FS_TCP_SYN;
            else if (ele == 1999)
                bad += !(pkt.tcp_flags & FS_TCP_FIN) || pkt.ip_len != 1500;
            else
                bad += pkt.ip_len != 1500 || (pkt.tcp_flags & (FS_TCP_SYN | FS_TCP_FIN));
            bad += pkt.flow_pkts != 2000;
            ele++;
        }
    }
    fs_gen_close(g);
    CHECK_EQ_U(probes, 500);
    CHECK_EQ_U(ele, 2000);
    CHECK_EQ_I(bad, 0);
}

/* ---- properties of the output ---------------------------------------------------------- */

/* Everything at once, for the structural checks below. */
#define ALL_FEATURES "duration=4s,warmup=2s,flow_rate=1500,ipv6_frac=0.3,tcp_frac=0.7," \
                     "udp_frac=0.2,tcp_reverse_frac=0.5,syn_retx_prob=0.05,"            \
                     "size_law=mixture,flood_start=1s,flood_duration=1s,flood_rate=3000," \
                     "scan_start=500ms,scan_duration=2s,scan_rate=300,"                 \
                     "elephant_start=1s,elephant_duration=2s,elephant_rate=500,"         \
                     "src_prefixes=300,dst_prefixes=50,dst_ports=20"

/* A written packet, for per-flow checks after sorting by (key, seq). */
struct seen {
    fs_key   key;
    uint32_t seq, n;
    int      kind;
};

static int cmp_seen(const void *a, const void *b)
{
    const struct seen *x = a, *y = b;
    int c = memcmp(&x->key, &y->key, sizeof x->key);
    return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

TEST(gen_keys_distinct_and_totals_exact)
{
    /* Small prefix and port spaces make accidental key collisions likely if
     * the construction were wrong. Ground truth: sort the keys of all
     * packets and count distinct ones; it must equal totals.flows and the
     * number of packets flagged first_written. Packets come in time order,
     * inside [0, duration). A flow whose first (seq 0) and last (seq n-1)
     * planned packets are both written has all n packets, in order, under
     * one key: realised sizes equal planned sizes.                          */
    fs_gen *g = open_gen(ALL_FEATURES, 61);
    CHECK(g != NULL);
    if (!g)
        return;
    struct vec pk = {NULL, 0, 0, sizeof(struct seen)};
    fs_gen_pkt pkt;
    char err[256];
    uint64_t firsts = 0, bytes = 0;
    fs_ns last = -1;
    int order_bad = 0;
    while (fs_gen_next(g, &pkt, err, sizeof err) == 1) {
        struct seen *s = vec_push(&pk);
        memset(s, 0, sizeof *s);
        s->key = pkt.key;
        s->seq = pkt.seq;
        s->n = pkt.flow_pkts;
        s->kind = pkt.kind;
        firsts += pkt.first_written;
        bytes += pkt.ip_len;
        order_bad += pkt.rel_ns < last || pkt.rel_ns < 0 || pkt.rel_ns >= 4 * FS_NS_PER_S;
        last = pkt.rel_ns;
    }
    fs_gen_totals t;
    fs_gen_get_totals(g, &t);
    fs_gen_close(g);
    CHECK_EQ_I(order_bad, 0);
    CHECK_EQ_U(t.packets, pk.n);
    CHECK_EQ_U(t.bytes_ip, bytes);
    CHECK_EQ_U(t.flows, firsts);
    CHECK_EQ_U(t.flows, t.flows_tcp + t.flows_udp + t.flows_icmp + t.flows_other);
    CHECK_EQ_U(t.packets, t.ipv4_packets + t.ipv6_packets);
    CHECK(t.flood_packets == 3000 && t.scan_packets == 600 && t.elephant_packets == 1000);
    struct seen *s = pk.v;
    qsort(s, pk.n, sizeof *s, cmp_seen);
    uint64_t distinct = 0, complete = 0, complete_bad = 0;
    for (size_t i = 0; i < pk.n;) {
        size_t j = i + 1;
        while (j < pk.n && !memcmp(&s[j].key, &s[i].key, sizeof s[i].key))
            j++;
        distinct++;
        if (s[i].seq == 0 && s[j - 1].seq + 1 == s[i].n) {
            complete++;
            complete_bad += j - i != s[i].n;
            for (size_t k = i; k < j; k++)
                complete_bad += s[k].seq != k - i || s[k].n != s[i].n;
        }
        i = j;
    }
    CHECK_EQ_U(t.flows, distinct);
    CHECK(complete > 1000);
    CHECK_EQ_U(complete_bad, 0);
    free(pk.v);
}

TEST(gen_icmp_key_space_exhaustion_is_an_error)
{
    /* 254 x 254 = 64,516 distinct IPv4 ICMP connections fit; 80,000/s for
     * 1 s asks for more, and the generator must say so, not repeat keys. */
    fs_gen *g = open_gen("duration=1s,flow_rate=80k,tcp_frac=0,udp_frac=0,ipv6_frac=0,"
                         "size_law=lognormal,lognormal_median=1,lognormal_sigma=0.01", 71);
    CHECK(g != NULL);
    if (!g)
        return;
    fs_gen_pkt pkt;
    char err[256] = "";
    int rc;
    while ((rc = fs_gen_next(g, &pkt, err, sizeof err)) == 1)
        ;
    fs_gen_close(g);
    CHECK_EQ_I(rc, -1);
    CHECK(strstr(err, "ICMP") != NULL);
}

TEST(gen_same_seed_same_bytes)
{
    fs_gen_params p;
    char err[512];
    CHECK(params_from(&p, ALL_FEATURES) == 0);
    uint64_t h[3] = {0}, hj[2] = {0};
    const char *names[3] = {"a.pcap", "b.pcap", "c.pcap"};
    const uint64_t seeds[3] = {5, 5, 6};
    for (int i = 0; i < 3; i++) {
        const char *path = tmp_path(names[i]);
        CHECK(fs_gen_write(&p, seeds[i], NULL, path, NULL, err, sizeof err) == 0);
        CHECK(hash_file(path, &h[i]) == 0);
    }
    CHECK(h[0] == h[1]);
    CHECK(h[0] != h[2]);
    /* The sidecars differ only by the file name they record: write the
     * second one again under the first name and compare.                */
    CHECK(fs_gen_write(&p, 5, NULL, tmp_path("a.pcap"), NULL, err, sizeof err) == 0);
    char j[200];
    snprintf(j, sizeof j, "%s.json", tmp_path("a.pcap"));
    CHECK(hash_file(j, &hj[0]) == 0);
    CHECK(fs_gen_write(&p, 5, NULL, tmp_path("a.pcap"), NULL, err, sizeof err) == 0);
    CHECK(hash_file(j, &hj[1]) == 0);
    CHECK(hj[0] == hj[1]);
    for (int i = 0; i < 3; i++)
        rm_tmp(names[i]);
}

/* One's-complement sum check of a header with its checksum: folds to 0. */
static uint32_t ocsum(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)b[i] << 8 | b[i + 1];
    return s;
}

static int csum_ok(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

/* Reads a generated pcap back with libpcap and recomputes the totals. */
static void check_readback(const char *path, const fs_gen_totals *t, int nano)
{
    FILE *f = fopen(path, "rb");
    uint8_t magic[4] = {0};
    CHECK(f && fread(magic, 1, 4, f) == 4);
    if (f)
        fclose(f);
    uint32_t m = (uint32_t)magic[0] | (uint32_t)magic[1] << 8 | (uint32_t)magic[2] << 16 |
                 (uint32_t)magic[3] << 24;
    CHECK_EQ_U(m, nano ? 0xa1b23c4du : 0xa1b2c3d4u);
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
    CHECK(pc != NULL);
    if (!pc)
        return;
    CHECK_EQ_I(pcap_datalink(pc), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t pkts = 0, bytes = 0, v4 = 0, v6 = 0, bad_csum = 0;
    fs_ns first = 0, lastts = 0;
    struct vec keys = {NULL, 0, 0, sizeof(fs_key)};
    while (pcap_next_ex(pc, &h, &d) == 1) {
        fs_ns ts = (fs_ns)h->ts.tv_sec * FS_NS_PER_S + h->ts.tv_usec;
        if (!pkts)
            first = ts;
        lastts = ts;
        pkts++;
        fs_key *k = vec_push(&keys);
        memset(k, 0, sizeof *k);
        unsigned et = (unsigned)d[12] << 8 | d[13];
        const u_char *ip = d + 14, *l4;
        uint32_t psum;
        if (et == 0x0800) {
            v4++;
            uint32_t len = (uint32_t)ip[2] << 8 | ip[3];
            bytes += len;
            CHECK_EQ_U(h->len, 14 + len);
            bad_csum += !csum_ok(ocsum(ip, 20, 0));
            k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
            memcpy(k->src + 12, ip + 12, 4);
            memcpy(k->dst + 12, ip + 16, 4);
            k->proto = ip[9];
            l4 = ip + 20;
            psum = ocsum(ip + 12, 8, 0) + (len - 20) + ip[9];
        } else {
            CHECK_EQ_U(et, 0x86dd);
            v6++;
            uint32_t plen = (uint32_t)ip[4] << 8 | ip[5];
            bytes += 40 + plen;
            memcpy(k->src, ip + 8, 16);
            memcpy(k->dst, ip + 24, 16);
            k->proto = ip[6];
            k->flags = FS_KEY_V6;
            l4 = ip + 40;
            psum = ocsum(ip + 8, 32, 0) + plen + ip[6];
        }
        /* Payload bytes are zero, so header + pseudo-header must check. */
        if (k->proto == 6 || k->proto == 17) {
            k->sport = (uint16_t)(l4[0] << 8 | l4[1]);
            k->dport = (uint16_t)(l4[2] << 8 | l4[3]);
            bad_csum += !csum_ok(ocsum(l4, k->proto == 6 ? 20 : 8, psum));
        } else {
            k->dport = (uint16_t)(l4[0] << 8 | l4[1]);
            bad_csum += !csum_ok(ocsum(l4, 8, k->proto == 58 ? psum : 0));
        }
    }
    pcap_close(pc);
    CHECK_EQ_U(pkts, t->packets);
    CHECK_EQ_U(bytes, t->bytes_ip);
    CHECK_EQ_U(v4, t->ipv4_packets);
    CHECK_EQ_U(v6, t->ipv6_packets);
    CHECK_EQ_U(bad_csum, 0);
    CHECK_EQ_U(count_distinct_keys(keys.v, keys.n), t->flows);
    CHECK_EQ_I(first, t->first_ts);
    CHECK_EQ_I(lastts, t->last_ts);
    if (!nano) {
        CHECK_EQ_I(first % 1000, 0);
    }
    free(keys.v);
}

TEST(gen_pcap_reads_back)
{
    static const char *const variants[] = {"", ",tstamp=us", ",snaplen=128"};
    for (int v = 0; v < 3; v++) {
        char list[600];
        snprintf(list, sizeof list, "%s%s", ALL_FEATURES, variants[v]);
        fs_gen_params p;
        char err[512];
        fs_gen_totals t;
        CHECK(params_from(&p, list) == 0);
        const char *path = tmp_path("rb.pcap");
        CHECK(fs_gen_write(&p, 81, "test", path, &t, err, sizeof err) == 0);
        check_readback(path, &t, v != 1);
        rm_tmp("rb.pcap");
    }
}
