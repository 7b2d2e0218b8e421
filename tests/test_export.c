/* flowsim — export on the wire: NetFlow v5, v9 and IPFIX datagrams written
 * by the exporter (sim/export.c, sim/wire.c) to files, read back by a
 * decoder written here from the RFCs (independent of the encoder's tables:
 * v9/IPFIX records are decoded through the templates found in the stream),
 * field by field, for IPv4 and IPv6 records; the bytes and datagrams
 * written equal the export model's export_bytes_<fmt> and
 * export_datagrams_<fmt>; headers carry sequence numbers, uptime and export
 * time from simulated time, so a collector's arithmetic gives each record's
 * first and last time to the millisecond; sampling options, template
 * refresh, the MTU, flowsim's enterprise elements and the bin pairs.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "export.h"
#include "pcapw.h"
#include "tf.h"

#define T0 (INT64_C(1609829736) * FS_NS_PER_S + 669007123)   /* 2021-01-05 */

/* ---- the records fed to the exporter ------------------------------------------ */
#define NREC 90
static uint32_t pairs_pk[NREC][4];
static double pairs_by[NREC][4];

static void make_rec(fs_record *r, int i, fs_ns t)
{
    fs_record_init(r);
    int v6 = i % 3 == 1;
    if (v6) {
        inet_pton(AF_INET6, "2001:db8::1", r->key.src);
        inet_pton(AF_INET6, "2001:db8:ffff::2", r->key.dst);
        r->key.src[15] = (uint8_t)i;
        r->key.flags = FS_KEY_V6;
    } else {
        r->key.src[10] = r->key.src[11] = 0xff;
        r->key.dst[10] = r->key.dst[11] = 0xff;
        r->key.src[12] = 10;
        r->key.src[15] = (uint8_t)i;
        r->key.dst[12] = 192;
        r->key.dst[13] = 168;
        r->key.dst[15] = 7;
    }
    r->key.sport = (uint16_t)(1000 + i);      /* unique: finds the record back */
    r->key.dport = i % 4 == 0 ? 53 : 443;
    r->key.proto = i % 4 == 0 ? 17 : 6;
    r->key.tos = (uint8_t)(i * 4);
    r->key.vlan = i % 5 == 0 ? (uint16_t)(100 + i) : 0;
    r->pkts = (uint64_t)i * 3 + 1;
    if (i == 7)
        r->pkts = UINT64_C(5000000000);      /* beyond 32 bits */
    r->bytes = 100.0 * i + 40.4;             /* sent rounded: 100 i + 40 */
    r->first = t + 123456;
    r->last = r->first + (fs_ns)i * FS_NS_PER_MS + 789;
    r->exported = t + 2 * FS_NS_PER_S;
    r->tcp_flags = r->key.proto == 6 ? 0x1b : 0;
    r->syn_pkts = 1;
    r->reason = (uint8_t)(i % FS_REASON__COUNT);
}

/* ---- a decoder of the three formats ------------------------------------------------ */
typedef struct drec {
    int      v6;
    uint8_t  src[16], dst[16];
    unsigned sport, dport, proto, tos, flags, vlan, reason;
    uint64_t pkts, bytes;
    int64_t  first_ms, last_ms;     /* absolute, as a collector computes them */
    int      tid, ext, has_reason;
    double   weight, q, pslice, pend;
    uint32_t first_pkts, syn, npairs, pk[8], by[8];
    uint32_t interval;              /* sampling interval in force          */
    int      samp_algo;
} drec;

typedef struct dtmpl {
    int      n, nscope, opt;
    uint16_t id[32], len[32];
    uint32_t pen[32];
} dtmpl;

typedef struct dec {
    drec     r[2 * NREC + 8];
    int      n;
    int      datagrams, opt_records, tmpl_records;
    uint64_t bytes;
    dtmpl    t[1024];               /* by template id - 256 */
    int      have[1024];
    uint32_t interval;
    int      samp_algo;
    uint32_t last_seq;
    uint64_t seq_expect;            /* v5 flows / v9 packets / IPFIX data records */
    int      errors;
    size_t   max_dgram;
    int      max_v5;
} dec;

