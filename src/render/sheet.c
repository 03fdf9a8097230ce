/* sheet.c - the triage sheet: one page a reader takes in at a glance.
 * Header, warnings boxed where they cannot be missed, three axial slices at
 * the middle of the lungs' upper, middle and lower thirds (the zones of the
 * table), a coronal slice, the lung HU histogram and the figures table. The
 * slices follow the mask, so they land on the lungs whatever the field of
 * view (a whole-body scan, only the apices). */
#include "pulmo/render.h"
#include "pulmo/seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 8
#define SCALE 2
#define LINE_PX (PM_FONT_LINE * SCALE)
#define CHAR_PX (PM_FONT_ADVANCE * SCALE)
#define HEADER_Y 6
#define BOX_Y 48
#define BOX_H (10 + PM_SHEET_WARN_LINES * LINE_PX)
#define AX_Y (BOX_Y + BOX_H + 6)
#define AX_TILE (PM_SHEET_W / 3)
#define LOW_Y (AX_Y + AX_TILE + 4)
#define COR_W 400
#define COR_H 440
#define COL_X (COR_W + 16)
#define HIST_Y (LOW_Y + LINE_PX + 8)
#define HIST_H 130
#define TABLE_Y (HIST_Y + HIST_H + LINE_PX + 10)
#define LEGEND_Y (LOW_Y + COR_H + 8)

static const uint8_t white[3] = {235, 235, 235}, grey[3] = {160, 160, 160}, yellow[3] = {250, 210, 40},
                     amber[3] = {255, 170, 40}, green[3] = {120, 220, 120};

void pm_sheet_layout_get(pm_sheet_layout *l)
{
    l->warnings = (pm_rect){MARGIN, BOX_Y, PM_SHEET_W - 2 * MARGIN, BOX_H};
    for (int t = 0; t < 3; t++)
        l->axial[t] = (pm_rect){t * AX_TILE, AX_Y, AX_TILE, AX_TILE};
    l->coronal = (pm_rect){0, LOW_Y, COR_W, COR_H};
    l->hist = (pm_rect){COL_X, HIST_Y, PM_SHEET_W - COL_X - MARGIN, HIST_H};
    l->table = (pm_rect){COL_X, TABLE_Y, PM_SHEET_TABLE_COLS * CHAR_PX, PM_SHEET_TABLE_ROWS * LINE_PX};
}

/* Where the lungs are: the centroid of labels 1-2, and the lowest and
 * highest axial slice numbers holding lung. */
typedef struct sheet_where {
    double all[3];
    int box_lo[3], box_hi[3];   /* voxel index bounds of the lungs (found only) */
    int ax_lo, ax_hi, ax_nslices, found;
} sheet_where;

static void sheet_locate(const pm_grid *g, const pm_mask *m, sheet_where *w)
{
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    double sa[3] = {0};
    uint64_t na = 0;
    pm_slice_view s0;
    int axis = 2, rev = 0;
    if (pm_slice_view_init(g, PM_PLANE_AXIAL, 0, &s0) == PM_OK) {
        axis = s0.axis;
        rev = s0.index != 0;
    }
    int lo = g->dim[axis], hi = -1;
    for (int a = 0; a < 3; a++)
        w->box_lo[a] = g->dim[a], w->box_hi[a] = -1;
    for (int k = 0; m && k < nz; k++)
        for (int j = 0; j < ny; j++) {
            const uint8_t *row = m->v + (size_t)nx * (j + (size_t)ny * k);
            for (int i = 0; i < nx; i++) {
                if (row[i] != PM_LABEL_RIGHT && row[i] != PM_LABEL_LEFT)
                    continue;
                int ijk[3] = {i, j, k};
                sa[0] += i, sa[1] += j, sa[2] += k, na++;
                for (int a = 0; a < 3; a++) {
                    if (ijk[a] < w->box_lo[a])
                        w->box_lo[a] = ijk[a];
                    if (ijk[a] > w->box_hi[a])
                        w->box_hi[a] = ijk[a];
                }
                if (ijk[axis] < lo)
                    lo = ijk[axis];
                if (ijk[axis] > hi)
                    hi = ijk[axis];
            }
        }
    w->found = na > 0;
    for (int a = 0; a < 3; a++)
        w->all[a] = na ? sa[a] / (double)na : g->dim[a] / 2;
    if (!na) {
        lo = 0;
        hi = g->dim[axis] - 1;
    }
    int n = g->dim[axis];
    w->ax_nslices = n;
    w->ax_lo = rev ? n - 1 - hi : lo;
    w->ax_hi = rev ? n - 1 - lo : hi;
}

