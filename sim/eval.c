/* flowsim — evaluation (see eval.h). Copyright (C) 2026 the flowsim authors.
 * GPL-3.0-or-later. */
#include "eval.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fs_metric_name[FS_M__COUNT] = {
#define FS_X(id, name, help) name,
    FS_METRICS(FS_X)
#undef FS_X
};
const char *const fs_metric_help[FS_M__COUNT] = {
#define FS_X(id, name, help) help,
    FS_METRICS(FS_X)
#undef FS_X
};
const char *const fs_bin_rows_names[] = {"none", "total", "all", NULL};

enum { AGG_DPORT, AGG_SRC, AGG_DST, AGG__COUNT };
static const char *const agg_names[AGG__COUNT] = {"dport", "src_prefix", "dst_prefix"};

typedef struct eent {
    FS_FTAB_ENTRY_HEAD;
    double pkts, bytes, v_pk, v_by, flows, arr, arr2;
    fs_ns  flow_ts;
    uint8_t v_nan, arr2_nan, seen, has_flow;
} eent;

typedef struct aent {
    FS_FTAB_ENTRY_HEAD;
    double t_by, e_by, t_pk, e_pk;
} aent;

struct fs_ebin {
    int64_t bin;
    fs_ftab tab;
    struct fs_ebin *next;
};

/* current record's key, for the contribution callback */
typedef struct cb_ctx {
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
    ev->prefix = strdup(row_prefix);
    if (!ev->prefix)
        return -1;
    for (int a = 0; a < AGG__COUNT; a++)
        if (fs_ftab_init(&ev->all_agg[a], sizeof(aent), 64, 0, seed) ||
            fs_ftab_init(&ev->bin_agg[a], sizeof(aent), 64, 0, seed))
            return -1;
    truth->users++;
    return 0;
}

void fs_eval_free(fs_eval *ev)
{
    for (fs_ebin *b = ev->head, *n; b; b = n) {
        n = b->next;
        fs_ftab_free(&b->tab);
        free(b);
    }
    ev->head = NULL;
    for (int a = 0; a < AGG__COUNT; a++) {
        fs_ftab_free(&ev->all_agg[a]);
        fs_ftab_free(&ev->bin_agg[a]);
    }
    free(ev->prefix);
    ev->prefix = NULL;
}

