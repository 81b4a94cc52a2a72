/* parsweep slurm/: what submit.c and status.c share (internal). */
#ifndef PSW_SLURM_COMMON_H
#define PSW_SLURM_COMMON_H

#include <stddef.h>

/* Keep libslurm's log lines off stderr (unless PARSWEEP_LOG=debug) between
 * psw__slurm_quiet() and psw__slurm_loud(saved). */
int psw__slurm_quiet(void);
void psw__slurm_loud(int saved);

/* Initialise libslurm once (after psw__slurm_config_ok). */
void psw__slurm_init_once(void);

/* 1 when a Slurm error number means "could not reach / talk to
 * slurmctld" rather than "slurmctld said no". */
int psw__slurm_unreachable(int e);

#endif /* PSW_SLURM_COMMON_H */
