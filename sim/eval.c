/* flowsim — evaluation (see eval.h). Copyright (C) 2026 the flowsim authors.
 * GPL-3.0-or-later. */
#include "eval.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fs_metric_name[FS_M__COUNT] = {
#define FS_X(id, name, q, help) name,
    FS_METRICS(FS_X)
#undef FS_X
};
const char *const fs_metric_help[FS_M__COUNT] = {
#define FS_X(id, name, q, help) help,
    FS_METRICS(FS_X)
#undef FS_X
};
const int fs_metric_quantity[FS_M__COUNT] = {
#define FS_X(id, name, q, help) q,
    FS_METRICS(FS_X)
#undef FS_X
};
const char *const fs_bin_rows_names[] = {"none", "total", "all", NULL};
const char *const fs_key_totals_names[] = {"trace", "bins", NULL};

enum { AGG_DPORT, AGG_SRC, AGG_DST, AGG__COUNT };
static const char *const agg_names[AGG__COUNT] = {"dport", "src_prefix", "dst_prefix"};

typedef struct eent {
    FS_FTAB_ENTRY_HEAD;
    double pkts, bytes, v_pk, v_by, c_pk, c_by, flows, arr, arr2;
    fs_ns  flow_ts;
    uint8_t v_nan, arr2_nan, seen, has_flow;
} eent;

typedef struct aent {
    FS_FTAB_ENTRY_HEAD;
    double by, pk;
} aent;

/* An estimated aggregate key: aent's sums (its first fields, so either is
 * read as an aent) and their shares of the variance of a sum over bins
 * (fs_acc's c_*), for the whole-trace per-key rows. */
typedef struct eaent {
    FS_FTAB_ENTRY_HEAD;
    double  by, pk, c_by, c_pk;
    uint8_t v_nan;
} eaent;
_Static_assert(offsetof(eaent, by) == offsetof(aent, by) &&
               offsetof(eaent, pk) == offsetof(aent, pk), "eaent starts as aent");

typedef struct binpart binpart;

struct fs_ebin {
    int64_t bin;
    fs_ftab tab;
    binpart *part;       /* closed in part (fs_eval_close_part), else NULL */
    struct fs_ebin *next;
};

typedef struct tshared tshared;
struct tshared {
    fs_ftab agg[AGG__COUNT];   /* true aggregates over the whole trace
                                  (key_totals trace), when has_agg       */
    int     has_agg;
    fs_ftab_pool pool;         /* tables of the bins' aggregates          */
    /* scratch of the evaluations, which finalise one after another: a
     * bin's estimated aggregates, and a meter's pending keys (pkent) */
    fs_ftab bin_agg[AGG__COUNT];
    fs_ftab pend;
};
static tshared *get_shared(fs_eval *ev);
static void binpart_free(binpart *P);
static int  binpart_has_key(const binpart *P, const fs_key *k, uint64_t h);

/* A key a meter can still add to a bin closed in part, with its truth in
 * the bin (has_t) and its index in the bin's truth table (ranking ties). */
typedef struct pkent {
    FS_FTAB_ENTRY_HEAD;
    fs_ns    since;       /* in ev->pend: the meter's pending time of the key */
    double   t_pk, t_by;
    uint32_t ix;
    uint8_t  has_t;
} pkent;

/* A record split over bins k0..k1 that had no table when it came
 * (fs_span_sink); r holds its key, first and last. */
typedef struct fs_espan {
    fs_record  r;
    uint64_t   h;
    int64_t    k0, k1;
    fs_contrib whole;
} fs_espan;

/* current record's key, for the contribution callback */
typedef struct cb_ctx {
    fs_span_sink sink;   /* first: fs_span_contrib's ctx */
    fs_eval *ev;
    const fs_key *key;
    uint64_t h;
} cb_ctx;

int fs_eval_init(fs_eval *ev, const fs_eval_cfg *cfg, fs_truth *truth, uint64_t seed,
                 FILE *out, const char *row_prefix)
{
    memset(ev, 0, sizeof *ev);
    ev->cfg = *cfg;
    ev->truth = truth;
    ev->seed = seed;
    ev->out = out;
    ev->released_below = INT64_MIN;
    ev->final_below = INT64_MIN;
    ev->closed_below = INT64_MIN;
    for (int q = 0; q < FS_Q__COUNT; q++) {
        snprintf(ev->estimand[q], sizeof ev->estimand[q], "unbiased");
        snprintf(ev->estimand_all[q], sizeof ev->estimand_all[q], "unbiased");
    }
    ev->prefix = strdup(row_prefix);
    if (!ev->prefix)
        return -1;
    fs_ftab_pool_init(&ev->pool, sizeof(eent));
    for (int a = 0; a < AGG__COUNT; a++)
        if (cfg->key_totals == FS_KEYTOT_TRACE &&
            fs_ftab_init(&ev->all_agg[a], sizeof(eaent), 64, 0, seed))
            return -1;
    tshared *sh = get_shared(ev);
    if (!sh)
        return -1;
    ev->bin_agg = sh->bin_agg;
    ev->pend = &sh->pend;
    truth->users++;
    return 0;
}

void fs_eval_free(fs_eval *ev)
{
    for (size_t i = ev->b0; i < ev->nb; i++) {
        fs_ebin *b = ev->bins[i];
        fs_ftab_free(&b->tab);
        binpart_free(b->part);
        free(b);
    }
    free(ev->bins);
    ev->bins = NULL;
    ev->b0 = ev->nb = ev->capb = 0;
    free(ev->spans);
    ev->spans = NULL;
    ev->nspan = ev->capspan = 0;
    for (int a = 0; a < AGG__COUNT; a++)
        fs_ftab_free(&ev->all_agg[a]);
    fs_ftab_pool_free(&ev->pool);
    free(ev->all_proto);
    ev->all_proto = NULL;
    free(ev->prefix);
    ev->prefix = NULL;
}