static int sheet_number(const pm_grid *g, pm_plane plane, const double c[3])
{
    int ijk[3], number = -1, u, v;
    for (int a = 0; a < 3; a++) {
        ijk[a] = (int)(c[a] + 0.5);
        if (ijk[a] >= g->dim[a])
            ijk[a] = g->dim[a] - 1;
        if (ijk[a] < 0)
            ijk[a] = 0;
    }
    if (pm_slice_view_locate(g, plane, ijk, &number, &u, &v) != PM_OK)
        return -1;
    return number;
}

/* The part of the slice to show: the lungs' box with a margin when it is
 * much smaller than the slice (a whole-body scan), else everything; in
 * screen voxels [c0, c1) x [r0, r1). */
static void sheet_crop(const pm_slice_view *sv, const sheet_where *w, int crop[4])
{
    crop[0] = 0, crop[1] = sv->nu, crop[2] = 0, crop[3] = sv->nv;
    if (!w || !w->found || sv->resample)
        return;
    int c0 = (w->box_lo[sv->u_axis] - sv->u0) * sv->du, c1 = (w->box_hi[sv->u_axis] - sv->u0) * sv->du;
    int r0 = (w->box_lo[sv->v_axis] - sv->v0) * sv->dv, r1 = (w->box_hi[sv->v_axis] - sv->v0) * sv->dv;
    if (c0 > c1) {
        int t = c0;
        c0 = c1, c1 = t;
    }
    if (r0 > r1) {
        int t = r0;
        r0 = r1, r1 = t;
    }
    int mu = (c1 - c0) / 6 + 2, mv = (r1 - r0) / 6 + 2;
    c0 = c0 - mu < 0 ? 0 : c0 - mu, c1 = c1 + mu + 1 > sv->nu ? sv->nu : c1 + mu + 1;
    r0 = r0 - mv < 0 ? 0 : r0 - mv, r1 = r1 + mv + 1 > sv->nv ? sv->nv : r1 + mv + 1;
    if ((double)(c1 - c0) * (r1 - r0) < 0.6 * sv->nu * sv->nv)
        crop[0] = c0, crop[1] = c1, crop[2] = r0, crop[3] = r1;
}

static void sheet_tile(pm_fb *fb, pm_rect tile, const pm_volume *v, const pm_mask *m, pm_plane plane,
                       int number, const sheet_where *w, const char *caption)
{
    pm_slice_view sv;
    if (pm_slice_view_init(&v->g, plane, number, &sv) != PM_OK)
        return;
    int cr[4];
    sheet_crop(&sv, w, cr);
    /* The crop fitted in the tile, the whole slice drawn around it into a
     * picture of the tile's size, which clips it. */
    double cw = (cr[1] - cr[0]) * sv.u_mm, ch = (cr[3] - cr[2]) * sv.v_mm;
    int iw = tile.w - 4, ih = tile.h - 4;
    double s = iw / cw < ih / ch ? iw / cw : ih / ch;
    if (!(s > 0) || iw < 1 || ih < 1)
        return;
    pm_rect r = {(int)(iw / 2.0 - (cr[0] + cr[1]) / 2.0 * sv.u_mm * s + 0.5),
                 (int)(ih / 2.0 - (cr[2] + cr[3]) / 2.0 * sv.v_mm * s + 0.5), (int)(sv.nu * sv.u_mm * s + 0.5),
                 (int)(sv.nv * sv.v_mm * s + 0.5)};
    pm_fb *pic = pm_fb_new(iw, ih, 0);
    if (!pic || r.w < 1 || r.h < 1) {
        pm_fb_free(pic);
        return;
    }
    pm_fb_clear(pic, 0, 0, 0);
    pm_draw_slice(pic, r, v, &sv, PM_WINDOW_LUNG, 1);
    if (m)
        pm_draw_mask(pic, r, m, &sv, NULL, PM_OVERLAY_ALPHA);
    pm_fb_blit(fb, tile.x + 2, tile.y + 2, pic);
    pm_fb_free(pic);
    char text[64];
    snprintf(text, sizeof text, "%s %d/%d", caption, sv.number + 1, sv.nslices);
    /* On black: a cropped slice reaches the corner with bright tissue. */
    pm_fb_fill(fb, (pm_rect){tile.x + 2, tile.y + 2, pm_text_px_width(text, SCALE) + 8, LINE_PX + 2}, 0, 0, 0);
    pm_draw_text(fb, tile.x + 6, tile.y + 6, SCALE, yellow, text);
}

