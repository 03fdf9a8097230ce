/* seg.h - the building blocks of lung segmentation, on uint8 label masks.
 *
 * Every step works on a pm_mask in place (or fills a new one) and takes its
 * parameters explicitly; recipes (recipe.h) chain them. Masks are label
 * images: 0 is background, and the steps below use these values:
 *
 *     PM_LABEL_LUNG 1     air inside the body / lung (right lung once split)
 *     PM_LABEL_LEFT 2     left lung once split
 *     PM_LABEL_AIRWAY 3   trachea and main bronchi
 *     PM_LABEL_STRUCTURES 5  vessels, walls, nodules inside the lungs (pm_seg_structures)
 *     PM_LABEL_OTHER_AIR 254  gas inside the body that is not lung (internal)
 *     PM_LABEL_OUTSIDE 255  outside the patient's body (internal: recipes clear it)
 *
 * A step that works on "the foreground" treats every value in 1..254 as
 * foreground unless it says otherwise.
 *
 * Connected components are found on runs (maximal rows of foreground voxels
 * along x) with a two-pass union-find: the first pass links each run to the
 * runs it touches in the previous row and slice, the second gives every run
 * its final label. The cost grows with the number of runs, not voxels, so
 * labelling a whole chest CT takes milliseconds and needs no per-voxel label
 * array. Connectivity is 6 or 26 in 3D, 4 or 8 within one slice.
 *
 * Morphology with a ball of radius R mm goes through exact Euclidean
 * distance transforms (separable, lower envelope of parabolas, on the
 * grid's anisotropic spacing), so its cost does not depend on R.
 *
 * Failure: functions return PM_OK, PM_EMEMORY (reason set, mask unchanged
 * where the comment says so), PM_EUSAGE for bad parameters, or PM_ECANCEL
 * from a progress callback. p may be NULL everywhere.
 */
#ifndef PULMO_SEG_H
#define PULMO_SEG_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_LABEL_LUNG 1
#define PM_LABEL_RIGHT 1
#define PM_LABEL_LEFT 2
#define PM_LABEL_AIRWAY 3
#define PM_LABEL_STRUCTURES 5
#define PM_LABEL_OTHER_AIR 254
#define PM_LABEL_OUTSIDE 255

/* ---- connected components ------------------------------------------- */

typedef struct pm_cc {
    int dim[3];
    int conn;              /* 6, 26 (3D) or 4, 8 (per slice) */
    int64_t nruns;
    int32_t *x0, *x1;      /* run r covers x0[r] <= i < x1[r] ... */
    int64_t *row_start;    /* ... in row (j + ny*k): runs row_start[row] .. row_start[row+1]-1 */
    uint32_t *label;       /* component of each run, 1..ncomp */
    uint32_t ncomp;
    uint64_t *size;        /* voxels per component, size[0] unused */
} pm_cc;

/* Labels the voxels of m whose value is in [lo, hi] (lo <= hi, both 0..255)
 * with connectivity conn (6 or 26; 4 or 8 label each slice on its own).
 * Component labels follow raster order (k, then j, then i) of first voxels. */
int pm_cc_label(const pm_mask *m, int lo, int hi, int conn, pm_cc **out, const pm_progress *p);
void pm_cc_free(pm_cc *cc);
/* Writes lut[label] over every voxel of every run whose lut entry is not
 * PM_CC_KEEP (lut has ncomp+1 entries). Can't fail. */
#define PM_CC_KEEP 0x100
void pm_cc_paint(const pm_cc *cc, const uint16_t *lut, uint8_t *v);
/* The component holding voxel (i,j,k), 0 when it is not foreground. */
uint32_t pm_cc_at(const pm_cc *cc, int i, int j, int k);
/* Per-component flags: bit 1 = touches the x or y faces of the volume (the
 * sides of the slices), bit 2 = touches the first or last slice. NULL on
 * memory failure. The caller frees. */
uint8_t *pm_cc_border(const pm_cc *cc);

/* ---- thresholds and histograms --------------------------------------- */

/* m = value where lo <= HU <= hi, 0 elsewhere (m on v's grid). */
void pm_seg_threshold(const pm_volume *v, int lo, int hi, uint8_t value, pm_mask *m);
/* Otsu's threshold (as scikit-image computes it: nbins bins over the data's
 * own range, the threshold is a bin centre). Returns the HU threshold, or
 * NAN with a reason (pm_error) when out of memory. */
double pm_seg_otsu(const pm_volume *v, int nbins);

/* ---- component steps ------------------------------------------------- */

/* Sets to `value` every component of voxels in [lo,hi] that touches the
 * sides of the volume (faces=1), also the first/last slice (faces=2); with
 * conn 4/8 each slice is handled alone (the image border). */
int pm_seg_clear_border(pm_mask *m, int lo, int hi, int conn, int faces, uint8_t value,
                        const pm_progress *p);
