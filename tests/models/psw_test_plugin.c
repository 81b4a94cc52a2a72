/* parsweep tests — a C plugin model (include/parsweep/model.h).
 *
 * Outputs: sum = params[0] + params[1], index, evals (samples this worker's
 * state has seen, this one included). params[0] < 0 fails the sample with
 * return 7; params[0] == 1000 returns 0 but leaves the outputs NaN. init
 * fails with 42 for worker 99. The test counts calls through
 * psw_test_plugin_counts (it keeps the plugin loaded itself so that the
 * counters survive the library's dlclose).
 *
 * Built three times: as is, with PSW_TEST_BAD_ABI (abi_version 999) and
 * with PSW_TEST_NO_ENTRY (no psw_model_entry symbol). */
#include <stdlib.h>
#include <string.h>

#include "parsweep/model.h"

#define EXPORT __attribute__((visibility("default")))

static int n_init, n_eval, n_fini, n_bad_info;

typedef struct state {
  const psw_model_info_t *info;
  int evals;
} state_t;

EXPORT void psw_test_plugin_counts(int *init, int *eval, int *fini,
                                   int *bad_info) {
  *init = n_init;
  *eval = n_eval;
  *fini = n_fini;
  *bad_info = n_bad_info;
}

/* The info must still be intact at every call (valid until fini). */
static int info_ok(const psw_model_info_t *in) {
  return in->abi_version == PSW_MODEL_ABI_VERSION && in->nparams == 2 &&
         !strcmp(in->param_names[0], "x") && !strcmp(in->param_names[1], "y") &&
         in->noutputs == 3 && !strcmp(in->output_names[0], "sum") &&
         !strcmp(in->output_names[2], "evals");
}

static int init(const psw_model_info_t *info, void **state) {
  n_init++;
  if (!info_ok(info))
    n_bad_info++;
  if (info->worker == 99)
    return 42;
  state_t *s = calloc(1, sizeof *s);
  if (!s)
    return 1;
  s->info = info;
  *state = s;
  return 0;
}

static int eval(void *state, uint64_t index, const double *params,
                double *outputs) {
  state_t *s = state;
  n_eval++;
  if (!info_ok(s->info))
    n_bad_info++;
  for (int k = 0; k < 3; k++) {
    if (outputs[k] == outputs[k]) /* must arrive as NaN */
      n_bad_info++;
  }
  s->evals++;
  if (params[0] < 0)
    return 7;
  if (params[0] == 1000)
    return 0;
  outputs[0] = params[0] + params[1];
  outputs[1] = (double)index;
  outputs[2] = s->evals;
  return 0;
}

static void fini(void *state) {
  n_fini++;
  free(state);
}

static const psw_model_t model = {
#ifdef PSW_TEST_BAD_ABI
    .abi_version = 999,
#else
    .abi_version = PSW_MODEL_ABI_VERSION,
#endif
    .name = "test-plugin",
    .init = init,
    .eval = eval,
    .fini = fini,
};

#ifndef PSW_TEST_NO_ENTRY
EXPORT const psw_model_t *psw_model_entry(void) {
  return &model;
}
#else
EXPORT const psw_model_t *psw_model_entry_misspelt(void) {
  return &model;
}
#endif
