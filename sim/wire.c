/* flowsim — NetFlow v5/v9 and IPFIX templates, datagram sizes and encoder
 * (see wire.h for the formats, and why they are encoded by hand).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "wire.h"

#include <math.h>
#include <string.h>

/* ---- the field tables: one source for sizes and bytes ----------------------- */
enum src {
    F_SRC4, F_DST4, F_SRC6, F_DST6, F_SPORT, F_DPORT, F_PROTO, F_TOS, F_FLAGS, F_PKTS,
    F_BYTES, F_FIRST_UP, F_LAST_UP, F_FIRST_MS, F_LAST_MS, F_REASON, F_VLAN, F_WEIGHT,
    F_QPKT, F_PSLICE, F_PEND, F_FIRSTPKTS, F_SYNPKTS, F_BINS,
};
#define VARLEN 65535u

typedef struct wie {
    uint16_t id, len;   /* element id; length in bytes, VARLEN: variable */
    uint8_t  ent;       /* enterprise element (FS_WIRE_PEN)              */
    uint8_t  src;       /* enum src: what the field holds                */
} wie;

static const wie addr4[] = {{8, 4, 0, F_SRC4}, {12, 4, 0, F_DST4}};
static const wie addr6[] = {{27, 16, 0, F_SRC6}, {28, 16, 0, F_DST6}};
static const wie v9_common[] = {
    {7, 2, 0, F_SPORT}, {11, 2, 0, F_DPORT}, {4, 1, 0, F_PROTO}, {5, 1, 0, F_TOS},
    {6, 1, 0, F_FLAGS}, {2, 8, 0, F_PKTS}, {1, 8, 0, F_BYTES}, {22, 4, 0, F_FIRST_UP},
    {21, 4, 0, F_LAST_UP},
};
static const wie ipfix_common[] = {
    {7, 2, 0, F_SPORT}, {11, 2, 0, F_DPORT}, {4, 1, 0, F_PROTO}, {5, 1, 0, F_TOS},
    {6, 2, 0, F_FLAGS},                       /* tcpControlBits is 2 bytes (RFC 7125) */
    {2, 8, 0, F_PKTS}, {1, 8, 0, F_BYTES}, {152, 8, 0, F_FIRST_MS}, {153, 8, 0, F_LAST_MS},
    {136, 1, 0, F_REASON},
};
static const wie vlan[] = {{58, 2, 0, F_VLAN}};
static const wie ext[] = {
    {1, 8, 1, F_WEIGHT}, {2, 8, 1, F_QPKT}, {3, 8, 1, F_PSLICE}, {4, 8, 1, F_PEND},
    {5, 4, 1, F_FIRSTPKTS}, {6, 4, 1, F_SYNPKTS},
};
static const wie bins[] = {{7, VARLEN, 1, F_BINS}};

#define NELEM(a) (sizeof a / sizeof a[0])
#define MAX_FIELDS 24

typedef struct tmpl {
    wie      f[MAX_FIELDS];
    int      n;
    uint32_t fixed;      /* bytes of the fixed-length fields  */
    uint32_t spec;       /* bytes of the template record      */
    int      varlen;     /* has the bin counters              */
} tmpl;

static tmpl tmpls[FS_EXP__COUNT][FS_WK__COUNT];
static int tmpls_ready;

static void add(tmpl *t, const wie *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        t->f[t->n++] = f[i];
        t->spec += f[i].ent ? 8 : 4;
        if (f[i].len == VARLEN)
            t->varlen = 1;
        else
            t->fixed += f[i].len;
    }
}

static void init_tmpls(void)
{
    if (tmpls_ready)
        return;
    for (int fmt = FS_EXP_V9; fmt <= FS_EXP_IPFIX; fmt++)
        for (int k = 0; k < FS_WK__COUNT; k++) {
            tmpl *t = &tmpls[fmt][k];
            t->spec = 4;
            if (fmt == FS_EXP_V9 && (k & (FS_WK_EXT | FS_WK_BINS)))
                continue;   /* v9 has no such kinds */
            add(t, k & FS_WK_V6 ? addr6 : addr4, 2);
            if (fmt == FS_EXP_V9)
                add(t, v9_common, NELEM(v9_common));
            else
                add(t, ipfix_common, NELEM(ipfix_common));
            if (k & FS_WK_VLAN)
                add(t, vlan, NELEM(vlan));
            if (k & FS_WK_EXT)
                add(t, ext, NELEM(ext));
            if (k & FS_WK_BINS)
                add(t, bins, NELEM(bins));
        }
    tmpls_ready = 1;
}

