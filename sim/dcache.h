/* flowsim — decoded-trace cache: the decoded packets of one capture file in a
 * compact binary form, so that later runs replay them instead of reading and
 * decoding the pcap again.
 *
 * One cache file holds one capture file: every packet the reader made from
 * it (after the timestamp clamp), in file order, with the fields of fs_pkt
 * the meters use, plus the file's final fs_file_info (frames, per-status
 * counters, first/last timestamp, SHA-256). The raw frames are not kept:
 * replayed packets have data == NULL and caplen as captured, so a BPF
 * filter cannot run on a cached trace.
 *
 * A cache file is identified by its source: the pcap's device, inode, size
 * and modification time (fs_dcache_id) and the decoder version the caller
 * passes in. A cache whose source or decoder version differs is stale (not
 * an error: the caller decodes the pcap again and rewrites the cache). A
 * cache is written to a temp file and renamed into place by the commit, so a
 * file under its final name is always complete; the whole file is checked
 * (checksum, structure) when it is opened, before any packet is replayed.
 *
 * Typical use, one capture file (the engine routes packets by p.source when
 * it reads several files together):
 *
 *     fs_dcache_id id;
 *     char cpath[4096];
 *     fs_dcache_id_of(pcap, &id, err, sizeof err);
 *     fs_dcache_path(dir, pcap, &id, cpath, sizeof cpath);
 *     fs_dcache_r *r;
 *     int rc = fs_dcache_r_open(&r, cpath, &id, DECODER_VERSION, &info, err, sizeof err);
 *     if (rc == 0) {                       // replay
 *         fs_dcache_r_set_source(r, 0);
 *         while ((rc = fs_dcache_r_next(r, &p, &h0)) == 1) ...
 *         fs_dcache_r_close(r);
 *     } else {                             // rc 1: stale/absent, -1: corrupt
 *         fs_dcache_w_open(&w, cpath, &id, pcap, DECODER_VERSION, linktype,
 *                          snaplen, is_pcapng, err, sizeof err);
 *         ... for each packet of the file: fs_dcache_w_add(w, &p);
 *         fs_dcache_w_commit(w, fs_reader_file(reader, 0), err, sizeof err);
 *     }
 *
 * Key hash. Each record carries hash0 = fs_key_hash(&k, 0) where k is the
 * packet's key with tos = 0 and vlan = 0 (the engine's default key
 * configuration: no ToS, no VLAN, unidirectional), computed when the cache
 * is written. Replay returns it through the separate hash0 output and leaves
 * pkt->key_hash at 0, as the decoder does: the engine copies hash0 into the
 * key_hash of the default-configuration packet instead of hashing the key
 * again, and hashes as usual for every other key configuration.
 *
 * Threads: a writer or a reader is used by one thread at a time; different
 * objects are independent.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#ifndef FS_DCACHE_H
#define FS_DCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "reader.h"

/* Bytes read from each end of a file for its content sample. */
#define FS_DCACHE_SAMPLE_BYTES ((uint64_t)1 << 20)

/* Identity of a source capture file: stat(2) and a content sample, so that
 * a file rewritten in place with its size and modification time kept
 * (cp over it, then touch -r) is seen as changed unless the rewrite leaves
 * its first and last MiB as they were. */
typedef struct fs_dcache_id {
    uint64_t dev, ino, size;
    int64_t  mtime_s, mtime_ns;
    uint64_t sample;   /* XXH3-64 of the size (u64, native order), the first
                          FS_DCACHE_SAMPLE_BYTES and the last
                          FS_DCACHE_SAMPLE_BYTES of the file (the whole file,
                          once, when it is at most twice that long)        */
} fs_dcache_id;

/* Fills *id from fstat and the content sample of pcap_path (a regular file:
 * a pipe or device has no identity and is never cached). Returns 0, or -1
 * with a one-line message naming the file. Used by every cache that is
 * keyed by a trace: the decoded-trace cache, the ground-truth cache's index
 * (traces.tsv) and the identity of a sweep's points. */
int fs_dcache_id_of(const char *pcap_path, fs_dcache_id *id, char *err, size_t errlen);

/* ---- temporary files of the caches ----------------------------------------
 * Every cache file is written under a temporary name ending in
 * ".tmp.HOST.PID.N" (HOST: this machine's name with every character other
 * than letters, digits, '_' and '-' made '_'; PID: the writer's process id;
 * N: a per-process counter) and renamed into place when complete. A writer
 * killed before its commit leaves the temporary file behind;
 * fs_cache_clean_tmp removes, in one directory, every such file whose
 * writer is gone: HOST is this machine and PID is no running process, or
 * HOST is another machine and the file has not been modified for
 * FS_CACHE_TMP_FOREIGN_AGE_S seconds. Files of live writers are kept. */
