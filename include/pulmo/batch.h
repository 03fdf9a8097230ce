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
#include "pulmo/net.h"
#include "pulmo/recipe.h"
#include "pulmo/series.h"

#include <stdio.h>

struct pm_fb;

#ifdef __cplusplus
extern "C" {
#endif

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
    int structures;                  /* label 5 (pm_seg_structures) after measuring */
    const char *dicom_seg;           /* also a DICOM SEG of the labels there (a DICOM
                                        series on its own grid only); NULL: none */
    int sheet;                       /* also OUTDIR/sheet.png, the triage sheet */
    const char *mesh;                /* also the lungs' surface here (.stl, .obj, .ply), from
                                        the mask just made: no second load or segmentation */
    int mesh_smooth;                 /* Taubin passes on it (0: none) */
    double mesh_ratio;               /* decimate to this fraction of its triangles (0: not) */
} pm_segment_opts;

#define PM_REPORT_MAX_WARNINGS 24
/* The warning of a series of one or two slices (segmented in 2-D). The
 * partial_coverage warning (PM_WARN_PARTIAL, measure.h) says which end of the
 * lungs a 3-D series cuts. */
#define PM_WARN_SINGLE_SLICE "single_slice"

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
    int flat;                        /* 1 or 2: a series of that many slices, segmented
                                        in 2-D: areas, no volumes (m's mL are not reported) */
    double area_cm2[2][4];           /* flat: per slice, lung, right, left, airway */
    char warnings[PM_REPORT_MAX_WARNINGS][512];
    int nwarnings;
    int skipped;                     /* batch: report found, not recomputed */
    int structures;                  /* structures_ml was computed */
    double structures_ml;            /* label 5; lung_ml still includes it */
    double seconds_structures;
    size_t mesh_triangles;           /* o->mesh written: its triangles, volume, seconds */
    double mesh_ml, seconds_mesh;
} pm_segment_report;

/* Segments the series in dir into outdir (created when missing). Returns
 * the status (also in rep->status): PM_OK, PM_ENOLUNG (report written),
 * PM_EUSAGE (bad recipe or --set), or the load/write/memory/cancel error.
 * rep is always filled as far as the job got. */
/* The recipe o asks for (o->recipe, "default" when NULL) with its --set
 * overrides applied: PM_OK, or PM_EUSAGE naming the bad name or value.
 * Front ends call it to refuse a bad recipe before loading anything. */
int pm_segment_opts_recipe(const pm_segment_opts *o, pm_recipe *r);

int pm_segment_series(const char *dir, const char *outdir, const pm_segment_opts *o,
                      pm_segment_report *rep, const pm_progress *p);

/* Segments the series in dir as pm_segment_series does, writing no mask
 * and no report, and draws its triage sheet (render.h, pm_sheet_draw):
 * what `pulmo report` does. Writes it to png when not NULL; hands the
 * picture over in *fb when fb is not NULL (the caller frees it).
 * PM_ENOLUNG still draws the sheet (a head CT's shows no lungs). Returns
 * the status; a PNG that cannot be written is PM_EWRITE. */
int pm_segment_sheet(const char *dir, const char *png, const pm_segment_opts *o,
                     pm_segment_report *rep, struct pm_fb **fb, const pm_progress *p);
/* The triage sheet of v segmented as lab (may be NULL) with its report:
 * header from v's meta, the report's warnings, figures per lung and per
 * zone, the lung histogram. PM_EMEMORY. */
int pm_segment_sheet_draw(const pm_volume *v, const pm_mask *lab, const pm_segment_report *rep,
                          struct pm_fb **out);
/* The same written as a PNG through a temporary name (PM_EWRITE). */
int pm_segment_sheet_write(const char *png, const pm_volume *v, const pm_mask *lab,
                           const pm_segment_report *rep);

/* Fills the report from what a segmentation produced (the one place that
 * does, for `pulmo segment`, batches and the TUI's export): v's identity,
 * grid and warnings, then when given the recipe r, the run's step times,
 * warnings, airway and Otsu threshold, the measures m, and the status with
 * its reason. Load, resample and write times and series_dir are the
 * caller's. May be called again as the job goes on; warnings are rebuilt. */
