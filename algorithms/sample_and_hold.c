/* flowsim — sample and hold (Estan and Varghese, "New directions in traffic
 * measurement and accounting", SIGCOMM 2002; algorithms.md §5 item 1, the
 * ancestor of Flow Slices' core [R FS node3, §2.4.1]).
 *
 * Every byte is sampled with probability p, so a packet of b bytes of a flow
 * that has no entry creates one with probability
 *     π_b = 1 - (1 - p)^b;
 * once the entry exists every later packet of the flow is counted ("hold").
 * The original has no timeouts: entries live until the end of the
 * measurement, where they are flushed. The simulator adds [S] an inactive
 * timeout, an active timeout (from creation) and a table size `entries`,
 * all off by default (inf) so that by default nothing expires within a
 * run; with a finite table, policy lru evicts the least recently updated
 * entry to make room and policy refuse creates nothing until an entry
 * leaves (Estan-Varghese's fixed flow memory; biased low, counted).
 *
 * Estimators. The byte-counter trick of Flow Slices [R FS node12] carries
 * over with a per-packet probability: the creating packet j (size b_j,
 * probability π_j = π_{b_j}) initialises the byte counter to b_j/π_j and
 * the packet counter to 1; π_j is stamped on the record (field p_slice,
 * the analogue of FS's "p at creation" [R FS node16]). Per record:
 *     packets  ŝ = c_s - 1 + 1/π_j            bytes  b̂ = c_b
 * Proof of unbiasedness [D], backwards induction as in FS node11/node12:
 * number the flow's packets 1..n forwards, let T_k = b_k + ... + b_n and
 * E_k the expected estimate of the packets k..n when packet k finds no
 * entry. With probability π_k packet k creates the entry and the record
 * holds b_k/π_k + T_{k+1}; otherwise the situation is that of the flow
 * k+1..n. If E_{k+1} = T_{k+1} (true for E_{n+1} = 0):
 *     E_k = π_k (b_k/π_k + T_{k+1}) + (1 - π_k) T_{k+1} = b_k + T_{k+1} = T_k.
 * Packets are the case b_i = 1 inside the counter: E_k = π_k(1/π_k - 1 +
 * n-k+1) + (1-π_k)(n-k) = n-k+1. (Estan and Varghese instead add an
 * expected 1/p bytes missed before the entry; with small p·b, b_j/π_j is
 * about 1/p, so the trick is the exact, unbiased version of that
 * correction.) The induction only needs the end of a record to be fixed
 * once the entry is created, whatever the flow's later coins: it holds
 * with the timeouts and with lru eviction (the next packet after an
 * expiry starts a fresh decision), not with policy refuse.
 * Variances [D], same induction: V_k = v_k + (1 - π_k) V_{k+1}, so
 *     Var[ŝ] = Σ_k (1/π_k - 1) Π_{i<k} (1 - π_i)
 *     Var[b̂] = Σ_k b_k² (1/π_k - 1) Π_{i<k} (1 - π_i)
 * (FS eq. 7 and §2.4.6 eq. 8 when every π_k = p). The record alone does not
 * know the missed prefix, but Y = (1 - π_j)/π_j² (bytes: b_j²(1 - π_j)/π_j²)
 * has E[Y] = Σ_k π_k Π_{i<k}(1-π_i) (1-π_k)/π_k² = Var[ŝ]: an unbiased
 * variance estimate that depends on the creating packet only; b_j is
 * recovered from π_j = 1 - (1-p)^{b_j}. It stays unbiased with expiry,
 * summed over a flow's records (the cross terms vanish in the induction).
 *
 * Observation-stage packet sampling with probability q (psamp): the meter
 * sees q-sampled packets, records carry q_pkt = q and Ŝ = ŝ/q, B̂ = b̂/q.
 * By the law of total variance Var[B̂] = E[Var b̂ | sample]/q² +
 * (1/q - 1) Σ b²; the second term is estimated without bias by
 * (1/q)(1/q - 1) ĉ₂ where ĉ₂ = b_j²/π_j + Σ later b² (the same trick on
 * squared sizes, carried in the record's bytes_sq field) [D].
 *
 * TCP arrivals [D, §2.6 with FS eq. 4]: under FS's Assumption 1 (a SYN only
 * on a flow's first packet) a record has the SYN flag exactly when the SYN
 * created it, with probability q·π_SYN, so Â = 1/(q π_j) for SYN records is
 * unbiased (the primary estimator, M1-like). Second estimator Â⁽²⁾ of
 * §2.4.6 with π_j for p: 1/(q π_j) if SYN and c_s = 1, 1/π_j if no SYN and
 * c_s = 1, 1 if c_s > 1; E = 1 per flow with a leading SYN (one sampled
 * packet: the SYN w.p. π → 1/q on average; s' >= 2 sampled packets: created
 * before the last w.p. 1 - Π → 1, at the last w.p. Π π_last → 1/π_last).
 * Active flows [D, FS eq. 3 with π]: f̂ = 1/π_j if c_s = 1, else 1; E = 1
 * (created before the flow's last packet → 1; at the last, probability
 * Π_{i<n}(1-π_i) π_n → 1/π_n). Unbiased only in FS's base case: q = 1, one
 * record per flow and bin (no expiry inside a bin, records within a bin or
 * one analysis bin); with q < 1 it counts flows with a sampled packet
 * (biased low, as for Sampled NetFlow [R FS node13]).
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "algo.h"
#include "ftab.h"

enum { POLICY_LRU, POLICY_REFUSE };
static const char *const policy_names[] = {"lru", "refuse", NULL};

typedef struct sh_params {
    double   p;
    fs_ns    inactive, active;
    uint64_t entries;
    int      policy, apportion;
} sh_params;

#define P(f) offsetof(sh_params, f)
static const fs_param_def sh_params_def[] = {
    {"p", FS_P_PROB, P(p), "1/1000", "probability/byte",
     "per-byte sampling probability: a packet of b bytes of a flow without entry creates "
     "one with probability 1-(1-p)^b [K Estan-Varghese 2002]; the default is ours [S]", 0, 0,
     NULL, 0},
    {"inactive", FS_P_DURATION, P(inactive), "inf", "s",
     "inactive timeout: an entry with no packet for this long is exported; inf = never, as "
     "in the original [S]", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"active", FS_P_DURATION, P(active), "inf", "s",
     "active timeout: an entry this old (from creation) is exported; inf = never, as in the "
     "original [S]", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"entries", FS_P_COUNT, P(entries), "inf", "entries",
     "flow memory size; inf = unlimited (the original sizes memory so it does not fill) [S]",
     1, 0, NULL, FS_PF_INF_OK},
    {"policy", FS_P_ENUM, P(policy), "lru", "",
     "full memory: lru = evict the least recently updated entry (estimates stay unbiased); "
     "refuse = create no entry until one leaves (biased low; counted) [S]", 0, 0,
     policy_names, 0},
    {"apportion", FS_P_ENUM, P(apportion), "split", "",
     "analysis: a record spanning several bins is split in proportion to the overlap of "
     "[first,last], or goes wholly to the bin of its last/first packet [S, §2.1]", 0, 0,
     fs_apportion_names, 0},
};
#undef P

typedef struct sh_ent {
    FS_FTAB_ENTRY_HEAD;
    fs_link  lru;  /* by last update; head = most recent */
    fs_link  age;  /* by creation; head = oldest          */
    fs_ns    first, last;
    uint64_t pkts;
    double   bytes, bytes_sq;      /* initialised to b/π and b²/π          */
    double   pi;                   /* creation probability                 */
    uint32_t syn;
    uint8_t  flags;
} sh_ent;

