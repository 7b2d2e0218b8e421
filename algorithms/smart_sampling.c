/* flowsim — smart sampling of flow records (threshold sampling, Duffield,
 * Lund and Thorup, IMW 2001) and its multi-factor form (Kompella and Estan,
 * IMC 2005), as a record stage that can follow any meter:
 *     -m 'sampled-netflow:rate=1/10|smart:zb=100k'
 *
 * Rule (algorithms.md §2.4.8 [R FS node15], §2.5): a record whose meter
 * estimates are Ŝ packets, B̂ bytes and Â TCP arrivals (weight of earlier
 * stages included, env->estimate) is kept with probability
 *     r = min(1, Ŝ/zs + B̂/zb + Â/za),
 * a threshold of `inf` switching its term off, and a kept record's weight is
 * multiplied by 1/r (Horvitz-Thompson), so every additive estimate of the
 * meter stays unbiased. Plain smart sampling is zb = z alone: r = min(1, x/z)
 * and a kept record estimates max(x, z) [R FS node15 for the probability;
 * K for the rest, §2.5]. Variance added per record: x(z - x) for x < z, 0
 * otherwise, hence at most z·X on a total X [D]. The multi-factor form keeps
 * the records that carry flow arrivals (SYN records, mostly small) which
 * byte-only sampling starves [R FS node8, node15]. FS writes lowercase ŝ in
 * node15 but defines z_s on Ŝ and z_a on Â⁽¹⁾ in Table 3 (node10): we use
 * the meter's primary estimates Ŝ, B̂ and Â (the SYN estimator M1/Â⁽¹⁾).
 *
 * Dynamic control (§2.5 [K, DLT "Learn more, sample less", IEEE Trans. Inf.
 * Theory 2005]; §2.4.8 [S]): with target = n* > 0, simulated time (the
 * records' export times) is cut into windows [k·window, (k+1)·window)
 * aligned to the epoch. When a record of a later window arrives, the window
 * that ends is closed: with n_k records kept out of a non-empty input,
 *     f = clamp(n_k/n*, 1/max_step, max_step)^(1 - damping)
 * and every finite threshold is multiplied by f (damping = 0 is DLT's rule
 * z <- z·n_k/n*; the clamp [S] keeps a window that kept nothing, n_k = 0,
 * from sending z to 0). A window whose input was empty teaches nothing and
 * leaves the thresholds alone [S]; windows with no record at all are
 * skipped. With pow2 = yes the thresholds in force are the controller's
 * values rounded to the nearest power of two in log scale, so that each
 * fits in under a byte of a record [R FS node16]; the controller keeps
 * the unrounded value, so the thresholds alternate between neighbouring
 * powers of two and the record rate tracks the target on average (a
 * first-order sigma-delta in log z) instead of sticking up to a factor
 * sqrt(2) away from it. Because each window's thresholds depend only on
 * earlier decisions, r is fixed before a record's coin is drawn and the
 * estimates stay unbiased (the Horvitz-Thompson argument holds conditionally
 * on the past) [D].
 *
 * Resampling property [D, §2.5]: a record kept at threshold z (estimate
 * max(x, z)) and resampled with min(1, max(x, z)/z') for z' >= z is
 * distributed as if sampled at z' directly. The stage does not hold records
 * back, so it does not use the property for emergencies; it is why chaining
 * `|smart:zb=z1|smart:zb=z2` with z2 >= z1 equals `|smart:zb=z2` (tested).
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "algo.h"

typedef struct sm_params {
    uint64_t z, zb, zs, za;   /* UINT64_MAX = inf (term off) */
    uint64_t target;
    fs_ns    window;
    double   damping, max_step;
    int      pow2;
} sm_params;

