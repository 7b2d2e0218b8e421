/* flowsim — trace reader: pcap/pcapng files through libpcap, decoded into
 * fs_pkt, several files merged in timestamp order.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Rules this file implements (they decide what a "flow" is downstream):
 *
 * Fragments. A first fragment (IPv4 offset 0 with MF set, or an IPv6
 * fragment header with offset 0 and M set) still carries the transport
 * header, so it keeps its ports and gets frag = FS_FRAG_FIRST. A non-first
 * fragment carries no transport header: its ports are 0 and it gets
 * frag = FS_FRAG_LATER and status FRAGMENT, so non-first fragments form their
 * own flow per (src, dst, proto, tos, vlan), for IPv4 and IPv6 alike — the
 * reader does no reassembly, as a router's flow cache does none. For an IPv6
 * non-first fragment the protocol is the fragment header's next-header value.
 * An IPv6 "atomic" fragment (offset 0, M clear, RFC 6946) is not a fragment.
 *
 * Timestamps. Within one file, a frame whose timestamp is earlier than the
 * previous frame's (of any kind, decoded or not) is clamped to the previous
 * frame's timestamp and counted as ts_backwards; the frame is still used.
 * Files are merged by the (clamped) timestamp; on ties the lower file index
 * goes first, so the order is deterministic.
 *
 * Encapsulations. Between the link header and IP the decoder follows any
 * chain of VLAN tags (802.1Q, 802.1ad, 0x9100), MPLS label stacks (0x8847,
 * 0x8848: after the bottom-of-stack label the first nibble says IPv4 (4),
 * IPv6 (6) or a pseudowire control word (0) followed by an Ethernet frame;
 * an Ethernet pseudowire without a control word is not recognised), PPPoE
 * session frames (0x8864 with PPP protocol 0x0021 IPv4, 0x0057 IPv6 or
 * 0x0281/0x0283 MPLS; other PPP protocols such as LCP are not IP) and
 * 802.1ah PBB (0x88e7: the I-TAG, then the customer's Ethernet header), in
 * any order and depth; PPP links (DLT_PPP, PPP_SERIAL, PPP_ETHER) enter the
 * same chain by their PPP protocol. The key's VLAN is the first tag met,
 * whatever follows. Tunnels carried by IP (GRE, VXLAN, IP-in-IP, ...) are
 * not opened: they are keyed by the outer header.
 *
 * Lengths. ip_len is the IP total length from the header (IPv6: 40 + payload
 * length), never the captured length, so truncated captures (snaplen 64/96)
 * still count the bytes the packet had. An IPv6 jumbogram (payload length 0,
 * RFC 2675) takes 40 + the hop-by-hop Jumbo Payload option's length. A
 * length field of 0 with no such option (IPv4 total length or IPv6 payload
 * length 0: segmentation-offload and BIG TCP captures of packets over 64 KiB)
 * takes the length from the frame, everything after the link and
 * encapsulation headers, when the frame was captured whole (caplen == len);
 * otherwise the frame is dropped as unknown_ip_len.
 * When the capture, or the IP datagram itself, ends before the ports or the
 * TCP flags, the missing fields are 0 and the status is TRUNC_L4 (the packet
 * is still made). Ports that were captured are kept even when the TCP flags
 * byte was not (IPv6 TCP in a snaplen-64 Ethernet capture), so such packets
 * stay in their 5-tuple flow.
 *
 * Reading. Each file is opened with a stdio stream made by fopencookie over
 * the real file; the cookie's read function feeds every byte libpcap reads
 * through SHA-256, so the file's digest costs no second pass. The records of
 * a classic pcap file are then read by flowsim itself, with read(2) into
 * buffers the hashing thread hashes in place (see "hashing stream"). One decoded
 * frame per file is kept pending (libpcap's buffer stays valid until the next
 * read on the same handle), and a binary min-heap over the pending frames
 * does the k-way merge.
 */
#include "reader.h"
#include "dcache.h"
#include "bigmem.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pcap/pcap.h>

/* ---- constants from the formats ------------------------------------------ */

/* Ethertypes the decoder dispatches on. */
#define ETH_IPV4     0x0800
#define ETH_IPV6     0x86dd
#define ETH_8021Q    0x8100  /* IEEE 802.1Q customer VLAN tag */
#define ETH_8021AD   0x88a8  /* IEEE 802.1ad service (outer QinQ) tag */
#define ETH_QINQ_OLD 0x9100  /* pre-standard QinQ tag some switches still send */
#define ETH_MPLS_UC  0x8847  /* MPLS unicast label stack (RFC 3032) */
#define ETH_MPLS_MC  0x8848  /* MPLS multicast (upstream-assigned) label stack */
#define ETH_PPPOE_S  0x8864  /* PPPoE session stage (RFC 2516); 0x8863 discovery is not IP */
#define ETH_PBB      0x88e7  /* IEEE 802.1ah backbone service instance tag (I-TAG) */
#define VLAN_ID_MASK 0x0fff  /* the 12 VLAN id bits of a tag's TCI */

#define ETH_HDR_LEN   14     /* dst MAC, src MAC, ethertype */
#define ETH_TYPE_OFF  12
#define VLAN_TAG_LEN  4      /* TCI + inner ethertype */
#define SLL_HDR_LEN   16     /* Linux cooked v1: protocol in the last 2 bytes */
#define SLL_TYPE_OFF  14
#define SLL2_HDR_LEN  20     /* Linux cooked v2: protocol in the first 2 bytes */
#define SLL2_TYPE_OFF 0
#define NULL_HDR_LEN  4      /* BSD loopback: 4-byte address family */
#define MPLS_LSE_LEN  4      /* one label stack entry: label, TC, S, TTL */
#define MPLS_BOS      0x01   /* bottom-of-stack bit, in the entry's third byte */
#define MPLS_PW_CW_LEN 4     /* pseudowire control word (RFC 4385), first nibble 0 */
#define ETH_MACS_LEN  12     /* dst + src MAC of an inner Ethernet header */
#define PBB_ITAG_LEN  4      /* I-TAG: PCP, DEI, UCA, reserved, 24-bit I-SID */
#define PPPOE_HDR_LEN 6      /* ver/type, code, session id, length */
#define PPPOE_VERTYPE 0x11   /* version 1, type 1 */
#define PPPOE_CODE_SESSION 0x00  /* the code of every session-stage frame */
#define PPP_PROTO_LEN 2
#define PPP_IPV4      0x0021
#define PPP_IPV6      0x0057
#define PPP_MPLS_UC   0x0281
#define PPP_MPLS_MC   0x0283
#define PPP_ADDR      0xff   /* HDLC-like framing (RFC 1662): all-stations address */
#define PPP_CTRL      0x03   /* ... and unnumbered-information control field */

/* Address families in BSD loopback headers. AF_INET is 2 everywhere; AF_INET6
 * differs per BSD, and the capture may come from any of them.            */
#define BSD_AF_INET         2
#define BSD_AF_INET6_NETBSD 24   /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28  /* FreeBSD, DragonFly BSD */
#define BSD_AF_INET6_DARWIN 30   /* macOS, iOS */

/* pcap's LINKTYPE_RAW; libpcap maps it to DLT_RAW when it opens a file, but
 * fs_decode accepts the on-disk value too for callers that pass it.      */
#define LINKTYPE_RAW_VALUE 101

#define IPV4_MIN_HDR   20
#define IPV4_MF        0x2000  /* more-fragments flag in the flags/offset word */
#define IPV4_OFF_MASK  0x1fff  /* fragment offset (8-byte units) */
#define IPV6_HDR_LEN   40
#define IPV6_FRAG_LEN  8
#define IPV6_FRAG_M    0x0001  /* M (more fragments) flag of the fragment header */
#define IPV6_OPT_PAD1  0x00    /* one-byte padding option (no length byte) */
#define IPV6_OPT_JUMBO 0xc2    /* Jumbo Payload option (RFC 2675) */
#define IPV6_JUMBO_LEN 4       /* its data: the 32-bit payload length */

/* IP protocol numbers (IANA). */
#define P_HOPOPTS  0
#define P_ICMP     1
#define P_TCP      6
#define P_UDP      17
#define P_ROUTING  43
#define P_FRAGMENT 44
#define P_ESP      50
#define P_AH       51
#define P_ICMPV6   58
#define P_NONEXT   59
#define P_DSTOPTS  60
#define P_SCTP     132
#define P_UDPLITE  136

