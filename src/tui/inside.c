/* inside.c - inside the lungs in the viewer: the structures of the
 * segmentation (label 5, pm_seg_structures) as their own overlay, a panel
 * that clusters the HU of the visible axial slice with Gustafson-Kessel
 * (K and m on keys, re-clustered on a worker thread whenever the slice, K,
 * m or the mask change; the smallest cluster highlighted as in the
 * tutorial), and "crop here": the mesh view of a cube around the cursor.
 *
 * The workers read copies of the masks made on the main thread, so a new
 * segmentation run can replace its result while they work.
 */
#include "inside.h"
#include "meshview.h"
#include "segpanel.h"
#include "viewer.h"
#include "pulmo/cluster.h"
#include "pulmo/seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    int structures;          /* overlay wanted */
    pm_mask *str;            /* the segmentation with label 5 */
    pm_mask *str_only;       /* label 5 alone, for the overlay */
    int str_gen;             /* seg_generation() of str, -1 none */
    tui_job sjob;
    pm_mask *w_str;          /* the structures worker's copy */

    pm_gk_opts gk;           /* edited by the keys while a worker runs */
    pm_gk_opts w_gk;         /* the clustering worker's copy */
    tui_job cjob;
    pm_hu_clusters h, w_h;
    int have_h;
    pm_mask *overlay, *w_overlay;   /* clusters of the slice */
    const pm_mask *w_mask;
    int w_k, k_done, gen_done, c_done;
    double m_done;
    uint8_t colours[3 * PM_GK_MAX];
    double crop_mm;
} I = {.str_gen = -1, .k_done = -1};

static int cursor_k(void)
{
    int ijk[3];
    view_plane_ijk(&V.vol->g, V.view.plane, V.view.slice, (int)V.cu, (int)V.cv, ijk);
    return ijk[2];
}

static void ensure_opts(void);

/* ---- structures ------------------------------------------------------ */

static int str_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    return pm_seg_structures(V.vol, I.w_str, PM_STRUCTURES_HU, PM_STRUCTURES_MARGIN_MM, NULL, &p);
}

static void str_start(void)
{
    if (I.sjob.running || !seg_result() || seg_pending())
        return;
    I.w_str = pm_mask_clone(seg_result());
    if (!I.w_str) {
        app_message(1, "out of memory for the structures");
        return;
    }
    I.str_gen = seg_generation();
    if (job_start(&I.sjob, "structures", str_work, NULL) != 0)
        app_message(1, "%s", I.sjob.error);
}

static void str_finish(void)
{
    if (I.sjob.status != PM_OK) {
        app_message(1, "structures: %s", I.sjob.error);
        pm_mask_free(I.w_str);
        I.w_str = NULL;
        return;
    }
    pm_mask_free(I.str);
    pm_mask_free(I.str_only);
    I.str = I.w_str;
    I.w_str = NULL;
    I.str_only = pm_mask_clone(I.str);
    if (I.str_only) {
        size_t n = pm_grid_voxels(&I.str_only->g), cnt = 0;
        for (size_t x = 0; x < n; x++) {
            I.str_only->v[x] = I.str_only->v[x] == PM_LABEL_STRUCTURES ? PM_LABEL_STRUCTURES : 0;
            cnt += I.str_only->v[x] != 0;
        }
        app_message(0, "structures inside the lungs: %.1f mL (label 5)",
                    (double)cnt * pm_grid_voxel_mm3(&I.str->g) / 1000.0);
    }
}

int inside_toggle_structures(void)
{
    I.structures = !I.structures;
    if (I.structures && !seg_result() && !seg_pending()) {
        seg_start();
        app_message(0, "segmenting first: the structures follow");
    }
    return R_IMAGE;
}

/* ---- clusters -------------------------------------------------------- */

static int cl_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    int rc = pm_cluster_hu(V.vol, I.w_mask, I.w_k, I.w_k + 1, &I.w_gk, &I.w_h, &p);
    if (rc == PM_OK)
        pm_cluster_labels(&I.w_h, V.vol, I.w_mask, I.w_overlay);
    return rc;
}

static const pm_mask *cluster_mask(void)
{
    return I.str && I.str_gen == seg_generation() ? I.str : seg_result();
}

