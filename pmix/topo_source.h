/* parsweep — the discovery sources behind psw__topo_discover (internal to
 * pmix/). Each one fills a candidate psw_topo_t, already psw__topo_init'ed,
 * with the facts it knows and their source; topo.c merges the candidates in
 * order. */
#ifndef PSW_PMIX_TOPO_SOURCE_H
#define PSW_PMIX_TOPO_SOURCE_H

#include "topo.h"

/* Each returns 1 when the source applies (its environment is there), 0 when
 * it does not, or PSW_ERR_NOMEM. Malformed values are logged and left
 * unknown, so that the next source can supply them. */
int psw__topo_from_pmix(psw_topo_t *c);  /* topo_pmix.c or topo_pmix_none.c */
int psw__topo_from_ompi(psw_topo_t *c);  /* topo_env.c */
int psw__topo_from_slurm(psw_topo_t *c); /* topo_env.c */
int psw__topo_from_local(psw_topo_t *c); /* topo_local.c */

/* Read environment variable `name` as a decimal integer >= min. Returns 1
 * and sets *out, 0 when unset or empty, -1 when malformed (logged). */
int psw__topo_env_int(const char *name, int min, int *out);

/* Set the local peers of `t` from `v` (n entries, ownership transferred,
 * sorted here) with source `src`. */
void psw__topo_take_peers(psw_topo_t *t, int *v, int n, psw_topo_src_t src);

/* Parse "3,0,1" (non-negative decimal ints, comma-separated) into a sorted
 * array (*out, caller frees). Returns 0, PSW_ERR_PARSE or PSW_ERR_NOMEM. */
int psw__topo_parse_intlist(const char *s, int **out, int *n);

/* Strict decimal: the whole of [s, s+len) (len < 0: up to NUL) is a number
 * in [min, max]. Returns 0 and sets *out, or -1. */
int psw__topo_parse_int(const char *s, long len, long min, long max, int *out);

#endif /* PSW_PMIX_TOPO_SOURCE_H */
