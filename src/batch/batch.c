/* batch.c - `pulmo batch`: every CT series under a folder, one output
 * folder each, a CSV summary, resumable and shardable.
 *
 * Sharding needs no coordinator: every node indexes the same tree, sorts
 * the series the same way (folder, then UID) and takes positions
 * I-1, I-1+N, ... of that list, so a Slurm array of N tasks covers each
 * series exactly once. Each shard writes its own summary file, so shards
 * finishing at the same time never overwrite each other's rows.
 */
#include "pulmo/batch.h"
#include "pulmo/io.h"
#include "pulmo/text.h"
#include "batch_csv.h"
#include "batch_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ct(const pm_series *s)
{
    return !strcmp(s->meta.modality, "CT") || !s->meta.modality[0];
}

static _Thread_local const pm_index *sort_ix; /* qsort has no context argument */
static int by_folder_uid(const void *a, const void *b)
{
    const pm_series *x = &sort_ix->series[*(const int *)a], *y = &sort_ix->series[*(const int *)b];
    int c = strcmp(x->folder, y->folder);
    return c ? c : strcmp(x->meta.series_uid, y->meta.series_uid);
}

int pm_batch_select(const pm_index *ix, int shard_index, int shard_count, int **order)
{
    int *o = malloc(((size_t)ix->nseries + 1) * sizeof *o);
    if (!o) {
        pm_fail(PM_EMEMORY, "out of memory");
        return -1;
    }
    int n = 0;
    for (int s = 0; s < ix->nseries; s++)
        if (is_ct(&ix->series[s]))
            o[n++] = s;
    sort_ix = ix;
    qsort(o, (size_t)n, sizeof *o, by_folder_uid);
    if (shard_count > 0) {
        int m = 0;
        for (int p = 0; p < n; p++)
            if (p % shard_count == shard_index - 1)
                o[m++] = o[p];
        n = m;
    }
    *order = o;
    return n;
}

void pm_batch_name(const pm_index *ix, int s, const char *root, char *out, size_t cap)
{
    const pm_series *se = &ix->series[s];
    const char *rel = se->folder;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (!strncmp(rel, root, rl) && (rel[rl] == '/' || rel[rl] == 0))
        rel += rl;
    while (*rel == '/')
        rel++;
    if (!*rel) { /* the root itself: use its last component */
        const char *b = root + rl;
        while (b > root && b[-1] != '/')
            b--;
        rel = b;
        if (!*rel)
            rel = "series";
    }
    size_t n = 0;
    for (; *rel && n + 1 < cap; rel++)
        out[n++] = *rel == '/' ? '_' : *rel;
    out[n] = 0;
    int shared = 0;
    for (int t = 0; t < ix->nseries; t++)
        shared += t != s && !strcmp(ix->series[t].folder, se->folder);
    if (shared) {
        size_t ul = strlen(se->meta.series_uid);
        const char *tail = se->meta.series_uid + (ul > 12 ? ul - 12 : 0);
        snprintf(out + n, cap - n, "_%s", tail);
    }
}

typedef struct batch_ctx {
    const pm_index *ix;
    const char *root, *outdir;
    const pm_batch_opts *o;
    int *order;
    int n;
    pm_segment_report *reps;
    char (*names)[256];
    pm_batch_notify notify;
    void *user;
    pthread_mutex_t lock;
    int done;
} batch_ctx;

void pm__batch_seg_opts(const pm_batch_opts *o, const char *dir, pm_segment_opts *so, char *buf, size_t cap)
{
    *so = o->seg;
    so->mesh = NULL;
    if (o->meshes) {
        snprintf(buf, cap, "%s/lungs.stl", dir);
        so->mesh = buf;
    }
}

int pm__batch_done(const char *dir, const pm_batch_opts *o, pm_segment_report *rep)
{
    char path[4500];
    snprintf(path, sizeof path, "%s/sheet.png", dir);
    if (o->force || (o->seg.sheet && !pm_path_exists(path)))
        return 0;
    snprintf(path, sizeof path, "%s/report.json", dir);
    if (!pm_path_exists(path) || pm_segment_report_read(path, rep) != PM_OK)
        return 0;
    /* a series segmented before --meshes was asked for gets its surface */
    snprintf(path, sizeof path, "%s/lungs.stl", dir);
    return !(o->meshes && rep->status == PM_OK && !pm_path_exists(path));
}

static void batch_one(void *vctx, int t, int thread)
{
    (void)thread;
    batch_ctx *c = vctx;
    int s = c->order[t];
    const pm_series *se = &c->ix->series[s];
    pm_segment_report *rep = &c->reps[t];
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", c->outdir, c->names[t]);
    memset(rep, 0, sizeof *rep);
    if (pm__batch_done(dir, c->o, rep)) {
        rep->skipped = 1;
    } else {
        memset(rep, 0, sizeof *rep);
        snprintf(rep->series_dir, sizeof rep->series_dir, "%s", se->folder);
        snprintf(rep->series_uid, sizeof rep->series_uid, "%s", se->meta.series_uid);
        snprintf(rep->patient_id, sizeof rep->patient_id, "%s", se->meta.patient_id);
        double t0 = pm_now();
        pm_volume *v;
        int rc = pm_series_load(se, &c->o->seg.load, &v, NULL);
        if (rc == PM_OK) {
            rep->seconds_load = pm_now() - t0;
            pm_segment_opts so;
            char mesh[4500];
            pm__batch_seg_opts(c->o, dir, &so, mesh, sizeof mesh);
            pm__segment_volume(v, t0, dir, &so, rep, NULL);
            pm_volume_free(v);
        } else {
            rep->status = rc;
            snprintf(rep->message, sizeof rep->message, "%s", pm_error());
            rep->seconds_total = pm_now() - t0;
        }
        if (!rep->recipe.name)
            pm_recipe_init(&rep->recipe, c->o->seg.recipe ? c->o->seg.recipe : "default");
    }
    pthread_mutex_lock(&c->lock);
    c->done++;
    if (c->notify)
        c->notify(c->user, c->done, c->n, c->names[t], rep);
    pthread_mutex_unlock(&c->lock);
}