/* ---- accumulating contributions ------------------------------------------------ */
/* Index in ev->bins of the first open bin >= k (ev->nb: none). */
static size_t bin_lower(const fs_eval *ev, int64_t k)
{
    size_t lo = ev->b0, hi = ev->nb;
    if (lo < hi && ev->bins[hi - 1]->bin < k)
        return hi;  /* the usual case: past every open bin */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ev->bins[mid]->bin < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static fs_ebin *find_bin(const fs_eval *ev, int64_t k)
{
    size_t i = bin_lower(ev, k);
    return i < ev->nb && ev->bins[i]->bin == k ? ev->bins[i] : NULL;
}

static void add_contrib(fs_eval *ev, fs_ebin *b, const fs_key *key, uint64_t h,
                        const fs_contrib *c)
{
    if (b->part && !binpart_has_key(b->part, key, h)) {
        ev->late++;  /* the meter did not list the key (algo.h, pending_keys) */
        return;
    }
    int created;
    uint32_t i = fs_ftab_upsert(&b->tab, key, h, &created);
    if (i == FS_NONE)
        return;
    eent *e = fs_ftab_ent(&b->tab, i);
    e->pkts += c->pkts;
    e->bytes += c->bytes;
    if (isnan(c->var_pkts) || isnan(c->var_bytes) || isnan(c->cov_pkts) ||
        isnan(c->cov_bytes))
        e->v_nan = 1;
    else {
        e->v_pk += c->var_pkts;
        e->v_by += c->var_bytes;
        e->c_pk += c->cov_pkts;
        e->c_by += c->cov_bytes;
    }
    e->arr += c->arrivals;
    if (isnan(c->arrivals_alt))
        e->arr2_nan = 1;
    else
        e->arr2 += c->arrivals_alt;
    /* Active flows: the record whose data in this bin starts earliest. */
    if (c->flow_ts != FS_NS_INF && (!e->has_flow || c->flow_ts < e->flow_ts)) {
        e->has_flow = 1;
        e->flow_ts = c->flow_ts;
        e->flows = c->flows;
    }
}

/* The table of bin k, made if it has none; a new one takes first the
 * shares of the spans over k, in the order they came (eval.h). */
static fs_ebin *get_bin(fs_eval *ev, int64_t k)
{
    size_t i = bin_lower(ev, k);
    if (i < ev->nb && ev->bins[i]->bin == k)
        return ev->bins[i];
    if (ev->nb == ev->capb) {
        if (ev->b0 > 0) {  /* reuse the room of finalised bins */
            memmove(ev->bins, ev->bins + ev->b0, (ev->nb - ev->b0) * sizeof *ev->bins);
            i -= ev->b0;
            ev->nb -= ev->b0;
            ev->b0 = 0;
        }
        if (ev->nb == ev->capb) {
            size_t nc = ev->capb ? 2 * ev->capb : 64;
            fs_ebin **nbins = realloc(ev->bins, nc * sizeof *nbins);
            if (!nbins)
                return NULL;
            ev->bins = nbins;
            ev->capb = nc;
        }
    }
    fs_ebin *b = calloc(1, sizeof *b);
    if (!b || fs_ftab_pool_get(&ev->pool, &b->tab, 64, ev->seed)) {
        free(b);
        return NULL;
    }
    b->bin = k;
    memmove(ev->bins + i + 1, ev->bins + i, (ev->nb - i) * sizeof *ev->bins);
    ev->bins[i] = b;
    ev->nb++;
    ev->tables_made++;
    for (size_t j = 0; j < ev->nspan; j++) {
        const fs_espan *sp = &ev->spans[j];
        if (sp->k0 <= k && k <= sp->k1) {
            fs_contrib c;
            fs_apportion_share(&sp->r, &ev->cfg.binning, &sp->whole, k, &c);
            add_contrib(ev, b, &sp->r.key, sp->h, &c);
        }
    }
    return b;
}

/* Drops the spans that end below the finalised bins, keeping their order. */
static void spans_prune(fs_eval *ev)
{
    size_t n = 0;
    for (size_t j = 0; j < ev->nspan; j++)
        if (ev->spans[j].k1 >= ev->final_below)
            ev->spans[n++] = ev->spans[j];
    ev->nspan = n;
}

static void contrib_cb(void *vctx, int64_t bin, const fs_contrib *c)
{
    cb_ctx *cx = vctx;
    fs_eval *ev = cx->ev;
    if (bin < ev->final_below) {
        ev->late++;
        return;
    }
    fs_ebin *b = get_bin(ev, bin);
    if (b)
        add_contrib(ev, b, cx->key, cx->h, c);
}

/* A record split over bins k0..k1: the bins with a table take their share
 * now, the others when their table is made (a span). */
static void span_cb(void *vctx, const fs_record *r, int64_t k0, int64_t k1,
                    const fs_contrib *whole)
{
    cb_ctx *cx = vctx;
    fs_eval *ev = cx->ev;
    if (k0 < ev->final_below) {
        int64_t lo = k1 < ev->final_below ? k1 + 1 : ev->final_below;
        ev->late += (uint64_t)(lo - k0);
        if (lo > k1)
            return;
        k0 = lo;
    }
    int64_t tabs = 0;
    for (size_t i = bin_lower(ev, k0); i < ev->nb && ev->bins[i]->bin <= k1; i++) {
        fs_contrib c;
        fs_apportion_share(r, &ev->cfg.binning, whole, ev->bins[i]->bin, &c);
        add_contrib(ev, ev->bins[i], cx->key, cx->h, &c);
        tabs++;
    }
    if (tabs == k1 - k0 + 1)
        return;  /* every bin had a table */
    if (ev->nspan == ev->capspan) {
        size_t nc = ev->capspan ? 2 * ev->capspan : 16;
        fs_espan *ns = realloc(ev->spans, nc * sizeof *ns);
        if (!ns)
            return;
        ev->spans = ns;
        ev->capspan = nc;
    }
    fs_espan *sp = &ev->spans[ev->nspan++];
    memset(&sp->r, 0, sizeof sp->r);
    sp->r.key = *cx->key;
    sp->r.first = r->first;
    sp->r.last = r->last;
    sp->h = cx->h;
    sp->k0 = k0;
    sp->k1 = k1;
    sp->whole = *whole;
}

void fs_eval_record(fs_eval *ev, const fs_algo *algo, const void *params, const fs_record *r)
{
    cb_ctx cx = {{contrib_cb, span_cb}, ev, &r->key, fs_key_hash(&r->key, ev->seed)};
    algo->estimate(params, r, &ev->cfg.binning, fs_span_contrib, &cx);
}

/* ---- output --------------------------------------------------------------------- */
/* Whole numbers below 2^53 are printed in full (counts of bytes of a large
 * trace must not lose digits); others with 12 significant digits. The last
 * column is the estimand (empty for truths, diagnostics and counters). */
static void row(fs_eval *ev, const char *bin, const char *agg, const char *key,
                const char *metric, double v, const char *est)
{
    if (isnan(v))
        fprintf(ev->out, "%s,%s,%s,%s,%s,nan,%s\n", ev->prefix, bin, agg, key, metric, est);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(ev->out, "%s,%s,%s,%s,%s,%.0f,%s\n", ev->prefix, bin, agg, key, metric, v, est);
    else
        fprintf(ev->out, "%s,%s,%s,%s,%s,%.12g,%s\n", ev->prefix, bin, agg, key, metric, v,
                est);
}

void fs_eval_row(fs_eval *ev, const char *bin, const char *agg, const char *key,
                 const char *metric, double v)
{
    row(ev, bin, agg, key, metric, v, "");
}

void fs_eval_set_estimands(fs_eval *ev, const fs_estimand est[FS_Q__COUNT])
{
    for (int q = 0; q < FS_Q__COUNT; q++) {
        fs_estimand w = fs_estimand_whole(&est[q]);
        fs_estimand_text(&est[q], ev->estimand[q], sizeof ev->estimand[q]);
        fs_estimand_text(&w, ev->estimand_all[q], sizeof ev->estimand_all[q]);
    }
}

/* Whether metric m of bin all (aggregate agg) is made from sums over bins of
 * the estimates, and so carries the declaration of sums (estimand_all):
 * the estimates, their errors and standard errors, and with key_totals trace
 * the errors of the dport and prefix aggregates' whole-trace sums. Means of
 * per-bin comparisons (are_*, the flow aggregate's top k, key_totals bins)
 * keep the per-bin declaration. */
static int of_whole_sums(const fs_eval *ev, const char *agg, int m)
{
    switch (m) {
    case FS_M_EST_BYTES: case FS_M_REL_ERR_BYTES: case FS_M_EST_BYTES_SE:
    case FS_M_EST_PACKETS: case FS_M_REL_ERR_PACKETS: case FS_M_EST_PACKETS_SE:
        return 1;
    case FS_M_WMRE_BYTES: case FS_M_WMRE_PACKETS: case FS_M_TOPK_RECALL:
    case FS_M_TOPK_PRECISION:
        return ev->cfg.key_totals == FS_KEYTOT_TRACE && strcmp(agg, "flow");
    default:
        return 0;
    }
}

static void mrow(fs_eval *ev, const char *bin, const char *agg, const char *key, int m, double v)
{
    int q = fs_metric_quantity[m];
    int whole = !strcmp(bin, "all") && of_whole_sums(ev, agg, m);
    row(ev, bin, agg, key, fs_metric_name[m], v,
        q == FS_Q_NONE ? "" : whole ? ev->estimand_all[q] : ev->estimand[q]);
}

double fs_rel_err(double e, double t)
{
    return t != 0 ? (e - t) / t : (e == 0 ? 0.0 : NAN);
}
#define rel fs_rel_err

/* Rows of one aggregate's sums; `whole`: a sum over bins (bin all), whose
 * standard errors come from the covariance shares (fs_acc). */
static void write_acc(fs_eval *ev, const char *bin, const char *agg, const char *key,
                      const fs_acc *a, int full, int whole)
{
    double v_by = whole ? a->c_by : a->v_by, v_pk = whole ? a->c_pk : a->v_pk;
    int nan = a->v_nan || ev->cfg.no_var;
    mrow(ev, bin, agg, key, FS_M_TRUE_BYTES, a->t_by);
    mrow(ev, bin, agg, key, FS_M_EST_BYTES, a->e_by);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_BYTES, rel(a->e_by, a->t_by));
    mrow(ev, bin, agg, key, FS_M_EST_BYTES_SE, nan ? NAN : sqrt(v_by > 0 ? v_by : 0));
    mrow(ev, bin, agg, key, FS_M_TRUE_PACKETS, a->t_pk);
    mrow(ev, bin, agg, key, FS_M_EST_PACKETS, a->e_pk);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_PACKETS, rel(a->e_pk, a->t_pk));
    mrow(ev, bin, agg, key, FS_M_EST_PACKETS_SE, nan ? NAN : sqrt(v_pk > 0 ? v_pk : 0));
    mrow(ev, bin, agg, key, FS_M_TRUE_FLOWS, a->t_fl);
    mrow(ev, bin, agg, key, FS_M_EST_FLOWS, a->e_fl);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_FLOWS, rel(a->e_fl, a->t_fl));
    if (!full)
        return;
    mrow(ev, bin, agg, key, FS_M_TRUE_TCP_ARRIVALS, a->t_arr);
    mrow(ev, bin, agg, key, FS_M_EST_TCP_ARRIVALS, a->e_arr);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_TCP_ARRIVALS, rel(a->e_arr, a->t_arr));
    mrow(ev, bin, agg, key, FS_M_TRUE_TCP_FLOWS, a->t_tcpfl);
    mrow(ev, bin, agg, key, FS_M_EST_TCP_ARRIVALS_M2, a->arr2_nan ? NAN : a->e_arr2);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_TCP_ARRIVALS_M2,
         a->arr2_nan ? NAN : rel(a->e_arr2, a->t_tcpfl));
    mrow(ev, bin, agg, key, FS_M_TRUE_MULTI_SYN_FLOWS, a->t_msyn);
    mrow(ev, bin, agg, key, FS_M_EST_SPURIOUS_FLOWS, a->spurious);
}

static void acc_add(fs_acc *d, const fs_acc *s)
{
    d->t_pk += s->t_pk; d->t_by += s->t_by; d->e_pk += s->e_pk; d->e_by += s->e_by;
    d->v_pk += s->v_pk; d->v_by += s->v_by; d->c_pk += s->c_pk; d->c_by += s->c_by;
    d->t_fl += s->t_fl; d->e_fl += s->e_fl;
    d->t_arr += s->t_arr; d->e_arr += s->e_arr; d->e_arr2 += s->e_arr2;
    d->t_msyn += s->t_msyn; d->spurious += s->spurious; d->t_tcpfl += s->t_tcpfl;
    d->v_nan |= s->v_nan; d->arr2_nan |= s->arr2_nan;
}

static const char *proto_name(int p, char *buf, size_t n)
{
    switch (p) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmpv6";
    case 132: return "sctp";
    default: snprintf(buf, n, "%d", p); return buf;
    }
}

static const char *const decade_names[FS_NDEC] = {
    "1-9", "10-99", "100-999", "1000-9999", "10000-99999", "100000+",
};

static int decade_of(double pkts)
{
    int d = 0;
    for (double x = 10; pkts >= x && d < FS_NDEC - 1; x *= 10)
        d++;
    return d;
}

