/* view.c - plane geometry of the slice viewer, and the picture of one slice.
 *
 * tui_render_slice is the seam to the core's renderer: until that lands it
 * samples nearest-neighbour here, with the window/level ramp and the mask
 * tinted green.
 */
#include "view.h"

#include <math.h>
#include <string.h>

/* Superior up: flip the stack axis when k runs towards the head. */
static int flip_k(const pm_grid *g)
{
    return g->dir[8] >= 0;
}

void view_plane_dims(const pm_grid *g, int plane, int *nu, int *nv, int *ns, double *su, double *sv)
{
    switch (plane) {
    case PLANE_CORONAL:
        *nu = g->dim[0], *nv = g->dim[2], *ns = g->dim[1];
        *su = g->spacing[0], *sv = g->spacing[2];
        break;
    case PLANE_SAGITTAL:
        *nu = g->dim[1], *nv = g->dim[2], *ns = g->dim[0];
        *su = g->spacing[1], *sv = g->spacing[2];
        break;
    default:
        *nu = g->dim[0], *nv = g->dim[1], *ns = g->dim[2];
        *su = g->spacing[0], *sv = g->spacing[1];
        break;
    }
}

void view_plane_ijk(const pm_grid *g, int plane, int s, int u, int v, int ijk[3])
{
    int kv = flip_k(g) ? g->dim[2] - 1 - v : v;
    switch (plane) {
    case PLANE_CORONAL:
        ijk[0] = u, ijk[1] = s, ijk[2] = kv;
        break;
    case PLANE_SAGITTAL:
        ijk[0] = s, ijk[1] = u, ijk[2] = kv;
        break;
    default:
        ijk[0] = u, ijk[1] = v, ijk[2] = s;
        break;
    }
}

void view_px_to_uv(const tui_view *w, const pm_grid *g, int fbw, int fbh, double px, double py, double *u, double *v)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, w->plane, &nu, &nv, &ns, &su, &sv);
    double um = w->cu + (px - fbw / 2.0) * w->mm_per_px;
    double vm = w->cv + (py - fbh / 2.0) * w->mm_per_px * w->aspect;
    *u = um / su;
    *v = vm / sv;
}

void view_uv_to_px(const tui_view *w, const pm_grid *g, int fbw, int fbh, double u, double v, double *px, double *py)
{
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, w->plane, &nu, &nv, &ns, &su, &sv);
    *px = ((u + 0.5) * su - w->cu) / w->mm_per_px + fbw / 2.0;
    *py = ((v + 0.5) * sv - w->cv) / (w->mm_per_px * w->aspect) + fbh / 2.0;
}

static const uint8_t tint[4][3] = {{0, 0, 0}, {40, 220, 60}, {40, 160, 255}, {255, 80, 200}};

void tui_render_slice(tui_fb *fb, int x0, int y0, int rw, int rh, const pm_volume *vol, const pm_mask *mask,
                      const tui_view *w)
{
    const pm_grid *g = &vol->g;
    int nu, nv, ns;
    double su, sv;
    view_plane_dims(g, w->plane, &nu, &nv, &ns, &su, &sv);
    double lo = w->wl - w->ww / 2, scale = 255.0 / (w->ww > 1 ? w->ww : 1);
    int s = w->slice < 0 ? 0 : w->slice >= ns ? ns - 1 : w->slice;
    for (int y = 0; y < rh; y++) {
        if (y0 + y < 0 || y0 + y >= fb->h)
            continue;
        uint8_t *row = fb->rgb + 3 * ((size_t)(y0 + y) * fb->w);
        for (int x = 0; x < rw; x++) {
            if (x0 + x < 0 || x0 + x >= fb->w)
                continue;
            uint8_t *p = row + 3 * (x0 + x);
            double u, v;
            view_px_to_uv(w, g, rw, rh, x + 0.5, y + 0.5, &u, &v);
            int iu = (int)floor(u), iv = (int)floor(v);
            if (iu < 0 || iv < 0 || iu >= nu || iv >= nv) {
                p[0] = p[1] = p[2] = 0;
                continue;
            }
            int ijk[3];
            view_plane_ijk(g, w->plane, s, iu, iv, ijk);
            size_t idx = (size_t)ijk[0] + (size_t)g->dim[0] * ((size_t)ijk[1] + (size_t)g->dim[1] * ijk[2]);
            double gv = (vol->hu[idx] - lo) * scale;
            uint8_t gray = (uint8_t)(gv < 0 ? 0 : gv > 255 ? 255 : gv);
            p[0] = p[1] = p[2] = gray;
            if (mask && w->overlay && mask->v[idx]) {
                const uint8_t *t = tint[mask->v[idx] & 3 ? mask->v[idx] & 3 : 1];
                for (int c = 0; c < 3; c++)
                    p[c] = (uint8_t)((p[c] + t[c]) / 2);
            }
        }
    }
}
