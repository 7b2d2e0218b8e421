/* flowsim — tests of Adaptive NetFlow (algorithms/adaptive_netflow.c,
 * algorithms.md §2.3): known answers on hand-built traces, parameter errors,
 * the memory budget under a spoofed flood, and the estimators over many seeds
 * on a real and a synthetic trace.
 *
 * Most tests drive the meter directly (no trace file, no evaluation): the
 * packets are held in memory and every record's whole contribution comes
 * from the algorithm's own estimate(), so hundreds of seeds cost a fraction
 * of a second. One test runs the whole engine to check the integration
 * (analysis bins, pending(), memory rows).
 *
 * Statistics. Seeds are pinned, so outcomes are fixed; the tolerances are
 * set so that a correct implementation would fail a check with probability
 * below ~1e-5 (4.5 standard errors, normal tail 7e-6):
 *   mean      |mean over R seeds - expectation| <= 4.5 s / sqrt(R), with s
 *             the observed standard deviation of the estimate over seeds
 *             (under adaptation the estimator's variance has no closed form),
 *             or the theoretical one where stated;
 *   variance  compared through D = (est - truth)^2, whose mean is the
 *             variance; its own spread gives the tolerance the same way.
 * Expectations [D, from the "as if sampled at p_end" martingale argument in
 * adaptive_netflow.c]: packets, bytes: the truth; M1 = Σ syn_pkts/q: the
 * number of TCP SYN packets (= arrivals when each flow has one SYN); FCE
 * flows: flow-bins (distinct keys per ANF bin).
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "algo.h"
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
#define NSE 4.5

/* ---- driving one meter --------------------------------------------------------- */
typedef struct meter meter;
typedef void (*rec_fn)(meter *m, const fs_record *r);

struct meter {
    fs_pipeline_spec ps;
    gsl_rng *rng;
    void    *st;
    fs_acct  acct;
    fs_ns    next;
    rec_fn   rec;
    void    *ctx;
    /* checks made after every call into the meter */
    int64_t  bound;         /* live() must stay <= bound (0: no check)     */
    int64_t  max_live;
    uint64_t over_bound, live_mismatch, calls;
    /* record checks */
    fs_ns    bin;           /* the meter's bin length                      */
    double   p_max;
    int      spread;
    fs_ns    last_export;
    uint64_t bad_records, records;
    fs_ns    end;
};

static void after_call(meter *m)
{
    int64_t l = (int64_t)m->ps.algo->live(m->st);
    m->calls++;
    if (l > m->max_live)
        m->max_live = l;
    if (m->bound && l > m->bound)
        m->over_bound++;
    if (l != m->acct.live)
        m->live_mismatch++;
}

/* Every record: time never runs backwards; its data lie in its bin; it is
 * exported at its bin's end (burst) or within the next bin (spread), or at
 * the end of the trace (flush); counts and probabilities are coherent. */
static void check_record(meter *m, const fs_record *r)
{
    int ok = 1;
    fs_ns lo = r->bin_id * m->bin, hi = lo + m->bin;
    ok &= r->exported >= m->last_export;
    ok &= r->first >= lo && r->last < hi && r->first <= r->last;
    if (r->reason == FS_REASON_BIN) {
        if (m->spread)
            ok &= r->exported >= hi && (r->exported < hi + m->bin || r->exported == m->end);
        else
            ok &= r->exported == hi;
    } else {
        ok &= r->reason == FS_REASON_FLUSH && r->exported == m->end;
    }
    ok &= r->pkts >= 1 && r->syn_pkts <= r->pkts && r->first_pkts <= 1;
    ok &= r->p_end > 0 && r->p_end <= m->p_max && r->q_pkt == r->p_end;
    ok &= r->bytes >= 0 && r->weight == 1.0;
    if (!ok)
        m->bad_records++;
    m->records++;
    m->last_export = r->exported;
}

static void on_emit(void *ctx, const fs_record *r)
{
    meter *m = ctx;
    check_record(m, r);
    if (m->rec)
        m->rec(m, r);
}

static int param_value(const fs_pipeline_spec *ps, const char *name, void *out, size_t sz)
{
    const fs_param_def *d = fs_params_find(ps->algo->params, ps->algo->nparams, name);
    if (!d)
        return -1;
    memcpy(out, (const char *)ps->aparams + d->offset, sz);
    return 0;
}

static int meter_open(meter *m, const char *spec, uint64_t seed, rec_fn rec, void *ctx)
{
    char err[1024];
    memset(m, 0, sizeof *m);
    if (fs_pipeline_parse(spec, &m->ps, err, sizeof err)) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    int spread_idx = 0;
    param_value(&m->ps, "bin", &m->bin, sizeof m->bin);
    param_value(&m->ps, "p_max", &m->p_max, sizeof m->p_max);
    param_value(&m->ps, "report", &spread_idx, sizeof spread_idx);
    m->spread = spread_idx == 1;
    m->rng = fs_rng_alloc(seed);   /* the engine's replicate generator */
    m->st = calloc(1, m->ps.algo->state_size);
    fs_acct_init(&m->acct, NULL, NULL);
    m->rec = rec;
    m->ctx = ctx;
    m->next = FS_NS_INF;
    m->last_export = INT64_MIN;
    fs_meter_env env = {m->rng, 1.0, &m->acct, on_emit, m, 0};
    if (!m->st || m->ps.algo->init(m->st, m->ps.aparams, &env, err, sizeof err)) {
        fprintf(stderr, "  init: %s\n", err);
        free(m->st);
        m->st = NULL;
        return -1;
    }
    return 0;
}

/* As the engine: fire due events, then meter the packet. */
static void meter_packet(meter *m, const fs_pkt *p)
{
    if (p->ts >= m->next) {
        m->next = m->ps.algo->advance(m->st, p->ts);
        after_call(m);
    }
    m->next = m->ps.algo->packet(m->st, p);
    after_call(m);
}

static void meter_flush(meter *m, fs_ns end)
{
    m->end = end;
    m->ps.algo->flush(m->st, end);
    after_call(m);
    fs_acct_finish(&m->acct, end);
}

typedef struct stat_q { const char *name; double v; } stat_q;
static void stat_cb(void *ctx, const char *name, double v)
{
    stat_q *q = ctx;
    if (!strcmp(q->name, name))
        q->v = v;
}

static double meter_stat(const meter *m, const char *name)
{
    stat_q q = {name, NAN};
    m->ps.algo->stats(m->st, stat_cb, &q);
    return q.v;
}

static void meter_close(meter *m)
{
    if (m->st) {
        m->ps.algo->destroy(m->st);
        free(m->st);
    }
    if (m->rng)
        gsl_rng_free(m->rng);
    fs_pipeline_free(&m->ps);
}

static void sum_cb(void *ctx, int64_t bin, const fs_contrib *c)
{
    (void)bin;
    fs_contrib *t = ctx;
    t->pkts += c->pkts;
    t->bytes += c->bytes;
    t->var_pkts += c->var_pkts;
    t->var_bytes += c->var_bytes;
    t->flows += c->flows;
    t->arrivals += c->arrivals;
    t->arrivals_alt += c->arrivals_alt;
}

/* A record's contributions summed over the analysis bins. */
static fs_contrib whole(const meter *m, const fs_record *r)
{
    fs_contrib t;
    memset(&t, 0, sizeof t);
    fs_binning one = {FS_NS_INF};
    m->ps.algo->estimate(m->ps.aparams, r, &one, sum_cb, &t);
    return t;
}

/* ---- traces in memory ------------------------------------------------------------ */
static fs_pkt *push_pkt(fs_pkt *v, size_t *n, size_t *cap, const fs_pkt *p)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        v = realloc(v, *cap * sizeof *v);
        if (!v)
            return NULL;
    }
    v[(*n)++] = *p;
    return v;
}