/* ---- aggregates ------------------------------------------------------------------ */
static int agg_key(int a, const fs_key *k, const fs_eval_cfg *cfg, fs_key *out)
{
    memset(out, 0, sizeof *out);
    if (a == AGG_DPORT) {
        if (k->proto != 6 && k->proto != 17 && k->proto != 132 && k->proto != 136)
            return 0;
        out->proto = k->proto;
        out->dport = k->dport;
        return 1;
    }
    const uint8_t *addr = a == AGG_SRC ? k->src : k->dst;
    int v6 = (k->flags & FS_KEY_V6) != 0;
    uint64_t bits = v6 ? cfg->prefix6 : 96 + cfg->prefix4;
    out->flags = k->flags & FS_KEY_V6;
    for (int i = 0; i < 16; i++) {
        uint64_t lo = (uint64_t)i * 8;
        if (bits >= lo + 8)
            out->src[i] = addr[i];
        else if (bits > lo)
            out->src[i] = (uint8_t)(addr[i] & (0xFF << (8 - (bits - lo))));
    }
    return 1;
}

static void agg_label(int a, const fs_key *k, const fs_eval_cfg *cfg, char *buf, size_t n)
{
    char pb[16];
    if (a == AGG_DPORT) {
        snprintf(buf, n, "%s/%u", proto_name(k->proto, pb, sizeof pb), k->dport);
        return;
    }
    char ab[INET6_ADDRSTRLEN];
    if (k->flags & FS_KEY_V6) {
        inet_ntop(AF_INET6, k->src, ab, sizeof ab);
        snprintf(buf, n, "%s/%llu", ab, (unsigned long long)cfg->prefix6);
    } else {
        inet_ntop(AF_INET, k->src + 12, ab, sizeof ab);
        snprintf(buf, n, "%s/%llu", ab, (unsigned long long)cfg->prefix4);
    }
}

static void agg_add(fs_ftab *t, const fs_key *ak, double by, double pk)
{
    int created;
    uint32_t i = fs_ftab_upsert(t, ak, fs_key_hash(ak, t->seed), &created);
    if (i == FS_NONE)
        return;
    aent *e = fs_ftab_ent(t, i);
    e->by += by;
    e->pk += pk;
}

/* Adds the sums s to key ak of an estimated aggregate table (eaent). */
static void agg_add_est(fs_ftab *t, const fs_key *ak, const eaent *s)
{
    int created;
    uint32_t i = fs_ftab_upsert(t, ak, fs_key_hash(ak, t->seed), &created);
    if (i == FS_NONE)
        return;
    eaent *e = fs_ftab_ent(t, i);
    e->by += s->by;
    e->pk += s->pk;
    e->c_by += s->c_by;
    e->c_pk += s->c_pk;
    e->v_nan |= s->v_nan;
}

/* Batched lookups of keys k[0..n) (n <= FS_FTAB_BATCH) in table t (NULL:
 * none, every index FS_NONE). */
static void find_batch(const fs_ftab *t, uint64_t seed, const fs_key *const *k, uint32_t *out,
                       unsigned n)
{
    if (!t) {
        for (unsigned x = 0; x < n; x++)
            out[x] = FS_NONE;
        return;
    }
    uint64_t h[FS_FTAB_BATCH];
    for (unsigned x = 0; x < n; x++)
        h[x] = fs_key_hash(k[x], seed);
    fs_ftab_find_batch(t, k, h, out, n);
}

static const aent *agg_find(const fs_ftab *t, const fs_key *ak)
{
    if (!t)
        return NULL;
    uint32_t i = fs_ftab_find(t, ak, fs_key_hash(ak, t->seed));
    return i == FS_NONE ? NULL : fs_ftab_ent(t, i);
}

/* Ranking: value descending, ties by lower index first. */
typedef struct rank { double v; uint32_t i; } rank;
static int rank_before(const rank *x, const rank *y)
{
    return x->v != y->v ? x->v > y->v : x->i < y->i;
}
static int cmp_rank(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    return rank_before(x, y) ? -1 : rank_before(y, x);
}

/* The k best items of v[0..n) with v > 0, best first, into out (room for k);
 * returns how many. A bounded min-heap: O(n log k) instead of sorting all n
 * items, which matters because every bin ranks every flow. */
static uint32_t top_k_ix(const double *v, const uint32_t *ix, uint32_t n, uint32_t k, rank *out)
{
    uint32_t h = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(v[i] > 0))
            continue;
        rank r = {v[i], ix ? ix[i] : i};
        if (h < k) {
            /* sift up: the worst item sits at the root */
            uint32_t j = h++;
            while (j && rank_before(&out[(j - 1) / 2], &r)) {
                out[j] = out[(j - 1) / 2];
                j = (j - 1) / 2;
            }
            out[j] = r;
        } else if (k && rank_before(&r, &out[0])) {
            uint32_t j = 0;
            for (;;) {
                uint32_t c = 2 * j + 1;
                if (c >= h)
                    break;
                if (c + 1 < h && rank_before(&out[c], &out[c + 1]))
                    c++;
                if (!rank_before(&r, &out[c]))
                    break;
                out[j] = out[c];
                j = c;
            }
            out[j] = r;
        }
    }
    qsort(out, h, sizeof *out, cmp_rank);
    return h;
}

static uint32_t top_k(const double *v, uint32_t n, uint32_t k, rank *out)
{
    return top_k_ix(v, NULL, n, k, out);
}

/* The truth's side of one aggregate table: sums, keys with packets, and the
 * true top-k by bytes (indices into the table: aggregate tables never
 * delete, so an entry's index is its position in the table's order). */
typedef struct aggtruth {
    int      done;
    double   t_by, t_pk, keys;
    rank    *top;
    uint32_t ntop;
} aggtruth;

static int aggtruth_make(aggtruth *at, const fs_ftab *T, uint64_t k64)
{
    memset(at, 0, sizeof *at);
    uint32_t n = T ? T->hwm : 0;
    uint32_t k = k64 > n ? n : (uint32_t)k64;
    double *vt = malloc((n ? n : 1) * sizeof *vt);
    at->top = malloc((k ? k : 1) * sizeof *at->top);
    if (!vt || !at->top) {
        free(vt);
        free(at->top);
        at->top = NULL;
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const aent *t = fs_ftab_ent(T, i);
        at->t_by += t->by;
        at->t_pk += t->pk;
        at->keys += t->pk > 0;
        vt[i] = t->by;
    }
    at->ntop = top_k(vt, n, k, at->top);
    free(vt);
    at->done = 1;
    return 0;
}

/* One aggregate key's share of the error sums, which start at the true sums
 * (every true key counted as missed): its estimate against its truth, or,
 * without one (has_t 0), a key only the estimates have. */
static void agg_err(double *err_by, double *err_pk, double e_by, double e_pk, int has_t,
                    double t_by, double t_pk)
{
    if (has_t) {
        *err_by += fabs(e_by - t_by) - t_by;
        *err_pk += fabs(e_pk - t_pk) - t_pk;
    } else {
        *err_by += fabs(e_by);
        *err_pk += fabs(e_pk);
    }
}

/* The end of one aggregate's comparison: the error sums, the estimates' top
 * k (re, ke) against the truth's (at->top), and the per-key rows of the true
 * top k (tkey, t_by and e_by: their keys, true and estimated bytes). The
 * rows are written when `write`; the sums are added to *acc when acc is not
 * NULL (key_totals bins). */
static void agg_result(fs_eval *ev, const char *bin, int a, const aggtruth *at, double err_by,
                       double err_pk, const rank *re, uint32_t ke, const fs_key *tkey,
                       const double *t_by, const double *e_by, int write, fs_aggsum *acc)
{
    err_by = err_by > 0 ? err_by : 0;  /* rounding of non-integer estimates */
    err_pk = err_pk > 0 ? err_pk : 0;
    uint32_t kt = at->ntop, hit = 0;
    for (uint32_t x = 0; x < ke; x++)
        for (uint32_t y = 0; y < kt; y++)
            if (re[x].i == at->top[y].i) {
                hit++;
                break;
            }
    double rc = kt ? (double)hit / kt : NAN, pr = ke ? (double)hit / ke : NAN;
    if (acc) {
        acc->keys += at->keys;
        acc->t_by += at->t_by;
        acc->t_pk += at->t_pk;
        acc->err_by += err_by;
        acc->err_pk += err_pk;
        if (!isnan(rc)) {
            acc->recall += rc;
            acc->n_recall++;
        }
        if (!isnan(pr)) {
            acc->precision += pr;
            acc->n_precision++;
        }
    }
    if (!write)
        return;
    const char *an = agg_names[a];
    mrow(ev, bin, an, "all", FS_M_KEYS, at->keys);
    mrow(ev, bin, an, "all", FS_M_WMRE_BYTES, at->t_by > 0 ? err_by / at->t_by : NAN);
    mrow(ev, bin, an, "all", FS_M_WMRE_PACKETS, at->t_pk > 0 ? err_pk / at->t_pk : NAN);
    mrow(ev, bin, an, "all", FS_M_TOPK_RECALL, rc);
    mrow(ev, bin, an, "all", FS_M_TOPK_PRECISION, pr);
    for (uint32_t y = 0; y < kt; y++) {
        char label[80];
        agg_label(a, &tkey[y], &ev->cfg, label, sizeof label);
        mrow(ev, bin, an, label, FS_M_TRUE_BYTES, t_by[y]);
        mrow(ev, bin, an, label, FS_M_EST_BYTES, e_by[y]);
        mrow(ev, bin, an, label, FS_M_REL_ERR_BYTES, rel(e_by[y], t_by[y]));
    }
}

/* The per-key rows of the true top k: keys and true bytes from T, estimated
 * bytes from E (0 if E lacks the key). Arrays of at->ntop, or -1. */
static int agg_toprows(const aggtruth *at, const fs_ftab *T, const fs_ftab *E, fs_key **tkey,
                       double **t_by, double **e_by)
{
    uint32_t kt = at->ntop;
    *tkey = malloc((kt ? kt : 1) * sizeof **tkey);
    *t_by = malloc((kt ? kt : 1) * sizeof **t_by);
    *e_by = malloc((kt ? kt : 1) * sizeof **e_by);
    if (!*tkey || !*t_by || !*e_by)
        return -1;
    for (uint32_t y = 0; y < kt; y++) {
        const aent *t = fs_ftab_ent(T, at->top[y].i), *e = agg_find(E, &t->key);
        (*tkey)[y] = t->key;
        (*t_by)[y] = t->by;
        (*e_by)[y] = e ? e->by : 0;
    }
    return 0;
}