typedef struct sh_state {
    sh_params    p;
    fs_meter_env env;
    fs_ftab      tab;
    fs_list     lru, age;
    double       log1m_p;          /* log(1 - p), -inf for p = 1          */
    uint64_t     seen_pkts, counted_pkts, created, refused, evicted;
} sh_state;

static sh_ent *ent(const sh_state *s, uint32_t i)
{
    return fs_ftab_ent(&s->tab, i);
}

/* ---- intrusive lists (sim/ftab.h) ----------------------------------------- */
static void lru_unlink(sh_state *s, uint32_t i) { fs_list_unlink(&s->lru, &s->tab, i); }
static void lru_push_head(sh_state *s, uint32_t i) { fs_list_push_head(&s->lru, &s->tab, i); }
static void age_unlink(sh_state *s, uint32_t i) { fs_list_unlink(&s->age, &s->tab, i); }
static void age_push_tail(sh_state *s, uint32_t i) { fs_list_push_tail(&s->age, &s->tab, i); }

static void expire(sh_state *s, uint32_t i, fs_ns t, int reason)
{
    sh_ent *e = ent(s, i);
    fs_record r;
    fs_record_init(&r);
    r.key = e->key;
    r.first = e->first;
    r.last = e->last;
    r.exported = t;
    r.pkts = e->pkts;
    r.bytes = e->bytes;
    r.bytes_sq = e->bytes_sq;
    r.syn_pkts = e->syn;
    r.tcp_flags = e->flags;
    r.reason = (uint8_t)reason;
    r.q_pkt = s->env.obs_q;
    r.p_slice = e->pi;
    lru_unlink(s, i);
    age_unlink(s, i);
    fs_ftab_remove(&s->tab, i);
    s->env.emit(s->env.emit_ctx, &r);
    fs_acct_mem(s->env.acct, t, s->tab.n);
}

