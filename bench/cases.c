/* flowsim — micro-benchmark cases over the engine's C API (see cases.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include "cases.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <gsl/gsl_rng.h>

#include "algo.h"
#include "acct.h"
#include "dcache.h"
#include "engine.h"
#include "rng.h"
#include "eval.h"
#include "fs.h"
#include "ftab.h"
#include "pcapw.h"
#include "reader.h"
#include "sampler.h"
#include "truth.h"
#include "version.h"   /* $(BUILD)/version.h: FS_GIT_COMMIT */

/* Trace time starts at 2024-01-01 00:00:00 (a whole minute, so a 60 s
 * analysis bin holds 60e9 packets at 1 ns apart: nothing ever crosses one). */
#define BC_EPOCH (INT64_C(1704067200) * FS_NS_PER_S)
/* Packets of the pre-drawn Zipf sequence (96 MiB of fs_pkt). */
#define BC_ZIPF_LEN (1u << 20)

const char *bc_git_commit(void)
{
    return FS_GIT_COMMIT;
}

void bc_cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, n, "%s", v);
            }
            break;
        }
    }
    fclose(f);
}

/* ---- packets ------------------------------------------------------------------ */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Flow i: IPv4 10.a.b.c:sport -> 172.16.x.1:dport, 7 in 8 TCP (ACK only, so
 * no FIN/RST expiry), the rest UDP; packet sizes spread over 40..1500. */
static void make_pkt(fs_pkt *p, uint64_t i)
{
    memset(p, 0, sizeof *p);
    fs_key *k = &p->key;
    k->src[10] = k->src[11] = 0xff;
    k->dst[10] = k->dst[11] = 0xff;
    k->src[12] = 10;
    k->src[13] = (uint8_t)(i >> 16);
    k->src[14] = (uint8_t)(i >> 8);
    k->src[15] = (uint8_t)i;
    k->dst[12] = 172;
    k->dst[13] = 16;
    k->dst[14] = (uint8_t)(i * 13);
    k->dst[15] = 1;
    k->proto = (i & 7) == 7 ? 17 : 6;
    k->sport = (uint16_t)(1024 + (i >> 24) * 7919 % 60000 + (i * 31) % 1000);
    k->dport = (i & 3) ? 443 : 80;
    p->ip_len = 40 + (uint32_t)((i * 2654435761u) % 1461);
    p->wire_len = p->caplen = p->ip_len + 14;
    p->l3_end = 34;
    p->ports_end = 38;
    p->flags_end = k->proto == 6 ? 48 : 0;
    p->tcp_flags = k->proto == 6 ? FS_TCP_ACK : 0;
    p->linktype = 1;
    p->ts = BC_EPOCH;
    p->key_hash = fs_key_hash(k, 0);
}

static fs_pkt *make_flows(uint64_t n)
{
    fs_pkt *f = malloc((size_t)n * sizeof *f);
    if (!f)
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        make_pkt(&f[i], i);
    return f;
}

/* A Zipf(1) sequence over the n flows: rank r has probability ~ 1/(r+1)
 * (continuous inverse: r = floor((n+1)^u) - 1), ranks scattered over the
 * flows by a multiplicative permutation so popular flows are not neighbours
 * in memory. */
static fs_pkt *make_zipf(const fs_pkt *flows, uint64_t n, size_t len)
{
    fs_pkt *z = malloc(len * sizeof *z);
    if (!z)
        return NULL;
    uint64_t s = 42;
    double ln = log((double)n + 1.0);
    for (size_t i = 0; i < len; i++) {
        double u = (double)(splitmix(&s) >> 11) * 0x1.0p-53;
        uint64_t r = (uint64_t)exp(u * ln);
        r = r ? r - 1 : 0;
        if (r >= n)
            r = n - 1;
        uint64_t f = r * UINT64_C(2654435761) % n;   /* r < 2^24: no overflow */
        z[i] = flows[f];
    }
    return z;
}

/* The packet stream of a case: all flows round-robin, or the Zipf sequence.
 * Building it for 10M flows takes seconds and a gigabyte, so one stream per
 * flow count is shared by every case of that count (cached below); its
 * clock only moves forward, so each case sees increasing timestamps. */
typedef struct bc_stream {
    fs_pkt  *flows, *zipf;
    uint64_t nflows, rr;
    size_t   zpos;
    fs_ns    now;
    int      refs;
} bc_stream;

