/* psw_opts_t across versions (issue 17, acceptance 4): a program compiled
 * against an older, smaller psw_opts_t -- simulated by `struct old_opts`,
 * the current layout cut after num_workers -- initialises its options and
 * creates a manager with this library, which must neither write nor read
 * past the caller's struct and must give the newer fields their defaults.
 * The same for psw_for_opts_t and psw_for_ex, with the current layout cut
 * before `first` (and `chunk`), and before `chunk` only.
 *
 * `test_opts_abi --layout` prints every field's offset of psw_opts_t and
 * psw_for_opts_t, for tests/python/opts_layout.py to compare with the
 * ctypes mirrors of python/parsweep/parallel/_lib.py. */
#include <stddef.h>
#include <stdint.h>
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

/* An older release's psw_for_opts_t is this one cut before a field
 * appended since (fields are only appended, so the old layout is a
 * prefix): OLD_FOR ends before `first` and `chunk`, MID_FOR before
 * `chunk`. The test writes such structs only through the library and
 * memcpy, never as a psw_for_opts_t larger than its memory. */
#define OLD_FOR offsetof(psw_for_opts_t, first)
#define MID_FOR offsetof(psw_for_opts_t, chunk)

#define FOR_N 200

/* One psw_for_ex run: what the root's sink received. */
struct for_run {
  const psw_for_opts_t *opts; /* the caller's bytes, maybe an older layout */
  uint64_t first;             /* the first index the loop must run */
  unsigned char seen[FOR_N];  /* sink calls per index */
  int bad;                    /* records with the wrong value */
};

static uint64_t record_of(uint64_t i) {
  return i * 3 + 1;
}

static int rec_task(psw_ctx_t *c, uint64_t i, void *rec, void *arg) {
  (void)c;
  (void)arg;
  uint64_t v = record_of(i);
  if (rec) /* NULL without records (record_size 0) */
    memcpy(rec, &v, sizeof v);
  return 0;
}

static int rec_sink(uint64_t i, const void *rec, void *arg) {
  struct for_run *r = arg;
  uint64_t v;
  memcpy(&v, rec, sizeof v);
  if (i < FOR_N && r->seen[i] < 255)
    r->seen[i]++;
  r->bad += i >= FOR_N || v != record_of(i);
  return 0;
}

/* Every worker runs the loop with r->opts; the root, which hosts the sink
 * (its own process on fork), checks that every index from r->first on
 * reached it once with its record, and no other. */
static int for_region(psw_ctx_t *c, void *arg) {
  struct for_run *r = arg;
  check_set_rank(psw_rank(c));
  int rc = psw_for_ex(c, FOR_N, rec_task, NULL, r->opts);
  if (rc || psw_rank(c) != 0)
    return rc;
  int before = check_failures();
  for (uint64_t i = 0; i < FOR_N; i++)
    if (r->seen[i] != (i >= r->first)) {
      fprintf(stderr, "index %llu: %d sink calls\n", (unsigned long long)i,
              r->seen[i]);
      CHECK_EQ(r->seen[i], i >= r->first);
      break;
    }
  CHECK_EQ(r->bad, 0);
  return check_failures() > before ? PSW_ERR_MISMATCH : 0;
}

/* psw_for_ex on 2 workers of `backend` with the loop's options. */
static int run_for(const char *backend, struct for_run *r) {
  psw_opts_t mo;
  psw_opts_init(&mo);
  mo.num_workers = 2;
  psw_manager_t *m = NULL;
  int rc = psw_create_parallel_manager(&m, backend, &mo);
  CHECK_EQ(rc, 0);
  if (rc)
    return rc;
  rc = psw_parallel(m, for_region, r);
  psw_destroy_parallel_manager(m);
  return rc;
}

/* A caller whose psw_for_opts_t is `size` bytes, initialised with its
 * sizeof, in a buffer whose bytes past it are 0xbf: read as `first` they
 * exceed FOR_N (PSW_ERR_INVAL), read as `chunk` they are a wild pointer.
 * The struct then claims `declared` bytes. Returns psw_parallel's result. */
