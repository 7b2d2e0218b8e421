/* flowsim — test helper: frame builder and pcap writer (see pcapw.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "pcapw.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Header sizes and field values of the formats built here. */
#define ETH_ALEN       6
#define ETH_HDR        14
#define SLL_HDR        16
#define SLL2_HDR       20
#define NULL_HDR       4
#define VLAN_TAG       4
#define IPV4_HDR       20
#define IPV6_HDR       40
#define TCP_HDR        20
#define UDP_HDR        8
#define SCTP_HDR       12     /* SCTP common header, no chunks */
#define ICMP_HDR       8      /* type, code, checksum, 4 bytes of rest */
#define AH_LEN         24     /* 12 fixed bytes + a 12-byte ICV (HMAC-SHA1-96) */
#define FRAG_HDR       8
#define ARPHRD_ETHER   1      /* Linux device type in cooked headers */
#define SLL_HOST       0      /* cooked packet type: addressed to us */
#define IPOPT_RA       0x94   /* IPv4 router alert option (RFC 2113), 4 bytes */
#define IPOPT_NOP      1
#define IPOPT_EOL      0
#define IP6OPT_PADN    1      /* PadN option filling hop-by-hop / dest options */
#define DEFAULT_TTL    64
#define MPLS_LSE       4      /* label stack entry */
#define MPLS_TTL       255
#define PPPOE_HDR      8      /* 6-byte PPPoE header + 2-byte PPP protocol */
#define PBB_HDR        18     /* 4-byte I-TAG + inner MACs + ethertype */
#define PW_ETH_HDR     18     /* 4-byte control word + inner MACs + ethertype */
#define JUMBO_HBH      8      /* hop-by-hop header holding only the jumbo option */
#define IP6OPT_JUMBO   0xc2
#define AF_INET_BSD    2
#define AF_INET6_BSD   24     /* NetBSD/OpenBSD value; tests set others via af */

/* Locally administered MACs (bit 1 of the first byte), so they never look
 * like a real vendor's. */
static const uint8_t mac_dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* RFC 1071 one's-complement sum over the IPv4 header. */
static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static pcapw_pkt spec_addrs(const char *src, const char *dst, uint8_t proto)
{
    pcapw_pkt s;
    memset(&s, 0, sizeof s);
    s.proto = proto;
    if (inet_pton(AF_INET, src, s.src) == 1 && inet_pton(AF_INET, dst, s.dst) == 1)
        s.ipv = 4;
    else if (inet_pton(AF_INET6, src, s.src) == 1 && inet_pton(AF_INET6, dst, s.dst) == 1)
        s.ipv = 6;
    else
        s.ipv = -1;
    return s;
}

pcapw_pkt pcapw_ip(const char *src, const char *dst, uint8_t proto)
{
    return spec_addrs(src, dst, proto);
}

pcapw_pkt pcapw_tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                    uint8_t flags)
{
    pcapw_pkt s = spec_addrs(src, dst, IPPROTO_TCP);
    s.sport = sport;
    s.dport = dport;
    s.tcp_flags = flags;
    return s;
}

pcapw_pkt pcapw_udp(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
    pcapw_pkt s = spec_addrs(src, dst, IPPROTO_UDP);
    s.sport = sport;
    s.dport = dport;
    return s;
}

/* Transport header length the spec gets (0 for a non-first fragment or a
 * protocol without one here). */
static size_t l4_len(const pcapw_pkt *s)
{
    if (s->frag_off)
        return 0;
    switch (s->proto) {
    case IPPROTO_TCP:     return TCP_HDR;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE: return UDP_HDR;
    case IPPROTO_SCTP:    return SCTP_HDR;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:  return ICMP_HDR;
    default:              return 0;
    }
}

static size_t ext_len(const pcapw_pkt *s, int i)
{
    switch (s->ext[i]) {
    case IPPROTO_FRAGMENT: return FRAG_HDR;
    case IPPROTO_AH:       return AH_LEN;
    default:               return 8 + 8 * (size_t)s->ext_units[i];
    }
}

