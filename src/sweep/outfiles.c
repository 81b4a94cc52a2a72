/* parsweep — the files a run keeps beside its output (see outfiles.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "outfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DIR and BASE of output; *dir malloc'd. */
static int split(const char *output, char **dir, const char **base) {
  const char *slash = strrchr(output, '/');
  if (!slash) {
    *dir = strdup(".");
    *base = output;
  } else {
    *dir = slash == output ? strdup("/")
                           : strndup(output, (size_t)(slash - output));
    *base = slash + 1;
  }
  return *dir ? 0 : -1;
}

char *psw__outfile(const char *output, const char *suffix) {
  char *dir;
  const char *base;
  if (split(output, &dir, &base))
    return NULL;
  char *p = NULL;
  if (asprintf(&p, "%s/.%s%s", dir, base, suffix) < 0)
    p = NULL;
  free(dir);
  return p;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int psw__outfiles_each(const char *output, const char *prefix,
                       int (*fn)(const char *path, void *arg), void *arg) {
  char *dir, *stem = NULL, **names = NULL;
  const char *base;
  size_t n = 0, cap = 0;
  int rc = -1;
  if (split(output, &dir, &base))
    return -1;
  if (asprintf(&stem, ".%s%s", base, prefix) < 0) {
    stem = NULL;
    goto out;
  }
  DIR *d = opendir(dir);
  if (!d) {
    rc = errno == ENOENT ? 0 : -1;
    goto out;
  }
  size_t sl = strlen(stem);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, stem, sl))
      continue;
    if (n == cap) {
      char **nn = realloc(names, (cap = cap ? 2 * cap : 8) * sizeof *nn);
      if (!nn)
        break;
      names = nn;
    }
    if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
      break;
    n++;
  }
  int saved = errno;
  closedir(d);
  if (e) { /* stopped early: out of memory */
    errno = saved;
    goto out;
  }
  if (n > 1)
    qsort(names, n, sizeof *names, by_name);
  rc = 0;
  for (size_t k = 0; k < n && !rc; k++)
    rc = fn(names[k], arg);
out:
  for (size_t k = 0; k < n; k++)
    free(names[k]);
  free(names);
  free(stem);
  free(dir);
  return rc;
}

static int count_one(const char *path, void *arg) {
  (void)path;
  ++*(size_t *)arg;
  return 0;
}

size_t psw__outfiles_count(const char *output, const char *prefix) {
  size_t n = 0;
  psw__outfiles_each(output, prefix, count_one, &n);
  return n;
}

static int remove_one(const char *path, void *arg) {
  if (unlink(path) == 0)
    ++*(size_t *)arg;
  return 0;
}

size_t psw__outfiles_remove(const char *output, const char *prefix) {
  size_t n = 0;
  psw__outfiles_each(output, prefix, remove_one, &n);
  return n;
}

int psw__outfiles_sync_dir(const char *output) {
  char *dir;
  const char *base;
  if (split(output, &dir, &base))
    return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}