/* Metrics of one aggregate: the true table T (NULL: none) against the
 * estimated table E. Keys are ranked over their union, true keys first in
 * T's order, then keys only E has. Only E is walked: every true key starts
 * as missed (error = its true value, the truth-side sums in *at, made once
 * per table and shared by every evaluation) and each estimate corrects its
 * key's share, so a pipeline's cost follows the keys it reported. at may be
 * NULL (made here, for one use). */
static void write_agg(fs_eval *ev, const char *bin, int a, const fs_ftab *T, const fs_ftab *E,
                      int write, fs_aggsum *acc, aggtruth *at)
{
    aggtruth local;
    if (!at || !at->done) {
        at = at ? at : &local;
        if (aggtruth_make(at, T, ev->cfg.topk))
            return;
    }
    uint32_t ne = E->hwm, nt = T ? T->hwm : 0, eonly = 0, m = 0;
    uint32_t k = ev->cfg.topk > ne ? ne : (uint32_t)ev->cfg.topk;
    double *ve = malloc((ne ? ne : 1) * sizeof *ve);
    uint32_t *ix = malloc((ne ? ne : 1) * sizeof *ix);
    rank *re = malloc((k ? k : 1) * sizeof *re);
    fs_key *tkey = NULL;
    double *t_by = NULL, *e_by = NULL;
    if (!ve || !ix || !re || agg_toprows(at, T, E, &tkey, &t_by, &e_by))
        goto out;
    double err_by = at->t_by, err_pk = at->t_pk;
    for (uint32_t j0 = 0; j0 < ne; j0 += FS_FTAB_BATCH) {
        unsigned n = ne - j0 < FS_FTAB_BATCH ? ne - j0 : FS_FTAB_BATCH;
        const fs_key *bk[FS_FTAB_BATCH];
        uint32_t bi[FS_FTAB_BATCH];
        for (unsigned x = 0; x < n; x++)
            bk[x] = &((const aent *)fs_ftab_ent(E, j0 + x))->key;
        find_batch(T, T ? T->seed : 0, bk, bi, n);
        for (unsigned x = 0; x < n; x++) {
            const aent *e = fs_ftab_ent(E, j0 + x);
            uint32_t i = bi[x];
            const aent *t = i != FS_NONE ? fs_ftab_ent(T, i) : NULL;
            agg_err(&err_by, &err_pk, e->by, e->pk, t != NULL, t ? t->by : 0, t ? t->pk : 0);
            ix[m] = t ? i : nt + eonly++;
            ve[m++] = e->by;
        }
    }
    uint32_t ke = top_k_ix(ve, ix, m, k, re);
    agg_result(ev, bin, a, at, err_by, err_pk, re, ke, tkey, t_by, e_by, write, acc);
out:
    free(ve);
    free(ix);
    free(re);
    free(tkey);
    free(t_by);
    free(e_by);
    if (at == &local)
        free(local.top);
}

/* ---- the truth's side of a bin, made once and shared ------------------------------- *
 * Everything that depends only on the truth: totals, per protocol, true flows
 * per size decade, the true aggregates and the true top-k flows. Each
 * evaluation then walks only its own estimates, so the cost of a pipeline
 * follows the flows it reported, not all the flows of the bin. */
typedef struct tsum {
    fs_acc   total, proto[256];
    uint8_t  proto_seen[256];
    double   dec_n[FS_NDEC];
    fs_ftab  agg[AGG__COUNT];  /* true aggregates of the bin, when has_agg */
    aggtruth aggt[AGG__COUNT]; /* their sums and top-k, made on first use  */
    int      has_agg;
    int      in_shared;        /* added to the whole-trace aggregates     */
    tshared *sh;               /* whose pool takes agg back               */
    rank    *top;
    uint32_t ntop;
} tsum;


static void tsum_free(void *p)
{
    tsum *s = p;
    for (int g = 0; s->has_agg && g < AGG__COUNT; g++)
        fs_ftab_pool_put(&s->sh->pool, &s->agg[g]);
    for (int g = 0; g < AGG__COUNT; g++)
        free(s->aggt[g].top);
    free(s->top);
    free(s);
}

static void tshared_free(void *p)
{
    tshared *s = p;
    for (int g = 0; g < AGG__COUNT; g++) {
        if (s->has_agg)
            fs_ftab_free(&s->agg[g]);
        fs_ftab_free(&s->bin_agg[g]);
    }
    fs_ftab_free(&s->pend);
    fs_ftab_pool_free(&s->pool);
    free(s);
}

static tshared *get_shared(fs_eval *ev)
{
    fs_truth *tr = ev->truth;
    if (!tr->shared) {
        tshared *s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        int bad = fs_ftab_init(&s->pend, sizeof(pkent), 64, 0, ev->seed);
        for (int g = 0; g < AGG__COUNT; g++)
            bad |= fs_ftab_init(&s->bin_agg[g], sizeof(eaent), 64, 0, ev->seed);
        if (bad) {
            tshared_free(s);
            return NULL;
        }
        fs_ftab_pool_init(&s->pool, sizeof(aent));
        tr->shared = s;
        tr->shared_free = tshared_free;
    }
    tshared *s = tr->shared;
    if (ev->cfg.key_totals == FS_KEYTOT_TRACE && !s->has_agg) {
        for (int g = 0; g < AGG__COUNT; g++)
            if (fs_ftab_init(&s->agg[g], sizeof(aent), 64, 0, 0)) {
                while (g-- > 0)
                    fs_ftab_free(&s->agg[g]);
                return NULL;
            }
        s->has_agg = 1;
    }
    return s;
}

/* Adds a true flow to the bin's aggregates (per_bin) and to the whole-trace
 * ones (whole). */
static void tsum_add_aggs(const fs_eval *ev, tsum *s, const fs_truth_ent *t, int per_bin,
                          int whole)
{
    for (int g = 0; g < AGG__COUNT; g++) {
        fs_key ak;
        if (!agg_key(g, &t->key, &ev->cfg, &ak))
            continue;
        if (per_bin)
            agg_add(&s->agg[g], &ak, (double)t->bytes, (double)t->pkts);
        if (whole)
            agg_add(&s->sh->agg[g], &ak, (double)t->bytes, (double)t->pkts);
    }
}

/* The bin's true aggregates are needed for per-bin aggregate rows and for
 * key_totals bins; the whole-trace ones only for key_totals trace. */
static int need_bin_aggs(const fs_eval *ev)
{
    return ev->cfg.bin_rows == FS_BINROWS_ALL || ev->cfg.key_totals == FS_KEYTOT_BINS;
}

static int tsum_get_aggs(tsum *s)
{
    for (int g = 0; g < AGG__COUNT; g++)
        if (fs_ftab_pool_get(&s->sh->pool, &s->agg[g], 64, 0)) {
            while (g-- > 0)
                fs_ftab_pool_put(&s->sh->pool, &s->agg[g]);
            return -1;
        }
    s->has_agg = 1;
    return 0;
}

/* Makes what this evaluation needs and the summary lacks. The summary is
 * made by the first evaluation of the bin; evaluations sharing a truth use
 * one configuration (eval.h), so this finds nothing to do unless they do
 * not, and then it at least keeps the bin's aggregates from being read
 * before they exist. */
static int tsum_complete(fs_eval *ev, fs_tbin *T, tsum *s)
{
    int per_bin = need_bin_aggs(ev) && !s->has_agg;
    int whole = ev->cfg.key_totals == FS_KEYTOT_TRACE && !s->in_shared;
    if (!per_bin && !whole)
        return 0;
    if ((whole && !get_shared(ev)) || (per_bin && tsum_get_aggs(s)))
        return -1;
    for (uint32_t i = 0; i < T->tab.hwm; i++)
        if (fs_ftab_live(&T->tab, i))
            tsum_add_aggs(ev, s, fs_ftab_ent(&T->tab, i), per_bin, whole);
    s->in_shared |= whole;
    return 0;
}

static tsum *get_tsum(fs_eval *ev, fs_tbin *T)
{
    if (T->sum)
        return tsum_complete(ev, T, T->sum) ? NULL : T->sum;
    tsum *s = calloc(1, sizeof *s);
    tshared *sh = get_shared(ev);
    uint32_t n = T->tab.hwm;
    double *vt = malloc((n ? n : 1) * sizeof *vt);
    uint32_t k = ev->cfg.topk > n ? n : (uint32_t)ev->cfg.topk;
    if (s) {
        s->sh = sh;
        s->top = malloc((k ? k : 1) * sizeof *s->top);
    }
    int per_bin = need_bin_aggs(ev);
    int whole = ev->cfg.key_totals == FS_KEYTOT_TRACE;
    if (!s || !sh || !vt || !s->top || (per_bin && tsum_get_aggs(s))) {
        free(vt);
        if (s)
            free(s->top);
        free(s);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        vt[i] = 0;
        if (!fs_ftab_live(&T->tab, i))
            continue;
        const fs_truth_ent *t = fs_ftab_ent(&T->tab, i);
        fs_acc a;
        memset(&a, 0, sizeof a);
        a.t_pk = (double)t->pkts;
        a.t_by = (double)t->bytes;
        a.t_fl = 1;
        a.t_arr = t->key.proto == 6 && t->syn > 0;
        a.t_msyn = t->key.proto == 6 && t->syn > 1;
        a.t_tcpfl = t->tcp_new != 0;
        acc_add(&s->total, &a);
        acc_add(&s->proto[t->key.proto], &a);
        s->proto_seen[t->key.proto] = 1;
        s->dec_n[decade_of(a.t_pk)]++;
        vt[i] = a.t_by;
        if (per_bin || whole)
            tsum_add_aggs(ev, s, t, per_bin, whole);
    }
    s->in_shared = whole;
    s->ntop = top_k(vt, n, k, s->top);
    free(vt);
    T->sum = s;
    T->sum_free = tsum_free;
    return s;
}

