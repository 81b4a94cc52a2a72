/* parsweep — reading a batch script's #SBATCH lines and sbatch's option
 * values into a job description, as sbatch does (for `parsweep submit`).
 * Pure parsing: no libslurm, so that --dry-run works without it. */
#include "directives.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* A count > 0 ("2", or "2-4" whose minimum is taken). */
int psw__sbatch_count(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || (*end && *end != '-') || v <= 0 || v > INT_MAX)
    return -1;
  *out = v;
  return 0;
}

static int parse_uint(const char *s, const char **end, long *out) {
  char *e;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (errno || v > 10000000)
    return -1;
  *out = v;
  *end = e;
  return 0;
}

/* Slurm's time formats to minutes (seconds round up); -2 unlimited. */
int psw__sbatch_time(const char *s, long *out) {
  if (!strcmp(s, "UNLIMITED") || !strcmp(s, "INFINITE") ||
      !strcmp(s, "unlimited") || !strcmp(s, "infinite") || !strcmp(s, "-1")) {
    *out = -2;
    return 0;
  }
  long f[4] = {0}, days = 0;
  int n = 0, has_days = 0;
  const char *p = s, *e;
  if (strchr(s, '-')) {
    if (parse_uint(p, &e, &days) || *e != '-')
      return -1;
    has_days = 1;
    p = e + 1;
  }
  for (;;) {
    if (n == 3 || parse_uint(p, &e, &f[n]))
      return -1;
    n++;
    if (*e == '\0')
      break;
    if (*e != ':')
      return -1;
    p = e + 1;
  }
  long h = 0, m = 0, sec = 0;
  if (has_days) { /* D-H, D-H:M, D-H:M:S */
    h = f[0];
    m = n > 1 ? f[1] : 0;
    sec = n > 2 ? f[2] : 0;
  } else if (n == 1) { /* M */
    m = f[0];
  } else if (n == 2) { /* M:S */
    m = f[0];
    sec = f[1];
  } else { /* H:M:S */
    h = f[0];
    m = f[1];
    sec = f[2];
  }
  *out = ((days * 24 + h) * 60 + m) + (sec + 59) / 60;
  return 0;
}

static const struct {
  const char *name;
  int num;
} sigs[] = {{"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"KILL", 9},
            {"USR1", 10}, {"USR2", 12}, {"ALRM", 14}, {"TERM", 15},
            {"CONT", 18}, {"STOP", 19}, {"URG", 23}};

const char *psw__sbatch_signame(int num) {
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigs[i].num == num)
      return sigs[i].name;
  return NULL;
}

/* [B:|R:]SIG[@SECONDS]: SIG a name (USR1, SIGUSR1) or a number. */
static int parse_signal(const char *s, psw_slurm_job_t *j) {
  char buf[64];
  j->warn_batch = 0;
  if (!strncmp(s, "B:", 2)) {
    j->warn_batch = 1;
    s += 2;
  } else if (!strncmp(s, "R:", 2) || !strncmp(s, "RB:", 3) ||
             !strncmp(s, "BR:", 3)) {
    return -1;
  }
  snprintf(buf, sizeof buf, "%s", s);
  char *at = strchr(buf, '@');
  long t = 60;
  if (at) {
    *at = '\0';
    const char *e;
    if (parse_uint(at + 1, &e, &t) || *e || t > 65535)
      return -1;
  }
  const char *name = strncmp(buf, "SIG", 3) ? buf : buf + 3;
  int num = 0;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (!strcmp(name, sigs[i].name))
      num = sigs[i].num;
  if (!num) {
    long v;
    const char *e;
    if (parse_uint(name, &e, &v) || *e || v <= 0 || v > 64)
      return -1;
    num = (int)v;
  }
  j->warn_signal = num;
  j->warn_time = (int)t;
  return 0;
}

int psw__sbatch_set(char **slot, const char *v) {
  char *c = strdup(v);
  if (!c)
    return -1;
  free(*slot);
  *slot = c;
  return 0;
}