/* One line cut to cols characters, "..." marking the cut. */
static void sheet_text(pm_fb *fb, int x, int y, int cols, const uint8_t rgb[3], const char *s)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    if (strlen(buf) > (size_t)cols && cols > 3)
        snprintf(buf + cols - 3, 4, "...");
    pm_draw_text(fb, x, y, SCALE, rgb, buf);
}

/* Lines wrapped at spaces to cols characters, at most maxrows rows (the
 * last ending in "..." when more did not fit); returns the rows used. */
static int sheet_wrap(pm_fb *fb, int x, int y, int cols, int maxrows, const uint8_t rgb[3],
                      const char *const *lines, int nlines)
{
    int row = 0;
    for (int l = 0; l < nlines && row < maxrows; l++) {
        const char *s = lines[l];
        do {
            size_t n = strlen(s);
            if (n > (size_t)cols - 2) {
                n = (size_t)cols - 2;
                for (size_t b = n; b > n / 2; b--)
                    if (s[b] == ' ') {
                        n = b;
                        break;
                    }
            }
            char buf[256];
            snprintf(buf, sizeof buf, "%s%.*s", s == lines[l] ? "" : "  ", (int)n, s);
            if (row == maxrows - 1 && (s[n] || l + 1 < nlines))
                snprintf(buf + (strlen(buf) > (size_t)cols - 3 ? (size_t)cols - 3 : strlen(buf)), 4, "...");
            pm_draw_text(fb, x, y + row * LINE_PX, SCALE, rgb, buf);
            row++;
            s += n;
            while (*s == ' ')
                s++;
        } while (*s && row < maxrows);
    }
    return row;
}

static void sheet_box(pm_fb *fb, pm_rect r, const uint8_t c[3])
{
    pm_fb_fill(fb, (pm_rect){r.x, r.y, r.w, 2}, c[0], c[1], c[2]);
    pm_fb_fill(fb, (pm_rect){r.x, r.y + r.h - 2, r.w, 2}, c[0], c[1], c[2]);
    pm_fb_fill(fb, (pm_rect){r.x, r.y, 2, r.h}, c[0], c[1], c[2]);
    pm_fb_fill(fb, (pm_rect){r.x + r.w - 2, r.y, 2, r.h}, c[0], c[1], c[2]);
}

/* The histogram with -950 marked, its HU scale under it. */
static void sheet_hist(pm_fb *fb, const pm_sheet_layout *l, const pm_hist *h)
{
    pm_rect r = l->hist;
    pm_draw_text(fb, r.x, LOW_Y + 4, SCALE, white, "LUNG HU HISTOGRAM");
    if (!h || !h->total || h->nbins < 1) {
        pm_fb_fill(fb, r, 16, 16, 24);
        pm_draw_text(fb, r.x + 8, r.y + r.h / 2 - LINE_PX / 2, SCALE, grey, "NO LUNG VOXELS");
        return;
    }
    static const double marks[1] = {-950};
    pm_hist_style st = {.markers = marks, .nmarkers = 1, .shade = PM_WINDOW_LUNG};
    pm_draw_hist(fb, r, h, &st);
    double span = (double)h->nbins * h->bin;
    int mx = r.x + (int)((-950 - h->lo) / span * r.w + 0.5);
    /* On a dark patch: the marker sits beside the lung peak. */
    int lw = pm_text_px_width("-950", SCALE);
    pm_fb_fill(fb, (pm_rect){mx + 2, r.y + 2, lw + 4, LINE_PX}, 0, 0, 0);
    pm_draw_text(fb, mx + 4, r.y + 4, SCALE, yellow, "-950");
    for (int t = (h->lo / 500) * 500; t <= h->lo + span; t += 500) {
        int x = r.x + (int)((t - h->lo) / span * r.w + 0.5);
        char s[16];
        snprintf(s, sizeof s, "%d", t);
        int tw = pm_text_px_width(s, SCALE);
        if (x >= r.x)
            pm_draw_text(fb, x - tw / 2 < r.x ? r.x : x + tw / 2 > r.x + r.w ? r.x + r.w - tw : x - tw / 2,
                         r.y + r.h + 4, SCALE, grey, s);
    }
    pm_draw_text(fb, r.x + r.w - pm_text_px_width("HU", SCALE), LOW_Y + 4, SCALE, grey, "HU");
}

