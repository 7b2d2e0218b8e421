/* flowsim — NetFlow and Sampled NetFlow (algorithms.md §2.1, §2.2, §2.6).
 *
 * A flow cache of a fixed number of entries. An entry is exported as one
 * record when the flow ends by TCP FIN or RST, after the inactive timeout
 * (no packet for `inactive`), at the active timeout (`active` after the
 * entry was created, so long flows become several records), by emergency
 * expiry when the cache is full, and at the end of the trace.
 *
 * Timers are exact: entries sit in two lists kept in time order for free —
 * the LRU list (ordered by last packet, since packets arrive in time order)
 * gives the next inactive expiry at its tail, the age list (ordered by
 * creation) gives the next active expiry at its head — so the next event is
 * the earlier of two list ends, and every expiry is stamped with its own
 * time, not with the time of the packet that revealed it.
 *
 * Full cache [§2.1, S]: policy `lru` (default) exports the `emerg_batch`
 * least-recently-updated entries when at most `emerg_low`·entries entries
 * are free (Cisco's emergency aging); policy `refuse` meters no new flows
 * until an entry expires, counting the refused packets and flows.
 * Dynamic timeouts [S]: while the cache occupancy is at or above `dyn_hwm`
 * (a fraction; 0 = off) the inactive timeout is `dyn_inactive` instead.
 *
 * Sampled NetFlow meters only the packets its sampler selects (no lookup
 * for the others); its records carry q = rate (times the observation
 * stage's rate) and are scaled by 1/q. Active flows cannot be estimated
 * without bias after packet sampling [R FS node13]: est_flows for sampled
 * records is the number of sampled flows (biased low). TCP arrivals use the
 * SYN estimators of Duffield, Lund and Thorup (§2.6): M1 (primary) and M2.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "algo.h"
#include "ftab.h"
#include "sampler.h"

enum { POLICY_LRU, POLICY_REFUSE };
static const char *const policy_names[] = {"lru", "refuse", NULL};

typedef struct nf_params {
    fs_ns    inactive, active, dyn_inactive;
    uint64_t entries, emerg_batch;
    double   emerg_low, dyn_hwm;
    int      policy, finrst, apportion;
    /* sampled-netflow only */
    double   rate;
    int      mode;
    uint64_t n;
} nf_params;

#define P(f) offsetof(nf_params, f)
#define NF_COMMON_PARAMS                                                                        \
    {"inactive", FS_P_DURATION, P(inactive), "15s", "s",                                        \
     "inactive timeout: an entry with no packet for this long is exported [R FS node2]", 0, 0,  \
     NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},                                                      \
    {"active", FS_P_DURATION, P(active), "30m", "s",                                            \
     "active timeout: an entry this old is exported, long flows become several records "       \
     "[R FS node2]", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},                                \
    {"entries", FS_P_COUNT, P(entries), "65536", "entries",                                     \
     "flow cache size (Cisco: 64k entries = 4 MB on 7200/RSP7000)", 1, 4e9, NULL, 0},          \
    {"policy", FS_P_ENUM, P(policy), "lru", "",                                                 \
     "full cache: lru = emergency-export the least recently updated batch (Cisco aging); "     \
     "refuse = meter no new flow until space frees [S]", 0, 0, policy_names, 0},               \
    {"emerg_low", FS_P_REAL, P(emerg_low), "0.01", "fraction of entries",                      \
     "policy lru: emergency expiry starts when at most this fraction of the cache is free "    \
     "[S]", 0, 1, NULL, 0},                                                                     \
    {"emerg_batch", FS_P_COUNT, P(emerg_batch), "30", "entries",                               \
     "policy lru: entries exported per emergency expiry (Cisco ages 30) [R Inside Cisco IOS]", \
     1, 0, NULL, 0},                                                                            \
    {"dyn_hwm", FS_P_REAL, P(dyn_hwm), "0", "fraction of entries",                             \
     "dynamic timeouts: at or above this cache occupancy the inactive timeout becomes "        \
     "dyn_inactive; 0 = off [S]", 0, 1, NULL, 0},                                               \
    {"dyn_inactive", FS_P_DURATION, P(dyn_inactive), "1s", "s",                                \
     "inactive timeout used under pressure (dyn_hwm) [S]", 0, 0, NULL, FS_PF_MIN_EXCL},        \
    {"finrst", FS_P_BOOL, P(finrst), "yes", "",                                                \
     "export an entry when a counted packet has FIN or RST (natural expiry)", 0, 0, NULL, 0},  \
    {"apportion", FS_P_ENUM, P(apportion), "split", "",                                        \
     "analysis: how a record spanning several bins is attributed: split = in proportion to "   \
     "the overlap of [first,last] with each bin; last/first = wholly to the bin of the last/"  \
     "first packet [S, §2.1 options A/B]", 0, 0, fs_apportion_names, 0}