#define PORTS_LEN     4   /* source + destination port */
#define ICMP_TC_LEN   2   /* ICMP type + code */
#define TCP_FLAGS_OFF 13  /* flags byte within the TCP header */

/* The decoder looks at most this far into a frame, so every header offset
 * fits the 16-bit l3_end/ports_end/flags_end fields with room for the TCP
 * flags (14 bytes past the transport header start) and never wraps.      */
#define DEC_MAX_HDR (UINT16_MAX - 16)

/* Magic numbers of the capture formats, as the first 4 bytes read big-endian. */
#define MAGIC_PCAP_US     0xa1b2c3d4u
#define MAGIC_PCAP_US_SW  0xd4c3b2a1u
#define MAGIC_PCAP_NS     0xa1b23c4du
#define MAGIC_PCAP_NS_SW  0x4d3cb2a1u
#define MAGIC_PCAP_KUZ    0xa1b2cd34u  /* Kuznetzov's modified pcap */
#define MAGIC_PCAP_KUZ_SW 0x34cdb2a1u
#define MAGIC_PCAPNG_SHB  0x0a0d0d0au  /* block type of the section header */
#define PCAP_GLOBAL_HDR_LEN 24
#define PCAPNG_MIN_SHB_LEN  28         /* SHB with no options */

/* A 64 KiB stdio buffer makes one read(2) (and one digest update) per 64 KiB
 * instead of glibc's default 8 KiB for cookie streams, which have no st_blksize. */
#define READ_BUF_SIZE (64 * 1024)

