/* parsweep — `parameters: FILE`: a WaterTAP sweep-parameter YAML (SPEC 3.0).
 *
 * The file is what ParameterSweepReader.get_sweep_params_from_yaml reads: a
 * flat mapping name -> {type, param, lower_limit, ..., set_mode,
 * default_value}. It is read with the spec's own parameter reader, in a
 * document of its own, so that every message names that file, its line and
 * the key ("params.yaml:7: recovery.lower_limit: ..."). Its name is taken
 * relative to the spec's directory (WaterTAP's scripts open it relative to
 * theirs); its bytes are recorded in results.h5 beside the spec's. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "spec_read.h"

/* Like the spec's own bound: a parameter file is a small text file. */
#define WT_MAX_BYTES ((size_t)256 << 20)

/* The spec's directory joined with name (name itself when absolute or
 * when the spec has no directory part). */
static char *resolve(const char *spec_path, const char *name) {
  const char *slash = strrchr(spec_path, '/');
  if (name[0] == '/' || !slash)
    return strdup(name);
  size_t dl = (size_t)(slash - spec_path) + 1, nl = strlen(name);
  char *p = malloc(dl + nl + 1);
  if (p) {
    memcpy(p, spec_path, dl);
    memcpy(p + dl, name, nl + 1);
  }
  return p;
}

/* Read a regular file whole. O_NONBLOCK and the S_ISREG check: a FIFO or
 * a device named by mistake is refused, never waited on. Returns 0 or an
 * errno value (EINVAL: not a regular file, EFBIG: too large). */
static int slurp(const char *path, char **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  if (fd < 0)
    return errno;
  int e = 0;
  if (fstat(fd, &st) < 0)
    e = errno;
  else if (!S_ISREG(st.st_mode))
    e = EINVAL;
  else if ((uint64_t)st.st_size >= WT_MAX_BYTES)
    e = EFBIG;
  char *buf = e ? NULL : malloc((size_t)st.st_size + 1);
  size_t got = 0;
  if (!e && !buf)
    e = ENOMEM;
  while (!e && got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      e = errno;
    else if (r == 0)
      break; /* shrank under us: what was read is the file */
    else
      got += (size_t)r;
  }
  close(fd);
  if (e) {
    free(buf);
    return e;
  }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  return 0;
}

int psw__spec_read_params_file(psw__spec_rd_t *rd, const psw__spec_kv_t *params,
                               int num_samples_line) {
  psw_spec_t *s = rd->spec;
  char *name = NULL;
  int line = psw__spec_line(params->val);
  int rc = psw__spec_str(rd, params->val, "parameters", &name);
  if (rc)
    return rc;
  if (!name[0]) {
    free(name);
    return psw__spec_fail(rd, line, "parameters", "empty file name");
  }
  s->params_file = resolve(rd->path, name);
  free(name);
  if (!s->params_file)
    return PSW_ERR_NOMEM;
  size_t len = 0;
  int e = slurp(s->params_file, &s->params_text, &len);
  if (e == ENOMEM)
    return PSW_ERR_NOMEM;
  if (e)
    return psw__spec_fail(rd, line, "parameters",
                          "cannot read the WaterTAP parameter file %s: %s",
                          s->params_file,
                          e == EINVAL  ? "not a regular file"
                          : e == EFBIG ? "too large for a parameter file"
                                       : strerror(e));

  /* From here on, messages name the parameter file. */
  psw__spec_rd_t wt = *rd;
  yaml_document_t doc;
  wt.path = s->params_file;
  wt.pprefix = "";
  wt.wt_file = 1;
  if ((rc = psw__spec_load_doc(&wt, s->params_text, len, &doc)))
    return rc;
  wt.doc = &doc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root)
    rc = psw__spec_fail(&wt, 1, "(root)",
                        "empty file (expected a mapping of parameter names "
                        "to {type, param, ...})");
  else
    rc = psw__spec_read_param_map(&wt, root, psw__spec_line(root),
                                  num_samples_line);
  yaml_document_delete(&doc);
  return rc;
}

/* `parameters:` is a mapping of parameters, or (SPEC 3.0) a string naming
 * a WaterTAP sweep-parameter file. */
int psw__spec_read_params(psw__spec_rd_t *rd, const psw__spec_kv_t *params,
                          int num_samples_line) {
  yaml_node_t *n = params->val;
  if (n->type == YAML_SCALAR_NODE && !psw__spec_is_null(n))
    return psw__spec_read_params_file(rd, params, num_samples_line);
  return psw__spec_read_param_map(rd, n, psw__spec_line(params->key),
                                  num_samples_line);
}