void pm_segment_report_fill(pm_segment_report *rep, const pm_volume *v, const pm_recipe *r, const pm_seg_run *run,
                            const pm_lung_measures *m, int status, const char *reason);

/* The name of a pm_status in reports, summaries and --json output: "ok",
 * "no_lungs", "no_data", "corrupt", "write_failed", "memory", "cancelled",
 * "usage". */
const char *pm_status_name(int status);

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
    int meshes;                      /* also OUTDIR/<series>/lungs.stl, shaped by seg's
                                        mesh_smooth and mesh_ratio (seg.mesh is ignored) */
} pm_batch_opts;

/* Called after each series (under a lock, from whichever thread ran it),
 * for a front end to print a line. May be NULL. */
typedef void (*pm_batch_notify)(void *user, int done, int total, const char *name,
                                const pm_segment_report *rep);

typedef struct pm_batch_result {
    int total;                       /* series in this shard */
    int ok, no_lungs, failed, skipped;
    int first_failure;               /* status of the first failed series, 0 if none */
    char summary_path[4096];
} pm_batch_result;

/* Runs the batch. PM_OK when it got through every series (even if some
 * failed: see res), PM_ENODATA when ROOT holds no CT series, PM_EWRITE when
 * OUTDIR or the summary cannot be written, PM_EUSAGE, PM_ECANCEL. */
int pm_batch_run(const char *root, const char *outdir, const pm_batch_opts *o,
                 pm_batch_notify notify, void *user, pm_batch_result *res, const pm_progress *p);

/* The batch over a DICOM node (src/batch/remote.c): the CT series that
 * C-FIND finds for q (a study date range, ...), one at a time: retrieved
 * into the cache (pm_net_fetch), segmented into OUTDIR/<series UID>/, and
 * summed up in OUTDIR/summary.csv. Resumable like pm_batch_run: a series
 * with a report is neither retrieved nor recomputed. A series that cannot
 * be retrieved is a failed row; only a node that cannot be queried fails
 * the run (PM_ENET, PM_EREFUSED). jobs and shards are ignored. */
int pm_batch_remote(const pm_node *node, const pm_remote_query *q, const char *outdir,
                    const pm_batch_opts *o, pm_batch_notify notify, void *user,
                    pm_batch_result *res, const pm_progress *p);

/* The series of a batch: CT series of ix in batch order, filtered to the
 * shard (shard_count 0 = all). Returns the count; *order gets indexes into
 * ix->series (caller frees). -1 on memory failure. */
int pm_batch_select(const pm_index *ix, int shard_index, int shard_count, int **order);
/* The output sub-folder name of series s of ix under root (see above). */
void pm_batch_name(const pm_index *ix, int s, const char *root, char *out, size_t cap);

/* ---- Slurm job arrays (src/batch/slurm.c, src/batch/merge.c) ------------
 *
 *   pulmo batch ROOT -o OUT --sbatch > job.sh   plans OUT/shards.csv, makes OUT/logs/
 *   sbatch job.sh                               each array task: --shard auto
 *   pulmo batch --merge OUT                     OUT/summary.csv, missing and failed
 *
 * pulmo invents no distribution of its own: an array task is one shard
 * (pm_batch_run with shard I/N), writes only its series folders and its
 * summary-I-of-N.csv, and needs no coordinator; the merge joins the tables.
 */

#define PM_BATCH_MAX_SHARDS 1000       /* Slurm's default MaxArraySize is 1001 */
#define PM_BATCH_SERIES_PER_CPU 16     /* series per CPU in one array task */
#define PM_BATCH_MINUTES_PER_SERIES 5  /* default --time per series per CPU */
#define PM_BATCH_GB_PER_CPU 2          /* default --mem per CPU */

/* The shard of this Slurm array task. When outdir holds a plan (shards.csv,
 * written by pm_batch_sbatch for an array 1-N): I = SLURM_ARRAY_TASK_ID and
 * N from the plan, so re-submitting a few tasks (sbatch --array=2,5 job.sh)
 * redoes exactly those shards. Otherwise I = 1 + (SLURM_ARRAY_TASK_ID -
 * SLURM_ARRAY_TASK_MIN) / step and N = SLURM_ARRAY_TASK_COUNT, which needs
 * one even range of indices (1-8, 0-7, 1-15:2). PM_EUSAGE with a reason
 * (outside an array, an index outside the plan, uneven indices); outputs
 * untouched then. outdir may be NULL (environment only). */
