/* sheet.c - a contact sheet: one picture of a segmented series to judge it at
 * a glance. Three axial slices (upper, middle and lower lung levels), one
 * coronal and one sagittal slice, the labels over them, and caption lines
 * under them. The slices follow the mask, so they land on the lungs
 * whatever the field of view (a whole-body scan, only the apices). */
#include "pulmo/render.h"
#include "pulmo/seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHEET_MARGIN 8
#define AX_TILE (PM_SHEET_W / 3)
#define RE_TILE_H 400
#define TEXT_SCALE 2

/* Where the lungs are: the centroid of labels 1-2, of label 1 alone, and the
 * lowest and highest axial slice numbers holding lung. */
typedef struct sheet_where {
    double all[3], right[3];
    int ax_lo, ax_hi, ax_nslices, found, found_right;
} sheet_where;

static void sheet_locate(const pm_grid *g, const pm_mask *m, sheet_where *w)
{
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    double sa[3] = {0}, sr[3] = {0};
    uint64_t na = 0, nr = 0;
    pm_slice_view s0;
    int axis = 2, rev = 0;
    if (pm_slice_view_init(g, PM_PLANE_AXIAL, 0, &s0) == PM_OK) {
        axis = s0.axis;
        rev = s0.index != 0;
    }
    int lo = g->dim[axis], hi = -1;
    for (int k = 0; m && k < nz; k++)
        for (int j = 0; j < ny; j++) {
            const uint8_t *row = m->v + (size_t)nx * (j + (size_t)ny * k);
            for (int i = 0; i < nx; i++) {
                if (row[i] != PM_LABEL_RIGHT && row[i] != PM_LABEL_LEFT)
                    continue;
                int ijk[3] = {i, j, k};
                sa[0] += i, sa[1] += j, sa[2] += k, na++;
                if (row[i] == PM_LABEL_RIGHT)
                    sr[0] += i, sr[1] += j, sr[2] += k, nr++;
                if (ijk[axis] < lo)
                    lo = ijk[axis];
                if (ijk[axis] > hi)
                    hi = ijk[axis];
            }
        }
    w->found = na > 0;
    w->found_right = nr > 0;
    for (int a = 0; a < 3; a++) {
        w->all[a] = na ? sa[a] / (double)na : g->dim[a] / 2;
        w->right[a] = nr ? sr[a] / (double)nr : w->all[a];
    }
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

static void sheet_tile(pm_fb *fb, pm_rect tile, const pm_volume *v, const pm_mask *m, pm_plane plane,
                       int number, const char *caption)
{
    static const uint8_t yellow[3] = {250, 220, 60};
    pm_slice_view sv;
    if (pm_slice_view_init(&v->g, plane, number, &sv) != PM_OK)
        return;
    pm_rect in = {tile.x + 2, tile.y + 2, tile.w - 4, tile.h - 4};
    pm_rect r = pm_slice_view_fit(&sv, in);
    if (r.w < 1 || r.h < 1)
        return;
    pm_draw_slice(fb, r, v, &sv, PM_WINDOW_LUNG, 1);
    if (m)
        pm_draw_mask(fb, r, m, &sv, NULL, PM_OVERLAY_ALPHA);
    char text[64];
    snprintf(text, sizeof text, "%s %d/%d", caption, sv.number + 1, sv.nslices);
    pm_draw_text(fb, tile.x + 6, tile.y + 6, 1, yellow, text);
}

/* Caption lines wrapped at spaces to `cols` characters into the rows left;
 * returns the rows used. */
static int sheet_lines(pm_fb *fb, int y, const char *const *lines, int nlines)
{
    static const uint8_t white[3] = {235, 235, 235};
    int cols = (PM_SHEET_W - 2 * SHEET_MARGIN) / (PM_FONT_ADVANCE * TEXT_SCALE);
    int row = 0;
    for (int l = 0; l < nlines && row < PM_SHEET_MAX_LINES; l++) {
        const char *s = lines[l];
        do {
            size_t n = strlen(s);
            if (n > (size_t)cols) {
                n = (size_t)cols;
                for (size_t b = n; b > (size_t)cols / 2; b--)
                    if (s[b] == ' ') {
                        n = b;
                        break;
                    }
            }
            char buf[256];
            snprintf(buf, sizeof buf, "%s%.*s", s == lines[l] ? "" : "  ", (int)n, s);
            if (row == PM_SHEET_MAX_LINES - 1 && (s[n] || l + 1 < nlines))
                snprintf(buf + (strlen(buf) > (size_t)cols - 3 ? (size_t)cols - 3 : strlen(buf)), 4, "...");
            pm_draw_text(fb, SHEET_MARGIN, y + row * PM_FONT_LINE * TEXT_SCALE, TEXT_SCALE, white, buf);
            row++;
            s += n;
            while (*s == ' ')
                s++;
        } while (*s && row < PM_SHEET_MAX_LINES);
    }
    return row;
}

int pm_sheet_draw(const pm_volume *v, const pm_mask *m, const char *const *lines, int nlines, pm_fb **out)
{
    if (m && memcmp(m->g.dim, v->g.dim, sizeof v->g.dim) != 0)
        return pm_fail(PM_EUSAGE, "mask and volume grids differ");
    pm_fb *fb = pm_fb_new(PM_SHEET_W, PM_SHEET_H, 0);
    if (!fb)
        return PM_EMEMORY;
    pm_fb_clear(fb, 0, 0, 0);
    sheet_where w;
    sheet_locate(&v->g, m, &w);
    static const char *const level[3] = {"AXIAL UPPER", "AXIAL MIDDLE", "AXIAL LOWER"};
    static const double frac[3] = {0.8, 0.5, 0.2};
    for (int t = 0; t < 3; t++) {
        int n = w.ax_lo + (int)((w.ax_hi - w.ax_lo) * frac[t] + 0.5);
        pm_rect tile = {t * AX_TILE, 0, AX_TILE, AX_TILE};
        sheet_tile(fb, tile, v, m, PM_PLANE_AXIAL, n, level[t]);
    }
    int half = PM_SHEET_W / 2;
    static const uint8_t grey[3] = {160, 160, 160};
    if (w.ax_nslices <= 2) {
        /* One or two slices: a coronal or sagittal view would be a line. */
        pm_draw_text(fb, SHEET_MARGIN, AX_TILE + RE_TILE_H / 2, TEXT_SCALE, grey,
                     "NO CORONAL OR SAGITTAL VIEW OF A SERIES OF 1-2 SLICES");
    } else {
        sheet_tile(fb, (pm_rect){0, AX_TILE, half, RE_TILE_H}, v, m, PM_PLANE_CORONAL,
                   sheet_number(&v->g, PM_PLANE_CORONAL, w.all), "CORONAL");
        /* Through the right lung, not the mediastinum: apex to base in one view. */
        sheet_tile(fb, (pm_rect){half, AX_TILE, half, RE_TILE_H}, v, m, PM_PLANE_SAGITTAL,
                   sheet_number(&v->g, PM_PLANE_SAGITTAL, w.right), "SAGITTAL");
    }
    int y = AX_TILE + RE_TILE_H + SHEET_MARGIN;
    uint8_t c[3];
    int x = SHEET_MARGIN;
    static const char *const legend[3] = {"RIGHT LUNG", "LEFT LUNG", "AIRWAY"};
    for (int l = 1; l <= 3; l++) {
        pm_label_colour(l, c);
        x += pm_draw_text(fb, x, y, TEXT_SCALE, c, legend[l - 1]) + 3 * PM_FONT_ADVANCE * TEXT_SCALE;
    }
    pm_draw_text(fb, x, y, TEXT_SCALE, grey, "(PATIENT RIGHT ON THE LEFT)");
    sheet_lines(fb, y + PM_FONT_LINE * TEXT_SCALE, lines, nlines);
    *out = fb;
    return PM_OK;
}
