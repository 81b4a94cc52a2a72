/* parsweep — one model interface over the kinds: command, plugin (in a
 * host process, or in the worker itself), server.
 *
 * This file only dispatches and enforces the rules common to both kinds
 * (argument checks, NaN outputs for a sample that is not OK); the kinds live
 * in model_cmd.c, model_host.c, model_plugin.c and model_server.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "parsweep/error.h"
#include "util.h"

struct psw_model_inst {
  const psw_spec_t *spec;
  psw_cmd_t *cmd; /* exactly one of cmd, host, plugin and srv */
  psw_host_t *host;
  psw_plugin_t *plugin;
  psw_srv_t *srv;
  int cancel_fd;
};

int psw__model_open(const psw_spec_t *spec, int worker, int rank,
                    psw_model_inst_t **out, char *err, size_t errlen) {
  return psw__model_open_ex(spec, worker, rank, -1, out, err, errlen);
}

int psw__model_open_ex(const psw_spec_t *spec, int worker, int rank,
                       int cancel_fd, psw_model_inst_t **out, char *err,
                       size_t errlen) {
  if (err && errlen > 0)
    err[0] = '\0';
  if (!out)
    return psw__model_errf(PSW_ERR_INVAL, err, errlen, "model: no output");
  *out = NULL;
  if (!spec)
    return psw__model_errf(PSW_ERR_INVAL, err, errlen, "model: no spec");
  int has_cmd = spec->command && spec->command_argc > 0 && spec->command[0];
  int has_plugin = spec->plugin && spec->plugin[0];
  int has_srv = spec->server && spec->server_argc > 0 && spec->server[0];
  if (has_cmd + has_plugin + has_srv != 1)
    return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                           "model: needs exactly one of command, plugin and "
                           "server");
  if ((spec->noutputs > 0 && !spec->outputs) ||
      (spec->nparams > 0 && !spec->params))
    return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                           "model: outputs or parameters missing in spec");

  psw_model_inst_t *m = calloc(1, sizeof *m);
  if (!m)
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen, "model: out of memory");
  m->spec = spec;
  m->cancel_fd = cancel_fd;
  int rc;
  if (has_srv)
    rc = psw__srv_open(spec, worker, rank, &m->srv, cancel_fd, err, errlen);
  else if (has_cmd)
    rc = psw__cmd_open(spec, worker, rank, &m->cmd, err, errlen);
  else if (spec->isolate && psw__host_available())
    rc = psw__host_open(spec, worker, rank, &m->host, err, errlen);
  else
    rc = psw__plugin_open(spec, worker, rank, &m->plugin, err, errlen);
  if (rc != 0) {
    free(m);
    return rc;
  }
  *out = m;
  return 0;
}

void psw__model_set_cancel_fd(psw_model_inst_t *m, int fd) {
  if (m)
    m->cancel_fd = fd;
}

/* SPEC §3: a failed sample's outputs are all NaN, even those it did
 * produce, so that results.h5 never mixes a failure with numbers. */
static int nan_unless_ok(const psw_model_inst_t *m, int rc, double *outputs,
                         const psw_eval_t *ev) {
  if (rc != 0 || ev->status != PSW_ST_OK) {
    for (size_t k = 0; k < m->spec->noutputs; k++)
      outputs[k] = NAN;
  }
  return rc;
}

int psw__model_eval(psw_model_inst_t *m, uint64_t index, const double *params,
                    double *outputs, psw_eval_t *ev) {
  if (!m || !ev || (m->spec->noutputs > 0 && !outputs) ||
      (m->spec->nparams > 0 && !params))
    return PSW_ERR_INVAL;
  size_t nout = m->spec->noutputs;
  for (size_t k = 0; k < nout; k++)
    outputs[k] = NAN;
  ev->status = PSW_ST_NOT_RUN;
  ev->exit_code = 0;
  ev->elapsed = 0.0;
  int rc;
  if (m->cmd)
    rc = psw__cmd_eval(m->cmd, index, params, outputs, ev, m->cancel_fd);
  else if (m->host)
    rc = psw__host_eval(m->host, index, params, outputs, ev, m->cancel_fd);
  else if (m->srv)
    rc = psw__srv_eval(m->srv, index, params, outputs, ev, m->cancel_fd);
  else
    rc = psw__plugin_eval(m->plugin, index, params, outputs, ev);
  return nan_unless_ok(m, rc, outputs, ev);
}

size_t psw__model_batch_cap(const psw_model_inst_t *m) {
  return m && m->host ? psw__host_batch_cap(m->host) : 0;
}

double *psw__model_batch_slot(psw_model_inst_t *m, size_t k, uint64_t index) {
  return psw__host_batch_slot(m->host, k, index);
}

int psw__model_batch_start(psw_model_inst_t *m, size_t count, int retries) {
  return psw__host_batch_start(m->host, count, retries);
}

int psw__model_batch_next(const psw_model_inst_t *m, uint64_t index) {
  return m && m->host && psw__host_batch_next(m->host, index);
}

void psw__model_set_stop(psw_model_inst_t *m, const _Atomic int *stop) {
  if (m && m->host)
    psw__host_set_stop(m->host, stop);
}

void psw__model_batch_halt(psw_model_inst_t *m) {
  if (m && m->host)
    psw__host_batch_halt(m->host);
}

int psw__model_batch_take(psw_model_inst_t *m, uint64_t index, double *params,
                          double *outputs, psw_eval_t *ev, int *attempts) {
  *ev = (psw_eval_t){.status = PSW_ST_NOT_RUN};
  *attempts = 1;
  for (size_t k = 0; k < m->spec->noutputs; k++)
    outputs[k] = NAN;
  int rc = psw__host_batch_take(m->host, index, params, outputs, ev, attempts,
                                m->cancel_fd);
  return nan_unless_ok(m, rc, outputs, ev);
}

void psw__model_close(psw_model_inst_t *m) {
  if (!m)
    return;
  psw__cmd_close(m->cmd);
  psw__host_close(m->host);
  psw__plugin_close(m->plugin);
  psw__srv_close(m->srv, m->cancel_fd);
  free(m);
}

const char *psw__model_error(const psw_model_inst_t *m) {
  return m && m->srv ? psw__srv_error(m->srv) : "";
}
