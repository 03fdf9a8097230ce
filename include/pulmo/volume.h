/* volume.h - CT volumes in Hounsfield units and uint8 label masks on a grid.
 *
 * A grid maps voxel indices (i, j, k) to patient coordinates in millimetres,
 * LPS as DICOM defines them (x to the patient's left, y to posterior, z to
 * superior):
 *     p = origin + i*spacing[0]*dir[0..2] + j*spacing[1]*dir[3..5]
 *                + k*spacing[2]*dir[6..8]
 * i runs along a DICOM row (the row cosine), j down the columns (the column
 * cosine) and k along the stacking direction of the sorted slices. With a
 * gantry tilt the third axis is not perpendicular to the first two (the
 * direction cosines are sheared); the mapping above stays exact.
 *
 * Voxels are stored x fastest: index = i + nx*(j + ny*k). HU is int16 and a
 * mask is one byte per voxel, so memory stays near the size of the data.
 */
#ifndef PULMO_VOLUME_H
#define PULMO_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_grid {
    int dim[3];          /* nx, ny, nz */
    double spacing[3];   /* mm */
    double origin[3];    /* LPS mm of voxel (0,0,0) */
    double dir[9];       /* unit axes of i, j, k in LPS */
} pm_grid;

/* Warning kinds, in the JSON spelling of `pulmo info`. */
#define PM_WARN_MISSING "missing_slices"
#define PM_WARN_IRREGULAR "irregular_spacing"
#define PM_WARN_TILT "gantry_tilt"
#define PM_WARN_DECODE "decode_failed"
#define PM_WARN_DECODER "decoder_messages"
#define PM_WARN_MIXED "mixed_dimensions"
#define PM_WARN_DUPLICATE "duplicate_slices"
#define PM_WARN_UNREADABLE "unreadable_files"
#define PM_WARN_MODALITY "mixed_modalities"

typedef struct pm_warning {
    char kind[24];
    char message[512];
} pm_warning;

/* Text from the series' headers, already stripped of control characters. */
typedef struct pm_series_meta {
    char patient_id[72];
    char patient_name[136];
    char study_uid[72];
    char study_date[20];
    char study_description[136];
    char series_uid[72];
    char series_description[136];
    char modality[20];
    char patient_position[20];  /* HFS, FFS, ... */
} pm_series_meta;

/* How to load a volume (a DICOM series or a volume file). */
typedef struct pm_load_opts {
    uint64_t max_memory;         /* bytes; 0 = half of physical memory */
} pm_load_opts;

typedef struct pm_volume {
    pm_grid g;
    int16_t *hu;
    pm_series_meta meta;
    pm_warning *warnings;
    int nwarnings;
    double load_seconds;
} pm_volume;

typedef struct pm_mask {
    pm_grid g;
    uint8_t *v;
} pm_mask;

/* Number of voxels of a grid (0 if any dimension is not positive). */
size_t pm_grid_voxels(const pm_grid *g);
/* Voxel volume in mm^3. */
double pm_grid_voxel_mm3(const pm_grid *g);
/* Patient (LPS) position of a continuous voxel index. */
void pm_grid_to_lps(const pm_grid *g, double i, double j, double k, double out[3]);
/* Inverse of pm_grid_to_lps; returns -1 if the axes are degenerate. */
int pm_grid_from_lps(const pm_grid *g, const double p[3], double out_ijk[3]);
/* An axis-aligned grid: identity direction, origin 0. */
void pm_grid_init(pm_grid *g, int nx, int ny, int nz, double sx, double sy, double sz);

/* Allocates a zero-filled volume/mask on grid g. NULL with a reason from
 * pm_error() when out of memory or the grid is empty. */
pm_volume *pm_volume_new(const pm_grid *g);
/* As pm_volume_new, but the voxels are left unset: for a caller that
 * writes every one of them (a loader), which then pays for touching the
 * memory once instead of twice. */
pm_volume *pm_volume_new_unset(const pm_grid *g);
void pm_volume_free(pm_volume *v);
pm_mask *pm_mask_new(const pm_grid *g);
pm_mask *pm_mask_clone(const pm_mask *m);
void pm_mask_free(pm_mask *m);

/* Appends a warning (printf-style message). Returns 0, or -1 when out of
 * memory (the warning is then dropped). */
int pm_volume_warn(pm_volume *v, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Cropping (volume/crop.c): the index box [lo, hi) of the voxels whose
 * centres lie in the cube of half-side r_mm around the LPS point c (on an
 * oblique grid, the box enclosing that cube), clamped to the grid.
 * PM_EUSAGE when r_mm <= 0 or the cube misses the grid. */
int pm_grid_crop_box(const pm_grid *g, const double c[3], double r_mm, int lo[3], int hi[3]);
/* Copies of that box on the same voxels (origin moved); NULL with a reason
 * when out of memory. */
pm_volume *pm_volume_crop(const pm_volume *v, const int lo[3], const int hi[3]);
pm_mask *pm_mask_crop(const pm_mask *m, const int lo[3], const int hi[3]);
/* Both at once: the box around c on the grid of v (else of m), copied from v
 * into *vout and from m into *mout (either input may be NULL, its output
 * then NULL; m must share v's dimensions). PM_EUSAGE as pm_grid_crop_box
 * or on mismatched grids, PM_EMEMORY; outputs untouched on failure. */
int pm_crop_around(const pm_volume *v, const pm_mask *m, const double c[3], double r_mm, pm_volume **vout,
                   pm_mask **mout);

/* Min, max and mean of the HU values. */
void pm_volume_stats(const pm_volume *v, int *min, int *max, double *mean);
/* Min, max and exact sum of n HU values (32767, -32768 and 0 when n is 0),
 * the pieces pm_volume_stats adds up. Can't fail. */
void pm_hu_span(const int16_t *hu, size_t n, int *min, int *max, int64_t *sum);

/* The one HU histogram (volume/hucounts.c): counts[hu + 32768] (65536
 * entries, overwritten) of the voxels of slices k0..k1-1 whose mask label l
 * has take[l] set; mask NULL: every voxel (take unused). Counted in
 * parallel. PM_EUSAGE when the mask is on another grid or the slices are
 * outside the image; PM_EMEMORY. */
int pm_volume_hu_counts(const pm_volume *v, const pm_mask *mask, const uint8_t take[256], int k0,
                        int k1, uint64_t *counts);

#ifdef __cplusplus
}
#endif

#endif
