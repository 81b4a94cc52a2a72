/* parsweep — HDF5 building blocks of results.h5: errors, types, creation
 * and block I/O. Reading helpers are in results_h5_read.c. */
#include "results_h5.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void psw__h5_quiet_begin(psw_h5_quiet_t *q) {
  q->fn = NULL;
  q->data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void psw__h5_quiet_end(const psw_h5_quiet_t *q) {
  H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

/* The innermost entry of the stack is where HDF5 noticed the problem; its
 * description carries the specifics (errno text, "file signature not
 * found"), the outer ones only repeat "unable to open file". */
struct walk {
  char desc[200];
  int found;
};

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *arg) {
  struct walk *w = arg;
  if (n != 0 || w->found)
    return 0;
  if (e->desc && e->desc[0]) {
    snprintf(w->desc, sizeof w->desc, "%s", e->desc);
  } else {
    H5E_type_t type;
    if (H5Eget_msg(e->min_num, &type, w->desc, sizeof w->desc) < 0)
      w->desc[0] = '\0';
  }
  w->found = w->desc[0] != '\0';
  return 0;
}

void psw__h5_errf(char *err, size_t errlen, const char *fmt, ...) {
  struct walk w = {.found = 0};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
  H5Eclear2(H5E_DEFAULT);
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  /* The POSIX driver's description is a paragraph ("file write failed:
   * time = ..., errno = 28, error message = 'No space left on device',
   * ..."): its error message is what a user needs. */
  const char *desc = w.desc, *m = strstr(w.desc, "error message = '");
  int dlen = (int)strlen(desc);
  if (m) {
    desc = m + strlen("error message = '");
    const char *q = strchr(desc, '\'');
    dlen = q ? (int)(q - desc) : (int)strlen(desc);
  }
  if (w.found && n >= 0 && (size_t)n < errlen)
    snprintf(err + n, errlen - (size_t)n, ": %.*s", dlen, desc);
  /* One line: HDF5 descriptions occasionally hold a newline. */
  for (char *p = err; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
}

/* H5Pset_file_locking: 1.10.7 and later 1.10, 1.12.1 and later. */
#if H5_VERS_MAJOR > 1 || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR > 12) ||         \
    (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12 && H5_VERS_RELEASE >= 1) ||     \
    (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7)
#define PSW_H5_FILE_LOCKING 1
#endif

hid_t psw__h5_fapl(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#ifdef PSW_H5_FILE_LOCKING
  if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) < 0) {
    H5Pclose(fapl);
    return H5I_INVALID_HID;
  }
#endif
  return fapl;
}

hid_t psw__h5_bool_type(void) {
  hid_t t = H5Tenum_create(H5T_NATIVE_UINT8);
  uint8_t f = 0, tr = 1;
  if (t < 0)
    return H5I_INVALID_HID;
  if (H5Tenum_insert(t, "FALSE", &f) < 0 ||
      H5Tenum_insert(t, "TRUE", &tr) < 0) {
    H5Tclose(t);
    return H5I_INVALID_HID;
  }
  return t;
}

hid_t psw__h5_group(hid_t loc, const char *name, int track_order) {
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  hid_t g = H5I_INVALID_HID;
  if (gcpl < 0)
    return H5I_INVALID_HID;
  if (track_order &&
      H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
                                           H5P_CRT_ORDER_INDEXED) < 0)
    goto out;
  g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
out:
  H5Pclose(gcpl);
  return g;
}

hid_t psw__h5_column(hid_t loc, const char *name, hid_t type, uint64_t n,
                     const void *fill) {
  hsize_t dims[1] = {(hsize_t)n};
  hsize_t chunk[1] = {n < PSW_H5_CHUNK ? (hsize_t)n : PSW_H5_CHUNK};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
  hid_t d = H5I_INVALID_HID;
  if (space < 0 || dcpl < 0 || dapl < 0)
    goto out;
  /* A chunk cache of two chunks per column: rows arrive in runs that move
   * forward, so older chunks are never touched again. HDF5's default (1 MiB
   * per dataset) would keep filling until full, making peak memory grow
   * with N up to ~16 chunks per column. */
  if (H5Pset_chunk_cache(dapl, 13, 2 * PSW_H5_CHUNK * H5Tget_size(type), 1.0) <
      0)
    goto out;
  /* Chunked so that rows never written cost no space and read back as the
   * fill value ("not run"); an empty sweep cannot be chunked (chunk
   * dimensions must be positive and within the fixed size). */
  if (n > 0 && H5Pset_chunk(dcpl, 1, chunk) < 0)
    goto out;
  if (H5Pset_fill_value(dcpl, type, fill) < 0 ||
      H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET) < 0)
    goto out;
  d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, dapl);
