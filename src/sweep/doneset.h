/* parsweep — the set of samples already recorded (--resume), as sorted
 * runs of indices (internal).
 *
 * A bitmap of N bits was 125 GB for 10^12 samples, allocated before
 * anything was read. A sweep records its samples nearly in index order
 * (indices are handed out in order, within a window), so what an
 * interrupted run leaves is a prefix and a ragged edge per interruption: a
 * few runs, whatever N is. Memory follows the number of runs, with a cap
 * (psw__doneset_init) so that a pathological file (every other sample)
 * is refused with a reason instead of exhausting the machine. */
#ifndef PSW_SWEEP_DONESET_H
#define PSW_SWEEP_DONESET_H

#include <stddef.h>
#include <stdint.h>

typedef struct psw_span {
  uint64_t lo, hi; /* [lo, hi) */
} psw_span_t;

typedef struct psw_doneset {
  psw_span_t *s; /* sorted, disjoint, not adjacent */
  size_t len, cap;
  size_t max;     /* the most runs it may hold */
  uint64_t count; /* indices in the set */
} psw_doneset_t;

/* An empty set that may grow to `max_runs` runs (0: the default, an
 * eighth of the physical memory). */
void psw__doneset_init(psw_doneset_t *d, size_t max_runs);

/* The most memory one map of samples may take: an eighth of the physical
 * memory (a sweep's bookkeeping must leave the machine to its models). */
uint64_t psw__mem_budget(void);

/* The default cap of psw__doneset_init: psw__mem_budget() in runs. */
size_t psw__doneset_default_max(void);

/* Add [lo, hi): O(1) when it starts at or after every index in the set
 * (the order the scans produce), O(runs) otherwise. Returns 0,
 * PSW_ERR_NOMEM, or PSW_ERR_BUSY when the set would need more than `max`
 * runs (nothing changed). */
int psw__doneset_add(psw_doneset_t *d, uint64_t lo, uint64_t hi);

/* Is i in the set? O(log runs); safe from several threads. */
int psw__doneset_has(const psw_doneset_t *d, uint64_t i);

/* Free the runs (the struct itself is the caller's). Accepts NULL. */
void psw__doneset_free(psw_doneset_t *d);

/* Bytes of psw__doneset_pack(d). */
size_t psw__doneset_packed_size(const psw_doneset_t *d);

/* The runs as little-endian uint64 pairs into out (for the elastic
 * workers); psw__doneset_unpack reads them back into an initialised empty
 * set (PSW_ERR_PARSE: not a multiple of 16 bytes, not sorted, or beyond
 * n). */
void psw__doneset_pack(const psw_doneset_t *d, void *out);
int psw__doneset_unpack(psw_doneset_t *d, const void *in, size_t len,
                        uint64_t n);

#endif /* PSW_SWEEP_DONESET_H */
