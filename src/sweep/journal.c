/* parsweep — the journal (see journal.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "outfiles.h"
#include "parsweep/error.h"
#include "util.h"

#define MAGIC "PSWJRNL1"
#define HEADER_SIZE 64
/* index, elapsed, exit code, worker, node, status, 3 bytes of padding */
#define FIXED_SIZE 32
/* Bytes buffered before the adder waits for the thread. Two buffers are
 * resident at large N; 256 KiB each keeps that fixed cost small (B8) and
 * still writes in large blocks (the flusher wakes at half full). */
#define BUF_CAP (1u << 18)

struct header {
  char magic[8];
  uint32_t version, header_size;
  uint64_t n;
  uint32_t nparams, noutputs;
  uint8_t hash[16];
  uint32_t writer, reserved;
  uint64_t check; /* XXH3-64 of the 56 bytes before it */
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "journal header");

struct psw_journal {
  int fd;
  char *path;
  size_t rec_size, nparams, noutputs;
  pthread_mutex_t mu;
  pthread_cond_t wake;  /* the thread: something to write, or stop */
  pthread_cond_t space; /* adders: the buffer was taken */
  unsigned char *buf, *spare;
  size_t len;
  int stop, failed;
  char err[256];
  pthread_t thread;
  int started;
};

static size_t rec_size(const psw_spec_t *spec) {
  return FIXED_SIZE + (spec->nparams + spec->noutputs) * sizeof(double) +
         sizeof(uint64_t);
}

static void make_header(struct header *h, const psw_spec_t *spec,
                        const uint8_t hash[16], int writer) {
  memset(h, 0, sizeof *h);
  memcpy(h->magic, MAGIC, sizeof h->magic);
  h->version = 1;
  h->header_size = HEADER_SIZE;
  h->n = spec->total;
  h->nparams = (uint32_t)spec->nparams;
  h->noutputs = (uint32_t)spec->noutputs;
  memcpy(h->hash, hash, sizeof h->hash);
  h->writer = (uint32_t)writer;
  h->check = XXH3_64bits(h, offsetof(struct header, check));
}

/* 0 when h is a header of this sweep; else a message in err. */
static int check_header(const struct header *h, const char *path,
                        const psw_spec_t *spec, const uint8_t hash[16],
                        char *err, size_t errlen) {
  if (memcmp(h->magic, MAGIC, sizeof h->magic) || h->version != 1 ||
      h->header_size != HEADER_SIZE ||
      h->check != XXH3_64bits(h, offsetof(struct header, check))) {
    snprintf(err, errlen, "%s: not a parsweep journal, or a damaged one", path);
    return PSW_ERR_INVAL;
  }
  if (h->n != spec->total || h->nparams != spec->nparams ||
      h->noutputs != spec->noutputs || memcmp(h->hash, hash, 16)) {
    snprintf(err, errlen,
             "cannot resume: %s was written for a different sweep (the spec "
             "or the model changed since: hash, samples, parameters or "
             "outputs differ from %s)",
             path, spec->path);
    return PSW_ERR_INVAL;
  }
  return 0;
}

static void encode(unsigned char *p, const psw_row_t *row, size_t np,
                   size_t no) {
  unsigned char *q = p;
  memset(p, 0, FIXED_SIZE);
  memcpy(q, &row->index, 8);
  memcpy(q + 8, &row->ev.elapsed, 8);
  memcpy(q + 16, &row->ev.exit_code, 4);
  memcpy(q + 20, &row->worker, 4);
  memcpy(q + 24, &row->node, 4);
  memcpy(q + 28, &row->ev.status, 1);
  q += FIXED_SIZE;
  memcpy(q, row->params, np * sizeof(double));
  q += np * sizeof(double);
  memcpy(q, row->outputs, no * sizeof(double));
  q += no * sizeof(double);
  uint64_t c = XXH3_64bits(p, (size_t)(q - p));
  memcpy(q, &c, 8);
}

/* A record of N rows; params/outputs point into p. 0 when intact; -1 when
 * its checksum is wrong (a torn tail); -2 when the checksum holds but the
 * index or the status is not one this sweep can have (a journal of a newer
 * parsweep, or forged): values that index arrays are never taken
 * unchecked from a file. */
