/* recipe.h - named segmentation recipes: sequences of seg.h steps with
 * parameters, run on a volume with every intermediate mask kept for
 * interactive tuning.
 *
 * Recipes (pm_recipe_count / pm_recipe_name_at list them):
 *   "tutorial"  the classic Python tutorial (../docs/pipeline.md section 3):
 *               threshold -320 HU, the corner voxel's air is outside air,
 *               optional per-slice filling, single largest air component.
 *   "otsu"      Otsu threshold, per-slice border clearing, small-object
 *               removal and 3x3-cross closing (section 3).
 *   "default"   pulmo's own (section 4): outside air is every air component
 *               touching the sides of the volume, the trachea and main
 *               bronchi are grown from the top and labelled 3, the two
 *               largest remaining components are the lungs, right = 1 and
 *               left = 2 by patient coordinates, a ball closing and hole
 *               filling keep juxtapleural nodules and vessels inside.
 * Every recipe ends with "require": fewer lung mL than its min_ml is
 * PM_ENOLUNG (a head CT has no lungs, only sinuses).
 *
 * Typical use (CLI):
 *     pm_recipe r;  pm_recipe_init(&r, "default");
 *     pm_recipe_set(&r, "close.radius_mm=3", NULL);
 *     pm_seg_run *run = pm_seg_run_new(vol, 0);
 *     rc = pm_recipe_run(&r, run, 0, progress);   // run->result = labels
 *
 * Interactive use (TUI): create the run with keep_steps = 1 so the output
 * of every step is cached. After the user changes a parameter of step s:
 *   - pm_recipe_preview(&r, run, s, k, slice, p) recomputes axial slice k
 *     only, from the cached input of step s, on a thin slab of slices
 *     around k (steps that need the whole volume, such as picking the
 *     largest components or growing the airway, are guided by the last
 *     full run's result on that slab); it takes milliseconds;
 *   - meanwhile a worker thread runs pm_recipe_run(&r, fork, s, p) on
 *     fork = pm_seg_run_fork(run, s) (which shares nothing with run), and
 *     the progress callback returns non-zero to cancel when the parameter
 *     changes again. When it finishes, the TUI swaps fork in for run.
 * A pm_seg_run must not be used by two threads at once.
 */
#ifndef PULMO_RECIPE_H
#define PULMO_RECIPE_H

#include "pulmo/core.h"
#include "pulmo/measure.h"
#include "pulmo/seg.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_RECIPE_MAX_STEPS 12
#define PM_STEP_MAX_PARAMS 12

/* What a parameter's number means: how it is checked, stepped and shown. */
typedef enum pm_param_kind {
    PM_KIND_REAL,        /* a plain number: fraction, ratio, mL, mm^2 */
    PM_KIND_HU,          /* Hounsfield units */
    PM_KIND_MM,          /* a length in mm */
    PM_KIND_COUNT,       /* a whole number of things (bins, components, voxels) */
    PM_KIND_CONN,        /* a connectivity: 4 or 8 per slice, 6 or 26 in 3-D */
    PM_KIND_BOOL,        /* 0 or 1 */
    PM_KIND_CHOICE       /* one of a few numbered options (its help names them) */
} pm_param_kind;

typedef struct pm_param {
    const char *name;
    const char *help;
    double value;
    double def;
    double min, max;
    int is_int;          /* integer (booleans are 0..1 integers) */
    pm_param_kind kind;
} pm_param;

typedef struct pm_step {
    const char *name;    /* unique within its recipe; also the operation */
    const char *help;
    int nparams;
    pm_param params[PM_STEP_MAX_PARAMS];
} pm_step;

typedef struct pm_recipe {
    const char *name;
    const char *help;
    int nsteps;
    pm_step steps[PM_RECIPE_MAX_STEPS];
} pm_recipe;

/* The built-in recipes. */
int pm_recipe_count(void);
const char *pm_recipe_name_at(int i);

/* Fills r with the named recipe at its defaults. PM_EUSAGE if unknown. */
int pm_recipe_init(pm_recipe *r, const char *name);
/* Applies "step.param=value". PM_EUSAGE with a reason for an unknown step or
 * parameter, or a value that is not a number or out of range. *step (may be
 * NULL) gets the index of the step changed: re-run from there. */
