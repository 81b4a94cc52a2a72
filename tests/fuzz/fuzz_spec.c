/* parsweep fuzz target — the YAML spec reader (src/sweep/spec*.c) and, when
 * a spec is accepted, the sample designs (src/sweep/design*.c).
 *
 * Besides what the sanitizers catch (a read past the input, a leak on an
 * error path, undefined behaviour), it checks the contracts of spec.h and
 * design.h: a failure leaves *out NULL and writes a one-line message; an
 * accepted spec is complete and valid, so psw__design_create takes it, and a
 * sample is a pure function of (spec, seed, i), whatever was computed before
 * on the same design. A violated contract aborts: libFuzzer reports it as a
 * crash and keeps the input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "design.h"
#include "parsweep/error.h"
#include "spec.h"

/* Reaching sample i of a Sobol design from the start costs i points; keep
 * one input well under the per-input timeout. */
#define SOBOL_MAX_WALK (UINT64_C(1) << 16)

#include "require.h"

static int has_sobol(const psw_spec_t *s) {
  for (size_t j = 0; j < s->nparams; j++)
    if (s->params[j].kind == PSW_S_SOBOL)
      return 1;
  return 0;
}

static void check_spec(const psw_spec_t *s) {
  REQUIRE(s->path && s->text && s->output);
  REQUIRE(s->nparams > 0 && s->params);
  REQUIRE(s->noutputs > 0 && s->outputs);
  /* exactly one model kind, a server with its argv */
  REQUIRE(!!s->command + !!s->plugin + !!s->server == 1);
  REQUIRE(!s->server || (s->server_argc > 0 && s->server[0][0]));
  REQUIRE(s->init_timeout >= 0);
  REQUIRE(s->total > 0);
  uint64_t grid_total = 1;
  for (size_t j = 0; j < s->nparams; j++) {
    const psw_param_t *p = &s->params[j];
    REQUIRE(p->name && p->full_name && p->units);
    REQUIRE(p->num_samples > 0);
    REQUIRE(psw__sampler_is_grid(p->kind) == !!s->is_grid);
    if (s->is_grid)
      REQUIRE(!__builtin_mul_overflow(grid_total, p->num_samples, &grid_total));
    else
      REQUIRE(p->num_samples == s->total);
  }
  if (s->is_grid)
    REQUIRE(grid_total == s->total);
  for (size_t k = 0; k < s->noutputs; k++)
    REQUIRE(s->outputs[k]);
  /* SPEC 3.0: outputs' metadata arrays come together; the writer options
   * are names results.h5 and the CSV can hold. */
  REQUIRE(!s->output_units == !s->output_full_names);
  REQUIRE(!s->csv_file || s->csv_file[0]);
  REQUIRE(!s->h5_parent || (s->h5_parent[0] && !strchr(s->h5_parent, '/') &&
                            strcmp(s->h5_parent, "parsweep")));
  REQUIRE(!s->params_file == !s->params_text);
  for (size_t j = 0; j < s->nparams; j++) {
    const psw_param_t *p = &s->params[j];
    REQUIRE(!p->has_default || isfinite(p->default_value));
    /* geometric grids: same-sign, non-zero bounds (numpy's NaN-free cases) */
    if (p->kind == PSW_S_GEOM || p->kind == PSW_S_REVERSE_GEOM)
      REQUIRE(p->lower != 0 && p->upper != 0 &&
              (p->lower < 0) == (p->upper < 0));
  }
}

/* Samples 0 and total - 1, then 0 again: the same values both times (a
 * Sobol cursor that moved forward restarts). */
static void check_design(const psw_spec_t *s) {
  psw_design_t *d = NULL;
  int rc = psw__design_create(s, &d);
  if (rc == PSW_ERR_NOMEM)
    return;
  REQUIRE(rc == 0 && d);
  double *a = calloc(s->nparams, sizeof *a);
  double *b = calloc(s->nparams, sizeof *b);
  if (a && b) {
    REQUIRE(psw__design_sample(d, 0, a) == 0);
    /* grid values are numpy's linspace/geomspace: never NaN */
    for (size_t j = 0; s->is_grid && j < s->nparams; j++)
      REQUIRE(!isnan(a[j]));
    uint64_t last = s->total - 1;
    if (!has_sobol(s) || last <= SOBOL_MAX_WALK)
      REQUIRE(psw__design_sample(d, last, b) == 0);
    REQUIRE(psw__design_sample(d, s->total, b) == PSW_ERR_INVAL);
    REQUIRE(psw__design_sample(d, 0, b) == 0);
    REQUIRE(memcmp(a, b, s->nparams * sizeof *a) == 0);
  }
  free(a);
  free(b);
  psw__design_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  psw_spec_t *spec = (psw_spec_t *)&spec; /* must be overwritten */
  memset(err, 'x', sizeof err);
  int rc = psw__spec_parse("fuzz.yaml", (const char *)data, size, &spec, err,
                           sizeof err);
  REQUIRE(memchr(err, '\0', sizeof err) != NULL);
  if (rc != 0) {
    REQUIRE(rc < 0);
    REQUIRE(spec == NULL);
    REQUIRE(err[0] != '\0' && strchr(err, '\n') == NULL);
    return 0;
  }
  REQUIRE(spec != NULL);
  REQUIRE(spec->text && memcmp(spec->text, data, size) == 0 &&
          spec->text[size] == '\0');
  check_spec(spec);
  check_design(spec);
  psw__spec_free(spec);
  return 0;
}
