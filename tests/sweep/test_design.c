/* parsweep tests — sample designs (src/sweep/design*.c).
 *
 * Usage: test_design [PYTHON design_expected.py]
 * With the optional arguments, the grid is also compared with numpy's
 * (design_expected.py prints WaterTAP's meshgrid of the same axes). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, popen */
#endif
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "design.h"
#include "design_random.h"
#include "parsweep/error.h"
#include "spec.h"

#define MODEL "outputs: [y]\nmodel: {plugin: ./m.so}\n"

/* Keep in sync with design_expected.py. */
static const char GRID_SPEC[] =
    "parameters:\n"
    "  a: {type: LinearSample, lower_limit: 20, upper_limit: 30, "
    "num_samples: 11}\n"
    "  b: {type: GeomSample, lower_limit: 0.01, upper_limit: 1, "
    "num_samples: 5}\n"
    "  c: {type: PredeterminedFixedSample, array: [50, 60, 80]}\n"
    "  d: {type: ReverseGeomSample, lower_limit: 1, upper_limit: 100, "
    "num_samples: 4}\n"
    "  e: {type: LinearSample, lower_limit: 0, upper_limit: 5e-324, "
    "num_samples: 3}\n" MODEL;

static psw_spec_t *parse(const char *text) {
  char err[512];
  psw_spec_t *s = NULL;
  int rc = psw__spec_parse("t.yaml", text, strlen(text), &s, err, sizeof err);
  if (rc)
    fprintf(stderr, "spec: %s\n", err);
  CHECK_EQ(rc, 0);
  return s;
}

static int close_rel(double a, double b, double rel) {
  return a == b || fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

/* Expected axis values from the textbook formulas (not from design.c). */
static double expect_linear(double lo, double up, uint64_t n, uint64_t k) {
  return n == 1 ? lo : lo + (up - lo) * (double)k / (double)(n - 1);
}
static double expect_geom(double lo, double up, uint64_t n, uint64_t k) {
  return lo * pow(up / lo, (double)k / (double)(n - 1));
}

static int test_grid_order(void) {
  psw_spec_t *s = parse(GRID_SPEC);
  if (!s)
    return 1;
  CHECK_EQ(s->total, 11 * 5 * 3 * 4 * 3);
  psw_design_t *d = NULL;
  CHECK_OK(psw__design_create(s, &d));
  double v[5];
  static const double fixed[3] = {50, 60, 80};
  for (uint64_t i = 0; i < s->total; i++) {
    CHECK_OK(psw__design_sample(d, i, v));
    /* First parameter slowest: i = (((a*5 + b)*3 + c)*4 + d)*3 + e. */
    uint64_t e = i % 3, dd = i / 3 % 4, c = i / 12 % 3, b = i / 36 % 5,
             a = i / 180;
    CHECK(close_rel(v[0], expect_linear(20, 30, 11, a), 1e-15));
    CHECK(close_rel(v[1], expect_geom(0.01, 1, 5, b), 1e-14));
    CHECK(v[2] == fixed[c]);
    CHECK(close_rel(v[3], 101 - expect_geom(1, 100, 4, 3 - dd), 1e-14));
    CHECK(v[4] == (e == 2 ? 5e-324 : 0));
  }
  /* Endpoints are exact, as in numpy. */
  CHECK_OK(psw__design_sample(d, 0, v));
  CHECK(v[0] == 20 && v[1] == 0.01 && v[3] == 1);
  CHECK_OK(psw__design_sample(d, s->total - 1, v));
  CHECK(v[0] == 30 && v[1] == 1 && v[3] == 100);
  CHECK_EQ(psw__design_sample(d, s->total, v), PSW_ERR_INVAL);
  psw__design_free(d);
  psw__spec_free(s);
  return 0;
}

/* Compare with numpy (WaterTAP's own computation), when available.
 * Returns 77 (the ctest skip) when the helper says SKIP, else 0. */
static int test_grid_numpy(const char *python, const char *script) {
  char cmd[4096], line[1024];
  snprintf(cmd, sizeof cmd, "'%s' '%s'", python, script);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL);
  if (!f)
    return 1;
  psw_spec_t *s = parse(GRID_SPEC);
  psw_design_t *d = NULL;
  CHECK_OK(psw__design_create(s, &d));
  uint64_t rows = 0, ulp_rows = 0;
  int skipped = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "SKIP", 4)) {
      skipped = 1;
      break;
    }
    unsigned long long i;
    double w[5], v[5];
    if (sscanf(line, "%llu %lf %lf %lf %lf %lf", &i, &w[0], &w[1], &w[2], &w[3],
               &w[4]) != 6) {
      CHECK(0);
      break;
    }
    CHECK_OK(psw__design_sample(d, i, v));
    /* linspace and the arrays bit for bit; geomspace uses pow/log10, which
     * numpy may take from its own SIMD code: a few ulp. */
    CHECK(v[0] == w[0] && v[2] == w[2] && v[4] == w[4]);
    CHECK(close_rel(v[1], w[1], 4e-16));
    CHECK(close_rel(v[3], w[3], 4e-16));
    ulp_rows += v[1] != w[1] || v[3] != w[3];
    rows++;
  }
  int st = pclose(f);
  if (skipped) {
    printf("numpy comparison skipped (no numpy for %s)\n", python);
  } else {
    CHECK_EQ(st, 0);
    CHECK_EQ(rows, s->total);
    /* numpy's AVX-512 pow gives 10**-1 = 0.09999999999999999 where libm
     * gives 0.1: such rows are expected on some CPUs. */
    printf("grid matches numpy on %llu rows (%llu within 4e-16 only, in "
           "geomspace)\n",
           (unsigned long long)rows, (unsigned long long)ulp_rows);
  }
  psw__design_free(d);
  psw__spec_free(s);
  return skipped ? 77 : 0;
}

