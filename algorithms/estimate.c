/* flowsim — estimator helpers shared by algorithms: apportioning a record
 * over analysis bins (algorithms.md §2.1, "binning error" options A and B).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include "algo.h"

const char *const fs_apportion_names[] = {"split", "last", "first", NULL};

void fs_apportion(const fs_record *r, const fs_binning *b, int how,
                  const fs_contrib *whole, fs_contrib_fn fn, void *ctx)
{
    int64_t k0 = fs_bin_of(b, r->first), k1 = fs_bin_of(b, r->last);
    fs_contrib c = *whole;
    c.cov_pkts = whole->var_pkts;   /* one bin: the whole record */
    c.cov_bytes = whole->var_bytes;
    if (k0 == k1 || how != FS_APPORTION_SPLIT) {
        int64_t k = how == FS_APPORTION_FIRST ? k0 : k1;
        if (k != k0 && how == FS_APPORTION_LAST) {
            /* arrivals belong with the first packet even when the counts go
             * to the last bin */
            c.flow_ts = fs_bin_start(b, k);
            fs_contrib a = {0};
            a.var_pkts = a.var_bytes = 0;
            a.cov_pkts = a.cov_bytes = 0;
            a.flows = 0;
            a.flow_ts = FS_NS_INF;
            a.arrivals = c.arrivals;
            a.arrivals_alt = c.arrivals_alt;
            c.arrivals = 0;
            c.arrivals_alt = isnan(c.arrivals_alt) ? NAN : 0;
            fn(ctx, k0, &a);
        } else {
            c.flow_ts = r->first;
        }
        fn(ctx, k, &c);
        return;
    }
    /* Proportional split of [first, last] over bins k0..k1: to a span
     * receiver in one call, else bin by bin. */
    if (fn == fs_span_contrib) {
        const fs_span_sink *sk = ctx;
        sk->span(ctx, r, k0, k1, whole);
        return;
    }
    for (int64_t k = k0; k <= k1; k++) {
        fs_apportion_share(r, b, whole, k, &c);
        fn(ctx, k, &c);
    }
}

void fs_apportion_share(const fs_record *r, const fs_binning *b, const fs_contrib *whole,
                        int64_t k, fs_contrib *c)
{
    int64_t k0 = fs_bin_of(b, r->first);
    double span = (double)(r->last - r->first);
    fs_ns lo = fs_bin_start(b, k), hi = fs_bin_end(b, k);
    if (lo < r->first)
        lo = r->first;
    if (hi > r->last)
        hi = r->last;
    double f = (double)(hi - lo) / span;
    *c = *whole;
    c->pkts = whole->pkts * f;
    c->bytes = whole->bytes * f;
    /* Var(fX) = f^2 Var(X) */
    c->var_pkts = whole->var_pkts * f * f;
    c->var_bytes = whole->var_bytes * f * f;
    /* Cov(fX, X) = f Var(X): the shares sum to the record's variance */
    c->cov_pkts = whole->var_pkts * f;
    c->cov_bytes = whole->var_bytes * f;
    c->flows = whole->flows;
    c->flow_ts = lo;
    c->arrivals = k == k0 ? whole->arrivals : 0;
    c->arrivals_alt = k == k0 ? whole->arrivals_alt
                              : (isnan(whole->arrivals_alt) ? NAN : 0);
}

void fs_span_contrib(void *ctx, int64_t bin, const fs_contrib *c)
{
    const fs_span_sink *sk = ctx;
    sk->bin(ctx, bin, c);
}
