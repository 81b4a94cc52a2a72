/* parsweep — chunk sizes of guided self-scheduling (internal, pure). */
#ifndef PSW_CORE_SCHED_H
#define PSW_CORE_SCHED_H

#include <stdint.h>

/* Size of the next chunk to hand out when `remaining` indices are left and
 * `workers` workers share them: remaining / (2 * workers), clamped to
 * [min_chunk, remaining]. Shrinks toward the end so that the last chunks
 * are small and no worker is left idle behind one long chunk. Returns 0 only
 * when remaining is 0. */
uint64_t psw__chunk_size(uint64_t remaining, int workers, uint64_t min_chunk);

#endif /* PSW_CORE_SCHED_H */
