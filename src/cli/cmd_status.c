/* parsweep status JOBID|FILE.h5 — a Slurm job's state (libslurm), or a
 * results file's progress: done / failed / remaining, rate and ETA. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "psw_slurm.h"
#include "recursive.h"
#include "results_read.h"
#include "sample.h"

static const char status_help[] =
    "usage: parsweep status JOBID|FILE.h5\n"
    "\n"
    "JOBID: the state of a Slurm job (PENDING, RUNNING, COMPLETED, FAILED,\n"
    "TIMEOUT, ...), its exit code, nodes and elapsed time, from slurmctld.\n"
    "FILE.h5: the progress of a sweep from its results file: samples done,\n"
    "failed and remaining, and the rate and the ETA when they can be told\n"
    "(from the file's created/finished times).\n"
    "\n"
    "  -h, --help  this text\n"
    "\n"
    "Exit codes: 0 ok; 1 error (Slurm not reachable, no such job, not a\n"
    "results file: one line on stderr); 2 usage.\n";

static int is_jobid(const char *s, uint32_t *id) {
  char *end;
  if (*s < '0' || *s > '9')
    return 0;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v == 0 || v > UINT32_MAX)
    return 0;
  *id = (uint32_t)v;
  return 1;
}

static void print_hms(long long s) {
  if (s >= 86400)
    printf("%lld-", s / 86400);
  printf("%02lld:%02lld:%02lld", s / 3600 % 24, s / 60 % 60, s % 60);
}

static int job_status(uint32_t id) {
#ifdef PSW_HAVE_SLURM
  char err[512];
  int unreachable = 0;
  psw_slurm_job_info_t j;
  if (psw__slurm_job_info(id, &j, &unreachable, err, sizeof err)) {
    if (unreachable)
      fprintf(stderr, "parsweep status: cannot reach Slurm: %s\n", err);
    else
      fprintf(stderr, "parsweep status: job %u: %s\n", id, err);
    return PSW_EXIT_ERROR;
  }
  printf("job        %u\n", j.id);
  printf("name       %s\n", j.name);
  printf("state      %s\n", j.state);
  if (j.exit_signal)
    printf("exit code  %d:%d (signal %d)\n", j.exit_status, j.exit_signal,
           j.exit_signal);
  else
    printf("exit code  %d:0\n", j.exit_status);
  printf("nodes      %s\n", *j.nodes ? j.nodes : "-");
  printf("elapsed    ");
  if (j.elapsed < 0)
    printf("-");
  else
    print_hms(j.elapsed);
  printf("\ntime limit ");
  if (j.time_min == -2)
    printf("UNLIMITED");
  else
    print_hms(j.time_min * 60);
  putchar('\n');
  return fflush(stdout) ? PSW_EXIT_ERROR : PSW_EXIT_OK;
#else
  (void)id;
  fprintf(stderr, "parsweep status: cannot reach Slurm: parsweep was built "
                  "without Slurm support (PSW_WITH_SLURM=OFF)\n");
  return PSW_EXIT_ERROR;
#endif
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) to time_t; -1 when absent or malformed. */
static time_t parse_utc(const char *s) {
  struct tm tm = {0};
  if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return (time_t)-1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

/* Counts of the stored rows; the others are not run. */
struct tally {
  uint64_t c[PSW_RESULTS_NSTATUS];
  uint64_t rows;
};

static int count_status(void *arg, uint64_t first, const int8_t *st,
                        size_t count) {
  struct tally *t = arg;
  (void)first;
  t->rows += count;
  for (size_t k = 0; k < count; k++)
    if (st[k] >= 0 && st[k] < PSW_RESULTS_NSTATUS)
      t->c[st[k]]++;
  return 0;
}

static int file_status(const char *path) {
  char err[512];
  psw_results_file_t *f = NULL;
  if (psw__results_open(path, &f, err, sizeof err)) {
    fprintf(stderr, "parsweep status: %s\n", err);
    return PSW_EXIT_ERROR;
  }
  const psw_results_info_t *in = psw__results_info(f);
  struct tally t = {{0}, 0};
  uint64_t *c = t.c;
  if (in->has_counts) {
    memcpy(c, in->counts, sizeof t.c);
  } else if (psw__results_scan_status(f, 0, NULL, count_status, &t, err,
                                      sizeof err)) {
    fprintf(stderr, "parsweep status: %s\n", err);
    psw__results_close(f);
    return PSW_EXIT_ERROR;
  } else {
    c[PSW_ST_NOT_RUN] += in->n - t.rows;
  }
  uint64_t failed = c[PSW_ST_FAILED] + c[PSW_ST_TIMEOUT] + c[PSW_ST_CRASHED];
  uint64_t done = c[PSW_ST_OK] + failed, remaining = c[PSW_ST_NOT_RUN];
  printf("file       %s\n", path);
  printf("samples    %llu\n", (unsigned long long)in->n);
  printf("done       %llu (%.1f%%)\n", (unsigned long long)done,
         in->n ? 100.0 * (double)done / (double)in->n : 100.0);
  printf("  ok       %llu\n", (unsigned long long)c[PSW_ST_OK]);
  printf("failed     %llu (%llu failed, %llu timed out, %llu crashed)\n",
         (unsigned long long)failed, (unsigned long long)c[PSW_ST_FAILED],
         (unsigned long long)c[PSW_ST_TIMEOUT],
         (unsigned long long)c[PSW_ST_CRASHED]);
  printf("remaining  %llu\n", (unsigned long long)remaining);
  char rec[256];
  if (!psw__rec_status(path, in->spec, rec, sizeof rec) && rec[0])
    printf("recursive  %s\n", rec);
  printf("state      %s\n", in->completed && !remaining ? "complete"
                            : in->finished              ? "stopped (resumable)"
                                           : "in progress or stopped");
  time_t t0 = parse_utc(in->created), t1 = parse_utc(in->finished);
  if (t1 == (time_t)-1)
    t1 = time(NULL);
  if (t0 != (time_t)-1 && t1 >= t0) {
    long long el = (long long)(t1 - t0);
    printf("elapsed    ");
    print_hms(el);
    putchar('\n');
    if (el > 0 && done > 0) {
      double rate = (double)done / (double)el;
      printf("rate       %.3g samples/s\n", rate);
      if (remaining && !in->finished) {
        printf("eta        ");
        print_hms((long long)((double)remaining / rate + 0.5));
        putchar('\n');
      }
    }
  }
  psw__results_close(f);
  return fflush(stdout) ? PSW_EXIT_ERROR : PSW_EXIT_OK;
}

int psw__cmd_status(int argc, char **argv) {
  static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (c == 'h') {
      fputs(status_help, stdout);
      return PSW_EXIT_OK;
    }
    return psw__cli_usage("status", "JOBID|FILE.h5", "unknown option",
                          argv[optind - 1]);
  }
  if (optind >= argc)
    return psw__cli_usage("status", "JOBID|FILE.h5", "no job id or file", NULL);
  if (optind + 1 < argc)
    return psw__cli_usage("status", "JOBID|FILE.h5", "too many arguments",
                          argv[optind + 1]);
  uint32_t id;
  if (is_jobid(argv[optind], &id))
    return job_status(id);
  return file_status(argv[optind]);
}
