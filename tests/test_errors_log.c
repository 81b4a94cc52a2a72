/* Errors as values and the logger: psw_strerror/psw_err_name for every
 * code, level names, PARSWEEP_LOG (checked in a re-executed copy of this
 * program, since the variable is read once per process), the handler. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <parsweep.h>

#include "check.h"

typedef struct code {
  int value;
  const char *name;
  const char *msg;
} code_t;

static const code_t CODES[] = {
#define X(name, value, msg) {value, #name, msg},
    PSW_ERRNO_MAP(X)
#undef X
};
#define NCODES (sizeof CODES / sizeof CODES[0])

static void check_errors(void) {
  CHECK(NCODES >= 15);
  const char *ok = psw_strerror(0);
  CHECK(ok != NULL && *ok);
  CHECK(strcmp(psw_err_name(0), "OK") == 0);
  for (size_t i = 0; i < NCODES; i++) {
    int v = CODES[i].value;
    CHECK(v < 0);
    const char *s = psw_strerror(v), *n = psw_err_name(v);
    CHECK(s != NULL && n != NULL);
    if (!s || !n)
      continue;
    CHECK(strcmp(s, CODES[i].msg) == 0);
    CHECK(strcmp(n, CODES[i].name) == 0);
    CHECK(strcmp(s, "unknown error") != 0);
    CHECK(strcmp(s, ok) != 0);
    for (size_t j = 0; j < i; j++) {
      CHECK(CODES[j].value != v);
      CHECK(strcmp(psw_strerror(CODES[j].value), s) != 0);
      CHECK(strcmp(psw_err_name(CODES[j].value), n) != 0);
    }
  }
  CHECK_EQ(PSW_ERR_PEER_LOST, -4);
  const int unknown[] = {1, 42, -1000, -16, 2147483647, -2147483647 - 1};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    const char *s = psw_strerror(unknown[i]);
    CHECK(s != NULL && strcmp(s, "unknown error") == 0);
    CHECK(strcmp(psw_err_name(unknown[i]), "UNKNOWN") == 0);
  }
}

static void check_parse(void) {
  static const struct {
    const char *s;
    psw_log_level_t l;
  } good[] = {
      {"error", PSW_LOG_ERROR}, {"warn", PSW_LOG_WARN},
      {"info", PSW_LOG_INFO},   {"debug", PSW_LOG_DEBUG},
      {"trace", PSW_LOG_TRACE}, {"ERROR", PSW_LOG_ERROR},
      {"Warn", PSW_LOG_WARN},   {"DEBUG", PSW_LOG_DEBUG},
      {"TrAcE", PSW_LOG_TRACE}, {"0", PSW_LOG_ERROR},
      {"1", PSW_LOG_WARN},      {"2", PSW_LOG_INFO},
      {"3", PSW_LOG_DEBUG},     {"4", PSW_LOG_TRACE},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    psw_log_level_t l = (psw_log_level_t)99;
    int rc = psw_log_parse_level(good[i].s, &l);
    if (rc != 0 || l != good[i].l) {
      fprintf(stderr, "psw_log_parse_level(\"%s\") = %d, level %d\n", good[i].s,
              rc, (int)l);
      CHECK(!"level parses");
    }
  }
  static const char *bad[] = {"",      "verbose", "5",  "-1",
                              "warnx", "errors",  "10", " "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    psw_log_level_t l = PSW_LOG_INFO;
    int rc = psw_log_parse_level(bad[i], &l);
    if (rc != PSW_ERR_INVAL) {
      fprintf(stderr, "psw_log_parse_level(\"%s\") = %d, expected INVAL\n",
              bad[i], rc);
      CHECK(!"bad level refused");
    }
    CHECK_EQ(l, PSW_LOG_INFO); /* untouched on error */
  }
  psw_log_level_t l = PSW_LOG_INFO;
  CHECK_EQ(psw_log_parse_level(NULL, &l), PSW_ERR_INVAL);
}

/* --- the handler --------------------------------------------------------- */

static int got[PSW_LOG_TRACE + 1];
static char last[1024];
static void *last_ud;

