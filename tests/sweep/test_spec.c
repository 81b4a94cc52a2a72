/* parsweep tests — the sweep specification reader (src/sweep/spec*.c).
 *
 * Usage: test_spec SPECS_DIR   (tests/specs: good/ and bad/)
 *
 * Every file in bad/ starts with "# expect: <line>: <key path>"; the test
 * loads it and requires PSW_ERR_PARSE with a one-line message that contains
 * "<file name>:<line>: <key path>: ". The same files serve the CLI test
 * (exit 1, output untouched), so they are self-describing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strdup */
#endif
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "parsweep/error.h"
#include "spec.h"

static const char *specs_dir;

static int load_named(const char *rel, psw_spec_t **out, char *err,
                      size_t errlen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", specs_dir, rel);
  return psw__spec_load(path, out, err, errlen);
}

static int parse_str(const char *text, psw_spec_t **out, char *err,
                     size_t errlen) {
  return psw__spec_parse("inline.yaml", text, strlen(text), out, err, errlen);
}

static int test_ro_costs(void) {
  char err[512];
  psw_spec_t *s = NULL;
  CHECK_OK(load_named("good/ro_costs.yaml", &s, err, sizeof err));
  CHECK(strstr(s->text, "name: ro_costs") != NULL);
  CHECK(strstr(s->path, "good/ro_costs.yaml") != NULL);
  CHECK(s->name && !strcmp(s->name, "ro_costs"));
  CHECK_EQ(s->seed, 42);
  CHECK_EQ(s->num_samples, 1000);
  CHECK(s->backend && !strcmp(s->backend, "auto"));
  CHECK_EQ(s->num_workers, 0);
  CHECK(!strcmp(s->output, "results.h5"));
  CHECK_EQ(s->nparams, 3);
  CHECK(s->is_grid);
  CHECK_EQ(s->total, 11 * 5 * 3);

  const psw_param_t *p = &s->params[0];
  CHECK(!strcmp(p->name, "membrane_cost"));
  CHECK(!strcmp(p->full_name, "membrane_cost"));
  CHECK(!strcmp(p->units, "None"));
  CHECK_EQ(p->kind, PSW_S_LINEAR);
  CHECK(p->lower == 20 && p->upper == 30);
  CHECK_EQ(p->num_samples, 11);
  CHECK_EQ(p->line, 9);
  p = &s->params[1];
  CHECK_EQ(p->kind, PSW_S_GEOM);
  CHECK(p->lower == 0.01 && p->upper == 1);
  CHECK_EQ(p->num_samples, 5);
  p = &s->params[2];
  CHECK_EQ(p->kind, PSW_S_FIXED);
  CHECK_EQ(p->array_len, 3);
  CHECK_EQ(p->num_samples, 3);
  CHECK(p->array[0] == 50 && p->array[1] == 60 && p->array[2] == 80);
  CHECK(p->lower == 50 && p->upper == 80);

  CHECK_EQ(s->noutputs, 2);
  CHECK(!strcmp(s->outputs[0], "lcow") && !strcmp(s->outputs[1], "energy"));
  CHECK_EQ(s->command_argc, 8);
  CHECK(!strcmp(s->command[0], "python3"));
  CHECK(!strcmp(s->command[3], "{membrane_cost}"));
  CHECK(s->command[8] == NULL);
  CHECK(s->plugin == NULL);
  CHECK(s->timeout == 30);
  CHECK_EQ(s->retries, 0);
  CHECK_EQ(s->nenv, 1);
  CHECK(!strcmp(s->env[0], "OMP_NUM_THREADS=1"));
  CHECK(s->env[1] == NULL);
  psw__spec_free(s);
  return 0;
}