int psw__sbatch_option(const char *opt, const char *val, psw_slurm_job_t *j,
                       psw_sbatch_owned_t *o) {
  if (!strcmp(opt, "job-name") || !strcmp(opt, "J"))
    return psw__sbatch_set(&o->name, val);
  if (!strcmp(opt, "output") || !strcmp(opt, "o"))
    return psw__sbatch_set(&o->std_out, val);
  if (!strcmp(opt, "error") || !strcmp(opt, "e"))
    return psw__sbatch_set(&o->std_err, val);
  if (!strcmp(opt, "partition") || !strcmp(opt, "p"))
    return psw__sbatch_set(&o->partition, val);
  if (!strcmp(opt, "account") || !strcmp(opt, "A"))
    return psw__sbatch_set(&o->account, val);
  if (!strcmp(opt, "chdir") || !strcmp(opt, "D"))
    return psw__sbatch_set(&o->work_dir, val);
  if (!strcmp(opt, "nodes") || !strcmp(opt, "N"))
    return psw__sbatch_count(val, &j->nodes);
  if (!strcmp(opt, "ntasks") || !strcmp(opt, "n"))
    return psw__sbatch_count(val, &j->ntasks);
  if (!strcmp(opt, "ntasks-per-node"))
    return psw__sbatch_count(val, &j->ntasks_per_node);
  if (!strcmp(opt, "ntasks-per-core"))
    return psw__sbatch_count(val, &j->ntasks_per_core);
  if (!strcmp(opt, "cpus-per-task") || !strcmp(opt, "c"))
    return psw__sbatch_count(val, &j->cpus_per_task);
  if (!strcmp(opt, "time") || !strcmp(opt, "t"))
    return psw__sbatch_time(val, &j->time_min);
  if (!strcmp(opt, "signal"))
    return parse_signal(val, j);
  return -2;
}

int psw__sbatch_directives(const char *script, const char *path,
                           psw_slurm_job_t *j, psw_sbatch_owned_t *o, char *err,
                           size_t errlen) {
  const char *line = script;
  int first = 1;
  while (*line) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    const char *p = line;
    while (p < line + len && (*p == ' ' || *p == '\t'))
      p++;
    if (!(first && !strncmp(line, "#!", 2))) {
      if (p < line + len && *p != '#')
        break; /* the first command */
      if (!strncmp(p, "#SBATCH", 7) && (p[7] == ' ' || p[7] == '\t')) {
        char buf[1024];
        size_t n = len - (size_t)(p + 7 - line);
        if (n >= sizeof buf)
          n = sizeof buf - 1;
        memcpy(buf, p + 7, n);
        buf[n] = '\0';
        char *save = NULL;
        for (char *tok = strtok_r(buf, " \t\r", &save); tok;
             tok = strtok_r(NULL, " \t\r", &save)) {
          if (tok[0] == '#')
            break;
          char opt[64];
          const char *val = NULL;
          if (!strncmp(tok, "--", 2)) {
            char *eq = strchr(tok, '=');
            size_t ol = eq ? (size_t)(eq - tok - 2) : strlen(tok + 2);
            if (ol >= sizeof opt)
              ol = sizeof opt - 1;
            memcpy(opt, tok + 2, ol);
            opt[ol] = '\0';
            val = eq ? eq + 1 : NULL;
          } else if (tok[0] == '-' && tok[1]) {
            opt[0] = tok[1];
            opt[1] = '\0';
            val = tok[2] ? tok + 2 : NULL;
          } else {
            return failf(err, errlen, "%s: bad #SBATCH line near '%s'", path,
                         tok);
          }
          if (!val)
            val = strtok_r(NULL, " \t\r", &save);
          int rc = val ? psw__sbatch_option(opt, val, j, o) : -1;
          if (rc == -2)
            return failf(err, errlen,
                         "%s: #SBATCH option not supported by parsweep "
                         "submit (use sbatch): %s",
                         path, tok);
          if (rc)
            return failf(err, errlen, "%s: bad #SBATCH line: %s", path, tok);
        }
      }
    }
    first = 0;
    if (!nl)
      break;
    line = nl + 1;
  }
  return 0;
}
