/* parsweep — topology discovery: the order of the sources, how their facts
 * merge, and the facts derived from others (the helpers: topo_facts.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

/* --- merging the sources ------------------------------------------------ */

/* The integer facts, in the order of psw_topo_fact_t. */
static int *int_fact(psw_topo_t *t, int f) {
  switch (f) {
  case PSW_TOPO_JOB_SIZE:
    return &t->job_size;
  case PSW_TOPO_RANK:
    return &t->rank;
  case PSW_TOPO_NUM_NODES:
    return &t->num_nodes;
  case PSW_TOPO_NODE_ID:
    return &t->node_id;
  case PSW_TOPO_LOCAL_RANK:
    return &t->local_rank;
  case PSW_TOPO_LOCAL_SIZE:
    return &t->local_size;
  }
  return NULL;
}

/* Take from candidate `c` what `t` does not know yet. A candidate that
 * disagrees on the job size or the rank describes another job (an inherited
 * SLURM_* environment under mpirun, the local machine under a launcher): it
 * gives only the facts that belong to this process whatever the job. */
static void merge(psw_topo_t *t, psw_topo_t *c) {
  int same_job =
      !((t->job_size >= 0 && c->job_size >= 0 && t->job_size != c->job_size) ||
        (t->rank >= 0 && c->rank >= 0 && t->rank != c->rank));
  /* The local machine always disagrees under a launcher: not news. */
  if (!same_job && c->src[PSW_TOPO_JOB_SIZE] != PSW_TOPO_SRC_LOCAL)
    PSW_DEBUG("topology: %s describes another job (size %d, rank %d); using "
              "only its host name and CPUs",
              psw__topo_src_name(c->src[PSW_TOPO_JOB_SIZE]
                                     ? c->src[PSW_TOPO_JOB_SIZE]
                                     : c->src[PSW_TOPO_RANK]),
              c->job_size, c->rank);
  for (int f = PSW_TOPO_JOB_SIZE; same_job && f <= PSW_TOPO_LOCAL_SIZE; f++) {
    int *dst = int_fact(t, f), *from = int_fact(c, f);
    if (*dst < 0 && *from >= 0) {
      *dst = *from;
      t->src[f] = c->src[f];
    }
  }
  if (same_job && !t->local_peers && c->local_peers) {
    t->local_peers = c->local_peers;
    t->num_local_peers = c->num_local_peers;
    t->src[PSW_TOPO_LOCAL_PEERS] = c->src[PSW_TOPO_LOCAL_PEERS];
    c->local_peers = NULL;
  }
  if (!t->hostname[0] && c->hostname[0]) {
    memcpy(t->hostname, c->hostname, sizeof t->hostname);
    t->src[PSW_TOPO_HOSTNAME] = c->src[PSW_TOPO_HOSTNAME];
  }
  if (!t->cpus && c->cpus) {
    t->cpus = c->cpus;
    t->num_cpus = c->num_cpus;
    t->src[PSW_TOPO_CPUS] = c->src[PSW_TOPO_CPUS];
    c->cpus = NULL;
  }
}

static void set_if_unknown(psw_topo_t *t, int f, int v, psw_topo_src_t src) {
  int *dst = int_fact(t, f);
  if (*dst < 0) {
    *dst = v;
    t->src[f] = src;
  }
}

static int peers_range(psw_topo_t *t, int first, int n, psw_topo_src_t src) {
  int *v = malloc((size_t)n * sizeof *v);
  if (!v)
    return PSW_ERR_NOMEM;
  for (int i = 0; i < n; i++)
    v[i] = first + i;
  psw__topo_take_peers(t, v, n, src);
  return 0;
}

/* Facts that follow exactly from others; each takes the source of the fact
 * it follows from. */