static bc_stream *g_stream;

static void stream_destroy(bc_stream *s)
{
    if (!s)
        return;
    free(s->flows);
    free(s->zipf);
    free(s);
}

void bc_streams_drop(void)
{
    if (g_stream && g_stream->refs == 0) {
        stream_destroy(g_stream);
        g_stream = NULL;
    }
}

static bc_stream *stream_get(uint64_t nflows, char *msg, size_t msglen)
{
    if (g_stream && g_stream->nflows == nflows) {
        g_stream->refs++;
        return g_stream;
    }
    if (g_stream && g_stream->refs) {
        snprintf(msg, msglen, "a stream of another flow count is still in use");
        return NULL;
    }
    bc_streams_drop();
    bc_stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    s->nflows = nflows;
    s->now = BC_EPOCH;
    s->flows = make_flows(nflows);
    s->zipf = s->flows ? make_zipf(s->flows, nflows, BC_ZIPF_LEN) : NULL;
    if (!s->zipf) {
        snprintf(msg, msglen, "out of memory for %llu flows", (unsigned long long)nflows);
        stream_destroy(s);
        return NULL;
    }
    s->refs = 1;
    g_stream = s;
    return s;
}

static void stream_put(bc_stream *s)
{
    if (s)
        s->refs--;
}

/* Next packet of the stream, stamped with the next nanosecond. */
static inline fs_pkt *stream_next(bc_stream *s, int dist)
{
    fs_pkt *p;
    if (dist == BC_ZIPF) {
        p = &s->zipf[s->zpos];
        if (++s->zpos == BC_ZIPF_LEN)
            s->zpos = 0;
    } else {
        p = &s->flows[s->rr];
        if (++s->rr == s->nflows)
            s->rr = 0;
    }
    p->ts = ++s->now;
    return p;
}

/* ---- meters ------------------------------------------------------------------- */

struct bc_meter {
    fs_pipeline_spec ps;
    void     *st;
    gsl_rng  *rng;
    fs_acct   acct;
    bc_stream *s;
    fs_ns     next;
    uint64_t  records;
};

size_t bc_algo_count(void)
{
    return fs_algo_count();
}

const char *bc_algo_name(size_t i)
{
    const fs_algo *a = fs_algo_at(i);
    return a ? a->name : "?";
}

static void on_record(void *ctx, const fs_record *r)
{
    (void)r;
    ((bc_meter *)ctx)->records++;
}

static inline void meter_one(bc_meter *m, const fs_pkt *p)
{
    const fs_algo *a = m->ps.algo;
    if (p->ts >= m->next)
        m->next = a->advance(m->st, p->ts);
    m->next = a->packet(m->st, p);
}

/* A meter of algorithm a with its defaults (plus entries = 2 * nflows), not
 * warmed and without packets; NULL with a message. */
static bc_meter *meter_setup(const fs_algo *a, uint64_t nflows, char *msg, size_t msglen)
{
    bc_meter *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    char spec[256], err[1024];
    uint64_t entries = 2 * nflows < 65536 ? 65536 : 2 * nflows;
    if (fs_params_find(a->params, a->nparams, "entries"))
        snprintf(spec, sizeof spec, "%s:entries=%llu", a->name, (unsigned long long)entries);
    else
        snprintf(spec, sizeof spec, "%s", a->name);
    if (fs_pipeline_parse(spec, &m->ps, err, sizeof err)) {
        snprintf(msg, msglen, "skipped %s: its defaults do not make a pipeline (%s)", a->name,
                 err);
        free(m);
        return NULL;
    }
    m->rng = fs_rng_alloc(12345);   /* the engine's replicate generator */
    m->st = calloc(1, a->state_size ? a->state_size : 1);
    if (!m->rng || !m->st) {
        snprintf(msg, msglen, "out of memory");
        goto fail;
    }
    fs_acct_init(&m->acct, NULL, NULL);
    fs_meter_env env = {m->rng, 1.0, &m->acct, on_record, m, 0};
    if (a->init(m->st, m->ps.aparams, &env, err, sizeof err)) {
        snprintf(msg, msglen, "skipped %s: init failed with its defaults (%s)", a->name, err);
        free(m->st);
        m->st = NULL;
        goto fail;
    }
    m->next = FS_NS_INF;
    return m;
fail:
    bc_meter_free(m);
    return NULL;
}