/* ---- finalising a bin -------------------------------------------------------------- */
typedef struct binwork {
    fs_acc total, proto[256];       /* estimate parts only */
    uint8_t proto_seen[256];
    fs_flowacc flow[FS_NDEC];
} binwork;

/* Every true flow starts as missed (relative error 1); each estimate found
 * corrects its flow's share. */
static void work_init(binwork *w, const tsum *ts)
{
    for (int d = 0; ts && d < FS_NDEC; d++) {
        w->flow[d].n = ts->dec_n[d];
        w->flow[d].are_pk = ts->dec_n[d];
        w->flow[d].are_by = ts->dec_n[d];
        w->flow[d].missed = ts->dec_n[d];
    }
}

/* Adds the estimate parts of e (and the spurious count when the truth has
 * no such key) to a. */
static void add_est(fs_acc *a, const eent *e, int spurious)
{
    a->e_pk += e->pkts;
    a->e_by += e->bytes;
    a->v_pk += e->v_pk;
    a->v_by += e->v_by;
    a->c_pk += e->c_pk;
    a->c_by += e->c_by;
    a->v_nan |= e->v_nan;
    a->e_fl += e->has_flow ? e->flows : 0;
    a->e_arr += e->arr;
    a->e_arr2 += e->arr2;
    a->arr2_nan |= e->arr2_nan;
    a->spurious += spurious;
}

/* A key's truth in the bin, as the comparison needs it. */
typedef struct tval {
    double   pk, by;
    uint32_t ix;    /* index in the bin's truth table */
} tval;

/* The final estimate e of one key against its truth t (NULL: none):
 * totals, protocol, size decade. */
static void fold_flow(binwork *w, const eent *e, const tval *t)
{
    add_est(&w->total, e, !t);
    add_est(&w->proto[e->key.proto], e, !t);
    w->proto_seen[e->key.proto] = 1;
    if (t) {
        fs_flowacc *f = &w->flow[decade_of(t->pk)];
        f->are_pk += fabs(e->pkts - t->pk) / t->pk - 1;
        f->are_by += t->by > 0 ? fabs(e->bytes - t->by) / t->by - 1 : 0;
        if (e->pkts != 0 || e->bytes != 0)
            f->missed--;
    }
}

/* Adds e to the bin's estimated aggregates (agg, NULL: none) and, when
 * whole, to the whole-trace ones (key_totals trace). */
static void fold_aggs(fs_eval *ev, const eent *e, fs_ftab *agg, int whole)
{
    int keytot_trace = whole && ev->cfg.key_totals == FS_KEYTOT_TRACE;
    for (int g = 0; g < AGG__COUNT; g++) {
        fs_key ak;
        if (!agg_key(g, &e->key, &ev->cfg, &ak))
            continue;
        eaent s;
        s.by = e->bytes;
        s.pk = e->pkts;
        s.c_by = e->c_by;
        s.c_pk = e->c_pk;
        s.v_nan = e->v_nan;
        if (agg)
            agg_add_est(&agg[g], &ak, &s);
        if (keytot_trace)
            agg_add_est(&ev->all_agg[g], &ak, &s);
    }
}

/* Insertion of r into the k best (re, *n, sorted best first; k is small). */
static void rank_insert(rank *re, uint32_t *n, uint32_t k, rank r)
{
    if (!(r.v > 0) || !(*n < k || (k && rank_before(&r, &re[*n - 1]))))
        return;
    uint32_t p = *n < k ? (*n)++ : *n - 1;
    while (p > 0 && rank_before(&r, &re[p - 1])) {
        re[p] = re[p - 1];
        p--;
    }
    re[p] = r;
}

static int cmp_aggs(const fs_eval *ev)
{
    return ev->cfg.bin_rows == FS_BINROWS_ALL || ev->cfg.key_totals == FS_KEYTOT_BINS;
}

/* ---- bins closed in part (eval.h, fs_eval_close_part) ----------------------------- */
/* An aggregate key a pending flow key belongs to: estimate so far, truth. */
typedef struct aopen {
    FS_FTAB_ENTRY_HEAD;
    double   e_by, e_pk, t_by, t_pk;
    uint32_t ix;          /* index in the true aggregate table */
    uint8_t  has_t;
} aopen;

typedef struct aggpart {
    aggtruth at;          /* the truth's sums and top k (own copy)       */
    double   err_by, err_pk; /* as in write_agg, over the closed keys    */
    rank    *cand;        /* the k best closed keys                      */
    uint32_t ncand;
    uint32_t nt, eonly;   /* rank indices of keys only the estimates have */
    fs_ftab  open;        /* aopen                                        */
    fs_key  *tkey;        /* rows of the true top k (agg_result)         */
    double  *t_by, *e_by; /* e_by: final for closed keys, else from open */
} aggpart;

/* One protocol's sums in a bin closed in part: the truth's and the closed
 * keys' estimates (only protocols seen are kept: a bin closed in part must
 * cost little when a long flow keeps thousands of bins open). */
typedef struct pacc {
    fs_acc  t, e;
    uint8_t proto, t_seen, e_seen;
} pacc;

struct binpart {
    fs_acc   e_total;     /* estimate parts of the closed keys            */
    fs_flowacc flow[FS_NDEC];
    fs_acc   t_total;     /* the truth's (when has_ts)                    */
    pacc    *protos;
    uint32_t nprotos;
    rank    *t_top;       /* the truth's top k flows                      */
    uint32_t t_ntop;
    int      has_ts;
    rank    *cand;        /* the k best closed flows                      */
    uint32_t ncand;
    uint32_t rank_base;   /* rank index of keys the truth lacks: above every
                             index the closed ones used                  */
    fs_ftab  keys;        /* pkent: the keys still open, with their truth */
    aggpart  agg[AGG__COUNT];
    int      has_agg;
};

static void binpart_free(binpart *P)
{
    if (!P)
        return;
    free(P->protos);
    free(P->t_top);
    free(P->cand);
    fs_ftab_free(&P->keys);
    for (int g = 0; P->has_agg && g < AGG__COUNT; g++) {
        aggpart *ap = &P->agg[g];
        free(ap->at.top);
        free(ap->cand);
        fs_ftab_free(&ap->open);
        free(ap->tkey);
        free(ap->t_by);
        free(ap->e_by);
    }
    free(P);
}

/* Keeps the bin's sums (w: the closed keys' estimates; ts: the truth, NULL
 * if none) in P, protocols sparse. */
static int binpart_keep_sums(binpart *P, const binwork *w, const tsum *ts)
{
    uint32_t n = 0;
    for (int p = 0; p < 256; p++)
        n += w->proto_seen[p] || (ts && ts->proto_seen[p]);
    P->protos = calloc(n ? n : 1, sizeof *P->protos);
    if (!P->protos)
        return -1;
    for (int p = 0; p < 256; p++) {
        if (!w->proto_seen[p] && !(ts && ts->proto_seen[p]))
            continue;
        pacc *a = &P->protos[P->nprotos++];
        a->proto = (uint8_t)p;
        a->e = w->proto[p];
        a->e_seen = w->proto_seen[p];
        if (ts) {
            a->t = ts->proto[p];
            a->t_seen = ts->proto_seen[p];
        }
    }
    P->e_total = w->total;
    memcpy(P->flow, w->flow, sizeof P->flow);
    if (ts) {
        P->has_ts = 1;
        P->t_total = ts->total;
        P->t_ntop = ts->ntop;
        P->t_top = malloc((ts->ntop ? ts->ntop : 1) * sizeof *P->t_top);
        if (!P->t_top)
            return -1;
        memcpy(P->t_top, ts->top, ts->ntop * sizeof *ts->top);
    }
    return 0;
}

/* The other way: w and ts (both zeroed) from what P kept. */
static void binpart_sums(const binpart *P, binwork *w, tsum *ts)
{
    w->total = P->e_total;
    memcpy(w->flow, P->flow, sizeof w->flow);
    ts->total = P->t_total;
    ts->top = P->t_top;
    ts->ntop = P->t_ntop;
    for (uint32_t i = 0; i < P->nprotos; i++) {
        const pacc *a = &P->protos[i];
        w->proto[a->proto] = a->e;
        w->proto_seen[a->proto] = a->e_seen;
        ts->proto[a->proto] = a->t;
        ts->proto_seen[a->proto] = a->t_seen;
    }
}

static int binpart_has_key(const binpart *P, const fs_key *k, uint64_t h)
{
    return fs_ftab_find(&P->keys, k, h) != FS_NONE;
}

/* Where the truth of an estimated key is looked up: the whole truth table T
 * (NULL: none), or, in a bin closed in part, what the bin kept. Gives the
 * table (NULL: no truth) and its hash seed. */
static const fs_ftab *truth_tab(const fs_tbin *T, const binpart *P, uint64_t seed,
                                uint64_t *tseed)
{
    if (P) {
        *tseed = seed;
        return &P->keys;
    }
    *tseed = T ? T->tab.seed : 0;
    return T ? &T->tab : NULL;
}

/* The truth at index i (FS_NONE: none) of truth_tab's table. */
static const tval *truth_at(const fs_tbin *T, const binpart *P, uint32_t i, tval *out)
{
    if (i == FS_NONE)
        return NULL;
    if (P) {
        const pkent *k = fs_ftab_ent(&P->keys, i);
        if (!k->has_t)
            return NULL;
        *out = (tval){k->t_pk, k->t_by, k->ix};
        return out;
    }
    const fs_truth_ent *t = fs_ftab_ent(&T->tab, i);
    *out = (tval){(double)t->pkts, (double)t->bytes, i};
    return out;
}

