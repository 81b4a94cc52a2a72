/* parsweep tests — a server model (SPEC §3.1) written from the protocol of
 * docs/models.md alone, without any helper, with chosen misbehaviours.
 *
 *   psw_test_server [--log=FILE] [--build-sleep=S] [--start=MODE]
 *                   [--noise] [ACTION=I ...]
 *
 * Outputs, by name (any spec order): "sum" (of the parameters), "prod"
 * (a * b + c over the first three, missing ones 0: the formula the tests
 * recompute), "echo_<param>" (the value received, every bit), "index",
 * "worker" (PARSWEEP_WORKER); any other name is an error.
 *
 * --log=FILE appends "build PID WORKER" at each start and "eval INDEX PID"
 * before each reply (one write(2) each, O_APPEND: lines from several servers
 * do not mix), so tests count builds and evaluations.
 * --start=MODE misbehaves at start-up: exit:CODE (before ready), hang
 * (never ready), garbage (says something else than ready);
 * --start-fail-after=K (or PSW_TEST_SERVER_START_FAIL_AFTER=K in the
 * environment): every start after the K-th exits 3 before ready.
 * --eval-sleep=S takes S seconds per sample (PSW_TEST_SERVER_EVAL_SLEEP=S in
 * the environment overrides it).
 * --noise prints blank lines, "name=value" lines for the real output names
 * and chatter on stdout and stderr at start and for every sample.
 * An ACTION applies when I equals the sample index:
 *   --error=I     reply "error I ..."      --nan=I      the outputs are nan
 *   --exit=I:CODE exit CODE (no reply)     --segv=I     die of SIGSEGV
 *   --hang=I      sleep 60 s (past the timeout)
 *   --bad-index=I reply with index I+1     --short=I    one value too few
 *   --garbage=I   reply "hello"         --long=I     a 4 MiB reply line
 * --hex replies with hex floats ("%a"), which the protocol accepts.
 * An ACTION given as --NAME=I@N applies only in the server started N-th
 * (counting the "build" lines of the log), so that a restarted server
 * behaves (e.g. --exit=5@1: only the first server dies at sample 5). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd = 3;
static int argc_;
static char **argv_;
static const char *log_path;
static int noise, hex;
static long build_no; /* this server's 1-based start number */

static char *names[256]; /* params then outputs */
static int np, no;

/* --- the channel: lines on fd ----------------------------------------- */

static char rbuf[1 << 20];
static size_t rlen;

/* One line (without "\n") into a malloc'd string; NULL at EOF. */
static char *read_line(void) {
  for (;;) {
    char *nl = memchr(rbuf, '\n', rlen);
    if (nl) {
      size_t n = (size_t)(nl - rbuf);
      char *s = malloc(n + 1);
      memcpy(s, rbuf, n);
      s[n] = '\0';
      memmove(rbuf, nl + 1, rlen - n - 1);
      rlen -= n + 1;
      return s;
    }
    if (rlen == sizeof rbuf)
      return NULL;
    ssize_t r = read(fd, rbuf + rlen, sizeof rbuf - rlen);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return NULL;
    rlen += (size_t)r;
  }
}

static void write_all(int f, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(f, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      _exit(0); /* parsweep is gone */
    s += w;
    n -= (size_t)w;
  }
}

static void say(const char *s) {
  write_all(fd, s, strlen(s));
}

static void log_line(const char *s) {
  if (!log_path)
    return;
  int f = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (f < 0)
    return;
  write_all(f, s, strlen(s));
  close(f);
}

static long count_builds(void) {
  if (!log_path)
    return 1;
  FILE *f = fopen(log_path, "r");
  if (!f)
    return 1;
  char ln[256];
  long n = 0;
  while (fgets(ln, sizeof ln, f))
    n += !strncmp(ln, "build ", 6);
  fclose(f);
  return n;
}

/* --- options ------------------------------------------------------------ */

