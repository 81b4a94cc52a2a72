/* parsweep — the keys of a recursive sweep (SPEC 3.2): num_successes M
 * asks for M ok samples, drawn in rounds from the random design until M
 * are ok or max_samples (default 10 x num_samples) were evaluated.
 *
 * The design's sample i must stay the same however many samples are
 * drawn: true of UniformSample, NormalSample and SobolSample (a stream
 * or a sequence point per index), not of LatinHypercubeSample (its strata
 * divide [0, N)) nor of PredeterminedRandomSample (a fixed array). */
#include <stdint.h>
#include <stdio.h>

#include "spec.h"
#include "spec_read.h"

/* GSL's Sobol generator gives at most 2^30 - 1 points (spec_params.c). */
#define REC_SOBOL_MAX ((1ull << 30) - 1)

static int extendable(psw_sampler_t k) {
  return k == PSW_S_UNIFORM || k == PSW_S_NORMAL || k == PSW_S_SOBOL;
}

int psw__spec_read_recursive(psw__spec_rd_t *rd, const psw__spec_kv_t *ns,
                             const psw__spec_kv_t *max) {
  psw_spec_t *s = rd->spec;
  int rc;
  if (!ns->key) {
    if (max->key)
      return psw__spec_fail(rd, psw__spec_line(max->key), "max_samples",
                            "only with num_successes (a recursive sweep)");
    return 0;
  }
  int line = psw__spec_line(ns->val);
  if ((rc = psw__spec_uint(rd, ns->val, "num_successes", UINT64_MAX,
                           &s->num_successes)))
    return rc;
  if (!s->num_successes)
    return psw__spec_fail(rd, line, "num_successes", "must be at least 1");
  if (s->is_grid)
    return psw__spec_fail(rd, line, "num_successes",
                          "only for random designs (the parameters here are "
                          "grid kinds)");
  for (size_t i = 0; i < s->nparams; i++)
    if (!extendable(s->params[i].kind))
      return psw__spec_fail(rd, line, "num_successes",
                            "parameter '%s' is a %s, whose samples change "
                            "with their number: a recursive sweep needs "
                            "UniformSample, NormalSample or SobolSample",
                            s->params[i].name,
                            psw__sampler_name(s->params[i].kind));
  uint64_t first = s->total;
  uint64_t m = first > UINT64_MAX / 10 ? UINT64_MAX : first * 10;
  if (max->key) {
    int ml = psw__spec_line(max->val);
    if ((rc = psw__spec_uint(rd, max->val, "max_samples", UINT64_MAX, &m)))
      return rc;
    if (m < first)
      return psw__spec_fail(rd, ml, "max_samples",
                            "%llu, fewer than num_samples (%llu)",
                            (unsigned long long)m, (unsigned long long)first);
  }
  int line_m = max->key ? psw__spec_line(max->val) : line;
  const char *key_m = max->key ? "max_samples" : "num_successes";
  if (m > psw__spec_max_samples(s->nparams + rd->noutputs))
    return psw__spec_fail(rd, line_m, key_m,
                          "%llu samples at most: too many for one results "
                          "file",
                          (unsigned long long)m);
  for (size_t i = 0; i < s->nparams; i++)
    if (s->params[i].kind == PSW_S_SOBOL && m > REC_SOBOL_MAX)
      return psw__spec_fail(rd, line_m, key_m,
                            "%llu samples at most: SobolSample gives at most "
                            "%llu",
                            (unsigned long long)m,
                            (unsigned long long)REC_SOBOL_MAX);
  /* The file and the design span every sample that may be drawn. */
  s->first_round = first;
  s->max_samples = m;
  s->total = m;
  for (size_t i = 0; i < s->nparams; i++)
    s->params[i].num_samples = m;
  return 0;
}
