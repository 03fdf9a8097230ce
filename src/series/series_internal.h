/* series_internal.h - internal to src/series: the loader's plan of a
 * series (plan.c), read by the decoding in load.c. */
#ifndef PULMO_SERIES_INTERNAL_H
#define PULMO_SERIES_INTERNAL_H

#include "pulmo/series.h"

typedef struct pm__slice {
    int file;        /* index into the series' files */
    double d;        /* position along the normal, mm */
} pm__slice;

typedef struct pm__plan {
    const pm_series *s;
    pm__slice *sl;
    int nz;                  /* slices read from files */
    int *slot;               /* per slice: its index on the grid (NULL: the same) */
    int nslots;              /* grid slices: nz plus the interpolated ones */
    double r[3], c[3], n[3], stack[3];
    double dz;
} pm__plan;

/* Picks the slices (majority size, single-frame greyscale), sorts them and
 * derives the geometry; everything that is not fatal becomes a warning on
 * warn. On failure pl->sl and pl->slot may be set: the caller frees them. */
int pm__plan_slices(const pm_series *s, pm__plan *pl, pm_volume *warn);

#endif