static const fs_param_def nf_params_def[] = {NF_COMMON_PARAMS};

static const char *const snf_mode_names[] = {"random", "systematic", "window", "hash", NULL};
static const int snf_mode_map[] = {FS_SAMP_RANDOM, FS_SAMP_SYSTEMATIC, FS_SAMP_WINDOW, FS_SAMP_HASH};

static const fs_param_def snf_params_def[] = {
    NF_COMMON_PARAMS,
    {"rate", FS_P_PROB, P(rate), "1/100", "probability",
     "packet sampling rate q = 1/N (Cisco: N in 1..65535) [R FS node2]", 0, 0, NULL, 0},
    {"mode", FS_P_ENUM, P(mode), "random", "",
     "random = independent per packet (geometric skips); systematic = every N-th from a "
     "random phase; window = n random packets per block of n/rate; hash = on invariant "
     "header fields", 0, 0, snf_mode_names, 0},
    {"n", FS_P_COUNT, P(n), "1", "packets",
     "mode window: packets selected per block (block = n/rate packets)", 1, 0, NULL, 0},
};
#undef P

typedef struct nf_ent {
    FS_FTAB_ENTRY_HEAD;
    fs_link  lru;  /* by last update; head = most recent */
    fs_link  age;  /* by creation; head = oldest          */
    fs_ns    first, last;
    uint64_t pkts, bytes;
    double   bytes_sq;
    uint32_t syn;
    uint8_t  flags;
} nf_ent;

typedef struct nf_state {
    nf_params   p;
    fs_meter_env env;
    fs_ftab     tab;
    fs_list    lru, age;
    uint64_t    low_water;          /* free entries that trigger emergency */
    uint64_t    dyn_entries;        /* occupancy that enables dyn timeout  */
    double      q;                  /* packet inclusion probability        */
    int         sampled;
    fs_sampler  samp;
    uint64_t    refused_pkts, emergencies, sampled_pkts, seen_pkts;
    fs_ns       next;               /* next timer, as last returned         */
} nf_state;

static nf_ent *ent(const nf_state *s, uint32_t i)
{
    return fs_ftab_ent(&s->tab, i);
}

/* ---- intrusive lists ---------------------------------------------------- */
static void lru_unlink(nf_state *s, uint32_t i) { fs_list_unlink(&s->lru, &s->tab, i); }
static void lru_push_head(nf_state *s, uint32_t i) { fs_list_push_head(&s->lru, &s->tab, i); }
static void age_unlink(nf_state *s, uint32_t i) { fs_list_unlink(&s->age, &s->tab, i); }
static void age_push_tail(nf_state *s, uint32_t i) { fs_list_push_tail(&s->age, &s->tab, i); }

/* ---- export --------------------------------------------------------------- */
static void expire(nf_state *s, uint32_t i, fs_ns t, int reason)
{
    nf_ent *e = ent(s, i);
    fs_record r;
    fs_record_init(&r);
    r.key = e->key;
    r.first = e->first;
    r.last = e->last;
    r.exported = t;
    r.pkts = e->pkts;
    r.bytes = (double)e->bytes;
    r.bytes_sq = e->bytes_sq;
    r.syn_pkts = e->syn;
    r.tcp_flags = e->flags;
    r.reason = (uint8_t)reason;
    r.q_pkt = s->q;
    lru_unlink(s, i);
    age_unlink(s, i);
    fs_ftab_remove(&s->tab, i);
    s->env.emit(s->env.emit_ctx, &r);
    fs_acct_mem(s->env.acct, t, s->tab.n);
}