int pm_sheet_draw(const pm_volume *v, const pm_mask *m, const pm_sheet_content *c, pm_fb **out)
{
    if (m && memcmp(m->g.dim, v->g.dim, sizeof v->g.dim) != 0)
        return pm_fail(PM_EUSAGE, "mask and volume grids differ");
    pm_fb *fb = pm_fb_new(PM_SHEET_W, PM_SHEET_H, 0);
    if (!fb)
        return PM_EMEMORY;
    pm_fb_clear(fb, 0, 0, 0);
    pm_sheet_layout l;
    pm_sheet_layout_get(&l);
    int cols = (PM_SHEET_W - 2 * MARGIN) / CHAR_PX;
    for (int i = 0; i < 2; i++)
        if (c->header[i])
            sheet_text(fb, MARGIN, HEADER_Y + i * (LINE_PX + 2), cols, i ? grey : white, c->header[i]);

    /* Warnings in amber, boxed; none is said in green, so an empty box is
     * never mistaken for a drawing failure. */
    sheet_box(fb, l.warnings, c->nwarnings ? amber : green);
    if (c->nwarnings)
        sheet_wrap(fb, l.warnings.x + 8, l.warnings.y + 6, (l.warnings.w - 16) / CHAR_PX, PM_SHEET_WARN_LINES,
                   amber, c->warnings, c->nwarnings);
    else
        pm_draw_text(fb, l.warnings.x + 8, l.warnings.y + 6, SCALE, green, "NO WARNINGS");

    sheet_where w;
    sheet_locate(&v->g, m, &w);
    static const char *const level[3] = {"UPPER ZONE", "MIDDLE ZONE", "LOWER ZONE"};
    static const double frac[3] = {5.0 / 6, 0.5, 1.0 / 6};
    for (int t = 0; t < 3; t++)
        sheet_tile(fb, l.axial[t], v, m, PM_PLANE_AXIAL, w.ax_lo + (int)((w.ax_hi - w.ax_lo) * frac[t] + 0.5),
                   NULL, w.ax_nslices <= 2 ? "AXIAL" : level[t]);
    if (w.ax_nslices <= 2)
        /* One or two slices: a coronal view would be a line. */
        sheet_wrap(fb, MARGIN, LOW_Y + COR_H / 2, COR_W / CHAR_PX - 1, 3, grey,
                   (const char *const[]){"NO CORONAL VIEW OF A SERIES OF 1-2 SLICES"}, 1);
    else
        /* Cropped to the lungs: in a whole-body scan they are a third of it. */
        sheet_tile(fb, l.coronal, v, m, PM_PLANE_CORONAL, sheet_number(&v->g, PM_PLANE_CORONAL, w.all), &w,
                   "CORONAL");

    sheet_hist(fb, &l, c->hist);
    for (int i = 0; i < c->ntable && i < PM_SHEET_TABLE_ROWS; i++)
        sheet_text(fb, l.table.x, l.table.y + i * LINE_PX, PM_SHEET_TABLE_COLS, i < 2 ? grey : white, c->table[i]);

    uint8_t lc[3];
    int x = MARGIN;
    static const char *const legend[3] = {"RIGHT LUNG", "LEFT LUNG", "AIRWAY"};
    for (int i = 1; i <= 3; i++) {
        pm_label_colour(i, lc);
        x += pm_draw_text(fb, x, LEGEND_Y, SCALE, lc, legend[i - 1]) + 2 * CHAR_PX;
    }
    pm_draw_text(fb, x, LEGEND_Y, SCALE, grey, "(PATIENT RIGHT ON THE LEFT)");
    if (c->footer)
        sheet_text(fb, MARGIN, LEGEND_Y + LINE_PX + 2, cols, grey, c->footer);
    *out = fb;
    return PM_OK;
}
