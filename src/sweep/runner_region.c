/* parsweep — one region of a sweep (runner_impl.h).
 *
 * Every worker samples, evaluates and fills a row record; psw_for_ex hands
 * out sample indices dynamically and streams the records to the sink on
 * the writer (runner_write.c). The parent's view (counts, errors) comes
 * back through a small MAP_SHARED block, so it works whether the workers
 * are threads or forked processes. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runner_impl.h"
#include "runner_io.h"
#include "util.h"

/* The spec's bound on values a sample keeps every record within the fork
 * and threads backends' staging slot (a ring entry: 8 bytes + a record). */
_Static_assert(8 + sizeof(struct rec_hdr) +
                       PSW_SPEC_MAX_VALUES * sizeof(double) <=
                   PSW_DEFAULT_SHM_SLOT_BYTES,
               "PSW_SPEC_MAX_VALUES: a record must fit the staging slot");

/* The worker's next chunk: its tasks hand the model batches from it. */
static void on_chunk(psw_ctx_t *ctx, uint64_t begin, uint64_t end, void *arg) {
  (void)ctx;
  (void)begin;
  struct worker *w = arg;
  w->chunk_end = end;
}

/* Hand the model the samples from i to the chunk's end that are not
 * recorded, up to a batch, when there are two or more: one wake-up of
 * its host for all of them (model_ring.h). */
static int hand_batch(struct worker *w, uint64_t i) {
  size_t n = 0;
  for (uint64_t j = i; j < w->chunk_end && n < w->batch_cap; j++) {
    if (recorded(w->run->done, j))
      continue;
    int rc =
        psw__design_sample(w->design, j, psw__model_batch_slot(w->model, n, j));
    if (rc)
      return rc;
    n++;
  }
  return n > 1 ? psw__model_batch_start(w->model, n, w->run->spec->retries) : 0;
}

static int task(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  (void)ctx;
  struct worker *w = arg;
  const psw_spec_t *spec = w->run->spec;
  struct rec_hdr *h = record;
  if (recorded(w->run->done, i)) {
    h->skipped = 1;
    return 0;
  }
  int batched = psw__model_batch_next(w->model, i);
  if (atomic_load_explicit(&w->run->sh->stop, memory_order_relaxed)) {
    /* Handed over in a batch: what the host has finished, or runs now,
     * is recorded; it starts nothing more. */
    if (!batched)
      return PSW_ERR_INTERRUPTED;
    psw__model_batch_halt(w->model);
  }
  double *params = REC_VALUES(h), *outputs = params + spec->nparams;
  int rc = 0;
  if (!batched && w->batch_cap > 1 && i + 1 < w->chunk_end) {
    if ((rc = hand_batch(w, i)))
      return rc;
    batched = psw__model_batch_next(w->model, i);
  }
  /* A batch's sample has its parameters in its slot (taken with it). */
  if (!batched && (rc = psw__design_sample(w->design, i, params)))
    return rc;
  psw_eval_t ev = {0};
  double elapsed = 0;
  int attempt = 0;
  if (batched) {
    /* The host made the attempts of a FAILED sample itself; after a crash
     * or a timeout the ones left are made here, one by one. */
    rc = psw__model_batch_take(w->model, i, params, outputs, &ev, &attempt);
    if (rc)
      return rc;
    elapsed = ev.elapsed;
  }
  for (; attempt <= spec->retries && !(attempt && ev.status == PSW_ST_OK);
       attempt++) {
    if ((rc = psw__model_eval(w->model, i, params, outputs, &ev))) {
      /* A server that cannot be restarted says why, naming the command. */
      const char *why = psw__model_error(w->model);
      if (rc != PSW_ERR_INTERRUPTED && why[0])
        fail(w->run, rc, "%s", why);
      return rc;
    }
    elapsed += ev.elapsed;
  }
  h->elapsed = elapsed;
  h->exit_code = ev.exit_code;
  h->status = ev.status;
  h->worker = w->rank;
  h->node = w->node;
  return 0;
}