static fs_ns inactive_now(const nf_state *s)
{
    if (s->dyn_entries && s->tab.n >= s->dyn_entries)
        return s->p.dyn_inactive;
    return s->p.inactive;
}

static fs_ns add_sat(fs_ns a, fs_ns b)
{
    return b == FS_NS_INF || a > FS_NS_INF - b ? FS_NS_INF : a + b;
}

/* Time of the next timer and which list it comes from. */
static fs_ns next_event(const nf_state *s, int *which)
{
    fs_ns ti = FS_NS_INF, ta = FS_NS_INF;
    if (s->lru.tail != FS_NONE)
        ti = add_sat(ent(s, s->lru.tail)->last, inactive_now(s));
    if (s->age.head != FS_NONE)
        ta = add_sat(ent(s, s->age.head)->first, s->p.active);
    *which = ti <= ta ? 0 : 1;
    return ti <= ta ? ti : ta;
}

static fs_ns nf_advance(void *st, fs_ns now)
{
    nf_state *s = st;
    int which;
    fs_ns t;
    while ((t = next_event(s, &which)) <= now) {
        if (which == 0)
            expire(s, s->lru.tail, t, FS_REASON_INACTIVE);
        else
            expire(s, s->age.head, t, FS_REASON_ACTIVE);
    }
    return s->next = t;
}

/* Entries made overdue by a shorter (dynamic) timeout expire now. */
static void expire_overdue(nf_state *s, fs_ns now)
{
    int which;
    fs_ns t;
    while ((t = next_event(s, &which)) <= now) {
        uint32_t i = which == 0 ? s->lru.tail : s->age.head;
        expire(s, i, t > now ? t : now, which == 0 ? FS_REASON_INACTIVE : FS_REASON_ACTIVE);
    }
}

static fs_ns nf_packet(void *st, const fs_pkt *p)
{
    nf_state *s = st;
    int which;
    s->seen_pkts++;
    /* a packet the sampler skips changes nothing: the timers stand */
    if (s->sampled && !fs_sampler_take(&s->samp, p))
        return s->next;
    s->sampled_pkts++;
    uint32_t i = fs_ftab_find(&s->tab, &p->key, p->key_hash);
    if (i == FS_NONE) {
        uint64_t free_ents = s->p.entries - s->tab.n;
        if (s->p.policy == POLICY_LRU && free_ents <= s->low_water && s->tab.n > 0) {
            s->emergencies++;
            for (uint64_t k = 0; k < s->p.emerg_batch && s->lru.tail != FS_NONE; k++)
                expire(s, s->lru.tail, p->ts, FS_REASON_EMERGENCY);
        }
        if (s->tab.n >= s->p.entries) {
            /* refuse policy (or a cache of size with no room after aging) */
            s->refused_pkts++;
            return s->next = next_event(s, &which);
        }
        i = fs_ftab_insert(&s->tab, &p->key, p->key_hash);
        if (i == FS_NONE) {
            s->refused_pkts++;
            return s->next = next_event(s, &which);
        }
        nf_ent *e = ent(s, i);
        e->first = p->ts;
        lru_push_head(s, i);
        age_push_tail(s, i);
        fs_acct_mem(s->env.acct, p->ts, s->tab.n);
    } else {
        lru_unlink(s, i);
        lru_push_head(s, i);
    }
    nf_ent *e = ent(s, i);
    e->pkts++;
    e->bytes += p->ip_len;
    e->bytes_sq += (double)p->ip_len * (double)p->ip_len;
    e->last = p->ts;
    e->flags |= p->tcp_flags;
    if (p->tcp_flags & FS_TCP_SYN)
        e->syn++;
    if (s->p.finrst && p->key.proto == 6 && (p->tcp_flags & (FS_TCP_FIN | FS_TCP_RST)))
        expire(s, i, p->ts, (p->tcp_flags & FS_TCP_RST) ? FS_REASON_RST : FS_REASON_FIN);
    if (s->dyn_entries)
        expire_overdue(s, p->ts);
    return s->next = next_event(s, &which);
}

static uint64_t nf_pass(void *st, uint64_t n)
{
    nf_state *s = st;
    if (!s->sampled)
        return 0;
    uint64_t m = fs_sampler_pass(&s->samp, n);
    s->seen_pkts += m;
    return m;
}