int pm_batch_shard_auto(const char *outdir, int *index, int *count);

/* Array size for nseries series and cpus CPUs per task when --array is not
 * given: one task per PM_BATCH_SERIES_PER_CPU * cpus series, at least 1, at
 * most PM_BATCH_MAX_SHARDS. Can't fail. */
int pm_batch_array_size(int nseries, int cpus);

typedef struct pm_sbatch_opts {
    const char *pulmo;     /* absolute path of the pulmo binary to run */
    const char *root;      /* absolute */
    const char *outdir;    /* absolute */
    const char *const *args; /* more `pulmo batch` options (--recipe otsu ...) */
    int nargs;
    int nseries;           /* CT series under root */
    int array;             /* tasks; 0: pm_batch_array_size(); clamped to nseries */
    int cpus;              /* per task, also pulmo's --jobs; 0: 1 */
    const char *mem;       /* Slurm size ("4G"); NULL: PM_BATCH_GB_PER_CPU per CPU */
    const char *time;      /* Slurm time; NULL: from the series per task */
} pm_sbatch_opts;

/* The text of a ready sbatch script (malloc'd into *script): an array 1-N
 * running `pulmo batch ROOT -o OUTDIR --shard auto --jobs C ARGS...`, logs in
 * OUTDIR/logs. *tasks gets N (may be NULL). PM_EUSAGE for relative paths or a
 * malformed --mem/--time, PM_ENODATA when nseries < 1, PM_EMEMORY. */
int pm_batch_sbatch_script(const pm_sbatch_opts *o, char **script, int *tasks);

/* Everything --sbatch does: indexes o->root (o->nseries is set from it),
 * creates OUTDIR and OUTDIR/logs, writes the plan OUTDIR/shards.csv and
 * returns the script as pm_batch_sbatch_script does. PM_ENODATA when root
 * holds no CT series, PM_EWRITE, PM_EUSAGE, PM_EMEMORY. */
int pm_batch_sbatch(pm_sbatch_opts *o, char **script, int *tasks, const pm_progress *p);

/* OUTDIR/shards.csv (series,shard,shards): the batch's series names in
 * batch order with the shard of each, so a merge can name the series of a
 * shard that never ran. PM_EWRITE when not writable. */
int pm_batch_write_plan(const char *outdir, int nseries, const char *const *series, int nshards);

/* The shard count of OUTDIR's plan, 0 when there is none. Can't fail. */
int pm_batch_plan_shards(const char *outdir);

typedef struct pm_batch_merged {
    int shards;            /* N of the merged summary-I-of-N.csv files */
    int nshards;           /* how many of them were found */
    int planned;           /* 1 when OUTDIR/shards.csv listed the series */
    int nrows;             /* rows written to summary.csv */
    int ignored;           /* summary-I-of-M.csv files of another M, left out */
    char **failed;         /* series whose status is neither ok nor no_lungs */
    int nfailed;
    char **missing;        /* planned series without a row */
    int nmissing;
    char **duplicates;     /* series with more than one row (first kept) */
    int nduplicates;
    int *missing_shards;   /* I in 1..N without a summary-I-of-N.csv */
    int nmissing_shards;
} pm_batch_merged;

/* Joins OUTDIR/summary-I-of-N.csv into OUTDIR/summary.csv (written
 * atomically): rows in batch order (the plan's, else shard by shard), each
 * copied unchanged. N is the plan's; without a plan the one N found (several
 * are PM_EUSAGE: stale tables of an earlier split). PM_ENODATA when no table
 * exists, PM_ECORRUPT when tables differ in columns or lack "series",
 * PM_EWRITE. Missing and failed series are results, not errors: see *m
 * (free with pm_batch_merged_free). */
int pm_batch_merge(const char *outdir, pm_batch_merged *m);
void pm_batch_merged_free(pm_batch_merged *m);

#ifdef __cplusplus
}
#endif

#endif
