/* parsweep — HDF5 reading helpers of results.h5: scalar string and
 * numeric attributes (whatever type the producer chose: h5py writes
 * variable-length strings, other tools fixed-length ones) and group listings.
 */
#include "results_h5.h"

#include <stdlib.h>
#include <string.h>

/* Read the one element of a scalar (or one-element) attribute with memory
 * type mtype into buf. */
static int read_one(hid_t attr, hid_t mtype, void *buf) {
  hid_t space = H5Aget_space(attr);
  int rc = -1;
  if (space < 0)
    return -1;
  if (H5Sget_simple_extent_npoints(space) != 1)
    goto out;
  if (H5Aread(attr, mtype, buf) < 0)
    goto out;
  rc = 0;
out:
  H5Sclose(space);
  return rc;
}

static int read_string(hid_t attr, char **out) {
  int rc = -1;
  hid_t mtype = H5I_INVALID_HID;
  hid_t ftype = H5Aget_type(attr);
  char *buf = NULL;
  *out = NULL;
  if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING)
    goto out;
  mtype = H5Tcopy(H5T_C_S1);
  if (mtype < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0)
    goto out;
  if (H5Tis_variable_str(ftype) > 0) {
    char *p = NULL;
    if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || read_one(attr, mtype, &p) < 0)
      goto out;
    buf = strdup(p ? p : "");
    H5free_memory(p);
  } else {
    /* Fixed length: one more byte so that a NULLPAD/SPACEPAD string of
     * full width still ends in a NUL after conversion. */
    size_t size = H5Tget_size(ftype);
    if (size == 0 || H5Tset_size(mtype, size + 1) < 0 ||
        H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0)
      goto out;
    buf = calloc(1, size + 1);
    if (buf && read_one(attr, mtype, buf) < 0) {
      free(buf);
      buf = NULL;
      goto out;
    }
  }
  if (!buf)
    goto out;
  *out = buf;
  rc = 0;
out:
  if (mtype >= 0)
    H5Tclose(mtype);
  if (ftype >= 0)
    H5Tclose(ftype);
  return rc;
}

int psw__h5_read_attr_string(hid_t loc, const char *name, char **out) {
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  int rc;
  *out = NULL;
  if (a < 0)
    return -1;
  rc = read_string(a, out);
  H5Aclose(a);
  return rc;
}

static int read_attr_num(hid_t loc, const char *name, hid_t mtype, void *out) {
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t t = H5I_INVALID_HID;
  int rc = -1;
  if (a < 0)
    return -1;
  t = H5Aget_type(a);
  if (t < 0)
    goto out;
  /* HDF5 would convert a string to nothing useful: refuse non-numbers. */
  if (H5Tget_class(t) != H5T_INTEGER && H5Tget_class(t) != H5T_FLOAT &&
      H5Tget_class(t) != H5T_ENUM)
    goto out;
  rc = read_one(a, mtype, out);
out:
  if (t >= 0)
    H5Tclose(t);
  H5Aclose(a);
  return rc;
}

int psw__h5_read_attr_i64(hid_t loc, const char *name, int64_t *out) {
  return read_attr_num(loc, name, H5T_NATIVE_INT64, out);
}

int psw__h5_read_attr_u64(hid_t loc, const char *name, uint64_t *out) {
  return read_attr_num(loc, name, H5T_NATIVE_UINT64, out);
}

struct list {
  char **names;
  size_t count, cap;
};

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info,
                      void *arg) {
  struct list *l = arg;
  (void)g;
  (void)info;
  if (l->count == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    char **n = realloc(l->names, cap * sizeof *n);
    if (!n)
      return -1;
    l->names = n;
    l->cap = cap;
  }
  l->names[l->count] = strdup(name);
  if (!l->names[l->count])
    return -1;
  l->count++;
  return 0;
}

int psw__h5_list(hid_t loc, char ***names, size_t *count) {
  struct list l = {NULL, 0, 0};
  unsigned flags = 0;
  H5_index_t idx = H5_INDEX_NAME;
  hid_t gcpl = H5Gget_create_plist(loc);
  if (gcpl >= 0) {
    if (H5Pget_link_creation_order(gcpl, &flags) >= 0 &&
        (flags & H5P_CRT_ORDER_INDEXED))
      idx = H5_INDEX_CRT_ORDER;
    H5Pclose(gcpl);
  }
  *names = NULL;
  *count = 0;
  if (H5Literate(loc, idx, H5_ITER_INC, NULL, list_cb, &l) < 0) {
    psw__h5_free_names(l.names, l.count);
    return -1;
  }
  *names = l.names;
  *count = l.count;
  return 0;
}

void psw__h5_free_names(char **names, size_t count) {
  if (!names)
    return;
  for (size_t i = 0; i < count; i++)
    free(names[i]);
  free(names);
}
