/* flowsim — flow table (see ftab.h). Copyright (C) 2026 the flowsim authors.
 * GPL-3.0-or-later. */
#include "ftab.h"

#include "bigmem.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Slot and entry arrays come from bigmem.h: from 1 MiB on they are mapped
 * in 2 MiB huge pages and grow without copies. Below that they come from
 * malloc, so a small table holds about what it uses: a huge page is 2 MiB of
 * memory as soon as one byte of it is written, which for a pipeline-
 * replicate holding a few hundred flows was almost all of its memory. Once
 * the entry array of a table with a capacity limit (a meter's cache) reaches
 * 1 MiB, it is mapped for the whole limit, up to RESERVE_MAX, at once:
 * untouched pages cost nothing, and growing it further is free. */
#define RESERVE_MAX ((size_t)1 << 30)

#define LIVE_MARK UINT32_C(0xFFFFFFFE)
#define LINK_OFF  sizeof(fs_key)

uint64_t fs_key_hash(const fs_key *k, uint64_t seed)
{
    return XXH3_64bits_withSeed(k, sizeof *k, seed);
}

static uint32_t get_link(const fs_ftab *t, uint32_t idx)
{
    uint32_t v;
    memcpy(&v, t->ents + (size_t)idx * t->esz + LINK_OFF, sizeof v);
    return v;
}

static void set_link(fs_ftab *t, uint32_t idx, uint32_t v)
{
    memcpy(t->ents + (size_t)idx * t->esz + LINK_OFF, &v, sizeof v);
}

static uint32_t slots_for(uint32_t entries)
{
    uint32_t s = 16;
    while (s < 2u * entries && s < (1u << 31))
        s <<= 1;
    return s;
}

/* The bytes to map for a limited table whose entry array needs `want`
 * bytes, at least 1 MiB: its whole limit, up to RESERVE_MAX. */
static size_t ents_reserve(const fs_ftab *t, size_t want)
{
    size_t full = (size_t)t->limit * t->esz;
    size_t reserve = full < RESERVE_MAX ? full : RESERVE_MAX;
    return reserve > want ? reserve : want;
}

int fs_ftab_init(fs_ftab *t, size_t esz, uint32_t initial, uint32_t limit, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (esz < sizeof(fs_key) + 4)
        return -1;
    t->esz = esz;
    t->limit = limit;
    t->seed = seed;
    t->free_head = FS_NONE;
    if (initial < 8)
        initial = 8;
    if (limit && initial > limit)
        initial = limit;
    uint32_t ns = slots_for(initial);
    t->slots = fs_arr_alloc((size_t)ns * sizeof *t->slots);
    t->mask = ns - 1;
    size_t want = (size_t)initial * esz;
    if (limit && want >= FS_BIG_ARRAY)
        want = ents_reserve(t, want);
    t->ents = fs_arr_alloc(want);
    t->ents_room = t->ents ? fs_arr_room(want) : 0;
    t->cap = t->ents ? initial : 0;
    if (!t->slots || !t->ents) {
        fs_ftab_free(t);
        return -1;
    }
    return 0;
}

void fs_ftab_free(fs_ftab *t)
{
    if (t->slots)
        fs_arr_free(t->slots, ((size_t)t->mask + 1) * sizeof *t->slots);
    fs_arr_free(t->ents, t->ents_room);
    t->slots = NULL;
    t->ents = NULL;
    t->ents_room = 0;
    t->cap = t->n = t->hwm = 0;
}

void fs_ftab_clear(fs_ftab *t)
{
    memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof *t->slots);
    t->n = t->hwm = 0;
    t->free_head = FS_NONE;
}

int fs_ftab_live(const fs_ftab *t, uint32_t idx)
{
    return idx < t->hwm && get_link(t, idx) == LIVE_MARK;
}

size_t fs_ftab_mem_bytes(const fs_ftab *t)
{
    return ((size_t)t->mask + 1) * sizeof *t->slots + (size_t)t->cap * t->esz;
}

