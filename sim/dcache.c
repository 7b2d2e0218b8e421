/* flowsim — decoded-trace cache (see dcache.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * File layout. All integers are in native byte order (the cache is local to
 * one machine; a file from a host of the other byte order is recognised by
 * the byte-order mark and treated as stale), except the final checksum.
 *
 *   header (hdr_size bytes, a multiple of 8)
 *     0  char[8]  magic "FSDCACHE"
 *     8  u32      format version (DC_FORMAT)
 *    12  u32      byte-order mark 0x01020304
 *    16  u32      number of decode statuses (FS_DEC__COUNT)
 *    20  u32      hdr_size
 *    24  u32      decoder version (from the caller)
 *    28  i32      linktype (DLT of the file)
 *    32  u32      snaplen
 *    36  u32      is_pcapng
 *    40  u64      st_dev, st_ino, st_size of the source pcap
 *    64  i64      st_mtim seconds, nanoseconds
 *    80  u64      content sample of the source pcap (fs_dcache_id.sample)
 *    88  u32      path_len
 *    92  u32      0
 *    96  char[]   the pcap's path as given, path_len bytes, then a NUL and
 *                 zero padding to hdr_size
 *   body: one record per packet, in file order. Every record begins with the
 *   same 48 bytes (struct rec_head below):
 *     0  u8  kind: REC_V4 (56-byte record) or REC_FULL (80-byte record)
 *     1  u8  proto, tos, key.flags, tcp_flags, frag      (bytes 1..5)
 *     6  u16 vlan
 *     8  i64 ts (ns)
 *    16  u64 hash0: fs_key_hash of the key with tos = 0, vlan = 0, seed 0
 *    24  u32 ip_len, wire_len, caplen
 *    36  u16 l3_end, ports_end, flags_end, ip_id, sport, dport
 *   followed by the addresses: REC_V4 keeps the last 4 bytes of src and dst
 *   (key.flags without FS_KEY_V6 and both addresses in the IPv4-mapped form
 *   ::ffff:a.b.c.d, which replay rebuilds); REC_FULL keeps all 16 bytes of
 *   each (IPv6, or any key not of the mapped IPv4 form). Key padding is
 *   not stored (always 0 on replay); nor are source, key_hash, data (set by
 *   the reader) or linktype (in the header). Records are multiples of 8
 *   bytes, so with an 8-byte header size every record is 8-byte aligned.
 *   trailer (struct dc_trailer: 128 + 8 bytes per decode status, 216 with 11)
 *     char[8] "FSDTRAIL", u64 records, u64 frames, u64 status[n_status],
 *     i64 first_ts, i64 last_ts, char[72] sha256 (64 hex digits, NUL, zeros),
 *     u64 body offset (= hdr_size), u64 trailer offset
 *   checksum: the last 8 bytes of the file, XXH3-64 (seed 0) over every byte
 *     before them, stored big-endian.
 *
 * The checksum rule (last 8 bytes, big-endian, over everything before) and
 * the first 16 header bytes are the same in every format version, so a file
 * is checked before its version is trusted: a damaged version field reads
 * as corrupt, an intact file of another version or byte order as stale.
 * Outcomes of opening: no file, or an intact file of another format version,
 * byte order, status count, decoder version or source: stale (1). An empty
 * file, one too short, without the magic, with a wrong checksum or with
 * inconsistent offsets: corrupt (-1); a file at a cache name is only ever
 * written by the commit's rename, so none of these is expected. A record
 * that is malformed in spite of a good checksum (a writer bug) stops the
 * replay with -1.
 *
 * Reading checks the checksum over the whole file first (pread in 4 MiB
 * windows; XXH3 runs at memory speed), then parses the header and trailer
 * through a read-only mapping, unmapped once they are checked, and checks
 * every offset against the file size.
 * Replay reads the body with pread into the same 4 MiB window (a copy from
 * the page cache costs less than faulting the pages of a mapping in, and
 * memory stays at the window) and bounds-checks each record before reading
 * it; no allocations or stdio per packet, one syscall per window.
 *
 * Writing fills a 4 MiB buffer and writes it with write(2) when full,
 * feeding the same bytes into a streaming XXH3 state. The first write error
 * is kept and reported by the commit, which then removes the temp file.
 */
#include "dcache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "ftab.h"

