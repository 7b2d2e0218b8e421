/* flowsim — ground truth (see truth.h).
 *
 * Cache file format (native byte order; the cache is local to a machine):
 *   header  8 bytes magic "FSTRUTH1", u32 format version, u32 key config,
 *           i64 bin length (ns, INT64_MAX = one bin)
 *   bins    i64 bin index, u64 n, then n entries of
 *           { fs_key (44 bytes), u64 packets, u64 bytes, u32 syn packets }
 *           (bins in increasing order, only bins with packets)
 *   end     i64 INT64_MAX, u64 total packets, u64 total bytes
 *   checksum the last 8 bytes: XXH3-64 (seed 0) over every byte before
 *           them, big-endian (the decoded-trace cache's rule, dcache.c)
 * A file is written under a temporary name and renamed when the whole trace
 * has been read, so a file at `path` is complete unless damaged after the
 * fact; reading checks the checksum over the whole file before the
 * structure, and a mismatch makes the file unusable (fs_truth_cache_read
 * returns 2: the caller warns and computes the truth again). Format
 * version 1 had no checksum: such a file is foreign (0) and replaced.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "truth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#define CACHE_MAGIC "FSTRUTH1"
#define CACHE_VERSION 2u   /* 2: XXH3-64 checksum at the end */
#define CACHE_HDR 24       /* magic, version, key config, bin length */
#define CACHE_WIN ((size_t)1 << 20)   /* read window of the checksum */
#define END_MARK INT64_MAX

int fs_truth_init(fs_truth *t, int keycfg, const fs_binning *b, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->keycfg = keycfg;
    t->binning = *b;
    t->seed = seed;
    t->complete_below = INT64_MIN;
    fs_ftab_pool_init(&t->pool, sizeof(fs_truth_ent));
    return 0;
}

static void free_bin(fs_truth *t, fs_tbin *b)
{
    if (b->sum && b->sum_free)
        b->sum_free(b->sum);
    fs_ftab_pool_put(&t->pool, &b->tab);
    free(b);
}

void fs_truth_free(fs_truth *t)
{
    for (fs_tbin *b = t->head, *n; b; b = n) {
        n = b->next;
        free_bin(t, b);
    }
    t->head = t->tail = NULL;
    if (t->shared && t->shared_free)
        t->shared_free(t->shared);
    t->shared = NULL;
    fs_ftab_pool_free(&t->pool);
    if (t->has_tcp_keys)
        fs_ftab_free(&t->tcp_keys);
    t->has_tcp_keys = 0;
    if (t->cache_in)
        fclose(t->cache_in);
    fs_truth_cache_abort(t);
    free(t->cache_path);
    t->cache_in = NULL;
    t->cache_path = NULL;
}

static fs_tbin *new_bin(fs_truth *t, int64_t k)
{
    fs_tbin *b = calloc(1, sizeof *b);
    if (!b || fs_ftab_pool_get(&t->pool, &b->tab, 64, t->seed)) {
        free(b);
        return NULL;
    }
    b->bin = k;
    b->refs = t->users;
    if (t->tail)
        t->tail->next = b;
    else
        t->head = b;
    t->tail = b;
    return b;
}

/* Marks a TCP key new to the trace in the bin where it first appears
 * (called once per key and bin, when its entry is made). */
static void mark_tcp_new(fs_truth *t, fs_truth_ent *e, uint64_t h)
{
    if (e->key.proto != 6)
        return;
    if (t->binning.len == FS_NS_INF) {
        e->tcp_new = 1;
        return;
    }
    if (!t->has_tcp_keys) {
        if (fs_ftab_init(&t->tcp_keys, sizeof(fs_key) + 4, 4096, 0, t->seed))
            return;
        t->has_tcp_keys = 1;
    }
    int created = 0;
    fs_ftab_upsert(&t->tcp_keys, &e->key, h, &created);
    e->tcp_new = created != 0;
}

/* ---- cache writing -------------------------------------------------------- */
/* Writes n bytes to the cache file and into its checksum; 1 if written. */
static int cw(fs_truth *t, const void *p, size_t n)
{
    XXH3_64bits_update(t->cache_xs, p, n);
    return fwrite(p, n, 1, t->cache_out) == 1;
}

