/* sheet.c - the triage sheet of a segmented series (render.h draws it):
 * the report's figures laid out as its header, warnings and table, for
 * `pulmo report`, `pulmo batch --sheets` and the TUI's export. */
#include "pulmo/batch.h"
#include "pulmo/encode.h"
#include "pulmo/render.h"
#include "pulmo/text.h"
#include "batch_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The lung histogram up to 0 HU: above it lie vessels and walls, and the
 * chart would spend half its width on them. */
#define SHEET_HIST_BINS ((0 - PM_MEASURE_HU_LO) / PM_MEASURE_BIN_HU)

typedef char sheet_row[PM_SHEET_TABLE_COLS + 8];

/* A figure in w characters, "-" when there is none. */
static const char *fig(char *buf, int w, int prec, double x)
{
    if (isfinite(x))
        snprintf(buf, 24, "%*.*f", w, prec, x);
    else
        snprintf(buf, 24, "%*s", w, "-");
    return buf;
}

static void row(sheet_row r, const char *name, double ml, int ml_prec, const pm_zone_measures *z)
{
    char a[24], b[24], c[24], d[24];
    snprintf(r, sizeof(sheet_row), "%-10.10s%s%s%s%s", name, fig(a, 8, ml_prec, ml), fig(b, 9, 0, z ? z->mean_hu : NAN),
             fig(c, 9, 1, z ? z->laa950_pct : NAN), fig(d, 8, 0, z ? z->perc15_hu : NAN));
}

/* The figures table: column heads and units, then the lungs, each lung and
 * its thirds, the airway. A series of 1-2 slices gets areas per slice. */
static int sheet_table(const pm_segment_report *rep, sheet_row *t)
{
    const pm_lung_measures *m = &rep->m;
    int n = 0;
    if (rep->flat) {
        snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "LUNG", "RIGHT", "LEFT", "AIRWAY");
        snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "CM2", "CM2", "CM2", "CM2");
        for (int k = 0; k < rep->flat && k < 2; k++) {
            const double *a = rep->area_cm2[k];
            snprintf(t[n++], sizeof *t, "SLICE %-4d%8.1f%9.1f%9.1f%8.1f", k + 1, a[0], a[1], a[2], a[3]);
        }
        t[n++][0] = '\0';
        snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "", "MEAN", "LAA-950", "PERC15");
        snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "", "HU", "%", "HU");
        pm_zone_measures all = {.mean_hu = m->mean_hu, .laa950_pct = m->laa950_pct, .perc15_hu = m->perc15_hu};
        row(t[n++], "LUNGS", NAN, 0, &all);
        return n;
    }
    snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "VOLUME", "MEAN", "LAA-950", "PERC15");
    snprintf(t[n++], sizeof *t, "%-10s%8s%9s%9s%8s", "", "ML", "HU", "%", "HU");
    pm_zone_measures all = {.mean_hu = m->mean_hu, .laa950_pct = m->laa950_pct, .perc15_hu = m->perc15_hu};
    row(t[n++], "LUNGS", m->lung_ml, 0, &all);
    static const char *const zname[PM_ZONES] = {"  UPPER", "  MIDDLE", "  LOWER"};
    for (int l = 0; l < (m->sides ? 2 : 1); l++) {
        char name[24];
        double ml = l ? m->left_ml : m->right_ml;
        if (m->sides)
            snprintf(name, sizeof name, "%s %.0f%%", l ? "LEFT" : "RIGHT",
                     m->lung_ml > 0 ? 100.0 * ml / m->lung_ml : 0.0);
        else
            snprintf(name, sizeof name, "LUNG");
        row(t[n++], name, m->sides ? ml : m->lung_ml, 0, &m->lung[l]);
        for (int z = 0; z < PM_ZONES; z++)
            row(t[n++], zname[z], m->zones[l][z].ml, 0, &m->zones[l][z]);
    }
    if (rep->airway.found || m->airway_ml > 0)
        row(t[n++], "AIRWAY", m->airway_ml, 1, NULL);
    else
        snprintf(t[n++], sizeof *t, "%-10s%8s", "AIRWAY", "NONE");
    return n;
}

