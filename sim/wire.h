/* flowsim — NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) on the
 * wire: the templates, the layout of a datagram and its encoder; and the
 * destinations records are sent to (UDP, file, stdout), with JSON lines and
 * CSV for people and scripts.
 *
 * One source of truth. The export model (export.c) decides what goes into
 * each datagram as an fs_wire_plan (records per template kind, which
 * template and options records ride along); fs_wire_plan_size() gives its
 * size and fs_wire_encode() writes it, both walking the same field tables
 * below, so export_bytes_<fmt> is by construction what the encoder writes
 * (the exporter checks every datagram it encodes, and tests/test_export.c
 * decodes them field by field).
 *
 * Why by hand and not libfixbuf: libfixbuf (Debian's IPFIX library) does
 * IPFIX only, not NetFlow v5 or v9, and it decides message boundaries and
 * template emission itself, while here the model must decide them (MTU,
 * export_delay, template_refresh, all in simulated time) and count the very
 * same bytes for all three formats. The formats are small fixed layouts.
 *
 * Templates (v9 field types = IANA IPFIX element ids for these fields):
 *   v5     the fixed 48-byte record; IPv4 only. An IPv6 record is not sent
 *          (counted in export_v5_ipv6_records). Packet and byte counters are
 *          32 bits and saturate at 2^32-1.
 *   v9     src/dst address (8/12 or 27/28), src/dst port (7/11), protocol
 *          (4), ToS (5), TCP flags (6, 1 byte), packets (2, 8 bytes), bytes
 *          (1, 8 bytes), FIRST_SWITCHED (22), LAST_SWITCHED (21); with
 *          key_vlan, records of a VLAN add SRC_VLAN (58).
 *   IPFIX  the same with tcpControlBits (6) of 2 bytes, flowStart/End-
 *          Milliseconds (152/153, absolute) instead of the uptime fields,
 *          flowEndReason (136); vlanId (58) for records of a VLAN; and
 *          flowsim's enterprise elements, private enterprise number 32473
 *          (the number IANA reserves for documentation and examples, RFC
 *          5612), for records whose estimates need more than the counters:
 *            32473/1 flowsimWeight            float64  record weight (product
 *                                                      of record stages' 1/p)
 *            32473/2 flowsimPacketProbability float64  q_pkt, packet inclusion
 *                                                      probability in force
 *            32473/3 flowsimSliceProbability  float64  p_slice (Flow Slices,
 *                                                      sample and hold)
 *            32473/4 flowsimEndRate           float64  p_end (Adaptive NetFlow)
 *            32473/5 flowsimFirstPackets      unsigned32  first_pkts (ANF FCE)
 *            32473/6 flowsimSynPackets        unsigned32  syn_pkts
 *            32473/7 flowsimBinCounters       octetArray, variable length:
 *                    n_bins pairs (unsigned32 packets, unsigned32 bytes
 *                    rounded), Flow Slices' binned extension
 *          Elements 1-6 are sent (template kind FS_WK_EXT) when the record's
 *          weight, p_slice or p_end is not 1, first_pkts is not 0, or q_pkt
 *          is not 1/N for an integer N; element 7 when n_bins > 1 (at most
 *          FS_WIRE_MAX_PAIRS pairs are carried). Other records carry none.
 * Flow end reasons (IPFIX 136): inactive 1 (idle timeout), active, bin and
 * slice 2 (active timeout), fin and rst 3 (end of flow detected), flush 4
 * (forced end), emergency 5 (lack of resources).
 *
 * Sampling. A record's sampling interval is N = round(1/q_pkt). v5 puts it
 * in the header's sampling_interval (mode bits 01 deterministic or 10
 * random, 14 bits of interval); v9 and IPFIX send an options template
 * (id 256; scope System (v9) / observationDomainId (IPFIX); samplingInterval
 * 34, samplingAlgorithm 35: 1 deterministic, 2 random) and an options data
 * record in the datagram whose records first use a new interval, and again
 * with every template refresh while the interval is not 1. A datagram holds
 * records of one interval only.
 *
 * Time. Header times are the simulated send time of the datagram (trace
 * time). sysUptime zero ("boot") is the pipeline's first observed packet
 * (the trace's first packet, unless ts_res/ts_jitter move it) rounded down
 * to the whole second, so that a collector computing boot = unix_secs*1000
 * - sysUptime (v9 has no sub-second export time) gets it exactly; v5/v9
 * First/Last are milliseconds since boot (they wrap after 49.7 days of
 * trace), IPFIX 152/153 milliseconds since the epoch: a collector reads the
 * records' first and last packet times to the millisecond (rounded down).
 *
 * Sequence numbers: v5 flows sent before the datagram, v9 datagrams sent
 * before it, IPFIX data records (options data records included) sent before
 * it. Source id (v9) / observation domain (IPFIX) / engine id (v5): the
 * pipeline's number (p0 = 0).
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#ifndef FS_WIRE_H
#define FS_WIRE_H

#include <stdio.h>
#include <sys/socket.h>
#include "fs.h"

/* Datagram formats (the export model's lanes), then the line formats. */
enum fs_exp_fmt { FS_EXP_V5, FS_EXP_V9, FS_EXP_IPFIX, FS_EXP__COUNT };
enum { FS_OUT_JSONL = FS_EXP__COUNT, FS_OUT_CSV, FS_OUT__COUNT };

#define FS_WIRE_PEN 32473u      /* RFC 5612 documentation enterprise number */