static fs_ns add_sat(fs_ns a, fs_ns b)
{
    return b == FS_NS_INF || a > FS_NS_INF - b ? FS_NS_INF : a + b;
}

static fs_ns next_event(const sh_state *s, int *which)
{
    fs_ns ti = FS_NS_INF, ta = FS_NS_INF;
    if (s->lru.tail != FS_NONE)
        ti = add_sat(ent(s, s->lru.tail)->last, s->p.inactive);
    if (s->age.head != FS_NONE)
        ta = add_sat(ent(s, s->age.head)->first, s->p.active);
    *which = ti <= ta ? 0 : 1;
    return ti <= ta ? ti : ta;
}

static fs_ns sh_advance(void *st, fs_ns now)
{
    sh_state *s = st;
    int which;
    fs_ns t;
    while ((t = next_event(s, &which)) <= now) {
        if (which == 0)
            expire(s, s->lru.tail, t, FS_REASON_INACTIVE);
        else
            expire(s, s->age.head, t, FS_REASON_ACTIVE);
    }
    return t;
}

/* π_b = 1 - (1-p)^b, computed as -expm1(b log(1-p)) so that it stays exact
 * for tiny p·b; a packet of 0 bytes has no byte to sample. */
static double create_prob(const sh_state *s, uint32_t b)
{
    if (b == 0)
        return 0;
    return -expm1((double)b * s->log1m_p);
}

static fs_ns sh_packet(void *st, const fs_pkt *p)
{
    sh_state *s = st;
    int which;
    s->seen_pkts++;
    uint32_t i = fs_ftab_find(&s->tab, &p->key, p->key_hash);
    double b = (double)p->ip_len;
    if (i == FS_NONE) {
        double pi = create_prob(s, p->ip_len);
        if (!(pi >= 1.0) && !(gsl_rng_uniform(s->env.rng) < pi))
            return next_event(s, &which);
        if (s->p.entries != UINT64_MAX && s->tab.n >= s->p.entries) {
            if (s->p.policy == POLICY_REFUSE || s->lru.tail == FS_NONE) {
                s->refused++;
                return next_event(s, &which);
            }
            s->evicted++;
            expire(s, s->lru.tail, p->ts, FS_REASON_EMERGENCY);
        }
        i = fs_ftab_insert(&s->tab, &p->key, p->key_hash);
        if (i == FS_NONE) {
            s->refused++;
            return next_event(s, &which);
        }
        s->created++;
        sh_ent *e = ent(s, i);
        e->first = p->ts;
        e->pi = pi;
        /* the trick of FS node12: the creating packet counts b/π (and b²/π) */
        e->bytes = b / pi;
        e->bytes_sq = b * b / pi;
        e->pkts = 1;
        lru_push_head(s, i);
        age_push_tail(s, i);
        fs_acct_mem(s->env.acct, p->ts, s->tab.n);
    } else {
        sh_ent *e = ent(s, i);
        e->pkts++;
        e->bytes += b;
        e->bytes_sq += b * b;
        lru_unlink(s, i);
        lru_push_head(s, i);
    }
    s->counted_pkts++;
    sh_ent *e = ent(s, i);
    e->last = p->ts;
    e->flags |= p->tcp_flags;
    if (p->tcp_flags & FS_TCP_SYN)
        e->syn++;
    return next_event(s, &which);
}

static void sh_flush(void *st, fs_ns end)
{
    sh_state *s = st;
    sh_advance(s, end);
    while (s->age.head != FS_NONE)
        expire(s, s->age.head, end, FS_REASON_FLUSH);
}

static uint64_t sh_live(const void *st)
{
    return ((const sh_state *)st)->tab.n;
}

