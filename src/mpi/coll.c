/* parsweep — collectives over an MPI communicator (see coll.h). */
#include "mpi/coll.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "internal.h"
#include "mpi/mpiutil.h"

/* Bytes of one broadcast step: MPI counts are int. */
#define PSW_MPI_BCAST_STEP ((size_t)1 << 30)
/* What the root of a reduction holds at once: per-rank pieces shrink as
 * ranks grow so that root's memory stays near this. */
#define PSW_MPI_REDUCE_ROOT_BYTES ((size_t)16 << 20)
#define PSW_MPI_REDUCE_MAX_PIECE ((size_t)128 << 10)

int psw__mpic_barrier(MPI_Comm comm) {
  MPI_Request r;
  int rc = psw__mpi_err(MPI_Ibarrier(comm, &r), "MPI_Ibarrier");
  return rc ? rc : psw__mpi_wait(&r);
}

int psw__mpic_bcast(MPI_Comm comm, void *buf, size_t nbytes, int root) {
  for (size_t off = 0; off < nbytes; off += PSW_MPI_BCAST_STEP) {
    size_t len =
        nbytes - off < PSW_MPI_BCAST_STEP ? nbytes - off : PSW_MPI_BCAST_STEP;
    MPI_Request r;
    int rc = psw__mpi_err(
        MPI_Ibcast((char *)buf + off, (int)len, MPI_BYTE, root, comm, &r),
        "MPI_Ibcast");
    if (rc || (rc = psw__mpi_wait(&r)))
      return rc;
  }
  return 0;
}

/* size_t counts/displacements to the int arrays MPI takes. */
static int to_int(int n, const size_t *counts, const size_t *displs, int **ic,
                  int **id) {
  *ic = malloc(2 * (size_t)n * sizeof(int));
  if (!*ic)
    return PSW_ERR_NOMEM;
  *id = *ic + n;
  for (int r = 0; r < n; r++) {
    if (counts[r] > INT_MAX || displs[r] > INT_MAX) {
      PSW_ERROR("the MPI backends move at most 2 GiB per rank and "
                "collective");
      free(*ic);
      return PSW_ERR_INVAL;
    }
    (*ic)[r] = (int)counts[r];
    (*id)[r] = (int)displs[r];
  }
  return 0;
}

int psw__mpic_scatterv(MPI_Comm comm, const void *sendbuf, const size_t *counts,
                       const size_t *displs, void *recvbuf, size_t recvbytes,
                       int root) {
  int me, n, *ic = NULL, *id = NULL, rc;
  MPI_Comm_rank(comm, &me);
  MPI_Comm_size(comm, &n);
  if (recvbytes > INT_MAX)
    return PSW_ERR_INVAL;
  if (me == root && (rc = to_int(n, counts, displs, &ic, &id)))
    return rc;
  MPI_Request r;
  rc = psw__mpi_err(MPI_Iscatterv(sendbuf, ic, id, MPI_BYTE, recvbuf,
                                  (int)recvbytes, MPI_BYTE, root, comm, &r),
                    "MPI_Iscatterv");
  if (!rc)
    rc = psw__mpi_wait(&r);
  free(ic);
  return rc;
}

int psw__mpic_gatherv(MPI_Comm comm, const void *sendbuf, size_t sendbytes,
                      void *recvbuf, const size_t *counts, const size_t *displs,
                      int root) {
  int me, n, *ic = NULL, *id = NULL, rc;
  MPI_Comm_rank(comm, &me);
  MPI_Comm_size(comm, &n);
  if (sendbytes > INT_MAX)
    return PSW_ERR_INVAL;
  if ((root < 0 || me == root) && (rc = to_int(n, counts, displs, &ic, &id)))
    return rc;
  MPI_Request r;
  if (root < 0)
    rc = psw__mpi_err(MPI_Iallgatherv(sendbuf, (int)sendbytes, MPI_BYTE,
                                      recvbuf, ic, id, MPI_BYTE, comm, &r),
                      "MPI_Iallgatherv");
  else
    rc = psw__mpi_err(MPI_Igatherv(sendbuf, (int)sendbytes, MPI_BYTE, recvbuf,
                                   ic, id, MPI_BYTE, root, comm, &r),
                      "MPI_Igatherv");
  if (!rc)
    rc = psw__mpi_wait(&r);
  free(ic);
  return rc;
}

int psw__mpic_reduce(MPI_Comm comm, const void *sendbuf, void *recvbuf,
                     size_t count, psw_type_t type, psw_op_t op, int root) {
  int me, n;
  MPI_Comm_rank(comm, &me);
  MPI_Comm_size(comm, &n);
  int at = root < 0 ? 0 : root;
  size_t esz = psw_type_size(type);
  size_t piece = PSW_MPI_REDUCE_ROOT_BYTES / (size_t)n;
  if (piece > PSW_MPI_REDUCE_MAX_PIECE)
    piece = PSW_MPI_REDUCE_MAX_PIECE;
  size_t per = piece / esz ? piece / esz : 1; /* elements per step */
  if (count < per)
    per = count;
  char *all = NULL, *mine = NULL;
  int rc = 0;
  if (count == 0)
    return 0;
  /* mine: a copy of this rank's piece, so that sendbuf == recvbuf is safe
   * on the root (it writes recvbuf while others' pieces still arrive). */
  if (!(mine = malloc(per * esz)) ||
      (me == at && !(all = malloc((size_t)n * per * esz)))) {
    free(mine);
    return PSW_ERR_NOMEM;
  }
  for (size_t off = 0; off < count && !rc; off += per) {
    size_t c = count - off < per ? count - off : per;
    memcpy(mine, (const char *)sendbuf + off * esz, c * esz);
    MPI_Request r;
    rc = psw__mpi_err(MPI_Igather(mine, (int)(c * esz), MPI_BYTE, all,
                                  (int)(c * esz), MPI_BYTE, at, comm, &r),
                      "MPI_Igather");
    if (rc || (rc = psw__mpi_wait(&r)))
      break;
    char *dst = (char *)recvbuf + off * esz;
    if (me == at) {
      memcpy(dst, all, c * esz);
      for (int k = 1; k < n; k++)
        psw__op_apply(dst, all + (size_t)k * c * esz, c, type, op);
    }
    if (root < 0)
      rc = psw__mpic_bcast(comm, dst, c * esz, at);
  }
  free(all);
  free(mine);
  return rc;
}
