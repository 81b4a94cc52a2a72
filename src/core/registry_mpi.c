/* parsweep — the backends of a build with MPI (PSW_WITH_MPI). */
#include "internal.h"

const struct psw_backend *const psw__backends[] = {
    &psw__backend_serial,  &psw__backend_threads, &psw__backend_fork,
    &psw__backend_mpi,     &psw__backend_hybrid,
#ifdef PSW_HAVE_ELASTIC
    &psw__backend_elastic,
#endif
};
const size_t psw__nbackends = sizeof psw__backends / sizeof psw__backends[0];

const psw_backend_t *psw_backend_mpi(void) {
  return &psw__backend_mpi;
}
const psw_backend_t *psw_backend_hybrid(void) {
  return &psw__backend_hybrid;
}
