/* parsweep info [--json]: what this machine offers and what auto picks. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "parsweep.h"

static const char info_help[] =
    "usage: parsweep info [--json]\n"
    "\n"
    "Print this machine's topology as parsweep sees it (CPUs this process\n"
    "may use, launcher) and the plan the `auto` backend would pick here,\n"
    "with the reason.\n";

int psw__cmd_info(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(info_help, stdout);
      return PSW_EXIT_OK;
    } else {
      fprintf(stderr, "parsweep info: unknown argument '%s'\n%s", argv[i],
              info_help);
      return PSW_EXIT_USAGE;
    }
  }
  psw_manager_t *m = NULL;
  int rc = psw_create_parallel_manager(&m, "auto", NULL);
  if (rc) {
    fprintf(stderr, "parsweep info: %s\n", psw_strerror(rc));
    return PSW_EXIT_ERROR;
  }
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  const char *be = psw_backend_name(m);
  int workers = psw_num_workers(m);
  const char *why = "no parallel launcher in the environment (PMIX_NAMESPACE, "
                    "OMPI_COMM_WORLD_SIZE, PMI_RANK, SLURM_STEP_ID unset): "
                    "a fork pool over the CPUs this process may use";
  if (json) {
    printf("{\"version\": \"%s\", \"hostname\": \"%s\", \"nodes\": 1, "
           "\"cpus\": %d, \"cpus_source\": \"sched_getaffinity\", "
           "\"backend\": \"%s\", \"workers\": %d, \"reason\": \"%s\", "
           "\"backends\": \"%s\"}\n",
           psw_version(), host, workers, be, workers, why,
           psw_backend_valid_names());
  } else {
    printf("parsweep %s on %s\n", psw_version(), host);
    printf("  nodes     1  (source: local machine)\n");
    printf("  cpus      %d  (source: sched_getaffinity)\n", workers);
    printf("  plan      backend %s, %d workers\n", be, workers);
    printf("  because   %s\n", why);
    printf("  backends  %s\n", psw_backend_valid_names());
  }
  psw_destroy_parallel_manager(m);
  return PSW_EXIT_OK;
}
