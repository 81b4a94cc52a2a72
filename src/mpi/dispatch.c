/* parsweep — the MPI dispatcher (see dispatch.h).
 *
 * Messages on d->req (to rank 0): tag REQ carries {err, workers}; tag RECS
 * carries records, each [uint64 index][record]; tag FIN ends a requester's
 * part in the loop. Replies on d->rep: {begin, end}; begin == end means no
 * more work. A requester sends FIN after all its records, and MPI does not
 * reorder the messages of one sender on one communicator, so when every
 * requester has sent FIN the dispatcher has every record. */
#include "mpi/dispatch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sched.h"
#include "internal.h"
#include "mpi/mpiutil.h"

enum { TAG_REQ = 1, TAG_RECS = 2, TAG_REP = 3, TAG_FIN = 4, TAG_PROG = 5 };

/* Records per message: enough to amortise a message, small enough that
 * the dispatcher's memory does not depend on the sweep. */
#define PSW_DISP_BATCH_BYTES ((size_t)256 << 10)
#define PSW_DISP_FLUSH_S 1.0

int psw__disp_init(struct psw_disp *d, MPI_Comm comm) {
  memset(d, 0, sizeof *d);
  MPI_Comm_rank(comm, &d->me);
  MPI_Comm_size(comm, &d->size);
  int rc = psw__mpi_err(MPI_Comm_dup(comm, &d->req), "MPI_Comm_dup");
  if (!rc)
    rc = psw__mpi_err(MPI_Comm_dup(comm, &d->rep), "MPI_Comm_dup");
  return rc;
}

void psw__disp_fini(struct psw_disp *d) {
  if (d->req != MPI_COMM_NULL && d->req)
    MPI_Comm_free(&d->req);
  if (d->rep != MPI_COMM_NULL && d->rep)
    MPI_Comm_free(&d->rep);
}

/* Wait for any message on d->req without spinning a CPU. */
static int probe(struct psw_disp *d, MPI_Message *msg, MPI_Status *st) {
  long sleep_ns = 1000;
  for (int spin = 0;; spin++) {
    int flag = 0;
    if (MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, d->req, &flag, msg, st) !=
        MPI_SUCCESS)
      return PSW_ERR_SYS;
    if (flag)
      return 0;
    if (spin < 100)
      continue;
    struct timespec ts = {0, sleep_ns};
    nanosleep(&ts, NULL);
    if (sleep_ns < 500000)
      sleep_ns *= 2;
  }
}

static void deliver(struct psw_disp *d, const unsigned char *buf,
                    size_t bytes) {
  size_t esz = (sizeof(uint64_t) + d->opts.record_size + 7) & ~(size_t)7;
  for (size_t off = 0; off + esz <= bytes; off += esz) {
    uint64_t idx;
    memcpy(&idx, buf + off, sizeof idx);
    if (d->sink_failed)
      continue; /* after a sink error: drain, do not deliver */
    int rc = d->opts.sink(idx, buf + off + sizeof idx, d->opts.sink_arg);
    if (rc < 0) {
      d->sink_failed = 1;
      if (!d->err)
        d->err = rc;
    }
  }
}

static void *serve(void *p) {
  struct psw_disp *d = p;
  int active = d->size; /* requesters that have not sent FIN */
  unsigned char *buf = NULL;
  size_t bufcap = 0;
  while (active > 0) {
    MPI_Message msg;
    MPI_Status st;
    if (probe(d, &msg, &st)) {
      d->server_rc = PSW_ERR_SYS;
      break;
    }
    int bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &bytes);
    if ((size_t)bytes > bufcap) {
      unsigned char *nb = realloc(buf, (size_t)bytes);
      if (!nb) {
        d->server_rc = PSW_ERR_NOMEM;
        break;
      }
      buf = nb;
      bufcap = (size_t)bytes;
    }
    if (MPI_Mrecv(buf, bytes, MPI_BYTE, &msg, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS) {
      d->server_rc = PSW_ERR_SYS;
      break;
    }
    if (st.MPI_TAG == TAG_RECS) {
      deliver(d, buf, (size_t)bytes);
      continue;
    }
    if (st.MPI_TAG == TAG_FIN) {
      active--;
      continue;
    }
    if (st.MPI_TAG == TAG_PROG) {
      uint64_t delta[2]; /* done, flagged */
      memcpy(delta, buf, sizeof delta);
      d->done += delta[0];
      d->flagged += delta[1];
      if (d->opts.progress)
        d->opts.progress(d->done, d->flagged, d->opts.progress_arg);
      continue;
    }
    int32_t req[2]; /* err, workers */
    memcpy(req, buf, sizeof req);
    if (req[0] && !d->err)
      d->err = req[0];
    uint64_t rep[2] = {d->next, d->next};
    if (!d->err && d->next < d->n) {
      uint64_t c =
          psw__chunk_size(d->n - d->next, d->total_workers, d->opts.min_chunk);
      /* A requester that stands for w workers gets w workers' share. */
      c *= (uint64_t)(req[1] > 0 ? req[1] : 1);
      uint64_t cap = d->opts.max_chunk;
      if (cap && req[1] > 1)
        cap *= (uint64_t)req[1];
      if (cap && c > cap)
        c = cap;
      if (c > d->n - d->next)
        c = d->n - d->next;
      rep[1] = d->next + c;
      d->next += c;
    }
    if (MPI_Send(rep, 2, MPI_UINT64_T, st.MPI_SOURCE, TAG_REP, d->rep) !=
        MPI_SUCCESS) {
      d->server_rc = PSW_ERR_SYS;
      break;
    }
  }
  free(buf);
  return NULL;
}

