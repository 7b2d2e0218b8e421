/* flowsim — packet selection (see sampler.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <xxhash.h>

#include "rng.h"

const char *const fs_samp_mode_names[] = {"none", "systematic", "random", "window", "hash", NULL};

/* Number of packets to skip before the next selected one when each packet
 * is selected independently with probability q: Geometric(q) - 1. */
static uint64_t geometric_skip(gsl_rng *r, double q)
{
    if (q >= 1.0)
        return 0;
    /* Inversion: floor(log(U) / log(1-q)), U in (0,1]; exact in
     * distribution and one uniform per selected packet. */
    double u = 1.0 - gsl_rng_uniform(r); /* (0, 1] */
    double k = floor(log(u) / log1p(-q));
    return k >= 1.8e19 ? UINT64_MAX : (uint64_t)k;
}

/* A whole number uniform on [0, m), m >= 1, without modulo bias: draws
 * below 2^64 mod m are rejected (fewer than one in 2^14 for m <= 2^50). */
static uint64_t uniform_below(gsl_rng *r, uint64_t m)
{
    uint64_t reject = (0 - m) % m;   /* 2^64 mod m */
    for (;;) {
        uint64_t x = fs_rng_u64(r);
        if (x >= reject)
            return x % m;
    }
}

/* Window selection, n of each block of N, by selection sampling (Knuth,
 * TAOCP vol. 2, 3.4.2, Algorithm S): the packet at position pos of its block
 * is taken with probability (picks left) / (positions left). Every n-subset
 * of the block is then equally likely, the block gets exactly n, and each
 * packet costs one draw and no memory, whatever n and N are. */
static int window_take(fs_sampler *s)
{
    uint64_t left = s->N - s->pos, want = s->n - s->npick;
    int take = want > 0 && uniform_below(s->rng, left) < want;
    s->npick += (uint64_t)take;
    if (++s->pos == s->N) {
        s->pos = 0;
        s->npick = 0;
    }
    return take;
}

int fs_sampler_init(fs_sampler *s, int mode, double rate, uint64_t n, gsl_rng *rng,
                    char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->rate = rate;
    s->rng = rng;
    if (mode == FS_SAMP_NONE) {
        s->rate = 1.0;
        return 0;
    }
    if (!(rate > 0 && rate <= 1)) {
        snprintf(err, errlen, "sampling rate %g is not in (0, 1]", rate);
        return -1;
    }
    if (mode == FS_SAMP_SYSTEMATIC || mode == FS_SAMP_WINDOW) {
        if (n == 0)
            n = 1;
        double N = (double)n / rate, r = nearbyint(N);
        if (fabs(N - r) > 1e-9 * r || r < (double)n || r > 1e15) {
            snprintf(err, errlen, "%s sampling needs n/rate = %g to be a whole number >= n",
                     fs_samp_mode_names[mode], N);
            return -1;
        }
        s->N = (uint64_t)r;
        s->n = n;
        if (mode == FS_SAMP_SYSTEMATIC) {
            if (n != 1) {
                snprintf(err, errlen, "systematic sampling selects 1 in N; n must be 1");
                return -1;
            }
            /* random phase in [0, N) */
            s->skip = (uint64_t)(gsl_rng_uniform(rng) * (double)s->N);
            if (s->skip >= s->N)
                s->skip = s->N - 1;
        }
    } else if (mode == FS_SAMP_RANDOM) {
        s->skip = geometric_skip(rng, rate);
    } else if (mode == FS_SAMP_HASH) {
        s->hash_seed = fs_rng_u64(rng);
        s->hash_limit = rate >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(rate, 64);
    }
    return 0;
}

void fs_sampler_free(fs_sampler *s)
{
    (void)s;   /* holds no memory; kept so that every init has its free */
}

int fs_sampler_take_slow(fs_sampler *s, const fs_pkt *p)
{
    switch (s->mode) {
    case FS_SAMP_RANDOM:
        s->skip = geometric_skip(s->rng, s->rate);
        return 1;
    case FS_SAMP_SYSTEMATIC:
        s->skip = s->N - 1;
        return 1;
    case FS_SAMP_WINDOW:
        return window_take(s);
    case FS_SAMP_HASH: {
        /* invariant fields: they do not change from hop to hop */
        struct {
            uint8_t src[16], dst[16];
            uint16_t sport, dport, ip_id;
            uint8_t proto, pad;
            uint32_t ip_len;
        } f;
        memset(&f, 0, sizeof f);
        memcpy(f.src, p->key.src, 16);
        memcpy(f.dst, p->key.dst, 16);
        f.sport = p->key.sport;
        f.dport = p->key.dport;
        f.ip_id = p->ip_id;
        f.proto = p->key.proto;
        f.ip_len = p->ip_len;
        uint64_t h = XXH3_64bits_withSeed(&f, sizeof f, s->hash_seed);
        return s->rate >= 1.0 || h < s->hash_limit;
    }
    default:
        return 1;
    }
}
