/* parsweep — the shared ring between a worker and its plugin host
 * (internal; model_host.c is the worker's side, model_ring.c the host's).
 *
 * One message per sample each way cost a round trip per sample (~20 us
 * per worker, docs/performance.md B2), far more than a cheap model. So
 * samples travel in batches through a shared mapping (a memfd the worker
 * creates and passes to each host it starts): the worker writes the
 * batch's indices and parameters into slots, sends one BATCH message, and
 * the host evaluates the slots in order, writing each result into its
 * slot and then bumping `done`. The worker reads the results as it
 * records them. It sleeps only when it has caught up with the host, and
 * then asks to be woken at the end of the batch (`want`): one wake-up
 * message per batch, not per sample.
 *
 * Isolation stays per sample: `done` says which samples are finished when
 * the host dies (those are kept, the one in flight is the crashed one, the
 * rest are evaluated again by a new host), and `run_mark` says which
 * attempt of which slot runs since when, so that the worker's wait ends at
 * that sample's own deadline (the timeout watches progress, not the
 * batch). */
#ifndef PSW_SWEEP_MODEL_RING_H
#define PSW_SWEEP_MODEL_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* run_mark = start (monotonic ms, rounded up) << RING_SLOT_BITS | slot. */
#define PSW_RING_SLOT_BITS 20
#define PSW_RING_MAX_SLOTS 1024
/* The mapping's size bound: a ring of wide samples has fewer slots. */
#define PSW_RING_MAX_BYTES (4u << 20)

struct psw_ring_hdr {
  /* Layout, set once by the worker; the host checks it against its spec. */
  uint32_t nslots, nparams, noutputs, stride;
  /* The batch, written by the worker before its BATCH message, while the
   * host waits for one. */
  uint32_t count;
  int32_t retries;          /* attempts the host makes for a FAILED one */
  _Atomic uint32_t abandon; /* worker: start no further sample */
  /* Host -> worker, on a cache line of their own. */
  _Alignas(64) _Atomic uint32_t done; /* slots finished, in order */
  _Atomic uint32_t halted;            /* host left the batch (abandon) */
  _Atomic uint64_t run_mark;          /* the attempt running */
  /* Worker -> host: asleep until done >= want (0: awake). */
  _Alignas(64) _Atomic uint32_t want;
};

/* A slot: this, then params[nparams], then outputs[noutputs]. */
struct psw_ring_slot {
  uint64_t index;
  psw_eval_t ev;    /* elapsed: all attempts so far */
  int32_t attempts; /* attempts started (the last may be running) */
};

/* The host's first message: init's outcome (rc 0, or a psw_err_t and a
 * line saying why). */
struct psw_ring_ready {
  int32_t rc;
  char msg[500];
};

/* The BATCH message, worker -> host (the count is in the header). The
 * RING message that passes the memfd right after READY has the same
 * bytes. The host's wake-up message is one byte. */
#define PSW_RING_MSG_BATCH 0x42415443u

static inline size_t psw__ring_stride(size_t nparams, size_t noutputs) {
  size_t b = sizeof(struct psw_ring_slot) + (nparams + noutputs) * 8;
  return (b + 63) & ~(size_t)63;
}

static inline size_t psw__ring_bytes(size_t nslots, size_t stride) {
  return sizeof(struct psw_ring_hdr) + nslots * stride;
}

static inline struct psw_ring_slot *psw__ring_slot(struct psw_ring_hdr *h,
                                                   size_t k) {
  return (struct psw_ring_slot *)((char *)(h + 1) + k * h->stride);
}

static inline double *psw__ring_params(struct psw_ring_slot *s) {
  return (double *)(s + 1);
}

static inline double *psw__ring_outputs(struct psw_ring_hdr *h,
                                        struct psw_ring_slot *s) {
  return (double *)(s + 1) + h->nparams;
}

#endif /* PSW_SWEEP_MODEL_RING_H */