enum {
    V5_HEADER = 24, V9_HEADER = 20, IPFIX_HEADER = 16,
    V9_OPT_TMPL = 24,      /* 4 + 6 + scope (1,4) + (34,4) (35,1) = 22, padded  */
    V9_OPT_DATA = 16,      /* 4 + scope 4 + 4 + 1 = 13, padded                  */
    IPFIX_OPT_TMPL = 22,   /* 4 + 6 + (149,4) (34,4) (35,1)                     */
    IPFIX_OPT_DATA = 13,   /* 4 + 4 + 4 + 1                                     */
};

static uint32_t pad4(uint64_t n)
{
    return (uint32_t)((n + 3u) & ~(uint64_t)3u);
}

uint32_t fs_wire_interval(const fs_record *r)
{
    double q = r->q_pkt;
    if (!(q < 1.0))
        return 1;
    if (!(q > 0.0) || 1.0 / q >= 4294967295.0)
        return UINT32_MAX;
    double n = floor(1.0 / q + 0.5);
    return n < 1 ? 1 : (uint32_t)n;
}

static int needs_ext(const fs_record *r)
{
    if (r->weight != 1.0 || r->p_slice != 1.0 || r->p_end != 1.0 || r->first_pkts)
        return 1;
    if (r->q_pkt < 1.0)
        return fabs(r->q_pkt * (double)fs_wire_interval(r) - 1.0) > 1e-9;
    return r->q_pkt != 1.0;   /* above 1 or nan */
}

int fs_wire_kind(int fmt, const fs_record *r)
{
    int v6 = (r->key.flags & FS_KEY_V6) != 0;
    if (fmt == FS_EXP_V5)
        return v6 ? -1 : 0;
    int k = (v6 ? FS_WK_V6 : 0) | (r->key.vlan ? FS_WK_VLAN : 0);
    if (fmt == FS_EXP_IPFIX) {
        if (needs_ext(r))
            k |= FS_WK_EXT;
        if (r->n_bins > 1)
            k |= FS_WK_BINS;
    }
    return k;
}

static uint32_t npairs(const fs_record *r)
{
    return r->n_bins > FS_WIRE_MAX_PAIRS ? FS_WIRE_MAX_PAIRS : r->n_bins;
}

/* Bytes of the variable-length bin counters, with their length prefix. */
static uint32_t bins_size(const fs_record *r)
{
    uint32_t l = FS_WIRE_PAIR * npairs(r);
    return l + (l < 255 ? 1u : 3u);
}

uint32_t fs_wire_record_size(int fmt, int kind, const fs_record *r)
{
    if (fmt == FS_EXP_V5)
        return FS_WIRE_V5_RECORD;
    init_tmpls();
    const tmpl *t = &tmpls[fmt][kind];
    return t->fixed + (t->varlen ? bins_size(r) : 0);
}

uint32_t fs_wire_base_kinds(int fmt)
{
    return fmt == FS_EXP_V5 ? 0 : (1u << 0) | (1u << FS_WK_V6);
}

uint64_t fs_wire_plan_size(int fmt, const fs_wire_plan *p)
{
    if (fmt == FS_EXP_V5)
        return V5_HEADER + (uint64_t)FS_WIRE_V5_RECORD * p->nrec;
    init_tmpls();
    int v9 = fmt == FS_EXP_V9;
    uint64_t s = v9 ? V9_HEADER : IPFIX_HEADER;
    if (p->tmpl) {
        s += FS_WIRE_SET_HEADER;
        for (int k = 0; k < FS_WK__COUNT; k++)
            if (p->tmpl & (1u << k))
                s += tmpls[fmt][k].spec;
    }
    if (p->opt_tmpl)
        s += v9 ? V9_OPT_TMPL : IPFIX_OPT_TMPL;
    if (p->opt_data)
        s += v9 ? V9_OPT_DATA : IPFIX_OPT_DATA;
    for (int k = 0; k < FS_WK__COUNT; k++)
        if (p->n[k]) {
            uint64_t set = FS_WIRE_SET_HEADER + p->bytes[k];
            s += v9 ? pad4(set) : set;
        }
    return s;
}

