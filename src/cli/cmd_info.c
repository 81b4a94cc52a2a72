/* parsweep info [--json] [--topology DESC] [-b BACKEND] [-j N]: where this
 * process sits (every fact with its source) and the plan `auto` picks. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parsweep.h"

static const char info_help[] =
    "usage: parsweep info [--json] [--topology DESC] [-b BACKEND] [-j N]\n"
    "\n"
    "Print where this process sits as parsweep sees it -- job size, rank,\n"
    "nodes, node id, local rank and size, the ranks on this node, host name,\n"
    "the CPUs it may use -- each with its source (PMIx, Open MPI, Slurm,\n"
    "local, synthetic), and the plan the backend would follow here, with the\n"
    "reason. Under a launcher every rank prints its own view.\n"
    "\n"
    "      --json           one JSON object on one line\n"
    "      --topology DESC  describe a machine instead of discovering one\n"
    "                       (as PARSWEEP_TOPOLOGY=DESC), e.g.\n"
    "                       'nodes:2 ranks_per_node:3 cpus_per_rank:4 "
    "rank:4';\n"
    "                       keys: nodes ranks_per_node ranks cpus_per_rank\n"
    "                       rank dist hostnames\n"
    "  -b, --backend NAME   plan for this backend instead of auto\n"
    "  -j, --jobs N         plan with -j N (workers per node; 0 = every CPU)\n"
    "  -h, --help           this text\n"
    "\n"
    "PARSWEEP_PMIX=0 skips PMIx. Exit codes: 0 ok; 1 error (a malformed\n"
    "PARSWEEP_TOPOLOGY); 2 usage (a malformed --topology too).\n";

static int usage_error(const char *msg, const char *arg) {
  return psw__cli_usage(
      "info", "[--json] [--topology DESC] [-b BACKEND] [-j N]", msg, arg);
}

/* --- what this build has -------------------------------------------------
 * The backends, built in or not, from the library itself; then the parts
 * SPEC §8 builds when their packages are found. jobscripts/ check "mpi"
 * before a step that would start several ranks (a build without MPI
 * refuses them). */
struct feature {
  const char *name;
  int on;
};

#define MAX_FEATURES 16

static size_t features(struct feature f[MAX_FEATURES]) {
  size_t n = 0;
  int pmix = 0, submit = 0, phdf5 = 0;
#ifdef PSW_HAVE_PMIX
  pmix = 1;
#endif
#ifdef PSW_HAVE_SLURM
  submit = 1;
#endif
#ifdef PSW_HAVE_PARALLEL_HDF5
  phdf5 = 1;
#endif
  const psw_backend_info_t *b;
  for (size_t i = 0; (b = psw_backend_info(i)) && n < MAX_FEATURES - 3; i++)
    f[n++] = (struct feature){b->name, b->desc != NULL};
  f[n++] = (struct feature){"pmix", pmix};
  f[n++] = (struct feature){"submit", submit};
  f[n++] = (struct feature){"parallel_hdf5", phdf5};
  return n;
}

/* --- JSON ----------------------------------------------------------------
 */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

static void json_int_or_null(FILE *f, int v) {
  if (v < 0)
    fputs("null", f);
  else
    fprintf(f, "%d", v);
}

static void json_ints(FILE *f, const int *v, int n) {
  if (!v) {
    fputs("null", f);
    return;
  }
  fputc('[', f);
  for (int i = 0; i < n; i++)
    fprintf(f, "%s%d", i ? ", " : "", v[i]);
  fputc(']', f);
}

static void json_source(FILE *f, const psw_topo_t *t, psw_topo_fact_t k) {
  fprintf(f, ", \"%s_source\": ", psw_topo_fact_name(k));
  json_str(f, psw_topo_source_name(t->src[k]));
}

