/* flowsim — the replicate generator (sim/rng.h): known answers of
 * splitmix64 and xoshiro256** against published reference outputs, the
 * seeding rule (the state is the first four splitmix64 outputs of the whole
 * 64-bit seed), the GSL interface (get = high 32 bits, get_double = high 53
 * bits times 2^-53), and seeds that differ only in their upper 32 bits
 * giving different streams (GSL's mt19937 keeps only the low 32 bits).
 *
 * Reference outputs:
 *   splitmix64, seed 1234567: Rosetta Code, "Pseudo-random numbers/
 *     Splitmix64" (the task's five published integers);
 *   splitmix64, seed 0: the first three outputs of Vigna's splitmix64.c,
 *     0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f;
 *   xoshiro256**, state {1, 2, 3, 4}: the ten outputs of Vigna's reference
 *     xoshiro256starstar.c that rand_xoshiro's test "reference" pins.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "rng.h"
#include "tf.h"

TEST(rng_splitmix64_known_answers)
{
    static const uint64_t want1234567[] = {
        UINT64_C(6457827717110365317), UINT64_C(3203168211198807973),
        UINT64_C(9817491932198370423), UINT64_C(4593380528125082431),
        UINT64_C(16408922859458223821)};
    uint64_t s = 1234567;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_U(fs_splitmix64(&s), want1234567[i]);
    static const uint64_t want0[] = {UINT64_C(0xe220a8397b1dcdaf), UINT64_C(0x6e789e6aa1b965f4),
                                     UINT64_C(0x06c45d188009454f)};
    s = 0;
    for (int i = 0; i < 3; i++)
        CHECK_EQ_U(fs_splitmix64(&s), want0[i]);
}

TEST(rng_xoshiro256ss_known_answers)
{
    static const uint64_t want[] = {
        UINT64_C(11520), UINT64_C(0), UINT64_C(1509978240), UINT64_C(1215971899390074240),
        UINT64_C(1216172134540287360), UINT64_C(607988272756665600),
        UINT64_C(16172922978634559625), UINT64_C(8476171486693032832),
        UINT64_C(10595114339597558777), UINT64_C(2904607092377533576)};
    uint64_t s[4] = {1, 2, 3, 4};
    for (int i = 0; i < 10; i++)
        CHECK_EQ_U(fs_xoshiro256ss_next(s), want[i]);
}

/* The GSL generator is xoshiro256** from the first four splitmix64 outputs
 * of the seed; get, get_double and fs_rng_u64 each take one output. */
TEST(rng_gsl_type_follows_the_seeding_rule)
{
    static const uint64_t seeds[] = {0, 1, 1234567, UINT64_C(0xffffffff00000000),
                                     UINT64_MAX};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        gsl_rng *r = fs_rng_alloc(seeds[k]);
        CHECK(r != NULL);
        if (!r)
            return;
        CHECK_STR(gsl_rng_name(r), "xoshiro256**");
        CHECK_EQ_U(gsl_rng_max(r), 0xffffffffu);
        CHECK_EQ_U(gsl_rng_min(r), 0);
        uint64_t sm = seeds[k], s[4];
        for (int i = 0; i < 4; i++)
            s[i] = fs_splitmix64(&sm);
        for (int i = 0; i < 300; i++) {
            uint64_t x = fs_xoshiro256ss_next(s);
            switch (i % 3) {
            case 0:
                CHECK_EQ_U(gsl_rng_get(r), x >> 32);
                break;
            case 1: {
                double u = gsl_rng_uniform(r);
                CHECK(u == (double)(x >> 11) / 9007199254740992.0);
                CHECK(u >= 0 && u < 1);
                break;
            }
            default:
                CHECK_EQ_U(fs_rng_u64(r), x);
            }
        }
        /* gsl_rng_set (an unsigned long seed, 64 bits here) seeds the same */
        if (sizeof(unsigned long) >= 8) {
            gsl_rng *q = gsl_rng_alloc(fs_rng_xoshiro256ss);
            gsl_rng_set(q, (unsigned long)seeds[k]);
            fs_rng_seed(r, seeds[k]);
            for (int i = 0; i < 8; i++)
                CHECK_EQ_U(gsl_rng_get(q), gsl_rng_get(r));
            gsl_rng_free(q);
        }
        gsl_rng_free(r);
    }
    /* the largest output gives the largest double below 1 */
    uint64_t top = UINT64_MAX;
    CHECK((double)(top >> 11) * 0x1.0p-53 < 1.0);
}

