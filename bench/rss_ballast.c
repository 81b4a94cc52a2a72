/* LD_PRELOAD helper of benchmark B3: makes the process it is loaded into
 * (and the fork workers it starts) large. With PSW_BENCH_BALLAST_MIB=M in
 * the environment its constructor maps M MiB, in 4 KiB pages (no huge
 * pages: like the heap of a big Python process), and writes every page, so
 * the resident set is M MiB more. It then removes LD_PRELOAD and the
 * variable from the environment so that the programs this process starts
 * (the model commands) are not inflated too. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *ballast;

__attribute__((constructor)) static void ballast_init(void) {
  const char *s = getenv("PSW_BENCH_BALLAST_MIB");
  size_t mib = s ? strtoull(s, NULL, 10) : 0;
  unsetenv("LD_PRELOAD");
  unsetenv("PSW_BENCH_BALLAST_MIB");
  if (!mib)
    return;
  size_t len = mib << 20;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    abort();
  madvise(p, len, MADV_NOHUGEPAGE);
  memset(p, 1, len);
  ballast = p;
}
