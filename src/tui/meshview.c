/* meshview.c - the mesh view: the surface of the current mask (or of a HU
 * level when there is no mask, or on request), drawn by the core's
 * rasterizer, orbiting on the arrows, turning by itself on a key.
 *
 * Marching cubes, smoothing and decimation run on a worker thread; the raw
 * surface is kept, and the last two smoothed ones: changing the triangle
 * budget only decimates again, more smoothing goes on from the smoothed
 * surface, and going back to the smoothing before only decimates (a
 * smoothing pass depends only on the positions it reads, so n passes and
 * then m more are the n + m passes, bit for bit). Frames are rasterized
 * on the main thread (the rasterizer uses every core and takes
 * milliseconds on a decimated mesh); auto-rotation advances at most every
 * 80 ms.
 */
#include "meshview.h"
#include "export.h"
#include "segpanel.h"
#include "viewer.h"
#include "pulmo/mesh.h"
#include "pulmo/raster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    int use_hu;                  /* surface of a HU level instead of the mask */
    double level;
    int raw_for;                 /* seg_generation() of the mask meshed, -1 for HU */
    double raw_level;
    pm_mesh *raw;                /* marching cubes output */
    pm_mesh *smoothed;           /* raw after `smoothed_iters` iterations, kept
                                    when decimated: x / X only decimate again */
    int smoothed_iters;
    pm_mesh *prev;               /* the smoothed surface before (t after T) */
    int prev_iters;
    pm_mesh *mesh;               /* smoothed and decimated: drawn and exported */
    pm_mesh_stats stats;
    int smooth;                  /* Taubin iterations */
    size_t target;               /* faces after decimation (0 = keep all) */
    tui_job job;
    /* the worker's inputs and outputs */
    const pm_mask *w_mask;
    int w_use_hu, w_need_raw, w_smooth, w_gen;
    double w_level;
    size_t w_target;
    pm_mesh *w_raw, *w_smoothed, *w_mesh;
    pm_mesh_stats w_stats;
    int again;                   /* settings changed while the job ran */
    int tried;                   /* seg_generation() of the last mask job started */
    pm_raster_opts ro;
    int rotate;
    double last_turn;
    double raster_ms;
    unsigned mesh_gen;           /* bumped whenever mesh changes */
    unsigned fb_gen;             /* mesh_gen of the picture in fb (0: none) */
    pm_raster_opts fb_ro;        /* and its camera */
    pm_fb *fb;
    pm_fb *cells;                /* fb averaged down to text cells (NULL: pixels) */
    /* "crop here": only a cube of the volume, at full resolution */
    int crop, crop_id, crop_label, w_crop;
    double crop_c[3], crop_r;
    pm_mask *crop_mask;          /* the cube of the mask, NULL: HU level */
    pm_volume *crop_vol;
} M;

static int mesh_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    int rc = PM_OK;
    if (M.w_need_raw && M.w_crop) {
        rc = M.w_use_hu ? pm_mesh_from_volume(M.crop_vol, M.w_level, &M.w_raw, &p)
                        : pm_mesh_from_mask(M.crop_mask, M.crop_label, &M.w_raw, &p);
        if (rc != PM_OK)
            return rc;
    } else if (M.w_need_raw) {
        rc = M.w_use_hu ? pm_mesh_from_volume(V.vol, M.w_level, &M.w_raw, &p)
                        : pm_mesh_from_mask(M.w_mask, 0, &M.w_raw, &p);
        if (rc != PM_OK)
            return rc;
    }
    /* from the most smoothed surface kept that is not past w_smooth */
    const pm_mesh *src = M.w_raw ? M.w_raw : M.raw;
    int done = 0;
    for (int i = 0; i < 2 && !M.w_raw; i++) {
        const pm_mesh *s = i ? M.prev : M.smoothed;
        int it = i ? M.prev_iters : M.smoothed_iters;
        if (s && it > done && it <= M.w_smooth)
            src = s, done = it;
    }
    if (!(M.w_mesh = pm_mesh_clone(src)))
        return pm_fail(PM_EMEMORY, "out of memory copying the surface");
    if ((rc = pm_mesh_refine(M.w_mesh, M.w_smooth - done, 0, M.w_target, &M.w_smoothed, NULL, &p)) != PM_OK)
        return rc;
    return pm_mesh_measure(M.w_mesh, &M.w_stats);
}

