/* parsweep run SPEC.yaml [-o FILE] [-b BACKEND] [-j N] [--resume] [--force]
 *              [--progress|--quiet] [--listen HOST:PORT] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "parsweep.h"
#include "runner.h"
#include "spec.h"

static const char run_help[] =
    "usage: parsweep run SPEC.yaml [-o FILE] [-b BACKEND] [-j N] [--resume]\n"
    "                    [--force] [--progress|--quiet] [--listen HOST:PORT]\n"
    "\n"
    "Sample the parameters of SPEC.yaml, evaluate its model on every sample\n"
    "in parallel and write every result to one HDF5 file (results.h5).\n"
    "\n"
    "  -o, --output FILE    output file (default: the spec's `output`, else\n"
    "                       results.h5)\n"
    "  -b, --backend NAME   parallel backend (default: the spec's\n"
    "                       parallel_back_end, else auto): serial, threads,\n"
    "                       fork, mpi, hybrid, elastic, auto, or an alias\n"
    "                       such as MultiProcessing\n"
    "  -j, --jobs N         workers per node (default: the spec's\n"
    "                       number_of_subprocesses; 0 = every CPU); with\n"
    "                       elastic: N local workers (default none)\n"
    "      --listen H:P     elastic: address to listen on (default: this\n"
    "                       node's own inside a Slurm job, else 127.0.0.1)\n"
    "      --resume         evaluate only the samples FILE does not hold yet\n"
    "      --force          replace an existing FILE (only once the new one\n"
    "                       is complete)\n"
    "      --progress       always draw the progress bar\n"
    "  -q, --quiet          no progress output\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit codes: 0 every sample ok; 1 error (one-line reason on stderr);\n"
    "2 usage; 3 finished, some samples failed; 4 interrupted (SIGINT,\n"
    "SIGTERM, SIGHUP, SIGALRM, SIGUSR1) after recording every finished\n"
    "sample: rerun with --resume. SIGPIPE is ignored. PARSWEEP_LOG=info|debug\n"
    "shows more.\n";

static int usage_error(const char *msg, const char *arg) {
  return psw__cli_usage("run",
                        "SPEC.yaml [-o FILE] [-b BACKEND] [-j N] [--resume] "
                        "[--force] [--progress|--quiet] [--listen HOST:PORT]",
                        msg, arg);
}

/* Under a launcher, ranks other than 0 stay quiet about errors every rank
 * finds alike (a bad spec, an existing output): one message, not one per
 * rank. The rank comes from the launcher's environment, before MPI. */
static int launched_rank(void) {
  static const char *const vars[] = {"PMIX_RANK", "OMPI_COMM_WORLD_RANK",
                                     "PMI_RANK", "SLURM_PROCID"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v)
      return atoi(v);
  }
  return 0;
}

/* SPEC §5: a parsweep without MPI that is one of several ranks of a
 * launcher (srun -n 2, mpirun -n 2, a multi-node step) would run the whole
 * sweep once per rank, each on the same output. It refuses before any model
 * runs or any output, lock or journal is touched; rank 0 alone says why, so
 * that the job's log has one line. A build with MPI never gets here: its
 * ranks share the sweep. Returns 1 when refused. */
static int refuse_launch(const char *backend, int jobs) {
  if (psw_backend_mpi())
    return 0;
  psw_topo_t t;
  char err[256];
  if (psw_topo_discover(&t, err, sizeof err))
    return 0; /* the backend reports what it cannot discover */
  psw_plan_t p;
  int refuse = psw_plan(&t, backend, jobs, &p) == 0 && p.refuse;
  if (refuse && t.rank <= 0)
    fprintf(stderr,
            "parsweep run: this parsweep is built without MPI but runs as "
            "%d ranks (%s): each would run the whole sweep; rebuild it with "
            "MPI (cmake -DPSW_WITH_MPI=ON) or use -b elastic\n",
            t.job_size, psw_topo_source_name(t.src[PSW_TOPO_JOB_SIZE]));
  psw_topo_fini(&t);
  return refuse;
}