static void build_l4(uint8_t *p, const pcapw_pkt *s)
{
    size_t n = l4_len(s);
    memset(p, 0, n);
    switch (n ? s->proto : 0) {
    case IPPROTO_TCP:
        put16(p, s->sport);
        put16(p + 2, s->dport);
        put32(p + 4, 1000);               /* sequence number: any */
        p[12] = (TCP_HDR / 4) << 4;       /* data offset in 32-bit words */
        p[13] = s->tcp_flags;
        put16(p + 14, 65535);             /* window: any */
        break;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
        put16(p, s->sport);
        put16(p + 2, s->dport);
        /* UDP length; for UDP-Lite this field is the checksum coverage. */
        put16(p + 4, (uint16_t)(UDP_HDR + s->payload_len));
        break;
    case IPPROTO_SCTP:
        put16(p, s->sport);
        put16(p + 2, s->dport);
        put32(p + 4, 0x01020304);         /* verification tag: any */
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        p[0] = s->icmp_type;
        p[1] = s->icmp_code;
        break;
    default:
        break;
    }
}

/* Link header for dlt; first_type is the ethertype in the header's type
 * slot (the first tag's TPID when tagged). Returns its length. */
static size_t build_link(uint8_t *p, int dlt, const pcapw_pkt *s, uint16_t first_type)
{
    uint32_t af;
    switch (dlt) {
    case DLT_EN10MB:
        memcpy(p, mac_dst, ETH_ALEN);
        memcpy(p + ETH_ALEN, mac_src, ETH_ALEN);
        put16(p + 2 * ETH_ALEN, first_type);
        return ETH_HDR;
    case DLT_LINUX_SLL:
        memset(p, 0, SLL_HDR);
        put16(p, SLL_HOST);
        put16(p + 2, ARPHRD_ETHER);
        put16(p + 4, ETH_ALEN);
        memcpy(p + 6, mac_src, ETH_ALEN);
        put16(p + 14, first_type);
        return SLL_HDR;
    case DLT_LINUX_SLL2:
        memset(p, 0, SLL2_HDR);
        put16(p, first_type);
        put32(p + 4, 1);                  /* interface index */
        put16(p + 8, ARPHRD_ETHER);
        p[10] = SLL_HOST;
        p[11] = ETH_ALEN;
        memcpy(p + 12, mac_src, ETH_ALEN);
        return SLL2_HDR;
    case DLT_NULL:
    case DLT_LOOP:
        af = s->af ? s->af : (s->ipv == 6 ? AF_INET6_BSD : AF_INET_BSD);
        if (dlt == DLT_LOOP) {
            put32(p, af);
        } else {
            /* Host byte order of the writer; af_swap imitates the other one. */
            if (s->af_swap)
                af = ((af & 0xff) << 24) | ((af & 0xff00) << 8) | ((af >> 8) & 0xff00) | (af >> 24);
            memcpy(p, &af, NULL_HDR);
        }
        return NULL_HDR;
    default:
        return 0;  /* raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6) and others: no header */
    }
}

static int has_tags(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
}

static size_t encap_len(const pcapw_pkt *s, int i)
{
    switch (s->encap[i]) {
    case PCAPW_MPLS:   return MPLS_LSE * (size_t)(s->mpls_labels ? s->mpls_labels : 1);
    case PCAPW_PPPOE:  return PPPOE_HDR;
    case PCAPW_PBB:    return PBB_HDR;
    case PCAPW_PW_ETH: return PW_ETH_HDR;
    default:           return 0;
    }
}

/* The ethertype that announces encapsulation i. */
static uint16_t encap_type(const pcapw_pkt *s, int i)
{
    switch (s->encap[i]) {
    case PCAPW_MPLS:  return 0x8847;
    case PCAPW_PPPOE: return 0x8864;
    case PCAPW_PBB:   return 0x88e7;
    default:          return 0;  /* PW_ETH follows MPLS, which has no type field */
    }
}

