/* parsweep — the `outputs:` section of a sweep spec.
 *
 * A sequence of names, or (SPEC 3.0) a mapping name -> {units, full_name}
 * (a null value: neither), as WaterTAP's outputs carry them; both are
 * recorded in /outputs/<name>/units and full_name. */
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "spec_read.h"

/* Names become HDF5 groups and are matched against the model's
 * "name=value" lines: a name with '=' or surrounding blanks could never be
 * matched. */
static int check_output(psw__spec_rd_t *rd, size_t i, int line,
                        const char *ip) {
  const psw_spec_t *s = rd->spec;
  const char *o = s->outputs[i];
  int rc = psw__spec_check_name(rd, o, line, ip, "output");
  if (rc)
    return rc;
  size_t len = strlen(o);
  if (strchr(o, '=') || o[0] == ' ' || o[0] == '\t' || o[len - 1] == ' ' ||
      o[len - 1] == '\t')
    return psw__spec_fail(rd, line, ip,
                          "invalid output name: contains '=' or leading or "
                          "trailing blanks");
  for (size_t j = 0; j < i; j++)
    if (!strcmp(s->outputs[j], o))
      return psw__spec_fail(rd, line, ip, "duplicate output '%s'", o);
  return 0;
}

enum { O_UNITS, O_FULL_NAME, O_COUNT };
static const char *const okeys[O_COUNT] = {
    [O_UNITS] = "units", [O_FULL_NAME] = "full_name"};

/* outputs.<name>: {units: ..., full_name: ...}, either optional. */
static int read_meta(psw__spec_rd_t *rd, yaml_node_t *val, const char *path,
                     size_t i) {
  psw_spec_t *s = rd->spec;
  psw__spec_kv_t kv[O_COUNT];
  char kp[PSW__KEYPATH_MAX];
  char **dst[O_COUNT] = {&s->output_units[i], &s->output_full_names[i]};
  if (psw__spec_is_null(val))
    return 0;
  int rc = psw__spec_map(rd, val, path, okeys, O_COUNT, kv);
  for (int k = 0; !rc && k < O_COUNT; k++) {
    if (!kv[k].key)
      continue;
    psw__spec_keypath(kp, path, okeys[k]);
    rc = psw__spec_str(rd, kv[k].val, kp, dst[k]);
  }
  return rc;
}

int psw__spec_read_outputs(psw__spec_rd_t *rd, const psw__spec_kv_t *outputs) {
  psw_spec_t *s = rd->spec;
  yaml_node_t *n = outputs->val;
  char ip[PSW__KEYPATH_MAX];
  int is_map = n->type == YAML_MAPPING_NODE;
  if (n->type != YAML_SEQUENCE_NODE && !is_map)
    return psw__spec_fail(rd, psw__spec_line(n), "outputs",
                          "expected a sequence of names or a mapping of names "
                          "to {units, full_name}, got %s",
                          psw__spec_what(n));
  int rc = is_map ? psw__spec_map_free_keys(rd, n, "outputs") : 0;
  if (rc)
    return rc;
  size_t count =
      is_map
          ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
          : (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  if (!count)
    return psw__spec_fail(rd, psw__spec_line(outputs->key), "outputs",
                          "empty (at least one output is required)");
  if (count > PSW_SPEC_MAX_VALUES - s->nparams)
    return psw__spec_fail(rd, psw__spec_line(outputs->key), "outputs",
                          "%zu parameters and %zu outputs: at most %d "
                          "together (a sample's values must fit parsweep's "
                          "128 KiB record)",
                          s->nparams, count, PSW_SPEC_MAX_VALUES);
  s->outputs = calloc(count, sizeof *s->outputs);
  if (!s->outputs)
    return PSW_ERR_NOMEM;
  if (is_map) {
    s->output_units = calloc(count, sizeof *s->output_units);
    s->output_full_names = calloc(count, sizeof *s->output_full_names);
    if (!s->output_units || !s->output_full_names)
      return PSW_ERR_NOMEM;
  }
  for (size_t i = 0; i < count; i++) {
    yaml_node_t *it;
    if (is_map) {
      yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
      it = psw__spec_node(rd, pr->key);
      psw__spec_keypath(ip, "outputs", psw__spec_key_text(it));
    } else {
      it = psw__spec_node(rd, n->data.sequence.items.start[i]);
      psw__spec_itempath(ip, "outputs", i);
    }
    /* noutputs counts the entries to free, also on error. */
    s->noutputs = i + 1;
    if ((rc = psw__spec_str(rd, it, ip, &s->outputs[i])) ||
        (rc = check_output(rd, i, psw__spec_line(it), ip)))
      return rc;
    if (is_map &&
        (rc = read_meta(
             rd, psw__spec_node(rd, n->data.mapping.pairs.start[i].value), ip,
             i)))
      return rc;
  }
  return 0;
}
