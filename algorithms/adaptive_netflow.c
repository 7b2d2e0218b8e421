/* flowsim — Adaptive NetFlow (Estan, Keys, Moore, Varghese, SIGCOMM 2004;
 * algorithms.md §2.3, §2.6, §3).
 *
 * Time is cut into fixed measurement bins [k*bin, (k+1)*bin), aligned to the
 * epoch like the engine's analysis bins. Within a bin, packets are sampled
 * with probability p (p_anf) and every sampled packet updates the entry of
 * its flow; at the end of the bin every entry is exported as one record
 * carrying p_end, the rate in force at the end of the bin, and the memory is
 * cleared [R FS node2, node7; patent US 7,746,808 summary for p_end].
 *
 * Adaptation [K/S, §2.3]: when a sampled packet of a new flow finds the
 * memory full (M = `entries` entries), p is divided by `step` and every
 * entry is renormalized as if its packets had been sampled with the new
 * rate from the start: packet counts are thinned binomially per class
 * (SYN / FCE mark), bytes are scaled b' = b c'/c (`renorm=proportional`) or
 * the stored packet sizes are thinned exactly (`renorm=oracle`, validation
 * only), and entries left empty are freed; this repeats until at most
 * floor(renorm_target * M) entries remain. The packet that triggered the
 * renormalization was admitted at the old rate, so it is kept only with
 * probability p_new/p_old [D]. The rate never rises within a bin.
 *
 * Why the estimator c/p_end is unbiased [D]: for one packet, Z = 1[in
 * memory]/p is a martingale under every renormalization step (kept with
 * probability r, then worth 1/(p r)), and every step is decided before its
 * coins are flipped, so optional stopping gives E[Z_end] = 1 (the number of
 * steps has a light tail, so the stopped martingale is uniformly
 * integrable). The step loop must stop with entries left: with floor(renorm_target * M) = 0 it would
 * run until the memory is empty, which is the unbounded doubling martingale
 * and biased (every old flow estimated 0), so check() refuses it. The same
 * argument makes products of two packets' Z martingales, so the variance
 * estimate c/p (1/p - 1) stays unbiased under adaptation.
 *
 * Proportional byte scaling is the conditional expectation of exact thinning
 * given the packet counts (the kept subset of a given size is uniformly
 * random), so its variance is at most that of exact thinning (Rao-Blackwell)
 * [D] — not larger, as the specification's "extra term" suggests. The byte
 * variance reported (Σb² scaled like b, times (1/p)(1/p-1)) is therefore an
 * unbiased estimate of the exact-thinning variance: exact for the oracle, an
 * upper bound for proportional scaling.
 *
 * Sampling uses geometric skips (`draw=skip`, one random number per sampled
 * packet) or a coin per packet (`draw=coin`). Skips are redrawn whenever the
 * rate changes: the remaining skip encodes future decisions at the old rate,
 * and by memorylessness discarding it and drawing at the new rate gives
 * every later packet an independent Bernoulli(p_new) decision.
 *
 * Memory accounting (double buffering [K], §3.2): while the records of bin
 * k are exported the next bin needs a fresh flow memory, so the router has
 * two banks. The accountant (mem_peak_entries, mem_mean_entries, the time
 * series) is told live = entries of the bin being filled + the second bank,
 * charged at bin k's peak for the whole of bin k+1 (with report=spread the
 * records still held for export never exceed it; with report=burst they
 * leave at the boundary, but the model's instant export stands for an
 * export that takes time). Its peak is the spec's sum of consecutive bin
 * peaks (<= 2M), also reported as meter_double_buffer_peak_entries; the
 * single-bank figure is meter_bank_peak_entries (<= M), and the records
 * actually waiting for export meter_held_peak_records.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "algo.h"
#include "ftab.h"

enum { RENORM_PROPORTIONAL, RENORM_ORACLE };
static const char *const renorm_names[] = {"proportional", "oracle", NULL};
enum { START_RESET, START_CARRY };
static const char *const start_names[] = {"reset", "carry", NULL};
enum { REPORT_BURST, REPORT_SPREAD };
static const char *const report_names[] = {"burst", "spread", NULL};
enum { DRAW_SKIP, DRAW_COIN };
static const char *const draw_names[] = {"skip", "coin", NULL};

typedef struct anf_params {
    uint64_t entries;
    fs_ns    bin;
    double   p_max, step, renorm_target, start_target;
    int      renorm, start, report, fixed, fce, draw, apportion;
} anf_params;

#define P(f) offsetof(anf_params, f)
static const fs_param_def anf_params_def[] = {
    {"entries", FS_P_COUNT, P(entries), "65536", "entries",
     "memory budget M: flow entries of the bin being filled; a new flow finding it full "
     "lowers the rate [R ANF abstract, FS node9]; not enforced with fixed=yes", 1, 4e9, NULL, 0},
    {"bin", FS_P_DURATION, P(bin), "60s", "s",
     "measurement bin length; bins [k*bin,(k+1)*bin) aligned to the epoch; every entry is "
     "exported at the end of its bin [R FS node2, node7]", 0, 1e9, NULL, FS_PF_MIN_EXCL},
    {"p_max", FS_P_PROB, P(p_max), "1/16", "probability",
     "packet sampling probability at the start of a bin (the CPU-limited rate, e.g. 1/16 on "
     "OC-48, FS node5); with fixed=yes the constant rate (FS comparison: 1/1024)", 0, 0,
     NULL, 0},
    {"fixed", FS_P_BOOL, P(fixed), "no", "",
     "fixed-rate mode: Bernoulli(p_max) sampling, no adaptation and no budget (memory is "
     "measured, not bounded), as ANF was run in the Flow Slices comparison [R FS node28]",
     0, 0, NULL, 0},
    {"step", FS_P_REAL, P(step), "2", "divisor",
     "rate reduction step: p_new = p_old/step, repeated until renorm_target is met; 2 keeps "
     "rates powers of two [S, §2.3]", 1, 0, NULL, FS_PF_MIN_EXCL},
    {"renorm_target", FS_P_REAL, P(renorm_target), "0.5", "fraction of entries",
     "renormalization lowers the rate until at most renorm_target*entries entries remain; in "
     "(0,1) [S, §2.3]", 0, 1, NULL, FS_PF_MIN_EXCL | FS_PF_MAX_EXCL},
    {"renorm", FS_P_ENUM, P(renorm), "proportional", "",
     "renormalization of bytes: proportional = b' = b*c'/c after binomial thinning of the "
     "packet counts [K/S]; oracle = store every packet's size and thin packets exactly "
     "(validation only) [S]", 0, 0, renorm_names, 0},
    {"start", FS_P_ENUM, P(start), "reset", "",
     "rate at the start of a bin: reset = p_max; carry = min(p_max, p_end*step^g), g the "
     "largest with entries_at_end*step^g <= start_target*entries [S, §2.3]", 0, 0,
     start_names, 0},
    {"start_target", FS_P_REAL, P(start_target), "0.5", "fraction of entries",
     "start=carry: occupancy the carried rate aims at [S]", 0, 1, NULL, FS_PF_MIN_EXCL},
    {"report", FS_P_ENUM, P(report), "burst", "",
     "export of a bin's records: burst = all at the bin boundary; spread = uniformly over "
     "the next bin, in order of first packet (held records count as memory) [S, §2.3]", 0, 0,
     report_names, 0},
    {"fce", FS_P_BOOL, P(fce), "no", "",
     "idealized Flow Counting Extension: the first packet of every flow in each bin is "
     "marked using exact state (ideal hardware, not counted as memory), counted in "
     "first_pkts and thinned like SYN; active flows = sum first_pkts/p_end [S]", 0, 0, NULL, 0},
    {"draw", FS_P_ENUM, P(draw), "skip", "",
     "random draws of packet sampling: skip = geometric skips, redrawn at every rate change; "
     "coin = one uniform per packet; the same distribution [S]", 0, 0, draw_names, 0},
    {"apportion", FS_P_ENUM, P(apportion), "split", "",
     "analysis bins other than the ANF bins: how a record's [first,last] is attributed "
     "(split / last / first, as NetFlow); with equal bins a record goes to its bin_id [S]",
     0, 0, fs_apportion_names, 0},
};
#undef P

/* Packet classes of an entry: bit 0 = SYN, bit 1 = FCE first-packet mark.
 * Thinning each class separately keeps syn_pkts, first_pkts and the packet
 * count jointly distributed as under exact per-packet thinning. */
