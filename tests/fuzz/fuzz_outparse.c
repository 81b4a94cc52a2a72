/* parsweep fuzz target — a command model's stdout parser
 * (src/sweep/outparse.c: psw__parse_outputs, psw__parse_outputs_update).
 *
 * The input is the model's stdout as is. libFuzzer hands it over in an
 * exactly sized heap buffer, so ASan catches a read past len or a reliance
 * on a NUL. Beyond that, the two entry points must agree (model.h): parsing
 * the whole output at once gives, bit for bit, what feeding it in two pieces
 * split at a line boundary gives, and the counts add up. A violated
 * contract aborts, which libFuzzer reports as a crash. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#include "require.h"

/* Names a spec could declare: short, long, with a blank inside (never
 * matched: the parser trims at the blanks), and one listed twice. */
static const char *const names[] = {
    "y", "z", "lcow", "energy", "a b", "y", "a_rather_long_output_name_0123",
};
#define N (sizeof names / sizeof names[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  double whole[N], parts[N];

  size_t found = psw__parse_outputs(buf, size, names, N, whole);
  REQUIRE(found <= N);
  /* The duplicate name gets the same value in both places. */
  REQUIRE(memcmp(&whole[0], &whole[5], sizeof whole[0]) == 0);

  /* The same output read in two pieces, split after the first '\n' past the
   * middle (or not at all). */
  size_t cut = size;
  const char *nl = memchr(buf + size / 2, '\n', size - size / 2);
  if (nl)
    cut = (size_t)(nl - buf) + 1;
  for (size_t k = 0; k < N; k++)
    parts[k] = NAN;
  size_t set = psw__parse_outputs_update(buf, cut, names, N, parts);
  set += psw__parse_outputs_update(buf + cut, size - cut, names, N, parts);
  REQUIRE(memcmp(whole, parts, sizeof whole) == 0);
  REQUIRE(set >= found);
  REQUIRE(set == psw__parse_outputs_update(buf, size, names, N, parts));

  /* Fewer names (a prefix of the list) see the same values. */
  double few[2];
  REQUIRE(psw__parse_outputs(buf, size, names, 2, few) <= 2);
  REQUIRE(memcmp(few, whole, sizeof few) == 0);
  return 0;
}
