/* Example C plugin model: the toy reverse-osmosis model of ro_model.py as a
 * shared object, for sweeps where starting a process per sample costs too
 * much. Use it with `model: {plugin: ./build/examples/libro_plugin.so}`.
 *
 * parsweep calls init once per worker (put expensive set-up there: loading
 * a flowsheet, building a mesh), eval once per sample, fini at the end. */
#include <math.h>
#include <parsweep/model.h>
#include <stdlib.h>
#include <string.h>

struct state {
  int icost, irec, ipres; /* positions of our parameters in the spec */
};

static int find(const psw_model_info_t *info, const char *name) {
  for (size_t i = 0; i < info->nparams; i++)
    if (!strcmp(info->param_names[i], name))
      return (int)i;
  return -1;
}

static int ro_init(const psw_model_info_t *info, void **state) {
  struct state *s = malloc(sizeof *s);
  if (!s)
    return 1;
  s->icost = find(info, "membrane_cost");
  s->irec = find(info, "recovery");
  s->ipres = find(info, "pressure");
  if (s->icost < 0 || s->irec < 0 || s->ipres < 0 || info->noutputs < 2) {
    free(s);
    return 2; /* the spec does not fit this model */
  }
  *state = s;
  return 0;
}

static int ro_eval(void *state, uint64_t index, const double *params,
                   double *outputs) {
  (void)index;
  const struct state *s = state;
  double cost = params[s->icost], rec = params[s->irec], p = params[s->ipres];
  if (rec <= 0 || p <= 0)
    return 1; /* failed sample: status 2, exit_code 1 */
  double energy = p * 1e5 / (0.8 * rec) / 3.6e6;
  outputs[0] = 0.05 * cost / (rec * sqrt(p)) + 0.1 * energy; /* lcow */
  outputs[1] = energy;
  return 0;
}

static void ro_fini(void *state) {
  free(state);
}

static const psw_model_t ro_model = {
    .abi_version = PSW_MODEL_ABI_VERSION,
    .name = "toy reverse osmosis",
    .init = ro_init,
    .eval = ro_eval,
    .fini = ro_fini,
};

const psw_model_t *psw_model_entry(void) {
  return &ro_model;
}