static void start(void)
{
    if (M.job.running) {
        job_cancel(&M.job);
        M.again = 1;
        return;
    }
    M.w_crop = M.crop;
    M.w_use_hu = M.crop ? (M.use_hu || !M.crop_mask) : (M.use_hu || !seg_result());
    M.w_mask = seg_result();
    M.w_gen = M.crop ? -10 - M.crop_id : seg_generation();
    M.tried = M.w_use_hu || M.crop ? M.tried : M.w_gen;
    M.w_level = M.level;
    int want = M.crop ? M.w_gen : M.w_use_hu ? -1 : M.w_gen;
    M.w_need_raw = !M.raw || M.raw_for != want || (M.w_use_hu && M.raw_level != M.level);
    M.w_smooth = M.smooth;
    M.w_target = M.crop ? 0 : M.target; /* a cube is small: keep every triangle */
    M.w_raw = M.w_smoothed = M.w_mesh = NULL;
    if (job_start(&M.job, M.w_need_raw ? "meshing" : "smoothing/decimating", mesh_work, NULL) != 0)
        app_message(1, "%s", M.job.error);
}

void mesh_open(void)
{
    if (!M.ro.fov) {
        M.ro = pm_raster_defaults();
        M.ro.elevation = 10;
        M.smooth = 10;
        M.target = 100000;
        M.level = -300;
        M.rotate = 0; /* a frame is a whole picture: over SSH, on request only */
        M.tried = M.raw_for = -3;
    }
    if (seg_pending())
        app_message(0, "the segmentation is still running: the surface follows when it ends");
    int want = M.crop ? -10 - M.crop_id : (M.use_hu || !seg_result()) ? -1 : seg_generation();
    if (!M.mesh || M.raw_for != want)
        start();
    app_push(&mesh_screen);
}

static int shown(void)
{
    return app_top() == &mesh_screen;
}

void mesh_done(void)
{
    job_free(&M.job);
    pm_mesh_free(M.w_raw);
    pm_mesh_free(M.w_smoothed);
    pm_mesh_free(M.w_mesh);
    pm_mesh_free(M.raw);
    pm_mesh_free(M.smoothed);
    pm_mesh_free(M.prev);
    pm_mesh_free(M.mesh);
    pm_fb_free(M.fb);
    pm_fb_free(M.cells);
    pm_mask_free(M.crop_mask);
    pm_volume_free(M.crop_vol);
    memset(&M, 0, sizeof M);
}

static void stop_job(void)
{
    job_stop(&M.job);
    job_finished(&M.job);
    pm_mesh_free(M.w_raw);
    pm_mesh_free(M.w_smoothed);
    pm_mesh_free(M.w_mesh);
    M.w_raw = M.w_smoothed = M.w_mesh = NULL;
    M.again = 0;
}

void mesh_open_crop(const double c[3], double r_mm, const pm_mask *str, int label)
{
    pm_volume *cv;
    pm_mask *cm;
    if (pm_crop_around(V.vol, str ? str : seg_result(), c, r_mm, &cv, &cm) != PM_OK) {
        app_message(1, "%s", pm_error());
        return;
    }
    stop_job();
    pm_mask_free(M.crop_mask);
    pm_volume_free(M.crop_vol);
    M.crop_mask = cm;
    M.crop_label = str ? label : 0;
    M.crop_vol = cv;
    M.crop = 1;
    M.crop_id++;
    memcpy(M.crop_c, c, sizeof M.crop_c);
    M.crop_r = r_mm;
    if (!M.ro.fov) {
        mesh_open(); /* sets the defaults and starts */
    } else {
        if (!shown())
            app_push(&mesh_screen);
        start();
    }
    app_message(0, "crop: %s in the cube of %.0f mm around (%.0f, %.0f, %.0f) mm; u: whole volume",
                str ? "structures" : M.crop_mask ? "the mask" : "HU level", r_mm, c[0], c[1], c[2]);
}