static void csv_num(FILE *f, double v, const char *fmt)
{
    /* A resumed series' row comes from its report.json (10 digits); rounding
     * the fresh value the same way first keeps the two rows identical (else
     * 1863.4250001 prints 1863.43 fresh, but its report says 1863.425, whose
     * double is just below, and the resumed row prints 1863.42). */
    v = pm_json_roundtrip(v);
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, fmt, v);
}

int pm__batch_write_summary(const char *path, const pm_segment_report *reps, char (*names)[256],
                            int n)
{
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    FILE *f = o.f;
    fprintf(f, "series,status,recipe,lung_ml,right_ml,left_ml,airway_ml,mean_hu,laa950_pct,"
               "perc15_hu,components,lungs_found,seconds,skipped,patient_id,series_uid,series_dir,"
               "message\n");
    for (int t = 0; t < n; t++) {
        const pm_segment_report *r = &reps[t];
        int ok = r->status == PM_OK, vol = ok && !r->flat;   /* 1-2 slices: no volume */
        pm__csv_put(f, names[t]);
        fprintf(f, ",%s,%s", pm_status_name(r->status), r->recipe.name ? r->recipe.name : "");
        csv_num(f, vol ? r->m.lung_ml : NAN, "%.2f");
        csv_num(f, vol && r->m.sides ? r->m.right_ml : NAN, "%.2f");
        csv_num(f, vol && r->m.sides ? r->m.left_ml : NAN, "%.2f");
        csv_num(f, vol ? r->m.airway_ml : NAN, "%.2f");
        csv_num(f, ok ? r->m.mean_hu : NAN, "%.1f");
        csv_num(f, ok ? r->m.laa950_pct : NAN, "%.3f");
        csv_num(f, ok ? r->m.perc15_hu : NAN, "%.0f");
        csv_num(f, ok ? r->m.components : NAN, "%.0f");
        csv_num(f, ok ? r->nlungs : NAN, "%.0f");
        csv_num(f, r->seconds_total, "%.3f");
        fprintf(f, ",%d,", r->skipped);
        pm__csv_put(f, r->patient_id);
        fputc(',', f);
        pm__csv_put(f, r->series_uid);
        fputc(',', f);
        pm__csv_put(f, r->series_dir);
        fputc(',', f);
        pm__csv_put(f, r->message);
        fputc('\n', f);
    }
    return pm_out_commit(&o);
}

int pm_batch_run(const char *root, const char *outdir, const pm_batch_opts *o,
                 pm_batch_notify notify, void *user, pm_batch_result *res, const pm_progress *p)
{
    memset(res, 0, sizeof *res);
    if (o->shard_count < 0 || (o->shard_count > 0 && (o->shard_index < 1 || o->shard_index > o->shard_count)))
        return pm_fail(PM_EUSAGE, "shard %d/%d: I must be in 1..N", o->shard_index, o->shard_count);
    pm_recipe probe;
    int rc = pm_segment_opts_recipe(&o->seg, &probe);
    if (rc != PM_OK)
        return rc;
    pm_index *ix;
    rc = pm_index_scan(root, &ix, p);
    if (rc != PM_OK)
        return rc;
    batch_ctx c = {.ix = ix, .root = root, .outdir = outdir, .o = o, .notify = notify, .user = user};
    c.n = pm_batch_select(ix, o->shard_index, o->shard_count, &c.order);
    if (c.n < 0) {
        pm_index_free(ix);
        return PM_EMEMORY;
    }
    if (c.n == 0 && o->shard_count == 0) {
        free(c.order);
        pm_index_free(ix);
        return pm_fail(PM_ENODATA, "%s: no CT series found", root);
    }
    rc = pm_mkdir_p(outdir);
    c.reps = calloc((size_t)c.n + 1, sizeof *c.reps);
    c.names = calloc((size_t)c.n + 1, sizeof *c.names);
    if (rc == PM_OK && (!c.reps || !c.names))
        rc = pm_fail(PM_EMEMORY, "out of memory");
    if (rc == PM_OK) {
        for (int t = 0; t < c.n; t++)
            pm_batch_name(ix, c.order[t], root, c.names[t], sizeof c.names[t]);
        pthread_mutex_init(&c.lock, NULL);
        rc = pm_parallel_for(c.n, o->jobs > 0 ? o->jobs : 1, batch_one, &c, p, "batch");
        pthread_mutex_destroy(&c.lock);
    }
    if (rc == PM_OK) {
        if (o->shard_count > 0)
            snprintf(res->summary_path, sizeof res->summary_path, "%s/summary-%d-of-%d.csv", outdir,
                     o->shard_index, o->shard_count);
        else
            snprintf(res->summary_path, sizeof res->summary_path, "%s/summary.csv", outdir);
        rc = pm__batch_write_summary(res->summary_path, c.reps, c.names, c.n);
        res->total = c.n;
        for (int t = 0; t < c.n; t++) {
            int st = c.reps[t].status;
            res->ok += st == PM_OK;
            res->no_lungs += st == PM_ENOLUNG;
            res->failed += st != PM_OK && st != PM_ENOLUNG;
            if (st != PM_OK && st != PM_ENOLUNG && !res->first_failure)
                res->first_failure = st;
            res->skipped += c.reps[t].skipped;
        }
    }
    free(c.reps);
    free(c.names);
    free(c.order);
    pm_index_free(ix);
    return rc;
}