#define DC_MAGIC     "FSDCACHE"
#define DC_TMAGIC    "FSDTRAIL"
#define DC_FORMAT    2u   /* 2: the source's content sample */
#define DC_BOM       0x01020304u
#define DC_BUF       (4u << 20)   /* write buffer */
#define DC_PATH_MAX  65536u       /* longest source path recorded */

enum { REC_V4 = 0x34, REC_FULL = 0x36 };   /* '4', '6' */

typedef struct dc_hdr {
    char     magic[8];
    uint32_t format;
    uint32_t bom;
    uint32_t n_status;
    uint32_t hdr_size;
    uint32_t decoder_version;
    int32_t  linktype;
    uint32_t snaplen;
    uint32_t is_pcapng;
    uint64_t dev, ino, size;
    int64_t  mtime_s, mtime_ns;
    uint64_t sample;
    uint32_t path_len;
    uint32_t zero;
} dc_hdr;

typedef struct rec_head {
    uint8_t  kind;
    uint8_t  proto, tos, key_flags, tcp_flags, frag;
    uint16_t vlan;
    int64_t  ts;
    uint64_t hash0;
    uint32_t ip_len, wire_len, caplen;
    uint16_t l3_end, ports_end, flags_end, ip_id, sport, dport;
} rec_head;

#define REC_V4_LEN   (sizeof(rec_head) + 8)
#define REC_FULL_LEN (sizeof(rec_head) + 32)

typedef struct dc_trailer {
    char     magic[8];
    uint64_t records;
    uint64_t frames;
    uint64_t status[FS_DEC__COUNT];
    int64_t  first_ts, last_ts;
    char     sha256[72];
    uint64_t body_off;
    uint64_t trailer_off;
} dc_trailer;

