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

/* Seconds of work a worker takes in one chunk at most, once its pace is
 * known. Guided chunks alone can be long when the slow tasks are clustered
 * (a first chunk of N/(2P) indices may hold all of them); a cap by time
 * keeps every worker's chunk short wherever the slow tasks are. */
#define PSW_CHUNK_TARGET_S 0.005

/* The most indices a worker should take next, from the seconds per task
 * of its last chunk: PSW_CHUNK_TARGET_S worth, at least 1; no cap
 * (UINT64_MAX) while the pace is unknown or too fast to measure. */
uint64_t psw__chunk_cap(double secs_per_task);

/* The chunk actually taken: guided size c, at most `cap`, never below
 * min_chunk (the caller's floor wins), never above `remaining`. */
uint64_t psw__chunk_fit(uint64_t c, uint64_t cap, uint64_t min_chunk,
                        uint64_t remaining);

#endif /* PSW_CORE_SCHED_H */
