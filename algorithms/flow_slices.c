/* flowsim — Flow Slices (Kompella & Estan, "The Power of Slicing in Internet
 * Flow Measurement", IMC 2005; algorithms.md §2.4, §2.6, §3).
 *
 * Notation (algorithms.md §0.3): p = flow slicing probability (p_slice), q =
 * packet sampling probability (q_pkt). Never a bare p in code that could be
 * read either way.
 *
 * Per packet [§2.4.4, R node4/5/11/12]: packet sampling keeps the packet with
 * probability q (independent decisions, drawn by geometric skips); a kept
 * packet of a flow with an entry is counted; a kept packet of a flow without
 * one creates an entry with probability p (the p in force now), with the
 * packet counter at 1 and the byte counter at size/p — the byte-counter trick
 * of node12 — and p stamped on the entry (node16). p changes never touch
 * existing entries.
 *
 * Expiry [§2.4.5]: an entry is exported exactly t after its creation (the
 * end of its slice, reason `slice`), after `inactive` without a counted
 * packet (reason `inactive`), optionally when a counted TCP packet has FIN or
 * RST ([S], default off: the paper's slices end only by time) and at the end
 * of the trace. Timers are exact, as in netflow.c: entries sit in a creation
 * list (its head is the next slice end) and a last-packet list (its tail is
 * the next inactivity expiry), so every record is stamped with its own
 * expiry time. When both fall at the same instant the slice end wins, since
 * it is the core rule and the inactivity timeout an extension.
 *
 * Memory [§2.4.4 S, §2.4.9 S]: at most `entries` (M) entries; a creation
 * that finds the table full is refused and counted (downward bias, reported
 * in meter_refused_creations). adapt=occupancy and adapt=rate are the
 * controllers of §2.4.9; adapt=fixed keeps p constant.
 *
 * Binned measurement [§2.4.7, R node7, layout S]: with tbin > 0 each entry
 * keeps n = ceil(t/tbin) + 1 (packets, bytes) pairs, one per counter bin of
 * length tbin (aligned to the epoch, like the analysis bins) that the slice
 * overlaps; a packet goes to pair bin(ts) - bin(created). The creation bin's
 * pair carries the c_s = 1 / c_b = b/p initialisation.
 *
 * Variance side channel [D, S]: a record's `bytes_sq` does not hold the sum of
 * squared sizes here but the unbiased estimate of Var(B̂) itself, kept as a
 * counter like c_b: (1/(pq))(1/(pq) - 1) b_first² at creation plus
 * (1/q)(1/q - 1) b² for every later counted packet (see fsl_estimate). The
 * estimate needs the creating packet's size, which fs_record has no field for
 * (FS's byte-counter trick exists precisely so that routers need not store
 * it); the simulator keeps it this way instead.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "algo.h"
#include "ftab.h"
#include "sampler.h"
#include "wire.h"

enum { ADAPT_FIXED, ADAPT_OCCUPANCY, ADAPT_RATE };
static const char *const adapt_names[] = {"fixed", "occupancy", "rate", NULL};
enum { PAIRS_ALL, PAIRS_USED };
static const char *const pairs_names[] = {"all", "used", NULL};

/* Largest number of counter pairs a record can carry (fs_record.n_bins is
 * 16 bits). */
#define FSL_MAX_PAIRS 65535

typedef struct fsl_params {
    double   q, p, p_max, p_min, hi, lo, rate_frac;
    fs_ns    t, inactive, delta, hold, tbin;
    uint64_t entries;
    int      adapt, finrst, pairs, apportion;
} fsl_params;

#define P(f) offsetof(fsl_params, f)
static const fs_param_def fsl_params_def[] = {
    {"q", FS_P_PROB, P(q), "1", "probability",
     "packet sampling probability q in front of slicing, independent per packet; static, set "
     "for the worst-case traffic (1/4 OC-12, 1/16 OC-48) [R FS node5]", 0, 0, NULL, 0},
    {"p", FS_P_PROB, P(p), "1/64", "probability",
     "flow slicing probability p: a sampled packet of a flow without an entry creates one with "
     "this probability (initial value when adapt is not fixed) [R node4; 1/64 in the ANF "
     "comparison, D node28+node5]", 0, 0, NULL, 0},
    {"t", FS_P_DURATION, P(t), "60s", "s",
     "slice length: an entry is exported exactly t after its creation [R node4; 60-300 s in "
     "the experiments, R node28]; inf = slices never end (sample and hold)", 0, 1e9, NULL,
     FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"inactive", FS_P_DURATION, P(inactive), "15s", "s",
     "inactivity timeout: an entry without a counted packet for this long is exported "
     "[R node6; 15 s in the experiments, R node28]; inf = off", 0, 0, NULL,
     FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"entries", FS_P_COUNT, P(entries), "65536", "entries",
     "memory budget M: at most this many entries; a creation that finds memory full is "
     "refused and counted (meter_refused_creations) [S, §2.4.4]", 1, 4e9, NULL, 0},
    {"adapt", FS_P_ENUM, P(adapt), "fixed", "",
     "how p follows memory: fixed = constant p; occupancy = halve p when live entries exceed "
     "hi*M (at once and at every tick), double it (up to p_max) after occupancy stayed below "
     "lo*M for `hold`; rate = every tick set p to the largest power of two <= "
     "rate_frac*(M/t)/lambda_new, lambda_new = sampled packets of flows without an entry per "
     "second [S, §2.4.9; the paper's controller was not retrievable]", 0, 0, adapt_names, 0},
    {"hi", FS_P_REAL, P(hi), "0.9", "fraction of entries",
     "adapt: occupancy above hi*M halves p (both adaptive modes) [S, §2.4.9]", 0, 1, NULL, 0},
    {"lo", FS_P_REAL, P(lo), "0.45", "fraction of entries",
     "adapt=occupancy: occupancy below lo*M for `hold` doubles p [S, §2.4.9]", 0, 1, NULL, 0},
    {"delta", FS_P_DURATION, P(delta), "1s", "s",
     "adapt: controller period Delta (ticks at multiples of delta since the epoch) "
     "[S, §2.4.9]", 0.001, 0, NULL, 0},
    {"hold", FS_P_DURATION, P(hold), "0", "s",
     "adapt=occupancy: how long occupancy must stay below lo*M before p doubles; 0 = the "
     "slice length t (§2.4.9: 'for a full slice length') [S]", 0, 0, NULL,
     FS_PF_MIN_EXCL | FS_PF_ZERO_OK},
    {"p_max", FS_P_PROB, P(p_max), "1", "probability",
     "adapt: largest p the controller may set (p_max_slice) [S, §2.4.9]", 0, 0, NULL, 0},
    {"p_min", FS_P_PROB, P(p_min), "1/1048576", "probability",
     "adapt: smallest p the controller may set (floor under a flood) [S]", 0, 0, NULL, 0},
    {"rate_frac", FS_P_REAL, P(rate_frac), "0.9", "fraction of M/t",
     "adapt=rate: target creation rate as a fraction of M/t ('slightly below M/t', "
     "R~ node4) [S]", 0, 1, NULL, FS_PF_MIN_EXCL},
    {"finrst", FS_P_BOOL, P(finrst), "no", "",
     "export an entry when a counted TCP packet has FIN or RST; the paper's slices end only by "
     "time [R node4]; estimators stay unbiased (the next slice of the flow starts with a "
     "fresh decision) [S, D]", 0, 0, NULL, 0},
    {"tbin", FS_P_DURATION, P(tbin), "0", "s",
     "binned measurement: counter granularity T_bin; each entry keeps ceil(t/tbin)+1 "
     "(packets, bytes) pairs, one per tbin-bin the slice overlaps [R node7, layout S]; "
     "between t and t/20 in the paper; 0 = off. Per-bin active flows need tbin dividing the "
     "analysis bin (and t, inactive >= the bin) to be unbiased (algorithms.md §2.4.6)", 0, 1e9, NULL, FS_PF_MIN_EXCL | FS_PF_ZERO_OK},
    {"pairs", FS_P_ENUM, P(pairs), "all", "",
     "binned: pairs exported per record: all = the fixed ceil(t/tbin)+1 (record size "
     "48 + 8(n-1) bytes, §2.4.7 D); used = up to the bin of the last counted packet [S]", 0, 0,
     pairs_names, 0},
    {"apportion", FS_P_ENUM, P(apportion), "split", "",
     "analysis without tbin: how a record spanning analysis bins is attributed: split = in "
     "proportion to the overlap of [first,last] with each bin; last/first = wholly to the bin "
     "of the last/first packet [S, §2.1 options A/B]; with tbin the pairs are attributed "
     "exactly", 0, 0, fs_apportion_names, 0},
};
#undef P

typedef struct fsl_ent {
    FS_FTAB_ENTRY_HEAD;
    fs_link  lru;  /* by last counted packet; head = most recent */
    fs_link  age;  /* by creation; head = oldest                 */
    fs_ns    first, last;          /* first = creation time                      */
    uint64_t pkts;                 /* c_s                                        */
    double   bytes;                /* c_b, starts at b_first/p                   */
    double   var_bytes;            /* variance counter of B̂ (see the header)      */
    double   p_slice;              /* p at creation                              */
    uint32_t syn;
    uint8_t  flags;
} fsl_ent;

typedef struct fsl_state {
    fsl_params   p;
    fs_meter_env env;
    fs_ftab      tab;
    fs_list     lru, age;
    fs_sampler   samp;
    double       q;              /* q_pkt times the observation stage's rate */
    double       p_cur;          /* slicing probability in force             */
    /* binned extension: npairs pairs per table index */
    uint32_t     npairs;
    uint32_t     pairs_rows;     /* table indices with pair storage          */
    uint32_t    *bin_pkts;
    double      *bin_bytes;
    /* controller */
    int          started;
    fs_ns        next_tick;
    fs_ns        low_since;      /* since when occupancy < lo*M (INF: not)   */
    fs_ns        hold;
    uint64_t     window_new;     /* candidates since window_start            */
    fs_ns        window_start;   /* last tick, or the first packet           */
    double       hi_n, lo_n;
    /* statistics */
    uint64_t     seen, sampled, candidates, created, refused, p_changes, ticks;
    double       p_lowest, p_highest;
} fsl_state;

static fsl_ent *ent(const fsl_state *s, uint32_t i)
{
    return fs_ftab_ent(&s->tab, i);
}

/* ---- intrusive lists (sim/ftab.h) ----------------------------------------- */
static void lru_unlink(fsl_state *s, uint32_t i) { fs_list_unlink(&s->lru, &s->tab, i); }
static void lru_push_head(fsl_state *s, uint32_t i) { fs_list_push_head(&s->lru, &s->tab, i); }
static void age_unlink(fsl_state *s, uint32_t i) { fs_list_unlink(&s->age, &s->tab, i); }
static void age_push_tail(fsl_state *s, uint32_t i) { fs_list_push_tail(&s->age, &s->tab, i); }

static fs_ns add_sat(fs_ns a, fs_ns b)
{
    return b == FS_NS_INF || a > FS_NS_INF - b ? FS_NS_INF : a + b;
}

/* Counter bin of the binned extension (epoch-aligned, floor division). */
static int64_t tbin_of(fs_ns tbin, fs_ns t)
{
    fs_binning b = {tbin};
    return fs_bin_of(&b, t);
}

/* Variance weights of one packet's contribution to Ŝ and B̂ [D]: the
 * estimate's error is a sum over packets of zero-mean terms whose
 * probabilities are fixed by the past (a martingale), so its variance is the
 * expected sum of the terms' conditional variances: (1/(pq) - 1) x² for a
 * packet that found no entry (kept with probability pq, weighed 1/(pq)) and
 * (1/q - 1) x² for one that found an entry. Each term is estimated without
 * bias from the packets actually counted by dividing by their probability:
 * creating packets give (1/(pq))(1/(pq) - 1) x², later ones (1/q)(1/q - 1) x². */
static double var_w_create(double p_slice, double q)
{
    double a = 1.0 / (p_slice * q);
    return a * (a - 1.0);
}
static double var_w_later(double q)
{
    return (1.0 / q) * (1.0 / q - 1.0);
}