static void cl_start(void)
{
    const pm_mask *m = cluster_mask();
    if (I.cjob.running || !m)
        return;
    if (!I.w_overlay && !(I.w_overlay = pm_mask_new(&V.vol->g))) {
        app_message(1, "out of memory for the clusters");
        return;
    }
    pm_mask *copy = pm_mask_clone(m);
    if (!copy)
        return;
    I.w_mask = copy;
    I.w_k = cursor_k();
    I.k_done = I.w_k;
    I.gen_done = seg_generation() * 2 + (m == I.str);
    /* [ ] { } change I.gk at any time: the worker reads a copy. */
    I.w_gk = I.gk;
    I.c_done = I.gk.c;
    I.m_done = I.gk.m;
    if (job_start(&I.cjob, "clustering the slice", cl_work, NULL) != 0)
        app_message(1, "%s", I.cjob.error);
}

static void cl_finish(void)
{
    pm_mask_free((pm_mask *)I.w_mask);
    I.w_mask = NULL;
    if (I.cjob.status != PM_OK) {
        /* A slice without lung is not worth a message box. */
        if (I.cjob.status != PM_ENOLUNG)
            app_message(1, "clustering: %s", I.cjob.error);
        if (I.have_h)
            pm_hu_clusters_done(&I.h);
        I.have_h = 0;
        return;
    }
    if (I.have_h)
        pm_hu_clusters_done(&I.h);
    I.h = I.w_h;
    I.w_h.lut = NULL;
    I.have_h = 1;
    pm_mask *t = I.overlay;
    I.overlay = I.w_overlay;
    I.w_overlay = t;
    /* Every cluster dim blue-grey, the smallest one bright yellow. */
    for (int i = 0; i < I.h.gk.c; i++) {
        int s = i == I.h.smallest;
        uint8_t *c = I.colours + 3 * i;
        c[0] = s ? 255 : (uint8_t)(60 + 25 * i);
        c[1] = s ? 230 : (uint8_t)(70 + 25 * i);
        c[2] = s ? 0 : (uint8_t)(110 + 20 * i);
    }
}

void inside_tick(void)
{
    if (!V.vol)
        return;
    ensure_opts();
    if (job_finished(&I.sjob)) {
        str_finish();
        app.dirty = 1;
    }
    if (job_finished(&I.cjob)) {
        cl_finish();
        app.dirty = 1;
    }
    int want_str = I.structures || V.panel == &inside_panel;
    if (want_str && seg_result() && I.str_gen != seg_generation())
        str_start();
    if (V.panel == &inside_panel && cluster_mask()) {
        const pm_mask *m = cluster_mask();
        int gen = seg_generation() * 2 + (m == I.str);
        if (cursor_k() != I.k_done || gen != I.gen_done || I.gk.c != I.c_done || I.gk.m != I.m_done)
            cl_start();
    }
}

tui_job *inside_busy(void)
{
    return I.sjob.running ? &I.sjob : I.cjob.running ? &I.cjob : NULL;
}

void inside_draw_overlays(pm_fb *fb, pm_rect r)
{
    if (I.structures && I.str_only && I.str_gen == seg_generation())
        view_render_overlay(fb, r, I.str_only, NULL, 0.7, &V.view);
    if (V.panel == &inside_panel && I.have_h && I.overlay) {
        pm_labels l = {I.colours, I.h.gk.c, 0};
        view_render_overlay(fb, r, I.overlay, &l, 0.55, &V.view);
    }
}

void inside_done(void)
{
    /* job_free joins and destroys each job's lock before the memset below
     * forgets it (job_stop alone left two locks never destroyed). */
    job_free(&I.sjob);
    job_free(&I.cjob);
    /* A clustering that ended but was never collected owns its table. */
    pm_hu_clusters_done(&I.w_h);
    pm_mask_free(I.w_str);
    pm_mask_free((pm_mask *)I.w_mask);
    pm_mask_free(I.str);
    pm_mask_free(I.str_only);
    pm_mask_free(I.overlay);
    pm_mask_free(I.w_overlay);
    if (I.have_h)
        pm_hu_clusters_done(&I.h);
    int structures = I.structures;
    memset(&I, 0, sizeof I);
    I.structures = structures;
    I.str_gen = I.k_done = -1;
}

/* ---- the panel -------------------------------------------------------- */

static void ensure_opts(void)
{
    if (!I.gk.c) {
        pm_gk_defaults(&I.gk);
        I.crop_mm = 20;
    }
}

