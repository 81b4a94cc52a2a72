/* parsweep — topology from PMIx (built with PSW_WITH_PMIX).
 *
 * Key conventions (PMIx 4 standard, checked against Open MPI 4.1's mpirun
 * with PMIx 4.2): job-level keys (PMIX_JOB_SIZE, PMIX_NUM_NODES) and the
 * node-level ones describing this job on this node (PMIX_LOCAL_SIZE,
 * PMIX_LOCAL_PEERS) are stored under PMIX_RANK_WILDCARD; per-process keys
 * (PMIX_NODEID, PMIX_LOCAL_RANK, PMIX_HOSTNAME, PMIX_CPUSET) under our own
 * rank. Servers differ, so each key is asked with the expected rank first
 * and the other one second. PMIX_OPTIONAL keeps every PMIx_Get in the local
 * data store the server filled at PMIx_Init: a missing key returns at once
 * instead of waiting on the server. */
#include <pmix.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

static pthread_mutex_t pmix_lock = PTHREAD_MUTEX_INITIALIZER;
static int pmix_tried;      /* PMIx_Init was attempted (once per process) */
static int pmix_up;         /* and succeeded */
static pid_t pmix_pid;      /* in this process, not a forked copy */
static pmix_proc_t pmix_me; /* our namespace and rank */

/* PMIx_Finalize once, at exit, after the application's MPI_Finalize: see
 * topo.h for why neither earlier nor never. A forked child shares the
 * parent's connection and must not close it. */
static void pmix_at_exit(void) {
  if (pmix_up && getpid() == pmix_pid) {
    pmix_up = 0;
    PMIx_Finalize(NULL, 0);
  }
}

/* A server is there when its launcher says so. PMIx_Init without one fails
 * and poisons a later MPI_Init (PLATFORM.md), so never try on a hunch. */
static int server_in_environment(void) {
  static const char *const uri[] = {"PMIX_SERVER_URI4", "PMIX_SERVER_URI41",
                                    "PMIX_SERVER_URI3", "PMIX_SERVER_URI21",
                                    "PMIX_SERVER_URI2", "PMIX_SERVER_URI"};
  const char *off = getenv("PARSWEEP_PMIX");
  if (off && !strcmp(off, "0"))
    return 0;
  if (!getenv("PMIX_NAMESPACE") || !getenv("PMIX_RANK"))
    return 0;
  for (size_t i = 0; i < sizeof uri / sizeof uri[0]; i++)
    if (getenv(uri[i]))
      return 1;
  return 0;
}

/* PMIx_Init on a thread of its own, waited for with a bound. PMIx 4.2's
 * client waits for its job data with no timeout, and Open MPI 4.1's server
 * sometimes never sends it to a rank that starts after a peer has already
 * finished (openpmix#2967; docs/cli.md, `parsweep info`): `parsweep info`
 * under mpirun hung. The thread is left behind when the bound passes
 * (libpmix cannot be interrupted); its state is static for that reason. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  pmix_status_t rc;
  pmix_proc_t me;
} init_call = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *init_main(void *arg) {
  (void)arg;
  pmix_proc_t me;
  pmix_status_t rc = PMIx_Init(&me, NULL, 0);
  pthread_mutex_lock(&init_call.mu);
  init_call.rc = rc;
  init_call.me = me;
  init_call.done = 1;
  pthread_cond_signal(&init_call.cv);
  pthread_mutex_unlock(&init_call.mu);
  return NULL;
}

/* PARSWEEP_PMIX_TIMEOUT seconds (default 60). */
static double init_timeout(void) {
  const char *v = getenv("PARSWEEP_PMIX_TIMEOUT");
  char *end;
  double s = v ? strtod(v, &end) : 0;
  return v && end != v && !*end && s > 0 ? s : 60;
}

/* PMIx_Init within the bound: its status, or PMIX_ERR_TIMEOUT. */
static pmix_status_t init_bounded(pmix_proc_t *me, double secs) {
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  int started = pthread_create(&t, &a, init_main, NULL) == 0;
  pthread_attr_destroy(&a);
  if (!started) /* no thread to spare: unbounded, as before */
    return PMIx_Init(me, NULL, 0);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)secs;
  until.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&init_call.mu);
  while (!init_call.done &&
         pthread_cond_timedwait(&init_call.cv, &init_call.mu, &until) == 0)
    ;
  pmix_status_t rc = init_call.done ? init_call.rc : PMIX_ERR_TIMEOUT;
  if (init_call.done)
    *me = init_call.me;
  pthread_mutex_unlock(&init_call.mu);
  return rc;
}

static int pmix_connect(pmix_proc_t *me) {
  pthread_mutex_lock(&pmix_lock);
  if (!pmix_tried) {
    pmix_tried = 1;
    double secs = init_timeout();
    pmix_status_t rc = init_bounded(&pmix_me, secs);
    if (rc == PMIX_SUCCESS) {
      pmix_up = 1;
      pmix_pid = getpid();
      atexit(pmix_at_exit);
    } else if (rc == PMIX_ERR_TIMEOUT) {
      PSW_WARN("topology: PMIx_Init did not return within %g s "
               "(PARSWEEP_PMIX_TIMEOUT); using the environment (a later "
               "MPI_Init may hang the same way)",
               secs);
    } else {
      PSW_WARN("topology: PMIx_Init failed (%s) although PMIX_NAMESPACE is "
               "set; using the environment (a later MPI_Init may fail)",
               PMIx_Error_string(rc));
    }
  }
  int up = pmix_up && getpid() == pmix_pid;
  if (up)
    *me = pmix_me;
  pthread_mutex_unlock(&pmix_lock);
  return up;
}