/* Writes encapsulation i at p; next is the type of what follows it. */
static void build_encap(uint8_t *p, const pcapw_pkt *s, int i, uint16_t next, size_t after)
{
    size_t n = encap_len(s, i);
    memset(p, 0, n);
    switch (s->encap[i]) {
    case PCAPW_MPLS:
        for (size_t k = 0; k < n; k += MPLS_LSE) {
            uint32_t label = 16 + (uint32_t)k / MPLS_LSE;  /* 0..15 are reserved */
            put32(p + k, (label << 12) | (k + MPLS_LSE == n ? 0x100u : 0) | MPLS_TTL);
        }
        break;
    case PCAPW_PPPOE:
        p[0] = 0x11;                      /* version 1, type 1 */
        p[1] = 0;                         /* code: session data */
        put16(p + 2, 1);                  /* session id */
        put16(p + 4, (uint16_t)(2 + after));  /* length: PPP protocol + payload */
        put16(p + 6, s->ppp_proto ? s->ppp_proto
                     : next == 0x86dd ? 0x0057 : next == 0x0800 ? 0x0021
                     : next == 0x8847 ? 0x0281 : next);
        break;
    case PCAPW_PBB:
        put32(p, 0x123456);               /* PCP 0, DEI 0, UCA 0, I-SID */
        memcpy(p + 4, mac_dst, ETH_ALEN);
        memcpy(p + 4 + ETH_ALEN, mac_src, ETH_ALEN);
        put16(p + 4 + 2 * ETH_ALEN, next);
        break;
    case PCAPW_PW_ETH:
        memcpy(p + 4, mac_dst, ETH_ALEN); /* control word 0 */
        memcpy(p + 4 + ETH_ALEN, mac_src, ETH_ALEN);
        put16(p + 4 + 2 * ETH_ALEN, next);
        break;
    default:
        break;
    }
}