int pm_recipe_set(pm_recipe *r, const char *assignment, int *step);
/* A parameter's value (NAN when unknown). */
double pm_recipe_get(const pm_recipe *r, const char *step, const char *param);
/* The names of the parameters step operation `op` reads, separated by
 * spaces ("" for none), or NULL for an unknown operation: every step of a
 * recipe must define them (tests/test_recipe_params.c checks). */
const char *pm_step_reads(const char *op);
/* "HU", "mm", "count", "connectivity", "boolean", "choice" or "number". */
const char *pm_param_kind_name(pm_param_kind k);

/* Index of a step by name, -1 if absent. */
int pm_recipe_step_index(const pm_recipe *r, const char *step);
/* The value one key press away from p's (dir > 0 up, else down; coarse:
 * ten fine steps), clamped to its range: what the TUI's keys do. */
double pm_param_step(const pm_param *p, int dir, int coarse);
/* The fine step of p at its current value. */
double pm_param_fine_step(const pm_param *p);
/* Whether v is a connectivity p takes: 4 and 8 per slice, 6 and 26 in 3-D,
 * those of them inside p's range (4..8, 6..26, or 4..26 for both). */
int pm_param_conn_ok(const pm_param *p, double v);

#define PM_SEG_MAX_WARNINGS 8

struct pm_unet;                  /* unet.h */
typedef struct pm_kept pm_kept;  /* a step's output, run-length encoded */

/* The state of one recipe on one volume. */
typedef struct pm_seg_run {
    const pm_volume *vol;        /* not owned; must outlive the run */
    int keep_steps;
    int nsteps;
    int valid;                   /* steps 0..valid-1 have run with the current parameters */
    pm_kept *after[PM_RECIPE_MAX_STEPS]; /* output of each step when keep_steps
                                            (pm_seg_run_after decodes one) */
    double seconds[PM_RECIPE_MAX_STEPS];
    pm_mask *result;             /* labels 0..3 after a complete run */
    /* What the steps found: */
    const struct pm_unet *unet;  /* the "unet" step's network (not owned; NULL: none) */
    pm_airway_info airway;
    int oriented;                /* patient_dir holds how the patient lies (pm_seg_patient_grid) */
    int turned;                  /* ...turned a quarter from the direction cosines */
    double patient_dir[9];
    int nlungs;
    double otsu_hu;
    double lung_ml;
    char warnings[PM_SEG_MAX_WARNINGS][256];
    int nwarnings;
} pm_seg_run;

/* NULL with a reason when out of memory. */
pm_seg_run *pm_seg_run_new(const pm_volume *v, int keep_steps);
/* A new mask holding the kept output of step s; NULL with a reason when
 * that step's output is not kept or out of memory. */
pm_mask *pm_seg_run_after(const pm_seg_run *run, int s);
void pm_seg_run_free(pm_seg_run *run);
/* A new run on the same volume holding copies of the cached outputs of
 * steps 0..upto-1, for a background re-run from step upto. */
pm_seg_run *pm_seg_run_fork(const pm_seg_run *run, int upto);

/* Runs steps from_step..end (from 0 when the input of from_step is not
 * cached). On PM_OK run->result holds the labels. PM_ENOLUNG when the
 * lungs found are below "require.min_ml" (result still set, for display);
 * PM_ECANCEL; PM_EMEMORY; PM_EUSAGE. */
int pm_recipe_run(const pm_recipe *r, pm_seg_run *run, int from_step, const pm_progress *p);
/* Measures run->result (pm_measure_lungs). A recipe that names the sides
 * says so even when it found one lung: a lone right lung is "right", not
 * the undivided lung of a recipe without sides. */
int pm_recipe_measure(const pm_seg_run *run, pm_lung_measures *out);
/* A series of one or two slices is segmented in 2-D by pm_recipe_run and
 * pm_recipe_preview (each slice as a prism of copies; results and cached
 * steps on the series' own grid): its lungs are cross-sections, measured in
 * cm^2 (pm_lung_areas), never in mL. Returns the number of copies per slice,
 * or 0 for a volume. */
int pm_recipe_flat_copies(const pm_grid *g);
/* The recipe as the 2-D run uses it: without the airway step, which would
 * grow through a prism into the whole lung. */
void pm_recipe_flat(pm_recipe *r);

/* Recomputes axial slice k (nx*ny labels into out) as if steps from_step..
 * end ran again with r's current parameters; needs run's cached input of
 * from_step (keep_steps, and a run that got that far), else PM_EUSAGE. */
int pm_recipe_preview(const pm_recipe *r, const pm_seg_run *run, int from_step, int k,
                      uint8_t *out, const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
