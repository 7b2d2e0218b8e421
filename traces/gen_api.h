/* flowsim — synthetic trace generator: the C API behind `flowsim gen`.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * The generator makes a packet trace with known structure: background
 * traffic (Poisson connection arrivals, heavy-tailed flow sizes, Zipf-like
 * address and port popularity, TCP handshakes and teardowns) and optional
 * attack overlays (a spoofed flood of one-packet flows, a port scan, one
 * elephant flow). Every knob is a typed parameter of fs_gen_param_defs
 * (sim/params.h), so listings, parsing and the sidecar come from one table.
 *
 * Generation is streaming: packets come out in timestamp order from a
 * binary heap of the active flows' next packet times, so memory grows with
 * the number of concurrent flows, never with the trace length. All random
 * variates come from one GSL generator seeded from the seed; the same seed
 * and parameters give the same packets, bit for bit.
 *
 * What it does not do: payloads are zero bytes (frames are usually cut at
 * `snaplen` anyway), there are no IP fragments, options or extension
 * headers, UDP and ICMP have no reverse direction, and the attack overlays
 * are IPv4 only.
 *
 * Two ways in: fs_gen_open/fs_gen_next/fs_gen_close iterate over the
 * generated packets (with the metadata that tests need, no pcap parsing),
 * and fs_gen_write writes a pcap file plus its JSON sidecar.
 */
#ifndef FS_GEN_API_H
#define FS_GEN_API_H

#include <stddef.h>
#include <stdint.h>
#include "fs.h"
#include "params.h"

/* ---- parameters ------------------------------------------------------------ */

enum fs_gen_rate_shape { FS_GEN_RATE_CONSTANT, FS_GEN_RATE_RAMP, FS_GEN_RATE_STEP,
                         FS_GEN_RATE_DIURNAL };
enum fs_gen_size_law { FS_GEN_SIZE_PARETO, FS_GEN_SIZE_LOGNORMAL, FS_GEN_SIZE_MIXTURE };
enum fs_gen_flood_kind { FS_GEN_FLOOD_SYN, FS_GEN_FLOOD_UDP };
enum fs_gen_tstamp { FS_GEN_TS_NS, FS_GEN_TS_US };

typedef struct fs_gen_params {
    /* trace */
    fs_ns    duration_ns;
    uint64_t epoch_s;
    fs_ns    warmup_ns;
    uint64_t snaplen_bytes;
    int      tstamp;              /* enum fs_gen_tstamp */
    /* connection arrivals */
    double   flow_rate;           /* connections per second */
    int      rate_shape;          /* enum fs_gen_rate_shape */
    double   ramp_end;
    fs_ns    step_at_ns;
    double   step_factor;
    fs_ns    diurnal_period_ns;
    double   diurnal_amp;
    fs_ns    diurnal_phase_ns;
    /* flow sizes (packets) */
    int      size_law;            /* enum fs_gen_size_law */
    double   pareto_shape;
    double   pareto_scale;
    double   lognormal_median;
    double   lognormal_sigma;
    double   mix_pareto_frac;
    uint64_t size_max;
    /* per-flow timing */
    double   pkt_rate;            /* packets per second of a 1-packet flow */
    double   pkt_rate_exp;
    double   pkt_rate_sigma;
    fs_ns    rtt_ns;
    /* packet sizes (IP total length) */
    uint64_t mtu_bytes;
    double   pkt_small_frac;
    double   pkt_mid_frac;
    uint64_t pkt_mid_bytes;
    double   pkt_mtu_frac;
    /* protocols and addresses */
    double   tcp_frac;
    double   udp_frac;
    double   ipv6_frac;
    uint64_t src_prefixes;
    double   src_zipf;
    uint64_t dst_prefixes;
    double   dst_zipf;
    uint64_t dst_ports;
    double   dst_port_zipf;
    /* TCP behaviour */
    double   tcp_fin_frac;
    double   tcp_rst_frac;
    double   tcp_reverse_frac;
    double   syn_retx_prob;
    fs_ns    syn_rto_ns;
    /* attack overlays */
    fs_ns    flood_start_ns;
    fs_ns    flood_duration_ns;
    double   flood_rate;
    int      flood_kind;          /* enum fs_gen_flood_kind */
    uint64_t flood_dport;
    uint64_t flood_bytes;
    fs_ns    scan_start_ns;
    fs_ns    scan_duration_ns;
    double   scan_rate;
    uint64_t scan_first_port;
    uint64_t scan_ports;
    fs_ns    elephant_start_ns;
    fs_ns    elephant_duration_ns;
    double   elephant_rate;
} fs_gen_params;

extern const fs_param_def fs_gen_param_defs[];
extern const size_t fs_gen_n_params;

/* Titles of the groups of fs_gen_param_defs, for --help: group g starts at
 * the parameter named fs_gen_param_groups[g].first.                          */
typedef struct fs_gen_param_group {
    const char *first;
    const char *title;
} fs_gen_param_group;
extern const fs_gen_param_group fs_gen_param_groups[];
extern const size_t fs_gen_n_param_groups;

/* Fill p with the defaults. Returns 0, or -1 with a message (a bug). */
int  fs_gen_params_init(fs_gen_params *p, char *err, size_t errlen);
/* Apply a "name=value,..." list. ctx prefixes messages ("-p", a profile).
 * Returns 0, or -1 with a one-line message naming the parameter.         */
