/* parsweep — record rings of psw_for_ex in a shared-memory group (internal).
 *
 * Each worker owns a single-producer single-consumer ring laid over its
 * staging slot (free during a loop: tasks cannot call collectives). The
 * consumer is a collector thread on local rank 0 that hands every record to
 * the sink. Entries are [uint64 index][record], 8-byte aligned. */
#ifndef PSW_SHM_RING_H
#define PSW_SHM_RING_H

#include <pthread.h>

#include "backend.h"
#include "shm/group.h"

struct psw_ring_geom {
  size_t esz;          /* bytes per entry */
  uint64_t cap;        /* entries per ring */
  uint64_t wake_every; /* commits between wake-ups of the collector */
};

/* Geometry for records of rs bytes; cap 0 when a record does not fit. */
struct psw_ring_geom psw__ring_geom(const struct psw_shm_group *g, size_t rs);

/* Empty this worker's ring (before the loop's starting barrier). */
void psw__ring_reset(struct psw_shm_group *g, int rank);

/* Wait for a free entry of this worker's ring and return its record area
 * (zeroed, for index i), or NULL when the region aborted meanwhile. */
void *psw__ring_reserve(struct psw_shm_group *g, int rank,
                        const struct psw_ring_geom *geo, uint64_t i);

/* Publish the entry returned by the last reserve. */
void psw__ring_commit(struct psw_shm_group *g, int rank,
                      const struct psw_ring_geom *geo);

/* Wake the collector if it sleeps (a full ring, a worker finishing). */
void psw__ring_kick(struct psw_shm_group *g);

/* The collector: drains every ring into L->opts.sink until `finished`
 * reaches the group size and the rings are empty, or the region aborts.
 * Records of finished tasks are delivered even when the loop stops for a
 * task error; a sink error is stored in *err (the loop's error word) and
 * later records are discarded so that producers never block. */
struct psw_collector {
  struct psw_shm_group *g;
  const struct psw_loop *L;
  struct psw_ring_geom geo;
  _Atomic int32_t *err;
  _Atomic uint32_t *finished;
  int sink_failed; /* the sink returned an error: deliver nothing more */
  pthread_t tid;
};

int psw__collector_start(struct psw_collector *c);
void psw__collector_join(struct psw_collector *c);

#endif /* PSW_SHM_RING_H */
