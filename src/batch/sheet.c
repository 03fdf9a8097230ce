/* sheet.c - `pulmo sheet`: segment one series and draw its contact sheet
 * (render.h) with the report's figures under the pictures, so a reader sees
 * the mask and its numbers together. Nothing but the PNG is written. */
#include "pulmo/batch.h"
#include "pulmo/encode.h"
#include "pulmo/render.h"
#include "pulmo/text.h"
#include "batch_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double pct(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0;
}

int pm_segment_report_lines(const pm_segment_report *rep, char (*lines)[200], int max)
{
    int n = 0;
    char dir[160];
    pm_text_clean(dir, sizeof dir, rep->series_dir);
#define LINE(...) \
    do { \
        if (n < max) \
            snprintf(lines[n++], sizeof lines[0], __VA_ARGS__); \
    } while (0)
    LINE("SERIES %s  PATIENT %s", dir, rep->patient_id[0] ? rep->patient_id : "-");
    const pm_lung_measures *m = &rep->m;
    if (rep->status == PM_OK && rep->flat) {
        for (int k = 0; k < rep->flat && k < 2; k++) {
            const double *a = rep->area_cm2[k];
            if (m->sides)
                LINE("SLICE %d OF %d: LUNG AREA %.1f cm2: RIGHT %.1f cm2, LEFT %.1f cm2; AIRWAY %.1f cm2", k + 1,
                     rep->flat, a[0], a[1], a[2], a[3]);
            else
                LINE("SLICE %d OF %d: LUNG AREA %.1f cm2; AIRWAY %.1f cm2", k + 1, rep->flat, a[0], a[3]);
        }
    } else if (rep->status == PM_OK) {
        if (m->sides)
            LINE("LUNGS %.0f mL: RIGHT %.0f mL (%.0f %%), LEFT %.0f mL (%.0f %%); %d LUNG(S) FOUND", m->lung_ml,
                 m->right_ml, pct(m->right_ml, m->lung_ml), m->left_ml, pct(m->left_ml, m->lung_ml), rep->nlungs);
        else
            LINE("LUNGS %.0f mL (SIDES NOT SEPARATED)", m->lung_ml);
        if (rep->airway.found)
            LINE("AIRWAY %.1f mL (GROWN UP TO %.0f HU)", m->airway_ml, rep->airway.threshold_hu);
        else
            LINE("AIRWAY NOT LABELLED");
    } else {
        LINE("%s: %s", pm_status_name(rep->status), rep->message);
        if (rep->status == PM_ENOLUNG)
            LINE("(COLOURED: THE AIR THE RECIPE FOUND AND REJECTED AS TOO SMALL FOR LUNGS)");
    }
    if (rep->status == PM_OK)
        LINE("DENSITY MEAN %.0f HU, LAA-950 %.1f %%, PERC15 %.0f HU; COMPONENTS %d", m->mean_hu, m->laa950_pct,
             m->perc15_hu, m->components);
    LINE("GRID %d x %d x %d, %.3g x %.3g x %.3g mm; RECIPE %s", rep->dim[0], rep->dim[1], rep->dim[2],
         rep->spacing[0], rep->spacing[1], rep->spacing[2], rep->recipe.name ? rep->recipe.name : "-");
    for (int w = 0; w < rep->nwarnings; w++)
        LINE("WARNING %s", rep->warnings[w]);
    if (rep->nwarnings == 0)
        LINE("NO WARNINGS");
#undef LINE
    return n;
}

int pm_segment_sheet(const char *dir, const char *png, const pm_segment_opts *o, pm_segment_report *rep,
                     const pm_progress *p)
{
    memset(rep, 0, sizeof *rep);
    snprintf(rep->series_dir, sizeof rep->series_dir, "%s", dir);
    double t0 = pm_now();
    pm_volume *v;
    int rc = pm_load_dir(dir, o->series_uid, &o->load, &v, p);
    if (rc != PM_OK) {
        rep->status = rc;
        snprintf(rep->message, sizeof rep->message, "%s", pm_error());
        return rc;
    }
    rep->seconds_load = pm_now() - t0;
    pm_mask *lab = NULL;
    rc = pm__segment_run(v, t0, NULL, o, rep, &lab, p);
    if (rc == PM_OK || rc == PM_ENOLUNG) {
        char lines[PM_SHEET_MAX_LINES][200];
        const char *ptr[PM_SHEET_MAX_LINES];
        int n = pm_segment_report_lines(rep, lines, PM_SHEET_MAX_LINES);
        for (int i = 0; i < n; i++)
            ptr[i] = lines[i];
        pm_fb *fb = NULL;
        int src = pm_sheet_draw(v, lab, ptr, n, &fb);
        if (src == PM_OK)
            src = pm_png_write(png, fb);
        pm_fb_free(fb);
        if (src != PM_OK) {
            rc = src;
            rep->status = rc;
            snprintf(rep->message, sizeof rep->message, "%s", pm_error());
        } else if (rc == PM_ENOLUNG) {
            pm_fail(rc, "%s", rep->message);
        }
    }
    pm_mask_free(lab);
    pm_volume_free(v);
    return rc;
}
