/* A command model that costs almost nothing (benchmark B3): prints
 * y = a + b and z = a * b for `trivial_model A B`, as the name=value lines
 * parsweep reads. Its run time is that of a process start. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  double a = strtod(argv[1], NULL), b = strtod(argv[2], NULL);
  printf("y=%.17g\nz=%.17g\n", a + b, a * b);
  return 0;
}