/* ---- memory and the controller (§2.4.9, S) ------------------------------- */
static void set_p(fsl_state *s, double np)
{
    if (np > s->p.p_max)
        np = s->p.p_max;
    if (np < s->p.p_min)
        np = s->p.p_min;
    if (np == s->p_cur)
        return;
    s->p_cur = np;
    s->p_changes++;
    if (np < s->p_lowest)
        s->p_lowest = np;
    if (np > s->p_highest)
        s->p_highest = np;
}

/* Live entries changed at time t: tell the accountant, and track how long
 * occupancy has been below lo*M for the doubling rule. */
static void occupancy_changed(fsl_state *s, fs_ns t)
{
    fs_acct_mem(s->env.acct, t, s->tab.n);
    if (s->p.adapt == ADAPT_FIXED)
        return;
    if ((double)s->tab.n < s->lo_n) {
        if (s->low_since == FS_NS_INF)
            s->low_since = t;
    } else {
        s->low_since = FS_NS_INF;
    }
}

/* Largest power of two <= x (x > 0). */
static double pow2_floor(double x)
{
    int e;
    frexp(x, &e); /* x = m 2^e with m in [0.5, 1) */
    return ldexp(1.0, e - 1);
}

static void tick(fsl_state *s, fs_ns now)
{
    s->ticks++;
    double n = (double)s->tab.n;
    if (s->p.adapt == ADAPT_OCCUPANCY) {
        if (n > s->hi_n) {
            set_p(s, s->p_cur / 2);
        } else if (s->low_since != FS_NS_INF && now - s->low_since >= s->hold &&
                   s->p_cur < s->p.p_max) {
            set_p(s, s->p_cur * 2);
            /* the next doubling needs another full hold time */
            s->low_since = now;
        }
    } else if (s->p.adapt == ADAPT_RATE) {
        /* Keep the creation rate p * lambda_new slightly below M/t, so that
         * without inactivity timeout about M entries are alive [D from R~
         * node4]. */
        fs_ns span = now - s->window_start;
        double lambda = span > 0 ? (double)s->window_new / ((double)span / 1e9) : 0.0;
        double target = s->p.rate_frac * (double)s->p.entries / ((double)s->p.t / 1e9);
        double np = lambda > 0 ? pow2_floor(target / lambda) : s->p.p_max;
        if (n > s->hi_n && np > s->p_cur / 2)
            np = s->p_cur / 2;
        set_p(s, np);
    }
    s->window_new = 0;
    s->window_start = now;
    s->next_tick = add_sat(now, s->p.delta);
}

/* ---- export ------------------------------------------------------------- */
static void expire(fsl_state *s, uint32_t i, fs_ns t, int reason)
{
    fsl_ent *e = ent(s, i);
    fs_record r;
    fs_record_init(&r);
    r.key = e->key;
    r.first = e->first;
    r.last = e->last;
    r.exported = t;
    r.pkts = e->pkts;
    r.bytes = e->bytes;
    r.bytes_sq = e->var_bytes;
    r.syn_pkts = e->syn;
    r.tcp_flags = e->flags;
    r.reason = (uint8_t)reason;
    r.q_pkt = s->q;
    r.p_slice = e->p_slice;
    if (s->npairs) {
        int64_t b0 = tbin_of(s->p.tbin, e->first);
        uint32_t n = s->npairs;
        if (s->p.pairs == PAIRS_USED)
            n = (uint32_t)(tbin_of(s->p.tbin, e->last) - b0 + 1);
        r.bin_id = b0;
        r.n_bins = (uint16_t)n;
        /* The row stays untouched until the next creation, so the pointers
         * are valid for the whole emit call. */
        r.bin_pkts = s->bin_pkts + (size_t)i * s->npairs;
        r.bin_bytes = s->bin_bytes + (size_t)i * s->npairs;
    }
    lru_unlink(s, i);
    age_unlink(s, i);
    fs_ftab_remove(&s->tab, i);
    s->env.emit(s->env.emit_ctx, &r);
    occupancy_changed(s, t);
}

/* Time of the next entry timer: the oldest creation's slice end or the
 * least recent packet's inactivity expiry (ties: the slice end). */
static fs_ns next_entry_event(const fsl_state *s, int *reason)
{
    fs_ns ti = FS_NS_INF, ts = FS_NS_INF;
    if (s->lru.tail != FS_NONE)
        ti = add_sat(ent(s, s->lru.tail)->last, s->p.inactive);
    if (s->age.head != FS_NONE)
        ts = add_sat(ent(s, s->age.head)->first, s->p.t);
    *reason = ti < ts ? FS_REASON_INACTIVE : FS_REASON_SLICE;
    return ti < ts ? ti : ts;
}

static fs_ns tick_time(const fsl_state *s)
{
    return s->started && s->p.adapt != ADAPT_FIXED ? s->next_tick : FS_NS_INF;
}

static fs_ns next_event(const fsl_state *s)
{
    int reason;
    fs_ns te = next_entry_event(s, &reason), tt = tick_time(s);
    return te < tt ? te : tt;
}

/* Fires every event due at or before now in time order; at equal times the
 * entry timers go before the controller tick, so a tick sees the occupancy
 * after the expiries of its instant. */
static fs_ns fsl_advance(void *st, fs_ns now)
{
    fsl_state *s = st;
    for (;;) {
        int reason;
        fs_ns te = next_entry_event(s, &reason), tt = tick_time(s);
        if (te == FS_NS_INF && tt == FS_NS_INF)
            break;
        if (te <= tt) {
            if (te > now)
                break;
            expire(s, reason == FS_REASON_INACTIVE ? s->lru.tail : s->age.head, te, reason);
        } else {
            if (tt > now)
                break;
            tick(s, tt);
        }
    }
    return next_event(s);
}

/* Makes room for the pair rows of every table index (the table grows by
 * doubling up to M). Returns 0 or -1 when out of memory. */