bc_meter *bc_meter_new(size_t algo, uint64_t nflows, char *msg, size_t msglen)
{
    const fs_algo *a = fs_algo_at(algo);
    if (!a) {
        snprintf(msg, msglen, "no algorithm %zu", algo);
        return NULL;
    }
    bc_meter *m = meter_setup(a, nflows, msg, msglen);
    if (!m)
        return NULL;
    if (!(m->s = stream_get(nflows, msg, msglen)))
        goto fail;
    /* warm-up: every flow once (untimed) */
    for (uint64_t i = 0; i < nflows; i++)
        meter_one(m, stream_next(m->s, BC_ROUND_ROBIN));
    return m;
fail:
    bc_meter_free(m);
    return NULL;
}

void bc_meter_free(bc_meter *m)
{
    if (!m)
        return;
    if (m->st) {
        m->ps.algo->destroy(m->st);
        free(m->st);
    }
    if (m->rng)
        gsl_rng_free(m->rng);
    if (m->ps.algo)
        fs_pipeline_free(&m->ps);
    stream_put(m->s);
    free(m);
}

void bc_meter_batch(bc_meter *m, int dist)
{
    for (int i = 0; i < BC_BATCH; i++)
        meter_one(m, stream_next(m->s, dist));
}

uint64_t bc_meter_live(const bc_meter *m)
{
    return m->ps.algo->live(m->st);
}

uint64_t bc_meter_records(const bc_meter *m)
{
    return m->records;
}

/* ---- ground truth ----------------------------------------------------------- */

struct bc_truth {
    fs_truth   t;
    bc_stream *s;
};

bc_truth *bc_truth_new(uint64_t nflows, char *msg, size_t msglen)
{
    bc_truth *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    fs_binning b = {60 * FS_NS_PER_S};
    fs_truth_init(&t->t, 0, &b, 0);
    if (!(t->s = stream_get(nflows, msg, msglen))) {
        fs_truth_free(&t->t);
        free(t);
        return NULL;
    }
    for (uint64_t i = 0; i < nflows; i++)
        fs_truth_packet(&t->t, stream_next(t->s, BC_ROUND_ROBIN));
    return t;
}

void bc_truth_free(bc_truth *t)
{
    if (!t)
        return;
    fs_truth_free(&t->t);
    stream_put(t->s);
    free(t);
}

void bc_truth_batch(bc_truth *t, int dist)
{
    for (int i = 0; i < BC_BATCH; i++)
        fs_truth_packet(&t->t, stream_next(t->s, dist));
}

uint64_t bc_truth_flows(const bc_truth *t)
{
    return t->t.tail ? t->t.tail->tab.n : 0;
}

/* ---- evaluation ------------------------------------------------------------------ */

/* What the engine's run loop hands the evaluation: a truth shared by the
 * key configuration and one evaluation per pipeline-replicate. */
typedef struct bc_evalcore {
    fs_pipeline_spec ps;     /* netflow, for its estimator */
    fs_truth  truth;
    fs_eval   ev;
    FILE     *devnull;
    int       have_truth, have_ev;
    bc_stream *s;
} bc_evalcore;

static void evalcore_free(bc_evalcore *c)
{
    if (c->have_ev)
        fs_eval_free(&c->ev);
    if (c->have_truth)
        fs_truth_free(&c->truth);
    if (c->devnull)
        fclose(c->devnull);
    if (c->ps.algo)
        fs_pipeline_free(&c->ps);
    stream_put(c->s);
}

static int evalcore_init(bc_evalcore *c, uint64_t nflows, char *msg, size_t msglen)
{
    char err[1024];
    memset(c, 0, sizeof *c);
    if (fs_pipeline_parse("netflow", &c->ps, err, sizeof err)) {
        snprintf(msg, msglen, "netflow: %s", err);
        return -1;
    }
    fs_binning b = {60 * FS_NS_PER_S};
    fs_truth_init(&c->truth, 0, &b, 0);
    c->have_truth = 1;
    c->devnull = fopen("/dev/null", "w");
    fs_eval_cfg cfg = {b, 10, 24, 48, FS_BINROWS_TOTAL, fs_bin_of(&b, BC_EPOCH),
                       FS_KEYTOT_TRACE, 1};
    if (!c->devnull || fs_eval_init(&c->ev, &cfg, &c->truth, 0, c->devnull, "p0,netflow,,0,0")) {
        snprintf(msg, msglen, "cannot set up the evaluation");
        return -1;
    }
    c->have_ev = 1;
    if (!(c->s = stream_get(nflows, msg, msglen)))
        return -1;
    return 0;
}

