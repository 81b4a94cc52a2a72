/* parsweep — #SBATCH lines and sbatch option values (internal): the
 * defaults a template sets for `parsweep submit`. */
#ifndef PSW_SLURM_DIRECTIVES_H
#define PSW_SLURM_DIRECTIVES_H

#include <stddef.h>

#include "psw_slurm.h"

/* Strings the job points to (from the template or the command line);
 * the caller frees them. */
typedef struct psw_sbatch_owned {
  char *name, *partition, *account, *std_out, *std_err, *work_dir;
} psw_sbatch_owned_t;

/* Replace *slot by a copy of v. 0, or -1 out of memory. */
int psw__sbatch_set(char **slot, const char *v);

/* A count > 0 ("2", or "2-4" whose minimum is taken). 0 or -1. */
int psw__sbatch_count(const char *s, long *out);

/* Slurm's time formats (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, UNLIMITED) to
 * minutes, seconds rounded up; -2 unlimited. 0 or -1. */
int psw__sbatch_time(const char *s, long *out);

/* The name of a signal --signal takes ("USR1"), or NULL. */
const char *psw__sbatch_signame(int num);

/* One option as on sbatch's command line (long name or letter, without
 * dashes) into j. Returns 0, -1 for a bad value, -2 for an option parsweep
 * submit does not take. */
int psw__sbatch_option(const char *opt, const char *val, psw_slurm_job_t *j,
                       psw_sbatch_owned_t *o);

/* The #SBATCH lines at the top of `script` (before its first command), as
 * sbatch reads them. 0, or -1 with "PATH: reason" in err. */
int psw__sbatch_directives(const char *script, const char *path,
                           psw_slurm_job_t *j, psw_sbatch_owned_t *o, char *err,
                           size_t errlen);

#endif /* PSW_SLURM_DIRECTIVES_H */
