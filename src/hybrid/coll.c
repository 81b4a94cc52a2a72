/* parsweep — hybrid's hierarchical collectives.
 *
 * Each is a node-local stage in shared memory (shm/coll.c, the same
 * algorithms as the fork and threads backends), an MPI stage among the
 * node leaders (mpi/coll.c), and a node-local release. With one node the
 * MPI stage vanishes and the collective is the node's own. Global ranks are
 * node-major, so "packed in global rank order" is "node by node". */
#include <stdlib.h>
#include <string.h>

#include "hybrid/hybrid.h"
#include "mpi/coll.h"
#include "shm/coll.h"

static struct psw_hybrid *H(psw_ctx_t *c) {
  return c->be_ctx;
}

/* A leader that fails in the MPI stage leaves its node waiting: release it
 * with the error (the other nodes learn it from MPI itself). */
static int lead(psw_ctx_t *c, int rc) {
  if (rc)
    psw__shm_abort(c->grp, rc);
  return rc;
}

/* Allocation on a leader: failing it must not leave the node waiting. */
static void *lead_alloc(psw_ctx_t *c, size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    psw__shm_abort(c->grp, PSW_ERR_NOMEM);
  return p;
}

int psw__hybrid_node_of(const struct psw_hybrid *h, int r) {
  int lo = 0, hi = h->num_nodes - 1;
  while (lo < hi) { /* last node whose first worker is <= r */
    int mid = (lo + hi + 1) / 2;
    if (h->node_first[mid] <= r)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

int psw__hyb_barrier(psw_ctx_t *c) {
  struct psw_hybrid *h = H(c);
  int rc = psw__shm_barrier(c->grp, c->local_rank);
  if (rc || h->num_nodes == 1)
    return rc;
  if (c->local_rank == 0 && (rc = lead(c, psw__mpic_barrier(h->leaders))))
    return rc;
  return psw__shm_barrier(c->grp, c->local_rank);
}

int psw__hyb_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root) {
  struct psw_hybrid *h = H(c);
  struct psw_shm_group *g = c->grp;
  int lr = c->local_rank, rc;
  if (h->num_nodes == 1)
    return psw__shm_bcast(g, lr, &c->step, buf, nbytes, root);
  int rn = psw__hybrid_node_of(h, root), rl = root - h->node_first[rn];
  /* The root's node first: its leader then holds the data. */
  if (c->node_id == rn &&
      (rc = psw__shm_bcast(g, lr, &c->step, buf, nbytes, rl)))
    return rc;
  if (lr == 0 && (rc = lead(c, psw__mpic_bcast(h->leaders, buf, nbytes, rn))))
    return rc;
  if (c->node_id != rn)
    return psw__shm_bcast(g, lr, &c->step, buf, nbytes, 0);
  return 0;
}

/* Hand `bytes` of `src` on the leader to local rank `to` of the node, which
 * expects `want` bytes in dst (a scatterv in which only `to` receives). */
static int leader_to(psw_ctx_t *c, const void *src, size_t bytes, void *dst,
                     size_t want, int to) {
  struct psw_shm_group *g = c->grp;
  size_t *cnt = NULL, *dsp = NULL;
  if (c->local_rank == 0) {
    if (!(cnt = lead_alloc(c, 2 * (size_t)g->n * sizeof *cnt)))
      return PSW_ERR_NOMEM;
    dsp = cnt + g->n;
    memset(cnt, 0, 2 * (size_t)g->n * sizeof *cnt);
    cnt[to] = bytes;
  }
  int rc = psw__shm_scatterv(g, c->local_rank, &c->step, src, cnt, dsp, dst,
                             c->local_rank == to ? want : 0, 0);
  free(cnt);
  return rc;
}

int psw__hyb_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                    size_t count, psw_type_t type, psw_op_t op, int root) {
  struct psw_hybrid *h = H(c);
  struct psw_shm_group *g = c->grp;
  int lr = c->local_rank, rc;
  if (h->num_nodes == 1)
    return psw__shm_reduce(g, lr, &c->step, sendbuf, recvbuf, count, type, op,
                           root);
  if (count == 0)
    return 0;
  size_t nbytes = count * psw_type_size(type);
  int rn = root < 0 ? -1 : psw__hybrid_node_of(h, root);
  int rl = root < 0 ? 0 : root - h->node_first[rn];
  char *tmp = NULL;
  if (lr == 0 && !(tmp = lead_alloc(c, nbytes)))
    return PSW_ERR_NOMEM;
  /* Node stage in local rank order, then nodes in node order: the same
   * bits on every worker. */
  rc = psw__shm_reduce(g, lr, &c->step, sendbuf, tmp, count, type, op, 0);
  if (!rc && lr == 0)
    rc = lead(c, psw__mpic_reduce(h->leaders, tmp, tmp, count, type, op,
                                  root < 0 ? -1 : rn));
  if (rc)
    goto out;
  if (root < 0) {
    if (lr == 0)
      memcpy(recvbuf, tmp, nbytes);
    rc = psw__shm_bcast(g, lr, &c->step, recvbuf, nbytes, 0);
  } else if (c->node_id == rn) {
    if (rl == 0) {
      if (lr == 0)
        memcpy(recvbuf, tmp, nbytes);
    } else {
      rc = leader_to(c, tmp, nbytes, recvbuf, nbytes, rl);
    }
  }
out:
  free(tmp);
  return rc;
}

