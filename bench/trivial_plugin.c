/* A plugin model that costs almost nothing: y = sum of the parameters,
 * z = their product. Benchmarks use it to measure parsweep's own overhead
 * per sample (dispatch, record transport, results.h5). */
#include <parsweep/model.h>

static int trivial_eval(void *state, uint64_t index, const double *params,
                        double *outputs) {
  (void)state;
  (void)index;
  outputs[0] = params[0] + params[1];
  outputs[1] = params[0] * params[1];
  return 0;
}

static const psw_model_t trivial = {
    .abi_version = PSW_MODEL_ABI_VERSION,
    .name = "trivial",
    .eval = trivial_eval,
};

const psw_model_t *psw_model_entry(void) {
  return &trivial;
}
