/* flowsim — record stages of a collector chain: uniform random record
 * sampling, hash-based record sampling, and a filter on record fields.
 *
 * uniform  keeps each record independently with probability `rate` and
 *          multiplies its weight by 1/rate (Horvitz-Thompson): unbiased for
 *          every additive estimate, at a cost in variance that is large for
 *          heavy-tailed flow sizes [R DLT IMW 2001 abstract, algorithms.md §2.5].
 * hash     keeps a record when a seeded hash of its flow key falls below
 *          rate * 2^64 (flow sampling as in trajectory sampling and cSamp):
 *          every record of a flow is kept or dropped together, so flows stay
 *          whole; weight x 1/rate. Over seeds each flow is kept with
 *          probability rate.
 * filter   passes only records matching every given field condition; the
 *          weight is unchanged, so estimates cover the matching records only
 *          (the truth is still all traffic).
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include "algo.h"
#include "rng.h"

/* ---- uniform and hash ------------------------------------------------------ */
typedef struct rs_params {
    double rate;
} rs_params;

static const fs_param_def rs_params_def[] = {
    {"rate", FS_P_PROB, offsetof(rs_params, rate), "1/10", "probability",
     "probability of keeping a record (uniform) or a flow (hash)", 0, 0, NULL, 0},
};

typedef struct rs_state {
    rs_params    p;
    fs_stage_env env;
    uint64_t     seed, limit, seen, kept;
} rs_state;

static int rs_init(void *st, const void *params, const fs_stage_env *env, char *err,
                   size_t errlen)
{
    (void)err;
    (void)errlen;
    rs_state *s = st;
    s->p = *(const rs_params *)params;
    s->env = *env;
    s->seed = fs_rng_u64(env->rng);
    s->limit = s->p.rate >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(s->p.rate, 64);
    return 0;
}

static void pass_weighted(rs_state *s, const fs_record *r)
{
    fs_record c = *r;
    c.weight = r->weight / s->p.rate;
    s->kept++;
    s->env.emit(s->env.emit_ctx, &c);
}

/* Estimands: a stage keeping each record with probability r and weight
 * 1/r keeps sums unbiased (bytes, packets, arrivals M1, TCP flows M2:
 * Horvitz-Thompson per record); active flows need one record per flow and
 * bin (fs_estimands_record_sampled). Hash sampling keeps or drops every
 * record of a flow together and changes nothing; a filter makes every
 * estimate cover the matching records only. */
static void uniform_estimands(const void *params, const fs_binning *b,
                              fs_estimand io[FS_Q__COUNT])
{
    (void)b;
    if (((const rs_params *)params)->rate < 1.0)
        fs_estimands_record_sampled(io);
}

static void uniform_record(void *st, const fs_record *r)
{
    rs_state *s = st;
    s->seen++;
    if (gsl_rng_uniform(s->env.rng) < s->p.rate)
        pass_weighted(s, r);
}

static void hash_record(void *st, const fs_record *r)
{
    rs_state *s = st;
    s->seen++;
    if (s->p.rate >= 1.0 || XXH3_64bits_withSeed(&r->key, sizeof r->key, s->seed) < s->limit)
        pass_weighted(s, r);
}

static void rs_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const rs_state *s = st;
    fn(ctx, "records_in", (double)s->seen);
    fn(ctx, "records_out", (double)s->kept);
}

const fs_stage fs_stage_uniform = {
    .abi = FS_ALGO_ABI,
    .name = "uniform",
    .reweights = 1,
    .summary = "uniform random record sampling: keep each record with probability rate",
    .notes = "Independent Bernoulli decision per record; kept records weigh 1/rate. Bytes, "
             "packets and arrivals stay unbiased; active flows are overestimated when a flow "
             "is split into several records in a bin (a flow is counted if any of its records "
             "survives, with weight 1/rate; estimand biased:records-not-flows unless the "
             "meter exports one record per flow and bin): use hash to sample whole flows.",
    .params = rs_params_def,
    .nparams = 1,
    .params_size = sizeof(rs_params),
    .state_size = sizeof(rs_state),
    .init = rs_init,
    .record = uniform_record,
    .stats = rs_stats,
    .estimands = uniform_estimands,
};

