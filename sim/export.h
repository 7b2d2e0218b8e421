/* flowsim — export model: what the records a meter exports cost on the wire
 * in NetFlow v5, NetFlow v9 and IPFIX (RFC 7011), datagram by datagram.
 *
 * All three formats are modelled side by side for every pipeline (the cost
 * is a few additions per record); the pipeline's `export` parameter chooses
 * the one whose datagrams feed the time series and the export_* metrics.
 *
 * Framing [algorithms.md §3.1, §3.3]:
 *   v5     24-byte header + 48-byte records, at most 30 per datagram. v5
 *          has no IPv6 record; IPv6 records are costed as 48-byte v5-style
 *          records and counted in export_v5_ipv6_records.
 *   v9     20-byte header; data flowsets of 4-byte header + records, padded
 *          to 4 bytes; the template flowset (IPv4 and IPv6 templates) is
 *          sent in the first datagram and again every `template_refresh`
 *          datagrams.
 *   IPFIX  16-byte message header; sets of 4-byte header + records; the
 *          template set likewise.
 * Record sizes come from the template tables in export.c (one source of
 * truth for the sizes). A record with n_bins > 1 counter pairs (Flow Slices'
 * binned extension) costs 8 more bytes per extra pair in every format
 * [algorithms.md §2.4.7]. A datagram holds at most mtu - 28 bytes (IPv4 +
 * UDP headers); it is sent when the next record does not fit (v5: when it
 * holds 30), or `max_delay` after its first record, or at the end of the
 * trace. With `export_l3` the 28 bytes of IPv4/UDP header are counted too.
 */
#ifndef FS_EXPORT_H
#define FS_EXPORT_H

#include "acct.h"
#include "fs.h"

enum fs_exp_fmt { FS_EXP_V5, FS_EXP_V9, FS_EXP_IPFIX, FS_EXP__COUNT };
extern const char *const fs_exp_fmt_names[]; /* "v5", "v9", "ipfix", NULL */

typedef struct fs_export_cfg {
    int      format;           /* which lane feeds the accountant        */
    uint64_t mtu;              /* bytes                                  */
    fs_ns    max_delay;        /* longest a record waits in a datagram    */
    uint64_t template_refresh; /* datagrams between template resends      */
    int      count_l3;         /* count IPv4+UDP headers (28 bytes)       */
} fs_export_cfg;

typedef struct fs_export_lane {
    uint64_t cur_records, cur_n[2], cur_extra[2];
    fs_ns    cur_first;
    uint64_t since_template;
    uint64_t records, datagrams, bytes;
} fs_export_lane;

typedef struct fs_exporter {
    fs_export_cfg  cfg;
    fs_export_lane lane[FS_EXP__COUNT];
    fs_acct       *acct;
    uint64_t       v5_ipv6_records;
} fs_exporter;

/* Record payload size of a format for IPv4 (v6 = 0) or IPv6 (v6 = 1). */
uint32_t fs_export_record_size(int format, int v6);
void fs_exporter_init(fs_exporter *x, const fs_export_cfg *cfg, fs_acct *acct);
void fs_exporter_record(fs_exporter *x, const fs_record *r);
/* Sends datagrams whose max_delay has passed by time t. */
void fs_exporter_advance(fs_exporter *x, fs_ns t);
/* End of trace: sends whatever is buffered at time t. */
void fs_exporter_finish(fs_exporter *x, fs_ns t);

#endif
