/* parsweep — the parallel manager: backends, the factory, SPMD regions.
 *
 * A manager owns a backend and its workers. psw_parallel() runs a function
 * once on every worker (an SPMD region); inside it, each worker has its own
 * context (psw_ctx_t) that gives its rank and is passed to the collectives
 * (collectives.h) and to psw_for() (sched.h). */
#ifndef PARSWEEP_MANAGER_H
#define PARSWEEP_MANAGER_H

#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psw_manager psw_manager_t; /* opaque */
typedef struct psw_ctx psw_ctx_t;         /* opaque, one per worker */
typedef struct psw_backend psw_backend_t; /* opaque backend descriptor */

/* The body of an SPMD region. Runs once on every worker. A non-zero
 * (negative psw_err_t) return marks the region failed. */
typedef int (*psw_region_fn)(psw_ctx_t *ctx, void *arg);

/* Options of a manager. Initialise with psw_opts_init() and then set the
 * fields you need, so that fields added later keep their defaults. */
/* The default of psw_opts_t.shm_slot_bytes. A psw_for_ex record of the
 * pool backends travels in one slot, with 8 bytes of its own: a record of
 * up to this size less 8 fits every manager made with the default. */
#define PSW_DEFAULT_SHM_SLOT_BYTES (128 * 1024)

typedef struct psw_opts {
  /* sizeof the caller's psw_opts_t, set by psw_opts_init(). The library
   * reads only the fields this size covers and gives the rest their
   * defaults, so that a program built against an older, smaller
   * psw_opts_t keeps working with a newer library (fields are only ever
   * appended). 0 (a struct zeroed by hand): this header's size. */
  size_t struct_size;
  /* Workers per node for the pool backends (threads, fork):
   * WaterTAP's number_of_subprocesses. 0 = every CPU this process may use
   * (sched_getaffinity). Ignored by serial (always 1). */
  int num_workers;
  /* Bytes of shared staging memory per worker and buffer used by the
   * shared-memory collectives; larger messages are pipelined through it.
   * 0 = default (PSW_DEFAULT_SHM_SLOT_BYTES). */
  size_t shm_slot_bytes;
  /* Seconds that the survivors of a failed fork region may take to leave
   * the region before they are killed. 0 = default (10 s). */
  double abort_grace_s;
  /* elastic backend (docs/elastic.md). Each NULL/0 falls back to the
   * environment variable named, then to the default.
   * A worker process: the endpoint file a head wrote (PSW_ELASTIC_CONNECT).
   * When set, this manager is a worker; otherwise it is the head. */
  const char *elastic_connect;
  /* Head: HOST:PORT to listen on (PSW_ELASTIC_LISTEN); default the node's
   * own address inside a Slurm job, else 127.0.0.1, on a free port. Never
   * every interface unless asked (0.0.0.0). */
  const char *elastic_listen;
  /* Head: where to write the endpoint file, mode 0600, once listening
   * (PSW_ELASTIC_ENDPOINT); removed when the manager is destroyed. */
  const char *elastic_endpoint;
  /* Head: workers a region waits for before it starts
   * (PSW_ELASTIC_MIN_WORKERS, default 0). Workers that connect later join
   * the next region, or the psw_for loop running. */
  int elastic_min_workers;
  /* Head: bytes handed to every worker when it joins (psw_elastic_info). */
  const void *elastic_info;
  size_t elastic_info_len;
} psw_opts_t;

/* Fill the first `size` bytes of `opts` with defaults and set
 * opts->struct_size = size: nothing past the caller's struct is written.
 * `size` is at least sizeof(size_t); PSW_ERR_INVAL otherwise (or NULL). */
PSW_EXTERN int psw_opts_init_sized(psw_opts_t *opts, size_t size);

/* Fill `opts` with defaults. In C this is psw_opts_init_sized() with the
 * caller's sizeof (the macro below), so that a program compiled against
 * this header passes its own size; the function itself (for dlsym and
 * ctypes users) assumes this library's size. */
