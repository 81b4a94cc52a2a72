/* parsweep — synthetic topologies: a machine described by a string, as
 * hwloc's "pack:2 core:5 pu:6", so that planning and the CLI are tested
 * without a cluster.
 *
 * Grammar (tokens separated by blanks, each KEY:VALUE, each key at most once):
 *
 *   nodes:N            N >= 1 nodes (default 1, or the length of ranks:)
 *   ranks_per_node:R   R >= 1 ranks on every node (default 1)
 *   ranks:R0,R1,...    uneven: R0 ranks on node 0, R1 on node 1, ... (each
 *                      >= 1); not with ranks_per_node:, and nodes: if given
 *                      must match the list's length
 *   cpus_per_rank:C    C >= 1 CPUs each rank may use (default 1); local rank
 *                      L of a node gets CPUs L*C .. L*C+C-1
 *   rank:R             the process described, 0 <= R < job size (default:
 *                      the caller's rank argument, 0 from PARSWEEP_TOPOLOGY)
 *   dist:block|cyclic  rank placement (default block: node 0 holds ranks
 *                      0..R0-1, ...); cyclic deals ranks round-robin over the
 *                      nodes that still have room, as Slurm's -m cyclic
 *   hostnames:FMT      host name of node i, printf-like with one %d (flags 0
 *                      or -, width up to 2 digits; %% is a percent sign),
 *                      e.g. n%03d; default node%d
 *
 * Limits: at most 2^20 ranks in all, 4096 CPUs per rank, and 2^20 CPUs on
 * one node. Example: "nodes:2 ranks_per_node:3 cpus_per_rank:4 rank:4" is
 * rank 4 of 6: node 1, local rank 1 of 3, peers 3-5, CPUs 4-7, host node1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

#define SYN_MAX_RANKS (1 << 20)
#define SYN_MAX_CPUS_PER_RANK 4096
#define SYN_MAX_NODE_CPUS (1 << 20)
#define SYN_FMT_MAX 64

struct syn {
  int nodes, rpn, cpr, rank, cyclic;
  int *counts; /* ranks on each node (ranks:), or NULL for rpn everywhere */
  int ncounts;
  char fmt[SYN_FMT_MAX];
  unsigned seen; /* one bit per key */
};

__attribute__((format(printf, 3, 4))) static int failf(char *err, size_t errlen,
                                                       const char *fmt, ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "synthetic topology: ");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < errlen)
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return PSW_ERR_PARSE;
}

static int fail(char *err, size_t errlen, const char *tok, size_t toklen,
                const char *why) {
  return failf(err, errlen, "bad token '%.*s': %s",
               (int)(toklen > 80 ? 80 : toklen), tok, why);
}

/* One %d conversion, optionally with flag 0 or - and a width of up to two
 * digits; "%%" elsewhere. Anything else could make snprintf read a missing
 * argument. */
static int valid_hostfmt(const char *f, size_t len) {
  int convs = 0;
  if (len == 0 || len >= SYN_FMT_MAX)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)f[i];
    if (ch <= ' ' || ch >= 127)
      return 0;
    if (ch != '%')
      continue;
    if (++i < len && f[i] == '%')
      continue;
    if (i < len && (f[i] == '0' || f[i] == '-'))
      i++;
    for (int w = 0; i < len && w < 2 && f[i] >= '0' && f[i] <= '9'; w++)
      i++;
    if (i >= len || f[i] != 'd')
      return 0;
    convs++;
  }
  return convs == 1;
}

enum { K_NODES, K_RPN, K_RANKS, K_CPR, K_RANK, K_DIST, K_HOSTS };