_Static_assert(sizeof(dc_hdr) == 96, "header layout");
_Static_assert(sizeof(rec_head) == 48, "record layout");
_Static_assert(sizeof(dc_trailer) % 8 == 0, "trailer layout");
_Static_assert(sizeof(fs_key) == 44, "key layout");

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void put_be64(uint8_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

/* ---- source identity and cache name ---------------------------------------- */
/* Reads n bytes at off into b; returns the bytes read (short at EOF/error). */
static size_t r_pread(int fd, uint8_t *b, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, b + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

int fs_dcache_id_of(const char *pcap_path, fs_dcache_id *id, char *err, size_t errlen)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(pcap_path, &st)) {
        snprintf(err, errlen, "%s: %s", pcap_path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (not cached)", pcap_path);
        return -1;
    }
    int fd = open(pcap_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, errlen, "%s: %s", pcap_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    id->size = (uint64_t)st.st_size;
    id->mtime_s = (int64_t)st.st_mtim.tv_sec;
    id->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    /* the size, then the first and the last FS_DCACHE_SAMPLE_BYTES (one
     * range when they overlap) */
    const uint64_t s = FS_DCACHE_SAMPLE_BYTES;
    uint64_t off[2] = {0, id->size > 2 * s ? id->size - s : 0};
    uint64_t len[2] = {id->size > 2 * s ? s : id->size, id->size > 2 * s ? s : 0};
    uint8_t *buf = malloc((size_t)s);
    XXH3_state_t *xs = XXH3_createState();
    int ok = buf && xs;
    if (ok) {
        XXH3_64bits_reset(xs);
        XXH3_64bits_update(xs, &id->size, sizeof id->size);
    }
    for (int k = 0; ok && k < 2; k++)
        for (uint64_t o = 0; ok && o < len[k]; o += s) {
            size_t want = (size_t)(len[k] - o < s ? len[k] - o : s);
            ok = r_pread(fd, buf, want, off[k] + o) == want;
            if (ok)
                XXH3_64bits_update(xs, buf, want);
        }
    if (ok)
        id->sample = XXH3_64bits_digest(xs);
    else
        snprintf(err, errlen, "%s: cannot read its first and last bytes: %s", pcap_path,
                 buf && xs ? (errno ? strerror(errno) : "file shrank") : "out of memory");
    XXH3_freeState(xs);
    free(buf);
    close(fd);
    return ok ? 0 : -1;
}

/* ---- temporary files --------------------------------------------------------- */
static void host_tag(char *out, size_t n)
{
    char h[256];
    if (gethostname(h, sizeof h))
        snprintf(h, sizeof h, "localhost");
    h[sizeof h - 1] = 0;
    size_t i = 0;
    for (; h[i] && i + 1 < n; i++) {
        char c = h[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-';
        out[i] = keep ? c : '_';
    }
    out[i] = 0;
}

static atomic_uint tmp_seq;

int fs_cache_tmp_name(const char *prefix, char *out, size_t n)
{
    char host[256];
    host_tag(host, sizeof host);
    int k = snprintf(out, n, "%s.tmp.%s.%ld.%u", prefix, host, (long)getpid(),
                     atomic_fetch_add(&tmp_seq, 1u));
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Parses NAME = "*.tmp.HOST.PID.N": HOST into host, PID into *pid; 0 if it
 * is not of that form. */
static int tmp_parse(const char *name, char *host, size_t hn, long *pid)
{
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        t = p;
    if (!t)
        return 0;
    const char *h = t + 5, *d1 = strchr(h, '.');
    if (!d1 || d1 == h || (size_t)(d1 - h) >= hn)
        return 0;
    const char *d2 = strchr(d1 + 1, '.');
    if (!d2 || d2 == d1 + 1 || strspn(d1 + 1, "0123456789") != (size_t)(d2 - d1 - 1) ||
        !d2[1] || strspn(d2 + 1, "0123456789") != strlen(d2 + 1) || d2 - d1 > 12)
        return 0;
    memcpy(host, h, (size_t)(d1 - h));
    host[d1 - h] = 0;
    *pid = strtol(d1 + 1, NULL, 10);
    return *pid > 0;
}

int fs_cache_clean_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char me[256];
    host_tag(me, sizeof me);
    time_t now = time(NULL);
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char host[256];
        long pid;
        if (!tmp_parse(e->d_name, host, sizeof host, &pid))
            continue;
        char path[8192];
        struct stat st;
        int k = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (k < 0 || (size_t)k >= sizeof path || lstat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        int dead = strcmp(host, me)
                       ? now - st.st_mtim.tv_sec >= FS_CACHE_TMP_FOREIGN_AGE_S
                       : pid != (long)getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
        if (dead && unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int fs_dcache_path(const char *dir, const char *pcap_path, const fs_dcache_id *id, char *out,
                   size_t n)
{
    char *real = realpath(pcap_path, NULL);
    if (!real)
        return -1;
    XXH3_state_t *st = XXH3_createState();
    if (!st) {
        free(real);
        return -1;
    }
    uint64_t f[6] = {id->dev,           id->ino,
                     id->size,          (uint64_t)id->mtime_s,
                     (uint64_t)id->mtime_ns, id->sample};
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, real, strlen(real) + 1);
    XXH3_64bits_update(st, f, sizeof f);
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    free(real);
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    int k = snprintf(out, n, "%s%s%016" PRIx64 ".fsd", dir, sep, h);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* ---- writing ------------------------------------------------------------------- */
struct fs_dcache_w {
    int           fd;
    char         *dest, *tmp;
    uint8_t      *buf;
    size_t        len;
    XXH3_state_t *xs;
    uint64_t      records;
    uint64_t      hdr_size;
    uint64_t      flushed;       /* bytes passed to write(2) so far */
    int           linktype;
    int           err_no;        /* first write error (errno) */
    int           bad_linktype;  /* a packet of another link type was added */
};

static void w_free(fs_dcache_w *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->xs)
        XXH3_freeState(w->xs);
    free(w->buf);
    free(w->dest);
    free(w->tmp);
    free(w);
}

/* Writes the buffer (hashing it first if hash is set) and empties it. */
static void w_flush(fs_dcache_w *w, int hash)
{
    if (hash)
        XXH3_64bits_update(w->xs, w->buf, w->len);
    size_t off = 0;
    while (!w->err_no && off < w->len) {
        ssize_t k = write(w->fd, w->buf + off, w->len - off);
        if (k < 0) {
            if (errno != EINTR)
                w->err_no = errno;
        } else if (k == 0) {
            w->err_no = EIO;
        } else {
            off += (size_t)k;
        }
    }
    w->flushed += w->len;
    w->len = 0;
}

int fs_dcache_w_open(fs_dcache_w **out, const char *dest, const fs_dcache_id *id,
                     const char *pcap_path, uint32_t decoder_version, int linktype,
                     uint32_t snaplen, int is_pcapng, char *err, size_t errlen)
{
    *out = NULL;
    size_t pl = strlen(pcap_path);
    if (pl > DC_PATH_MAX) {
        snprintf(err, errlen, "%s: pcap path too long for a decoded-trace cache", dest);
        return -1;
    }
    fs_dcache_w *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "%s: out of memory", dest);
        return -1;
    }
    w->fd = -1;
    w->linktype = linktype;
    size_t tl = strlen(dest) + 320;
    w->dest = strdup(dest);
    w->tmp = malloc(tl);
    w->buf = malloc(DC_BUF);
    w->xs = XXH3_createState();
    if (!w->dest || !w->tmp || !w->buf || !w->xs) {
        snprintf(err, errlen, "%s: out of memory", dest);
        w_free(w);
        return -1;
    }
    fs_cache_tmp_name(dest, w->tmp, tl);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, errlen, "%s: cannot create decoded-trace cache: %s", w->tmp,
                 strerror(errno));
        w_free(w);
        return -1;
    }
    XXH3_64bits_reset(w->xs);

    dc_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, DC_MAGIC, 8);
    h.format = DC_FORMAT;
    h.bom = DC_BOM;
    h.n_status = FS_DEC__COUNT;
    h.hdr_size = (uint32_t)((sizeof h + pl + 1 + 7) & ~(size_t)7);
    h.decoder_version = decoder_version;
    h.linktype = linktype;
    h.snaplen = snaplen;
    h.is_pcapng = is_pcapng ? 1u : 0u;
    h.dev = id->dev;
    h.ino = id->ino;
    h.size = id->size;
    h.mtime_s = id->mtime_s;
    h.mtime_ns = id->mtime_ns;
    h.sample = id->sample;
    h.path_len = (uint32_t)pl;
    memset(w->buf, 0, h.hdr_size);
    memcpy(w->buf, &h, sizeof h);
    memcpy(w->buf + sizeof h, pcap_path, pl);
    w->len = h.hdr_size;
    w->hdr_size = h.hdr_size;
    *out = w;
    return 0;
}

