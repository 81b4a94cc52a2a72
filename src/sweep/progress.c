/* parsweep — progress: a live bar on a terminal, lines in batch logs. */
#include "progress.h"

#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "util.h"

#define BAR_WIDTH 30

void psw__progress_init(psw_progress_t *p, FILE *out, int mode,
                        uint64_t total) {
  p->out = out;
  if (mode == PSW_PROGRESS_AUTO)
    mode = isatty(fileno(out)) ? PSW_PROGRESS_BAR : PSW_PROGRESS_LINES;
  p->mode = mode;
  p->total = total;
  p->done = p->failed = 0;
  p->printed = UINT64_MAX;
  p->t0 = p->last = psw__mono_now();
  /* A bar redraws often; a batch log gets a line every few seconds. */
  p->interval = mode == PSW_PROGRESS_BAR ? 0.2 : 5.0;
}

static void fmt_eta(char *buf, size_t len, double s) {
  if (s < 0 || s > 1e8) {
    snprintf(buf, len, "--:--");
    return;
  }
  unsigned long t = (unsigned long)(s + 0.5);
  snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
}

static void print(psw_progress_t *p, double now, int final) {
  double el = now - p->t0;
  double rate = el > 0 ? (double)p->done / el : 0;
  char eta[32];
  fmt_eta(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1);
  if (p->mode == PSW_PROGRESS_BAR) {
    int fill = p->total ? (int)(BAR_WIDTH * p->done / p->total) : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
      bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = 0;
    fprintf(p->out, "\r[%s] %llu/%llu  %llu failed  %.1f/s  ETA %s\033[K%s",
            bar, (unsigned long long)p->done, (unsigned long long)p->total,
            (unsigned long long)p->failed, rate, eta, final ? "\n" : "");
  } else {
    fprintf(p->out,
            "parsweep: progress %llu/%llu samples, %llu failed, %.1f/s, "
            "elapsed %.0f s, ETA %s\n",
            (unsigned long long)p->done, (unsigned long long)p->total,
            (unsigned long long)p->failed, rate, el, eta);
  }
  fflush(p->out);
}

void psw__progress_step(psw_progress_t *p, int ok) {
  p->done++;
  if (!ok)
    p->failed++;
  if (p->mode == PSW_PROGRESS_NONE)
    return;
  /* The clock is a vDSO call (tens of ns): read it every sample, so that a
   * slow sweep reports on time too. */
  double now = psw__mono_now();
  if (now - p->last >= p->interval) {
    p->last = now;
    p->printed = p->done;
    print(p, now, 0);
  }
}

void psw__progress_set(psw_progress_t *p, uint64_t done, uint64_t failed) {
  p->done = done;
  p->failed = failed;
  if (p->mode == PSW_PROGRESS_NONE)
    return;
  double now = psw__mono_now();
  if (now - p->last >= p->interval || done == p->total) {
    p->last = now;
    p->printed = p->done;
    print(p, now, 0);
  }
}

void psw__progress_end(psw_progress_t *p) {
  /* A bar always gets its final state and newline; a batch log gets a last
   * line unless the one printed last already says it. */
  if (p->mode == PSW_PROGRESS_BAR ||
      (p->mode == PSW_PROGRESS_LINES && p->printed != p->done))
    print(p, psw__mono_now(), 1);
}
