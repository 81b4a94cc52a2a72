/* parsweep — recursive sweeps (SPEC 3.2; WaterTAP's RecursiveParameterSweep).
 *
 * A recursive sweep runs in rounds over index ranges of the seeded random
 * design: round 1 is [0, first_round), each next round [hi, next) until M
 * samples are ok or max_samples were evaluated. A round's size follows
 * only from the counts of the rounds before it, so the rounds (and the
 * samples evaluated) are the same on every process, every backend and
 * after --resume. While it runs, results.h5 is a plain file of
 * max_samples rows (resumable like any other); at the end it is rewritten
 * with the selection (psw__rec_finalize). */
#ifndef PSW_SWEEP_RECURSIVE_H
#define PSW_SWEEP_RECURSIVE_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* Given every sample of [0, hi) evaluated and `ok` of them ok: the end of
 * the next round (> hi), or 0 when the sweep is over (M ok, or
 * max_samples evaluated). */
uint64_t psw__rec_next(const psw_spec_t *s, uint64_t hi, uint64_t ok);

/* Where an earlier run of the sweep stands (for --resume). */
typedef struct psw_rec_plan {
  uint64_t lo, hi; /* the round to run (lo == hi: every round ran, only the
                      final rewrite is left) */
  int round;       /* its number, from 1 */
  int finalized;   /* the output is already the final file: nothing to do */
  uint64_t ok, evaluated; /* samples ok / evaluated so far (recorded) */
  uint64_t selected;      /* finalized: the rows kept */
} psw_rec_plan_t;

/* Read output (and the journals of an interrupted run beside it) and
 * replay the rounds: the first round not wholly recorded is the one to
 * run. Without output nor journals: round 1. Returns 0 or an error with a
 * line in err. */
int psw__rec_plan(const char *output, const psw_spec_t *s,
                  const uint8_t hash[16], psw_rec_plan_t *p, char *err,
                  size_t errlen);

/* Rewrite output (a finished plain file of max_samples rows, [0, evaluated)
 * all evaluated) as the final file of SPEC 3.2: the WaterTAP groups and
 * /parsweep/{status,...} hold the first M ok samples in index order,
 * /parsweep/sample_index their indices, /parsweep/evaluated/ every
 * evaluated sample (row = index). Atomic: a copy is rewritten, then
 * renamed over output. *ok_out: ok samples among those evaluated;
 * *selected_out: rows kept (min(M, ok)). */
int psw__rec_finalize(const char *output, const psw_spec_t *s,
                      uint64_t evaluated, int rounds, uint64_t *ok_out,
                      uint64_t *selected_out, char *err, size_t errlen);

/* For `parsweep status`: when the spec recorded in a results file (its
 * text) is a recursive sweep's, one line into `line` saying "K of M ok",
 * the samples evaluated and the round (a running sweep's journals
 * included); else line is "". Returns 0, or an error reading the file or
 * its journals (line then holds nothing). */
int psw__rec_status(const char *path, const char *spec_text, char *line,
                    size_t len);

#endif /* PSW_SWEEP_RECURSIVE_H */
