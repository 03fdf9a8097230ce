/* reformat.c - coronal and sagittal slices of sheared (gantry-tilted)
 * grids, resampled on a patient-aligned plane. Each screen point maps to a
 * continuous voxel index through one affine map; points outside the scanned
 * volume are drawn black. */
#include "reformat.h"

#include <math.h>
#include <string.h>

/* Inverse of the 3x3 matrix whose columns are the voxel steps in mm. */
static int pm__invert(const pm_grid *g, double inv[9])
{
    double m[9];
    for (int a = 0; a < 3; a++)
        for (int r = 0; r < 3; r++)
            m[3 * r + a] = g->spacing[a] * g->dir[3 * a + r];
    double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
                 + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if (fabs(det) < 1e-12)
        return -1;
    inv[0] = (m[4] * m[8] - m[5] * m[7]) / det;
    inv[1] = (m[2] * m[7] - m[1] * m[8]) / det;
    inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
    inv[3] = (m[5] * m[6] - m[3] * m[8]) / det;
    inv[4] = (m[0] * m[8] - m[2] * m[6]) / det;
    inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
    inv[6] = (m[3] * m[7] - m[4] * m[6]) / det;
    inv[7] = (m[1] * m[6] - m[0] * m[7]) / det;
    inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
    return 0;
}

static void pm__mul(const double m[9], const double v[3], double out[3])
{
    for (int r = 0; r < 3; r++)
        out[r] = m[3 * r] * v[0] + m[3 * r + 1] * v[1] + m[3 * r + 2] * v[2];
}

int pm__reformat_init(const pm_grid *g, pm_slice_view *sv, int pu, int su, int pv, int sv_sign,
                      int pn)
{
    double inv[9];
    if (pm__invert(g, inv) != 0)
        return -1;
    double U[3] = {0, 0, 0}, V[3] = {0, 0, 0};
    U[pu] = su;
    V[pv] = sv_sign;
    /* The picture spans the volume's corners projected on the screen axes. */
    double smin = INFINITY, smax = -INFINITY, tmin = INFINITY, tmax = -INFINITY;
    for (int c = 0; c < 8; c++) {
        double p[3];
        pm_grid_to_lps(g, c & 1 ? g->dim[0] - 0.5 : -0.5, c & 2 ? g->dim[1] - 0.5 : -0.5,
                       c & 4 ? g->dim[2] - 0.5 : -0.5, p);
        double s = p[pu] * su, t = p[pv] * sv_sign;
        smin = fmin(smin, s);
        smax = fmax(smax, s);
        tmin = fmin(tmin, t);
        tmax = fmax(tmax, t);
    }
    /* The plane passes through the centre of the chosen slice of voxels. */
    double ijk[3] = {(g->dim[0] - 1) / 2.0, (g->dim[1] - 1) / 2.0, (g->dim[2] - 1) / 2.0};
    ijk[sv->axis] = sv->index;
    double pc[3];
    pm_grid_to_lps(g, ijk[0], ijk[1], ijk[2], pc);
    double p0[3] = {0, 0, 0};
    p0[pu] = smin * su;
    p0[pv] = tmin * sv_sign;
    p0[pn] = pc[pn];
    double d[3] = {p0[0] - g->origin[0], p0[1] - g->origin[1], p0[2] - g->origin[2]};
    pm__mul(inv, d, sv->o);
    pm__mul(inv, U, sv->a);
    pm__mul(inv, V, sv->b);
    sv->w_mm = smax - smin;
    sv->h_mm = tmax - tmin;
    sv->nu = (int)lround(sv->w_mm / sv->u_mm);
    sv->nv = (int)lround(sv->h_mm / sv->v_mm);
    if (sv->nu < 1)
        sv->nu = 1;
    if (sv->nv < 1)
        sv->nv = 1;
    sv->resample = 1;
    return 0;
}

