/* flowsim — packet selection (PSAMP terms, RFC 5475 §5):
 *   systematic  count-based 1-in-N: every N-th packet, from a random phase
 *               drawn once per replicate (so each packet's inclusion
 *               probability over replicates is exactly 1/N);
 *   random      uniform probabilistic 1-in-N (n = 1) with independent
 *               decisions, drawn by geometric skips: the gap to the next
 *               selected packet ~ Geometric(1/N), the same distribution as a
 *               coin per packet at a fraction of the cost;
 *   window      random n-of-N: n packets chosen without replacement in each
 *               consecutive block of N, by selection sampling (each packet
 *               taken with probability picks left / packets left in its
 *               block), so one draw per packet and no memory for any n, N;
 *   hash        hash-based selection on invariant header fields (addresses,
 *               protocol, ports, IPv4 identification, IP total length) with a
 *               per-replicate hash seed; selects the packet when the hash
 *               falls in a range of size rate * 2^64. Deterministic per packet:
 *               the same packet is selected or not wherever it is seen, which
 *               is its purpose (trajectory sampling), and decisions are not
 *               independent across packets with equal fields.
 * The inclusion probability of every packet is `rate` in all modes.
 */
#ifndef FS_SAMPLER_H
#define FS_SAMPLER_H

#include <gsl/gsl_rng.h>
#include "fs.h"

enum fs_samp_mode { FS_SAMP_NONE, FS_SAMP_SYSTEMATIC, FS_SAMP_RANDOM, FS_SAMP_WINDOW, FS_SAMP_HASH };
extern const char *const fs_samp_mode_names[]; /* NULL-terminated, enum order */

typedef struct fs_sampler {
    int      mode;
    double   rate;        /* inclusion probability                        */
    uint64_t N, n;        /* block size and picks per block (window/systematic) */
    uint64_t skip;        /* random/systematic: packets to skip before next pick */
    uint64_t pos;         /* window: position in the current block        */
    uint64_t npick;       /* window: packets taken so far in this block   */
    uint64_t hash_seed, hash_limit;
    gsl_rng *rng;
} fs_sampler;

/* rate in (0,1]; for systematic and window, 1/rate must be a whole number N
 * (window picks n = rate*N... n is given separately: rate = n/N). Returns 0
 * or -1 with a message. */
int  fs_sampler_init(fs_sampler *s, int mode, double rate, uint64_t n, gsl_rng *rng,
                     char *err, size_t errlen);
void fs_sampler_free(fs_sampler *s);
int  fs_sampler_take_slow(fs_sampler *s, const fs_pkt *p);

/* 1 if the packet is selected. Inline fast path for the skip-based modes. */
static inline int fs_sampler_take(fs_sampler *s, const fs_pkt *p)
{
    if (s->mode == FS_SAMP_NONE)
        return 1;
    if (s->mode == FS_SAMP_RANDOM || s->mode == FS_SAMP_SYSTEMATIC) {
        if (s->skip) {
            s->skip--;
            return 0;
        }
    }
    return fs_sampler_take_slow(s, p);
}

/* Passes over up to n packets that are certainly not selected, as n calls of
 * fs_sampler_take returning 0 would, and returns how many (0 when the next
 * packet may be selected, or the mode decides per packet). */
static inline uint64_t fs_sampler_pass(fs_sampler *s, uint64_t n)
{
    if (s->mode != FS_SAMP_RANDOM && s->mode != FS_SAMP_SYSTEMATIC)
        return 0;
    uint64_t m = s->skip < n ? s->skip : n;
    s->skip -= m;
    return m;
}

#endif
