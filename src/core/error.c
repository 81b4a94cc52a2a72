/* parsweep — error messages, generated from the one table in error.h. */
#include "parsweep/error.h"

const char *psw_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define PSW__ERR_MSG(name, value, msg)                                         \
  case value:                                                                  \
    return msg;
    PSW_ERRNO_MAP(PSW__ERR_MSG)
#undef PSW__ERR_MSG
  default:
    return "unknown error";
  }
}

const char *psw_err_name(int err) {
  switch (err) {
  case 0:
    return "OK";
#define PSW__ERR_NAME(name, value, msg)                                        \
  case value:                                                                  \
    return #name;
    PSW_ERRNO_MAP(PSW__ERR_NAME)
#undef PSW__ERR_NAME
  default:
    return "UNKNOWN";
  }
}