/* The record NetFlow would export for one packet of the flow. */
static void record_of(fs_record *r, const fs_pkt *p)
{
    fs_record_init(r);
    r->key = p->key;
    r->first = r->last = r->exported = p->ts;
    r->pkts = 1;
    r->bytes = p->ip_len;
    r->bytes_sq = (double)p->ip_len * (double)p->ip_len;
    r->tcp_flags = p->tcp_flags;
    r->reason = FS_REASON_INACTIVE;
}

/* Every flow once in the truth and once in the estimates (untimed). */
static void evalcore_fill(bc_evalcore *c, uint64_t nflows)
{
    fs_record r;
    for (uint64_t i = 0; i < nflows; i++) {
        fs_pkt *p = stream_next(c->s, BC_ROUND_ROBIN);
        fs_truth_packet(&c->truth, p);
        record_of(&r, p);
        fs_eval_record(&c->ev, c->ps.algo, c->ps.aparams, &r);
    }
}

struct bc_eval {
    bc_evalcore c;
};

bc_eval *bc_eval_new(uint64_t nflows, char *msg, size_t msglen)
{
    bc_eval *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    if (evalcore_init(&e->c, nflows, msg, msglen)) {
        bc_eval_free(e);
        return NULL;
    }
    evalcore_fill(&e->c, nflows);
    return e;
}

void bc_eval_free(bc_eval *e)
{
    if (!e)
        return;
    evalcore_free(&e->c);
    free(e);
}

void bc_eval_batch(bc_eval *e, int dist)
{
    fs_record r;
    for (int i = 0; i < BC_BATCH; i++) {
        record_of(&r, stream_next(e->c.s, dist));
        fs_eval_record(&e->c.ev, e->c.ps.algo, e->c.ps.aparams, &r);
    }
}

struct bc_evalfin {
    bc_evalcore c;
};

bc_evalfin *bc_evalfin_prepare(uint64_t nflows, char *msg, size_t msglen)
{
    bc_evalfin *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    if (evalcore_init(&f->c, nflows, msg, msglen)) {
        bc_evalfin_free(f);
        return NULL;
    }
    evalcore_fill(&f->c, nflows);
    return f;
}

void bc_evalfin_finish(bc_evalfin *f)
{
    fs_truth_finish(&f->c.truth);
    fs_eval_finish(&f->c.ev, FS_NS_INF);
}

void bc_evalfin_free(bc_evalfin *f)
{
    if (!f)
        return;
    evalcore_free(&f->c);
    free(f);
}

/* ---- sampler ---------------------------------------------------------------- */

#define BC_SAMP_PKTS 4096   /* power of two */

struct bc_sampler {
    fs_sampler s;
    gsl_rng   *rng;
    fs_pkt    *pkts;
    size_t     pos;
};

bc_sampler *bc_sampler_new(int systematic, uint64_t N, char *msg, size_t msglen)
{
    bc_sampler *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    b->rng = fs_rng_alloc(777);
    b->pkts = make_flows(BC_SAMP_PKTS);
    if (!b->rng || !b->pkts) {
        snprintf(msg, msglen, "out of memory");
        goto fail;
    }
    if (fs_sampler_init(&b->s, systematic ? FS_SAMP_SYSTEMATIC : FS_SAMP_RANDOM, 1.0 / (double)N,
                        1, b->rng, msg, msglen))
        goto fail;
    return b;
fail:
    if (b->rng)
        gsl_rng_free(b->rng);
    free(b->pkts);
    free(b);
    return NULL;
}

void bc_sampler_free(bc_sampler *b)
{
    if (!b)
        return;
    fs_sampler_free(&b->s);
    gsl_rng_free(b->rng);
    free(b->pkts);
    free(b);
}

uint64_t bc_sampler_batch(bc_sampler *b)
{
    uint64_t taken = 0;
    for (int i = 0; i < BC_BATCH; i++) {
        taken += (uint64_t)fs_sampler_take(&b->s, &b->pkts[b->pos]);
        b->pos = (b->pos + 1) & (BC_SAMP_PKTS - 1);
    }
    return taken;
}

/* ---- decoding ---------------------------------------------------------------- */

