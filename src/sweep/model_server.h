/* parsweep — the server model kind's state, shared by its supervision
 * (model_server.c: start-up, open/close, eval) and its channel
 * (model_server_io.c: the protocol's text and the socket). Internal to
 * src/sweep. */
#ifndef PSW_SWEEP_MODEL_SERVER_H
#define PSW_SWEEP_MODEL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "proc.h"

/* Longest line either way (protocol: 1 MiB); a longer reply is a protocol
 * error, not a reason to grow without bound. */
#define LINE_MAX_BYTES (1024 * 1024)

struct psw_srv {
  const psw_spec_t *spec;
  char *path;     /* argv[0] resolved on the server's PATH */
  char **envp;    /* owned, NULL-terminated */
  char name[160]; /* the argv as one string, for messages */
  char *hello;    /* the header, sent right after each start */
  size_t hello_len;
  /* the running server: pid 0 when there is none (start at next eval) */
  psw_proc_t proc;
  int fd; /* our end of the socket pair */
  /* outgoing bytes not yet sent, incoming bytes not yet a whole line */
  char *out;
  size_t out_len, out_off, out_cap;
  char *in;
  size_t in_len, in_cap;
  unsigned errors_logged;
  char err[512]; /* why the last eval failed with PSW_ERR_MODEL */
};

/* --- model_server_io.c ---------------------------------------------------- */

enum io {
  IO_LINE,    /* a whole line at s->in, *line_len bytes (no newline) */
  IO_DEAD,    /* the server exited or closed its end */
  IO_TIMEOUT, /* the deadline passed */
  IO_CANCEL,  /* the cancel fd became readable */
  IO_TOOLONG, /* a line past LINE_MAX_BYTES */
  IO_SYS      /* poll failed, or out of memory */
};

/* Append n bytes to s->out (the unsent tail is kept in front): 0 or -1. */
int psw__srv_out_add(psw_srv_t *s, const char *t, size_t n);
/* s->hello: the header (parameter and output names), sent after each
 * start. 0 or -1 (out of memory). */
int psw__srv_hello(psw_srv_t *s);
/* s->out: "sample I v1 .. vP\n", the values in the C locale. 0 or -1. */
int psw__srv_queue_sample(psw_srv_t *s, uint64_t index, const double *params);
/* Send s->out and wait for one line, until deadline (INFINITY: none) or
 * the cancel fd: an enum io. */
int psw__srv_exchange(psw_srv_t *s, double deadline, int cancel_fd,
                      size_t *line_len);
/* The line of len bytes at s->in, NUL-terminated in place (a trailing CR
 * dropped); psw__srv_consume_line takes it off the buffer after use. */
char *psw__srv_line_text(psw_srv_t *s, size_t len);
void psw__srv_consume_line(psw_srv_t *s, size_t len);

#endif /* PSW_SWEEP_MODEL_SERVER_H */