const fs_stage fs_stage_hash = {
    .abi = FS_ALGO_ABI,
    .name = "hash",
    .reweights = 1,
    .summary = "hash-based flow sampling: keep the records of a flow when its key hashes "
               "below rate",
    .notes = "Seeded XXH3 of the flow key; all records of a flow share the decision; kept "
             "records weigh 1/rate.",
    .params = rs_params_def,
    .nparams = 1,
    .params_size = sizeof(rs_params),
    .state_size = sizeof(rs_state),
    .init = rs_init,
    .record = hash_record,
    .stats = rs_stats,
};

/* ---- filter ------------------------------------------------------------------------- */
typedef struct rf_params {
    uint64_t proto, sport, dport, min_packets;
    int      ipver;   /* enum parameters are stored as int */
    double   min_bytes;
} rf_params;

static const char *const ipver_names[] = {"any", "4", "6", NULL};

#define F(f) offsetof(rf_params, f)
static const fs_param_def rf_params_def[] = {
    {"proto", FS_P_COUNT, F(proto), "0", "", "IP protocol to keep (0 = any)", 0, 255, NULL, 0},
    {"sport", FS_P_COUNT, F(sport), "0", "", "source port to keep (0 = any)", 0, 65535, NULL, 0},
    {"dport", FS_P_COUNT, F(dport), "0", "", "destination port to keep (0 = any)", 0, 65535,
     NULL, 0},
    {"ipver", FS_P_ENUM, F(ipver), "any", "", "IP version to keep: any, 4, 6", 0, 0,
     ipver_names, 0},
    {"min_packets", FS_P_COUNT, F(min_packets), "0", "packets",
     "keep records counting at least this many packets", 0, 0, NULL, 0},
    {"min_bytes", FS_P_REAL, F(min_bytes), "0", "bytes",
     "keep records counting at least this many bytes", 0, 0, NULL, 0},
};
#undef F

typedef struct rf_state {
    rf_params    p;
    fs_stage_env env;
    uint64_t     seen, kept;
} rf_state;

static int rf_init(void *st, const void *params, const fs_stage_env *env, char *err,
                   size_t errlen)
{
    (void)err;
    (void)errlen;
    rf_state *s = st;
    s->p = *(const rf_params *)params;
    s->env = *env;
    return 0;
}

static void rf_record(void *st, const fs_record *r)
{
    rf_state *s = st;
    const rf_params *p = &s->p;
    s->seen++;
    int v6 = (r->key.flags & FS_KEY_V6) != 0;
    int ipver = (int)p->ipver;
    if ((p->proto && r->key.proto != p->proto) || (p->sport && r->key.sport != p->sport) ||
        (p->dport && r->key.dport != p->dport) || (ipver == 1 && v6) || (ipver == 2 && !v6) ||
        r->pkts < p->min_packets || r->bytes < p->min_bytes)
        return;
    s->kept++;
    s->env.emit(s->env.emit_ctx, r);
}

static void rf_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const rf_state *s = st;
    fn(ctx, "records_in", (double)s->seen);
    fn(ctx, "records_out", (double)s->kept);
}

static void rf_estimands(const void *params, const fs_binning *b, fs_estimand io[FS_Q__COUNT])
{
    (void)b;
    const rf_params *p = params;
    if (!p->proto && !p->sport && !p->dport && !p->ipver && !p->min_packets && !(p->min_bytes > 0))
        return;   /* passes every record */
    for (int q = 0; q < FS_Q__COUNT; q++)
        if (io[q].status != FS_EST_NA)
            fs_estimand_set(io, q, FS_EST_BIASED, "filtered-records");
}

const fs_stage fs_stage_filter = {
    .abi = FS_ALGO_ABI,
    .name = "filter",
    .summary = "pass only records whose fields match (protocol, ports, IP version, size)",
    .notes = "Deterministic; weights unchanged: every estimate then covers the matching "
             "records only (estimand biased:filtered-records).",
    .params = rf_params_def,
    .nparams = sizeof rf_params_def / sizeof rf_params_def[0],
    .params_size = sizeof(rf_params),
    .state_size = sizeof(rf_state),
    .init = rf_init,
    .record = rf_record,
    .stats = rf_stats,
    .estimands = rf_estimands,
};
