/* parsweep tests — the command model's argv templates and environment,
 * alone (model_argv.c, model_env.c; no model is run): placeholders found
 * and expanded, "{index}", numbers as "%.17g", unknown placeholders and
 * bad env entries refused at open, the environment snapshot's order of
 * precedence, and the PATH search.
 *
 *   test_argv */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "model.h"
#include "model_cmd.h"
#include "parsweep/error.h"

static psw_param_t xy[2] = {{.name = "x"}, {.name = "y"}};

static int contains(const char *s, const char *sub) {
  return s && strstr(s, sub) != NULL;
}

/* --- placeholders ------------------------------------------------------- */

static void test_placeholders(void) {
  size_t n = 0;
  const char *s = "--a={alpha}";
  CHECK(psw__placeholder_next(s, &n) == s + 4 && n == 5);
  s = "{}}{x";
  CHECK(psw__placeholder_next(s, &n) == NULL);
  s = "{feed flow}"; /* the loader accepts any name without braces */
  CHECK(psw__placeholder_next(s, &n) == s && n == 9);
  s = "{\"k\": 1}";
  CHECK(psw__placeholder_next(s, &n) == s && n == 6);
  s = "{{x}}";
  CHECK(psw__placeholder_next(s, &n) == s + 1 && n == 1);
  s = "{x}{index}";
  CHECK(psw__placeholder_next(s + 1, &n) == s + 3 && n == 5);
}

/* --- command: open errors ----------------------------------------------- */

static void test_cmd_open_errors(void) {
  char err[256];
  psw_model_inst_t *m = (psw_model_inst_t *)1;
  char *argv1[] = {"psw-no-such-command-xyz", NULL};
  psw_spec_t sp = {.command = argv1, .command_argc = 1};
  CHECK_EQ(psw__model_open(&sp, 0, 0, &m, err, sizeof err), PSW_ERR_MODEL);
  CHECK(m == NULL);
  CHECK(contains(err, "psw-no-such-command-xyz"));
  CHECK(contains(err, "PATH"));

  argv1[0] = "/nonexistent/psw_model";
  CHECK_EQ(psw__model_open(&sp, 0, 0, &m, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, "/nonexistent/psw_model"));
  argv1[0] = "/etc/passwd"; /* exists, not executable */
  CHECK_EQ(psw__model_open(&sp, 0, 0, &m, err, sizeof err), PSW_ERR_MODEL);
  argv1[0] = "/tmp"; /* a directory */
  CHECK_EQ(psw__model_open(&sp, 0, 0, &m, err, sizeof err), PSW_ERR_MODEL);

  /* PATH is the child's: spec->env can hide a command... */
  char *bad_path[] = {"PATH=/nonexistent", NULL};
  char *argv_true[] = {"true", NULL};
  psw_spec_t st = {
      .command = argv_true, .command_argc = 1, .env = bad_path, .nenv = 1};
  CHECK_EQ(psw__model_open(&st, 0, 0, &m, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, "true"));

  char *argv_ph[] = {"true", "--z={zz}", NULL};
  psw_spec_t sph = {
      .params = xy, .nparams = 2, .command = argv_ph, .command_argc = 2};
  CHECK_EQ(psw__model_open(&sph, 0, 0, &m, err, sizeof err), PSW_ERR_INVAL);
  CHECK(contains(err, "{zz}"));

  char *env_bad[] = {"NOEQUALS", NULL};
  psw_spec_t se = {
      .command = argv_true, .command_argc = 1, .env = env_bad, .nenv = 1};
  CHECK_EQ(psw__model_open(&se, 0, 0, &m, err, sizeof err), PSW_ERR_INVAL);
  CHECK(contains(err, "NOEQUALS"));

  psw_spec_t none = {0};
  CHECK_EQ(psw__model_open(&none, 0, 0, &m, err, sizeof err), PSW_ERR_INVAL);
  psw_spec_t both = {
      .command = argv_true, .command_argc = 1, .plugin = "./x.so"};
  CHECK_EQ(psw__model_open(&both, 0, 0, &m, err, sizeof err), PSW_ERR_INVAL);
  CHECK_EQ(psw__model_open(NULL, 0, 0, &m, NULL, 0), PSW_ERR_INVAL);
  psw__model_close(NULL);
}
/* --- argv ---------------------------------------------------------------- */

static void test_argv_expand(void) {
  char *tmpl[] = {"prog",  "--x={x}", "{y}/{index}", "lit{}",
                  "{{x}}", "{index}", NULL};
  psw_spec_t sp = {
      .params = xy, .nparams = 2, .command = tmpl, .command_argc = 6};
  char err[256] = "";
  CHECK_EQ(psw__cmd_argv_check(&sp, err, sizeof err), 0);
  double params[2] = {0.1, -3};
  int unknown = 0;
  char **argv = psw__cmd_argv(&sp, 42, params, &unknown);
  CHECK(argv != NULL);
  if (!argv)
    return;
  CHECK_EQ(unknown, 0);
  /* Arguments without a placeholder are the template's own strings. */
  CHECK(argv[0] == tmpl[0]);
  CHECK(argv[3] == tmpl[3]);
  /* 0.1 with 17 significant digits: what a reader gets back is 0.1. */
  CHECK(!strcmp(argv[1], "--x=0.10000000000000001"));
  CHECK(!strcmp(argv[2], "-3/42"));
  CHECK(!strcmp(argv[4], "{0.10000000000000001}"));
  CHECK(!strcmp(argv[5], "42"));
  CHECK(argv[6] == NULL);
  psw__cmd_argv_free(&sp, argv);

  /* The largest index, and a parameter named "index" does not hide it. */
  psw_param_t idx[1] = {{.name = "index"}};
  char *tmpl2[] = {"{index}", NULL};
  psw_spec_t s2 = {
      .params = idx, .nparams = 1, .command = tmpl2, .command_argc = 1};
  double p2[1] = {7};
  argv = psw__cmd_argv(&s2, UINT64_MAX, p2, &unknown);
  CHECK(argv && !strcmp(argv[0], "18446744073709551615"));
  psw__cmd_argv_free(&s2, argv);
}

