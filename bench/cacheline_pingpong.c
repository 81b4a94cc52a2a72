/* parsweep bench — the floor under B4's 8-byte collectives: how long one
 * cache line takes to go from one CPU to another on this machine.
 *
 * Two processes pinned to two CPUs (default 0 and 1) bounce a counter
 * through two cache lines in shared memory: A stores i in its line and
 * waits for B's line to say i; B waits for A's i and answers it. Half the
 * round trip is the one-way hand-over of a line, which no shared-memory
 * collective between those CPUs can beat per unpipelined operation.
 *
 *   build/bench/cacheline_pingpong [--iters N] [--cpus A,B] */
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct line {
  _Atomic uint64_t v;
  char pad[56];
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s) != 0)
    perror("sched_setaffinity");
}

int main(int argc, char **argv) {
  long iters = 1000000;
  int a = 0, b = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--iters") && i + 1 < argc)
      iters = atol(argv[++i]);
    else if (!strcmp(argv[i], "--cpus") && i + 1 < argc &&
             sscanf(argv[++i], "%d,%d", &a, &b) == 2)
      ;
    else if (!strcmp(argv[i], "--smoke"))
      iters = 10000;
    else {
      fprintf(stderr, "usage: %s [--iters N] [--cpus A,B] [--smoke]\n",
              argv[0]);
      return 2;
    }
  }
  struct line *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (l == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (int rep = 0; rep < 5; rep++) {
    atomic_store(&l[0].v, 0);
    atomic_store(&l[1].v, 0);
    pid_t p = fork();
    if (p < 0) {
      perror("fork");
      return 1;
    }
    if (p == 0) {
      pin(b);
      for (uint64_t i = 1; i <= (uint64_t)iters; i++) {
        while (atomic_load_explicit(&l[0].v, memory_order_acquire) < i)
          ;
        atomic_store_explicit(&l[1].v, i, memory_order_release);
      }
      _exit(0);
    }
    pin(a);
    double t0 = now();
    for (uint64_t i = 1; i <= (uint64_t)iters; i++) {
      atomic_store_explicit(&l[0].v, i, memory_order_release);
      while (atomic_load_explicit(&l[1].v, memory_order_acquire) < i)
        ;
    }
    double t = now() - t0;
    waitpid(p, NULL, 0);
    printf("CPUs %d/%d: one-way cache-line hand-over %.1f ns (round trip "
           "%.1f ns)\n",
           a, b, t / (double)iters / 2 * 1e9, t / (double)iters * 1e9);
  }
  return 0;
}
