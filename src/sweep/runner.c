/* parsweep — the sweep runner (see runner.h): the orchestration.
 *
 * psw__sweep_run checks what an earlier run left, creates the manager
 * and runs the region (runner_region.c) once, or once per round of a
 * recursive sweep. The writer's lifecycle is in runner_write.c, --resume
 * in runner_resume.c, the stop signals in runner_stop.c, the elastic
 * hand-over in runner_elastic.c. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recursive.h"
#include "results_csv.h"
#include "runner_impl.h"
#include "util.h"

/* After a failed region: a root worker that was killed (a fork worker)
 * left its temporary results file and the lock file. The supervising
 * process removes them, under the lock taken again: while another run
 * holds it, they are not ours to touch. (A root that ended normally has
 * removed or renamed its file already.) */
static void clean_after_root(struct run *run) {
  if (!run->sh->tmp[0] || access(run->sh->tmp, F_OK) != 0)
    return;
  psw_lock_t lk = {.fd = -1};
  char err[512] = "";
  if (psw__lock_output(run->o->output, &lk, err, sizeof err))
    return;
  if (unlink(run->sh->tmp) == 0)
    psw_log(PSW_LOG_INFO, "%s: removed the killed root worker's %s",
            run->o->output, run->sh->tmp);
  psw__unlock_output(&lk);
}

/* A recursive sweep's next round, [hi, rec_next): every sample below it is
 * in the output now (the round before renamed it into place), so the
 * region copies them and runs the new indices. */
static int next_round(struct run *run, char *err, size_t errlen) {
  run->lo = run->hi;
  run->hi = run->sh->stats.rec_next;
  run->round++;
  atomic_store(&run->sh->stats_set, 0);
  if (run->done) {
    psw__doneset_free(run->done);
  } else if (!(run->done = malloc(sizeof *run->done))) {
    snprintf(err, errlen, "%s: out of memory", run->o->output);
    return PSW_ERR_NOMEM;
  }
  psw__doneset_init(run->done, 0);
  int rc = run->lo ? psw__doneset_add(run->done, 0, run->lo) : 0;
  if (rc) {
    snprintf(err, errlen, "%s: %s", run->o->output, psw_strerror(rc));
    return rc;
  }
  run->have_output = 1;
  run->have_journals = 0;
  run->todo = run->spec->total - run->lo;
  return 0;
}

/* The region, or a recursive sweep's rounds one after another, with the
 * run's signal handlers held over all of them (a stop between two rounds
 * stops the next). *evaluated: the samples evaluated by this run. */
static int run_rounds(psw_manager_t *mgr, struct run *run, double *wall,
                      uint64_t *evaluated, char *err, size_t errlen) {
  struct sigaction old[PSW_RUN_NSIGS];
  int rc;
  psw__run_catch_stops(run, old);
  for (;;) {
    double round_wall;
    rc = psw__run_region(mgr, run, &round_wall);
    *wall += round_wall;
    if (rc)
      clean_after_root(run);
    if (atomic_load(&run->sh->not_started) && !atomic_load(&run->sh->failed)) {
      /* Stopped while the earlier rows were being copied: the output and
       * the journals are as they were. */
      snprintf(err, errlen, "%s", run->sh->err);
      rc = PSW_ERR_INTERRUPTED;
      break;
    }
    if (rc || atomic_load(&run->sh->failed)) {
      if (run->sh->err[0])
        snprintf(err, errlen, "%s", run->sh->err);
      else
        snprintf(err, errlen, "sweep failed: %s", psw_strerror(rc));
      if (!rc)
        rc = PSW_ERR_IO;
      break;
    }
    *evaluated += run->sh->stats.evaluated;
    if (!run->sh->stats.rec_next || (rc = next_round(run, err, errlen)))
      break;
  }
  psw__run_release_stops(old);
  return rc;
}