int psw__disp_serve_start(struct psw_disp *d, uint64_t n, int total_workers,
                          const psw_for_opts_t *opts) {
  d->n = n;
  d->next = 0;
  d->err = 0;
  d->done = d->flagged = 0;
  d->sink_failed = 0;
  d->server_rc = 0;
  d->total_workers = total_workers;
  d->opts = *opts;
  int e = pthread_create(&d->tid, NULL, serve, d);
  if (e) {
    PSW_ERROR("cannot start the dispatcher thread: %s", strerror(e));
    return PSW_ERR_SYS;
  }
  return 0;
}

int psw__disp_serve_join(struct psw_disp *d, int32_t *err) {
  pthread_join(d->tid, NULL);
  *err = d->err;
  return d->server_rc;
}

int psw__disp_out_begin(struct psw_disp_out *o, struct psw_disp *d,
                        size_t record_size) {
  o->comm = d->req;
  o->nrecs = 0;
  o->last_send = psw__mono_now();
  if (!record_size) {
    o->esz = 0;
    return 0;
  }
  o->esz = (sizeof(uint64_t) + record_size + 7) & ~(size_t)7;
  size_t cap = PSW_DISP_BATCH_BYTES / o->esz;
  if (cap < 1)
    cap = 1;
  if (cap != o->cap || !o->recs) {
    free(o->recs);
    o->recs = malloc(cap * o->esz);
    if (!o->recs)
      return PSW_ERR_NOMEM;
    o->cap = cap;
  }
  return 0;
}

void psw__disp_out_free(struct psw_disp_out *o) {
  free(o->recs);
  o->recs = NULL;
  o->cap = 0;
}

int psw__disp_out_flush(struct psw_disp_out *o) {
  if (!o->nrecs)
    return 0;
  MPI_Request r;
  int rc = psw__mpi_err(MPI_Isend(o->recs, (int)(o->nrecs * o->esz), MPI_BYTE,
                                  0, TAG_RECS, o->comm, &r),
                        "MPI_Isend of records");
  if (!rc)
    rc = psw__mpi_wait(&r);
  o->nrecs = 0;
  o->last_send = psw__mono_now();
  return rc;
}

void *psw__disp_out_record(struct psw_disp_out *o, uint64_t i) {
  unsigned char *e = o->recs + o->nrecs * o->esz;
  memcpy(e, &i, sizeof i);
  memset(e + sizeof i, 0, o->esz - sizeof i);
  o->nrecs++;
  return e + sizeof i;
}

void psw__disp_out_drop(struct psw_disp_out *o) {
  if (o->nrecs)
    o->nrecs--;
}

int psw__disp_out_maybe_flush(struct psw_disp_out *o) {
  if (o->nrecs >= o->cap ||
      (o->nrecs && psw__mono_now() - o->last_send >= PSW_DISP_FLUSH_S))
    return psw__disp_out_flush(o);
  return 0;
}

int psw__disp_fin(struct psw_disp *d) {
  char none = 0;
  MPI_Request r;
  int rc = psw__mpi_err(MPI_Isend(&none, 0, MPI_BYTE, 0, TAG_FIN, d->req, &r),
                        "MPI_Isend");
  return rc ? rc : psw__mpi_wait(&r);
}

int psw__disp_progress(struct psw_disp *d, uint64_t done, uint64_t flagged) {
  uint64_t delta[2] = {done, flagged};
  MPI_Request r;
  int rc = psw__mpi_err(
      MPI_Isend(delta, (int)sizeof delta, MPI_BYTE, 0, TAG_PROG, d->req, &r),
      "MPI_Isend");
  return rc ? rc : psw__mpi_wait(&r);
}

int psw__disp_next(struct psw_disp *d, int32_t err, int workers, uint64_t *b,
                   uint64_t *e) {
  int32_t req[2] = {err, workers};
  uint64_t rep[2];
  MPI_Request r[2];
  int rc = psw__mpi_err(
      MPI_Irecv(rep, 2, MPI_UINT64_T, 0, TAG_REP, d->rep, &r[0]), "MPI_Irecv");
  if (rc)
    return rc;
  rc = psw__mpi_err(
      MPI_Isend(req, (int)sizeof req, MPI_BYTE, 0, TAG_REQ, d->req, &r[1]),
      "MPI_Isend");
  if (!rc)
    rc = psw__mpi_wait(&r[1]);
  int rc2 = psw__mpi_wait(&r[0]);
  if (rc || rc2)
    return rc ? rc : rc2;
  *b = rep[0];
  *e = rep[1];
  return 0;
}