static void draw_panel(int y, int x, int rows, int cols)
{
    ensure_opts();
    crt_role(ROLE_HEADER);
    move(y, x);
    hline(' ', cols);
    if (V.view.plane == PM_PLANE_AXIAL)
        crt_textf(y, x + 1, cols - 2, "Clusters of slice %d", V.view.slice + 1);
    else
        crt_textf(y, x + 1, cols - 2, "Clusters of the cursor's axial slice");
    crt_role(ROLE_NORMAL);
    int r = y + 2;
    crt_textf(r++, x + 1, cols - 2, "K %d clusters [ ]  m %.2f { }", I.gk.c, I.gk.m);
    crt_textf(r++, x + 1, cols - 2, "crop radius %.0f mm +/-  x here", I.crop_mm);
    crt_textf(r++, x + 1, cols - 2, "structures %s  v", I.structures ? "shown" : "hidden");
    r++;
    if (!cluster_mask()) {
        crt_textf(r, x + 1, cols - 2, "%s", seg_pending() ? "segmenting..." : "no lung mask yet (S)");
        return;
    }
    if (!I.have_h) {
        crt_textf(r, x + 1, cols - 2, "%s", I.cjob.running ? "clustering..." : "no lung on this slice");
        return;
    }
    crt_textf(r++, x + 1, cols - 2, "%d iterations, change %.1g", I.h.gk.iterations, I.h.gk.final_change);
    for (int i = 0; i < I.h.gk.c && r < y + rows; i++) {
        if (i == I.h.smallest)
            crt_role(ROLE_HEADER);
        crt_textf(r++, x + 1, cols - 2, "%c%d %7.1f HU %7llu vox%s", i == I.h.smallest ? '*' : ' ',
                  i + 1, I.h.gk.center[i][0], (unsigned long long)I.h.voxels[i],
                  i == I.h.smallest ? " smallest" : "");
        crt_role(ROLE_NORMAL);
    }
}

static int act_k_less(void) { ensure_opts(); I.gk.c = I.gk.c > 2 ? I.gk.c - 1 : 2; return R_REDRAW; }
static int act_k_more(void) { ensure_opts(); I.gk.c = I.gk.c < 8 ? I.gk.c + 1 : 8; return R_REDRAW; }
static int act_m_less(void) { ensure_opts(); I.gk.m = I.gk.m > 1.3 ? I.gk.m - 0.25 : 1.25; return R_REDRAW; }
static int act_m_more(void) { ensure_opts(); I.gk.m = I.gk.m < 4 ? I.gk.m + 0.25 : 4; return R_REDRAW; }
static int act_r_more(void) { ensure_opts(); I.crop_mm = I.crop_mm < 100 ? I.crop_mm + 5 : 100; return R_REDRAW; }
static int act_r_less(void) { ensure_opts(); I.crop_mm = I.crop_mm > 5 ? I.crop_mm - 5 : 5; return R_REDRAW; }

static int act_crop(void)
{
    ensure_opts();
    int ijk[3];
    double c[3];
    view_plane_ijk(&V.vol->g, V.view.plane, V.view.slice, (int)V.cu, (int)V.cv, ijk);
    pm_grid_to_lps(&V.vol->g, ijk[0], ijk[1], ijk[2], c);
    mesh_open_crop(c, I.crop_mm, I.structures && I.str ? I.str : NULL, PM_LABEL_STRUCTURES);
    return R_IMAGE;
}

const tui_binding inside_keys[] = {
    {'[', act_k_less, "[ / ]", "fewer / more clusters (K)"},
    {']', act_k_more, NULL, NULL},
    {'{', act_m_less, "{ / }", "lower / higher fuzzifier m"},
    {'}', act_m_more, NULL, NULL},
    {'+', act_r_more, "+ / -", "crop radius up / down (mm)"},
    {'=', act_r_more, NULL, NULL},
    {'-', act_r_less, NULL, NULL},
    {'x', act_crop, "x", "crop here: mesh view of the cube around the cursor"},
    {0, NULL, NULL, NULL},
};

static int panel_key(int k)
{
    return app_dispatch(inside_keys, k);
}

static const char *panel_hints(void)
{
    return "[ ] K  { } m  +/- radius  x crop here  v structures  C close";
}

static int panel_help(const tui_binding **t, const char **titles, int max)
{
    if (max < 1)
        return 0;
    t[0] = inside_keys;
    titles[0] = "Inside the lungs panel (C)";
    return 1;
}

const tui_screen inside_panel = {
    .name = "inside",
    .draw = draw_panel,
    .key = panel_key,
    .hints = panel_hints,
    .help = panel_help,
};
