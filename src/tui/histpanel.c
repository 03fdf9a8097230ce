/* panels.c - what shares the viewer screen with the slice: one side panel
 * at a time (HU histogram or segmentation) and the mesh view, which takes
 * the picture's place. Keys go to the open panel first, then the viewer.
 */
#include "viewer.h"
#include "pulmo/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PANEL_NONE, PANEL_HIST, PANEL_SEG };

static struct {
    int panel;
    int mesh;                 /* the mesh view replaces the slice */
    int hist_of_mask;         /* histogram of the mask's voxels */
    pm_hist hist;
    const void *hist_for;     /* the mask (or volume) the histogram is of */
    int have_hist;
    pm_fb *fb;
} P;

void panels_open(void)
{
    memset(&P, 0, sizeof P);
}

void panels_close(void)
{
    mesh_done();
    seg_done();
    if (P.have_hist)
        pm_hist_free(&P.hist);
    pm_fb_free(P.fb);
    memset(&P, 0, sizeof P);
}

int panels_width(void)
{
    if (P.panel == PANEL_NONE || P.mesh)
        return P.mesh ? mesh_panel_width() : 0;
    return COLS >= 100 ? 38 : 34;
}

int panels_mesh_active(void)
{
    return P.mesh;
}

/* ---- histogram ------------------------------------------------------ */