PSW_EXTERN void psw_opts_init(psw_opts_t *opts);
#define psw_opts_init(opts) ((void)psw_opts_init_sized((opts), sizeof *(opts)))

/* Backend descriptors: the "classes" of the manager we replace. Each returns
 * a descriptor owned by the library, or NULL when the backend was not built
 * into this library (e.g. mpi without PSW_WITH_MPI). */
PSW_EXTERN const psw_backend_t *psw_backend_serial(void);
PSW_EXTERN const psw_backend_t *psw_backend_threads(void);
PSW_EXTERN const psw_backend_t *psw_backend_fork(void);
PSW_EXTERN const psw_backend_t *psw_backend_mpi(void);
PSW_EXTERN const psw_backend_t *psw_backend_hybrid(void);
PSW_EXTERN const psw_backend_t *psw_backend_elastic(void);

/* --- What a backend can do (its capabilities) ---------------------------
 * Programs built on the library branch on these, never on a backend's name
 * or descriptor. Each backend declares them once, in the library's
 * registry; they hold whether or not the backend is built in. */

/* Rank 0 runs tasks of psw_for like every worker. Without it (elastic) rank
 * 0 is a head: it hands tasks out and receives the records, evaluating
 * none itself. */
#define PSW_CAP_ROOT_EVALUATES 0x1u
/* Workers join and leave while a region runs (elastic): the region's ranks
 * are not the workers that ran the tasks (psw_elastic_worker_id names
 * those), and the head takes the options of parsweep/elastic.h. */
#define PSW_CAP_DYNAMIC_MEMBERS 0x2u
/* A region may span several nodes (processes started by a launcher or
 * joining over the network). */
#define PSW_CAP_MULTI_NODE 0x4u
/* One record sink per node: psw_for_opts_t.sink_per_node gives a sink on
 * each node's writer (psw_is_node_writer), and parsweep/mpi.h's
 * psw_mpi_writers_comm joins them. */
#define PSW_CAP_NODE_WRITERS 0x8u

/* PSW_CAP_* bits of a descriptor (0 for NULL). */
PSW_EXTERN unsigned psw_backend_caps(const psw_backend_t *backend);

/* PSW_CAP_* bits of the backend a manager runs (0 for NULL). */
PSW_EXTERN unsigned psw_manager_caps(const psw_manager_t *mgr);

/* One backend of SPEC §1, built into this library or not. Owned by the
 * library (fields are only ever appended). */
typedef struct psw_backend_info {
  const char *name;           /* native name ("fork") */
  const char *const *aliases; /* NULL-terminated ("MultiProcessing") */
  const psw_backend_t *desc;  /* NULL: not built into this library */
  unsigned caps;              /* PSW_CAP_* */
} psw_backend_info_t;

/* The number of backends the library knows, built or not. */
PSW_EXTERN size_t psw_backend_count(void);

/* Backend i (0..psw_backend_count()-1, in the order names are listed), or
 * NULL past the end. */
PSW_EXTERN const psw_backend_info_t *psw_backend_info(size_t i);

/* CPUs this process may run on (sched_getaffinity), at least 1: what
 * num_workers = 0 means for the pool backends. */
PSW_EXTERN int psw_available_cpus(void);

/* Not a backend: the name that asks for the plan's pick (SPEC §1,
 * parsweep/topology.h), accepted wherever a backend name is. */
#define PSW_BACKEND_AUTO "auto"

/* Look a backend up by native name or alias, case-insensitively ("fork",
 * "MultiProcessing", "concurrent.futures", ...). "auto" is resolved from
 * the environment (a launcher → hybrid/mpi when built, otherwise fork).
 * Returns NULL for an unknown name or a backend not built in. */
PSW_EXTERN const psw_backend_t *psw_backend_lookup(const char *name);