/* A capture as the engine's default pipeline keys it (ToS in, VLAN out). */
static fs_pkt *load_real(const char *path, size_t *n)
{
    fs_reader *r;
    char err[512];
    const char *paths[] = {path};
    *n = 0;
    if (fs_reader_open(&r, paths, 1, err, sizeof err)) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    fs_pkt k, *v = NULL;
    size_t cap = 0;
    while (fs_reader_next(r, &k, err, sizeof err) == 1) {
        k.key.vlan = 0;
        k.key_hash = fs_key_hash(&k.key, 0);
        k.data = NULL;
        if (!(v = push_pkt(v, n, &cap, &k)))
            break;
    }
    fs_reader_close(r);
    return v;
}

/* A synthetic trace from the generator's C API (profile, then list). */
static fs_pkt *load_gen(const char *profile, const char *list, uint64_t seed, size_t *n)
{
    fs_gen_params gp;
    char err[512];
    fs_gen *g = NULL;
    *n = 0;
    if (fs_gen_params_init(&gp, err, sizeof err) ||
        (profile && fs_gen_profile_apply(&gp, profile, err, sizeof err)) ||
        (list && fs_gen_params_set_list(&gp, list, "test", err, sizeof err)) ||
        fs_gen_params_check(&gp, err, sizeof err) || fs_gen_open(&g, &gp, seed, err, sizeof err)) {
        fprintf(stderr, "  gen: %s\n", err);
        fs_gen_params_free(&gp);
        return NULL;
    }
    fs_gen_params_free(&gp);
    fs_gen_pkt gk;
    fs_pkt *v = NULL;
    size_t cap = 0;
    while (fs_gen_next(g, &gk, err, sizeof err) == 1) {
        fs_pkt k;
        memset(&k, 0, sizeof k);
        k.ts = gk.ts;
        k.key = gk.key;
        k.ip_len = gk.ip_len;
        k.wire_len = gk.wire_len;
        k.caplen = gk.caplen;
        k.tcp_flags = gk.tcp_flags;
        k.key_hash = fs_key_hash(&k.key, 0);
        if (!(v = push_pkt(v, n, &cap, &k)))
            break;
    }
    fs_gen_close(g);
    return v;
}

/* ---- truth per ANF bin ------------------------------------------------------------ */
typedef struct truth {
    double pkts, bytes, syn;      /* packets, bytes, TCP SYN packets          */
    double flowbins, arrivals;    /* distinct keys per bin; TCP keys with SYN */
    double m2;                    /* E[M2] at a fixed rate q                  */
    double pkts_var_q;            /* Var of the packet total at fixed q: (1/q-1)N */
} truth;

typedef struct tent {
    FS_FTAB_ENTRY_HEAD;
    int64_t bin;
    double  s, k;
    int     tcp;
} tent;

static void tent_close(truth *t, const tent *e, double q)
{
    t->flowbins++;
    if (!e->tcp)
        return;
    t->arrivals += e->k > 0;
    /* DLT's M2 at rate q for a flow of S packets, k of them SYN (§2.6) */
    t->m2 += 1 - pow(1 - q, e->s) + e->k * q * pow(1 - q, e->s - 1) * (1 / q - 1);
}

static truth truth_of(const fs_pkt *p, size_t n, fs_ns bin, double q)
{
    truth t;
    memset(&t, 0, sizeof t);
    fs_ftab tab;
    if (fs_ftab_init(&tab, sizeof(tent), 1024, 0, 0))
        return t;
    fs_binning b = {bin};
    for (size_t i = 0; i < n; i++) {
        int64_t k = fs_bin_of(&b, p[i].ts);
        int created;
        uint32_t j = fs_ftab_upsert(&tab, &p[i].key, p[i].key_hash, &created);
        tent *e = fs_ftab_ent(&tab, j);
        if (!created && e->bin != k) {
            tent_close(&t, e, q);
            e->s = e->k = 0;
        }
        e->bin = k;
        e->tcp = p[i].key.proto == 6;
        e->s++;
        int syn = e->tcp && (p[i].tcp_flags & FS_TCP_SYN);
        e->k += syn;
        t.pkts++;
        t.bytes += p[i].ip_len;
        t.syn += syn;
    }
    for (uint32_t j = 0; j < tab.hwm; j++)
        if (fs_ftab_live(&tab, j))
            tent_close(&t, fs_ftab_ent(&tab, j), q);
    t.pkts_var_q = (1 / q - 1) * t.pkts;
    fs_ftab_free(&tab);
    return t;
}

/* ---- many seeds of one setting ------------------------------------------------------ */
enum { E_PKTS, E_BYTES, E_M1, E_M2, E_FLOWS, E_VPK, E_VBY, E__N };

typedef struct reps {
    int      R;
    double  *x[E__N];          /* per seed: whole-trace estimates            */
    double   reductions, bins; /* summed over seeds                          */
    uint64_t bad_records, over_bound, live_mismatch;
} reps;

static void acc_rec(meter *m, const fs_record *r)
{
    double *t = m->ctx;
    fs_contrib c = whole(m, r);
    t[E_PKTS] += c.pkts;
    t[E_BYTES] += c.bytes;
    t[E_M1] += c.arrivals;
    t[E_M2] += c.arrivals_alt;
    t[E_FLOWS] += c.flows;
    t[E_VPK] += c.var_pkts;
    t[E_VBY] += c.var_bytes;
}

static int run_reps(const char *spec, const fs_pkt *p, size_t n, int R, uint64_t seed0,
                    reps *out)
{
    memset(out, 0, sizeof *out);
    out->R = R;
    for (int e = 0; e < E__N; e++)
        out->x[e] = calloc((size_t)R, sizeof(double));
    for (int r = 0; r < R; r++) {
        double t[E__N] = {0};
        meter m;
        if (meter_open(&m, spec, seed0 + (uint64_t)r, acc_rec, t)) {
            meter_close(&m);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[n - 1].ts);
        for (int e = 0; e < E__N; e++)
            out->x[e][r] = t[e];
        out->reductions += meter_stat(&m, "meter_rate_reductions");
        out->bins += meter_stat(&m, "meter_bins_exported");
        out->bad_records += m.bad_records;
        out->over_bound += m.over_bound;
        out->live_mismatch += m.live_mismatch;
        meter_close(&m);
    }
    return 0;
}

static void reps_free(reps *r)
{
    for (int e = 0; e < E__N; e++)
        free(r->x[e]);
}

static void mean_sd(const double *x, int n, double *m, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *m = s / n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *m) * (x[i] - *m);
    *sd = sqrt(ss / (n - 1));
}

/* |mean - expect| <= 4.5 s/sqrt(R), s observed. Returns the z value. */
static double check_mean(const char *what, const double *x, int R, double expect)
{
    double m, sd;
    mean_sd(x, R, &m, &sd);
    double z = sd > 0 ? (m - expect) / (sd / sqrt(R)) : (m == expect ? 0 : INFINITY);
    if (!(fabs(z) <= NSE))
        fprintf(stderr, "  %s: mean %.6g, expected %.6g, sd %.4g, z = %.2f\n", what, m, expect,
                sd, z);
    CHECK(fabs(z) <= NSE);
    return z;
}

/* The variance estimate is unbiased: D = (est - truth)^2 - vhat has mean 0.
 * one_sided: only E[(est-truth)^2] <= E[vhat] is required (an upper bound). */
