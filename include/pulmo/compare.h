/* compare.h - scoring a label mask against a reference mask.
 *
 * Per label: Dice, volumes and their difference, the average symmetric
 * surface distance and the 95th percentile Hausdorff distance, in mm, as
 * MedPy computes them (medpy.metric.binary assd and hd95): the surface of a
 * label is its voxels with a face neighbour outside it (the edge of the
 * volume counts as outside); distances run from each surface voxel of one
 * mask to the nearest surface voxel of the other (exact Euclidean distance
 * transform on the grid's spacing); assd is the mean of the two directed
 * means, hd95 the 95th percentile (linear interpolation, as numpy) of both
 * directions' distances together.
 *
 * The masks must share a grid: pm_mask_resample_to puts one on the other's
 * grid by nearest neighbour through both affines (patient coordinates), so
 * masks of different sizes, spacings or orientations compare correctly.
 * Voxels set in the ignore mask (e.g. tumours, which a lung reference leaves
 * out) are removed from both masks before scoring.
 */
#ifndef PULMO_COMPARE_H
#define PULMO_COMPARE_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_compare_label {
    int label;
    uint64_t n_mask, n_ref, n_both;   /* voxels */
    double dice;                      /* 1 when both are empty */
    double ml_mask, ml_ref;
    double ml_diff;                   /* ml_mask - ml_ref */
    double assd_mm, hd95_mm;          /* NAN when either mask is empty */
} pm_compare_label;

/* A new mask on grid g: each voxel takes the label of src's voxel nearest
 * to its centre in patient coordinates, 0 outside src. PM_OK or PM_EMEMORY
 * (also when g's or src's axes are degenerate: PM_EUSAGE). */
int pm_mask_resample_to(const pm_mask *src, const pm_grid *g, pm_mask **out);

/* Scores labels[0..nlabels-1] of mask against ref (same grid; ignore NULL
 * or on the same grid too) into out[0..nlabels-1]. PM_EUSAGE when the grids
 * differ, PM_EMEMORY, PM_ECANCEL. */
int pm_compare(const pm_mask *mask, const pm_mask *ref, const pm_mask *ignore, const int *labels,
               int nlabels, pm_compare_label *out, const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
