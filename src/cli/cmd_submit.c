/* parsweep submit SPEC.yaml [--template NAME] [-N NODES] [-t TIME]
 *                 [-p PARTITION] [-A ACCOUNT] [--dry-run] [-- ARGS...]
 *
 * Submits a jobscripts/ template with the spec as its first argument,
 * through libslurm (no sbatch needed). The template's #SBATCH lines are
 * read here, as sbatch would, then -N/-t/-p/-A override them. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "directives.h"
#include "parsweep.h"
#include "psw_slurm.h"

#ifndef PSW_JOBSCRIPTS_DIR
#define PSW_JOBSCRIPTS_DIR "/usr/local/share/parsweep/jobscripts"
#endif

extern char **environ;

static const char submit_synopsis[] =
    "SPEC.yaml [--template NAME] [-N NODES] [-t TIME] [-p PARTITION] "
    "[-A ACCOUNT] [--dry-run] [-- ARGS...]";

static const char submit_help[] =
    "usage: parsweep submit SPEC.yaml [--template NAME] [-N NODES] [-t TIME]\n"
    "                       [-p PARTITION] [-A ACCOUNT] [--dry-run]\n"
    "                       [-- ARGS...]\n"
    "\n"
    "Submit a Slurm batch job that runs the sweep of SPEC.yaml: the body of\n"
    "an sbatch template, with the spec (absolute path) as its first\n"
    "argument, run in the current directory with the current environment\n"
    "(and PARSWEEP set to this parsweep when unset). Prints\n"
    "\"Submitted batch job ID\" like sbatch.\n"
    "\n"
    "      --template NAME  hybrid (default), node, mpi, ...: a file when "
    "NAME\n"
    "                       holds a '/' or exists, else\n"
    "                       $PARSWEEP_JOBSCRIPTS/NAME.sbatch, else\n"
    "                       share/parsweep/jobscripts/NAME.sbatch beside\n"
    "                       this parsweep's bin/, else\n"
    "                       " PSW_JOBSCRIPTS_DIR "/NAME.sbatch\n"
    "  -N, --nodes N        number of nodes\n"
    "  -t, --time TIME      time limit: MIN, MIN:SEC, H:MIN:SEC, D-H,\n"
    "                       D-H:MIN, D-H:MIN:SEC or UNLIMITED\n"
    "  -p, --partition P    partition\n"
    "  -A, --account A      account to charge\n"
    "      --dry-run        print the script and the options, submit nothing\n"
    "  -h, --help           this text\n"
    "\n"
    "ARGS after -- go to the template, which passes them to parsweep run.\n"
    "The template's #SBATCH lines set the defaults (job name, nodes, tasks,\n"
    "time, warning signal, output); the options above override them. The\n"
    "warning comes at most a quarter of the time limit (at least 30 s)\n"
    "before it.\n"
    "\n"
    "Exit codes: 0 submitted (or --dry-run); 1 error: no such template or\n"
    "spec, Slurm not reachable, job rejected (one line on stderr); 2 usage.\n";

static int usage_error(const char *msg, const char *arg) {
  return psw__cli_usage("submit", submit_synopsis, msg, arg);
}

static int fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "parsweep submit: ");
  fprintf(stderr, fmt, a, b ? b : "");
  fputc('\n', stderr);
  return PSW_EXIT_ERROR;
}

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The template's path into buf. */
static int find_template(const char *name, char *buf, size_t len) {
  if (strchr(name, '/') || is_file(name)) {
    snprintf(buf, len, "%s", name);
    return is_file(buf) ? 0 : -1;
  }
  const char *dir = getenv("PARSWEEP_JOBSCRIPTS");
  if (dir && *dir) {
    snprintf(buf, len, "%s/%s.sbatch", dir, name);
    if (is_file(buf))
      return 0;
  }
  /* The installation this parsweep runs from, wherever it was moved to
   * (bin/parsweep -> share/parsweep/jobscripts), then where it was
   * configured to go. */
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  char *slash = n > 0 ? (self[n] = '\0', strrchr(self, '/')) : NULL;
  if (slash) {
    *slash = '\0';
    int w = snprintf(buf, len, "%s/../share/parsweep/jobscripts/%s.sbatch",
                     self, name);
    if (w > 0 && (size_t)w < len && is_file(buf))
      return 0;
  }
  snprintf(buf, len, "%s/%s.sbatch", PSW_JOBSCRIPTS_DIR, name);
  return is_file(buf) ? 0 : -1;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 8192, n = 0;
  char *s = malloc(cap);
  while (s) {
    size_t r = fread(s + n, 1, cap - n - 1, f);
    n += r;
    if (n + 1 < cap) {
      if (ferror(f)) {
        free(s);
        s = NULL;
      }
      break;
    }
    char *t = realloc(s, cap * 2);
    if (!t) {
      free(s);
      s = NULL;
      break;
    }
    s = t;
    cap *= 2;
  }
  fclose(f);
  if (s)
    s[n] = '\0';
  return s;
}