static int ensure_pairs(fsl_state *s)
{
    if (!s->npairs || s->tab.cap <= s->pairs_rows)
        return 0;
    size_t n = (size_t)s->tab.cap * s->npairs;
    uint32_t *bp = realloc(s->bin_pkts, n * sizeof *bp);
    if (!bp)
        return -1;
    s->bin_pkts = bp;
    double *bb = realloc(s->bin_bytes, n * sizeof *bb);
    if (!bb)
        return -1;
    s->bin_bytes = bb;
    s->pairs_rows = s->tab.cap;
    return 0;
}

static void count_pair(fsl_state *s, uint32_t i, const fsl_ent *e, fs_ns ts, double bytes)
{
    int64_t k = tbin_of(s->p.tbin, ts) - tbin_of(s->p.tbin, e->first);
    /* ts < created + t bounds k by ceil(t/tbin) = npairs - 1 (§2.4.7) */
    if (k < 0)
        k = 0;
    if (k >= (int64_t)s->npairs)
        k = s->npairs - 1;
    size_t at = (size_t)i * s->npairs + (size_t)k;
    s->bin_pkts[at]++;
    s->bin_bytes[at] += bytes;
}

/* Packets the packet sampler (stage 1) passes over change nothing but
 * `seen` once the meter has started. */
static uint64_t fsl_pass(void *st, uint64_t n)
{
    fsl_state *s = st;
    if (!s->started)
        return 0;
    uint64_t m = fs_sampler_pass(&s->samp, n);
    s->seen += m;
    return m;
}

static fs_ns fsl_packet(void *st, const fs_pkt *pk)
{
    fsl_state *s = st;
    s->seen++;
    if (!s->started) {
        s->started = 1;
        if (s->p.adapt != ADAPT_FIXED) {
            /* memory is empty, hence below lo*M, from the first packet on */
            if (s->lo_n > 0)
                s->low_since = pk->ts;
            fs_binning b = {s->p.delta};
            s->next_tick = fs_bin_end(&b, fs_bin_of(&b, pk->ts));
            s->window_start = pk->ts;
        }
    }
    /* stage 1: packet sampling [R node5] */
    if (!fs_sampler_take(&s->samp, pk))
        return next_event(s);
    s->sampled++;
    uint64_t h = s->tab.seed == 0 ? pk->key_hash : fs_key_hash(&pk->key, s->tab.seed);
    uint32_t i = fs_ftab_find(&s->tab, &pk->key, h);
    if (i != FS_NONE) {
        /* The engine fires every timer due at or before the packet first;
         * this lazy check [§2.4.4] only matters to a driver that does not. */
        fsl_ent *e = ent(s, i);
        fs_ns ts_end = add_sat(e->first, s->p.t), ti_end = add_sat(e->last, s->p.inactive);
        if (pk->ts >= ts_end || pk->ts >= ti_end) {
            int slice = ts_end <= ti_end;
            expire(s, i, slice ? ts_end : ti_end, slice ? FS_REASON_SLICE : FS_REASON_INACTIVE);
            i = FS_NONE;
        }
    }
    double size = (double)pk->ip_len;
    if (i != FS_NONE) {
        /* stage 2, flow with an entry: every sampled packet is counted
         * [R node4] */
        fsl_ent *e = ent(s, i);
        e->pkts++;
        e->bytes += size;
        e->var_bytes += var_w_later(s->q) * size * size;
        e->last = pk->ts;
        e->flags |= pk->tcp_flags;
        if (pk->tcp_flags & FS_TCP_SYN)
            e->syn++;
        lru_unlink(s, i);
        lru_push_head(s, i);
        if (s->npairs)
            count_pair(s, i, e, pk->ts, size);
    } else {
        /* stage 2, no entry: slicing decision with the p in force */
        s->candidates++;
        s->window_new++;
        if (!(gsl_rng_uniform(s->env.rng) < s->p_cur))
            return next_event(s);
        if (s->tab.n >= s->p.entries) {
            s->refused++;
            return next_event(s);
        }
        i = fs_ftab_insert(&s->tab, &pk->key, h);
        if (i == FS_NONE) {
            s->refused++;
            return next_event(s);
        }
        if (ensure_pairs(s)) {
            fs_ftab_remove(&s->tab, i);
            s->refused++;
            return next_event(s);
        }
        fsl_ent *e = ent(s, i);
        e->first = e->last = pk->ts;
        e->pkts = 1;                          /* [R node11] */
        e->bytes = size / s->p_cur;           /* [R node12] */
        e->var_bytes = var_w_create(s->p_cur, s->q) * size * size;
        e->p_slice = s->p_cur;                /* [R node16] */
        e->flags = pk->tcp_flags;
        e->syn = (pk->tcp_flags & FS_TCP_SYN) != 0;
        lru_push_head(s, i);
        age_push_tail(s, i);
        if (s->npairs) {
            size_t row = (size_t)i * s->npairs;
            memset(s->bin_pkts + row, 0, s->npairs * sizeof *s->bin_pkts);
            memset(s->bin_bytes + row, 0, s->npairs * sizeof *s->bin_bytes);
            s->bin_pkts[row] = 1;
            s->bin_bytes[row] = e->bytes;
        }
        s->created++;
        double before = (double)s->tab.n - 1;
        occupancy_changed(s, pk->ts);
        /* crossing hi*M halves p at once, not only at the next tick */
        if (s->p.adapt != ADAPT_FIXED && before <= s->hi_n && (double)s->tab.n > s->hi_n)
            set_p(s, s->p_cur / 2);
    }
    if (s->p.finrst && pk->key.proto == 6 && (pk->tcp_flags & (FS_TCP_FIN | FS_TCP_RST)))
        expire(s, i, pk->ts, (pk->tcp_flags & FS_TCP_RST) ? FS_REASON_RST : FS_REASON_FIN);
    return next_event(s);
}

static void fsl_flush(void *st, fs_ns end)
{
    fsl_state *s = st;
    fsl_advance(s, end);
    while (s->age.head != FS_NONE)
        expire(s, s->age.head, end, FS_REASON_FLUSH);
    s->started = 0;
}

static uint64_t fsl_live(const void *st)
{
    return ((const fsl_state *)st)->tab.n;
}

static fs_ns fsl_pending(const void *st)
{
    const fsl_state *s = st;
    return s->age.head == FS_NONE ? FS_NS_INF : ent(s, s->age.head)->first;
}

