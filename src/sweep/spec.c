/* parsweep — sweep specification: loading, the top-level keys, freeing.
 *
 * The file is read whole (its bytes are recorded in results.h5), parsed
 * into a libyaml document, and walked section by section; the sections live
 * in spec_params.c and spec_model.c, the typed-scalar helpers in
 * spec_read.c. Nothing is half-accepted: any error frees the partial spec. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "spec.h"
#include "spec_diff.h"
#include "spec_read.h"

/* A spec is a small text file; the bound keeps a wrong path (a results
 * file, /dev/zero) from being read into memory whole. A large
 * PredeterminedRandomSample array still fits comfortably. */
#define SPEC_MAX_BYTES ((size_t)256 << 20)

static void free_strv(char **v, size_t n) {
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void psw__spec_free(psw_spec_t *spec) {
  if (!spec)
    return;
  free(spec->path);
  free(spec->text);
  free(spec->name);
  free(spec->backend);
  free(spec->output);
  for (size_t i = 0; i < spec->nparams; i++) {
    psw_param_t *p = &spec->params[i];
    free(p->name);
    free(p->full_name);
    free(p->units);
    free(p->array);
    free(p->set_mode);
  }
  free(spec->params);
  free(spec->params_file);
  free(spec->params_text);
  free_strv(spec->outputs, spec->noutputs);
  free_strv(spec->output_units, spec->output_units ? spec->noutputs : 0);
  free_strv(spec->output_full_names,
            spec->output_full_names ? spec->noutputs : 0);
  free(spec->csv_file);
  free(spec->h5_parent);
  free_strv(spec->command, spec->command_argc);
  free(spec->plugin);
  free_strv(spec->server, spec->server_argc);
  free_strv(spec->env, spec->nenv);
  psw__spec_diff_free(spec->diff);
  free(spec);
}

enum {
  T_NAME,
  T_SEED,
  T_NUM_SAMPLES,
  T_BACKEND,
  T_NPROC,
  T_OUTPUT,
  T_PARAMETERS,
  T_OUTPUTS,
  T_MODEL,
  T_CSV,
  T_H5_PARENT,
  T_NUM_DIFF,
  T_DIFF,
  T_NUM_SUCCESSES,
  T_MAX_SAMPLES,
  T_COUNT
};
static const char *const top_keys[T_COUNT] = {
    [T_NAME] = "name",
    [T_SEED] = "seed",
    [T_NUM_SAMPLES] = "num_samples",
    [T_BACKEND] = "parallel_back_end",
    [T_NPROC] = "number_of_subprocesses",
    [T_OUTPUT] = "output",
    [T_PARAMETERS] = "parameters",
    [T_OUTPUTS] = "outputs",
    [T_MODEL] = "model",
    [T_CSV] = "csv_results_file_name",
    [T_H5_PARENT] = "h5_parent_group_name",
    [T_NUM_DIFF] = "num_diff_samples",
    [T_DIFF] = "differential",
    [T_NUM_SUCCESSES] = "num_successes",
    [T_MAX_SAMPLES] = "max_samples",
};

static int nonempty_str(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                        const char *key, char **out) {
  int rc = psw__spec_str(rd, kv->val, key, out);
  if (!rc && !**out)
    rc = psw__spec_fail(rd, psw__spec_line(kv->val), key, "empty string");
  return rc;
}

/* WaterTAP's writer options. The parent group becomes an HDF5 group
 * beside /parsweep: a name HDF5 can hold, and not "parsweep" itself. */
static int read_writer_keys(psw__spec_rd_t *rd, const psw__spec_kv_t *kv) {
  psw_spec_t *s = rd->spec;
  int rc = 0;
  if (kv[T_CSV].key &&
      (rc = nonempty_str(rd, &kv[T_CSV], top_keys[T_CSV], &s->csv_file)))
    return rc;
  if (!kv[T_H5_PARENT].key)
    return 0;
  const char *key = top_keys[T_H5_PARENT];
  int line = psw__spec_line(kv[T_H5_PARENT].val);
  if ((rc = psw__spec_str(rd, kv[T_H5_PARENT].val, key, &s->h5_parent)) ||
      (rc = psw__spec_check_name(rd, s->h5_parent, line, key, "group")))
    return rc;
  if (!strcmp(s->h5_parent, "parsweep"))
    return psw__spec_fail(rd, line, key,
                          "'parsweep' is parsweep's own group at the root");
  return 0;
}

/* The CSV header separates names with commas: a name holding one would
 * shift every column after it for whoever reads the file. */
static int check_csv_names(psw__spec_rd_t *rd, const psw__spec_kv_t *csv) {
  const psw_spec_t *s = rd->spec;
  if (!csv->key)
    return 0;
  for (size_t i = 0; i < s->nparams + s->noutputs; i++) {
    const char *n =
        i < s->nparams ? s->params[i].name : s->outputs[i - s->nparams];
    if (strchr(n, ','))
      return psw__spec_fail(rd, psw__spec_line(csv->key), top_keys[T_CSV],
                            "the name '%s' contains a comma (the CSV header "
                            "separates names with commas)",
                            n);
  }
  return 0;
}

static int read_top(psw__spec_rd_t *rd, yaml_node_t *root) {
  psw_spec_t *s = rd->spec;
  psw__spec_kv_t kv[T_COUNT];
  uint64_t u;
  int rc = psw__spec_map(rd, root, "", top_keys, T_COUNT, kv);
  if (rc)
    return rc;
  for (int k = T_PARAMETERS; k <= T_MODEL; k++)
    if (!kv[k].key)
      return psw__spec_fail(rd, psw__spec_line(root), top_keys[k],
                            "missing (required key)");

  if (kv[T_NAME].key &&
      (rc = psw__spec_str(rd, kv[T_NAME].val, "name", &s->name)))
    return rc;
  if (kv[T_SEED].key &&
      (rc = psw__spec_uint(rd, kv[T_SEED].val, "seed", UINT64_MAX, &s->seed)))
    return rc;
  if (kv[T_NUM_SAMPLES].key) {
    rc = psw__spec_uint(rd, kv[T_NUM_SAMPLES].val, "num_samples", UINT64_MAX,
                        &s->num_samples);
    if (rc)
      return rc;
    if (s->num_samples == 0)
      return psw__spec_fail(rd, psw__spec_line(kv[T_NUM_SAMPLES].val),
                            "num_samples", "must be at least 1");
  }
  if (kv[T_BACKEND].key &&
      (rc = nonempty_str(rd, &kv[T_BACKEND], "parallel_back_end", &s->backend)))
    return rc;
  if (kv[T_NPROC].key) {
    rc = psw__spec_uint(rd, kv[T_NPROC].val, "number_of_subprocesses",
                        INT32_MAX, &u);
    if (rc)
      return rc;
    s->num_workers = (int)u;
  }
  if (kv[T_OUTPUT].key)
    rc = nonempty_str(rd, &kv[T_OUTPUT], "output", &s->output);
  else
    rc = psw__spec_dup("results.h5", strlen("results.h5"), &s->output);
  if (rc)
    return rc;

  if ((rc = read_writer_keys(rd, kv)))
    return rc;

  int ns_line =
      kv[T_NUM_SAMPLES].key ? psw__spec_line(kv[T_NUM_SAMPLES].val) : 0;
  /* The bounds on N and on the values per sample need the number of
   * outputs, which are read after the parameters. */
  const yaml_node_t *on = kv[T_OUTPUTS].val;
  if (on->type == YAML_SEQUENCE_NODE)
    rd->noutputs =
        (size_t)(on->data.sequence.items.top - on->data.sequence.items.start);
  else if (on->type == YAML_MAPPING_NODE)
    rd->noutputs =
        (size_t)(on->data.mapping.pairs.top - on->data.mapping.pairs.start);
  if ((rc = psw__spec_read_params(rd, &kv[T_PARAMETERS], ns_line)))
    return rc;
  if ((rc = psw__spec_read_outputs(rd, &kv[T_OUTPUTS])))
    return rc;
  if ((rc = psw__spec_read_recursive(rd, &kv[T_NUM_SUCCESSES],
                                     &kv[T_MAX_SAMPLES])))
    return rc;
  if ((rc = check_csv_names(rd, &kv[T_CSV])))
    return rc;
  if ((rc = psw__spec_read_diff(rd, &kv[T_NUM_DIFF], &kv[T_DIFF])))
    return rc;
  return psw__spec_read_model(rd, &kv[T_MODEL]);
}

static int parse_doc(psw__spec_rd_t *rd, const char *text, size_t len) {
  yaml_document_t doc;
  int rc = psw__spec_load_doc(rd, text, len, &doc);
  if (rc)
    return rc;
  rd->doc = &doc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root)
    rc = psw__spec_fail(rd, 1, "(root)",
                        "empty file (expected a mapping with parameters, "
                        "outputs and model)");
  else if (root->type != YAML_MAPPING_NODE)
    rc = psw__spec_fail(rd, psw__spec_line(root), "(root)",
                        "expected a mapping, got %s", psw__spec_what(root));
  else
    rc = read_top(rd, root);
  yaml_document_delete(&doc);
  rd->doc = NULL;
  return rc;
}