static unsigned g16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t g32(const uint8_t *p) { return (uint32_t)g16(p) << 16 | g16(p + 2); }
static uint64_t g64(const uint8_t *p) { return (uint64_t)g32(p) << 32 | g32(p + 4); }
static uint64_t gn(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}
static double gd(const uint8_t *p)
{
    uint64_t v = g64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

#define DFAIL(d, ...) do { (d)->errors++; fprintf(stderr, "  decode: " __VA_ARGS__); \
                           fprintf(stderr, "\n"); } while (0)

static size_t dec_v5(dec *d, const uint8_t *p, size_t len)
{
    if (len < 24 || g16(p) != 5) {
        DFAIL(d, "v5: bad header");
        return len;
    }
    unsigned count = g16(p + 2);
    size_t size = 24 + 48u * count;
    if (size > len || count == 0 || count > 30) {
        DFAIL(d, "v5: count %u", count);
        return len;
    }
    if ((int)count > d->max_v5)
        d->max_v5 = (int)count;
    uint32_t up = g32(p + 4), secs = g32(p + 8), nsecs = g32(p + 12), seq = g32(p + 16);
    if (seq != (uint32_t)d->seq_expect)
        DFAIL(d, "v5: flow_sequence %u, expected %llu", seq, (unsigned long long)d->seq_expect);
    d->seq_expect += count;
    d->last_seq = seq;
    if (p[21] != 7)
        DFAIL(d, "v5: engine_id %u", p[21]);
    unsigned si = g16(p + 22);
    int64_t boot = (int64_t)secs * 1000 + nsecs / 1000000 - up;
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *q = p + 24 + 48 * i;
        drec *r = &d->r[d->n++];
        memset(r, 0, sizeof *r);
        memcpy(r->src + 12, q, 4);
        memcpy(r->dst + 12, q + 4, 4);
        r->pkts = g32(q + 16);
        r->bytes = g32(q + 20);
        r->first_ms = boot + g32(q + 24);
        r->last_ms = boot + g32(q + 28);
        r->sport = g16(q + 32);
        r->dport = g16(q + 34);
        r->flags = q[37];
        r->proto = q[38];
        r->tos = q[39];
        r->interval = si & 0x3fff ? si & 0x3fff : 1;
        r->samp_algo = (int)(si >> 14);
    }
    return size;
}

static void dec_template(dec *d, const uint8_t *p, size_t len, int ipfix, int opt)
{
    size_t o = 0;
    while (o + 4 <= len) {
        unsigned tid = g16(p + o), n = g16(p + o + 2), nscope = 0;
        if (tid < 256 || tid >= 1280) {
            if (tid == 0 && !ipfix)
                break;   /* padding */
            DFAIL(d, "template id %u", tid);
            return;
        }
        dtmpl *t = &d->t[tid - 256];
        memset(t, 0, sizeof *t);
        o += 4;
        if (opt && ipfix) {
            nscope = g16(p + o);
            o += 2;
        } else if (opt) {
            /* v9: scope length and options length in bytes */
            unsigned sl = n, ol = g16(p + o);
            o += 2;
            nscope = sl / 4;
            n = (sl + ol) / 4;
        }
        t->opt = opt;
        t->nscope = (int)nscope;
        for (unsigned i = 0; i < n && i < 32; i++) {
            if (o + 4 > len) {
                DFAIL(d, "template truncated");
                return;
            }
            t->id[i] = (uint16_t)(g16(p + o) & (ipfix ? 0x7fff : 0xffff));
            t->len[i] = (uint16_t)g16(p + o + 2);
            int ent = ipfix && (g16(p + o) & 0x8000);
            o += 4;
            if (ent) {
                t->pen[i] = g32(p + o);
                o += 4;
            }
        }
        t->n = (int)n;
        d->have[tid - 256] = 1;
        d->tmpl_records++;
        if (opt && !ipfix)
            break;   /* one per flowset, then padding */
    }
}

