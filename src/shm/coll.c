/* parsweep — shared-memory collectives (see coll.h for the scheme). */
#include "shm/coll.h"

#include <string.h>

#include "core/dtype.h"
#include "internal.h"

static size_t min_sz(size_t a, size_t b) {
  return a < b ? a : b;
}

/* Bytes of a `total`-byte message that fall in the step starting at `off`. */
static size_t part(size_t total, size_t off, size_t slot) {
  return total > off ? min_sz(slot, total - off) : 0;
}

int psw__shm_bcast(struct psw_shm_group *g, int rank, uint64_t *step, void *buf,
                   size_t nbytes, int root) {
  if (nbytes > 0 && nbytes <= PSW_SHM_SMALL)
    return psw__shm_bcast_small(g, rank, step, buf, nbytes, root);
  size_t slot = g->slot_bytes;
  for (size_t off = 0; off < nbytes; off += slot) {
    size_t len = part(nbytes, off, slot);
    struct psw_shm_slot *s = psw__shm_slot(g, (int)((*step)++ & 1), root);
    if (rank == root)
      psw__copy(s->data, (char *)buf + off, len);
    int rc = psw__shm_barrier(g, rank);
    if (rc)
      return rc;
    if (rank != root)
      psw__copy((char *)buf + off, s->data, len);
  }
  return 0;
}

int psw__shm_scatterv(struct psw_shm_group *g, int rank, uint64_t *step,
                      const void *sendbuf, const size_t *counts,
                      const size_t *displs, void *recvbuf, size_t recvbytes,
                      int root) {
  size_t slot = g->slot_bytes;
  /* Only root knows every count, so root tells the others in its slot
   * header whether another step follows. */
  for (size_t off = 0;; off += slot) {
    int b = (int)((*step)++ & 1);
    struct psw_shm_slot *rs = psw__shm_slot(g, b, root);
    if (rank == root) {
      uint32_t more = 0;
      for (int w = 0; w < g->n; w++) {
        size_t len = part(counts[w], off, slot);
        if (w != root) {
          struct psw_shm_slot *s = psw__shm_slot(g, b, w);
          psw__copy(s->data, (const char *)sendbuf + displs[w] + off, len);
          s->len = len;
        }
        more |= counts[w] > off + slot;
      }
      rs->more = more;
      psw__copy((char *)recvbuf + off,
                (const char *)sendbuf + displs[root] + off,
                part(min_sz(counts[root], recvbytes), off, slot));
    }
    int rc = psw__shm_barrier(g, rank);
    if (rc)
      return rc;
    if (rank != root) {
      struct psw_shm_slot *s = psw__shm_slot(g, b, rank);
      /* Never write past the receiver's buffer, even if root's count for
       * it disagrees with recvbytes. */
      psw__copy((char *)recvbuf + off, s->data,
                min_sz(s->len, part(recvbytes, off, slot)));
    }
    if (!rs->more)
      return 0;
  }
}

int psw__shm_gatherv(struct psw_shm_group *g, int rank, uint64_t *step,
                     const void *sendbuf, size_t sendbytes, void *recvbuf,
                     const size_t *counts, const size_t *displs, int root) {
  size_t slot = g->slot_bytes;
  int receiver = root < 0 || rank == root;
  for (size_t off = 0;; off += slot) {
    int b = (int)((*step)++ & 1);
    struct psw_shm_slot *mine = psw__shm_slot(g, b, rank);
    size_t len = part(sendbytes, off, slot);
    if (!receiver || root < 0) /* a rooted root reads its own sendbuf */
      psw__copy(mine->data, (const char *)sendbuf + off, len);
    mine->len = len;
    mine->more = sendbytes > off + slot;
    int rc = psw__shm_barrier(g, rank);
    if (rc)
      return rc;
    /* Every worker reads every header, so all agree on whether another
     * step follows without knowing the others' sizes in advance. */
    uint32_t more = 0;
    for (int w = 0; w < g->n; w++) {
      struct psw_shm_slot *s = psw__shm_slot(g, b, w);
      more |= s->more;
      if (!receiver)
        continue;
      size_t room = part(counts[w], off, slot);
      const void *src =
          w == rank ? (const void *)((const char *)sendbuf + off) : s->data;
      psw__copy((char *)recvbuf + displs[w] + off, src, min_sz(s->len, room));
    }
    if (!more)
      return 0;
  }
}

int psw__shm_reduce(struct psw_shm_group *g, int rank, uint64_t *step,
                    const void *sendbuf, void *recvbuf, size_t count,
                    psw_type_t type, psw_op_t op, int root) {
  size_t esz = psw_type_size(type);
  if (count > 0 && count <= PSW_SHM_SMALL / esz)
    return psw__shm_reduce_small(g, rank, step, sendbuf, recvbuf, count, type,
                                 op, root);
  size_t per = g->slot_bytes / esz;
  int receiver = root < 0 || rank == root;
  for (size_t off = 0; off < count; off += per) {
    size_t c = min_sz(per, count - off);
    int b = (int)((*step)++ & 1);
    struct psw_shm_slot *mine = psw__shm_slot(g, b, rank);
    /* Copy in before anything is written to recvbuf: in-place safe. */
    psw__copy(mine->data, (const char *)sendbuf + off * esz, c * esz);
    int rc = psw__shm_barrier(g, rank);
    if (rc)
      return rc;
    if (!receiver)
      continue;
    /* Rank order on every receiver: bit-identical results everywhere. */
    char *dst = (char *)recvbuf + off * esz;
    psw__copy(dst, psw__shm_slot(g, b, 0)->data, c * esz);
    for (int w = 1; w < g->n; w++)
      psw__op_apply(dst, psw__shm_slot(g, b, w)->data, c, type, op);
  }
  return 0;
}
