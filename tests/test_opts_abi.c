/* psw_opts_t across versions (issue 17, acceptance 4): a program compiled
 * against an older, smaller psw_opts_t -- simulated by `struct old_opts`,
 * the current layout cut after num_workers -- initialises its options and
 * creates a manager with this library, which must neither write nor read
 * past the caller's struct and must give the newer fields their defaults.
 *
 * `test_opts_abi --layout` prints every field's offset of psw_opts_t and
 * psw_for_opts_t, for tests/python/opts_layout.py to compare with the
 * ctypes mirrors of python/parsweep/parallel/_lib.py. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parsweep.h"

/* An older release's psw_opts_t: the fields up to num_workers. */
struct old_opts {
  size_t struct_size;
  int num_workers;
};

static int region(psw_ctx_t *c, void *arg) {
  (void)arg;
  return psw_barrier(c);
}

/* Options in a buffer whose bytes past the old struct are 0xbf: read as
 * abort_grace_s they are a negative number, which the factory refuses
 * (PSW_ERR_INVAL). Returns the factory's result. */
static int create_with_tail(size_t declared, int *workers) {
  union {
    psw_opts_t full;
    unsigned char bytes[sizeof(psw_opts_t) + 64];
  } buf;
  memset(&buf, 0xbf, sizeof buf);
  struct old_opts *o = (struct old_opts *)&buf;
  /* What the old program's psw_opts_init macro compiled into. */
  CHECK_EQ(psw_opts_init_sized(&buf.full, sizeof *o), 0);
  CHECK_EQ(o->struct_size, sizeof *o);
  /* Nothing written past the old struct. */
  for (size_t i = sizeof *o; i < sizeof buf; i++)
    if (buf.bytes[i] != 0xbf) {
      CHECK(buf.bytes[i] == 0xbf);
      break;
    }
  o->num_workers = 3;
  o->struct_size = declared;
  psw_manager_t *m = NULL;
  int rc = psw_create_parallel_manager(&m, "threads", &buf.full);
  if (rc == 0) {
    *workers = psw_num_workers(m);
    CHECK_EQ(psw_parallel(m, region, NULL), 0);
    psw_destroy_parallel_manager(m);
  }
  return rc;
}

static void print_layout(void) {
#define F(T, f) printf(#T " " #f " %zu\n", offsetof(T, f))
  F(psw_opts_t, struct_size);
  F(psw_opts_t, num_workers);
  F(psw_opts_t, shm_slot_bytes);
  F(psw_opts_t, abort_grace_s);
  F(psw_opts_t, elastic_connect);
  F(psw_opts_t, elastic_listen);
  F(psw_opts_t, elastic_endpoint);
  F(psw_opts_t, elastic_min_workers);
  F(psw_opts_t, elastic_info);
  F(psw_opts_t, elastic_info_len);
  F(psw_for_opts_t, record_size);
  F(psw_for_opts_t, sink);
  F(psw_for_opts_t, sink_arg);
  F(psw_for_opts_t, min_chunk);
  F(psw_for_opts_t, max_chunk);
  F(psw_for_opts_t, sink_per_node);
  F(psw_for_opts_t, progress);
  F(psw_for_opts_t, progress_arg);
  F(psw_for_opts_t, stop);
  F(psw_for_opts_t, cancel);
  F(psw_for_opts_t, cancel_arg);
  F(psw_for_opts_t, first);
  F(psw_for_opts_t, chunk);
#undef F
  printf("psw_opts_t sizeof %zu\npsw_for_opts_t sizeof %zu\n",
         sizeof(psw_opts_t), sizeof(psw_for_opts_t));
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--layout")) {
    print_layout();
    return 0;
  }
  /* The old layout: 3 workers, the rest defaults despite the 0xbf tail. */
  int workers = -1;
  CHECK_EQ(create_with_tail(sizeof(struct old_opts), &workers), 0);
  CHECK_EQ(workers, 3);
  /* The control: the same bytes declared as this library's size are read
   * whole, and the tail's negative abort_grace_s makes the factory fail,
   * so the case above does test what is read. */
  CHECK_EQ(create_with_tail(sizeof(psw_opts_t), &workers), PSW_ERR_INVAL);

  /* Exactly the old struct's bytes on the heap (AddressSanitizer reports
   * any byte read or written past them). */
  struct old_opts *o = malloc(sizeof *o);
  CHECK(o != NULL);
  if (o) {
    CHECK_EQ(psw_opts_init_sized((psw_opts_t *)o, sizeof *o), 0);
    o->num_workers = 2;
    psw_manager_t *m = NULL;
    CHECK_EQ(psw_create_parallel_manager(&m, "fork", (psw_opts_t *)o), 0);
    if (m) {
      CHECK_EQ(psw_num_workers(m), 2);
      CHECK_EQ(psw_parallel(m, region, NULL), 0);
      psw_destroy_parallel_manager(m);
    }
    free(o);
  }

  /* A struct zeroed by hand (struct_size 0) is this header's layout; the
   * macro sets the size; a size too small for the size field is refused. */
  psw_opts_t z;
  memset(&z, 0, sizeof z);
  z.num_workers = 2;
  psw_manager_t *m = NULL;
  CHECK_EQ(psw_create_parallel_manager(&m, "threads", &z), 0);
  CHECK(m && psw_num_workers(m) == 2);
  psw_destroy_parallel_manager(m);
  psw_opts_init(&z);
  CHECK_EQ(z.struct_size, sizeof z);
  CHECK_EQ(z.num_workers, 0);
  CHECK_EQ(psw_opts_init_sized(&z, 1), PSW_ERR_INVAL);
  CHECK_EQ(psw_opts_init_sized(NULL, sizeof z), PSW_ERR_INVAL);
  z.struct_size = 1;
  m = (psw_manager_t *)&z;
  CHECK_EQ(psw_create_parallel_manager(&m, "threads", &z), PSW_ERR_INVAL);
  CHECK(m == NULL);
  return check_failures() ? 1 : 0;
}