/* The summary, printed by the process that hosted the root worker, while
 * the manager is still up (see psw_sweep_opts_t.report). */
static void report(const psw_sweep_stats_t *st, void *arg) {
  const psw_sweep_opts_t *o = arg;
  if (!st->root_here)
    return;
  if (st->recursive && !st->interrupted && o->progress != PSW_PROGRESS_NONE)
    fprintf(stderr,
            "parsweep: %s: recursive sweep: %llu of %llu ok after %llu "
            "samples in %d round(s) (max_samples %llu); %llu kept in the "
            "WaterTAP groups\n",
            o->output, (unsigned long long)st->rec_ok,
            (unsigned long long)o->spec->num_successes,
            (unsigned long long)st->rec_evaluated, st->rec_rounds,
            (unsigned long long)o->spec->max_samples,
            (unsigned long long)st->rec_selected);
  else if (o->progress != PSW_PROGRESS_NONE)
    fprintf(
        stderr,
        "parsweep: %s: %llu samples (%llu evaluated now) on %s with %d "
        "workers in %.2f s: %llu ok, %llu failed, %llu timed out, %llu "
        "crashed, %llu not run\n",
        o->output, (unsigned long long)st->n, (unsigned long long)st->evaluated,
        st->backend, st->workers, st->wall_s, (unsigned long long)st->counts[1],
        (unsigned long long)st->counts[2], (unsigned long long)st->counts[3],
        (unsigned long long)st->counts[4], (unsigned long long)st->counts[0]);
  if (st->interrupted)
    fprintf(stderr,
            "parsweep run: interrupted; every finished sample is in %s; "
            "run again with --resume\n",
            o->output);
  fflush(stderr);
}

/* elastic -j N: N local workers, `parsweep worker` started once the
 * endpoint file is written; they end with the sweep. */
struct local_workers {
  const char *self;
  int jobs;
  pid_t pid;
};

static int start_local_workers(psw_manager_t *mgr, const char *endpoint,
                               void *arg) {
  (void)mgr;
  struct local_workers *lw = arg;
  if (!endpoint || lw->jobs <= 0)
    return 0;
  char jobs[16];
  snprintf(jobs, sizeof jobs, "%d", lw->jobs);
  char *argv[] = {(char *)lw->self, "worker", "--connect",
                  (char *)endpoint, "-j",     jobs,
                  "--wait",         "10",     NULL};
  fflush(NULL);
  pid_t p = fork();
  if (p < 0)
    return PSW_ERR_SYS;
  if (p == 0) {
    execv(lw->self, argv);
    _exit(127);
  }
  lw->pid = p;
  return 0;
}

