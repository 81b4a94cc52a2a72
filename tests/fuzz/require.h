/* parsweep fuzz targets — REQUIRE(c): a contract of the code under test,
 * checked beyond the sanitizers; a violation aborts, which libFuzzer
 * reports as a finding with the input that caused it. */
#ifndef PSW_FUZZ_REQUIRE_H
#define PSW_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c)                                                             \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: contract violated: %s\n", __FILE__, __LINE__,    \
              #c);                                                             \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif
