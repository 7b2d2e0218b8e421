/* flowsim — the key_totals run parameter (whole-trace rows of the dport and
 * prefix aggregates made from whole-trace sums per key, or from the per-bin
 * comparisons) and the pool of reused flow tables.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ftab.h"
#include "harness.h"
#include "tf.h"

#define GNUTELLA "../traces/real/ndpi_gnutella_full.pcap"
#define BITTORRENT "../traces/real/ndpi_bittorrent_transmission.pcapng"

static const char *const key_aggs[] = {"dport", "src_prefix", "dst_prefix"};

/* One row of results.csv. */
typedef struct row {
    int p, rep;
    char bin[24], agg[16], key[64], metric[32];
    char value[40];
} row;

typedef struct rows {
    row *r;
    size_t n;
} rows;

static rows load_rows(const char *outdir)
{
    rows rs = {NULL, 0};
    size_t cap = 0;
    char path[600], line[8192];
    snprintf(path, sizeof path, "%s/results.csv", outdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return rs;
    while (fgets(line, sizeof line, f)) {
        char *fld[11];
        int k = 0;
        for (char *s = line, *tok; k < 11 && (tok = strsep(&s, ",")); k++)
            fld[k] = tok;
        if (k != 11 || fld[0][0] != 'p' || !strcmp(fld[0], "pipeline"))
            continue;
        fld[10][strcspn(fld[10], "\n")] = 0;
        if (rs.n == cap) {
            cap = cap ? cap * 2 : 1024;
            row *nr = realloc(rs.r, cap * sizeof *nr);
            if (!nr)
                break;
            rs.r = nr;
        }
        row *w = &rs.r[rs.n++];
        w->p = atoi(fld[0] + 1);
        w->rep = atoi(fld[3]);
        snprintf(w->bin, sizeof w->bin, "%s", fld[5]);
        snprintf(w->agg, sizeof w->agg, "%s", fld[6]);
        snprintf(w->key, sizeof w->key, "%s", fld[7]);
        snprintf(w->metric, sizeof w->metric, "%s", fld[8]);
        snprintf(w->value, sizeof w->value, "%s", fld[9]);
    }
    fclose(f);
    return rs;
}

/* The value text of one row, or NULL. */
static const char *val_of(const rows *rs, int p, int rep, const char *bin, const char *agg,
                          const char *key, const char *metric)
{
    for (size_t i = 0; i < rs->n; i++) {
        const row *w = &rs->r[i];
        if (w->p == p && w->rep == rep && !strcmp(w->bin, bin) && !strcmp(w->agg, agg) &&
            !strcmp(w->key, key) && !strcmp(w->metric, metric))
            return w->value;
    }
    return NULL;
}

static double num_of(const rows *rs, int p, int rep, const char *bin, const char *agg,
                     const char *key, const char *metric)
{
    const char *v = val_of(rs, p, rep, bin, agg, key, metric);
    return v ? strtod(v, NULL) : NAN;
}

/* Rows of bin "all" of an aggregate with a key other than "all". */
static int per_key_rows(const rows *rs, const char *agg)
{
    int n = 0;
    for (size_t i = 0; i < rs->n; i++)
        n += !strcmp(rs->r[i].bin, "all") && !strcmp(rs->r[i].agg, agg) &&
             strcmp(rs->r[i].key, "all") != 0;
    return n;
}

static const char *const specs[] = {"netflow:inactive=5s,active=20s",
                                    "sampled-netflow:rate=1/10,inactive=5s"};
enum { NSPECS = 2, SEEDS = 2 };

/* One bin: the whole-trace sums per key are the bin's sums per key, so the
 * two modes give the same keys, wmre and top-k overlap; only trace has the
 * per-key top-k rows. */
TEST(evalmem_key_totals_one_bin)
{
    const char *traces[] = {GNUTELLA};
    char dt[128], db[128];
    int rt = th_run(traces, 1, specs, NSPECS, "bin=inf,seeds=2,key_totals=trace,records=none",
                    dt, sizeof dt);
    int rb = th_run(traces, 1, specs, NSPECS, "bin=inf,seeds=2,key_totals=bins,records=none",
                    db, sizeof db);
    CHECK_EQ_I(rt, 0);
    CHECK_EQ_I(rb, 0);
    rows T = load_rows(dt), B = load_rows(db);
    CHECK(T.n > 0);
    static const char *const metrics[] = {"keys", "wmre_bytes", "wmre_packets", "topk_recall",
                                          "topk_precision"};
    int compared = 0, nonzero_err = 0;
    for (int p = 0; p < NSPECS; p++)
        for (int r = 0; r < SEEDS; r++)
            for (int a = 0; a < 3; a++)
                for (int m = 0; m < 5; m++) {
                    const char *vt = val_of(&T, p, r, "all", key_aggs[a], "all", metrics[m]);
                    const char *vb = val_of(&B, p, r, "all", key_aggs[a], "all", metrics[m]);
                    CHECK(vt != NULL);
                    CHECK(vb != NULL);
                    if (!vt || !vb)
                        continue;
                    CHECK_STR(vb, vt);
                    compared++;
                    nonzero_err += m == 1 && strtod(vt, NULL) > 0.01;
                }
    CHECK_EQ_I(compared, NSPECS * SEEDS * 3 * 5);
    /* the sampled pipeline makes real errors: the comparison is not of zeros */
    CHECK(nonzero_err >= SEEDS * 3);
    for (int a = 0; a < 3; a++) {
        CHECK(per_key_rows(&T, key_aggs[a]) > 0);
        CHECK_EQ_I(per_key_rows(&B, key_aggs[a]), 0);
    }
    /* the other aggregates do not depend on key_totals */
    for (int p = 0; p < NSPECS; p++) {
        CHECK_STR(val_of(&B, p, 1, "all", "total", "all", "est_bytes"),
                  val_of(&T, p, 1, "all", "total", "all", "est_bytes"));
        CHECK_STR(val_of(&B, p, 1, "all", "flow", "all", "topk_recall"),
                  val_of(&T, p, 1, "all", "flow", "all", "topk_recall"));
    }
    free(T.r);
    free(B.r);
    th_cleanup(dt);
    th_cleanup(db);
}

/* True bytes and packets of an aggregate in one bin, from the bin's rows:
 * every flow has a source and a destination prefix, so the prefix
 * aggregates hold the bin's total; dport holds the TCP, UDP, SCTP and
 * UDP-Lite flows. */
static void bin_true(const rows *rs, int p, int r, const char *bin, int a, double *by,
                     double *pk)
{
    *by = *pk = 0;
    if (a > 0) {
        *by = num_of(rs, p, r, bin, "total", "all", "true_bytes");
        *pk = num_of(rs, p, r, bin, "total", "all", "true_packets");
        return;
    }
    static const char *const protos[] = {"tcp", "udp", "sctp", "136"};
    for (int i = 0; i < 4; i++) {
        double b = num_of(rs, p, r, bin, "proto", protos[i], "true_bytes");
        double k = num_of(rs, p, r, bin, "proto", protos[i], "true_packets");
        if (!isnan(b)) {
            *by += b;
            *pk += k;
        }
    }
}

/* Several bins: the whole-trace rows of key_totals bins are the sums and
 * means of the per-bin rows, recomputed here from the per-bin wmre (times
 * the bin's true total: the bin's |est - true|), keys and top-k rows. */
TEST(evalmem_key_totals_bins_sums)
{
    const char *traces[] = {GNUTELLA};
    char d[128];
    int rc = th_run(traces, 1, specs, NSPECS,
                    "bin=10s,seeds=2,key_totals=bins,bin_rows=all,records=none", d, sizeof d);
    CHECK_EQ_I(rc, 0);
    rows R = load_rows(d);
    int checked = 0;
    for (int p = 0; p < NSPECS; p++)
        for (int r = 0; r < SEEDS; r++)
            for (int a = 0; a < 3; a++) {
                double keys = 0, t_by = 0, t_pk = 0, e_by = 0, e_pk = 0;
                double rec = 0, nrec = 0, pre = 0, npre = 0;
                int nbins = 0, unknown = 0;
                char seen[4096] = "";
                for (size_t i = 0; i < R.n; i++) {
                    const row *w = &R.r[i];
                    if (w->p != p || w->rep != r || strcmp(w->agg, key_aggs[a]) ||
                        strcmp(w->key, "all") || strcmp(w->metric, "keys") ||
                        !strcmp(w->bin, "all"))
                        continue;
                    char tag[32];
                    snprintf(tag, sizeof tag, ",%s,", w->bin);
                    if (strstr(seen, tag))
                        continue;
                    if (strlen(seen) + strlen(tag) < sizeof seen)
                        strcat(seen, tag);
                    nbins++;
                    keys += strtod(w->value, NULL);
                    double by, pk;
                    bin_true(&R, p, r, w->bin, a, &by, &pk);
                    double wb = num_of(&R, p, r, w->bin, key_aggs[a], "all", "wmre_bytes");
                    double wp = num_of(&R, p, r, w->bin, key_aggs[a], "all", "wmre_packets");
                    if (by > 0)
                        e_by += wb * by;
                    if (pk > 0)
                        e_pk += wp * pk;
                    /* a bin without true traffic in the aggregate but with
                     * estimates in it would hide its error behind nan */
                    if ((by == 0 && !isnan(wb)) || (pk == 0 && !isnan(wp)))
                        unknown++;
                    t_by += by;
                    t_pk += pk;
                    double x = num_of(&R, p, r, w->bin, key_aggs[a], "all", "topk_recall");
                    if (!isnan(x)) {
                        rec += x;
                        nrec++;
                    }
                    x = num_of(&R, p, r, w->bin, key_aggs[a], "all", "topk_precision");
                    if (!isnan(x)) {
                        pre += x;
                        npre++;
                    }
                }
                CHECK(nbins >= 10);
                CHECK_EQ_I(unknown, 0);
                const char *an = key_aggs[a];
                CHECK_NEAR(num_of(&R, p, r, "all", an, "all", "keys"), keys, 0);
                CHECK_NEAR(num_of(&R, p, r, "all", an, "all", "wmre_bytes"), e_by / t_by,
                           1e-9 * (e_by / t_by) + 1e-15);
                CHECK_NEAR(num_of(&R, p, r, "all", an, "all", "wmre_packets"), e_pk / t_pk,
                           1e-9 * (e_pk / t_pk) + 1e-15);
                CHECK_NEAR(num_of(&R, p, r, "all", an, "all", "topk_recall"), rec / nrec, 1e-9);
                CHECK_NEAR(num_of(&R, p, r, "all", an, "all", "topk_precision"), pre / npre,
                           1e-9);
                CHECK_EQ_I(per_key_rows(&R, an), 0);
                checked++;
            }
    CHECK_EQ_I(checked, NSPECS * SEEDS * 3);
    /* the sampled pipeline's whole-trace error is a real one */
    CHECK(num_of(&R, 1, 0, "all", "dport", "all", "wmre_bytes") > 0.01);
    free(R.r);
    th_cleanup(d);
}

/* key_totals changes only the whole-trace rows of the key aggregates: every
 * per-bin row and every other whole-trace row is the same in both modes. */
TEST(evalmem_key_totals_same_bins)
{
    const char *traces[] = {BITTORRENT};
    char dt[128], db[128];
    int rt = th_run(traces, 1, specs, NSPECS, "bin=5s,bin_rows=all,key_totals=trace,records=none",
                    dt, sizeof dt);
    int rb = th_run(traces, 1, specs, NSPECS, "bin=5s,bin_rows=all,key_totals=bins,records=none",
                    db, sizeof db);
    CHECK_EQ_I(rt, 0);
    CHECK_EQ_I(rb, 0);
    rows T = load_rows(dt), B = load_rows(db);
    size_t it = 0, ib = 0, same = 0;
    int bad = 0;
    for (;;) {
        while (it < T.n && !strcmp(T.r[it].bin, "all") &&
               (!strcmp(T.r[it].agg, "dport") || strstr(T.r[it].agg, "prefix")))
            it++;
        while (ib < B.n && !strcmp(B.r[ib].bin, "all") &&
               (!strcmp(B.r[ib].agg, "dport") || strstr(B.r[ib].agg, "prefix")))
            ib++;
        if (it >= T.n || ib >= B.n)
            break;
        const row *x = &T.r[it++], *y = &B.r[ib++];
        if (x->p != y->p || x->rep != y->rep || strcmp(x->bin, y->bin) ||
            strcmp(x->agg, y->agg) || strcmp(x->key, y->key) || strcmp(x->metric, y->metric) ||
            strcmp(x->value, y->value))
            bad++;
        else
            same++;
    }
    CHECK_EQ_I(bad, 0);
    CHECK(it == T.n && ib == B.n);
    CHECK(same > 1000);
    free(T.r);
    free(B.r);
    th_cleanup(dt);
    th_cleanup(db);
}

/* The pool hands back cleared tables of the right entry size, keeps at most
 * FS_FTAB_POOL_MAX, and frees a large table its last use barely filled. */
typedef struct pent {
    FS_FTAB_ENTRY_HEAD;
    uint64_t v;
} pent;

static fs_key pkey(uint32_t i)
{
    fs_key k;
    memset(&k, 0, sizeof k);
    k.proto = 6;
    k.sport = (uint16_t)i;
    k.dport = (uint16_t)(i >> 16);
    return k;
}

TEST(evalmem_ftab_pool)
{
    fs_ftab_pool pool;
    fs_ftab_pool_init(&pool, sizeof(pent));
    fs_ftab t[FS_FTAB_POOL_MAX + 2];
    for (int j = 0; j < FS_FTAB_POOL_MAX + 2; j++) {
        CHECK_EQ_I(fs_ftab_pool_get(&pool, &t[j], 64, 7), 0);
        for (uint32_t i = 0; i < 100; i++) {
            fs_key k = pkey(i + 1000u * (uint32_t)j);
            uint32_t x = fs_ftab_insert(&t[j], &k, fs_key_hash(&k, 7));
            CHECK(x == i);
            ((pent *)fs_ftab_ent(&t[j], x))->v = i;
        }
    }
    for (int j = 0; j < FS_FTAB_POOL_MAX + 2; j++)
        fs_ftab_pool_put(&pool, &t[j]);
    CHECK_EQ_I(pool.n, FS_FTAB_POOL_MAX);
    /* a reused table is empty, indices start at 0 again, old keys are gone */
    fs_ftab u;
    CHECK_EQ_I(fs_ftab_pool_get(&pool, &u, 64, 9), 0);
    CHECK_EQ_I(pool.n, FS_FTAB_POOL_MAX - 1);
    CHECK_EQ_U(u.n, 0);
    CHECK_EQ_U(u.hwm, 0);
    CHECK_EQ_U(u.seed, 9);
    CHECK(u.cap >= 100);
    fs_key k0 = pkey(5);
    CHECK(fs_ftab_find(&u, &k0, fs_key_hash(&k0, 9)) == FS_NONE);
    CHECK(!fs_ftab_live(&u, 0));
    uint32_t x = fs_ftab_insert(&u, &k0, fs_key_hash(&k0, 9));
    CHECK_EQ_U(x, 0);
    CHECK_EQ_U(((pent *)fs_ftab_ent(&u, x))->v, 0);
    CHECK_EQ_U(fs_ftab_find(&u, &k0, fs_key_hash(&k0, 9)), 0);
    /* grow it large, then use it for a few keys: it is not kept */
    fs_ftab_clear(&u);
    for (uint32_t i = 0; i < 20000; i++) {
        fs_key k = pkey(i);
        fs_ftab_insert(&u, &k, fs_key_hash(&k, 9));
    }
    fs_ftab_clear(&u);
    for (uint32_t i = 0; i < 10; i++) {
        fs_key k = pkey(i);
        fs_ftab_insert(&u, &k, fs_key_hash(&k, 9));
    }
    fs_ftab_pool_put(&pool, &u);
    CHECK_EQ_I(pool.n, FS_FTAB_POOL_MAX - 1);
    CHECK(u.slots == NULL && u.ents == NULL);
    /* a large table that was well filled is kept */
    CHECK_EQ_I(fs_ftab_pool_get(&pool, &u, 64, 9), 0);
    for (uint32_t i = 0; i < 20000; i++) {
        fs_key k = pkey(i);
        fs_ftab_insert(&u, &k, fs_key_hash(&k, 9));
    }
    fs_ftab_pool_put(&pool, &u);
    CHECK_EQ_I(pool.n, FS_FTAB_POOL_MAX - 1);
    CHECK(pool.t[pool.n - 1].cap >= 20000);
    CHECK_EQ_U(pool.t[pool.n - 1].n, 0);
    fs_ftab_pool_free(&pool);
    CHECK_EQ_I(pool.n, 0);
}