#define FS_CACHE_TMP_FOREIGN_AGE_S (24 * 3600)

/* Writes "PREFIX.tmp.HOST.PID.N" into out; -1 if it does not fit. */
int fs_cache_tmp_name(const char *prefix, char *out, size_t n);
/* Removes the temporary files of dead writers in dir (see above); returns
 * how many were removed. Errors are ignored (the cache is an optimisation). */
int fs_cache_clean_tmp(const char *dir);

/* Cache file name for a pcap in a cache directory:
 * DIR/<16 hex digits of XXH3-64 over realpath(pcap) and *id>.fsd. The
 * directory is not created. Returns 0, or -1 if the pcap's real path cannot
 * be resolved or the name does not fit in n bytes. */
int fs_dcache_path(const char *dir, const char *pcap_path, const fs_dcache_id *id, char *out,
                   size_t n);

/* ---- writing -------------------------------------------------------------- */
typedef struct fs_dcache_w fs_dcache_w;

/* Creates the temp file DEST.tmp.HOST.PID.N (fs_cache_tmp_name; N: a
 * per-process counter, so two writers of one process never share a temp
 * file) and writes the header.
 * pcap_path is recorded as given. Returns 0, or -1 with a one-line message
 * (nothing is left behind). */
int  fs_dcache_w_open(fs_dcache_w **w, const char *dest, const fs_dcache_id *id,
                      const char *pcap_path, uint32_t decoder_version, int linktype,
                      uint32_t snaplen, int is_pcapng, char *err, size_t errlen);
/* Appends one decoded packet (ts already clamped). Buffered; write errors
 * are remembered and reported by the commit. p->source, p->key_hash and
 * p->data are not stored; p->linktype must be the file's. */
void fs_dcache_w_add(fs_dcache_w *w, const fs_pkt *p);
/* Writes the trailer from the file's final info (frames, status[], first_ts,
 * last_ts, sha256; fi->sha256_done must be 1, i.e. the file was read to its
 * end), closes the temp file and renames it to DEST. Frees w whatever the
 * outcome. Returns 0, or -1 with a one-line message naming the file (the
 * temp file is removed). */
int  fs_dcache_w_commit(fs_dcache_w *w, const fs_file_info *fi, char *err, size_t errlen);
/* Removes the temp file and frees w (NULL is fine). */
void fs_dcache_w_abort(fs_dcache_w *w);

/* ---- reading -------------------------------------------------------------- */
typedef struct fs_dcache_r fs_dcache_r;

/* Opens the cache at path and validates the whole file (checksum, header,
 * trailer, sizes) before returning; then checks it against the source id
 * (skipped when id is NULL) and decoder_version.
 *   0: usable; *r is open and *info is filled in: frames, status[],
 *      first_ts, last_ts, sha256, sha256_done = 1, linktype, snaplen,
 *      is_pcapng and size_bytes (the source pcap's size). info->path and
 *      info->linktype_name are not touched (the caller sets them).
 *   1: absent or stale (other source, other decoder version, other cache
 *      format or byte order): decode the pcap instead; err says why.
 *  -1: the file is there but unusable: corrupt, truncated, empty, not a
 *      cache file, or unreadable; err is one line naming the file, e.g.
 *      "X.fsd: decoded-trace cache is corrupt (checksum mismatch)".
 * *r is NULL unless 0 is returned. */
int  fs_dcache_r_open(fs_dcache_r **r, const char *path, const fs_dcache_id *id,
                      uint32_t decoder_version, fs_file_info *info, char *err, size_t errlen);
/* The file index the reader puts in pkt->source (default 0). */
void fs_dcache_r_set_source(fs_dcache_r *r, uint16_t source);
/* Next packet in file order: 1 (p filled; key_hash 0, data NULL; *hash0 set
 * when hash0 is not NULL), 0 at the end, -1 if a record is malformed
 * (message from fs_dcache_r_error; the error is sticky). */
int  fs_dcache_r_next(fs_dcache_r *r, fs_pkt *p, uint64_t *hash0);
/* Up to max packets into out[] and their hashes into hash0[] (both arrays
 * of max elements). Returns the number filled (0 at the end), or -1 on a
 * malformed record when none were filled before it in this call. */
int  fs_dcache_r_next_batch(fs_dcache_r *r, fs_pkt *out, uint64_t *hash0, int max);
/* Message for the last -1 of fs_dcache_r_next / _next_batch ("" if none). */
const char *fs_dcache_r_error(const fs_dcache_r *r);
/* Packets not replayed yet. */
uint64_t fs_dcache_r_remaining(const fs_dcache_r *r);
void fs_dcache_r_close(fs_dcache_r *r);

#endif
