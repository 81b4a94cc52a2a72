/* parsweep — the backends of a build without MPI. */
#include "internal.h"

const struct psw_backend *const psw__backends[] = {
    &psw__backend_serial,
    &psw__backend_threads,
    &psw__backend_fork,
#ifdef PSW_HAVE_ELASTIC
    &psw__backend_elastic,
#endif
};
const size_t psw__nbackends = sizeof psw__backends / sizeof psw__backends[0];

const psw_backend_t *psw_backend_mpi(void) {
  return NULL;
}
const psw_backend_t *psw_backend_hybrid(void) {
  return NULL;
}
