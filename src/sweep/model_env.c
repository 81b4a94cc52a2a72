/* parsweep — the command model's environment: the program found on the
 * child's PATH at open, and the environment snapshot each sample's
 * process gets (the parent's, the spec's env, PARSWEEP_WORKER/RANK and the
 * per-sample PARSWEEP_INDEX slot); the server kind's environment too
 * (the same rules, one process for many samples). Apart from supervision
 * (model_cmd.c, model_server.c): it is computed once, at open. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "model_cmd.h"
#include "parsweep/error.h"

extern char **environ;

/* --- open: executable and environment ----------------------------------- */

static int is_exec_file(const char *path) {
  struct stat st;
  return access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* execvp's search, done once at open so that a missing command is an open
 * error rather than N failed samples. PATH is the child's (spec->env may set
 * it), else the default of confstr(_CS_PATH). Returns a malloc'd path or
 * NULL. */
char *psw__model_resolve(const char *name, const char *path_env) {
  if (strchr(name, '/'))
    return is_exec_file(name) ? strdup(name) : NULL;
  char defpath[256];
  if (!path_env) {
    size_t n = confstr(_CS_PATH, defpath, sizeof defpath);
    path_env = (n > 0 && n <= sizeof defpath) ? defpath : "/bin:/usr/bin";
  }
  size_t nlen = strlen(name);
  for (const char *d = path_env;; d++) {
    const char *e = strchrnul(d, ':');
    size_t dlen = (size_t)(e - d);
    /* An empty entry means the current directory, as for execvp. */
    char *cand = malloc(dlen + nlen + 3);
    if (!cand)
      return NULL;
    if (dlen == 0)
      memcpy(cand, ".", (dlen = 1));
    else
      memcpy(cand, d, dlen);
    cand[dlen] = '/';
    memcpy(cand + dlen + 1, name, nlen + 1);
    if (is_exec_file(cand))
      return cand;
    free(cand);
    if (*e == '\0')
      return NULL;
    d = e;
  }
}

static int key_eq(const char *a, const char *b) {
  size_t n = strcspn(a, "=");
  return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* An entry of the parent's environment replaced by spec->env or ours. */
static int overridden(const psw_spec_t *spec, const char *e) {
  static const char *const ours[] = {
      "PARSWEEP_INDEX=", "PARSWEEP_WORKER=", "PARSWEEP_RANK="};
  for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
    if (key_eq(e, ours[i]))
      return 1;
  }
  for (size_t i = 0; spec->env && i < spec->nenv && spec->env[i]; i++) {
    if (key_eq(e, spec->env[i]))
      return 1;
  }
  return 0;
}

/* The snapshot environment: parent's, then spec->env (last of a repeated
 * key wins), then PARSWEEP_WORKER/RANK and the per-sample index slot. */
int psw__cmd_env(const psw_spec_t *spec, int worker, int rank, char *index_slot,
                 char ***envp, size_t *nowned, char *err, size_t errlen) {
  size_t nparent = 0, nspec = 0;
  for (char **e = environ; e && *e; e++)
    nparent++;
  for (size_t i = 0; spec->env && i < spec->nenv && spec->env[i]; i++) {
    if (!strchr(spec->env[i], '=') || spec->env[i][0] == '=')
      return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                             "command %s: env entry \"%s\" is not KEY=VALUE",
                             spec->command[0], spec->env[i]);
    nspec++;
  }
  size_t n = 0;
  char **ev = calloc(nparent + nspec + 4, sizeof *ev);
  *envp = ev;
  if (!ev)
    goto nomem;
  for (char **e = environ; e && *e; e++) {
    if (!overridden(spec, *e) && !(ev[n++] = strdup(*e)))
      goto nomem;
  }
  for (size_t i = 0; i < nspec; i++) {
    int later = 0;
    for (size_t j = i + 1; j < nspec && !later; j++)
      later = key_eq(spec->env[i], spec->env[j]);
    if (!later && !(ev[n++] = strdup(spec->env[i])))
      goto nomem;
  }
  char tmp[64];
  snprintf(tmp, sizeof tmp, "PARSWEEP_WORKER=%d", worker);
  if (!(ev[n++] = strdup(tmp)))
    goto nomem;
  snprintf(tmp, sizeof tmp, "PARSWEEP_RANK=%d", rank);
  if (!(ev[n++] = strdup(tmp)))
    goto nomem;
  *nowned = n;
  ev[n] = index_slot;
  return 0;
nomem:
  *nowned = n; /* what was copied is freed by psw__cmd_close (the failed
                  slot is NULL) */
  return psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                         "command %s: out of memory", spec->command[0]);
}

const char *psw__cmd_env_get(char **envp, const char *key) {
  size_t n = strlen(key);
  for (char **e = envp; *e; e++) {
    if (!strncmp(*e, key, n) && (*e)[n] == '=')
      return *e + n + 1;
  }
  return NULL;
}

/* The server kind's environment (model_server.c): ours, then spec->env (a
 * repeated key: the last), then PARSWEEP_WORKER, PARSWEEP_RANK and
 * PARSWEEP_SERVER_FD. PARSWEEP_INDEX is never set (a server serves many
 * samples), not even one inherited. */
int psw__srv_env(const psw_spec_t *spec, int worker, int rank, char ***envp) {
  char ours[4][64];
  snprintf(ours[0], sizeof ours[0], "PARSWEEP_WORKER=%d", worker);
  snprintf(ours[1], sizeof ours[1], "PARSWEEP_RANK=%d", rank);
  snprintf(ours[2], sizeof ours[2], "PARSWEEP_SERVER_FD=3");
  snprintf(ours[3], sizeof ours[3], "PARSWEEP_INDEX=");
  size_t n = 0;
  for (char **e = environ; e && *e; e++)
    n++;
  char **ev = calloc(n + spec->nenv + 4, sizeof *ev);
  *envp = ev;
  if (!ev)
    return -1;
  size_t k = 0;
  for (char **e = environ; e && *e; e++) {
    int skip = 0;
    for (int j = 0; j < 4 && !skip; j++)
      skip = key_eq(ours[j], *e);
    for (size_t j = 0; j < spec->nenv && !skip; j++)
      skip = key_eq(spec->env[j], *e);
    if (!skip && !(ev[k++] = strdup(*e)))
      return -1;
  }
  for (size_t i = 0; i < spec->nenv; i++) {
    int later = 0;
    for (size_t j = i + 1; j < spec->nenv && !later; j++)
      later = key_eq(spec->env[i], spec->env[j]);
    if (!later && !(ev[k++] = strdup(spec->env[i])))
      return -1;
  }
  for (int j = 0; j < 3; j++)
    if (!(ev[k++] = strdup(ours[j])))
      return -1;
  return 0;
}
