/* parsweep — the worker context: who am I inside a region. */
#include <sched.h>
#include <string.h>

#include "internal.h"

void psw__ctx_init(psw_ctx_t *c, psw_manager_t *m, int rank, int size) {
  memset(c, 0, sizeof *c);
  c->mgr = m;
  c->rank = rank;
  c->size = size;
  c->num_nodes = 1;
  c->local_rank = rank;
  c->local_size = size;
}

int psw__available_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return n;
  }
  return 1;
}

int psw_rank(const psw_ctx_t *ctx) {
  return ctx ? ctx->rank : -1;
}
int psw_size(const psw_ctx_t *ctx) {
  return ctx ? ctx->size : 0;
}
int psw_is_root(const psw_ctx_t *ctx) {
  return ctx && ctx->rank == 0;
}
int psw_node_id(const psw_ctx_t *ctx) {
  return ctx ? ctx->node_id : -1;
}
int psw_num_nodes(const psw_ctx_t *ctx) {
  return ctx ? ctx->num_nodes : 0;
}
int psw_local_rank(const psw_ctx_t *ctx) {
  return ctx ? ctx->local_rank : -1;
}
int psw_local_size(const psw_ctx_t *ctx) {
  return ctx ? ctx->local_size : 0;
}
psw_manager_t *psw_ctx_manager(const psw_ctx_t *ctx) {
  return ctx ? ctx->mgr : NULL;
}

int psw_available_cpus(void) {
  return psw__available_cpus();
}