size_t pcapw_build(uint8_t *buf, size_t cap, int dlt, const pcapw_pkt *s)
{
    if (s->ipv != 0 && s->ipv != 4 && s->ipv != 6)
        return 0;
    if (s->n_vlan < 0 || s->n_vlan > 2 || s->n_ext < 0 || s->n_ext > PCAPW_MAX_EXT ||
        s->ip_opt_len % 4 || s->ip_opt_len > 40 || s->n_encap < 0 ||
        s->n_encap > PCAPW_MAX_ENCAP || (s->n_encap && !has_tags(dlt)))
        return 0;
    size_t encap_total = 0;
    for (int i = 0; i < s->n_encap; i++) {
        if (!encap_len(s, i))
            return 0;
        encap_total += encap_len(s, i);
    }

    /* Sizes first, so the buffer check happens before any write. */
    int tags = has_tags(dlt) ? s->n_vlan : 0;
    size_t ext_total = 0;
    for (int i = 0; s->ipv == 6 && i < s->n_ext; i++)
        ext_total += ext_len(s, i);
    if (s->ipv == 6 && s->jumbo)
        ext_total += JUMBO_HBH;
    size_t l3 = s->ipv == 4 ? (size_t)IPV4_HDR + s->ip_opt_len
              : s->ipv == 6 ? IPV6_HDR + ext_total : 0;
    size_t l4 = s->ipv ? l4_len(s) : 0;
    size_t ip_total = l3 + l4 + s->payload_len;
    if (s->ipv == 4 && ip_total > UINT16_MAX)
        return 0;
    if (s->ipv == 6 && ip_total - IPV6_HDR > UINT16_MAX)
        return 0;
    size_t link_max = SLL2_HDR + 2 * VLAN_TAG + encap_total;
    if (cap < link_max + ip_total)
        return 0;

    uint16_t ethertype = s->ethertype ? s->ethertype : s->ipv == 6 ? 0x86dd : 0x0800;
    uint16_t tpid[2];
    for (int i = 0; i < 2; i++)
        tpid[i] = s->vlan_tpid[i] ? s->vlan_tpid[i]
                : (i == 0 && tags == 2) ? 0x88a8 : 0x8100;

    /* The type after the tags: the first encapsulation's, else the IP one. */
    uint16_t inner = s->n_encap ? encap_type(s, 0) : ethertype;
    size_t off = build_link(buf, dlt, s, tags ? tpid[0] : inner);
    for (int i = 0; i < tags; i++) {
        put16(buf + off, s->vlan[i] & 0x0fff);
        put16(buf + off + 2, i + 1 < tags ? tpid[i + 1] : inner);
        off += VLAN_TAG;
    }
    for (int i = 0; i < s->n_encap; i++) {
        uint16_t next = i + 1 < s->n_encap ? encap_type(s, i + 1) : ethertype;
        size_t after = 0;
        for (int j = i + 1; j < s->n_encap; j++)
            after += encap_len(s, j);
        build_encap(buf + off, s, i, next, after + ip_total);
        off += encap_len(s, i);
    }

    uint8_t *ip = buf + off;
    if (s->ipv == 4) {
        uint8_t ihl = s->ihl ? s->ihl : (uint8_t)(l3 / 4);
        ip[0] = (uint8_t)(((s->version ? s->version : 4) << 4) | (ihl & 0x0f));
        ip[1] = s->tos;
        put16(ip + 2, s->ip_len_set ? s->ip_len : (uint16_t)ip_total);
        put16(ip + 4, s->ip_id);
        put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) |
                                 (s->frag_off & 0x1fff)));
        ip[8] = s->ttl ? s->ttl : DEFAULT_TTL;
        ip[9] = s->proto;
        put16(ip + 10, 0);
        memcpy(ip + 12, s->src, 4);
        memcpy(ip + 16, s->dst, 4);
        /* Options: a router alert, then NOPs, then end-of-list. */
        uint8_t *o = ip + IPV4_HDR;
        for (size_t i = 0; i < s->ip_opt_len; i++)
            o[i] = IPOPT_NOP;
        if (s->ip_opt_len >= 4) {
            o[0] = IPOPT_RA;
            o[1] = 4;
            o[2] = o[3] = 0;
        }
        if (s->ip_opt_len > 4)
            o[s->ip_opt_len - 1] = IPOPT_EOL;
        put16(ip + 10, ip_checksum(ip, l3));
    } else if (s->ipv == 6) {
        uint32_t vtf = ((uint32_t)(s->version ? s->version : 6) << 28) | ((uint32_t)s->tos << 20);
        put32(ip, vtf);
        put16(ip + 4, s->ip_len_set ? s->ip_len
                      : s->jumbo ? 0 : (uint16_t)(ip_total - IPV6_HDR));
        ip[6] = s->n_ext ? s->ext[0] : s->proto;
        ip[7] = s->ttl ? s->ttl : DEFAULT_TTL;
        memcpy(ip + 8, s->src, 16);
        memcpy(ip + 24, s->dst, 16);
        uint8_t *e = ip + IPV6_HDR;
        if (s->jumbo) {
            e[0] = ip[6];
            e[1] = 0;                         /* 8 bytes */
            e[2] = IP6OPT_JUMBO;
            e[3] = 4;
            put32(e + 4, s->jumbo);
            ip[6] = IPPROTO_HOPOPTS;
            e += JUMBO_HBH;
        }
        for (int i = 0; i < s->n_ext; i++) {
            size_t n = ext_len(s, i);
            memset(e, 0, n);
            e[0] = i + 1 < s->n_ext ? s->ext[i + 1] : s->proto;
            switch (s->ext[i]) {
            case IPPROTO_FRAGMENT:
                put16(e + 2, (uint16_t)((s->frag_off << 3) | (s->mf ? 1 : 0)));
                put32(e + 4, s->ip_id);
                break;
            case IPPROTO_AH:
                e[1] = AH_LEN / 4 - 2;        /* RFC 4302 length rule */
                put32(e + 4, 0x100);          /* SPI: any nonzero */
                put32(e + 8, 1);              /* sequence number */
                break;
            case IPPROTO_HOPOPTS:
            case IPPROTO_DSTOPTS:
                e[1] = s->ext_units[i];
                e[2] = IP6OPT_PADN;           /* one PadN fills the header */
                e[3] = (uint8_t)(n - 4);
                break;
            default:
                e[1] = s->ext_units[i];       /* routing: type 0, segments left 0 */
                break;
            }
            e += n;
        }
    }
    uint8_t *l4p = buf + off + l3;
    if (s->ipv)
        build_l4(l4p, s);
    uint8_t *pay = l4p + l4;
    for (size_t i = 0; i < s->payload_len; i++)
        pay[i] = (uint8_t)i;
    return off + ip_total;
}