int psw__cmd_run(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"backend", required_argument, NULL, 'b'},
      {"jobs", required_argument, NULL, 'j'},
      {"resume", no_argument, NULL, 'r'},
      {"force", no_argument, NULL, 'f'},
      {"progress", no_argument, NULL, 'p'},
      {"quiet", no_argument, NULL, 'q'},
      {"listen", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  psw_sweep_opts_t o = {.workers = -1, .progress = PSW_PROGRESS_AUTO};
  const char *output = NULL;
  int force = 0, c;
  /* A reader of our output that went away (`| head -1`) must not end the
   * run, before its sweep, during it (the runner ignores it there too) or
   * while the summary is printed: the exit code is the sweep's, and the
   * lost lines are not written. */
  signal(SIGPIPE, SIG_IGN);
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:b:j:qh", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (!*optarg)
        return usage_error("-o needs a file name, not", "''");
      output = optarg;
      break;
    case 'b':
      o.backend = optarg;
      break;
    case 'j':
      if (psw__cli_workers(optarg, &o.workers))
        return usage_error("-j needs a number of workers >= 0, not", optarg);
      break;
    case 'r':
      o.resume = 1;
      break;
    case 'f':
      force = 1;
      break;
    case 'p':
      o.progress = PSW_PROGRESS_BAR;
      break;
    case 'q':
      o.progress = PSW_PROGRESS_NONE;
      break;
    case 'l':
      o.listen = optarg;
      break;
    case 'h':
      fputs(run_help, stdout);
      return PSW_EXIT_OK;
    case ':':
      return usage_error("option needs a value", argv[optind - 1]);
    default:
      return usage_error("unknown option", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return usage_error(optind >= argc ? "no SPEC.yaml given"
                                      : "one SPEC.yaml only, extra argument",
                       optind >= argc ? NULL : argv[optind + 1]);

  char err[1024];
  psw_spec_t *spec = NULL;
  if (psw__spec_load(argv[optind], &spec, err, sizeof err)) {
    if (!launched_rank())
      fprintf(stderr, "parsweep run: %s\n", err);
    return PSW_EXIT_ERROR;
  }
  o.spec = spec;
  o.output = output ? output : spec->output;
  int rc = PSW_EXIT_ERROR;
  if (refuse_launch(o.backend ? o.backend : spec->backend, o.workers))
    goto out;
  struct stat ost;
  if (stat(o.output, &ost) == 0 && !S_ISREG(ost.st_mode)) {
    /* Refused before anything runs: the sweep would end in a rename onto
     * it that fails (a directory) or replaces a device node. */
    if (!launched_rank())
      fprintf(stderr,
              "parsweep run: %s: %s, not a results file: name a file with "
              "-o or the spec's output\n",
              o.output,
              S_ISDIR(ost.st_mode) ? "is a directory"
                                   : "is not a regular file");
    goto out;
  }
  if (!o.resume && !force && access(o.output, F_OK) == 0) {
    if (!launched_rank())
      fprintf(stderr,
              "parsweep run: %s exists; use --force to replace it or --resume "
              "to complete it\n",
              o.output);
    goto out;
  }
  o.force = force;
  /* Plugins run isolated in hosts that are this executable again. */
  char self[PATH_MAX];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl > 0) {
    self[sl] = '\0';
    psw__host_set_exe(self);
  }

  psw_sweep_stats_t st;
  o.report = report;
  o.report_arg = &o;
  /* elastic: -j asks for local workers; the head itself evaluates none. */
  struct local_workers lw = {.self = self, .jobs = o.workers, .pid = -1};
  /* The backend, resolved here once ("auto": the plan's pick) and passed
   * down; NULL (unknown, not built) leaves the name to the factory, which
   * says so. */
  const psw_backend_t *be =
      psw_backend_lookup(o.backend ? o.backend : spec->backend);
  o.backend_desc = be;
  if (psw_backend_caps(be) & PSW_CAP_DYNAMIC_MEMBERS) {
    if (sl <= 0 && lw.jobs > 0) {
      fprintf(stderr, "parsweep run: cannot find this executable to start "
                      "the local workers\n");
      goto out;
    }
    o.on_manager = start_local_workers;
    o.on_manager_arg = &lw;
  } else if (o.listen) {
    fprintf(stderr, "parsweep run: --listen applies to -b elastic only\n");
    rc = PSW_EXIT_USAGE;
    goto out;
  }
  int srun_rc = psw__sweep_run(&o, &st, err, sizeof err);
  if (lw.pid > 0) {
    int status;
    while (waitpid(lw.pid, &status, 0) < 0 && errno == EINTR)
      ;
  }
  if (srun_rc) {
    /* Every rank: the reason may be its own (a model that would not
     * start there). */
    fprintf(stderr, "parsweep run: %s\n", err);
    /* A stop before any sample ran (the resume scan): nothing changed. */
    if (srun_rc == PSW_ERR_INTERRUPTED)
      rc = PSW_EXIT_INTERRUPTED;
    goto out;
  }
  uint64_t bad = st.counts[2] + st.counts[3] + st.counts[4];
  if (st.interrupted)
    rc = PSW_EXIT_INTERRUPTED;
  else if (st.recursive) /* SPEC 3.2: 3 when max_samples ran out first */
    rc = st.rec_ok >= spec->num_successes ? PSW_EXIT_OK : PSW_EXIT_FAILED;
  else
    rc = bad ? PSW_EXIT_FAILED : PSW_EXIT_OK;
out:
  psw__spec_free(spec);
  return rc;
}
