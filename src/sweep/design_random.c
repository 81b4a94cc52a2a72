/* parsweep — counter-based randomness for the random designs.
 * See design_random.h for why each piece is built the way it is. */
#include "design_random.h"

uint64_t psw__mix64(uint64_t x) {
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

uint64_t psw__param_key(uint64_t seed, const char *name) {
  /* FNV-1a folds the name to 64 bits; mix64 then spreads it. */
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    h = (h ^ *c) * UINT64_C(0x100000001b3);
  return psw__mix64(psw__mix64(seed ^ UINT64_C(0x5053575f53454544)) ^
                    psw__mix64(h));
}

void psw__perm_init(psw__perm_t *p, uint64_t n, uint64_t key) {
  unsigned bits = 2;
  while (bits < 64 && (UINT64_C(1) << bits) < n)
    bits += 2;
  p->n = n;
  p->half = bits / 2;
  p->mask = p->half == 32 ? UINT64_C(0xffffffff) : (UINT64_C(1) << p->half) - 1;
  for (unsigned r = 0; r < PSW__PERM_ROUNDS; r++)
    p->rk[r] = psw__mix64(key + UINT64_C(0x632be59bd9b4e019) * (r + 1));
}

static uint64_t feistel(const psw__perm_t *p, uint64_t x) {
  uint64_t l = (x >> p->half) & p->mask, r = x & p->mask;
  for (unsigned k = 0; k < PSW__PERM_ROUNDS; k++) {
    uint64_t f = psw__mix64(r ^ p->rk[k]) & p->mask;
    uint64_t t = l ^ f;
    l = r;
    r = t;
  }
  return (l << p->half) | r;
}

uint64_t psw__perm_apply(const psw__perm_t *p, uint64_t x) {
  /* x < n on entry; the orbit of x under the bijection returns to x, so the
   * loop ends, on average after fewer than 4 steps. */
  do
    x = feistel(p, x);
  while (x >= p->n);
  return x;
}

void psw__stream_seed(gsl_rng *r, uint64_t key, uint64_t i) {
  psw__perm_t p;
  psw__perm_init(&p, UINT64_C(1) << 32, psw__mix64(key ^ psw__mix64(i >> 32)));
  gsl_rng_set(r, (unsigned long)feistel(&p, i & UINT64_C(0xffffffff)));
}

double psw__stream_u53(gsl_rng *r) {
  /* 27 + 26 bits, the construction of MT19937's genrand_res53. */
  uint64_t a = gsl_rng_get(r) >> 5, b = gsl_rng_get(r) >> 6;
  return (double)((a << 26) | b) * 0x1p-53;
}