static void nf_flush(void *st, fs_ns end)
{
    nf_state *s = st;
    nf_advance(s, end);
    while (s->age.head != FS_NONE)
        expire(s, s->age.head, end, FS_REASON_FLUSH);
}

static void nf_prefetch(const void *st, const fs_pkt *p, int step)
{
    const nf_state *s = st;
    if (step == 0)
        fs_ftab_prefetch(&s->tab, p->key_hash);
    else
        fs_ftab_prefetch_entry(&s->tab, p->key_hash);
}

static uint64_t nf_live(const void *st)
{
    return ((const nf_state *)st)->tab.n;
}

/* The oldest time a live entry can still put data into: its first packet,
 * under every apportion rule. `split` spreads a record from its first packet
 * on, `first` puts it there, and `last`, which puts the counts into the bin
 * of the last packet, still puts TCP arrivals into the bin of the first
 * (estimate.c). A bin held open by a long flow is closed in part by the
 * evaluation (eval.h), so memory does not follow the flow's age. */
static fs_ns nf_pending(const void *st)
{
    const nf_state *s = st;
    return s->age.head == FS_NONE ? FS_NS_INF : ent(s, s->age.head)->first;
}

/* The keys of pending(), oldest first packet first. */
static void nf_pending_keys(const void *st, fs_ns before,
                            int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx)
{
    const nf_state *s = st;
    fs_list_keys_before(&s->age, &s->tab, offsetof(nf_ent, first), before, fn, ctx);
}

static int nf_init_common(nf_state *s, const void *params, const fs_meter_env *env,
                          int sampled, char *err, size_t errlen)
{
    s->p = *(const nf_params *)params;
    s->env = *env;
    s->sampled = sampled;
    fs_list_init(&s->lru, offsetof(nf_ent, lru));
    fs_list_init(&s->age, offsetof(nf_ent, age));
    s->next = FS_NS_INF;
    s->low_water = (uint64_t)floor(s->p.emerg_low * (double)s->p.entries);
    s->dyn_entries = s->p.dyn_hwm > 0 ? (uint64_t)ceil(s->p.dyn_hwm * (double)s->p.entries) : 0;
    s->q = env->obs_q;
    if (sampled) {
        if (fs_sampler_init(&s->samp, snf_mode_map[s->p.mode], s->p.rate, s->p.n, env->rng,
                            err, errlen))
            return -1;
        s->q *= s->p.rate;
    }
    /* The table starts small and grows by doubling up to `entries`, so
     * memory follows live flows (ftab.h). */
    uint32_t initial = s->p.entries < FS_FTAB_START ? (uint32_t)s->p.entries : FS_FTAB_START;
    if (fs_ftab_init(&s->tab, sizeof(nf_ent), initial, (uint32_t)s->p.entries,
                     env->hash_seed)) {
        snprintf(err, errlen, "out of memory for a cache of %llu entries",
                 (unsigned long long)s->p.entries);
        return -1;
    }
    return 0;
}

static int nf_init(void *st, const void *params, const fs_meter_env *env, char *err, size_t n)
{
    return nf_init_common(st, params, env, 0, err, n);
}

static int snf_init(void *st, const void *params, const fs_meter_env *env, char *err, size_t n)
{
    return nf_init_common(st, params, env, 1, err, n);
}

static void nf_destroy(void *st)
{
    nf_state *s = st;
    fs_ftab_free(&s->tab);
    fs_sampler_free(&s->samp);
}

static int nf_check(const void *params, char *err, size_t errlen)
{
    const nf_params *p = params;
    if (p->entries > UINT32_MAX - 1) {
        snprintf(err, errlen, "parameter entries=%llu: more than 4294967294 entries",
                 (unsigned long long)p->entries);
        return -1;
    }
    return 0;
}

static void nf_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const nf_state *s = st;
    fn(ctx, "meter_packets_seen", (double)s->seen_pkts);
    fn(ctx, "meter_packets_counted", (double)(s->sampled_pkts - s->refused_pkts));
    fn(ctx, "meter_refused_packets", (double)s->refused_pkts);
    fn(ctx, "meter_emergency_expiries", (double)s->emergencies);
}