uint64_t fs_wire_plan_delta(int fmt, const fs_wire_plan *p, int kind, uint32_t size,
                            int with_tmpl)
{
    if (fmt == FS_EXP_V5)
        return FS_WIRE_V5_RECORD;
    init_tmpls();
    uint64_t d = 0;
    if (with_tmpl && !(p->tmpl & (1u << kind)))
        d += (p->tmpl ? 0 : FS_WIRE_SET_HEADER) + tmpls[fmt][kind].spec;
    uint64_t before = p->n[kind] ? FS_WIRE_SET_HEADER + p->bytes[kind] : 0;
    uint64_t after = FS_WIRE_SET_HEADER + p->bytes[kind] + size;
    if (fmt == FS_EXP_V9)
        return d + pad4(after) - (before ? pad4(before) : 0);
    return d + after - before;
}

void fs_wire_plan_add(int fmt, fs_wire_plan *p, int kind, uint32_t size, int with_tmpl)
{
    p->size += fs_wire_plan_delta(fmt, p, kind, size, with_tmpl);
    if (with_tmpl && fmt != FS_EXP_V5)
        p->tmpl |= 1u << kind;
    p->n[kind]++;
    p->bytes[kind] += size;
    p->nrec++;
}

/* ---- the encoder --------------------------------------------------------------------- */
typedef struct wbuf {
    uint8_t *p;
    size_t   n, cap;
    int      over;
} wbuf;

