/* parsweep — the command-line tool: dispatch to one file per verb. */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "parsweep.h"

static const struct verb {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *what;
} verbs[] = {
    {"run", psw__cmd_run, "run a sweep and write results.h5"},
    {"show", psw__cmd_show, "summarise a results file, or export it as CSV"},
    {"info", psw__cmd_info, "this machine's topology and the plan auto picks"},
    {"submit", psw__cmd_submit, "submit a sweep as a Slurm batch job"},
    {"status", psw__cmd_status,
     "a Slurm job's state, or a results file's progress"},
    {"worker", psw__cmd_worker,
     "join an elastic sweep (parsweep run -b elastic)"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: parsweep VERB [ARGS]   (parsweep VERB --help)\n\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    fprintf(out, "  %-6s %s\n", verbs[i].name, verbs[i].what);
  fprintf(out,
          "\nparsweep %s. Exit codes: 0 ok, 1 error, 2 usage, 3 some "
          "samples failed, 4 interrupted (resumable).\n",
          psw_version());
}

int main(int argc, char **argv) {
  /* GSL's default handler aborts (e.g. when an allocation fails); the sweep
   * engine checks every GSL return value instead. */
  gsl_set_error_handler_off();
  if (argc < 2) {
    usage(stderr);
    return PSW_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(stdout);
    return PSW_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("parsweep %s\n", psw_version());
    return PSW_EXIT_OK;
  }
  /* Not a verb for users: the process a plugin runs in (model_host.c). */
  if (!strcmp(argv[1], "__plugin-host"))
    return psw__host_main(argc - 1, argv + 1);
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (!strcmp(argv[1], verbs[i].name))
      return verbs[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "parsweep: unknown verb '%s' (try parsweep --help)\n",
          argv[1]);
  return PSW_EXIT_USAGE;
}