static void fsl_pending_keys(const void *st, fs_ns before,
                             int (*fn)(void *ctx, const fs_key *k, fs_ns since), void *ctx)
{
    const fsl_state *s = st;
    fs_list_keys_before(&s->age, &s->tab, offsetof(fsl_ent, first), before, fn, ctx);
}

static int fsl_init(void *st, const void *params, const fs_meter_env *env, char *err,
                    size_t errlen)
{
    fsl_state *s = st;
    s->p = *(const fsl_params *)params;
    s->env = *env;
    fs_list_init(&s->lru, offsetof(fsl_ent, lru));
    fs_list_init(&s->age, offsetof(fsl_ent, age));
    s->p_cur = s->p_lowest = s->p_highest = s->p.p;
    s->q = env->obs_q * s->p.q;
    s->hi_n = s->p.hi * (double)s->p.entries;
    s->lo_n = s->p.lo * (double)s->p.entries;
    s->hold = s->p.hold ? s->p.hold : s->p.t;
    s->low_since = FS_NS_INF;
    if (fs_sampler_init(&s->samp, s->p.q < 1.0 ? FS_SAMP_RANDOM : FS_SAMP_NONE, s->p.q, 1,
                        env->rng, err, errlen))
        return -1;
    if (s->p.tbin)
        s->npairs = (uint32_t)((s->p.t + s->p.tbin - 1) / s->p.tbin + 1);
    /* Memory of the pairs [S, §2.4.7, §3.1]: every entry keeps npairs pairs
     * of a 4-byte packet and a 4-byte byte counter [R node7] (FS_WIRE_PAIR,
     * the size they have on the wire too), one of them in the entry's own
     * counters, which entry_bytes covers, as a record's own counters hold
     * one pair on the wire (48 + 8(n-1) bytes, §2.4.7 D). */
    if (s->npairs)
        fs_acct_entry_extra(env->acct, (double)(s->npairs - 1) * FS_WIRE_PAIR);
    uint32_t initial = s->p.entries < FS_FTAB_START ? (uint32_t)s->p.entries : FS_FTAB_START;
    if (fs_ftab_init(&s->tab, sizeof(fsl_ent), initial, (uint32_t)s->p.entries,
                     env->hash_seed) ||
        ensure_pairs(s)) {
        snprintf(err, errlen, "out of memory for a flow memory of %llu entries",
                 (unsigned long long)s->p.entries);
        return -1;
    }
    return 0;
}

static void fsl_destroy(void *st)
{
    fsl_state *s = st;
    fs_ftab_free(&s->tab);
    fs_sampler_free(&s->samp);
    free(s->bin_pkts);
    free(s->bin_bytes);
    s->bin_pkts = NULL;
    s->bin_bytes = NULL;
}

static int fsl_check(const void *params, char *err, size_t errlen)
{
    const fsl_params *p = params;
    char a[64], b[64];
    if (p->entries > UINT32_MAX - 1) {
        snprintf(err, errlen, "parameter entries=%llu: more than 4294967294 entries",
                 (unsigned long long)p->entries);
        return -1;
    }
    if (p->adapt != ADAPT_FIXED) {
        if (!(p->lo < p->hi)) {
            snprintf(err, errlen, "parameters lo=%g, hi=%g: lo must be below hi", p->lo, p->hi);
            return -1;
        }
        if (p->p > p->p_max || p->p < p->p_min) {
            fs_format_prob(p->p_min, a, sizeof a);
            fs_format_prob(p->p_max, b, sizeof b);
            char c[64];
            fs_format_prob(p->p, c, sizeof c);
            snprintf(err, errlen, "parameter p=%s: outside [p_min, p_max] = [%s, %s]", c, a, b);
            return -1;
        }
        if (p->adapt == ADAPT_RATE && p->t == FS_NS_INF) {
            snprintf(err, errlen, "parameter adapt=rate: needs a finite slice length t "
                                  "(its target creation rate is M/t)");
            return -1;
        }
    }
    if (p->tbin) {
        if (p->t == FS_NS_INF) {
            fs_format_duration(p->tbin, a, sizeof a);
            snprintf(err, errlen, "parameter tbin=%s: the binned extension needs a finite "
                                  "slice length t", a);
            return -1;
        }
        double n = ceil((double)p->t / (double)p->tbin) + 1;
        if (n > FSL_MAX_PAIRS) {
            fs_format_duration(p->tbin, a, sizeof a);
            fs_format_duration(p->t, b, sizeof b);
            snprintf(err, errlen, "parameter tbin=%s: t=%s needs %.0f counter pairs, more than "
                                  "%d", a, b, n, FSL_MAX_PAIRS);
            return -1;
        }
    }
    return 0;
}

static void fsl_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const fsl_state *s = st;
    fn(ctx, "meter_packets_seen", (double)s->seen);
    fn(ctx, "meter_packets_sampled", (double)s->sampled);
    fn(ctx, "meter_slicing_candidates", (double)s->candidates);
    fn(ctx, "meter_slices_created", (double)s->created);
    fn(ctx, "meter_refused_creations", (double)s->refused);
    fn(ctx, "meter_p_changes", (double)s->p_changes);
    fn(ctx, "meter_p_lowest", s->p_lowest);
    fn(ctx, "meter_p_highest", s->p_highest);
    fn(ctx, "meter_p_final", s->p_cur);
    fn(ctx, "meter_controller_ticks", (double)s->ticks);
}

