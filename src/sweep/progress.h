/* parsweep — progress display of a sweep (internal). Runs on the root's
 * collector thread, so it costs the workers nothing. */
#ifndef PSW_SWEEP_PROGRESS_H
#define PSW_SWEEP_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct psw_progress {
  FILE *out;
  int mode;         /* enum psw_progress_mode, resolved: BAR, LINES, NONE */
  uint64_t total;   /* samples this run will evaluate */
  uint64_t done;    /* evaluated so far */
  uint64_t failed;  /* of which not ok */
  uint64_t printed; /* `done` at the last print */
  double t0, last;  /* monotonic seconds: start, last print */
  double interval;  /* seconds between prints */
} psw_progress_t;

/* Resolve AUTO (a bar when `out` is a terminal) and start the clock. */
void psw__progress_init(psw_progress_t *p, FILE *out, int mode, uint64_t total);

/* Count one sample; prints when the interval has passed. */
void psw__progress_step(psw_progress_t *p, int ok);

/* Set the counts of evaluated and failed samples (per-node writers: the
 * totals the dispatcher hears of); prints when the interval has passed. */
void psw__progress_set(psw_progress_t *p, uint64_t done, uint64_t failed);

/* Final line. */
void psw__progress_end(psw_progress_t *p);


#endif /* PSW_SWEEP_PROGRESS_H */
