/* parsweep — named shared-memory groups (see named.h). */
#include "shm/named.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int psw__shm_named_create(int n, size_t slot_bytes, int ncpus,
                          char name[PSW_SHM_NAME_MAX],
                          struct psw_shm_group **out) {
  uint64_t rnd = 0;
  if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
    rnd ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&rnd;
  const char *job = getenv("SLURM_JOB_ID");
  snprintf(name, PSW_SHM_NAME_MAX, "/psw-%u-%lu-%d-%016llx", (unsigned)getuid(),
           job ? strtoul(job, NULL, 10) : 0ul, (int)getpid(),
           (unsigned long long)rnd);
  size_t bytes = psw__shm_group_bytes(n, slot_bytes);
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    PSW_ERROR("shm_open %s: %s", name, strerror(errno));
    return PSW_ERR_SYS;
  }
  void *mem = MAP_FAILED;
  if (ftruncate(fd, (off_t)bytes) == 0)
    mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int e = errno;
  close(fd);
  if (mem == MAP_FAILED) {
    PSW_ERROR("shared memory %s of %zu bytes: %s", name, bytes, strerror(e));
    shm_unlink(name);
    return PSW_ERR_SYS;
  }
  psw__shm_group_init(mem, n, slot_bytes, ncpus);
  *out = mem;
  return 0;
}

int psw__shm_named_attach(const char *name, struct psw_shm_group **out) {
  int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    PSW_ERROR("shm_open %s: %s", name, strerror(errno));
    return PSW_ERR_SYS;
  }
  struct stat sb;
  void *mem = MAP_FAILED;
  if (fstat(fd, &sb) == 0)
    mem = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
               0);
  int e = errno;
  close(fd);
  if (mem == MAP_FAILED) {
    PSW_ERROR("mmap of %s: %s", name, strerror(e));
    return PSW_ERR_SYS;
  }
  psw__shm_mb_register(); /* this process signals the group's flags */
  *out = mem;
  return 0;
}

void psw__shm_named_unlink(const char *name) {
  shm_unlink(name);
}

int psw__shm_named_reap(void) {
  DIR *d = opendir("/dev/shm");
  if (!d)
    return 0;
  char mine[32];
  int n = snprintf(mine, sizeof mine, "psw-%u-", (unsigned)getuid()),
      reaped = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    unsigned long job;
    int pid, used = 0;
    char name[300];
    if (strncmp(e->d_name, mine, (size_t)n) ||
        sscanf(e->d_name + n, "%lu-%d-%*16[0-9a-f]%n", &job, &pid, &used) !=
            2 ||
        e->d_name[n + used] != '\0' || pid <= 0)
      continue;
    if (kill(pid, 0) == 0 || errno != ESRCH)
      continue; /* alive (or not ours to ask): in use */
    snprintf(name, sizeof name, "/%s", e->d_name);
    if (shm_unlink(name) == 0)
      reaped++;
  }
  closedir(d);
  if (reaped)
    PSW_INFO("removed %d shared-memory name(s) of killed runs from /dev/shm",
             reaped);
  return reaped;
}
