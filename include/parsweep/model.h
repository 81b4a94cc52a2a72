/* parsweep — the C plugin model ABI.
 *
 * A plugin is a shared object named in the spec (`model: {plugin: ./libm.so}`)
 * that exports one function, psw_model_entry, returning a static description
 * of the model. parsweep dlopen()s it in every worker, calls init once per
 * worker (expensive set-up goes there), eval once per sample, and fini when
 * the worker ends. On the fork backend a plugin that crashes takes only its
 * worker process down.
 *
 * The ABI is versioned: a plugin sets abi_version = PSW_MODEL_ABI_VERSION of
 * the header it was built with; parsweep refuses a version it does not know.
 * Fields are only ever appended. */
#ifndef PARSWEEP_MODEL_H
#define PARSWEEP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PSW_MODEL_ABI_VERSION 1u

/* What a worker tells the model at init. Valid until fini. */
typedef struct psw_model_info {
  uint32_t abi_version;
  size_t nparams; /* parameters, in spec order */
  const char *const *param_names;
  size_t noutputs; /* outputs the model must fill, in order */
  const char *const *output_names;
  int worker;            /* global worker id */
  int rank;              /* rank of the process running it */
  const char *spec_path; /* the YAML file, for models that read it */
} psw_model_info_t;

typedef struct psw_model {
  uint32_t abi_version; /* = PSW_MODEL_ABI_VERSION */
  const char *name;     /* for logs */
  /* Once per worker before its first sample. Store per-worker state in
   * *state. Return 0, or non-zero to stop the sweep before it starts, with
   * an error that names the plugin (fini is not called then). May be
   * NULL. */
  int (*init)(const psw_model_info_t *info, void **state);
  /* Evaluate one sample: params[nparams] in, outputs[noutputs] out (they
   * arrive as NaN; leave NaN for an output you cannot compute). Return 0 on
   * success; non-zero marks the sample failed (status 2) with that value as
   * its exit code. Called from one thread per state at a time. */
  int (*eval)(void *state, uint64_t index, const double *params,
              double *outputs);
  /* Once per worker after its last sample. May be NULL. */
  void (*fini)(void *state);
} psw_model_t;

/* The one symbol a plugin exports. Declared here with default visibility
 * so that a plugin built with -fvisibility=hidden still exports it. */
typedef const psw_model_t *(*psw_model_entry_fn)(void);
#define PSW_MODEL_ENTRY_SYMBOL "psw_model_entry"
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
const psw_model_t *psw_model_entry(void);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_MODEL_H */