static int test_random(void) {
  char err[512];
  psw_spec_t *s = NULL;
  CHECK_OK(load_named("good/random.yaml", &s, err, sizeof err));
  CHECK(!s->is_grid);
  CHECK_EQ(s->total, 8);
  CHECK_EQ(s->seed, 7);
  CHECK(s->name == NULL && s->backend == NULL);
  CHECK(!strcmp(s->output, "results.h5"));
  CHECK_EQ(s->nparams, 5);
  const psw_param_t *p = &s->params[0];
  CHECK_EQ(p->kind, PSW_S_UNIFORM);
  CHECK(!strcmp(p->full_name, "fs.feed.conc_mass_comp[0, NaCl]"));
  CHECK(!strcmp(p->units, "kg/m^3"));
  CHECK_EQ(p->num_samples, 8);
  p = &s->params[1];
  CHECK_EQ(p->kind, PSW_S_NORMAL);
  CHECK(p->mean == 4.0e-12 && p->std == 0.5e-12);
  CHECK(fabs(p->lower - 2.5e-12) < 1e-25 && fabs(p->upper - 5.5e-12) < 1e-25);
  CHECK_EQ(s->params[2].kind, PSW_S_LHS);
  CHECK_EQ(s->params[3].kind, PSW_S_SOBOL);
  CHECK(s->params[3].lower == 1e6 && s->params[3].upper == 8e6);
  CHECK_EQ(s->params[4].kind, PSW_S_RANDOM);
  CHECK_EQ(s->params[4].array_len, 8);
  for (size_t i = 0; i < s->nparams; i++)
    CHECK_EQ(s->params[i].num_samples, 8);
  CHECK(s->plugin && !strcmp(s->plugin, "./libmodel.so"));
  CHECK(s->command == NULL && s->command_argc == 0);
  CHECK(s->timeout == 2.5);
  CHECK_EQ(s->retries, 3);
  CHECK_EQ(s->nenv, 2);
  CHECK(!strcmp(s->env[0], "OMP_NUM_THREADS=1"));
  CHECK(!strcmp(s->env[1], "MODEL_MODE=fast"));
  CHECK(!strcmp(s->outputs[1], "energy"));
  psw__spec_free(s);
  return 0;
}

/* Edge values that must be accepted. */
static int test_edges(void) {
  char err[512];
  psw_spec_t *s = NULL;
  const char *text =
      "seed: 18446744073709551615\n"
      "number_of_subprocesses: 2147483647\n"
      "output: out/x.h5\n"
      "parameters:\n"
      "  a: {type: LinearSample, lower_limit: -1.5e+3, upper_limit: +.5, "
      "num_samples: 1}\n"
      "  b: {type: ReverseGeomSample, lower_limit: 1E-3, upper_limit: 1e-3, "
      "num_samples: 4294967296}\n"
      "  c: {type: LinearSample, lower_limit: -0, upper_limit: 0, "
      "num_samples: 39768215}\n"
      "outputs: [y]\n"
      "model:\n"
      "  command: [./m, '{index}', 'x={a}&{b}{c}']\n"
      "  retries: 2147483647\n"
      "  timeout: 0\n";
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK(s->seed == UINT64_MAX);
  CHECK_EQ(s->num_workers, 2147483647);
  CHECK(!strcmp(s->output, "out/x.h5"));
  CHECK(s->params[0].lower == -1500 && s->params[0].upper == 0.5);
  /* 1 * 2^32 * 39768215: the most samples of 4 values (54 bytes a row)
   * that fit the largest file, (2^63 - 1) / 54 = 170803185867681033. */
  CHECK(s->total == (UINT64_C(1) << 32) * UINT64_C(39768215));
  CHECK_EQ(s->retries, 2147483647);
  CHECK(s->timeout == 0);
  CHECK(s->env == NULL && s->nenv == 0);
  psw__spec_free(s);
  /* Random kinds may be mixed among themselves; counts from the params. */
  text = "parameters:\n"
         "  u: {type: UniformSample, lower_limit: 0, upper_limit: 1, "
         "num_samples: 3}\n"
         "  r: {type: PredeterminedRandomSample, array: [1, 2, 3]}\n"
         "  n: {type: NormalSample, mean: 0, std: 0, num_samples: 3}\n"
         "outputs: [y]\n"
         "model: {plugin: m.so}\n";
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK_EQ(s->total, 3);
  CHECK_EQ(s->seed, 0);
  psw__spec_free(s);
  return 0;
}

/* A server model (SPEC §3.1): argv literal (braces too), init_timeout's
 * default, and the hash covers the argv and env like a command's. */