static void put(wbuf *b, const void *v, size_t n)
{
    if (b->n + n > b->cap) {
        b->over = 1;
        return;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put8(wbuf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put16(wbuf *b, unsigned v)
{
    uint8_t c[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(b, c, 2);
}

static void put32(wbuf *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, c, 4);
}

static void put64(wbuf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

static void putf64(wbuf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put64(b, v);
}

static void put_zero(wbuf *b, size_t n)
{
    while (n--)
        put8(b, 0);
}

/* Rewrites a 16-bit length at offset at. */
static void set16(wbuf *b, size_t at, size_t v)
{
    if (!b->over && at + 2 <= b->n) {
        b->p[at] = (uint8_t)(v >> 8);
        b->p[at + 1] = (uint8_t)v;
    }
}

static int64_t floordiv(int64_t a, int64_t d)
{
    int64_t q = a / d;
    return (a % d != 0 && (a < 0) != (d < 0)) ? q - 1 : q;
}

static uint64_t u64_of(double x)
{
    if (!(x > 0))
        return 0;
    if (x >= 18446744073709551615.0)
        return UINT64_MAX;
    return (uint64_t)(x + 0.5);
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static unsigned reason_code(int reason)
{
    switch (reason) {
    case FS_REASON_INACTIVE: return 1;
    case FS_REASON_FIN: case FS_REASON_RST: return 3;
    case FS_REASON_FLUSH: return 4;
    case FS_REASON_EMERGENCY: return 5;
    default: return 2;  /* active, bin, slice */
    }
}

/* milliseconds since boot (v5/v9 First/Last), 32 bits */
static uint32_t uptime_ms(fs_ns t, fs_ns boot)
{
    int64_t d = floordiv(t, FS_NS_PER_MS) - floordiv(boot, FS_NS_PER_MS);
    return d < 0 ? 0 : (uint32_t)d;
}

static void put_field(wbuf *b, const wie *f, const fs_record *r, const fs_wire_dgram *d)
{
    const fs_key *k = &r->key;
    switch (f->src) {
    case F_SRC4: put(b, k->src + 12, 4); break;
    case F_DST4: put(b, k->dst + 12, 4); break;
    case F_SRC6: put(b, k->src, 16); break;
    case F_DST6: put(b, k->dst, 16); break;
    case F_SPORT: put16(b, k->sport); break;
    case F_DPORT: put16(b, k->dport); break;
    case F_PROTO: put8(b, k->proto); break;
    case F_TOS: put8(b, k->tos); break;
    case F_FLAGS:
        if (f->len == 1)
            put8(b, r->tcp_flags);
        else
            put16(b, r->tcp_flags);
        break;
    case F_PKTS: put64(b, r->pkts); break;
    case F_BYTES: put64(b, u64_of(r->bytes)); break;
    case F_FIRST_UP: put32(b, uptime_ms(r->first, d->boot)); break;
    case F_LAST_UP: put32(b, uptime_ms(r->last, d->boot)); break;
    case F_FIRST_MS: put64(b, (uint64_t)floordiv(r->first, FS_NS_PER_MS)); break;
    case F_LAST_MS: put64(b, (uint64_t)floordiv(r->last, FS_NS_PER_MS)); break;
    case F_REASON: put8(b, reason_code(r->reason)); break;
    case F_VLAN: put16(b, k->vlan); break;
    case F_WEIGHT: putf64(b, r->weight); break;
    case F_QPKT: putf64(b, r->q_pkt); break;
    case F_PSLICE: putf64(b, r->p_slice); break;
    case F_PEND: putf64(b, r->p_end); break;
    case F_FIRSTPKTS: put32(b, r->first_pkts); break;
    case F_SYNPKTS: put32(b, r->syn_pkts); break;
    case F_BINS: {
        uint32_t n = npairs(r), l = FS_WIRE_PAIR * n;
        if (l < 255) {
            put8(b, l);
        } else {
            put8(b, 255);
            put16(b, l);
        }
        for (uint32_t i = 0; i < n; i++) {
            put32(b, r->bin_pkts ? r->bin_pkts[i] : 0);
            put32(b, r->bin_bytes ? sat32(u64_of(r->bin_bytes[i])) : 0);
        }
        break;
    }
    }
}

static void encode_v5(const fs_wire_dgram *d, wbuf *b)
{
    const fs_wire_plan *p = d->plan;
    int64_t t_ms = floordiv(d->t, FS_NS_PER_MS);
    put16(b, 5);
    put16(b, p->nrec);
    put32(b, (uint32_t)(t_ms - floordiv(d->boot, FS_NS_PER_MS)));
    put32(b, (uint32_t)floordiv(d->t, FS_NS_PER_S));
    put32(b, (uint32_t)(d->t - floordiv(d->t, FS_NS_PER_S) * FS_NS_PER_S));
    put32(b, d->seq);
    put8(b, 0);                              /* engine_type */
    put8(b, d->source_id & 0xff);            /* engine_id   */
    unsigned si = 0;
    if (d->interval > 1)
        si = (d->samp_algo == 1 ? 1u : 2u) << 14 | (d->interval > 0x3fff ? 0x3fff : d->interval);
    put16(b, si);
    for (uint32_t i = 0; i < p->nrec; i++) {
        const fs_record *r = d->recs[i];
        put(b, r->key.src + 12, 4);
        put(b, r->key.dst + 12, 4);
        put_zero(b, 8);                      /* nexthop, input, output */
        put32(b, sat32(r->pkts));
        put32(b, sat32(u64_of(r->bytes)));
        put32(b, uptime_ms(r->first, d->boot));
        put32(b, uptime_ms(r->last, d->boot));
        put16(b, r->key.sport);
        put16(b, r->key.dport);
        put8(b, 0);
        put8(b, r->tcp_flags);
        put8(b, r->key.proto);
        put8(b, r->key.tos);
        put_zero(b, 8);                      /* src_as, dst_as, masks, pad2 */
    }
}

size_t fs_wire_encode(const fs_wire_dgram *d, uint8_t *buf, size_t cap)
{
    wbuf b = {buf, 0, cap, 0};
    const fs_wire_plan *p = d->plan;
    if (d->fmt == FS_EXP_V5) {
        encode_v5(d, &b);
        return b.over ? 0 : b.n;
    }
    init_tmpls();
    int v9 = d->fmt == FS_EXP_V9;
    /* header */
    uint32_t count = p->nrec + (p->opt_tmpl ? 1u : 0) + (p->opt_data ? 1u : 0);
    for (int k = 0; k < FS_WK__COUNT; k++)
        count += (p->tmpl >> k) & 1u;
    if (v9) {
        put16(&b, 9);
        put16(&b, count);
        int64_t secs = floordiv(d->t, FS_NS_PER_S);
        int64_t up = secs * 1000 - floordiv(d->boot, FS_NS_PER_MS);
        put32(&b, (uint32_t)(up < 0 ? 0 : up));
        put32(&b, (uint32_t)secs);
        put32(&b, d->seq);
        put32(&b, d->source_id);
    } else {
        put16(&b, 10);
        put16(&b, 0);                        /* length, set below */
        put32(&b, (uint32_t)floordiv(d->t, FS_NS_PER_S));
        put32(&b, d->seq);
        put32(&b, d->source_id);
    }
    /* templates */
    if (p->tmpl) {
        size_t at = b.n;
        put16(&b, v9 ? 0 : 2);
        put16(&b, 0);
        for (int k = 0; k < FS_WK__COUNT; k++) {
            if (!(p->tmpl & (1u << k)))
                continue;
            const tmpl *t = &tmpls[d->fmt][k];
            put16(&b, FS_WIRE_TID0 + (unsigned)k);
            put16(&b, (unsigned)t->n);
            for (int i = 0; i < t->n; i++) {
                put16(&b, t->f[i].id | (t->f[i].ent ? 0x8000u : 0));
                put16(&b, t->f[i].len);
                if (t->f[i].ent)
                    put32(&b, FS_WIRE_PEN);
            }
        }
        set16(&b, at + 2, b.n - at);
    }
    /* sampling options */
    if (p->opt_tmpl) {
        size_t at = b.n;
        if (v9) {
            put16(&b, 1);
            put16(&b, 0);
            put16(&b, FS_WIRE_OPT_TID);
            put16(&b, 4);                    /* scope length: one spec    */
            put16(&b, 8);                    /* options length: two specs */
            put16(&b, 1);                    /* scope System              */
            put16(&b, 4);
            put16(&b, 34);
            put16(&b, 4);
            put16(&b, 35);
            put16(&b, 1);
            put_zero(&b, 2);                 /* padding */
        } else {
            put16(&b, 3);
            put16(&b, 0);
            put16(&b, FS_WIRE_OPT_TID);
            put16(&b, 3);                    /* field count       */
            put16(&b, 1);                    /* scope field count */
            put16(&b, 149);
            put16(&b, 4);
            put16(&b, 34);
            put16(&b, 4);
            put16(&b, 35);
            put16(&b, 1);
        }
        set16(&b, at + 2, b.n - at);
    }
    if (p->opt_data) {
        size_t at = b.n;
        put16(&b, FS_WIRE_OPT_TID);
        put16(&b, 0);
        put32(&b, d->source_id);
        put32(&b, d->interval);
        put8(&b, d->samp_algo == 1 ? 1 : 2);
        if (v9)
            put_zero(&b, 3);
        set16(&b, at + 2, b.n - at);
    }
    /* data sets, one per kind, records in arrival order */
    for (int k = 0; k < FS_WK__COUNT; k++) {
        if (!p->n[k])
            continue;
        size_t at = b.n;
        put16(&b, FS_WIRE_TID0 + (unsigned)k);
        put16(&b, 0);
        const tmpl *t = &tmpls[d->fmt][k];
        for (uint32_t i = 0; i < p->nrec; i++) {
            const fs_record *r = d->recs[i];
            if (fs_wire_kind(d->fmt, r) != k)
                continue;
            for (int j = 0; j < t->n; j++)
                put_field(&b, &t->f[j], r, d);
        }
        if (v9)
            put_zero(&b, pad4(b.n - at) - (b.n - at));
        set16(&b, at + 2, b.n - at);
    }
    if (!v9)
        set16(&b, 2, b.n);
    return b.over ? 0 : b.n;
}
