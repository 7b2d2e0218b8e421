/* flowsim — Flow Slices (algorithms.md §2.4): known answers derived by hand,
 * the estimator rules of §2.4.6/§2.4.7 on hand-made records, unbiasedness
 * over seeds on a real and a synthetic trace, variances against eq. 7 and 8,
 * the memory budget of adaptive p under a spoofed flood, and bad parameters.
 *
 * Statistical checks. Seeds are pinned, so outcomes are fixed; tolerances are
 * what theory and the number of replicates R (or samples n) give, so that a
 * correct implementation fails a check with probability below ~1e-5:
 *   mean      |mean - E| <= 4.5 sigma / sqrt(R), with sigma from the exact
 *             variance where theory gives it (single slice per flow), else
 *             the replicates' standard deviation;
 *   variance  |s²/sigma² - 1| <= 4.5 sqrt((kappa - (n-3)/(n-1)) / n), kappa
 *             = mu4/sigma⁴ (exact where the distribution is known, else the
 *             sample kurtosis) — the standard error of a sample variance.
 * Expectations are computed from the trace itself, exactly, packet by packet
 * (expect_trace below), so flows that break Assumption 1 (more than one SYN,
 * or a SYN not on the first packet) are accounted for, as in test_stats.c.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "rng.h"
#include "ftab.h"
#include "gen_api.h"
#include "harness.h"
#include "pcapw.h"
#include "reader.h"
#include "tf.h"

#define SEC(x) ((fs_ns)((x) * 1e9 + 0.5))
#define BITTORRENT "../traces/real/ndpi_bittorrent_transmission.pcapng"
#define Z 4.5

/* ---- packet sources and a direct meter driver ------------------------------ */

typedef struct pkt_array {
    fs_pkt *p;
    size_t  n, cap;
} pkt_array;

static void pa_push(pkt_array *a, const fs_pkt *p)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 1024;
        a->p = realloc(a->p, a->cap * sizeof *a->p);
    }
    a->p[a->n] = *p;
    a->p[a->n].data = NULL;
    a->p[a->n].key_hash = fs_key_hash(&p->key, 0);
    a->n++;
}

static int load_pcap(const char *path, pkt_array *a)
{
    fs_reader *r;
    char err[512];
    const char *paths[] = {path};
    memset(a, 0, sizeof *a);
    if (fs_reader_open(&r, paths, 1, err, sizeof err)) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    fs_pkt k;
    while (fs_reader_next(r, &k, err, sizeof err) == 1)
        pa_push(a, &k);
    fs_reader_close(r);
    return 0;
}

static void gen_to_pkt(const fs_gen_pkt *g, fs_pkt *p)
{
    memset(p, 0, sizeof *p);
    p->ts = g->ts;
    p->key = g->key;
    p->ip_len = g->ip_len;
    p->wire_len = g->wire_len;
    p->caplen = g->caplen;
    p->tcp_flags = g->tcp_flags;
    p->key_hash = fs_key_hash(&p->key, 0);
}

/* A generator from a profile plus a -p list. */
static fs_gen *open_profile(const char *profile, const char *list, uint64_t seed)
{
    fs_gen_params gp;
    char err[512];
    fs_gen *g = NULL;
    if (fs_gen_params_init(&gp, err, sizeof err) ||
        fs_gen_profile_apply(&gp, profile, err, sizeof err) ||
        (list && fs_gen_params_set_list(&gp, list, "test", err, sizeof err)) ||
        fs_gen_params_check(&gp, err, sizeof err) || fs_gen_open(&g, &gp, seed, err, sizeof err))
        fprintf(stderr, "  generator: %s\n", err);
    fs_gen_params_free(&gp);
    return g;
}

static int load_profile(const char *profile, const char *list, uint64_t seed, pkt_array *a)
{
    memset(a, 0, sizeof *a);
    fs_gen *g = open_profile(profile, list, seed);
    if (!g)
        return -1;
    fs_gen_pkt gk;
    fs_pkt k;
    char err[256];
    while (fs_gen_next(g, &gk, err, sizeof err) == 1) {
        gen_to_pkt(&gk, &k);
        pa_push(a, &k);
    }
    fs_gen_close(g);
    return 0;
}

typedef struct drive_out {
    int64_t  peak;           /* accountant's peak of live entries        */
    uint64_t max_live;       /* largest live() seen after any call        */
    uint64_t records;
    double   refused, p_changes, p_lowest, created;
} drive_out;

static void on_stat(void *ctx, const char *name, double v)
{
    drive_out *o = ctx;
    if (!strcmp(name, "meter_refused_creations")) o->refused = v;
    else if (!strcmp(name, "meter_p_changes")) o->p_changes = v;
    else if (!strcmp(name, "meter_p_lowest")) o->p_lowest = v;
    else if (!strcmp(name, "meter_slices_created")) o->created = v;
}

typedef struct emit_ctx {
    void (*fn)(void *, const fs_record *);
    void *ctx;
    uint64_t n;
} emit_ctx;

static void on_emit(void *ctx, const fs_record *r)
{
    emit_ctx *e = ctx;
    e->n++;
    if (e->fn)
        e->fn(e->ctx, r);
}

/* Drives one meter over packets exactly as the engine does (advance before
 * a packet due at or after the next event, flush at the end) and checks the
 * live count after every call. Packets come from an array or a generator. */
static int drive(const fs_pipeline_spec *ps, uint64_t seed, const pkt_array *arr, fs_gen *gen,
                 void (*rec)(void *, const fs_record *), void *rctx, drive_out *out)
{
    const fs_algo *a = ps->algo;
    gsl_rng *rng = fs_rng_alloc(seed);   /* the engine's replicate generator */
    void *st = calloc(1, a->state_size);
    fs_acct acct;
    fs_acct_init(&acct, NULL, NULL);
    emit_ctx em = {rec, rctx, 0};
    fs_meter_env env = {rng, 1.0, &acct, on_emit, &em, 0};
    char err[512];
    memset(out, 0, sizeof *out);
    if (a->init(st, ps->aparams, &env, err, sizeof err)) {
        fprintf(stderr, "  init: %s\n", err);
        free(st);
        gsl_rng_free(rng);
        return -1;
    }
    fs_ns next = FS_NS_INF, end = 0;
    fs_pkt k;
    fs_gen_pkt gk;
    for (size_t i = 0;; i++) {
        const fs_pkt *p;
        if (arr) {
            if (i >= arr->n)
                break;
            p = &arr->p[i];
        } else {
            if (fs_gen_next(gen, &gk, err, sizeof err) != 1)
                break;
            gen_to_pkt(&gk, &k);
            p = &k;
        }
        if (p->ts >= next) {
            next = a->advance(st, p->ts);
            if (a->live(st) > out->max_live)
                out->max_live = a->live(st);
        }
        next = a->packet(st, p);
        if (a->live(st) > out->max_live)
            out->max_live = a->live(st);
        end = p->ts;
    }
    a->flush(st, end);
    fs_acct_finish(&acct, end);
    out->peak = acct.peak;
    out->records = em.n;
    a->stats(st, on_stat, out);
    a->destroy(st);
    free(st);
    gsl_rng_free(rng);
    return 0;
}