#define P(f) offsetof(sm_params, f)
static const fs_param_def sm_params_def[] = {
    {"zb", FS_P_BYTES, P(zb), "inf", "bytes",
     "byte threshold z_b: the term B̂/zb of r (plain smart sampling: zb alone) [R FS node15]",
     0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"z", FS_P_BYTES, P(z), "inf", "bytes",
     "the threshold z of plain smart sampling, another name for zb (give one of the two) "
     "[R FS node15]", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"zs", FS_P_COUNT, P(zs), "inf", "packets",
     "packet threshold z_s: the term Ŝ/zs of r [R FS node15]", 0, 0, NULL,
     FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"za", FS_P_COUNT, P(za), "inf", "arrivals",
     "TCP flow-arrival threshold z_a: the term Â/za of r (Â = the meter's SYN estimator) "
     "[R FS node15]", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"target", FS_P_COUNT, P(target), "0", "records/window",
     "dynamic control: records to keep per window; the thresholds are multiplied by "
     "kept/target after each window; 0 = static thresholds [K DLT 2005, S]", 0, 0, NULL, 0},
    {"window", FS_P_DURATION, P(window), "60s", "s",
     "dynamic control: window of simulated (export) time, aligned to the epoch [S]", 0, 1e9,
     NULL, FS_PF_MIN_EXCL},
    {"damping", FS_P_REAL, P(damping), "0", "",
     "dynamic control: the factor kept/target is raised to 1 - damping (0 = DLT's "
     "undamped rule, 1 = thresholds never change) [S]", 0, 1, NULL, 0},
    {"max_step", FS_P_REAL, P(max_step), "8", "factor",
     "dynamic control: the per-window factor is clamped to [1/max_step, max_step], so a "
     "window that kept nothing divides the thresholds by max_step [S]", 1, 0, NULL, 0},
    {"pow2", FS_P_BOOL, P(pow2), "no", "",
     "thresholds in force are rounded to powers of two (FS codes them in under a byte of "
     "a record) [R FS node16]; the controller keeps the unrounded values", 0, 0, NULL, 0},
};
#undef P

enum { T_S, T_B, T_A };

typedef struct sm_state {
    sm_params    p;
    fs_stage_env env;
    double       zc[3];        /* controller values (INFINITY = term off)  */
    double       z[3];         /* thresholds in force                      */
    int64_t      win;          /* current window index                     */
    int          win_open;
    uint64_t     win_in, win_out;
    uint64_t     seen, kept, windows, windows_out;
    double       sum_r;        /* expected number of kept records          */
} sm_state;

static double thr(uint64_t v)
{
    return v == UINT64_MAX ? INFINITY : (double)v;
}

/* Nearest power of two in log scale (2^round(log2 z)). */
static double pow2_round(double z)
{
    if (!isfinite(z) || z <= 0)
        return z;
    return ldexp(1.0, (int)lround(log2(z)));
}

static void set_in_force(sm_state *s)
{
    for (int i = 0; i < 3; i++)
        s->z[i] = s->p.pow2 ? pow2_round(s->zc[i]) : s->zc[i];
}

static int sm_check(const void *params, char *err, size_t errlen)
{
    const sm_params *p = params;
    if (p->z != UINT64_MAX && p->zb != UINT64_MAX) {
        snprintf(err, errlen, "record stage smart: give z or zb (the same byte threshold), "
                              "not both");
        return -1;
    }
    if (p->z == UINT64_MAX && p->zb == UINT64_MAX && p->zs == UINT64_MAX &&
        p->za == UINT64_MAX) {
        snprintf(err, errlen, "record stage smart: no threshold: give zb (or z, bytes), zs "
                              "(packets) or za (TCP arrivals)");
        return -1;
    }
    return 0;
}

static int sm_init(void *st, const void *params, const fs_stage_env *env, char *err,
                   size_t errlen)
{
    sm_state *s = st;
    s->p = *(const sm_params *)params;
    s->env = *env;
    if (sm_check(&s->p, err, errlen))
        return -1;
    s->zc[T_S] = thr(s->p.zs);
    s->zc[T_B] = thr(s->p.z != UINT64_MAX ? s->p.z : s->p.zb);
    s->zc[T_A] = thr(s->p.za);
    set_in_force(s);
    return 0;
}

static int64_t window_of(fs_ns t, fs_ns len)
{
    return t >= 0 ? t / len : -((-t + len - 1) / len);
}

/* Closes the current window: the controller step described at the top. */
static void close_window(sm_state *s)
{
    s->windows++;
    s->windows_out += s->win_out;
    if (s->win_in == 0)
        return;
    double f = (double)s->win_out / (double)s->p.target;
    if (f < 1.0 / s->p.max_step)
        f = 1.0 / s->p.max_step;
    if (f > s->p.max_step)
        f = s->p.max_step;
    f = pow(f, 1.0 - s->p.damping);
    for (int i = 0; i < 3; i++)
        if (isfinite(s->zc[i]))
            s->zc[i] *= f;
    set_in_force(s);
}

static void roll_windows(sm_state *s, fs_ns t)
{
    int64_t k = window_of(t, s->p.window);
    if (s->win_open && k <= s->win)
        return;
    if (s->win_open)
        close_window(s);
    s->win = k;
    s->win_open = 1;
    s->win_in = s->win_out = 0;
}

