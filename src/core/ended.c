/* parsweep — the mark an elastic head leaves in its endpoint file when its
 * sweep ends. Built without the elastic backend too: `parsweep worker`
 * tells a sweep that ended from a failure to join whatever was built. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int psw__endpoint_ended(const char *path) {
  FILE *f = path ? fopen(path, "r") : NULL;
  if (!f)
    return 0;
  char line[512];
  int ended = 0;
  while (!ended && fgets(line, sizeof line, f))
    ended = !strncmp(line, PSW_ENDPOINT_ENDED, strlen(PSW_ENDPOINT_ENDED));
  fclose(f);
  return ended;
}

int psw_elastic_endpoint_ended(const char *path) {
  return psw__endpoint_ended(path);
}