enum { CLS_SYN = 1, CLS_FIRST = 2, NCLS = 4 };

typedef struct anf_pk {            /* oracle: one sampled packet */
    fs_ns    ts;
    uint32_t size;
    uint8_t  cls;
} anf_pk;

typedef struct anf_ent {
    FS_FTAB_ENTRY_HEAD;
    uint64_t serial;               /* creation order, breaks ties in export order */
    fs_ns    first, last;
    uint64_t n[NCLS];              /* sampled packets per class (renormalized)   */
    double   b, bsq;               /* bytes and squared sizes (renormalized)     */
    uint8_t  flags;
    anf_pk  *pk;                   /* oracle: the packets themselves             */
    uint32_t npk, cap;
} anf_ent;

typedef struct anf_key_ent {       /* FCE exact state: keys seen in this bin */
    FS_FTAB_ENTRY_HEAD;
} anf_key_ent;

typedef struct anf_out {           /* a finished bin's record awaiting export */
    fs_key   key;
    fs_ns    first, last;
    uint64_t pkts, serial;
    double   b, bsq;
    uint32_t syn, fst;
    uint8_t  flags;
} anf_out;

typedef struct anf_state {
    anf_params   p;
    fs_meter_env env;
    fs_ftab      tab, fce;
    int          started;
    int64_t      bin;              /* current bin index                          */
    fs_ns        bin_end;
    double       rate;             /* p_anf now                                  */
    uint64_t     skip;             /* draw=skip: packets to pass before the next  */
    uint64_t     target;           /* floor(renorm_target * entries)             */
    uint64_t     serial;
    fs_ns        bin_first;        /* earliest first of this bin's entries (<=)  */
    /* records held for export (report=spread), sorted by first */
    anf_out     *q;
    size_t       qn, qhead, qcap;
    fs_ns        q_t0;
    int64_t      q_bin;
    double       q_pend;
    /* statistics */
    uint64_t     seen, sampled, counted, trig_thinned, reductions, renorms, freed, bins,
                 records, bank_peak, bank_cur, bank_prev, dbl_peak, held_peak, fce_peak;
    double       pend_min, pend_sum;
} anf_state;