static void check_var_estimate(const char *what, const double *est, const double *vhat, int R,
                               double truth_v, int one_sided)
{
    double *d = malloc((size_t)R * sizeof *d), m, sd;
    for (int i = 0; i < R; i++)
        d[i] = (est[i] - truth_v) * (est[i] - truth_v) - vhat[i];
    mean_sd(d, R, &m, &sd);
    double z = m / (sd / sqrt(R));
    int ok = one_sided ? z <= NSE : fabs(z) <= NSE;
    if (!ok)
        fprintf(stderr, "  %s: mean of (est-truth)^2 - vhat = %.4g, sd %.4g, z = %.2f\n", what, m,
                sd, z);
    CHECK(ok);
    free(d);
}

/* ---- known answers ------------------------------------------------------------------ */

typedef struct kept {
    fs_record r[16];
    fs_contrib c[16];
    int n;
} kept;

static void keep_rec(meter *m, const fs_record *r)
{
    kept *k = m->ctx;
    if (k->n < 16) {
        k->r[k->n] = *r;
        k->c[k->n] = whole(m, r);
        k->n++;
    }
}

typedef struct kexp {
    double exported, first, last;
    uint32_t flow;
    uint64_t pkts;
    double bytes;
    uint32_t syn, fst;
    int64_t bin;
    int reason;
} kexp;

static uint32_t flow_of(const fs_record *r)
{
    return (uint32_t)r->key.src[14] << 8 | r->key.src[15];
}

static void check_kept(const kept *k, const kexp *ex, int nex)
{
    CHECK_EQ_I(k->n, nex);
    for (int i = 0; i < k->n && i < nex; i++) {
        const fs_record *r = &k->r[i];
        CHECK_EQ_I(r->exported, SEC(ex[i].exported));
        CHECK_EQ_I(r->first, SEC(ex[i].first));
        CHECK_EQ_I(r->last, SEC(ex[i].last));
        CHECK_EQ_U(flow_of(r), ex[i].flow);
        CHECK_EQ_U(r->pkts, ex[i].pkts);
        CHECK_NEAR(r->bytes, ex[i].bytes, 0);
        CHECK_EQ_U(r->syn_pkts, ex[i].syn);
        CHECK_EQ_U(r->first_pkts, ex[i].fst);
        CHECK_EQ_I(r->bin_id, ex[i].bin);
        CHECK_EQ_I(r->reason, ex[i].reason);
        CHECK_NEAR(r->p_end, 1.0, 0);
        /* p = 1: the estimates are the counts themselves */
        CHECK_NEAR(k->c[i].pkts, (double)ex[i].pkts, 0);
        CHECK_NEAR(k->c[i].bytes, ex[i].bytes, 0);
        CHECK_NEAR(k->c[i].var_pkts, 0, 0);
        CHECK_NEAR(k->c[i].flows, (double)ex[i].fst, 0);
        CHECK_NEAR(k->c[i].arrivals, (double)ex[i].syn, 0);
    }
}

/* The hand-built trace of the fixed-rate known answers (th_pkt keys: flow n
 * is 10.0.0.n:1000+n -> 10.1.0.1:80). Times in seconds, bin 10 s:
 *   1 s  flow 1 TCP SYN  40 B        bin 0
 *   3 s  flow 2 UDP     100 B        bin 0
 *   5 s  flow 1 TCP    1000 B        bin 0
 *   7 s  flow 3 TCP SYN  40 B        bin 0
 *  11 s  flow 4 UDP      60 B        bin 1
 *  12 s  flow 1 TCP     500 B        bin 1
 *  25 s  flow 2 UDP     200 B        bin 2 (last packet: the trace ends here) */
static size_t fixed_trace(fs_pkt *p)
{
    size_t n = 0;
    p[n++] = th_pkt(SEC(1), 1, 6, 40, FS_TCP_SYN);
    p[n++] = th_pkt(SEC(3), 2, 17, 100, 0);
    p[n++] = th_pkt(SEC(5), 1, 6, 1000, FS_TCP_ACK);
    p[n++] = th_pkt(SEC(7), 3, 6, 40, FS_TCP_SYN);
    p[n++] = th_pkt(SEC(11), 4, 17, 60, 0);
    p[n++] = th_pkt(SEC(12), 1, 6, 500, FS_TCP_ACK);
    p[n++] = th_pkt(SEC(25), 2, 17, 200, 0);
    return n;
}

/* fixed=yes, p_max=1: every packet counted, one record per flow and bin,
 * sorted by first packet; FCE marks the first packet of each flow in each
 * bin, so first_pkts = 1 on every record. */
TEST(anf_known_burst)
{
    fs_pkt p[8];
    size_t n = fixed_trace(p);
    kept k = {.n = 0};
    meter m;
    CHECK(meter_open(&m, "adaptive-netflow:fixed=yes,p_max=1,bin=10s,fce=yes", 1, keep_rec,
                     &k) == 0);
    for (size_t i = 0; i < n; i++)
        meter_packet(&m, &p[i]);
    meter_flush(&m, p[n - 1].ts);
    /* Burst: bin 0 [0,10) ends at 10 s (fired by the packet at 11 s) with
     * flows 1 (1 s, 5 s: 2 packets, 1040 B, one SYN), 2 (3 s, 100 B) and 3
     * (7 s, SYN, 40 B); bin 1 ends at 20 s (fired by the packet at 25 s)
     * with flows 4 (11 s) and 1 (12 s, 500 B, no SYN: the SYN was in bin 0);
     * bin 2 is cut by the end of the trace at 25 s: flow 2, reason flush. */
    const kexp ex[] = {
        {10, 1, 5, 1, 2, 1040, 1, 1, 0, FS_REASON_BIN},
        {10, 3, 3, 2, 1, 100, 0, 1, 0, FS_REASON_BIN},
        {10, 7, 7, 3, 1, 40, 1, 1, 0, FS_REASON_BIN},
        {20, 11, 11, 4, 1, 60, 0, 1, 1, FS_REASON_BIN},
        {20, 12, 12, 1, 1, 500, 0, 1, 1, FS_REASON_BIN},
        {25, 25, 25, 2, 1, 200, 0, 1, 2, FS_REASON_FLUSH},
    };
    check_kept(&k, ex, 6);
    /* M2 at q = 1: 1 for every TCP record (a lone SYN gives 1/q = 1), 0 for UDP */
    CHECK_NEAR(k.c[0].arrivals_alt + k.c[2].arrivals_alt + k.c[4].arrivals_alt, 3, 0);
    CHECK_NEAR(k.c[1].arrivals_alt + k.c[3].arrivals_alt, 0, 0);
    /* Memory, double buffered: the bank being filled plus the second bank,
     * reserved at the previous bin's peak for the whole next bin: 1 entry on
     * [1,3), 2 on [3,7), 3 on [7,10); bin 1 with bin 0's 3 reserved: 3 on
     * [10,11), 4 on [11,12), 5 on [12,20); bin 2 with bin 1's 2: 2 on
     * [20,25), then flow 2 for an instant and both banks are freed at the
     * flush. Peak 5 = 3 + 2, the sum of consecutive bin peaks (one bank
     * alone: 3); integral 2 + 8 + 9 + 3 + 4 + 40 + 10 = 76 entry-s over
     * [1, 25]. */
    CHECK_EQ_I(m.acct.peak, 5);
    CHECK_NEAR(fs_acct_mean_entries(&m.acct), 76.0 / 24, 1e-9);
    CHECK_EQ_U(m.bad_records, 0);
    CHECK_EQ_U(m.live_mismatch, 0);
    CHECK_NEAR(meter_stat(&m, "meter_bank_peak_entries"), 3, 0);
    /* consecutive bins 0 and 1: 3 + 2 entries */
    CHECK_NEAR(meter_stat(&m, "meter_double_buffer_peak_entries"), 5, 0);
    CHECK_NEAR(meter_stat(&m, "meter_rate_reductions"), 0, 0);
    meter_close(&m);
}