void fs_dcache_w_add(fs_dcache_w *w, const fs_pkt *p)
{
    if (w->err_no)
        return;
    if (p->linktype != w->linktype)
        w->bad_linktype = 1;
    if (w->len + REC_FULL_LEN > DC_BUF)
        w_flush(w, 1);

    const fs_key *k = &p->key;
    fs_key k0 = *k;
    k0.tos = 0;
    k0.vlan = 0;
    k0.pad0 = 0;
    k0.pad1 = 0;
    int v4 = !(k->flags & FS_KEY_V6) && !memcmp(k->src, v4_mapped, 12) &&
             !memcmp(k->dst, v4_mapped, 12);
    rec_head r = {
        .kind = v4 ? REC_V4 : REC_FULL,
        .proto = k->proto,
        .tos = k->tos,
        .key_flags = k->flags,
        .tcp_flags = p->tcp_flags,
        .frag = p->frag,
        .vlan = k->vlan,
        .ts = p->ts,
        .hash0 = fs_key_hash(&k0, 0),
        .ip_len = p->ip_len,
        .wire_len = p->wire_len,
        .caplen = p->caplen,
        .l3_end = p->l3_end,
        .ports_end = p->ports_end,
        .flags_end = p->flags_end,
        .ip_id = p->ip_id,
        .sport = k->sport,
        .dport = k->dport,
    };
    uint8_t *b = w->buf + w->len;
    memcpy(b, &r, sizeof r);
    b += sizeof r;
    if (v4) {
        memcpy(b, k->src + 12, 4);
        memcpy(b + 4, k->dst + 12, 4);
        w->len += REC_V4_LEN;
    } else {
        memcpy(b, k->src, 16);
        memcpy(b + 16, k->dst, 16);
        w->len += REC_FULL_LEN;
    }
    w->records++;
}

void fs_dcache_w_abort(fs_dcache_w *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->tmp);
    w_free(w);
}