int  fs_gen_params_set_list(fs_gen_params *p, const char *list, const char *ctx,
                            char *err, size_t errlen);
/* Checks between parameters (fractions summing to at most 1, windows
 * inside the trace...). Returns 0, or -1 with a message naming them.      */
int  fs_gen_params_check(const fs_gen_params *p, char *err, size_t errlen);
void fs_gen_params_free(fs_gen_params *p);

/* ---- profiles ----------------------------------------------------------------
 * A profile is a text file traces/profiles/NAME.prof. Its first line is
 * "# NAME: one-line description"; other lines starting with '#' and blank
 * lines are comments; every other line is a "name=value,..." list applied
 * in order. The pseudo-parameter include=OTHER applies profile OTHER there.
 * The directory is $FLOWSIM_PROFILE_DIR if set, else the first
 * traces/profiles found walking up from the executable's directory.        */
#define FS_GEN_PROFILE_EXT ".prof"
/* Directory of the profiles into buf. Returns 0, or -1 with a message. */
int  fs_gen_profile_dir(char *buf, size_t len, char *err, size_t errlen);
/* Apply profile `name` to p. An unknown name gives a message that lists the
 * available ones. Returns 0 or -1.                                          */
int  fs_gen_profile_apply(fs_gen_params *p, const char *name, char *err, size_t errlen);
/* Call fn for every profile, in name order, with its description. Returns
 * the number of profiles, or -1 with a message.                            */
typedef void (*fs_gen_profile_fn)(const char *name, const char *description, void *ctx);
int  fs_gen_profile_list(fs_gen_profile_fn fn, void *ctx, char *err, size_t errlen);

/* ---- streaming generator ------------------------------------------------------ */

enum fs_gen_kind { FS_GEN_BACKGROUND, FS_GEN_FLOOD, FS_GEN_SCAN, FS_GEN_ELEPHANT };

/* One generated packet. frame/key are valid until the next fs_gen_next. */
typedef struct fs_gen_pkt {
    fs_ns    ts;            /* ns since epoch, already rounded down to µs
                               when tstamp=us                               */
    fs_ns    rel_ns;        /* time since the trace start (not rounded)     */
    const uint8_t *frame;   /* Ethernet frame, caplen bytes                 */
    uint32_t caplen;        /* min(wire_len, snaplen)                       */
    uint32_t wire_len;      /* 14 + ip_len                                  */
    uint32_t ip_len;        /* IP total length (IPv6: 40 + payload length)  */
    fs_key   key;           /* 5-tuple as flowsim keys it (ICMP: dport =
                               type*256+code, sport 0; IPv4 mapped)         */
    uint8_t  proto;         /* 6, 17, 1 or 58                               */
    uint8_t  ipv6;          /* 1 for IPv6                                   */
    uint8_t  tcp_flags;
    uint8_t  kind;          /* enum fs_gen_kind                             */
    uint8_t  reverse;       /* 1: server-to-client direction                */
    uint8_t  first_written; /* 1: first packet of its flow in the output    */
    uint32_t flow_pkts;     /* packets planned for this unidirectional flow */
    uint32_t seq;           /* index of this packet in its flow (0-based)   */
    uint64_t conn_id;       /* connection serial (both directions share it) */
    fs_ns    conn_start_ns; /* arrival time of the connection (trace time)  */
} fs_gen_pkt;

typedef struct fs_gen fs_gen;

/* Realised totals of what was emitted (or written). */
typedef struct fs_gen_totals {
    uint64_t packets;
    uint64_t bytes_ip;        /* sum of IP total lengths                  */
    uint64_t bytes_wire;      /* sum of frame lengths                     */
    uint64_t flows;           /* distinct unidirectional 5-tuples         */
    uint64_t flows_tcp, flows_udp, flows_icmp, flows_other;
    uint64_t ipv4_packets, ipv6_packets;
    uint64_t connections;     /* background connections arriving in [0, duration) */
    uint64_t flood_packets, scan_packets, elephant_packets;
    uint64_t max_active;      /* peak of connections held in memory       */
    fs_ns    first_ts, last_ts; /* of written packets; 0 if none          */
} fs_gen_totals;

/* Builds a generator. p must pass fs_gen_params_check (checked again here).
 * Returns 0, or -1 with a message.                                         */
int  fs_gen_open(fs_gen **out, const fs_gen_params *p, uint64_t seed, char *err,
                 size_t errlen);
/* Next packet in timestamp order. Returns 1 (pkt filled), 0 (end of trace)
 * or -1 (message in err: a flow-key space ran out, see README).           */
int  fs_gen_next(fs_gen *g, fs_gen_pkt *pkt, char *err, size_t errlen);
/* Totals of the packets returned so far. */
void fs_gen_get_totals(const fs_gen *g, fs_gen_totals *t);
void fs_gen_close(fs_gen *g);

/* Generates into a pcap file at path and writes its sidecar path.json.
 * profile may be NULL. Returns 0 or -1 (message); t may be NULL.          */
int  fs_gen_write(const fs_gen_params *p, uint64_t seed, const char *profile,
                  const char *path, fs_gen_totals *t, char *err, size_t errlen);

#endif
