/* parsweep — option structs that begin with the caller's sizeof (internal).
 *
 * psw_opts_t and psw_for_opts_t start with `size_t struct_size`, set by
 * their init macros to the sizeof the caller was compiled with. Fields are
 * only ever appended, so a program built against an older, smaller struct
 * keeps working with a newer library: the library writes and reads only
 * the bytes that size covers, and every field past them keeps its default
 * (issue 17). Every default is 0. */
#ifndef PSW_CORE_SIZED_H
#define PSW_CORE_SIZED_H

#include <stddef.h>
#include <string.h>

#include "parsweep/error.h"

/* Zero the first `size` bytes of the caller's struct (this library's is
 * `full` bytes) and record `size` as its struct_size: nothing past the
 * caller's struct is written. PSW_ERR_INVAL for NULL or a size that cannot
 * hold the size field itself. */
static inline int psw__sized_init(void *opts, size_t size, size_t full) {
  if (!opts || size < sizeof size)
    return PSW_ERR_INVAL;
  memset(opts, 0, size < full ? size : full);
  memcpy(opts, &size, sizeof size);
  return 0;
}

/* Copy the caller's `src` into `dst`, this library's struct of `full`
 * bytes already holding the defaults: only the bytes src's struct_size
 * covers (0, a struct zeroed by hand: `full`, this header's layout; more
 * than `full`, a newer caller: the fields this library knows). dst's
 * struct_size becomes `full`. PSW_ERR_INVAL for a size between 1 and
 * sizeof(size_t) - 1: not even the size field. */
static inline int psw__sized_read(void *dst, const void *src, size_t full) {
  size_t n;
  memcpy(&n, src, sizeof n);
  if (n == 0)
    n = full;
  if (n < sizeof n)
    return PSW_ERR_INVAL;
  memcpy(dst, src, n < full ? n : full);
  memcpy(dst, &full, sizeof full);
  return 0;
}

#endif /* PSW_CORE_SIZED_H */
