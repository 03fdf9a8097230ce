/* merge.c - `pulmo batch --merge OUTDIR`: the shards' summary-I-of-N.csv
 * files into one summary.csv, and the series that are missing or failed.
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

/* summary-I-of-N.csv, I and N positive decimals: returns I and sets *n; 0
 * for any other name. */
static int pm__shard_file(const char *name, int *n)
{
    int i = 0, len = 0;
    if (strncmp(name, "summary-", 8) != 0 || name[8] < '1' || name[8] > '9')
        return 0;
    if (sscanf(name + 8, "%d-of-%d.csv%n", &i, n, &len) != 2 || name[8 + len] != '\0' || i < 1 ||
        *n < i || *n > PM_BATCH_MAX_SHARDS)
        return 0;
    /* no leading zeros or signs: the name must be exactly what batch.c writes */
    char canon[64];
    snprintf(canon, sizeof canon, "summary-%d-of-%d.csv", i, *n);
    return strcmp(canon, name) ? 0 : i;
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
        /* the rule of pm_batch_select: position i goes to shard i % N + 1 */
        fprintf(o.f, ",%d,%d\n", i % nshards + 1, nshards);
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
    /* the statuses of pm_status_name() that are results: a head CT has no
     * lungs, and that is its answer, not a failure */
    static const char *const done[] = {"ok", "no_lungs"};
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

static int pm__note(char ***list, int *n, const char *key)
{
    return pm__add_name(list, n, key) ? pm_fail(PM_EMEMORY, "out of memory") : PM_OK;
}

/* One row into summary.csv, noting a failed series. */
static int pm__merge_row(FILE *f, const pm__csv_row *r, const pm__shard *sh, pm_batch_merged *m,
                         const char *key)
{
    pm__write_row(f, r);
    m->nrows++;
    return pm__is_failure(pm__csv_field(r, sh->status)) ? pm__note(&m->failed, &m->nfailed, key) : PM_OK;
}

/* Writes summary.csv: the plan's series in its order, then rows the plan
 * does not name (all rows without a plan) in shard order. A series met a
 * second time is a duplicate: reported, not written. */
static int pm__merge_write(const char *outdir, pm__shard *sh, int nsh, const pm__csv *plan,
                           int pkey, pm_batch_merged *m)
{
    int total = 0;
    for (int s = 0; s < nsh; s++)
        total += sh[s].csv->nrows;
    char *used = calloc((size_t)total + 1, 1); /* row k of shard s: base(s) + k */
    if (!used)
        return pm_fail(PM_EMEMORY, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.csv", outdir);
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK) {
        free(used);
        return rc;
    }
    pm__write_row(o.f, &sh[0].csv->header);
    for (int p = 0; plan && p < plan->nrows && rc == PM_OK; p++) {
        const char *want = pm__csv_field(&plan->rows[p], pkey);
        int found = 0;
        for (int s = 0, base = 0; s < nsh && rc == PM_OK; base += sh[s].csv->nrows, s++) {
            for (int k = 0; k < sh[s].csv->nrows && rc == PM_OK; k++) {
                const pm__csv_row *r = &sh[s].csv->rows[k];
                if (used[base + k] || strcmp(pm__csv_field(r, sh[s].key), want) != 0)
                    continue;
                used[base + k] = 1;
                if (found++) {
                    rc = pm__note(&m->duplicates, &m->nduplicates, want);
                    continue;
                }
                rc = pm__merge_row(o.f, r, &sh[s], m, want);
            }
        }
        if (!found && rc == PM_OK)
            rc = pm__note(&m->missing, &m->nmissing, want);
    }
    for (int s = 0, base = 0; s < nsh && rc == PM_OK; base += sh[s].csv->nrows, s++) {
        for (int k = 0; k < sh[s].csv->nrows && rc == PM_OK; k++) {
            if (used[base + k])
                continue;
            const pm__csv_row *r = &sh[s].csv->rows[k];
            const char *key = pm__csv_field(r, sh[s].key);
            int dup = 0;
            for (int t = 0, tb = 0; t <= s && !dup; tb += sh[t].csv->nrows, t++)
                for (int j = 0; j < sh[t].csv->nrows && !dup; j++)
                    dup = used[tb + j] && !strcmp(pm__csv_field(&sh[t].csv->rows[j], sh[t].key), key);
            used[base + k] = 1;
            if (dup) {
                rc = pm__note(&m->duplicates, &m->nduplicates, key);
                continue;
            }
            rc = pm__merge_row(o.f, r, &sh[s], m, key);
        }
    }
    free(used);
    if (rc != PM_OK) {
        pm_out_abort(&o);
        return rc;
    }
    return pm_out_commit(&o);
}

/* The N of OUTDIR's shard tables when there is no plan: the only one found.
 * 0 with PM_ENODATA or PM_EUSAGE recorded otherwise. */
static int pm__tables_split(const char *outdir, int *rc)
{
    DIR *d = opendir(outdir);
    int found = 0;
    struct dirent *e;
    *rc = PM_OK;
    while (d && (e = readdir(d))) {
        int n = 0;
        if (!pm__shard_file(e->d_name, &n) || n == found)
            continue;
        if (found) {
            *rc = pm_fail(PM_EUSAGE, "%s holds shard tables of two splits (of %d and of %d); "
                                     "remove the stale summary-*-of-N.csv files", outdir, found, n);
            closedir(d);
            return 0;
        }
        found = n;
    }
    if (d)
        closedir(d);
    if (!found)
        *rc = pm_fail(PM_ENODATA, "%s: no summary-I-of-N.csv (no shard has finished yet)", outdir);
    return found;
}

int pm_batch_merge(const char *outdir, pm_batch_merged *m)
{
    memset(m, 0, sizeof *m);
    if (!pm_is_dir(outdir))
        return pm_fail(PM_ENODATA, "%s: not a batch output folder", outdir);
    int rc = PM_OK;
    char path[4200];
    pm__csv *plan = NULL;
    int N = pm_batch_plan_shards(outdir);
    if (N > 0) {
        snprintf(path, sizeof path, "%s/%s", outdir, PM__PLAN);
        if ((rc = pm__csv_read(path, &plan)) != PM_OK)
            return rc;
        m->planned = 1;
    } else {
        N = pm__tables_split(outdir, &rc);
        if (!N)
            return rc;
    }
    int pkey = plan ? pm__csv_column(plan, "series") : -1;
    if (plan && pkey < 0) {
        pm__csv_free(plan);
        return pm_fail(PM_ECORRUPT, "%s: no 'series' column", path);
    }
    m->shards = N;

    /* the tables of this split, by I */
    pm__shard *sh = calloc((size_t)N, sizeof *sh);
    if (!sh) {
        pm__csv_free(plan);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int nidx = 0;
    DIR *d = opendir(outdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int n = 0, i = pm__shard_file(e->d_name, &n);
        if (!i)
            continue;
        if (n != N) {
            m->ignored++;
            continue;
        }
        sh[nidx++].index = i;
    }
    if (d)
        closedir(d);
    qsort(sh, (size_t)nidx, sizeof *sh, pm__cmp_int); /* index is the first member */
    for (int s = 0, i = 1; i <= N; i++) {
        if (s < nidx && sh[s].index == i) {
            s++;
            continue;
        }
        int *nm = realloc(m->missing_shards, (size_t)(m->nmissing_shards + 1) * sizeof *nm);
        if (!nm) {
            rc = pm_fail(PM_EMEMORY, "out of memory");
            goto done;
        }
        m->missing_shards = nm;
        m->missing_shards[m->nmissing_shards++] = i;
    }
    m->nshards = nidx;
    if (nidx == 0) {
        rc = pm_fail(PM_ENODATA, "%s: no summary-I-of-%d.csv (no shard has finished yet)", outdir, N);
        goto done;
    }
    for (int s = 0; s < nidx; s++) {
        snprintf(path, sizeof path, "%s/summary-%d-of-%d.csv", outdir, sh[s].index, N);
        if ((rc = pm__csv_read(path, &sh[s].csv)) != PM_OK)
            goto done;
        const pm__csv_row *h0 = &sh[0].csv->header, *h = &sh[s].csv->header;
        if (h->rawlen != h0->rawlen || memcmp(h->raw, h0->raw, h->rawlen) != 0) {
            rc = pm_fail(PM_ECORRUPT, "%s: its columns differ from summary-%d-of-%d.csv (shards of "
                                      "different pulmo versions?)", path, sh[0].index, N);
            goto done;
        }
        sh[s].key = pm__csv_column(sh[s].csv, "series");
        sh[s].status = pm__csv_column(sh[s].csv, "status");
        if (sh[s].key < 0) {
            rc = pm_fail(PM_ECORRUPT, "%s: no 'series' column", path);
            goto done;
        }
    }
    rc = pm__merge_write(outdir, sh, nidx, plan, pkey, m);
done:
    for (int s = 0; s < nidx; s++)
        pm__csv_free(sh[s].csv);
    free(sh);
    pm__csv_free(plan);
    if (rc != PM_OK)
        pm_batch_merged_free(m);
    return rc;
}
