/* The one registry of backend names (issue 17, acceptance 2): the factory
 * accepts exactly the registry's names, a known but unbuilt name is
 * PSW_ERR_UNAVAILABLE, an unknown one warns with the registry's list.
 * `test_registry --names` prints the list built straight from the table,
 * for tests/registry_names.py to compare with `parsweep info`. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "parsweep.h"
#include "registry.h"

/* The list as registry.h documents it, from the table itself. */
static void names_from_table(char *buf, size_t cap) {
  size_t off = 0;
  buf[0] = 0;
  for (size_t i = 0; i < psw__nregistry; i++) {
    const struct psw_backend_entry *e = &psw__registry[i];
    if (!e->be)
      continue;
    off +=
        (size_t)snprintf(buf + off, cap - off, "%s%s", off ? " " : "", e->name);
    for (const char *const *a = e->aliases; *a; a++)
      off += (size_t)snprintf(buf + off, cap - off, " %s", *a);
  }
  snprintf(buf + off, cap - off, " auto");
}

static char warned[1024];
static void on_log(psw_log_level_t level, const char *msg, void *ud) {
  (void)ud;
  if (level == PSW_LOG_WARN)
    snprintf(warned, sizeof warned, "%s", msg);
}

int main(int argc, char **argv) {
  char list[1024];
  names_from_table(list, sizeof list);
  if (argc > 1 && !strcmp(argv[1], "--names")) {
    printf("%s\n", list);
    return 0;
  }
  CHECK(strcmp(psw_backend_valid_names(), list) == 0);
  unsigned have = 0;
  for (size_t i = 0; i < psw__nregistry; i++) {
    const struct psw_backend_entry *e = &psw__registry[i];
    CHECK(psw__registry_find(e->name) == e);
    CHECK(psw_backend_lookup(e->name) == e->be);
    for (const char *const *a = e->aliases; *a; a++) {
      CHECK(psw__registry_find(*a) == e);
      CHECK(psw_backend_lookup(*a) == e->be);
    }
    if (e->be) {
      CHECK(psw__registry_of(e->be) == e);
      CHECK(strcmp(psw_backend_desc_name(e->be), e->name) == 0);
      have |= e->have;
    } else {
      psw_manager_t *m = (psw_manager_t *)&m;
      CHECK(psw_create_parallel_manager(&m, e->name, NULL) ==
            PSW_ERR_UNAVAILABLE);
      CHECK(m == NULL);
    }
  }
  CHECK(psw__registry_have() == have);
  /* Every name of the list is accepted by the factory, and "auto" too. */
  char copy[1024], *save = NULL;
  snprintf(copy, sizeof copy, "%s", list);
  int n = 0;
  for (char *tok = strtok_r(copy, " ", &save); tok;
       tok = strtok_r(NULL, " ", &save), n++)
    CHECK(psw_backend_lookup(tok) != NULL);
  CHECK(n >= 7); /* serial, threads, fork and their 4 aliases at least */
  /* The unknown-name warning lists the same names, and falls back. */
  psw_log_set_handler(on_log, NULL);
  psw_manager_t *m = NULL;
  CHECK_EQ(psw_create_parallel_manager(&m, "no-such-backend", NULL), 0);
  CHECK(m && strcmp(psw_backend_name(m), "serial") == 0);
  psw_destroy_parallel_manager(m);
  const char *tail = strstr(warned, "valid choices: ");
  CHECK(tail && strcmp(tail + strlen("valid choices: "), list) == 0);
  CHECK(psw__registry_find(NULL) == NULL);
  CHECK(psw__registry_find("auto") == NULL);
  CHECK(psw__registry_of(NULL) == NULL);
  return check_failures() ? 1 : 0;
}
