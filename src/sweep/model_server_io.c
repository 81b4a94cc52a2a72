/* parsweep — the server model kind's channel (SPEC §3.1, protocol:
 * docs/models.md): the protocol's text (the header, a sample's line, doubles
 * as "%.17g" in the C locale) and the socket pair to the server's fd 3,
 * non-blocking both ways, read a line at a time within the deadline. Apart
 * from the supervision (model_server.c), which decides what a reply or its
 * absence means. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "model_server.h"

/* --- text --------------------------------------------------------------- */

static int buf_reserve(char **p, size_t *cap, size_t need) {
  if (need <= *cap)
    return 0;
  size_t c = *cap ? *cap : 256;
  while (c < need)
    c *= 2;
  char *q = realloc(*p, c);
  if (!q)
    return -1;
  *p = q;
  *cap = c;
  return 0;
}

/* Append to s->out (the unsent tail is kept in front). */
int psw__srv_out_add(psw_srv_t *s, const char *t, size_t n) {
  if (buf_reserve(&s->out, &s->out_cap, s->out_len + n + 1))
    return -1;
  memcpy(s->out + s->out_len, t, n);
  s->out_len += n;
  return 0;
}

/* A double as the protocol writes it: "%.17g" in the C locale (the caller
 * has it in force), and the non-finite ones spelled as both C's strtod and
 * Python's float() read them ("-nan" is not Python's). */
static int fmt_double(char *b, size_t n, double v) {
  if (isnan(v))
    return snprintf(b, n, "nan");
  if (isinf(v))
    return snprintf(b, n, v > 0 ? "inf" : "-inf");
  return snprintf(b, n, "%.17g", v);
}

int psw__srv_hello(psw_srv_t *s) {
  const psw_spec_t *spec = s->spec;
  char num[64];
  int n = snprintf(num, sizeof num, "parsweep-server 1\nparams %zu\n",
                   spec->nparams);
  s->out_len = s->out_off = 0;
  int rc = psw__srv_out_add(s, num, (size_t)n);
  for (size_t k = 0; !rc && k < spec->nparams; k++)
    rc = psw__srv_out_add(s, spec->params[k].name,
                          strlen(spec->params[k].name)) ||
         psw__srv_out_add(s, "\n", 1);
  n = snprintf(num, sizeof num, "outputs %zu\n", spec->noutputs);
  rc = rc || psw__srv_out_add(s, num, (size_t)n);
  for (size_t k = 0; !rc && k < spec->noutputs; k++)
    rc = psw__srv_out_add(s, spec->outputs[k], strlen(spec->outputs[k])) ||
         psw__srv_out_add(s, "\n", 1);
  if (rc)
    return -1;
  s->hello = malloc(s->out_len);
  if (!s->hello)
    return -1;
  memcpy(s->hello, s->out, s->out_len);
  s->hello_len = s->out_len;
  s->out_len = 0;
  return 0;
}

/* --- the channel -------------------------------------------------------- */

static int find_line(psw_srv_t *s, size_t from, size_t *line_len) {
  if (from >= s->in_len)
    return 0;
  char *nl = memchr(s->in + from, '\n', s->in_len - from);
  if (!nl)
    return 0;
  *line_len = (size_t)(nl - s->in);
  return 1;
}

/* Read what is there; IO_LINE once a whole line is buffered, IO_DEAD at
 * EOF, -1 for "nothing more now". */
static int pump_in(psw_srv_t *s, size_t *line_len) {
  for (;;) {
    if (s->in_len >= LINE_MAX_BYTES + 1)
      return IO_TOOLONG;
    if (buf_reserve(&s->in, &s->in_cap, s->in_len + 65536))
      return IO_SYS;
    size_t room = s->in_cap - s->in_len;
    if (room > LINE_MAX_BYTES + 1 - s->in_len)
      room = LINE_MAX_BYTES + 1 - s->in_len;
    ssize_t r = recv(s->fd, s->in + s->in_len, room, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return -1;
    if (r <= 0)
      return IO_DEAD; /* EOF, or ECONNRESET */
    size_t from = s->in_len;
    s->in_len += (size_t)r;
    if (find_line(s, from, line_len))
      return IO_LINE;
  }
}

/* Send s->out and wait for one line, until `deadline` (INFINITY: none) or
 * the cancel fd. A server that exits is IO_DEAD once what it wrote before
 * has been read (a reply sent just before dying still counts). */
int psw__srv_exchange(psw_srv_t *s, double deadline, int cancel_fd,
                      size_t *line_len) {
  if (find_line(s, 0, line_len))
    return IO_LINE;
  for (;;) {
    while (s->out_off < s->out_len) {
      ssize_t w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (w < 0) {
        /* EPIPE: it closed its end; what it wrote may still be there. */
        s->out_off = s->out_len;
        break;
      }
      s->out_off += (size_t)w;
    }
    if (s->out_off == s->out_len)
      s->out_off = s->out_len = 0;
    if (psw__mono_now() >= deadline)
      return IO_TIMEOUT;
    struct pollfd pf = {.fd = s->fd,
                        .events = POLLIN | (s->out_len ? POLLOUT : 0)};
    /* Seen exited already (with a line that came at the same time): its
     * exit is not reported again, and a descendant may hold the socket. */
    int ev = s->proc.exited
                 ? PSW_PROC_EXIT
                 : psw__proc_wait(&s->proc, &pf, 1, cancel_fd, deadline);
    if (ev < 0)
      return IO_SYS;
    if (ev == 0)
      return IO_TIMEOUT;
    /* A reply that is there counts, even with the run being cancelled:
     * the sample is finished and is recorded, not run again. */
    if ((ev & PSW_PROC_IO) && pf.revents & (POLLIN | POLLHUP | POLLERR)) {
      int r = pump_in(s, line_len);
      if (r >= 0)
        return r;
    }
    if (ev & PSW_PROC_CANCEL)
      return IO_CANCEL;
    if (ev & PSW_PROC_EXIT) {
      /* Everything it wrote is in the socket already. */
      int r = pump_in(s, line_len);
      return r == IO_LINE || r == IO_TOOLONG || r == IO_SYS ? r : IO_DEAD;
    }
  }
}

/* Take the line of *line_len bytes off the input buffer: NUL-terminated
 * (a trailing CR dropped) in place; call consume_line after use. */
char *psw__srv_line_text(psw_srv_t *s, size_t len) {
  s->in[len] = '\0';
  if (len > 0 && s->in[len - 1] == '\r')
    s->in[len - 1] = '\0';
  return s->in;
}

void psw__srv_consume_line(psw_srv_t *s, size_t len) {
  size_t used = len + 1;
  memmove(s->in, s->in + used, s->in_len - used);
  s->in_len -= used;
}

int psw__srv_queue_sample(psw_srv_t *s, uint64_t index, const double *params) {
  char num[48];
  int n = snprintf(num, sizeof num, "sample %" PRIu64, index);
  s->out_len = s->out_off = 0;
  int rc = psw__srv_out_add(s, num, (size_t)n);
  locale_t c_loc = psw__c_locale(), old = (locale_t)0;
  if (c_loc)
    old = uselocale(c_loc);
  for (size_t k = 0; !rc && k < s->spec->nparams; k++) {
    num[0] = ' ';
    n = fmt_double(num + 1, sizeof num - 1, params[k]);
    rc = psw__srv_out_add(s, num, (size_t)n + 1);
  }
  if (c_loc)
    uselocale(old);
  return rc || psw__srv_out_add(s, "\n", 1) ? -1 : 0;
}