/* ---- estimators (§2.4.6) --------------------------------------------------
 * Per record with counters c_s, c_b, p at creation and q = r->q_pkt:
 *   packets   Ŝ = (1/p - 1 + c_s)/q        eq. 1 [R node11], /q [R node11, R~]
 *   bytes     B̂ = c_b/q                    eq. 2 [R node12], /q [R~ node12]
 *   flows     f̂ = 1/p if c_s = 1, else 1   eq. 3 [R node13]
 *   arrivals  Â(1) = 1/(pq) if SYN seen    eq. 4 with DLT's M1 [R node14, D]
 *             Â(2) = 1/(pq) if SYN and c_s = 1; 1/p if no SYN and c_s = 1;
 *                    1 if c_s > 1          [D, §2.4.6]
 * (TCP records only for arrivals), every value times the record's weight.
 * Variance estimates (weight 1 only; NAN otherwise, since the extra variance
 * of a record stage is the stage's business):
 *   Var̂(Ŝ) = (1/(pq))(1/(pq) - 1) + (c_s - 1)(1/q)(1/q - 1),
 *   Var̂(B̂) = the record's variance counter (bytes_sq), built the same way;
 * both unbiased [D, martingale argument at var_w_create]; for q = 1 their
 * expectations are eq. 7 (1/p)(1/p - 1)(1 - (1-p)^s) [R node22] and eq. 8
 * (1/p - 1) sum b_i² (1-p)^(s-i) [D], and for q < 1 the two-stage formula of
 * §2.4.6.
 * Active flows after packet sampling (q < 1) cannot be estimated without bias
 * [R node13]: f̂ is then eq. 3 applied to the sampled packets, an unbiased
 * estimate of the flows with at least one sampled packet (low for the true
 * active flows), as Sampled NetFlow's est_flows.
 *
 * Continuous operation [R node18/19, R~] (for which configurations each
 * estimate is unbiased per bin: fsl_estimands below): with tbin the pairs
 * are attributed
 * to the analysis bins that contain them (exact when tbin divides the
 * analysis bin; a pair straddling a boundary is split in proportion to the
 * overlap of its interval with [first,last] and marks the flow active in
 * every bin it covers). The creation pair gets the
 * 1/p - 1 correction (and the b/p start), later pairs are exact (divided by
 * q only); flows: eq. 3 on the record's packets in its creation bin there, 1
 * in a later bin with packets, nothing in a bin without — with the engine's
 * earliest-record rule this is §2.4.6's reconstruction (a record alive at the
 * start of the bin wins with f̂ = 1, else eq. 3 of the next record); unbiased
 * when q = 1, finrst=no, t and the inactivity timeout are at least the
 * analysis bin and tbin divides it (fsl_estimands).
 * The packet variance estimate is split exactly per pair (creation pair
 * (1/(pq))(1/(pq) - 1) + (c - 1)(1/q)(1/q - 1), later pairs c(1/q)(1/q - 1));
 * the byte variance counter goes whole with the creation pair (exact for
 * q = 1, where later pairs have no variance; for q < 1 their q-stage part is
 * booked in the creation bin). Without tbin the record's whole estimate is apportioned with
 * fs_apportion (parameter apportion); flows get eq. 3 on the whole record
 * in every bin it touches (c_s = 1 means one bin), so a flow whose record
 * spans a bin without packets is counted there too (binning error), and a
 * record that ends inside the bin is not distinguished from one that goes on.
 * Arrivals always go to the bin of the record's first packet: under
 * Assumption 1 a record with SYN started at it; a record that started in an
 * earlier bin contributes 0 arrivals [R~ node19]. Â(2) uses the whole
 * record's c_s and counts every slice (about 1 per extra slice of a flow), so
 * it is meant for the base case (one slice per flow per bin); Â(1) stays
 * unbiased under Assumption 1 with any number of slices [R~ node19]. */
typedef struct fsl_whole {
    double pkts, bytes, var_pkts, var_bytes, flows, arrivals, arrivals_alt;
} fsl_whole;

static void whole_of(const fs_record *r, fsl_whole *o)
{
    double p = r->p_slice, q = r->q_pkt, w = r->weight;
    double cs = (double)r->pkts;
    o->pkts = (1.0 / p - 1.0 + cs) / q * w;
    o->bytes = r->bytes / q * w;
    if (w == 1.0) {
        o->var_pkts = var_w_create(p, q) + (cs - 1.0) * var_w_later(q);
        o->var_bytes = r->bytes_sq;
    } else {
        o->var_pkts = o->var_bytes = NAN;
    }
    o->flows = (r->pkts == 1 ? 1.0 / p : 1.0) * w;
    if (r->key.proto == 6) {
        int syn = (r->tcp_flags & FS_TCP_SYN) != 0;
        o->arrivals = syn ? w / (p * q) : 0.0;
        o->arrivals_alt = (r->pkts == 1 ? (syn ? 1.0 / (p * q) : 1.0 / p) : 1.0) * w;
    } else {
        o->arrivals = 0;
        o->arrivals_alt = 0;
    }
}

/* Accumulates the pairs' contributions per analysis bin; pairs come in time
 * order, so bins come in order too and each is handed on once. */
typedef struct bin_acc {
    fs_contrib_fn fn;
    void   *ctx;
    int     open;
    int64_t bin;
    fs_contrib c;
    double  pk_count;   /* counted packets of pairs starting in this bin */
    int     has_flow;
} bin_acc;

static void acc_flush(bin_acc *a, const fs_record *r, const fsl_whole *wh, int64_t k0)
{
    if (!a->open)
        return;
    if (a->has_flow) {
        if (a->bin == k0)
            a->c.flows = (a->pk_count == 1.0 ? 1.0 / r->p_slice : 1.0) * r->weight;
        else
            a->c.flows = r->weight;
    } else {
        a->c.flows = 0;
        a->c.flow_ts = FS_NS_INF;
    }
    if (a->bin == k0) {
        a->c.arrivals = wh->arrivals;
        a->c.arrivals_alt = wh->arrivals_alt;
    }
    a->fn(a->ctx, a->bin, &a->c);
    a->open = 0;
}

static void acc_add(bin_acc *a, const fs_record *r, const fsl_whole *wh, int64_t k0,
                    int64_t bin, double pk, double by, double vp, double vb, double cp,
                    double cb)
{
    if (a->open && a->bin != bin)
        acc_flush(a, r, wh, k0);
    if (!a->open) {
        memset(&a->c, 0, sizeof a->c);
        a->c.flow_ts = FS_NS_INF;
        a->open = 1;
        a->bin = bin;
        a->pk_count = 0;
        a->has_flow = 0;
    }
    a->c.pkts += pk;
    a->c.bytes += by;
    a->c.var_pkts += vp;
    a->c.var_bytes += vb;
    a->c.cov_pkts += cp;
    a->c.cov_bytes += cb;
}