/* The same trace with report=spread: the n records of a bin leave at
 * end + j*bin/n (j = 0..n-1, rounded down to the ns), in order of first
 * packet, and are memory until then (double buffering). */
TEST(anf_known_spread)
{
    fs_pkt p[8];
    size_t n = fixed_trace(p);
    kept k = {.n = 0};
    meter m;
    CHECK(meter_open(&m, "adaptive-netflow:fixed=yes,p_max=1,bin=10s,fce=yes,report=spread", 1,
                     keep_rec, &k) == 0);
    const fs_algo *a = m.ps.algo;
    for (size_t i = 0; i < 6; i++)
        meter_packet(&m, &p[i]);
    /* After the packet at 12 s: flow 1's bin-0 record left at 10 s; flows 2
     * and 3 (first 3 s and 7 s) are held until 13.333333333 s and
     * 16.666666666 s, so the earliest data not yet exported starts at 3 s;
     * the bank holds flows 4 and 1. Live: 2 in the bank + the second bank,
     * reserved at bin 0's peak of 3 (its 2 held records fit in it). */
    CHECK_EQ_I(a->pending(m.st), SEC(3));
    CHECK_EQ_U(a->live(m.st), 5);
    CHECK_EQ_I(m.next, SEC(10) + 3333333333);
    meter_packet(&m, &p[6]);
    meter_flush(&m, p[n - 1].ts);
    /* Bin 1's two records leave at 20 s and 25 s; the one due at 25 s fires
     * before the packet stamped 25 s is metered. */
    const kexp ex[] = {
        {10, 1, 5, 1, 2, 1040, 1, 1, 0, FS_REASON_BIN},
        {13.333333333, 3, 3, 2, 1, 100, 0, 1, 0, FS_REASON_BIN},
        {16.666666666, 7, 7, 3, 1, 40, 1, 1, 0, FS_REASON_BIN},
        {20, 11, 11, 4, 1, 60, 0, 1, 1, FS_REASON_BIN},
        {25, 12, 12, 1, 1, 500, 0, 1, 1, FS_REASON_BIN},
        {25, 25, 25, 2, 1, 200, 0, 1, 2, FS_REASON_FLUSH},
    };
    check_kept(&k, ex, 6);
    /* Live = bank + second bank, reserved at the previous bin's peak while
     * its records are held (they never exceed it): the same as with burst
     * reports, peak 5 = 3 + 2 and 76 entry-s over 24 s; the records held at
     * once peak at 3. */
    CHECK_EQ_I(m.acct.peak, 5);
    CHECK_NEAR(fs_acct_mean_entries(&m.acct), 76.0 / 24, 1e-9);
    CHECK_NEAR(meter_stat(&m, "meter_double_buffer_peak_entries"), 5, 0);
    CHECK_NEAR(meter_stat(&m, "meter_bank_peak_entries"), 3, 0);
    CHECK_NEAR(meter_stat(&m, "meter_held_peak_records"), 3, 0);
    CHECK_EQ_U(m.bad_records, 0);
    CHECK_EQ_U(m.live_mismatch, 0);
    CHECK_EQ_I(a->pending(m.st), FS_NS_INF);
    CHECK_EQ_U(a->live(m.st), 0);
    meter_close(&m);
}

/* Empty bins and the carry start rule [§2.3]. p_max = 1, entries = 4,
 * step 2, start_target 0.5: a bin ending with 1 entry at p_end = 1/4 starts
 * the next at 1/4 * 2^g with g the largest such that 1 * 2^g <= 2, g = 1:
 * p = 1/2. A bin that ends empty (or is skipped) restarts at p_max. */
typedef struct pend_log { double p[16]; int64_t bin[16]; int n; } pend_log;
static void log_pend(meter *m, const fs_record *r)
{
    pend_log *l = m->ctx;
    if (l->n < 16) {
        l->p[l->n] = r->p_end;
        l->bin[l->n] = r->bin_id;
        l->n++;
    }
}

TEST(anf_known_carry)
{
    /* Bin 0 [0,100): 5 one-packet UDP flows at 1..5 s; the 5th finds the
     * memory (4) full: the rate halves until at most 2 entries remain, and
     * the 5th is kept with probability p, so bin 0 ends with n0 = 0..3
     * entries at p_end(0) <= 1/2. Flow 9 sends one packet in bin 1 (150 s)
     * and one in bin 4 (450 s); bins 2 and 3 are empty. */
    fs_pkt p[8];
    for (uint32_t i = 0; i < 5; i++)
        p[i] = th_pkt(SEC(1 + i), 1 + i, 17, 100, 0);
    p[5] = th_pkt(SEC(150), 9, 17, 100, 0);
    p[6] = th_pkt(SEC(450), 9, 17, 100, 0);
    int seen_carry = 0, seen_bin1 = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        pend_log l = {.n = 0};
        meter m;
        CHECK(meter_open(&m, "adaptive-netflow:entries=4,p_max=1,bin=100s,start=carry,draw=coin",
                         seed, log_pend, &l) == 0);
        for (int i = 0; i < 7; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[6].ts);
        double p0 = -1, p1 = -1, p4 = -1;
        int n0 = 0;
        for (int i = 0; i < l.n; i++) {
            if (l.bin[i] == 0) {
                p0 = l.p[i];
                n0++;
            } else if (l.bin[i] == 1) {
                p1 = l.p[i];
            } else if (l.bin[i] == 4) {
                p4 = l.p[i];
            }
        }
        CHECK(n0 <= 3);
        CHECK(n0 == 0 || (p0 > 0 && p0 <= 0.5));
        /* bin 1 starts at min(1, p0 2^g), g the largest with n0 2^g <= 2:
         * g = 1 for one entry, 0 for two or three; p_max after an empty bin */
        if (p1 > 0) {
            double want = n0 == 0 ? 1.0 : fmin(1.0, p0 * (n0 == 1 ? 2.0 : 1.0));
            CHECK_NEAR(p1, want, 0);
            seen_carry += p1 < 1.0;
            seen_bin1++;
        }
        /* after the empty bins 2 and 3 the rate is back at p_max */
        CHECK_NEAR(p4, 1.0, 0);
        CHECK_EQ_U(m.bad_records, 0);
        meter_close(&m);
    }
    /* the carried rate is below p_max in a good share of the seeds */
    CHECK(seen_carry > 10);
    CHECK(seen_bin1 > 50);
}

/* Geometric skips must be redrawn whenever the rate changes [§2.3 "as if
 * sampled at p_end"]. Bin 0 [0,10): 300 one-packet UDP flows with a budget
 * of 2 entries drive the rate from p_max = 1 down to 1/16 or less (at
 * least 4 halvings, checked). Bin 1 restarts at p = 1 (start=reset), so the 50 packets
 * of flow 1000 in [10,15) s must all be counted: a skip left over from bin
 * 0, drawn at the low rate, would miss the first ~1/p of them. */
typedef struct skip_obs { double p0; uint64_t pkts1; double p1; } skip_obs;
static void skip_rec(meter *m, const fs_record *r)
{
    skip_obs *o = m->ctx;
    if (r->bin_id == 0 && r->p_end > o->p0)
        o->p0 = r->p_end;
    if (r->bin_id == 1 && flow_of(r) == 1000) {
        o->pkts1 = r->pkts;
        o->p1 = r->p_end;
    }
}