static const char *opt(const char *name) {
  size_t n = strlen(name);
  for (int i = 1; i < argc_; i++)
    if (!strncmp(argv_[i], name, n) && argv_[i][n] == '=')
      return argv_[i] + n + 1;
  return NULL;
}

/* "--name=I[:V][@N]" for this index (and this server): 1, *val = V. */
static int action(const char *name, long long idx, long *val) {
  size_t n = strlen(name);
  for (int i = 1; i < argc_; i++) {
    if (strncmp(argv_[i], name, n) || argv_[i][n] != '=')
      continue;
    char *end;
    long long at = strtoll(argv_[i] + n + 1, &end, 10);
    long v = 0;
    if (*end == ':')
      v = strtol(end + 1, &end, 10);
    if (*end == '@' && strtol(end + 1, NULL, 10) != build_no)
      continue;
    if (at != idx)
      continue;
    if (val)
      *val = v;
    return 1;
  }
  return 0;
}

static void chatter(const char *when) {
  if (!noise)
    return;
  /* What a solver prints: none of it may reach parsweep as a reply. */
  printf("\n%s\n\n", when);
  for (int k = 0; k < no; k++)
    printf("%s=12345\n%s = -1\n", names[np + k], names[np + k]);
  printf("ok 0 1 2 3\nready\n");
  fflush(stdout);
  fprintf(stderr, "psw_test_server: %s\n\n%s=7\n", when, no ? names[np] : "y");
}

/* --- the protocol ------------------------------------------------------- */

static void fail(const char *why) {
  fprintf(stderr, "psw_test_server: %s\n", why);
  exit(2);
}

static int read_names(const char *kw, int at) {
  char *ln = read_line();
  size_t n = strlen(kw);
  if (!ln || strncmp(ln, kw, n) || ln[n] != ' ')
    fail("bad header");
  int count = atoi(ln + n + 1);
  free(ln);
  if (count < 0 || at + count > 256)
    fail("too many names");
  for (int k = 0; k < count; k++)
    if (!(names[at + k] = read_line()))
      fail("header cut short");
  return count;
}

static double value_of(const char *out, const double *p, long long idx,
                       int *ok) {
  *ok = 1;
  if (!strcmp(out, "sum")) {
    double s = 0;
    for (int k = 0; k < np; k++)
      s += p[k];
    return s;
  }
  if (!strcmp(out, "prod")) {
    double a = np > 0 ? p[0] : 0, b = np > 1 ? p[1] : 0, c = np > 2 ? p[2] : 0;
    return a * b + c;
  }
  if (!strcmp(out, "index"))
    return (double)idx;
  if (!strcmp(out, "worker")) {
    const char *w = getenv("PARSWEEP_WORKER");
    return w ? atof(w) : -1;
  }
  if (!strncmp(out, "echo_", 5))
    for (int k = 0; k < np; k++)
      if (!strcmp(out + 5, names[k]))
        return p[k];
  *ok = 0;
  return 0;
}