static int derive(psw_topo_t *t) {
  if (t->job_size == 1) {
    set_if_unknown(t, PSW_TOPO_RANK, 0, t->src[PSW_TOPO_JOB_SIZE]);
    set_if_unknown(t, PSW_TOPO_LOCAL_SIZE, 1, t->src[PSW_TOPO_JOB_SIZE]);
  }
  if (t->local_peers)
    set_if_unknown(t, PSW_TOPO_LOCAL_SIZE, t->num_local_peers,
                   t->src[PSW_TOPO_LOCAL_PEERS]);
  psw_topo_src_t ls = t->src[PSW_TOPO_LOCAL_SIZE];
  if (t->local_size >= 1 && t->local_size == t->job_size) {
    set_if_unknown(t, PSW_TOPO_NUM_NODES, 1, ls);
    set_if_unknown(t, PSW_TOPO_NODE_ID, 0, ls);
    if (!t->local_peers && peers_range(t, 0, t->job_size, ls))
      return PSW_ERR_NOMEM;
  }
  if (t->local_size == 1 && t->rank >= 0) {
    set_if_unknown(t, PSW_TOPO_LOCAL_RANK, 0, ls);
    if (!t->local_peers && peers_range(t, t->rank, 1, ls))
      return PSW_ERR_NOMEM;
  }
  if (t->local_rank < 0 && t->local_peers && t->rank >= 0)
    for (int i = 0; i < t->num_local_peers; i++)
      if (t->local_peers[i] == t->rank)
        set_if_unknown(t, PSW_TOPO_LOCAL_RANK, i, t->src[PSW_TOPO_LOCAL_PEERS]);
  if (t->num_nodes == 1)
    set_if_unknown(t, PSW_TOPO_NODE_ID, 0, t->src[PSW_TOPO_NUM_NODES]);
  return 0;
}

static int from_environment(psw_topo_t *t) {
  /* Launchers in order; see topo.h for why Open MPI precedes Slurm. */
  int (*const launchers[])(psw_topo_t *) = {
      psw__topo_from_pmix, psw__topo_from_ompi, psw__topo_from_slurm};
  int rc = 0;
  for (size_t i = 0; !rc && i < sizeof launchers / sizeof launchers[0]; i++) {
    psw_topo_t c;
    psw__topo_init(&c);
    int r = launchers[i](&c);
    if (r < 0)
      rc = r;
    else if (r > 0)
      merge(t, &c);
    psw__topo_fini(&c);
  }
  /* Derive before asking the local machine, so that a one-process launch
   * reports its launcher rather than "local" for its node facts. */
  if (!rc)
    rc = derive(t);
  if (!rc) {
    psw_topo_t c;
    psw__topo_init(&c);
    rc = psw__topo_from_local(&c);
    /* A launcher's CPU set is the binding it applied at launch; the
     * affinity mask is what the kernel enforces now. */
    if (rc >= 0 && t->cpus && c.cpus &&
        (t->num_cpus != c.num_cpus ||
         memcmp(t->cpus, c.cpus, (size_t)c.num_cpus * sizeof *c.cpus))) {
      PSW_DEBUG("topology: %s's CPU set differs from the affinity mask; "
                "using the mask",
                psw__topo_src_name(t->src[PSW_TOPO_CPUS]));
      free(t->cpus);
      t->cpus = NULL;
      t->num_cpus = 0;
    }
    if (rc >= 0) {
      merge(t, &c);
      rc = derive(t);
    }
    psw__topo_fini(&c);
  }
  return rc;
}

int psw__topo_discover(psw_topo_t *t, char *err, size_t errlen) {
  if (!t)
    return PSW_ERR_INVAL;
  psw__topo_init(t);
  if (err && errlen)
    err[0] = 0;
  const char *desc = getenv("PARSWEEP_TOPOLOGY");
  if (desc && *desc) {
    char msg[256] = "";
    int rc = psw__topo_synthetic(desc, 0, t, msg, sizeof msg);
    if (rc && err && errlen)
      snprintf(err, errlen, "PARSWEEP_TOPOLOGY: %s", msg);
    return rc;
  }
  int rc = from_environment(t);
  if (rc) {
    psw__topo_fini(t);
    if (err && errlen)
      snprintf(err, errlen, "topology: %s", psw_strerror(rc));
  }
  return rc;
}