/* The HU at a continuous voxel index, or 0 with *inside = 0 outside. */
static float pm__sample(const pm_volume *vol, const double q[3], int bilinear, int *inside)
{
    const int *dim = vol->g.dim;
    for (int a = 0; a < 3; a++)
        if (q[a] < -0.5 || q[a] > dim[a] - 0.5) {
            *inside = 0;
            return 0;
        }
    *inside = 1;
    size_t sx = 1, sy = (size_t)dim[0], sz = (size_t)dim[0] * (size_t)dim[1];
    if (!bilinear) {
        int i = (int)lround(q[0]), j = (int)lround(q[1]), k = (int)lround(q[2]);
        i = i < 0 ? 0 : i >= dim[0] ? dim[0] - 1 : i;
        j = j < 0 ? 0 : j >= dim[1] ? dim[1] - 1 : j;
        k = k < 0 ? 0 : k >= dim[2] ? dim[2] - 1 : k;
        return vol->hu[i * sx + j * sy + k * sz];
    }
    int i0[3], i1[3];
    double f[3];
    for (int a = 0; a < 3; a++) {
        double c = q[a] < 0 ? 0 : q[a] > dim[a] - 1 ? dim[a] - 1 : q[a];
        i0[a] = (int)c;
        i1[a] = i0[a] + 1 < dim[a] ? i0[a] + 1 : i0[a];
        f[a] = c - i0[a];
    }
    float acc = 0;
    for (int c = 0; c < 8; c++) {
        int i = c & 1 ? i1[0] : i0[0], j = c & 2 ? i1[1] : i0[1], k = c & 4 ? i1[2] : i0[2];
        double w = (c & 1 ? f[0] : 1 - f[0]) * (c & 2 ? f[1] : 1 - f[1]) * (c & 4 ? f[2] : 1 - f[2]);
        acc += (float)(w * vol->hu[i * sx + j * sy + k * sz]);
    }
    return acc;
}

/* The voxel index of screen pixel (x, y) of r. */
static void pm__point(const pm_slice_view *sv, pm_rect r, int x, int y, double q[3])
{
    double s = (x - r.x + 0.5) * sv->w_mm / r.w, t = (y - r.y + 0.5) * sv->h_mm / r.h;
    for (int a = 0; a < 3; a++)
        q[a] = sv->o[a] + s * sv->a[a] + t * sv->b[a];
}

void pm__reformat_slice(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_slice_view *sv,
                        pm_window win, int bilinear)
{
    int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
    int x1 = r.x + r.w > fb->w ? fb->w : r.x + r.w, y1 = r.y + r.h > fb->h ? fb->h : r.y + r.h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double q[3];
            int inside;
            pm__point(sv, r, x, y, q);
            float hu = pm__sample(vol, q, bilinear, &inside);
            uint8_t g = inside ? pm_window_grey(win, hu) : 0;
            memset(fb->rgb + 3 * ((size_t)y * fb->w + x), g, 3);
        }
}

void pm__reformat_mask(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_slice_view *sv,
                       const uint8_t lut[256][3], int alpha256, int outline)
{
    const int *dim = m->g.dim;
    int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
    int x1 = r.x + r.w > fb->w ? fb->w : r.x + r.w, y1 = r.y + r.h > fb->h ? fb->h : r.y + r.h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            /* Labels of this pixel and its four neighbours (for outlines). */
            int l[5];
            static const int dx[5] = {0, -1, 1, 0, 0}, dy[5] = {0, 0, 0, -1, 1};
            for (int n = 0; n < (outline ? 5 : 1); n++) {
                double q[3];
                pm__point(sv, r, x + dx[n], y + dy[n], q);
                int i = (int)lround(q[0]), j = (int)lround(q[1]), k = (int)lround(q[2]);
                l[n] = i < 0 || j < 0 || k < 0 || i >= dim[0] || j >= dim[1] || k >= dim[2]
                           ? 0
                           : m->v[i + (size_t)dim[0] * (j + (size_t)dim[1] * k)];
            }
            if (!l[0])
                continue;
            int a = alpha256;
            if (outline && (l[1] != l[0] || l[2] != l[0] || l[3] != l[0] || l[4] != l[0]))
                a = 256;
            uint8_t *o = fb->rgb + 3 * ((size_t)y * fb->w + x);
            for (int c = 0; c < 3; c++)
                o[c] = (uint8_t)((o[c] * (256 - a) + lut[l[0]][c] * a + 128) >> 8);
        }
}
