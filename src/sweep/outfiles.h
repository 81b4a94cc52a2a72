/* parsweep — the files a run keeps beside its output (internal).
 *
 * Beside OUTPUT = DIR/BASE a run uses hidden companions, all named
 * "DIR/.BASE.<what>": the lock (".lock"), the temporary results.h5 it
 * builds (".tmp.PID"), and its journals (".journal.W"). Only the run that
 * holds the output's lock creates, changes or removes them, so what it
 * finds of them was left by a run that is gone. */
#ifndef PSW_SWEEP_OUTFILES_H
#define PSW_SWEEP_OUTFILES_H

#include <stddef.h>

/* "DIR/.BASE<suffix>", malloc'd; NULL when out of memory. */
char *psw__outfile(const char *output, const char *suffix);

/* Call fn(path, arg) for every existing "DIR/.BASE<prefix>*" (sorted by
 * name). Stops at fn's first non-zero return and returns it; -1 when DIR
 * cannot be read (errno set; ENOENT counts as no files: returns 0). */
int psw__outfiles_each(const char *output, const char *prefix,
                       int (*fn)(const char *path, void *arg), void *arg);

/* How many "DIR/.BASE<prefix>*" exist (0 when DIR cannot be read). */
size_t psw__outfiles_count(const char *output, const char *prefix);

/* Remove every "DIR/.BASE<prefix>*"; returns how many were removed. */
size_t psw__outfiles_remove(const char *output, const char *prefix);

/* fsync DIR, so that a rename or an unlink in it is on disk. 0 or -1. */
int psw__outfiles_sync_dir(const char *output);

#endif /* PSW_SWEEP_OUTFILES_H */