static void dec_data(dec *d, const uint8_t *p, size_t len, unsigned tid, int ipfix,
                     int64_t boot_ms)
{
    if (!d->have[tid - 256]) {
        DFAIL(d, "data set %u before its template", tid);
        return;
    }
    const dtmpl *t = &d->t[tid - 256];
    size_t minrec = 0;
    for (int i = 0; i < t->n; i++)
        minrec += t->len[i] == 65535 ? 1 : t->len[i];
    size_t o = 0;
    while (o + minrec <= len && minrec) {
        if (t->opt) {
            for (int i = 0; i < t->n; i++) {
                uint64_t v = gn(p + o, t->len[i]);
                if (i >= t->nscope && t->id[i] == 34)
                    d->interval = (uint32_t)v;
                if (i >= t->nscope && t->id[i] == 35)
                    d->samp_algo = (int)v;
                o += t->len[i];
            }
            d->opt_records++;
            continue;
        }
        drec *r = &d->r[d->n++];
        memset(r, 0, sizeof *r);
        r->tid = (int)tid;
        r->interval = d->interval;
        r->samp_algo = d->samp_algo;
        for (int i = 0; i < t->n; i++) {
            const uint8_t *q = p + o;
            unsigned l = t->len[i];
            if (l == 65535) {
                l = q[0];
                q++;
                o++;
                if (l == 255) {
                    l = g16(q);
                    q += 2;
                    o += 2;
                }
            }
            uint64_t v = l <= 8 ? gn(q, l) : 0;
            if (t->pen[i] == 32473) {
                r->ext = 1;
                switch (t->id[i]) {
                case 1: r->weight = gd(q); break;
                case 2: r->q = gd(q); break;
                case 3: r->pslice = gd(q); break;
                case 4: r->pend = gd(q); break;
                case 5: r->first_pkts = (uint32_t)v; break;
                case 6: r->syn = (uint32_t)v; break;
                case 7:
                    r->npairs = l / 8;
                    for (unsigned j = 0; j < r->npairs && j < 8; j++) {
                        r->pk[j] = g32(q + 8 * j);
                        r->by[j] = g32(q + 8 * j + 4);
                    }
                    break;
                default: DFAIL(d, "unknown enterprise element %u", t->id[i]);
                }
            } else if (t->pen[i]) {
                DFAIL(d, "enterprise number %u", t->pen[i]);
            } else {
                switch (t->id[i]) {
                case 8: memcpy(r->src + 12, q, 4); break;
                case 12: memcpy(r->dst + 12, q, 4); break;
                case 27: memcpy(r->src, q, 16); r->v6 = 1; break;
                case 28: memcpy(r->dst, q, 16); break;
                case 7: r->sport = (unsigned)v; break;
                case 11: r->dport = (unsigned)v; break;
                case 4: r->proto = (unsigned)v; break;
                case 5: r->tos = (unsigned)v; break;
                case 6: r->flags = (unsigned)v; break;
                case 2: r->pkts = v; break;
                case 1: r->bytes = v; break;
                case 22: r->first_ms = boot_ms + (int64_t)v; break;
                case 21: r->last_ms = boot_ms + (int64_t)v; break;
                case 152: r->first_ms = (int64_t)v; break;
                case 153: r->last_ms = (int64_t)v; break;
                case 136: r->reason = (unsigned)v; r->has_reason = 1; break;
                case 58: r->vlan = (unsigned)v; break;
                default: DFAIL(d, "unknown element %u", t->id[i]);
                }
            }
            o += l;
        }
    }
    if (!ipfix && len - o >= 4)
        DFAIL(d, "v9 flowset padding of %zu bytes", len - o);
    if (ipfix && o != len)
        DFAIL(d, "IPFIX set: %zu bytes left over", len - o);
}

/* One v9 or IPFIX datagram; returns its length. v9 datagrams in a file are
 * delimited by the next header (version 9 is no valid flowset id). */
