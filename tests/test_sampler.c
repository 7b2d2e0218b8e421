/* flowsim — window packet selection (sim/sampler.c): n of every block of N
 * consecutive packets, without replacement, each n-subset equally likely.
 *
 * Exact: every block gets exactly n packets. Statistical, over B blocks of
 * N = 10, n = 3 (seed pinned): the count of blocks in which position i is
 * taken is Binomial(B, n/N), and the count in which both positions i < j are
 * taken is Binomial(B, n(n-1)/(N(N-1))), the pair probability of a uniform
 * n-subset (the marginals alone would not tell a uniform subset from, say, a
 * random run of n consecutive positions). Each count must be within
 * 4.5 sigma of its mean: 55 checks at a two-sided normal tail of 7e-6 each,
 * so a correct sampler fails with probability below 4e-4.
 * Cost: huge n and N (psamp_n = 1e9) need no memory and no work per block,
 * so the first packets of such a window are selected at once.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "rng.h"
#include "sampler.h"
#include "tf.h"

#define WN 10
#define WK 3
#define BLOCKS 20000

TEST(sampler_window_uniform_subsets)
{
    gsl_rng *r = fs_rng_alloc(1);
    CHECK(r != NULL);
    fs_sampler s;
    char err[256];
    CHECK_EQ_I(fs_sampler_init(&s, FS_SAMP_WINDOW, (double)WK / WN, WK, r, err, sizeof err), 0);
    fs_pkt p;
    memset(&p, 0, sizeof p);
    static double one[WN], two[WN][WN];
    int exact = 1;
    for (int b = 0; b < BLOCKS; b++) {
        int took[WN], n = 0;
        for (int i = 0; i < WN; i++) {
            took[i] = fs_sampler_take(&s, &p);
            n += took[i];
        }
        exact &= n == WK;
        for (int i = 0; i < WN; i++) {
            one[i] += took[i];
            for (int j = i + 1; j < WN; j++)
                two[i][j] += took[i] && took[j];
        }
    }
    CHECK(exact);
    double p1 = (double)WK / WN, p2 = (double)WK * (WK - 1) / (WN * (WN - 1));
    for (int i = 0; i < WN; i++) {
        CHECK_NEAR(one[i], BLOCKS * p1, 4.5 * sqrt(BLOCKS * p1 * (1 - p1)));
        for (int j = i + 1; j < WN; j++)
            CHECK_NEAR(two[i][j], BLOCKS * p2, 4.5 * sqrt(BLOCKS * p2 * (1 - p2)));
    }
    fs_sampler_free(&s);
    gsl_rng_free(r);
}

/* psamp=window,psamp_n=1e9 (N = 2e9 at rate 1/2): a million packets of the
 * first block are decided one draw each; about half are taken (the count is
 * hypergeometric, sd below 500: a 4.5 sigma band of +-2250). */
TEST(sampler_window_huge_n)
{
    gsl_rng *r = fs_rng_alloc(2);
    CHECK(r != NULL);
    fs_sampler s;
    char err[256];
    CHECK_EQ_I(fs_sampler_init(&s, FS_SAMP_WINDOW, 0.5, 1000000000, r, err, sizeof err), 0);
    CHECK_EQ_U(s.N, 2000000000);
    fs_pkt p;
    memset(&p, 0, sizeof p);
    double n = 0;
    for (int i = 0; i < 1000000; i++)
        n += fs_sampler_take(&s, &p);
    CHECK_NEAR(n, 500000, 2250);
    fs_sampler_free(&s);
    gsl_rng_free(r);
}
