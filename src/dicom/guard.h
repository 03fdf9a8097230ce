/* guard.h - a structural check of a DICOM file run before GDCM parses it
 * (pm_dicom_precheck in include/pulmo/dicom.h is its public face).
 *
 * GDCM allocates every element's declared length before it reads the value,
 * so a 1 KB file that declares a 4 GB element makes it zero-fill 4 GB (found
 * by tests/fuzz/fuzz_dicom). The guard walks the element structure itself
 * (file meta in Explicit VR LE, then the data set in the transfer syntax's
 * VR and byte order, into sequences and encapsulated pixel data) and refuses
 * any defined length that runs past the end of the file, so that nothing
 * GDCM allocates for a file can be larger than the file. It also refuses
 * the shapes on which Debian's GDCM (built with assertions) aborts the
 * whole process instead of failing: see guard.c.
 */
#ifndef PULMO_DICOM_GUARD_H
#define PULMO_DICOM_GUARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the header says the image is, for the check of compressed pixel
 * data against it (the codecs assert rather than fail when they disagree). */
typedef struct pm__guard_image {
    int rows, cols, samples, bits_allocated;
    const char *transfer_syntax;
    /* Optional: called once the whole file has passed, while it is still
     * mapped, with the value of the data set's own pixel data when it has a
     * defined length (native pixels, not fragments) and the data set is
     * little-endian: the loader reads such pixels in place instead of
     * having GDCM parse the file a second time and copy them twice. */
    void (*native)(void *user, const unsigned char *pixels, size_t len);
    void *user;
} pm__guard_image;

/* 0 when every element of path fits in the file; -1 with a reason in why
 * (without the file name) otherwise. With img NULL the walk ends after the
 * pixel data element (a header read); with img it covers the whole file and
 * also checks the first compressed fragment's own header (JPEG and JPEG-LS
 * SOF, JPEG 2000 SIZ, RLE segment table) against img. Deflated data sets
 * are refused. */
int pm__dicom_guard(const char *path, const pm__guard_image *img, char *why, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