static char *random_spec(uint64_t seed, uint64_t n) {
  char *t = NULL;
  if (asprintf(
          &t,
          "seed: %llu\nnum_samples: %llu\n"
          "parameters:\n"
          "  u: {type: UniformSample, lower_limit: -2, upper_limit: 3}\n"
          "  g: {type: NormalSample, mean: 10, std: 2}\n"
          "  l: {type: LatinHypercubeSample, lower_limit: 0, "
          "upper_limit: 1}\n"
          "  s: {type: SobolSample, lower_limit: 5, upper_limit: 7}\n" MODEL,
          (unsigned long long)seed, (unsigned long long)n) < 0)
    return NULL;
  return t;
}

/* All rows of a design, computed in the given order of indices. */
static double *all_rows(const psw_spec_t *s, const uint64_t *order) {
  size_t np = s->nparams;
  double *out = calloc(s->total * np, sizeof *out);
  psw_design_t *d = NULL;
  if (!out || psw__design_create(s, &d)) {
    CHECK(0);
    free(out);
    return NULL;
  }
  for (uint64_t k = 0; k < s->total; k++) {
    uint64_t i = order ? order[k] : k;
    CHECK_EQ(psw__design_sample(d, i, out + i * np), 0);
  }
  psw__design_free(d);
  return out;
}