int psw__spec_parse(const char *path, const char *text, size_t len,
                    psw_spec_t **out, char *err, size_t errlen) {
  if (!path || !text || !out)
    return PSW_ERR_INVAL;
  *out = NULL;
  if (err && errlen)
    err[0] = '\0';
  psw_spec_t *s = calloc(1, sizeof *s);
  if (!s)
    return PSW_ERR_NOMEM;
  int rc = psw__spec_dup(path, strlen(path), &s->path);
  if (!rc)
    rc = psw__spec_dup(text, len, &s->text);
  if (rc) {
    psw__spec_free(s);
    return rc;
  }
  psw__spec_rd_t rd = {.path = path,
                       .doc = NULL,
                       .err = err,
                       .errlen = errlen,
                       .spec = s,
                       .pprefix = "parameters",
                       .spec_path = path};
  rc = parse_doc(&rd, text, len);
  if (rc) {
    if (rc == PSW_ERR_NOMEM && err && errlen)
      snprintf(err, errlen, "%s: out of memory", path);
    psw__spec_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static int io_fail(const char *path, char *err, size_t errlen,
                   const char *what) {
  if (err && errlen)
    snprintf(err, errlen, "%s: %s", path, what);
  return PSW_ERR_IO;
}

int psw__spec_load(const char *path, psw_spec_t **out, char *err,
                   size_t errlen) {
  if (!path || !out)
    return PSW_ERR_INVAL;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return io_fail(path, err, errlen, strerror(errno));
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  int rc = buf ? 0 : PSW_ERR_NOMEM;
  while (!rc) {
    if (len == cap) {
      if (cap >= SPEC_MAX_BYTES) {
        rc = io_fail(path, err, errlen, "file too large for a sweep spec");
        break;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = PSW_ERR_NOMEM;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f))
        rc = io_fail(path, err, errlen, strerror(errno ? errno : EIO));
      break;
    }
  }
  fclose(f);
  if (!rc)
    rc = psw__spec_parse(path, buf, len, out, err, errlen);
  free(buf);
  return rc;
}