/* "20000101" as "2000-01-01"; anything else as it is. */
static void sheet_date(char *out, size_t cap, const char *d)
{
    if (strlen(d) == 8 && strspn(d, "0123456789") == 8)
        snprintf(out, cap, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
    else
        snprintf(out, cap, "%s", d[0] ? d : "-");
}

int pm_segment_sheet_draw(const pm_volume *v, const pm_mask *lab, const pm_segment_report *rep, pm_fb **out)
{
    /* The meta is cleaned when read; cleaned again here because a report
     * can come from elsewhere (the TUI) and the sheet may go to a terminal. */
    const pm_series_meta *mt = &v->meta;
    char name[140], id[80], sdesc[140], study[140], date[24], dir[200], h0[400], h1[400], foot[400];
    pm_text_clean(name, sizeof name, mt->patient_name);
    pm_text_clean(id, sizeof id, mt->patient_id[0] ? mt->patient_id : rep->patient_id);
    pm_text_clean(sdesc, sizeof sdesc, mt->series_description);
    pm_text_clean(study, sizeof study, mt->study_description);
    pm_text_clean(dir, sizeof dir, rep->series_dir);
    sheet_date(date, sizeof date, mt->study_date);
    for (char *p = name; *p; p++)
        if (*p == '^')
            *p = ' ';
    snprintf(h0, sizeof h0, "PATIENT %s  ID %s  STUDY %s %s", name[0] ? name : "-", id[0] ? id : "-", date, study);
    snprintf(h1, sizeof h1, "SERIES %s  %s  %d x %d x %d, %.3g x %.3g x %.3g MM", sdesc[0] ? sdesc : "-",
             mt->modality[0] ? mt->modality : "", rep->dim[0], rep->dim[1], rep->dim[2], rep->spacing[0],
             rep->spacing[1], rep->spacing[2]);
    snprintf(foot, sizeof foot, "RECIPE %s  %s", rep->recipe.name ? rep->recipe.name : "-", dir);

    /* The reason there are no figures goes first in the box. */
    const char *warn[PM_REPORT_MAX_WARNINGS + 1];
    int nw = 0;
    char why[700];
    if (rep->status != PM_OK) {
        snprintf(why, sizeof why, "%s: %s", pm_status_name(rep->status), rep->message);
        warn[nw++] = why;
    }
    for (int w = 0; w < rep->nwarnings; w++)
        warn[nw++] = rep->warnings[w];

    sheet_row table[PM_SHEET_TABLE_ROWS];
    const char *rows[PM_SHEET_TABLE_ROWS];
    int nt = 0;
    if (rep->status == PM_OK)
        nt = sheet_table(rep, table);
    else {
        snprintf(table[nt++], sizeof *table, "NO LUNGS: NO FIGURES");
        if (lab)
            snprintf(table[nt++], sizeof *table, "COLOURED: THE AIR FOUND AND REJECTED");
    }
    for (int i = 0; i < nt; i++)
        rows[i] = table[i];

    pm_hist h = {PM_MEASURE_HU_LO, PM_MEASURE_HU_LO + SHEET_HIST_BINS * PM_MEASURE_BIN_HU, PM_MEASURE_BIN_HU,
                 SHEET_HIST_BINS, (uint64_t *)rep->m.hist, 0, 0, 0};
    for (int b = 0; b < SHEET_HIST_BINS; b++)
        h.total += rep->m.hist[b];
    pm_sheet_content c = {{h0, h1}, warn, nw, rows, nt, rep->status == PM_OK ? &h : NULL, foot};
    return pm_sheet_draw(v, lab, &c, out);
}

int pm_segment_sheet_write(const char *png, const pm_volume *v, const pm_mask *lab, const pm_segment_report *rep)
{
    pm_fb *fb = NULL;
    int rc = pm_segment_sheet_draw(v, lab, rep, &fb);
    if (rc == PM_OK)
        rc = pm_png_write(png, fb);
    pm_fb_free(fb);
    return rc;
}

int pm_segment_sheet(const char *dir, const char *png, const pm_segment_opts *o, pm_segment_report *rep,
                     pm_fb **fb, const pm_progress *p)
{
    memset(rep, 0, sizeof *rep);
    if (fb)
        *fb = NULL;
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
    rc = pm__segment_run(v, t0, NULL, o, rep, &lab, NULL, p);
    if (rc == PM_OK || rc == PM_ENOLUNG) {
        pm_fb *pic = NULL;
        int src = pm_segment_sheet_draw(v, lab, rep, &pic);
        if (src == PM_OK && png)
            src = pm_png_write(png, pic);
        if (src == PM_OK && fb)
            *fb = pic;
        else
            pm_fb_free(pic);
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
