/* flowsim — export model: what the records a meter exports cost on the wire
 * in NetFlow v5, NetFlow v9 and IPFIX (RFC 7011), datagram by datagram; and,
 * for the pipelines given `--export FORMAT:DEST`, the real datagrams (or
 * JSON lines / CSV) sent to a collector, a file or stdout.
 *
 * All three formats are modelled side by side for every pipeline (the cost
 * is a few additions per record); the pipeline's `export` parameter chooses
 * the one whose datagrams feed the time series and the export_* metrics.
 *
 * Framing (the templates and layouts are in wire.h, one source of truth for
 * the sizes and the bytes):
 *   v5     24-byte header + 48-byte records, at most 30 per datagram. v5
 *          has no IPv6 record: IPv6 records are not sent (nor counted in
 *          v5's bytes and datagrams) and are counted in
 *          export_v5_ipv6_records; a v5 pipeline's export_records still
 *          counts them (records the meter exported).
 *   v9     20-byte header; data flowsets of 4-byte header + records, padded
 *          to 4 bytes, one per template kind (IPv4, IPv6, with VLAN); the
 *          template flowset (the IPv4 and IPv6 templates, and every other
 *          kind used so far) is sent in the first datagram and again every
 *          `template_refresh` datagrams; a kind's template also rides in the
 *          first datagram that uses it.
 *   v5 and v9 have no field for Flow Slices' binned counter pairs: a record
 *          with pairs (tbin) travels as one record per pair with packets,
 *          each holding its pair's counters; export_records still counts
 *          the meter's records (the datagram counts and bytes count all).
 *   IPFIX  16-byte message header; sets of 4-byte header + records (no
 *          padding); templates likewise, with more kinds (flowsim's
 *          enterprise elements for weights and Flow Slices' bin pairs).
 *   Sampling: a datagram holds records of one sampling interval
 *          (round(1/q_pkt)); v9/IPFIX add the options template and an
 *          options data record when the interval changes (and at each
 *          template refresh while it is not 1); v5 puts it in the header.
 * A datagram holds at most mtu - 28 bytes (IPv4 + UDP headers); it is sent
 * when the next record does not fit (v5: when it holds 30), or `max_delay`
 * after its first record, or at the end of the trace. With `export_l3` the
 * 28 bytes of IPv4/UDP header are counted too (they are not written to a
 * file; a UDP socket adds them).
 *
 * Sending (--export): only replicate 0 of a pipeline sends. For a datagram
 * format, the lane of that format keeps copies of its current datagram's
 * records and encodes the datagram when the model sends it (in simulated
 * time order); the encoder's length is checked against the model's for
 * every datagram. JSON lines and CSV are written record by record.
 */
#ifndef FS_EXPORT_H
#define FS_EXPORT_H

#include "acct.h"
#include "fs.h"
#include "wire.h"

extern const char *const fs_exp_fmt_names[]; /* "v5", "v9", "ipfix", NULL */

typedef struct fs_export_cfg {
    int      format;           /* which lane feeds the accountant        */
    uint64_t mtu;              /* bytes                                  */
    fs_ns    max_delay;        /* longest a record waits in a datagram    */
    uint64_t template_refresh; /* datagrams between template resends      */
    int      count_l3;         /* count IPv4+UDP headers (28 bytes)       */
} fs_export_cfg;

typedef struct fs_export_lane {
    fs_wire_plan cur;          /* the datagram being filled               */
    fs_ns    cur_first;        /* time of its first record                */
    uint32_t cur_interval;     /* its records' sampling interval          */
    int      cur_refresh;      /* it carries the template refresh         */
    uint32_t cur_pieces;       /* its records that are second or later
                                  pieces of a meter record (v5/v9 pairs)  */
    uint32_t known;            /* kinds whose template has been sent      */
    int      opt_known;        /* the options template has been sent      */
    uint32_t announced;        /* sampling interval last announced        */
    uint64_t since_template;
    uint64_t records, datagrams, bytes;
    uint64_t data_records;     /* IPFIX sequence: records + options data  */
    /* encoding (a --export of this format): the current datagram's records */
    int       encode;
    fs_record *rec;
    size_t   *pair_off;
    size_t    rec_cap;
    uint32_t *pk;
    double   *by;
    size_t    npairs, pairs_cap;
} fs_export_lane;

typedef struct fs_exporter {
    fs_ns          due;      /* earliest time a datagram must be sent by
                                max_delay (FS_NS_INF: none pending);
                                INT64_MIN before the first call          */
    fs_export_cfg  cfg;
    fs_export_lane lane[FS_EXP__COUNT];
    fs_acct       *acct;
    uint64_t       v5_ipv6_records;
    fs_ns          boot;       /* sysUptime zero (wire.h)                 */
    int            have_boot;
    /* --export destinations */
    fs_wire_sink  *sinks;
    int            nsinks;
    uint32_t       source_id;
    int            samp_algo;  /* 1 deterministic, 2 random               */
    uint8_t       *dgram;
    size_t         dgram_cap;
    uint64_t       mismatches; /* encoded length != model (a bug)         */
} fs_exporter;

void fs_exporter_init(fs_exporter *x, const fs_export_cfg *cfg, fs_acct *acct);
void fs_exporter_record(fs_exporter *x, const fs_record *r);
/* Sends datagrams whose max_delay has passed by time t. */
void fs_exporter_advance(fs_exporter *x, fs_ns t);
/* The same, for every packet: returns at once unless something is due. */
static inline void fs_exporter_tick(fs_exporter *x, fs_ns t)
{
    if (t >= x->due)
        fs_exporter_advance(x, t);
}
/* End of trace: sends whatever is buffered at time t. */
void fs_exporter_finish(fs_exporter *x, fs_ns t);

/* Opens the destinations "FORMAT:DEST" the records are sent to; source_id
 * goes into the headers, samp_algo (1 deterministic, 2 random) into the
 * sampling options. Returns -1 with a message. */
int fs_exporter_open(fs_exporter *x, const char *const *dests, int n, uint32_t source_id,
                     int samp_algo, char *err, size_t errlen);
/* After fs_exporter_finish: closes the destinations; returns -1 with the
 * first error. Notes on stderr the IPv6 records a v5 destination could not
 * carry. */
int fs_exporter_close(fs_exporter *x, char *err, size_t errlen);
/* Frees what the exporter holds (closing anything still open). */
void fs_exporter_free(fs_exporter *x);

/* The engine's hook: opens the --export destinations of pipeline number
 * `pipeline` (declared in engine.h), with the sampling algorithm its
 * parameters imply. */
struct fs_pipeline_spec;
int fs_exporter_open_spec(fs_exporter *x, const struct fs_pipeline_spec *spec, int pipeline,
                          char *err, size_t errlen);

#endif
