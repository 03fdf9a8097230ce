/* measure.h - lung measurements from a label mask and its CT volume.
 *
 * Lung voxels are those labelled 1 (right, or "lung" when a recipe does
 * not split sides) or 2 (left); airway voxels are labelled 3. Densities are
 * HU of the volume the mask was computed on.
 *   LAA%-950  percent of lung voxels below -950 HU (low attenuation areas,
 *             the usual emphysema index);
 *   Perc15    the HU below which 15 % of lung voxels lie (the smallest HU
 *             h with at least 15 % of lung voxels <= h).
 * Zones: each lung (label 1, label 2) cut into upper, middle and lower
 * thirds of its height along the patient's cranio-caudal axis (LPS z,
 * superior up, from the voxel centres: feet-first stacks give the same
 * zones); a voxel belongs to the third its centre lies in (a border voxel
 * goes to the upper side). Zone Perc15 clamps HU to -2048..2047.
 * The histogram has PM_MEASURE_BINS bins of PM_MEASURE_BIN_HU HU from
 * PM_MEASURE_HU_LO; voxels outside that range are not in it but are in
 * every other figure.
 */
#ifndef PULMO_MEASURE_H
#define PULMO_MEASURE_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_MEASURE_BINS 140
#define PM_MEASURE_BIN_HU 10
#define PM_MEASURE_HU_LO (-1050)

#define PM_ZONES 3   /* upper, middle, lower */

typedef struct pm_zone_measures {
    double ml;
    double mean_hu, laa950_pct, perc15_hu;   /* NAN when the zone is empty */
    double top_mm, bottom_mm;  /* LPS z of its highest and lowest voxel centre (NAN when empty) */
    uint64_t voxels;
} pm_zone_measures;

typedef struct pm_lung_measures {
    double lung_ml, right_ml, left_ml, airway_ml;
    int sides;                /* 1 when the mask names right and left (label 2 present) */
    double mean_hu;           /* NAN without lung voxels */
    double laa950_pct;
    double perc15_hu;
    int components;           /* 26-connected pieces of the right plus the left lung */
    uint64_t lung_voxels;
    uint64_t hist[PM_MEASURE_BINS];
    /* [0] right lung (or "lung"), [1] left: top and bottom voxel centres
     * (LPS z mm, NAN without that lung) and the zones, upper first. */
    double top_mm[2], bottom_mm[2];
    pm_zone_measures zones[2][PM_ZONES];
    /* Each lung whole ([0] right or "lung", [1] left): its zones together,
     * so per-lung Perc15 is exact, not a mix of the zones'. */
    pm_zone_measures lung[2];
} pm_lung_measures;

/* Measures labels (on v's grid). PM_EUSAGE when the grids differ;
 * PM_EMEMORY. An empty mask is not an error: volumes 0, densities NAN. */
int pm_measure_lungs(const pm_volume *v, const pm_mask *labels, pm_lung_measures *out,
                     const pm_progress *p);

/* Honest coverage: whether the lungs reach the ends of the scan. The slice
 * axis is the grid axis closest to the patient's head-foot axis, and which
 * of its ends is superior comes from the direction cosines, so head-first
 * and feet-first series agree. An end counts as touched when lung (labels 1
 * and 2) covers at least PM_COVERAGE_MIN_MM2 of its slice: the lungs go on
 * beyond the scan there, and their volume is a lower bound (5 cm^2: more
 * than a trachea left in the lung labels, less than a lung cut across). Sets *apex (the
 * superior end slice) and *base (the inferior one) to 0 or 1. */
#define PM_COVERAGE_MIN_MM2 500.0
#define PM_WARN_PARTIAL "partial_coverage"
void pm_lung_coverage(const pm_mask *labels, int *apex, int *base);
/* Whether the lungs reach a side of the image or, given the volume v
 * (NULL: not looked at), the fill outside the scanner's reconstruction
 * circle (a field of view that cuts the chest), by the same measure: 1 or 0. */
int pm_lung_cut_by_fov(const pm_mask *labels, const pm_volume *v);

/* The area in cm^2 of lung (labels 1-2), right (1), left (2) and airway (3)
 * in slice k of the grid's third axis (the acquired slice): cm2[0..3]. */
void pm_lung_areas(const pm_mask *labels, int k, double cm2[4]);

#ifdef __cplusplus
}
#endif

#endif