static size_t dec_v9ipfix(dec *d, const uint8_t *p, size_t len, int ipfix)
{
    size_t hl = ipfix ? 16 : 20;
    if (len < hl || g16(p) != (ipfix ? 10u : 9u)) {
        DFAIL(d, "bad header");
        return len;
    }
    size_t end = ipfix ? g16(p + 2) : len;
    if (end > len || end < hl) {
        DFAIL(d, "IPFIX length %zu", end);
        return len;
    }
    uint32_t seq = ipfix ? g32(p + 8) : g32(p + 12);
    if (seq != (uint32_t)d->seq_expect)
        DFAIL(d, "sequence %u, expected %llu", seq, (unsigned long long)d->seq_expect);
    uint32_t dom = ipfix ? g32(p + 12) : g32(p + 16);
    if (dom != 7)
        DFAIL(d, "source id / domain %u", dom);
    int64_t boot_ms = 0;
    if (!ipfix)
        boot_ms = (int64_t)g32(p + 8) * 1000 - g32(p + 4);
    int n0 = d->n, o0 = d->opt_records, t0 = d->tmpl_records;
    size_t o = hl;
    while (o + 4 <= end) {
        unsigned id = g16(p + o), sl = g16(p + o + 2);
        if (!ipfix && id == 9)
            break;   /* the next datagram */
        if (sl < 4 || o + sl > end) {
            DFAIL(d, "set length %u", sl);
            return len;
        }
        if (!ipfix && sl % 4)
            DFAIL(d, "v9 flowset length %u not padded", sl);
        if (id == (ipfix ? 2u : 0u))
            dec_template(d, p + o + 4, sl - 4u, ipfix, 0);
        else if (id == (ipfix ? 3u : 1u))
            dec_template(d, p + o + 4, sl - 4u, ipfix, 1);
        else if (id >= 256)
            dec_data(d, p + o + 4, sl - 4u, id, ipfix, boot_ms);
        else
            DFAIL(d, "set id %u", id);
        o += sl;
    }
    if (!ipfix) {
        unsigned count = g16(p + 2);
        int got = (d->n - n0) + (d->opt_records - o0) + (d->tmpl_records - t0);
        if ((int)count != got)
            DFAIL(d, "v9 count %u, records %d", count, got);
        d->seq_expect++;
    } else {
        d->seq_expect += (uint64_t)(d->n - n0) + (uint64_t)(d->opt_records - o0);
    }
    return o;
}

/* Decodes a whole file of back-to-back datagrams. */
static void dec_file(dec *d, const char *path, int fmt)
{
    memset(d, 0, sizeof *d);
    d->interval = 1;
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    d->bytes = len;
    size_t o = 0;
    while (o < len && !d->errors) {
        size_t n = fmt == FS_EXP_V5 ? dec_v5(d, buf + o, len - o)
                                    : dec_v9ipfix(d, buf + o, len - o, fmt == FS_EXP_IPFIX);
        if (n > d->max_dgram)
            d->max_dgram = n;
        o += n;
        d->datagrams++;
    }
    CHECK_EQ_I(d->errors, 0);
}

static const drec *find(const dec *d, unsigned sport)
{
    for (int i = 0; i < d->n; i++)
        if (d->r[i].sport == sport)
            return &d->r[i];
    return NULL;
}

static int64_t ms(fs_ns t)
{
    return t / FS_NS_PER_MS;
}

/* A decoded record against the record given to the exporter. */
static void check_rec(const dec *d, int fmt, const fs_record *r, uint32_t interval)
{
    const drec *x = find(d, r->key.sport);
    int v6 = (r->key.flags & FS_KEY_V6) != 0;
    if (fmt == FS_EXP_V5 && v6) {
        CHECK(x == NULL);   /* v5 carries no IPv6 */
        return;
    }
    CHECK(x != NULL);
    if (!x)
        return;
    CHECK_EQ_I(x->v6, fmt == FS_EXP_V5 ? 0 : v6);
    CHECK(memcmp(x->src + (v6 ? 0 : 12), r->key.src + (v6 ? 0 : 12), v6 ? 16 : 4) == 0);
    CHECK(memcmp(x->dst + (v6 ? 0 : 12), r->key.dst + (v6 ? 0 : 12), v6 ? 16 : 4) == 0);
    CHECK_EQ_U(x->dport, r->key.dport);
    CHECK_EQ_U(x->proto, r->key.proto);
    CHECK_EQ_U(x->tos, r->key.tos);
    CHECK_EQ_U(x->flags, r->tcp_flags);
    CHECK_EQ_U(x->pkts, fmt == FS_EXP_V5 && r->pkts > UINT32_MAX ? UINT32_MAX : r->pkts);
    CHECK_EQ_U(x->bytes, (uint64_t)floor(r->bytes + 0.5));
    CHECK_EQ_I(x->first_ms, ms(r->first));
    CHECK_EQ_I(x->last_ms, ms(r->last));
    CHECK_EQ_U(x->interval, interval);
    if (fmt != FS_EXP_V5) {
        CHECK_EQ_U(x->vlan, r->key.vlan);
        CHECK_EQ_I(x->tid, 257 + fs_wire_kind(fmt, r));
    }
    if (fmt == FS_EXP_IPFIX) {
        static const unsigned code[] = {3, 3, 1, 2, 5, 4, 2, 2};   /* fs.h reason order */
        CHECK(x->has_reason);
        CHECK_EQ_U(x->reason, code[r->reason]);
    }
}

