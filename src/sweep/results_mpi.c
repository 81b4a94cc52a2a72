/* parsweep — results.h5 with MPI-IO (see results_mpi.h). */
#include "results_mpi.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_h5.h"
#include "results_impl.h"

/* What rank 0 tells the others before they create. */
struct hdr {
  int rc;
  char tmp[PATH_MAX];
  char err[256];
};

int psw__results_create_mpi(const char *path, const psw_spec_t *spec,
                            const psw_results_meta_t *meta, MPI_Comm comm,
                            int pre_rc, psw_results_t **out, char *err,
                            size_t errlen) {
  int me;
  MPI_Comm_rank(comm, &me);
  *out = NULL;
  struct hdr *h = calloc(1, sizeof *h);
  if (!h)
    return PSW_ERR_NOMEM; /* the others would wait: MPI ends the job */
  /* Rank 0 lays the file out with serial HDF5 (parallel HDF5 1.10 cannot
   * write its variable-length strings), under a temporary name. */
  if (me == 0) {
    h->rc = pre_rc;
    psw_results_t *r = NULL;
    if (!h->rc)
      h->rc = psw__results_create(path, spec, meta, &r, h->err, sizeof h->err);
    if (!h->rc) {
      snprintf(h->tmp, sizeof h->tmp, "%s", psw__results_tmp_path(r));
      if ((h->rc = psw__results_close_layout(r)))
        snprintf(h->err, sizeof h->err, "%.200s: cannot close", h->tmp);
    }
  }
  MPI_Bcast(h, sizeof *h, MPI_BYTE, 0, comm);
  int rc = h->rc;
  if (rc) {
    psw__results_errf(err, errlen, "%s",
                      h->err[0] ? h->err : "the root could not start");
    if (me == 0 && h->tmp[0])
      unlink(h->tmp);
    free(h);
    return rc;
  }
  /* Then every writer opens it with MPI-IO. */
  hid_t fapl = psw__h5_fapl();
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
    rc = PSW_ERR_IO;
    psw__results_errf(err, errlen, "%s: cannot set up MPI-IO", path);
  } else {
    rc = psw__results_open_with(path, h->tmp, spec, fapl, out, err, errlen);
    if (!rc && me == 0)
      rc = psw__results_adopt_tmp(*out);
  }
  if (fapl >= 0)
    H5Pclose(fapl);
  int all = rc;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, comm);
  if (all && !rc) {
    psw__results_errf(err, errlen, "%s: another writer failed to open it",
                      path);
    psw__results_abort(*out);
    *out = NULL;
  }
  if (all && me == 0)
    unlink(h->tmp);
  free(h);
  return rc ? rc : all;
}

int psw__results_finish_mpi(psw_results_t *r, MPI_Comm comm,
                            const uint64_t counts[PSW_RESULTS_NSTATUS],
                            uint64_t totals[PSW_RESULTS_NSTATUS], char *err,
                            size_t errlen) {
  int me;
  MPI_Comm_rank(comm, &me);
  uint64_t c[PSW_RESULTS_NSTATUS];
  memcpy(c, counts, sizeof c);
  c[0] = 0; /* "not run" is what no writer recorded */
  MPI_Allreduce(c, totals, PSW_RESULTS_NSTATUS, MPI_UINT64_T, MPI_SUM, comm);
  uint64_t recorded = 0;
  for (int s = 1; s < PSW_RESULTS_NSTATUS; s++)
    recorded += totals[s];
  totals[0] = r->n > recorded ? r->n - recorded : 0;
  char when[32];
  if (me == 0)
    psw__results_utc_now(when, sizeof when);
  MPI_Bcast(when, sizeof when, MPI_CHAR, 0, comm);
  int rc = psw__results_finish_ex(r, recorded == r->n, totals, when, me == 0,
                                  err, errlen);
  int all = rc;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, comm);
  if (all && !rc)
    psw__results_errf(err, errlen, "another writer failed to finish");
  return rc ? rc : all;
}
