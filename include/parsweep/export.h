/* parsweep — symbol visibility.
 *
 * The library is built with hidden visibility; only names marked PSW_EXTERN
 * are exported from the shared object. */
#ifndef PARSWEEP_EXPORT_H
#define PARSWEEP_EXPORT_H

#if defined(PSW_BUILDING_SHARED) && defined(__GNUC__)
#define PSW_EXTERN __attribute__((visibility("default")))
#else
#define PSW_EXTERN
#endif

#endif /* PARSWEEP_EXPORT_H */
