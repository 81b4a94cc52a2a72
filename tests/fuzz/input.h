/* parsweep fuzz targets — reading a structure-aware input front to back:
 * byte(in) is the next byte, 0 once the input is used up (so that every
 * prefix of an input still describes something). */
#ifndef PSW_FUZZ_INPUT_H
#define PSW_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct in {
  const uint8_t *p;
  size_t n;
};

static inline uint8_t byte(struct in *in) {
  if (!in->n)
    return 0;
  in->n--;
  return *in->p++;
}

#endif