/* The truth of key k in the whole truth table T (NULL: none). */
static const tval *truth_in(const fs_tbin *T, const fs_key *k, tval *out)
{
    return truth_at(T, NULL, T ? fs_ftab_find(&T->tab, k, fs_key_hash(k, T->tab.seed)) : FS_NONE,
                    out);
}

/* Closes aggregate g of a bin in part: EA holds the estimates of the closed
 * flow keys, TA (NULL: none) the true aggregates, at their sums and top k.
 * Aggregate keys of the open flow keys (P->keys) stay open with their
 * estimate so far; every other aggregate key is final and compared now. */
static int agg_close_part(fs_eval *ev, binpart *P, int g, const fs_ftab *TA, aggtruth *at,
                          const fs_ftab *EA)
{
    aggpart *ap = &P->agg[g];
    aggtruth local;
    if (!at || !at->done) {
        at = at ? at : &local;
        if (aggtruth_make(at, TA, ev->cfg.topk))
            return -1;
    }
    uint32_t kt = at->ntop, ne = EA->hwm, m = 0;
    uint32_t k = ev->cfg.topk > ne ? ne : (uint32_t)ev->cfg.topk;
    ap->at = *at;
    ap->at.top = malloc((kt ? kt : 1) * sizeof *ap->at.top);
    ap->cand = malloc((k ? k : 1) * sizeof *ap->cand);
    double *ve = malloc((ne ? ne : 1) * sizeof *ve);
    uint32_t *ix = malloc((ne ? ne : 1) * sizeof *ix);
    int rc = -1;
    if (!ap->at.top || !ap->cand || !ve || !ix ||
        /* at most one aggregate per open key, often far fewer */
        fs_ftab_init(&ap->open, sizeof(aopen),
                     P->keys.n < FS_FTAB_START ? P->keys.n : FS_FTAB_START, 0, ev->seed) ||
        agg_toprows(at, TA, EA, &ap->tkey, &ap->t_by, &ap->e_by))
        goto out;
    memcpy(ap->at.top, at->top, kt * sizeof *at->top);
    ap->nt = TA ? TA->hwm : 0;
    for (uint32_t i = 0; i < P->keys.hwm; i++) {
        if (!fs_ftab_live(&P->keys, i))
            continue;
        fs_key ak;
        if (!agg_key(g, &((const pkent *)fs_ftab_ent(&P->keys, i))->key, &ev->cfg, &ak))
            continue;
        int created;
        uint32_t j = fs_ftab_upsert(&ap->open, &ak, fs_key_hash(&ak, ev->seed), &created);
        if (j == FS_NONE)
            goto out;
        if (!created)
            continue;
        aopen *o = fs_ftab_ent(&ap->open, j);
        const aent *e = agg_find(EA, &ak);
        uint32_t t = TA ? fs_ftab_find(TA, &ak, fs_key_hash(&ak, TA->seed)) : FS_NONE;
        o->e_by = e ? e->by : 0;
        o->e_pk = e ? e->pk : 0;
        if (t != FS_NONE) {
            const aent *te = fs_ftab_ent(TA, t);
            o->has_t = 1;
            o->t_by = te->by;
            o->t_pk = te->pk;
            o->ix = t;
        }
    }
    ap->err_by = at->t_by;
    ap->err_pk = at->t_pk;
    for (uint32_t j = 0; j < ne; j++) {
        const aent *e = fs_ftab_ent(EA, j);
        uint64_t h = fs_key_hash(&e->key, ev->seed);
        if (fs_ftab_find(&ap->open, &e->key, h) != FS_NONE)
            continue;
        uint32_t i = TA ? fs_ftab_find(TA, &e->key, fs_key_hash(&e->key, TA->seed)) : FS_NONE;
        const aent *t = i != FS_NONE ? fs_ftab_ent(TA, i) : NULL;
        agg_err(&ap->err_by, &ap->err_pk, e->by, e->pk, t != NULL, t ? t->by : 0, t ? t->pk : 0);
        ix[m] = t ? i : ap->nt + ap->eonly++;
        ve[m++] = e->by;
    }
    ap->ncand = top_k_ix(ve, ix, m, k, ap->cand);
    rc = 0;
out:
    free(ve);
    free(ix);
    if (at == &local)
        free(local.top);
    return rc;
}

/* The end of aggregate g of a bin closed in part: EA holds the estimates of
 * the keys that were open. */
static void agg_finish_part(fs_eval *ev, const char *bin, int g, aggpart *ap, const fs_ftab *EA,
                            int write, fs_aggsum *acc)
{
    for (uint32_t j = 0; j < EA->hwm; j++) {
        const aent *e = fs_ftab_ent(EA, j);
        uint32_t i = fs_ftab_find(&ap->open, &e->key, fs_key_hash(&e->key, ev->seed));
        if (i == FS_NONE)
            continue;  /* cannot happen: open holds the aggregates of every open key */
        aopen *o = fs_ftab_ent(&ap->open, i);
        o->e_by += e->by;
        o->e_pk += e->pk;
    }
    uint32_t no = ap->open.hwm, n = ap->ncand + no, m = 0;
    uint32_t k = ev->cfg.topk > n ? n : (uint32_t)ev->cfg.topk;
    double *ve = malloc((n ? n : 1) * sizeof *ve);
    uint32_t *ix = malloc((n ? n : 1) * sizeof *ix);
    rank *re = malloc((k ? k : 1) * sizeof *re);
    if (!ve || !ix || !re)
        goto out;
    for (uint32_t c = 0; c < ap->ncand; c++, m++) {
        ve[m] = ap->cand[c].v;
        ix[m] = ap->cand[c].i;
    }
    double err_by = ap->err_by, err_pk = ap->err_pk;
    for (uint32_t j = 0; j < no; j++, m++) {
        const aopen *o = fs_ftab_ent(&ap->open, j);
        agg_err(&err_by, &err_pk, o->e_by, o->e_pk, o->has_t, o->t_by, o->t_pk);
        ix[m] = o->has_t ? o->ix : ap->nt + ap->eonly++;
        ve[m] = o->e_by;
    }
    for (uint32_t y = 0; y < ap->at.ntop; y++) {
        uint32_t i = fs_ftab_find(&ap->open, &ap->tkey[y], fs_key_hash(&ap->tkey[y], ev->seed));
        if (i != FS_NONE)
            ap->e_by[y] = ((const aopen *)fs_ftab_ent(&ap->open, i))->e_by;
    }
    uint32_t ke = top_k_ix(ve, ix, m, k, re);
    agg_result(ev, bin, g, &ap->at, err_by, err_pk, re, ke, ap->tkey, ap->t_by, ap->e_by, write,
               acc);
out:
    free(ve);
    free(ix);
    free(re);
}

/* Closes bin E in part (T: its complete truth, NULL if it had no packet):
 * the keys of ev->pend pending before `end` stay open, every other key is
 * compared and dropped. All or nothing: -1 (out of memory) leaves E whole. */
static int close_part(fs_eval *ev, fs_ebin *E, fs_tbin *T, fs_ns end, uint32_t nopen)
{
    tsum *ts = T ? get_tsum(ev, T) : NULL;
    binpart *P = calloc(1, sizeof *P);
    binwork *w = calloc(1, sizeof *w);
    fs_ftab ne;
    memset(&ne, 0, sizeof ne);
    if (!P || !w || (T && !ts))
        goto fail;
    uint32_t nE = E->tab.hwm, tn = T ? T->tab.hwm : 0;
    uint32_t k = ev->cfg.topk > nE ? nE : (uint32_t)ev->cfg.topk;
    P->cand = malloc((k ? k : 1) * sizeof *P->cand);
    if (!P->cand || fs_ftab_init(&P->keys, sizeof(pkent), nopen, 0, ev->seed) ||
        fs_ftab_init(&ne, sizeof(eent), nopen < E->tab.n ? nopen : E->tab.n, 0, ev->seed))
        goto fail;
    work_init(w, ts);
    /* the keys the meter can still add to this bin, with their truth */
    for (uint32_t i = 0; i < ev->pend->hwm; i++) {
        if (!fs_ftab_live(ev->pend, i))
            continue;
        const pkent *p = fs_ftab_ent(ev->pend, i);
        if (p->since >= end)
            continue;
        int created;
        uint32_t j = fs_ftab_upsert(&P->keys, &p->key, fs_key_hash(&p->key, ev->seed), &created);
        if (j == FS_NONE)
            goto fail;
        pkent *q = fs_ftab_ent(&P->keys, j);
        tval tv;
        if (truth_in(T, &p->key, &tv)) {
            q->has_t = 1;
            q->t_pk = tv.pk;
            q->t_by = tv.by;
            q->ix = tv.ix;
        }
    }
    /* their estimates so far move to a small table; the rest are final.
     * The closed keys' aggregates are always made here (the whole-trace
     * tables of key_totals trace take them only once the bin is closed). */
    for (int g = 0; g < AGG__COUNT; g++)
        fs_ftab_clear(&ev->bin_agg[g]);
    for (uint32_t j = 0; j < nE; j++) {
        if (!fs_ftab_live(&E->tab, j))
            continue;
        const eent *e = fs_ftab_ent(&E->tab, j);
        uint64_t h = fs_key_hash(&e->key, ev->seed);
        if (fs_ftab_find(&P->keys, &e->key, h) != FS_NONE) {
            uint32_t i = fs_ftab_insert(&ne, &e->key, h);
            if (i == FS_NONE)
                goto fail;
            eent *d = fs_ftab_ent(&ne, i);
            uint32_t link = d->ftab_link;
            *d = *e;
            d->ftab_link = link;
            continue;
        }
        tval tv;
        const tval *t = truth_in(T, &e->key, &tv);
        fold_flow(w, e, t);
        fold_aggs(ev, e, ev->bin_agg, 0);
        rank_insert(P->cand, &P->ncand, k, (rank){e->bytes, t ? t->ix : tn + j});
    }
    P->rank_base = tn + nE;
    if (binpart_keep_sums(P, w, ts))
        goto fail;
    for (int g = 0; cmp_aggs(ev) && g < AGG__COUNT; g++) {
        P->has_agg = 1;
        if (agg_close_part(ev, P, g, ts ? &ts->agg[g] : NULL, ts ? &ts->aggt[g] : NULL,
                           &ev->bin_agg[g]))
            goto fail;
    }
    for (int g = 0; ev->cfg.key_totals == FS_KEYTOT_TRACE && g < AGG__COUNT; g++)
        for (uint32_t j = 0; j < ev->bin_agg[g].hwm; j++) {
            const eaent *a = fs_ftab_ent(&ev->bin_agg[g], j);
            agg_add_est(&ev->all_agg[g], &a->key, a);
        }
    fs_ftab_pool_put(&ev->pool, &E->tab);
    E->tab = ne;
    E->part = P;
    ev->part_closed++;
    free(w);
    return 0;
fail:
    fs_ftab_free(&ne);
    binpart_free(P);
    free(w);
    return -1;
}