static void sm_record(void *st, const fs_record *r)
{
    sm_state *s = st;
    s->seen++;
    if (s->p.target)
        roll_windows(s, r->exported);
    s->win_in++;
    double est[3];
    s->env.estimate(s->env.est_ctx, r, &est[T_S], &est[T_B], &est[T_A]);
    double x = 0;
    for (int i = 0; i < 3; i++)
        if (isfinite(s->z[i]))
            x += est[i] / s->z[i];
    /* r >= 1 (or a NaN estimate, a meter bug we do not hide by dropping):
     * the record passes unchanged without a draw. */
    if (!(x < 1.0)) {
        s->sum_r += 1.0;
        s->kept++;
        s->win_out++;
        s->env.emit(s->env.emit_ctx, r);
        return;
    }
    if (x <= 0)
        return;
    s->sum_r += x;
    if (gsl_rng_uniform(s->env.rng) < x) {
        fs_record c = *r;
        c.weight = r->weight / x;
        s->kept++;
        s->win_out++;
        s->env.emit(s->env.emit_ctx, &c);
    }
}

/* Estimands: Horvitz-Thompson per record keeps the sums unbiased; active
 * flows need one record per flow and bin (fs_estimands_record_sampled). */
static void sm_estimands(const void *params, const fs_binning *b, fs_estimand io[FS_Q__COUNT])
{
    (void)params;
    (void)b;
    fs_estimands_record_sampled(io);
}

static void sm_stats(const void *st, void (*fn)(void *, const char *, double), void *ctx)
{
    const sm_state *s = st;
    fn(ctx, "smart_records_in", (double)s->seen);
    fn(ctx, "smart_records_out", (double)s->kept);
    fn(ctx, "smart_expected_out", s->sum_r);
    fn(ctx, "smart_zs", s->z[T_S]);
    fn(ctx, "smart_zb", s->z[T_B]);
    fn(ctx, "smart_za", s->z[T_A]);
    fn(ctx, "smart_windows", (double)s->windows);
    fn(ctx, "smart_window_out_mean",
       s->windows ? (double)s->windows_out / (double)s->windows : NAN);
}

const fs_stage fs_stage_smart = {
    .abi = FS_ALGO_ABI,
    .name = "smart",
    .reweights = 1,
    .summary = "smart sampling of records: keep with r = min(1, Ŝ/zs + B̂/zb + Â/za), "
               "weight x 1/r; optional dynamic control of the thresholds",
    .notes = "Thresholds zb (alias z), zs, za default to inf (term off); at least one must be "
             "given. "
             "Threshold sampling (Duffield, Lund, Thorup, IMW 2001): plain form zb = z alone, "
             "keep min(1, x/z), estimate max(x, z), added variance x(z-x) per record and at "
             "most z*X on a total X [R FS node15, K, D; algorithms.md §2.5]. Multi-factor form "
             "of Flow Slices: r = min(1, Ŝ/zs + B̂/zb + Â/za) on the meter's whole-record "
             "estimates (earlier stages' weights included), kept records weigh 1/r, so "
             "bytes, packets and arrivals stay unbiased after any meter [R FS node15; FS "
             "writes ŝ, Table 3 defines zs on Ŝ and za on Â(1): we use Ŝ and the meter's "
             "primary arrival estimator]. Active-flow estimates of a meter with several "
             "records per flow and bin are biased up after this stage (any surviving record "
             "counts the flow with its weight). Dynamic control [K DLT 2005; S]: target>0 "
             "cuts export time into epoch-aligned windows; after a window with input, every "
             "threshold is multiplied by clamp(kept/target, 1/max_step, max_step)^(1-damping); "
             "an empty window changes nothing; pow2 rounds the thresholds in force to powers "
             "of two while the controller keeps unrounded values [R FS node16 for powers of "
             "two, S for the rest]. Thresholds depend only on the past, so estimates stay "
             "unbiased. Resampling property [D]: smart:zb=z1|smart:zb=z2 with z2>=z1 equals "
             "smart:zb=z2. Stats: smart_records_in/out, smart_expected_out (sum of r), final "
             "thresholds smart_zs/zb/za, smart_windows, smart_window_out_mean.",
    .params = sm_params_def,
    .nparams = sizeof sm_params_def / sizeof sm_params_def[0],
    .params_size = sizeof(sm_params),
    .state_size = sizeof(sm_state),
    .check = sm_check,
    .init = sm_init,
    .record = sm_record,
    .stats = sm_stats,
    .estimands = sm_estimands,
};
