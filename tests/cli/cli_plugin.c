/* parsweep CLI tests — a tiny plugin model for large sweeps.
 *
 * Output k echoes parameter k % nparams, so a test can check that the
 * outputs of every row are the parameters of that row. */
#include <parsweep/model.h>
#include <stdint.h>
#include <stdlib.h>

struct state {
  size_t nparams, noutputs;
};

static int echo_init(const psw_model_info_t *info, void **state) {
  struct state *s = malloc(sizeof *s);
  if (!s || info->nparams == 0) {
    free(s);
    return 1;
  }
  s->nparams = info->nparams;
  s->noutputs = info->noutputs;
  *state = s;
  return 0;
}

static int echo_eval(void *state, uint64_t index, const double *params,
                     double *outputs) {
  (void)index;
  const struct state *s = state;
  for (size_t k = 0; k < s->noutputs; k++)
    outputs[k] = params[k % s->nparams];
  return 0;
}

static void echo_fini(void *state) {
  free(state);
}

static const psw_model_t echo_model = {
    .abi_version = PSW_MODEL_ABI_VERSION,
    .name = "echo",
    .init = echo_init,
    .eval = echo_eval,
    .fini = echo_fini,
};

const psw_model_t *psw_model_entry(void) {
  return &echo_model;
}
