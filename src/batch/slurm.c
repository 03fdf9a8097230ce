/* slurm.c - pulmo batch as a Slurm job array: the shard of an array task
 * (--shard auto) and the sbatch script with its plan (--sbatch). The plan
 * file and the merge of the shards' tables are in merge.c.
 *
 * pulmo invents no distribution of its own: each array task takes every N-th
 * series and writes only its own series folders and its own
 * summary-I-of-N.csv, so tasks never share a file and need no coordinator. */
#include "pulmo/batch.h"

#include "pulmo/core.h"
#include "pulmo/io.h"
#include "pulmo/series.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads an environment variable as a non-negative integer; -1 when absent,
 * -2 when present but not a number. */
static long pm__env_long(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        return -2;
    return v;
}

/* With a plan the array was written by pm_batch_sbatch as 1-N, so the task
 * ID is the shard itself, whatever subset of tasks this submission holds. */
static int pm__shard_from_plan(int nplan, long id, int *index, int *count)
{
    if (id < 1 || id > nplan)
        return pm_fail(PM_EUSAGE, "--shard auto: array task %ld is outside the plan's shards 1-%d "
                                  "(shards.csv); submit the script that --sbatch printed, or "
                                  "print a new one for another array size", id, nplan);
    *index = (int)id;
    *count = nplan;
    return PM_OK;
}

int pm_batch_shard_auto(const char *outdir, int *index, int *count)
{
    long id = pm__env_long("SLURM_ARRAY_TASK_ID");
    long n = pm__env_long("SLURM_ARRAY_TASK_COUNT");
    long min = pm__env_long("SLURM_ARRAY_TASK_MIN");
    long max = pm__env_long("SLURM_ARRAY_TASK_MAX");
    long step = pm__env_long("SLURM_ARRAY_TASK_STEP");
    if (id == -1)
        return pm_fail(PM_EUSAGE, "--shard auto: SLURM_ARRAY_TASK_ID is not set; run it inside a "
                                  "Slurm job array (sbatch --array=1-N), or give --shard I/N");
    if (id < 0 || n == -2 || min == -2 || max == -2 || step == -2)
        return pm_fail(PM_EUSAGE, "--shard auto: the SLURM_ARRAY_TASK_* variables are not numbers");
    int nplan = outdir ? pm_batch_plan_shards(outdir) : 0;
    if (nplan > 0)
        return pm__shard_from_plan(nplan, id, index, count);
    if (n == -1) /* Slurm always sets it for arrays; a hand-made environment may not */
        return pm_fail(PM_EUSAGE, "--shard auto: SLURM_ARRAY_TASK_COUNT is not set");
    if (min < 0)
        min = 0;
    if (step <= 0)
        step = 1;
    /* Indices must be one even range (1-8, 0-7, 1-15:2): from a list like
     * 1,4,9 the arithmetic would make shards overlap or leave gaps. */
    if (n < 1 || id < min || (id - min) % step || (id - min) / step >= n ||
        (max >= 0 && max != min + (n - 1) * step))
        return pm_fail(PM_EUSAGE, "--shard auto: array task %ld of %ld (indices %ld-%ld, step %ld) "
                                  "is not part of one even range; submit the whole array "
                                  "(--array=1-N) or give --shard I/N",
                       id, n, min, max < 0 ? min + (n - 1) * step : max, step);
    if (n > PM_BATCH_MAX_SHARDS)
        return pm_fail(PM_EUSAGE, "--shard auto: %ld array tasks; at most %d shards", n,
                       PM_BATCH_MAX_SHARDS);
    *index = (int)((id - min) / step) + 1;
    *count = (int)n;
    return PM_OK;
}

int pm_batch_array_size(int nseries, int cpus)
{
    if (cpus < 1)
        cpus = 1;
    if (nseries < 1)
        return 1;
    /* A task should be worth its queue wait: PM_BATCH_SERIES_PER_CPU series
     * per CPU per task, never more tasks than series. */
    int per = PM_BATCH_SERIES_PER_CPU * cpus;
    int n = (nseries + per - 1) / per;
    if (n > PM_BATCH_MAX_SHARDS)
        n = PM_BATCH_MAX_SHARDS;
    return n < 1 ? 1 : n;
}

/* A growing string; on allocation failure it stays NULL and stops growing. */
typedef struct pm__str {
    char *s;
    size_t n, cap;
    int failed;
} pm__str;

