/* adapter_c.h - internal: the plain C half of the GDCM adapter (values.c).
 *
 * gdcm_adapter.cpp keeps only what calls GDCM; everything that is checks,
 * string parsing and byte handling lives in C, where the rest of pulmo can
 * read and test it without C++.
 */
#ifndef PULMO_DICOM_ADAPTER_C_H
#define PULMO_DICOM_ADAPTER_C_H

#include "pulmo/dicom.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An IS/DS value as an int in +-2e9, else def. */
int pm__dicom_parse_is(const char *s, int def);
/* Writes n numbers as a DS list ("%.6g" each, backslash-separated). */
void pm__dicom_ds_list(const double *v, int n, char *buf, size_t cap);
/* Non-zero for objects that hold no image (DICOMDIR, RT, SR, SEG, ...). */
int pm__dicom_non_image(const char *sop_class, const char *modality);
/* Non-zero for an image object (storage class or imaging modality). */
int pm__dicom_is_image(const char *sop_class, const char *modality);
/* Before GDCM opens path: PM_OK, PM_ENODATA when it is not DICOM,
 * PM_ECORRUPT when unreadable or refused by the guard (guard.h). */
int pm__dicom_check_file(const char *path);
/* Size in bytes, or -1. */
long long pm__file_size(const char *path);

/* Refuses pixel layouts pulmo does not decode and sizes the file cannot
 * hold, before anything is allocated: PM_OK or PM_ECORRUPT with a reason. */
int pm__dicom_pixels_precheck(const char *path, const pm_dicom_header *h);
/* Stored pixels (ba bits allocated, bs stored, sgn signed) to int32. */
void pm__dicom_unpack(const char *buf, size_t npix, int ba, int bs, int sgn, int32_t *out);

/* Native pixels read in place (pm__guard_image's native callback): user is
 * a pm__native_read; done is set once out holds them. Data shorter than
 * need is left alone, for GDCM's path to name the truncation. */
typedef struct pm__native_read {
    size_t need, npix;
    int ba, bs, sgn;
    int32_t *out;
    int done;
} pm__native_read;
void pm__dicom_native_unpack(void *user, const unsigned char *pixels, size_t len);

/* Forgets this thread's codec messages before a decode. */
void pm__codec_messages_reset(void);
/* This thread's codec message count, and the first one in first. */
int pm__codec_messages(const char **first);

#ifdef __cplusplus
}
#endif

#endif
