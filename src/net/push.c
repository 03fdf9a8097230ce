/* push.c - `--push`: the results of a remote series sent back into its
 * study as a DICOM SEG and a Secondary Capture picture. */
#include "pulmo/dcmout.h"
#include "pulmo/net.h"
#include "pulmo/nifti.h"
#include "pulmo/render.h"
#include "pulmo/series.h"
#include "net_adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The picture: axial and coronal middle slices with the lungs overlaid,
 * and the lung HU histogram with -950 marked. */
static int pm__sheet(const pm_volume *v, const pm_mask *m, pm_fb **out)
{
    enum { W = 1024, SQ = 512, HH = 192 };
    pm_fb *fb = pm_fb_new(W, SQ + HH, 0);
    if (!fb)
        return PM_EMEMORY;
    pm_fb_clear(fb, 0, 0, 0);
    static const pm_plane planes[2] = {PM_PLANE_AXIAL, PM_PLANE_CORONAL};
    for (int i = 0; i < 2; i++) {
        pm_slice_view sv;
        if (pm_slice_view_init(&v->g, planes[i], -1, &sv) != PM_OK)
            continue;
        pm_rect r = pm_slice_view_fit(&sv, (pm_rect){i * SQ, 0, SQ, SQ});
        pm_draw_slice(fb, r, v, &sv, PM_WINDOW_LUNG, 1);
        pm_draw_mask(fb, r, m, &sv, NULL, 0.35);
    }
    pm_hist h;
    if (pm_hist_compute(v, m, -1100, 0, 10, &h) == PM_OK) {
        static const double marks[1] = {-950};
        pm_hist_style st = {.log_counts = 0, .markers = marks, .nmarkers = 1, .shade = PM_WINDOW_LUNG};
        pm_draw_hist(fb, (pm_rect){0, SQ, W, HH}, &h, &st);
        pm_hist_free(&h);
    }
    *out = fb;
    return PM_OK;
}

int pm_net_push(const pm_node *node, const char *series_dir, const char *series_uid,
                const char *outdir, const char *summary, int sides, int *sent, const pm_progress *p)
{
    *sent = 0;
    char mpath[4200], seg[4200], sc[4200];
    snprintf(mpath, sizeof mpath, "%s/mask.nii.gz", outdir);
    snprintf(seg, sizeof seg, "%s/seg.dcm", outdir);
    snprintf(sc, sizeof sc, "%s/sheet.dcm", outdir);
    pm_index *ix = NULL;
    pm_mask *m = NULL;
    pm_volume *v = NULL;
    pm_fb *fb = NULL;
    int rc = pm_index_scan(series_dir, &ix, NULL);
    const pm_series *s = rc == PM_OK ? pm_index_pick(ix, series_uid) : NULL;
    if (rc == PM_OK && !s)
        rc = pm_fail(PM_ENODATA, "%s: series %s not found", series_dir, series_uid);
    if (rc == PM_OK)
        rc = pm_nifti_read_mask(mpath, &m);
    if (rc == PM_OK)
        rc = pm_series_load(s, &(pm_load_opts){0}, &v, NULL);
    if (rc == PM_OK && memcmp(v->g.dim, m->g.dim, sizeof m->g.dim))
        rc = pm_fail(PM_EUSAGE, "--push needs the mask on the series' own grid (no --resample)");
    if (rc == PM_OK)
        rc = pm_dcmout_seg(seg, m, s, sides);
    if (rc == PM_OK && (rc = pm__sheet(v, m, &fb)) == PM_OK)
        rc = pm_dcmout_sc(sc, fb, s, summary);
    if (rc == PM_OK) {
        char *files[2] = {seg, sc};
        rc = pm__net_store(node, files, 2, NULL, NULL, sent);
        pm_progress_report(p, 1.0, "sending");
    }
    pm_fb_free(fb);
    pm_volume_free(v);
    pm_mask_free(m);
    pm_index_free(ix);
    return rc;
}
