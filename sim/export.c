/* flowsim — export model (see export.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "export.h"

#include <string.h>

const char *const fs_exp_fmt_names[] = {"v5", "v9", "ipfix", NULL};

/* Information elements of the flowsim templates: element id and length in
 * bytes. v9 ids are those of Cisco's NetFlow v9 (RFC 3954) field types;
 * IPFIX ids are IANA information elements (RFC 7012); both numbering schemes
 * agree for these fields. Counters are 8 bytes, so no record ever wraps. */
typedef struct ie { uint16_t id, len; } ie;

static const ie v9_v4[] = {
    {8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {5, 1}, {6, 1},  /* addrs, ports, proto, tos, flags */
    {2, 8}, {1, 8}, {22, 4}, {21, 4},                          /* pkts, bytes, first, last */
};
static const ie v9_v6[] = {
    {27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {5, 1}, {6, 1},
    {2, 8}, {1, 8}, {22, 4}, {21, 4},
};
static const ie ipfix_v4[] = {
    {8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {5, 1}, {6, 2},  /* tcpControlBits is 2 (RFC 7125) */
    {2, 8}, {1, 8}, {152, 8}, {153, 8}, {136, 1},              /* start/end ms, flowEndReason */
};
static const ie ipfix_v6[] = {
    {27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {5, 1}, {6, 2},
    {2, 8}, {1, 8}, {152, 8}, {153, 8}, {136, 1},
};

#define NELEM(a) (sizeof a / sizeof a[0])

static const struct tmpl { const ie *f; size_t n; } templates[FS_EXP__COUNT][2] = {
    [FS_EXP_V5] = {{NULL, 0}, {NULL, 0}},
    [FS_EXP_V9] = {{v9_v4, NELEM(v9_v4)}, {v9_v6, NELEM(v9_v6)}},
    [FS_EXP_IPFIX] = {{ipfix_v4, NELEM(ipfix_v4)}, {ipfix_v6, NELEM(ipfix_v6)}},
};

enum {
    V5_HEADER = 24, V5_RECORD = 48, V5_MAX_RECORDS = 30,
    V9_HEADER = 20, IPFIX_HEADER = 16, SET_HEADER = 4,
    TEMPLATE_HEADER = 4, FIELD_SPEC = 4, IPV4_UDP_HEADERS = 28,
};

uint32_t fs_export_record_size(int format, int v6)
{
    if (format == FS_EXP_V5)
        return V5_RECORD;
    uint32_t s = 0;
    const struct tmpl *t = &templates[format][v6];
    for (size_t i = 0; i < t->n; i++)
        s += t->f[i].len;
    return s;
}

static uint32_t header_size(int format)
{
    return format == FS_EXP_V5 ? V5_HEADER : format == FS_EXP_V9 ? V9_HEADER : IPFIX_HEADER;
}

/* The template set/flowset carrying both templates. */
static uint32_t template_set_size(int format)
{
    if (format == FS_EXP_V5)
        return 0;
    uint32_t s = SET_HEADER;
    for (int v6 = 0; v6 < 2; v6++)
        s += TEMPLATE_HEADER + FIELD_SPEC * (uint32_t)templates[format][v6].n;
    return s;
}

static uint32_t pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

enum { BIN_PAIR = 8 };

static uint64_t extra_bytes(const fs_record *r)
{
    return r->n_bins > 1 ? (uint64_t)BIN_PAIR * (r->n_bins - 1u) : 0;
}

/* Bytes of a datagram holding n[0] IPv4 and n[1] IPv6 records, plus extra[]
 * bytes of per-bin counter pairs. */
static uint64_t datagram_size(int f, const uint64_t n[2], const uint64_t extra[2], int with_tmpl)
{
    uint64_t s = header_size(f) + (with_tmpl ? template_set_size(f) : 0);
    if (f == FS_EXP_V5)
        return s + V5_RECORD * (n[0] + n[1]) + extra[0] + extra[1];
    for (int v6 = 0; v6 < 2; v6++) {
        if (!n[v6])
            continue;
        uint64_t set = SET_HEADER + n[v6] * fs_export_record_size(f, v6) + extra[v6];
        s += f == FS_EXP_V9 ? pad4((uint32_t)set) : set;
    }
    return s;
}

void fs_exporter_init(fs_exporter *x, const fs_export_cfg *cfg, fs_acct *acct)
{
    memset(x, 0, sizeof *x);
    x->cfg = *cfg;
    x->acct = acct;
}

static int needs_template(const fs_exporter *x, const fs_export_lane *l)
{
    return l->datagrams == 0 || l->since_template >= x->cfg.template_refresh;
}

static void send(fs_exporter *x, int f, fs_ns t)
{
    fs_export_lane *l = &x->lane[f];
    if (!l->cur_records)
        return;
    int tm = f != FS_EXP_V5 && needs_template(x, l);
    uint64_t bytes = datagram_size(f, l->cur_n, l->cur_extra, tm) +
                     (x->cfg.count_l3 ? IPV4_UDP_HEADERS : 0);
    l->since_template = tm ? 1 : l->since_template + 1;
    l->datagrams++;
    l->bytes += bytes;
    l->records += l->cur_records;
    if (f == x->cfg.format)
        fs_acct_export(x->acct, t, l->cur_records, bytes);
    l->cur_records = l->cur_n[0] = l->cur_n[1] = l->cur_extra[0] = l->cur_extra[1] = 0;
}

void fs_exporter_advance(fs_exporter *x, fs_ns t)
{
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        fs_export_lane *l = &x->lane[f];
        if (l->cur_records && x->cfg.max_delay != FS_NS_INF &&
            t >= l->cur_first + x->cfg.max_delay)
            send(x, f, l->cur_first + x->cfg.max_delay);
    }
}

void fs_exporter_record(fs_exporter *x, const fs_record *r)
{
    int v6 = (r->key.flags & FS_KEY_V6) != 0;
    fs_exporter_advance(x, r->exported);
    if (v6)
        x->v5_ipv6_records++;
    uint64_t cap = x->cfg.mtu > IPV4_UDP_HEADERS ? x->cfg.mtu - IPV4_UDP_HEADERS : 0;
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        fs_export_lane *l = &x->lane[f];
        uint64_t n[2] = {l->cur_n[0], l->cur_n[1]};
        uint64_t ex[2] = {l->cur_extra[0], l->cur_extra[1]};
        n[v6]++;
        ex[v6] += extra_bytes(r);
        int tm = f != FS_EXP_V5 && needs_template(x, l);
        if (l->cur_records && (datagram_size(f, n, ex, tm) > cap ||
                               (f == FS_EXP_V5 && l->cur_records >= V5_MAX_RECORDS)))
            send(x, f, r->exported);
        if (!l->cur_records)
            l->cur_first = r->exported;
        l->cur_n[v6]++;
        l->cur_extra[v6] += extra_bytes(r);
        l->cur_records++;
        if (f == FS_EXP_V5 && l->cur_records >= V5_MAX_RECORDS)
            send(x, f, r->exported);
    }
}

void fs_exporter_finish(fs_exporter *x, fs_ns t)
{
    fs_exporter_advance(x, t);
    for (int f = 0; f < FS_EXP__COUNT; f++)
        send(x, f, t);
}
