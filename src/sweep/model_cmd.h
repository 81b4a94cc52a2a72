/* parsweep — the command model's pieces apart from its supervision
 * (model_cmd.c): the argv templates (model_argv.c, pure) and the
 * environment (model_env.c, the server kind's too). Internal to
 * src/sweep. */
#ifndef PSW_SWEEP_MODEL_CMD_H
#define PSW_SWEEP_MODEL_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* --- model_argv.c -------------------------------------------------------- */

/* Every argument is non-NULL and every placeholder names a parameter or
 * "index": 0, else PSW_ERR_INVAL with err naming the command, the
 * argument and the placeholder. The loader checks it already; a spec
 * built by other code is checked at open. */
int psw__cmd_argv_check(const psw_spec_t *spec, char *err, size_t errlen);
/* argv (NULL-terminated) for sample index with params: "{index}" is the
 * index, "{name}" the parameter as "%.17g" in the C locale, other text
 * kept. Arguments without placeholders are spec->command's own strings.
 * NULL when out of memory, or with *unknown set for an unknown
 * placeholder. Free with psw__cmd_argv_free. */
char **psw__cmd_argv(const psw_spec_t *spec, uint64_t index,
                     const double *params, int *unknown);
void psw__cmd_argv_free(const psw_spec_t *spec, char **argv);

/* --- model_env.c --------------------------------------------------------- */

/* The environment of each sample: the parent's, then spec->env (KEY=VALUE;
 * the last of a repeated key wins), then PARSWEEP_WORKER and PARSWEEP_RANK,
 * then index_slot (the caller's "PARSWEEP_INDEX=<n>" buffer, updated per
 * sample). *envp gets the array, NULL-terminated; its first *nowned entries
 * are malloc'd. On an error (PSW_ERR_INVAL for a bad env entry,
 * PSW_ERR_NOMEM) err says why, and *envp, if set, is freed by the caller
 * like on success. */
int psw__cmd_env(const psw_spec_t *spec, int worker, int rank, char *index_slot,
                 char ***envp, size_t *nowned, char *err, size_t errlen);
/* The value of key in envp, or NULL. */
const char *psw__cmd_env_get(char **envp, const char *key);
/* The server kind's: the parent's, then spec->env (the last of a repeated
 * key), then PARSWEEP_WORKER, PARSWEEP_RANK and PARSWEEP_SERVER_FD=3;
 * PARSWEEP_INDEX never, not even inherited. *envp gets the array, every
 * entry malloc'd (also on an error: the caller frees it). 0, or -1 when
 * out of memory. */
int psw__srv_env(const psw_spec_t *spec, int worker, int rank, char ***envp);

#endif /* PSW_SWEEP_MODEL_CMD_H */