static void write_bin(fs_truth *t, const fs_tbin *b)
{
    FILE *f = t->cache_out;
    if (!f || t->cache_error)
        return;
    uint64_t n = b->tab.n;
    int ok = cw(t, &b->bin, sizeof b->bin) && cw(t, &n, sizeof n);
    for (uint32_t i = 0; ok && i < b->tab.hwm; i++) {
        if (!fs_ftab_live(&b->tab, i))
            continue;
        const fs_truth_ent *e = fs_ftab_ent(&b->tab, i);
        ok = cw(t, &e->key, sizeof e->key) && cw(t, &e->pkts, 8) && cw(t, &e->bytes, 8) &&
             cw(t, &e->syn, 4);
    }
    if (!ok)
        t->cache_error = 1;
}

static void complete_upto(fs_truth *t, int64_t k)
{
    if (k <= t->complete_below)
        return;
    if (t->cache_out)
        for (fs_tbin *b = t->head; b; b = b->next)
            if (b->bin >= t->complete_below && b->bin < k)
                write_bin(t, b);
    t->complete_below = k;
}

void fs_truth_packet(fs_truth *t, const fs_pkt *p)
{
    int64_t k = fs_bin_of(&t->binning, p->ts);
    fs_tbin *b = t->tail;
    if (!b || b->bin != k) {
        complete_upto(t, k);
        b = new_bin(t, k);
        if (!b)
            return;
    }
    int created;
    uint32_t i = fs_ftab_upsert(&b->tab, &p->key, p->key_hash, &created);
    if (i == FS_NONE)
        return;
    fs_truth_ent *e = fs_ftab_ent(&b->tab, i);
    if (created)
        mark_tcp_new(t, e, p->key_hash);
    e->pkts++;
    e->bytes += p->ip_len;
    if (p->tcp_flags & FS_TCP_SYN)
        e->syn++;
    t->pkts++;
    t->bytes += p->ip_len;
}

void fs_truth_advance(fs_truth *t, fs_ns now)
{
    int64_t k = fs_bin_of(&t->binning, now);
    /* bin k itself is still filling */
    complete_upto(t, k);
}

fs_tbin *fs_truth_bin(fs_truth *t, int64_t k)
{
    for (fs_tbin *b = t->head; b && b->bin <= k; b = b->next)  /* bins ascend */
        if (b->bin == k)
            return b;
    return NULL;
}

int64_t fs_truth_next_bin(fs_truth *t, int64_t k)
{
    for (fs_tbin *b = t->head; b; b = b->next)
        if (b->bin >= k)
            return b->bin;
    return INT64_MAX;
}

void fs_truth_release_below(fs_truth *t, int64_t k, int64_t *released_below)
{
    if (k < *released_below)
        return;  /* released already (a bin closed in part, eval.h) */
    for (fs_tbin *b = t->head; b && b->bin < k; b = b->next)  /* bins ascend */
        if (b->bin >= *released_below)
            b->refs--;
    *released_below = k;
    while (t->head && t->head->refs <= 0 && t->head->bin < t->complete_below) {
        fs_tbin *b = t->head;
        t->head = b->next;
        if (!t->head)
            t->tail = NULL;
        free_bin(t, b);
    }
}

/* ---- cache ------------------------------------------------------------------ */
static int read_exact(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n ? 0 : -1;
}

/* Walks the whole file: header matching this truth, well-formed bins in
 * increasing order, the end mark, nothing after it. */
static int cache_valid(const fs_truth *t, FILE *f)
{
    char magic[8];
    uint32_t ver, kc;
    int64_t blen, bin, prev = INT64_MIN;
    uint64_t n, tot[2];
    if (read_exact(f, magic, 8) || memcmp(magic, CACHE_MAGIC, 8) || read_exact(f, &ver, 4) ||
        ver != CACHE_VERSION || read_exact(f, &kc, 4) || (int)kc != t->keycfg ||
        read_exact(f, &blen, 8) || blen != t->binning.len)
        return 0;
    const long entry = (long)(sizeof(fs_key) + 8 + 8 + 4);
    for (;;) {
        if (read_exact(f, &bin, 8))
            return 0;
        if (bin == END_MARK)
            break;
        if (bin <= prev || read_exact(f, &n, 8) || n > (uint64_t)1 << 40 ||
            fseek(f, (long)n * entry, SEEK_CUR))
            return 0;
        prev = bin;
    }
    return read_exact(f, tot, 16) == 0;
}

