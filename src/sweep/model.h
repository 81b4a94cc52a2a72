/* parsweep — evaluating one sample with the spec's model (internal).
 *
 * Three kinds behind one interface: an external command (execve of the
 * argv template, never a shell; outputs parsed from stdout), a C plugin
 * (include/parsweep/model.h, loaded with dlopen) and a server (a process
 * per worker speaking the protocol of docs/models.md). One instance per
 * worker; a plugin's init and a server's start-up run in psw__model_open. */
#ifndef PSW_SWEEP_MODEL_H
#define PSW_SWEEP_MODEL_H

#include <locale.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "spec.h"

typedef struct psw_model_inst psw_model_inst_t;

/* Open the spec's model for one worker. worker/rank go into the child
 * environment (PARSWEEP_WORKER, PARSWEEP_RANK) and the plugin's info.
 * The spec is borrowed and must outlive the instance. The command's
 * environment is snapshot here: the caller's environment, then spec->env,
 * then the PARSWEEP_* variables (later ones replace earlier ones).
 * On failure returns a psw_err_t and writes a one-line reason naming the
 * command or plugin to err: PSW_ERR_INVAL for an inconsistent spec (no or
 * two model kinds, an unknown placeholder, an env entry without '='),
 * PSW_ERR_MODEL when the model cannot be used (command not found or not
 * executable, plugin not loadable, no entry symbol, unknown ABI version,
 * init failed; fini is not called after a failed init), PSW_ERR_NOMEM. */
int psw__model_open(const psw_spec_t *spec, int worker, int rank,
                    psw_model_inst_t **out, char *err, size_t errlen);

/* Evaluate sample `index` with params[spec->nparams]; fills
 * outputs[spec->noutputs] and *ev. Every output is NaN unless the status is
 * PSW_ST_OK (SPEC §3: a failed sample's outputs are NaN), and OK requires
 * every output to be a number: a command that exits 0 without printing one
 * of them, or printing "name=nan", and a plugin that returns 0 but leaves
 * one NaN, are FAILED with exit_code 0. One attempt: the
 * caller does retries. A failing sample is not an error: the return is 0
 * and ev->status says how it went; a negative return is a system failure
 * (cannot fork, ...). Command: timeout → SIGTERM to the child's process
 * group, a short grace, then SIGKILL (status 3); a signal → status 4 and
 * exit_code -signal; non-zero exit → status 2; a missing output → status 2. */
int psw__model_eval(psw_model_inst_t *m, uint64_t index, const double *params,
                    double *outputs, psw_eval_t *ev);

/* psw__model_open with the run's cancel fd (see psw__model_set_cancel_fd)
 * already in force: a server's start-up (up to init_timeout) is abandoned
 * when it becomes readable, with PSW_ERR_INTERRUPTED. */
int psw__model_open_ex(const psw_spec_t *spec, int worker, int rank,
                       int cancel_fd, psw_model_inst_t **out, char *err,
                       size_t errlen);

/* Batches: several samples handed to the model at once, evaluated in
 * order and taken one by one, so that an isolated plugin costs one
 * wake-up per batch instead of a round trip per sample (model_ring.h).
 * Only the isolated plugin kind has them; for the others batch_cap is 0
 * and samples go through psw__model_eval.
 *
 * psw__model_batch_slot(m, k, index) gives sample k of the next batch
 * (k < cap) and returns where its params go; k == 0 begins that batch (a
 * batch not wholly taken is dropped). psw__model_batch_start hands over
 * slots 0..count-1; a FAILED sample gets up to `retries` more attempts in
 * the host. psw__model_batch_next says whether `index` is the batch's next
 * sample to take; psw__model_batch_take waits for it and returns as
 * psw__model_eval does for it, with its params copied out of its slot
 * (params may be NULL) and *attempts the attempts it took (a
 * crash or timeout ends the batch: the caller retries that sample with
 * psw__model_eval if it wishes and hands the rest over again). It
 * honours the timeout per sample and the cancel fd.
 * psw__model_batch_halt: a stop; the host starts no further sample of the
 * batch, and taking one it did not start returns PSW_ERR_INTERRUPTED
 * (status not run). */