/* ---- accumulating contributions ------------------------------------------------ */
static fs_ebin *get_bin(fs_eval *ev, int64_t k)
{
    fs_ebin **pp = &ev->head;
    while (*pp && (*pp)->bin < k)
        pp = &(*pp)->next;
    if (*pp && (*pp)->bin == k)
        return *pp;
    fs_ebin *b = calloc(1, sizeof *b);
    if (!b || fs_ftab_init(&b->tab, sizeof(eent), 64, 0, ev->seed)) {
        free(b);
        return NULL;
    }
    b->bin = k;
    b->next = *pp;
    *pp = b;
    return b;
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
    if (!b)
        return;
    int created;
    uint32_t i = fs_ftab_upsert(&b->tab, cx->key, cx->h, &created);
    if (i == FS_NONE)
        return;
    eent *e = fs_ftab_ent(&b->tab, i);
    e->pkts += c->pkts;
    e->bytes += c->bytes;
    if (isnan(c->var_pkts) || isnan(c->var_bytes))
        e->v_nan = 1;
    else {
        e->v_pk += c->var_pkts;
        e->v_by += c->var_bytes;
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

void fs_eval_record(fs_eval *ev, const fs_algo *algo, const void *params, const fs_record *r)
{
    cb_ctx cx = {ev, &r->key, fs_key_hash(&r->key, ev->seed)};
    algo->estimate(params, r, &ev->cfg.binning, contrib_cb, &cx);
}

/* ---- output --------------------------------------------------------------------- */
void fs_eval_row(fs_eval *ev, const char *bin, const char *agg, const char *key,
                 const char *metric, double v)
{
    /* Whole numbers below 2^53 are printed in full (counts of bytes of a
     * large trace must not lose digits); others with 12 significant digits. */
    if (isnan(v))
        fprintf(ev->out, "%s,%s,%s,%s,%s,nan\n", ev->prefix, bin, agg, key, metric);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(ev->out, "%s,%s,%s,%s,%s,%.0f\n", ev->prefix, bin, agg, key, metric, v);
    else
        fprintf(ev->out, "%s,%s,%s,%s,%s,%.12g\n", ev->prefix, bin, agg, key, metric, v);
}

static void mrow(fs_eval *ev, const char *bin, const char *agg, const char *key, int m, double v)
{
    fs_eval_row(ev, bin, agg, key, fs_metric_name[m], v);
}

double fs_rel_err(double e, double t)
{
    return t != 0 ? (e - t) / t : (e == 0 ? 0.0 : NAN);
}
#define rel fs_rel_err

static void write_acc(fs_eval *ev, const char *bin, const char *agg, const char *key,
                      const fs_acc *a, int full)
{
    mrow(ev, bin, agg, key, FS_M_TRUE_BYTES, a->t_by);
    mrow(ev, bin, agg, key, FS_M_EST_BYTES, a->e_by);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_BYTES, rel(a->e_by, a->t_by));
    if (full)
        mrow(ev, bin, agg, key, FS_M_EST_BYTES_SE, a->v_nan ? NAN : sqrt(a->v_by));
    mrow(ev, bin, agg, key, FS_M_TRUE_PACKETS, a->t_pk);
    mrow(ev, bin, agg, key, FS_M_EST_PACKETS, a->e_pk);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_PACKETS, rel(a->e_pk, a->t_pk));
    if (full)
        mrow(ev, bin, agg, key, FS_M_EST_PACKETS_SE, a->v_nan ? NAN : sqrt(a->v_pk));
    mrow(ev, bin, agg, key, FS_M_TRUE_FLOWS, a->t_fl);
    mrow(ev, bin, agg, key, FS_M_EST_FLOWS, a->e_fl);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_FLOWS, rel(a->e_fl, a->t_fl));
    if (!full)
        return;
    mrow(ev, bin, agg, key, FS_M_TRUE_TCP_ARRIVALS, a->t_arr);
    mrow(ev, bin, agg, key, FS_M_EST_TCP_ARRIVALS, a->e_arr);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_TCP_ARRIVALS, rel(a->e_arr, a->t_arr));
    mrow(ev, bin, agg, key, FS_M_EST_TCP_ARRIVALS_M2, a->arr2_nan ? NAN : a->e_arr2);
    mrow(ev, bin, agg, key, FS_M_REL_ERR_TCP_ARRIVALS_M2,
         a->arr2_nan ? NAN : rel(a->e_arr2, a->t_arr));
    mrow(ev, bin, agg, key, FS_M_TRUE_MULTI_SYN_FLOWS, a->t_msyn);
    mrow(ev, bin, agg, key, FS_M_EST_SPURIOUS_FLOWS, a->spurious);
}