/* Template kinds: which variant of the template a record uses. */
enum {
    FS_WK_V6 = 1,      /* IPv6 addresses                  (v9, IPFIX) */
    FS_WK_VLAN = 2,    /* VLAN id                         (v9, IPFIX) */
    FS_WK_EXT = 4,     /* flowsim elements 1-6            (IPFIX)     */
    FS_WK_BINS = 8,    /* flowsim element 7, bin pairs    (IPFIX)     */
    FS_WK__COUNT = 16,
};

enum {
    FS_WIRE_SET_HEADER = 4,
    FS_WIRE_L3 = 28,            /* IPv4 + UDP headers (export_l3)         */
    FS_WIRE_V5_RECORD = 48,
    FS_WIRE_V5_MAX = 30,        /* records in a v5 datagram               */
    FS_WIRE_OPT_TID = 256,      /* options template id                    */
    FS_WIRE_TID0 = 257,         /* data template id of kind k: TID0 + k   */
    FS_WIRE_MAX_PAIRS = 4096,   /* bin pairs carried in one IPFIX record  */
    FS_WIRE_PAIR = 8,           /* one bin pair: unsigned32 packets and
                                   bytes (also its size in a Flow Slices
                                   entry, 4 + 4 bytes [R FS node7])        */
};

/* What the model puts into one datagram. */
typedef struct fs_wire_plan {
    uint32_t tmpl;                   /* bit k: template of kind k included */
    int      opt_tmpl, opt_data;     /* options template / data record     */
    uint32_t n[FS_WK__COUNT];        /* records of each kind               */
    uint64_t bytes[FS_WK__COUNT];    /* their bytes (variable length)      */
    uint32_t nrec;
    uint64_t size;                   /* kept by fs_wire_plan_add           */
} fs_wire_plan;

/* Template kind of a record in a format; -1: the format cannot carry it
 * (an IPv6 record in v5). */
int      fs_wire_kind(int fmt, const fs_record *r);
uint32_t fs_wire_record_size(int fmt, int kind, const fs_record *r);
/* The sampling interval a record's q_pkt means (1: not sampled). */
uint32_t fs_wire_interval(const fs_record *r);
/* Kinds whose templates every template refresh carries. */
uint32_t fs_wire_base_kinds(int fmt);
/* Bytes of the datagram the plan describes (IP/UDP headers not included),
 * computed from scratch. */
uint64_t fs_wire_plan_size(int fmt, const fs_wire_plan *p);
/* What adding a record of `kind` and `size` bytes (with its template if
 * with_tmpl and not already in) adds to the plan's size; fs_wire_plan_add
 * adds it and keeps p->size (set p->size = fs_wire_plan_size() first). The
 * exporter checks p->size against fs_wire_plan_size() for every datagram. */
uint64_t fs_wire_plan_delta(int fmt, const fs_wire_plan *p, int kind, uint32_t size,
                            int with_tmpl);
void     fs_wire_plan_add(int fmt, fs_wire_plan *p, int kind, uint32_t size, int with_tmpl);

/* A datagram to encode: the plan plus the records and the header values. */
typedef struct fs_wire_dgram {
    int      fmt;
    const fs_wire_plan *plan;
    const fs_record *const *recs;    /* plan->nrec records, arrival order  */
    fs_ns    t;                      /* send time                          */
    fs_ns    boot;                   /* sysUptime zero                     */
    uint32_t seq;
    uint32_t source_id;
    uint32_t interval;               /* sampling interval of the records   */
    int      samp_algo;              /* 1 deterministic, 2 random          */
} fs_wire_dgram;

/* Writes the datagram into buf (cap bytes); returns its length, or 0 if it
 * does not fit. The length always equals fs_wire_plan_size(). */
size_t fs_wire_encode(const fs_wire_dgram *d, uint8_t *buf, size_t cap);

/* ---- destinations ---------------------------------------------------------
 * FORMAT:DEST, FORMAT one of v5 v9 ipfix jsonl csv, DEST one of
 * udp://HOST:PORT (HOST an IPv4 literal, a name, or [IPv6]), file:PATH,
 * - (stdout). */
enum { FS_DEST_UDP, FS_DEST_FILE, FS_DEST_STDOUT };
extern const char *const fs_out_fmt_names[];   /* v5 v9 ipfix jsonl csv */

typedef struct fs_wire_sink {
    char     spec[512];              /* as given, for messages             */
    int      fmt, dest;
    FILE    *f;
    int      fd;
    struct sockaddr_storage sa;
    socklen_t salen;
    uint64_t writes, bytes;          /* datagrams (or lines) and bytes     */
    uint64_t burst;                  /* UDP pacing                         */
    int64_t  burst_ms;
    char     err[300];               /* first error, "" if none            */
} fs_wire_sink;

/* Checks FORMAT:DEST; fills fmt, dest and the target (path or host:port). */
int fs_wire_dest_parse(const char *spec, int *fmt, int *dest, char *target, size_t tlen,
                       char *err, size_t errlen);
int fs_wire_sink_open(fs_wire_sink *s, const char *spec, char *err, size_t errlen);
/* One datagram (UDP: one sendto, paced) or one chunk of a file. */
void fs_wire_sink_write(fs_wire_sink *s, const void *buf, size_t n);
/* Closes; returns -1 with the first error of the sink in err. */
int fs_wire_sink_close(fs_wire_sink *s, char *err, size_t errlen);

/* One record as a JSON line / a CSV line (columns of records/pN_rK.csv). */
void fs_wire_csv_header(fs_wire_sink *s);
void fs_wire_line(fs_wire_sink *s, const fs_record *r);

#endif
