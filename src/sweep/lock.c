/* parsweep — the output lock (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfiles.h"
#include "parsweep/error.h"

int psw__lock_output(const char *output, psw_lock_t *lk, char *err,
                     size_t errlen) {
  lk->fd = -1;
  if (!(lk->path = psw__outfile(output, ".lock")))
    return PSW_ERR_NOMEM;
  /* The previous holder unlinks the file when it is done: if we locked a
   * file that is no longer at the path, lock the new one instead. */
  for (int tries = 0; tries < 16; tries++) {
    /* Never through a symlink (another user's, planted beside a shared
     * output: a dangling one would create its target), never truncated:
     * the lock file is only ever locked and, by its holder, unlinked. */
    int fd = open(lk->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == ELOOP)
        snprintf(err, errlen,
                 "%s: is a symbolic link (not made by parsweep): refusing to "
                 "lock through it; remove it",
                 lk->path);
      else
        snprintf(err, errlen, "%s: cannot create the lock file: %s", lk->path,
                 strerror(errno));
      break;
    }
    struct stat own;
    if (fstat(fd, &own) != 0 || !S_ISREG(own.st_mode)) {
      snprintf(err, errlen,
               "%s: not a regular file (not made by parsweep): refusing to "
               "lock it; remove it",
               lk->path);
      close(fd);
      break;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) < 0) {
      int e = errno;
      struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
      if (fcntl(fd, F_GETLK, &who) < 0 || who.l_type == F_UNLCK)
        who.l_pid = 0;
      close(fd);
      if (e == EACCES || e == EAGAIN) {
        snprintf(err, errlen,
                 "%s is in use by another parsweep run (pid %d); it is not "
                 "touched",
                 output, (int)who.l_pid);
        free(lk->path);
        lk->path = NULL;
        return PSW_ERR_BUSY;
      }
      snprintf(err, errlen, "%s: cannot lock: %s", lk->path, strerror(e));
      break;
    }
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(lk->path, &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev) {
      lk->fd = fd;
      return 0;
    }
    close(fd);
  }
  free(lk->path);
  lk->path = NULL;
  if (!err[0])
    snprintf(err, errlen, "%s: cannot take the lock", output);
  return PSW_ERR_IO;
}

void psw__unlock_output(psw_lock_t *lk) {
  if (lk->fd >= 0) {
    unlink(lk->path); /* while still holding it: see psw__lock_output */
    close(lk->fd);
    lk->fd = -1;
  }
  free(lk->path);
  lk->path = NULL;
}