static void acc_add(fs_acc *d, const fs_acc *s)
{
    d->t_pk += s->t_pk; d->t_by += s->t_by; d->e_pk += s->e_pk; d->e_by += s->e_by;
    d->v_pk += s->v_pk; d->v_by += s->v_by; d->t_fl += s->t_fl; d->e_fl += s->e_fl;
    d->t_arr += s->t_arr; d->e_arr += s->e_arr; d->e_arr2 += s->e_arr2;
    d->t_msyn += s->t_msyn; d->spurious += s->spurious;
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

static void agg_add(fs_ftab *t, const fs_key *ak, double t_by, double e_by, double t_pk,
                    double e_pk)
{
    int created;
    uint32_t i = fs_ftab_upsert(t, ak, fs_key_hash(ak, t->seed), &created);
    if (i == FS_NONE)
        return;
    aent *e = fs_ftab_ent(t, i);
    e->t_by += t_by;
    e->e_by += e_by;
    e->t_pk += t_pk;
    e->e_pk += e_pk;
}

/* Ranking helper: indices sorted by value descending, ties by index. */
typedef struct rank { double v; uint32_t i; } rank;
static int cmp_rank(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Top-k overlap of two scorings of the same items (v_true, v_est arrays). */
static void topk_overlap(const double *vt, const double *ve, uint32_t n, uint64_t k,
                         double *recall, double *precision, uint32_t *top_true, uint32_t *ntop)
{
    rank *rt = malloc((size_t)n * sizeof *rt), *re = malloc((size_t)n * sizeof *re);
    uint8_t *in_t = calloc(n ? n : 1, 1);
    *recall = *precision = NAN;
    *ntop = 0;
    if (!rt || !re || !in_t)
        goto out;
    uint32_t nt = 0, ne = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (vt[i] > 0)
            rt[nt++] = (rank){vt[i], i};
        if (ve[i] > 0)
            re[ne++] = (rank){ve[i], i};
    }
    qsort(rt, nt, sizeof *rt, cmp_rank);
    qsort(re, ne, sizeof *re, cmp_rank);
    uint32_t kt = nt < k ? nt : (uint32_t)k, ke = ne < k ? ne : (uint32_t)k;
    for (uint32_t i = 0; i < kt; i++) {
        in_t[rt[i].i] = 1;
        if (top_true)
            top_true[i] = rt[i].i;
    }
    *ntop = kt;
    uint32_t hit = 0;
    for (uint32_t i = 0; i < ke; i++)
        hit += in_t[re[i].i];
    *recall = kt ? (double)hit / kt : NAN;
    *precision = ke ? (double)hit / ke : NAN;
out:
    free(rt);
    free(re);
    free(in_t);
}

/* Metrics of one aggregate table (a bin's or the whole trace's). */
static void write_agg(fs_eval *ev, const char *bin, int a, const fs_ftab *t)
{
    uint32_t n = t->hwm, m = 0;
    double *vt = malloc((n ? n : 1) * sizeof *vt), *ve = malloc((n ? n : 1) * sizeof *ve);
    uint32_t *map = malloc((n ? n : 1) * sizeof *map);
    uint32_t *top = malloc((ev->cfg.topk ? ev->cfg.topk : 1) * sizeof *top);
    if (!vt || !ve || !map || !top)
        goto out;
    double sum_t_by = 0, sum_t_pk = 0, err_by = 0, err_pk = 0, keys = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!fs_ftab_live(t, i))
            continue;
        const aent *e = fs_ftab_ent(t, i);
        sum_t_by += e->t_by;
        sum_t_pk += e->t_pk;
        err_by += fabs(e->e_by - e->t_by);
        err_pk += fabs(e->e_pk - e->t_pk);
        keys += e->t_pk > 0;
        vt[m] = e->t_by;
        ve[m] = e->e_by;
        map[m++] = i;
    }
    const char *an = agg_names[a];
    mrow(ev, bin, an, "all", FS_M_KEYS, keys);
    mrow(ev, bin, an, "all", FS_M_WMRE_BYTES, sum_t_by > 0 ? err_by / sum_t_by : NAN);
    mrow(ev, bin, an, "all", FS_M_WMRE_PACKETS, sum_t_pk > 0 ? err_pk / sum_t_pk : NAN);
    double rc, pr;
    uint32_t ntop;
    topk_overlap(vt, ve, m, ev->cfg.topk, &rc, &pr, top, &ntop);
    mrow(ev, bin, an, "all", FS_M_TOPK_RECALL, rc);
    mrow(ev, bin, an, "all", FS_M_TOPK_PRECISION, pr);
    for (uint32_t j = 0; j < ntop; j++) {
        const aent *e = fs_ftab_ent(t, map[top[j]]);
        char label[80];
        agg_label(a, &e->key, &ev->cfg, label, sizeof label);
        mrow(ev, bin, an, label, FS_M_TRUE_BYTES, e->t_by);
        mrow(ev, bin, an, label, FS_M_EST_BYTES, e->e_by);
        mrow(ev, bin, an, label, FS_M_REL_ERR_BYTES, rel(e->e_by, e->t_by));
    }
out:
    free(vt);
    free(ve);
    free(map);
    free(top);
}

/* ---- finalising a bin -------------------------------------------------------------- */
typedef struct binwork {
    fs_acc total, proto[256];
    uint8_t proto_seen[256];
    fs_flowacc flow[FS_NDEC];
    double *ft, *fe;       /* per-flow true/est bytes, for the flow top-k */
    uint32_t nf, capf;
} binwork;

