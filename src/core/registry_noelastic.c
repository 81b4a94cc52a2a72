/* parsweep — a build without the elastic backend (PSW_WITH_ELASTIC=OFF). */
#include "internal.h"

const psw_backend_t *psw_backend_elastic(void) {
  return NULL;
}

int psw_elastic_info(const psw_manager_t *mgr, const void **data, size_t *len) {
  (void)mgr;
  (void)data;
  (void)len;
  return PSW_ERR_UNAVAILABLE;
}

int psw_elastic_worker_id(const psw_manager_t *mgr) {
  (void)mgr;
  return PSW_ERR_UNAVAILABLE;
}