/* Runs records through an exporter writing all three formats into dir;
 * checks sizes against the model and returns the exporter (caller frees). */
static void run_export(fs_exporter *x, fs_acct *a, const char *dir, const fs_record *recs,
                       int n, uint64_t mtu, uint64_t refresh, int l3)
{
    fs_acct_init(a, NULL, NULL);
    fs_export_cfg cfg = {FS_EXP_IPFIX, mtu, FS_NS_PER_S, refresh, l3};
    fs_exporter_init(x, &cfg, a);
    char d5[256], d9[256], dx[256], err[256] = "";
    snprintf(d5, sizeof d5, "v5:file:%s/x.v5", dir);
    snprintf(d9, sizeof d9, "v9:file:%s/x.v9", dir);
    snprintf(dx, sizeof dx, "ipfix:file:%s/x.ipfix", dir);
    const char *dests[] = {d5, d9, dx};
    CHECK_EQ_I(fs_exporter_open(x, dests, 3, 7, 2, err, sizeof err), 0);
    fs_exporter_advance(x, recs[0].first);
    for (int i = 0; i < n; i++) {
        fs_exporter_advance(x, recs[i].exported);
        fs_exporter_record(x, &recs[i]);
    }
    fs_exporter_finish(x, recs[n - 1].exported + 10 * FS_NS_PER_S);
    CHECK_EQ_I(fs_exporter_close(x, err, sizeof err), 0);
}

static uint64_t file_size(const char *dir, const char *name)
{
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return UINT64_MAX;
    fseek(f, 0, SEEK_END);
    long s = ftell(f);
    fclose(f);
    return (uint64_t)s;
}

static void rm_files(const char *dir)
{
    char p[300];
    const char *names[] = {"x.v5", "x.v9", "x.ipfix"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        remove(p);
    }
}

static void decode_all(const char *dir, dec *d, int f)
{
    static const char *names[] = {"x.v5", "x.v9", "x.ipfix"};
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, names[f]);
    dec_file(d, p, f);
}

/* IPv4 and IPv6 records, VLANs, every reason, a counter beyond 32 bits:
 * every field of every record decodes back in all three formats, the
 * bytes and datagrams written are the model's, sequence numbers count
 * what they should, and templates come back every template_refresh. */
TEST(export_wire_fields)
{
    static fs_record recs[NREC];
    for (int i = 0; i < NREC; i++)
        make_rec(&recs[i], i, T0 + (fs_ns)i * (FS_NS_PER_S / 4));
    char dir[64];
    pcapw_tmpdir(dir, sizeof dir);
    fs_exporter x;
    fs_acct a;
    run_export(&x, &a, dir, recs, NREC, 1500, 4, 0);
    static dec d;
    const char *names[] = {"x.v5", "x.v9", "x.ipfix"};
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        CHECK_EQ_U(file_size(dir, names[f]), x.lane[f].bytes);
        decode_all(dir, &d, f);
        CHECK_EQ_U(d.bytes, x.lane[f].bytes);
        CHECK_EQ_I(d.datagrams, (int)x.lane[f].datagrams);
        CHECK_EQ_I(d.n, (int)x.lane[f].records);
        CHECK_EQ_I(d.n, f == FS_EXP_V5 ? NREC - NREC / 3 : NREC);
        CHECK_EQ_I(d.opt_records, 0);   /* not sampled: no options */
        for (int i = 0; i < NREC; i++)
            check_rec(&d, f, &recs[i], 1);
        if (f == FS_EXP_V9) {
            /* 2 base templates + the VLAN kinds, first and every 4th datagram */
            CHECK(d.tmpl_records >= 2 * (int)((x.lane[f].datagrams + 3) / 4));
        }
        if (f == FS_EXP_IPFIX)
            CHECK(d.r[0].ext == 0);     /* plain records carry no enterprise element */
    }
    /* the pipeline's format (ipfix here) feeds the accountant */
    CHECK_EQ_U(a.exp_bytes, x.lane[FS_EXP_IPFIX].bytes);
    CHECK_EQ_U(x.v5_ipv6_records, NREC / 3);
    fs_exporter_free(&x);
    rm_files(dir);
    pcapw_rmdir(dir);
}

