/* viewer.c - the slice viewer: axial, coronal and sagittal planes of the
 * loaded volume, window/level, zoom and pan, a cursor reading HU and
 * patient coordinates, the series' warnings, and a 5x5 montage.
 *
 * The view state lives here; pixels come from view_render (the core's
 * slice drawing) and reach the terminal through crt_draw_fb. One side
 * panel at a time (histogram, segmentation) shares the screen and gets the
 * keys first; the mesh view is a screen of its own pushed on top.
 */
#include "viewer.h"
#include "export.h"
#include "histpanel.h"
#include "inside.h"
#include "meshview.h"
#include "refview.h"
#include "segpanel.h"
#include "pulmo/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tui_viewer V;

/* The name of the core's window preset n (pm_window_preset), so pictures
 * match `pulmo render --window`. */
static const char *preset_name(int n)
{
    pm_window w;
    const char *name = pm_window_preset(n, &w);
    return name ? name : "";
}

static void clamp_slice(void)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    if (V.view.slice >= ns)
        V.view.slice = ns - 1;
    if (V.view.slice < 0)
        V.view.slice = 0;
    if (V.cu >= nu)
        V.cu = nu - 1;
    if (V.cv >= nv)
        V.cv = nv - 1;
    if (V.cu < 0)
        V.cu = 0;
    if (V.cv < 0)
        V.cv = 0;
}

/* Centre the plane and pick the slice and cursor in the middle. */
static void reset_view(void)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    V.view.cu = nu * su / 2;
    V.view.cv = nv * sv / 2;
    V.zoom = 1;
    V.cu = nu / 2;
    V.cv = nv / 2;
}

void viewer_open(pm_volume *v)
{
    viewer_done();
    app.vol = v;
    memset(&V, 0, sizeof V);
    V.vol = v;
    V.view.plane = PM_PLANE_AXIAL;
    pm_window_preset(0, &V.view.win);
    V.view.overlay = 1;
    V.preset = 0;
    V.panel = NULL;
    reset_view();
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&v->g, PM_PLANE_AXIAL, &nu, &nv, &ns, &su, &sv);
    V.view.slice = ns / 2;
    snprintf(app.vol_label, sizeof app.vol_label, "%s %s  %s", v->meta.patient_id, v->meta.patient_name,
             v->meta.series_description);
    app_push(&viewer_screen);
}

void viewer_done(void)
{
    while (app_on_stack(&viewer_screen))
        app_pop();
    inside_done();
    ref_done();
    mesh_done();
    seg_done();
    hist_done();
    pm_volume_free(app.vol);
    app.vol = NULL;
    free(V.fb.rgb);
    memset(&V, 0, sizeof V);
}

/* The picture area in cells. */
static void image_box(int *y, int *x, int *rows, int *cols)
{
    int top = 1 + (V.vol->nwarnings ? 1 : 0);
    int pw = V.panel ? viewer_panel_width() : 0;
    *y = top;
    *x = 0;
    *rows = LINES - 2 - top;
    *cols = COLS - pw;
}

static int ensure_fb(int w, int h)
{
    if (V.fb.w == w && V.fb.h == h && V.fb.rgb)
        return 0;
    uint8_t *p = realloc(V.fb.rgb, (size_t)w * h * 3 + 3);
    if (!p)
        return -1;
    V.fb.rgb = p, V.fb.w = w, V.fb.h = h;
    return 0;
}

/* mm per pixel of the cell box (the picture sent may have fewer pixels
 * when the terminal scales it): cursor steps are cells. */
static double box_mm_per_px;

static const char *plane_name[3] = {"Axial", "Coronal", "Sagittal"};

static void draw_montage(int y, int x, int rows, int cols, int fbw, int fbh)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    pm_fb_clear(&V.fb, 0, 0, 0);
    int tw = fbw / 5, th = fbh / 5;
    for (int n = 0; n < 25; n++) {
        pm_rect r = {(n % 5) * tw, (n / 5) * th, tw - 1, th - 1};
        view_render_fit(&V.fb, r, V.vol, V.mask, &V.view, (int)((n + 0.5) * ns / 25));
    }
    crt_draw_fb(&V.fb, y, x, cols, rows);
    if (!crt_pixels()) {
        crt_role(ROLE_KEY);
        for (int n = 0; n < 25; n++)
            crt_textf(y + (n / 5) * rows / 5, x + (n % 5) * cols / 5, cols / 5, "%d", (int)((n + 0.5) * ns / 25) + 1);
        crt_role(ROLE_NORMAL);
    }
}