uint32_t fs_ftab_find(const fs_ftab *t, const fs_key *k, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint32_t i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (!s)
            return FS_NONE;
        if ((uint32_t)(s >> 32) == tag) {
            uint32_t idx = (uint32_t)s - 1;
            if (fs_key_eq((const fs_key *)fs_ftab_ent(t, idx), k))
                return idx;
        }
    }
}

void fs_ftab_find_batch(const fs_ftab *t, const fs_key *const *k, const uint64_t *h,
                        uint32_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        fs_ftab_prefetch(t, h[i]);
    for (unsigned i = 0; i < n; i++)
        fs_ftab_prefetch_entry(t, h[i]);
    for (unsigned i = 0; i < n; i++)
        out[i] = fs_ftab_find(t, k[i], h[i]);
}

/* Doubles the slot array and reinserts every live entry. */
static int grow_slots(fs_ftab *t)
{
    uint32_t ns = (t->mask + 1) * 2;
    uint64_t *s = fs_arr_alloc((size_t)ns * sizeof *s);
    if (!s)
        return -1;
    for (uint32_t i = 0; i <= t->mask; i++) {
        uint64_t v = t->slots[i];
        if (!v)
            continue;
        const fs_key *k = fs_ftab_ent(t, (uint32_t)v - 1);
        uint32_t j = (uint32_t)fs_key_hash(k, t->seed) & (ns - 1);
        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = v;
    }
    fs_arr_free(t->slots, ((size_t)t->mask + 1) * sizeof *t->slots);
    t->slots = s;
    t->mask = ns - 1;
    return 0;
}

uint32_t fs_ftab_insert(fs_ftab *t, const fs_key *k, uint64_t h)
{
    uint32_t idx;
    if (t->free_head != FS_NONE) {
        idx = t->free_head;
        t->free_head = get_link(t, idx);
    } else {
        if (t->limit && t->hwm >= t->limit)
            return FS_NONE;
        if (t->hwm == t->cap) {
            uint64_t nc = (uint64_t)t->cap * 2;
            if (t->limit && nc > t->limit)
                nc = t->limit;
            if (nc > UINT32_MAX - 1)
                return FS_NONE;
            size_t want = (size_t)nc * t->esz;
            if (t->limit && want >= FS_BIG_ARRAY)
                want = ents_reserve(t, want);
            char *e = fs_arr_grow(t->ents, &t->ents_room, (size_t)t->cap * t->esz, want);
            if (!e)
                return FS_NONE;
            t->ents = e;
            t->cap = (uint32_t)nc;
        }
        idx = t->hwm++;
    }
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && grow_slots(t)) {
        /* undo: put the index back on the free list */
        set_link(t, idx, t->free_head);
        t->free_head = idx;
        return FS_NONE;
    }
    char *e = fs_ftab_ent(t, idx);
    memset(e, 0, t->esz);
    memcpy(e, k, sizeof *k);
    set_link(t, idx, LIVE_MARK);
    uint32_t i = (uint32_t)h & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = ((uint64_t)(uint32_t)(h >> 32) << 32) | ((uint64_t)idx + 1);
    t->n++;
    return idx;
}

uint32_t fs_ftab_upsert(fs_ftab *t, const fs_key *k, uint64_t h, int *created)
{
    uint32_t idx = fs_ftab_find(t, k, h);
    *created = 0;
    if (idx != FS_NONE)
        return idx;
    idx = fs_ftab_insert(t, k, h);
    *created = idx != FS_NONE;
    return idx;
}