/* Keeps the n largest components of voxels in [lo,hi]; the others become 0.
 * Returns the number kept in *kept (may be NULL). Ties: the first in raster
 * order wins. */
int pm_seg_keep_largest(pm_mask *m, int lo, int hi, int conn, int n, int *kept,
                        const pm_progress *p);
/* Removes (sets to 0) components of voxels in [lo,hi] smaller than
 * min_voxels (conn 4/8: per slice, as skimage remove_small_objects). */
int pm_seg_remove_small(pm_mask *m, int lo, int hi, int conn, uint64_t min_voxels,
                        const pm_progress *p);
/* The patient's body: voxels above tissue_hu, opened with a ball of open_mm
 * (0 = no opening) to detach the table and blankets, the largest 6-connected
 * piece, with the holes of every axial slice filled. Every voxel of m
 * outside it becomes PM_LABEL_OUTSIDE; m is unchanged inside. */
int pm_seg_body(const pm_volume *v, pm_mask *m, int tissue_hu, double open_mm, const pm_progress *p);
/* Hole filling: background (value 0) regions that do not reach the border
 * (per slice with conn 4/8 for the background, or in 3D with 6/26) and are
 * enclosed by `value` become `value`. Only voxels equal to `value` count as
 * the enclosing object; `over` lists other values that may be overwritten
 * (besides 0) as a bit mask of values 0..7 (bit v set = value v may be
 * filled), so a hole may swallow an airway label inside a lung. */
int pm_seg_fill_holes(pm_mask *m, uint8_t value, int conn, unsigned over, const pm_progress *p);
/* How many voxels of m lie in [lo, hi] (8 tested at a time). Can't fail. */
size_t pm_seg_count(const pm_mask *m, uint8_t lo, uint8_t hi);

/* ---- morphology -------------------------------------------------------- */

/* Squared Euclidean distance (mm^2) from every voxel to the nearest voxel
 * where feat[] is non-zero, on a grid of dims and spacing (FLT_MAX-ish
 * 1e30 when there is none). out has nx*ny*nz floats. */
int pm_seg_edt(const uint8_t *feat, const int dim[3], const double spacing[3], float *out,
               const pm_progress *p);
/* Ball morphology of the voxels whose value is in [lo,hi] (the "set"), with
 * radius r_mm on the grid spacing. Dilation writes `value` over voxels that
 * are 0 (only 0: other labels are never overwritten); erosion sets to 0 set
 * voxels closer than r to a non-set voxel; closing = dilation then erosion
 * of the result, writing `value` only where the input was 0 (so never over
 * `forbid`, e.g. PM_LABEL_OUTSIDE, or any other label), and then, when
 * rim_mm > 0, also over 0-voxels within rim_mm of what it added. Work is
 * confined to the set's bounding box plus r. */
int pm_seg_dilate(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, const pm_progress *p);
int pm_seg_erode(pm_mask *m, int lo, int hi, double r_mm, const pm_progress *p);
int pm_seg_close(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, double rim_mm,
                 const pm_progress *p);
int pm_seg_open(pm_mask *m, int lo, int hi, double r_mm, const pm_progress *p);
/* Closing of each lung (labels 1 and 2 on their own) as pm_seg_close,
 * keeping only added voxels at most wall_mm deeper below the body's outside
 * (PM_LABEL_OUTSIDE) than the chest wall is thick (the depth of the lung's
 * shallowest percent): the chest wall's side, not the hilum or the
 * diaphragm's dome. wall_mm 0 keeps all. */
int pm_seg_close_pleural(pm_mask *m, double r_mm, double rim_mm, double wall_mm, const pm_progress *p);
/* Per-slice binary closing of the voxels in [lo,hi] with the 3x3 cross, as
 * scikit-image binary_closing (dilation with a background border, erosion
 * with a foreground border); new voxels get `value`. */
int pm_seg_close_cross2d(pm_mask *m, int lo, int hi, uint8_t value, const pm_progress *p);

/* ---- lungs and airways ------------------------------------------------- */

typedef struct pm_airway_opts {
    double search_mm;     /* how far down from the top slice to look for the trachea */
    double seed_hu;       /* lumen HU: at least seed_frac of the trachea's */
    double seed_frac;     /* cross-section is below seed_hu */
    double min_area_mm2;  /* trachea cross-section range */
    double max_area_mm2;
    double start_hu;      /* first growing threshold */
    double max_hu;        /* highest growing threshold tried */
    double step_hu;
    double leak_ratio;    /* a volume jump above this ratio between steps is a leak */
    double max_ml;        /* an airway larger than this is a leak */
    double shell_mm;      /* partial-volume shell added around the lumen */
    const pm_grid *patient; /* how the patient lies (pm_seg_patient_grid); NULL: v's grid */
} pm_airway_opts;

typedef struct pm_airway_info {
    int found;
    int seed_slice;
    double threshold_hu;  /* the growing threshold chosen */
    double ml;
} pm_airway_info;

