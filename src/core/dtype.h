/* parsweep — element types and reduction operators (internal, pure). */
#ifndef PSW_DTYPE_H
#define PSW_DTYPE_H

#include <stddef.h>

#include "parsweep/collectives.h"

/* Non-zero when `type` is a known type and `op` a known operator that
 * applies to it (no arithmetic on PSW_BYTE). */
int psw__op_valid(psw_type_t type, psw_op_t op);

/* acc[i] = acc[i] op in[i] for i < count. Pure; no allocation. */
void psw__op_apply(void *acc, const void *in, size_t count, psw_type_t type,
                   psw_op_t op);

#endif /* PSW_DTYPE_H */
