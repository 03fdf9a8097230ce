/* refmask.h - reference masks from other tools: DICOM RT Structure Sets
 * (RTSTRUCT) read and rasterized on a CT grid, DICOM Segmentations (SEG) on
 * their own grid, and any supported mask file loaded as labels by name.
 *
 * An RTSTRUCT holds, per ROI, planar polygons in patient coordinates (LPS
 * mm), one or more per slice. Rasterizing applies the even-odd rule to all
 * polygons of one ROI on one slice together, so a contour drawn inside
 * another is a hole, as the standard defines. A voxel is inside when its
 * centre is (on a row, the centres from a crossing up to, not including, the
 * next crossing). Polygons are put on the nearest slice of the grid; one
 * whose points do not lie within a quarter slice of one plane of the grid
 * (drawn on another orientation or another CT) is skipped and counted.
 * POINT and OPEN_PLANAR contours are not areas and are skipped.
 *
 * ROI names map to pulmo's labels (seg.h) by pm_roi_label: right lung 1,
 * left lung 2, airway 3, after lower-casing and dropping everything but
 * letters ("Lung-Right", "Lung_R", "RightLung", "lung r" are all 1).
 *
 * Strings from the file are cleaned of control characters. Failures return
 * PM_ECORRUPT (reason names the file), PM_ENODATA (not an RTSTRUCT, or no CT
 * series found for it), PM_EMEMORY, with outputs untouched.
 */
#ifndef PULMO_REFMASK_H
#define PULMO_REFMASK_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_contour {
    int npts;
    double *xyz;          /* npts points, x y z in LPS mm */
} pm_contour;

typedef struct pm_roi {
    int number;           /* ROINumber */
    char name[72];
    int ncontours;        /* closed planar polygons */
    pm_contour *contours;
    int nskipped;         /* POINT / OPEN_PLANAR / empty contours */
} pm_roi;

typedef struct pm_rtstruct {
    char frame_uid[72];   /* FrameOfReferenceUID */
    char series_uid[72];  /* the CT series the contours were drawn on ("" when not given) */
    char patient_id[72];
    int nrois;
    pm_roi *rois;
} pm_rtstruct;

/* Reads an RTSTRUCT file. */
int pm_rtstruct_read(const char *path, pm_rtstruct **out);
void pm_rtstruct_free(pm_rtstruct *rs);

/* Writes value into m->v wherever ROI rs->rois[roi] covers a voxel centre
 * of m's grid (other voxels untouched). *nskipped (may be NULL) gets the
 * number of polygons not on a slice of the grid. PM_OK or PM_EMEMORY. */
int pm_rtstruct_fill(const pm_rtstruct *rs, int roi, uint8_t value, pm_mask *m, int *nskipped);

/* pulmo label of an ROI name: 1 right lung, 2 left lung, 3 airway, 0 none. */
int pm_roi_label(const char *name);
/* Shell pattern match (*, ?, [..]), ignoring case: 1 when name matches. */
int pm_roi_match(const char *pattern, const char *name);

/* ---- any mask file as labels -------------------------------------------- */

#define PM_REF_MAXIGNORE 16

typedef struct pm_refmask_opts {
    const pm_grid *grid;      /* rasterize an RTSTRUCT on this grid (the CT in hand) */
    const char *series_dir;   /* else on this CT series (NULL: look beside it) */
    const char *ignore[PM_REF_MAXIGNORE];  /* ROI name patterns left out of scoring */
    int nignore;
} pm_refmask_opts;

typedef struct pm_refmask {
    pm_mask *labels;          /* label per voxel */
    pm_mask *ignore;          /* non-zero where ignored ROIs lie; NULL if none */
    int kind;                 /* PM_REF_NIFTI, PM_REF_RTSTRUCT or PM_REF_SEG */
    char name[256][72];       /* label name by label ("" when unnamed) */
    int present[256];         /* 1 when the file defines the label (even if empty) */
    char ignored[512];        /* names of the ignored ROIs, comma separated */
    int nskipped;             /* RTSTRUCT polygons that missed the grid */
    char series_folder[4096]; /* the CT series an RTSTRUCT was rasterized on */
} pm_refmask;

#define PM_REF_NIFTI 1
#define PM_REF_RTSTRUCT 2
#define PM_REF_SEG 3

/* Fills r (zeroed by the caller) from a DICOM Segmentation object on its own
 * grid (frames placed by their positions; uncompressed binary or fractional
 * frames): segments map to labels by name (pm_roi_label), else by segment
 * number; segments matching o's ignore patterns go to r->ignore. PM_ENODATA
 * when the file is DICOM but not a SEG. */
int pm_dicomseg_read(const char *path, const pm_refmask_opts *o, pm_refmask *r);

/* Loads path as labels: a NIfTI label image (labels present are the
 * non-zero values found), a DICOM SEG on its own grid (pm_dicomseg_read), or
 * an RTSTRUCT rasterized on the CT series that
 * it references, found in o->series_dir, else in the RTSTRUCT's folder,
 * else in that folder's parent. ROIs whose names map to no label and match
 * no ignore pattern are left out. On failure *out is untouched. */
int pm_refmask_load(const char *path, const pm_refmask_opts *o, pm_refmask **out,
                    const pm_progress *p);
void pm_refmask_free(pm_refmask *r);

#ifdef __cplusplus
}
#endif

#endif