static int parse(const char *spec, fs_pipeline_spec *ps)
{
    char err[1024];
    if (fs_pipeline_parse(spec, ps, err, sizeof err)) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- summing estimates ------------------------------------------------------ */

/* Aggregates: a predicate on the key (-1 = any). */
typedef struct agg { int proto, dport, v6; } agg;
enum { MAXAGG = 4 };

typedef struct sums {
    double pkts, bytes, vp, vb, flows, arr, arr2;
    double apk[MAXAGG], aby[MAXAGG];
} sums;

static int agg_match(const agg *g, const fs_key *k)
{
    return (g->proto < 0 || k->proto == g->proto) && (g->dport < 0 || k->dport == g->dport) &&
           (g->v6 < 0 || ((k->flags & FS_KEY_V6) != 0) == g->v6);
}

typedef struct est_ctx {
    const fs_pipeline_spec *ps;
    const agg *aggs;
    int naggs;
    const fs_record *cur;
    sums s;
} est_ctx;

static void on_contrib(void *ctx, int64_t bin, const fs_contrib *c)
{
    (void)bin;
    est_ctx *e = ctx;
    e->s.pkts += c->pkts;
    e->s.bytes += c->bytes;
    e->s.vp += c->var_pkts;
    e->s.vb += c->var_bytes;
    e->s.flows += c->flows;
    e->s.arr += c->arrivals;
    e->s.arr2 += c->arrivals_alt;
    for (int i = 0; i < e->naggs; i++)
        if (agg_match(&e->aggs[i], &e->cur->key)) {
            e->s.apk[i] += c->pkts;
            e->s.aby[i] += c->bytes;
        }
}

/* One analysis bin for the whole trace: every record's whole estimate. */
static void on_record_est(void *ctx, const fs_record *r)
{
    est_ctx *e = ctx;
    fs_binning one = {FS_NS_INF};
    e->cur = r;
    e->ps->algo->estimate(e->ps->aparams, r, &one, on_contrib, e);
}

/* ---- truth and exact expectations from the trace ------------------------------ */

typedef struct fent { FS_FTAB_ENTRY_HEAD; uint32_t n, off, fill; } fent;

typedef struct truth {
    double pkts, bytes, flows, arrivals;
    double apk[MAXAGG], aby[MAXAGG];
    /* per flow, packets in time order */
    size_t nflows;
    uint32_t *flow_off, *flow_n;
    uint32_t *pkt_of;        /* packet indices grouped by flow */
    int top_dport;           /* destination port with the most bytes */
} truth;

static void truth_of(const pkt_array *a, const agg *aggs, int naggs, truth *t)
{
    memset(t, 0, sizeof *t);
    fs_ftab tab;
    fs_ftab_init(&tab, sizeof(fent), 1024, 0, 0);
    uint32_t *idx = malloc(a->n * sizeof *idx);
    static double port_bytes[65536];
    memset(port_bytes, 0, sizeof port_bytes);
    for (size_t i = 0; i < a->n; i++) {
        const fs_pkt *p = &a->p[i];
        int created;
        uint32_t k = fs_ftab_upsert(&tab, &p->key, p->key_hash, &created);
        ((fent *)fs_ftab_ent(&tab, k))->n++;
        idx[i] = k;
        t->pkts++;
        t->bytes += p->ip_len;
        port_bytes[p->key.dport] += p->ip_len;
        for (int g = 0; g < naggs; g++)
            if (agg_match(&aggs[g], &p->key)) {
                t->apk[g]++;
                t->aby[g] += p->ip_len;
            }
    }
    for (int i = 1; i < 65536; i++)
        if (port_bytes[i] > port_bytes[t->top_dport])
            t->top_dport = i;
    /* group packet indices by flow, in time order */
    t->nflows = tab.n;
    t->flow_off = calloc(tab.hwm + 1, sizeof *t->flow_off);
    t->flow_n = calloc(tab.hwm + 1, sizeof *t->flow_n);
    t->pkt_of = malloc(a->n * sizeof *t->pkt_of);
    uint32_t off = 0;
    for (uint32_t k = 0; k < tab.hwm; k++) {
        fent *e = fs_ftab_ent(&tab, k);
        t->flow_off[k] = off;
        t->flow_n[k] = e->n;
        off += e->n;
    }
    for (size_t i = 0; i < a->n; i++) {
        fent *e = fs_ftab_ent(&tab, idx[i]);
        t->pkt_of[t->flow_off[idx[i]] + e->fill++] = (uint32_t)i;
    }
    t->nflows = tab.hwm;
    double flows = 0, arr = 0;
    for (uint32_t k = 0; k < tab.hwm; k++) {
        if (!t->flow_n[k])
            continue;
        flows++;
        int syn = 0;
        for (uint32_t j = 0; j < t->flow_n[k]; j++) {
            const fs_pkt *p = &a->p[t->pkt_of[t->flow_off[k] + j]];
            syn |= p->key.proto == 6 && (p->tcp_flags & FS_TCP_SYN);
        }
        arr += syn;
    }
    t->flows = flows;
    t->arrivals = arr;
    free(idx);
    fs_ftab_free(&tab);
}

static void truth_free(truth *t)
{
    free(t->flow_off);
    free(t->flow_n);
    free(t->pkt_of);
}

/* Exact expectations and variances for one slice per flow (t and inactive
 * longer than the trace, no FIN/RST expiry, no refusal), slicing p, packet
 * sampling q. Packet j (j = 1..S in time order) finds no entry with
 * probability c_j = (1 - pq)^(j-1) and creates it with probability pq then;
 * after that, each packet is counted with probability q.
 *   Var(Ŝ) = sum_j [c_j (1/(pq) - 1) + (1 - c_j)(1/q - 1)]     (x_j = 1)
 *   Var(B̂) = the same with weights b_j²                        [D, §2.4.6]
 *   E[Â(1)] = sum_j c_j [SYN_j ? 1 : 1 - (1-q)^(SYNs after j)]
 *   E[Â(2)] = sum_j pq c_j [(1-q)^(S-j) (SYN_j ? 1/(pq) : 1/p) + 1 - (1-q)^(S-j)]
 *   E[f̂]    = 1 - (1-q)^S (eq. 3 on the sampled packets), Var = (1/p - 1)(1-p)^(S-1) at q=1
 * Both arrival expectations are 1 for a TCP flow whose only SYN is its
 * first packet (Assumption 1); the formulas give the exact value otherwise. */
typedef struct expect {
    double var_pkts, var_bytes, a1, a2, flows, var_flows;
} expect;

static expect expect_trace(const pkt_array *a, const truth *t, double p, double q)
{
    expect x = {0, 0, 0, 0, 0, 0};
    double pq = p * q;
    for (size_t k = 0; k < t->nflows; k++) {
        uint32_t S = t->flow_n[k];
        if (!S)
            continue;
        const uint32_t *ix = t->pkt_of + t->flow_off[k];
        int tcp = a->p[ix[0]].key.proto == 6;
        uint32_t syn_after = 0;
        for (uint32_t j = 0; j < S; j++)
            syn_after += (a->p[ix[j]].tcp_flags & FS_TCP_SYN) != 0;
        double c = 1;
        for (uint32_t j = 0; j < S; j++) {
            const fs_pkt *pk = &a->p[ix[j]];
            int syn = (pk->tcp_flags & FS_TCP_SYN) != 0;
            syn_after -= syn;
            double w = c * (1 / pq - 1) + (1 - c) * (1 / q - 1);
            x.var_pkts += w;
            x.var_bytes += w * (double)pk->ip_len * pk->ip_len;
            if (tcp) {
                x.a1 += c * (syn ? 1 : 1 - pow(1 - q, syn_after));
                double one = pow(1 - q, S - 1 - j);
                x.a2 += pq * c * (one * (syn ? 1 / pq : 1 / p) + 1 - one);
            }
            c *= 1 - pq;
        }
        x.flows += 1 - pow(1 - q, S);
        x.var_flows += (1 / p - 1) * pow(1 - p, S - 1);
    }
    return x;
}

/* ---- statistics ----------------------------------------------------------------- */

static void moments(const double *v, int n, double *m, double *var, double *kurt)
{
    double s = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    *m = s / n;
    for (int i = 0; i < n; i++) {
        double d = v[i] - *m;
        s2 += d * d;
        s4 += d * d * d * d;
    }
    *var = s2 / (n - 1);
    double m2 = s2 / n;
    *kurt = m2 > 0 ? (s4 / n) / (m2 * m2) : 3;
}

/* Standard error of s²/sigma² for n samples of kurtosis kappa. */
static double var_ratio_se(double kappa, int n)
{
    double k = kappa - (double)(n - 3) / (n - 1);
    return sqrt((k > 0 ? k : 2.0 / n) / n);
}

/* Mean of R estimates against an expectation; sigma2 <= 0: take the spread
 * of the replicates. Returns the sample variance. */
static double check_mean(const char *what, const double *v, int R, double expect_v, double sigma2)
{
    double m, var, kurt;
    moments(v, R, &m, &var, &kurt);
    double sd = sigma2 > 0 ? sqrt(sigma2) : sqrt(var);
    double tol = Z * sd / sqrt(R) + 1e-9 * fabs(expect_v);
    if (getenv("TF_VERBOSE"))
        fprintf(stderr, "    %-30s mean %12.6g expected %12.6g (%+.2f tolerances)\n", what, m,
                expect_v, (m - expect_v) / tol);
    if (!(fabs(m - expect_v) <= tol))
        fprintf(stderr, "  %s: mean %.6g, expected %.6g, tolerance %.3g\n", what, m, expect_v,
                tol);
    CHECK_NEAR(m, expect_v, tol);
    return var;
}

/* Sample variance of R estimates against a theoretical sigma². */
static void check_var(const char *what, const double *v, int R, double sigma2)
{
    double m, var, kurt;
    moments(v, R, &m, &var, &kurt);
    double tol = Z * var_ratio_se(kurt, R);
    if (getenv("TF_VERBOSE"))
        fprintf(stderr, "    %-30s var/theory %.4f (tolerance %.3f)\n", what, var / sigma2, tol);
    if (!(fabs(var / sigma2 - 1) <= tol))
        fprintf(stderr, "  %s: variance %.6g, expected %.6g, tolerance %.3g (relative)\n", what,
                var, sigma2, tol);
    CHECK_NEAR(var / sigma2, 1.0, tol);
}

/* Runs R replicates of a spec over packets and collects the sums. */
static int replicate(const char *spec, const pkt_array *a, const agg *aggs, int naggs, int R,
                     uint64_t seed0, sums *out, drive_out *dout)
{
    fs_pipeline_spec ps;
    if (parse(spec, &ps))
        return -1;
    for (int r = 0; r < R; r++) {
        est_ctx e;
        memset(&e, 0, sizeof e);
        e.ps = &ps;
        e.aggs = aggs;
        e.naggs = naggs;
        if (drive(&ps, seed0 + (uint64_t)r, a, NULL, on_record_est, &e, &dout[r])) {
            fs_pipeline_free(&ps);
            return -1;
        }
        out[r] = e.s;
    }
    fs_pipeline_free(&ps);
    return 0;
}

#define FIELD(arr, R, f, dst) do { for (int i_ = 0; i_ < (R); i_++) (dst)[i_] = (arr)[i_].f; } while (0)

/* Totals and aggregates of one setting against the trace. single = one slice
 * per flow (the exact expectations and variances apply); check_flows: q = 1
 * or the sampled-flows expectation; check_arr: arrivals expectations apply
 * (single slice, or Assumption 1 holds in the trace). */
static void check_setting(const char *spec, const pkt_array *a, const truth *t, const agg *aggs,
                          int naggs, double p, double q, int single, int R, uint64_t seed0,
                          int arr_mode)
{
    sums *s = calloc((size_t)R, sizeof *s);
    drive_out *d = calloc((size_t)R, sizeof *d);
    double *v = calloc((size_t)R, sizeof *v);
    if (getenv("TF_VERBOSE"))
        fprintf(stderr, "  setting %s\n", spec);
    CHECK_EQ_I(replicate(spec, a, aggs, naggs, R, seed0, s, d), 0);
    for (int r = 0; r < R; r++)
        CHECK_NEAR(d[r].refused, 0, 0);
    expect x = expect_trace(a, t, p, q);
    /* packets and bytes: unbiased in every setting */
    FIELD(s, R, pkts, v);
    check_mean("packets", v, R, t->pkts, single ? x.var_pkts : 0);
    if (single)
        check_var("packets", v, R, x.var_pkts);
    FIELD(s, R, bytes, v);
    check_mean("bytes", v, R, t->bytes, single ? x.var_bytes : 0);
    if (single)
        check_var("bytes", v, R, x.var_bytes);
    /* the records' own variance estimates are unbiased for the variance */
    if (single) {
        FIELD(s, R, vp, v);
        check_mean("variance estimate of packets", v, R, x.var_pkts, 0);
        FIELD(s, R, vb, v);
        check_mean("variance estimate of bytes", v, R, x.var_bytes, 0);
    }
    if (single) {
        /* active flows, eq. 3: all flows at q = 1, sampled flows at q < 1 */
        FIELD(s, R, flows, v);
        check_mean("flows", v, R, x.flows, q == 1 ? x.var_flows : 0);
        if (q == 1)
            check_var("flows", v, R, x.var_flows);
    }
    if (arr_mode == 1) {
        /* exact expectations for one slice per flow */
        FIELD(s, R, arr, v);
        check_mean("arrivals A1", v, R, x.a1, 0);
        FIELD(s, R, arr2, v);
        check_mean("arrivals A2", v, R, x.a2, 0);
    } else if (arr_mode == 2) {
        /* Assumption 1 holds in the trace: A1 is unbiased for the truth */
        FIELD(s, R, arr, v);
        check_mean("arrivals A1", v, R, t->arrivals, 0);
    }
    for (int g = 0; g < naggs; g++) {
        char what[64];
        snprintf(what, sizeof what, "aggregate %d packets", g);
        FIELD(s, R, apk[g], v);
        check_mean(what, v, R, t->apk[g], 0);
        snprintf(what, sizeof what, "aggregate %d bytes", g);
        FIELD(s, R, aby[g], v);
        check_mean(what, v, R, t->aby[g], 0);
    }
    free(s);
    free(d);
    free(v);
}

/* ==== known answers ============================================================== */

/* A TCP packet of 40 + payload bytes. */
static void tcp(pcapw *w, double t, const char *src, uint16_t sport, uint8_t flags,
                uint16_t payload)
{
    pcapw_pkt p = pcapw_tcp(src, sport, "10.0.0.100", 80, flags);
    p.payload_len = payload;
    pcapw_put(w, SEC(t), &p);
}

/* A UDP packet of 28 + payload bytes. */
static void udp(pcapw *w, double t, const char *src, uint16_t sport, uint16_t payload)
{
    pcapw_pkt p = pcapw_udp(src, sport, "10.0.0.100", 53);
    p.payload_len = payload;
    pcapw_put(w, SEC(t), &p);
}

typedef struct kx {
    double exported, first, last;
    const char *src;
    uint64_t pkts;
    double bytes;
    const char *reason;
} kx;

static void check_records(const char *pcap, const char *spec, const kx *ex, int nex)
{
    char out[128];
    const char *traces[] = {pcap};
    const char *specs[] = {spec};
    CHECK_EQ_I(th_run(traces, 1, specs, 1, "bin=inf", out, sizeof out), 0);
    th_rec r[32];
    int n = th_records(out, 0, 0, r, 32);
    CHECK_EQ_I(n, nex);
    for (int i = 0; i < n && i < nex; i++) {
        CHECK_EQ_I(r[i].exported, SEC(ex[i].exported));
        CHECK_EQ_I(r[i].first, SEC(ex[i].first));
        CHECK_EQ_I(r[i].last, SEC(ex[i].last));
        CHECK_STR(r[i].src, ex[i].src);
        CHECK_EQ_U(r[i].pkts, ex[i].pkts);
        CHECK_NEAR(r[i].bytes, ex[i].bytes, 0);
        CHECK_STR(r[i].reason, ex[i].reason);
        CHECK_NEAR(r[i].q, 1, 0);
    }
    th_cleanup(out);
}

/* p = 1, q = 1: every packet of a flow without an entry creates one, so the
 * records follow from the expiry rules alone. t = 10 s, inactive = 4 s. */
TEST(fs_known_records)
{
    char dir[64], path[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/slices.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    /* A: UDP 128-byte packets at 0, 1, 2, 5, 8, 9.5, 10.5, 15 s.
     *  - the entry made at 0 s ends its slice at exactly 10 s (gaps of at most
     *    3 s never reach the 4 s inactivity): record [0 .. 9.5], 6 packets,
     *    768 bytes, exported at 10 s, reason slice;
     *  - 10.5 s makes a new entry; no packet until 15 s, so it goes inactive
     *    at 14.5 s: record [10.5], 1 packet, 128 bytes, reason inactive;
     *  - 15 s makes a third entry, flushed at the end of the trace (15 s).
     * B: TCP SYN at 1 s (40 B), ACK+100 B at 3 s (140 B), FIN at 4 s (40 B),
     *    ACK at 6 s (40 B). With finrst=no it is one entry; its last packet
     *    is at 6 s, so it goes inactive at 10 s, the instant A's slice ends.
     *    Both timers are due at 10 s: the slice end comes first (ties go to
     *    the slice), then B: record [1 .. 6], 4 packets, 260 bytes.
     * C: TCP SYN at 2 s, RST at 2.5 s: with finrst=no inactive at 6.5 s,
     *    2 packets, 80 bytes. */
    udp(w, 0, "10.0.0.1", 1000, 100);
    udp(w, 1, "10.0.0.1", 1000, 100);
    tcp(w, 1, "10.0.0.2", 2000, FS_TCP_SYN, 0);
    udp(w, 2, "10.0.0.1", 1000, 100);
    tcp(w, 2, "10.0.0.3", 3000, FS_TCP_SYN, 0);
    tcp(w, 2.5, "10.0.0.3", 3000, FS_TCP_RST, 0);
    tcp(w, 3, "10.0.0.2", 2000, FS_TCP_ACK, 100);
    tcp(w, 4, "10.0.0.2", 2000, FS_TCP_FIN | FS_TCP_ACK, 0);
    udp(w, 5, "10.0.0.1", 1000, 100);
    tcp(w, 6, "10.0.0.2", 2000, FS_TCP_ACK, 0);
    udp(w, 8, "10.0.0.1", 1000, 100);
    udp(w, 9.5, "10.0.0.1", 1000, 100);
    udp(w, 10.5, "10.0.0.1", 1000, 100);
    udp(w, 15, "10.0.0.1", 1000, 100);
    pcapw_close(w);
    const kx ex[] = {
        {6.5, 2, 2.5, "10.0.0.3", 2, 80, "inactive"},
        {10, 0, 9.5, "10.0.0.1", 6, 768, "slice"},
        {10, 1, 6, "10.0.0.2", 4, 260, "inactive"},
        {14.5, 10.5, 10.5, "10.0.0.1", 1, 128, "inactive"},
        {15, 15, 15, "10.0.0.1", 1, 128, "flush"},
    };
    check_records(path, "flow-slices:p=1,q=1,t=10s,inactive=4s", ex, 5);
    /* finrst=yes: C ends at its RST (2.5 s); B ends at its FIN (4 s) with 3
     * packets, 220 bytes; B's ACK at 6 s starts a new entry that goes
     * inactive at 10 s — after A's slice end at the same instant. */
    const kx ex2[] = {
        {2.5, 2, 2.5, "10.0.0.3", 2, 80, "rst"},
        {4, 1, 4, "10.0.0.2", 3, 220, "fin"},
        {10, 0, 9.5, "10.0.0.1", 6, 768, "slice"},
        {10, 6, 6, "10.0.0.2", 1, 40, "inactive"},
        {14.5, 10.5, 10.5, "10.0.0.1", 1, 128, "inactive"},
        {15, 15, 15, "10.0.0.1", 1, 128, "flush"},
    };
    check_records(path, "flow-slices:p=1,t=10s,inactive=4s,finrst=yes", ex2, 6);
    /* inactive=inf: only slice ends cut entries. A: [0 .. 9.5] at 10 s; B
     * (created 1 s) ends its slice at 11 s with its 4 packets; C (created
     * 2 s) at 12 s; A's entry of 10.5 s holds 10.5 and 15 s (its slice would
     * end at 20.5 s) and is flushed at 15 s. */
    const kx ex3[] = {
        {10, 0, 9.5, "10.0.0.1", 6, 768, "slice"},
        {11, 1, 6, "10.0.0.2", 4, 260, "slice"},
        {12, 2, 2.5, "10.0.0.3", 2, 80, "slice"},
        {15, 10.5, 15, "10.0.0.1", 2, 256, "flush"},
    };
    check_records(path, "flow-slices:p=1,t=10s,inactive=inf", ex3, 4);
    pcapw_rmdir(dir);
}

/* The byte-counter trick and p stamping with p < 1 and a fixed seed: every
 * record's byte counter is the size of its first counted packet over p plus
 * the sizes of the later packets of its slice, its packet counter counts the
 * slice's packets, and it carries the p in force at its creation. The flow
 * sends packets of sizes 100 + j (j = 0, 1, ...) every 100 ms, so the sizes
 * of a record's packets follow from its first and last timestamps. */
typedef struct trick_ctx { int n, bad; double p; } trick_ctx;

static void on_trick(void *ctx, const fs_record *r)
{
    trick_ctx *c = ctx;
    c->n++;
    int64_t j0 = r->first / SEC(0.1), j1 = r->last / SEC(0.1);
    double later = 0;
    for (int64_t j = j0 + 1; j <= j1; j++)
        later += 100.0 + (double)j;
    double want = (100.0 + (double)j0) / c->p + later;
    if (fabs(r->bytes - want) > 1e-9 * want || r->pkts != (uint64_t)(j1 - j0 + 1) ||
        r->p_slice != c->p || r->q_pkt != 1.0 || r->n_bins != 0)
        c->bad++;
}

TEST(fs_known_byte_trick)
{
    fs_pkt p[400];
    for (int j = 0; j < 400; j++)
        p[j] = th_pkt(j * SEC(0.1), 1, 17, 100 + (uint32_t)j, 0);
    pkt_array a = {p, 400, 400};
    fs_pipeline_spec ps;
    CHECK(parse("flow-slices:p=1/4,t=3s,inactive=inf", &ps) == 0);
    trick_ctx c = {0, 0, 0.25};
    drive_out d;
    CHECK(drive(&ps, 7, &a, NULL, on_trick, &c, &d) == 0);
    /* 40 s of packets in slices of 3 s plus a geometric wait of about
     * (1/p - 1) x 100 ms between them: about 12 records */
    CHECK(c.n >= 10);
    CHECK_EQ_I(c.bad, 0);
    CHECK_EQ_I(d.max_live, 1);
    fs_pipeline_free(&ps);
}

/* Binned extension with p = 1, t = 10 s, tbin = 4 s: n = ceil(10/4) + 1 = 4
 * pairs over the epoch-aligned counter bins [0,4), [4,8), [8,12), [12,16).
 * Packets at 1 s (100 B), 2 s (200 B), 5 s (300 B), 9 s (400 B), 10.5 s
 * (500 B), 12 s (600 B). The entry made at 1 s ends its slice at 11 s:
 * pairs (2, 300) (1, 300) (2, 900) (0, 0), bin_id 0. The packet at 12 s
 * makes an entry in counter bin 3: pair 0 = (1, 600), bin_id 3, flushed at
 * 12 s. With pairs=used the first record exports 3 pairs and the second 1. */
typedef struct pairs_ctx {
    int n;
    int64_t bin_id[4];
    uint16_t n_bins[4];
    uint32_t pk[4][8];
    double by[4][8];
    const char *spec;
} pairs_ctx;

static void on_pairs(void *ctx, const fs_record *r)
{
    pairs_ctx *c = ctx;
    if (c->n >= 4)
        return;
    c->bin_id[c->n] = r->bin_id;
    c->n_bins[c->n] = r->n_bins;
    for (int j = 0; j < r->n_bins && j < 8; j++) {
        c->pk[c->n][j] = r->bin_pkts[j];
        c->by[c->n][j] = r->bin_bytes[j];
    }
    c->n++;
}

static void on_many(void *ctx, const fs_record *r)
{
    int *bad = ctx;
    static const uint32_t pk[] = {1, 1, 0, 0};
    static const double by[] = {100, 200, 0, 0};
    int ok = r->n_bins == 4 && r->bin_id == 0 && r->pkts == 2 && r->bytes == 300;
    for (int j = 0; ok && j < 4; j++)
        ok = r->bin_pkts[j] == pk[j] && r->bin_bytes[j] == by[j];
    bad[0] += !ok;
}

TEST(fs_known_binned_pairs)
{
    const double ts[] = {1, 2, 5, 9, 10.5, 12};
    fs_pkt p[6];
    for (int i = 0; i < 6; i++)
        p[i] = th_pkt(SEC(ts[i]), 3, 17, 100 * (uint32_t)(i + 1), 0);
    pkt_array a = {p, 6, 6};
    for (int used = 0; used < 2; used++) {
        fs_pipeline_spec ps;
        CHECK(parse(used ? "flow-slices:p=1,t=10s,inactive=inf,tbin=4s,pairs=used"
                         : "flow-slices:p=1,t=10s,inactive=inf,tbin=4s", &ps) == 0);
        pairs_ctx c;
        memset(&c, 0, sizeof c);
        drive_out d;
        CHECK(drive(&ps, 1, &a, NULL, on_pairs, &c, &d) == 0);
        CHECK_EQ_I(c.n, 2);
        CHECK_EQ_I(c.bin_id[0], 0);
        CHECK_EQ_I(c.n_bins[0], used ? 3 : 4);
        const uint32_t pk0[] = {2, 1, 2, 0};
        const double by0[] = {300, 300, 900, 0};
        for (int j = 0; j < c.n_bins[0]; j++) {
            CHECK_EQ_U(c.pk[0][j], pk0[j]);
            CHECK_NEAR(c.by[0][j], by0[j], 0);
        }
        CHECK_EQ_I(c.bin_id[1], 3);
        CHECK_EQ_I(c.n_bins[1], used ? 1 : 4);
        CHECK_EQ_U(c.pk[1][0], 1);
        CHECK_NEAR(c.by[1][0], 600, 0);
        for (int j = 1; j < c.n_bins[1]; j++)
            CHECK_EQ_U(c.pk[1][j], 0);
        fs_pipeline_free(&ps);
    }
    /* More live entries than the flow table's first allocation (4,096): the
     * pair rows must grow with the table. 6,000 flows send 100 bytes at
     * f microseconds (counter bin 0) and 200 bytes at 5 s + f microseconds
     * (counter bin 1); all are flushed with pairs (1,100) (1,200) (0,0)
     * (0,0). */
    pkt_array many = {NULL, 0, 0};
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t f = 0; f < 6000; f++) {
            fs_pkt k = th_pkt(pass * SEC(5) + (fs_ns)f * FS_NS_PER_US, f, 17,
                              100 * (uint32_t)(pass + 1), 0);
            pa_push(&many, &k);
        }
    fs_pipeline_spec ps;
    CHECK(parse("flow-slices:p=1,t=10s,inactive=inf,tbin=4s", &ps) == 0);
    int bad[2] = {0, 0};
    drive_out d;
    CHECK(drive(&ps, 1, &many, NULL, on_many, bad, &d) == 0);
    CHECK_EQ_I(d.records, 6000);
    CHECK_EQ_I(d.peak, 6000);
    CHECK_EQ_I(bad[0], 0);
    fs_pipeline_free(&ps);
    free(many.p);
    /* Through the whole engine: v5 has no field for the pairs, so each
     * record travels as one 48-byte record per pair with packets (3 + 1),
     * plus 24 bytes per datagram; an entry costs 64 + 3 x 8 bytes (§3.1). */
    char dir[64], path[128], out[128];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/pairs.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    for (int i = 0; i < 6; i++)
        udp(w, ts[i], "10.0.0.9", 9, (uint16_t)(100 * (i + 1) - 28));
    pcapw_close(w);
    const char *traces[] = {path};
    const char *specs[] = {"flow-slices:p=1,t=10s,inactive=inf,tbin=4s"};
    CHECK_EQ_I(th_run(traces, 1, specs, 1, "bin=4s", out, sizeof out), 0);
    double v[1], dg[1];
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_datagrams", dg, 1), 1);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_bytes_v5", v, 1), 1);
    /* v5: 4 pieces; IPFIX carries the pairs (tests/test_export.c checks
     * both encodings); export_records counts the meter's 2 records */
    CHECK_NEAR(v[0], 24 * dg[0] + 4 * 48, 0);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "export_records", v, 1), 1);
    CHECK_NEAR(v[0], 2, 0);
    double pe[1];
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "mem_peak_entries", pe, 1), 1);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "mem_peak_bytes", v, 1), 1);
    CHECK_NEAR(pe[0], 1, 0);
    CHECK_NEAR(v[0], 64 + 3 * 8, 0);
    /* p = 1: every pair is exact, so the 4-second bins are exact too */
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "rel_err_bytes", v, 1), 1);
    CHECK_NEAR(v[0], 0, 1e-12);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_flows", v, 1), 1);
    CHECK_NEAR(v[0], 4, 1e-12); /* the flow is active in 4 bins: [0,4) [4,8) [8,12) [12,16) */
    th_cleanup(out);
    pcapw_rmdir(dir);
}