/* Merges truth and estimate parts of one accumulator. */
static fs_acc merged(const fs_acc *t, const fs_acc *e)
{
    fs_acc a = *e;
    if (t) {
        a.t_pk = t->t_pk;
        a.t_by = t->t_by;
        a.t_fl = t->t_fl;
        a.t_arr = t->t_arr;
        a.t_msyn = t->t_msyn;
        a.t_tcpfl = t->t_tcpfl;
    }
    return a;
}

static void write_flows(fs_eval *ev, const char *bin, const fs_flowacc *fl)
{
    for (int d = 0; d < FS_NDEC; d++) {
        if (!fl[d].n)
            continue;
        mrow(ev, bin, "flow", decade_names[d], FS_M_FLOWS, fl[d].n);
        mrow(ev, bin, "flow", decade_names[d], FS_M_ARE_PACKETS, fl[d].are_pk / fl[d].n);
        mrow(ev, bin, "flow", decade_names[d], FS_M_ARE_BYTES, fl[d].are_by / fl[d].n);
        mrow(ev, bin, "flow", decade_names[d], FS_M_MISSED_FLOWS, fl[d].missed);
    }
}

static void write_proto(fs_eval *ev, const char *bin, int p, const fs_acc *a, int whole)
{
    char pb[16];
    write_acc(ev, bin, "proto", proto_name(p, pb, sizeof pb), a, 0, whole);
}

static void write_protos(fs_eval *ev, const char *bin, const fs_acc *proto, const uint8_t *seen)
{
    for (int p = 0; p < 256; p++)
        if (seen[p])
            write_proto(ev, bin, p, &proto[p], 0);
}

/* The whole trace's sums of protocol p, made on its first sight (a handful
 * of protocols is seen, so a replicate holds only theirs); NULL if memory
 * is short. */
static fs_acc *all_proto(fs_eval *ev, int p)
{
    if (!ev->proto_ix[p]) {
        fs_acc *a = realloc(ev->all_proto, (ev->nproto + 1u) * sizeof *a);
        if (!a)
            return NULL;
        memset(&a[ev->nproto], 0, sizeof *a);
        ev->all_proto = a;
        ev->proto_ix[p] = ++ev->nproto;
    }
    return &ev->all_proto[ev->proto_ix[p] - 1];
}

/* Compares bin k: its estimates E (NULL: none) against its truth T (NULL:
 * none), or, for a bin closed in part, against what close_part kept. */
static void finalize_bin(fs_eval *ev, int64_t k, fs_tbin *T, fs_ebin *E)
{
    binpart *P = E ? E->part : NULL;
    binwork *w = calloc(1, sizeof *w);
    tsum *pts = P ? calloc(1, sizeof *pts) : NULL;
    tsum *ts = P ? (P->has_ts ? pts : NULL) : T ? get_tsum(ev, T) : NULL;
    if (!w || (P && !pts) || (!P && T && !ts)) {
        free(w);
        free(pts);
        return;
    }
    if (P) {
        T = NULL;
        binpart_sums(P, w, pts);
    } else {
        work_init(w, ts);
    }
    int bin_aggs = ev->cfg.bin_rows == FS_BINROWS_ALL;
    int keytot_bins = ev->cfg.key_totals == FS_KEYTOT_BINS;
    int aggs = cmp_aggs(ev);   /* compare the bin's aggregates */
    for (int g = 0; aggs && g < AGG__COUNT; g++)
        fs_ftab_clear(&ev->bin_agg[g]);
    uint32_t ne = E ? E->tab.hwm : 0, nc = P ? P->ncand : 0;
    uint32_t k_est = ev->cfg.topk > ne + nc ? ne + nc : (uint32_t)ev->cfg.topk;
    uint32_t base = P ? P->rank_base : T ? T->tab.hwm : 0;
    rank *re = malloc((k_est ? k_est : 1) * sizeof *re);
    if (!re)
        goto out;
    /* Top-k flows by bytes: the truth's from its summary; the estimates'
     * ranked with ties broken as if all flows were listed in the truth's
     * order, then the keys only the estimates have. */
    uint32_t ke = 0;
    for (uint32_t c = 0; c < nc; c++)
        rank_insert(re, &ke, k_est, P->cand[c]);
    uint64_t tseed;
    const fs_ftab *tt = truth_tab(T, P, ev->seed, &tseed);
    for (uint32_t j0 = 0; j0 < ne; j0 += FS_FTAB_BATCH) {
        /* the truth of a batch of live estimates, looked up together */
        const fs_key *bk[FS_FTAB_BATCH];
        uint32_t bj[FS_FTAB_BATCH], bi[FS_FTAB_BATCH];
        unsigned n = 0;
        for (uint32_t j = j0; j < ne && j < j0 + FS_FTAB_BATCH; j++)
            if (fs_ftab_live(&E->tab, j)) {
                bj[n] = j;
                bk[n++] = &((const eent *)fs_ftab_ent(&E->tab, j))->key;
            }
        find_batch(tt, tseed, bk, bi, n);
        for (unsigned x = 0; x < n; x++) {
            const eent *e = fs_ftab_ent(&E->tab, bj[x]);
            tval tv;
            const tval *t = truth_at(T, P, bi[x], &tv);
            fold_flow(w, e, t);
            fold_aggs(ev, e, aggs ? ev->bin_agg : NULL, 1);
            rank_insert(re, &ke, k_est, (rank){e->bytes, t ? t->ix : base + bj[x]});
        }
    }
    uint32_t kt = ts ? ts->ntop : 0;
    double rc = NAN, pr = NAN;
    if (kt || ke) {
        uint32_t hit = 0;
        for (uint32_t i = 0; i < ke; i++)
            for (uint32_t j = 0; j < kt; j++)
                if (re[i].i == ts->top[j].i) {
                    hit++;
                    break;
                }
        rc = kt ? (double)hit / kt : NAN;
        pr = ke ? (double)hit / ke : NAN;
    }
    if (!isnan(rc)) {
        ev->flow_topk_recall += rc;
        ev->flow_topk_precision += isnan(pr) ? 0 : pr;
        ev->flow_topk_bins++;
    }
    fs_acc total = merged(ts ? &ts->total : NULL, &w->total);
    uint8_t seen[256];
    fs_acc *proto = w->proto;
    for (int p = 0; p < 256; p++) {
        seen[p] = w->proto_seen[p] || (ts && ts->proto_seen[p]);
        if (seen[p])
            proto[p] = merged(ts && ts->proto_seen[p] ? &ts->proto[p] : NULL, &w->proto[p]);
    }
    char bin[32];
    snprintf(bin, sizeof bin, "%lld", (long long)(k - ev->cfg.bin_origin));
    if (ev->cfg.bin_rows >= FS_BINROWS_TOTAL)
        write_acc(ev, bin, "total", "all", &total, 1, 0);
    if (bin_aggs) {
        write_protos(ev, bin, proto, seen);
        write_flows(ev, bin, w->flow);
        mrow(ev, bin, "flow", "all", FS_M_TOPK_RECALL, rc);
        mrow(ev, bin, "flow", "all", FS_M_TOPK_PRECISION, pr);
    }
    for (int g = 0; aggs && g < AGG__COUNT; g++) {
        fs_aggsum *acc = keytot_bins ? &ev->all_aggsum[g] : NULL;
        if (P)
            agg_finish_part(ev, bin, g, &P->agg[g], &ev->bin_agg[g], bin_aggs, acc);
        else
            write_agg(ev, bin, g, ts ? &ts->agg[g] : NULL, &ev->bin_agg[g], bin_aggs, acc,
                      ts ? &ts->aggt[g] : NULL);
    }
    acc_add(&ev->all_total, &total);
    for (int p = 0; p < 256; p++) {
        fs_acc *a = seen[p] ? all_proto(ev, p) : NULL;
        if (a)
            acc_add(a, &proto[p]);
    }
    for (int d = 0; d < FS_NDEC; d++) {
        ev->all_flow[d].n += w->flow[d].n;
        ev->all_flow[d].are_pk += w->flow[d].are_pk;
        ev->all_flow[d].are_by += w->flow[d].are_by;
        ev->all_flow[d].missed += w->flow[d].missed;
    }
    ev->nbins++;
out:
    free(re);
    free(w);
    free(pts);
}

/* The first bin >= x either side holds (INT64_MAX: none); *kt gets the
 * truth's. */
static int64_t next_bin(const fs_eval *ev, int64_t x, int64_t *kt)
{
    *kt = fs_truth_next_bin(ev->truth, x);
    size_t i = bin_lower(ev, x);
    int64_t ke = i < ev->nb ? ev->bins[i]->bin : INT64_MAX;
    for (size_t j = 0; j < ev->nspan; j++) {
        const fs_espan *sp = &ev->spans[j];
        if (sp->k1 >= x) {
            int64_t k = sp->k0 > x ? sp->k0 : x;
            ke = k < ke ? k : ke;
        }
    }
    return *kt < ke ? *kt : ke;
}

