/* parsweep — the helpers every model kind uses (errors, the cancel fd,
 * deadlines). Apart from model.c, which dispatches to the kinds, so that
 * the kinds (model_cmd.c, model_host.c, model_plugin.c, model_server.c)
 * and proc.c depend on these and model.c on the kinds, not both ways. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "model.h"

int psw__model_errf(int code, char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

int psw__model_cancelled_within(int fd, double secs) {
  if (fd < 0)
    return 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do
    r = poll(&p, 1, (int)(secs * 1000));
  while (r < 0 && errno == EINTR);
  return r > 0;
}

int psw__model_ms_until(double t, double now) {
  if (isinf(t))
    return -1;
  double d = (t - now) * 1000.0;
  if (d <= 0)
    return 0;
  return d > 1e8 ? 100000000 : (int)ceil(d);
}

int psw__model_killed_by_cancel(int sig, int cancel_fd) {
  return (sig == SIGTERM || sig == SIGKILL || sig == SIGINT) &&
         psw__model_cancelled_within(cancel_fd, PSW_MODEL_CANCEL_WAIT_S);
}