int main(int argc, char **argv) {
  argc_ = argc;
  argv_ = argv;
  const char *e = getenv("PARSWEEP_SERVER_FD");
  if (!e)
    fail("PARSWEEP_SERVER_FD is not set: run me as a parsweep server model");
  fd = atoi(e);
  log_path = opt("--log");
  for (int i = 1; i < argc; i++) {
    noise |= !strcmp(argv[i], "--noise");
    hex |= !strcmp(argv[i], "--hex");
  }

  char ln0[128];
  snprintf(ln0, sizeof ln0, "build %d %s\n", (int)getpid(),
           getenv("PARSWEEP_WORKER") ? getenv("PARSWEEP_WORKER") : "-");
  log_line(ln0);
  build_no = count_builds();

  /* The header; then the "build" (a sleep stands for it). */
  char *hello = read_line();
  if (!hello || strcmp(hello, "parsweep-server 1"))
    fail("not parsweep's protocol version 1");
  free(hello);
  np = read_names("params", 0);
  no = read_names("outputs", np);
  const char *bs = opt("--build-sleep");
  if (bs)
    usleep((useconds_t)(atof(bs) * 1e6));
  chatter("building");

  const char *mode = opt("--start");
  const char *after = opt("--start-fail-after");
  if (!after) /* from parsweep's environment: not in the spec's hash */
    after = getenv("PSW_TEST_SERVER_START_FAIL_AFTER");
  if (after && build_no > atol(after))
    mode = "exit:3";
  if (mode && !strncmp(mode, "exit:", 5))
    exit(atoi(mode + 5));
  if (mode && !strcmp(mode, "hang"))
    for (;;)
      pause();
  if (mode && !strcmp(mode, "garbage")) {
    say("hello\n");
    for (;;)
      pause();
  }
  say("ready\n");

  double p[256];
  for (;;) {
    char *ln = read_line();
    if (!ln || !strcmp(ln, "exit"))
      return 0; /* told to, or parsweep is gone (EOF) */
    char *s = ln, *end;
    if (strncmp(s, "sample ", 7))
      fail("expected a sample line");
    long long idx = strtoll(s + 7, &end, 10);
    s = end;
    for (int k = 0; k < np; k++) {
      p[k] = strtod(s, &end); /* this program never sets a locale: "C" */
      if (end == s)
        fail("a parameter value is not a number");
      s = end;
    }
    free(ln);
    chatter("evaluating");
    const char *es = getenv("PSW_TEST_SERVER_EVAL_SLEEP");
    if (!es) /* the option, unless parsweep's environment overrides it */
      es = opt("--eval-sleep");
    if (es)
      usleep((useconds_t)(atof(es) * 1e6));
    long v = 0;
    char out[8192];
    int n = 0;
    if (action("--exit", idx, &v))
      exit((int)v);
    if (action("--segv", idx, NULL)) {
      signal(SIGSEGV, SIG_DFL);
      raise(SIGSEGV);
    }
    if (action("--hang", idx, NULL))
      sleep(60);
    if (action("--error", idx, NULL)) {
      n = snprintf(out, sizeof out,
                   "error %lld sample %lld refused (asked "
                   "to)\n",
                   idx, idx);
    } else if (action("--garbage", idx, NULL)) {
      n = snprintf(out, sizeof out, "hello\n");
    } else if (action("--long", idx, NULL)) {
      /* a reply past the protocol's 1 MiB, in pieces, never ending */
      log_line("long\n");
      char chunk[4096];
      memset(chunk, '1', sizeof chunk);
      snprintf(chunk, 32, "ok %lld ", idx);
      chunk[strlen(chunk)] = '1';
      for (int k = 0; k < 1024; k++)
        write_all(fd, chunk, sizeof chunk);
      say("\n");
      continue;
    } else {
      int nan_ = action("--nan", idx, NULL),
          short_ = action("--short", idx, NULL);
      n = snprintf(out, sizeof out, "ok %lld",
                   action("--bad-index", idx, NULL) ? idx + 1 : idx);
      for (int k = 0; k < no - short_; k++) {
        int ok;
        double y = value_of(names[np + k], p, idx, &ok);
        if (!ok) {
          n = snprintf(out, sizeof out, "error %lld unknown output %s\n", idx,
                       names[np + k]);
          goto send;
        }
        /* --hex: C99 hex floats, which the protocol accepts too */
        n += snprintf(out + n, sizeof out - (size_t)n, hex ? " %a" : " %.17g",
                      nan_ ? NAN : y);
      }
      n += snprintf(out + n, sizeof out - (size_t)n, "\n");
    }
  send:
    (void)n;
    /* Logged before the reply: parsweep may kill a server the moment it
     * has read a reply that breaks the protocol. */
    char ev[64];
    snprintf(ev, sizeof ev, "eval %lld %d\n", idx, (int)getpid());
    log_line(ev);
    say(out);
  }
}
