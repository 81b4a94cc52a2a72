/* parsweep tests — the rows and helpers test_results.c shares with
 * check_results.py (results_fixture.c). */
#ifndef PSW_TESTS_RESULTS_FIXTURE_H
#define PSW_TESTS_RESULTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* The test's directory (a mkdtemp of main) and the spec text written. */
extern char tdir[256];
extern const char spec_text[];
extern char *test_outputs[2];

/* --- the rows: must match check_results.py --- */
/* 0 = never written, else the status written for sample i of n. */
int row_state(uint64_t i, uint64_t n);
int32_t exit_of(int st);
double p0_of(uint64_t i);
double p1_of(uint64_t i);
double o0_of(uint64_t i);
double o1_of(uint64_t i);
double elapsed_of(uint64_t i);
/* Values of one row; buffers owned by the caller. */
psw_row_t make_row(uint64_t i, uint64_t n, double p[2], double o[2]);

/* --- helpers --- */
psw_spec_t make_spec(uint64_t n);
psw_results_meta_t test_meta(size_t buffer_rows);
int exists(const char *p);
/* Number of entries of tdir whose name starts with ".<base>.tmp.". */
int count_tmp(const char *base);
/* tdir/name */
void path_of(char *buf, size_t len, const char *name);
int write_file(const char *path, const char *text);
int file_is(const char *path, const char *text);
/* Rows 0..n-1 in a shuffled order, some scattered (see the .c). */
int write_shuffled(psw_results_t *r, uint64_t n);
/* Run argv and return its exit status (-1 if it did not exit). */
int run_argv(char *const argv[]);

#endif /* PSW_TESTS_RESULTS_FIXTURE_H */
