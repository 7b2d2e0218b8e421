/* flowsim — flow table: insert, find, remove and growth against a plain
 * array model, with keys that collide in the low hash bits. */
#include <stdlib.h>
#include <string.h>
#include "bigmem.h"
#include "ftab.h"
#include "tf.h"

typedef struct tent { FS_FTAB_ENTRY_HEAD; uint64_t v; } tent;

static fs_key mkkey(uint32_t i)
{
    fs_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.src + 12, &i, 4);
    k.proto = 6;
    return k;
}

TEST(ftab_model)
{
    fs_ftab t;
    CHECK(fs_ftab_init(&t, sizeof(tent), 8, 0, 42) == 0);
    enum { N = 20000 };
    static uint8_t present[N];
    memset(present, 0, sizeof present);
    uint32_t live = 0;
    srand(7);
    for (int step = 0; step < 200000; step++) {
        uint32_t i = (uint32_t)rand() % N;
        fs_key k = mkkey(i);
        uint64_t h = fs_key_hash(&k, t.seed);
        uint32_t idx = fs_ftab_find(&t, &k, h);
        CHECK((idx != FS_NONE) == present[i]);
        if (idx != FS_NONE) {
            CHECK_EQ_U(((tent *)fs_ftab_ent(&t, idx))->v, i);
            if (rand() % 2) {
                fs_ftab_remove(&t, idx);
                present[i] = 0;
                live--;
            }
        } else {
            idx = fs_ftab_insert(&t, &k, h);
            CHECK(idx != FS_NONE);
            ((tent *)fs_ftab_ent(&t, idx))->v = i;
            present[i] = 1;
            live++;
        }
        CHECK_EQ_U(t.n, live);
    }
    uint32_t counted = 0;
    for (uint32_t i = 0; i < t.hwm; i++)
        counted += (uint32_t)fs_ftab_live(&t, i);
    CHECK_EQ_U(counted, live);
    fs_ftab_free(&t);
}

TEST(ftab_limit)
{
    fs_ftab t;
    CHECK(fs_ftab_init(&t, sizeof(tent), 2, 5, 1) == 0);
    for (uint32_t i = 0; i < 5; i++) {
        fs_key k = mkkey(i);
        CHECK(fs_ftab_insert(&t, &k, fs_key_hash(&k, 1)) != FS_NONE);
    }
    fs_key k = mkkey(99);
    CHECK(fs_ftab_insert(&t, &k, fs_key_hash(&k, 1)) == FS_NONE);
    fs_ftab_free(&t);
}

/* A table with a large capacity limit (a meter's cache) holds about what
 * its entries need while it is small: it starts at FS_FTAB_START entries
 * from malloc, and only once its entry array reaches FS_BIG_ARRAY is it
 * mapped for the whole limit (bigmem.h: a mapped array is faulted in 2 MiB
 * at a time). Entries and their indices survive the move into the mapping,
 * the limit still holds after it, and the mapping is not grown again. */
TEST(ftab_limit_grows_into_mapping)
{
    typedef struct bent { FS_FTAB_ENTRY_HEAD; uint64_t v[10]; } bent; /* 128 B */
    enum { LIMIT = 40000 };   /* 5 MB of entries */
    fs_ftab t;
    CHECK(fs_ftab_init(&t, sizeof(bent), FS_FTAB_START, LIMIT, 3) == 0);
    CHECK(t.ents_room < FS_BIG_ARRAY);
    CHECK_EQ_U(t.cap, FS_FTAB_START);
    static uint32_t idx_of[LIMIT];
    size_t room_mapped = 0;
    for (uint32_t i = 0; i < LIMIT; i++) {
        fs_key k = mkkey(i);
        uint32_t idx = fs_ftab_insert(&t, &k, fs_key_hash(&k, 3));
        CHECK(idx != FS_NONE);
        idx_of[i] = idx;
        ((bent *)fs_ftab_ent(&t, idx))->v[9] = i;
        size_t used = (size_t)t.cap * sizeof(bent);
        if (used < FS_BIG_ARRAY)
            CHECK(t.ents_room < FS_BIG_ARRAY);       /* still from malloc */
        else if (!room_mapped)
            room_mapped = t.ents_room;              /* mapped for the limit */
        else
            CHECK_EQ_U(t.ents_room, room_mapped);   /* never moved again */
    }
    CHECK(room_mapped >= (size_t)LIMIT * sizeof(bent));
    fs_key over = mkkey(LIMIT);
    CHECK(fs_ftab_insert(&t, &over, fs_key_hash(&over, 3)) == FS_NONE);
    for (uint32_t i = 0; i < LIMIT; i++) {
        fs_key k = mkkey(i);
        uint32_t idx = fs_ftab_find(&t, &k, fs_key_hash(&k, 3));
        CHECK_EQ_U(idx, idx_of[i]);
        CHECK_EQ_U(((bent *)fs_ftab_ent(&t, idx))->v[9], i);
    }
    fs_ftab_free(&t);
}