out:
  if (dapl >= 0)
    H5Pclose(dapl);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (space >= 0)
    H5Sclose(space);
  return d;
}

static hid_t utf8_vlen_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0)
    return H5I_INVALID_HID;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return H5I_INVALID_HID;
  }
  return t;
}

/* One scalar dataset or attribute of type `type` holding *buf. */
static int scalar(hid_t loc, const char *name, int is_attr, hid_t ftype,
                  hid_t mtype, const void *buf) {
  int rc = -1;
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t obj = H5I_INVALID_HID;
  if (space < 0)
    return -1;
  if (is_attr) {
    obj = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (obj >= 0 && H5Awrite(obj, mtype, buf) >= 0)
      rc = 0;
  } else {
    obj = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT,
                     H5P_DEFAULT);
    if (obj >= 0 &&
        H5Dwrite(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)
      rc = 0;
  }
  if (obj >= 0 && (is_attr ? H5Aclose(obj) : H5Dclose(obj)) < 0)
    rc = -1;
  H5Sclose(space);
  return rc;
}

static int scalar_string(hid_t loc, const char *name, int is_attr,
                         const char *s) {
  hid_t t = utf8_vlen_type();
  if (t < 0)
    return -1;
  const char *p = s ? s : "";
  int rc = scalar(loc, name, is_attr, t, t, &p);
  H5Tclose(t);
  return rc;
}

int psw__h5_scalar_double(hid_t loc, const char *name, double v) {
  return scalar(loc, name, 0, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

int psw__h5_scalar_string(hid_t loc, const char *name, const char *s) {
  return scalar_string(loc, name, 0, s);
}

int psw__h5_attr_string(hid_t loc, const char *name, const char *s) {
  return scalar_string(loc, name, 1, s);
}

int psw__h5_attr_i64(hid_t loc, const char *name, int64_t v) {
  return scalar(loc, name, 1, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

int psw__h5_attr_u64(hid_t loc, const char *name, uint64_t v) {
  return scalar(loc, name, 1, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

int psw__h5_attr_f64(hid_t loc, const char *name, double v) {
  return scalar(loc, name, 1, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* Select [first, first + count) of dset's file space and run `io`. */
static int block_io(hid_t dset, hid_t mtype, hid_t dxpl, uint64_t first,
                    size_t count, void *rbuf, const void *wbuf) {
  if (count == 0)
    return 0;
  int rc = -1;
  herr_t e;
  hsize_t start[1] = {(hsize_t)first}, cnt[1] = {(hsize_t)count};
  hid_t fs = H5Dget_space(dset);
  hid_t ms = H5Screate_simple(1, cnt, NULL);
  if (fs < 0 || ms < 0)
    goto out;
  if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0)
    goto out;
  e = wbuf ? H5Dwrite(dset, mtype, ms, fs, dxpl, wbuf)
           : H5Dread(dset, mtype, ms, fs, dxpl, rbuf);
  rc = e < 0 ? -1 : 0;
out:
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  return rc;
}

int psw__h5_write_block(hid_t dset, hid_t mtype, hid_t dxpl, uint64_t first,
                        size_t count, const void *buf) {
  return block_io(dset, mtype, dxpl, first, count, NULL, buf);
}

int psw__h5_read_block(hid_t dset, hid_t mtype, hid_t dxpl, uint64_t first,
                       size_t count, void *buf) {
  return block_io(dset, mtype, dxpl, first, count, buf, NULL);
}
