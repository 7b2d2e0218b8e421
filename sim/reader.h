/* flowsim — trace reader: pcap/pcapng files through libpcap, decoded into
 * fs_pkt, several files merged in timestamp order.
 *
 * Timestamps are read with nanosecond precision. Within one file a timestamp
 * earlier than the previous frame's is clamped to the previous one (so
 * simulated time never runs backwards) and counted as ts_backwards. Files
 * given together are merged by timestamp (ties: lower file index first), as
 * packets from several observation points arrive at one collector.
 *
 * The reader also computes each file's SHA-256 while it reads (one pass over
 * the bytes), for the run manifest and the ground-truth cache key.
 */
#ifndef FS_READER_H
#define FS_READER_H

#include "fs.h"

typedef struct fs_reader fs_reader;

typedef struct fs_file_info {
    const char *path;
    int         linktype;        /* DLT_* of the file (first interface)   */
    const char *linktype_name;   /* e.g. "EN10MB"                          */
    int         is_pcapng;
    uint32_t    snaplen;
    uint64_t    size_bytes;      /* file size from stat()                  */
    uint64_t    frames;          /* frames read so far                     */
    uint64_t    status[FS_DEC__COUNT]; /* per decode status               */
    fs_ns       first_ts, last_ts;     /* of decoded packets (after clamp) */
    int         dcache;          /* enum fs_dcache_use                     */
    int         sha256_done;     /* 1 once the whole file was read         */
    char        sha256[65];      /* hex, valid when sha256_done            */
} fs_file_info;

/* Options of fs_reader_open_opts (all zero: the defaults of fs_reader_open). */
typedef struct fs_reader_opts {
    int libpcap_records;   /* read classic pcap records with pcap_next_ex too
                              (the reference path; tests compare the two)   */
    const char *decode_cache; /* directory of decoded-trace caches (sim/dcache.h),
                              which must exist; NULL: none. A file with a
                              valid cache there is replayed from it; any other
                              is decoded and its cache written as it is read */
} fs_reader_opts;

/* Version of the decoder's output. Decoded-trace caches written by another
 * version are stale: bump it whenever fs_decode or the reader's rules change
 * what a frame decodes to. */
#define FS_DECODER_VERSION 2u

enum fs_dcache_use { FS_DCACHE_NONE, FS_DCACHE_REPLAYED, FS_DCACHE_WRITTEN };

/* Opens all files. Returns 0, or -1 with a one-line message in err that
 * names the file and the problem (e.g. "x.pcap: truncated global header"). */
int  fs_reader_open(fs_reader **out, const char *const *paths, int npaths,
                    char *err, size_t errlen);
int  fs_reader_open_opts(fs_reader **out, const char *const *paths, int npaths,
                         const fs_reader_opts *opts, char *err, size_t errlen);
/* Next decoded packet in merged timestamp order. Frames that do not decode
 * are counted by status and skipped. Returns 1 (pkt filled), 0 (end of all
 * files) or -1 (read error, message in err naming the file; packets returned
 * before stay valid). */
int  fs_reader_next(fs_reader *r, fs_pkt *pkt, char *err, size_t errlen);
int  fs_reader_nfiles(const fs_reader *r);
const fs_file_info *fs_reader_file(const fs_reader *r, int i);
void fs_reader_close(fs_reader *r);

/* Decodes one frame of the given DLT. Fills pkt (except ts and source) and
 * returns an fs_decode_status. Pure function: no state, no allocation.     */
int  fs_decode(int linktype, const uint8_t *data, uint32_t caplen,
               uint32_t wire_len, fs_pkt *pkt);

/* Name of a DLT for messages ("EN10MB", "LINUX_SLL2", ...). */
const char *fs_linktype_name(int dlt);

#endif