void mesh_release(const pm_mask *m)
{
    if (M.job.running && M.w_mask == m && !M.w_use_hu) {
        stop_job();
        M.tried = -2;
    }
}

tui_job *mesh_busy(void)
{
    return M.job.running ? &M.job : NULL;
}

const pm_raster_opts *mesh_raster_opts(void)
{
    return &M.ro;
}

const pm_mesh *mesh_current(void)
{
    return M.mesh;
}

static int info_width(void)
{
    return COLS >= 100 ? 30 : 26;
}

void mesh_tick(void)
{
    if (job_finished(&M.job)) {
        if (M.job.status == PM_OK) {
            if (M.w_raw) {
                pm_mesh_free(M.raw);
                M.raw = M.w_raw;
                M.raw_for = M.w_crop || !M.w_use_hu ? M.w_gen : -1;
                M.raw_level = M.w_level;
            }
            if (M.w_raw) { /* the smoothed surfaces were of the old one */
                pm_mesh_free(M.smoothed);
                pm_mesh_free(M.prev);
                M.smoothed = M.prev = NULL;
            }
            if (M.w_smoothed) {
                pm_mesh_free(M.prev);
                M.prev = M.smoothed;
                M.prev_iters = M.smoothed_iters;
                M.smoothed = M.w_smoothed;
                M.smoothed_iters = M.w_smooth;
            }
            pm_mesh_free(M.mesh);
            M.mesh = M.w_mesh;
            M.mesh_gen++;
            M.stats = M.w_stats;
            app_message(0, "surface: %zu triangles, %.0f mL, in %.1f s", M.mesh->nf, M.stats.volume_mm3 / 1000,
                        M.job.finished - M.job.started);
        } else {
            pm_mesh_free(M.w_raw);
            pm_mesh_free(M.w_smoothed);
            pm_mesh_free(M.w_mesh);
            if (!M.again)
                app_message(M.job.status != PM_ECANCEL, "surface %s: %s",
                            M.job.status == PM_ECANCEL ? "cancelled" : "failed", M.job.error);
        }
        M.w_raw = M.w_smoothed = M.w_mesh = NULL;
        if (M.again) {
            M.again = 0;
            start();
        }
        app.dirty = 1;
    }
    /* A new mask from the segmentation: follow it while the view is open. */
    if (shown() && !M.job.running && !M.use_hu && !M.crop && seg_result() && M.raw_for != seg_generation() &&
        M.tried != seg_generation()) {
        start();
        app.dirty = 1;
    }
    if (shown() && M.rotate && M.mesh && pm_now() - M.last_turn > crt_frame_interval(0.08)) {
        M.ro.azimuth = fmod(M.ro.azimuth + 4, 360);
        M.last_turn = pm_now();
        app.dirty = 1;
    }
}

static int same_camera(const pm_raster_opts *a, const pm_raster_opts *b)
{
    return a->azimuth == b->azimuth && a->elevation == b->elevation && a->zoom == b->zoom && a->fov == b->fov
        && a->ambient == b->ambient && !memcmp(a->colour, b->colour, 3) && !memcmp(a->background, b->background, 3)
        && a->cull == b->cull && a->normals == b->normals && a->nthreads == b->nthreads;
}

