/* guard.h - a structural check of a DICOM file run before GDCM parses it.
 *
 * GDCM allocates every element's declared length before it reads the value,
 * so a 1 KB file that declares a 4 GB element makes it zero-fill 4 GB (found
 * by tests/fuzz/fuzz_dicom). The guard walks the element structure itself
 * (file meta in Explicit VR LE, then the data set in the transfer syntax's
 * VR and byte order, into sequences and encapsulated pixel data) and refuses
 * any defined length that runs past the end of the file, so that nothing
 * GDCM allocates for a file can be larger than the file.
 */
#ifndef PULMO_DICOM_GUARD_H
#define PULMO_DICOM_GUARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when every element of path (up to and including the pixel data when
 * whole is 0, the whole file otherwise) fits in the file; -1 with a reason in why (without
 * the file name) otherwise. Deflated data sets are checked up to the meta. */
int pm__dicom_guard(const char *path, int whole, char *why, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