static void draw_image(void)
{
    int y, x, rows, cols, fbw, fbh;
    image_box(&y, &x, &rows, &cols);
    if (rows < 2 || cols < 4)
        return;
    crt_fb_size(cols, rows, &fbw, &fbh, &V.view.aspect);
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    box_mm_per_px = view_fit_mm_per_px(&V.vol->g, V.view.plane, fbw, fbh, V.view.aspect) / V.zoom;
    V.view.mm_per_px = box_mm_per_px;
    /* A terminal that scales pictures gets no more pixels than voxels. */
    double k = fmin(su, sv) / V.view.mm_per_px;
    if (crt_scales() && k > 1 && !V.montage) {
        fbw = (int)(fbw / k + 0.5) > 1 ? (int)(fbw / k + 0.5) : 1;
        fbh = (int)(fbh / k + 0.5) > 1 ? (int)(fbh / k + 0.5) : 1;
        V.view.mm_per_px = view_fit_mm_per_px(&V.vol->g, V.view.plane, fbw, fbh, V.view.aspect) / V.zoom;
    }
    if (ensure_fb(fbw, fbh) != 0) {
        app_message(1, "out of memory for the picture");
        return;
    }
    if (V.montage) {
        draw_montage(y, x, rows, cols, fbw, fbh);
        return;
    }
    view_render(&V.fb, pm_fb_rect(&V.fb), V.vol, V.mask, &V.view);
    if (V.view.overlay)
        inside_draw_overlays(&V.fb, pm_fb_rect(&V.fb));
    ref_draw(&V.fb, pm_fb_rect(&V.fb), &V.view);
    double px, py;
    view_uv_to_px(&V.view, &V.vol->g, fbw, fbh, V.cu, V.cv, &px, &py);
    crt_draw_fb_cursor(&V.fb, y, x, cols, rows, (int)px, (int)py);
    if (!crt_pixels()) {
        int cy = y + (int)(py * rows / fbh), cx = x + (int)(px * cols / fbw);
        if (cy >= y && cy < y + rows && cx >= x && cx < x + cols) {
            crt_role(ROLE_CURSOR);
            mvaddch(cy, cx, '+');
            crt_role(ROLE_NORMAL);
        }
    }
}

/* Row LINES-2: plane, slice, window, zoom and what is under the cursor. */
static void draw_info(void)
{
    const pm_grid *g = &V.vol->g;
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    int ijk[3];
    view_plane_ijk(g, V.view.plane, V.view.slice, (int)V.cu, (int)V.cv, ijk);
    size_t idx = (size_t)ijk[0] + (size_t)g->dim[0] * ((size_t)ijk[1] + (size_t)g->dim[1] * ijk[2]);
    double lps[3];
    pm_grid_to_lps(g, ijk[0], ijk[1], ijk[2], lps);
    char buf[400];
    int n = snprintf(buf, sizeof buf, "%s %d/%d  W %.0f L %.0f%s%s  x%.1f  (%d,%d,%d) HU %d  LPS %.1f %.1f %.1f mm",
                     plane_name[V.view.plane], V.view.slice + 1, ns, V.view.win.width, V.view.win.level,
                     V.preset >= 0 ? " " : "", V.preset >= 0 ? preset_name(V.preset) : "", V.zoom, ijk[0],
                     ijk[1], ijk[2], V.vol->hu[idx], lps[0], lps[1], lps[2]);
    if (V.mask && n > 0 && (size_t)n < sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "  mask %d", V.mask->v[idx]);
    const char *roi = ref_name_at(idx);
    if (roi[0] && n > 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n, "  ref %s", roi);
    crt_role(ROLE_HEADER);
    crt_clear_rows(LINES - 2, LINES - 2);
    crt_text(LINES - 2, 1, COLS - 2, buf);
    crt_role(ROLE_NORMAL);
}