static void handler(psw_log_level_t level, const char *msg, void *ud) {
  if ((unsigned)level <= PSW_LOG_TRACE)
    got[level]++;
  snprintf(last, sizeof last, "%s", msg);
  last_ud = ud;
}

static void check_handler(void) {
  int token;
  psw_log_set_handler(handler, &token);
  psw_log_level_t prev = psw_log_set_level(PSW_LOG_INFO);
  CHECK_EQ(psw_log_get_level(), PSW_LOG_INFO);
  CHECK_EQ(psw_log_set_level(prev), PSW_LOG_INFO);
  CHECK_EQ(psw_log_get_level(), prev);

  psw_log_set_level(PSW_LOG_WARN);
  memset(got, 0, sizeof got);
  psw_log(PSW_LOG_ERROR, "e %d", 1);
  psw_log(PSW_LOG_WARN, "w %s %d", "x", 2);
  CHECK(strcmp(last, "w x 2") == 0);
  CHECK(last_ud == &token);
  psw_log(PSW_LOG_INFO, "dropped");
  psw_log(PSW_LOG_DEBUG, "dropped");
  psw_log(PSW_LOG_TRACE, "dropped");
  CHECK_EQ(got[PSW_LOG_ERROR], 1);
  CHECK_EQ(got[PSW_LOG_WARN], 1);
  CHECK_EQ(got[PSW_LOG_INFO] + got[PSW_LOG_DEBUG] + got[PSW_LOG_TRACE], 0);
  CHECK(strcmp(last, "w x 2") == 0);

  psw_log_set_level(PSW_LOG_TRACE);
  psw_log(PSW_LOG_TRACE, "t");
  CHECK_EQ(got[PSW_LOG_TRACE], 1);
  CHECK(strcmp(last, "t") == 0);

  /* Long messages arrive whole or truncated, never overflowing. */
  char big[8192];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  psw_log(PSW_LOG_INFO, "%s", big);
  CHECK(strlen(last) > 100);

  psw_log_set_level(PSW_LOG_ERROR);
  memset(got, 0, sizeof got);
  psw_log(PSW_LOG_WARN, "dropped");
  CHECK_EQ(got[PSW_LOG_WARN], 0);
  psw_log_set_handler(NULL, NULL);
  psw_log_set_level(PSW_LOG_WARN);
}

/* --- PARSWEEP_LOG, in a fresh process ----------------------------------- */

static int level_in_child(const char *self, const char *value) {
  pid_t p = fork();
  if (p == 0) {
    if (value)
      setenv("PARSWEEP_LOG", value, 1);
    else
      unsetenv("PARSWEEP_LOG");
    execl(self, self, "--print-level", (char *)NULL);
    _exit(100);
  }
  int st = 0;
  if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

static void check_env(const char *self) {
  static const struct {
    const char *v;
    int l;
  } cases[] = {
      {NULL, PSW_LOG_WARN},       {"error", PSW_LOG_ERROR},
      {"warn", PSW_LOG_WARN},     {"info", PSW_LOG_INFO},
      {"DEBUG", PSW_LOG_DEBUG},   {"trace", PSW_LOG_TRACE},
      {"3", PSW_LOG_DEBUG},       {"0", PSW_LOG_ERROR},
      {"nonsense", PSW_LOG_WARN}, {"", PSW_LOG_WARN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int l = level_in_child(self, cases[i].v);
    if (l != cases[i].l) {
      fprintf(stderr, "PARSWEEP_LOG=%s gave level %d, expected %d\n",
              cases[i].v ? cases[i].v : "(unset)", l, cases[i].l);
      CHECK(!"PARSWEEP_LOG sets the level");
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--print-level"))
    return (int)psw_log_get_level();
  check_errors();
  check_parse();
  check_handler();
  check_env("/proc/self/exe");
  (void)argc;
  (void)argv;
  CHECK(strcmp(psw_version(), PSW_VERSION_STRING) == 0);
  printf("test_errors_log: %s\n", check_failures() ? "FAILED" : "passed");
  return check_failures() ? 1 : 0;
}