TEST(anf_known_skip_redraw)
{
    fs_pkt p[350];
    size_t n = 0;
    for (uint32_t i = 0; i < 300; i++)
        p[n++] = th_pkt(SEC(1) + (fs_ns)i * 10 * FS_NS_PER_MS, i, 17, 100, 0);
    for (uint32_t i = 0; i < 50; i++)
        p[n++] = th_pkt(SEC(10) + (fs_ns)i * 100 * FS_NS_PER_MS, 1000, 17, 100, 0);
    for (uint64_t seed = 1; seed <= 50; seed++) {
        skip_obs o = {0, 0, 0};
        meter m;
        CHECK(meter_open(&m, "adaptive-netflow:entries=2,p_max=1,bin=10s", seed, skip_rec, &o) ==
              0);
        for (size_t i = 0; i < n; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[n - 1].ts);
        /* bin 1 has one flow and never reduces: bin 0 ended at 2^-reductions
         * (bin 0 may end with no entry, so its records cannot tell) */
        CHECK(meter_stat(&m, "meter_rate_reductions") >= 4);
        CHECK(o.p0 <= 1.0 / 16);
        CHECK_EQ_U(o.pkts1, 50);
        CHECK_NEAR(o.p1, 1.0, 0);
        meter_close(&m);
    }
}

/* A budget of 2 entries and a third flow [§2.3]. p_max = 1, renorm_target
 * 0.5 (at most 1 entry after renormalizing). Flow A: 3 UDP packets of 100,
 * 200, 300 B at 1-3 s; flow B: 1 packet of 200 B at 4 s; flow C: 1 packet
 * of 300 B at 5 s. C finds the memory full: p = 1/2, A survives with
 * probability 1 - (1/2)^3 = 7/8 and B with 1/2, independently; both survive
 * (7/16) -> another halving, and so on until one entry is left. So
 *   P(the loop stops at p = 1/2) = 1 - 7/16 = 9/16,
 * and C is then kept with probability p_end/1. At the end at most one of A
 * and B remains, plus perhaps C, all with p_end = the rate after the loop.
 * Proportional bytes of A are 600 c'/3 = 200 c'; oracle bytes are the sum
 * of a subset of {100, 200, 300} of c' packets. Each flow's estimate is
 * unbiased: E[c/p_end] = 3 (A), 1 (B), 1 (C) — mean over R seeds within
 * 4.5 observed standard errors. */
typedef struct budget_obs {
    int n, a, b, c;
    double pend, ea, eb, ec, bytes_a;
    uint64_t pa;
} budget_obs;

static void budget_rec(meter *m, const fs_record *r)
{
    budget_obs *o = m->ctx;
    fs_contrib c = whole(m, r);
    uint32_t f = flow_of(r);
    o->n++;
    o->pend = r->p_end;
    if (f == 1) {
        o->a = 1;
        o->ea = c.pkts;
        o->pa = r->pkts;
        o->bytes_a = r->bytes;
    } else if (f == 2) {
        o->b = 1;
        o->eb = c.pkts;
        if (r->bytes != 200.0 * (double)r->pkts)
            o->n = 100; /* flags an inconsistent record */
    } else {
        o->c = 1;
        o->ec = c.pkts;
        if (r->pkts != 1 || r->bytes != 300)
            o->n = 100;
    }
}

static void budget_case(const char *spec, int oracle)
{
    fs_pkt p[5];
    p[0] = th_pkt(SEC(1), 1, 17, 100, 0);
    p[1] = th_pkt(SEC(2), 1, 17, 200, 0);
    p[2] = th_pkt(SEC(3), 1, 17, 300, 0);
    p[3] = th_pkt(SEC(4), 2, 17, 200, 0);
    p[4] = th_pkt(SEC(5), 3, 17, 300, 0);
    enum { R = 4000 };
    static double ea[R], eb[R], ec[R];
    int half = 0, bad = 0;
    for (int r = 0; r < R; r++) {
        budget_obs o;
        memset(&o, 0, sizeof o);
        meter m;
        CHECK(meter_open(&m, spec, 1000 + (uint64_t)r, budget_rec, &o) == 0);
        for (int i = 0; i < 5; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[4].ts);
        /* invariants of every seed */
        bad += o.n > 2 || (o.a && o.b) || m.acct.peak > 2 || m.over_bound;
        double lg = o.n ? -log2(o.pend) : 1;
        bad += (o.n && o.pend > 0.5) || lg != floor(lg);
        if (o.a) {
            bad += o.pa < 1 || o.pa > 3;
            if (oracle) {
                /* the sum of some c' of the sizes 100, 200, 300 */
                double b = o.bytes_a;
                int okb = o.pa == 3 ? b == 600 : o.pa == 2 ? (b == 300 || b == 400 || b == 500)
                                                           : (b == 100 || b == 200 || b == 300);
                bad += !okb;
            } else {
                bad += o.bytes_a != 200.0 * (double)o.pa;
            }
        }
        /* one reduction <=> the loop stopped at p = 1/2 */
        double red = meter_stat(&m, "meter_rate_reductions");
        bad += red < 1;
        half += red == 1;
        ea[r] = o.ea;
        eb[r] = o.eb;
        ec[r] = o.ec;
        meter_close(&m);
    }
    CHECK_EQ_I(bad, 0);
    /* binomial proportion: sd = sqrt(9/16 x 7/16 / R) = 0.0078 */
    double ph = (double)half / R;
    CHECK_NEAR(ph, 9.0 / 16, NSE * sqrt(9.0 / 16 * 7.0 / 16 / R));
    check_mean("flow A", ea, R, 3);
    check_mean("flow B", eb, R, 1);
    check_mean("flow C", ec, R, 1);
}

TEST(anf_known_budget)
{
    budget_case("adaptive-netflow:entries=2,p_max=1,bin=100s", 0);
    budget_case("adaptive-netflow:entries=2,p_max=1,bin=100s,renorm=oracle,draw=coin", 1);
}

/* ---- parameters --------------------------------------------------------------------- */
static void bad_spec(const char *spec, const char *name)
{
    fs_pipeline_spec ps;
    char err[1024] = "";
    int rc = fs_pipeline_parse(spec, &ps, err, sizeof err);
    CHECK(rc != 0);
    if (rc == 0) {
        fprintf(stderr, "  accepted: %s\n", spec);
        fs_pipeline_free(&ps);
        return;
    }
    /* one line, naming the parameter */
    CHECK(strchr(err, '\n') == NULL);
    CHECK(strstr(err, name) != NULL);
}

TEST(anf_bad_params)
{
    bad_spec("adaptive-netflow:p_max=2", "p_max");
    bad_spec("adaptive-netflow:p_max=0", "p_max");
    bad_spec("adaptive-netflow:p_max=3/2", "p_max");
    bad_spec("adaptive-netflow:bin=0", "bin");
    bad_spec("adaptive-netflow:bin=-5s", "bin");
    bad_spec("adaptive-netflow:bin=inf", "bin");
    bad_spec("adaptive-netflow:entries=0", "entries");
    bad_spec("adaptive-netflow:entries=5000000000", "entries");
    bad_spec("adaptive-netflow:renorm_target=0", "renorm_target");
    bad_spec("adaptive-netflow:renorm_target=1", "renorm_target");
    bad_spec("adaptive-netflow:renorm_target=1.5", "renorm_target");
    bad_spec("adaptive-netflow:renorm_target=-0.5", "renorm_target");
    /* 0.5 x 1 entry < 1: a renormalization would empty the memory */
    bad_spec("adaptive-netflow:entries=1", "entries");
    bad_spec("adaptive-netflow:entries=100,renorm_target=0.001", "renorm_target");
    bad_spec("adaptive-netflow:step=1", "step");
    bad_spec("adaptive-netflow:step=0.5", "step");
    bad_spec("adaptive-netflow:start_target=0", "start_target");
    bad_spec("adaptive-netflow:report=trickle", "report");
    bad_spec("adaptive-netflow:renorm=exact", "renorm");
    bad_spec("adaptive-netflow:start=keep", "start");
    bad_spec("adaptive-netflow:bogus=1", "bogus");
    /* accepted: the fixed-rate configuration of the Flow Slices comparison,
     * and a budget of one entry when the rate is fixed (no renormalization) */
    fs_pipeline_spec ps;
    char err[512];
    CHECK(fs_pipeline_parse("adaptive-netflow:fixed=yes,p_max=1/1024,bin=300s", &ps, err,
                            sizeof err) == 0);
    fs_pipeline_free(&ps);
    CHECK(fs_pipeline_parse("adaptive-netflow:fixed=yes,entries=1", &ps, err, sizeof err) == 0);
    fs_pipeline_free(&ps);
    CHECK(fs_pipeline_parse("adaptive-netflow:entries=2,renorm_target=0.5,step=4,start=carry,"
                            "report=spread,renorm=oracle,fce=yes,draw=coin", &ps, err,
                            sizeof err) == 0);
    fs_pipeline_free(&ps);
}

