/* parsweep — the set of samples already recorded, as sorted runs. */
#include "doneset.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsweep/error.h"

uint64_t psw__mem_budget(void) {
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  uint64_t mem = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz
                                      : (uint64_t)8 << 30;
  return mem / 8;
}

size_t psw__doneset_default_max(void) {
  return (size_t)(psw__mem_budget() / sizeof(psw_span_t));
}

void psw__doneset_init(psw_doneset_t *d, size_t max_runs) {
  memset(d, 0, sizeof *d);
  d->max = max_runs ? max_runs : psw__doneset_default_max();
}

void psw__doneset_free(psw_doneset_t *d) {
  if (!d)
    return;
  free(d->s);
  d->s = NULL;
  d->len = d->cap = 0;
  d->count = 0;
}

/* The first run whose hi is > i (len if none). */
static size_t upper(const psw_doneset_t *d, uint64_t i) {
  size_t a = 0, b = d->len;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (d->s[m].hi <= i)
      a = m + 1;
    else
      b = m;
  }
  return a;
}

int psw__doneset_has(const psw_doneset_t *d, uint64_t i) {
  if (!d || !d->len)
    return 0;
  size_t k = upper(d, i);
  return k < d->len && d->s[k].lo <= i;
}

static int grow(psw_doneset_t *d) {
  if (d->len < d->cap)
    return 0;
  if (d->len >= d->max)
    return PSW_ERR_BUSY;
  size_t cap = d->cap ? d->cap * 2 : 16;
  if (cap > d->max)
    cap = d->max;
  psw_span_t *s = realloc(d->s, cap * sizeof *s);
  if (!s)
    return PSW_ERR_NOMEM;
  d->s = s;
  d->cap = cap;
  return 0;
}

int psw__doneset_add(psw_doneset_t *d, uint64_t lo, uint64_t hi) {
  if (lo >= hi)
    return 0;
  psw_span_t *last = d->len ? &d->s[d->len - 1] : NULL;
  if (!last || lo > last->hi) { /* after everything: append */
    int rc = grow(d);
    if (rc)
      return rc;
    d->s[d->len++] = (psw_span_t){lo, hi};
    d->count += hi - lo;
    return 0;
  }
  /* Runs [k, e) touch or overlap [lo, hi): they merge into one. */
  size_t k = lo ? upper(d, lo - 1) : 0, e = k;
  while (e < d->len && d->s[e].lo <= hi)
    e++;
  if (k == e) { /* a new run before run k */
    int rc = grow(d);
    if (rc)
      return rc;
    memmove(&d->s[k + 1], &d->s[k], (d->len - k) * sizeof *d->s);
    d->s[k] = (psw_span_t){lo, hi};
    d->len++;
    d->count += hi - lo;
    return 0;
  }
  psw_span_t m = {d->s[k].lo < lo ? d->s[k].lo : lo,
                  d->s[e - 1].hi > hi ? d->s[e - 1].hi : hi};
  for (size_t j = k; j < e; j++)
    d->count -= d->s[j].hi - d->s[j].lo;
  d->count += m.hi - m.lo;
  d->s[k] = m;
  memmove(&d->s[k + 1], &d->s[e], (d->len - e) * sizeof *d->s);
  d->len -= e - k - 1;
  return 0;
}

size_t psw__doneset_packed_size(const psw_doneset_t *d) {
  return d->len * 2 * sizeof(uint64_t);
}

static void put64(unsigned char *p, uint64_t v) {
  for (int b = 0; b < 8; b++)
    p[b] = (unsigned char)(v >> (8 * b));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int b = 0; b < 8; b++)
    v |= (uint64_t)p[b] << (8 * b);
  return v;
}

void psw__doneset_pack(const psw_doneset_t *d, void *out) {
  unsigned char *p = out;
  for (size_t k = 0; k < d->len; k++, p += 16) {
    put64(p, d->s[k].lo);
    put64(p + 8, d->s[k].hi);
  }
}

int psw__doneset_unpack(psw_doneset_t *d, const void *in, size_t len,
                        uint64_t n) {
  const unsigned char *p = in;
  uint64_t prev = 0;
  if (len % 16)
    return PSW_ERR_PARSE;
  for (size_t k = 0; k < len / 16; k++, p += 16) {
    uint64_t lo = get64(p), hi = get64(p + 8);
    if (lo >= hi || hi > n || (k && lo <= prev))
      return PSW_ERR_PARSE;
    int rc = psw__doneset_add(d, lo, hi);
    if (rc)
      return rc;
    prev = hi;
  }
  return 0;
}