static int parse_token(struct syn *d, const char *tok, size_t len, char *err,
                       size_t errlen) {
  static const char *const keys[] = {
      [K_NODES] = "nodes",    [K_RPN] = "ranks_per_node",
      [K_RANKS] = "ranks",    [K_CPR] = "cpus_per_rank",
      [K_RANK] = "rank",      [K_DIST] = "dist",
      [K_HOSTS] = "hostnames"};
  const char *colon = memchr(tok, ':', len);
  if (!colon)
    return fail(err, errlen, tok, len, "expected KEY:VALUE");
  size_t klen = (size_t)(colon - tok);
  const char *val = colon + 1;
  long vlen = (long)(len - klen - 1);
  int k = -1;
  for (int i = 0; i < (int)(sizeof keys / sizeof keys[0]); i++)
    if (strlen(keys[i]) == klen && !memcmp(keys[i], tok, klen))
      k = i;
  if (k < 0)
    return fail(err, errlen, tok, len,
                "unknown key (valid: nodes ranks_per_node ranks cpus_per_rank "
                "rank dist hostnames)");
  if (d->seen & 1u << k)
    return fail(err, errlen, tok, len, "key given twice");
  d->seen |= 1u << k;
  switch (k) {
  case K_NODES:
    if (psw__topo_parse_int(val, vlen, 1, SYN_MAX_RANKS, &d->nodes))
      return fail(err, errlen, tok, len, "nodes must be an integer >= 1");
    return 0;
  case K_RPN:
    if (psw__topo_parse_int(val, vlen, 1, SYN_MAX_RANKS, &d->rpn))
      return fail(err, errlen, tok, len,
                  "ranks_per_node must be an integer >= 1");
    return 0;
  case K_CPR:
    if (psw__topo_parse_int(val, vlen, 1, SYN_MAX_CPUS_PER_RANK, &d->cpr))
      return fail(err, errlen, tok, len,
                  "cpus_per_rank must be an integer from 1 to 4096");
    return 0;
  case K_RANK:
    if (psw__topo_parse_int(val, vlen, 0, SYN_MAX_RANKS, &d->rank))
      return fail(err, errlen, tok, len, "rank must be an integer >= 0");
    return 0;
  case K_DIST:
    if (vlen == 5 && !memcmp(val, "block", 5))
      d->cyclic = 0;
    else if (vlen == 6 && !memcmp(val, "cyclic", 6))
      d->cyclic = 1;
    else
      return fail(err, errlen, tok, len, "dist must be block or cyclic");
    return 0;
  case K_HOSTS:
    if (!valid_hostfmt(val, (size_t)vlen))
      return fail(err, errlen, tok, len,
                  "hostnames needs one %d (e.g. n%03d), no blanks, under 64 "
                  "characters");
    memcpy(d->fmt, val, (size_t)vlen);
    d->fmt[vlen] = 0;
    return 0;
  }
  /* K_RANKS: comma-separated counts, each >= 1. */
  long n = 1;
  for (long i = 0; i < vlen; i++)
    n += val[i] == ',';
  if (n > SYN_MAX_RANKS)
    return fail(err, errlen, tok, len, "too many nodes");
  d->counts = malloc((size_t)n * sizeof *d->counts);
  if (!d->counts)
    return PSW_ERR_NOMEM;
  d->ncounts = (int)n;
  const char *p = val, *end = val + vlen;
  for (long i = 0; i < n; i++) {
    const char *c = memchr(p, ',', (size_t)(end - p));
    const char *e = c ? c : end;
    if (psw__topo_parse_int(p, e - p, 1, SYN_MAX_RANKS, &d->counts[i]))
      return fail(err, errlen, tok, len,
                  "ranks needs counts >= 1 separated by commas (e.g. 2,1)");
    p = e + 1;
  }
  return 0;
}

/* Where every rank goes: node of `want` and its local rank, and (when
 * `peers` is set) the ranks on that node in order. `cyclic` deals one rank
 * per node per round over the nodes that still have room. */
static void place(const int *counts, int nodes, int total, int cyclic, int want,
                  int *node, int *lrank, int *peers, int *rem, int *active) {
  if (!cyclic) {
    int first = 0, i = 0;
    while (want >= first + counts[i])
      first += counts[i++];
    *node = i;
    *lrank = want - first;
    if (peers)
      for (int j = 0; j < counts[i]; j++)
        peers[j] = first + j;
    return;
  }
  int nact = nodes, r = 0, got = 0;
  for (int i = 0; i < nodes; i++) {
    rem[i] = counts[i];
    active[i] = i;
  }
  while (r < total) {
    int keep = 0;
    for (int a = 0; a < nact; a++, r++) {
      int i = active[a];
      if (peers && i == *node)
        peers[got++] = r;
      if (!peers && r == want) {
        *node = i;
        *lrank = counts[i] - rem[i];
      }
      if (--rem[i] > 0)
        active[keep++] = i;
    }
    nact = keep;
  }
}

