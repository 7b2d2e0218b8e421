/* flowsim — core types shared by the engine, the decoder and the algorithms.
 *
 * This header defines the decoded packet (fs_pkt), the flow key (fs_key),
 * the exported flow record (fs_record), the expiry reasons and the decode
 * statuses. It holds no code with side effects; everything here is plain
 * data and small inline helpers.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#ifndef FS_FS_H
#define FS_FS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FS_VERSION "0.1.0"

/* Simulated time is the packet timestamp in nanoseconds since the epoch. */
typedef int64_t fs_ns;
#define FS_NS_PER_S  INT64_C(1000000000)
#define FS_NS_PER_MS INT64_C(1000000)
#define FS_NS_PER_US INT64_C(1000)
#define FS_NS_INF    INT64_MAX

/* TCP flag bits as on the wire. */
#define FS_TCP_FIN 0x01
#define FS_TCP_SYN 0x02
#define FS_TCP_RST 0x04
#define FS_TCP_PSH 0x08
#define FS_TCP_ACK 0x10

/* ---- flow key -------------------------------------------------------------
 * One key type for IPv4 and IPv6: IPv4 addresses are stored as IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) and FS_KEY_V6 is clear. Ports are 0 for
 * protocols without ports and for non-first fragments; for ICMP/ICMPv6 the
 * destination port holds type*256+code and the source port is 0, as NetFlow
 * does. All padding is zero so keys can be hashed and compared bytewise.   */
#define FS_KEY_V6 0x01
typedef struct fs_key {
    uint8_t  src[16];
    uint8_t  dst[16];
    uint16_t sport;
    uint16_t dport;
    uint8_t  proto;
    uint8_t  tos;
    uint8_t  flags;   /* FS_KEY_V6 */
    uint8_t  pad0;
    uint16_t vlan;    /* outer VLAN id (12 bits), 0 if none or not keyed */
    uint16_t pad1;
} fs_key;             /* 44 bytes */