size_t psw__model_batch_cap(const psw_model_inst_t *m);
double *psw__model_batch_slot(psw_model_inst_t *m, size_t k, uint64_t index);
int psw__model_batch_start(psw_model_inst_t *m, size_t count, int retries);
int psw__model_batch_next(const psw_model_inst_t *m, uint64_t index);
int psw__model_batch_take(psw_model_inst_t *m, uint64_t index, double *params,
                          double *outputs, psw_eval_t *ev, int *attempts);
void psw__model_batch_halt(psw_model_inst_t *m);
/* The run's stop flag (borrowed; NULL: none): once it is set, a batch
 * being waited for is halted as by psw__model_batch_halt, within
 * 0.1 s even while the worker sleeps until the batch's end. */
void psw__model_set_stop(psw_model_inst_t *m, const _Atomic int *stop);

/* Run the plugin's fini, end a server, and free. Accepts NULL. */
void psw__model_close(psw_model_inst_t *m);

/* Why the last psw__model_eval returned an error (one line naming the
 * command), or "" when it did not say. Valid until the next call. */
const char *psw__model_error(const psw_model_inst_t *m);

/* Parse model stdout: lines "name=value" (spaces around '=' allowed, other
 * lines ignored); for each of names[n], outputs[k] = value of the last line
 * that names it, NaN if none. Returns the number of names found. Pure. */
size_t psw__parse_outputs(const char *buf, size_t len, const char *const *names,
                          size_t n, double *outputs);

/* The same rules, for output read in pieces: only the outputs named by a
 * valid line in buf are assigned, the others keep their value. Feed it
 * whole lines. Returns the number of assignments. Pure. */
size_t psw__parse_outputs_update(const char *buf, size_t len,
                                 const char *const *names, size_t n,
                                 double *outputs);

/* Abandon a running command evaluation when `fd` becomes readable (an
 * eventfd, a self-pipe, a signalfd...): the model's process group gets
 * SIGTERM, the grace, then SIGKILL, and psw__model_eval returns
 * PSW_ERR_INTERRUPTED with ev->status PSW_ST_NOT_RUN (the sample is to be
 * run again on --resume). The fd is borrowed, -1 (the default) disables it.
 * A plugin's eval is a plain call and cannot be interrupted. */
void psw__model_set_cancel_fd(psw_model_inst_t *m, int fd);

/* Placeholders of the command template: "{name}" where name is one or more
 * characters other than braces ("{x}", "--a={a}", "{feed flow}"), the
 * loader's rule. Other braces are literal text here ("{}", "{{x}}" gives
 * "{" value "}"); the loader rejects them, so they only reach a hand-built
 * spec. Returns the '{' of the first placeholder in the NUL-terminated s,
 * with the name at ret + 1 of *name_len bytes, or NULL. */
const char *psw__placeholder_next(const char *s, size_t *name_len);

/* Timeout handling (seconds): after SIGTERM to the process group the model
 * has PSW_MODEL_GRACE_S before SIGKILL; once the command itself has exited,
 * stdout is drained for at most PSW_MODEL_DRAIN_S (a background grandchild
 * may hold it open), then what is left of the group is killed. */
#define PSW_MODEL_GRACE_S 1.0
#define PSW_MODEL_DRAIN_S 0.25

/* --- between model.c and the two kinds (not for other callers) ---------- */

/* The command kind (model_cmd.c). spec must outlive it. */
typedef struct psw_cmd psw_cmd_t;
int psw__cmd_open(const psw_spec_t *spec, int worker, int rank, psw_cmd_t **out,
                  char *err, size_t errlen);
int psw__cmd_eval(psw_cmd_t *c, uint64_t index, const double *params,
                  double *outputs, psw_eval_t *ev, int cancel_fd);
void psw__cmd_close(psw_cmd_t *c);

/* The server kind (model_server.c, SPEC §3.1): a process per worker,
 * started at open (start-up retried once) and fed samples over a socket
 * on its fd 3; restarted at the next eval after a death, a timeout or a
 * protocol error. Its eval returns PSW_ERR_MODEL when a restart fails
 * twice (psw__srv_error says why). close sends "exit" and waits up to 5 s
 * (not when cancel_fd is readable), then kills the process group. */
