/* phantom.h - synthetic chest CT phantoms with exact ground truth.
 *
 * A phantom is an analytic chest: body ellipse with skin, fat and muscle,
 * two lungs (about -850 HU with texture and a gravity gradient) separated by
 * the mediastinum, heart and great vessels, spine, ribs and sternum, a
 * trachea splitting into two main bronchi with lobar branches, vessel trees
 * inside the lungs, one nodule inside a lung and one juxtapleural nodule, a
 * patient table, air outside and -2000 padding outside the circular field of
 * view. Boundaries are blended over about one pixel (partial volume) and
 * Gaussian noise of a chosen sigma is added.
 *
 * Ground truth is decided on the voxel centre of the analytic shapes, so it
 * agrees with the HU at the 50% point of every blended edge:
 *     1 right lung, 2 left lung (parenchyma with its vessels and bronchial
 *       walls), 3 airway lumen (trachea, bronchi, including the parts
 *       inside the lungs), 4 nodule (only the part inside a lung).
 * Right is the patient's right: smaller LPS x.
 *
 * Everything is deterministic: structures come from a splitmix64 stream of
 * the spec's seed, per-voxel noise from a hash of (seed, voxel), so the
 * result does not depend on the number of threads.
 *
 * The volume is generated on the grid the loader will produce from the
 * written series (k along the slice normal), so it compares voxel by voxel
 * with pm_load_dir's result. A spec's missing slice is present in the
 * generated volume and the truth, and left out of the written series (the
 * loader interpolates it in its grid place).
 */
#ifndef PULMO_PHANTOM_H
#define PULMO_PHANTOM_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_LABEL_RIGHT_LUNG 1
#define PM_LABEL_LEFT_LUNG 2
#define PM_LABEL_AIRWAY 3
#define PM_LABEL_NODULE 4

typedef struct pm_phantom_spec {
    char name[64];            /* PatientID and folder name */
    char description[128];    /* SeriesDescription */
    uint64_t seed;
    int nx, ny, nz;           /* columns, rows, slices (before the missing one) */
    double pixel_mm;          /* in-plane spacing */
    double slice_mm;          /* slice spacing = thickness */
    int feet_first;           /* FFS, ImageOrientationPatient -1\0\0\0\1\0 */
    double slope, intercept;  /* RescaleSlope / RescaleIntercept */
    int padding;              /* write PixelPaddingValue for the -2000 fill */
    int missing_slice;        /* slice index k left out when writing; -1 none */
    int disconnected;         /* 0, or the label (1/2) of the lung whose main
                                 bronchus stops short in the mediastinum */
    double noise;             /* Gaussian sigma, HU */
    double scale;             /* body size factor (1 = adult, about 330 mm wide) */
    int dcm_ext;              /* file names end in .dcm (else no extension) */
} pm_phantom_spec;

/* What the generator placed, for the truth JSON. */
typedef struct pm_phantom_nodule {
    double center[3];         /* LPS mm */
    double radius;            /* mm (mean; the surface is lobulated) */
    int lung;                 /* 1 right, 2 left */
    int juxtapleural;
} pm_phantom_nodule;

typedef struct pm_phantom {
    pm_volume *hu;            /* HU as written (-2000 outside the field of view) */
    pm_mask *labels;          /* 0..4, see above */
    pm_mask *structures;      /* inside labels 1-2: 1 vessel, 2 bronchial wall, else 0 */
    pm_phantom_nodule nodules[2];
    int nnodules;
    int airways_connect;      /* both lungs reached by the airway lumen */
} pm_phantom;

/* Number of standard phantoms (the set `pulmo phantom --all` writes). */
int pm_phantom_standard_count(void);
/* Fills spec with standard phantom i (0-based). PM_EUSAGE when out of range. */
int pm_phantom_standard(int i, pm_phantom_spec *spec);
/* The standard spec named name (case-sensitive). PM_EUSAGE when unknown. */
int pm_phantom_find(const char *name, pm_phantom_spec *spec);
/* PM_EUSAGE with a reason when the spec is unusable (sizes, spacing...). */
int pm_phantom_check(const pm_phantom_spec *spec);

/* Generates the volume and labels on all cores. PM_OK, PM_EUSAGE,
 * PM_EMEMORY or PM_ECANCEL (nothing is left allocated on failure). */
int pm_phantom_generate(const pm_phantom_spec *spec, pm_phantom *out, const pm_progress *p);
void pm_phantom_free(pm_phantom *ph);

/* Writes the series as DICOM CT files into series_root/<name>/<series>/
 * and the ground truth as truth_dir/<name>.labels.nii.gz (uint8, on the grid
 * the loader produces, the missing slice included), truth_dir/<name>.structures.nii.gz
 * (the same grid; 1 vessel, 2 bronchial wall, where the labels say lung) and
 * truth_dir/<name>.json (geometry, exact volumes in mL per label, nodules). Generates ph first
 * when ph is NULL. PM_OK, PM_EWRITE (reason names the path), PM_ECANCEL. */
int pm_phantom_write(const pm_phantom_spec *spec, const pm_phantom *ph, const char *series_root,
                     const char *truth_dir, const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
