/* parsweep CLI tests — the reference Sobol sequence, straight from GSL.
 *
 *   psw_cli_sobol DIM N    prints N points of gsl_qrng_sobol in DIM
 *                          dimensions, one per line, %.17g, space-separated */
#include <gsl/gsl_qrng.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  unsigned dim = (unsigned)strtoul(argv[1], NULL, 10);
  long n = strtol(argv[2], NULL, 10);
  gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, dim);
  double *x = malloc(dim * sizeof *x);
  if (!q || !x)
    return 1;
  for (long i = 0; i < n; i++) {
    if (gsl_qrng_get(q, x))
      return 1;
    for (unsigned d = 0; d < dim; d++)
      printf("%s%.17g", d ? " " : "", x[d]);
    putchar('\n');
  }
  gsl_qrng_free(q);
  free(x);
  return 0;
}
