/* parsweep — the `model:` section of a sweep spec.
 *
 * Three kinds, exactly one per spec: command, plugin, server (SPEC §3.1).
 *
 * A command model is an argv template executed directly (never through a
 * shell), so the placeholders are checked here, before anything runs:
 * "{<parameter name>}" and "{index}" are the only ones, and a brace that
 * does not open or close a placeholder is an error (there is no escape;
 * an argument that needs a literal brace can be produced by a wrapper).
 * A server's argv is literal: it is started once per worker and receives
 * the values over its own channel, so it has no placeholders (a brace is
 * just a character, e.g. in `python3 -c CODE`). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "spec_read.h"

enum {
  M_COMMAND,
  M_PLUGIN,
  M_SERVER,
  M_TIMEOUT,
  M_INIT_TIMEOUT,
  M_RETRIES,
  M_ENV,
  M_ISOLATE,
  M_COUNT
};
static const char *const mkeys[M_COUNT] = {
    [M_COMMAND] = "command",
    [M_PLUGIN] = "plugin",
    [M_SERVER] = "server",
    [M_TIMEOUT] = "timeout",
    [M_INIT_TIMEOUT] = "init_timeout",
    [M_RETRIES] = "retries",
    [M_ENV] = "env",
    [M_ISOLATE] = "isolate",
};

/* A server's start-up (build, initialise) until it says "ready", when the
 * spec does not say: generous, as a flowsheet may take minutes, but
 * bounded, so that a server that never answers cannot hold a worker (and
 * its allocation) for ever. */
#define DEFAULT_INIT_TIMEOUT_S 600.0

static int known_placeholder(const psw_spec_t *s, const char *name,
                             size_t len) {
  if (len == 5 && !memcmp(name, "index", 5))
    return 1;
  for (size_t i = 0; i < s->nparams; i++)
    if (strlen(s->params[i].name) == len &&
        !memcmp(s->params[i].name, name, len))
      return 1;
  return 0;
}

static int check_placeholders(psw__spec_rd_t *rd, const char *arg, int line,
                              const char *path) {
  for (const char *c = arg; *c; c++) {
    if (*c == '}')
      return psw__spec_fail(rd, line, path, "unmatched '}' in '%s'", arg);
    if (*c != '{')
      continue;
    const char *end = c + 1;
    while (*end && *end != '}' && *end != '{')
      end++;
    if (*end != '}')
      return psw__spec_fail(rd, line, path, "unmatched '{' in '%s'", arg);
    size_t len = (size_t)(end - c - 1);
    if (!known_placeholder(rd->spec, c + 1, len))
      return psw__spec_fail(rd, line, path,
                            "unknown placeholder {%.*s} (valid: {index} and "
                            "{<parameter name>})",
                            (int)len, c + 1);
    c = end;
  }
  return 0;
}

/* An argv list at model.<key> into *argv / *argc (NULL-terminated); with
 * placeholders checked for a command. */