static void pm__addf(pm__str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pm__addf(pm__str *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || b->n + (size_t)need + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)(need < 0 ? 0 : need);
        char *ns = need < 0 ? NULL : realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

/* Appends s as one shell word: as it is when plain, else in single quotes
 * ('\'' for a quote). */
static void pm__add_quoted(pm__str *b, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+@%-") ==
                  strlen(s)) {
        pm__addf(b, "%s", s);
        return;
    }
    pm__addf(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            pm__addf(b, "'\\''");
        else
            pm__addf(b, "%c", *p);
    }
    pm__addf(b, "'");
}

/* Slurm's sizes: a number with an optional K, M, G or T (MB when none). */
static int pm__slurm_mem_ok(const char *s)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return 0;
    if (s[i] && strchr("KMGTkmgt", s[i]))
        i++;
    return s[i] == '\0';
}

/* Slurm's times: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
static int pm__slurm_time_ok(const char *s)
{
    int parts = 0, digits = 0, dash = 0;
    for (const char *p = s;; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
            continue;
        }
        if (!digits)
            return 0;
        parts++;
        digits = 0;
        if (*p == '\0')
            break;
        if (*p == '-') {
            if (dash || parts != 1)
                return 0;
            dash = 1;
        } else if (*p != ':') {
            return 0;
        }
    }
    return parts >= 1 && parts <= 4 && (dash || parts <= 3);
}

int pm_batch_sbatch_script(const pm_sbatch_opts *o, char **script, int *tasks)
{
    *script = NULL;
    if (!o->pulmo || !o->root || !o->outdir || o->pulmo[0] != '/' || o->root[0] != '/' ||
        o->outdir[0] != '/')
        return pm_fail(PM_EUSAGE, "--sbatch: the pulmo binary, ROOT and OUTDIR must be absolute paths");
    if (strchr(o->pulmo, '\n') || strchr(o->root, '\n') || strchr(o->outdir, '\n'))
        return pm_fail(PM_EUSAGE, "--sbatch: a path with a line break cannot go into a script");
    /* #SBATCH --output takes the folder unquoted and expands %-patterns */
    if (strpbrk(o->outdir, "%\"' \t\\"))
        return pm_fail(PM_EUSAGE, "--sbatch: OUTDIR '%s' has a space, quote, backslash or %%, "
                                  "which Slurm's --output cannot take", o->outdir);
    if (o->nseries < 1)
        return pm_fail(PM_ENODATA, "%s: no CT series to submit", o->root);
    int cpus = o->cpus > 0 ? o->cpus : 1;
    if (cpus > 1024)
        return pm_fail(PM_EUSAGE, "--cpus %d: at most 1024", cpus);
    if (o->array < 0 || o->array > PM_BATCH_MAX_SHARDS)
        return pm_fail(PM_EUSAGE, "--array %d: between 1 and %d", o->array, PM_BATCH_MAX_SHARDS);
    int n = o->array ? o->array : pm_batch_array_size(o->nseries, cpus);
    if (n > o->nseries)
        n = o->nseries; /* an empty shard would only wait in the queue */
    if (o->mem && !pm__slurm_mem_ok(o->mem))
        return pm_fail(PM_EUSAGE, "--mem '%s': a size like 4G or 4000M", o->mem);
    if (o->time && !pm__slurm_time_ok(o->time))
        return pm_fail(PM_EUSAGE, "--time '%s': minutes, HH:MM:SS or D-HH:MM:SS", o->time);
    int per_task = (o->nseries + n - 1) / n;
    /* Generous (a LIDC series takes seconds), because a task that times out
     * costs a re-submission; it is still a bound the scheduler can plan with. */
    int minutes = PM_BATCH_MINUTES_PER_SERIES * ((per_task + cpus - 1) / cpus);
    if (minutes < 15)
        minutes = 15;

    pm__str b = {0};
    pm__addf(&b, "#!/bin/sh\n");
    pm__addf(&b, "#SBATCH --job-name=pulmo-batch\n");
    pm__addf(&b, "#SBATCH --array=1-%d\n", n);
    pm__addf(&b, "#SBATCH --ntasks=1\n");
    pm__addf(&b, "#SBATCH --cpus-per-task=%d\n", cpus);
    if (o->mem)
        pm__addf(&b, "#SBATCH --mem=%s\n", o->mem);
    else
        pm__addf(&b, "#SBATCH --mem=%dG\n", PM_BATCH_GB_PER_CPU * cpus);
    if (o->time)
        pm__addf(&b, "#SBATCH --time=%s\n", o->time);
    else
        pm__addf(&b, "#SBATCH --time=%d\n", minutes);
    /* Slurm opens the log before the task starts; the folder must exist
     * (pulmo batch --sbatch creates it). %A_%a: one log per task and try. */
    pm__addf(&b, "#SBATCH --output=%s/logs/pulmo-%%A_%%a.out\n", o->outdir);
    pm__addf(&b, "#\n# pulmo batch as a Slurm job array, written by pulmo %s --sbatch:\n", PM_VERSION);
    pm__addf(&b, "# %d series under %s, %d array tasks (shards) of at most %d.\n", o->nseries,
             o->root, n, per_task);
    pm__addf(&b, "# Submit it with sbatch; when the array is done, combine the shards with\n");
    pm__addf(&b, "#     pulmo batch --merge ");
    pm__add_quoted(&b, o->outdir);
    pm__addf(&b, "\n# which writes summary.csv and lists missing or failed series.\n");
    pm__addf(&b, "# Each task writes only its own series folders and summary-I-of-%d.csv, and\n"
                 "# exits non-zero when any of its series failed. Re-submitting this script\n"
                 "# (or some of its tasks: sbatch --array=2,5) is safe: finished series (a\n"
                 "# complete report.json) are skipped.\n\n", n);
    /* pulmo's threads default to every CPU of the machine; on a shared node
     * only the task's CPUs are ours. */
    pm__addf(&b, "export PULMO_THREADS=%d\n", cpus);
    pm__addf(&b, "exec ");
    pm__add_quoted(&b, o->pulmo);
    pm__addf(&b, " batch ");
    pm__add_quoted(&b, o->root);
    pm__addf(&b, " -o ");
    pm__add_quoted(&b, o->outdir);
    pm__addf(&b, " --shard auto --jobs %d", cpus);
    for (int i = 0; i < o->nargs; i++) {
        pm__addf(&b, " ");
        pm__add_quoted(&b, o->args[i]);
    }
    pm__addf(&b, "\n");
    if (b.failed) {
        free(b.s);
        return pm_fail(PM_EMEMORY, "out of memory writing the sbatch script");
    }
    *script = b.s;
    if (tasks)
        *tasks = n;
    return PM_OK;
}