/* The estimator rules on hand-made records. */
typedef struct binsum { int64_t bin[8]; fs_contrib c[8]; int n; } binsum;

static void on_bin(void *ctx, int64_t bin, const fs_contrib *c)
{
    binsum *b = ctx;
    if (b->n < 8) {
        b->bin[b->n] = bin;
        b->c[b->n] = *c;
        b->n++;
    }
}

static binsum estimate_bins(const char *spec, const fs_record *r, fs_ns bin)
{
    binsum b;
    memset(&b, 0, sizeof b);
    fs_pipeline_spec ps;
    if (parse(spec, &ps))
        return b;
    fs_binning bn = {bin};
    ps.algo->estimate(ps.aparams, r, &bn, on_bin, &b);
    fs_pipeline_free(&ps);
    return b;
}

TEST(fs_estimator_rules)
{
    const char *spec = "flow-slices:p=1/2,t=10s,tbin=4s";
    fs_record r;
    fs_record_init(&r);
    r.key = th_pkt(0, 5, 6, 40, 0).key;
    /* A TCP record created at 1 s with SYN, p = 1/2, q = 1: pairs (1, 200)
     * (the creating 100-byte packet counts 100/p = 200) and (3, 600); the
     * last packet at 6 s. */
    static const uint32_t pk[] = {1, 3, 0, 0};
    static const double by[] = {200, 600, 0, 0};
    r.first = SEC(1);
    r.last = SEC(6);
    r.pkts = 4;
    r.bytes = 800;
    r.bytes_sq = 7;     /* the variance counter, passed through */
    r.tcp_flags = FS_TCP_SYN | FS_TCP_ACK;
    r.syn_pkts = 1;
    r.p_slice = 0.5;
    r.n_bins = 4;
    r.bin_id = 0;
    r.bin_pkts = pk;
    r.bin_bytes = by;
    /* Analysis bins of 4 s. Bin 0 holds the creation pair: packets
     * 1/p - 1 + 1 = 2 (eq. 1), bytes 200 (eq. 2), one packet of the record
     * in the bin so f̂ = 1/p = 2 (eq. 3), A1 = 1/(pq) = 2 (SYN), A2 = 1
     * (c_s = 4 > 1); variance (1/p)(1/p - 1) = 2 and the whole byte counter.
     * Bin 1 is exact: 3 packets, 600 bytes, f̂ = 1, no arrivals. */
    binsum b = estimate_bins(spec, &r, SEC(4));
    CHECK_EQ_I(b.n, 2);
    CHECK_EQ_I(b.bin[0], 0);
    CHECK_NEAR(b.c[0].pkts, 2, 1e-12);
    CHECK_NEAR(b.c[0].bytes, 200, 1e-12);
    CHECK_NEAR(b.c[0].flows, 2, 1e-12);
    CHECK_EQ_I(b.c[0].flow_ts, SEC(1));
    CHECK_NEAR(b.c[0].arrivals, 2, 1e-12);
    CHECK_NEAR(b.c[0].arrivals_alt, 1, 1e-12);
    CHECK_NEAR(b.c[0].var_pkts, 2, 1e-12);
    CHECK_NEAR(b.c[0].var_bytes, 7, 1e-12);
    CHECK_EQ_I(b.bin[1], 1);
    CHECK_NEAR(b.c[1].pkts, 3, 1e-12);
    CHECK_NEAR(b.c[1].bytes, 600, 1e-12);
    CHECK_NEAR(b.c[1].flows, 1, 1e-12);
    CHECK_EQ_I(b.c[1].flow_ts, SEC(4));
    CHECK_NEAR(b.c[1].arrivals, 0, 0);
    CHECK_NEAR(b.c[1].var_pkts, 0, 0);
    /* Analysis bins of 8 s: both pairs in bin 0, 4 packets of the record in
     * its creation bin, so f̂ = 1; packets 1 + 4 = 5. */
    b = estimate_bins(spec, &r, SEC(8));
    CHECK_EQ_I(b.n, 1);
    CHECK_NEAR(b.c[0].pkts, 5, 1e-12);
    CHECK_NEAR(b.c[0].bytes, 800, 1e-12);
    CHECK_NEAR(b.c[0].flows, 1, 1e-12);
    /* Packet sampling q = 1/2 and a record-stage weight 3: every estimate
     * divided by q and multiplied by the weight; variances unknown (nan). */
    r.q_pkt = 0.5;
    r.weight = 3;
    b = estimate_bins(spec, &r, FS_NS_INF);
    CHECK_EQ_I(b.n, 1);
    CHECK_NEAR(b.c[0].pkts, 3 * 5 / 0.5, 1e-9);
    CHECK_NEAR(b.c[0].bytes, 3 * 800 / 0.5, 1e-9);
    CHECK_NEAR(b.c[0].flows, 3, 1e-12);
    CHECK_NEAR(b.c[0].arrivals, 3 / (0.5 * 0.5), 1e-12);
    CHECK_NEAR(b.c[0].arrivals_alt, 3, 1e-12);
    CHECK(isnan(b.c[0].var_pkts) && isnan(b.c[0].var_bytes));
    /* With q = 1/2 and weight 1: packets variance (1/(pq))(1/(pq) - 1) +
     * (c_s - 1)(1/q)(1/q - 1) = 4 * 3 + 3 * 2 * 1 = 18. */
    r.weight = 1;
    b = estimate_bins(spec, &r, FS_NS_INF);
    CHECK_NEAR(b.c[0].var_pkts, 18, 1e-12);
    /* The same record without pairs, one packet, no SYN: f̂ = 1/p = 2,
     * A1 = 0, A2 = 1/p = 2 (q = 1). */
    r.q_pkt = 1;
    r.n_bins = 0;
    r.bin_pkts = NULL;
    r.bin_bytes = NULL;
    r.pkts = 1;
    r.last = r.first;
    r.bytes = 200;
    r.tcp_flags = FS_TCP_ACK;
    r.syn_pkts = 0;
    b = estimate_bins("flow-slices:p=1/2", &r, FS_NS_INF);
    CHECK_EQ_I(b.n, 1);
    CHECK_NEAR(b.c[0].pkts, 2, 1e-12);
    CHECK_NEAR(b.c[0].flows, 2, 1e-12);
    CHECK_NEAR(b.c[0].arrivals, 0, 0);
    CHECK_NEAR(b.c[0].arrivals_alt, 2, 1e-12);
    /* SYN and c_s = 1: A1 = A2 = 1/(pq) = 2. */
    r.tcp_flags = FS_TCP_SYN;
    b = estimate_bins("flow-slices:p=1/2", &r, FS_NS_INF);
    CHECK_NEAR(b.c[0].arrivals, 2, 1e-12);
    CHECK_NEAR(b.c[0].arrivals_alt, 2, 1e-12);
    /* Without pairs, a record spanning bins is apportioned (split): first
     * 1 s, last 6 s, 4-second bins: 3/5 to bin 0, 2/5 to bin 1; the
     * arrival stays in the bin of the first packet. */
    r.pkts = 4;
    r.last = SEC(6);
    r.bytes = 800;
    b = estimate_bins("flow-slices:p=1/2", &r, SEC(4));
    CHECK_EQ_I(b.n, 2);
    CHECK_NEAR(b.c[0].pkts, 5 * 0.6, 1e-9);
    CHECK_NEAR(b.c[1].bytes, 800 * 0.4, 1e-9);
    CHECK_NEAR(b.c[0].arrivals, 2, 1e-12);
    CHECK_NEAR(b.c[1].arrivals, 0, 0);
    CHECK_NEAR(b.c[1].flows, 1, 1e-12);
    /* UDP records have no arrivals in either estimator. */
    r.key.proto = 17;
    b = estimate_bins("flow-slices:p=1/2", &r, FS_NS_INF);
    CHECK_NEAR(b.c[0].arrivals, 0, 0);
    CHECK_NEAR(b.c[0].arrivals_alt, 0, 0);
}