#define BC_FRAMES 256     /* frames per link type, cycled */
#define BC_FRAME_MAX 256  /* headers only: no frame here is longer */

struct bc_decode {
    int      dlt;
    uint8_t  buf[BC_FRAMES][BC_FRAME_MAX];
    uint32_t len[BC_FRAMES];
    size_t   pos;
    fs_pkt   out;
};

static const char *const link_names[BC_LINK__COUNT] = {
    "ethernet", "ethernet_vlan", "ethernet_ipv6", "sll", "sll2", "raw_ipv4", "raw_ipv6", "null",
};

const char *bc_link_name(int link)
{
    return link >= 0 && link < BC_LINK__COUNT ? link_names[link] : "?";
}

bc_decode *bc_decode_new(int link, char *msg, size_t msglen)
{
    static const int dlts[BC_LINK__COUNT] = {
        DLT_EN10MB, DLT_EN10MB, DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_RAW,
        DLT_NULL,
    };
    if (link < 0 || link >= BC_LINK__COUNT) {
        snprintf(msg, msglen, "no link type %d", link);
        return NULL;
    }
    bc_decode *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    d->dlt = dlts[link];
    int v6 = link == BC_ETH_V6 || link == BC_RAW6;
    for (int i = 0; i < BC_FRAMES; i++) {
        /* headers only, as in snaplen-limited captures; 3 in 4 TCP */
        pcapw_pkt s = (i & 3) ? pcapw_tcp(v6 ? "2001:db8::1" : "10.0.0.1", (uint16_t)(1024 + i),
                                          v6 ? "2001:db8:1::2" : "192.0.2.2", 443, FS_TCP_ACK)
                              : pcapw_udp(v6 ? "2001:db8::1" : "10.0.0.1", (uint16_t)(1024 + i),
                                          v6 ? "2001:db8:1::2" : "192.0.2.2", 53);
        int lo = v6 ? 14 : 2;
        s.src[lo] = (uint8_t)(i >> 4);
        s.src[lo + 1] = (uint8_t)(i * 7);
        if (link == BC_ETH_VLAN) {
            s.n_vlan = 1;
            s.vlan[0] = (uint16_t)(100 + (i & 15));
        }
        size_t n = pcapw_build(d->buf[i], BC_FRAME_MAX, d->dlt, &s);
        fs_pkt chk;
        if (n == 0 || fs_decode(d->dlt, d->buf[i], (uint32_t)n, (uint32_t)n, &chk) != FS_DEC_OK) {
            snprintf(msg, msglen, "could not build a decodable %s frame", link_names[link]);
            free(d);
            return NULL;
        }
        d->len[i] = (uint32_t)n;
    }
    return d;
}

void bc_decode_free(bc_decode *d)
{
    free(d);
}

uint64_t bc_decode_batch(bc_decode *d)
{
    uint64_t ok = 0;
    for (int i = 0; i < BC_BATCH; i++) {
        size_t k = d->pos;
        d->pos = (k + 1) & (BC_FRAMES - 1);
        ok += !fs_decode_is_drop(fs_decode(d->dlt, d->buf[k], d->len[k], d->len[k], &d->out));
    }
    return ok;
}

/* ---- flow-key hashing ---------------------------------------------------------- */

#define BC_KEYS 4096   /* power of two */

struct bc_hash {
    fs_key keys[BC_KEYS];
    size_t pos;
};

bc_hash *bc_hash_new(int ipv6)
{
    bc_hash *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    for (int i = 0; i < BC_KEYS; i++) {
        fs_pkt p;
        make_pkt(&p, (uint64_t)i * 977);
        if (ipv6) {
            p.key.flags = FS_KEY_V6;
            p.key.src[0] = p.key.dst[0] = 0x20;
            p.key.src[1] = p.key.dst[1] = 0x01;
            p.key.src[10] = p.key.src[11] = p.key.dst[10] = p.key.dst[11] = 0;
        }
        h->keys[i] = p.key;
    }
    return h;
}

void bc_hash_free(bc_hash *h)
{
    free(h);
}

uint64_t bc_hash_batch(bc_hash *h)
{
    uint64_t acc = 0;
    for (int i = 0; i < BC_BATCH; i++) {
        acc ^= fs_key_hash(&h->keys[h->pos], 0);
        h->pos = (h->pos + 1) & (BC_KEYS - 1);
    }
    return acc;
}

/* ---- trace files: pcaps and decoded-trace caches on disk ------------------------- */