/* Finds the trachea (an air tube near the body's midline among the voxels
 * labelled PM_LABEL_LUNG) where the neck shows it alone above the apices,
 * or in the top slices when the neck is not scanned, follows it down slice
 * by slice, grows it from all its sections with a rising threshold until
 * the next step would leak, and labels it PM_LABEL_AIRWAY. "Top" is the
 * most superior slice in patient coordinates. Not finding a trachea is not
 * an error (info->found = 0). */
int pm_seg_airway(const pm_volume *v, pm_mask *m, const pm_airway_opts *o, pm_airway_info *info,
                  const pm_progress *p);

/* Keeps up to two lung components of PM_LABEL_LUNG voxels (conn, each at
 * least min_ml, the second at least min_frac of the first) and labels them
 * right (1) and left (2) by their centroids' patient x (LPS: the right lung
 * has the smaller x). When one component holds both lungs (joined at the
 * front), it is cut per slice at the thinnest column near its middle.
 * A second component whose centroid lies below the first one's lowest
 * voxel is gas under the diaphragm, not a lung. Other PM_LABEL_LUNG voxels
 * become PM_LABEL_OTHER_AIR. *nlungs = lungs found (0, 1, 2). Sides and
 * the cut follow the direction cosines of `patient` (a grid like m's whose
 * in-plane directions may be turned: pm_seg_patient_grid); NULL: m's.
 * With v (m's HU; may be NULL), a candidate of pure air (far more of its
 * voxels below -950 HU than the most lung-like candidate's) is gas, never a
 * lung, whatever its size: the stomach beside a lung base. */
int pm_seg_split_lungs(const pm_volume *v, pm_mask *m, const pm_grid *patient, int conn, double min_ml,
                       double min_frac, int *nlungs, const pm_progress *p);

/* How the patient lies in m (labels after the body step: PM_LABEL_OUTSIDE
 * around the body, PM_LABEL_LUNG its air): out = m's grid, unless the body
 * is clearly wider along the image axis the direction cosines call
 * front-back (a patient on the side whose header says supine); then m's
 * grid with its in-plane directions turned a quarter so that the side of
 * the chest holding less air (the heart's) is the patient's left, and 1 is
 * returned. */
int pm_seg_patient_grid(const pm_mask *m, pm_grid *out);

/* Internal structures: voxels set in `filled` but not in `unfilled`
 * (vessels and nodules inside the lungs); out gets 1 there. */
void pm_seg_internal(const pm_mask *filled, const pm_mask *unfilled, pm_mask *out);
/* The same from one final lung mask m (labels 1, 2) on v's grid: voxels of
 * the lungs with their enclosed holes filled (3D), deeper than margin_mm
 * inside that filled lung (the pleural rim of partial volume is not a
 * structure), not airway (3), and above hu (not aerated lung) become
 * PM_LABEL_STRUCTURES (5), lung voxels included.
 * *voxels (may be NULL) gets their count. PM_EUSAGE when the grids differ,
 * PM_EMEMORY (m unchanged), PM_ECANCEL. */
#define PM_STRUCTURES_HU (-500)
#define PM_STRUCTURES_MARGIN_MM 2.0
int pm_seg_structures(const pm_volume *v, pm_mask *m, double hu, double margin_mm,
                      uint64_t *voxels, const pm_progress *p);

/* Gustafson-Kessel fuzzy clustering of n points of dimension d (1..4, row
 * major in x): c clusters, fuzzifier m, at most maxit iterations, stops when
 * the largest membership change is below eps. centers gets c*d values, u
 * (may be NULL) n*c memberships. Deterministic (centres start at quantiles
 * of the first feature). In one dimension it equals fuzzy c-means. */
int pm_seg_gk(const float *x, size_t n, int d, int c, double m, int maxit, double eps,
              double *centers, float *u, int *iterations);
/* Clusters the HU of the voxels labelled in [lo,hi] (on every `every`-th
 * slice) into c clusters; out gets 1 + the cluster index (clusters sorted
 * by centre HU) on those voxels, 0 elsewhere. centers_hu gets c values. */
int pm_seg_cluster_hu(const pm_volume *v, const pm_mask *m, int lo, int hi, int c, int every,
                      pm_mask *out, double *centers_hu, const pm_progress *p);

/* ---- resampling ---------------------------------------------------------- */

/* Resamples to isotropic spacing mm: new shape = round(dim*spacing/mm), the
 * spacing reached = dim*spacing/new shape (recorded in the output grid),
 * same origin and axes. HU trilinear, labels nearest. */
int pm_resample_volume(const pm_volume *v, double mm, pm_volume **out, const pm_progress *p);
int pm_resample_mask(const pm_mask *m, const pm_grid *target, pm_mask **out, const pm_progress *p);
/* The grid pm_resample_volume would produce. */
void pm_resample_grid(const pm_grid *g, double mm, pm_grid *out);

#ifdef __cplusplus
}
#endif

#endif