int psw__sweep_run(const psw_sweep_opts_t *o, psw_sweep_stats_t *stats,
                   char *err, size_t errlen) {
  const psw_spec_t *spec = o->spec;
  struct run run;
  psw_manager_t *mgr = NULL;
  void *info = NULL;
  char *endpoint = NULL;
  int rc = psw__run_init(&run, o, spec, err, errlen);
  if (rc)
    goto out;
  if (psw__spec_hash(spec, run.hash)) {
    rc = PSW_ERR_NOMEM;
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  psw__spec_hash_hex(run.hash, run.hash_hex);
  /* csv_results_file_name is written after the sweep: a directory that is
   * not there is said now, not after hours of samples. */
  if (spec->csv_file &&
      (rc = psw__results_csv_check(spec->csv_file, err, errlen)))
    goto out;
  if (spec->num_successes && o->resume) {
    psw_rec_plan_t plan;
    if ((rc = psw__rec_plan(o->output, spec, run.hash, &plan, err, errlen)))
      goto out;
    if (plan.finalized) { /* a finished recursive sweep: nothing to do */
      psw_log(PSW_LOG_INFO, "%s: the recursive sweep was finished already",
              o->output);
      *stats = (psw_sweep_stats_t){.n = spec->total,
                                   .root_here = 1,
                                   .recursive = 1,
                                   .rec_ok = plan.ok,
                                   .rec_selected = plan.selected,
                                   .rec_evaluated = plan.evaluated};
      if (o->report)
        o->report(stats, o->report_arg);
      goto out;
    }
    run.lo = plan.lo;
    run.hi = plan.hi;
    run.round = plan.round;
  } else if (spec->num_successes) {
    run.hi = spec->first_round;
  }
  if (o->resume) {
    struct sigaction old[PSW_RUN_NSIGS];
    psw__run_catch_stops(&run, old);
    rc = psw__run_load_resume(&run, err, errlen);
    psw__run_release_stops(old);
    if (rc)
      goto out;
  }
  /* Journals without --resume: an interrupted (or running) sweep of this
   * output has finished samples that are not in it. */
  size_t nj;
  if (!o->resume && !o->force &&
      (nj = psw__journal_count_recorded(o->output, spec))) {
    snprintf(err, errlen,
             "%s: an interrupted run left finished samples in %zu journal(s) "
             "beside it (.%s" JOURNAL_PREFIX "*): use --resume to keep them, "
             "or --force to discard them",
             o->output, nj,
             strrchr(o->output, '/') ? strrchr(o->output, '/') + 1 : o->output);
    rc = PSW_ERR_EXISTS;
    goto out;
  }

  psw_opts_t mo;
  psw_opts_init(&mo);
  mo.num_workers = o->workers >= 0 ? o->workers : spec->num_workers;
  const char *be = o->backend ? o->backend : spec->backend;
  const psw_backend_t *desc =
      o->backend_desc ? o->backend_desc : psw_backend_lookup(be);
  /* A head that hands samples to workers coming and going (elastic). */
  int head = (psw_backend_caps(desc) & PSW_CAP_DYNAMIC_MEMBERS) != 0;
  if (head && spec->total / 8 > psw__mem_budget()) {
    /* The head keeps a bit per sample (handed out, finished): refused
     * before anything is touched rather than failing after a start. */
    snprintf(err, errlen,
             "%s: num_samples %llu needs %.1f GiB for the elastic head's map "
             "of samples (a bit each); at most %.1f GiB on this machine (an "
             "eighth of its memory): split the sweep, or use another backend",
             spec->path, (unsigned long long)spec->total,
             (double)(spec->total / 8) / (1 << 30),
             (double)psw__mem_budget() / (1 << 30));
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  if (head) {
    /* The head: OUTPUT.endpoint for the workers, and what they need. */
    size_t el = strlen(o->output) + sizeof ".endpoint";
    if (!(endpoint = malloc(el)) ||
        psw__run_einfo_build(&run, &info, &mo.elastic_info_len)) {
      rc = PSW_ERR_NOMEM;
      snprintf(err, errlen, "out of memory");
      goto out;
    }
    snprintf(endpoint, el, "%s.endpoint", o->output);
    mo.elastic_endpoint = endpoint;
    mo.elastic_listen = o->listen;
    mo.elastic_info = info;
    mo.num_workers = 0;
  }
  /* By descriptor when known (no second "auto"); by name otherwise, so
   * that the factory names an unknown or unbuilt backend. */
  rc = desc ? psw_create_parallel_manager_with(&mgr, desc, &mo)
            : psw_create_parallel_manager(&mgr, be, &mo);
  if (rc) {
    snprintf(err, errlen, "cannot create the '%s' parallel manager: %s",
             desc ? psw_backend_desc_name(desc)
             : be ? be
                  : PSW_BACKEND_AUTO,
             psw_strerror(rc));
    goto out;
  }
  psw_log(PSW_LOG_INFO, "sweep %s: %llu samples on backend %s, %d workers",
          spec->path, (unsigned long long)spec->total, psw_backend_name(mgr),
          psw_num_workers(mgr));
  if (o->on_manager && (rc = o->on_manager(mgr, endpoint, o->on_manager_arg))) {
    snprintf(err, errlen, "cannot start the local workers: %s",
             psw_strerror(rc));
    goto out;
  }

  double wall = 0;
  uint64_t evaluated = 0;
  if ((rc = run_rounds(mgr, &run, &wall, &evaluated, err, errlen)))
    goto out;
  *stats = run.sh->stats;
  stats->evaluated = evaluated;
  stats->root_here = run.sh->root_here;
  stats->n = spec->total;
  stats->wall_s = wall;
  if (o->report)
    o->report(stats, o->report_arg);
out:
  if (rc && err[0] == '\0') /* every error says something */
    snprintf(err, errlen, "%s: %s", o->output, psw_strerror(rc));
  psw_destroy_parallel_manager(mgr);
  free(info);
  free(endpoint);
  psw__run_fini(&run);
  return rc;
}
