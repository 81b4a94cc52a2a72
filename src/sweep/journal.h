/* parsweep — the journal: the durable record of finished samples.
 *
 * Every writer of a run (the root, or each node writer under MPI) appends
 * each finished sample to its own journal beside the output,
 * "DIR/.BASE.journal.W", as well as to the temporary results.h5 it builds.
 * A thread writes what was added at most JOURNAL_FLUSH_S later (a
 * process killed loses no more than that: those samples are simply run
 * again) and fdatasyncs at most every JOURNAL_SYNC_S (the bound after a
 * machine crash). Once results.h5 holds everything and has been renamed
 * into place, the journals are removed; after any kill they are what
 * --resume reads, with the output, to skip every recorded sample.
 *
 * Format (host byte order): a 64-byte header (magic "PSWJRNL1", N, the
 * numbers of parameters and outputs, the spec hash, an XXH3 checksum),
 * then fixed-size records: index, elapsed, exit code, worker, node,
 * status, the parameter and output values, and an XXH3-64 checksum of the
 * record. A record that is short or whose checksum is wrong is a torn
 * tail: it and whatever follows are dropped. */
#ifndef PSW_SWEEP_JOURNAL_H
#define PSW_SWEEP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "spec.h"

#define JOURNAL_FLUSH_S 0.1
#define JOURNAL_SYNC_S 1.0

typedef struct psw_journal psw_journal_t;

/* Open writer W's journal of `output` for appending: created (mode 0600)
 * when absent; otherwise its header must match spec and hash, and a torn
 * tail is cut off. Starts the flushing thread. Returns 0, PSW_ERR_INVAL
 * (a journal of another sweep), PSW_ERR_IO or PSW_ERR_NOMEM with a
 * one-line message in err. */
int psw__journal_open(const char *output, int writer, const psw_spec_t *spec,
                      const uint8_t hash[16], psw_journal_t **out, char *err,
                      size_t errlen);

/* Append one row (copied). Returns 0, or PSW_ERR_IO once a write has
 * failed (psw__journal_error has why; the rows before it stay readable). */
int psw__journal_add(psw_journal_t *j, const psw_row_t *row);

const char *psw__journal_error(const psw_journal_t *j);

/* Write and fdatasync what is left, stop the thread, close. Returns 0 or
 * PSW_ERR_IO (message in err). Frees j; accepts NULL. */
int psw__journal_close(psw_journal_t *j, char *err, size_t errlen);

/* What psw__journal_scan found. */
typedef struct psw_journal_scan {
  size_t files;
  uint64_t records;
  uint64_t dropped_bytes; /* torn tails */
} psw_journal_scan_t;

/* Call fn for every intact record of every journal of `output` (in file
 * order; an index may come more than once, with the same values). Every
 * journal must have been written for this spec (N, parameters, outputs
 * and hash): otherwise PSW_ERR_INVAL, "... cannot resume: ...". fn's
 * non-zero return stops the scan and is returned. */
int psw__journal_scan(const char *output, const psw_spec_t *spec,
                      const uint8_t hash[16],
                      int (*fn)(const psw_row_t *row, void *arg), void *arg,
                      psw_journal_scan_t *stats, char *err, size_t errlen);

/* How many journals of `output` hold at least one whole record of spec
 * (finished samples); ones that are empty or hold only a header (a run
 * that failed or was killed before its first sample) hold none. */
size_t psw__journal_count_recorded(const char *output, const psw_spec_t *spec);

/* Remove the journals of `output` that hold no whole record (whatever
 * their header says: they record nothing); returns how many. Only under
 * the output's lock. */
size_t psw__journal_remove_empty(const char *output, const psw_spec_t *spec);

/* The journals' name prefix for psw__outfiles_* (".journal."). */
#define JOURNAL_PREFIX ".journal."

#endif /* PSW_SWEEP_JOURNAL_H */
