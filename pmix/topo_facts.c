/* parsweep — the topology's facts: a topology's lifetime, the names of
 * facts and sources, and the parsers and list helpers every source uses.
 * Apart from topo.c (the order of the sources and their merge) so that the
 * sources depend on these helpers and topo.c on the sources, not both ways.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

void psw__topo_init(psw_topo_t *t) {
  memset(t, 0, sizeof *t);
  t->job_size = t->rank = t->num_nodes = t->node_id = -1;
  t->local_rank = t->local_size = -1;
}

void psw__topo_fini(psw_topo_t *t) {
  if (!t)
    return;
  free(t->local_peers);
  free(t->cpus);
  psw__topo_init(t);
}

const char *psw__topo_src_name(psw_topo_src_t src) {
  switch (src) {
  case PSW_TOPO_SRC_SYNTHETIC:
    return "synthetic";
  case PSW_TOPO_SRC_PMIX:
    return "PMIx";
  case PSW_TOPO_SRC_OMPI:
    return "Open MPI";
  case PSW_TOPO_SRC_SLURM:
    return "Slurm";
  case PSW_TOPO_SRC_LOCAL:
    return "local";
  case PSW_TOPO_SRC_NONE:
    break;
  }
  return "unknown";
}

const char *psw__topo_fact_name(psw_topo_fact_t f) {
  static const char *const names[PSW_TOPO_NFACTS] = {
      [PSW_TOPO_JOB_SIZE] = "job_size",
      [PSW_TOPO_RANK] = "rank",
      [PSW_TOPO_NUM_NODES] = "nodes",
      [PSW_TOPO_NODE_ID] = "node_id",
      [PSW_TOPO_LOCAL_RANK] = "local_rank",
      [PSW_TOPO_LOCAL_SIZE] = "local_size",
      [PSW_TOPO_LOCAL_PEERS] = "local_peers",
      [PSW_TOPO_HOSTNAME] = "hostname",
      [PSW_TOPO_CPUS] = "cpus",
  };
  return (unsigned)f < PSW_TOPO_NFACTS ? names[f] : "unknown";
}

int psw__topo_launched(const psw_topo_t *t) {
  psw_topo_src_t s = t->src[PSW_TOPO_JOB_SIZE];
  return t->job_size > 1 || s == PSW_TOPO_SRC_PMIX || s == PSW_TOPO_SRC_OMPI ||
         s == PSW_TOPO_SRC_SLURM;
}

/* --- parsing helpers ---------------------------------------------------- */