void fs_ftab_remove(fs_ftab *t, uint32_t idx)
{
    const fs_key *k = fs_ftab_ent(t, idx);
    uint64_t h = fs_key_hash(k, t->seed);
    uint32_t i = (uint32_t)h & t->mask;
    while ((uint32_t)t->slots[i] != idx + 1)
        i = (i + 1) & t->mask;
    /* backward-shift deletion: move later members of the probe run into
     * the hole when their home slot is at or before it. */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        uint64_t v = t->slots[j];
        if (!v)
            break;
        const fs_key *kj = fs_ftab_ent(t, (uint32_t)v - 1);
        uint32_t home = (uint32_t)fs_key_hash(kj, t->seed) & t->mask;
        /* can v move to i? yes if home is cyclically outside (i, j] */
        if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
            t->slots[i] = v;
            i = j;
        }
    }
    t->slots[i] = 0;
    set_link(t, idx, t->free_head);
    t->free_head = idx;
    t->n--;
}

/* ---- pool ------------------------------------------------------------------- */
/* Tables at or below this many entries are always worth keeping. */
#define POOL_SMALL 4096u

void fs_ftab_pool_init(fs_ftab_pool *p, size_t esz)
{
    memset(p, 0, sizeof *p);
    p->esz = esz;
}

void fs_ftab_pool_free(fs_ftab_pool *p)
{
    while (p->n > 0)
        fs_ftab_free(&p->t[--p->n]);
}

int fs_ftab_pool_get(fs_ftab_pool *p, fs_ftab *t, uint32_t initial, uint64_t seed)
{
    if (p->n > 0) {
        *t = p->t[--p->n];
        memset(&p->t[p->n], 0, sizeof p->t[p->n]);
        /* empty, so the seed can change without moving anything */
        t->seed = seed;
        return 0;
    }
    return fs_ftab_init(t, p->esz, initial, 0, seed);
}

void fs_ftab_pool_put(fs_ftab_pool *p, fs_ftab *t)
{
    int keep = t->slots && t->esz == p->esz && !t->limit && p->n < FS_FTAB_POOL_MAX &&
               (t->cap <= POOL_SMALL || (uint64_t)t->hwm * 4 >= t->cap);
    if (keep) {
        fs_ftab_clear(t);
        p->t[p->n++] = *t;
        memset(t, 0, sizeof *t);
        t->free_head = FS_NONE;
    } else
        fs_ftab_free(t);
}

/* ---- intrusive lists -------------------------------------------------------- */
static fs_link *link_of(const fs_list *l, const fs_ftab *t, uint32_t i)
{
    /* the link is a member of the entry struct, so it is aligned; going
     * through void * says so to the compiler */
    return (fs_link *)(void *)((char *)fs_ftab_ent(t, i) + l->off);
}

void fs_list_unlink(fs_list *l, const fs_ftab *t, uint32_t i)
{
    fs_link *e = link_of(l, t, i);
    if (e->prev != FS_NONE)
        link_of(l, t, e->prev)->next = e->next;
    else
        l->head = e->next;
    if (e->next != FS_NONE)
        link_of(l, t, e->next)->prev = e->prev;
    else
        l->tail = e->prev;
}

void fs_list_push_head(fs_list *l, const fs_ftab *t, uint32_t i)
{
    fs_link *e = link_of(l, t, i);
    e->prev = FS_NONE;
    e->next = l->head;
    if (l->head != FS_NONE)
        link_of(l, t, l->head)->prev = i;
    else
        l->tail = i;
    l->head = i;
}

void fs_list_push_tail(fs_list *l, const fs_ftab *t, uint32_t i)
{
    fs_link *e = link_of(l, t, i);
    e->next = FS_NONE;
    e->prev = l->tail;
    if (l->tail != FS_NONE)
        link_of(l, t, l->tail)->next = i;
    else
        l->head = i;
    l->tail = i;
}

void fs_list_keys_before(const fs_list *l, const fs_ftab *t, size_t ts_off, fs_ns before,
                         int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx)
{
    for (uint32_t i = l->head; i != FS_NONE;) {
        const fs_key *k = fs_ftab_ent(t, i);
        const char *e = (const char *)k;
        fs_ns ts;
        memcpy(&ts, e + ts_off, sizeof ts);
        if (ts >= before || fn(ctx, k, ts))
            break;
        const fs_link *ln = (const fs_link *)(const void *)(e + l->off);
        i = ln->next;
    }
}