/* Finalises bin k, the next one (kt: the truth's next), and releases what
 * the evaluation and the truth held for it. */
static void finalize_next(fs_eval *ev, int64_t k, int64_t kt)
{
    /* a bin only spans reach gets its table now */
    fs_ebin *E = ev->nspan ? get_bin(ev, k) : find_bin(ev, k);
    if (E && ev->bins[ev->b0] == E)
        ev->b0++;
    else
        E = NULL;
    finalize_bin(ev, k, kt == k ? fs_truth_bin(ev->truth, k) : NULL, E);
    if (E) {
        fs_ftab_pool_put(&ev->pool, &E->tab);
        binpart_free(E->part);
        free(E);
    }
    ev->final_below = k + 1;
    if (ev->nspan)
        spans_prune(ev);
    fs_truth_release_below(ev->truth, ev->final_below, &ev->released_below);
}

typedef struct pend_ctx {
    fs_eval *ev;
    int      err;
    uint64_t n, limit;   /* counting only: keys seen, and where to stop */
    fs_ns   *since;      /* the sinces in listing order (oldest first)  */
    size_t   nsince, cap;
} pend_ctx;

static int pend_count(void *vctx, const fs_key *k, fs_ns since)
{
    (void)k;
    (void)since;
    pend_ctx *c = vctx;
    return ++c->n > c->limit;
}

static int pend_add(void *vctx, const fs_key *k, fs_ns since)
{
    pend_ctx *c = vctx;
    int created;
    uint32_t i = fs_ftab_upsert(c->ev->pend, k, fs_key_hash(k, c->ev->seed), &created);
    if (i == FS_NONE)
        return c->err = 1;
    pkent *p = fs_ftab_ent(c->ev->pend, i);
    if (!created) {
        p->since = since < p->since ? since : p->since;
        return 0;
    }
    p->since = since;
    if (c->nsince == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 1024;
        fs_ns *ns = realloc(c->since, nc * sizeof *ns);
        if (!ns)
            return c->err = 1;
        c->since = ns;
        c->cap = nc;
    }
    c->since[c->nsince++] = since;
    return 0;
}

static int cmp_ns(const void *a, const void *b)
{
    fs_ns x = *(const fs_ns *)a, y = *(const fs_ns *)b;
    return (x > y) - (x < y);
}

/* Keys the bin (E, T) holds, and how many of them may stay open. */
static uint64_t open_limit(const fs_eval *ev, const fs_ebin *E, const fs_tbin *T)
{
    double held = (E ? (double)E->tab.n : 0) + (T ? (double)T->tab.n : 0);
    return (uint64_t)floor(ev->cfg.partial_close * held);
}

void fs_eval_close_part(fs_eval *ev, fs_ns now,
                        void (*keys)(const void *st, fs_ns before,
                                     int (*fn)(void *ctx, const fs_key *k, fs_ns since),
                                     void *ctx),
                        const void *st)
{
    if (!(ev->cfg.partial_close > 0) || !keys)
        return;
    const fs_binning *bn = &ev->cfg.binning;
    int64_t from = ev->closed_below > ev->final_below ? ev->closed_below : ev->final_below;
    int64_t kt, first = next_bin(ev, from, &kt);
    if (first == INT64_MAX || fs_bin_end(bn, first) > now || first >= ev->truth->complete_below)
        return;
    /* Bins close in order, so the first decides whether any does: its open
     * keys are counted first, no further than its limit, so a bin that
     * stays open (a long-lived cache, short bins) costs at each crossing no
     * more than its own size. */
    pend_ctx c = {ev, 0, 0, 0, NULL, 0, 0};
    /* (a bin only spans reach gets its table: its keys count) */
    c.limit = open_limit(ev, ev->nspan ? get_bin(ev, first) : find_bin(ev, first),
                         kt == first ? fs_truth_bin(ev->truth, first) : NULL);
    keys(st, fs_bin_end(bn, first), pend_count, &c);
    if (c.n > c.limit)
        return;
    /* the last bin that has ended */
    int64_t last = first;
    for (int64_t k; (k = next_bin(ev, last + 1, &kt)) != INT64_MAX &&
                    fs_bin_end(bn, k) <= now && k < ev->truth->complete_below;)
        last = k;
    fs_ftab_clear(ev->pend);
    keys(st, fs_bin_end(bn, last), pend_add, &c);
    if (!c.err) {
        qsort(c.since, c.nsince, sizeof *c.since, cmp_ns);  /* listed in order: no work */
        for (int64_t x = from, k; (k = next_bin(ev, x, &kt)) <= last; x = k + 1) {
            fs_ns end = fs_bin_end(bn, k);
            fs_tbin *T = kt == k ? fs_truth_bin(ev->truth, k) : NULL;
            fs_ebin *E = get_bin(ev, k);
            if (!E)
                break;
            size_t lo = 0, hi = c.nsince;  /* open keys: sinces before end */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (c.since[mid] < end)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo > open_limit(ev, E, T) || close_part(ev, E, T, end, (uint32_t)lo))
                break;  /* later, when fewer keys are open */
            ev->closed_below = k + 1;
        }
    }
    free(c.since);
    fs_ftab_clear(ev->pend);
    if (ev->closed_below > ev->released_below)
        fs_truth_release_below(ev->truth, ev->closed_below, &ev->released_below);
}

void fs_eval_finalize_upto(fs_eval *ev, fs_ns safe)
{
    const fs_binning *bn = &ev->cfg.binning;
    for (;;) {
        int64_t kt, k = next_bin(ev, ev->final_below, &kt);
        if (k == INT64_MAX || fs_bin_end(bn, k) > safe || k >= ev->truth->complete_below)
            break;
        finalize_next(ev, k, kt);
    }
}

/* The whole-trace per-key rows besides agg_result's bytes (key_totals
 * trace): for each key of the true top k, its packets and the standard
 * errors of its bytes and packets over the whole trace. T is the true
 * whole-trace table, E the estimated one (eaent). */
static void write_key_whole(fs_eval *ev, int a, const aggtruth *at, const fs_ftab *T,
                            const fs_ftab *E)
{
    const char *an = agg_names[a];
    for (uint32_t y = 0; T && y < at->ntop; y++) {
        const aent *t = fs_ftab_ent(T, at->top[y].i);
        const eaent *e = (const eaent *)agg_find(E, &t->key);
        char label[80];
        agg_label(a, &t->key, &ev->cfg, label, sizeof label);
        double pk = e ? e->pk : 0;
        double cb = e ? e->c_by : 0, cp = e ? e->c_pk : 0;
        int nan = (e && e->v_nan) || ev->cfg.no_var;
        mrow(ev, "all", an, label, FS_M_EST_BYTES_SE, nan ? NAN : sqrt(cb > 0 ? cb : 0));
        mrow(ev, "all", an, label, FS_M_TRUE_PACKETS, t->pk);
        mrow(ev, "all", an, label, FS_M_EST_PACKETS, pk);
        mrow(ev, "all", an, label, FS_M_REL_ERR_PACKETS, rel(pk, t->pk));
        mrow(ev, "all", an, label, FS_M_EST_PACKETS_SE, nan ? NAN : sqrt(cp > 0 ? cp : 0));
    }
}

void fs_eval_finish(fs_eval *ev, fs_ns limit)
{
    fs_eval_finalize_upto(ev, limit);
    /* Bins the binning cannot end (len inf) are finalised here. */
    for (int64_t kt, k;
         limit == FS_NS_INF && (k = next_bin(ev, ev->final_below, &kt)) != INT64_MAX;)
        finalize_next(ev, k, kt);
    fs_truth_release_below(ev->truth, INT64_MAX, &ev->released_below);
    write_acc(ev, "all", "total", "all", &ev->all_total, 1, 1);
    for (int p = 0; p < 256; p++)
        if (ev->proto_ix[p])
            write_proto(ev, "all", p, &ev->all_proto[ev->proto_ix[p] - 1], 1);
    write_flows(ev, "all", ev->all_flow);
    mrow(ev, "all", "flow", "all", FS_M_TOPK_RECALL,
         ev->flow_topk_bins ? ev->flow_topk_recall / ev->flow_topk_bins : NAN);
    mrow(ev, "all", "flow", "all", FS_M_TOPK_PRECISION,
         ev->flow_topk_bins ? ev->flow_topk_precision / ev->flow_topk_bins : NAN);
    if (ev->cfg.key_totals == FS_KEYTOT_BINS) {
        for (int g = 0; g < AGG__COUNT; g++) {
            const fs_aggsum *a = &ev->all_aggsum[g];
            const char *an = agg_names[g];
            mrow(ev, "all", an, "all", FS_M_KEYS, a->keys);
            mrow(ev, "all", an, "all", FS_M_WMRE_BYTES, a->t_by > 0 ? a->err_by / a->t_by : NAN);
            mrow(ev, "all", an, "all", FS_M_WMRE_PACKETS,
                 a->t_pk > 0 ? a->err_pk / a->t_pk : NAN);
            mrow(ev, "all", an, "all", FS_M_TOPK_RECALL,
                 a->n_recall ? a->recall / a->n_recall : NAN);
            mrow(ev, "all", an, "all", FS_M_TOPK_PRECISION,
                 a->n_precision ? a->precision / a->n_precision : NAN);
        }
        return;
    }
    tshared *sh = get_shared(ev);
    for (int g = 0; g < AGG__COUNT; g++) {
        aggtruth at = {0};
        write_agg(ev, "all", g, sh ? &sh->agg[g] : NULL, &ev->all_agg[g], 1, NULL, &at);
        if (at.done)
            write_key_whole(ev, g, &at, sh ? &sh->agg[g] : NULL, &ev->all_agg[g]);
        free(at.top);
    }
}