static anf_ent *ent(const anf_state *s, uint32_t i)
{
    return fs_ftab_ent(&s->tab, i);
}

static uint64_t held(const anf_state *s)
{
    return (uint64_t)(s->qn - s->qhead);
}

/* Memory charged to the accountant (double buffering [K], §3.2): the bank
 * being filled plus the second bank, which holds the previous bin's
 * entries while they are exported and so stays reserved, at the previous
 * bin's peak, for the whole bin (with report=spread the records still held
 * never exceed it). Its peak over a run is the largest sum of two
 * consecutive bins' peaks, meter_double_buffer_peak_entries. */
static uint64_t live_now(const anf_state *s)
{
    uint64_t second = s->bank_prev > held(s) ? s->bank_prev : held(s);
    return s->tab.n + second;
}

static void tell_acct(anf_state *s, fs_ns t)
{
    fs_acct_mem(s->env.acct, t, (int64_t)live_now(s));
}

/* ---- random draws ----------------------------------------------------------- */

/* Packets to pass before the next selected one: Geometric(p) failures,
 * P(skip >= k) = (1-p)^k, by inversion. */
static uint64_t geom_skip(gsl_rng *r, double p)
{
    if (p >= 1.0)
        return 0;
    double k = floor(log(gsl_rng_uniform_pos(r)) / log1p(-p));
    return k >= 1e18 ? (uint64_t)1e18 : (uint64_t)k;
}

static int take(anf_state *s)
{
    if (s->p.draw == DRAW_COIN)
        return gsl_rng_uniform(s->env.rng) < s->rate;
    if (s->skip) {
        s->skip--;
        return 0;
    }
    s->skip = geom_skip(s->env.rng, s->rate);
    return 1;
}

static void set_rate(anf_state *s, double p)
{
    if (p != s->rate) {
        s->rate = p;
        if (s->p.draw == DRAW_SKIP)
            s->skip = geom_skip(s->env.rng, p);
    }
}

/* Binomial(n, r) for counts beyond gsl's unsigned int. */
static uint64_t binom(gsl_rng *rng, double r, uint64_t n)
{
    uint64_t k = 0;
    while (n > 0) {
        unsigned int part = n > UINT32_MAX ? UINT32_MAX : (unsigned int)n;
        k += gsl_ran_binomial(rng, r, part);
        n -= part;
    }
    return k;
}

/* ---- entries ---------------------------------------------------------------- */
static uint64_t ent_pkts(const anf_ent *e)
{
    return e->n[0] + e->n[1] + e->n[2] + e->n[3];
}

static void ent_remove(anf_state *s, uint32_t i)
{
    anf_ent *e = ent(s, i);
    free(e->pk);
    e->pk = NULL;
    fs_ftab_remove(&s->tab, i);
}

/* Thins one entry by r; returns 0 if it became empty. */
static int ent_thin(anf_state *s, anf_ent *e, double r)
{
    if (s->p.renorm == RENORM_ORACLE) {
        /* Exact: keep each stored packet with probability r and recompute
         * everything, first and last included, from the survivors. */
        uint32_t k = 0;
        for (int c = 0; c < NCLS; c++)
            e->n[c] = 0;
        e->b = e->bsq = 0;
        for (uint32_t j = 0; j < e->npk; j++) {
            if (gsl_rng_uniform(s->env.rng) >= r)
                continue;
            anf_pk x = e->pk[j];
            e->pk[k++] = x;
            e->n[x.cls]++;
            e->b += x.size;
            e->bsq += (double)x.size * x.size;
        }
        e->npk = k;
        if (k) {
            e->first = e->pk[0].ts;
            e->last = e->pk[k - 1].ts;
        }
        return k > 0;
    }
    /* Proportional [§2.3]: each class thinned binomially (exact for counts);
     * bytes and squared sizes scaled by c'/c, their expectation given c'. */
    uint64_t c = ent_pkts(e), c2 = 0;
    for (int j = 0; j < NCLS; j++) {
        e->n[j] = binom(s->env.rng, r, e->n[j]);
        c2 += e->n[j];
    }
    if (c2 == 0)
        return 0;
    double f = (double)c2 / (double)c;
    e->b *= f;
    e->bsq *= f;
    return 1;
}

/* Lowers the rate by `step` and thins every entry, until at most `target`
 * entries remain [§2.3]. Memory is accounted after every step. */
static void renormalize(anf_state *s, fs_ns t)
{
    s->renorms++;
    do {
        double r = 1.0 / s->p.step;
        set_rate(s, s->rate * r);
        s->reductions++;
        for (uint32_t i = 0; i < s->tab.hwm; i++) {
            if (!fs_ftab_live(&s->tab, i))
                continue;
            if (!ent_thin(s, ent(s, i), r)) {
                ent_remove(s, i);
                s->freed++;
            }
        }
        tell_acct(s, t);
    } while (s->tab.n > s->target && s->rate > 1e-300);
}