/* ==== unbiasedness ================================================================= */

/* Real trace (7,723 packets, 1,421 flows, 466 TCP arrivals of which 9 flows
 * have more than one SYN). R = 400 replicates per setting. */
TEST(fs_unbiased_real)
{
    pkt_array a;
    CHECK(load_pcap(BITTORRENT, &a) == 0);
    CHECK_EQ_I(a.n, 7723);
    agg aggs[3] = {{6, -1, -1}, {17, -1, -1}, {-1, 0, -1}};
    truth t;
    truth_of(&a, aggs, 2, &t);
    aggs[2].dport = t.top_dport;
    truth_free(&t);
    truth_of(&a, aggs, 3, &t);
    CHECK_NEAR(t.flows, 1421, 0);
    const int R = 400;
    /* One slice per flow (t, inactive infinite): exact variances apply. */
    check_setting("flow-slices:q=1,p=1/8,t=inf,inactive=inf", &a, &t, aggs, 3, 1.0 / 8, 1, 1,
                  R, 1000, 1);
    check_setting("flow-slices:q=1/4,p=1/4,t=inf,inactive=inf", &a, &t, aggs, 3, 1.0 / 4,
                  1.0 / 4, 1, R, 2000, 1);
    /* Continuous operation: short slices, inactivity and FIN/RST expiry cut
     * flows into many slices; packets and bytes stay unbiased. */
    check_setting("flow-slices:q=1/2,p=1/8,t=5s,inactive=1s,finrst=yes", &a, &t, aggs, 3,
                  1.0 / 8, 1.0 / 2, 0, R, 3000, 0);
    /* Adaptation actually happening, without refusals (checked per
     * replicate in check_setting): occupancy above 0.3 M halves p, below
     * 0.1 M for 3 s doubles it. Every replicate must change p. */
    static const char *const adaptive[] = {
        "flow-slices:p=1/2,adapt=occupancy,entries=200,hi=0.3,lo=0.1,hold=3s,t=10s,inactive=2s",
        "flow-slices:p=1/2,adapt=rate,entries=100,t=10s,inactive=2s",
    };
    for (int k = 0; k < 2; k++) {
        check_setting(adaptive[k], &a, &t, aggs, 3, 0.5, 1, 0, R, 4000 + 1000 * (uint64_t)k, 0);
        sums s[20];
        drive_out d[20];
        CHECK_EQ_I(replicate(adaptive[k], &a, aggs, 0, 20, 4000 + 1000 * (uint64_t)k, s, d), 0);
        for (int r = 0; r < 20; r++) {
            CHECK(d[r].p_changes > 0);
            CHECK(d[r].p_lowest < 0.5);
        }
    }
    truth_free(&t);
    free(a.p);
}