/* Seeds that differ only in the upper 32 bits: different streams here,
 * identical under mt19937 (the defect this generator replaces). */
TEST(rng_upper_seed_bits_matter)
{
    static const uint64_t lows[] = {1, 42, 0xdeadbeef};
    for (size_t k = 0; k < sizeof lows / sizeof lows[0]; k++)
        for (uint64_t hi = 1; hi <= 3; hi++) {
            uint64_t a = lows[k], b = lows[k] + (hi << 32);
            gsl_rng *ra = fs_rng_alloc(a), *rb = fs_rng_alloc(b);
            int same = 0;
            for (int i = 0; i < 64; i++)
                same += gsl_rng_get(ra) == gsl_rng_get(rb);
            /* independent 32-bit words agree with probability 2^-32 each */
            CHECK(same <= 1);
            gsl_rng_free(ra);
            gsl_rng_free(rb);
            gsl_rng *ma = gsl_rng_alloc(gsl_rng_mt19937), *mb = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(ma, (unsigned long)a);
            gsl_rng_set(mb, (unsigned long)b);
            int msame = 0;
            for (int i = 0; i < 64; i++)
                msame += gsl_rng_get(ma) == gsl_rng_get(mb);
            CHECK_EQ_I(msame, 64);   /* the defect: only the low 32 bits count */
            gsl_rng_free(ma);
            gsl_rng_free(mb);
        }
}

/* fs_rng_u64 of another GSL generator: two 32-bit gets, high word first. */
TEST(rng_u64_of_other_generators)
{
    gsl_rng *a = gsl_rng_alloc(gsl_rng_mt19937), *b = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(a, 7);
    gsl_rng_set(b, 7);
    for (int i = 0; i < 16; i++) {
        uint64_t hi = gsl_rng_get(b), lo = gsl_rng_get(b);
        CHECK_EQ_U(fs_rng_u64(a), hi << 32 | lo);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
}

/* gsl_rng_uniform over N = 2^20 draws: mean 1/2 and variance 1/12 within
 * 4.5 standard errors (sd of the mean sqrt(1/12/N); of the sample variance
 * sqrt(1/180/N), the variance of (U - 1/2)^2 being 1/80 - 1/144 = 1/180);
 * and the 16 values of the top 4 bits of gsl_rng_get equally frequent
 * (chi-square, 15 df, below 44.3: p = 1e-4). Seed pinned. */
TEST(rng_uniform_moments)
{
    const int N = 1 << 20;
    gsl_rng *r = fs_rng_alloc(20261208);
    double s = 0, ss = 0;
    for (int i = 0; i < N; i++) {
        double u = gsl_rng_uniform(r);
        s += u;
        ss += (u - 0.5) * (u - 0.5);
    }
    CHECK_NEAR(s / N, 0.5, 4.5 * sqrt(1.0 / 12 / N));
    CHECK_NEAR(ss / N, 1.0 / 12, 4.5 * sqrt(1.0 / 180 / N));
    long cnt[16] = {0};
    for (int i = 0; i < N; i++)
        cnt[gsl_rng_get(r) >> 28]++;
    double chi2 = 0, e = N / 16.0;
    for (int i = 0; i < 16; i++)
        chi2 += (cnt[i] - e) * (cnt[i] - e) / e;
    CHECK(chi2 < 44.3);
    gsl_rng_free(r);
}
