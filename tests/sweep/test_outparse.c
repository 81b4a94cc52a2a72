/* parsweep tests — psw__parse_outputs: the "name=value" stdout parser. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "model.h"

static const char *const names[] = {"a", "b", "long_name"};
#define N 3

/* Parse s[0..len) from an exactly sized heap copy, so that ASan catches a
 * read past len or a reliance on a terminator. */
static size_t parse_n(const char *s, size_t len, double *out) {
  char *copy = malloc(len ? len : 1);
  memcpy(copy, s, len);
  size_t n = psw__parse_outputs(copy, len, names, N, out);
  free(copy);
  return n;
}

static size_t parse(const char *s, double *out) {
  return parse_n(s, strlen(s), out);
}

static void test_basic(void) {
  double o[N];
  CHECK_EQ(parse("a=1\nb=2\nlong_name=3\n", o), 3);
  CHECK(o[0] == 1 && o[1] == 2 && o[2] == 3);

  /* Blanks around '=' and at both ends, CRLF, no final newline. */
  CHECK_EQ(parse(" \ta \t=\t 1.5 \t\r\nb= -2e-3\r\nlong_name =7", o), 3);
  CHECK(o[0] == 1.5 && o[1] == -2e-3 && o[2] == 7);

  /* Missing names are NaN and not counted. */
  CHECK_EQ(parse("a=1\n", o), 1);
  CHECK(o[0] == 1 && isnan(o[1]) && isnan(o[2]));

  /* Other lines ignored, last valid occurrence wins. */
  CHECK_EQ(parse("hello\na=1\nsolver: ok\na=2\na=oops\n\n\n", o), 1);
  CHECK(o[0] == 2);
}

static void test_rejected(void) {
  double o[N];
  static const char *const bad[] = {
      "a=",    "a= ",  "=1",    " = 1",   "a==1",    "a=1x",
      "a=1 2", "a=0x", "a=\f1", "a=\v1",  "ab=1",    "A=1",
      "a b=1", "a:1",  "a=1,5", "a=--1",  "\ta\t\t", "a=e5",
      "a=1e",  "a=.",  "a=+",   "a=nanx", "a=infx",  "b=1\r\r\rx",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = parse(bad[i], o);
    if (n != 0)
      fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
    CHECK_EQ(n, 0);
    CHECK(isnan(o[0]) && isnan(o[1]));
  }
  /* An invalid later line does not undo a valid earlier one. */
  CHECK_EQ(parse("a=3\na=3.0.0\n", o), 1);
  CHECK(o[0] == 3);
}

static void test_numbers(void) {
  double o[N];
  CHECK_EQ(parse("a=inf\nb=-Infinity\n", o), 2);
  CHECK(isinf(o[0]) && o[0] > 0 && isinf(o[1]) && o[1] < 0);
  CHECK_EQ(parse("a=0x1p3\nb=-0\n", o), 2);
  CHECK(o[0] == 8 && o[1] == 0 && signbit(o[1]));
  CHECK_EQ(parse("a=1e999\nb=4.9e-324\n", o), 2);
  CHECK(isinf(o[0]) && o[1] > 0);
  /* A printed NaN counts as found (the model did print it)... */
  CHECK_EQ(parse("a=nan\n", o), 1);
  CHECK(isnan(o[0]));
  /* ...including one whose payload equals the internal not-found marker. */
  CHECK_EQ(parse("a=nan(0x50535721)\n", o), 1);
  CHECK(isnan(o[0]));
  /* Round trip of %.17g. */
  char buf[64];
  double v = 0.1 + 0.2;
  snprintf(buf, sizeof buf, "b=%.17g\n", v);
  CHECK_EQ(parse(buf, o), 1);
  CHECK(o[1] == v);
  /* A value too long to be a number of any use is ignored, a long name that
   * is not listed too. */
  char big[2048];
  memset(big, '0', sizeof big);
  memcpy(big, "a=", 2);
  big[sizeof big - 1] = '1';
  CHECK_EQ(parse_n(big, sizeof big, o), 0);
  memset(big, 'n', sizeof big);
  big[sizeof big - 2] = '=';
  big[sizeof big - 1] = '1';
  CHECK_EQ(parse_n(big, sizeof big, o), 0);
}