/* ---- export ----------------------------------------------------------------- */
static int cmp_out(const void *a, const void *b)
{
    const anf_out *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static void emit_out(anf_state *s, const anf_out *o, fs_ns t, int64_t bin, double pend,
                     int reason)
{
    fs_record r;
    fs_record_init(&r);
    r.key = o->key;
    r.first = o->first;
    r.last = o->last;
    r.exported = t;
    r.pkts = o->pkts;
    r.bytes = o->b;
    r.bytes_sq = o->bsq;
    r.syn_pkts = o->syn;
    r.first_pkts = s->p.fce ? o->fst : 0;
    /* OR of the flags of every packet sampled in the bin (thinned packets
     * included: flags are not counted per packet), except SYN, which says
     * whether a SYN packet survived the renormalizations. */
    r.tcp_flags = (uint8_t)((o->flags & ~FS_TCP_SYN) | (o->syn ? FS_TCP_SYN : 0));
    r.reason = (uint8_t)reason;
    r.p_end = pend;
    r.q_pkt = pend * s->env.obs_q;
    r.bin_id = bin;
    s->records++;
    s->env.emit(s->env.emit_ctx, &r);
}

/* Moves every entry of the bin into the sorted hold queue and clears the
 * bank (the FCE state too). */
static int collect(anf_state *s)
{
    if (s->tab.n > s->qcap) {
        size_t nc = s->qcap ? s->qcap : 64;
        while (nc < s->tab.n)
            nc *= 2;
        anf_out *q = realloc(s->q, nc * sizeof *q);
        if (!q) {
            /* no memory for the export queue: the bank is lost */
            for (uint32_t i = 0; i < s->tab.hwm; i++)
                if (fs_ftab_live(&s->tab, i))
                    free(ent(s, i)->pk);
            fs_ftab_clear(&s->tab);
            if (s->p.fce)
                fs_ftab_clear(&s->fce);
            s->qn = s->qhead = 0;
            return -1;
        }
        s->q = q;
        s->qcap = nc;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->tab.hwm; i++) {
        if (!fs_ftab_live(&s->tab, i))
            continue;
        anf_ent *e = ent(s, i);
        anf_out *o = &s->q[n++];
        o->key = e->key;
        o->first = e->first;
        o->last = e->last;
        o->pkts = ent_pkts(e);
        o->serial = e->serial;
        o->b = e->b;
        o->bsq = e->bsq;
        uint64_t syn = e->n[CLS_SYN] + e->n[CLS_SYN | CLS_FIRST];
        uint64_t fst = e->n[CLS_FIRST] + e->n[CLS_SYN | CLS_FIRST];
        o->syn = syn > UINT32_MAX ? UINT32_MAX : (uint32_t)syn;
        o->fst = fst > UINT32_MAX ? UINT32_MAX : (uint32_t)fst;
        o->flags = e->flags;
        free(e->pk);
        e->pk = NULL;
    }
    if (n > 1)
        qsort(s->q, n, sizeof *s->q, cmp_out);
    fs_ftab_clear(&s->tab);
    if (s->p.fce) {
        if (s->fce.n > s->fce_peak)
            s->fce_peak = s->fce.n;
        fs_ftab_clear(&s->fce);
    }
    s->qn = n;
    s->qhead = 0;
    return 0;
}

/* Export time of the j-th held record: uniformly over the bin after t0. */
static fs_ns emit_time(const anf_state *s, size_t j)
{
    return s->q_t0 + (fs_ns)floor((double)j * (double)s->p.bin / (double)s->qn);
}

static fs_ns next_emit(const anf_state *s)
{
    return s->qhead < s->qn ? emit_time(s, s->qhead) : FS_NS_INF;
}

static void emit_head(anf_state *s, fs_ns t, int reason)
{
    const anf_out *o = &s->q[s->qhead++];
    emit_out(s, o, t, s->q_bin, s->q_pend, reason);
    tell_acct(s, t);
}

/* End of the bank at time t: its entries become records with p_end = the
 * current rate, exported now (burst, or every time for the last, partial
 * bin at flush) or held and spread over the next bin. */
static void close_bank(anf_state *s, fs_ns t, int reason, int burst)
{
    /* The previous bin's queue ends before this bin does (its last export
     * is before t); anything left (flush) leaves now. */
    while (s->qhead < s->qn)
        emit_head(s, t, FS_REASON_BIN);
    uint64_t n = s->tab.n;
    if (s->bank_cur + s->bank_prev > s->dbl_peak)
        s->dbl_peak = s->bank_cur + s->bank_prev;
    s->bank_prev = s->bank_cur;
    s->bank_cur = 0;
    if (n) {
        s->bins++;
        s->pend_sum += s->rate;
        if (s->rate < s->pend_min)
            s->pend_min = s->rate;
    }
    if (collect(s))
        s->freed += n; /* out of memory: counted with the freed entries */
    s->bin_first = FS_NS_INF;
    s->q_t0 = t;
    s->q_bin = s->bin;
    s->q_pend = s->rate;
    if (held(s) > s->held_peak)
        s->held_peak = held(s);
    tell_acct(s, t);
    if (burst)
        while (s->qhead < s->qn)
            emit_head(s, t, reason);
}

/* Rate for the next bin, from the entries at the end of this one. */
static double start_rate(const anf_state *s, uint64_t n_end)
{
    if (s->p.fixed || s->p.start == START_RESET || n_end == 0)
        return s->p.p_max;
    double cap = s->p.start_target * (double)s->p.entries, m = (double)n_end, p = s->rate;
    while (m * s->p.step <= cap && p < s->p.p_max) {
        m *= s->p.step;
        p *= s->p.step;
    }
    return p < s->p.p_max ? p : s->p.p_max;
}

static void end_bin(anf_state *s)
{
    uint64_t n = s->tab.n;
    fs_ns t = s->bin_end;
    close_bank(s, t, FS_REASON_BIN, s->p.report == REPORT_BURST);
    set_rate(s, start_rate(s, n));
    s->bin++;
    s->bin_end = fs_bin_end(&(fs_binning){s->p.bin}, s->bin);
}

static fs_ns next_event(const anf_state *s)
{
    fs_ns te = next_emit(s), tb = s->started ? s->bin_end : FS_NS_INF;
    return te < tb ? te : tb;
}

static fs_ns anf_advance(void *st, fs_ns now)
{
    anf_state *s = st;
    if (!s->started)
        return FS_NS_INF;
    for (;;) {
        fs_ns te = next_emit(s);
        if (te <= now && te < s->bin_end) {
            emit_head(s, te, FS_REASON_BIN);
            continue;
        }
        if (s->bin_end > now)
            break;
        end_bin(s);
        /* Bins with nothing to export: jump to the bin of `now` directly.
         * An empty bin ends with 0 entries, so the next starts at p_max
         * under every start policy. */
        if (s->tab.n == 0 && s->qhead == s->qn && s->bin_end <= now) {
            fs_binning b = {s->p.bin};
            /* the empty bin ends: its bank (0) becomes the second one */
            s->bank_prev = s->bank_cur = 0;
            tell_acct(s, s->bin_end);
            s->bin = fs_bin_of(&b, now);
            s->bin_end = fs_bin_end(&b, s->bin);
            set_rate(s, s->p.p_max);
        }
    }
    return next_event(s);
}

/* ---- per packet [§2.3] ------------------------------------------------------ */
/* Packets the skip-drawn sampler passes over change nothing but `seen` (FCE
 * sees every packet, coin draws decide per packet). */
static uint64_t anf_pass(void *st, uint64_t n)
{
    anf_state *s = st;
    if (!s->started || s->p.fce || s->p.draw == DRAW_COIN)
        return 0;
    uint64_t m = s->skip < n ? s->skip : n;
    s->skip -= m;
    s->seen += m;
    return m;
}

static fs_ns anf_packet(void *st, const fs_pkt *p)
{
    anf_state *s = st;
    if (!s->started) {
        fs_binning b = {s->p.bin};
        s->started = 1;
        s->bin = fs_bin_of(&b, p->ts);
        s->bin_end = fs_bin_end(&b, s->bin);
        s->rate = 0;
        set_rate(s, s->p.p_max);
    } else if (p->ts >= next_event(s)) {
        anf_advance(s, p->ts);
    }
    s->seen++;
    int cls = (p->key.proto == 6 && (p->tcp_flags & FS_TCP_SYN)) ? CLS_SYN : 0;
    if (s->p.fce) {
        /* ideal FCE hardware: exact knowledge of the flows seen in this bin */
        int created;
        if (fs_ftab_upsert(&s->fce, &p->key, p->key_hash, &created) != FS_NONE && created)
            cls |= CLS_FIRST;
    }
    if (!take(s))
        return next_event(s);
    s->sampled++;
    uint32_t i = fs_ftab_find(&s->tab, &p->key, p->key_hash);
    if (i == FS_NONE && !s->p.fixed && s->tab.n >= s->p.entries) {
        double p_before = s->rate;
        renormalize(s, p->ts);
        /* admitted at p_before: thin it like the entries [D] */
        if (gsl_rng_uniform(s->env.rng) >= s->rate / p_before) {
            s->trig_thinned++;
            return next_event(s);
        }
    }
    if (i == FS_NONE) {
        i = fs_ftab_insert(&s->tab, &p->key, p->key_hash);
        if (i == FS_NONE) /* out of memory (the budget always leaves room) */
            return next_event(s);
        anf_ent *e = ent(s, i);
        e->serial = s->serial++;
        e->first = p->ts;
        if (p->ts < s->bin_first)
            s->bin_first = p->ts;
        if (s->tab.n > s->bank_cur)
            s->bank_cur = s->tab.n;
        if (s->tab.n > s->bank_peak)
            s->bank_peak = s->tab.n;
        tell_acct(s, p->ts);
    }
    anf_ent *e = ent(s, i);
    if (s->p.renorm == RENORM_ORACLE) {
        if (e->npk == e->cap) {
            uint32_t nc = e->cap ? e->cap * 2 : 4;
            anf_pk *pk = realloc(e->pk, nc * sizeof *pk);
            if (!pk)
                return next_event(s);
            e->pk = pk;
            e->cap = nc;
        }
        e->pk[e->npk++] = (anf_pk){p->ts, p->ip_len, (uint8_t)cls};
    }
    s->counted++;
    e->n[cls]++;
    e->b += p->ip_len;
    e->bsq += (double)p->ip_len * (double)p->ip_len;
    e->last = p->ts;
    e->flags |= p->tcp_flags;
    return next_event(s);
}

static void anf_flush(void *st, fs_ns end)
{
    anf_state *s = st;
    if (!s->started)
        return;
    anf_advance(s, end);
    /* The bin cut by the end of the trace: its entries leave now, with the
     * rate in force at the end as p_end and reason flush. */
    close_bank(s, end, FS_REASON_FLUSH, 1);
    /* every record has left: both banks are free */
    s->bank_prev = 0;
    tell_acct(s, end);
}

static uint64_t anf_live(const void *st)
{
    return live_now(st);
}

static fs_ns anf_pending(const void *st)
{
    const anf_state *s = st;
    fs_ns t = s->qhead < s->qn ? s->q[s->qhead].first : FS_NS_INF;
    if (s->tab.n && s->bin_first < t)
        t = s->bin_first;
    return t;
}

static int anf_check(const void *params, char *err, size_t errlen)
{
    const anf_params *p = params;
    if (p->entries > UINT32_MAX - 1) {
        snprintf(err, errlen, "parameter entries=%llu: more than 4294967294 entries",
                 (unsigned long long)p->entries);
        return -1;
    }
    if (!(p->renorm_target < 1.0)) {
        snprintf(err, errlen, "parameter renorm_target=%g: must be in (0, 1), a renormalization "
                 "has to free entries", p->renorm_target);
        return -1;
    }
    if (!p->fixed && floor(p->renorm_target * (double)p->entries) < 1.0) {
        snprintf(err, errlen, "parameters renorm_target=%g, entries=%llu: renorm_target x "
                 "entries must be at least 1 entry (a renormalization that empties the memory "
                 "biases the estimates)", p->renorm_target, (unsigned long long)p->entries);
        return -1;
    }
    return 0;
}

static int anf_init(void *st, const void *params, const fs_meter_env *env, char *err,
                    size_t errlen)
{
    anf_state *s = st;
    s->p = *(const anf_params *)params;
    s->env = *env;
    s->target = (uint64_t)floor(s->p.renorm_target * (double)s->p.entries);
    s->bin_first = FS_NS_INF;
    s->pend_min = INFINITY;
    /* Fixed-rate mode does not bound memory: the table grows with the flows
     * of a bin. Adaptive mode never holds more than `entries`. */
    uint32_t limit = s->p.fixed ? 0 : (uint32_t)s->p.entries;
    uint32_t initial = s->p.entries < FS_FTAB_START ? (uint32_t)s->p.entries : FS_FTAB_START;
    if (fs_ftab_init(&s->tab, sizeof(anf_ent), initial, limit, env->hash_seed) ||
        (s->p.fce && fs_ftab_init(&s->fce, sizeof(anf_key_ent), FS_FTAB_START, 0, env->hash_seed))) {
        snprintf(err, errlen, "out of memory for a flow memory of %llu entries",
                 (unsigned long long)s->p.entries);
        fs_ftab_free(&s->tab);
        return -1;
    }
    return 0;
}

static void anf_destroy(void *st)
{
    anf_state *s = st;
    for (uint32_t i = 0; s->tab.ents && i < s->tab.hwm; i++)
        if (fs_ftab_live(&s->tab, i))
            free(ent(s, i)->pk);
    fs_ftab_free(&s->tab);
    fs_ftab_free(&s->fce);
    free(s->q);
    s->q = NULL;
}

static void anf_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const anf_state *s = st;
    fn(ctx, "meter_packets_seen", (double)s->seen);
    fn(ctx, "meter_packets_sampled", (double)s->sampled);
    fn(ctx, "meter_packets_counted", (double)s->counted);
    fn(ctx, "meter_trigger_thinned", (double)s->trig_thinned);
    fn(ctx, "meter_rate_reductions", (double)s->reductions);
    fn(ctx, "meter_renormalizations", (double)s->renorms);
    fn(ctx, "meter_entries_freed", (double)s->freed);
    fn(ctx, "meter_bins_exported", (double)s->bins);
    fn(ctx, "meter_p_end_min", s->bins ? s->pend_min : NAN);
    fn(ctx, "meter_p_end_mean", s->bins ? s->pend_sum / (double)s->bins : NAN);
    fn(ctx, "meter_bank_peak_entries", (double)s->bank_peak);
    uint64_t dbl = s->bank_cur + s->bank_prev > s->dbl_peak ? s->bank_cur + s->bank_prev
                                                             : s->dbl_peak;
    fn(ctx, "meter_double_buffer_peak_entries", (double)dbl);
    fn(ctx, "meter_held_peak_records", (double)s->held_peak);
    if (s->p.fce) {
        uint64_t k = s->fce.n > s->fce_peak ? s->fce.n : s->fce_peak;
        fn(ctx, "meter_fce_keys_peak", (double)k);
    }
}