/* Estimators [§2.2, §2.6]: packets c/q and bytes b/q (unbiased under
 * independent sampling with inclusion probability q); variance estimates
 * (1/q)(1/q-1)c and (1/q)(1/q-1)Σb², unbiased for (1/q-1)S and
 * (1/q-1)Σb_i²; arrivals M1 = 1/q if the record has SYN, M2 = 1/q if SYN
 * and a single packet, else 1 (TCP records only). */
static void nf_estimate(const void *params, const fs_record *r, const fs_binning *b,
                        fs_contrib_fn fn, void *ctx)
{
    const nf_params *p = params;
    double inv = 1.0 / r->q_pkt, w = r->weight;
    fs_contrib c;
    c.pkts = (double)r->pkts * inv * w;
    c.bytes = r->bytes * inv * w;
    c.var_pkts = w == 1.0 ? (double)r->pkts * inv * (inv - 1.0) : NAN;
    c.var_bytes = w == 1.0 ? r->bytes_sq * inv * (inv - 1.0) : NAN;
    c.flows = w;
    c.flow_ts = r->first;
    if (r->key.proto == 6) {
        int syn = (r->tcp_flags & FS_TCP_SYN) != 0;
        c.arrivals = syn ? inv * w : 0.0;
        c.arrivals_alt = (syn && r->pkts == 1 ? inv : 1.0) * w;
    } else {
        c.arrivals = 0;
        c.arrivals_alt = 0;
    }
    fs_apportion(r, b, p->apportion, &c, fn, ctx);
}

/* Estimands (algorithms.md §2.1, §2.2, §2.6), q = obs_q x rate:
 *   bytes, packets  unbiased (exact for q = 1); with policy refuse only
 *                   while no packet is refused;
 *   active flows    q < 1: the sampled flows [R FS node13]; q = 1: exact
 *                   with one analysis bin, or with apportion=split when the
 *                   inactive timeouts are at most the bin (every bin within
 *                   a record's [first, last] then holds one of its packets);
 *                   a longer timeout counts flows in bins where they were
 *                   idle, apportion first/last counts a record in one bin;
 *   arrivals (M1)   records with SYN, 1/q each: unbiased when every TCP flow
 *                   has at most one SYN packet in a bin and it opens its
 *                   record (a flow with k SYNs in one record counts
 *                   (1-(1-q)^k)/q on average, in k records k);
 *   TCP flows (M2)  1 per TCP record, 1/q for a record of one SYN packet:
 *                   E = 1 per flow with one SYN packet exported as one
 *                   record (q = 1: one per record), so with timeouts or
 *                   FIN/RST expiry (the default) it counts TCP records. */
static void nf_estimands_q(const nf_params *p, double q, const fs_binning *b, fs_estimand *out)
{
    int refuse = p->policy == POLICY_REFUSE;
    const char *nr = "no-refused-packets";
    fs_estimand_set(out, FS_Q_BYTES, refuse ? FS_EST_UNBIASED_IF : FS_EST_UNBIASED, refuse ? nr : NULL);
    fs_estimand_set(out, FS_Q_PACKETS, refuse ? FS_EST_UNBIASED_IF : FS_EST_UNBIASED, refuse ? nr : NULL);
    fs_ns inact = p->inactive;
    if (p->dyn_hwm > 0 && p->dyn_inactive > inact)
        inact = p->dyn_inactive;
    if (q < 1.0)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "sampled-flows");
    else if (b->len != FS_NS_INF && p->apportion != FS_APPORTION_SPLIT)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "record-in-one-bin");
    else if (b->len != FS_NS_INF && inact > b->len)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "idle-bins");
    else
        fs_estimand_set(out, FS_Q_FLOWS, refuse ? FS_EST_UNBIASED_IF : FS_EST_UNBIASED,
                        refuse ? nr : NULL);
    fs_estimand_set(out, FS_Q_ARRIVALS, FS_EST_UNBIASED_IF,
                    refuse ? "one-syn+no-refused-packets" : "one-syn");
    /* timeouts and FIN/RST export a flow as several records, each counted */
    if (p->inactive != FS_NS_INF || p->active != FS_NS_INF || p->finrst)
        fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_BIASED, "tcp-records");
    else
        fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_UNBIASED_IF,
                        q < 1.0 ? "one-syn+one-record-per-flow" : "one-record-per-flow");
    /* a record spanning analysis bins is apportioned (apportion): per bin
     * exact only if records lie within bins (binning error otherwise),
     * unbiased summed over bins */
    if (b->len != FS_NS_INF) {
        const char *rb = refuse ? "no-refused-packets+records-within-bins"
                                : "records-within-bins";
        fs_estimand_set_per_bin(out, FS_Q_BYTES, rb);
        fs_estimand_set_per_bin(out, FS_Q_PACKETS, rb);
    }
}

