/* parsweep — results written by the root alone (builds without MPI). */
#include "runner_io.h"

int psw__io_per_node(psw_ctx_t *ctx) {
  (void)ctx;
  return 0;
}

int psw__io_create(psw_ctx_t *ctx, int pre_rc, const char *path,
                   const psw_spec_t *spec, const psw_results_meta_t *meta,
                   psw_results_t **out, char *err, size_t errlen) {
  (void)ctx, (void)pre_rc, (void)path, (void)spec, (void)meta, (void)err;
  (void)errlen;
  *out = NULL;
  return PSW_ERR_UNAVAILABLE;
}

int psw__io_finish(psw_ctx_t *ctx, psw_results_t *r,
                   const uint64_t counts[PSW_RESULTS_NSTATUS],
                   uint64_t totals[PSW_RESULTS_NSTATUS], char *err,
                   size_t errlen) {
  (void)ctx, (void)counts, (void)totals, (void)err, (void)errlen;
  psw__results_abort(r);
  return PSW_ERR_UNAVAILABLE;
}