int pm_batch_sbatch(pm_sbatch_opts *o, char **script, int *tasks, const pm_progress *p)
{
    *script = NULL;
    if (!o->root || !o->outdir)
        return pm_fail(PM_EUSAGE, "--sbatch needs ROOT and OUTDIR");
    pm_index *ix;
    int rc = pm_index_scan(o->root, &ix, p);
    if (rc != PM_OK)
        return rc;
    int *order = NULL;
    int n = pm_batch_select(ix, 0, 0, &order);
    if (n < 0) {
        pm_index_free(ix);
        return PM_EMEMORY;
    }
    o->nseries = n;
    char (*names)[256] = calloc((size_t)n + 1, sizeof *names);
    const char **list = calloc((size_t)n + 1, sizeof *list);
    char logs[4200];
    int ntasks = 0;
    if (!names || !list)
        rc = pm_fail(PM_EMEMORY, "out of memory");
    else if (n == 0)
        rc = pm_fail(PM_ENODATA, "%s: no CT series found", o->root);
    /* The script first: a bad option must not leave a plan behind. */
    if (rc == PM_OK)
        rc = pm_batch_sbatch_script(o, script, &ntasks);
    if (rc == PM_OK) {
        snprintf(logs, sizeof logs, "%s/logs", o->outdir);
        rc = pm_mkdir_p(logs);
    }
    if (rc == PM_OK) {
        for (int t = 0; t < n; t++) {
            pm_batch_name(ix, order[t], o->root, names[t], sizeof names[t]);
            list[t] = names[t];
        }
        rc = pm_batch_write_plan(o->outdir, n, list, ntasks);
    }
    if (rc != PM_OK) {
        free(*script);
        *script = NULL;
    } else if (tasks) {
        *tasks = ntasks;
    }
    free(names);
    free(list);
    free(order);
    pm_index_free(ix);
    return rc;
}