/* ---- budget under a spoofed flood ------------------------------------------------------ */

/* backbone-flood: 10 s of backbone traffic (~2,600 new flows/s) with a
 * spoofed SYN flood of 40,000 one-packet flows/s from 4 s to 7 s. With
 * entries = 2000, bin = 1 s and p_max = 1/4 the flood bins need the rate cut
 * several times. The budget must hold after every call into the meter:
 * live <= 2M (the bank being filled + the second bank, double buffering),
 * one bank <= M; the accountant's peak is at least every live value seen
 * (it saw every change), equals the largest sum of two consecutive bin
 * peaks, and live() always equals what the accountant was last told. */
typedef struct flood_obs { double pend_min_flood, pend_min_calm; } flood_obs;
static void flood_rec(meter *m, const fs_record *r)
{
    flood_obs *o = m->ctx;
    /* The trace starts at the epoch 1704067200 s; flood bins are 4..6 and
     * the calm ones compared with them are those before the flood (after
     * it, start=carry legitimately keeps the flood's low rate one bin). */
    int64_t rel = r->bin_id - 1704067200;
    double *t = rel >= 4 && rel <= 6 ? &o->pend_min_flood : rel < 4 ? &o->pend_min_calm : NULL;
    if (t && r->p_end < *t)
        *t = r->p_end;
}

TEST(anf_budget_flood)
{
    size_t n;
    fs_pkt *p = load_gen("backbone-flood", NULL, 7, &n);
    CHECK(p != NULL && n > 400000);
    if (!p)
        return;
    const struct { const char *spec; int64_t bound; } cs[] = {
        {"adaptive-netflow:entries=2000,bin=1s,p_max=1/4", 4000},
        {"adaptive-netflow:entries=2000,bin=1s,p_max=1/4,report=spread,start=carry,fce=yes",
         4000},
        {"adaptive-netflow:entries=2000,bin=1s,p_max=1/4,renorm=oracle,step=4,"
         "renorm_target=0.9,draw=coin", 4000},
    };
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        flood_obs o = {INFINITY, INFINITY};
        meter m;
        CHECK(meter_open(&m, cs[c].spec, 11, flood_rec, &o) == 0);
        m.bound = cs[c].bound;
        for (size_t i = 0; i < n; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[n - 1].ts);
        CHECK_EQ_U(m.over_bound, 0);
        CHECK_EQ_U(m.live_mismatch, 0);
        CHECK(m.acct.peak <= cs[c].bound);
        CHECK(m.acct.peak >= m.max_live);
        CHECK(meter_stat(&m, "meter_bank_peak_entries") <= 2000);
        CHECK(meter_stat(&m, "meter_double_buffer_peak_entries") <= 4000);
        CHECK_NEAR((double)m.acct.peak, meter_stat(&m, "meter_double_buffer_peak_entries"), 0);
        CHECK(meter_stat(&m, "meter_rate_reductions") > 3);
        CHECK_EQ_U(m.bad_records, 0);
        /* the flood bins end at a lower rate than the calm ones before */
        CHECK(o.pend_min_flood < o.pend_min_calm);
        CHECK(o.pend_min_flood <= 1.0 / 16);
        /* the second bank really counts: beyond M */
        CHECK(m.acct.peak > 2000);
        if (getenv("TF_VERBOSE"))
            fprintf(stderr, "  %s: peak %lld, reductions %.0f, p_end min flood %g calm %g\n",
                    cs[c].spec, (long long)m.acct.peak, meter_stat(&m, "meter_rate_reductions"),
                    o.pend_min_flood, o.pend_min_calm);
        meter_close(&m);
    }
    /* Without adaptation (fixed rate 1/4) the flood needs far more than the
     * budget: what ANF's adaptation saves. */
    meter m;
    CHECK(meter_open(&m, "adaptive-netflow:fixed=yes,bin=1s,p_max=1/4", 11, NULL, NULL) == 0);
    for (size_t i = 0; i < n; i++)
        meter_packet(&m, &p[i]);
    meter_flush(&m, p[n - 1].ts);
    CHECK(m.acct.peak > 5000);
    meter_close(&m);
    free(p);
}

/* ---- unbiasedness over seeds ---------------------------------------------------------- */

/* Checks one adaptive setting: totals unbiased, M1 against the SYN packets,
 * FCE flows against flow-bins, the packet variance estimate unbiased, the
 * byte variance estimate exact (oracle) or an upper bound (proportional),
 * adaptation happening several times per bin on average. */
static void check_adaptive(const char *spec, const fs_pkt *p, size_t n, const truth *t, int R,
                           int oracle, double min_red_per_bin)
{
    reps rp;
    CHECK(run_reps(spec, p, n, R, 1, &rp) == 0);
    char w[300];
    snprintf(w, sizeof w, "%s packets", spec);
    check_mean(w, rp.x[E_PKTS], R, t->pkts);
    snprintf(w, sizeof w, "%s bytes", spec);
    check_mean(w, rp.x[E_BYTES], R, t->bytes);
    snprintf(w, sizeof w, "%s M1", spec);
    check_mean(w, rp.x[E_M1], R, t->syn);
    snprintf(w, sizeof w, "%s FCE flows", spec);
    check_mean(w, rp.x[E_FLOWS], R, t->flowbins);
    snprintf(w, sizeof w, "%s packet variance", spec);
    check_var_estimate(w, rp.x[E_PKTS], rp.x[E_VPK], R, t->pkts, 0);
    snprintf(w, sizeof w, "%s byte variance", spec);
    check_var_estimate(w, rp.x[E_BYTES], rp.x[E_VBY], R, t->bytes, !oracle);
    double per_bin = rp.reductions / rp.bins;
    CHECK(per_bin >= min_red_per_bin);
    CHECK_EQ_U(rp.bad_records, 0);
    CHECK_EQ_U(rp.live_mismatch, 0);
    if (getenv("TF_VERBOSE")) {
        double m, sd;
        mean_sd(rp.x[E_PKTS], R, &m, &sd);
        fprintf(stderr, "  %s: %.2f reductions per bin; packets %.1f (truth %.0f, sd %.1f)",
                spec, per_bin, m, t->pkts, sd);
        mean_sd(rp.x[E_FLOWS], R, &m, &sd);
        fprintf(stderr, "; flows %.1f (truth %.0f, sd %.1f)\n", m, t->flowbins, sd);
    }
    reps_free(&rp);
}

/* The real capture: 7,723 packets, 1,421 flows over 148 s; bins of 30 s
 * hold 250-450 flows, so a budget of 64 entries at p_max = 1 is hit several
 * times in every bin. */