/* ---- writer ---------------------------------------------------------------- */

struct pcapw {
    pcap_t        *dead;
    pcap_dumper_t *dump;
    int            dlt;
    int            nano;
    uint8_t        buf[PCAPW_MAX_FRAME];
};

pcapw *pcapw_open_snap(const char *path, int dlt, int nano, uint32_t snaplen)
{
    pcapw *w = calloc(1, sizeof *w);
    if (!w) {
        fprintf(stderr, "%s: out of memory\n", path);
        return NULL;
    }
    w->dlt = dlt;
    w->nano = nano;
    w->dead = pcap_open_dead_with_tstamp_precision(
        dlt, (int)snaplen, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!w->dead) {
        fprintf(stderr, "%s: pcap_open_dead failed\n", path);
        free(w);
        return NULL;
    }
    w->dump = pcap_dump_open(w->dead, path);
    if (!w->dump) {
        fprintf(stderr, "%s: %s\n", path, pcap_geterr(w->dead));
        pcap_close(w->dead);
        free(w);
        return NULL;
    }
    return w;
}

pcapw *pcapw_open(const char *path, int dlt, int nano)
{
    return pcapw_open_snap(path, dlt, nano, PCAPW_DEFAULT_SNAPLEN);
}

int pcapw_add(pcapw *w, int64_t ts_ns, const uint8_t *frame, uint32_t caplen, uint32_t len)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(ts_ns / 1000000000);
    /* With nanosecond precision libpcap writes tv_usec as nanoseconds. */
    h.ts.tv_usec = (suseconds_t)(w->nano ? ts_ns % 1000000000 : ts_ns % 1000000000 / 1000);
    h.caplen = caplen;
    h.len = len;
    pcap_dump((u_char *)w->dump, &h, frame);
    return 0;
}

int pcapw_put(pcapw *w, int64_t ts_ns, const pcapw_pkt *s)
{
    size_t n = pcapw_build(w->buf, sizeof w->buf, w->dlt, s);
    if (!n)
        return -1;
    uint32_t cap = (uint32_t)n;
    if (s->snaplen && s->snaplen < cap)
        cap = s->snaplen;
    return pcapw_add(w, ts_ns, w->buf, cap, (uint32_t)n);
}

int pcapw_close(pcapw *w)
{
    if (!w)
        return -1;
    int rc = pcap_dump_flush(w->dump);
    pcap_dump_close(w->dump);
    pcap_close(w->dead);
    free(w);
    return rc == 0 ? 0 : -1;
}

/* ---- files ----------------------------------------------------------------- */

int pcapw_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return n == len && rc == 0 ? 0 : -1;
}

uint8_t *pcapw_read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *b = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc(n > 0 ? (size_t)n : 1) : NULL;
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        *len = (size_t)n;
    return b;
}

int pcapw_tmpdir(char *buf, size_t n)
{
    static const char tmpl[] = "/tmp/flowsim-test-XXXXXX";
    if (n < sizeof tmpl)
        return -1;
    memcpy(buf, tmpl, sizeof tmpl);
    return mkdtemp(buf) ? 0 : -1;
}

int pcapw_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            rc = -1;
    }
    closedir(d);
    if (rmdir(dir) != 0)
        rc = -1;
    return rc;
}