/* Synthetic trace (profile tiny: ~1,100 packets, ~300 flows, IPv4/IPv6,
 * TCP/UDP/ICMP). R = 400. */
TEST(fs_unbiased_synthetic)
{
    pkt_array a;
    CHECK(load_profile("tiny", NULL, 11, &a) == 0);
    agg aggs[3] = {{6, -1, -1}, {-1, -1, 1}, {-1, 0, -1}};
    truth t;
    truth_of(&a, aggs, 2, &t);
    aggs[2].dport = t.top_dport;
    truth_free(&t);
    truth_of(&a, aggs, 3, &t);
    const int R = 400;
    check_setting("flow-slices:q=1,p=1/4,t=inf,inactive=inf", &a, &t, aggs, 3, 0.25, 1, 1, R,
                  100, 1);
    check_setting("flow-slices:q=1/2,p=1/2,t=inf,inactive=inf", &a, &t, aggs, 3, 0.5, 0.5, 1, R,
                  200, 1);
    truth_free(&t);
    free(a.p);
    /* Without SYN retransmissions every TCP flow's only SYN is its first
     * packet (Assumption 1), so A1 is unbiased for the true arrivals even
     * with slices much shorter than flows and FIN/RST expiry. */
    CHECK(load_profile("tiny", "syn_retx_prob=0", 12, &a) == 0);
    truth_of(&a, aggs, 2, &t);
    CHECK(t.arrivals > 50);
    check_setting("flow-slices:q=1/2,p=1/4,t=200ms,inactive=50ms,finrst=yes", &a, &t, aggs, 2,
                  0.25, 0.5, 0, R, 300, 2);
    truth_free(&t);
    free(a.p);
}

