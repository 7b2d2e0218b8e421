/* flowsim — ground truth (see truth.h).
 *
 * Cache file format (native byte order; the cache is local to a machine):
 *   header  8 bytes magic "FSTRUTH1", u32 format version, u32 key config,
 *           i64 bin length (ns, INT64_MAX = one bin)
 *   bins    i64 bin index, u64 n, then n entries of
 *           { fs_key (44 bytes), u64 packets, u64 bytes, u32 syn packets }
 *           (bins in increasing order, only bins with packets)
 *   end     i64 INT64_MAX, u64 total packets, u64 total bytes
 * A file is written as path.tmp and renamed when the whole trace has been
 * read, so a file at `path` is always complete.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "truth.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_MAGIC "FSTRUTH1"
#define CACHE_VERSION 1u
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
static void write_bin(fs_truth *t, const fs_tbin *b)
{
    FILE *f = t->cache_out;
    if (!f || t->cache_error)
        return;
    uint64_t n = b->tab.n;
    int ok = fwrite(&b->bin, sizeof b->bin, 1, f) == 1 && fwrite(&n, sizeof n, 1, f) == 1;
    for (uint32_t i = 0; ok && i < b->tab.hwm; i++) {
        if (!fs_ftab_live(&b->tab, i))
            continue;
        const fs_truth_ent *e = fs_ftab_ent(&b->tab, i);
        ok = fwrite(&e->key, sizeof e->key, 1, f) == 1 && fwrite(&e->pkts, 8, 1, f) == 1 &&
             fwrite(&e->bytes, 8, 1, f) == 1 && fwrite(&e->syn, 4, 1, f) == 1;
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
    if (read_exact(f, tot, 16))
        return 0;
    char extra;
    return fread(&extra, 1, 1, f) == 0 && feof(f);
}

int fs_truth_cache_read(fs_truth *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    /* cache_valid skips entries with fseek, which succeeds past the end of
     * a file cut short; the end mark must also be where the file ends. */
    long end = cache_valid(t, f) ? ftell(f) : -1;
    if (end < 0 || fseek(f, 0, SEEK_END) || ftell(f) != end || fseek(f, 24, SEEK_SET)) {
        fclose(f);
        return 0;
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

void fs_truth_cache_write(fs_truth *t, const char *tmp_path)
{
    t->cache_tmp = strdup(tmp_path);
    if (!t->cache_tmp)
        return;
    t->cache_out = fopen(t->cache_tmp, "wb");
    if (!t->cache_out) {
        /* The cache is an optimisation: carry on without it. */
        free(t->cache_tmp);
        t->cache_tmp = NULL;
        return;
    }
    uint32_t ver = CACHE_VERSION, kc = (uint32_t)t->keycfg;
    if (fwrite(CACHE_MAGIC, 8, 1, t->cache_out) != 1 || fwrite(&ver, 4, 1, t->cache_out) != 1 ||
        fwrite(&kc, 4, 1, t->cache_out) != 1 ||
        fwrite(&t->binning.len, 8, 1, t->cache_out) != 1)
        t->cache_error = 1;
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
        int ok = !t->cache_error && fwrite(&end, 8, 1, t->cache_out) == 1 &&
                 fwrite(&t->pkts, 8, 1, t->cache_out) == 1 &&
                 fwrite(&t->bytes, 8, 1, t->cache_out) == 1;
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
    t->cache_written = 0;
}
