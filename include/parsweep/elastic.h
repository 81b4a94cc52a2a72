/* parsweep — what only the elastic backend has (docs/elastic.md).
 *
 * A head (psw_create_parallel_manager with "elastic" and no
 * opts.elastic_connect) listens and hands work to the workers that join it;
 * a worker connects to the endpoint file the head wrote. Its options are
 * the elastic_* fields of psw_opts_t (manager.h). The first two functions
 * below return PSW_ERR_INVAL on a manager of another backend
 * (PSW_ERR_UNAVAILABLE in a library built without elastic): a program asks
 * psw_manager_caps() for PSW_CAP_DYNAMIC_MEMBERS rather than a name. */
#ifndef PARSWEEP_ELASTIC_H
#define PARSWEEP_ELASTIC_H

#include <stddef.h>

#include "export.h"
#include "manager.h"

#ifdef __cplusplus
extern "C" {
#endif

/* elastic worker: the bytes the head gave in opts.elastic_info, valid
 * while the manager lives. PSW_ERR_INVAL on a head or another backend. */
PSW_EXTERN int psw_elastic_info(const psw_manager_t *mgr, const void **data,
                                size_t *len);

/* elastic worker: the id the head gave it when it joined, the N of the
 * head's log lines "elastic: worker N ..." (1, 2, ... in order of joining,
 * never reused while the head lives). PSW_ERR_INVAL on a head or another
 * backend. The sweep records it as the sample's worker (docs/elastic.md). */
PSW_EXTERN int psw_elastic_worker_id(const psw_manager_t *mgr);

/* 1 when the endpoint file at `path` says its head's sweep has ended (the
 * head keeps the file, without its keys, so that a worker that comes later
 * exits 0 saying so instead of failing to connect); 0 otherwise (no file, a
 * live head's file). Works in every build, elastic or not. */
PSW_EXTERN int psw_elastic_endpoint_ended(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_ELASTIC_H */