static void mesh_draw(int by, int x, int brows, int cols)
{
    /* The viewer's title rows, the picture, then the info column on the
     * right; the box's last row stays the info row's. */
    int y = by + viewer_chrome(), rows = by + brows - 1 - y, pw = info_width(), iw = cols - pw;
    /* Text: rasterized at box.scale times the cells and averaged down, as
     * `pulmo render --mesh` does. */
    pm_cell_box box = crt_cell_box(iw, rows);
    int dw = box.w * box.scale, dh = box.h * box.scale;
    if (!M.fb || M.fb->w != dw || M.fb->h != dh) {
        pm_fb_free(M.fb);
        M.fb = pm_fb_new(dw, dh, 1);
        M.fb_gen = 0;
    }
    /* The loop redraws every 100 ms while a surface is being built: the
     * same picture is not rasterized again (on every core, it slowed the
     * build it was waiting for). */
    if (M.fb && M.mesh &&
        (M.fb_gen != M.mesh_gen || !same_camera(&M.fb_ro, &M.ro) || (box.scale > 1) != (M.cells != NULL))) {
        double t0 = pm_now();
        pm_raster_mesh(M.fb, M.mesh, &M.ro, NULL);
        pm_fb_free(M.cells);
        M.cells = box.scale > 1 ? pm_cell_box_reduce(&box, M.fb, 1) : NULL;
        M.raster_ms = (pm_now() - t0) * 1000;
        M.fb_gen = M.mesh_gen;
        M.fb_ro = M.ro;
    }
    const pm_fb *shown = box.scale > 1 ? M.cells : M.fb;
    if (shown && M.mesh)
        crt_draw_fb(shown, y, x, iw, rows);
    else
        crt_text(y + rows / 2, x + 2, iw - 4, M.job.running ? "building the surface..." : "no surface");
    int px = x + iw;
    crt_role(ROLE_DIM);
    for (int r = 0; r <= rows; r++)
        mvaddch(y + r, px, ACS_VLINE);
    crt_role(ROLE_HEADER);
    move(y, px + 1);
    hline(' ', pw - 1);
    crt_textf(y, px + 2, pw - 3, "Mesh: %s", (M.use_hu || !seg_result()) ? "HU level" : "mask");
    crt_role(ROLE_NORMAL);
    int r = y + 1, w = pw - 3;
    px += 2;
    if (M.use_hu || !seg_result())
        crt_textf(r++, px, w, "level %.0f HU", M.level);
    if (M.mesh) {
        crt_textf(r++, px, w, "%zu triangles", M.mesh->nf);
        crt_textf(r++, px, w, "%zu vertices", M.mesh->nv);
        crt_textf(r++, px, w, "volume %.1f mL", M.stats.volume_mm3 / 1000);
        crt_textf(r++, px, w, "area %.0f cm2", M.stats.area_mm2 / 100);
        crt_textf(r++, px, w, "%s", M.stats.watertight ? "watertight" : "open edges");
    }
    r++;
    crt_textf(r++, px, w, "smoothing %d it.", M.smooth);
    if (M.target)
        crt_textf(r++, px, w, "budget %zu tri.", M.target);
    else
        crt_text(r++, px, w, "budget: all");
    crt_textf(r++, px, w, "az %.0f el %.0f x%.2f", M.ro.azimuth, M.ro.elevation, M.ro.zoom);
    crt_textf(r++, px, w, "frame %.0f ms%s", M.raster_ms, M.rotate ? "  turning" : "");
}

/* ---- actions -------------------------------------------------------- */