static fs_ns sh_pending(const void *st)
{
    const sh_state *s = st;
    return s->age.head == FS_NONE ? FS_NS_INF : ent(s, s->age.head)->first;
}

static void sh_pending_keys(const void *st, fs_ns before,
                            int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx)
{
    const sh_state *s = st;
    fs_list_keys_before(&s->age, &s->tab, offsetof(sh_ent, first), before, fn, ctx);
}

static int sh_check(const void *params, char *err, size_t errlen)
{
    const sh_params *p = params;
    if (p->entries != UINT64_MAX && p->entries > UINT32_MAX - 1) {
        snprintf(err, errlen, "parameter entries=%llu: more than 4294967294 entries",
                 (unsigned long long)p->entries);
        return -1;
    }
    return 0;
}

static int sh_init(void *st, const void *params, const fs_meter_env *env, char *err,
                   size_t errlen)
{
    sh_state *s = st;
    s->p = *(const sh_params *)params;
    s->env = *env;
    if (sh_check(&s->p, err, errlen))
        return -1;
    fs_list_init(&s->lru, offsetof(sh_ent, lru));
    fs_list_init(&s->age, offsetof(sh_ent, age));
    s->log1m_p = log1p(-s->p.p);
    uint32_t limit = s->p.entries == UINT64_MAX ? 0 : (uint32_t)s->p.entries;
    uint32_t initial = limit && limit < FS_FTAB_START ? limit : FS_FTAB_START;
    if (fs_ftab_init(&s->tab, sizeof(sh_ent), initial, limit, env->hash_seed)) {
        snprintf(err, errlen, "out of memory for the flow memory");
        return -1;
    }
    return 0;
}

static void sh_destroy(void *st)
{
    sh_state *s = st;
    fs_ftab_free(&s->tab);
}

static void sh_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const sh_state *s = st;
    fn(ctx, "meter_packets_seen", (double)s->seen_pkts);
    fn(ctx, "meter_packets_counted", (double)s->counted_pkts);
    fn(ctx, "meter_entries_created", (double)s->created);
    fn(ctx, "meter_refused_creations", (double)s->refused);
    fn(ctx, "meter_evictions", (double)s->evicted);
}

/* Estimators: see the derivations at the top of the file. */
static void sh_estimate(const void *params, const fs_record *r, const fs_binning *b,
                        fs_contrib_fn fn, void *ctx)
{
    const sh_params *p = params;
    double pi = r->p_slice, q = r->q_pkt, w = r->weight, iq = 1.0 / q;
    double s_hat = (double)r->pkts - 1.0 + 1.0 / pi;
    fs_contrib c;
    c.pkts = s_hat * iq * w;
    c.bytes = r->bytes * iq * w;
    if (w == 1.0) {
        double y = pi >= 1.0 ? 0.0 : (1.0 - pi) / (pi * pi);
        /* size of the creating packet, from π = 1 - (1-p)^b */
        double b1 = pi >= 1.0 ? 0.0 : nearbyint(log1p(-pi) / log1p(-p->p));
        c.var_pkts = y * iq * iq + iq * (iq - 1.0) * s_hat;
        c.var_bytes = b1 * b1 * y * iq * iq + iq * (iq - 1.0) * r->bytes_sq;
    } else {
        c.var_pkts = c.var_bytes = NAN;
    }
    c.flows = (r->pkts == 1 ? 1.0 / pi : 1.0) * w;
    c.flow_ts = r->first;
    if (r->key.proto == 6) {
        int syn = (r->tcp_flags & FS_TCP_SYN) != 0;
        c.arrivals = syn ? iq / pi * w : 0.0;
        c.arrivals_alt = (r->pkts == 1 ? (syn ? iq / pi : 1.0 / pi) : 1.0) * w;
    } else {
        c.arrivals = 0;
        c.arrivals_alt = 0;
    }
    fs_apportion(r, b, p->apportion, &c, fn, ctx);
}

/* Estimands (algorithms.md §5), q = obs_q:
 *   bytes, packets  unbiased (backwards induction above); with policy
 *                   refuse only while no flow is refused an entry;
 *   active flows    q < 1: the flows with a sampled packet; q = 1 and one
 *                   analysis bin: unbiased when each flow is one record (no
 *                   timeout or eviction: inactive, active and entries inf,
 *                   the default), else only if the trace splits no flow;
 *                   finite bins: a record counts its flow only in the bins
 *                   from its creation on (earlier bins of the flow miss it);
 *   arrivals (M1)   records with SYN, 1/(q pi): unbiased when every TCP flow
 *                   has one SYN packet, its first (FS Assumption 1);
 *   TCP flows (M2)  FS's A(2) with pi: E = 1 per flow with a leading SYN
 *                   exported as one record. */