int fs_dcache_w_commit(fs_dcache_w *w, const fs_file_info *fi, char *err, size_t errlen)
{
    if (!fi->sha256_done) {
        snprintf(err, errlen, "%s: decoded-trace cache not written: the pcap was not read to "
                 "its end", w->dest);
        fs_dcache_w_abort(w);
        return -1;
    }
    if (w->bad_linktype) {
        snprintf(err, errlen, "%s: decoded-trace cache not written: a packet's link type "
                 "differs from the file's (%d)", w->dest, w->linktype);
        fs_dcache_w_abort(w);
        return -1;
    }
    dc_trailer t;
    memset(&t, 0, sizeof t);
    memcpy(t.magic, DC_TMAGIC, 8);
    t.records = w->records;
    t.frames = fi->frames;
    memcpy(t.status, fi->status, sizeof t.status);
    t.first_ts = fi->first_ts;
    t.last_ts = fi->last_ts;
    snprintf(t.sha256, sizeof t.sha256, "%.64s", fi->sha256);
    if (w->len + sizeof t + 8 > DC_BUF)
        w_flush(w, 1);
    t.body_off = w->hdr_size;
    t.trailer_off = w->flushed + w->len;
    memcpy(w->buf + w->len, &t, sizeof t);
    w->len += sizeof t;
    XXH3_64bits_update(w->xs, w->buf, w->len);
    put_be64(w->buf + w->len, XXH3_64bits_digest(w->xs));
    w->len += 8;
    w_flush(w, 0);
    if (close(w->fd) && !w->err_no)
        w->err_no = errno;
    w->fd = -1;
    if (!w->err_no && rename(w->tmp, w->dest))
        w->err_no = errno;
    if (w->err_no) {
        snprintf(err, errlen, "%s: cannot write decoded-trace cache: %s", w->dest,
                 strerror(w->err_no));
        unlink(w->tmp);
        w_free(w);
        return -1;
    }
    w_free(w);
    return 0;
}

/* ---- reading ------------------------------------------------------------------- */
struct fs_dcache_r {
    uint8_t       *map;
    size_t         map_len;
    int            fd;
    uint8_t       *buf;         /* window of the body read with pread      */
    uint64_t       win_off;     /* file offset of buf[0]                    */
    uint64_t       next_off;    /* file offset of the next byte to read     */
    uint64_t       body_end;    /* file offset where the records end        */
    const uint8_t *pos, *end;   /* records in the window: [pos, end) */
    uint64_t       left;        /* records the trailer says are still to come */
    int            linktype;
    uint16_t       source;
    int            failed;
    char          *path;
    char           err[320];
};

static int r_corrupt(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: decoded-trace cache is corrupt (%s)", path, what);
    return -1;
}

/* The body is read with pread(2) into a window of R_WINDOW bytes rather
 * than through the mapping: page faults on a mapping cost more than the
 * copy, and resident memory stays at the window whatever the file's size.
 * The mapping is only used for the header and trailer. */
#define R_WINDOW ((size_t)4 << 20)

/* XXH3-64 of the first n bytes of the file, window by window; sets *ok to 0
 * if the file could not be read whole. */
static uint64_t r_checksum(fs_dcache_r *r, size_t n, int *ok)
{
    XXH3_state_t *xs = XXH3_createState();
    *ok = xs != NULL;
    if (!xs)
        return 0;
    XXH3_64bits_reset(xs);
    for (size_t off = 0; off < n && *ok; off += R_WINDOW) {
        size_t len = n - off < R_WINDOW ? n - off : R_WINDOW;
        if (r_pread(r->fd, r->buf, len, off) != len)
            *ok = 0;
        else
            XXH3_64bits_update(xs, r->buf, len);
    }
    uint64_t h = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    return h;
}