/* Estimators (per record of bin k, q = q_pkt = p_end times the observation
 * stage's rate; every contribution times the record's weight):
 *   packets c/q, bytes b/q — unbiased [R patent summary + D, §2.3];
 *   variances (1/q)(1/q-1) c and (1/q)(1/q-1) Σb², unbiased for (1/q-1)S and
 *     the exact-thinning byte variance (an upper bound under proportional
 *     scaling) [D]; NAN when a record stage changed the weight;
 *   TCP arrivals M1 = 1/q if the record has a SYN (the rule of every meter,
 *     §2.6: a record counts once, however many SYN packets it holds; the SYN
 *     of a flow with one SYN in the bin survives with probability q, by the
 *     martingale above, so E = 1 per such flow, and an unsampled run counts
 *     each flow of the bin with a SYN exactly once) and M2 = 1/q if a SYN
 *     was sampled and c = 1, else 1 (DLT 2003 via FS node14, §2.6) [R/D];
 *   active flows with fce=yes: first_pkts/p_end, unbiased for the flows the
 *     meter sees in the bin [S]; without FCE: 1 per record, the number of
 *     sampled flows, biased low [R FS node13].
 * A record goes to the analysis bin equal to its ANF bin when the bins
 * coincide; otherwise its [first,last] is apportioned (flow counts are then
 * only meaningful if every ANF bin lies within one analysis bin). */
