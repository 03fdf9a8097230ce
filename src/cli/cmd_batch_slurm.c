/* cmd_batch_slurm.c - the Slurm side of `pulmo batch`: --sbatch prints a job
 * array script, --merge joins the shards' tables. The work is in the core
 * library (batch.h, src/batch/slurm.c and merge.c); this file prints. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/io.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The absolute path of the running pulmo, so the job runs the same build. */
static int self_path(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

int cli_batch_sbatch(const char *root, const char *out, const pm_batch_opts *bo,
                     const cli_sbatch_args *a)
{
    if (bo->force)
        return cli_usage("batch", "--sbatch with --force would recompute every series at each "
                                  "re-submission; remove OUTDIR instead");
    if (bo->shard_count)
        return cli_usage("batch", "--sbatch chooses the shards itself; leave out --shard");
    char exe[PATH_MAX], aroot[PATH_MAX], aout[PATH_MAX];
    if (self_path(exe, sizeof exe) != 0)
        return cli_fail(PM_EUSAGE, "cannot find the pulmo binary's path (/proc/self/exe)");
    if (!realpath(root, aroot)) {
        return cli_error(PM_ENODATA, "%s: no such folder", root);
    }
    /* OUTDIR must exist for its absolute path; it is created anyway for the
     * logs and the plan. */
    if (pm_mkdir_p(out) != PM_OK)
        return cli_fail(PM_EWRITE, "cannot create OUTDIR");
    if (!realpath(out, aout)) {
        return cli_error(PM_EWRITE, "%s: cannot resolve the path", out);
    }
    /* The options that change results go into the job's command line. */
    const char *args[2 * PM_MAX_SETS + 16];
    char resample[64], maxmem[64];
    int n = 0;
    args[n++] = "--recipe";
    args[n++] = bo->seg.recipe ? bo->seg.recipe : "default";
    if (bo->seg.resample_mm > 0) {
        snprintf(resample, sizeof resample, "%.17g", bo->seg.resample_mm);
        args[n++] = "--resample";
        args[n++] = resample;
    }
    if (bo->seg.load.max_memory) {
        snprintf(maxmem, sizeof maxmem, "%llu", (unsigned long long)bo->seg.load.max_memory);
        args[n++] = "--max-memory";
        args[n++] = maxmem;
    }
    char weights[PATH_MAX];
    if (bo->seg.weights) {
        /* the tasks may start elsewhere: the weights by absolute path */
        if (!realpath(bo->seg.weights, weights)) {
            return cli_error(PM_EUSAGE, "%s: no such weight file", bo->seg.weights);
        }
        args[n++] = "--weights";
        args[n++] = weights;
    }
    if (bo->seg.sheet)
        args[n++] = "--sheets";
    char smooth[32], ratio[40];
    if (bo->meshes) {
        args[n++] = "--meshes";
        snprintf(smooth, sizeof smooth, "%d", bo->seg.mesh_smooth);
        snprintf(ratio, sizeof ratio, "%.15g", bo->seg.mesh_ratio > 0 ? bo->seg.mesh_ratio : 1.0);
        args[n++] = "--smooth";
        args[n++] = smooth;
        args[n++] = "--decimate";
        args[n++] = ratio;
    }
    for (int i = 0; i < bo->seg.nsets; i++) {
        args[n++] = "--set";
        args[n++] = bo->seg.sets[i];
    }
    pm_sbatch_opts so = {.pulmo = exe, .root = aroot, .outdir = aout, .args = args, .nargs = n,
                         .array = a->array, .cpus = a->cpus ? a->cpus : bo->jobs,
                         .mem = a->mem, .time = a->time};
    char *script = NULL;
    int tasks = 0;
    int rc = pm_batch_sbatch(&so, &script, &tasks, &cli_progress);
    if (rc == PM_EUSAGE)
        return cli_usage("batch", "%s", pm_error());
    if (rc != PM_OK)
        return cli_fail(rc, "--sbatch failed");
    fputs(script, stdout);
    free(script);
    if (a->array > tasks)
        fprintf(stderr, "pulmo: --array %d: only %d series, so %d tasks\n", a->array, so.nseries, tasks);
    fprintf(stderr, "pulmo: %d series in %d array tasks; plan in %s/shards.csv. Submit with sbatch, "
                    "then: pulmo batch --merge %s\n", so.nseries, tasks, aout, aout);
    return PM_OK;
}

static void print_list(const char *what, char **names, int n)
{
    if (n == 0)
        return;
    printf("%s %d:", what, n);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    putchar('\n');
}

int cli_batch_merge(const char *outdir)
{
    pm_batch_merged m;
    int rc = pm_batch_merge(outdir, &m);
    if (rc == PM_EUSAGE)
        return cli_usage("batch", "%s", pm_error());
    if (rc != PM_OK)
        return cli_fail(rc, "--merge failed");
    printf("%d series from %d of %d shards%s\n", m.nrows, m.nshards, m.shards,
           m.planned ? " (plan: shards.csv)" : " (no plan: only whole missing shards can be named)");
    print_list("failed", m.failed, m.nfailed);
    print_list("missing", m.missing, m.nmissing);
    print_list("duplicate (first row kept)", m.duplicates, m.nduplicates);
    if (m.nmissing_shards) {
        printf("shards without a summary %d:", m.nmissing_shards);
        for (int i = 0; i < m.nmissing_shards; i++)
            printf(" %d", m.missing_shards[i]);
        printf(" (of %d)\n", m.shards);
    }
    if (m.ignored)
        printf("ignored %d summary tables of another split\n", m.ignored);
    printf("summary      %s/summary.csv\n", outdir);
    /* Missing work is "no data", failed series keep their own kind of
     * failure visible to scripts only as non-zero: 2 missing, 3 failed. */
    rc = m.nmissing || m.nmissing_shards ? PM_ENODATA : m.nfailed ? PM_ECORRUPT : PM_OK;
    if (rc != PM_OK)
        cli_error(rc, "%s; re-submit the same script to finish them (done series are skipped)",
                  m.nmissing || m.nmissing_shards ? "series are missing" : "some series failed");
    pm_batch_merged_free(&m);
    return rc;
}