TEST(anf_unbiased_real)
{
    size_t n;
    fs_pkt *p = load_real(BITTORRENT, &n);
    CHECK(p != NULL && n == 7723);
    if (!p)
        return;
    enum { R = 400 };
    truth t30 = truth_of(p, n, SEC(30), 0.125);
    check_adaptive("adaptive-netflow:entries=64,bin=30s,p_max=1,fce=yes", p, n, &t30, R, 0, 2);
    check_adaptive("adaptive-netflow:entries=64,bin=30s,p_max=1,fce=yes,renorm=oracle,"
                   "start=carry,report=spread,draw=coin", p, n, &t30, R, 1, 0.5);
    /* p_max < 1 with skips: the skip drawn at a low rate must be redrawn
     * when the next bin resets to p_max; a stale skip would bias downwards */
    check_adaptive("adaptive-netflow:entries=32,bin=30s,p_max=1/2,step=4,renorm_target=0.25,"
                   "fce=yes", p, n, &t30, R, 0, 1);
    /* Fixed rate q = 1/8 (no adaptation): the packet total is a sum of
     * independent Bernoulli(q)/q, so its variance is (1/q - 1) N exactly and
     * the mean is checked with the theoretical sd; M2 has the closed-form
     * expectation of §2.6 per flow-bin. */
    reps rp;
    CHECK(run_reps("adaptive-netflow:fixed=yes,p_max=1/8,bin=30s,fce=yes", p, n, R, 1, &rp) == 0);
    double m, sd;
    mean_sd(rp.x[E_PKTS], R, &m, &sd);
    CHECK_NEAR(m, t30.pkts, NSE * sqrt(t30.pkts_var_q / R));
    /* sample variance of R values: relative sd sqrt(2/(R-1) + g/R), g the
     * excess kurtosis (1 - 6q(1-q)) / (q(1-q) N) — negligible here */
    double q = 0.125, g = (1 - 6 * q * (1 - q)) / (q * (1 - q) * t30.pkts);
    CHECK_NEAR(sd * sd / t30.pkts_var_q, 1.0, NSE * sqrt(2.0 / (R - 1) + g / R));
    check_mean("fixed bytes", rp.x[E_BYTES], R, t30.bytes);
    check_mean("fixed M1", rp.x[E_M1], R, t30.syn);
    check_mean("fixed M2", rp.x[E_M2], R, t30.m2);
    check_mean("fixed FCE flows", rp.x[E_FLOWS], R, t30.flowbins);
    check_var_estimate("fixed packet variance", rp.x[E_PKTS], rp.x[E_VPK], R, t30.pkts, 0);
    check_var_estimate("fixed byte variance", rp.x[E_BYTES], rp.x[E_VBY], R, t30.bytes, 0);
    CHECK_NEAR(rp.reductions, 0, 0);
    reps_free(&rp);
    free(p);
}

/* A synthetic trace with a spoofed SYN flood, generated here: 2 s of the
 * backbone mix at 300 connections/s with 5,000 one-packet SYN flows/s from
 * 0.5 s to 1.5 s (about 14,500 packets, 6,100 flow-bins). Bins of 0.5 s,
 * budget 128 entries at p_max = 1/2: every bin needs reductions, the flood
 * bins many. Each flood flow has
 * one SYN, so M1's expectation (SYN packets) is dominated by true arrivals. */
TEST(anf_unbiased_synthetic)
{
    size_t n;
    fs_pkt *p = load_gen("backbone",
                         "duration=2s,warmup=1s,flow_rate=300,flood_start=0.5s,"
                         "flood_duration=1s,flood_rate=5k,flood_kind=syn", 3, &n);
    CHECK(p != NULL && n > 8000);
    if (!p)
        return;
    enum { R = 300 };
    truth t = truth_of(p, n, SEC(0.5), 0.25);
    check_adaptive("adaptive-netflow:entries=128,bin=500ms,p_max=1/2,fce=yes", p, n, &t, R, 0,
                   2);
    check_adaptive("adaptive-netflow:entries=128,bin=500ms,p_max=1/2,fce=yes,renorm=oracle,"
                   "start=carry,report=spread", p, n, &t, R, 1, 0.5);
    reps rp;
    CHECK(run_reps("adaptive-netflow:fixed=yes,p_max=1/4,bin=500ms,fce=yes", p, n, R, 1, &rp) == 0);
    check_mean("synthetic fixed packets", rp.x[E_PKTS], R, t.pkts);
    check_mean("synthetic fixed M2", rp.x[E_M2], R, t.m2);
    check_mean("synthetic fixed FCE flows", rp.x[E_FLOWS], R, t.flowbins);
    reps_free(&rp);
    free(p);
}

/* ---- variance of per-flow estimates by flow size ---------------------------------------- */

/* 408 UDP flows in one bin: 240 of 1 packet, 120 of 4, 40 of 30, 8 of 300
 * (4,320 packets), their packets at random times in [1, 101) s (a fixed
 * generator seed), sizes 40 + (37 i mod 1461) bytes. */
enum { VF = 408 };
static const int vf_bucket_size[4] = {1, 4, 30, 300};
static const int vf_bucket_count[4] = {240, 120, 40, 8};

static int cmp_ts(const void *a, const void *b)
{
    const fs_pkt *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static fs_pkt *vf_trace(size_t *n, int *flow_size, double *flow_bytes)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 4242);
    fs_pkt *p = malloc(4320 * sizeof *p);
    size_t k = 0;
    uint32_t f = 0;
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < vf_bucket_count[b]; i++, f++) {
            flow_size[f] = vf_bucket_size[b];
            flow_bytes[f] = 0;
            for (int j = 0; j < vf_bucket_size[b]; j++, k++) {
                uint32_t size = 40 + (uint32_t)((37 * k) % 1461);
                p[k] = th_pkt(SEC(1) + (fs_ns)(gsl_rng_uniform(g) * 100e9), f, 17, size, 0);
                flow_bytes[f] += size;
            }
        }
    gsl_rng_free(g);
    qsort(p, k, sizeof *p, cmp_ts);
    *n = k;
    return p;
}

typedef struct vf_obs { double est[VF], vhat[VF], estb[VF], vhatb[VF]; } vf_obs;
static void vf_rec(meter *m, const fs_record *r)
{
    vf_obs *o = m->ctx;
    fs_contrib c = whole(m, r);
    uint32_t f = flow_of(r);
    if (f < VF) {
        o->est[f] += c.pkts;
        o->vhat[f] += c.var_pkts;
        o->estb[f] += c.bytes;
        o->vhatb[f] += c.var_bytes;
    }
}

/* Per bucket and seed: D = Σ_f (est_f - S_f)^2 and Vhat = Σ_f vhat_f. */
static void vf_run(const char *spec, int R, const fs_pkt *p, size_t n, const int *size,
                   const double *bytes, double (*D)[4], double (*V)[4], double (*DB)[4],
                   double (*VB)[4], double *red)
{
    *red = 0;
    for (int r = 0; r < R; r++) {
        vf_obs o;
        memset(&o, 0, sizeof o);
        meter m;
        if (meter_open(&m, spec, 100 + (uint64_t)r, vf_rec, &o)) {
            CHECK(0);
            meter_close(&m);
            return;
        }
        for (size_t i = 0; i < n; i++)
            meter_packet(&m, &p[i]);
        meter_flush(&m, p[n - 1].ts);
        *red += meter_stat(&m, "meter_rate_reductions");
        meter_close(&m);
        for (int b = 0; b < 4; b++)
            D[r][b] = V[r][b] = DB[r][b] = VB[r][b] = 0;
        for (int f = 0; f < VF; f++) {
            int b = size[f] == 1 ? 0 : size[f] == 4 ? 1 : size[f] == 30 ? 2 : 3;
            D[r][b] += (o.est[f] - size[f]) * (o.est[f] - size[f]);
            V[r][b] += o.vhat[f];
            DB[r][b] += (o.estb[f] - bytes[f]) * (o.estb[f] - bytes[f]);
            VB[r][b] += o.vhatb[f];
        }
    }
}