static int orbit(double da, double de)
{
    M.ro.azimuth = fmod(M.ro.azimuth + da + 360, 360);
    M.ro.elevation = fmax(-89, fmin(89, M.ro.elevation + de));
    return R_IMAGE;
}
static int act_left(void) { return orbit(-10, 0); }
static int act_right(void) { return orbit(10, 0); }
static int act_up(void) { return orbit(0, 10); }
static int act_down(void) { return orbit(0, -10); }
static int act_zoom_in(void) { M.ro.zoom = fmin(20, M.ro.zoom * 1.25); return R_IMAGE; }
static int act_zoom_out(void) { M.ro.zoom = fmax(0.2, M.ro.zoom / 1.25); return R_IMAGE; }
static int act_rotate(void) { M.rotate = !M.rotate; return R_IMAGE; }
static int act_smooth_more(void) { M.smooth = M.smooth < 200 ? M.smooth + 5 : 200; start(); return R_REDRAW; }
static int act_smooth_less(void) { M.smooth = M.smooth > 5 ? M.smooth - 5 : 0; start(); return R_REDRAW; }
static int act_finer(void)
{
    M.target = !M.target ? 0 : M.target >= 3200000 ? 0 : M.target * 2;
    start();
    return R_REDRAW;
}
static int act_coarser(void)
{
    M.target = !M.target ? 3200000 : M.target > 1000 ? M.target / 2 : M.target;
    start();
    return R_REDRAW;
}
static int act_source(void)
{
    if (!seg_result()) {
        app_message(0, "no mask: showing the HU level surface (S segments)");
        return R_REDRAW;
    }
    M.use_hu = !M.use_hu;
    start();
    return R_REDRAW;
}
static int act_level(double d)
{
    if (!(M.use_hu || !seg_result()))
        return R_NONE;
    M.level += d;
    start();
    return R_REDRAW;
}
static int act_level_up(void) { return act_level(50); }
static int act_level_down(void) { return act_level(-50); }
static int act_uncrop(void)
{
    if (!M.crop)
        return R_NONE;
    stop_job();
    M.crop = 0;
    start();
    return R_REDRAW;
}
static int act_back(void)
{
    app_pop();
    return R_REDRAW;
}
static int act_cancel(void)
{
    if (!M.job.running)
        return act_back();
    M.again = 0;
    job_cancel(&M.job);
    return R_REDRAW;
}
static int act_export(void)
{
    export_dialog(1);
    return R_REDRAW;
}
/* '?' is the loop's: it shows mesh_help. */
static int act_help(void) { return R_NONE; }

const tui_binding mesh_keys[] = {
    {KEY_LEFT, act_left, "arrows", "orbit the camera"},
    {KEY_RIGHT, act_right, NULL, NULL},
    {KEY_UP, act_up, NULL, NULL},
    {KEY_DOWN, act_down, NULL, NULL},
    {'+', act_zoom_in, "+ / -", "zoom in / out"},
    {'=', act_zoom_in, NULL, NULL},
    {'-', act_zoom_out, NULL, NULL},
    {'r', act_rotate, "r", "turn by itself on/off"},
    {'t', act_smooth_less, "t / T", "less / more smoothing (Taubin iterations)"},
    {'T', act_smooth_more, NULL, NULL},
    {'x', act_coarser, "x / X", "fewer / more triangles (decimation budget)"},
    {'X', act_finer, NULL, NULL},
    {'h', act_source, "h", "surface of the mask / of a HU level"},
    {'u', act_uncrop, "u", "leave the crop: the whole volume again"},
    {']', act_level_up, "] / [", "HU level up / down by 50"},
    {'[', act_level_down, NULL, NULL},
    {'e', act_export, "e", "export STL, PNG, NIfTI mask, JSON report or DICOM SEG"},
    {27, act_cancel, "Esc", "cancel the surface being built (else: back)"},
    {'q', act_back, "q, M", "back to the slice viewer"},
    {'M', act_back, NULL, NULL},
    {'?', act_help, "?", "this help"},
    {0, NULL, NULL, NULL},
};

static const char *mesh_hints(void)
{
    return "arrows orbit  +/- zoom  r rotate  e export  ? keys  q back";
}

static int mesh_key(int k)
{
    return app_dispatch(mesh_keys, k);
}

static int mesh_help(const tui_binding **t, const char **titles, int max)
{
    if (max < 1)
        return 0;
    t[0] = mesh_keys, titles[0] = "Mesh view (M)";
    return 1;
}

const tui_screen mesh_screen = {
    .name = "mesh",
    .draw = mesh_draw,
    .key = mesh_key,
    .busy = mesh_busy,
    .hints = mesh_hints,
    .help = mesh_help,
};