/* Every file of the reader and replay cases lives in one temporary directory,
 * made on first use and removed (with everything in it) at exit. */
static char g_tmpdir[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmpdir_remove(void)
{
    if (g_tmpdir[0])
        rm_tree(g_tmpdir);
    g_tmpdir[0] = '\0';
}

static const char *tmpdir_get(char *msg, size_t msglen)
{
    if (g_tmpdir[0])
        return g_tmpdir;
    const char *t = getenv("TMPDIR");
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/flowsim-micro-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(g_tmpdir)) {
        snprintf(msg, msglen, "cannot make a temporary directory %s: %s", g_tmpdir,
                 strerror(errno));
        g_tmpdir[0] = '\0';
        return NULL;
    }
    atexit(tmpdir_remove);
    return g_tmpdir;
}

/* A pcap (Ethernet, ns timestamps) of npkts packets of nflows flows taken
 * round-robin, packet i of flow i % nflows (the flows of make_pkt), 1 ns
 * apart from BC_EPOCH + 1, captured headers only (64 bytes at most, as in a
 * snaplen-limited capture) with wire lengths of 40..1500-byte IP datagrams;
 * a directory for its decoded-trace cache next to it, and the cache written
 * there by one pass of the reader (fs_reader_open_opts with decode_cache). */
typedef struct bc_tfile {
    char     dir[4200], pcap[4300], dcdir[4300];
    uint64_t npkts, nflows;
} bc_tfile;

static void tfile_remove(bc_tfile *t)
{
    if (t->dir[0])
        rm_tree(t->dir);
    t->dir[0] = '\0';
}

static int reader_open(fs_reader **rd, const bc_tfile *t, int cached, char *msg, size_t msglen)
{
    const char *paths[1] = {t->pcap};
    fs_reader_opts o;
    memset(&o, 0, sizeof o);
    o.decode_cache = cached ? t->dcdir : NULL;
    if (fs_reader_open_opts(rd, paths, 1, &o, msg, msglen))
        return -1;
    int use = fs_reader_file(*rd, 0)->dcache;
    if (cached && use != FS_DCACHE_REPLAYED) {
        snprintf(msg, msglen, "%s: the decoded-trace cache in %s was not replayed", t->pcap,
                 t->dcdir);
        fs_reader_close(*rd);
        *rd = NULL;
        return -1;
    }
    return 0;
}

static int tfile_make(bc_tfile *t, const char *name, uint64_t nflows, uint64_t npkts, char *msg,
                      size_t msglen)
{
    memset(t, 0, sizeof *t);
    const char *root = tmpdir_get(msg, msglen);
    if (!root)
        return -1;
    snprintf(t->dir, sizeof t->dir, "%s/%s", root, name);
    snprintf(t->pcap, sizeof t->pcap, "%s/trace.pcap", t->dir);
    snprintf(t->dcdir, sizeof t->dcdir, "%s/decoded", t->dir);
    t->npkts = npkts;
    t->nflows = nflows;
    if (mkdir(t->dir, 0700) || mkdir(t->dcdir, 0700)) {
        snprintf(msg, msglen, "cannot make %s: %s", t->dcdir, strerror(errno));
        tfile_remove(t);
        return -1;
    }
    pcapw *w = pcapw_open(t->pcap, DLT_EN10MB, 1);
    if (!w) {
        snprintf(msg, msglen, "cannot write %s", t->pcap);
        tfile_remove(t);
        return -1;
    }
    int bad = 0;
    for (uint64_t i = 0; i < npkts && !bad; i++) {
        fs_pkt p;
        make_pkt(&p, i % nflows);
        const fs_key *k = &p.key;
        pcapw_pkt s = k->proto == 6 ? pcapw_tcp("10.0.0.1", k->sport, "172.16.0.1", k->dport,
                                                p.tcp_flags)
                                    : pcapw_udp("10.0.0.1", k->sport, "172.16.0.1", k->dport);
        memcpy(s.src, &k->src[12], 4);
        memcpy(s.dst, &k->dst[12], 4);
        s.payload_len = (uint16_t)(p.ip_len - (k->proto == 6 ? 40 : 28));
        s.snaplen = 64;
        bad = pcapw_put(w, BC_EPOCH + (int64_t)i + 1, &s) != 0;
    }
    if (pcapw_close(w) || bad) {
        snprintf(msg, msglen, "cannot write %s", t->pcap);
        tfile_remove(t);
        return -1;
    }
    /* one pass of the reader writes the decoded-trace cache */
    fs_reader *rd;
    char err[1024];
    const char *paths[1] = {t->pcap};
    fs_reader_opts o;
    memset(&o, 0, sizeof o);
    o.decode_cache = t->dcdir;
    if (fs_reader_open_opts(&rd, paths, 1, &o, msg, msglen))
        goto fail;
    fs_pkt p;
    uint64_t n = 0;
    int rc;
    while ((rc = fs_reader_next(rd, &p, err, sizeof err)) == 1)
        n++;
    int use = fs_reader_file(rd, 0)->dcache;
    fs_reader_close(rd);
    if (rc < 0 || n != npkts || use != FS_DCACHE_WRITTEN) {
        snprintf(msg, msglen, "%s: %llu of %llu packets read back, decoded-trace cache %s%s%s",
                 t->pcap, (unsigned long long)n, (unsigned long long)npkts,
                 use == FS_DCACHE_WRITTEN ? "written" : "not written", rc < 0 ? ": " : "",
                 rc < 0 ? err : "");
        goto fail;
    }
    return 0;
fail:
    tfile_remove(t);
    return -1;
}