static void anf_estimate(const void *params, const fs_record *r, const fs_binning *b,
                         fs_contrib_fn fn, void *ctx)
{
    const anf_params *p = params;
    double inv = 1.0 / r->q_pkt, w = r->weight;
    fs_contrib c;
    c.pkts = (double)r->pkts * inv * w;
    c.bytes = r->bytes * inv * w;
    c.var_pkts = w == 1.0 ? (double)r->pkts * inv * (inv - 1.0) : NAN;
    c.var_bytes = w == 1.0 ? r->bytes_sq * inv * (inv - 1.0) : NAN;
    c.cov_pkts = c.var_pkts;   /* the whole record, when it goes to one bin */
    c.cov_bytes = c.var_bytes;
    c.flows = (p->fce ? (double)r->first_pkts / r->p_end : 1.0) * w;
    c.flow_ts = r->first;
    if (r->key.proto == 6) {
        c.arrivals = (r->syn_pkts ? inv : 0.0) * w;
        c.arrivals_alt = (r->syn_pkts && r->pkts == 1 ? inv : 1.0) * w;
    } else {
        c.arrivals = 0;
        c.arrivals_alt = 0;
    }
    if (b->len == p->bin && r->bin_id >= 0)
        fn(ctx, r->bin_id, &c);
    else
        fs_apportion(r, b, p->apportion, &c, fn, ctx);
}