static int test_random_determinism(void) {
  const uint64_t n = 1000;
  char *t1 = random_spec(42, n), *t2 = random_spec(42, n),
       *t3 = random_spec(43, n);
  psw_spec_t *a = parse(t1), *b = parse(t2), *c = parse(t3);
  free(t1);
  free(t2);
  free(t3);
  if (!a || !b || !c)
    return 1;
  uint64_t *order = malloc(n * sizeof *order);
  double *base = all_rows(a, NULL);
  size_t bytes = n * a->nparams * sizeof(double);

  /* Backwards: the Sobol cursor restarts for every index. */
  for (uint64_t k = 0; k < n; k++)
    order[k] = n - 1 - k;
  double *rev = all_rows(a, order);
  CHECK(rev && !memcmp(base, rev, bytes));
  /* Strided (what several workers see interleaved) on another spec object
   * parsed from the same text. */
  for (uint64_t k = 0; k < n; k++)
    order[k] = k * 7 % n; /* 7 and 1000 are coprime */
  double *strided = all_rows(b, order);
  CHECK(strided && !memcmp(base, strided, bytes));
  /* Chunks on fresh designs, as workers of any backend would do. */
  double v[4];
  for (uint64_t start = 0; start < n; start += 128) {
    psw_design_t *d = NULL;
    CHECK_OK(psw__design_create(b, &d));
    for (uint64_t i = start; i < start + 128 && i < n; i++) {
      CHECK_OK(psw__design_sample(d, i, v));
      CHECK(!memcmp(v, base + i * 4, sizeof v));
    }
    psw__design_free(d);
  }
  /* Another seed: different random samples, same Sobol points. */
  double *other = all_rows(c, NULL);
  size_t same[4] = {0};
  for (uint64_t i = 0; i < n; i++)
    for (int j = 0; j < 4; j++)
      same[j] += base[i * 4 + j] == other[i * 4 + j];
  CHECK_EQ(same[0], 0);
  CHECK_EQ(same[1], 0);
  CHECK(same[2] < 5); /* LHS: a coincidence of strata and jitter, rare */
  CHECK_EQ(same[3], n);
  free(order);
  free(base);
  free(rev);
  free(strided);
  free(other);
  psw__spec_free(a);
  psw__spec_free(b);
  psw__spec_free(c);
  return 0;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static int test_lhs_strata(void) {
  const uint64_t n = 1000;
  psw_spec_t *s = parse("seed: 2024\nnum_samples: 1000\nparameters:\n"
                        "  x: {type: LatinHypercubeSample, lower_limit: 0, "
                        "upper_limit: 1}\n"
                        "  y: {type: LatinHypercubeSample, lower_limit: -5, "
                        "upper_limit: 15}\n"
                        "  z: {type: LatinHypercubeSample, lower_limit: 1e3, "
                        "upper_limit: 2e3}\n" MODEL);
  if (!s)
    return 1;
  double *rows = all_rows(s, NULL);
  double *col = malloc(n * sizeof *col);
  int *hits = malloc(n * sizeof *hits);
  for (int j = 0; j < 3; j++) {
    const psw_param_t *p = &s->params[j];
    memset(hits, 0, n * sizeof *hits);
    for (uint64_t i = 0; i < n; i++) {
      double x = rows[i * 3 + j];
      CHECK(x >= p->lower && x < p->upper);
      long k = (long)floor((x - p->lower) / (p->upper - p->lower) * (double)n);
      if (k >= 0 && k < (long)n)
        hits[k]++;
      col[i] = x;
    }
    for (uint64_t k = 0; k < n; k++)
      CHECK_EQ(hits[k], 1);
    /* Unit-interval parameter: exactly inside [k/N, (k+1)/N). */
    if (j == 0) {
      qsort(col, n, sizeof *col, cmp_double);
      for (uint64_t k = 0; k < n; k++)
        CHECK(col[k] >= (double)k / n && col[k] < (double)(k + 1) / n);
    }
  }
  /* Strata are not simply i (the permutation is random). */
  uint64_t identity = 0;
  for (uint64_t i = 0; i < n; i++)
    identity += (uint64_t)(rows[i * 3] * (double)n) == i;
  CHECK(identity < 10);
  free(rows);
  free(col);
  free(hits);
  psw__spec_free(s);
  return 0;
}

static int test_sobol(void) {
  const uint64_t n = 4096;
  psw_spec_t *s = parse("num_samples: 4096\nparameters:\n"
                        "  a: {type: SobolSample, lower_limit: 0, "
                        "upper_limit: 1}\n"
                        "  u: {type: UniformSample, lower_limit: 0, "
                        "upper_limit: 1}\n"
                        "  b: {type: SobolSample, lower_limit: 0, "
                        "upper_limit: 1}\n"
                        "  c: {type: SobolSample, lower_limit: -4, "
                        "upper_limit: 4}\n" MODEL);
  if (!s)
    return 1;
  gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 3);
  psw_design_t *d = NULL;
  CHECK_OK(psw__design_create(s, &d));
  double v[4], w[3];
  for (uint64_t i = 0; i < n; i++) {
    CHECK_EQ(gsl_qrng_get(q, w), 0);
    CHECK_OK(psw__design_sample(d, i, v));
    CHECK(v[0] == w[0] && v[2] == w[1]);
    CHECK(v[3] == -4 + 8 * w[2]);
  }
  /* Random access after the end: back to 0, then a jump. */
  gsl_qrng_init(q);
  CHECK_EQ(gsl_qrng_get(q, w), 0);
  CHECK_OK(psw__design_sample(d, 0, v));
  CHECK(v[0] == w[0] && v[2] == w[1]);
  psw__design_free(d);
  gsl_qrng_free(q);
  psw__spec_free(s);
  return 0;
}

static int test_normal_uniform_stats(void) {
  const uint64_t n = 100000;
  psw_spec_t *s = parse("seed: 12345\nnum_samples: 100000\nparameters:\n"
                        "  g: {type: NormalSample, mean: 4.0e-12, "
                        "std: 0.5e-12}\n"
                        "  u: {type: UniformSample, lower_limit: 20, "
                        "upper_limit: 30}\n" MODEL);
  if (!s)
    return 1;
  double *rows = all_rows(s, NULL);
  double sum = 0, sum2 = 0, usum = 0;
  double *u = malloc(n * sizeof *u);
  for (uint64_t i = 0; i < n; i++) {
    double g = rows[i * 2], x = rows[i * 2 + 1];
    sum += g;
    sum2 += g * g;
    CHECK(x >= 20 && x < 30);
    usum += x;
    u[i] = x;
  }
  double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
  /* 5 standard errors: a false alarm has probability ~1e-6. */
  CHECK(fabs(mean - 4.0e-12) < 5 * 0.5e-12 / sqrt((double)n));
  CHECK(fabs(sd - 0.5e-12) < 0.01 * 0.5e-12);
  CHECK(fabs(usum / n - 25) < 5 * (10 / sqrt(12.0)) / sqrt((double)n));
  /* 53-bit uniforms and distinct per-index streams: no repeated value. */
  qsort(u, n, sizeof *u, cmp_double);
  uint64_t dups = 0;
  for (uint64_t i = 1; i < n; i++)
    dups += u[i] == u[i - 1];
  CHECK_EQ(dups, 0);
  /* The empirical CDF is close to uniform (Kolmogorov-Smirnov, 1.95 is
   * the 0.1% critical value). */
  double ks = 0;
  for (uint64_t i = 0; i < n; i++) {
    double f = (u[i] - 20) / 10;
    ks = fmax(ks, fmax(fabs(f - (double)i / n), fabs(f - (double)(i + 1) / n)));
  }
  CHECK(ks * sqrt((double)n) < 1.95);
  free(u);
  free(rows);
  psw__spec_free(s);
  return 0;
}