static int region(psw_ctx_t *ctx, void *arg) {
  struct run *run = arg;
  struct worker w = {
      .run = run, .rank = psw_rank(ctx), .node = psw_node_id(ctx)};
  /* elastic: the id of the head's log ("worker N"), not the region's rank,
   * in /parsweep/worker and PARSWEEP_WORKER: one numbering. */
  int eid = psw_elastic_worker_id(psw_ctx_manager(ctx));
  if (eid > 0)
    w.rank = eid;
  struct root r = {.run = run, .lock = {.fd = -1}};
  psw_sweep_stats_t st;
  memset(&st, 0, sizeof st);
  char err[512] = "";
  int rc = psw__design_create(run->spec, &w.design);
  if (rc) {
    fail(run, rc, "%s", "cannot build the sample design");
    return rc;
  }
  /* The elastic head hands samples out and writes; it evaluates none, so
   * it needs no model (a plugin's init may be costly). */
  int evaluates = !psw_is_root(ctx) || (psw_manager_caps(psw_ctx_manager(ctx)) &
                                        PSW_CAP_ROOT_EVALUATES);
  if (evaluates) {
    /* The cancel fd already: a server's start-up may take minutes. */
    rc = psw__model_open_ex(run->spec, w.rank, w.rank, run->cancel_rfd,
                            &w.model, err, sizeof err);
    if (rc) {
      fail(run, rc, "%s", err);
      goto out;
    }
    psw__model_set_cancel_fd(w.model, run->cancel_rfd);
    w.batch_cap = psw__model_batch_cap(w.model);
    psw__model_set_stop(w.model, &run->sh->stop);
  }
  r.per_node = psw__io_per_node(ctx);
  int writer = r.per_node ? psw_is_node_writer(ctx) : psw_is_root(ctx);
  if (writer && (rc = psw__run_root_begin(ctx, &r)))
    goto out;
  psw_for_opts_t fo;
  psw_for_opts_init(&fo);
  fo.record_size = run->rec_size;
  fo.sink = psw__run_sink;
  fo.sink_arg = &r;
  fo.sink_per_node = r.per_node;
  if (r.per_node && psw_is_root(ctx)) {
    fo.progress = psw__run_on_progress;
    fo.progress_arg = &r;
  }
  /* Samples in flight stay within a window of indices, so rows reach the
   * writer nearly in order (few, long runs per flush; a prefix-like set of
   * recorded samples when a run is interrupted). */
  fo.max_chunk = 1024;
  /* The elastic head runs no tasks: it stops handing out samples itself. */
  fo.stop = (const int *)&run->sh->stop;
  fo.cancel = psw__run_cancel_hook;
  fo.first = run->lo;
  fo.chunk = on_chunk;
  int loop_rc = psw_for_ex(ctx, run->hi, task, &w, &fo);
  if (writer)
    rc = psw__run_root_end(ctx, &r, loop_rc, &st);
  else
    rc = loop_rc == PSW_ERR_INTERRUPTED ? 0 : loop_rc;
  /* A recursive sweep: the root decides what follows the round. */
  if (!rc && psw_is_root(ctx) && run->spec->num_successes)
    rc = psw__run_after_round(run, &st);
  if (rc)
    goto out;
  /* Everyone learns the outcome, so that every process that called
   * psw_parallel (every rank under MPI) can report it and exit alike. */
  if ((rc = psw_bcast_bytes(ctx, &st, sizeof st, 0)))
    goto out;
  /* Every worker has the same values: the first of each process (of each
   * shared block: threads and fork workers share one) writes them; the
   * root's process (or, for fork, its supervising parent) is marked to
   * report them. */
  if (psw_is_root(ctx))
    run->sh->root_here = 1;
  if (!atomic_exchange(&run->sh->stats_set, 1))
    run->sh->stats = st;
out:
  psw__model_close(w.model);
  psw__design_free(w.design);
  return rc;
}

/* What every process of a run shares: the MAP_SHARED block that fork
 * workers report through, and the pipe that cancels running samples. */
int psw__run_init(struct run *run, const psw_sweep_opts_t *o,
                  const psw_spec_t *spec, char *err, size_t errlen) {
  memset(run, 0, sizeof *run);
  run->o = o;
  run->spec = spec;
  run->todo = spec->total;
  run->hi = spec->total;
  run->round = 1;
  run->cancel_rfd = -1;
  run->rec_size = sizeof(struct rec_hdr) +
                  (spec->nparams + spec->noutputs) * sizeof(double);
  run->sh = mmap(NULL, sizeof *run->sh, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (run->sh == MAP_FAILED) {
    run->sh = NULL;
    snprintf(err, errlen, "mmap: %s", strerror(errno));
    return PSW_ERR_SYS;
  }
  memset(run->sh, 0, sizeof *run->sh);
  int cancel[2];
  if (pipe2(cancel, O_CLOEXEC | O_NONBLOCK) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return PSW_ERR_SYS;
  }
  run->cancel_rfd = cancel[0];
  run->cancel_wfd = cancel[1];
  return 0;
}

void psw__run_fini(struct run *run) {
  psw__doneset_free(run->done);
  free(run->done);
  free(run->created);
  if (run->sh)
    munmap(run->sh, sizeof *run->sh);
  if (run->cancel_rfd >= 0) {
    close(run->cancel_rfd);
    close(run->cancel_wfd);
  }
}

int psw__run_region(psw_manager_t *mgr, struct run *run, double *wall) {
  struct sigaction old[PSW_RUN_NSIGS];
  /* A recursive sweep's caller holds them over all its rounds: a stop
   * between two rounds is kept for the next (which it then stops). */
  int own = !psw__run_stops_held(run);
  if (own)
    psw__run_catch_stops(run, old);
  /* A fork worker whose supervisor sees a sibling die is told through the
   * cancel pipe, like a SIGTERM: its models are cancelled (recorded not
   * run) and it leaves at once, cleaning up (backends/procpool.c). */
  psw_set_peer_lost_fd(run->cancel_wfd);
  double t0 = psw__mono_now();
  int rc = psw_parallel(mgr, region, run);
  *wall = psw__mono_now() - t0;
  psw_set_peer_lost_fd(-1);
  if (own)
    psw__run_release_stops(old);
  return rc;
}