/* Small MTU: datagrams of at most mtu - 28 bytes, and
 * export_l3 counts 28 bytes per datagram that the files do not hold. */
TEST(export_wire_mtu)
{
    static fs_record recs[NREC];
    for (int i = 0; i < NREC; i++) {
        make_rec(&recs[i], i, T0 + (fs_ns)i * 1000);   /* all within export_delay */
        recs[i].exported = T0 + 5 * FS_NS_PER_S;
        recs[i].key.vlan = 0;
    }
    char dir[64];
    pcapw_tmpdir(dir, sizeof dir);
    fs_exporter x;
    fs_acct a;
    run_export(&x, &a, dir, recs, NREC, 576, 20, 1);
    static dec d;
    const char *names[] = {"x.v5", "x.v9", "x.ipfix"};
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        decode_all(dir, &d, f);
        CHECK_EQ_U(file_size(dir, names[f]) + 28 * x.lane[f].datagrams, x.lane[f].bytes);
        CHECK(d.max_dgram <= 576 - 28);
        CHECK(x.lane[f].datagrams > 1);
        for (int i = 0; i < NREC; i++)
            check_rec(&d, f, &recs[i], 1);
    }
    /* 60 IPv4 records; 548 bytes hold 24 + 10 x 48: 10 per v5 datagram */
    CHECK_EQ_U(x.lane[FS_EXP_V5].datagrams, 6);
    fs_exporter_free(&x);
    /* a large MTU: v5 stops at 30 records */
    run_export(&x, &a, dir, recs, NREC, 9000, 20, 0);
    decode_all(dir, &d, FS_EXP_V5);
    CHECK_EQ_I(d.max_v5, 30);
    CHECK_EQ_U(x.lane[FS_EXP_V5].datagrams, 2);
    fs_exporter_free(&x);
    rm_files(dir);
    pcapw_rmdir(dir);
}

/* Packet sampling: v5's header carries the interval and mode; v9/IPFIX an
 * options template and data record (samplingInterval 34, samplingAlgorithm
 * 35) before the records, again when the interval changes; records of two
 * intervals never share a datagram. */
TEST(export_wire_sampling)
{
    static fs_record recs[NREC];
    for (int i = 0; i < NREC; i++) {
        make_rec(&recs[i], i, T0 + (fs_ns)i * (FS_NS_PER_S / 100));
        recs[i].q_pkt = i < NREC / 2 ? 0.1 : 0.01;
    }
    char dir[64];
    pcapw_tmpdir(dir, sizeof dir);
    fs_exporter x;
    fs_acct a;
    run_export(&x, &a, dir, recs, NREC, 1500, 1000, 0);
    static dec d;
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        decode_all(dir, &d, f);
        CHECK_EQ_U(d.bytes, x.lane[f].bytes);
        for (int i = 0; i < NREC; i++)
            check_rec(&d, f, &recs[i], i < NREC / 2 ? 10 : 100);
        if (f == FS_EXP_V5) {
            CHECK_EQ_I(d.r[0].samp_algo, 2);       /* random */
        } else {
            CHECK_EQ_I(d.opt_records, 2);          /* 1/10, then 1/100 */
            CHECK_EQ_I(d.r[0].samp_algo, 2);
            CHECK_EQ_I(d.r[0].ext, 0);             /* 1/N: no enterprise element */
        }
    }
    fs_exporter_free(&x);
    rm_files(dir);
    pcapw_rmdir(dir);
}

/* v5/v9: a record with Flow Slices' bin pairs travels as one record per
 * pair with packets, each with that pair's counters and the record's key,
 * times and flags (export.h). */
