/* batch.h - pulmo batch (placeholder until the segmentation branch lands). */
#ifndef PULMO_BATCH_H
#define PULMO_BATCH_H

/* Shard (1..n) of the series at position i (0-based) of the cohort order:
 * every n-th series. */
static inline int pm_batch_shard_of(int i, int n) { return i % n + 1; }

#define PM_BATCH_KEY_COLUMN "series"

/* ---- Slurm job arrays (src/batch/slurm.c, src/batch/merge.c) ------------
 *
 *   pulmo batch ROOT -o OUT --sbatch > job.sh   (writes OUT/shards.csv, OUT/logs/)
 *   sbatch job.sh                               (each task: --shard auto)
 *   pulmo batch --merge OUT                     (OUT/summary.csv)
 */

#define PM_BATCH_MAX_SHARDS 1000       /* Slurm's default MaxArraySize is 1001 */
#define PM_BATCH_SERIES_PER_CPU 16     /* series per CPU in one array task */
#define PM_BATCH_MINUTES_PER_SERIES 5  /* --time budget per series per CPU */
#define PM_BATCH_GB_PER_CPU 2          /* default --mem per CPU */

/* The shard of this Slurm array task: *index = 1 + (SLURM_ARRAY_TASK_ID -
 * SLURM_ARRAY_TASK_MIN) / step, *count = SLURM_ARRAY_TASK_COUNT. PM_EUSAGE
 * with a reason outside an array, or when the indices are not one even range
 * (1-8, 0-7, 1-15:2), since a list or a partial re-submission would make shards
 * overlap; outputs untouched then. */
int pm_batch_shard_auto(int *index, int *count);

/* Array size for nseries series and cpus CPUs per task when --array is not
 * given: one task per PM_BATCH_SERIES_PER_CPU * cpus series, at least 1, at
 * most PM_BATCH_MAX_SHARDS. Can't fail. */
int pm_batch_array_size(int nseries, int cpus);

typedef struct pm_sbatch_opts {
    const char *pulmo;     /* absolute path of the pulmo binary to run */
    const char *root;      /* absolute */
    const char *outdir;    /* absolute */
    const char *recipe;    /* NULL: pulmo's default */
    int nseries;           /* CT series under root */
    int array;             /* tasks; 0: pm_batch_array_size(); clamped to nseries */
    int cpus;              /* per task, also pulmo's --jobs; 0: 1 */
    const char *mem;       /* Slurm size ("4G"); NULL: PM_BATCH_GB_PER_CPU per CPU */
    const char *time;      /* Slurm time; NULL: from the series per task */
} pm_sbatch_opts;

/* A ready sbatch script (malloc'd, *script) running `pulmo batch ROOT -o
 * OUTDIR --shard auto --jobs C` on an array 1-N, with its log in OUTDIR/logs.
 * PM_EUSAGE for relative paths or a malformed --mem/--time, PM_ENODATA when
 * nseries < 1, PM_EMEMORY. */
int pm_batch_sbatch_script(const pm_sbatch_opts *o, char **script);

/* OUTDIR/shards.csv (series,shard,shards): the cohort in its order and the
 * shard of each series, so a merge can name series whose shard never ran.
 * PM_EWRITE when not writable. */
int pm_batch_write_plan(const char *outdir, int nseries, const char *const *series, int nshards);

/* The shard count of OUTDIR's plan, 0 when there is none. Can't fail. */
int pm_batch_plan_shards(const char *outdir);

typedef struct pm_batch_merged {
    int nshards;           /* summary-I.csv files read */
    int max_shard;         /* highest I among them */
    int planned_shards;    /* from shards.csv, 0 without a plan */
    int nrows;             /* rows written to summary.csv */
    int unplanned;         /* of them, series the plan does not list */
    char **failed;         /* series whose status is a failure */
    int nfailed;
    char **missing;        /* planned series with no row */
    int nmissing;
    char **duplicates;     /* series with more than one row (first kept) */
    int nduplicates;
    int *missing_shards;   /* I with no summary-I.csv, up to the plan's count */
    int nmissing_shards;
} pm_batch_merged;

/* Joins OUTDIR/summary-I.csv into OUTDIR/summary.csv (written atomically):
 * rows in the plan's order, then any others in shard order, each copied
 * unchanged. PM_ENODATA when no summary-I.csv exists, PM_ECORRUPT when
 * tables differ in columns or lack the series column, PM_EWRITE. Missing and
 * failed series are results, not errors: see *m (free with
 * pm_batch_merged_free). */
int pm_batch_merge(const char *outdir, pm_batch_merged *m);
void pm_batch_merged_free(pm_batch_merged *m);

#endif