/* Continuous operation through the whole engine, on the tiny trace without
 * SYN retransmissions (so Assumption 1 holds), analysis bins of 100 ms,
 * R = 100 replicates; the whole-trace rows sum the bins (flows: flow-bins).
 * p0: slices of 200 ms (longer than the bin), no inactivity timeout, binned
 *     counters of 50 ms (dividing the bin). By §2.4.6 the per-bin estimates
 *     are then unbiased for bytes, packets, active flows (the evaluation's
 *     earliest-record rule = flow reconstruction) and arrivals.
 * p1: the same followed by uniform record sampling at 1/2: the weights
 *     multiply the contributions, bytes, packets and arrivals stay unbiased.
 * p2: packet sampling split between the observation stage (psamp 1/2) and
 *     the meter (q = 1/2): records carry q_pkt = 1/4; one slice per flow;
 *     bytes, packets and A1 unbiased.
 * p3: p0 followed by multi-factor smart sampling of the records (§2.4.8, the
 *     `smart` record stage), which draws on this algorithm's whole-record
 *     Ŝ, B̂ and Â(1): bytes, packets and arrivals stay unbiased. */
TEST(fs_engine_bins)
{
    char dir[64], path[160], out[128], err[512];
    pcapw_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/tiny.pcap", dir);
    fs_gen_params gp;
    CHECK(fs_gen_params_init(&gp, err, sizeof err) == 0);
    CHECK(fs_gen_profile_apply(&gp, "tiny", err, sizeof err) == 0);
    CHECK(fs_gen_params_set_list(&gp, "syn_retx_prob=0", "test", err, sizeof err) == 0);
    CHECK(fs_gen_write(&gp, 5, "tiny", path, NULL, err, sizeof err) == 0);
    fs_gen_params_free(&gp);
    const char *traces[] = {path};
    const char *specs[] = {
        "flow-slices:p=1/4,t=200ms,inactive=inf,tbin=50ms",
        "flow-slices:p=1/4,t=200ms,inactive=inf,tbin=50ms|uniform:rate=1/2",
        "flow-slices:q=1/2,p=1/4,t=inf,inactive=inf,psamp=random,psamp_rate=1/2",
        "flow-slices:p=1/4,t=200ms,inactive=inf,tbin=50ms|smart:zs=20,zb=20k,za=4",
    };
    const int R = 100;
    CHECK_EQ_I(th_run(traces, 1, specs, 4, "seeds=100,bin=100ms,records=first,timeseries=none",
                      out, sizeof out), 0);
    double est[100], tru[100];
    static const char *const m[][2] = {{"est_bytes", "true_bytes"},
                                       {"est_packets", "true_packets"},
                                       {"est_tcp_arrivals", "true_tcp_arrivals"},
                                       {"est_flows", "true_flows"}};
    for (int pl = 0; pl < 4; pl++)
        for (int k = 0; k < (pl == 0 ? 4 : 3); k++) {
            char what[64];
            snprintf(what, sizeof what, "p%d %s", pl, m[k][0]);
            CHECK_EQ_I(th_metric(out, pl, "all", "total", "all", m[k][0], est, R), R);
            CHECK_EQ_I(th_metric(out, pl, "all", "total", "all", m[k][1], tru, R), R);
            check_mean(what, est, R, tru[0], 0);
        }
    th_rec rec[256];
    int n = th_records(out, 2, 0, rec, 256);
    CHECK(n > 10);
    for (int i = 0; i < n; i++)
        CHECK_NEAR(rec[i].q, 0.25, 0);
    th_cleanup(out);
    pcapw_rmdir(dir);
}

