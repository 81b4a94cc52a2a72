/* parsweep — the sweep's elastic hand-over (runner_impl.h).
 *
 * The head hands every joining worker the spec, its working directory,
 * the spec hash and the samples recorded before (psw__run_einfo_build);
 * psw__sweep_serve is the worker's side: it checks them and runs the
 * head's regions until the sweep ends. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_impl.h"
#include "util.h"

/* --- elastic: what a worker needs of the head's run ----------------------
 * The spec's bytes and path, the head's working directory (relative model
 * paths), the spec hash (the worker checks that its plugin and command
 * give the same), and with --resume the samples already recorded. */
struct psw_einfo {
  char magic[8];
  char hash[33];
  char pad[7];
  uint64_t text_len, path_len, cwd_len, done_len;
};
#define EINFO_MAGIC "PSWEI01"

int psw__run_einfo_build(const struct run *run, void **out, size_t *len) {
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd))
    cwd[0] = '\0';
  const psw_spec_t *spec = run->spec;
  struct psw_einfo h = {
      .magic = EINFO_MAGIC,
      .text_len = strlen(spec->text),
      .path_len = strlen(spec->path),
      .cwd_len = strlen(cwd),
      .done_len = run->done ? psw__doneset_packed_size(run->done) : 0};
  memcpy(h.hash, run->hash_hex, sizeof h.hash);
  *len = sizeof h + h.text_len + h.path_len + h.cwd_len + h.done_len;
  char *b = malloc(*len);
  if (!b)
    return PSW_ERR_NOMEM;
  char *at = b;
  memcpy(at, &h, sizeof h);
  at += sizeof h;
  memcpy(at, spec->text, h.text_len);
  at += h.text_len;
  memcpy(at, spec->path, h.path_len);
  at += h.path_len;
  memcpy(at, cwd, h.cwd_len);
  at += h.cwd_len;
  if (h.done_len)
    psw__doneset_pack(run->done, at);
  *out = b;
  return 0;
}

/* A worker's copy of the head's spec: parsed from the bytes the head sent,
 * from the head's directory when this host has it, and refused when its
 * model differs from the head's. */
static int serve_spec(psw_manager_t *mgr, psw_spec_t **spec,
                      psw_doneset_t **done, char *err, size_t errlen) {
  const void *data;
  size_t len;
  struct psw_einfo h;
  if (psw_elastic_info(mgr, &data, &len) || len < sizeof h) {
    snprintf(err, errlen, "the head sent no sweep (not a parsweep run head?)");
    return PSW_ERR_PARSE;
  }
  memcpy(&h, data, sizeof h);
  const char *at = (const char *)data + sizeof h;
  if (memcmp(h.magic, EINFO_MAGIC, 8) || h.hash[32] ||
      h.text_len + h.path_len + h.cwd_len + h.done_len != len - sizeof h) {
    snprintf(err, errlen,
             "the head's sweep description is malformed (a "
             "parsweep of another version?)");
    return PSW_ERR_PARSE;
  }
  char path[4096], cwd[4096];
  snprintf(path, sizeof path, "%.*s", (int)h.path_len, at + h.text_len);
  snprintf(cwd, sizeof cwd, "%.*s", (int)h.cwd_len,
           at + h.text_len + h.path_len);
  if (cwd[0] && chdir(cwd) != 0)
    psw_log(PSW_LOG_INFO,
            "elastic: no directory %s here; model paths are relative to %s",
            cwd, "this worker's directory");
  int rc = psw__spec_parse(path, at, h.text_len, spec, err, errlen);
  if (rc)
    return rc;
  uint8_t hash[16];
  char hex[33];
  if (psw__spec_hash(*spec, hash))
    return PSW_ERR_NOMEM;
  psw__spec_hash_hex(hash, hex);
  if (strcmp(hex, h.hash)) {
    snprintf(err, errlen,
             "%s: the model here differs from the head's (spec hash %s here, "
             "%s at the head): a plugin or command of another version?",
             path, hex, h.hash);
    return PSW_ERR_INVAL;
  }
  if (h.done_len) { /* the runs of samples recorded before (--resume) */
    if (!(*done = malloc(sizeof **done)))
      return PSW_ERR_NOMEM;
    psw__doneset_init(*done, 0);
    if ((rc = psw__doneset_unpack(*done,
                                  at + h.text_len + h.path_len + h.cwd_len,
                                  h.done_len, (*spec)->total))) {
      snprintf(err, errlen,
               "the head's list of samples recorded before is malformed");
      return rc;
    }
  }
  return 0;
}

