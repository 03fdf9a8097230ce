/* export.c - the export dialog: STL of the surface, PNG of the picture,
 * NIfTI of the mask, JSON report of the measurements, DICOM SEG of the mask,
 * the triage sheet (`pulmo report`'s PNG).
 *
 * The path is asked with a sensible default in the current folder; an
 * existing file is only replaced after a yes. Every file is written by the
 * core's writers, through a temporary name (pm_outfile), and outputs inside
 * the input folder are refused (pm_io_protect at start).
 */
#include "export.h"
#include "meshview.h"
#include "segpanel.h"
#include "viewer.h"
#include "pulmo/batch.h"
#include "pulmo/dcmout.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"
#include "pulmo/measure.h"
#include "pulmo/mesh.h"
#include "pulmo/net.h"
#include "pulmo/nifti.h"
#include "pulmo/raster.h"
#include "pulmo/recipe.h"
#include "pulmo/text.h"
#include "pulmo/volfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file-name stem from the patient ID: letters, digits, '-', '_', '.'. */
static void stem(char *out, size_t cap)
{
    const char *id = V.vol->meta.patient_id[0] ? V.vol->meta.patient_id : "pulmo";
    size_t n = 0;
    for (; *id && n + 1 < cap; id++)
        out[n++] = isalnum((unsigned char)*id) || *id == '-' || *id == '_' || *id == '.' ? *id : '_';
    out[n] = '\0';
}

static int write_png(const char *path, int mesh)
{
    pm_fb *fb;
    int rc;
    if (mesh) {
        const pm_mesh *m = mesh_current();
        if (!m)
            return pm_fail(PM_EUSAGE, "no surface yet");
        if (!(fb = pm_fb_new(800, 800, 1)))
            return PM_EMEMORY;
        pm_raster_opts o = *mesh_raster_opts();
        rc = pm_raster_mesh(fb, m, &o, NULL);
    } else {
        pm_slice_view sv;
        view_slice(&V.vol->g, &V.view, &sv);
        int w, h;
        pm_slice_view_size(&sv, 1024, 1024, &w, &h);
        if (!(fb = pm_fb_new(w, h, 0)))
            return PM_EMEMORY;
        pm_draw_slice(fb, pm_fb_rect(fb), V.vol, &sv, V.view.win, 1);
        rc = PM_OK;
        if (V.mask && V.view.overlay)
            rc = pm_draw_mask(fb, pm_fb_rect(fb), V.mask, &sv, NULL, PM_OVERLAY_ALPHA);
    }
    if (rc == PM_OK)
        rc = pm_png_write(path, fb);
    pm_fb_free(fb);
    return rc;
}

/* The report of `pulmo segment`, filled from what the UI holds (NULL with
 * a reason before a segmentation; the caller frees). */
static pm_segment_report *ui_report(void)
{
    const pm_lung_measures *m = seg_measures();
    const pm_seg_run *run = seg_run();
    if (!m || !run || !seg_recipe()) {
        pm_fail(PM_EUSAGE, "no measurements yet: run the segmentation (S) first");
        return NULL;
    }
    pm_segment_report *rep = calloc(1, sizeof *rep);
    if (!rep) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    pm_segment_report_fill(rep, V.vol, seg_recipe(), run, m, seg_status(), seg_reason());
    pm_text_clean(rep->series_dir, sizeof rep->series_dir, app.vol_dir);
    rep->seconds_load = V.vol->load_seconds;
    rep->seconds_total = seg_seconds();
    return rep;
}

/* The triage sheet of `pulmo report`. */
static int write_sheet(const char *path)
{
    pm_segment_report *rep = ui_report();
    if (!rep)
        return PM_EUSAGE;
    int rc = pm_segment_sheet_write(path, V.vol, seg_result(), rep);
    free(rep);
    return rc;
}

/* The report.json of `pulmo segment`. */
static int write_report(const char *path)
{
    pm_segment_report *rep = ui_report();
    if (!rep)
        return PM_EUSAGE;
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc == PM_OK) {
        pm_segment_report_json(rep, o.f, 1);
        rc = pm_out_commit(&o);
    }
    free(rep);
    return rc;
}

static int write_mask(const char *path)
{
    const pm_mask *m = seg_result();
    if (!m)
        return pm_fail(PM_EUSAGE, "no mask yet: run the segmentation (S) first");
    return pm_volfile_write_mask(path, m);
}

/* The SEG references the source images: the series held in the browser's
 * index (every file, even across subfolders), or for a series retrieved
 * from a node, its copy in the cache. */