/* Validates the mapping; returns 0, 1 (stale) or -1 (corrupt). */
static int r_validate(fs_dcache_r *r, const char *path, const fs_dcache_id *id,
                      uint32_t decoder_version, dc_hdr *h, dc_trailer *t, char *err,
                      size_t errlen)
{
    const uint8_t *m = r->map;
    size_t n = r->map_len;
    if (n < 16 || memcmp(m, DC_MAGIC, 8))
        return r_corrupt(err, errlen, path, "not a decoded-trace cache file");
    int read_ok;
    uint64_t sum = r_checksum(r, n - 8, &read_ok);
    if (!read_ok)
        return r_corrupt(err, errlen, path, "cannot read it whole");
    if (sum != get_be64(m + n - 8))
        return r_corrupt(err, errlen, path, "checksum mismatch: damaged or truncated");
    uint32_t fmt, bom;
    memcpy(&fmt, m + 8, 4);
    memcpy(&bom, m + 12, 4);
    if (bom != DC_BOM) {
        snprintf(err, errlen, "%s: decoded-trace cache was written on a host of the other "
                 "byte order", path);
        return 1;
    }
    if (fmt != DC_FORMAT) {
        snprintf(err, errlen, "%s: decoded-trace cache has format version %" PRIu32
                 ", this flowsim writes %u", path, fmt, DC_FORMAT);
        return 1;
    }
    if (n < sizeof *h + sizeof *t + 8)
        return r_corrupt(err, errlen, path, "file too short");
    memcpy(h, m, sizeof *h);
    if (h->n_status != FS_DEC__COUNT) {
        snprintf(err, errlen, "%s: decoded-trace cache counts %" PRIu32 " decode statuses, "
                 "this flowsim %d", path, h->n_status, FS_DEC__COUNT);
        return 1;
    }
    size_t toff = n - 8 - sizeof *t;
    memcpy(t, m + toff, sizeof *t);
    if (h->hdr_size % 8 || h->hdr_size < sizeof *h || h->path_len > DC_PATH_MAX ||
        (uint64_t)h->path_len + 1 > h->hdr_size - sizeof *h || h->hdr_size > toff ||
        m[sizeof *h + h->path_len] != 0)
        return r_corrupt(err, errlen, path, "bad header");
    if (memcmp(t->magic, DC_TMAGIC, 8) || t->body_off != h->hdr_size || t->trailer_off != toff)
        return r_corrupt(err, errlen, path, "bad trailer");
    uint64_t body = toff - h->hdr_size;
    if (body % 8 || t->records > body / REC_V4_LEN || t->records < body / REC_FULL_LEN ||
        (t->records == 0 && body != 0))
        return r_corrupt(err, errlen, path, "record count does not match the body size");
    if (t->sha256[64] != 0 || strlen(t->sha256) != 64 ||
        strspn(t->sha256, "0123456789abcdef") != 64)
        return r_corrupt(err, errlen, path, "bad SHA-256 field");
    if (h->decoder_version != decoder_version) {
        snprintf(err, errlen, "%s: decoded-trace cache is from decoder version %" PRIu32
                 ", this flowsim has %" PRIu32, path, h->decoder_version, decoder_version);
        return 1;
    }
    if (id && (h->dev != id->dev || h->ino != id->ino || h->size != id->size ||
               h->mtime_s != id->mtime_s || h->mtime_ns != id->mtime_ns ||
               h->sample != id->sample)) {
        snprintf(err, errlen, "%s: decoded-trace cache is stale (the pcap %.*s changed or "
                 "is another file)", path, (int)(h->path_len < 200 ? h->path_len : 200),
                 (const char *)m + sizeof *h);
        return 1;
    }
    return 0;
}

int fs_dcache_r_open(fs_dcache_r **out, const char *path, const fs_dcache_id *id,
                     uint32_t decoder_version, fs_file_info *info, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            snprintf(err, errlen, "%s: no decoded-trace cache yet", path);
            return 1;
        }
        snprintf(err, errlen, "%s: cannot open decoded-trace cache: %s", path, strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        snprintf(err, errlen, "%s: cannot stat decoded-trace cache: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return r_corrupt(err, errlen, path, "not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return r_corrupt(err, errlen, path, "empty file");
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return r_corrupt(err, errlen, path, "file too large to map");
    }
    fs_dcache_r *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    r->map_len = (size_t)st.st_size;
    r->fd = fd;
    r->buf = malloc(R_WINDOW);
    void *m = r->buf ? mmap(NULL, r->map_len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    int e = r->buf ? errno : ENOMEM;
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: cannot map decoded-trace cache: %s", path, strerror(e));
        close(fd);
        free(r->buf);
        free(r->path);
        free(r);
        return -1;
    }
    r->map = m;
    dc_hdr h;
    dc_trailer t;
    int rc = r_validate(r, path, id, decoder_version, &h, &t, err, errlen);
    if (rc) {
        fs_dcache_r_close(r);
        return rc;
    }
    /* the mapping served the header and trailer; replay reads with pread */
    munmap(r->map, r->map_len);
    r->map = NULL;
    r->pos = r->end = r->buf;
    r->win_off = r->next_off = h.hdr_size;
    r->body_end = t.trailer_off;
    r->left = t.records;
    r->linktype = h.linktype;

    info->linktype = h.linktype;
    info->is_pcapng = (int)h.is_pcapng;
    info->snaplen = h.snaplen;
    info->size_bytes = h.size;
    info->frames = t.frames;
    memcpy(info->status, t.status, sizeof info->status);
    info->first_ts = t.first_ts;
    info->last_ts = t.last_ts;
    info->sha256_done = 1;
    memcpy(info->sha256, t.sha256, 65);
    *out = r;
    return 0;
}

