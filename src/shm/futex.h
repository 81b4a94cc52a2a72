/* parsweep — waiting on a 32-bit word in (possibly shared) memory. */
#ifndef PSW_SHM_FUTEX_H
#define PSW_SHM_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

/* Sleep while *word == expected, at most timeout_ns (0 = forever). Works
 * across processes for MAP_SHARED memory. Spurious returns are allowed:
 * callers re-check their condition. */
void psw__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                     int64_t timeout_ns);

/* Wake every sleeper on word. */
void psw__futex_wake_all(_Atomic uint32_t *word);

/* A pause instruction for spin loops. */
static inline void psw__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#endif /* PSW_SHM_FUTEX_H */