int viewer_chrome(void)
{
    app_title("%s  %dx%dx%d  %.3gx%.3gx%.3g mm", app.vol_label, V.vol->g.dim[0], V.vol->g.dim[1],
              V.vol->g.dim[2], V.vol->g.spacing[0], V.vol->g.spacing[1], V.vol->g.spacing[2]);
    if (!V.vol->nwarnings)
        return 1;
    crt_role(ROLE_WARNING);
    crt_textf(1, 1, COLS - 2, "warning: %s: %s%s", V.vol->warnings[0].kind, V.vol->warnings[0].message,
              V.vol->nwarnings > 1 ? "  (more: press i)" : "");
    crt_role(ROLE_NORMAL);
    return 2;
}

int viewer_panel_width(void)
{
    return COLS >= 100 ? 38 : 34;
}

/* The open side panel, right of the picture, above the info row. */
static void draw_panel(void)
{
    if (!V.panel)
        return;
    int y = 1 + (V.vol->nwarnings ? 1 : 0), rows = LINES - 2 - y, w = viewer_panel_width();
    int x = COLS - w;
    crt_role(ROLE_DIM);
    for (int r = 0; r < rows; r++)
        mvaddch(y + r, x, ACS_VLINE);
    crt_role(ROLE_NORMAL);
    V.panel->draw(y, x + 1, rows, w - 1);
}

static void viewer_draw(int y, int x, int rows, int cols)
{
    (void)y, (void)x, (void)rows, (void)cols;
    if (!V.vol)
        return;
    viewer_chrome();
    draw_image();
    draw_info();
    draw_panel();
}

static const char *viewer_hints(void)
{
    if (V.panel && V.panel->hints)
        return V.panel->hints();
    return "j/k slice  1-4 window  S seg  H hist  M mesh  ? keys  q back";
}

/* ---- actions ------------------------------------------------------- */

static int slice_by(int d)
{
    V.view.slice += d;
    clamp_slice();
    return R_IMAGE;
}
static int act_next(void) { return slice_by(1); }
static int act_prev(void) { return slice_by(-1); }
static int act_next10(void) { return slice_by(10); }
static int act_prev10(void) { return slice_by(-10); }
static int act_first(void) { V.view.slice = 0; return R_IMAGE; }
static int act_last(void) { V.view.slice = 1 << 30; clamp_slice(); return R_IMAGE; }

/* Switching planes keeps the voxel under the cursor. */
static int set_plane(pm_plane plane)
{
    const pm_grid *g = &V.vol->g;
    int ijk[3];
    view_plane_ijk(g, V.view.plane, V.view.slice, (int)V.cu, (int)V.cv, ijk);
    V.view.plane = plane;
    reset_view();
    int s, u, v;
    view_ijk_plane(g, plane, ijk, &s, &u, &v);
    V.view.slice = s, V.cu = u, V.cv = v;
    clamp_slice();
    return R_IMAGE;
}
static int act_axial(void) { return set_plane(PM_PLANE_AXIAL); }
static int act_coronal(void) { return set_plane(PM_PLANE_CORONAL); }
static int act_sagittal(void) { return set_plane(PM_PLANE_SAGITTAL); }
static int act_cycle(void) { return set_plane((pm_plane)((V.view.plane + 1) % 3)); }

static int preset(int n)
{
    V.preset = n;
    pm_window_preset(n, &V.view.win);
    return R_IMAGE;
}
static int act_p1(void) { return preset(0); }
static int act_p2(void) { return preset(1); }
static int act_p3(void) { return preset(2); }
static int act_p4(void) { return preset(3); }
static double wstep(void) { return fmax(5, round(V.view.win.width * 0.05 / 5) * 5); }
static int act_wider(void) { V.view.win.width += wstep(); V.preset = -1; return R_IMAGE; }
static int act_narrower(void) { V.view.win.width = fmax(1, V.view.win.width - wstep()); V.preset = -1; return R_IMAGE; }
static int act_level_up(void) { V.view.win.level += fmax(5, round(V.view.win.width / 40)); V.preset = -1; return R_IMAGE; }
static int act_level_down(void) { V.view.win.level -= fmax(5, round(V.view.win.width / 40)); V.preset = -1; return R_IMAGE; }

static int act_zoom_in(void) { if (V.zoom < 16) V.zoom *= 1.25; return R_IMAGE; }
static int act_zoom_out(void) { if (V.zoom > 0.25) V.zoom /= 1.25; return R_IMAGE; }
static int act_reset(void)
{
    double cu = V.cu, cv = V.cv;
    reset_view();
    V.cu = cu, V.cv = cv;
    return R_IMAGE;
}

