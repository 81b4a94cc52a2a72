/* parsweep — the record of one evaluated sample (internal). */
#ifndef PSW_SWEEP_SAMPLE_H
#define PSW_SWEEP_SAMPLE_H

#include <stdint.h>

/* /parsweep/status values (SPEC §4). */
enum psw_status {
  PSW_ST_NOT_RUN = 0,
  PSW_ST_OK = 1,
  PSW_ST_FAILED = 2,
  PSW_ST_TIMEOUT = 3,
  PSW_ST_CRASHED = 4,
};

/* How one evaluation went. */
typedef struct psw_eval {
  int8_t status;     /* enum psw_status */
  int32_t exit_code; /* exit status, -signal, or plugin's return; 0 ok */
  double elapsed;    /* seconds */
} psw_eval_t;

/* One row of results.h5. params/outputs point at nparams/noutputs values. */
typedef struct psw_row {
  uint64_t index;
  const double *params;
  const double *outputs; /* NaN where not produced */
  psw_eval_t ev;
  int32_t worker;
  int32_t node;
} psw_row_t;

#endif /* PSW_SWEEP_SAMPLE_H */
