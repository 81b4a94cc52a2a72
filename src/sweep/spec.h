/* parsweep — the sweep specification (internal).
 *
 * psw__spec_load() reads the YAML file of SPEC §3 into a psw_spec_t and
 * validates all of it before anything runs; every error names file, line
 * and key: "spec.yaml:12: parameters.recovery.lower_limit: not a number". */
#ifndef PSW_SWEEP_SPEC_H
#define PSW_SWEEP_SPEC_H

#include <stddef.h>
#include <stdint.h>

typedef enum psw_sampler {
  /* grid kinds: full factorial */
  PSW_S_LINEAR = 0,
  PSW_S_GEOM,
  PSW_S_REVERSE_GEOM,
  PSW_S_FIXED, /* PredeterminedFixedSample */
  /* random kinds: one row per sample */
  PSW_S_UNIFORM,
  PSW_S_NORMAL,
  PSW_S_LHS,    /* LatinHypercubeSample */
  PSW_S_RANDOM, /* PredeterminedRandomSample */
  PSW_S_SOBOL,
} psw_sampler_t;

/* The YAML type name of a sampler ("LinearSample"). */
const char *psw__sampler_name(psw_sampler_t s);
/* Non-zero for the grid kinds. */
int psw__sampler_is_grid(psw_sampler_t s);

typedef struct psw_param {
  char *name;      /* key under parameters: */
  char *full_name; /* the `param` key, else name */
  char *units;     /* `units`, else "None" */
  psw_sampler_t kind;
  double lower, upper;  /* lower_limit/upper_limit; min/max of array for
                           Predetermined*; mean -/+ 3 std for Normal */
  double mean, std;     /* NormalSample */
  uint64_t num_samples; /* grid: points on this axis; random: rows (the
                           parameter's own or the spec's num_samples) */
  double *array;        /* Predetermined*: values */
  size_t array_len;
  int line; /* line of the parameter in the file, for messages */
  /* WaterTAP's set_mode (fix_value, set_lb, set_ub, set_fixed_state) and
   * default_value: recorded in results.h5, not used by parsweep (the model
   * decides how a value is applied). NULL / has_default 0 when absent. */
  char *set_mode;
  double default_value;
  int has_default;
} psw_param_t;

typedef struct psw_spec {
  char *path; /* as given */
  char *text; /* the file's bytes, NUL-terminated (recorded in results.h5) */
  char *name; /* `name`, else NULL */
  uint64_t seed;
  uint64_t num_samples; /* `num_samples`, 0 when absent */
  char *backend;        /* parallel_back_end, else NULL */
  int num_workers;      /* number_of_subprocesses, 0 = all CPUs */
  char *output;         /* output, default "results.h5" */

  psw_param_t *params;
  size_t nparams;
  char *params_file; /* `parameters:` named a WaterTAP file: its path as
                        opened (relative to the spec's directory), else NULL */
  char *params_text; /* that file's bytes, NUL-terminated (recorded) */
  char **outputs;
  size_t noutputs;
  /* `outputs:` as a mapping: each output's units and full_name (NULL
   * entries when not given; the arrays NULL for a list of names). */
  char **output_units;
  char **output_full_names;

  /* WaterTAP's writer options (SPEC 3.0), run options, not in the hash:
   * csv_results_file_name (relative to the working directory, like
   * output) and h5_parent_group_name (NULL when absent). */
  char *csv_file;
  char *h5_parent;

  /* model: exactly one of command/plugin/server */
  char **command; /* argv template, NULL-terminated; placeholders kept */
  size_t command_argc;
  char *plugin;
  char **server; /* argv of a server model (§3.1), NULL-terminated, literal */
  size_t server_argc;
  double timeout;      /* seconds, 0 = none */
  double init_timeout; /* server start-up until "ready", seconds, 0 = none */
  int retries;
  char **env; /* "KEY=VALUE", NULL-terminated, may be NULL */
  size_t nenv;
  int isolate; /* plugin in a host process of its own (default 1) */

  int is_grid;    /* every parameter is a grid kind */
  uint64_t total; /* N: product of axes (grid) or rows (random); with a
                     differential, the nominal ones and theirs (spec_diff.h);
                     for a recursive sweep max_samples */
  struct psw_spec_diff *diff; /* `differential:`, else NULL (spec_diff.h) */

  /* A recursive sweep (SPEC 3.2, spec_recursive.c): num_successes M > 0;
   * its first round is `first_round` samples (the random design's
   * num_samples), further rounds draw indices up to max_samples (= total).
   * All 0 for a plain sweep. */
  uint64_t num_successes, max_samples, first_round;
} psw_spec_t;

/* Parse and validate `path`. On success returns 0 and *out (free with
 * psw__spec_free). On failure returns PSW_ERR_PARSE (bad content) or
 * PSW_ERR_IO (cannot read) and writes one line without newline to err:
 * "<file>:<line>: <key path>: <reason>". */
int psw__spec_load(const char *path, psw_spec_t **out, char *err,
                   size_t errlen);

/* The same from a buffer; `path` is used in messages only. */
int psw__spec_parse(const char *path, const char *text, size_t len,
                    psw_spec_t **out, char *err, size_t errlen);

void psw__spec_free(psw_spec_t *spec);

/* At most this many parameters and outputs together: each sample's values
 * travel to the writer in one record (24 bytes + 8 per value) of the fork
 * and threads backends' 128 KiB staging slot (asserted in runner.c); more
 * failed after the start with "invalid argument". */
#define PSW_SPEC_MAX_VALUES 16000

/* Bytes a sample takes in results.h5 besides 8 per value: status and
 * solve_successful (1 each), exit_code, worker and node (4 each), elapsed
 * (8). N times the row must fit the largest file (2^63 - 1 bytes). */
#define PSW_SPEC_ROW_FIXED 22

/* The spec hash (spec_hash.c): of what defines the samples and what is
 * computed for them (seed, parameters and their values, outputs, the
 * command template or the server's argv and its env, the plugin's path and
 * bytes), not of how a run goes (name, output, backend, workers, timeout,
 * init_timeout, retries). Stored in
 * results.h5 (attribute spec_hash) and the journals; --resume refuses an
 * output whose hash differs. Returns 0, or -1 when out of memory. */
int psw__spec_hash(const psw_spec_t *spec, uint8_t out[16]);

/* hash as 32 lowercase hex digits and a NUL. */
void psw__spec_hash_hex(const uint8_t hash[16], char hex[33]);

#endif /* PSW_SWEEP_SPEC_H */