typedef struct psw_srv psw_srv_t;
int psw__srv_open(const psw_spec_t *spec, int worker, int rank, psw_srv_t **out,
                  int cancel_fd, char *err, size_t errlen);
int psw__srv_eval(psw_srv_t *s, uint64_t index, const double *params,
                  double *outputs, psw_eval_t *ev, int cancel_fd);
void psw__srv_close(psw_srv_t *s, int cancel_fd);
const char *psw__srv_error(const psw_srv_t *s);

/* execvp's search for name on path_env (NULL: the default path), done at
 * open so that a missing program is an open error (model_env.c). Returns
 * a malloc'd path or NULL. */
char *psw__model_resolve(const char *name, const char *path_env);

/* The isolated plugin kind (model_host.c): the plugin kind in a host
 * process per worker, `EXE __plugin-host SPEC WORKER RANK` (EXE set by
 * psw__host_set_exe; until then plugins run in the worker itself). Its
 * eval honours the timeout and the cancel fd like a command's. */
typedef struct psw_host psw_host_t;
void psw__host_set_exe(const char *path);
int psw__host_available(void);
int psw__host_open(const psw_spec_t *spec, int worker, int rank,
                   psw_host_t **out, char *err, size_t errlen);
int psw__host_eval(psw_host_t *h, uint64_t index, const double *params,
                   double *outputs, psw_eval_t *ev, int cancel_fd);
void psw__host_close(psw_host_t *h);
/* Batches through the shared ring (model_ring.h); see the psw__model_batch
 * functions. */
size_t psw__host_batch_cap(const psw_host_t *h);
double *psw__host_batch_slot(psw_host_t *h, size_t k, uint64_t index);
int psw__host_batch_start(psw_host_t *h, size_t count, int retries);
int psw__host_batch_next(const psw_host_t *h, uint64_t index);
void psw__host_batch_halt(psw_host_t *h);
void psw__host_set_stop(psw_host_t *h, const _Atomic int *stop);
int psw__host_batch_take(psw_host_t *h, uint64_t index, double *params,
                         double *outputs, psw_eval_t *ev, int *attempts,
                         int cancel_fd);
/* The host's main: argv = {"__plugin-host", SPEC, WORKER, RANK}. */
int psw__host_main(int argc, char **argv);

/* The plugin kind (model_plugin.c). spec must outlive it. */
typedef struct psw_plugin psw_plugin_t;
int psw__plugin_open(const psw_spec_t *spec, int worker, int rank,
                     psw_plugin_t **out, char *err, size_t errlen);
int psw__plugin_eval(psw_plugin_t *p, uint64_t index, const double *params,
                     double *outputs, psw_eval_t *ev);
/* psw__plugin_eval timed from *t, the monotonic time the caller read just
 * before; *t becomes the time it ended. A host evaluating samples back to
 * back reads the clock once per sample (a vDSO call costs as much as a
 * trivial model). */
int psw__plugin_eval_from(psw_plugin_t *p, uint64_t index, const double *params,
                          double *outputs, psw_eval_t *ev, double *t);
void psw__plugin_close(psw_plugin_t *p);

/* printf into err[errlen] (NULL or 0 allowed); returns code. */
int psw__model_errf(int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The "C" locale for number formatting and parsing (outparse.c); (locale_t)0
 * when it cannot be created, in which case the current locale is used. */
locale_t psw__c_locale(void);

/* poll()'s timeout in ms until the monotonic time t (INFINITY: -1, no
 * bound), rounded up so that a wake-up is never early. */
int psw__model_ms_until(double t, double now);

/* Is fd (a cancel fd, -1: none) readable within secs? */
int psw__model_cancelled_within(int fd, double secs);

/* A model that died of signal `sig` was killed by whatever is cancelling
 * the run, rather than crashed: a batch system's scancel or an mpirun
 * abort signals every process of the job at once, the model included, and
 * that sample must be run again on --resume, not recorded crashed. True
 * for SIGTERM, SIGKILL or SIGINT when the cancel fd becomes readable
 * within PSW_MODEL_CANCEL_WAIT_S (parsweep's own handler got the signal at
 * the same moment). */
#define PSW_MODEL_CANCEL_WAIT_S 0.2
int psw__model_killed_by_cancel(int sig, int cancel_fd);

#endif /* PSW_SWEEP_MODEL_H */
