/* nifti_internal.h - shared by nifti.c and gzip.c. */
#ifndef PULMO_NIFTI_INTERNAL_H
#define PULMO_NIFTI_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#define PM__GZ_RUNS 10   /* level: runs of bytes, for label masks (gzip.c) */

/* Writes head then data to f as one gzip member at the given zlib level,
 * deflated on all cores (the bytes do not depend on the thread count):
 * PM_OK, PM_EWRITE when f refuses them, PM_EMEMORY. Sets no message. */
int pm__gzip_write(FILE *f, const void *head, size_t hlen, const void *data, size_t len, int level);

#endif