static int corrupt(const char *path, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: ground-truth cache is corrupt (%s)", path, what);
    return 2;
}

/* Checks the checksum of the file (size bytes): 0 good, -1 mismatch or
 * unreadable (message in err). Leaves f anywhere. */
static int check_sum(FILE *f, long size, const char *path, char *err, size_t errlen)
{
    unsigned char *buf = malloc(CACHE_WIN);
    XXH3_state_t *xs = XXH3_createState();
    int ok = buf && xs && fseek(f, 0, SEEK_SET) == 0;
    if (ok)
        XXH3_64bits_reset(xs);
    for (long done = 0; ok && done < size - 8;) {
        size_t want = (size_t)(size - 8 - done) < CACHE_WIN ? (size_t)(size - 8 - done)
                                                            : CACHE_WIN;
        ok = fread(buf, 1, want, f) == want;
        if (ok)
            XXH3_64bits_update(xs, buf, want);
        done += (long)want;
    }
    unsigned char tail[8];
    ok = ok && fread(tail, 1, 8, f) == 8;
    uint64_t want = 0;
    for (int i = 0; ok && i < 8; i++)
        want = want << 8 | tail[i];
    int good = ok && XXH3_64bits_digest(xs) == want;
    if (!buf || !xs)
        snprintf(err, errlen, "%s: out of memory", path);
    else if (!good)
        corrupt(path, ok ? "checksum mismatch: damaged or truncated" : "cannot read it whole",
                err, errlen);
    XXH3_freeState(xs);
    free(buf);
    return good ? 0 : -1;
}

int fs_truth_cache_read(fs_truth *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: cannot open ground-truth cache: %s", path, strerror(errno));
        return 2;
    }
    /* the version first: a file of another version is foreign, not damaged */
    char magic[8];
    uint32_t ver;
    if (read_exact(f, magic, 8) || memcmp(magic, CACHE_MAGIC, 8) || read_exact(f, &ver, 4)) {
        fclose(f);
        return corrupt(path, "not a ground-truth cache file", err, errlen);
    }
    if (ver != CACHE_VERSION) {
        fclose(f);
        snprintf(err, errlen, "%s: ground-truth cache of format version %u", path,
                 (unsigned)ver);
        return 0;
    }
    long size = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    if (size < CACHE_HDR + 8 + 24) {
        fclose(f);
        return corrupt(path, "file too short", err, errlen);
    }
    if (check_sum(f, size, path, err, errlen)) {
        fclose(f);
        return 2;
    }
    /* cache_valid skips entries with fseek, which succeeds past the end of
     * a file cut short; the end mark must also be where the checksum is.
     * A good checksum over another key configuration or bin length is a
     * foreign file (cannot happen under the cache's file names). */
    if (fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return corrupt(path, "cannot read it", err, errlen);
    }
    long end = cache_valid(t, f) ? ftell(f) : -1;
    if (end < 0 || end != size - 8 || fseek(f, CACHE_HDR, SEEK_SET)) {
        fclose(f);
        return corrupt(path, "bad structure in spite of a good checksum", err, errlen);
    }
    free(t->cache_path);
    t->cache_path = strdup(path);
    if (!t->cache_path || read_exact(f, &t->cache_next_bin, 8)) {
        fclose(f);
        snprintf(err, errlen, "%s: cannot read ground-truth cache file", path);
        return -1;
    }
    t->cache_in = f;
    return 1;
}