/* Native name of a descriptor ("fork"). */
PSW_EXTERN const char *psw_backend_desc_name(const psw_backend_t *backend);

/* A space-separated list of every accepted name, natives and aliases, for
 * messages and --help. The string belongs to the library. */
PSW_EXTERN const char *psw_backend_valid_names(void);

/* The factory (WaterTAP's create_parallel_manager). `backend` is a name or
 * alias (case-insensitive), or NULL/"" for "auto". An unknown name gives the
 * serial backend and logs exactly one warning that names the valid choices
 * (the documented behaviour of the manager we replace). A known backend
 * that was not built in gives PSW_ERR_UNAVAILABLE. `opts` may be NULL.
 * On success *mgr owns a manager; free it with psw_destroy_parallel_manager.
 * Errors: PSW_ERR_INVAL (mgr NULL, bad option), PSW_ERR_UNAVAILABLE,
 * PSW_ERR_NOMEM, PSW_ERR_SYS. */
PSW_EXTERN int psw_create_parallel_manager(psw_manager_t **mgr,
                                           const char *backend,
                                           const psw_opts_t *opts);

/* The factory by descriptor (WaterTAP: passing the class directly). */
PSW_EXTERN int psw_create_parallel_manager_with(psw_manager_t **mgr,
                                                const psw_backend_t *backend,
                                                const psw_opts_t *opts);

/* Free a manager. Accepts NULL. Must not be called inside a region. */
PSW_EXTERN void psw_destroy_parallel_manager(psw_manager_t *mgr);

/* Native name of the backend in use ("serial", "threads", "fork", ...).
 * The string belongs to the library. */
PSW_EXTERN const char *psw_backend_name(const psw_manager_t *mgr);

/* Number of workers a region of this manager runs on (all nodes). */
PSW_EXTERN int psw_num_workers(const psw_manager_t *mgr);

/* Run fn(ctx, arg) once on every worker and wait for all of them.
 * serial: in the calling thread. threads: on N threads (the caller is
 * worker 0). fork: in N forked children sharing an anonymous shared-memory
 * segment; the caller supervises and is not a worker itself, so fn's side
 * effects in process memory stay in the children.
 * Returns 0 when every worker's fn returned 0; otherwise the first non-zero
 * return, or PSW_ERR_PEER_LOST when a worker died (signal or exit). A worker
 * that dies makes the collectives of the others return PSW_ERR_PEER_LOST
 * within a fraction of a second; survivors that do not leave the region
 * within opts.abort_grace_s are killed; no child outlives the call.
 * Errors also: PSW_ERR_NESTED (called inside a region), PSW_ERR_SYS. */
PSW_EXTERN int psw_parallel(psw_manager_t *mgr, psw_region_fn fn, void *arg);

/* --- Inside a region: who am I? (WaterTAP's get_rank, is_root_process,
 * number_of_worker_processes) -------------------------------------------- */

/* Global rank of this worker, 0..size-1. */
PSW_EXTERN int psw_rank(const psw_ctx_t *ctx);
/* Number of workers in the region. */
PSW_EXTERN int psw_size(const psw_ctx_t *ctx);
/* Non-zero on rank 0. */
PSW_EXTERN int psw_is_root(const psw_ctx_t *ctx);
/* Node of this worker, 0..num_nodes-1 (0 on single-node backends). */
PSW_EXTERN int psw_node_id(const psw_ctx_t *ctx);
/* Number of nodes the region spans. */
PSW_EXTERN int psw_num_nodes(const psw_ctx_t *ctx);
/* Rank among the workers of this node, and their number. */
PSW_EXTERN int psw_local_rank(const psw_ctx_t *ctx);
PSW_EXTERN int psw_local_size(const psw_ctx_t *ctx);
/* The manager that runs this region. */
PSW_EXTERN psw_manager_t *psw_ctx_manager(const psw_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_MANAGER_H */
