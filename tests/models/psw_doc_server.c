/* y = a * b + c: a parsweep server model in C, without any helper
 * (docs/models.md, "Server models"; tested by server.backends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char line[1 << 20]; /* the protocol's longest line */

/* Skip "KEYWORD N" and the N names after it. */
static int skip_names(FILE *in, const char *keyword) {
  int n;
  char fmt[32];
  snprintf(fmt, sizeof fmt, "%s %%d", keyword);
  if (!fgets(line, sizeof line, in) || sscanf(line, fmt, &n) != 1)
    return -1;
  while (n-- > 0 && fgets(line, sizeof line, in))
    ;
  return 0;
}

int main(void) {
  const char *fd = getenv("PARSWEEP_SERVER_FD");
  if (!fd) {
    fprintf(stderr, "run me as a parsweep server model\n");
    return 2;
  }
  FILE *in = fdopen(atoi(fd), "r"), *out = fdopen(dup(atoi(fd)), "w");
  if (!fgets(line, sizeof line, in) || strcmp(line, "parsweep-server 1\n") ||
      skip_names(in, "params") || skip_names(in, "outputs"))
    return 2; /* this server knows its parameters' order: a, b, c */
  /* ... the expensive build would go here, once ... */
  fputs("ready\n", out);
  fflush(out);
  unsigned long long index;
  double a, b, c;
  /* Never calls setlocale: sscanf and printf use the "C" locale. */
  while (fgets(line, sizeof line, in) && strcmp(line, "exit\n")) {
    if (sscanf(line, "sample %llu %lf %lf %lf", &index, &a, &b, &c) == 4)
      fprintf(out, "ok %llu %.17g\n", index, a * b + c);
    else
      fprintf(out, "error %llu expected 3 values\n",
              strtoull(line + 7, NULL, 10));
    fflush(out);
  }
  return 0; /* "exit", or EOF: parsweep is gone */
}