/* Estimands (algorithms.md §2.3, §2.6), q = p_end x obs_q:
 *   bytes, packets  unbiased (the martingale argument above);
 *   active flows    q = 1 throughout (fixed=yes, p_max = 1, obs_q = 1):
 *                   exact when the analysis bin is `bin`, one bin, or at
 *                   least `bin` with apportion=split (else idle bins or a
 *                   record in one bin); fce=yes with obs_q = 1: unbiased
 *                   when the analysis bin is `bin` (FCE marks each ANF
 *                   bin's first packet), else biased; otherwise the
 *                   sampled flows [R FS node13] (with FCE but obs_q < 1:
 *                   the flows with a packet through the observation
 *                   stage). With the analysis bin equal to `bin` the meter
 *                   exports one record per flow and bin (one_record);
 *   arrivals (M1)   records with SYN, 1/q: unbiased when every TCP flow has
 *                   at most one SYN packet per bin;
 *   TCP flows (M2)  one record per flow and ANF bin: it counts the TCP
 *                   flows active in each ANF bin, not the flows starting. */
static void anf_estimands(const void *params, double obs_q, const fs_binning *b,
                          fs_estimand out[FS_Q__COUNT])
{
    const anf_params *p = params;
    int same = b->len == p->bin;
    int exact = p->fixed && p->p_max >= 1.0 && obs_q >= 1.0;
    fs_estimand_set(out, FS_Q_BYTES, FS_EST_UNBIASED, NULL);
    fs_estimand_set(out, FS_Q_PACKETS, FS_EST_UNBIASED, NULL);
    int covers = same || b->len == FS_NS_INF ||
                 (p->apportion == FS_APPORTION_SPLIT && p->bin <= b->len);
    if (exact && covers)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_UNBIASED, NULL);
    else if (exact)
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED,
                        p->apportion == FS_APPORTION_SPLIT ? "idle-bins" : "record-in-one-bin");
    else if (p->fce && obs_q >= 1.0)
        fs_estimand_set(out, FS_Q_FLOWS, same ? FS_EST_UNBIASED : FS_EST_BIASED,
                        same ? NULL : "fce-per-anf-bin");
    else
        fs_estimand_set(out, FS_Q_FLOWS, FS_EST_BIASED, "sampled-flows");
    out[FS_Q_FLOWS].one_record = same;
    fs_estimand_set(out, FS_Q_ARRIVALS, FS_EST_UNBIASED_IF, "one-syn");
    fs_estimand_set(out, FS_Q_TCP_FLOWS, FS_EST_BIASED, "active-tcp-flows");
    /* a record lies in one ANF bin: in one analysis bin when every ANF bin
     * does (both aligned to the epoch); otherwise it is apportioned: per
     * bin unbiased only if records lie within bins, unbiased summed */
    if (!(same || b->len == FS_NS_INF || b->len % p->bin == 0)) {
        fs_estimand_set_per_bin(out, FS_Q_BYTES, "records-within-bins");
        fs_estimand_set_per_bin(out, FS_Q_PACKETS, "records-within-bins");
    }
}

