/* parsweep — named shared-memory groups (see named.h). */
#include "shm/named.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
  snprintf(name, PSW_SHM_NAME_MAX, "/psw-%u-%d-%016llx", (unsigned)getuid(),
           (int)getpid(), (unsigned long long)rnd);
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
  *out = mem;
  return 0;
}

void psw__shm_named_unlink(const char *name) {
  shm_unlink(name);
}
