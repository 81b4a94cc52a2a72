/* parsweep — the pure arithmetic of designs: the grid axes (linspace,
 * geomspace, reversed geomspace at index k) and scaling a unit draw into
 * open bounds. Apart from design.c so that design_diff.c uses these
 * without depending on the design that calls it. */
#include <math.h>
#include <stdint.h>

#include "design.h"

/* The volatile temporaries keep the compiler from contracting a*b + c into
 * an fma, which rounds once instead of twice and would differ from numpy
 * (and between builds with and without FMA). */
static double linspace_at(double start, double stop, uint64_t n, uint64_t k) {
  if (n == 1)
    return start;
  if (k == n - 1)
    return stop;
  double div = (double)(n - 1), delta = stop - start, step = delta / div;
  volatile double t;
  if (step == 0) { /* numpy's branch for subnormal steps (gh-5437) */
    t = (double)k / div;
    t = t * delta;
  } else {
    t = (double)k * step;
  }
  return t + start;
}

/* Bounds of the same sign (the spec reader refuses 0 and mixed signs).
 * Both negative: numpy negates the bounds, computes, and multiplies by -1,
 * which is exact, so the result is the negated geomspace of the
 * magnitudes, endpoints included. A descending range needs nothing
 * special: log10(stop) < log10(start) makes linspace descend. */
static double geomspace_at(double start, double stop, uint64_t n, uint64_t k) {
  if (start < 0)
    return -geomspace_at(-start, -stop, n, k);
  if (k == 0)
    return start;
  if (k == n - 1)
    return stop;
  return pow(10.0, linspace_at(log10(start), log10(stop), n, k));
}

double psw__axis_value(psw_sampler_t kind, double lower, double upper,
                       uint64_t n, uint64_t k) {
  switch (kind) {
  case PSW_S_LINEAR:
    return linspace_at(lower, upper, n, k);
  case PSW_S_GEOM:
    return geomspace_at(lower, upper, n, k);
  case PSW_S_REVERSE_GEOM: {
    double sum = upper + lower;
    return sum - geomspace_at(lower, upper, n, n - 1 - k);
  }
  default:
    return NAN;
  }
}

/* lower + (upper - lower) * x for x in [0, 1), kept below upper: the
 * product can round up to the full width. Not contracted to an fma, so
 * builds with and without FMA give the same samples. */
double psw__scale_open(double lo, double up, double x) {
  volatile double t = (up - lo) * x;
  double v = lo + t;
  if (v >= up && up > lo)
    v = nextafter(up, lo);
  return v;
}