int psw__topo_parse_int(const char *s, long len, long min, long max, int *out) {
  if (!s)
    return -1;
  if (len < 0)
    len = (long)strlen(s);
  if (len == 0 || len > 18)
    return -1; /* also keeps v below LONG_MAX */
  long v = 0;
  for (long i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  if (v < min || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

int psw__topo_env_int(const char *name, int min, int *out) {
  const char *v = getenv(name);
  if (!v || !*v)
    return 0;
  if (psw__topo_parse_int(v, -1, min, INT32_MAX, out) == 0)
    return 1;
  PSW_WARN("topology: ignoring %s=%s (not an integer >= %d)", name, v, min);
  return -1;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Sort and drop duplicates; returns the new count. */
static int sort_unique(int *v, int n) {
  if (n <= 1)
    return n;
  qsort(v, (size_t)n, sizeof *v, cmp_int);
  int m = 1;
  for (int i = 1; i < n; i++)
    if (v[i] != v[m - 1])
      v[m++] = v[i];
  return m;
}

void psw__topo_take_peers(psw_topo_t *t, int *v, int n, psw_topo_src_t src) {
  free(t->local_peers);
  t->num_local_peers = sort_unique(v, n);
  t->local_peers = v;
  t->src[PSW_TOPO_LOCAL_PEERS] = src;
}

/* Growable int array for the list parsers. */
struct ivec {
  int *v;
  int n, cap;
};

static int ivec_push(struct ivec *a, int x) {
  if (a->n == a->cap) {
    int cap = a->cap ? 2 * a->cap : 16;
    int *p = realloc(a->v, (size_t)cap * sizeof *p);
    if (!p)
      return PSW_ERR_NOMEM;
    a->v = p;
    a->cap = cap;
  }
  a->v[a->n++] = x;
  return 0;
}

/* A list never names more CPUs or ranks than this; it bounds the memory a
 * malformed "0-2000000000" could ask for. */
#define LIST_MAX_VALUE (1 << 22)

static int finish_list(struct ivec *a, int rc, int **out, int *n) {
  if (rc || a->n == 0) {
    free(a->v);
    return rc ? rc : PSW_ERR_PARSE;
  }
  *n = sort_unique(a->v, a->n);
  *out = a->v;
  return 0;
}

/* "0-3,8": ranges or single values, comma-separated. */
static int parse_ranges(const char *s, int allow_ranges, int **out, int *n) {
  struct ivec a = {0};
  int rc = 0;
  while (!rc) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    const char *dash = allow_ranges ? memchr(s, '-', len) : NULL;
    int lo, hi;
    if (dash) {
      if (psw__topo_parse_int(s, dash - s, 0, LIST_MAX_VALUE, &lo) ||
          psw__topo_parse_int(dash + 1, (long)len - (dash + 1 - s), 0,
                              LIST_MAX_VALUE, &hi) ||
          hi < lo)
        rc = PSW_ERR_PARSE;
    } else if (psw__topo_parse_int(s, (long)len, 0, LIST_MAX_VALUE, &lo)) {
      rc = PSW_ERR_PARSE;
    } else {
      hi = lo;
    }
    for (int x = lo; !rc && x <= hi; x++)
      rc = ivec_push(&a, x);
    if (!comma)
      break;
    s = comma + 1;
  }
  return finish_list(&a, rc, out, n);
}

/* hwloc's hex bitmap: 32-bit words, most significant first, each "0x..."
 * or bare hex, comma-separated. */
static int parse_hex_bitmap(const char *s, int **out, int *n) {
  int words = 1;
  for (const char *p = s; *p; p++)
    words += *p == ',';
  if (words > LIST_MAX_VALUE / 32)
    return PSW_ERR_PARSE;
  struct ivec a = {0};
  int rc = 0, w = words - 1;
  for (const char *p = s; !rc && w >= 0; w--) {
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
      p += 2;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(p, &end, 16);
    if (end == p || errno || x > 0xffffffffull || (*end && *end != ','))
      rc = PSW_ERR_PARSE;
    for (int b = 0; !rc && b < 32; b++)
      if (x >> b & 1)
        rc = ivec_push(&a, w * 32 + b);
    p = *end ? end + 1 : end;
  }
  return finish_list(&a, rc, out, n);
}

int psw__topo_parse_cpulist(const char *s, int **out, int *n) {
  if (!s || !out || !n)
    return PSW_ERR_INVAL;
  /* PMIx implementations may prefix the string with the library that made
   * it ("hwloc:0-3"). */
  const char *colon = strchr(s, ':');
  if (colon)
    s = colon + 1;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    return parse_hex_bitmap(s, out, n);
  return parse_ranges(s, 1, out, n);
}

int psw__topo_parse_intlist(const char *s, int **out, int *n) {
  if (!s || !out || !n)
    return PSW_ERR_INVAL;
  return parse_ranges(s, 0, out, n);
}

char *psw__topo_format_list(const int *v, int n, char *buf, size_t len) {
  if (!buf || !len)
    return buf;
  buf[0] = 0;
  size_t off = 0;
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && v[j + 1] == v[j] + 1)
      j++;
    char item[32];
    int k =
        j > i ? snprintf(item, sizeof item, "%s%d-%d", i ? "," : "", v[i], v[j])
              : snprintf(item, sizeof item, "%s%d", i ? "," : "", v[i]);
    if (off + (size_t)k + 4 > len) { /* room for "..." and the NUL */
      snprintf(buf + off, len - off, "%s", len - off > 3 ? "..." : "");
      break;
    }
    memcpy(buf + off, item, (size_t)k + 1);
    off += (size_t)k;
    i = j + 1;
  }
  return buf;
}