static void print_time(long min) {
  if (min == -2)
    printf("UNLIMITED");
  else
    printf("%ld-%02ld:%02ld:00", min / 1440, min / 60 % 24, min % 60);
}

static void dry_run(const psw_slurm_job_t *j, const char *tpl) {
  printf("# parsweep submit --dry-run: the script (%s)\n", tpl);
  fputs(j->script, stdout);
  if (*j->script && j->script[strlen(j->script) - 1] != '\n')
    putchar('\n');
  printf("# parsweep submit --dry-run: the options (nothing submitted)\n");
  printf("  --job-name=%s\n", j->name);
  if (j->nodes > 0)
    printf("  -N, --nodes=%ld\n", j->nodes);
  if (j->ntasks > 0)
    printf("  -n, --ntasks=%ld\n", j->ntasks);
  if (j->ntasks_per_node > 0)
    printf("  --ntasks-per-node=%ld\n", j->ntasks_per_node);
  if (j->ntasks_per_core > 0)
    printf("  --ntasks-per-core=%ld\n", j->ntasks_per_core);
  if (j->cpus_per_task > 0)
    printf("  -c, --cpus-per-task=%ld\n", j->cpus_per_task);
  if (j->time_min != -1) {
    printf("  -t, --time=");
    print_time(j->time_min);
    putchar('\n');
  }
  if (j->warn_signal > 0) {
    const char *nm = psw__sbatch_signame(j->warn_signal);
    if (nm)
      printf("  --signal=%s%s@%d\n", j->warn_batch ? "B:" : "", nm,
             j->warn_time);
    else
      printf("  --signal=%s%d@%d\n", j->warn_batch ? "B:" : "", j->warn_signal,
             j->warn_time);
  }
  if (j->partition)
    printf("  -p, --partition=%s\n", j->partition);
  if (j->account)
    printf("  -A, --account=%s\n", j->account);
  if (j->std_out)
    printf("  -o, --output=%s\n", j->std_out);
  if (j->std_err)
    printf("  -e, --error=%s\n", j->std_err);
  printf("  -D, --chdir=%s\n", j->work_dir);
  printf("  --export=ALL (%u variables)\n", j->env_size);
  printf("  arguments:");
  for (uint32_t i = 0; i < j->argc; i++)
    printf(" %s", j->argv[i]);
  putchar('\n');
}

/* The warning is asked for at most a quarter of the time limit early (at
 * least 30 s): the templates ask for 300 s, which under -t 5 would come at
 * once and stop the sweep before it began (Slurm may send it up to 60 s
 * earlier than asked, sbatch(1)). chain.sbatch applies the same rule to
 * the jobs it submits. */
static void fit_warning(psw_slurm_job_t *j) {
  if (j->warn_signal <= 0 || j->time_min <= 0)
    return;
  long quarter = j->time_min * 15L;
  if (quarter < 30)
    quarter = 30;
  if (j->warn_time > quarter)
    j->warn_time = (int)quarter;
}

static int submit_job(psw_slurm_job_t *j) {
#ifdef PSW_HAVE_SLURM
  char err[512];
  uint32_t id = 0;
  int unreachable = 0;
  if (psw__slurm_submit(j, &id, &unreachable, err, sizeof err)) {
    fprintf(stderr, "parsweep submit: %s: %s\n",
            unreachable ? "cannot reach Slurm" : "job rejected by Slurm", err);
    return PSW_EXIT_ERROR;
  }
  printf("Submitted batch job %u\n", id);
  return fflush(stdout) ? PSW_EXIT_ERROR : PSW_EXIT_OK;
#else
  (void)j;
  fprintf(stderr, "parsweep submit: cannot reach Slurm: parsweep was built "
                  "without Slurm support (PSW_WITH_SLURM=OFF)\n");
  return PSW_EXIT_ERROR;
#endif
}