static void test_bounds(void) {
  double o[N];
  /* len cuts the value: "a=12" read as "a=1". */
  CHECK_EQ(parse_n("a=12", 3, o), 1);
  CHECK(o[0] == 1);
  /* Embedded NUL: the value is not a whole number. */
  CHECK_EQ(parse_n("a=1\0\nb=2\n", 9, o), 1);
  CHECK(isnan(o[0]) && o[1] == 2);
  CHECK_EQ(parse_n("", 0, o), 0);
  CHECK_EQ(psw__parse_outputs(NULL, 0, names, N, o), 0);
  CHECK(isnan(o[0]) && isnan(o[1]) && isnan(o[2]));
  CHECK_EQ(parse("\n\n\r\n=\n==\n", o), 0);
}

static void test_names(void) {
  /* A name listed twice gets the value in both places. */
  const char *const dup[] = {"x", "y", "x"};
  double o[3];
  CHECK_EQ(psw__parse_outputs("x=4\n", 4, dup, 3, o), 2);
  CHECK(o[0] == 4 && isnan(o[1]) && o[2] == 4);
  /* Names with blanks inside are matched as written. */
  const char *const sp[] = {"my out"};
  CHECK_EQ(psw__parse_outputs("my out = 5", 10, sp, 1, o), 1);
  CHECK(o[0] == 5);
  /* No names: nothing to do. */
  CHECK_EQ(psw__parse_outputs("a=1", 3, names, 0, o), 0);
}

static void test_update(void) {
  double o[N] = {10, 20, 30};
  CHECK_EQ(psw__parse_outputs_update("b=2\nb=3\n", 8, names, N, o), 2);
  CHECK(o[0] == 10 && o[1] == 3 && o[2] == 30);
}

/* The C locale is used whatever the host set (decimal comma locales).
 * Returns 77 (the ctest skip) when the host has no such locale. */
static int test_locale(void) {
  const char *locs[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8"};
  const char *got = NULL;
  for (size_t i = 0; !got && i < 3; i++)
    got = setlocale(LC_NUMERIC, locs[i]);
  if (!got) {
    fprintf(stderr, "test_locale: no decimal-comma locale, skipped\n");
    return 77;
  }
  double o[N];
  CHECK_EQ(parse("a=1.5\nb=2,5\n", o), 1);
  CHECK(o[0] == 1.5 && isnan(o[1]));
  setlocale(LC_NUMERIC, "C");
  return 0;
}

/* Random bytes from an alphabet rich in separators: nothing may crash or
 * read out of bounds (ASan), and the count never exceeds N. */
static void test_random(void) {
  static const char alpha[] = "ab=_ \t\r\n0123456789.eE+-xpnaif\0long_me";
  uint64_t s = 88172645463325252ull;
  double o[N];
  for (int it = 0; it < 20000; it++) {
    size_t len = (size_t)(s % 64);
    char *buf = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      buf[i] = alpha[s % (sizeof alpha - 1)];
    }
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    CHECK(psw__parse_outputs(buf, len, names, N, o) <= N);
    free(buf);
  }
}

/* test_outparse: every case but the locale's; test_outparse locale: that
 * one alone (its own ctest entry, exit 77 without a decimal-comma locale). */
int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "locale")) {
    int rc = test_locale();
    return check_failures() ? 1 : rc;
  }
  if (argc != 1) {
    fprintf(stderr, "usage: test_outparse [locale]\n");
    return 2;
  }
  test_basic();
  test_rejected();
  test_numbers();
  test_bounds();
  test_names();
  test_update();
  test_random();
  if (check_failures())
    fprintf(stderr, "test_outparse: %d failure(s)\n", check_failures());
  return check_failures() != 0;
}
