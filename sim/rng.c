/* flowsim — xoshiro256** as a GSL generator type (see rng.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "rng.h"

uint64_t fs_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t fs_xoshiro256ss_next(uint64_t s[4])
{
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

typedef struct xs_state {
    uint64_t s[4];
} xs_state;

static void xs_seed64(xs_state *x, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        x->s[i] = fs_splitmix64(&sm);
    /* never all zero: see rng.h */
}

static void xs_set(void *vstate, unsigned long seed)
{
    xs_seed64(vstate, (uint64_t)seed);
}

static unsigned long xs_get(void *vstate)
{
    return (unsigned long)(fs_xoshiro256ss_next(((xs_state *)vstate)->s) >> 32);
}

static double xs_get_double(void *vstate)
{
    return (double)(fs_xoshiro256ss_next(((xs_state *)vstate)->s) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xs_type = {
    "xoshiro256**", 0xffffffffUL, 0, sizeof(xs_state), xs_set, xs_get, xs_get_double,
};
const gsl_rng_type *fs_rng_xoshiro256ss = &xs_type;

gsl_rng *fs_rng_alloc(uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(fs_rng_xoshiro256ss);
    if (r)
        fs_rng_seed(r, seed);
    return r;
}

void fs_rng_seed(gsl_rng *r, uint64_t seed)
{
    xs_seed64(r->state, seed);
}

uint64_t fs_rng_u64(gsl_rng *r)
{
    if (r->type == fs_rng_xoshiro256ss)
        return fs_xoshiro256ss_next(((xs_state *)r->state)->s);
    uint64_t hi = gsl_rng_get(r) & 0xffffffffu;
    uint64_t lo = gsl_rng_get(r) & 0xffffffffu;
    return hi << 32 | lo;
}