/* Unpack `all`, every worker's bytes in global rank order, to recvbuf at
 * displs with counts. */
static void unpack(const struct psw_hybrid *h, const char *all, void *recvbuf,
                   const size_t *counts, const size_t *displs) {
  size_t off = 0;
  for (int r = 0; r < h->total; r++) {
    psw__copy((char *)recvbuf + displs[r], all + off, counts[r]);
    off += counts[r];
  }
}

int psw__hyb_gather(psw_ctx_t *c, const void *sendbuf, size_t nbytes,
                    void *recvbuf, int root) {
  /* One node: the node's collective (local rank = global rank). Across
   * nodes the general gatherv, whose node stage packs for the leaders. */
  if (H(c)->num_nodes != 1 || nbytes == 0 || nbytes > PSW_SHM_SMALL)
    return PSW__NOT_HANDLED;
  return psw__shm_gather_small(c->grp, c->local_rank, &c->step, sendbuf, nbytes,
                               recvbuf, root);
}

int psw__hyb_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                     void *recvbuf, const size_t *counts, const size_t *displs,
                     int root) {
  struct psw_hybrid *h = H(c);
  struct psw_shm_group *g = c->grp;
  int lr = c->local_rank, ln = g->n, rc;
  if (h->num_nodes == 1)
    return psw__shm_gatherv(g, lr, &c->step, sendbuf, sendbytes, recvbuf,
                            counts, displs, root);
  int rn = root < 0 ? -1 : psw__hybrid_node_of(h, root);
  int rl = root < 0 ? 0 : root - h->node_first[rn];
  int N = h->num_nodes;
  uint64_t mine = sendbytes, *sizes = NULL, *totals = NULL, gtot = 0;
  size_t *v = NULL; /* leader: 4 arrays of max(ln, N) */
  char *nb = NULL, *all = NULL;
  int m = ln > N ? ln : N;
  if (lr == 0 && (!(v = lead_alloc(c, 4 * (size_t)m * sizeof *v)) ||
                  !(sizes = lead_alloc(c, (size_t)ln * 8)) ||
                  !(totals = lead_alloc(c, (size_t)N * 8)))) {
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  size_t *c1 = v, *d1 = v ? v + m : NULL, *c2 = v ? v + 2 * m : NULL,
         *d2 = v ? v + 3 * m : NULL;
  /* 1. the node's sizes, then its data, on the leader */
  if (lr == 0)
    for (int k = 0; k < ln; k++) {
      c1[k] = 8;
      d1[k] = (size_t)k * 8;
    }
  if ((rc = psw__shm_gatherv(g, lr, &c->step, &mine, 8, sizes, c1, d1, 0)))
    goto out;
  uint64_t ntot = 0;
  if (lr == 0) {
    for (int k = 0; k < ln; k++) {
      c1[k] = sizes[k];
      d1[k] = ntot;
      ntot += sizes[k];
    }
    if (!(nb = lead_alloc(c, ntot))) {
      rc = PSW_ERR_NOMEM;
      goto out;
    }
  }
  if ((rc = psw__shm_gatherv(g, lr, &c->step, sendbuf, sendbytes, nb, c1, d1,
                             0)))
    goto out;
  /* 2. leaders: node totals, then the nodes' data in node order */
  if (lr == 0) {
    for (int k = 0; k < N; k++) {
      c2[k] = 8;
      d2[k] = (size_t)k * 8;
    }
    rc = psw__mpic_gatherv(h->leaders, &ntot, 8, totals, c2, d2, rn);
    int receiver = root < 0 || c->node_id == rn;
    if (!rc && receiver) {
      for (int k = 0; k < N; k++) {
        c2[k] = totals[k];
        d2[k] = gtot;
        gtot += totals[k];
      }
      if (!(all = lead_alloc(c, gtot)))
        rc = PSW_ERR_NOMEM;
    }
    if (!rc)
      rc = psw__mpic_gatherv(h->leaders, nb, ntot, all, c2, d2, rn);
    if ((rc = lead(c, rc)))
      goto out;
  }
  /* 3. release: to every worker, or to the root */
  if (root < 0) {
    if ((rc = psw__shm_bcast(g, lr, &c->step, &gtot, 8, 0)))
      goto out;
    if (lr != 0 && !(all = malloc(gtot ? gtot : 1))) {
      rc = PSW_ERR_NOMEM;
      psw__shm_abort(g, rc);
      goto out;
    }
    if ((rc = psw__shm_bcast(g, lr, &c->step, all, gtot, 0)))
      goto out;
    unpack(h, all, recvbuf, counts, displs);
  } else if (c->node_id == rn) {
    if (rl == 0) {
      if (lr == 0)
        unpack(h, all, recvbuf, counts, displs);
    } else {
      /* The root knows the total from its counts. */
      uint64_t want = 0;
      if (lr == rl)
        for (int r = 0; r < h->total; r++)
          want += counts[r];
      char *rb = NULL;
      if (lr == rl && !(rb = malloc(want ? want : 1))) {
        psw__shm_abort(g, PSW_ERR_NOMEM);
        rc = PSW_ERR_NOMEM;
        goto out;
      }
      rc = leader_to(c, all, gtot, rb, want, rl);
      if (!rc && lr == rl)
        unpack(h, rb, recvbuf, counts, displs);
      free(rb);
    }
  }
out:
  free(all);
  free(nb);
  free(totals);
  free(sizes);
  free(v);
  return rc;
}

int psw__hyb_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                      const size_t *displs, void *recvbuf, size_t recvbytes,
                      int root) {
  struct psw_hybrid *h = H(c);
  struct psw_shm_group *g = c->grp;
  int lr = c->local_rank, ln = g->n, N = h->num_nodes, rc = 0;
  if (N == 1)
    return psw__shm_scatterv(g, lr, &c->step, sendbuf, counts, displs, recvbuf,
                             recvbytes, root);
  int rn = psw__hybrid_node_of(h, root), rl = root - h->node_first[rn];
  int T = h->total;
  /* The package: [uint64 counts per node-group worker][their data], one
   * per node, concatenated in node order. */
  char *pkg = NULL, *mine = NULL;
  uint64_t pkgsz = 0, mysz = 0, *psz = NULL;
  size_t *v = NULL;
  int m = ln > N ? ln : N;
  if (lr == root - h->node_first[rn] && c->node_id == rn) {
    uint64_t data = 0;
    for (int r = 0; r < T; r++)
      data += counts[r];
    pkgsz = (uint64_t)T * 8 + data;
    if (!(pkg = lead_alloc(c, pkgsz))) {
      rc = PSW_ERR_NOMEM;
      goto out;
    }
    char *p = pkg;
    for (int k = 0; k < N; k++) {
      int a = h->node_first[k], z = h->node_first[k + 1];
      for (int r = a; r < z; r++) {
        uint64_t cn = counts[r];
        memcpy(p, &cn, 8);
        p += 8;
      }
      for (int r = a; r < z; r++) {
        psw__copy(p, (const char *)sendbuf + displs[r], counts[r]);
        p += counts[r];
      }
    }
  }
  if (lr == 0 && !(v = lead_alloc(c, 2 * (size_t)m * sizeof *v))) {
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  /* 1. root → its leader */
  if (c->node_id == rn && rl != 0) {
    if ((rc = psw__shm_bcast(g, lr, &c->step, &pkgsz, 8, rl)))
      goto out;
    char *got = NULL;
    if (lr == 0 && !(got = lead_alloc(c, pkgsz))) {
      rc = PSW_ERR_NOMEM;
      goto out;
    }
    if (lr == 0) {
      for (int k = 0; k < ln; k++)
        v[k] = v[m + k] = 0;
      v[rl] = pkgsz;
    }
    rc = psw__shm_gatherv(g, lr, &c->step, pkg, lr == rl ? pkgsz : 0, got, v,
                          v ? v + m : NULL, 0);
    free(pkg);
    pkg = got;
    if (rc)
      goto out;
  }
  /* 2. leaders: each node's package */
  if (lr == 0) {
    size_t *cs = v, *ds = v + m;
    uint64_t off = 0;
    if (c->node_id == rn) {
      if (!(psz = lead_alloc(c, (size_t)N * 8))) {
        rc = PSW_ERR_NOMEM;
        goto out;
      }
      const char *p = pkg;
      for (int k = 0; k < N; k++) {
        uint64_t sz = 0;
        for (int r = h->node_first[k]; r < h->node_first[k + 1]; r++) {
          uint64_t cn;
          memcpy(&cn, p + (r - h->node_first[k]) * 8, 8);
          sz += 8 + cn;
        }
        psz[k] = sz;
        p += sz;
      }
    }
    for (int k = 0; k < N; k++) {
      cs[k] = 8;
      ds[k] = (size_t)k * 8;
    }
    rc = psw__mpic_scatterv(h->leaders, psz, cs, ds, &mysz, 8, rn);
    if (!rc && c->node_id == rn)
      for (int k = 0; k < N; k++) {
        cs[k] = psz[k];
        ds[k] = off;
        off += psz[k];
      }
    if (!rc && !(mine = lead_alloc(c, mysz)))
      rc = PSW_ERR_NOMEM;
    if (!rc)
      rc = psw__mpic_scatterv(h->leaders, pkg, cs, ds, mine, mysz, rn);
    if ((rc = lead(c, rc)))
      goto out;
    /* 3. the node's own counts, for the node-local scatter */
    uint64_t doff = 0;
    for (int k = 0; k < ln; k++) {
      uint64_t cn;
      memcpy(&cn, mine + (size_t)k * 8, 8);
      v[k] = cn;
      v[m + k] = doff;
      doff += cn;
    }
  }
  rc = psw__shm_scatterv(g, lr, &c->step, mine ? mine + (size_t)ln * 8 : NULL,
                         v, v ? v + m : NULL, recvbuf, recvbytes, 0);
out:
  free(mine);
  free(psz);
  free(pkg);
  free(v);
  return rc;
}