int psw__sweep_serve(const char *endpoint, psw_sweep_stats_t *stats, char *err,
                     size_t errlen) {
  psw_opts_t mo;
  psw_opts_init(&mo);
  mo.elastic_connect = endpoint;
  psw_manager_t *mgr = NULL;
  psw_spec_t *spec = NULL;
  psw_doneset_t *done = NULL;
  struct run run = {.cancel_rfd = -1};
  psw_sweep_opts_t o = {.progress = PSW_PROGRESS_NONE};
  memset(stats, 0, sizeof *stats);
  /* A library without the elastic backend cannot join (UNAVAILABLE), as
   * none can once the head has closed. */
  const psw_backend_t *el = psw_backend_elastic();
  int rc = el ? psw_create_parallel_manager_with(&mgr, el, &mo)
              : PSW_ERR_UNAVAILABLE;
  if (rc == PSW_ERR_UNAVAILABLE && psw_elastic_endpoint_ended(endpoint))
    return rc; /* as it joined, or before: the caller says so */
  if (rc == PSW_ERR_PEER_LOST) {
    snprintf(err, errlen, "cannot join the sweep of %s: never reached its head",
             endpoint);
    return rc;
  }
  if (rc) {
    snprintf(err, errlen, "cannot join the sweep of %s: %s%s", endpoint,
             psw_strerror(rc),
             rc == PSW_ERR_UNAVAILABLE ? "" : " (the line above says why)");
    /* UNAVAILABLE is kept for "the head had closed". */
    return rc == PSW_ERR_UNAVAILABLE ? PSW_ERR_INVAL : rc;
  }
  if ((rc = serve_spec(mgr, &spec, &done, err, errlen)))
    goto out;
  o.spec = spec;
  if ((rc = psw__run_init(&run, &o, spec, err, errlen)))
    goto out;
  run.done = done;
  done = NULL;
  double wall;
  /* A recursive sweep: one region per round, while the head says another
   * follows (its indices come from the head's chunks). */
  struct sigaction old[PSW_RUN_NSIGS];
  psw__run_catch_stops(&run, old); /* held between the rounds too */
  do {
    atomic_store(&run.sh->stats_set, 0);
    run.sh->stats.rec_next = 0;
    rc = psw__run_region(mgr, &run, &wall);
  } while (!rc && !atomic_load(&run.sh->failed) && run.sh->stats.rec_next);
  psw__run_release_stops(old);
  if (rc == PSW_ERR_INTERRUPTED) { /* this worker's own stop */
    stats->left = 1;
    rc = 0;
  } else if (rc || atomic_load(&run.sh->failed)) {
    if (rc == PSW_ERR_PEER_LOST) /* the head: the one peer a worker has */
      snprintf(err, errlen, "lost the head of %s (killed, or unreachable)",
               endpoint);
    else if (rc == PSW_ERR_TIMEOUT && !run.sh->err[0]) /* the head's BYE */
      snprintf(err, errlen,
               "the head of %s declared this worker lost (no heartbeat "
               "reached it within its timeout: this process was stopped or "
               "stalled); its samples went to other workers",
               endpoint);
    else if (run.sh->err[0])
      snprintf(err, errlen, "%s", run.sh->err);
    else
      snprintf(err, errlen, "the sweep failed: %s", psw_strerror(rc));
    if (!rc)
      rc = PSW_ERR_IO;
    goto out;
  } else {
    *stats = run.sh->stats;
    stats->n = spec->total;
    stats->wall_s = wall;
  }
out:
  psw_destroy_parallel_manager(mgr);
  psw__doneset_free(done);
  free(done);
  psw__run_fini(&run);
  psw__spec_free(spec);
  return rc;
}