/* ==== variance per flow size: eq. 7, packet sampling, eq. 8 ======================== */

/* NF flows of each size in SIZES, packets 1 ms apart, flows interleaved
 * (distinct keys); packet k of a flow has size size_of(k). q = 1. */
#define NF 200
static const int SIZES[] = {1, 2, 5, 10, 30, 100};
#define NSIZES ((int)(sizeof SIZES / sizeof SIZES[0]))

static uint32_t size_of(int k)
{
    static const uint32_t pat[] = {1500, 40, 576, 40, 1200, 52, 1500, 40};
    return pat[k % 8];
}

typedef struct flow_est { double *pk, *by; double vp_sum; int nrec; } flow_est;

static void on_flow_rec(void *ctx, const fs_record *r)
{
    flow_est *f = ctx;
    fs_contrib c;
    memset(&c, 0, sizeof c);
    /* the flow index is in the source address (th_pkt) */
    uint32_t flow = ((uint32_t)r->key.src[14] << 8) | r->key.src[15];
    double q = r->q_pkt, p = r->p_slice;
    f->pk[flow] += (1 / p - 1 + (double)r->pkts) / q;
    f->by[flow] += r->bytes / q;
    f->vp_sum += (1 / (p * q)) * (1 / (p * q) - 1) + ((double)r->pkts - 1) * (1 / q) * (1 / q - 1);
    f->nrec++;
}

static void build_flows(pkt_array *a)
{
    int nflow = NF * NSIZES, maxs = SIZES[NSIZES - 1];
    a->n = 0;
    a->cap = 0;
    a->p = NULL;
    for (int k = 0; k < maxs; k++)
        for (int f = 0; f < nflow; f++) {
            int s = SIZES[f / NF];
            if (k < s) {
                fs_pkt p = th_pkt((fs_ns)k * FS_NS_PER_MS + f, (uint32_t)f, 17, size_of(k), 0);
                pa_push(a, &p);
            }
        }
}

/* Exact distribution of ŝ (or b̂) for a flow under slicing alone: created at
 * packet j (1-based, forward) with probability p(1-p)^(j-1), estimate
 * x_j/p + sum_{k>j} x_k; no record (0) with probability (1-p)^s. Returns
 * mean, variance and fourth central moment. */
static void slicing_moments(int s, double p, int bytes, double *mean, double *var, double *mu4)
{
    double pr[128], val[128];
    int n = 0;
    for (int j = 0; j < s; j++) {
        double x = bytes ? size_of(j) : 1, rest = 0;
        for (int k = j + 1; k < s; k++)
            rest += bytes ? size_of(k) : 1;
        pr[n] = p * pow(1 - p, j);
        val[n++] = x / p + rest;
    }
    pr[n] = pow(1 - p, s);
    val[n++] = 0;
    double m = 0, v = 0, m4 = 0;
    for (int i = 0; i < n; i++)
        m += pr[i] * val[i];
    for (int i = 0; i < n; i++) {
        double d = val[i] - m;
        v += pr[i] * d * d;
        m4 += pr[i] * d * d * d * d;
    }
    *mean = m;
    *var = v;
    *mu4 = m4;
}

TEST(fs_variance_per_size)
{
    pkt_array a;
    build_flows(&a);
    const int R = 100, nflow = NF * NSIZES, n = NF * R;
    const double p = 0.1;
    double *pk = malloc(sizeof(double) * (size_t)nflow * R);
    double *by = malloc(sizeof(double) * (size_t)nflow * R);
    double *ps_pk = malloc(sizeof(double) * (size_t)nflow * R);
    double vp_mean = 0;
    fs_pipeline_spec fsl, snf;
    CHECK(parse("flow-slices:q=1,p=1/10,t=inf,inactive=inf", &fsl) == 0);
    CHECK(parse("sampled-netflow:rate=1/10,mode=random,inactive=inf,active=inf,finrst=no",
                &snf) == 0);
    for (int r = 0; r < R; r++) {
        flow_est f = {pk + (size_t)r * nflow, by + (size_t)r * nflow, 0, 0};
        memset(f.pk, 0, sizeof(double) * nflow);
        memset(f.by, 0, sizeof(double) * nflow);
        drive_out d;
        CHECK(drive(&fsl, 500 + (uint64_t)r, &a, NULL, on_flow_rec, &f, &d) == 0);
        vp_mean += f.vp_sum / R;
        /* Sampled NetFlow at rate p on the same flows: estimate c/p; its
         * records carry p_slice = 1, so on_flow_rec gives (pkts)/q. */
        double bytes_scratch[NF * NSIZES];
        flow_est g = {ps_pk + (size_t)r * nflow, bytes_scratch, 0, 0};
        memset(g.pk, 0, sizeof(double) * nflow);
        memset(g.by, 0, sizeof(double) * nflow);
        CHECK(drive(&snf, 900 + (uint64_t)r, &a, NULL, on_flow_rec, &g, &d) == 0);
    }
    double vp_theory = 0;
    double *x = malloc(sizeof(double) * (size_t)n);
    for (int b = 0; b < NSIZES; b++) {
        int s = SIZES[b];
        char what[64];
        double obs[3] = {0, 0, 0};
        for (int pass = 0; pass < 3; pass++) {
            /* pass 0: packets under slicing (eq. 7), 1: bytes under slicing
             * (eq. 8), 2: packets under packet sampling ((1/p - 1) s) */
            int k = 0;
            for (int r = 0; r < R; r++)
                for (int f = b * NF; f < (b + 1) * NF; f++)
                    x[k++] = (pass == 0 ? pk : pass == 1 ? by : ps_pk)[(size_t)r * nflow + f];
            double mean, var, mu4;
            if (pass < 2) {
                slicing_moments(s, p, pass, &mean, &var, &mu4);
            } else {
                /* binomial(s, p)/p */
                mean = s;
                var = (1 / p - 1) * s;
                mu4 = (s * p * (1 - p) * (1 + 3 * (s - 2) * p * (1 - p))) / pow(p, 4);
            }
            /* closed forms: eq. 7, eq. 8 (backward index i = s - j + 1) */
            if (pass == 0) {
                double eq7 = (1 / p) * (1 / p - 1) * (1 - pow(1 - p, s));
                CHECK_NEAR(var, eq7, 1e-9 * eq7);
                /* slicing is strictly better than packet sampling for s > 1 */
                if (s > 1)
                    CHECK(eq7 < (1 / p - 1) * s);
                else
                    CHECK_NEAR(eq7, (1 / p - 1) * s, 1e-9);
                vp_theory += NF * eq7;
            } else if (pass == 1) {
                double eq8 = 0;
                for (int i = 1; i <= s; i++) {
                    double bi = size_of(s - i);
                    eq8 += bi * bi * pow(1 - p, s - i);
                }
                eq8 *= 1 / p - 1;
                CHECK_NEAR(var, eq8, 1e-9 * eq8);
            }
            double m, v, kurt;
            moments(x, n, &m, &v, &kurt);
            snprintf(what, sizeof what, "size %d pass %d", s, pass);
            double kappa = mu4 / (var * var);
            if (!(fabs(m - mean) <= Z * sqrt(var / n)))
                fprintf(stderr, "  %s: mean %g expected %g\n", what, m, mean);
            CHECK_NEAR(m, mean, Z * sqrt(var / n));
            if (!(fabs(v / var - 1) <= Z * var_ratio_se(kappa, n)))
                fprintf(stderr, "  %s: variance %g expected %g\n", what, v, var);
            CHECK_NEAR(v / var, 1, Z * var_ratio_se(kappa, n));
            obs[pass] = v;
            if (pass == 2 && getenv("TF_VERBOSE"))
                fprintf(stderr, "    s=%3d: packets var slicing %.2f (eq. 7 %.2f), packet "
                        "sampling %.2f ((1/p-1)s %.2f); bytes var %.4g (observed)\n", s, obs[0],
                        (1 / p) * (1 / p - 1) * (1 - pow(1 - p, s)), obs[2], var, obs[1]);
        }
        /* observed: slicing beats packet sampling at the same p once the
         * gap exceeds the sampling error (s >= 5 here; s = 2 is 17.1 vs 18) */
        if (s >= 5)
            CHECK(obs[0] < obs[2]);
    }
    /* The records' variance estimates average to the summed eq. 7 (each
     * record contributes (1/p)(1/p - 1) whatever its size). */
    CHECK_NEAR(vp_mean, vp_theory, Z * sqrt((1 / p) * (1 / p) * (1 / p - 1) * (1 / p - 1) *
                                            nflow / (double)R));
    /* Both stages, q = 1/2, p = 1/5, flows of 10 and 30 packets: the
     * variance of Ŝ is S(1/q - 1) + (1/(pq²))(1/p - 1)(1 - (1-pq)^S)
     * (§2.4.6, law of total variance); checked against the spread with the
     * sample kurtosis. */
    fs_pipeline_spec two;
    CHECK(parse("flow-slices:q=1/2,p=1/5,t=inf,inactive=inf", &two) == 0);
    for (int r = 0; r < R; r++) {
        flow_est f = {pk + (size_t)r * nflow, by + (size_t)r * nflow, 0, 0};
        memset(f.pk, 0, sizeof(double) * nflow);
        memset(f.by, 0, sizeof(double) * nflow);
        drive_out d;
        CHECK(drive(&two, 700 + (uint64_t)r, &a, NULL, on_flow_rec, &f, &d) == 0);
    }
    for (int b = 3; b <= 4; b++) {
        int s = SIZES[b], k = 0;
        double q = 0.5, pp = 0.2;
        for (int r = 0; r < R; r++)
            for (int f = b * NF; f < (b + 1) * NF; f++)
                x[k++] = pk[(size_t)r * nflow + f];
        double theory = s * (1 / q - 1) + (1 / (pp * q * q)) * (1 / pp - 1) *
                                              (1 - pow(1 - pp * q, s));
        double m, v, kurt;
        moments(x, n, &m, &v, &kurt);
        CHECK_NEAR(m, s, Z * sqrt(theory / n));
        CHECK_NEAR(v / theory, 1, Z * var_ratio_se(kurt, n));
    }
    fs_pipeline_free(&two);
    fs_pipeline_free(&fsl);
    fs_pipeline_free(&snf);
    free(x);
    free(pk);
    free(by);
    free(ps_pk);
    free(a.p);
}

