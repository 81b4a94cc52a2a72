/* parsweep — MPI helpers (see mpiutil.h). */
#include "mpi/mpiutil.h"

#include <pthread.h>
#include <time.h>

#include "internal.h"
#include "parsweep/mpi.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int users;     /* managers alive that use MPI */
static int we_init;   /* we called MPI_Init_thread */
static int finalized; /* MPI cannot be initialised twice */

int psw__mpi_acquire(void) {
  int rc = 0, flag = 0;
  pthread_mutex_lock(&init_lock);
  MPI_Initialized(&flag);
  if (!flag) {
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin || finalized) {
      PSW_ERROR("MPI was finalised in this process; it cannot be used again");
      rc = PSW_ERR_UNAVAILABLE;
      goto out;
    }
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) !=
        MPI_SUCCESS) {
      rc = PSW_ERR_SYS;
      goto out;
    }
    we_init = 1;
    if (provided < MPI_THREAD_MULTIPLE)
      PSW_WARN("MPI provides thread level %d, not MPI_THREAD_MULTIPLE; "
               "dynamic scheduling needs it",
               provided);
  }
  users++;
out:
  pthread_mutex_unlock(&init_lock);
  return rc;
}

void psw__mpi_release(void) {
  pthread_mutex_lock(&init_lock);
  if (--users == 0 && we_init) {
    MPI_Finalize();
    we_init = 0;
    finalized = 1;
  }
  pthread_mutex_unlock(&init_lock);
}

int psw__mpi_wait(MPI_Request *r) {
  int done = 0;
  long sleep_ns = 1000;
  for (int spin = 0;; spin++) {
    if (MPI_Test(r, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return PSW_ERR_SYS;
    if (done)
      return 0;
    if (spin < 200)
      continue;
    struct timespec ts = {0, sleep_ns};
    nanosleep(&ts, NULL);
    if (sleep_ns < 1000000)
      sleep_ns *= 2;
  }
}

MPI_Datatype psw__mpi_type(psw_type_t t) {
  switch (t) {
  case PSW_INT32:
    return MPI_INT32_T;
  case PSW_INT64:
    return MPI_INT64_T;
  case PSW_UINT64:
    return MPI_UINT64_T;
  case PSW_DOUBLE:
    return MPI_DOUBLE;
  case PSW_BYTE:
    return MPI_BYTE;
  }
  return MPI_DATATYPE_NULL;
}

int psw__mpi_err(int mpirc, const char *what) {
  if (mpirc == MPI_SUCCESS)
    return 0;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(mpirc, msg, &len);
  PSW_ERROR("%s: %s", what, msg);
  return PSW_ERR_SYS;
}

double psw__mpi_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int psw_mpi_writers_comm(const psw_ctx_t *ctx, MPI_Comm *comm) {
  if (!ctx || !comm)
    return PSW_ERR_INVAL;
  if (!ctx->mgr->be->writers_comm)
    return PSW_ERR_UNAVAILABLE;
  if (!psw_is_node_writer(ctx))
    return PSW_ERR_INVAL;
  return ctx->mgr->be->writers_comm(ctx, comm);
}
