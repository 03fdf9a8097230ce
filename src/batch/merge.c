/* merge.c - `pulmo batch --merge OUTDIR`: the shards' summary-I.csv files
 * into one summary.csv, and the series that are missing or failed.
 *
 * Rows are copied byte for byte (a merged row is exactly what its shard
 * wrote). The expected series come from OUTDIR/shards.csv, the plan written
 * by `--sbatch`; without a plan only whole missing shards (gaps in I) can be
 * named. */
#include "pulmo/batch.h"

#include "batch_csv.h"
#include "pulmo/core.h"
#include "pulmo/io.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PM__PLAN "shards.csv"

static int pm__shard_file(const char *name)
{
    /* summary-I.csv with I a positive decimal without leading zeros */
    if (strncmp(name, "summary-", 8) != 0 || name[8] < '1' || name[8] > '9')
        return 0;
    char *end;
    long i = strtol(name + 8, &end, 10);
    if (strcmp(end, ".csv") != 0 || i < 1 || i > PM_BATCH_MAX_SHARDS)
        return 0;
    return (int)i;
}

static int pm__cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static int pm__add_name(char ***list, int *n, const char *s)
{
    char **nl = realloc(*list, (size_t)(*n + 1) * sizeof **list);
    if (!nl)
        return -1;
    *list = nl;
    if (!(nl[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

static void pm__free_names(char **list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void pm_batch_merged_free(pm_batch_merged *m)
{
    pm__free_names(m->failed, m->nfailed);
    pm__free_names(m->missing, m->nmissing);
    pm__free_names(m->duplicates, m->nduplicates);
    free(m->missing_shards);
    memset(m, 0, sizeof *m);
}

int pm_batch_write_plan(const char *outdir, int nseries, const char *const *series, int nshards)
{
    if (nshards < 1 || nshards > PM_BATCH_MAX_SHARDS)
        return pm_fail(PM_EUSAGE, "%d shards: between 1 and %d", nshards, PM_BATCH_MAX_SHARDS);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", outdir, PM__PLAN);
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    fprintf(o.f, "series,shard,shards\n");
    for (int i = 0; i < nseries; i++) {
        pm__csv_put(o.f, series[i]);
        fprintf(o.f, ",%d,%d\n", pm_batch_shard_of(i, nshards), nshards);
    }
    return pm_out_commit(&o);
}

int pm_batch_plan_shards(const char *outdir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", outdir, PM__PLAN);
    pm__csv *plan = NULL;
    if (pm__csv_read(path, &plan) != PM_OK)
        return 0;
    int col = pm__csv_column(plan, "shards");
    int n = plan->nrows > 0 ? atoi(pm__csv_field(&plan->rows[0], col)) : 0;
    pm__csv_free(plan);
    return n > 0 ? n : 0;
}

typedef struct pm__shard {
    int index;
    pm__csv *csv;
    int key, status;
} pm__shard;

static int pm__is_failure(const char *status)
{
    /* the statuses of a series that needs no more work */
    static const char *const done[] = {"ok", "skipped", "no_lungs", "nolungs", "done", ""};
    for (int i = 0; i < (int)(sizeof done / sizeof *done); i++)
        if (!strcmp(status, done[i]))
            return 0;
    return 1;
}

static void pm__write_row(FILE *f, const pm__csv_row *r)
{
    fwrite(r->raw, 1, r->rawlen, f);
    fputc('\n', f);
}

int pm_batch_merge(const char *outdir, pm_batch_merged *m)
{
    memset(m, 0, sizeof *m);
    DIR *d = opendir(outdir);
    if (!d)
        return pm_fail(PM_ENODATA, "%s: cannot open the batch output folder", outdir);
    int *idx = NULL, nidx = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int i = pm__shard_file(e->d_name);
        if (!i)
            continue;
        int *ni = realloc(idx, (size_t)(nidx + 1) * sizeof *idx);
        if (!ni) {
            closedir(d);
            free(idx);
            return pm_fail(PM_EMEMORY, "out of memory");
        }
        idx = ni;
        idx[nidx++] = i;
    }
    closedir(d);
    if (nidx == 0) {
        free(idx);
        return pm_fail(PM_ENODATA, "%s: no summary-I.csv (no shard has finished yet)", outdir);
    }
    qsort(idx, (size_t)nidx, sizeof *idx, pm__cmp_int);

    int rc = PM_OK;
    char path[4200];
    pm__shard *sh = calloc((size_t)nidx, sizeof *sh);
    pm__csv *plan = NULL;
    char *used = NULL;
    if (!sh) {
        free(idx);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    for (int s = 0; s < nidx && rc == PM_OK; s++) {
        sh[s].index = idx[s];
        snprintf(path, sizeof path, "%s/summary-%d.csv", outdir, idx[s]);
        rc = pm__csv_read(path, &sh[s].csv);
        if (rc != PM_OK)
            break;
        const pm__csv_row *h0 = &sh[0].csv->header, *h = &sh[s].csv->header;
        if (h->rawlen != h0->rawlen || memcmp(h->raw, h0->raw, h->rawlen) != 0) {
            rc = pm_fail(PM_ECORRUPT, "%s: its columns differ from summary-%d.csv (shards of "
                                      "different pulmo versions?)", path, idx[0]);
            break;
        }
        sh[s].key = pm__csv_column(sh[s].csv, PM_BATCH_KEY_COLUMN);
        sh[s].status = pm__csv_column(sh[s].csv, "status");
        if (sh[s].key < 0) {
            rc = pm_fail(PM_ECORRUPT, "%s: no '%s' column", path, PM_BATCH_KEY_COLUMN);
            break;
        }
    }
    m->nshards = nidx;
    m->max_shard = idx[nidx - 1];

    snprintf(path, sizeof path, "%s/%s", outdir, PM__PLAN);
    if (rc == PM_OK) {
        int prc = pm__csv_read(path, &plan);
        if (prc == PM_ENODATA)
            pm_error_clear();
        else if (prc != PM_OK)
            rc = prc;
    }
    int pkey = plan ? pm__csv_column(plan, "series") : -1;
    if (rc == PM_OK && plan && pkey < 0)
        rc = pm_fail(PM_ECORRUPT, "%s: no 'series' column", path);
    if (plan && plan->nrows > 0)
        m->planned_shards = atoi(pm__csv_field(&plan->rows[0], pm__csv_column(plan, "shards")));

    /* Which rows are taken: the first row of each series (in shard order);
     * a later row for the same series is a duplicate, reported, not written. */
    int total = 0;
    for (int s = 0; s < nidx && rc == PM_OK; s++)
        total += sh[s].csv->nrows;
    if (rc == PM_OK && !(used = calloc((size_t)total + 1, 1)))
        rc = pm_fail(PM_EMEMORY, "out of memory");

    pm_outfile o;
    snprintf(path, sizeof path, "%s/summary.csv", outdir);
    if (rc == PM_OK)
        rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        goto done;
    pm__write_row(o.f, &sh[0].csv->header);
    /* Row k of shard s is number base[s] + k in `used`. */
    int nplan = plan ? plan->nrows : 0;
    for (int p = 0; p < nplan && rc == PM_OK; p++) {
        const char *want = pm__csv_field(&plan->rows[p], pkey);
        int found = 0;
        for (int s = 0, base = 0; s < nidx; base += sh[s].csv->nrows, s++) {
            for (int k = 0; k < sh[s].csv->nrows; k++) {
                const pm__csv_row *r = &sh[s].csv->rows[k];
                const char *key = pm__csv_field(r, sh[s].key);
                if (strcmp(key, want) != 0 || used[base + k])
                    continue;
                used[base + k] = 1;
                if (found++) {
                    if (pm__add_name(&m->duplicates, &m->nduplicates, key))
                        rc = pm_fail(PM_EMEMORY, "out of memory");
                    continue;
                }
                pm__write_row(o.f, r);
                m->nrows++;
                if (pm__is_failure(pm__csv_field(r, sh[s].status)) &&
                    pm__add_name(&m->failed, &m->nfailed, key))
                    rc = pm_fail(PM_EMEMORY, "out of memory");
            }
        }
        if (!found && pm__add_name(&m->missing, &m->nmissing, want))
            rc = pm_fail(PM_EMEMORY, "out of memory");
    }
    /* Rows the plan does not name (or every row, without a plan), in shard
     * order; a key met twice is a duplicate. */
    for (int s = 0, base = 0; s < nidx && rc == PM_OK; base += sh[s].csv->nrows, s++) {
        for (int k = 0; k < sh[s].csv->nrows && rc == PM_OK; k++) {
            if (used[base + k])
                continue;
            const pm__csv_row *r = &sh[s].csv->rows[k];
            const char *key = pm__csv_field(r, sh[s].key);
            int dup = 0;
            for (int t = 0, tb = 0; t <= s && !dup; tb += sh[t].csv->nrows, t++)
                for (int j = 0; j < (t == s ? k : sh[t].csv->nrows) && !dup; j++)
                    dup = used[tb + j] && !strcmp(pm__csv_field(&sh[t].csv->rows[j], sh[t].key), key);
            used[base + k] = 1;
            if (dup) {
                if (pm__add_name(&m->duplicates, &m->nduplicates, key))
                    rc = pm_fail(PM_EMEMORY, "out of memory");
                continue;
            }
            pm__write_row(o.f, r);
            m->nrows++;
            if (plan)
                m->unplanned++;
            if (pm__is_failure(pm__csv_field(r, sh[s].status)) &&
                pm__add_name(&m->failed, &m->nfailed, key))
                rc = pm_fail(PM_EMEMORY, "out of memory");
        }
    }
    if (rc == PM_OK)
        rc = pm_out_commit(&o);
    else
        pm_out_abort(&o);
    /* Shards that left no table: gaps below the highest one, and above it up
     * to the planned count. */
    if (rc == PM_OK) {
        int upto = m->planned_shards > m->max_shard ? m->planned_shards : m->max_shard;
        for (int i = 1, s = 0; i <= upto; i++) {
            while (s < nidx && idx[s] < i)
                s++;
            if (s < nidx && idx[s] == i)
                continue;
            int *nm = realloc(m->missing_shards, (size_t)(m->nmissing_shards + 1) * sizeof *nm);
            if (!nm) {
                rc = pm_fail(PM_EMEMORY, "out of memory");
                break;
            }
            m->missing_shards = nm;
            m->missing_shards[m->nmissing_shards++] = i;
        }
    }
done:
    for (int s = 0; s < nidx; s++)
        pm__csv_free(sh[s].csv);
    free(sh);
    free(idx);
    free(used);
    pm__csv_free(plan);
    if (rc != PM_OK)
        pm_batch_merged_free(m);
    return rc;
}