static void test_argv_unknown(void) {
  char *tmpl[] = {"prog", "--z={zz}", NULL};
  psw_spec_t sp = {
      .params = xy, .nparams = 2, .command = tmpl, .command_argc = 2};
  char err[256] = "";
  CHECK_EQ(psw__cmd_argv_check(&sp, err, sizeof err), PSW_ERR_INVAL);
  CHECK(contains(err, "{zz}") && contains(err, "argument 1"));
  double params[2] = {1, 2};
  int unknown = 0;
  CHECK(psw__cmd_argv(&sp, 0, params, &unknown) == NULL);
  CHECK_EQ(unknown, 1);

  char *with_null[] = {"prog", NULL, NULL};
  psw_spec_t sn = {.command = with_null, .command_argc = 2};
  CHECK_EQ(psw__cmd_argv_check(&sn, err, sizeof err), PSW_ERR_INVAL);
  CHECK(contains(err, "argument 1 is NULL"));
}

/* --- environment --------------------------------------------------------- */

static void test_env(void) {
  setenv("PSW_TEST_ARGV_A", "parent", 1);
  setenv("PSW_TEST_ARGV_C", "kept", 1);
  setenv("PARSWEEP_RANK", "99", 1); /* ours wins */
  char *env[] = {"PSW_TEST_ARGV_A=one", "PSW_TEST_ARGV_B=b",
                 "PSW_TEST_ARGV_A=two", NULL};
  char *tmpl[] = {"prog", NULL};
  psw_spec_t sp = {.command = tmpl, .command_argc = 1, .env = env, .nenv = 3};
  char slot[48] = "PARSWEEP_INDEX=0", err[256] = "";
  char **envp = NULL;
  size_t nowned = 0;
  CHECK_EQ(psw__cmd_env(&sp, 3, 7, slot, &envp, &nowned, err, sizeof err), 0);
  CHECK(envp != NULL);
  if (!envp)
    return;
  size_t n = 0, a = 0, rank = 0;
  for (; envp[n]; n++) {
    a += !strncmp(envp[n], "PSW_TEST_ARGV_A=", 16);
    rank += !strncmp(envp[n], "PARSWEEP_RANK=", 14);
  }
  /* The index slot last, the caller's buffer; the others owned. */
  CHECK_EQ(n, nowned + 1);
  CHECK(envp[nowned] == slot);
  CHECK_EQ(a, 1);
  CHECK_EQ(rank, 1);
  const char *v = psw__cmd_env_get(envp, "PSW_TEST_ARGV_A");
  CHECK(v && !strcmp(v, "two"));
  v = psw__cmd_env_get(envp, "PSW_TEST_ARGV_B");
  CHECK(v && !strcmp(v, "b"));
  v = psw__cmd_env_get(envp, "PSW_TEST_ARGV_C");
  CHECK(v && !strcmp(v, "kept"));
  v = psw__cmd_env_get(envp, "PARSWEEP_WORKER");
  CHECK(v && !strcmp(v, "3"));
  v = psw__cmd_env_get(envp, "PARSWEEP_RANK");
  CHECK(v && !strcmp(v, "7"));
  CHECK(psw__cmd_env_get(envp, "PSW_TEST_ARGV_NONE") == NULL);
  for (size_t i = 0; i < nowned; i++)
    free(envp[i]);
  free(envp);

  char *bad[] = {"=x", NULL};
  psw_spec_t sb = {.command = tmpl, .command_argc = 1, .env = bad, .nenv = 1};
  envp = NULL;
  nowned = 0;
  CHECK_EQ(psw__cmd_env(&sb, 0, 0, slot, &envp, &nowned, err, sizeof err),
           PSW_ERR_INVAL);
  CHECK(contains(err, "\"=x\"") && contains(err, "KEY=VALUE"));
  free(envp);
  unsetenv("PARSWEEP_RANK");
}

static void test_resolve(void) {
  /* execvp's search: the first executable regular file on the path, an
   * empty entry being the current directory. */
  char *p = psw__model_resolve("sh", "/nonexistent::/bin:/usr/bin");
  CHECK(p && !strcmp(p, "/bin/sh"));
  free(p);
  CHECK(psw__model_resolve("sh", "/nonexistent") == NULL);
  CHECK(psw__model_resolve("/nonexistent/sh", NULL) == NULL);
  p = psw__model_resolve("/bin/sh", "/nonexistent");
  CHECK(p && !strcmp(p, "/bin/sh"));
  free(p);
}

int main(void) {
  test_placeholders();
  test_argv_expand();
  test_argv_unknown();
  test_env();
  test_resolve();
  test_cmd_open_errors();
  if (check_failures())
    fprintf(stderr, "test_argv: %d failure(s)\n", check_failures());
  return check_failures() != 0;
}
