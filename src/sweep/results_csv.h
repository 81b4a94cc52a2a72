/* parsweep — WaterTAP's CSV of a results.h5 (internal; results_csv.c). */
#ifndef PSW_SWEEP_RESULTS_CSV_H
#define PSW_SWEEP_RESULTS_CSV_H

#include <stddef.h>

/* Write the CSV of the finished results file h5 to csv, atomically (a
 * temporary beside csv, renamed over it). Returns 0 or a psw_err_t with a
 * one-line message in err; on error csv is untouched. */
int psw__results_write_csv(const char *h5, const char *csv, char *err,
                           size_t errlen);

/* Before a run: can the CSV be made at csv? Its directory must exist and
 * be writable, and csv must not be a directory or another non-regular
 * file. Returns 0, or PSW_ERR_IO with "<csv>: ..." in err. */
int psw__results_csv_check(const char *csv, char *err, size_t errlen);

#endif /* PSW_SWEEP_RESULTS_CSV_H */