static int for_with_tail(size_t size, size_t declared, uint64_t first) {
  union {
    psw_for_opts_t full;
    unsigned char bytes[sizeof(psw_for_opts_t) + 64];
  } buf;
  memset(&buf, 0xbf, sizeof buf);
  CHECK_EQ(psw_for_opts_init_sized(&buf.full, size), 0);
  CHECK_EQ(buf.full.struct_size, size);
  for (size_t i = size; i < sizeof buf; i++)
    if (buf.bytes[i] != 0xbf) {
      fprintf(stderr, "byte %zu written past a %zu-byte struct\n", i, size);
      CHECK(buf.bytes[i] == 0xbf);
      break;
    }
  struct for_run r = {.opts = &buf.full, .first = first};
  buf.full.record_size = sizeof(uint64_t);
  buf.full.sink = rec_sink;
  buf.full.sink_arg = &r;
  if (size >= MID_FOR)
    buf.full.first = first;
  buf.full.struct_size = declared;
  return run_for("threads", &r);
}

static void check_for_opts(void) {
  /* Older callers: `first` and then `chunk` at their defaults (0, NULL)
   * despite the 0xbf tail; the mid caller's first = 50 is honoured. */
  CHECK_EQ(for_with_tail(OLD_FOR, OLD_FOR, 0), 0);
  CHECK_EQ(for_with_tail(MID_FOR, MID_FOR, 50), 0);
  /* The control: the same bytes declared as this library's size are read
   * whole, and the tail's `first` is past n. */
  CHECK_EQ(for_with_tail(OLD_FOR, sizeof(psw_for_opts_t), 0), PSW_ERR_INVAL);
  /* A newer caller (a larger struct, e.g. the ctypes mirror): the fields
   * this library knows, the rest ignored. */
  CHECK_EQ(for_with_tail(sizeof(psw_for_opts_t) + 64,
                         sizeof(psw_for_opts_t) + 64, 7),
           0);

  /* Exactly the old struct's bytes on the heap, on fork (AddressSanitizer
   * reports any byte read or written past them, in every worker). The
   * caller's fields are staged in a full struct and copied in. */
  psw_for_opts_t *o = malloc(OLD_FOR);
  CHECK(o != NULL);
  if (o) {
    struct for_run r = {.opts = o};
    psw_for_opts_t f;
    CHECK_EQ(psw_for_opts_init_sized(o, OLD_FOR), 0);
    memcpy(&f, o, OLD_FOR);
    CHECK_EQ(f.struct_size, OLD_FOR);
    f.record_size = sizeof(uint64_t);
    f.sink = rec_sink;
    f.sink_arg = &r;
    f.max_chunk = 3; /* a field the old struct has, read */
    memcpy(o, &f, OLD_FOR);
    CHECK_EQ(run_for("fork", &r), 0);
    free(o);
  }

  /* A struct zeroed by hand (struct_size 0) is this header's layout. */
  psw_for_opts_t z;
  memset(&z, 0, sizeof z);
  struct for_run r = {.opts = &z, .first = 20};
  z.record_size = sizeof(uint64_t);
  z.sink = rec_sink;
  z.sink_arg = &r;
  z.first = 20;
  CHECK_EQ(run_for("threads", &r), 0);
  /* No options at all: the defaults, no records, so no sink calls. */
  memset(r.seen, 0, sizeof r.seen);
  r.opts = NULL;
  r.first = FOR_N;
  CHECK_EQ(run_for("serial", &r), 0);

  /* The macro passes the caller's sizeof, the function this library's;
   * a size too small for the size field is refused. */
  memset(&z, 0xbf, sizeof z);
  psw_for_opts_init(&z);
  CHECK_EQ(z.struct_size, sizeof z);
  CHECK(z.record_size == 0 && z.sink == NULL && z.first == 0 && !z.chunk);
  memset(&z, 0xbf, sizeof z);
  (psw_for_opts_init)(&z);
  CHECK_EQ(z.struct_size, sizeof z);
  CHECK(z.chunk == NULL);
  CHECK_EQ(psw_for_opts_init_sized(&z, 1), PSW_ERR_INVAL);
  CHECK_EQ(psw_for_opts_init_sized(NULL, sizeof z), PSW_ERR_INVAL);
  z.struct_size = 1;
  r.opts = &z;
  CHECK_EQ(run_for("threads", &r), PSW_ERR_INVAL);
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
  F(psw_for_opts_t, struct_size);
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
  check_for_opts();

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