static void estimate_binned(const fsl_params *P, const fs_record *r, const fs_binning *b,
                            const fsl_whole *wh, fs_contrib_fn fn, void *ctx)
{
    double p = r->p_slice, q = r->q_pkt, w = r->weight;
    int64_t k0 = fs_bin_of(b, r->first);
    bin_acc a;
    memset(&a, 0, sizeof a);
    a.fn = fn;
    a.ctx = ctx;
    for (uint32_t j = 0; j < r->n_bins; j++) {
        double c = (double)r->bin_pkts[j];
        if (c == 0)
            continue;
        double pk = (c + (j == 0 ? 1.0 / p - 1.0 : 0.0)) / q * w;
        double by = r->bin_bytes[j] / q * w;
        double vp, vb;
        if (w != 1.0)
            vp = vb = NAN;
        else if (j == 0) {
            vp = var_w_create(p, q) + (c - 1.0) * var_w_later(q);
            vb = r->bytes_sq;
        } else {
            vp = c * var_w_later(q);
            vb = 0;
        }
        /* data of pair j lie in [lo, hi]: the pair's interval cut to the
         * record's first and last packet */
        fs_ns ps = (r->bin_id + (int64_t)j) * P->tbin, pe = ps + P->tbin - 1;
        fs_ns lo = ps > r->first ? ps : r->first, hi = pe < r->last ? pe : r->last;
        if (hi < lo)
            hi = lo;
        int64_t kl = fs_bin_of(b, lo), kh = fs_bin_of(b, hi);
        for (int64_t k = kl; k <= kh; k++) {
            double f = 1.0;
            if (kh > kl) {
                fs_ns bl = fs_bin_start(b, k), bh = fs_bin_end(b, k);
                fs_ns ol = bl > lo ? bl : lo, oh = bh < hi ? bh : hi;
                f = (double)(oh - ol) / (double)(hi - lo);
            }
            /* pairs are independent of each other; a pair's shares are
             * not: Cov(fX, record) = f Var(X) */
            acc_add(&a, r, wh, k0, k, pk * f, by * f, vp * f * f, vb * f * f, vp * f, vb * f);
            /* For eq. 3 a pair's packets count in the bin its data start in;
             * a pair straddling later bins marks the flow active there too,
             * as fs_apportion does for a record (tbin not dividing the bin). */
            if (k == kl)
                a.pk_count += c;
            if (!a.has_flow) {
                a.has_flow = 1;
                a.c.flow_ts = k == kl ? lo : fs_bin_start(b, k);
            }
        }
    }
    acc_flush(&a, r, wh, k0);
}

static void fsl_estimate(const void *params, const fs_record *r, const fs_binning *b,
                         fs_contrib_fn fn, void *ctx)
{
    const fsl_params *P = params;
    fsl_whole wh;
    whole_of(r, &wh);
    if (r->n_bins > 0 && r->bin_pkts && r->bin_bytes && P->tbin > 0) {
        estimate_binned(P, r, b, &wh, fn, ctx);
        return;
    }
    fs_contrib c;
    c.pkts = wh.pkts;
    c.bytes = wh.bytes;
    c.var_pkts = wh.var_pkts;
    c.var_bytes = wh.var_bytes;
    c.flows = wh.flows;
    c.flow_ts = r->first;
    c.arrivals = wh.arrivals;
    c.arrivals_alt = wh.arrivals_alt;
    fs_apportion(r, b, P->apportion, &c, fn, ctx);
}

/* ---- estimands (algo.h) ----------------------------------------------------
 * What the per-bin estimates above estimate, by configuration (q = the
 * meter's q times the observation stage's rate, L = the analysis bin, inf for
 * one bin). The evaluation keeps, per (bin, key), the flows value of the
 * record whose data in the bin start earliest, so a flow's active-flow
 * estimate in bin k is the value of its earliest record with data in k.
 *   bytes, packets  every packet counted in bin k is exact and the 1/p - 1
 *       correction of a creation in bin k stands, in expectation, for the
 *       packets of bin k that found no entry and were not sliced (per packet,
 *       E[(1/p_x - 1) 1{created at x}] = (1 - p_x) P(no entry at x) = E[1{x
 *       missed}], with the p in force at x, so adaptation is fine): unbiased
 *       per bin when every counter lies in one analysis bin, i.e. L = inf or
 *       tbin > 0 dividing L; otherwise the counts are apportioned over
 *       [first, last] (biased per bin, unbiased summed over bins).
 *   active flows  with q = 1, the flow's first packet x_1 in bin k either
 *       finds an entry (an earlier record with data in k: f̂ = 1, exact) or
 *       not; then slicing decisions (p_j in force) run on x_1, x_2, ... until
 *       one creates a record at x_j. If that record is alive at x_(j+1)
 *       whenever j < s (the flow's packets in bin k), eq. 3 on its packets in
 *       bin k gives 1 for j < s and 1/p_s for j = s: E = P(success before s)
 *       + P(reach s) p_s / p_s = 1 [R node13, node16, node19]. A record
 *       created in bin k lives to x_(j+1) when t >= L (x_(j+1) - x_j < L) and
 *       inactive >= L, and ends early with finrst=yes. Its packets in bin k
 *       are known exactly only from pairs that each lie in one bin (tbin
 *       dividing L): without them a record spanning bins may have one packet
 *       or several in its first bin, and none in a bin it spans. So unbiased
 *       iff q = 1, finrst=no, t >= L, inactive >= L and (L = inf, or tbin > 0
 *       dividing L); otherwise biased: q < 1 counts flows with a sampled
 *       packet [R node13]; t or inactive < L lets a flow have several slices
 *       in a bin, and a later slice of a flow whose earlier packets were all
 *       missed counts again (no unbiased estimator, even with
 *       reconstruction [R node19]); tbin = 0 (or not dividing L) apportions.
 *   arrivals (A1)  a record with SYN counts 1/(pq) in the bin of its first
 *       packet: unbiased for SYN-opened flows under Assumption 1, any number
 *       of slices [R~ node19].
 *   TCP flows (A2)  eq. 3 for TCP records with the DLT correction for a lone
 *       SYN, in the bin of the first packet, summed over records: one record
 *       per flow needs t = inactive = inf, finrst=no and one bin (L = inf);
 *       then unbiased for q = 1; for q < 1 a flow without a SYN counts with
 *       probability 1 - (1-q)^S (flows with a sampled packet). */
