/* parsweep — the hybrid backend's state (internal).
 *
 * Workers are grouped by node: a node group shares one shared-memory group
 * (the core's node-local algorithms), and its local rank 0, an MPI
 * process, is the node's leader: it alone talks MPI, with the other
 * leaders. A group is either
 *  - POOL: one MPI rank and the pool it forks (local rank 0 is the rank
 *    itself, the others its children, which never call MPI), or
 *  - RANKS: the MPI ranks that share a node, each one worker, in a named
 *    shared-memory segment.
 * Global worker ranks are node-major: node k's workers follow node k-1's. */
#ifndef PSW_HYBRID_H
#define PSW_HYBRID_H

#include <mpi.h>

#include "internal.h"
#include "mpi/dispatch.h"
#include "shm/group.h"

enum psw_hybrid_mode { PSW_HYBRID_POOL, PSW_HYBRID_RANKS };

struct psw_hybrid {
  int mode;
  MPI_Comm comm;    /* all ranks */
  MPI_Comm leaders; /* one rank per node group, ordered by node id;
                       MPI_COMM_NULL on other ranks */
  int rank, size;   /* MPI */
  int node_id, num_nodes;
  int local_rank, local_size; /* of this MPI rank in its group */
  int *node_first;            /* [num_nodes + 1]: first global worker */
  int total;                  /* workers, all nodes */
  struct psw_shm_group *g;
  int g_named;             /* g is a named segment (RANKS) */
  struct psw_disp disp;    /* over leaders */
  struct psw_disp_out out; /* this leader's records to the dispatcher */
};

/* Node of global worker r. */
int psw__hybrid_node_of(const struct psw_hybrid *h, int r);

/* Hierarchical collectives (hybrid/coll.c). */
int psw__hyb_barrier(psw_ctx_t *c);
int psw__hyb_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root);
int psw__hyb_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                      const size_t *displs, void *recvbuf, size_t recvbytes,
                      int root);
int psw__hyb_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                     void *recvbuf, const size_t *counts, const size_t *displs,
                     int root);
/* A one-node gather of equal small sizes (PSW__NOT_HANDLED otherwise). */
int psw__hyb_gather(psw_ctx_t *c, const void *sendbuf, size_t nbytes,
                    void *recvbuf, int root);
int psw__hyb_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                    size_t count, psw_type_t type, psw_op_t op, int root);

/* psw_for across nodes (hybrid/loop.c). */
int psw__hyb_loop(psw_ctx_t *c, const struct psw_loop *L);

#endif /* PSW_HYBRID_H */
