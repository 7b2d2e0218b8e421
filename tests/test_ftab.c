/* flowsim — flow table: insert, find, remove and growth against a plain
 * array model, with keys that collide in the low hash bits. */
#include <stdlib.h>
#include <string.h>
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
