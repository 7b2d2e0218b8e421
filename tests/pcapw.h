/* flowsim — test helper: build frames from a small spec and write them into
 * pcap files with libpcap, so known-answer tests make their own inputs
 * instead of committing binaries.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Typical use:
 *
 *     char dir[64], path[128];
 *     pcapw_tmpdir(dir, sizeof dir);
 *     snprintf(path, sizeof path, "%s/a.pcap", dir);
 *     pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
 *     pcapw_pkt s = pcapw_tcp("10.0.0.1", 1000, "10.0.0.2", 80, FS_TCP_SYN);
 *     pcapw_put(w, 1 * FS_NS_PER_S, &s);          // built for the file's DLT
 *     s.tcp_flags = FS_TCP_FIN | FS_TCP_ACK; s.payload_len = 100;
 *     pcapw_put(w, 2 * FS_NS_PER_S, &s);
 *     pcapw_close(w);
 *     ... read it back ...
 *     pcapw_rmdir(dir);
 *
 * Frames are built as: link header (per DLT, with VLAN tags for Ethernet and
 * the Linux cooked headers; none for raw IP and for link types pcapw does
 * not know) + IPv4 (with options and fragment fields) or
 * IPv6 (with a chain of extension headers) + transport header + payload
 * (bytes 0, 1, 2, ...). The IPv4 header checksum is correct; transport
 * checksums are left 0. Nothing here allocates per frame; none of it exits.
 */
#ifndef FS_PCAPW_H
#define FS_PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>   /* DLT_* values for pcapw_open / pcapw_build */

/* Largest frame pcapw_build makes: a 64 KiB IP datagram plus headers. */
#define PCAPW_MAX_FRAME 70000
/* Most IPv6 extension headers one spec can carry. */
#define PCAPW_MAX_EXT 8
/* Most encapsulation headers one spec can carry. */
#define PCAPW_MAX_ENCAP 4
/* Encapsulations between the link header (and its VLAN tags) and IP. */
enum pcapw_encap {
    PCAPW_MPLS = 1,   /* MPLS label stack (ethertype 0x8847) of mpls_labels entries, the
                         last with the bottom-of-stack bit; what follows has no type
                         field: IP, or PCAPW_PW_ETH */
    PCAPW_PPPOE,      /* PPPoE session header (0x8864, session 1) and the PPP protocol:
                         ppp_proto, or 0x0021 / 0x0057 from ipv when it is the last,
                         0x0281 before MPLS */
    PCAPW_PBB,        /* 802.1ah I-TAG (0x88e7, I-SID 0x123456) and an inner Ethernet
                         header whose ethertype is what follows */
    PCAPW_PW_ETH      /* after MPLS: a zero pseudowire control word and an Ethernet
                         header whose ethertype is what follows */
};
/* Snaplen written into files by pcapw_open (libpcap's own maximum). */
#define PCAPW_DEFAULT_SNAPLEN 262144