static int decode(const unsigned char *p, size_t rs, uint64_t n, size_t np,
                  psw_row_t *row, double *values) {
  uint64_t c;
  memcpy(&c, p + rs - 8, 8);
  if (c != XXH3_64bits(p, rs - 8))
    return -1;
  memcpy(&row->index, p, 8);
  memcpy(&row->ev.elapsed, p + 8, 8);
  memcpy(&row->ev.exit_code, p + 16, 4);
  memcpy(&row->worker, p + 20, 4);
  memcpy(&row->node, p + 24, 4);
  memcpy(&row->ev.status, p + 28, 1);
  if (row->index >= n || row->ev.status <= PSW_ST_NOT_RUN ||
      row->ev.status > PSW_ST_CRASHED)
    return -2;
  /* Copied out: the buffer is not aligned for doubles. */
  memcpy(values, p + FIXED_SIZE, rs - FIXED_SIZE - 8);
  row->params = values;
  row->outputs = values + np;
  return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The flushing thread: every JOURNAL_FLUSH_S (sooner when the buffer
 * fills), take the buffer and write it outside the lock; fdatasync at
 * most every JOURNAL_SYNC_S, and at the end. */
static void *flusher(void *arg) {
  psw_journal_t *j = arg;
  double last_sync = psw__mono_now();
  int dirty = 0;
  pthread_mutex_lock(&j->mu);
  for (;;) {
    if (!j->stop && j->len < BUF_CAP / 2) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += (long)(JOURNAL_FLUSH_S * 1e9);
      ts.tv_sec += ts.tv_nsec / 1000000000L;
      ts.tv_nsec %= 1000000000L;
      pthread_cond_timedwait(&j->wake, &j->mu, &ts);
    }
    int stop = j->stop;
    unsigned char *b = j->buf;
    size_t len = j->len;
    j->buf = j->spare;
    j->spare = NULL;
    j->len = 0;
    pthread_cond_broadcast(&j->space);
    pthread_mutex_unlock(&j->mu);

    int e = 0;
    if (len && !j->failed) {
      if (write_all(j->fd, b, len) < 0)
        e = errno ? errno : EIO;
      dirty = 1;
    }
    if (!e && dirty &&
        (stop || psw__mono_now() - last_sync >= JOURNAL_SYNC_S)) {
      if (fdatasync(j->fd) < 0)
        e = errno;
      last_sync = psw__mono_now();
      dirty = 0;
    }

    pthread_mutex_lock(&j->mu);
    j->spare = b;
    if (e && !j->failed) {
      j->failed = 1;
      snprintf(j->err, sizeof j->err, "%s: cannot write: %s", j->path,
               strerror(e));
    }
    pthread_cond_broadcast(&j->space);
    if (stop && j->len == 0)
      break;
  }
  pthread_mutex_unlock(&j->mu);
  return NULL;
}

/* Length of the intact prefix of an open journal (header + whole,
 * checksummed records), for cutting off a torn tail. */
static int intact_length(int fd, const char *path, const psw_spec_t *spec,
                         const uint8_t hash[16], off_t *len, char *err,
                         size_t errlen) {
  struct header h;
  if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
    *len = 0; /* not even a header: start it again */
    return 0;
  }
  int rc = check_header(&h, path, spec, hash, err, errlen);
  if (rc)
    return rc;
  size_t rs = rec_size(spec);
  unsigned char *rec = malloc(rs);
  double *values = malloc(rs);
  if (!rec || !values) {
    free(rec);
    free(values);
    return PSW_ERR_NOMEM;
  }
  off_t off = HEADER_SIZE;
  psw_row_t row;
  while (pread(fd, rec, rs, off) == (ssize_t)rs &&
         decode(rec, rs, spec->total, spec->nparams, &row, values) == 0)
    off += (off_t)rs;
  free(rec);
  free(values);
  *len = off;
  return 0;
}

/* The journal at path, for appending: created exclusively (mode 0600: a
 * file of this user only), else the one an interrupted run of this user
 * left (--resume). Never through a symlink, never a file of another user
 * or with other names (hard links): another user who can write beside
 * the output must not make us write elsewhere. Returns the fd, or -1 with
 * a one-line message in err. */
static int open_own(const char *path, char *err, size_t errlen) {
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0 || errno != EEXIST)
    goto out;
  if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
    goto out;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
      st.st_nlink == 1)
    return fd;
  close(fd);
  snprintf(err, errlen,
           "%s: not a journal of this user's (another user's file, a device "
           "or a file with several names): refusing to write it; remove it",
           path);
  return -1;
out:
  if (fd < 0 && errno == ELOOP)
    snprintf(err, errlen,
             "%s: is a symbolic link (not made by parsweep): refusing to "
             "write through it; remove it",
             path);
  else if (fd < 0)
    snprintf(err, errlen, "%s: cannot create the journal: %s", path,
             strerror(errno));
  return fd;
}