void fs_dcache_r_set_source(fs_dcache_r *r, uint16_t source)
{
    r->source = source;
}

static int r_bad(fs_dcache_r *r, const char *what)
{
    snprintf(r->err, sizeof r->err, "%s: decoded-trace cache is corrupt (%s at offset %zu)",
             r->path, what, (size_t)(r->win_off + (uint64_t)(r->pos - r->buf)));
    r->failed = 1;
    r->pos = r->end;
    return -1;
}

/* One record into *p: 1, 0 at the end, -1 if malformed. */
/* Moves the unread bytes to the start of the window and reads more. */
static void r_fill(fs_dcache_r *r)
{
    size_t rem = (size_t)(r->end - r->pos);
    memmove(r->buf, r->pos, rem);
    uint64_t want = r->body_end - r->next_off;
    if (want > R_WINDOW - rem)
        want = R_WINDOW - rem;
    size_t got = r_pread(r->fd, r->buf + rem, (size_t)want, r->next_off);
    r->win_off = r->next_off - rem;
    r->next_off += got;
    r->pos = r->buf;
    r->end = r->buf + rem + got;
    if (got < want)
        r->body_end = r->next_off;  /* the file shrank under us: ends early */
}

static inline int r_take(fs_dcache_r *r, fs_pkt *p, uint64_t *hash0)
{
    if ((size_t)(r->end - r->pos) < REC_FULL_LEN && r->next_off < r->body_end && !r->failed)
        r_fill(r);
    const uint8_t *q = r->pos;
    size_t room = (size_t)(r->end - q);
    if (room < sizeof(rec_head)) {
        if (r->failed)
            return -1;
        if (room == 0 && r->left == 0)
            return 0;
        return r_bad(r, room ? "partial record" : "fewer records than counted");
    }
    rec_head h;
    memcpy(&h, q, sizeof h);
    size_t len = h.kind == REC_V4 ? REC_V4_LEN : h.kind == REC_FULL ? REC_FULL_LEN : 0;
    if (!len)
        return r_bad(r, "bad record kind");
    if (room < len)
        return r_bad(r, "partial record");
    if (r->left == 0)
        return r_bad(r, "more records than counted");
    q += sizeof h;
    fs_key *k = &p->key;
    if (len == REC_V4_LEN) {
        memcpy(k->src, v4_mapped, 12);
        memcpy(k->src + 12, q, 4);
        memcpy(k->dst, v4_mapped, 12);
        memcpy(k->dst + 12, q + 4, 4);
    } else {
        memcpy(k->src, q, 16);
        memcpy(k->dst, q + 16, 16);
    }
    k->sport = h.sport;
    k->dport = h.dport;
    k->proto = h.proto;
    k->tos = h.tos;
    k->flags = h.key_flags;
    k->pad0 = 0;
    k->vlan = h.vlan;
    k->pad1 = 0;
    p->ts = h.ts;
    p->ip_len = h.ip_len;
    p->wire_len = h.wire_len;
    p->caplen = h.caplen;
    p->l3_end = h.l3_end;
    p->ports_end = h.ports_end;
    p->flags_end = h.flags_end;
    p->tcp_flags = h.tcp_flags;
    p->frag = h.frag;
    p->source = r->source;
    p->ip_id = h.ip_id;
    p->linktype = r->linktype;
    p->key_hash = 0;
    p->data = NULL;
    *hash0 = h.hash0;
    r->pos += len;
    r->left--;
    return 1;
}

int fs_dcache_r_next(fs_dcache_r *r, fs_pkt *p, uint64_t *hash0)
{
    uint64_t h;
    return r_take(r, p, hash0 ? hash0 : &h);
}

int fs_dcache_r_next_batch(fs_dcache_r *r, fs_pkt *out, uint64_t *hash0, int max)
{
    int i = 0;
    while (i < max) {
        int rc = r_take(r, &out[i], &hash0[i]);
        if (rc <= 0)
            return rc < 0 && i == 0 ? -1 : i;
        i++;
    }
    return i;
}

const char *fs_dcache_r_error(const fs_dcache_r *r)
{
    return r->err;
}

uint64_t fs_dcache_r_remaining(const fs_dcache_r *r)
{
    return r->left;
}

void fs_dcache_r_close(fs_dcache_r *r)
{
    if (!r)
        return;
    if (r->map)
        munmap(r->map, r->map_len);
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r->path);
    free(r);
}