/* ---- trace reading ------------------------------------------------------------- */

/* The reader cases' file: 1,000,000 packets of 100,000 flows (made once,
 * shared by both sources). */
#define BC_READ_PKTS  1000000u
#define BC_READ_FLOWS 100000u
static bc_tfile g_readfile;
static int      g_readfile_ok;

struct bc_reader {
    fs_reader   *rd;
    fs_dcache_r *dr;       /* BC_READ_DCACHE_NEXT */
    int          src;
    fs_pkt       p;
    uint64_t     sum;
};

/* The cache file of g_readfile, opened directly (no fs_reader around it). */
static int dcache_open(fs_dcache_r **dr, char *msg, size_t msglen)
{
    fs_dcache_id id;
    char cpath[8192];
    fs_file_info info;
    memset(&info, 0, sizeof info);
    if (fs_dcache_id_of(g_readfile.pcap, &id, msg, msglen))
        return -1;
    if (fs_dcache_path(g_readfile.dcdir, g_readfile.pcap, &id, cpath, sizeof cpath)) {
        snprintf(msg, msglen, "%s: no decoded-trace cache path", g_readfile.pcap);
        return -1;
    }
    int rc = fs_dcache_r_open(dr, cpath, &id, FS_DECODER_VERSION, &info, msg, msglen);
    return rc == 0 ? 0 : -1;
}

static int reader_reopen(bc_reader *r, char *msg, size_t msglen)
{
    if (r->src == BC_READ_DCACHE_NEXT)
        return dcache_open(&r->dr, msg, msglen);
    return reader_open(&r->rd, &g_readfile, r->src == BC_READ_DCACHE, msg, msglen);
}

bc_reader *bc_reader_new(int src, char *msg, size_t msglen)
{
    if (!g_readfile_ok) {
        if (tfile_make(&g_readfile, "reader", BC_READ_FLOWS, BC_READ_PKTS, msg, msglen))
            return NULL;
        g_readfile_ok = 1;
    }
    bc_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    r->src = src;
    if (reader_reopen(r, msg, msglen)) {
        free(r);
        return NULL;
    }
    return r;
}

void bc_reader_free(bc_reader *r)
{
    if (!r)
        return;
    if (r->rd)
        fs_reader_close(r->rd);
    if (r->dr)
        fs_dcache_r_close(r->dr);
    free(r);
}

int bc_reader_batch(bc_reader *r)
{
    int n = 0, rc = 1;
    if (r->dr) {
        uint64_t h0;
        while (n < BC_BATCH && (rc = fs_dcache_r_next(r->dr, &r->p, &h0)) == 1) {
            r->p.key_hash = h0;
            r->sum += r->p.ip_len;
            n++;
        }
        return rc < 0 ? -1 : n;
    }
    char err[512];
    while (n < BC_BATCH && (rc = fs_reader_next(r->rd, &r->p, err, sizeof err)) == 1) {
        r->sum += r->p.ip_len;
        n++;
    }
    return rc < 0 ? -1 : n;
}