int psw__journal_open(const char *output, int writer, const psw_spec_t *spec,
                      const uint8_t hash[16], psw_journal_t **out, char *err,
                      size_t errlen) {
  *out = NULL;
  char suffix[32];
  snprintf(suffix, sizeof suffix, JOURNAL_PREFIX "%d", writer);
  psw_journal_t *j = calloc(1, sizeof *j);
  if (!j || !(j->path = psw__outfile(output, suffix)) ||
      !(j->buf = malloc(BUF_CAP)) || !(j->spare = malloc(BUF_CAP))) {
    if (j) {
      free(j->path);
      free(j->buf);
      free(j->spare);
    }
    free(j);
    snprintf(err, errlen, "%s: journal: out of memory", output);
    return PSW_ERR_NOMEM;
  }
  j->fd = -1;
  j->rec_size = rec_size(spec);
  j->nparams = spec->nparams;
  j->noutputs = spec->noutputs;
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->wake, NULL);
  pthread_cond_init(&j->space, NULL);
  int rc = PSW_ERR_IO;
  if ((j->fd = open_own(j->path, err, errlen)) < 0)
    goto fail;
  off_t len;
  if ((rc = intact_length(j->fd, j->path, spec, hash, &len, err, errlen)))
    goto fail;
  rc = PSW_ERR_IO;
  if (len == 0) {
    struct header h;
    make_header(&h, spec, hash, writer);
    if (ftruncate(j->fd, 0) < 0 ||
        write_all(j->fd, (const unsigned char *)&h, sizeof h) < 0 ||
        fdatasync(j->fd) < 0) {
      snprintf(err, errlen, "%s: cannot write: %s", j->path, strerror(errno));
      goto fail;
    }
  } else if (ftruncate(j->fd, len) < 0 || lseek(j->fd, len, SEEK_SET) < 0) {
    snprintf(err, errlen, "%s: cannot cut its torn tail: %s", j->path,
             strerror(errno));
    goto fail;
  }
  if ((errno = pthread_create(&j->thread, NULL, flusher, j))) {
    snprintf(err, errlen, "%s: cannot start its thread: %s", j->path,
             strerror(errno));
    goto fail;
  }
  j->started = 1;
  *out = j;
  return 0;
fail:
  psw__journal_close(j, NULL, 0);
  return rc;
}

int psw__journal_add(psw_journal_t *j, const psw_row_t *row) {
  pthread_mutex_lock(&j->mu);
  while (!j->failed && (!j->buf || j->len + j->rec_size > BUF_CAP)) {
    pthread_cond_signal(&j->wake);
    pthread_cond_wait(&j->space, &j->mu);
  }
  int rc = 0;
  if (j->failed) {
    rc = PSW_ERR_IO;
  } else {
    encode(j->buf + j->len, row, j->nparams, j->noutputs);
    j->len += j->rec_size;
  }
  pthread_mutex_unlock(&j->mu);
  return rc;
}

const char *psw__journal_error(const psw_journal_t *j) {
  return j->err;
}

int psw__journal_close(psw_journal_t *j, char *err, size_t errlen) {
  if (!j)
    return 0;
  if (j->started) {
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
  }
  int rc = j->failed ? PSW_ERR_IO : 0;
  if (rc && err)
    snprintf(err, errlen, "%s", j->err);
  if (j->fd >= 0 && close(j->fd) < 0 && !rc) {
    rc = PSW_ERR_IO;
    if (err)
      snprintf(err, errlen, "%s: %s", j->path, strerror(errno));
  }
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->wake);
  pthread_cond_destroy(&j->space);
  free(j->buf);
  free(j->spare);
  free(j->path);
  free(j);
  return rc;
}

/* --- reading ------------------------------------------------------------ */

struct scan {
  const psw_spec_t *spec;
  const uint8_t *hash;
  int (*fn)(const psw_row_t *, void *);
  void *arg;
  psw_journal_scan_t *stats;
  char *err;
  size_t errlen;
  int rc; /* the first error (psw_err_t) */
};

static int scan_file(struct scan *s, const char *path);

/* For psw__outfiles_each, whose -1 means "cannot list": stop with 1. */
static int scan_one(const char *path, void *arg) {
  struct scan *s = arg;
  s->rc = scan_file(s, path);
  return s->rc ? 1 : 0;
}

/* Refuse a record whose checksum holds but whose values cannot be (not a
 * torn tail, which is dropped: dropping it would also drop every record
 * after it, and resuming would silently redo or skip work). */
