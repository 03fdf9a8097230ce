/* remote.c - `pulmo batch dicom://...`: a batch whose series come one at a
 * time from a DICOM node, so the disk holds one retrieval at a time beyond
 * what the cache keeps. */
#include "pulmo/batch.h"
#include "pulmo/io.h"
#include "batch_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pm_batch_remote(const pm_node *node, const pm_remote_query *q, const char *outdir,
                    const pm_batch_opts *o, pm_batch_notify notify, void *user,
                    pm_batch_result *res, const pm_progress *p)
{
    memset(res, 0, sizeof *res);
    pm_recipe probe;
    int rc = pm_segment_opts_recipe(&o->seg, &probe);
    if (rc != PM_OK)
        return rc;
    pm_remote_series *rs;
    int n;
    if ((rc = pm_net_find(node, q, &rs, &n, p)) != PM_OK)
        return rc;
    char name[300];
    pm_net_name(node, name, sizeof name);
    if (n == 0) {
        free(rs);
        return pm_fail(PM_ENODATA, "%s: no CT series found", name);
    }
    pm_segment_report *reps = calloc((size_t)n, sizeof *reps);
    char (*names)[256] = calloc((size_t)n, sizeof *names);
    rc = pm_mkdir_p(outdir);
    if (rc == PM_OK && (!reps || !names))
        rc = pm_fail(PM_EMEMORY, "out of memory");
    for (int t = 0; t < n && rc == PM_OK; t++) {
        const pm_remote_series *s = &rs[t];
        pm_segment_report *rep = &reps[t];
        snprintf(names[t], sizeof names[t], "%s", s->meta.series_uid);
        char dir[4400], cache[4096];
        snprintf(dir, sizeof dir, "%s/%s", outdir, names[t]);
        if (pm__batch_done(dir, o, rep)) {
            rep->skipped = 1;
        } else {
            memset(rep, 0, sizeof *rep);
            double t0 = pm_now();
            int st = pm_net_fetch(node, s->meta.series_uid, cache, sizeof cache, p);
            if (st == PM_ECANCEL) {
                rc = st;
                break;
            }
            if (st == PM_OK) {
                pm_segment_opts so;
                char mesh[4500];
                pm__batch_seg_opts(o, dir, &so, mesh, sizeof mesh);
                so.series_uid = s->meta.series_uid;
                st = pm_segment_series(cache, dir, &so, rep, p);
                if (st == PM_ECANCEL) {
                    rc = st;
                    break;
                }
            } else {
                rep->status = st;
                snprintf(rep->message, sizeof rep->message, "%s", pm_error());
                rep->seconds_total = pm_now() - t0;
            }
            snprintf(rep->series_uid, sizeof rep->series_uid, "%s", s->meta.series_uid);
            snprintf(rep->patient_id, sizeof rep->patient_id, "%s", s->meta.patient_id);
            if (!rep->recipe.name)
                pm_recipe_init(&rep->recipe, o->seg.recipe ? o->seg.recipe : "default");
        }
        if (notify)
            notify(user, t + 1, n, names[t], rep);
    }
    if (rc == PM_OK) {
        snprintf(res->summary_path, sizeof res->summary_path, "%s/summary.csv", outdir);
        rc = pm__batch_write_summary(res->summary_path, reps, names, n);
        res->total = n;
        for (int t = 0; t < n; t++) {
            int st = reps[t].status;
            res->ok += st == PM_OK;
            res->no_lungs += st == PM_ENOLUNG;
            res->failed += st != PM_OK && st != PM_ENOLUNG;
            if (st != PM_OK && st != PM_ENOLUNG && !res->first_failure)
                res->first_failure = st;
            res->skipped += reps[t].skipped;
        }
    }
    free(reps);
    free(names);
    free(rs);
    return rc;
}