TEST(anf_variance_per_flow)
{
    size_t n;
    int size[VF];
    double bytes[VF];
    fs_pkt *p = vf_trace(&n, size, bytes);
    enum { R = 600 };
    static double D[R][4], V[R][4], DB[R][4], VB[R][4], col[R], col2[R];
    double red;
    /* (a) Fixed rate q = 1/8, exact Bernoulli sampling: per flow
     * Var(c/q) = (1/q - 1) S [R FS node22 for the form]. Per bucket, D is a
     * sum over independent flows of (est - S)^2, whose mean is
     * Σ (1/q-1) S and whose variance is Σ σ^4 (2 + g), σ^2 = (1/q-1) S,
     * g = (1 - 6q(1-q)) / (S q (1-q)) the binomial excess kurtosis. */
    const double q = 0.125;
    vf_run("adaptive-netflow:fixed=yes,p_max=1/8,bin=1000s", R, p, n, size, bytes, D, V, DB, VB,
           &red);
    for (int b = 0; b < 4; b++) {
        double s = vf_bucket_size[b], cnt = vf_bucket_count[b];
        double s2 = (1 / q - 1) * s, g = (1 - 6 * q * (1 - q)) / (s * q * (1 - q));
        double ed = cnt * s2, vd = cnt * s2 * s2 * (2 + g);
        for (int r = 0; r < R; r++)
            col[r] = D[r][b];
        double m, sd;
        mean_sd(col, R, &m, &sd);
        if (getenv("TF_VERBOSE"))
            fprintf(stderr, "  fixed 1/8, flows of %d packets: observed variance / "
                            "(1/q-1)S = %.4f (tolerance %.4f)\n",
                    (int)s, m / ed, NSE * sqrt(vd / R) / ed);
        CHECK_NEAR(m, ed, NSE * sqrt(vd / R));
    }
    /* (b) Adaptive with exact thinning (renorm=oracle): budget 64 entries for
     * 408 flows at p_max = 1, so the rate falls to 1/16..1/32 with many
     * renormalizations. Per flow, E[(est - S)^2] = E[vhat] with vhat =
     * (c/p)(1/p - 1) (martingale argument, adaptive_netflow.c): per bucket,
     * D - Vhat has mean 0, checked within 4.5 observed standard errors; the
     * same for bytes, whose vhat is exact under oracle thinning. */
    vf_run("adaptive-netflow:entries=64,p_max=1,bin=1000s,renorm=oracle", R, p, n, size, bytes, D,
           V, DB, VB, &red);
    CHECK(red / R > 3);
    for (int b = 0; b < 4; b++) {
        double m, sd, m2, sd2, md, sdd;
        for (int r = 0; r < R; r++) {
            col[r] = D[r][b] - V[r][b];
            col2[r] = DB[r][b] - VB[r][b];
        }
        mean_sd(col, R, &md, &sdd);
        CHECK_NEAR(md, 0, NSE * sdd / sqrt(R));
        mean_sd(col2, R, &md, &sdd);
        CHECK_NEAR(md, 0, NSE * sdd / sqrt(R));
        if (getenv("TF_VERBOSE")) {
            for (int r = 0; r < R; r++) {
                col[r] = D[r][b];
                col2[r] = V[r][b];
            }
            mean_sd(col, R, &m, &sd);
            mean_sd(col2, R, &m2, &sd2);
            fprintf(stderr, "  oracle, flows of %d packets: observed variance %.1f, mean "
                            "estimate %.1f\n", vf_bucket_size[b], m / vf_bucket_count[b],
                    m2 / vf_bucket_count[b]);
        }
    }
    /* (c) Proportional byte scaling is the expectation of exact thinning
     * given the counts, so its byte variance is at most the exact-thinning
     * variance that vhat estimates: E[(est_b - B)^2] <= E[vhat_b] per
     * bucket (one-sided, 4.5 observed standard errors). Packets are thinned
     * exactly as under (b). */
    vf_run("adaptive-netflow:entries=64,p_max=1,bin=1000s", R, p, n, size, bytes, D, V, DB, VB,
           &red);
    for (int b = 0; b < 4; b++) {
        double md, sdd;
        for (int r = 0; r < R; r++) {
            col[r] = D[r][b] - V[r][b];
            col2[r] = DB[r][b] - VB[r][b];
        }
        mean_sd(col, R, &md, &sdd);
        CHECK_NEAR(md, 0, NSE * sdd / sqrt(R));
        mean_sd(col2, R, &md, &sdd);
        CHECK(md <= NSE * sdd / sqrt(R));
    }
    free(p);
}

/* ---- the whole engine --------------------------------------------------------------------- */

/* Through fs_run on the real capture, analysis bins of 30 s: ANF bins equal
 * to them (records go to their bin_id), nested (10 s) and straddling (20 s,
 * apportioned); an observation-stage sampler (q_pkt = p_end x 1/2) and a
 * record stage (weight 2). Totals stay unbiased in all of them; FCE flows
 * are unbiased when the bins are equal; no record ever reaches an analysis
 * bin already finalised (pending() is honest, spread reports included);
 * memory rows respect the budgets (2M: double buffering) and equal the
 * double-buffer figure. R = 100 seeds,
 * tolerance 4.5 observed standard errors. */
TEST(anf_engine)
{
    const char *traces[] = {BITTORRENT};
    const char *specs[] = {
        "adaptive-netflow:entries=64,bin=30s,p_max=1,fce=yes",
        "adaptive-netflow:entries=64,bin=30s,p_max=1,fce=yes,report=spread,start=carry",
        "adaptive-netflow:entries=32,bin=10s,p_max=1,report=spread",
        "adaptive-netflow:entries=64,bin=20s,p_max=1,renorm=oracle",
        "adaptive-netflow:entries=64,bin=30s,p_max=1,psamp=random,psamp_rate=1/2",
        "adaptive-netflow:entries=64,bin=30s,p_max=1|uniform:rate=1/2",
    };
    /* double buffering: two banks of entries each */
    const int64_t bound[] = {128, 128, 64, 128, 128, 128};
    enum { R = 100, NP = 6 };
    char out[128];
    CHECK_EQ_I(th_run(traces, 1, specs, NP, "seeds=100,bin=30s,records=none,timeseries=none", out,
                      sizeof out), 0);
    for (int pi = 0; pi < NP; pi++) {
        double e[R], t[R], v[R];
        const char *pairs[][2] = {{"est_bytes", "true_bytes"}, {"est_packets", "true_packets"}};
        for (int k = 0; k < 2; k++) {
            CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", pairs[k][0], e, R), R);
            CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", pairs[k][1], t, R), R);
            check_mean(specs[pi], e, R, t[0]);
        }
        if (pi < 2) {
            CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "est_flows", e, R), R);
            CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "true_flows", t, R), R);
            check_mean(specs[pi], e, R, t[0]);
        }
        CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "late_contributions", v, R), R);
        for (int r = 0; r < R; r++)
            CHECK_NEAR(v[r], 0, 0);
        CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "mem_peak_entries", v, R), R);
        double dbl[R];
        CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "meter_double_buffer_peak_entries",
                             dbl, R), R);
        for (int r = 0; r < R; r++) {
            CHECK(v[r] <= (double)bound[pi]);
            CHECK_NEAR(v[r], dbl[r], 0);
        }
        CHECK_EQ_I(th_metric(out, pi, "all", "total", "all", "meter_rate_reductions", v, R), R);
        CHECK(v[0] > 0);
    }
    th_cleanup(out);
}
