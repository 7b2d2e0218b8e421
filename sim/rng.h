/* flowsim — the random generator of every replicate: xoshiro256**
 * (Blackman and Vigna, 2018) as a GSL generator type, seeded with all 64
 * bits of a seed through splitmix64 (Steele, Lea and Flood, 2014).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * GSL's mt19937 keeps only the low 32 bits of its unsigned long seed, so
 * two 64-bit seeds that differ only in their upper half gave the same
 * stream (tests/test_rng.c shows it). Here the four words of
 * the xoshiro256** state are the first four splitmix64 outputs from the
 * 64-bit seed, so every seed bit matters. splitmix64's output is a
 * bijection of its state, and its four states differ, so at most one of the
 * four words is zero: the state is never the all-zero one xoshiro must
 * avoid.
 *
 * As a gsl_rng_type, the generator works with gsl_rng_uniform, the gsl_ran_*
 * distributions and gsl_rng_uniform_int:
 *   get         the high 32 bits of one 64-bit output (min 0, max 2^32-1,
 *               like mt19937, so callers that combine two gets still work);
 *   get_double  the high 53 bits of one output times 2^-53: in [0, 1), every
 *               multiple of 2^-53 equally likely.
 * fs_rng_u64 gives a whole 64-bit output. */
#ifndef FS_RNG_H
#define FS_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* The rule written into each run's manifest ("rng"), and into the sidecar
 * of a generated trace. */
#define FS_RNG_RULE "xoshiro256** seeded by splitmix64 of the replicate seed"
#define FS_RNG_GEN_RULE "xoshiro256** seeded by splitmix64 of the seed"

extern const gsl_rng_type *fs_rng_xoshiro256ss;

/* A generator of type fs_rng_xoshiro256ss seeded with seed; NULL if memory
 * is short. Free it with gsl_rng_free. */
gsl_rng *fs_rng_alloc(uint64_t seed);

/* Reseeds r (of type fs_rng_xoshiro256ss) with all 64 bits of seed. */
void fs_rng_seed(gsl_rng *r, uint64_t seed);

/* 64 random bits: one whole output of an fs_rng_xoshiro256ss generator; of
 * any other GSL generator, two gsl_rng_get calls (high word first), which
 * assumes 32 bits per call. */
uint64_t fs_rng_u64(gsl_rng *r);

/* splitmix64: advances *state and returns its next output. */
uint64_t fs_splitmix64(uint64_t *state);

/* The raw xoshiro256** step on a four-word state (not all zero). */
uint64_t fs_xoshiro256ss_next(uint64_t s[4]);

#endif
