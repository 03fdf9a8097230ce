/* view.c - the slice viewer's geometry on top of the core's slice views,
 * and the pictures: pm_draw_slice / pm_draw_mask drawn into a rectangle
 * scaled and offset for zoom and pan (the core clips it to the picture). */
#include "view.h"

#include <math.h>
#include <string.h>

static int clamp_number(const pm_grid *g, pm_plane plane, int number)
{
    pm_slice_view sv;
    pm_slice_view_init(g, plane, -1, &sv);
    return number < 0 ? 0 : number >= sv.nslices ? sv.nslices - 1 : number;
}

void view_slice(const pm_grid *g, const tui_view *w, pm_slice_view *sv)
{
    pm_slice_view_init(g, w->plane, clamp_number(g, w->plane, w->slice), sv);
}

void view_plane_dims(const pm_grid *g, pm_plane plane, int *nu, int *nv, int *ns, double *su, double *sv)
{
    pm_slice_view v;
    pm_slice_view_init(g, plane, -1, &v);
    *nu = v.nu, *nv = v.nv, *ns = v.nslices, *su = v.u_mm, *sv = v.v_mm;
}

void view_plane_ijk(const pm_grid *g, pm_plane plane, int s, int u, int v, int ijk[3])
{
    pm_slice_view sv;
    pm_slice_view_init(g, plane, clamp_number(g, plane, s), &sv);
    pm_slice_view_voxel(&sv, u, v, ijk);
}

void view_ijk_plane(const pm_grid *g, pm_plane plane, const int ijk[3], int *s, int *u, int *v)
{
    if (pm_slice_view_locate(g, plane, ijk, s, u, v) != PM_OK)
        *s = *u = *v = 0;
}

void view_uv_to_px(const tui_view *w, const pm_grid *g, int fbw, int fbh, double u, double v, double *px, double *py)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, w->plane, &nu, &nv, &ns, &su, &sv);
    *px = ((u + 0.5) * su - w->cu) / w->mm_per_px + fbw / 2.0;
    *py = ((v + 0.5) * sv - w->cv) / (w->mm_per_px * w->aspect) + fbh / 2.0;
}

double view_fit_mm_per_px(const pm_grid *g, pm_plane plane, int fbw, int fbh, double aspect)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, plane, &nu, &nv, &ns, &su, &sv);
    return fmax(nu * su / fbw, nv * sv / (fbh * aspect));
}

/* Where the zoomed and panned slice lands in r. */
static pm_rect placed(pm_rect r, const pm_slice_view *sv, const tui_view *w)
{
    double pw = sv->nu * sv->u_mm / w->mm_per_px, ph = sv->nv * sv->v_mm / (w->mm_per_px * w->aspect);
    pm_rect s = {r.x + (int)lround(r.w / 2.0 - w->cu / w->mm_per_px),
                 r.y + (int)lround(r.h / 2.0 - w->cv / (w->mm_per_px * w->aspect)), (int)lround(pw),
                 (int)lround(ph)};
    return s;
}

void view_render_overlay(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_labels *labels,
                         double alpha, const tui_view *w)
{
    pm_slice_view sv;
    view_slice(&m->g, w, &sv);
    pm_draw_mask(fb, placed(r, &sv, w), m, &sv, labels, alpha);
}

void view_render(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_mask *mask, const tui_view *w)
{
    pm_slice_view sv;
    view_slice(&vol->g, w, &sv);
    pm_fb_fill(fb, r, 0, 0, 0);
    pm_rect s = placed(r, &sv, w);
    /* The core clips s to the framebuffer (not to r): r is the whole
     * picture here. Bilinear only when zoomed past the voxels. */
    int bilinear = w->mm_per_px < fmin(sv.u_mm, sv.v_mm) * 0.75;
    pm_draw_slice(fb, s, vol, &sv, w->win, bilinear);
    if (mask && w->overlay)
        pm_draw_mask(fb, s, mask, &sv, NULL, PM_OVERLAY_ALPHA);
}

void view_render_fit(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_mask *mask, const tui_view *w,
                     int slice)
{
    tui_view t = *w;
    t.slice = slice;
    pm_slice_view sv;
    view_slice(&vol->g, &t, &sv);
    pm_fb_fill(fb, r, 0, 0, 0);
    /* Fit in mm, then stretch rows for the pixel aspect. */
    pm_slice_view tall = sv;
    tall.v_mm = sv.v_mm / w->aspect;
    pm_rect s = pm_slice_view_fit(&tall, r);
    pm_draw_slice(fb, s, vol, &sv, w->win, 0);
    if (mask && w->overlay)
        pm_draw_mask(fb, s, mask, &sv, NULL, PM_OVERLAY_ALPHA);
}
