/* batch.h - segmenting one series end to end, and many series in a batch.
 *
 * pm_segment_series is what `pulmo segment` does: load a series, resample
 * it when asked, run a recipe, measure, and write OUTDIR/mask.nii.gz (uint8
 * labels: 1 right lung or "lung", 2 left lung, 3 airway) and
 * OUTDIR/report.json. The report is written when the recipe ran, including
 * when it found no lungs (then with "status": "no_lungs" and no mask); a
 * series that fails to load or write gets no report, so a resumed batch
 * tries it again.
 *
 * pm_batch_run is what `pulmo batch` does: index ROOT, take every CT series
 * (every N-th one with a shard I/N, counting from 1 in a stable order:
 * series sorted by folder then UID), segment each into OUTDIR/<name>/ where
 * <name> is the series folder relative to ROOT with '/' turned into '_'
 * (plus the UID's tail when one folder holds several series), and write
 * OUTDIR/summary.csv (summary-I-of-N.csv for a shard), one row per series
 * of the shard, including failures. A series whose report.json exists is
 * not recomputed (its row comes from the report) unless force is set. One
 * failing series never stops the others. jobs > 1 segments that many
 * series at once (each one's steps still use pm_parallel_for, so on a
 * small machine jobs = 1 is usually fastest; more jobs hide I/O waits).
 * The notify callback is called under a lock, from any worker thread.
 */
#ifndef PULMO_BATCH_H
#define PULMO_BATCH_H

#include "pulmo/core.h"
#include "pulmo/measure.h"
#include "pulmo/recipe.h"
#include "pulmo/series.h"

#include <stdio.h>

#define PM_MAX_SETS 32

typedef struct pm_segment_opts {
    const char *recipe;              /* NULL = "default" */
    const char *sets[PM_MAX_SETS];   /* "step.param=value" overrides */
    int nsets;
    double resample_mm;              /* 0 = the series' own grid */
    const char *series_uid;          /* NULL = the largest CT series of the folder */
    pm_load_opts load;
    int write_mask;                  /* normally 1 */
    const char *weights;             /* unet recipe: weights file (NULL: PULMO_WEIGHTS or
                                        the XDG config, see pm_unet_weights_path) */
} pm_segment_opts;

#define PM_REPORT_MAX_WARNINGS 24

typedef struct pm_segment_report {
    int status;                      /* pm_status of the whole job */
    char message[640];               /* the reason when status != 0 */
    pm_recipe recipe;                /* with the parameters used */
    char series_dir[4096];
    char series_uid[72];
    char patient_id[72];
    int dim[3];                      /* grid segmented */
    double spacing[3];
    double resample_mm;
    pm_lung_measures m;
    int nlungs;
    pm_airway_info airway;
    double otsu_hu;                  /* the Otsu threshold, when the recipe has that step */
    double seconds_load, seconds_resample, seconds_measure, seconds_write, seconds_total;
    double seconds_step[PM_RECIPE_MAX_STEPS];
    char warnings[PM_REPORT_MAX_WARNINGS][512];
    int nwarnings;
    int skipped;                     /* batch: report found, not recomputed */
} pm_segment_report;

/* Segments the series in dir into outdir (created when missing). Returns
 * the status (also in rep->status): PM_OK, PM_ENOLUNG (report written),
 * PM_EUSAGE (bad recipe or --set), or the load/write/memory/cancel error.
 * rep is always filled as far as the job got. */
int pm_segment_series(const char *dir, const char *outdir, const pm_segment_opts *o,
                      pm_segment_report *rep, const pm_progress *p);

/* Writes the report as JSON (the report.json format). */
void pm_segment_report_json(const pm_segment_report *rep, FILE *f, int pretty);
/* Reads the figures of a report.json back (for resumed batches); PM_OK or
 * PM_ECORRUPT. Only the fields the summary needs are filled. */
int pm_segment_report_read(const char *path, pm_segment_report *rep);

typedef struct pm_batch_opts {
    pm_segment_opts seg;
    int jobs;                        /* series in parallel (>= 1) */
    int shard_index, shard_count;    /* 1-based I of N; 0/0 = everything */
    int force;
} pm_batch_opts;

/* Called after each series (under a lock, from whichever thread ran it),
 * for a front end to print a line. May be NULL. */
typedef void (*pm_batch_notify)(void *user, int done, int total, const char *name,
                                const pm_segment_report *rep);

typedef struct pm_batch_result {
    int total;                       /* series in this shard */
    int ok, no_lungs, failed, skipped;
    char summary_path[4096];
} pm_batch_result;

/* Runs the batch. PM_OK when it got through every series (even if some
 * failed: see res), PM_ENODATA when ROOT holds no CT series, PM_EWRITE when
 * OUTDIR or the summary cannot be written, PM_EUSAGE, PM_ECANCEL. */
int pm_batch_run(const char *root, const char *outdir, const pm_batch_opts *o,
                 pm_batch_notify notify, void *user, pm_batch_result *res, const pm_progress *p);

/* The series of a batch: CT series of ix in batch order, filtered to the
 * shard (shard_count 0 = all). Returns the count; *order gets indexes into
 * ix->series (caller frees). -1 on memory failure. */
int pm_batch_select(const pm_index *ix, int shard_index, int shard_count, int **order);
/* The output sub-folder name of series s of ix under root (see above). */
void pm_batch_name(const pm_index *ix, int s, const char *root, char *out, size_t cap);

#endif