/* A design never builds O(N) tables: any index of a huge design is cheap. */
static int test_huge(void) {
  psw_spec_t *s = parse("seed: 1\nnum_samples: 1099511627776\nparameters:\n"
                        "  u: {type: UniformSample, lower_limit: 0, "
                        "upper_limit: 1}\n"
                        "  l: {type: LatinHypercubeSample, lower_limit: 0, "
                        "upper_limit: 1}\n" MODEL);
  if (!s)
    return 1;
  psw_design_t *d = NULL;
  CHECK_OK(psw__design_create(s, &d));
  double v[2], w[2];
  uint64_t last = s->total - 1;
  CHECK_OK(psw__design_sample(d, last, v));
  CHECK_OK(psw__design_sample(d, 5, w));
  CHECK(v[0] >= 0 && v[0] < 1 && v[1] >= 0 && v[1] < 1);
  CHECK_OK(psw__design_sample(d, last, w));
  CHECK(!memcmp(v, w, sizeof v));
  /* Indices 2^32 apart use different streams. */
  CHECK_OK(psw__design_sample(d, 5 + (UINT64_C(1) << 32), w));
  CHECK(v[0] != w[0]);
  psw__design_free(d);
  psw__spec_free(s);

  s = parse("parameters:\n"
            "  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, "
            "num_samples: 1099511627777}\n"
            "  b: {type: GeomSample, lower_limit: 1, upper_limit: 1e6, "
            "num_samples: 7}\n" MODEL);
  CHECK_OK(psw__design_create(s, &d));
  CHECK_OK(psw__design_sample(d, (UINT64_C(1) << 40) * 7 + 3, v));
  CHECK(v[0] == 1);
  CHECK(close_rel(v[1], 1e3, 1e-15));
  psw__design_free(d);
  psw__spec_free(s);
  return 0;
}

/* The keyed permutation is a bijection of [0, n) for any n. */
static int test_perm(void) {
  static const uint64_t sizes[] = {1, 2, 3, 4, 5, 17, 64, 1000, 4097, 65537};
  for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
    uint64_t n = sizes[t];
    unsigned char *seen = calloc(n, 1);
    psw__perm_t p;
    psw__perm_init(&p, n, 0x1234 + t);
    for (uint64_t x = 0; x < n; x++) {
      uint64_t y = psw__perm_apply(&p, x);
      CHECK(y < n);
      if (y < n) {
        CHECK(!seen[y]);
        seen[y] = 1;
      }
    }
    free(seen);
  }
  psw__perm_t p;
  psw__perm_init(&p, UINT64_MAX, 99);
  CHECK(psw__perm_apply(&p, UINT64_MAX - 1) < UINT64_MAX);
  return 0;
}

static int test_invalid(void) {
  psw_design_t *d = (psw_design_t *)1;
  CHECK_EQ(psw__design_create(NULL, &d), PSW_ERR_INVAL);
  CHECK(d == NULL);
  psw_spec_t s;
  memset(&s, 0, sizeof s);
  CHECK_EQ(psw__design_create(&s, &d), PSW_ERR_INVAL);
  CHECK_EQ(psw__design_sample(NULL, 0, NULL), PSW_ERR_INVAL);
  psw__design_free(NULL);
  return 0;
}

/* test_design: every case but numpy's; test_design numpy PYTHON SCRIPT:
 * the numpy comparison alone (its own ctest entry, exit 77 when skipped). */
int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "numpy")) {
    int rc = test_grid_numpy(argv[2], argv[3]);
    if (check_failures())
      fprintf(stderr, "%d check(s) failed\n", check_failures());
    return check_failures() ? 1 : rc;
  }
  if (argc != 1) {
    fprintf(stderr, "usage: test_design [numpy PYTHON SCRIPT]\n");
    return 2;
  }
  test_grid_order();
  test_random_determinism();
  test_lhs_strata();
  test_sobol();
  test_normal_uniform_stats();
  test_huge();
  test_perm();
  test_invalid();
  if (check_failures())
    fprintf(stderr, "%d check(s) failed\n", check_failures());
  return check_failures() ? 1 : 0;
}