static void check_pieces(const dec *d, int fmt, const fs_record *r, uint32_t interval)
{
    uint32_t k = 0, n = 0;
    for (int i = 0; i < d->n; i++) {
        const drec *x = &d->r[i];
        if (x->sport != r->key.sport)
            continue;
        n++;
        while (k < r->n_bins && !r->bin_pkts[k])
            k++;
        CHECK(k < r->n_bins);
        if (k >= r->n_bins)
            return;
        CHECK_EQ_U(x->pkts, r->bin_pkts[k]);
        CHECK_EQ_U(x->bytes, (uint64_t)floor(r->bin_bytes[k] + 0.5));
        CHECK_EQ_I(x->first_ms, ms(r->first));
        CHECK_EQ_I(x->last_ms, ms(r->last));
        CHECK_EQ_U(x->flags, r->tcp_flags);
        CHECK_EQ_U(x->interval, interval);
        CHECK_EQ_I(x->tid, fmt == FS_EXP_V5 ? x->tid : 257 + fs_wire_kind(fmt, r));
        k++;
    }
    uint32_t used = 0;
    for (uint32_t j = 0; j < r->n_bins; j++)
        used += r->bin_pkts[j] != 0;
    CHECK_EQ_U(n, used);
}

/* Records with weights and probabilities (adaptive algorithms, record
 * stages) and Flow Slices' bin pairs: IPFIX carries them as enterprise
 * elements of PEN 32473, v9 and v5 the standard fields only, and a record
 * with pairs as one record per pair with packets (one pair is empty here). */
TEST(export_wire_enterprise)
{
    static fs_record recs[12];
    for (int i = 0; i < 12; i++) {
        make_rec(&recs[i], i, T0 + (fs_ns)i * FS_NS_PER_S);
        if (i % 2) {
            recs[i].weight = 2.5;
            recs[i].p_slice = 0.125;
            recs[i].p_end = 0.5;
            recs[i].q_pkt = 0.3;     /* not 1/N: sent exactly */
            recs[i].first_pkts = 2;
            recs[i].syn_pkts = 3;
        }
        if (i % 4 == 1 || i % 4 == 2) {
            recs[i].n_bins = 3;
            for (int j = 0; j < 3; j++) {
                pairs_pk[i][j] = i == 2 && j == 1 ? 0 : (uint32_t)(10 * i + j);
                pairs_by[i][j] = 1000.0 * i + j + 0.25;
            }
            recs[i].bin_pkts = pairs_pk[i];
            recs[i].bin_bytes = pairs_by[i];
        }
    }
    char dir[64];
    pcapw_tmpdir(dir, sizeof dir);
    fs_exporter x;
    fs_acct a;
    run_export(&x, &a, dir, recs, 12, 1500, 20, 0);
    static dec d;
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        decode_all(dir, &d, f);
        CHECK_EQ_U(d.bytes, x.lane[f].bytes);
        for (int i = 0; i < 12; i++) {
            if (f != FS_EXP_IPFIX && recs[i].n_bins > 1) {
                if (!(f == FS_EXP_V5 && (recs[i].key.flags & FS_KEY_V6)))
                    check_pieces(&d, f, &recs[i], i % 2 ? 3 : 1);
                continue;
            }
            check_rec(&d, f, &recs[i], i % 2 ? 3 : 1);
            const drec *r = find(&d, recs[i].key.sport);
            if (!r || f != FS_EXP_IPFIX)
                continue;
            CHECK_EQ_I(r->ext, (i % 2) || recs[i].n_bins > 1);
            if (i % 2) {
                CHECK(r->weight == 2.5 && r->pslice == 0.125 && r->pend == 0.5 && r->q == 0.3);
                CHECK_EQ_U(r->first_pkts, 2);
                CHECK_EQ_U(r->syn, 3);
            }
            CHECK_EQ_U(r->npairs, recs[i].n_bins > 1 ? 3 : 0);
            for (unsigned j = 0; j < r->npairs && j < 3; j++) {
                CHECK_EQ_U(r->pk[j], pairs_pk[i][j]);
                CHECK_EQ_U(r->by[j], (uint32_t)(1000 * i + (int)j));
            }
        }
    }
    /* export_records counts the meter's 12 records in every format (v5's
     * IPv6 ones too, export.h); the v9 lane sends the 6 records with pairs
     * as 5 x 3 + 2 = 17 pieces */
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        fs_exporter y;
        fs_acct b;
        fs_acct_init(&b, NULL, NULL);
        fs_export_cfg cfg = {f, 1500, FS_NS_PER_S, 20, 0};
        fs_exporter_init(&y, &cfg, &b);
        fs_exporter_advance(&y, recs[0].first);
        for (int i = 0; i < 12; i++) {
            fs_exporter_advance(&y, recs[i].exported);
            fs_exporter_record(&y, &recs[i]);
        }
        fs_exporter_finish(&y, recs[11].exported + 10 * FS_NS_PER_S);
        CHECK_EQ_U(b.exp_records, 12);
        CHECK_EQ_U(y.lane[f].bytes, x.lane[f].bytes);
        if (f == FS_EXP_IPFIX)
            CHECK_EQ_U(y.lane[f].records, 12);
        else if (f == FS_EXP_V9)
            CHECK_EQ_U(y.lane[f].records, 12 - 6 + 17);
        fs_exporter_free(&y);
    }
    fs_exporter_free(&x);
    rm_files(dir);
    pcapw_rmdir(dir);
}