static void draw_hist(int y0, int x0, int rows, int cols)
{
    const pm_mask *m = P.hist_of_mask ? V.mask : NULL;
    const void *want = m ? (const void *)m : (const void *)V.vol;
    if (!P.have_hist || P.hist_for != want) {
        if (P.have_hist)
            pm_hist_free(&P.hist);
        P.have_hist = pm_hist_compute(V.vol, m, -1100, 700, 10, &P.hist) == PM_OK;
        P.hist_for = want;
    }
    crt_role(ROLE_HEADER);
    move(y0, x0);
    hline(' ', cols);
    crt_textf(y0, x0 + 1, cols - 2, "HU histogram: %s", m ? "mask" : "volume");
    crt_role(ROLE_NORMAL);
    if (!P.have_hist)
        return;
    double marks[4];
    int nm = seg_markers(marks, 4);
    int prow = rows - 6, fbw, fbh;
    double aspect;
    if (prow < 3)
        return;
    crt_fb_size(cols - 2, prow, &fbw, &fbh, &aspect);
    if (!P.fb || P.fb->w != fbw || P.fb->h != fbh) {
        pm_fb_free(P.fb);
        P.fb = pm_fb_new(fbw, fbh, 0);
    }
    if (!P.fb)
        return;
    pm_fb_clear(P.fb, 0, 0, 0);
    pm_hist_style st = {1, marks, nm, V.view.win};
    pm_draw_hist(P.fb, pm_fb_rect(P.fb), &P.hist, &st);
    crt_draw_fb(P.fb, y0 + 1, x0 + 1, cols - 2, prow);
    int y = y0 + 1 + prow;
    crt_textf(y++, x0 + 1, cols - 2, "%-6d %*d HU", P.hist.lo, cols - 12, P.hist.hi);
    crt_textf(y++, x0 + 1, cols - 2, "%llu voxels (log counts)", (unsigned long long)P.hist.total);
    crt_role(ROLE_MARK);
    char buf[128] = "";
    for (int i = 0, n = 0; i < nm && n < (int)sizeof buf - 16; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%.0f", i ? ", " : "threshold ", marks[i]);
    crt_text(y++, x0 + 1, cols - 2, nm ? buf : "no threshold (press S)");
    crt_role(ROLE_NORMAL);
    crt_textf(y++, x0 + 1, cols - 2, "window W %.0f L %.0f", V.view.win.width, V.view.win.level);
    if (seg_started()) {
        char sel[160];
        seg_selected(sel, sizeof sel);
        crt_role(ROLE_KEY);
        crt_textf(y, x0 + 1, cols - 2, "J/K [ ]: %s", sel);
        crt_role(ROLE_NORMAL);
    }
}

void panels_draw(void)
{
    int y = 1 + (V.vol->nwarnings ? 1 : 0), rows = LINES - 2 - y, w = panels_width();
    /* The panel ends above the info row (LINES - 2). */
    if (P.mesh || !w)
        return;
    int x = COLS - w;
    crt_role(ROLE_DIM);
    for (int r = 0; r < rows; r++)
        mvaddch(y + r, x, ACS_VLINE);
    crt_role(ROLE_NORMAL);
    if (P.panel == PANEL_HIST)
        draw_hist(y, x + 1, rows, w - 1);
    else if (P.panel == PANEL_SEG)
        seg_draw(y, x + 1, rows, w - 1);
}

const char *panels_hints(void)
{
    if (P.mesh)
        return "arrows orbit  +/- zoom  r rotate  e export  ? keys  q back";
    if (P.panel == PANEL_SEG)
        return "J/K param  [ ] fine  { } coarse  u undo  e export  ? keys";
    if (P.panel == PANEL_HIST)
        return "v volume/mask  J/K [ ] tune  H close  ? keys";
    return "j/k slice  1-4 window  S seg  H hist  M mesh  ? keys  q back";
}

/* ---- actions -------------------------------------------------------- */

static int act_hist(void)
{
    P.mesh = 0;
    P.panel = P.panel == PANEL_HIST ? PANEL_NONE : PANEL_HIST;
    return R_IMAGE;
}

static int act_seg(void)
{
    P.mesh = 0;
    P.panel = P.panel == PANEL_SEG ? PANEL_NONE : PANEL_SEG;
    if (P.panel == PANEL_SEG)
        seg_start();
    return R_IMAGE;
}

static int act_hist_source(void)
{
    if (!V.mask) {
        app_message(0, "no mask yet: press S to segment");
        return R_REDRAW;
    }
    P.hist_of_mask = !P.hist_of_mask;
    return R_IMAGE;
}

static int act_mesh(void)
{
    if (P.mesh) {
        P.mesh = 0;
        return R_IMAGE;
    }
    if (mesh_open() != 0)
        return R_REDRAW;
    P.mesh = 1;
    return R_IMAGE;
}

static int act_export(void)
{
    export_dialog(P.mesh);
    return R_REDRAW;
}

static const tui_binding panel_keys[] = {
    {'S', act_seg, "S", "segmentation panel (runs the recipe)"},
    {'H', act_hist, "H", "HU histogram panel"},
    {'M', act_mesh, "M", "mesh view of the mask (again: back)"},
    {'e', act_export, "e", "export STL, PNG, NIfTI mask or JSON report"},
    {0, NULL, NULL, NULL},
};

static const tui_binding hist_keys[] = {
    {'v', act_hist_source, "v", "histogram of the volume / of the mask"},
    {0, NULL, NULL, NULL},
};

int panels_key(int k)
{
    int r;
    if (P.mesh && (r = mesh_key(k)))
        return r;
    if (P.panel == PANEL_SEG && (r = app_dispatch(seg_keys, k)))
        return r;
    if (P.panel == PANEL_HIST && (r = app_dispatch(hist_keys, k)))
        return r;
    /* The recipe stays tunable under the histogram, whose markers follow. */
    if (P.panel == PANEL_HIST && seg_started() && k != 27 && (r = app_dispatch(seg_keys, k)))
        return r;
    return app_dispatch(panel_keys, k);
}

int panels_back(void)
{
    if (P.mesh) {
        P.mesh = 0;
        return 1;
    }
    if (P.panel != PANEL_NONE) {
        P.panel = PANEL_NONE;
        return 1;
    }
    return 0;
}

void panels_tick(void)
{
    seg_tick();
    mesh_tick();
}

tui_job *panels_busy(void)
{
    tui_job *j = seg_busy();
    return j ? j : mesh_busy();
}

int panels_help(const tui_binding **t, const char **titles, int max)
{
    int n = 0;
    if (n < max)
        t[n] = panel_keys, titles[n++] = "Panels";
    if (n < max)
        t[n] = seg_keys, titles[n++] = "Segmentation panel (S)";
    if (n < max)
        t[n] = mesh_keys, titles[n++] = "Mesh view (M)";
    if (n < max)
        t[n] = hist_keys, titles[n++] = "Histogram panel (H)";
    return n;
}