static int bad_record(struct scan *s, const char *path, uint64_t k,
                      const psw_row_t *row) {
  int n = snprintf(s->err, s->errlen, "%s: record %llu (byte %llu): ", path,
                   (unsigned long long)k,
                   (unsigned long long)(HEADER_SIZE + k * rec_size(s->spec)));
  if (n < 0 || (size_t)n >= s->errlen)
    return PSW_ERR_PARSE;
  if (row->index >= s->spec->total)
    snprintf(s->err + n, s->errlen - (size_t)n,
             "sample index %llu is not below N = %llu",
             (unsigned long long)row->index,
             (unsigned long long)s->spec->total);
  else
    snprintf(s->err + n, s->errlen - (size_t)n, "status %d is not one of 1..%d",
             row->ev.status, PSW_ST_CRASHED);
  n = (int)strlen(s->err);
  snprintf(s->err + n, s->errlen - (size_t)n,
           " (a journal of a newer parsweep, or damaged): cannot resume");
  return PSW_ERR_PARSE;
}

static int scan_file(struct scan *s, const char *path) {
  /* Not through a symlink: what another user planted is not read. */
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
  if (!f) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    snprintf(s->err, s->errlen, "%s: %s", path,
             e == ELOOP ? "is a symbolic link (not made by parsweep): not "
                          "read; remove it"
                        : strerror(e));
    return PSW_ERR_IO;
  }
  s->stats->files++;
  struct header h;
  struct stat st;
  int rc = 0;
  if (fstat(fileno(f), &st) == 0 &&
      (uint64_t)st.st_size < HEADER_SIZE + rec_size(s->spec)) {
    /* Killed (or failed) before its first record: nothing recorded,
     * whatever its header says (the run replaces it). */
    s->stats->dropped_bytes += (uint64_t)st.st_size;
    fclose(f);
    return 0;
  }
  if (fread(&h, sizeof h, 1, f) != 1) {
    snprintf(s->err, s->errlen, "%s: %s", path,
             ferror(f) ? strerror(errno) : "shorter than its header");
    fclose(f);
    return PSW_ERR_IO;
  }
  if ((rc = check_header(&h, path, s->spec, s->hash, s->err, s->errlen))) {
    fclose(f);
    return rc;
  }
  size_t rs = rec_size(s->spec);
  unsigned char *rec = malloc(rs);
  double *values = malloc(rs);
  if (!rec || !values) {
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  uint64_t good = 0;
  psw_row_t row;
  int d = 0;
  while (!rc && fread(rec, rs, 1, f) == 1 &&
         (d = decode(rec, rs, s->spec->total, s->spec->nparams, &row,
                     values)) == 0) {
    good++;
    rc = s->fn(&row, s->arg);
  }
  s->stats->records += good;
  if (!rc && d == -2)
    rc = bad_record(s, path, good, &row);
  if (!rc && fstat(fileno(f), &st) == 0) {
    uint64_t used = HEADER_SIZE + good * rs;
    if ((uint64_t)st.st_size > used)
      s->stats->dropped_bytes += (uint64_t)st.st_size - used;
  }
out:
  free(rec);
  free(values);
  fclose(f);
  return rc;
}

int psw__journal_scan(const char *output, const psw_spec_t *spec,
                      const uint8_t hash[16],
                      int (*fn)(const psw_row_t *row, void *arg), void *arg,
                      psw_journal_scan_t *stats, char *err, size_t errlen) {
  memset(stats, 0, sizeof *stats);
  err[0] = '\0';
  struct scan s = {spec, hash, fn, arg, stats, err, errlen, 0};
  int rc = psw__outfiles_each(output, JOURNAL_PREFIX, scan_one, &s);
  if (s.rc)
    return s.rc;
  if (rc < 0) {
    snprintf(err, errlen, "%s: cannot list its directory: %s", output,
             strerror(errno));
    return PSW_ERR_IO;
  }
  return rc;
}

/* psw__journal_count_recorded / psw__journal_remove_empty. */
struct sizes {
  uint64_t min; /* a header and one record */
  size_t count;
  int remove;
};

static int size_one(const char *path, void *arg) {
  struct sizes *z = arg;
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0;
  /* Anything but a short regular file is left to the run's checks (a
   * symbolic link is refused there, never followed or removed here). */
  int recorded = !S_ISREG(st.st_mode) || (uint64_t)st.st_size >= z->min;
  if (!z->remove)
    z->count += (size_t)recorded;
  else if (!recorded && unlink(path) == 0)
    z->count++;
  return 0;
}

static size_t sizes(const char *output, const psw_spec_t *spec, int remove) {
  struct sizes z = {HEADER_SIZE + rec_size(spec), 0, remove};
  psw__outfiles_each(output, JOURNAL_PREFIX, size_one, &z);
  return z.count;
}

size_t psw__journal_count_recorded(const char *output, const psw_spec_t *spec) {
  return sizes(output, spec, 0);
}

size_t psw__journal_remove_empty(const char *output, const psw_spec_t *spec) {
  return sizes(output, spec, 1);
}