/* Cursor steps are one picture cell, in voxels. */
static int cursor_by(int du, int dv)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    int fbw, fbh;
    double aspect;
    crt_fb_size(1, 1, &fbw, &fbh, &aspect);
    double stepu = fmax(1, box_mm_per_px * fbw / su), stepv = fmax(1, box_mm_per_px * aspect * fbh / sv);
    V.cu += du * stepu;
    V.cv += dv * stepv;
    V.cu = floor(V.cu), V.cv = floor(V.cv);
    clamp_slice();
    return R_IMAGE;
}
static int act_left(void) { return cursor_by(-1, 0); }
static int act_right(void) { return cursor_by(1, 0); }
static int act_up(void) { return cursor_by(0, -1); }
static int act_down(void) { return cursor_by(0, 1); }

static int pan_by(double fu, double fv)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    V.view.cu += fu * nu * su / V.zoom;
    V.view.cv += fv * nv * sv / V.zoom;
    return R_IMAGE;
}
static int act_pan_left(void) { return pan_by(-0.1, 0); }
static int act_pan_right(void) { return pan_by(0.1, 0); }
static int act_pan_up(void) { return pan_by(0, -0.1); }
static int act_pan_down(void) { return pan_by(0, 0.1); }
static int act_centre(void)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(&V.vol->g, V.view.plane, &nu, &nv, &ns, &su, &sv);
    V.view.cu = (V.cu + 0.5) * su;
    V.view.cv = (V.cv + 0.5) * sv;
    return R_IMAGE;
}

static int act_montage(void) { V.montage = !V.montage; return R_IMAGE; }
static int act_overlay(void) { V.view.overlay = !V.view.overlay; return R_IMAGE; }

static int act_warnings(void)
{
    if (!V.vol->nwarnings) {
        app_message(0, "this series has no warnings");
        return R_REDRAW;
    }
    /* The help box doubles as a list of text lines. */
    static tui_binding lines[33];
    static char text[32][600];
    int n = 0;
    for (; n < V.vol->nwarnings && n < 32; n++) {
        snprintf(text[n], sizeof text[n], "%s", V.vol->warnings[n].message);
        lines[n] = (tui_binding){-1, act_warnings, V.vol->warnings[n].kind, text[n]};
    }
    lines[n] = (tui_binding){0, NULL, NULL, NULL};
    const tui_binding *t[] = {lines};
    const char *titles[] = {"Warnings of this series"};
    app_help(t, titles, 1);
    return R_REDRAW;
}

static int act_back(void)
{
    if (V.montage) {
        V.montage = 0;
        return R_IMAGE;
    }
    if (V.panel) {
        V.panel = NULL;
        return R_REDRAW;
    }
    viewer_done();
    return R_REDRAW;
}

static int toggle_panel(const tui_screen *p)
{
    V.panel = V.panel == p ? NULL : p;
    return R_IMAGE;
}
static int act_hist(void) { return toggle_panel(&hist_panel); }
static int act_seg(void)
{
    toggle_panel(&seg_panel);
    if (V.panel)
        seg_start();
    return R_IMAGE;
}
static int act_inside(void)
{
    toggle_panel(&inside_panel);
    if (V.panel)
        seg_start();
    return R_IMAGE;
}
static int act_structures(void) { return inside_toggle_structures(); }
static int act_mesh(void) { mesh_open(); return R_IMAGE; }
static int act_export(void) { export_dialog(0); return R_REDRAW; }
/* '?' is the loop's: it shows viewer_help. */
static int act_help(void) { return R_NONE; }