static void nf_estimands(const void *params, double obs_q, const fs_binning *b,
                         fs_estimand out[FS_Q__COUNT])
{
    nf_estimands_q(params, obs_q, b, out);
}

static void snf_estimands(const void *params, double obs_q, const fs_binning *b,
                          fs_estimand out[FS_Q__COUNT])
{
    const nf_params *p = params;
    nf_estimands_q(p, obs_q * p->rate, b, out);
}

const fs_algo fs_algo_netflow = {
    .abi = FS_ALGO_ABI,
    .name = "netflow",
    .summary = "NetFlow flow cache: FIN/RST, inactive, active, emergency expiry; exact counts",
    .notes = "Timeouts and record semantics from Kompella & Estan (IMC 2005) §2 [R]; cache "
             "sizes and emergency aging from Inside Cisco IOS App. A [R]; policies, low-water "
             "mark and dynamic timeouts are simulator choices [S]. Flow counts: distinct keys "
             "per bin. TCP arrivals M1 = 1 per record with SYN (est_tcp_arrivals, unbiased if "
             "each TCP flow has at most one SYN per bin); M2 = 1 per TCP record "
             "(est_tcp_arrivals_m2, against true_tcp_flows: with timeouts or FIN/RST expiry a "
             "flow is several records, estimand biased:tcp-records). Estimands per "
             "configuration: docs/algorithms.md §2.8 (results.csv column estimand).",
    .params = nf_params_def,
    .nparams = sizeof nf_params_def / sizeof nf_params_def[0],
    .params_size = sizeof(nf_params),
    .state_size = sizeof(nf_state),
    .check = nf_check,
    .init = nf_init,
    .packet = nf_packet,
    .advance = nf_advance,
    .flush = nf_flush,
    .live = nf_live,
    .pending = nf_pending,
    .pending_keys = nf_pending_keys,
    .destroy = nf_destroy,
    .estimate = nf_estimate,
    .stats = nf_stats,
    .prefetch = nf_prefetch,
    .estimands = nf_estimands,
};

const fs_algo fs_algo_sampled_netflow = {
    .abi = FS_ALGO_ABI,
    .name = "sampled-netflow",
    .summary = "NetFlow fed by a 1-in-N packet sampler; estimates scaled by N",
    .notes = "Only sampled packets are looked up [R FS node2]; est = N x counts, variance "
             "(N-1)S for packets and (N-1)Σb² for bytes [D]. Active flows cannot be "
             "estimated without bias after packet sampling [R FS node13]: est_flows counts "
             "sampled flows (biased low; estimand biased:sampled-flows). TCP arrivals: SYN "
             "estimators M1 (est_tcp_arrivals: N per record with SYN, unbiased for flows with "
             "one SYN) and M2 (est_tcp_arrivals_m2, estimating TCP flows) of Duffield, Lund, "
             "Thorup 2003 [R FS node14].",
    .params = snf_params_def,
    .nparams = sizeof snf_params_def / sizeof snf_params_def[0],
    .params_size = sizeof(nf_params),
    .state_size = sizeof(nf_state),
    .check = nf_check,
    .init = snf_init,
    .packet = nf_packet,
    .advance = nf_advance,
    .flush = nf_flush,
    .live = nf_live,
    .pending = nf_pending,
    .pending_keys = nf_pending_keys,
    .destroy = nf_destroy,
    .estimate = nf_estimate,
    .stats = nf_stats,
    .pass = nf_pass,
    .estimands = snf_estimands,
};
