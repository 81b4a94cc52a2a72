/* parsweep — element types and reduction operators. */
#include "core/dtype.h"

#include <stdint.h>

size_t psw_type_size(psw_type_t type) {
  switch (type) {
  case PSW_INT32:
    return 4;
  case PSW_INT64:
  case PSW_UINT64:
  case PSW_DOUBLE:
    return 8;
  case PSW_BYTE:
    return 1;
  }
  return 0;
}

int psw__op_valid(psw_type_t type, psw_op_t op) {
  if (psw_type_size(type) == 0 || type == PSW_BYTE)
    return 0;
  return op == PSW_SUM || op == PSW_MIN || op == PSW_MAX || op == PSW_PROD;
}

/* One loop per (type, op) so that the compiler vectorises each; signed
 * overflow is avoided by summing in the unsigned type (wrap-around, as
 * MPI implementations do in practice). */
#define PSW__APPLY(T, UT)                                                      \
  do {                                                                         \
    T *a = acc;                                                                \
    const T *b = in;                                                           \
    switch (op) {                                                              \
    case PSW_SUM:                                                              \
      for (size_t i = 0; i < count; i++)                                       \
        a[i] = (T)((UT)a[i] + (UT)b[i]);                                       \
      break;                                                                   \
    case PSW_PROD:                                                             \
      for (size_t i = 0; i < count; i++)                                       \
        a[i] = (T)((UT)a[i] * (UT)b[i]);                                       \
      break;                                                                   \
    case PSW_MIN:                                                              \
      for (size_t i = 0; i < count; i++)                                       \
        a[i] = b[i] < a[i] ? b[i] : a[i];                                      \
      break;                                                                   \
    case PSW_MAX:                                                              \
      for (size_t i = 0; i < count; i++)                                       \
        a[i] = b[i] > a[i] ? b[i] : a[i];                                      \
      break;                                                                   \
    }                                                                          \
  } while (0)

void psw__op_apply(void *acc, const void *in, size_t count, psw_type_t type,
                   psw_op_t op) {
  switch (type) {
  case PSW_INT32:
    PSW__APPLY(int32_t, uint32_t);
    break;
  case PSW_INT64:
    PSW__APPLY(int64_t, uint64_t);
    break;
  case PSW_UINT64:
    PSW__APPLY(uint64_t, uint64_t);
    break;
  case PSW_DOUBLE:
    PSW__APPLY(double, double);
    break;
  case PSW_BYTE:
    break;
  }
}
