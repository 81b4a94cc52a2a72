/* parsweep — one run per output file (internal).
 *
 * A run holds a POSIX record lock on ".<output>.lock" beside the output
 * for as long as it writes. The kernel drops the lock when the holder dies,
 * so a lock left by a killed run is reclaimed by the next one without any
 * clean-up; a lock file left behind is reused. */
#ifndef PSW_SWEEP_LOCK_H
#define PSW_SWEEP_LOCK_H

#include <stddef.h>

typedef struct psw_lock {
  int fd;
  char *path;
} psw_lock_t;

/* Take the lock of `output`. Returns 0, PSW_ERR_BUSY when another process
 * holds it ("<output> is in use by another parsweep run (pid N)"), or
 * PSW_ERR_IO; the message goes to err. */
int psw__lock_output(const char *output, psw_lock_t *lk, char *err,
                     size_t errlen);

/* Remove the lock file and release. Accepts a lock never taken (fd < 0). */
void psw__unlock_output(psw_lock_t *lk);

#endif /* PSW_SWEEP_LOCK_H */