const fs_algo fs_algo_adaptive_netflow = {
    .abi = FS_ALGO_ABI,
    .name = "adaptive-netflow",
    .summary = "Adaptive NetFlow: fixed bins, sampling rate lowered under a memory budget with "
               "renormalization, one record per flow and bin",
    .notes =
        "Estan, Keys, Moore, Varghese, SIGCOMM 2004; only the abstract could be read "
        "(algorithms.md §2.3). [R]: bins with one record per flow per bin, rate adapted under "
        "memory pressure, FCE for non-TCP flow counting, estimator c/p_end (patent US "
        "7,746,808 summary). Reconstruction choices, all parameters: rate lowered by `step` "
        "(default 2) until renorm_target*entries entries remain (default 0.5) [S]; packet and "
        "SYN counts thinned binomially, bytes scaled b*c'/c (renorm=proportional [K/S]) or "
        "packet sizes thinned exactly (renorm=oracle, validation) [S]; the packet that "
        "triggers a renormalization is kept with probability p_new/p_old [D]; bin start rate "
        "reset to p_max (default) or carried (start=carry, start_target) [S]; reports as one "
        "burst at the boundary (default) or spread over the next bin (report=spread) [S]; "
        "memory (mem_peak_entries, mem_mean_entries) = entries of the bin being filled + the "
        "second bank, reserved at the previous bin's peak while its records are exported "
        "(double buffering [K], §3.2), so mem_peak_entries = the largest sum of two "
        "consecutive bin peaks (<= 2*entries) = meter_double_buffer_peak_entries; "
        "meter_bank_peak_entries is the single-bank figure (<= entries); fixed=yes is ANF as run in the Flow Slices comparison "
        "(Bernoulli(p_max), no budget; p_max=1/1024 there) [R FS node28]; fce=yes is an "
        "idealized FCE marking each flow's first packet per bin from exact state, thinned "
        "like SYN [S]. Estimators: packets c/q, bytes b/q, variance (1/q)(1/q-1)c and "
        "(1/q)(1/q-1)Σb² (exact-thinning variance; proportional scaling has at most this, "
        "by Rao-Blackwell [D]); TCP arrivals M1 = 1/q per record with SYN (est_tcp_arrivals; "
        "a record counts once however many SYN packets it holds, as for every meter) and M2 "
        "(est_tcp_arrivals_m2, which counts TCP flows active per ANF bin: biased by design "
        "against true_tcp_flows) of Duffield-Lund-Thorup with q = p_end x observation rate "
        "[R FS node14]; active flows with FCE = Σ first_pkts/p_end (unbiased for flows seen "
        "by the meter), without FCE = sampled flows (biased low) [R FS node13]. A record "
        "goes to the analysis bin of its bin_id when the analysis bin equals `bin`, else it "
        "is apportioned over [first,last] (apportion); records of the last, partial bin "
        "have reason flush. tcp_flags is the OR over all sampled packets of the bin, "
        "except SYN, which reflects syn_pkts after thinning; with renorm=proportional first "
        "and last are those of all sampled packets, with oracle those of the survivors. "
        "Renormalization runs synchronously (a router would do it in the background [K]; "
        "only the resulting state matters); layered reports for graceful degradation [K] are "
        "not produced. Counters: meter_rate_reductions (rate divisions), "
        "meter_renormalizations (memory-full events), meter_trigger_thinned, "
        "meter_entries_freed, meter_bins_exported, meter_p_end_min/mean (bins with records), "
        "meter_held_peak_records (most records awaiting export at once: the burst size with "
        "report=burst), meter_fce_keys_peak (the ideal FCE's exact state, not counted as "
        "memory).",
    .params = anf_params_def,
    .nparams = sizeof anf_params_def / sizeof anf_params_def[0],
    .params_size = sizeof(anf_params),
    .state_size = sizeof(anf_state),
    .check = anf_check,
    .init = anf_init,
    .packet = anf_packet,
    .advance = anf_advance,
    .flush = anf_flush,
    .live = anf_live,
    .pending = anf_pending,
    .destroy = anf_destroy,
    .estimate = anf_estimate,
    .stats = anf_stats,
    .pass = anf_pass,
    .estimands = anf_estimands,
};