static int build(const struct syn *d, int rank, psw_topo_t *t, char *err,
                 size_t errlen) {
  const int *counts = d->counts;
  int nodes = d->counts ? d->ncounts : d->nodes;
  long total = 0;
  int maxc = 0;
  int *uniform = NULL;
  if (!counts) {
    uniform = malloc((size_t)nodes * sizeof *uniform);
    if (!uniform)
      return PSW_ERR_NOMEM;
    for (int i = 0; i < nodes; i++)
      uniform[i] = d->rpn;
    counts = uniform;
  }
  for (int i = 0; i < nodes && total <= SYN_MAX_RANKS; i++) {
    total += counts[i];
    maxc = counts[i] > maxc ? counts[i] : maxc;
  }
  int rc = 0;
  if (total > SYN_MAX_RANKS)
    rc = failf(err, errlen, "more than 2^20 ranks in all (nodes:%d)", nodes);
  else if ((long)maxc * d->cpr > SYN_MAX_NODE_CPUS)
    rc = failf(err, errlen,
               "%d ranks of cpus_per_rank:%d make more than 2^20 CPUs on one "
               "node",
               maxc, d->cpr);
  else if (rank >= total)
    rc = failf(err, errlen, "bad token 'rank:%d': only %ld ranks described",
               rank, total);
  int *rem = NULL, *active = NULL;
  if (!rc && d->cyclic) {
    rem = malloc((size_t)nodes * sizeof *rem);
    active = malloc((size_t)nodes * sizeof *active);
    if (!rem || !active)
      rc = PSW_ERR_NOMEM;
  }
  int node = 0, lrank = 0;
  if (!rc) {
    place(counts, nodes, (int)total, d->cyclic, rank, &node, &lrank, NULL, rem,
          active);
    int lsize = counts[node];
    int *peers = malloc((size_t)lsize * sizeof *peers);
    t->cpus = malloc((size_t)d->cpr * sizeof *t->cpus);
    if (!peers || !t->cpus) {
      free(peers);
      rc = PSW_ERR_NOMEM;
    } else {
      place(counts, nodes, (int)total, d->cyclic, rank, &node, &lrank, peers,
            rem, active);
      psw__topo_take_peers(t, peers, lsize, PSW_TOPO_SRC_SYNTHETIC);
      t->job_size = (int)total;
      t->rank = rank;
      t->num_nodes = nodes;
      t->node_id = node;
      t->local_rank = lrank;
      t->local_size = lsize;
      t->num_cpus = d->cpr;
      for (int i = 0; i < d->cpr; i++)
        t->cpus[i] = lrank * d->cpr + i;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      /* valid_hostfmt admitted exactly one int conversion. */
      snprintf(t->hostname, sizeof t->hostname, d->fmt, node);
#pragma GCC diagnostic pop
      for (int f = 0; f < PSW_TOPO_NFACTS; f++)
        t->src[f] = PSW_TOPO_SRC_SYNTHETIC;
    }
  }
  free(rem);
  free(active);
  free(uniform);
  return rc;
}

int psw__topo_synthetic(const char *desc, int rank, psw_topo_t *t, char *err,
                        size_t errlen) {
  if (!t)
    return PSW_ERR_INVAL;
  psw__topo_init(t);
  if (err && errlen)
    err[0] = 0;
  if (!desc || rank < 0)
    return PSW_ERR_INVAL;
  struct syn d = {.nodes = 1, .rpn = 1, .cpr = 1, .rank = -1};
  strcpy(d.fmt, "node%d");
  int rc = 0;
  for (const char *p = desc; !rc;) {
    p += strspn(p, " \t\n");
    if (!*p)
      break;
    size_t len = strcspn(p, " \t\n");
    rc = parse_token(&d, p, len, err, errlen);
    p += len;
  }
  if (!rc && (d.seen & 1u << K_RANKS) && (d.seen & 1u << K_RPN))
    rc = failf(err, errlen,
               "bad token 'ranks_per_node:%d': give either "
               "ranks_per_node: or ranks:, not both",
               d.rpn);
  if (!rc && (d.seen & 1u << K_RANKS) && (d.seen & 1u << K_NODES) &&
      d.nodes != d.ncounts) {
    rc = failf(err, errlen, "bad token 'nodes:%d': ranks: lists %d node%s",
               d.nodes, d.ncounts, d.ncounts == 1 ? "" : "s");
  }
  if (!rc)
    rc = build(&d, d.rank >= 0 ? d.rank : rank, t, err, errlen);
  free(d.counts);
  if (rc)
    psw__topo_fini(t);
  return rc;
}