static void sh_estimands(const void *params, double obs_q, const fs_binning *b,
                         fs_estimand out[FS_Q__COUNT])
{
    const sh_params *p = params;
    int refuse = p->policy == POLICY_REFUSE && p->entries != UINT64_MAX;
    int whole = p->inactive == FS_NS_INF && p->active == FS_NS_INF && p->entries == UINT64_MAX;
    const char *nr = "no-refused-packets";
    fs_estimand_set(out, FS_Q_BYTES, refuse ? FS_EST_UNBIASED_IF : FS_EST_UNBIASED, refuse ? nr : NULL);
    fs_estimand_set(out, FS_Q_PACKETS, refuse ? FS_EST_UNBIASED_IF : FS_EST_UNBIASED, refuse ? nr : NULL);
    if (obs_q < 1.0)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "sampled-flows");
    else if (b->len != FS_NS_INF)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "bins-after-creation");
    else if (whole)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_UNBIASED, NULL);
    else
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_UNBIASED_IF, "one-record-per-flow");
    out[FS_Q_FLOWS].one_record = whole && b->len == FS_NS_INF;
    fs_estimand_set(out, FS_Q_ARRIVALS, FS_EST_UNBIASED_IF,
                    refuse ? "one-syn+no-refused-packets" : "one-syn");
    fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_UNBIASED_IF,
                    whole ? "one-syn" : "one-syn+one-record-per-flow");
    /* a record spanning analysis bins is apportioned (and its estimate of
     * the packets before its creation goes with it): per bin unbiased only
     * if records lie within bins, unbiased summed over bins */
    if (b->len != FS_NS_INF) {
        const char *rb = refuse ? "no-refused-packets+records-within-bins"
                                : "records-within-bins";
        fs_estimand_set_per_bin(out, FS_Q_BYTES, rb);
        fs_estimand_set_per_bin(out, FS_Q_PACKETS, rb);
    }
}

const fs_algo fs_algo_sample_and_hold = {
    .abi = FS_ALGO_ABI,
    .name = "sample-and-hold",
    .summary = "sample and hold: byte-sampled entry creation, then every packet of the flow "
               "is counted",
    .notes = "Estan and Varghese, SIGCOMM 2002 [K; R FS node3 that FS derives from it]. A "
             "packet of b bytes creates an entry with probability pi = 1-(1-p)^b; the entry "
             "counts every later packet. No timeouts in the original: inactive, active and "
             "entries are simulator options, off (inf) by default [S]. Estimators [D, FS "
             "node11/12 trick with the creating packet's pi, stamped in p_slice]: bytes c_b "
             "(initialised to b/pi), packets c_s - 1 + 1/pi, both unbiased (backwards "
             "induction; also with timeouts and lru eviction, not with policy refuse); "
             "variance estimates (1-pi)/pi^2 and b^2(1-pi)/pi^2 from the creating packet, "
             "unbiased for sum_k (1/pi_k - 1) prod_{i<k}(1-pi_i) (bytes: times b_k^2). With "
             "observation sampling q, estimates /q and variances by total variance. TCP "
             "arrivals: 1/(q pi) if the record has SYN (unbiased under FS Assumption 1, as "
             "FS eq. 4); est_tcp_arrivals_m2 = FS's A(2) with pi. Active flows: 1/pi if "
             "c_s = 1 else 1 (FS eq. 3 with pi), unbiased only with q = 1 and one record "
             "per flow and bin; with finite analysis bins a record counts its flow only from "
             "the bin of its creating packet on (estimand biased:bins-after-creation).",
    .params = sh_params_def,
    .nparams = sizeof sh_params_def / sizeof sh_params_def[0],
    .params_size = sizeof(sh_params),
    .state_size = sizeof(sh_state),
    .check = sh_check,
    .init = sh_init,
    .packet = sh_packet,
    .advance = sh_advance,
    .flush = sh_flush,
    .live = sh_live,
    .pending = sh_pending,
    .pending_keys = sh_pending_keys,
    .destroy = sh_destroy,
    .estimate = sh_estimate,
    .estimands = sh_estimands,
    .stats = sh_stats,
};