/* PMIx_Get under `first` then `second` rank; NULL when neither has it. */
static pmix_value_t *get(const pmix_proc_t *me, const char *key,
                         pmix_rank_t first, pmix_rank_t second) {
  pmix_info_t opt;
  PMIX_INFO_CONSTRUCT(&opt);
  PMIX_INFO_LOAD(&opt, PMIX_OPTIONAL, NULL, PMIX_BOOL);
  pmix_rank_t ranks[2] = {first, second};
  pmix_value_t *v = NULL;
  for (int i = 0; i < 2 && !v; i++) {
    pmix_proc_t p;
    PMIX_LOAD_PROCID(&p, me->nspace, ranks[i]);
    if (PMIx_Get(&p, key, &opt, 1, &v) != PMIX_SUCCESS)
      v = NULL;
  }
  PMIX_INFO_DESTRUCT(&opt);
  return v;
}

/* An integer key of any integer type PMIx servers use for it. */
static int get_int(const pmix_proc_t *me, const char *key, int job_level,
                   int *out) {
  pmix_rank_t a = job_level ? PMIX_RANK_WILDCARD : me->rank;
  pmix_rank_t b = job_level ? me->rank : PMIX_RANK_WILDCARD;
  pmix_value_t *v = get(me, key, a, b);
  if (!v)
    return 0;
  long long x = -1;
  switch (v->type) {
  case PMIX_UINT32:
    x = v->data.uint32;
    break;
  case PMIX_UINT16:
    x = v->data.uint16;
    break;
  case PMIX_INT:
    x = v->data.integer;
    break;
  case PMIX_UINT:
    x = v->data.uint;
    break;
  case PMIX_PROC_RANK:
    x = v->data.rank;
    break;
  case PMIX_SIZE:
    x = (long long)v->data.size;
    break;
  default:
    PSW_DEBUG("topology: PMIx %s has type %s", key,
              PMIx_Data_type_string(v->type));
  }
  PMIX_VALUE_RELEASE(v);
  if (x < 0 || x > 0x7fffffff)
    return 0;
  *out = (int)x;
  return 1;
}

/* A string key, copied (caller frees), or NULL. */
static char *get_string(const pmix_proc_t *me, const char *key, int job_level) {
  pmix_rank_t a = job_level ? PMIX_RANK_WILDCARD : me->rank;
  pmix_rank_t b = job_level ? me->rank : PMIX_RANK_WILDCARD;
  pmix_value_t *v = get(me, key, a, b);
  char *s = NULL;
  if (v && v->type == PMIX_STRING && v->data.string)
    s = strdup(v->data.string);
  if (v)
    PMIX_VALUE_RELEASE(v);
  return s;
}

static void set(psw_topo_t *c, int f, int *dst, int v) {
  *dst = v;
  c->src[f] = PSW_TOPO_SRC_PMIX;
}

int psw__topo_from_pmix(psw_topo_t *c) {
  pmix_proc_t me;
  if (!server_in_environment() || !pmix_connect(&me))
    return 0;
  if (me.rank == PMIX_RANK_WILDCARD || me.rank > 0x7fffffff)
    return 0;
  int x;
  set(c, PSW_TOPO_RANK, &c->rank, (int)me.rank);
  if (get_int(&me, PMIX_JOB_SIZE, 1, &x) && x > c->rank)
    set(c, PSW_TOPO_JOB_SIZE, &c->job_size, x);
  else
    return 0; /* without the job size, the rank alone says little */
  if (get_int(&me, PMIX_NUM_NODES, 1, &x) && x >= 1 && x <= c->job_size)
    set(c, PSW_TOPO_NUM_NODES, &c->num_nodes, x);
  if (get_int(&me, PMIX_NODEID, 0, &x) &&
      (c->num_nodes < 0 || x < c->num_nodes))
    set(c, PSW_TOPO_NODE_ID, &c->node_id, x);
  if (get_int(&me, PMIX_LOCAL_SIZE, 1, &x) && x >= 1 && x <= c->job_size)
    set(c, PSW_TOPO_LOCAL_SIZE, &c->local_size, x);
  if (get_int(&me, PMIX_LOCAL_RANK, 0, &x) &&
      (c->local_size < 0 || x < c->local_size))
    set(c, PSW_TOPO_LOCAL_RANK, &c->local_rank, x);

  char *s = get_string(&me, PMIX_LOCAL_PEERS, 1);
  if (s) {
    int *peers, n;
    int rc = psw__topo_parse_intlist(s, &peers, &n);
    if (rc == PSW_ERR_NOMEM) {
      free(s);
      return rc;
    }
    if (!rc)
      psw__topo_take_peers(c, peers, n, PSW_TOPO_SRC_PMIX);
    else
      PSW_WARN("topology: ignoring PMIx local peers '%s'", s);
    free(s);
  }
  s = get_string(&me, PMIX_HOSTNAME, 0);
  if (s && *s && strlen(s) < sizeof c->hostname) {
    strcpy(c->hostname, s);
    c->src[PSW_TOPO_HOSTNAME] = PSW_TOPO_SRC_PMIX;
  }
  free(s);
  /* The binding the launcher applied. topo.c compares it with the affinity
   * mask and keeps the kernel's word when they differ. */
  s = get_string(&me, PMIX_CPUSET, 0);
  if (s) {
    int rc = psw__topo_parse_cpulist(s, &c->cpus, &c->num_cpus);
    if (rc == PSW_ERR_NOMEM) {
      free(s);
      return rc;
    }
    if (!rc)
      c->src[PSW_TOPO_CPUS] = PSW_TOPO_SRC_PMIX;
    else
      PSW_DEBUG("topology: PMIx cpuset '%s' not understood", s);
    free(s);
  }
  return 1;
}
