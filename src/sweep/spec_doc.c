/* parsweep — the spec reader's lowest layer: loading the YAML document
 * (depth bound, one document only, libyaml's errors with their lines), the
 * samplers' names, and the name check every section applies. Apart from
 * spec.c (the top-level keys) so that the sections (spec_params.c,
 * spec_diff.c, spec_wtfile.c, ...) depend on these and spec.c on the
 * sections, not both ways. */
#include <stdio.h>
#include <string.h>

#include "parsweep/error.h"
#include "spec.h"
#include "spec_read.h"

static const char *const sampler_names[] = {
    [PSW_S_LINEAR] = "LinearSample",
    [PSW_S_GEOM] = "GeomSample",
    [PSW_S_REVERSE_GEOM] = "ReverseGeomSample",
    [PSW_S_FIXED] = "PredeterminedFixedSample",
    [PSW_S_UNIFORM] = "UniformSample",
    [PSW_S_NORMAL] = "NormalSample",
    [PSW_S_LHS] = "LatinHypercubeSample",
    [PSW_S_RANDOM] = "PredeterminedRandomSample",
    [PSW_S_SOBOL] = "SobolSample",
};

const char *psw__sampler_name(psw_sampler_t s) {
  if ((unsigned)s >= sizeof sampler_names / sizeof *sampler_names)
    return "unknown";
  return sampler_names[s];
}

int psw__sampler_is_grid(psw_sampler_t s) {
  return s == PSW_S_LINEAR || s == PSW_S_GEOM || s == PSW_S_REVERSE_GEOM ||
         s == PSW_S_FIXED;
}

/* 1-based line of a byte offset (libyaml reader errors give only that). */
static int line_of_offset(const char *text, size_t len, size_t off) {
  int line = 1;
  for (size_t i = 0; i < off && i < len; i++)
    line += text[i] == '\n';
  return line;
}

static int yaml_problem(psw__spec_rd_t *rd, const yaml_parser_t *p,
                        const char *text, size_t len) {
  if (p->error == YAML_MEMORY_ERROR) {
    psw__spec_fail(rd, 1, "yaml", "out of memory");
    return PSW_ERR_NOMEM;
  }
  const char *problem = p->problem ? p->problem : "invalid YAML";
  if (p->error == YAML_READER_ERROR)
    return psw__spec_fail(rd, line_of_offset(text, len, p->problem_offset),
                          "syntax", "%s", problem);
  int line = (int)p->problem_mark.line + 1;
  if (p->context)
    return psw__spec_fail(rd, line, "syntax", "%s (%s at line %d)", problem,
                          p->context, (int)p->context_mark.line + 1);
  return psw__spec_fail(rd, line, "syntax", "%s", problem);
}

/* Nesting deeper than this is refused before the document is built: no
 * sweep spec needs more than a handful of levels, and libyaml's loader
 * takes time quadratic in the depth (200,000 '[' took 95 s of CPU). */
#define SPEC_MAX_DEPTH 64

/* A pass over the events (cheap next to building the document) that stops
 * at the first collection deeper than SPEC_MAX_DEPTH; syntax errors are
 * reported as the loader would. */
static int check_depth(psw__spec_rd_t *rd, const char *text, size_t len) {
  yaml_parser_t parser;
  yaml_event_t ev;
  int depth = 0, rc = 0;
  if (!yaml_parser_initialize(&parser))
    return PSW_ERR_NOMEM;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  for (int done = 0; !done && !rc;) {
    if (!yaml_parser_parse(&parser, &ev)) {
      rc = yaml_problem(rd, &parser, text, len);
      break;
    }
    if (ev.type == YAML_SEQUENCE_START_EVENT ||
        ev.type == YAML_MAPPING_START_EVENT) {
      if (++depth > SPEC_MAX_DEPTH)
        rc = psw__spec_fail(rd, (int)ev.start_mark.line + 1, "syntax",
                            "nested deeper than %d sequences and mappings",
                            SPEC_MAX_DEPTH);
    } else if (ev.type == YAML_SEQUENCE_END_EVENT ||
               ev.type == YAML_MAPPING_END_EVENT) {
      depth--;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return rc;
}

/* Load the first document, refuse a second one (a "---" in the middle of a
 * spec is more likely a paste error than intent). */
int psw__spec_load_doc(psw__spec_rd_t *rd, const char *text, size_t len,
                       yaml_document_t *doc) {
  yaml_parser_t parser;
  yaml_document_t extra;
  int rc;
  if ((rc = check_depth(rd, text, len)))
    return rc;
  if (!yaml_parser_initialize(&parser))
    return PSW_ERR_NOMEM;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, doc)) {
    rc = yaml_problem(rd, &parser, text, len);
    yaml_parser_delete(&parser);
    return rc;
  }
  /* An empty first document is the caller's to report (as before). */
  if (!yaml_document_get_root_node(doc)) {
    yaml_parser_delete(&parser);
    return 0;
  }
  if (!yaml_parser_load(&parser, &extra)) {
    rc = yaml_problem(rd, &parser, text, len);
  } else {
    if (yaml_document_get_root_node(&extra))
      rc = psw__spec_fail(rd, (int)extra.start_mark.line + 1, "(root)",
                          "a second YAML document (only one is read)");
    yaml_document_delete(&extra);
  }
  yaml_parser_delete(&parser);
  if (rc)
    yaml_document_delete(doc);
  return rc;
}

/* Parameter names become HDF5 group names (/sweep_params/<name>) and
 * {name} placeholders, so '/', '.', '..' and braces cannot be used. */
int psw__spec_check_name(psw__spec_rd_t *rd, const char *name, int line,
                         const char *path, const char *what) {
  const char *bad = NULL;
  if (!*name)
    bad = "empty";
  else if (!strcmp(name, ".") || !strcmp(name, ".."))
    bad = "'.' and '..' are not valid names";
  else if (strchr(name, '/'))
    bad = "contains '/'";
  else if (strchr(name, '{') || strchr(name, '}'))
    bad = "contains a brace";
  /* Control characters (C0, DEL, and C1: U+0080..U+009F, UTF-8 C2 80..9F,
   * U+0085 among them) would end or garble a line wherever the name is
   * printed (messages, `show`, CSV headers) and are no one's intent. */
  for (const unsigned char *c = (const unsigned char *)name; !bad && *c; c++)
    if (*c < 0x20 || *c == 0x7f ||
        (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f))
      bad = "contains a control character";
  if (bad)
    return psw__spec_fail(rd, line, path, "invalid %s name: %s", what, bad);
  return 0;
}