static void print_json(FILE *f, const psw_topo_t *t, const psw_plan_t *p,
                       const char *requested, int jobs, const char *desc) {
  static const psw_topo_fact_t ints[] = {
      PSW_TOPO_JOB_SIZE, PSW_TOPO_RANK,       PSW_TOPO_NUM_NODES,
      PSW_TOPO_NODE_ID,  PSW_TOPO_LOCAL_RANK, PSW_TOPO_LOCAL_SIZE};
  const int vals[] = {t->job_size, t->rank,       t->num_nodes,
                      t->node_id,  t->local_rank, t->local_size};
  fputs("{\"version\": ", f);
  json_str(f, psw_version());
  fputs(", \"hostname\": ", f);
  if (t->hostname[0])
    json_str(f, t->hostname);
  else
    fputs("null", f);
  json_source(f, t, PSW_TOPO_HOSTNAME);
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    fprintf(f, ", \"%s\": ", psw_topo_fact_name(ints[i]));
    json_int_or_null(f, vals[i]);
    json_source(f, t, ints[i]);
  }
  fputs(", \"local_peers\": ", f);
  json_ints(f, t->local_peers, t->num_local_peers);
  json_source(f, t, PSW_TOPO_LOCAL_PEERS);
  fputs(", \"cpus\": ", f);
  json_int_or_null(f, t->cpus ? t->num_cpus : -1);
  json_source(f, t, PSW_TOPO_CPUS);
  fputs(", \"cpu_list\": ", f);
  json_ints(f, t->cpus, t->num_cpus);
  fputs(", \"topology\": ", f);
  if (desc)
    json_str(f, desc);
  else
    fputs("null", f);
  fputs(", \"requested\": ", f);
  json_str(f, requested ? requested : PSW_BACKEND_AUTO);
  fputs(", \"jobs\": ", f);
  json_int_or_null(f, jobs);
  fputs(", \"backend\": ", f);
  json_str(f, p->backend);
  fprintf(f, ", \"available\": %s, \"workers\": %d, \"workers_per_node\": ",
          p->available ? "true" : "false", p->workers_per_rank);
  json_int_or_null(f, p->workers_per_node);
  fprintf(f,
          ", \"node_group\": %s, \"jobs_ignored\": %s, \"warning\": %s, "
          "\"refuse\": %s",
          p->node_group ? "true" : "false", p->jobs_ignored ? "true" : "false",
          p->warn ? "true" : "false", p->refuse ? "true" : "false");
  fputs(", \"reason\": ", f);
  json_str(f, p->reason);
  fputs(", \"backends\": ", f);
  json_str(f, psw_backend_valid_names());
  struct feature ft[MAX_FEATURES];
  size_t nf = features(ft);
  fputs(", \"built\": {", f);
  for (size_t i = 0; i < nf; i++)
    fprintf(f, "%s\"%s\": %s", i ? ", " : "", ft[i].name,
            ft[i].on ? "true" : "false");
  fputs("}}\n", f);
}

/* --- text ---------------------------------------------------------------- */

static void line(FILE *f, const char *label, const char *value,
                 psw_topo_src_t src) {
  fprintf(f, "  %-12s %-14s (source: %s)\n", label, value,
          psw_topo_source_name(src));
}

static void line_int(FILE *f, const char *label, int v, psw_topo_src_t src) {
  char buf[32];
  if (v < 0)
    snprintf(buf, sizeof buf, "unknown");
  else
    snprintf(buf, sizeof buf, "%d", v);
  line(f, label, buf, src);
}