int bc_reader_rewind(bc_reader *r, char *msg, size_t msglen)
{
    if (r->rd)
        fs_reader_close(r->rd);
    if (r->dr)
        fs_dcache_r_close(r->dr);
    r->rd = NULL;
    r->dr = NULL;
    return reader_reopen(r, msg, msglen);
}

uint64_t bc_reader_file_packets(void)
{
    return g_readfile_ok ? g_readfile.npkts : 0;
}

/* ---- replay + netflow, as the engine's main loop does it ------------------------ */

/* Packets of the replay cases' file: a multiple of every flow count up to 1M,
 * so the round-robin order carries on across a rewind; 10M flows get one
 * packet each. */
#define BC_REPLAY_PKTS 2000000u
/* The engine's PKT_BATCH (sim/engine.c). */
#define BC_ENGINE_BATCH 16

struct bc_replay {
    bc_tfile   t;
    int        have_t;
    fs_reader *rd;
    bc_meter  *m;
    fs_ns      ts_off;   /* added to every pass after the first */
    fs_pkt     pkt[BC_ENGINE_BATCH], keyed[BC_ENGINE_BATCH];
};

void bc_replay_free(bc_replay *r)
{
    if (!r)
        return;
    if (r->rd)
        fs_reader_close(r->rd);
    bc_meter_free(r->m);
    if (r->have_t)
        tfile_remove(&r->t);
    free(r);
}

int bc_replay_rewind(bc_replay *r, char *msg, size_t msglen)
{
    fs_reader_close(r->rd);
    r->rd = NULL;
    r->ts_off += (fs_ns)r->t.npkts;
    return reader_open(&r->rd, &r->t, 1, msg, msglen);
}

int bc_replay_batch(bc_replay *r, int prefetch)
{
    const fs_algo *a = r->m->ps.algo;
    void *st = r->m->st;
    char err[512];
    int done = 0;
    while (done < BC_BATCH) {
        int n = 0, rc = 1;
        while (n < BC_ENGINE_BATCH &&
               (rc = fs_reader_next(r->rd, &r->pkt[n], err, sizeof err)) == 1)
            n++;
        /* the default key configuration: key without ToS and VLAN, and the
         * hash the decoded-trace cache brings (hashed only without one) */
        for (int i = 0; i < n; i++) {
            fs_pkt *k = &r->keyed[i];
            *k = r->pkt[i];
            k->key.tos = 0;
            k->key.vlan = 0;
            k->key_hash = r->pkt[i].key_hash ? r->pkt[i].key_hash : fs_key_hash(&k->key, 0);
            k->ts += r->ts_off;
        }
        if (prefetch && n > 1 && a->prefetch) {
            for (int i = 0; i < n; i++)
                a->prefetch(st, &r->keyed[i], 0);
            for (int i = 0; i < n; i++)
                a->prefetch(st, &r->keyed[i], 1);
        }
        for (int i = 0; i < n; i++)
            meter_one(r->m, &r->keyed[i]);
        done += n;
        if (rc != 1)
            return rc < 0 ? -1 : done;
    }
    return done;
}

bc_replay *bc_replay_new(uint64_t nflows, char *msg, size_t msglen)
{
    const fs_algo *a = fs_algo_find("netflow");
    if (!a) {
        snprintf(msg, msglen, "no algorithm netflow");
        return NULL;
    }
    bc_replay *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    uint64_t npkts = nflows > BC_REPLAY_PKTS ? nflows : BC_REPLAY_PKTS;
    char name[64];
    snprintf(name, sizeof name, "replay-%llu", (unsigned long long)nflows);
    if (tfile_make(&r->t, name, nflows, npkts, msg, msglen))
        goto fail;
    r->have_t = 1;
    if (!(r->m = meter_setup(a, nflows, msg, msglen)) || reader_open(&r->rd, &r->t, 1, msg, msglen))
        goto fail;
    /* warm-up: every flow once (untimed), through the same path */
    uint64_t warm = 0;
    while (warm < nflows) {
        int n = bc_replay_batch(r, 1);
        if (n < 0) {
            snprintf(msg, msglen, "%s: replay failed", r->t.pcap);
            goto fail;
        }
        warm += (uint64_t)n;
        if (n < BC_BATCH && bc_replay_rewind(r, msg, msglen))
            goto fail;
    }
    return r;
fail:
    bc_replay_free(r);
    return NULL;
}

uint64_t bc_replay_live(const bc_replay *r)
{
    return bc_meter_live(r->m);
}