int fs_truth_cache_write(fs_truth *t, const char *tmp_path, char *err, size_t errlen)
{
    t->cache_tmp = strdup(tmp_path);
    t->cache_xs = XXH3_createState();
    if (!t->cache_tmp || !t->cache_xs) {
        snprintf(err, errlen, "%s: out of memory", tmp_path);
        fs_truth_cache_abort(t);
        return -1;
    }
    t->cache_out = fopen(t->cache_tmp, "wb");
    if (!t->cache_out) {
        /* The cache is an optimisation: carry on without it. */
        snprintf(err, errlen, "%s: cannot create: %s", tmp_path, strerror(errno));
        free(t->cache_tmp);
        t->cache_tmp = NULL;
        fs_truth_cache_abort(t);
        return -1;
    }
    XXH3_64bits_reset(t->cache_xs);
    uint32_t ver = CACHE_VERSION, kc = (uint32_t)t->keycfg;
    if (!cw(t, CACHE_MAGIC, 8) || !cw(t, &ver, 4) || !cw(t, &kc, 4) ||
        !cw(t, &t->binning.len, 8))
        t->cache_error = 1;
    return 0;
}

int fs_truth_cache_commit(fs_truth *t, const char *final_path)
{
    if (!t->cache_written || !t->cache_tmp)
        return -1;
    if (rename(t->cache_tmp, final_path)) {
        remove(t->cache_tmp);
        return -1;
    }
    free(t->cache_path);
    t->cache_path = strdup(final_path);
    free(t->cache_tmp);
    t->cache_tmp = NULL;
    t->cache_written = 0;
    return 0;
}

/* Reads the next cached bin into memory. */
static int read_bin(fs_truth *t, char *err, size_t errlen)
{
    FILE *f = t->cache_in;
    int64_t k = t->cache_next_bin;
    uint64_t n;
    if (read_exact(f, &n, 8))
        goto bad;
    fs_tbin *b = new_bin(t, k);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        fs_key key;
        uint64_t pk, by;
        uint32_t syn;
        if (read_exact(f, &key, sizeof key) || read_exact(f, &pk, 8) || read_exact(f, &by, 8) ||
            read_exact(f, &syn, 4))
            goto bad;
        uint64_t h = fs_key_hash(&key, t->seed);
        uint32_t j = fs_ftab_insert(&b->tab, &key, h);
        if (j == FS_NONE) {
            snprintf(err, errlen, "%s: duplicate key or out of memory in ground-truth cache",
                     t->cache_path);
            return -1;
        }
        fs_truth_ent *e = fs_ftab_ent(&b->tab, j);
        e->pkts = pk;
        e->bytes = by;
        e->syn = syn;
        e->tcp_new = 0;
        mark_tcp_new(t, e, h);
        t->pkts += pk;
        t->bytes += by;
    }
    if (read_exact(f, &t->cache_next_bin, 8))
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "%s: truncated or corrupt ground-truth cache file (delete it)",
             t->cache_path);
    return -1;
}

int fs_truth_cache_read_until(fs_truth *t, fs_ns now, char *err, size_t errlen)
{
    int64_t k = now == FS_NS_INF ? INT64_MAX : fs_bin_of(&t->binning, now);
    while (t->cache_next_bin != END_MARK && t->cache_next_bin < k)
        if (read_bin(t, err, errlen))
            return -1;
    if (k > t->complete_below)
        t->complete_below = k;
    return 0;
}

void fs_truth_finish(fs_truth *t)
{
    complete_upto(t, INT64_MAX);
    if (t->cache_out) {
        int64_t end = END_MARK;
        int ok = !t->cache_error && cw(t, &end, 8) && cw(t, &t->pkts, 8) &&
                 cw(t, &t->bytes, 8);
        unsigned char sum[8];
        uint64_t h = XXH3_64bits_digest(t->cache_xs);
        for (int i = 7; i >= 0; i--, h >>= 8)
            sum[i] = (unsigned char)h;
        ok = ok && fwrite(sum, 8, 1, t->cache_out) == 1;
        ok = (fclose(t->cache_out) == 0) && ok;
        t->cache_out = NULL;
        if (ok)
            t->cache_written = 1;
        else
            remove(t->cache_tmp);
    }
}

void fs_truth_cache_abort(fs_truth *t)
{
    if (t->cache_out) {
        fclose(t->cache_out);
        t->cache_out = NULL;
    }
    if (t->cache_tmp) {
        remove(t->cache_tmp);
        free(t->cache_tmp);
        t->cache_tmp = NULL;
    }
    XXH3_freeState(t->cache_xs);
    t->cache_xs = NULL;
    t->cache_written = 0;
}
