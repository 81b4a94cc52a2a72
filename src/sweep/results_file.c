/* parsweep — results.h5 writer: the temporary file and the atomic rename.
 *
 * The output is built as ".<base>.tmp.<pid>" in the output's directory
 * (same filesystem, so rename(2) is atomic) and renamed over the output
 * only when complete: after any crash the output is absent, a complete
 * earlier version, or complete (SPEC §4). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_h5.h"
#include "results_impl.h"

/* Stale temporaries of killed runs may hold our pid (containers reuse
 * small pids); try a few suffixes rather than fail. */
#define TMP_TRIES 100

void psw__results_errf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

void psw__results_utc_now(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, len, "unknown");
}

/* Split path into a directory ("." when none) and a base name. */
static int split(const char *path, char **dir, const char **base) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    *dir = strdup(".");
    *base = path;
  } else if (slash == path) {
    *dir = strdup("/");
    *base = slash + 1;
  } else {
    *dir = strndup(path, (size_t)(slash - path));
    *base = slash + 1;
  }
  return *dir ? 0 : -1;
}

int psw__results_adopt_tmp(psw_results_t *r) {
  const char *base;
  r->member = 0;
  return split(r->path, &r->dir, &base) < 0 ? PSW_ERR_NOMEM : 0;
}

int psw__results_make_tmp(psw_results_t *r, hid_t fapl) {
  const char *base;
  char *name = NULL;
  size_t len;
  int rc = PSW_ERR_NOMEM;
  if (split(r->path, &r->dir, &base) < 0)
    return PSW_ERR_NOMEM;
  if (!base[0]) {
    psw__results_errf(r->err, sizeof r->err, "%s: not a file name", r->path);
    return PSW_ERR_INVAL;
  }
  len = strlen(r->dir) + strlen(base) + 64;
  name = malloc(len);
  if (!name)
    goto out;
  rc = PSW_ERR_IO;
  for (int k = 0; k < TMP_TRIES; k++) {
    if (k == 0)
      snprintf(name, len, "%s/.%s.tmp.%ld", r->dir, base, (long)getpid());
    else
      snprintf(name, len, "%s/.%s.tmp.%ld.%d", r->dir, base, (long)getpid(), k);
    /* A name that is taken (by anything: a file, a symlink, a FIFO) is
     * passed over without being opened: HDF5 opens an existing name before
     * it creates. */
    struct stat st;
    if (lstat(name, &st) == 0)
      continue;
    if (errno != ENOENT) {
      psw__results_errf(r->err, sizeof r->err, "%s: cannot create: %s", name,
                        strerror(errno));
      goto out;
    }
    r->file = H5Fcreate(name, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (r->file >= 0) {
      r->tmp = name; /* only now ours to remove */
      name = NULL;
      rc = 0;
      goto out;
    }
    /* Taken since lstat (a race with another user): try the next name. */
    if (lstat(name, &st) == 0)
      continue;
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot create", name);
    goto out;
  }
  psw__results_errf(r->err, sizeof r->err,
                    "%s: cannot create a temporary file beside it: %d names "
                    "taken",
                    r->path, TMP_TRIES);
out:
  free(name);
  return rc;
}

static int fsync_path(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  int rc;
  if (fd < 0)
    return -1;
  rc = fsync(fd);
  if (rc < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return close(fd);
}

int psw__results_commit(psw_results_t *r) {
  if (fsync_path(r->tmp, O_RDONLY) < 0) {
    psw__results_errf(r->err, sizeof r->err, "%s: fsync: %s", r->tmp,
                      strerror(errno));
    return PSW_ERR_IO;
  }
  if (rename(r->tmp, r->path) < 0) {
    psw__results_errf(r->err, sizeof r->err, "%s: cannot rename to %s: %s",
                      r->tmp, r->path, strerror(errno));
    return PSW_ERR_IO;
  }
  /* Renamed: the temporary name is no longer ours to remove. */
  free(r->tmp);
  r->tmp = NULL;
  /* Some filesystems cannot fsync a directory (EINVAL); the rename then
   * is as durable as they make it. */
  if (fsync_path(r->dir, O_RDONLY | O_DIRECTORY) < 0 && errno != EINVAL &&
      errno != ENOTSUP) {
    psw__results_errf(r->err, sizeof r->err, "%s: fsync: %s", r->dir,
                      strerror(errno));
    return PSW_ERR_IO;
  }
  return 0;
}
