/* parsweep — counter-based randomness for the random designs (internal).
 *
 * Sample i must be a pure function of (spec, seed, i), computed by any
 * worker in any order, in memory that does not grow with N. So there is no
 * sequential generator state shared across samples: every (parameter,
 * index) pair gets its own short GSL stream, and Latin hypercube strata
 * come from a keyed permutation evaluated per index. */
#ifndef PSW_SWEEP_DESIGN_RANDOM_H
#define PSW_SWEEP_DESIGN_RANDOM_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* A 64-bit integer hash with full avalanche (the SplitMix64 finalizer). */
uint64_t psw__mix64(uint64_t x);

/* The key of one parameter's streams: depends on the seed and the
 * parameter's name (not its position), so adding or reordering parameters
 * leaves the others' samples unchanged. */
uint64_t psw__param_key(uint64_t seed, const char *name);

/* A keyed bijection of [0, n), n >= 1: a balanced Feistel network on the
 * smallest even number of bits b >= 2 with 2^b >= n, plus cycle walking
 * (re-apply until the value falls below n). The network is a bijection of
 * [0, 2^b); cycle walking restricts a bijection to a subset and stays a
 * bijection (Black & Rogaway, "Ciphers with arbitrary finite domains",
 * 2002). Since 2^b < 4n, the expected number of walks is below 4. O(1)
 * memory: no table of n entries is ever built. */
#define PSW__PERM_ROUNDS 6
typedef struct psw__perm {
  uint64_t n;
  unsigned half; /* bits per Feistel half */
  uint64_t mask; /* (1 << half) - 1 */
  uint64_t rk[PSW__PERM_ROUNDS];
} psw__perm_t;

void psw__perm_init(psw__perm_t *p, uint64_t n, uint64_t key);
uint64_t psw__perm_apply(const psw__perm_t *p, uint64_t x);

/* Seed `r` (a gsl_rng_taus2) with the stream of sample i under `key`.
 * GSL generators take at most 32 bits of seed, so a hash of (key, i) would
 * give two of N samples the same stream with probability ~N^2/2^33 (about
 * one pair per 10^5 samples). Instead the seed is a keyed permutation of
 * the low 32 bits of i (its high bits choose the key): within a block of
 * 2^32 indices no two samples share a seed. taus2_set folds a handful of
 * its 2^32 seeds together (0 and 1, those whose LCG image is < 2); that is
 * the only overlap. */
void psw__stream_seed(gsl_rng *r, uint64_t key, uint64_t i);

/* A uniform double in [0, 1) with 53 random bits, from two 32-bit draws
 * (gsl_rng_uniform has only 32: with 10^6 samples ~100 values would
 * repeat). Requires gsl_rng_min == 0 and gsl_rng_max == 2^32 - 1. */
double psw__stream_u53(gsl_rng *r);

#endif /* PSW_SWEEP_DESIGN_RANDOM_H */