static inline int fs_key_eq(const fs_key *a, const fs_key *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- decoded packet -------------------------------------------------------
 * What the decoder makes of one frame. The raw frame (data, caplen) is
 * valid only for the duration of the per-packet callback; meters must not
 * keep the pointer.                                                        */
enum fs_frag { FS_FRAG_NONE = 0, FS_FRAG_FIRST = 1, FS_FRAG_LATER = 2 };

typedef struct fs_pkt {
    fs_ns    ts;          /* timestamp (ns), after the monotonicity rule   */
    fs_key   key;         /* full key: vlan and tos always filled in       */
    uint32_t ip_len;      /* IP total length (IPv6: 40 + payload length)   */
    uint32_t wire_len;    /* frame length on the wire (pcap len)           */
    uint32_t caplen;      /* captured frame length                         */
    uint16_t l3_end;      /* captured bytes needed for the IP header(s)    */
    uint16_t ports_end;   /* ... for the ports / ICMP type+code (0: none)  */
    uint16_t flags_end;   /* ... for the TCP flags (0: not TCP)            */
    uint8_t  tcp_flags;   /* TCP flags, 0 if not TCP or not captured       */
    uint8_t  frag;        /* enum fs_frag                                  */
    uint16_t source;      /* index of the trace file (observation point)   */
    uint16_t ip_id;       /* IPv4 identification (0 for IPv6), for hashing */
    int      linktype;    /* DLT of the frame                              */
    uint64_t key_hash;    /* fs_key_hash(&key, 0) under the pipeline's key
                             config; set by the engine, 0 from the decoder.
                             Tables probed with it must use hash seed 0.   */
    const uint8_t *data;  /* raw frame, caplen bytes                       */
} fs_pkt;

/* ---- decode statuses (X-macro: enum, names and help from one table) ----- */
#define FS_DECODE_STATUS(X)                                                            \
    X(OK,            "ok",               "decoded into a packet")                     \
    X(NOT_IP,        "not_ip",           "link layer payload is not IPv4 or IPv6 (ARP, LLDP, ...)") \
    X(TRUNC_LINK,    "truncated_link",   "capture ends inside the link-layer header") \
    X(TRUNC_IP,      "truncated_ip",     "capture ends inside the IP header or its extension headers") \
    X(BAD_VERSION,   "bad_ip_version",   "IP version field does not match the link type") \
    X(BAD_HEADER,    "bad_ip_header",    "IPv4 header length < 20 or total length < header length") \
    X(UNKNOWN_LEN,   "unknown_ip_len",   "IPv4 total length 0 or IPv6 payload length 0 without a jumbo option (TSO / BIG TCP captures), and the frame was not captured whole") \
    X(UNSUP_LINK,    "unsupported_link", "link type the decoder does not handle")    \
    X(TRUNC_L4,      "truncated_l4",     "decoded, but ports/flags were not captured (counted as a packet, ports 0)") \
    X(FRAGMENT,      "fragment_later",   "decoded non-first IP fragment (counted as a packet, ports 0)") \
    X(TS_BACKWARDS,  "ts_backwards",     "timestamp earlier than the previous frame of the same file; clamped to it")

enum fs_decode_status {
#define FS_X(id, name, help) FS_DEC_##id,
    FS_DECODE_STATUS(FS_X)
#undef FS_X
    FS_DEC__COUNT
};
/* Statuses that mean "frame dropped" (no packet made). TRUNC_L4, FRAGMENT and
 * TS_BACKWARDS are notes on packets that were made.                        */
static inline int fs_decode_is_drop(int s)
{
    return s != FS_DEC_OK && s != FS_DEC_TRUNC_L4 && s != FS_DEC_FRAGMENT &&
           s != FS_DEC_TS_BACKWARDS;
}
extern const char *const fs_decode_status_name[FS_DEC__COUNT];
extern const char *const fs_decode_status_help[FS_DEC__COUNT];

/* ---- expiry reasons --------------------------------------------------------
 * Why a record was exported. Shared vocabulary of all meters.               */
#define FS_REASONS(X)                                                         \
    X(FIN,       "fin",       "TCP FIN seen (natural end)")                   \
    X(RST,       "rst",       "TCP RST seen (natural end)")                   \
    X(INACTIVE,  "inactive",  "no packet for the inactive timeout")           \
    X(ACTIVE,    "active",    "entry reached the active timeout")             \
    X(EMERGENCY, "emergency", "cache full: emergency expiry")                 \
    X(FLUSH,     "flush",     "end of trace")                                 \
    X(BIN,       "bin",       "end of a measurement bin")                     \
    X(SLICE,     "slice",     "end of a flow slice")

enum fs_reason {
#define FS_X(id, name, help) FS_REASON_##id,
    FS_REASONS(FS_X)
#undef FS_X
    FS_REASON__COUNT
};
extern const char *const fs_reason_name[FS_REASON__COUNT];
extern const char *const fs_reason_help[FS_REASON__COUNT];

/* ---- exported flow record ---------------------------------------------------
 * What every meter emits. Fields an algorithm does not use keep the neutral
 * value (probabilities 1, bin -1, counts 0). The record is valid only during
 * the emit callback (bin_pkts/bin_bytes point into the meter's memory).     */
typedef struct fs_record {
    fs_key   key;
    fs_ns    first;        /* timestamp of the first counted packet        */
    fs_ns    last;         /* timestamp of the last counted packet         */
    fs_ns    exported;     /* simulated time of export                     */
    uint64_t pkts;         /* counted packets (ANF: renormalized)          */
    double   bytes;        /* counted bytes (FS: starts at b/p)            */
    double   bytes_sq;     /* second-moment counter for the algorithm's own
                              byte-variance estimate (NAN if not tracked):
                              NetFlow, ANF: sum of squared sizes of counted
                              packets; Flow Slices: its per-record variance
                              counter (flow_slices.c). Only the record's own
                              estimator reads it.                          */
    uint32_t syn_pkts;     /* counted packets with SYN                     */
    uint32_t first_pkts;   /* ANF flow counting extension marks            */
    uint8_t  tcp_flags;    /* OR of the flags of counted packets           */
    uint8_t  reason;       /* enum fs_reason                               */
    uint16_t n_bins;       /* FS binned extension: counter pairs           */
    double   q_pkt;        /* packet inclusion probability in force        */
    double   p_slice;      /* FS: slicing probability at creation          */
    double   p_end;        /* ANF: rate at the end of the bin              */
    double   weight;       /* product of record stages' 1/probabilities    */
    int64_t  bin_id;       /* ANF/binned: measurement bin index, else -1   */
    const uint32_t *bin_pkts;  /* FS binned: per-bin counter pairs          */
    const double   *bin_bytes;
} fs_record;

static inline void fs_record_init(fs_record *r)
{
    memset(r, 0, sizeof *r);
    r->q_pkt = 1.0;
    r->p_slice = 1.0;
    r->p_end = 1.0;
    r->weight = 1.0;
    r->bin_id = -1;
}

#endif
