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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void window_draw(fs_sampler *s)
{
    /* n distinct positions of 0..N-1, uniformly (Floyd's algorithm would
     * avoid the array, but n is small and sorting keeps it simple). */
    uint64_t k = 0;
    while (k < s->n) {
        uint64_t c = (uint64_t)(gsl_rng_uniform(s->rng) * (double)s->N);
        if (c >= s->N)
            c = s->N - 1;
        int dup = 0;
        for (uint64_t i = 0; i < k; i++)
            if (s->picks[i] == c) { dup = 1; break; }
        if (!dup)
            s->picks[k++] = c;
    }
    qsort(s->picks, (size_t)s->n, sizeof *s->picks, cmp_u64);
    s->npick = 0;
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
        } else {
            s->picks = malloc((size_t)n * sizeof *s->picks);
            if (!s->picks) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            window_draw(s);
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
    free(s->picks);
    s->picks = NULL;
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
    case FS_SAMP_WINDOW: {
        int take = s->npick < s->n && s->picks[s->npick] == s->pos;
        if (take)
            s->npick++;
        if (++s->pos == s->N) {
            s->pos = 0;
            window_draw(s);
        }
        return take;
    }
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