static int test_server(void) {
  char err[512];
  psw_spec_t *s = NULL;
  const char *head = "parameters:\n"
                     "  a: {type: LinearSample, lower_limit: 0, "
                     "upper_limit: 1, num_samples: 3}\n"
                     "outputs: [y]\n"
                     "model:\n";
  char text[1024];
  snprintf(text, sizeof text, "%s%s", head,
           "  server: [python3, -c, 'print({1: 2})']\n"
           "  timeout: 5\n"
           "  retries: 1\n"
           "  env: {A: b}\n");
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK_EQ(s->server_argc, 3);
  CHECK(!strcmp(s->server[0], "python3") &&
        !strcmp(s->server[2], "print({1: 2})"));
  CHECK(s->server[3] == NULL);
  CHECK(s->command == NULL && s->plugin == NULL);
  CHECK(s->init_timeout == 600);
  CHECK(s->timeout == 5);
  CHECK_EQ(s->retries, 1);
  uint8_t h1[16], h2[16];
  CHECK_OK(psw__spec_hash(s, h1));
  psw__spec_free(s);

  /* init_timeout is how a run goes, not what it computes. */
  snprintf(text, sizeof text, "%s%s", head,
           "  server: [python3, -c, 'print({1: 2})']\n"
           "  init_timeout: 0\n"
           "  env: {A: b}\n");
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK(s->init_timeout == 0);
  CHECK_OK(psw__spec_hash(s, h2));
  CHECK(!memcmp(h1, h2, 16));
  psw__spec_free(s);

  static const char *const differ[] = {
      "  server: [python3, -c, 'print({1: 3})']\n  env: {A: b}\n",
      "  server: [python3, -c, 'print({1: 2})']\n  env: {A: c}\n",
      "  server: [python3, -c, 'print({1: 2})', x]\n  env: {A: b}\n",
      /* the same argv as a command is another model */
      "  command: [python3, -c, 'print(1)']\n  env: {A: b}\n",
  };
  uint8_t cmd_hash[16];
  snprintf(text, sizeof text, "%s%s", head,
           "  command: [python3, -c, 'print(1)']\n  env: {A: b}\n");
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK_OK(psw__spec_hash(s, cmd_hash));
  psw__spec_free(s);
  for (size_t k = 0; k < sizeof differ / sizeof differ[0]; k++) {
    snprintf(text, sizeof text, "%s%s", head, differ[k]);
    CHECK_OK(parse_str(text, &s, err, sizeof err));
    CHECK_OK(psw__spec_hash(s, h2));
    CHECK(memcmp(h1, h2, 16) != 0);
    psw__spec_free(s);
  }
  snprintf(text, sizeof text, "%s%s", head,
           "  server: [python3, -c, 'print(1)']\n  env: {A: b}\n");
  CHECK_OK(parse_str(text, &s, err, sizeof err));
  CHECK_OK(psw__spec_hash(s, h2));
  CHECK(memcmp(cmd_hash, h2, 16) != 0);
  psw__spec_free(s);
  return 0;
}

static int test_io(void) {
  char err[512];
  psw_spec_t *s = (psw_spec_t *)1;
  int rc = psw__spec_load("/nonexistent/spec.yaml", &s, err, sizeof err);
  CHECK_EQ(rc, PSW_ERR_IO);
  CHECK(s == NULL);
  CHECK(strstr(err, "/nonexistent/spec.yaml: ") == err);
  rc = psw__spec_load(specs_dir, &s, err, sizeof err); /* a directory */
  CHECK_EQ(rc, PSW_ERR_IO);
  /* A tiny error buffer truncates, never overflows. */
  char small[8];
  rc = parse_str("seed: -1\n", &s, small, sizeof small);
  CHECK_EQ(rc, PSW_ERR_PARSE);
  CHECK(strlen(small) == 7);
  CHECK_EQ(psw__spec_parse("x", NULL, 0, &s, err, sizeof err), PSW_ERR_INVAL);
  psw__spec_free(NULL);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads "# expect: <line>: <key>" from the first line of a bad spec. */
static int read_expect(const char *path, int *line, char *key, size_t keylen) {
  FILE *f = fopen(path, "r");
  char buf[512];
  if (!f)
    return -1;
  char *got = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!got)
    return -1;
  buf[strcspn(buf, "\n")] = '\0';
  int off = 0;
  if (sscanf(buf, "# expect: %d: %n", line, &off) != 1 || !off)
    return -1;
  snprintf(key, keylen, "%s", buf + off);
  return 0;
}

static int test_bad(void) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/bad", specs_dir);
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  if (!d)
    return 1;
  char *names[256];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  CHECK(n >= 25);
  for (size_t i = 0; i < n; i++) {
    char path[4600], key[256], want[600], err[1024];
    int line = 0;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (read_expect(path, &line, key, sizeof key)) {
      fprintf(stderr, "%s: no '# expect: <line>: <key>' header\n", path);
      CHECK(0);
      free(names[i]);
      continue;
    }
    psw_spec_t *s = NULL;
    err[0] = '\0';
    int rc = psw__spec_load(path, &s, err, sizeof err);
    snprintf(want, sizeof want, "%s:%d: %s: ", names[i], line, key);
    int ok = rc == PSW_ERR_PARSE && s == NULL && strstr(err, want) &&
             !strchr(err, '\n');
    if (!ok) {
      fprintf(stderr, "%s: rc %d, message '%s', expected '%s...'\n", names[i],
              rc, err, want);
      CHECK(0);
    } else if (getenv("TEST_SPEC_VERBOSE")) {
      printf("%s\n", err);
    }
    psw__spec_free(s);
    free(names[i]);
  }
  printf("%zu malformed specs rejected\n", n);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SPECS_DIR\n", argv[0]);
    return 2;
  }
  specs_dir = argv[1];
  test_ro_costs();
  test_random();
  test_edges();
  test_server();
  test_io();
  test_bad();
  if (check_failures())
    fprintf(stderr, "%d check(s) failed\n", check_failures());
  return check_failures() ? 1 : 0;
}