typedef struct pcapw_pkt {
    /* ---- network layer ---- */
    int      ipv;              /* 4 or 6; 0: no IP, the link payload is payload_len
                                  bytes (set ethertype / af for e.g. ARP); -1: invalid
                                  (a constructor got a bad address), builds fail */
    uint8_t  src[16], dst[16]; /* IPv4 addresses in the first 4 bytes */
    uint8_t  proto;            /* 6 TCP, 17 UDP, 132 SCTP, 136 UDP-Lite, 1 ICMP,
                                  58 ICMPv6 get their header; others get none */
    uint8_t  tos;              /* IPv4 ToS / IPv6 traffic class */
    uint8_t  ttl;              /* 0 means 64 */
    uint16_t payload_len;      /* bytes after the transport header */
    /* IPv4 only */
    uint8_t  ip_opt_len;       /* option bytes: a multiple of 4, at most 40 */
    uint8_t  df;               /* don't-fragment flag */
    uint8_t  ihl;              /* written instead of the real IHL if nonzero (bad headers) */
    /* IPv4 and IPv6 (IPv6: used by an extension header of type 44) */
    uint16_t ip_id;            /* IPv4 identification / IPv6 fragment identification */
    uint16_t frag_off;         /* fragment offset in 8-byte units; > 0 omits the
                                  transport header (a non-first fragment) */
    uint8_t  mf;               /* more-fragments flag */
    /* header overrides for bad-input tests */
    uint8_t  version;          /* written instead of ipv in the version nibble if nonzero */
    uint8_t  ip_len_set;       /* if set, ip_len is written as the IPv4 total length /
                                  IPv6 payload length instead of the real one */
    uint16_t ip_len;
    /* IPv6 extension headers, in order. Types 0 (hop-by-hop), 43 (routing),
     * 60 (destination options) and unknown types are 8 + 8*ext_units[i]
     * bytes; 44 (fragment) is 8 bytes from frag_off/mf/ip_id; 51 (AH) is
     * 24 bytes (12-byte ICV). */
    uint8_t  ext[PCAPW_MAX_EXT];
    uint8_t  ext_units[PCAPW_MAX_EXT];
    int      n_ext;

    /* ---- transport layer ---- */
    uint16_t sport, dport;     /* TCP, UDP, SCTP, UDP-Lite */
    uint8_t  tcp_flags;        /* FS_TCP_* bits */
    uint8_t  icmp_type, icmp_code;

    /* ---- link layer ---- */
    int      n_vlan;           /* 0..2 tags (Ethernet, SLL, SLL2), outer first */
    uint16_t vlan[2];          /* VLAN ids (12 bits; the upper TCI bits are 0) */
    uint16_t vlan_tpid[2];     /* tag ethertypes; 0 means 0x88a8 for the outer of two
                                  tags, 0x8100 otherwise */
    uint16_t ethertype;        /* 0 means 0x0800 / 0x86dd from ipv */
    uint32_t af;               /* DLT_NULL / DLT_LOOP family; 0 means 2 (IPv4) or
                                  24 (IPv6) */
    uint8_t  af_swap;          /* DLT_NULL: write the family in the other byte order
                                  (a capture from a host of the other endianness) */
    /* Encapsulations after the VLAN tags (Ethernet, SLL, SLL2 only), outer
     * first; ethertype (or the IP default) is the type of what follows the
     * last one. */
    uint8_t  encap[PCAPW_MAX_ENCAP]; /* enum pcapw_encap */
    int      n_encap;
    uint8_t  mpls_labels;      /* entries of each MPLS stack; 0 means 1 */
    uint16_t ppp_proto;        /* PPP protocol of a PPPoE header; 0: from ipv */
    /* IPv6 jumbogram (RFC 2675): if nonzero, a leading 8-byte hop-by-hop header
     * with a Jumbo Payload option saying this payload length, and payload length
     * 0 (the option's value is written as given, whatever the real length) */
    uint32_t jumbo;

    /* ---- capture ---- */
    uint32_t snaplen;          /* pcapw_put: captured bytes at most this; 0: whole frame */
} pcapw_pkt;

/* Spec constructors: all other fields 0. The address strings are IPv4 or
 * IPv6 literals (both of one family); a bad literal gives ipv = -1. */
pcapw_pkt pcapw_tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                    uint8_t flags);
pcapw_pkt pcapw_udp(const char *src, uint16_t sport, const char *dst, uint16_t dport);
pcapw_pkt pcapw_ip(const char *src, const char *dst, uint8_t proto);

/* Builds the frame for link type dlt into buf (cap bytes). Returns its
 * length, or 0 if the spec is invalid or buf is too small. */
size_t pcapw_build(uint8_t *buf, size_t cap, int dlt, const pcapw_pkt *s);

/* ---- pcap writer ---- */
typedef struct pcapw pcapw;

/* Creates a pcap file of link type dlt with nanosecond (nano = 1) or
 * microsecond (nano = 0; timestamps are truncated) resolution and snaplen
 * PCAPW_DEFAULT_SNAPLEN. NULL on failure (message on stderr). */
pcapw *pcapw_open(const char *path, int dlt, int nano);
pcapw *pcapw_open_snap(const char *path, int dlt, int nano, uint32_t snaplen);
/* Appends one record: caplen bytes of frame, original length len. caplen <
 * len makes a truncated (snaplen-limited) record. ts_ns >= 0. Returns 0. */
int pcapw_add(pcapw *w, int64_t ts_ns, const uint8_t *frame, uint32_t caplen, uint32_t len);
/* Builds s for the file's link type and appends it, truncated to
 * s->snaplen if set. Returns 0, or -1 if the frame cannot be built. */
int pcapw_put(pcapw *w, int64_t ts_ns, const pcapw_pkt *s);
/* Flushes and closes; returns 0, or -1 if writing failed. */
int pcapw_close(pcapw *w);

/* ---- files ---- */
/* Writes len raw bytes to path (for bad-input files). Returns 0 or -1. */
int pcapw_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd buffer (*len bytes); NULL if it cannot. */
uint8_t *pcapw_read_file(const char *path, size_t *len);
/* Makes a fresh directory /tmp/flowsim-test-XXXXXX; its path goes in buf.
 * Returns 0 or -1. */
int pcapw_tmpdir(char *buf, size_t n);
/* Removes the files in dir (not recursive) and dir itself. Returns 0 or -1. */
int pcapw_rmdir(const char *dir);

#endif
