/* measure_internal.h - what measure.c takes from the zones' pass (not public). */
#ifndef PULMO_MEASURE_INTERNAL_H
#define PULMO_MEASURE_INTERNAL_H

#include "pulmo/measure.h"

#include <stdint.h>

#define PM__ZN_HU_LO (-2048)
#define PM__ZN_BINS 4096   /* -2048 .. 2047 HU */

/* The whole mask's figures that fall out of the zones' two passes. */
typedef struct pm__lung_totals {
    uint64_t cnt[4];                /* voxels labelled 1, 2, 3 ([0] unused) */
    uint64_t hist[PM__ZN_BINS];     /* both lungs' HU, clamped to -2048..2047 */
    double sum;                     /* both lungs' HU, unclamped */
} pm__lung_totals;

/* Fills out's top_mm, bottom_mm, zones and lung, and tot (may be NULL):
 * pm_measure_lungs' two passes. With tot and no lung voxel, only tot->cnt
 * is filled and out is left as it is. PM_EUSAGE when the grids differ,
 * PM_EMEMORY. */
int pm__measure_pass(const pm_volume *v, const pm_mask *labels, pm_lung_measures *out,
                     pm__lung_totals *tot);

/* LAA%-950 and Perc15 (the first HU at which 15 % of the voxels are
 * reached) of h, PM__ZN_BINS counts from PM__ZN_HU_LO summing to voxels
 * (> 0): one rule for the zones, each lung and both. Can't fail. */
void pm__hist_figures(const uint64_t *h, uint64_t voxels, double *laa950_pct, double *perc15_hu);

#endif