static void print_text(FILE *f, const psw_topo_t *t, const psw_plan_t *p) {
  char list[512];
  fprintf(f, "parsweep %s on %s\n", psw_version(),
          t->hostname[0] ? t->hostname : "(unknown host)");
  line_int(f, "job size", t->job_size, t->src[PSW_TOPO_JOB_SIZE]);
  line_int(f, "rank", t->rank, t->src[PSW_TOPO_RANK]);
  line_int(f, "nodes", t->num_nodes, t->src[PSW_TOPO_NUM_NODES]);
  line_int(f, "node id", t->node_id, t->src[PSW_TOPO_NODE_ID]);
  line_int(f, "local rank", t->local_rank, t->src[PSW_TOPO_LOCAL_RANK]);
  line_int(f, "local size", t->local_size, t->src[PSW_TOPO_LOCAL_SIZE]);
  line(f, "local peers",
       t->local_peers ? psw_topo_format_list(t->local_peers, t->num_local_peers,
                                             list, sizeof list)
                      : "unknown",
       t->src[PSW_TOPO_LOCAL_PEERS]);
  line(f, "hostname", t->hostname[0] ? t->hostname : "unknown",
       t->src[PSW_TOPO_HOSTNAME]);
  char cpus[560];
  if (t->cpus)
    snprintf(cpus, sizeof cpus, "%d: %s", t->num_cpus,
             psw_topo_format_list(t->cpus, t->num_cpus, list, sizeof list));
  else
    snprintf(cpus, sizeof cpus, "unknown");
  line(f, "cpus", cpus, t->src[PSW_TOPO_CPUS]);

  fprintf(f, "  %-12s backend %s", "plan", p->backend);
  if (!p->available)
    fprintf(f, " (not built into this library)");
  else if (p->node_group)
    fprintf(f, ", this node's %d ranks as its workers, 1 each",
            p->workers_per_node);
  else
    fprintf(f, ", %d worker%s per rank", p->workers_per_rank,
            p->workers_per_rank == 1 ? "" : "s");
  if (p->available && !p->node_group && p->workers_per_node >= 0)
    fprintf(f, ", %d on this node", p->workers_per_node);
  fprintf(f, "%s\n",
          p->refuse ? "  [parsweep run refuses: rebuild with MPI, or use -b "
                      "elastic]"
          : p->warn ? "  [warning]"
                    : "");
  fprintf(f, "  %-12s %s\n", "because", p->reason);
  fprintf(f, "  %-12s %s\n", "backends", psw_backend_valid_names());
  struct feature ft[MAX_FEATURES];
  size_t nf = features(ft);
  for (int on = 1; on >= 0; on--) {
    fprintf(f, "  %-12s", on ? "built with" : "without");
    int any = 0;
    for (size_t i = 0; i < nf; i++)
      if (ft[i].on == on) {
        fprintf(f, " %s", ft[i].name);
        any = 1;
      }
    fprintf(f, "%s\n", any ? "" : " -");
  }
}

int psw__cmd_info(int argc, char **argv) {
  static const struct option longopts[] = {
      {"json", no_argument, NULL, 'J'},
      {"topology", required_argument, NULL, 'T'},
      {"backend", required_argument, NULL, 'b'},
      {"jobs", required_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int json = 0, jobs = -1, c;
  const char *desc = NULL, *backend = NULL;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":b:j:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'J':
      json = 1;
      break;
    case 'T':
      desc = optarg;
      break;
    case 'b':
      backend = optarg;
      break;
    case 'j':
      if (psw__cli_workers(optarg, &jobs))
        return usage_error("-j needs a number of workers >= 0, not", optarg);
      break;
    case 'h':
      fputs(info_help, stdout);
      return PSW_EXIT_OK;
    case ':':
      return usage_error("option needs a value", argv[optind - 1]);
    default:
      return usage_error("unknown option", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument", argv[optind]);

  psw_topo_t t;
  char err[512];
  int rc;
  if (desc) {
    rc = psw_topo_describe(desc, 0, &t, err, sizeof err);
    if (rc) {
      fprintf(stderr, "parsweep info: --topology: %s\n", err);
      return PSW_EXIT_USAGE;
    }
  } else {
    rc = psw_topo_discover(&t, err, sizeof err);
    if (rc) {
      fprintf(stderr, "parsweep info: %s\n", err);
      return PSW_EXIT_ERROR;
    }
    desc = getenv("PARSWEEP_TOPOLOGY");
    if (desc && !*desc)
      desc = NULL;
  }
  psw_plan_t plan;
  psw_plan(&t, backend, jobs, &plan);

  /* Each rank's report leaves in one write, so that the lines of ranks
   * sharing a terminal or a pipe do not interleave. */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) {
    psw_topo_fini(&t);
    perror("parsweep info");
    return PSW_EXIT_ERROR;
  }
  if (json)
    print_json(mem, &t, &plan, backend, jobs, desc);
  else
    print_text(mem, &t, &plan);
  psw_topo_fini(&t);
  int ok = fclose(mem) == 0 && fwrite(buf, 1, len, stdout) == len &&
           fflush(stdout) == 0;
  free(buf);
  if (!ok) {
    fprintf(stderr, "parsweep info: cannot write to stdout\n");
    return PSW_EXIT_ERROR;
  }
  return PSW_EXIT_OK;
}
