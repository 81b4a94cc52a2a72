/* parsweep — HDF5 building blocks of results.h5 (internal).
 *
 * Shared by the writer (results.c) and the reader (results_read.c). Every
 * function that does I/O takes the property lists it needs (dxpl for
 * transfers) so that the MPI-IO path can pass collective ones; the serial
 * path passes H5P_DEFAULT. Errors come back as a negative return (or
 * H5I_INVALID_HID) with the HDF5 error stack left for psw__h5_errf(). */
#ifndef PSW_SWEEP_RESULTS_H5_H
#define PSW_SWEEP_RESULTS_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Elements per chunk of the [N] columns (64 KiB of float64), equal to the
 * writer's buffer of rows, so that a flush fills whole chunks and the
 * memory held (buffer + a two-chunk cache per column) does not depend on
 * N. */
#define PSW_H5_CHUNK ((hsize_t)8192)

/* HDF5 prints its error stack to stderr by default; a library must not.
 * quiet_begin saves the caller's handler and silences it, quiet_end puts
 * it back, so the application's own setting is left as it was. */
typedef struct psw_h5_quiet {
  H5E_auto2_t fn;
  void *data;
} psw_h5_quiet_t;
void psw__h5_quiet_begin(psw_h5_quiet_t *q);
void psw__h5_quiet_end(const psw_h5_quiet_t *q);

/* A new file access property list for results files (close with
 * H5Pclose): HDF5's file locking, but ignored where the filesystem cannot
 * lock (Lustre or NFS mounted without flock answer ENOSYS, and HDF5 would
 * then refuse to open or create any file). */
hid_t psw__h5_fapl(void);

/* Format "<fmt...>: <innermost HDF5 error>" into err (one line, no
 * newline) and clear the HDF5 error stack. When the stack is empty only
 * the formatted part is written. */
void psw__h5_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The enum h5py uses for numpy.bool_ (FALSE = 0, TRUE = 1), on a one-byte
 * unsigned base: h5py and WaterTAP read it back as a bool array. Close
 * with H5Tclose. */
hid_t psw__h5_bool_type(void);

/* Create a group; with track_order the links remember their creation
 * order so that readers list parameters in spec order. */
hid_t psw__h5_group(hid_t loc, const char *name, int track_order);

/* A chunked 1-D dataset of n elements of file type `type` whose unwritten
 * elements read as *fill (in `type`). No filters: parallel HDF5 1.10
 * cannot write filtered datasets. */
hid_t psw__h5_column(hid_t loc, const char *name, hid_t type, uint64_t n,
                     const void *fill);

/* Scalar datasets, as h5py's create_dataset(name, data=<float|str>)
 * makes them: float64, or a variable-length UTF-8 string. */
int psw__h5_scalar_double(hid_t loc, const char *name, double v);
int psw__h5_scalar_string(hid_t loc, const char *name, const char *s);

/* Scalar attributes, as h5py's attrs[name] = <str|int> makes them. */
int psw__h5_attr_string(hid_t loc, const char *name, const char *s);
int psw__h5_attr_i64(hid_t loc, const char *name, int64_t v);
int psw__h5_attr_u64(hid_t loc, const char *name, uint64_t v);
int psw__h5_attr_f64(hid_t loc, const char *name, double v);

/* Write or read elements [first, first + count) of the 1-D dataset
 * `dset`; buf holds count elements of memory type `mtype`. */
int psw__h5_write_block(hid_t dset, hid_t mtype, hid_t dxpl, uint64_t first,
                        size_t count, const void *buf);
int psw__h5_read_block(hid_t dset, hid_t mtype, hid_t dxpl, uint64_t first,
                       size_t count, void *buf);

/* The stored rows of the chunked 1-D dataset `dset` (results_scan.c):
 * fn(arg, first, count) for runs of whole chunks that exist in the file,
 * in index order, at most `block` rows each; every other row was never
 * written and reads as the fill value. Costs one index lookup per chunk
 * up to the last stored one, not a read of every row. A dataset that is
 * not chunked is reported whole. Returns 0; fn's non-zero return (which
 * stops the scan); PSW_ERR_INTERRUPTED once *stop (may be NULL; read
 * atomically) is set; PSW_ERR_IO or PSW_ERR_PARSE (a chunk index that does
 * not match the extent) with a message in err, without a file name. */
typedef int (*psw_h5_run_fn)(void *arg, uint64_t first, size_t count);
int psw__h5_stored_runs(hid_t dset, size_t block, const int *stop,
                        psw_h5_run_fn fn, void *arg, char *err, size_t errlen);

/* Read a string (any HDF5 string type, fixed or variable length) from a
 * scalar attribute into a malloc'd NUL-terminated copy. */
int psw__h5_read_attr_string(hid_t loc, const char *name, char **out);
/* Read a scalar numeric attribute converted to int64 / uint64. */
int psw__h5_read_attr_i64(hid_t loc, const char *name, int64_t *out);
int psw__h5_read_attr_u64(hid_t loc, const char *name, uint64_t *out);

/* The names of the links of group `loc`, in creation order where the
 * group tracks it, else in name order. *names is a malloc'd array of
 * malloc'd strings; free with psw__h5_free_names. */
int psw__h5_list(hid_t loc, char ***names, size_t *count);
void psw__h5_free_names(char **names, size_t count);

#endif /* PSW_SWEEP_RESULTS_H5_H */
