/* parsweep — guided self-scheduling chunk sizes. */
#include "core/sched.h"

uint64_t psw__chunk_size(uint64_t remaining, int workers, uint64_t min_chunk) {
  if (remaining == 0)
    return 0;
  if (workers < 1)
    workers = 1;
  if (min_chunk < 1)
    min_chunk = 1;
  /* Half of a fair share: the first chunks are large (few trips to the
   * shared counter) and the last ones small (little left to wait for). */
  uint64_t c = remaining / (2 * (uint64_t)workers);
  if (c < min_chunk)
    c = min_chunk;
  if (c > remaining)
    c = remaining;
  return c;
}

uint64_t psw__chunk_cap(double secs_per_task) {
  if (!(secs_per_task > 0))
    return UINT64_MAX;
  double n = PSW_CHUNK_TARGET_S / secs_per_task;
  if (n < 1)
    return 1;
  return n >= 1e18 ? UINT64_MAX : (uint64_t)n;
}

uint64_t psw__chunk_fit(uint64_t c, uint64_t cap, uint64_t min_chunk,
                        uint64_t remaining) {
  if (c > cap)
    c = cap;
  if (c < min_chunk)
    c = min_chunk;
  return c > remaining ? remaining : c;
}
