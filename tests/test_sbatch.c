/* parsweep tests — the #SBATCH reader of `parsweep submit`
 * (slurm/directives.c): Slurm's time formats, counts, --signal, the
 * options it takes and refuses, and which lines of a script count. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "directives.h"

static long t(const char *s) {
  long v = -99;
  return psw__sbatch_time(s, &v) ? -99 : v;
}

static long n(const char *s) {
  long v = -99;
  return psw__sbatch_count(s, &v) ? -99 : v;
}

static void job_init(psw_slurm_job_t *j) {
  memset(j, 0, sizeof *j);
  j->nodes = j->ntasks = j->ntasks_per_node = j->ntasks_per_core = -1;
  j->cpus_per_task = j->time_min = -1;
}

static void owned_free(psw_sbatch_owned_t *o) {
  free(o->name);
  free(o->partition);
  free(o->account);
  free(o->std_out);
  free(o->std_err);
  free(o->work_dir);
  memset(o, 0, sizeof *o);
}

int main(void) {
  /* Times: minutes; seconds round up; -2 unlimited; -99 refused. */
  CHECK_EQ(t("30"), 30);
  CHECK_EQ(t("1:30"), 2);
  CHECK_EQ(t("1:00"), 1);
  CHECK_EQ(t("2:00:00"), 120);
  CHECK_EQ(t("1-0"), 1440);
  CHECK_EQ(t("1-2:03"), 1563);
  CHECK_EQ(t("1-2:03:04"), 1564);
  CHECK_EQ(t("UNLIMITED"), -2);
  CHECK_EQ(t("infinite"), -2);
  CHECK_EQ(t("x"), -99);
  CHECK_EQ(t("1:2:3:4"), -99);
  CHECK_EQ(t("1:"), -99);
  CHECK_EQ(t(""), -99);

  CHECK_EQ(n("2"), 2);
  CHECK_EQ(n("2-4"), 2);
  CHECK_EQ(n("0"), -99);
  CHECK_EQ(n("-1"), -99);
  CHECK_EQ(n("a"), -99);

  psw_slurm_job_t j;
  psw_sbatch_owned_t o = {0};
  job_init(&j);
  CHECK_EQ(psw__sbatch_option("N", "3", &j, &o), 0);
  CHECK_EQ(j.nodes, 3);
  CHECK_EQ(psw__sbatch_option("signal", "B:USR1@300", &j, &o), 0);
  CHECK_EQ(j.warn_signal, 10);
  CHECK_EQ(j.warn_time, 300);
  CHECK_EQ(j.warn_batch, 1);
  CHECK_EQ(psw__sbatch_option("signal", "SIGTERM", &j, &o), 0);
  CHECK_EQ(j.warn_signal, 15);
  CHECK_EQ(j.warn_time, 60);
  CHECK_EQ(j.warn_batch, 0);
  CHECK_EQ(psw__sbatch_option("signal", "R:USR1", &j, &o), -1);
  CHECK_EQ(psw__sbatch_option("signal", "NOPE", &j, &o), -1);
  CHECK_EQ(psw__sbatch_option("time", "bad", &j, &o), -1);
  CHECK_EQ(psw__sbatch_option("exclusive", "x", &j, &o), -2);
  CHECK_EQ(psw__sbatch_option("partition", "debug", &j, &o), 0);
  CHECK(o.partition && !strcmp(o.partition, "debug"));
  CHECK(psw__sbatch_signame(10) && !strcmp(psw__sbatch_signame(10), "USR1"));
  CHECK(psw__sbatch_signame(63) == NULL);
  owned_free(&o);

  /* Directives: before the first command only; comments and blank lines
   * between them are fine; "--opt=value" and "-X value" forms. */
  char err[256] = "";
  job_init(&j);
  const char *ok = "#!/bin/bash\n"
                   "# a comment\n"
                   "\n"
                   "#SBATCH --job-name=sweep -N 2\n"
                   "  #SBATCH -t 1:00:00 # trailing comment\n"
                   "#SBATCH --signal=B:USR1@120\n"
                   "echo start\n"
                   "#SBATCH --nodes=9\n";
  CHECK_EQ(psw__sbatch_directives(ok, "ok.sbatch", &j, &o, err, sizeof err), 0);
  CHECK(o.name && !strcmp(o.name, "sweep"));
  CHECK_EQ(j.nodes, 2); /* not 9: after the first command */
  CHECK_EQ(j.time_min, 60);
  CHECK_EQ(j.warn_time, 120);
  owned_free(&o);

  static const struct {
    const char *script, *msg;
  } bad[] = {
      {"#!/bin/sh\n#SBATCH --exclusive=user\n",
       "x.sbatch: #SBATCH option not supported by parsweep submit (use "
       "sbatch): --exclusive=user"},
      {"#!/bin/sh\n#SBATCH -t soon\n", "x.sbatch: bad #SBATCH line: -t"},
      {"#!/bin/sh\n#SBATCH nodes=2\n",
       "x.sbatch: bad #SBATCH line near 'nodes=2'"},
      {"#!/bin/sh\n#SBATCH --nodes\n", "x.sbatch: bad #SBATCH line: --nodes"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    job_init(&j);
    err[0] = '\0';
    CHECK_EQ(psw__sbatch_directives(bad[i].script, "x.sbatch", &j, &o, err,
                                    sizeof err),
             -1);
    if (strcmp(err, bad[i].msg)) {
      fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, err, bad[i].msg);
      CHECK(!"the message names the file and the option");
    }
    owned_free(&o);
  }
  return check_failures() ? 1 : 0;
}
