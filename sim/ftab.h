/* flowsim — flow table: an open-addressing hash map from fs_key to a
 * fixed-size entry, the one structure every meter, the ground truth and the
 * evaluation use.
 *
 * Entries live in one array and keep their index for their whole life, so
 * meters can link them into lists by index. Every entry begins with its
 * fs_key. Slots are linear-probed (index + 32-bit hash tag per slot, 8
 * bytes) and deletion shifts back, so there are no tombstones and lookups
 * stay short at any load. The slot array is sized at twice the entry
 * capacity or more (load <= 0.5).
 *
 * A table made with a capacity limit never grows beyond it (a meter's cache
 * of N entries); one made with limit 0 grows by doubling.
 */
#ifndef FS_FTAB_H
#define FS_FTAB_H

#include <stddef.h>
#include <stdint.h>
#include "fs.h"

#define FS_NONE UINT32_MAX

typedef struct fs_ftab {
    uint64_t *slots;     /* (hash32 << 32) | (index + 1); 0 = empty         */
    uint32_t  mask;      /* slots - 1                                       */
    char     *ents;      /* entry array                                     */
    size_t    ents_room; /* bytes it may fill in place (mapped: the mapping) */
    size_t    esz;       /* entry size (bytes), key at offset 0             */
    uint32_t  cap;       /* entries allocated                               */
    uint32_t  limit;     /* maximum entries, 0 = unlimited                  */
    uint32_t  n;         /* live entries                                    */
    uint32_t  hwm;       /* entries ever used (indices below are valid)     */
    uint32_t  free_head; /* free list through the first 4 bytes after key   */
    uint64_t  seed;      /* hash seed                                       */
} fs_ftab;

/* Every entry struct begins with these two fields, the second reserved for
 * the table (free-list link or live mark):                                 */
#define FS_FTAB_ENTRY_HEAD fs_key key; uint32_t ftab_link

/* Entries a table that grows with its contents starts with (a meter's
 * cache, whatever its limit): it doubles from there, so a table's memory
 * follows the entries it holds rather than its limit. */
#define FS_FTAB_START 64u

/* esz >= sizeof(fs_key) + 4. initial: entries to allocate up front. */
int   fs_ftab_init(fs_ftab *t, size_t esz, uint32_t initial, uint32_t limit, uint64_t seed);
void  fs_ftab_free(fs_ftab *t);
/* Removes every entry (keeps the memory). */
void  fs_ftab_clear(fs_ftab *t);
uint64_t fs_key_hash(const fs_key *k, uint64_t seed);
/* Index of the entry with this key, or FS_NONE. h = fs_key_hash(k, seed). */
uint32_t fs_ftab_find(const fs_ftab *t, const fs_key *k, uint64_t h);
/* n lookups at once: out[i] = fs_ftab_find(t, k[i], h[i]). The slots, then
 * the entries, of all n are fetched before the first is compared, so a batch
 * of lookups that miss the cache waits for memory about once, not n times.
 * n <= FS_FTAB_BATCH. */
#define FS_FTAB_BATCH 16
void  fs_ftab_find_batch(const fs_ftab *t, const fs_key *const *k, const uint64_t *h,
                         uint32_t *out, unsigned n);
/* Inserts a new entry (the key must be absent); returns its index, with the
 * entry zeroed except for the key, or FS_NONE when the limit is reached or
 * memory runs out. */
uint32_t fs_ftab_insert(fs_ftab *t, const fs_key *k, uint64_t h);
/* Finds or inserts; *created tells which. FS_NONE only when full. */
uint32_t fs_ftab_upsert(fs_ftab *t, const fs_key *k, uint64_t h, int *created);
void  fs_ftab_remove(fs_ftab *t, uint32_t idx);