const tui_binding viewer_keys[] = {
    {'j', act_next, "j, >", "next slice"},
    {'>', act_next, NULL, NULL},
    {'k', act_prev, "k, <", "previous slice"},
    {'<', act_prev, NULL, NULL},
    {KEY_NPAGE, act_next10, "PgDn", "10 slices on"},
    {KEY_PPAGE, act_prev10, "PgUp", "10 slices back"},
    {'g', act_first, "g, Home", "first slice"},
    {KEY_HOME, act_first, NULL, NULL},
    {'G', act_last, "G, End", "last slice"},
    {KEY_END, act_last, NULL, NULL},
    {'a', act_axial, "a", "axial plane"},
    {'c', act_coronal, "c", "coronal plane"},
    {'s', act_sagittal, "s", "sagittal plane"},
    {'\t', act_cycle, "Tab", "next plane"},
    {'1', act_p1, "1", "lung window (W 1500 L -600)"},
    {'2', act_p2, "2", "mediastinum window (W 400 L 40)"},
    {'3', act_p3, "3", "bone window (W 1800 L 400)"},
    {'4', act_p4, "4", "brain window (W 80 L 40)"},
    {'w', act_narrower, "w / W", "narrower / wider window"},
    {'W', act_wider, NULL, NULL},
    {'l', act_level_down, "l / L", "lower / higher level"},
    {'L', act_level_up, NULL, NULL},
    {'+', act_zoom_in, "+ / -", "zoom in / out"},
    {'=', act_zoom_in, NULL, NULL},
    {'-', act_zoom_out, NULL, NULL},
    {'0', act_reset, "0", "fit the picture"},
    {KEY_LEFT, act_left, "arrows", "move the cursor (HU and LPS mm below)"},
    {KEY_RIGHT, act_right, NULL, NULL},
    {KEY_UP, act_up, NULL, NULL},
    {KEY_DOWN, act_down, NULL, NULL},
    {KEY_SLEFT, act_pan_left, "Shift-arrows", "pan"},
    {KEY_SRIGHT, act_pan_right, NULL, NULL},
    {KEY_SR, act_pan_up, NULL, NULL},
    {KEY_SF, act_pan_down, NULL, NULL},
    {'z', act_centre, "z", "centre the view on the cursor"},
    {'m', act_montage, "m", "5x5 montage of slices (again: back)"},
    {'o', act_overlay, "o", "mask overlay on/off"},
    {'R', ref_open, "R", "open a reference mask (RTSTRUCT, SEG, NIfTI) as outlines"},
    {'r', ref_cycle, "r", "reference ROIs: all, each alone, none"},
    {'i', act_warnings, "i", "the series' warnings"},
    {'S', act_seg, "S", "segmentation panel (runs the recipe)"},
    {'H', act_hist, "H", "HU histogram panel"},
    {'C', act_inside, "C", "inside the lungs: clusters of the slice, crop here"},
    {'v', act_structures, "v", "structures inside the lungs (label 5) on/off"},
    {'M', act_mesh, "M", "mesh view of the mask"},
    {'e', act_export, "e", "export STL, PNG, NIfTI mask, JSON report or DICOM SEG"},
    {'?', act_help, "?", "this help"},
    {'q', act_back, "q, Esc", "back (closes a panel, then the series)"},
    {27, act_back, NULL, NULL},
    {0, NULL, NULL, NULL},
};

static int viewer_help(const tui_binding **t, const char **titles, int max)
{
    int n = 0;
    if (n < max)
        t[n] = viewer_keys, titles[n++] = "Slice viewer";
    if (n < max)
        t[n] = seg_keys, titles[n++] = "Segmentation panel (S)";
    if (n < max && hist_panel.help)
        n += hist_panel.help(t + n, titles + n, max - n);
    if (n < max)
        n += inside_panel.help(t + n, titles + n, max - n);
    if (n < max && mesh_screen.help)
        n += mesh_screen.help(t + n, titles + n, max - n);
    return n;
}

static int viewer_key(int k)
{
    if (!V.vol)
        return R_NONE;
    int r = V.panel ? V.panel->key(k) : R_NONE;
    return r ? r : app_dispatch(viewer_keys, k);
}

static int viewer_layout(void)
{
    return V.montage * 1000 + (V.panel ? viewer_panel_width() : 0);
}

/* The panels' background work goes on while they are closed. */
static void viewer_tick(void)
{
    if (!V.vol)
        return;
    seg_tick();
    inside_tick();
    mesh_tick();
}

static tui_job *viewer_busy(void)
{
    tui_job *j = seg_busy();
    if (!j)
        j = inside_busy();
    return j ? j : mesh_busy();
}

const tui_screen viewer_screen = {
    .name = "viewer",
    .draw = viewer_draw,
    .key = viewer_key,
    .tick = viewer_tick,
    .busy = viewer_busy,
    .hints = viewer_hints,
    .help = viewer_help,
    .layout = viewer_layout,
};