static void fsl_estimands(const void *params, double obs_q, const fs_binning *b,
                          fs_estimand out[FS_Q__COUNT])
{
    const fsl_params *P = params;
    double q = obs_q * P->q;
    fs_ns L = b->len;
    int one_bin = L == FS_NS_INF;
    int pairs_exact = one_bin || (P->tbin > 0 && L % P->tbin == 0);
    int long_slices = P->t >= L && P->inactive >= L && !P->finrst;
    for (int k = 0; k < FS_Q__COUNT; k++)
        fs_estimand_set(out, k, FS_EST_UNBIASED, NULL);
    /* the rule of every meter for M1 (algorithms.md §2.6): a record with a
     * SYN counts once, scaled; unbiased for flows with one SYN packet */
    fs_estimand_set(out, FS_Q_ARRIVALS, FS_EST_UNBIASED_IF, "one-syn");
    if (!pairs_exact) {   /* per bin; summed over bins unbiased */
        fs_estimand_set_per_bin(out, FS_Q_BYTES, "records-within-bins");
        fs_estimand_set_per_bin(out, FS_Q_PACKETS, "records-within-bins");
    }
    if (q < 1.0)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "sampled-flows");
    else if (!long_slices)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "slices");
    else if (!pairs_exact)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "apportioned");
    if (!(one_bin && P->t == FS_NS_INF && P->inactive == FS_NS_INF && !P->finrst))
        fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_BIASED, "slices");
    else if (q < 1.0)
        fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_BIASED, "sampled-flows");
}

const fs_algo fs_algo_flow_slices = {
    .abi = FS_ALGO_ABI,
    .name = "flow-slices",
    .summary = "Flow Slices: packet sampling q, flow slicing p, slices of length t, inactivity "
               "timeout, adaptive p, binned counters",
    .notes =
        "Kompella & Estan, IMC 2005 (algorithms.md §2.4). p = slicing probability, q = packet "
        "sampling probability [R node5, Table 3]. Entries: counter 1 and bytes b/p at creation "
        "[R node11, node12], p stamped at creation [R node16], exported exactly t after creation "
        "[R node4] or after `inactive` without a packet [R node6]. Timers fire at their own "
        "times; a slice end and an inactivity expiry at the same instant count as slice. "
        "Reconstruction choices, all parameters [S]: FIN/RST expiry (finrst, default off); "
        "memory full = creation refused and counted (meter_refused_creations; biases estimates "
        "low); the p controller of §2.4.9 (adapt=occupancy: halve above hi*M at once and every "
        "delta, double after `hold` below lo*M, within [p_min, p_max]; adapt=rate: largest power "
        "of two <= rate_frac*(M/t)/lambda_new, also halving above hi*M); binned pairs exported "
        "all or used (pairs); apportioning of records without pairs (apportion). Estimators "
        "[§2.4.6]: est_packets (1/p-1+c_s)/q [R node11, R~], est_bytes c_b/q [R node12, R~], "
        "est_flows eq. 3 (1/p if c_s=1 else 1) [R node13] — unbiased only for q=1; for q<1 it "
        "estimates flows with a sampled packet (low) [R node13]; est_tcp_arrivals "
        "A1 = 1/(pq) if SYN [D from R node14], est_tcp_arrivals_m2 A2 = 1/(pq) if SYN and "
        "c_s=1, 1/p if no SYN and c_s=1, 1 otherwise [D]; both need Assumption 1 (one SYN, on "
        "the first packet) and A2 also counts flows without SYN and every extra slice, so use "
        "A2 only with one slice per flow per bin. Variances: est_packets_se from "
        "(1/(pq))(1/(pq)-1)+(c_s-1)(1/q)(1/q-1) per record, est_bytes_se from a variance "
        "counter carried in the record's bytes_sq field (b_first^2 (1/(pq))(1/(pq)-1) + later "
        "b^2 (1/q)(1/q-1)); unbiased for eq. 7/8 and the two-stage formula [R node22, D]; nan "
        "when a record stage changed the weight. Continuous operation [R~ node18/19, D]: with "
        "tbin each pair goes to its analysis bin (exact when tbin divides the bin), the creation "
        "pair with the 1/p-1 correction, flows eq. 3 on the creation bin's packets and 1 in "
        "later bins with packets, so the evaluation's earliest-record rule is §2.4.6's "
        "reconstruction; without tbin the whole record is apportioned (apportion) with eq. 3 "
        "on the whole record. Arrivals go to the bin of the first packet. Declared estimands "
        "per bin (L = analysis bin): bytes and packets unbiased for L = inf or tbin dividing L, "
        "else apportioned; active flows unbiased iff q=1, finrst=no, t >= L, inactive >= L and "
        "(L = inf or tbin dividing L), else sampled-flows (q<1), slices (several slices of a "
        "flow per bin: no unbiased estimator [R node19]; the default inactive=15s with 60 s "
        "bins) or apportioned; A1 unbiased (Assumption 1); A2 unbiased for TCP flows only with "
        "one bin, t = inactive = inf, finrst=no and q=1. Memory: an entry with n pairs costs "
        "entry_bytes + (n-1) x 8 bytes (4-byte packet and byte counters [R node7]); v5/v9 send a record with pairs as one record per "
        "pair with packets. Weights of record stages multiply every contribution.",
    .params = fsl_params_def,
    .nparams = sizeof fsl_params_def / sizeof fsl_params_def[0],
    .params_size = sizeof(fsl_params),
    .state_size = sizeof(fsl_state),
    .check = fsl_check,
    .init = fsl_init,
    .packet = fsl_packet,
    .advance = fsl_advance,
    .flush = fsl_flush,
    .live = fsl_live,
    .pending = fsl_pending,
    .pending_keys = fsl_pending_keys,
    .destroy = fsl_destroy,
    .estimate = fsl_estimate,
    .stats = fsl_stats,
    .pass = fsl_pass,
    .estimands = fsl_estimands,
};
