/* parsweep — helpers of the spec reader (internal to spec*.c).
 *
 * The reader walks a libyaml document (the node API keeps every node's
 * position, so each message can name its line). The first error stops the
 * walk: psw__spec_fail formats the one-line message of spec.h and returns
 * PSW_ERR_PARSE, so callers just `return` what a helper returned. */
#ifndef PSW_SWEEP_SPEC_READ_H
#define PSW_SWEEP_SPEC_READ_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "spec.h"

/* Longest key path we build ("parameters.<name>.lower_limit", "outputs[3]");
 * longer paths are truncated in the message, never overflowed. */
#define PSW__KEYPATH_MAX 256

typedef struct psw__spec_rd {
  const char *path; /* file name used in messages */
  yaml_document_t *doc;
  char *err;
  size_t errlen;
  psw_spec_t *spec;
  size_t noutputs; /* the length of `outputs:` before it is read (bounds) */
  /* Key paths of parameters start with this: "parameters" in the spec, ""
   * in a WaterTAP parameter file (its top-level keys are the names). */
  const char *pprefix;
  /* Reading a WaterTAP parameter file: keys WaterTAP's reader knows but
   * the type does not use are ignored, as WaterTAP ignores them. */
  int wt_file;
  const char *spec_path; /* the spec itself, for messages about its keys */
} psw__spec_rd_t;

/* The most samples a file of rows of nvalues values can hold. */
uint64_t psw__spec_max_samples(size_t nvalues);

/* One key of a mapping as found by psw__spec_map. */
typedef struct psw__spec_kv {
  yaml_node_t *key; /* NULL when the key is absent */
  yaml_node_t *val;
} psw__spec_kv_t;

/* Write "<file>:<line>: <key>: <reason>" to rd->err; returns PSW_ERR_PARSE. */
int psw__spec_fail(psw__spec_rd_t *rd, int line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 1-based line of a node. */
int psw__spec_line(const yaml_node_t *n);

yaml_node_t *psw__spec_node(psw__spec_rd_t *rd, int index);

/* "parent.key" (or "key" when parent is empty) / "parent[i]" into out. */
void psw__spec_keypath(char *out, const char *parent, const char *key);
void psw__spec_itempath(char *out, const char *parent, size_t i);

/* What a node is, for "expected X, got Y" messages. */
const char *psw__spec_what(const yaml_node_t *n);

/* Non-zero for a plain scalar that YAML reads as null ("", ~, null). */
int psw__spec_is_null(const yaml_node_t *n);

/* Check that `n` is a mapping whose keys are distinct strings, each one of
 * names[0..count); kv[k] receives the key/value of names[k] (zeroed when
 * absent). `path` is the mapping's key path ("" for the root). */
int psw__spec_map(psw__spec_rd_t *rd, yaml_node_t *n, const char *path,
                  const char *const *names, size_t count, psw__spec_kv_t *kv);

/* Check that `n` is a mapping with distinct, non-null string keys (names
 * chosen by the user: parameters, env). */
int psw__spec_map_free_keys(psw__spec_rd_t *rd, yaml_node_t *n,
                            const char *path);

/* A key's text (mapping keys are checked to be scalars by the above). */
const char *psw__spec_key_text(const yaml_node_t *key);

/* Scalars. Every helper names `path` in its message. */
int psw__spec_str(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                  char **out); /* any non-null scalar; malloc'd copy */
int psw__spec_num(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                  double *out); /* a finite number */
int psw__spec_uint(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                   uint64_t max, uint64_t *out); /* 0..max */
int psw__spec_bool(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                   int *out); /* true/false (any case), yes/no, on/off */

/* Parse text (len bytes) into *doc: nesting bounded, one document only,
 * errors as "<rd->path>:<line>: syntax: ...". On success the caller
 * deletes *doc. */
int psw__spec_load_doc(psw__spec_rd_t *rd, const char *text, size_t len,
                       yaml_document_t *doc);

/* Refuse a name that cannot be an HDF5 link or a {placeholder} (empty,
 * '.', '..', '/', braces, control characters); `what` is "parameter",
 * "output", ... */
int psw__spec_check_name(psw__spec_rd_t *rd, const char *name, int line,
                         const char *path, const char *what);

/* The parameters of a mapping node (the spec's `parameters:` or the root of
 * a WaterTAP file), in rd's document. key_line: where to point when empty. */
int psw__spec_read_param_map(psw__spec_rd_t *rd, yaml_node_t *n, int key_line,
                             int num_samples_line);

/* `parameters: FILE`: read the WaterTAP sweep-parameter file (spec_wtfile.c).
 */
int psw__spec_read_params_file(psw__spec_rd_t *rd, const psw__spec_kv_t *params,
                               int num_samples_line);

/* The sections, in spec_params.c, spec_outputs.c and spec_model.c. */
int psw__spec_read_params(psw__spec_rd_t *rd, const psw__spec_kv_t *params,
                          int num_samples_line);
/* num_successes / max_samples (spec_recursive.c), after the parameters:
 * either kv may have key NULL (absent). */
int psw__spec_read_recursive(psw__spec_rd_t *rd, const psw__spec_kv_t *ns,
                             const psw__spec_kv_t *max);
int psw__spec_read_outputs(psw__spec_rd_t *rd, const psw__spec_kv_t *outputs);
int psw__spec_read_model(psw__spec_rd_t *rd, const psw__spec_kv_t *model);

/* strdup that reports NOMEM as an error code. */
int psw__spec_dup(const char *s, size_t len, char **out);

#endif /* PSW_SWEEP_SPEC_READ_H */