int psw__cmd_submit(int argc, char **argv) {
  enum { OPT_TEMPLATE = 256, OPT_DRY };
  static const struct option longopts[] = {
      {"template", required_argument, NULL, OPT_TEMPLATE},
      {"nodes", required_argument, NULL, 'N'},
      {"time", required_argument, NULL, 't'},
      {"partition", required_argument, NULL, 'p'},
      {"account", required_argument, NULL, 'A'},
      {"dry-run", no_argument, NULL, OPT_DRY},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *tname = "hybrid", *o_nodes = NULL, *o_time = NULL, *o_part = NULL,
             *o_acct = NULL;
  int dry = 0, c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "N:t:p:A:h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_TEMPLATE:
      tname = optarg;
      break;
    case 'N':
      o_nodes = optarg;
      break;
    case 't':
      o_time = optarg;
      break;
    case 'p':
      o_part = optarg;
      break;
    case 'A':
      o_acct = optarg;
      break;
    case OPT_DRY:
      dry = 1;
      break;
    case 'h':
      fputs(submit_help, stdout);
      return PSW_EXIT_OK;
    default:
      return usage_error(optopt && strchr("NtpA", optopt)
                             ? "option needs a value"
                             : "unknown option",
                         argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return usage_error("no spec", NULL);
  psw_slurm_job_t j = {.nodes = -1,
                       .ntasks = -1,
                       .ntasks_per_node = -1,
                       .ntasks_per_core = -1,
                       .cpus_per_task = -1,
                       .time_min = -1};
  long v;
  if (o_nodes && psw__sbatch_count(o_nodes, &v))
    return usage_error("bad number of nodes", o_nodes);
  if (o_time && psw__sbatch_time(o_time, &v))
    return usage_error("bad time limit", o_time);

  psw_sbatch_owned_t o = {0};
  char tpl[PATH_MAX], spec[PATH_MAX], self[PATH_MAX], cwd[PATH_MAX];
  char *script = NULL, *parsweep_var = NULL;
  char **args = NULL, **env = NULL;
  int rc = PSW_EXIT_ERROR;
  if (find_template(tname, tpl, sizeof tpl)) {
    fail("no template '%s' (looked for %s)", tname, tpl);
    goto out;
  }
  if (!realpath(argv[optind], spec) || access(spec, R_OK)) {
    fail("%s: %s", argv[optind], strerror(errno));
    goto out;
  }
  if (!getcwd(cwd, sizeof cwd)) {
    fail("current directory: %s%s", strerror(errno), NULL);
    goto out;
  }
  script = read_all(tpl);
  if (!script) {
    fail("%s: %s", tpl, strerror(errno));
    goto out;
  }
  if (strncmp(script, "#!", 2)) {
    fail("%s: not a batch script (no #! line)%s", tpl, NULL);
    goto out;
  }
  /* A template that starts one parsweep per node or core ends its job at
   * once in a build without MPI (its psw_need_mpi line; SPEC §5): say so
   * now rather than queue a job that can only fail. */
  if (!psw_backend_mpi() && strstr(script, "\npsw_need_mpi\n")) {
    fail("%s starts one parsweep per node or core and this parsweep is built "
         "without MPI: use --template elastic or node, or rebuild it with "
         "MPI (cmake -DPSW_WITH_MPI=ON)%s",
         tpl, NULL);
    goto out;
  }
  j.script = script;
  char derr[1024];
  if (psw__sbatch_set(&o.name, "parsweep") ||
      psw__sbatch_set(&o.work_dir, cwd)) {
    fail("out of memory%s%s", "", NULL);
    goto out;
  }
  if (psw__sbatch_directives(script, tpl, &j, &o, derr, sizeof derr)) {
    fail("%s%s", derr, NULL);
    goto out;
  }
  if ((o_nodes && psw__sbatch_option("nodes", o_nodes, &j, &o)) ||
      (o_time && psw__sbatch_option("time", o_time, &j, &o)) ||
      (o_part && psw__sbatch_option("partition", o_part, &j, &o)) ||
      (o_acct && psw__sbatch_option("account", o_acct, &j, &o))) {
    fail("out of memory%s%s", "", NULL);
    goto out;
  }
  fit_warning(&j);
  j.name = o.name;
  j.work_dir = o.work_dir;
  j.partition = o.partition;
  j.account = o.account;
  j.std_out = o.std_out;
  j.std_err = o.std_err;

  /* argv: the script's name, the spec, then ARGS after -- */
  int nextra = argc - optind - 1;
  args = calloc((size_t)nextra + 3, sizeof *args);
  size_t nenv = 0;
  while (environ && environ[nenv])
    nenv++;
  env = calloc(nenv + 2, sizeof *env);
  if (!args || !env) {
    fail("out of memory%s%s", "", NULL);
    goto out;
  }
  args[0] = tpl;
  args[1] = spec;
  for (int i = 0; i < nextra; i++)
    args[2 + i] = argv[optind + 1 + i];
  j.argv = args;
  j.argc = (uint32_t)nextra + 2;
  for (size_t i = 0; i < nenv; i++)
    env[i] = environ[i];
  j.env = env;
  j.env_size = (uint32_t)nenv;
  if (!getenv("PARSWEEP")) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = '\0';
      size_t len = strlen("PARSWEEP=") + (size_t)n + 1;
      parsweep_var = malloc(len);
      if (!parsweep_var) {
        fail("out of memory%s%s", "", NULL);
        goto out;
      }
      snprintf(parsweep_var, len, "PARSWEEP=%s", self);
      env[j.env_size++] = parsweep_var;
    }
  }
  if (dry) {
    dry_run(&j, tpl);
    rc = fflush(stdout) ? PSW_EXIT_ERROR : PSW_EXIT_OK;
  } else {
    rc = submit_job(&j);
  }
out:
  free(script);
  free(parsweep_var);
  free(args);
  free(env);
  free(o.name);
  free(o.partition);
  free(o.account);
  free(o.std_out);
  free(o.std_err);
  free(o.work_dir);
  return rc;
}