static int read_argv(psw__spec_rd_t *rd, const yaml_node_t *n, const char *key,
                     int placeholders, char ***argv, size_t *argcp) {
  char kp[PSW__KEYPATH_MAX], ip[PSW__KEYPATH_MAX];
  psw__spec_keypath(kp, "model", key);
  if (n->type != YAML_SEQUENCE_NODE)
    return psw__spec_fail(rd, psw__spec_line(n), kp,
                          "expected a sequence of strings (argv), got %s",
                          psw__spec_what(n));
  size_t argc =
      (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  if (!argc)
    return psw__spec_fail(rd, psw__spec_line(n), kp, "empty %s", key);
  *argv = calloc(argc + 1, sizeof **argv);
  if (!*argv)
    return PSW_ERR_NOMEM;
  for (size_t i = 0; i < argc; i++) {
    yaml_node_t *it = psw__spec_node(rd, n->data.sequence.items.start[i]);
    psw__spec_itempath(ip, kp, i);
    int rc = psw__spec_str(rd, it, ip, &(*argv)[i]);
    if (rc)
      return rc;
    *argcp = i + 1;
    if (i == 0 && !(*argv)[0][0])
      return psw__spec_fail(rd, psw__spec_line(it), ip, "empty program name");
    if (placeholders &&
        (rc = check_placeholders(rd, (*argv)[i], psw__spec_line(it), ip)))
      return rc;
  }
  return 0;
}

static int read_command(psw__spec_rd_t *rd, const yaml_node_t *n) {
  psw_spec_t *s = rd->spec;
  int rc = read_argv(rd, n, "command", 1, &s->command, &s->command_argc);
  if (rc)
    return rc;
  /* {index} would be ambiguous with a parameter called "index". */
  for (size_t i = 0; i < s->nparams; i++)
    if (!strcmp(s->params[i].name, "index"))
      return psw__spec_fail(rd, s->params[i].line, "parameters.index",
                            "the name 'index' is reserved for the {index} "
                            "placeholder of model.command");
  return 0;
}

static int read_env(psw__spec_rd_t *rd, yaml_node_t *n) {
  psw_spec_t *s = rd->spec;
  char kp[PSW__KEYPATH_MAX];
  int rc = psw__spec_map_free_keys(rd, n, "model.env");
  if (rc)
    return rc;
  size_t count =
      (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
  s->env = calloc(count + 1, sizeof *s->env);
  if (!s->env)
    return PSW_ERR_NOMEM;
  for (size_t i = 0; i < count; i++) {
    yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
    const yaml_node_t *k = psw__spec_node(rd, pr->key);
    const char *name = psw__spec_key_text(k);
    psw__spec_keypath(kp, "model.env", name);
    if (strchr(name, '='))
      return psw__spec_fail(rd, psw__spec_line(k), kp,
                            "invalid variable name: contains '='");
    char *v = NULL;
    if ((rc = psw__spec_str(rd, psw__spec_node(rd, pr->value), kp, &v)))
      return rc;
    size_t len = strlen(name) + 1 + strlen(v) + 1;
    s->env[i] = malloc(len);
    if (!s->env[i]) {
      free(v);
      return PSW_ERR_NOMEM;
    }
    snprintf(s->env[i], len, "%s=%s", name, v);
    free(v);
    s->nenv = i + 1;
  }
  return 0;
}

int psw__spec_read_model(psw__spec_rd_t *rd, const psw__spec_kv_t *model) {
  psw_spec_t *s = rd->spec;
  psw__spec_kv_t kv[M_COUNT];
  uint64_t u;
  int rc = psw__spec_map(rd, model->val, "model", mkeys, M_COUNT, kv);
  if (rc)
    return rc;
  int line = psw__spec_line(model->key);
  /* Exactly one kind; the second one given (in key order) is named. */
  static const int kinds[] = {M_COMMAND, M_PLUGIN, M_SERVER};
  const psw__spec_kv_t *first = NULL;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    const psw__spec_kv_t *e = &kv[kinds[k]];
    if (!e->key)
      continue;
    if (first) {
      const psw__spec_kv_t *later =
          psw__spec_line(e->key) >= psw__spec_line(first->key) ? e : first;
      return psw__spec_fail(rd, psw__spec_line(later->key), "model",
                            "both %s and %s given (choose one)",
                            psw__spec_key_text(first->key),
                            psw__spec_key_text(e->key));
    }
    first = e;
  }
  if (!first)
    return psw__spec_fail(rd, line, "model",
                          "needs one of command (an argv list), plugin (a "
                          "shared library) or server (an argv list)");
  if (kv[M_COMMAND].key && (rc = read_command(rd, kv[M_COMMAND].val)))
    return rc;
  if (kv[M_SERVER].key && (rc = read_argv(rd, kv[M_SERVER].val, "server", 0,
                                          &s->server, &s->server_argc)))
    return rc;
  if (kv[M_PLUGIN].key) {
    if ((rc = psw__spec_str(rd, kv[M_PLUGIN].val, "model.plugin", &s->plugin)))
      return rc;
    if (!*s->plugin)
      return psw__spec_fail(rd, psw__spec_line(kv[M_PLUGIN].val),
                            "model.plugin", "empty string");
  }
  if (kv[M_TIMEOUT].key) {
    rc = psw__spec_num(rd, kv[M_TIMEOUT].val, "model.timeout", &s->timeout);
    if (rc)
      return rc;
    if (s->timeout < 0)
      return psw__spec_fail(rd, psw__spec_line(kv[M_TIMEOUT].val),
                            "model.timeout",
                            "negative: %.15g (seconds, 0 = none)", s->timeout);
  }
  s->init_timeout = DEFAULT_INIT_TIMEOUT_S;
  if (kv[M_INIT_TIMEOUT].key) {
    const yaml_node_t *v = kv[M_INIT_TIMEOUT].val;
    if (!kv[M_SERVER].key)
      return psw__spec_fail(rd, psw__spec_line(kv[M_INIT_TIMEOUT].key),
                            "model.init_timeout",
                            "only for a server (the start-up before it is "
                            "ready)");
    rc = psw__spec_num(rd, v, "model.init_timeout", &s->init_timeout);
    if (rc)
      return rc;
    if (s->init_timeout < 0)
      return psw__spec_fail(rd, psw__spec_line(v), "model.init_timeout",
                            "negative: %.15g (seconds, 0 = none)",
                            s->init_timeout);
  }
  if (kv[M_RETRIES].key) {
    rc = psw__spec_uint(rd, kv[M_RETRIES].val, "model.retries", INT_MAX, &u);
    if (rc)
      return rc;
    s->retries = (int)u;
  }
  if (kv[M_ENV].key && (rc = read_env(rd, kv[M_ENV].val)))
    return rc;
  s->isolate = 1;
  if (kv[M_ISOLATE].key) {
    if (!kv[M_PLUGIN].key)
      return psw__spec_fail(rd, psw__spec_line(kv[M_ISOLATE].key),
                            "model.isolate",
                            "only for a plugin (a command or a server always "
                            "runs in a process of its own)");
    if ((rc = psw__spec_bool(rd, kv[M_ISOLATE].val, "model.isolate",
                             &s->isolate)))
      return rc;
  }
  return 0;
}