static void add_pair(fs_eval *ev, binwork *w, const fs_key *k, const fs_truth_ent *t,
                     const eent *e)
{
    fs_acc a;
    memset(&a, 0, sizeof a);
    if (t) {
        a.t_pk = (double)t->pkts;
        a.t_by = (double)t->bytes;
        a.t_fl = 1;
        if (k->proto == 6 && t->syn > 0)
            a.t_arr = 1;
        if (k->proto == 6 && t->syn > 1)
            a.t_msyn = 1;
    }
    if (e) {
        a.e_pk = e->pkts;
        a.e_by = e->bytes;
        a.v_pk = e->v_pk;
        a.v_by = e->v_by;
        a.v_nan = e->v_nan;
        a.e_fl = e->has_flow ? e->flows : 0;
        a.e_arr = e->arr;
        a.e_arr2 = e->arr2;
        a.arr2_nan = e->arr2_nan;
        if (!t)
            a.spurious = 1;
    }
    acc_add(&w->total, &a);
    acc_add(&w->proto[k->proto], &a);
    w->proto_seen[k->proto] = 1;
    if (t) {
        fs_flowacc *f = &w->flow[decade_of(a.t_pk)];
        f->n++;
        f->are_pk += fabs(a.e_pk - a.t_pk) / a.t_pk;
        f->are_by += a.t_by > 0 ? fabs(a.e_by - a.t_by) / a.t_by : 0;
        if (!e || (e->pkts == 0 && e->bytes == 0))
            f->missed++;
    }
    if (w->nf == w->capf) {
        uint32_t nc = w->capf ? w->capf * 2 : 1024;
        double *a1 = realloc(w->ft, nc * sizeof *a1);
        if (a1)
            w->ft = a1;
        double *a2 = realloc(w->fe, nc * sizeof *a2);
        if (a2)
            w->fe = a2;
        if (!a1 || !a2)
            return;
        w->capf = nc;
    }
    w->ft[w->nf] = a.t_by;
    w->fe[w->nf] = a.e_by;
    w->nf++;
    for (int g = 0; g < AGG__COUNT; g++) {
        fs_key ak;
        if (!agg_key(g, k, &ev->cfg, &ak))
            continue;
        agg_add(&ev->bin_agg[g], &ak, a.t_by, a.e_by, a.t_pk, a.e_pk);
        agg_add(&ev->all_agg[g], &ak, a.t_by, a.e_by, a.t_pk, a.e_pk);
    }
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

static void write_protos(fs_eval *ev, const char *bin, const fs_acc *proto, const uint8_t *seen)
{
    for (int p = 0; p < 256; p++) {
        if (!seen[p])
            continue;
        char pb[16];
        write_acc(ev, bin, "proto", proto_name(p, pb, sizeof pb), &proto[p], 0);
    }
}

static void finalize_bin(fs_eval *ev, int64_t k, fs_tbin *T, fs_ebin *E)
{
    binwork *w = calloc(1, sizeof *w);
    if (!w)
        return;
    for (int g = 0; g < AGG__COUNT; g++)
        fs_ftab_clear(&ev->bin_agg[g]);
    if (T)
        for (uint32_t i = 0; i < T->tab.hwm; i++) {
            if (!fs_ftab_live(&T->tab, i))
                continue;
            const fs_truth_ent *t = fs_ftab_ent(&T->tab, i);
            eent *e = NULL;
            if (E) {
                uint32_t j = fs_ftab_find(&E->tab, &t->key, fs_key_hash(&t->key, E->tab.seed));
                if (j != FS_NONE) {
                    e = fs_ftab_ent(&E->tab, j);
                    e->seen = 1;
                }
            }
            add_pair(ev, w, &t->key, t, e);
        }
    if (E)
        for (uint32_t j = 0; j < E->tab.hwm; j++) {
            if (!fs_ftab_live(&E->tab, j))
                continue;
            const eent *e = fs_ftab_ent(&E->tab, j);
            if (!e->seen)
                add_pair(ev, w, &e->key, NULL, e);
        }
    double rc, pr;
    uint32_t ntop;
    topk_overlap(w->ft, w->fe, w->nf, ev->cfg.topk, &rc, &pr, NULL, &ntop);
    if (!isnan(rc)) {
        ev->flow_topk_recall += rc;
        ev->flow_topk_precision += isnan(pr) ? 0 : pr;
        ev->flow_topk_bins++;
    }
    char bin[32];
    snprintf(bin, sizeof bin, "%lld", (long long)(k - ev->cfg.bin_origin));
    if (ev->cfg.bin_rows >= FS_BINROWS_TOTAL)
        write_acc(ev, bin, "total", "all", &w->total, 1);
    if (ev->cfg.bin_rows == FS_BINROWS_ALL) {
        write_protos(ev, bin, w->proto, w->proto_seen);
        write_flows(ev, bin, w->flow);
        mrow(ev, bin, "flow", "all", FS_M_TOPK_RECALL, rc);
        mrow(ev, bin, "flow", "all", FS_M_TOPK_PRECISION, pr);
        for (int g = 0; g < AGG__COUNT; g++)
            write_agg(ev, bin, g, &ev->bin_agg[g]);
    }
    acc_add(&ev->all_total, &w->total);
    for (int p = 0; p < 256; p++)
        if (w->proto_seen[p]) {
            acc_add(&ev->all_proto[p], &w->proto[p]);
            ev->proto_seen[p] = 1;
        }
    for (int d = 0; d < FS_NDEC; d++) {
        ev->all_flow[d].n += w->flow[d].n;
        ev->all_flow[d].are_pk += w->flow[d].are_pk;
        ev->all_flow[d].are_by += w->flow[d].are_by;
        ev->all_flow[d].missed += w->flow[d].missed;
    }
    ev->nbins++;
    free(w->ft);
    free(w->fe);
    free(w);
}

void fs_eval_finalize_upto(fs_eval *ev, fs_ns safe)
{
    const fs_binning *bn = &ev->cfg.binning;
    for (;;) {
        int64_t kt = fs_truth_next_bin(ev->truth, ev->final_below);
        int64_t ke = ev->head ? ev->head->bin : INT64_MAX;
        int64_t k = kt < ke ? kt : ke;
        if (k == INT64_MAX || fs_bin_end(bn, k) > safe || k >= ev->truth->complete_below)
            break;
        fs_ebin *E = NULL;
        if (ev->head && ev->head->bin == k) {
            E = ev->head;
            ev->head = E->next;
        }
        finalize_bin(ev, k, kt == k ? fs_truth_bin(ev->truth, k) : NULL, E);
        if (E) {
            fs_ftab_free(&E->tab);
            free(E);
        }
        ev->final_below = k + 1;
        fs_truth_release_below(ev->truth, ev->final_below, &ev->released_below);
    }
}

void fs_eval_finish(fs_eval *ev, fs_ns limit)
{
    fs_eval_finalize_upto(ev, limit);
    /* Bins the binning cannot end (len inf) are finalised here. */
    while (limit == FS_NS_INF &&
           (ev->head || fs_truth_next_bin(ev->truth, ev->final_below) != INT64_MAX)) {
        int64_t kt = fs_truth_next_bin(ev->truth, ev->final_below);
        int64_t ke = ev->head ? ev->head->bin : INT64_MAX;
        int64_t k = kt < ke ? kt : ke;
        fs_ebin *E = NULL;
        if (ev->head && ev->head->bin == k) {
            E = ev->head;
            ev->head = E->next;
        }
        finalize_bin(ev, k, kt == k ? fs_truth_bin(ev->truth, k) : NULL, E);
        if (E) {
            fs_ftab_free(&E->tab);
            free(E);
        }
        ev->final_below = k + 1;
        fs_truth_release_below(ev->truth, ev->final_below, &ev->released_below);
    }
    fs_truth_release_below(ev->truth, INT64_MAX, &ev->released_below);
    write_acc(ev, "all", "total", "all", &ev->all_total, 1);
    write_protos(ev, "all", ev->all_proto, ev->proto_seen);
    write_flows(ev, "all", ev->all_flow);
    mrow(ev, "all", "flow", "all", FS_M_TOPK_RECALL,
         ev->flow_topk_bins ? ev->flow_topk_recall / ev->flow_topk_bins : NAN);
    mrow(ev, "all", "flow", "all", FS_M_TOPK_PRECISION,
         ev->flow_topk_bins ? ev->flow_topk_precision / ev->flow_topk_bins : NAN);
    for (int g = 0; g < AGG__COUNT; g++)
        write_agg(ev, "all", g, &ev->all_agg[g]);
}