static int write_seg(const char *path)
{
    const pm_mask *m = seg_result();
    const pm_lung_measures *ms = seg_measures();
    if (!m || !ms)
        return pm_fail(PM_EUSAGE, "no mask yet: run the segmentation (S) first");
    const char *uid = V.vol->meta.series_uid;
    if (!pm_net_is_url(app.vol_dir)) {
        const pm_series *s = app.index && uid[0] ? pm_index_pick(app.index, uid) : NULL;
        if (s && !strcmp(s->folder, app.vol_dir))
            return pm_dcmout_seg_checked(path, m, s, ms->sides);
        return pm_dcmout_seg_dir(path, m, app.vol_dir, uid, ms->sides);
    }
    char dir[4096];
    if (pm_net_cached(uid, dir, sizeof dir) != PM_OK)
        return pm_fail(PM_ENODATA, "the series is no longer in the cache: open it again first");
    return pm_dcmout_seg_dir(path, m, dir, uid, ms->sides);
}

static int write_stl(const char *path)
{
    const pm_mesh *m = mesh_current();
    if (!m)
        return pm_fail(PM_EUSAGE, "no surface yet: open the mesh view (M) first");
    int fmt = pm_mesh_format_for(path, 0);
    return pm_mesh_write(m, path, fmt < 0 ? PM_MESH_STL : (pm_mesh_format)fmt);
}

void export_dialog(int mesh)
{
    static const char *const what[6] = {"STL surface", "PNG picture", "NIfTI mask", "JSON report",
                                        "DICOM SEG (mask for PACS/Slicer)", "PNG triage sheet (figures)"};
    static const char *const ext[6] = {"stl", "png", "nii.gz", "json", "dcm", "png"};
    crt_drop_sixel();
    /* Which kind: a one-key menu in the prompt box's place. */
    int kind = -1;
    while (kind < 0) {
        int w = COLS - 4 > 60 ? 60 : COLS - 4, y = (LINES - 10) / 2, x = (COLS - w) / 2;
        crt_role(ROLE_DIALOG);
        for (int r = 0; r < 10; r++) {
            move(y + r, x);
            hline(' ', w);
        }
        crt_text(y, x + 2, w - 4, " Export ");
        for (int i = 0; i < 6; i++)
            crt_textf(y + 2 + i, x + 4, w - 6, "%d  %s", i + 1, what[i]);
        crt_text(y + 9, x + 2, w - 4, "1-6 choose, Esc cancels");
        crt_role(ROLE_NORMAL);
        refresh();
        int k = getch();
        if (k == 27) {
            erase();
            app.dirty = 1;
            return;
        }
        if (k >= '1' && k <= '6')
            kind = k - '1';
        else if (k == 's')
            kind = 0;
        else if (k == 'p')
            kind = 1;
        else if (k == 'n')
            kind = 2;
        else if (k == 'j')
            kind = 3;
        else if (k == 'd')
            kind = 4;
        else if (k == 't')
            kind = 5;
    }
    char base[96], path[4096];
    stem(base, sizeof base);
    snprintf(path, sizeof path, "%s-%s.%s", base, kind == 1 ? (mesh ? "mesh" : "slice") : kind == 3 ? "report" : kind == 4 ? "seg" : kind == 5 ? "sheet" : "lungs",
             ext[kind]);
    char title[64];
    snprintf(title, sizeof title, "Export %s to", what[kind]);
    if (!app_prompt(title, path, sizeof path) || !path[0])
        return;
    if (pm_path_exists(path)) {
        char q[600], clean[512];
        pm_text_clean(clean, sizeof clean, path);
        snprintf(q, sizeof q, "%s exists. Replace it?", clean);
        if (!app_confirm(q)) {
            app_message(0, "not exported");
            return;
        }
    }
    /* Writes take a second at most (the core's writers have no progress):
     * say so on the status line before the keys pause. */
    app_message(0, "writing %s ...", path);
    app_redraw_now();
    pm_error_clear();
    int rc;
    switch (kind) {
    case 0: rc = write_stl(path); break;
    case 1: rc = write_png(path, mesh); break;
    case 2: rc = write_mask(path); break;
    case 3: rc = write_report(path); break;
    case 4: rc = write_seg(path); break;
    default: rc = write_sheet(path); break;
    }
    if (rc == PM_OK)
        app_message(0, "exported %s", path);
    else
        app_message(1, "export failed: %s", pm_error()[0] ? pm_error() : "error");
}