/* ==== memory budget under a spoofed flood ========================================== */

/* Profile backbone-flood: 10 s of backbone traffic (2,000 connections/s)
 * with a spoofed SYN flood of 40,000 one-packet flows/s from 4 s to 7 s
 * (515,464 packets, 145,811 flows with seed 1). Memory budget M = 4,000
 * entries, inactivity 2 s, controller period 100 ms. Live entries are
 * checked after every call into the meter: they never exceed M. With these
 * (pinned) seeds the adaptive controllers keep memory below M on their own —
 * no creation is refused — while fixed p hits the wall tens of thousands of
 * times (84,059) during the flood. */
TEST(fs_budget_flood)
{
    static const char *const specs[] = {
        "flow-slices:p=1/2,adapt=occupancy,entries=4000,t=60s,inactive=2s,delta=100ms",
        "flow-slices:p=1/2,adapt=rate,entries=4000,t=10s,inactive=2s,delta=100ms",
        "flow-slices:p=1/2,adapt=fixed,entries=4000,t=60s,inactive=2s",
    };
    double refused[3];
    for (int k = 0; k < 3; k++) {
        fs_pipeline_spec ps;
        CHECK(parse(specs[k], &ps) == 0);
        fs_gen *g = open_profile("backbone-flood", NULL, 1);
        CHECK(g != NULL);
        if (!g) {
            fs_pipeline_free(&ps);
            return;
        }
        drive_out d;
        CHECK(drive(&ps, 77, NULL, g, NULL, NULL, &d) == 0);
        fs_gen_close(g);
        CHECK(d.max_live <= 4000);
        CHECK(d.peak <= 4000);
        refused[k] = d.refused;
        if (k < 2) {
            CHECK(d.p_changes > 0);
            CHECK(d.p_lowest <= 1.0 / 64);
            CHECK_NEAR(d.refused, 0, 0);
        }
        if (getenv("TF_VERBOSE"))
            fprintf(stderr, "  %s: peak %lld entries, %.0f slices, %.0f refused, %.0f p "
                            "changes, lowest p %g\n", specs[k], (long long)d.peak, d.created,
                    d.refused, d.p_changes, d.p_lowest);
        fs_pipeline_free(&ps);
    }
    CHECK(refused[2] > 10000);
}

/* ==== bad parameters ================================================================ */

TEST(fs_bad_params)
{
    static const struct { const char *spec, *word; } bad[] = {
        {"flow-slices:p=2", "p=2"},
        {"flow-slices:p=0", "p=0"},
        {"flow-slices:q=0", "q=0"},
        {"flow-slices:q=1.5", "q=1.5"},
        {"flow-slices:t=0", "t=0"},
        {"flow-slices:t=-1s", "t=-1s"},
        {"flow-slices:inactive=0", "inactive=0"},
        {"flow-slices:entries=0", "entries=0"},
        {"flow-slices:entries=5000000000", "entries"},
        {"flow-slices:adapt=magic", "adapt=magic"},
        {"flow-slices:adapt=occupancy,lo=0.9,hi=0.5", "lo"},
        {"flow-slices:adapt=occupancy,p=1/2,p_max=1/4", "p=1/2"},
        {"flow-slices:adapt=rate,t=inf", "adapt=rate"},
        {"flow-slices:tbin=1s,t=inf", "tbin=1s"},
        {"flow-slices:tbin=1ms,t=2h", "tbin=1ms"},
        {"flow-slices:tbin=-1s", "tbin=-1s"},
        {"flow-slices:delta=0", "delta=0"},
        {"flow-slices:rate_frac=0", "rate_frac=0"},
        {"flow-slices:pairs=some", "pairs=some"},
        {"flow-slices:x=1", "'x'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fs_pipeline_spec ps;
        char err[1024] = "";
        int rc = fs_pipeline_parse(bad[i].spec, &ps, err, sizeof err);
        CHECK_EQ_I(rc, -1);
        if (rc == 0) {
            fprintf(stderr, "  accepted: %s\n", bad[i].spec);
            fs_pipeline_free(&ps);
            continue;
        }
        CHECK(strchr(err, '\n') == NULL);
        if (!strstr(err, bad[i].word))
            fprintf(stderr, "  %s: message without '%s': %s\n", bad[i].spec, bad[i].word, err);
        CHECK(strstr(err, bad[i].word) != NULL);
    }
    /* and the good ones parse */
    static const char *const good[] = {
        "flow-slices", "flow-slices:q=1/16,p=1/64,t=300s,inactive=15s",
        "flow-slices:adapt=occupancy,entries=1000", "flow-slices:adapt=rate,t=60s",
        "flow-slices:tbin=3s,t=60s,pairs=used", "flow-slices:t=inf,inactive=inf"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        fs_pipeline_spec ps;
        char err[1024] = "";
        CHECK_EQ_I(fs_pipeline_parse(good[i], &ps, err, sizeof err), 0);
        fs_pipeline_free(&ps);
    }
}