/* The model alone (no destination) counts the same bytes as with one: the
 * encoder changes nothing in the metrics. */
TEST(export_wire_model_unchanged)
{
    static fs_record recs[NREC];
    for (int i = 0; i < NREC; i++)
        make_rec(&recs[i], i, T0 + (fs_ns)i * (FS_NS_PER_S / 3));
    char dir[64];
    pcapw_tmpdir(dir, sizeof dir);
    fs_exporter x, y;
    fs_acct a, b;
    run_export(&x, &a, dir, recs, NREC, 1500, 5, 0);
    fs_acct_init(&b, NULL, NULL);
    fs_export_cfg cfg = {FS_EXP_IPFIX, 1500, FS_NS_PER_S, 5, 0};
    fs_exporter_init(&y, &cfg, &b);
    fs_exporter_advance(&y, recs[0].first);
    for (int i = 0; i < NREC; i++) {
        fs_exporter_advance(&y, recs[i].exported);
        fs_exporter_record(&y, &recs[i]);
    }
    fs_exporter_finish(&y, recs[NREC - 1].exported + 10 * FS_NS_PER_S);
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        CHECK_EQ_U(x.lane[f].bytes, y.lane[f].bytes);
        CHECK_EQ_U(x.lane[f].datagrams, y.lane[f].datagrams);
    }
    fs_exporter_free(&x);
    fs_exporter_free(&y);
    rm_files(dir);
    pcapw_rmdir(dir);
}

/* FORMAT:DEST parsing: what is accepted and the one-line errors. */
TEST(export_dest_parse)
{
    int f, d;
    char t[300], e[300];
    CHECK_EQ_I(fs_wire_dest_parse("ipfix:udp://127.0.0.1:9995", &f, &d, t, sizeof t, e, sizeof e), 0);
    CHECK_EQ_I(f, FS_EXP_IPFIX);
    CHECK_EQ_I(d, FS_DEST_UDP);
    CHECK_STR(t, "127.0.0.1:9995");
    CHECK_EQ_I(fs_wire_dest_parse("v9:udp://[::1]:2055", &f, &d, t, sizeof t, e, sizeof e), 0);
    CHECK_STR(t, "[::1]:2055");
    CHECK_EQ_I(fs_wire_dest_parse("ipfix:file:out.ipfix", &f, &d, t, sizeof t, e, sizeof e), 0);
    CHECK_EQ_I(d, FS_DEST_FILE);
    CHECK_STR(t, "out.ipfix");
    CHECK_EQ_I(fs_wire_dest_parse("jsonl:-", &f, &d, t, sizeof t, e, sizeof e), 0);
    CHECK_EQ_I(f, FS_OUT_JSONL);
    CHECK_EQ_I(d, FS_DEST_STDOUT);
    CHECK_EQ_I(fs_wire_dest_parse("csv:file:r.csv", &f, &d, t, sizeof t, e, sizeof e), 0);
    CHECK_EQ_I(f, FS_OUT_CSV);
    static const char *bad[] = {"ipfix", "v10:-", "ipfix:udp://::1:2055", "v9:udp://[::1]2055",
                                "v9:udp://h:0", "v9:udp://h:70000", "v9:udp://h:", "jsonl:udp://h:1",
                                "v5:tcp://h:1", "v5:file:", "v5:udp://:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e[0] = 0;
        CHECK_EQ_I(fs_wire_dest_parse(bad[i], &f, &d, t, sizeof t, e, sizeof e), -1);
        CHECK(strstr(e, bad[i]) != NULL && !strchr(e, '\n'));
    }
}
