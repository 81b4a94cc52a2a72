/* parsweep — the public face of pmix/'s discovery and plan
 * (parsweep/topology.h), with this library's backends. */
#include "plan.h"
#include "registry.h"
#include "topo.h"

int psw_topo_discover(psw_topo_t *t, char *err, size_t errlen) {
  return psw__topo_discover(t, err, errlen);
}

int psw_topo_describe(const char *desc, int rank, psw_topo_t *t, char *err,
                      size_t errlen) {
  return psw__topo_synthetic(desc, rank, t, err, errlen);
}

void psw_topo_fini(psw_topo_t *t) {
  psw__topo_fini(t);
}

const char *psw_topo_source_name(psw_topo_src_t src) {
  return psw__topo_src_name(src);
}

const char *psw_topo_fact_name(psw_topo_fact_t f) {
  return psw__topo_fact_name(f);
}

char *psw_topo_format_list(const int *v, int n, char *buf, size_t len) {
  return psw__topo_format_list(v, n, buf, len);
}

int psw_plan(const psw_topo_t *t, const char *requested, int jobs,
             psw_plan_t *out) {
  int rc = psw__plan(t, requested, jobs, psw__registry_have(), out);
  if (!rc) {
    const struct psw_backend_entry *e = psw__registry_find(out->backend);
    out->desc = out->available && e ? e->be : NULL;
  }
  return rc;
}
