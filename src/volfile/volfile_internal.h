/* volfile_internal.h - what the MetaImage and NRRD header parsers hand to
 * the shared data reader. */
#ifndef PULMO_VOLFILE_INTERNAL_H
#define PULMO_VOLFILE_INTERNAL_H

#include "pulmo/volume.h"

typedef struct pm__vhdr {
    pm_grid g;
    int type;               /* a PM_NIFTI_* datatype code */
    int big_endian;
    int compressed;         /* zlib or gzip stream */
    char data_path[4096];
    long long offset;       /* bytes before the data; -1: the data ends the file */
} pm__vhdr;

/* Header parsers: PM_OK, or PM_ECORRUPT with a reason naming path. */
/* The first max bytes of a header file (NUL-terminated, free it), with h
 * cleared: PM_OK, PM_ECORRUPT "cannot open", PM_EMEMORY. */
int pm__vhdr_text(const char *path, size_t max, char **text, size_t *len, pm__vhdr *h);
int pm__meta_header(const char *path, pm__vhdr *h);
int pm__nrrd_header(const char *path, pm__vhdr *h);
/* NRRD writer of write.c's table (datatype PM_NIFTI_UINT8, INT16, FLOAT32). */
int pm__nrrd_write(const char *path, const pm_grid *g, int datatype, const void *data);

/* A datatype code from a MetaImage/NRRD type name, 0 when unknown. */
int pm__vtype_meta(const char *name);
int pm__vtype_nrrd(const char *name);

/* Joins the folder of header with name (a detached data file). */
void pm__vpath(const char *header, const char *name, char *out, size_t cap);

/* Checks the grid's sizes (positive, product and bytes without overflow,
 * under the memory cap) and fills *bytes. */
int pm__vcheck(const char *path, const pm_grid *g, int type, uint64_t cap, size_t *bytes);

/* Reads h's data into int16 HU voxels of v (x fastest). */
int pm__vread(const char *path, const pm__vhdr *h, pm_volume *v);

#endif