/* ---- small helpers ---------------------------------------------------------- */

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint32_t le32(const uint8_t *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* Messages are one line: libpcap's texts normally are, but be sure. */
    for (char *c = err; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* ---- decoder ------------------------------------------------------------------ */

/* Transport header at p. lim is where the usable bytes end: the capture or
 * the IP datagram, whichever ends first (so Ethernet padding after a short
 * datagram is never read as ports). */
static int decode_l4(const uint8_t *d, uint32_t lim, uint32_t p, fs_pkt *pkt)
{
    switch (pkt->key.proto) {
    case P_TCP:
        pkt->ports_end = (uint16_t)(p + PORTS_LEN);
        pkt->flags_end = (uint16_t)(p + TCP_FLAGS_OFF + 1);
        if (lim < p + PORTS_LEN)
            return FS_DEC_TRUNC_L4;
        pkt->key.sport = be16(d + p);
        pkt->key.dport = be16(d + p + 2);
        if (lim < p + TCP_FLAGS_OFF + 1)
            return FS_DEC_TRUNC_L4;
        pkt->tcp_flags = d[p + TCP_FLAGS_OFF];
        return FS_DEC_OK;
    case P_UDP:
    case P_SCTP:
    case P_UDPLITE:
        pkt->ports_end = (uint16_t)(p + PORTS_LEN);
        if (lim < p + PORTS_LEN)
            return FS_DEC_TRUNC_L4;
        pkt->key.sport = be16(d + p);
        pkt->key.dport = be16(d + p + 2);
        return FS_DEC_OK;
    case P_ICMP:
    case P_ICMPV6:
        /* NetFlow convention: type*256 + code in the destination port. */
        pkt->ports_end = (uint16_t)(p + ICMP_TC_LEN);
        if (lim < p + ICMP_TC_LEN)
            return FS_DEC_TRUNC_L4;
        pkt->key.dport = be16(d + p);
        return FS_DEC_OK;
    default:
        return FS_DEC_OK;  /* no ports: ESP, GRE, no-next-header, ... */
    }
}

/* The bytes of the frame from off to its end, when the frame was captured
 * whole: the IP length of a datagram whose length field is 0. 0 if the
 * capture was cut (then the length cannot be known). */
static int frame_len(const fs_pkt *pkt, uint32_t off, uint32_t *len)
{
    if (pkt->caplen != pkt->wire_len || pkt->wire_len <= off)
        return 0;
    *len = pkt->wire_len - off;
    return 1;
}

/* The Jumbo Payload option's length in the hop-by-hop header at h (hlen
 * bytes, all captured), or 0 if it has none. */
static uint32_t jumbo_len(const uint8_t *h, uint32_t hlen)
{
    uint32_t i = 2;  /* next header, header length */
    while (i < hlen) {
        if (h[i] == IPV6_OPT_PAD1) {
            i++;
            continue;
        }
        if (i + 2 > hlen)
            break;
        uint32_t olen = h[i + 1];
        if (h[i] == IPV6_OPT_JUMBO && olen == IPV6_JUMBO_LEN && i + 2 + olen <= hlen)
            return be32(h + i + 2);
        i += 2 + olen;
    }
    return 0;
}

static int decode_ipv4(const uint8_t *d, uint32_t cap, uint32_t off, fs_pkt *pkt)
{
    if (cap < off + IPV4_MIN_HDR)
        return FS_DEC_TRUNC_IP;
    const uint8_t *ip = d + off;
    uint32_t hl = (uint32_t)(ip[0] & 0x0f) * 4u;  /* IHL counts 32-bit words */
    uint32_t tot = be16(ip + 2);
    if (hl < IPV4_MIN_HDR || (tot && tot < hl))
        return FS_DEC_BAD_HEADER;
    if (cap < off + hl)
        return FS_DEC_TRUNC_IP;  /* options cut by the snaplen */
    if (!tot) {  /* TSO / BIG TCP capture: the frame gives the length */
        if (!frame_len(pkt, off, &tot))
            return FS_DEC_UNKNOWN_LEN;
        if (tot < hl)
            return FS_DEC_BAD_HEADER;
    }

    pkt->key.tos = ip[1];
    pkt->key.proto = ip[9];
    /* IPv4-mapped IPv6 address ::ffff:a.b.c.d: bytes 10 and 11 are 0xff. */
    pkt->key.src[10] = pkt->key.src[11] = 0xff;
    pkt->key.dst[10] = pkt->key.dst[11] = 0xff;
    memcpy(pkt->key.src + 12, ip + 12, 4);
    memcpy(pkt->key.dst + 12, ip + 16, 4);
    pkt->ip_id = be16(ip + 4);
    pkt->ip_len = tot;
    pkt->l3_end = (uint16_t)(off + hl);

    uint16_t fo = be16(ip + 6);
    if (fo & IPV4_OFF_MASK) {
        pkt->frag = FS_FRAG_LATER;
        return FS_DEC_FRAGMENT;
    }
    if (fo & IPV4_MF)
        pkt->frag = FS_FRAG_FIRST;
    uint32_t lim = off + tot < cap ? off + tot : cap;
    return decode_l4(d, lim, off + hl, pkt);
}

static int decode_ipv6(const uint8_t *d, uint32_t cap, uint32_t off, fs_pkt *pkt)
{
    if (cap < off + IPV6_HDR_LEN)
        return FS_DEC_TRUNC_IP;
    const uint8_t *ip = d + off;
    uint32_t plen = be16(ip + 4);

    pkt->key.flags = FS_KEY_V6;
    pkt->key.tos = (uint8_t)(be16(ip) >> 4);  /* traffic class: bits 4..11 */
    memcpy(pkt->key.src, ip + 8, 16);
    memcpy(pkt->key.dst, ip + 24, 16);
    pkt->ip_len = IPV6_HDR_LEN + plen;

    /* Walk the extension headers. Every step advances p by at least 8 bytes
     * and is checked against cap, so the loop ends. */
    uint8_t nh = ip[6];
    uint32_t p = off + IPV6_HDR_LEN;
    uint32_t jumbo = 0;  /* payload length from a Jumbo Payload option */
    for (;;) {
        uint32_t len;
        if (nh == P_HOPOPTS || nh == P_ROUTING || nh == P_DSTOPTS) {
            if (cap < p + 2)
                return FS_DEC_TRUNC_IP;
            len = ((uint32_t)d[p + 1] + 1) * 8;  /* length in 8-byte units, not counting the first */
        } else if (nh == P_AH) {
            if (cap < p + 2)
                return FS_DEC_TRUNC_IP;
            len = ((uint32_t)d[p + 1] + 2) * 4;  /* AH: 4-byte units minus 2 (RFC 4302) */
        } else if (nh == P_FRAGMENT) {
            if (cap < p + IPV6_FRAG_LEN)
                return FS_DEC_TRUNC_IP;
            uint16_t fo = be16(d + p + 2);
            nh = d[p];
            p += IPV6_FRAG_LEN;
            if (fo >> 3) {  /* offset in the upper 13 bits */
                pkt->key.proto = nh;
                pkt->l3_end = (uint16_t)p;
                pkt->frag = FS_FRAG_LATER;
                return FS_DEC_FRAGMENT;
            }
            if (fo & IPV6_FRAG_M)
                pkt->frag = FS_FRAG_FIRST;
            continue;
        } else {
            break;  /* upper layer, or ESP / no-next-header: stop here */
        }
        if (cap < p + len)
            return FS_DEC_TRUNC_IP;
        /* The jumbo option is valid only in the hop-by-hop header, which
         * only directly follows the IPv6 header (RFC 8200). */
        if (!plen && nh == P_HOPOPTS && p == off + IPV6_HDR_LEN)
            jumbo = jumbo_len(d + p, len);
        nh = d[p];
        p += len;
    }
    pkt->key.proto = nh;
    pkt->l3_end = (uint16_t)p;
    if (!plen) {  /* a jumbogram, or a BIG TCP capture without the option */
        uint32_t flen;
        if (jumbo)
            plen = jumbo;
        else if (frame_len(pkt, off, &flen) && flen > IPV6_HDR_LEN)
            plen = flen - IPV6_HDR_LEN;
        else
            return FS_DEC_UNKNOWN_LEN;
        pkt->ip_len = plen > UINT32_MAX - IPV6_HDR_LEN ? UINT32_MAX : IPV6_HDR_LEN + plen;
    }
    uint32_t lim = cap;
    if (off + IPV6_HDR_LEN + (uint64_t)plen < cap)
        lim = off + IPV6_HDR_LEN + plen;
    return decode_l4(d, lim, p, pkt);
}

/* IP at off; want is 4 or 6 when the link layer said which, 0 when the
 * version nibble decides (raw IP). */
static int decode_ip(const uint8_t *d, uint32_t cap, uint32_t off, int want, fs_pkt *pkt)
{
    if (cap <= off)
        return FS_DEC_TRUNC_IP;
    int v = d[off] >> 4;
    if (want ? v != want : (v != 4 && v != 6))
        return FS_DEC_BAD_VERSION;
    return v == 4 ? decode_ipv4(d, cap, off, pkt) : decode_ipv6(d, cap, off, pkt);
}

/* The ethertype a PPP protocol number carries the same payload as; 0 for
 * the PPP protocols that carry no IP (LCP, IPCP, CHAP, ...). */
static uint16_t ppp_ethertype(uint16_t proto)
{
    switch (proto) {
    case PPP_IPV4:    return ETH_IPV4;
    case PPP_IPV6:    return ETH_IPV6;
    case PPP_MPLS_UC: return ETH_MPLS_UC;
    case PPP_MPLS_MC: return ETH_MPLS_MC;
    default:          return 0;
    }
}

/* Payload of ethertype type at off. The same loop serves Ethernet, both
 * Linux cooked headers (libpcap re-inserts stripped VLAN tags after the
 * cooked header too) and PPP. Each step peels one VLAN tag, MPLS label
 * stack, PPPoE header or PBB I-TAG (see "Encapsulations" above) and
 * advances off by at least 4 bytes, checked against cap, so the loop ends. */
static int decode_type(const uint8_t *d, uint32_t cap, uint16_t type, uint32_t off,
                       fs_pkt *pkt)
{
    int tagged = 0;
    for (;;) {
        switch (type) {
        case ETH_8021Q:
        case ETH_8021AD:
        case ETH_QINQ_OLD:
            if (cap < off + VLAN_TAG_LEN)
                return FS_DEC_TRUNC_LINK;
            if (!tagged) {  /* the key carries the outer VLAN only */
                pkt->key.vlan = be16(d + off) & VLAN_ID_MASK;
                tagged = 1;
            }
            type = be16(d + off + 2);
            off += VLAN_TAG_LEN;
            break;
        case ETH_PBB:  /* I-TAG, then the customer frame's MACs and ethertype */
            if (cap < off + PBB_ITAG_LEN + ETH_HDR_LEN)
                return FS_DEC_TRUNC_LINK;
            type = be16(d + off + PBB_ITAG_LEN + ETH_MACS_LEN);
            off += PBB_ITAG_LEN + ETH_HDR_LEN;
            break;
        case ETH_PPPOE_S:
            if (cap < off + PPPOE_HDR_LEN + PPP_PROTO_LEN)
                return FS_DEC_TRUNC_LINK;
            if (d[off] != PPPOE_VERTYPE || d[off + 1] != PPPOE_CODE_SESSION)
                return FS_DEC_NOT_IP;
            type = ppp_ethertype(be16(d + off + PPPOE_HDR_LEN));
            off += PPPOE_HDR_LEN + PPP_PROTO_LEN;
            if (!type)
                return FS_DEC_NOT_IP;  /* LCP, IPCP, CHAP, ... */
            break;
        case ETH_MPLS_UC:
        case ETH_MPLS_MC:
            for (;;) {  /* to the bottom of the stack */
                if (cap < off + MPLS_LSE_LEN)
                    return FS_DEC_TRUNC_LINK;
                int bos = d[off + 2] & MPLS_BOS;
                off += MPLS_LSE_LEN;
                if (bos)
                    break;
            }
            if (cap <= off)
                return FS_DEC_TRUNC_LINK;
            switch (d[off] >> 4) {  /* no next-protocol field: guess, as routers do */
            case 4:
                return decode_ip(d, cap, off, 4, pkt);
            case 6:
                return decode_ip(d, cap, off, 6, pkt);
            case 0:  /* Ethernet pseudowire with a control word */
                if (cap < off + MPLS_PW_CW_LEN + ETH_HDR_LEN)
                    return FS_DEC_TRUNC_LINK;
                type = be16(d + off + MPLS_PW_CW_LEN + ETH_MACS_LEN);
                off += MPLS_PW_CW_LEN + ETH_HDR_LEN;
                break;
            default:
                return FS_DEC_NOT_IP;
            }
            break;
        case ETH_IPV4:
            return decode_ip(d, cap, off, 4, pkt);
        case ETH_IPV6:
            return decode_ip(d, cap, off, 6, pkt);
        default:
            return FS_DEC_NOT_IP;
        }
    }
}

/* Ethertype at type_off, payload (or the first VLAN tag's TCI) at off. */
static int decode_ethertype(const uint8_t *d, uint32_t cap, uint32_t type_off,
                            uint32_t off, fs_pkt *pkt)
{
    if (cap < off)
        return FS_DEC_TRUNC_LINK;
    return decode_type(d, cap, be16(d + type_off), off, pkt);
}

/* PPP (DLT_PPP, DLT_PPP_SERIAL): an optional HDLC-like address and
 * control field (0xff 0x03), then the 2-byte protocol. DLT_PPP_ETHER: a
 * PPPoE session header without the Ethernet header. */
static int decode_ppp(const uint8_t *d, uint32_t cap, int ether, fs_pkt *pkt)
{
    if (ether)
        return decode_type(d, cap, ETH_PPPOE_S, 0, pkt);
    uint32_t off = 0;
    if (cap >= 2 && d[0] == PPP_ADDR && d[1] == PPP_CTRL)
        off = 2;
    if (cap < off + PPP_PROTO_LEN)
        return FS_DEC_TRUNC_LINK;
    uint16_t type = ppp_ethertype(be16(d + off));
    return type ? decode_type(d, cap, type, off + PPP_PROTO_LEN, pkt) : FS_DEC_NOT_IP;
}

static int bsd_af_version(uint32_t af)
{
    if (af == BSD_AF_INET)
        return 4;
    if (af == BSD_AF_INET6_NETBSD || af == BSD_AF_INET6_FREEBSD || af == BSD_AF_INET6_DARWIN)
        return 6;
    return 0;
}

int fs_decode(int linktype, const uint8_t *data, uint32_t caplen,
              uint32_t wire_len, fs_pkt *pkt)
{
    memset(&pkt->key, 0, sizeof pkt->key);
    pkt->ip_len = 0;
    pkt->wire_len = wire_len;
    pkt->caplen = caplen;
    pkt->l3_end = pkt->ports_end = pkt->flags_end = 0;
    pkt->tcp_flags = 0;
    pkt->frag = FS_FRAG_NONE;
    pkt->ip_id = 0;
    pkt->linktype = linktype;
    pkt->key_hash = 0;   /* only a decoded-trace cache brings one */
    pkt->data = data;

    uint32_t cap = caplen < DEC_MAX_HDR ? caplen : DEC_MAX_HDR;
    int v;
    switch (linktype) {
    case DLT_EN10MB:
        return decode_ethertype(data, cap, ETH_TYPE_OFF, ETH_HDR_LEN, pkt);
    case DLT_LINUX_SLL:
        return decode_ethertype(data, cap, SLL_TYPE_OFF, SLL_HDR_LEN, pkt);
    case DLT_LINUX_SLL2:
        return decode_ethertype(data, cap, SLL2_TYPE_OFF, SLL2_HDR_LEN, pkt);
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        return decode_ppp(data, cap, 0, pkt);
    case DLT_PPP_ETHER:
        return decode_ppp(data, cap, 1, pkt);
    case DLT_RAW:
#if DLT_RAW != LINKTYPE_RAW_VALUE
    case LINKTYPE_RAW_VALUE:
#endif
        return decode_ip(data, cap, 0, 0, pkt);
    case DLT_IPV4:
        return decode_ip(data, cap, 0, 4, pkt);
    case DLT_IPV6:
        return decode_ip(data, cap, 0, 6, pkt);
    case DLT_NULL:
        /* Host byte order of the capturing machine, which may differ from
         * ours: try little-endian, then big-endian. */
        if (cap < NULL_HDR_LEN)
            return FS_DEC_TRUNC_LINK;
        v = bsd_af_version(le32(data));
        if (!v)
            v = bsd_af_version(be32(data));
        return v ? decode_ip(data, cap, NULL_HDR_LEN, v, pkt) : FS_DEC_NOT_IP;
    case DLT_LOOP:
        if (cap < NULL_HDR_LEN)
            return FS_DEC_TRUNC_LINK;
        v = bsd_af_version(be32(data));  /* always network byte order */
        return v ? decode_ip(data, cap, NULL_HDR_LEN, v, pkt) : FS_DEC_NOT_IP;
    default:
        return FS_DEC_UNSUP_LINK;
    }
}

static int linktype_supported(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
           dlt == DLT_PPP || dlt == DLT_PPP_SERIAL || dlt == DLT_PPP_ETHER ||
           dlt == DLT_RAW || dlt == LINKTYPE_RAW_VALUE || dlt == DLT_IPV4 ||
           dlt == DLT_IPV6 || dlt == DLT_NULL || dlt == DLT_LOOP;
}

const char *fs_linktype_name(int dlt)
{
    const char *n = pcap_datalink_val_to_name(dlt);
    if (n)
        return n;
    /* Unknown to libpcap: a per-thread buffer keeps the function reentrant
     * enough for messages; "DLT_" or "USER" + an int fits 16 bytes. libpcap
     * 1.10 has no names for the 16 private-use types, so name them here. */
    static _Thread_local char buf[16];
    if (dlt >= DLT_USER0 && dlt <= DLT_USER15)
        snprintf(buf, sizeof buf, "USER%d", dlt - DLT_USER0);
    else
        snprintf(buf, sizeof buf, "DLT_%d", dlt);
    return buf;
}

/* ---- hashing stream ---------------------------------------------------------- */

/* The file's bytes go through a small ring of buffers ("slots") that a
 * thread of its own feeds to SHA-256, so hashing is off the packet path (it
 * costs about as much as decoding on one core) yet covers exactly the bytes
 * read, in the order read.
 *
 * Two readers fill the slots. The cookie behind the FILE* libpcap reads
 * (hc_read) copies each chunk it reads into a slot and queues the slot once
 * it is full. The classic-pcap record parser (rec_avail) instead read(2)s
 * straight into a slot and parses the records in place, and the hashing
 * thread hashes the same bytes from that slot: no copy. Queued hash jobs are
 * (pointer, length) pairs in one FIFO, so the digest sees the bytes in file
 * order whichever reader read them. A slot is reused only when no queued job
 * points into it and neither the parser nor the cookie is filling it; the
 * reader blocks only when all slots are in use. Slots are allocated when
 * first needed (in huge pages once they reach 1 MiB, see bigmem.h: a slot
 * of 4 KiB pages cost hundreds of page faults) and freed at the end of the
 * file.
 *
 * Locking: q, qhead, qcount, busy, done and md_err are shared with the
 * hashing thread and only touched under mu; buf, bcap, fill_i, fill and held
 * are the reading thread's. A slot's memory is written by the reading thread
 * only while busy[slot] is 0 (no job in it) and outside the queued ranges. */
#define HC_RING  4              /* slots                                         */
#define HC_QLEN  16             /* queued hash jobs                              */
#define HC_CHUNK (1024 * 1024)  /* largest read the cookie gathers in a slot;
                                   also the record path's read size             */

/* Classic pcap record limits (see "classic pcap records" below); a slot the
 * record path reads into holds a chunk plus a partial record carried over. */
#define REC_HDR_LEN    16
#define REC_MAX_CAPLEN 262144u          /* libpcap's maximum for these link types */
#define REC_CHUNK      HC_CHUNK         /* one read(2), one digest job            */
#define REC_BUF_SIZE   (REC_CHUNK + REC_MAX_CAPLEN + REC_HDR_LEN)

typedef struct hc_job {
    const uint8_t *p;
    size_t         len;
    int            slot;
} hc_job;

typedef struct hash_cookie {
    int          fd;
    int          eof;     /* read(2) returned 0 (sticky, as for stdio)        */
    int          io_err;  /* errno of a failed read(2), 0 if none             */
    int          md_err;  /* the digest update failed                         */
    uint64_t     nread;   /* bytes read from fd so far, by either reader      */
    EVP_MD_CTX  *md;
    /* background hashing */
    pthread_t       th;
    int             th_on;      /* thread started (else hashing is inline)    */
    pthread_mutex_t mu;
    pthread_cond_t  cv;         /* queue changed (job in, or job done)        */
    hc_job          q[HC_QLEN];
    unsigned        qhead, qcount;
    unsigned        busy[HC_RING];  /* queued jobs pointing into each slot   */
    int             done;       /* no more jobs will come                     */
    /* the reading thread's */
    uint8_t        *buf[HC_RING];
    size_t          bcap[HC_RING];
    size_t          chunk;      /* cookie gathering size: HC_CHUNK, less for
                                   a smaller file                            */
    size_t          slot_size;  /* size a slot is allocated with             */
    int             fill_i;     /* slot the cookie is gathering into, or -1  */
    size_t          fill;       /* bytes gathered there                      */
    int             held;       /* slot the record parser reads from, or -1  */
} hash_cookie;

static void *hc_thread(void *arg)
{
    hash_cookie *hc = arg;
    pthread_mutex_lock(&hc->mu);
    for (;;) {
        while (!hc->qcount && !hc->done)
            pthread_cond_wait(&hc->cv, &hc->mu);
        if (!hc->qcount)
            break;
        hc_job j = hc->q[hc->qhead];
        pthread_mutex_unlock(&hc->mu);
        int ok = EVP_DigestUpdate(hc->md, j.p, j.len) == 1;
        pthread_mutex_lock(&hc->mu);
        if (!ok)
            hc->md_err = 1;
        hc->qhead = (hc->qhead + 1) % HC_QLEN;
        hc->qcount--;
        hc->busy[j.slot]--;
        pthread_cond_broadcast(&hc->cv);
    }
    pthread_mutex_unlock(&hc->mu);
    return NULL;
}

/* Sets the sizes and starts the hashing thread; without it (no thread) the
 * digest is computed inline. rec: the record path may read this file. */
static void hc_start(hash_cookie *hc, uint64_t file_size, int rec)
{
    hc->fill_i = hc->held = -1;
    hc->chunk = file_size < HC_CHUNK ? (file_size < READ_BUF_SIZE ? READ_BUF_SIZE
                                                                  : (size_t)file_size)
                                     : HC_CHUNK;
    /* no record is longer than the file: a small file gets small slots */
    size_t rcap = file_size + REC_HDR_LEN < REC_BUF_SIZE ? (size_t)file_size + REC_HDR_LEN
                                                         : REC_BUF_SIZE;
    hc->slot_size = rec && rcap > hc->chunk ? rcap : hc->chunk;
    if (pthread_mutex_init(&hc->mu, NULL))
        return;
    if (pthread_cond_init(&hc->cv, NULL)) {
        pthread_mutex_destroy(&hc->mu);
        return;
    }
    if (pthread_create(&hc->th, NULL, hc_thread, hc)) {
        pthread_cond_destroy(&hc->cv);
        pthread_mutex_destroy(&hc->mu);
        return;
    }
    hc->th_on = 1;
}

/* Hashes len bytes at p, which lie in slot (they must stay unchanged until
 * the job is done, which busy[slot] tells). */
static void hc_queue(hash_cookie *hc, int slot, const uint8_t *p, size_t len)
{
    if (!len)
        return;
    if (!hc->th_on) {
        if (EVP_DigestUpdate(hc->md, p, len) != 1)
            hc->md_err = 1;
        return;
    }
    pthread_mutex_lock(&hc->mu);
    while (hc->qcount == HC_QLEN)
        pthread_cond_wait(&hc->cv, &hc->mu);
    hc->q[(hc->qhead + hc->qcount) % HC_QLEN] = (hc_job){ .p = p, .len = len, .slot = slot };
    hc->qcount++;
    hc->busy[slot]++;
    pthread_cond_broadcast(&hc->cv);
    pthread_mutex_unlock(&hc->mu);
}

/* Waits until every queued job is hashed. */
static void hc_drain(hash_cookie *hc)
{
    if (!hc->th_on)
        return;
    pthread_mutex_lock(&hc->mu);
    while (hc->qcount)
        pthread_cond_wait(&hc->cv, &hc->mu);
    pthread_mutex_unlock(&hc->mu);
}

/* A slot free for writing (no job in it, not being filled or parsed), of at
 * least need bytes if memory allows: the caller checks bcap. -1 if none can
 * be allocated. Blocks while every slot is in use. */
static int hc_slot(hash_cookie *hc, size_t need)
{
    int s = -1;
    if (hc->th_on)
        pthread_mutex_lock(&hc->mu);
    for (;;) {
        int fresh = -1, small = -1;
        for (int i = 0; i < HC_RING; i++) {
            if (i == hc->held || i == hc->fill_i || hc->busy[i])
                continue;
            if (hc->buf[i] && hc->bcap[i] >= need) {
                s = i;
                break;
            }
            if (!hc->buf[i]) {
                if (fresh < 0)
                    fresh = i;
            } else if (small < 0) {
                small = i;
            }
        }
        if (s < 0)
            s = fresh >= 0 ? fresh : small;
        if (s >= 0 || !hc->th_on)
            break;
        pthread_cond_wait(&hc->cv, &hc->mu);
    }
    if (hc->th_on)
        pthread_mutex_unlock(&hc->mu);
    if (s < 0)
        return -1;
    if (hc->bcap[s] < need) {
        /* nothing in it is wanted: a new buffer rather than realloc's copy */
        size_t sz = need > hc->slot_size ? need : hc->slot_size;
        uint8_t *b = fs_arr_alloc(sz);
        if (b) {
            fs_arr_free(hc->buf[s], hc->bcap[s]);
            hc->buf[s] = b;
            hc->bcap[s] = sz;
        } else if (!hc->buf[s]) {
            return -1;
        }
    }
    return s;
}

/* Queues the slot the cookie is gathering into, if any. */
static void hc_submit(hash_cookie *hc)
{
    if (hc->fill_i < 0)
        return;
    int s = hc->fill_i;
    hc->fill_i = -1;
    hc_queue(hc, s, hc->buf[s], hc->fill);
    hc->fill = 0;
}

/* Waits until every job is hashed and stops the thread (the slots stay). */
static void hc_stop(hash_cookie *hc)
{
    hc_submit(hc);
    if (hc->th_on) {
        pthread_mutex_lock(&hc->mu);
        hc->done = 1;
        pthread_cond_broadcast(&hc->cv);
        pthread_mutex_unlock(&hc->mu);
        pthread_join(hc->th, NULL);
        pthread_cond_destroy(&hc->cv);
        pthread_mutex_destroy(&hc->mu);
        hc->th_on = 0;
    }
}

/* Frees the slots except keep (the one the last packet may point into);
 * the hashing thread is stopped. */
static void hc_free_slots(hash_cookie *hc, int keep)
{
    for (int i = 0; i < HC_RING; i++) {
        if (i == keep)
            continue;
        fs_arr_free(hc->buf[i], hc->bcap[i]);
        hc->buf[i] = NULL;
        hc->bcap[i] = 0;
    }
}

/* Digest of a chunk the cookie read into stdio's (or libpcap's) buffer. */
static void hc_digest(hash_cookie *hc, const char *data, size_t n)
{
    if (hc->th_on && n <= hc->chunk) {
        if (hc->fill_i >= 0 && hc->fill + n > hc->chunk)
            hc_submit(hc);
        if (hc->fill_i < 0) {
            int s = hc_slot(hc, hc->chunk);
            if (s >= 0 && hc->bcap[s] >= hc->chunk) {
                hc->fill_i = s;
                hc->fill = 0;
            }
        }
        if (hc->fill_i >= 0) {
            memcpy(hc->buf[hc->fill_i] + hc->fill, data, n);
            hc->fill += n;
            if (hc->fill == hc->chunk)
                hc_submit(hc);
            return;
        }
    }
    /* an odd-sized request or no slot: hash it in order, after the queue */
    hc_submit(hc);
    hc_drain(hc);
    if (EVP_DigestUpdate(hc->md, data, n) != 1)
        hc->md_err = 1;
}

static ssize_t hc_read(void *c, char *buf, size_t size)
{
    hash_cookie *hc = c;
    ssize_t n;
    do
        n = read(hc->fd, buf, size);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        hc->io_err = errno;
        return -1;
    }
    if (n == 0)
        hc->eof = 1;
    else
        hc_digest(hc, buf, (size_t)n);
    hc->nread += (uint64_t)n;
    return n;
}

/* The record path's read: up to ask bytes into p straight from the file,
 * looping like fread until they are all there, the end of the file, or an
 * error. Returns the bytes read; the caller queues them for the digest. */
static size_t hc_pull(hash_cookie *hc, uint8_t *p, size_t ask)
{
    size_t got = 0;
    while (got < ask) {
        ssize_t n = read(hc->fd, p + got, ask - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            hc->io_err = errno;
            break;
        }
        if (n == 0) {
            hc->eof = 1;
            break;
        }
        got += (size_t)n;
    }
    hc->nread += got;
    return got;
}

static int hc_close(void *c)
{
    hash_cookie *hc = c;
    int rc = 0;
    if (hc->fd >= 0)
        rc = close(hc->fd);
    hc->fd = -1;
    return rc;
}

/* ---- reader ----------------------------------------------------------------- */

enum { F_LIVE, F_DONE, F_FAILED };

/* Classic pcap records read by flowsim itself (see rec_next). */
typedef struct rec_reader {
    int       on;
    int       swapped;     /* file written in the other byte order          */
    int       scale_us;    /* microsecond file: fraction x 1000 to get ns   */
    uint32_t  snapshot;    /* libpcap's snapshot length for the file         */
    uint8_t  *buf;         /* the hashing ring's slot f->hc.held          */
    size_t    pos, end;    /* next record, end of the bytes read into buf */
} rec_reader;

typedef struct fs_file {
    fs_file_info info;
    char        *path;
    pcap_t      *pcap;
    hash_cookie  hc;
    rec_reader   rr;
    fs_dcache_r *dr;          /* replaying from a decoded-trace cache     */
    fs_dcache_w *dw;          /* writing one while the pcap is read       */
    fs_pkt       pend;        /* pending decoded packet, valid if in the heap */
    int          state;
    int          have_prev;   /* a frame was read: prev_ts is meaningful */
    int          have_pkt;    /* a packet was made: first_ts is set */
    fs_ns        prev_ts;     /* clamped timestamp of the previous frame */
    char         ltname[64];
} fs_file;

struct fs_reader {
    int      n;
    fs_file *f;
    int     *heap;       /* file indices, min-heap on (pend.ts, index) */
    int      heap_n;
    int      primed;     /* files 0..primed-1 have had their first fill */
    int      refill;     /* file whose packet was returned last, or -1 */
};

/* ---- classic pcap records ---------------------------------------------------
 *
 * For pcap files of version 2.4 (every writer since 1998), flowsim reads the
 * records itself once libpcap has checked the global header: the record
 * headers and frames are parsed in place from the hashing ring's slots, each
 * filled by one read(2) of 1 MiB straight from the file (the hashing thread
 * hashes the same bytes from the slot), so no frame is copied; only a record
 * cut by the end of a slot is carried over to the start of the next one. It
 * follows libpcap's rules for
 * records (sf-pcap.c): a 16-byte header of seconds, fraction, captured and
 * original length, in the file's byte order; a captured length above the
 * link type's maximum (262144 for every link type flowsim decodes) is an
 * error (libpcap's message names the snapshot length); one above the file's snapshot length is cut to it and the rest
 * skipped; a short header or frame is a truncated record. The seconds and
 * fraction become a struct timeval the way libpcap fills it (sign-extended
 * in the file's native order, unsigned when swapped; microseconds x 1000),
 * so both paths give the same packets and the same errors, which
 * tests/test_decode.c checks frame by frame. Other files (pcapng, older
 * versions, modified formats) go through pcap_next_ex.                    */

static uint32_t swap32(uint32_t v)
{
    return __builtin_bswap32(v);
}

/* Decides whether this file's records are read by rec_next and sets it up. */
static void rec_setup(fs_file *f, uint32_t magic, int no_fast)
{
    rec_reader *rr = &f->rr;
    hash_cookie *hc = &f->hc;
    if (no_fast || f->info.is_pcapng)
        return;
    if (magic != MAGIC_PCAP_US && magic != MAGIC_PCAP_US_SW && magic != MAGIC_PCAP_NS &&
        magic != MAGIC_PCAP_NS_SW)
        return;
    if (pcap_major_version(f->pcap) != 2 || pcap_minor_version(f->pcap) < 4)
        return;
    int snap = pcap_snapshot(f->pcap);
    FILE *fp = pcap_file(f->pcap);
    if (snap <= 0 || !fp)
        return;
    /* libpcap has taken the 24-byte global header from the stream; what the
     * stream read beyond it (already digested) is still in its buffer. */
    if (hc->nread < PCAP_GLOBAL_HDR_LEN || hc->nread - PCAP_GLOBAL_HDR_LEN > REC_BUF_SIZE)
        return;
    size_t ahead = (size_t)(hc->nread - PCAP_GLOBAL_HDR_LEN);
#ifdef __GLIBC__
    if (fp->_IO_read_end - fp->_IO_read_ptr != (ptrdiff_t)ahead)
        return;  /* not what we think the stream holds: libpcap reads on */
#endif
    /* every slot now, so a failure leaves libpcap's path, which needs none */
    for (int i = 0; i < HC_RING; i++) {
        if (hc->buf[i])
            continue;
        if (!(hc->buf[i] = fs_arr_alloc(hc->slot_size)))
            return;
        hc->bcap[i] = hc->slot_size;
    }
    hc_submit(hc);  /* the stream's bytes go to the digest before ours */
    int s = hc_slot(hc, ahead > hc->slot_size ? ahead : hc->slot_size);
    if (s < 0 || hc->bcap[s] < ahead)
        return;
    hc->held = s;  /* (so the stream could not gather into it either) */
    if (ahead && fread(hc->buf[s], 1, ahead, fp) != ahead) {
        hc->held = -1;  /* cannot happen: the bytes are in the stream's buffer */
        return;
    }
    rr->buf = hc->buf[s];
    rr->pos = 0;
    rr->end = ahead;
    rr->swapped = pcap_is_swapped(f->pcap);
    rr->scale_us = magic == MAGIC_PCAP_US || magic == MAGIC_PCAP_US_SW;
    rr->snapshot = (uint32_t)snap;
    rr->on = 1;
}

/* Makes at least want bytes available at rr->pos (fewer at the end of the
 * file or on a read error). Returns the bytes available. The frame returned
 * last may be overwritten: its slot can be released here. */
static size_t rec_avail(fs_file *f, size_t want)
{
    rec_reader *rr = &f->rr;
    hash_cookie *hc = &f->hc;
    size_t have = rr->end - rr->pos;
    if (have >= want || hc->eof || hc->io_err)
        return have;  /* the end of the file is sticky, as in stdio */
    size_t cap = hc->bcap[hc->held];
    size_t room = cap - rr->end;
    /* Read on into the slot while a full chunk fits (or, in a small slot,
     * while the record does); otherwise carry the partial record over to a
     * free slot and read the next chunk behind it. */
    if (!(room > 0 && rr->pos + want <= cap && (room >= REC_CHUNK || cap < REC_BUF_SIZE))) {
        size_t need = want <= hc->slot_size ? hc->slot_size : REC_BUF_SIZE;  /* it grew */
        int t = hc_slot(hc, need);
        if (t < 0 || hc->bcap[t] <= have)
            return have;
        memcpy(hc->buf[t], rr->buf + rr->pos, have);
        hc->held = t;  /* the old slot is free once its bytes are hashed */
        rr->buf = hc->buf[t];
        rr->pos = 0;
        rr->end = have;
        cap = hc->bcap[t];
    }
    while (rr->end - rr->pos < want && rr->end < cap && !hc->eof && !hc->io_err) {
        size_t ask = cap - rr->end < REC_CHUNK ? cap - rr->end : REC_CHUNK;
        size_t n = hc_pull(hc, rr->buf + rr->end, ask);
        hc_queue(hc, hc->held, rr->buf + rr->end, n);
        rr->end += n;
    }
    return rr->end - rr->pos;
}

/* Next record: 1 with *h and *data set, 0 at a clean end of file, -1 with
 * libpcap's message for the same condition in pe. */
static int rec_next(fs_file *f, struct pcap_pkthdr *h, const u_char **data, char *pe,
                    size_t pelen)
{
    rec_reader *rr = &f->rr;
    size_t have = rec_avail(f, REC_HDR_LEN);
    if (have < REC_HDR_LEN) {
        if (have == 0 && !f->hc.io_err)
            return 0;
        snprintf(pe, pelen, "truncated dump file; tried to read %d header bytes, only got %zu",
                 REC_HDR_LEN, have);
        return -1;
    }
    uint32_t w[4];
    memcpy(w, rr->buf + rr->pos, sizeof w);
    if (rr->swapped) {
        h->ts.tv_sec = (time_t)swap32(w[0]);
        h->ts.tv_usec = (suseconds_t)swap32(w[1]);
        h->caplen = swap32(w[2]);
        h->len = swap32(w[3]);
    } else {
        h->ts.tv_sec = (time_t)(int32_t)w[0];
        h->ts.tv_usec = (suseconds_t)(int32_t)w[1];
        h->caplen = w[2];
        h->len = w[3];
    }
    if (rr->scale_us)
        h->ts.tv_usec *= 1000;
    if (h->caplen > REC_MAX_CAPLEN) {
        snprintf(pe, pelen, "invalid packet capture length %u, bigger than snaplen of %u",
                 h->caplen, rr->snapshot);
        return -1;
    }
    uint32_t keep = h->caplen > rr->snapshot ? rr->snapshot : h->caplen;
    have = rec_avail(f, REC_HDR_LEN + (size_t)h->caplen) - REC_HDR_LEN;
    if (have < h->caplen) {
        if (have < keep)
            snprintf(pe, pelen, "truncated dump file; tried to read %u captured bytes, only "
                     "got %zu", keep, have);
        else
            snprintf(pe, pelen, "truncated dump file; tried to read %u captured bytes, only "
                     "got %zu", h->caplen, have);
        return -1;
    }
    *data = rr->buf + rr->pos + REC_HDR_LEN;
    rr->pos += REC_HDR_LEN + (size_t)h->caplen;
    h->caplen = keep;
    return 1;
}

static void file_close(fs_file *f)
{
    if (f->pcap)
        pcap_close(f->pcap);  /* fclose()s the cookie stream, closing fd */
    else if (f->hc.fd >= 0)
        close(f->hc.fd);
    f->pcap = NULL;
    f->hc.fd = -1;
    fs_dcache_r_close(f->dr);
    f->dr = NULL;
    fs_dcache_w_abort(f->dw);  /* a cache is committed only at a clean end */
    f->dw = NULL;
    f->rr.buf = NULL;
    hc_stop(&f->hc);
    hc_free_slots(&f->hc, -1);
    EVP_MD_CTX_free(f->hc.md);
    f->hc.md = NULL;
    free(f->path);
    f->path = NULL;
}

/* Names compression formats people often feed by mistake, for the message. */
static const char *magic_hint(const uint8_t *b, size_t n)
{
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return " (gzip-compressed? decompress it first)";
    if (n >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X')
        return " (xz-compressed? decompress it first)";
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h')
        return " (bzip2-compressed? decompress it first)";
    if (n >= 4 && be32(b) == 0x28b52ffdu)  /* zstd frame magic, big-endian bytes */
        return " (zstd-compressed? decompress it first)";
    return "";
}

/* Decoded-trace cache for the file: replays it when a valid one exists (1),
 * otherwise leaves *cpath set for writing one (0). A corrupt cache is
 * reported on stderr and rewritten; the cache never makes a run fail. */
static int dcache_try(fs_file *f, const char *dir, fs_dcache_id *id, char *cpath, size_t n)
{
    char e[1024];
    cpath[0] = '\0';
    if (fs_dcache_id_of(f->path, id, e, sizeof e) ||
        fs_dcache_path(dir, f->path, id, cpath, n)) {
        cpath[0] = '\0';
        return 0;  /* the pcap's own open reports what is wrong */
    }
    int rc = fs_dcache_r_open(&f->dr, cpath, id, FS_DECODER_VERSION, &f->info, e, sizeof e);
    if (rc == 0) {
        f->info.path = f->path;
        f->info.dcache = FS_DCACHE_REPLAYED;
        snprintf(f->ltname, sizeof f->ltname, "%s", fs_linktype_name(f->info.linktype));
        f->info.linktype_name = f->ltname;
        f->state = F_LIVE;
        return 1;
    }
    if (rc < 0)
        fprintf(stderr, "flowsim: %s; decoding %s again\n", e, f->path);
    return 0;
}

static int file_open(fs_file *f, const char *path, int no_fast, const char *dcdir,
                     char *err, size_t errlen)
{
    f->hc.fd = -1;
    f->hc.fill_i = f->hc.held = -1;
    f->path = strdup(path);
    if (!f->path) {
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    f->info.path = f->path;
    fs_dcache_id dcid;
    char cpath[4096] = "";
    if (dcdir && dcache_try(f, dcdir, &dcid, cpath, sizeof cpath))
        return 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    f->hc.fd = fd;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        seterr(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "%s: is a directory, not a capture file", path);
        return -1;
    }
    f->info.size_bytes = (uint64_t)st.st_size;

    /* Look at the header ourselves (pread leaves the offset at 0 for the
     * hashing stream) so the common failures get precise messages. */
    uint8_t hdr[PCAPNG_MIN_SHB_LEN];
    size_t got = 0;
    while (got < sizeof hdr) {
        ssize_t n = pread(fd, hdr + got, sizeof hdr - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got == 0) {
        seterr(err, errlen, "%s: empty file", path);
        return -1;
    }
    uint32_t magic = got >= 4 ? be32(hdr) : 0;
    int is_pcap = magic == MAGIC_PCAP_US || magic == MAGIC_PCAP_US_SW ||
                  magic == MAGIC_PCAP_NS || magic == MAGIC_PCAP_NS_SW ||
                  magic == MAGIC_PCAP_KUZ || magic == MAGIC_PCAP_KUZ_SW;
    int is_ng = magic == MAGIC_PCAPNG_SHB;
    if (got < 4 || (is_pcap && got < PCAP_GLOBAL_HDR_LEN)) {
        seterr(err, errlen, "%s: truncated global header (%zu of %d bytes)", path, got,
               PCAP_GLOBAL_HDR_LEN);
        return -1;
    }
    if (is_ng && got < PCAPNG_MIN_SHB_LEN) {
        seterr(err, errlen, "%s: truncated pcapng section header block (%zu of %d bytes)",
               path, got, PCAPNG_MIN_SHB_LEN);
        return -1;
    }
    if (!is_pcap && !is_ng) {
        seterr(err, errlen, "%s: not a pcap or pcapng file (bad magic 0x%08" PRIx32 ")%s",
               path, magic, magic_hint(hdr, got));
        return -1;
    }
    f->info.is_pcapng = is_ng;

    f->hc.md = EVP_MD_CTX_new();
    if (!f->hc.md || EVP_DigestInit_ex(f->hc.md, EVP_sha256(), NULL) != 1) {
        seterr(err, errlen, "%s: cannot initialise SHA-256 (OpenSSL)", path);
        return -1;
    }
    hc_start(&f->hc, f->info.size_bytes, is_pcap && !no_fast);
    cookie_io_functions_t io = { .read = hc_read, .write = NULL, .seek = NULL,
                                 .close = hc_close };
    FILE *fp = fopencookie(&f->hc, "r", io);
    if (!fp) {
        seterr(err, errlen, "%s: cannot create stream: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(fp, NULL, _IOFBF, READ_BUF_SIZE);  /* failure just keeps the default */

    char pe[PCAP_ERRBUF_SIZE];
    pe[0] = '\0';
    f->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
    if (!f->pcap) {
        fclose(fp);  /* libpcap leaves the stream to us on failure; closes fd */
        seterr(err, errlen, "%s: %s", path, pe[0] ? pe : "libpcap cannot read the file");
        return -1;
    }
    int dlt = pcap_datalink(f->pcap);
    if (!linktype_supported(dlt)) {
        seterr(err, errlen, "%s: unsupported link type %d (%s)", path, dlt, fs_linktype_name(dlt));
        return -1;
    }
    f->info.linktype = dlt;
    snprintf(f->ltname, sizeof f->ltname, "%s", fs_linktype_name(dlt));
    f->info.linktype_name = f->ltname;
    int snap = pcap_snapshot(f->pcap);
    f->info.snaplen = snap > 0 ? (uint32_t)snap : 0;
    rec_setup(f, magic, no_fast);
    if (cpath[0]) {
        char e[1024];
        if (fs_dcache_w_open(&f->dw, cpath, &dcid, path, FS_DECODER_VERSION, dlt,
                             f->info.snaplen, is_ng, e, sizeof e))
            fprintf(stderr, "flowsim: %s (the decoded-trace cache is not written)\n", e);
    }
    f->state = F_LIVE;
    return 0;
}

/* Reads the rest of the file through the digest (normally nothing: libpcap
 * stops at EOF) and finishes the hex SHA-256. */
static void file_finish_sha(fs_file *f)
{
    char buf[4096];
    while (!f->hc.eof && !f->hc.io_err && f->hc.fd >= 0)
        if (hc_read(&f->hc, buf, sizeof buf) < 0)
            break;
    hc_stop(&f->hc);
    hc_free_slots(&f->hc, f->hc.held);  /* the last frame may point into held */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (f->hc.eof && !f->hc.io_err && !f->hc.md_err &&
        EVP_DigestFinal_ex(f->hc.md, md, &mdlen) == 1 && mdlen == 32) {
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < mdlen; i++) {
            f->info.sha256[2 * i] = hex[md[i] >> 4];
            f->info.sha256[2 * i + 1] = hex[md[i] & 0x0f];
        }
        f->info.sha256[64] = '\0';
        f->info.sha256_done = 1;
    }
}

/* Timestamps flowsim accepts: within 2^62 ns of the epoch (1854 to 2116).
 * Simulated time is int64 nanoseconds and INT64_MAX means "never"; keeping a
 * margin of 2^62 ns on either side lets every timer, bin end and timeout be
 * computed without overflow. pcapng can hold far larger values. */
#define FS_TS_MAX_S ((INT64_C(1) << 62) / FS_NS_PER_S - 5)

/* The sub-second field of a record may hold up to this many seconds' worth
 * (a malformed file: the excess adds to the seconds); more, or a negative
 * value, is refused. */
#define FS_TS_MAX_SUBSEC_S 5

/* pcap timestamp (ns precision: tv_usec holds nanoseconds, possibly more
 * than a second's worth in a malformed file, which adds on) to fs_ns;
 * INT64_MIN if outside the accepted range. */
static fs_ns ts_to_ns(const struct timeval *tv)
{
    int64_t s = (int64_t)tv->tv_sec;
    if (s <= -FS_TS_MAX_S || s >= FS_TS_MAX_S || tv->tv_usec < 0 ||
        tv->tv_usec > FS_TS_MAX_SUBSEC_S * FS_NS_PER_S)
        return INT64_MIN;
    return s * FS_NS_PER_S + (int64_t)tv->tv_usec;
}

/* Reads frames of file i until one decodes into a packet, left in *out
 * (f->pend when several files are merged, the caller's packet for one file).
 * Returns 1, 0 at the end of the file, -1 on error (message in err). */
static int file_fill(fs_reader *r, int i, fs_pkt *out, char *err, size_t errlen)
{
    fs_file *f = &r->f[i];
    if (f->state != F_LIVE)
        return 0;
    if (f->dr) {
        /* replay: the packets as the reader made them when it wrote the cache;
         * key_hash carries the default key configuration's hash */
        uint64_t h0;
        int rc = fs_dcache_r_next(f->dr, out, &h0);
        if (rc == 1) {
            out->key_hash = h0;
            out->source = (uint16_t)i;
            return 1;
        }
        if (rc == 0) {
            f->state = F_DONE;
            return 0;
        }
        f->state = F_FAILED;
        seterr(err, errlen, "%s", fs_dcache_r_error(f->dr));
        return -1;
    }
    for (;;) {
        struct pcap_pkthdr rh, *h = &rh;
        const u_char *data;
        char rpe[160];
        int rc;
        if (f->rr.on) {
            rc = rec_next(f, &rh, &data, rpe, sizeof rpe);
            if (rc == 0)
                rc = PCAP_ERROR_BREAK;
        } else {
            rc = pcap_next_ex(f->pcap, &h, &data);
        }
        if (rc == PCAP_ERROR_BREAK) {  /* clean end of file */
            f->state = F_DONE;
            file_finish_sha(f);
            if (f->dw) {
                char e[1024];
                fs_dcache_w *w = f->dw;
                f->dw = NULL;
                if (!f->info.sha256_done)
                    fs_dcache_w_abort(w);
                else if (fs_dcache_w_commit(w, &f->info, e, sizeof e))
                    fprintf(stderr, "flowsim: %s (the decoded-trace cache is not written)\n", e);
                else
                    f->info.dcache = FS_DCACHE_WRITTEN;
            }
            return 0;
        }
        if (rc != 1) {
            uint64_t frame = f->info.frames + 1;
            const char *pe = f->rr.on ? rpe
                             : rc == 0 ? "libpcap returned no packet (timeout) on a file"
                                       : pcap_geterr(f->pcap);
            f->state = F_FAILED;
            if (f->hc.io_err)
                seterr(err, errlen, "%s: read error at frame %" PRIu64 ": %s", f->path, frame,
                       strerror(f->hc.io_err));
            else if (strstr(pe, "truncated"))
                seterr(err, errlen, "%s: truncated record at frame %" PRIu64 " (%s)", f->path,
                       frame, pe);
            else
                seterr(err, errlen, "%s: bad record at frame %" PRIu64 ": %s", f->path, frame, pe);
            return -1;
        }
        f->info.frames++;
        fs_ns ts = ts_to_ns(&h->ts);
        if (ts == INT64_MIN) {
            f->state = F_FAILED;
            int64_t sec = (int64_t)h->ts.tv_sec;
            if (sec > -FS_TS_MAX_S && sec < FS_TS_MAX_S) {
                /* the seconds are fine: the sub-second field is not. It is
                 * shown in nanoseconds as read (a microsecond field times
                 * 1000; read as libpcap does: signed in a file of this
                 * machine's byte order, unsigned in a swapped one), so that
                 * libpcap's records and flowsim's give the same message */
                seterr(err, errlen, "%s: frame %" PRIu64 ": sub-second part of the timestamp, "
                       "%lld ns, is out of range (0 to %lld ns: up to %d s, the excess over a "
                       "second adding to the seconds)", f->path, f->info.frames,
                       (long long)h->ts.tv_usec,
                       (long long)(FS_TS_MAX_SUBSEC_S * FS_NS_PER_S), FS_TS_MAX_SUBSEC_S);
            } else {
                seterr(err, errlen, "%s: frame %" PRIu64 ": timestamp %lld s is outside the "
                       "range flowsim accepts (within %lld s of the epoch: 1854 to 2116)",
                       f->path, f->info.frames, (long long)sec, (long long)FS_TS_MAX_S);
            }
            return -1;
        }
        if (f->have_prev && ts < f->prev_ts) {
            ts = f->prev_ts;
            f->info.status[FS_DEC_TS_BACKWARDS]++;
        }
        f->have_prev = 1;
        f->prev_ts = ts;

        int s = fs_decode(f->info.linktype, data, h->caplen, h->len, out);
        f->info.status[s]++;
        if (fs_decode_is_drop(s))
            continue;
        out->ts = ts;
        out->source = (uint16_t)i;
        if (f->dw)
            fs_dcache_w_add(f->dw, out);
        if (!f->have_pkt)
            f->info.first_ts = ts;
        f->have_pkt = 1;
        f->info.last_ts = ts;
        return 1;
    }
}

static int heap_less(const fs_reader *r, int a, int b)
{
    fs_ns ta = r->f[a].pend.ts, tb = r->f[b].pend.ts;
    return ta < tb || (ta == tb && a < b);
}

static void heap_push(fs_reader *r, int i)
{
    int k = r->heap_n++;
    while (k > 0) {
        int parent = (k - 1) / 2;
        if (!heap_less(r, i, r->heap[parent]))
            break;
        r->heap[k] = r->heap[parent];
        k = parent;
    }
    r->heap[k] = i;
}

static int heap_pop(fs_reader *r)
{
    int top = r->heap[0];
    int last = r->heap[--r->heap_n];
    int k = 0;
    for (;;) {
        int c = 2 * k + 1;
        if (c >= r->heap_n)
            break;
        if (c + 1 < r->heap_n && heap_less(r, r->heap[c + 1], r->heap[c]))
            c++;
        if (!heap_less(r, r->heap[c], last))
            break;
        r->heap[k] = r->heap[c];
        k = c;
    }
    if (r->heap_n > 0)
        r->heap[k] = last;
    return top;
}

int fs_reader_open(fs_reader **out, const char *const *paths, int npaths,
                   char *err, size_t errlen)
{
    return fs_reader_open_opts(out, paths, npaths, NULL, err, errlen);
}

int fs_reader_open_opts(fs_reader **out, const char *const *paths, int npaths,
                        const fs_reader_opts *opts, char *err, size_t errlen)
{
    int no_fast = opts && opts->libpcap_records;
    const char *dcdir = opts && opts->decode_cache && *opts->decode_cache ? opts->decode_cache
                                                                          : NULL;
    *out = NULL;
    if (npaths <= 0) {
        seterr(err, errlen, "no trace files given");
        return -1;
    }
    if (npaths > UINT16_MAX + 1) {  /* pkt->source is 16 bits */
        seterr(err, errlen, "%s: too many trace files (%d, at most %d)", paths[0], npaths,
               UINT16_MAX + 1);
        return -1;
    }
    fs_reader *r = calloc(1, sizeof *r);
    if (!r) {
        seterr(err, errlen, "%s: out of memory", paths[0]);
        return -1;
    }
    r->refill = -1;
    r->f = calloc((size_t)npaths, sizeof *r->f);
    r->heap = calloc((size_t)npaths, sizeof *r->heap);
    if (!r->f || !r->heap) {
        free(r->f);
        free(r->heap);
        free(r);
        seterr(err, errlen, "%s: out of memory", paths[0]);
        return -1;
    }
    for (int i = 0; i < npaths; i++) {
        r->n = i + 1;  /* so close() cleans up this file as well */
        if (file_open(&r->f[i], paths[i], no_fast, dcdir, err, errlen) != 0) {
            fs_reader_close(r);
            return -1;
        }
    }
    *out = r;
    return 0;
}

int fs_reader_next(fs_reader *r, fs_pkt *pkt, char *err, size_t errlen)
{
    /* One file: nothing to merge, the packet is made in place. */
    if (r->n == 1)
        return file_fill(r, 0, pkt, err, errlen);
    /* First fill of every file, done lazily so a bad first record is an error
     * of next() (naming the frame) rather than of open(). A file that fails
     * drops out of the merge; calling again continues with the others. */
    while (r->primed < r->n) {
        int i = r->primed++;
        int rc = file_fill(r, i, &r->f[i].pend, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            heap_push(r, i);
    }
    /* The packet returned last pointed into its file's libpcap buffer; only
     * now, on the next call, may that file read ahead. */
    if (r->refill >= 0) {
        int i = r->refill;
        r->refill = -1;
        int rc = file_fill(r, i, &r->f[i].pend, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            heap_push(r, i);
    }
    if (r->heap_n == 0)
        return 0;
    int i = heap_pop(r);
    *pkt = r->f[i].pend;
    r->refill = i;
    return 1;
}

int fs_reader_nfiles(const fs_reader *r)
{
    return r->n;
}

const fs_file_info *fs_reader_file(const fs_reader *r, int i)
{
    if (i < 0 || i >= r->n)
        return NULL;
    return &r->f[i].info;
}

void fs_reader_close(fs_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        file_close(&r->f[i]);
    free(r->f);
    free(r->heap);
    free(r);
}