static inline void *fs_ftab_ent(const fs_ftab *t, uint32_t idx)
{
    return t->ents + (size_t)idx * t->esz;
}
/* Iteration: for (i = 0; i < t->hwm; i++) if (fs_ftab_live(t, i)) ... */
int   fs_ftab_live(const fs_ftab *t, uint32_t idx);
/* Bytes of memory this table holds (slots + entries). */
size_t fs_ftab_mem_bytes(const fs_ftab *t);

/* Prefetch hints for a lookup of hash h that follows shortly (the engine
 * issues them a few packets ahead): the slot first, then, once the slot is
 * in cache, the entry its tag points to. Hints only: no effect on results. */
static inline void fs_ftab_prefetch(const fs_ftab *t, uint64_t h)
{
    __builtin_prefetch(&t->slots[(uint32_t)h & t->mask]);
}
static inline void fs_ftab_prefetch_entry(const fs_ftab *t, uint64_t h)
{
    uint64_t s = t->slots[(uint32_t)h & t->mask];
    if (s && (uint32_t)(s >> 32) == (uint32_t)(h >> 32))
        __builtin_prefetch(t->ents + (size_t)((uint32_t)s - 1) * t->esz);
}

/* ---- a pool of cleared tables ------------------------------------------------
 * Tables made and dropped at every analysis bin (truth and evaluation bins)
 * are handed back to a pool and reused, cleared, instead of being freed and
 * allocated again: a reused table already has the size the previous bins
 * needed, so it does not grow again by doubling (copies, rehashes, page
 * faults). The pool keeps at most FS_FTAB_POOL_MAX tables, and a table whose
 * last use filled less than a quarter of a large capacity is freed rather
 * than kept, so the memory held follows the recent bins, not the largest
 * bin ever seen. Every table of a pool has the pool's entry size; tables
 * with a capacity limit are not pooled. */
#define FS_FTAB_POOL_MAX 2
typedef struct fs_ftab_pool {
    fs_ftab  t[FS_FTAB_POOL_MAX];
    int      n;
    size_t   esz;
} fs_ftab_pool;

void fs_ftab_pool_init(fs_ftab_pool *p, size_t esz);
/* Frees every table the pool keeps. */
void fs_ftab_pool_free(fs_ftab_pool *p);
/* A cleared table with the pool's entry size and this seed: a kept one if
 * any (the most recently returned), else a new one of `initial` entries. */
int  fs_ftab_pool_get(fs_ftab_pool *p, fs_ftab *t, uint32_t initial, uint64_t seed);
/* Takes t back (cleared and kept, or freed); t is left empty either way. */
void fs_ftab_pool_put(fs_ftab_pool *p, fs_ftab *t);

/* ---- intrusive lists of entries --------------------------------------------
 * Entries keep their index for life, so meters link them into lists by
 * index: an fs_link inside the entry, an fs_list (ends, and the link's offset
 * in the entry) in the meter. NetFlow-style caches keep two: by last update
 * (the LRU list: its tail is the next inactive expiry) and by creation (its
 * head is the next active expiry or slice end). */
typedef struct fs_link {
    uint32_t prev, next;
} fs_link;

typedef struct fs_list {
    uint32_t head, tail;
    size_t   off;      /* offsetof(entry, link) */
} fs_list;

static inline void fs_list_init(fs_list *l, size_t link_off)
{
    l->head = l->tail = FS_NONE;
    l->off = link_off;
}
void fs_list_unlink(fs_list *l, const fs_ftab *t, uint32_t i);
void fs_list_push_head(fs_list *l, const fs_ftab *t, uint32_t i);
void fs_list_push_tail(fs_list *l, const fs_ftab *t, uint32_t i);
/* For a list kept in order of a time stored in its entries (fs_ns at offset
 * ts_off, increasing from the head): calls
 * fn(ctx, key, time) for each entry, oldest first, while its time is before
 * `before` and fn returns 0. Meters list their pending keys with it
 * (algo.h). */
void fs_list_keys_before(const fs_list *l, const fs_ftab *t, size_t ts_off, fs_ns before,
                         int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx);

#endif
