/* slice.c - slice views oriented the radiologists' way, drawn through a
 * window/level, with label overlays. */
#include "pulmo/render.h"
#include "pulmo/core.h"
#include "reformat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pm_plane_parse(const char *s)
{
    if (!strcmp(s, "axial"))
        return PM_PLANE_AXIAL;
    if (!strcmp(s, "coronal"))
        return PM_PLANE_CORONAL;
    if (!strcmp(s, "sagittal"))
        return PM_PLANE_SAGITTAL;
    return -1;
}

const char *pm_plane_name(pm_plane p)
{
    return p == PM_PLANE_AXIAL ? "axial" : p == PM_PLANE_CORONAL ? "coronal" : "sagittal";
}

/* For each patient axis (x, y, z) the volume axis closest to it, and the
 * sign of that axis' direction along it. Greedy on the largest cosine, so
 * an oblique grid still gets a permutation. */
static int pm__axis_map(const pm_grid *g, int vol_axis[3], int sign[3])
{
    int used_v = 0, used_p = 0;
    for (int round = 0; round < 3; round++) {
        double best = -1;
        int bv = -1, bp = -1;
        for (int v = 0; v < 3; v++) {
            if (used_v & (1 << v))
                continue;
            for (int p = 0; p < 3; p++) {
                if (used_p & (1 << p))
                    continue;
                double c = fabs(g->dir[3 * v + p]);
                if (c > best) {
                    best = c;
                    bv = v;
                    bp = p;
                }
            }
        }
        if (best < 1e-6)
            return -1;
        used_v |= 1 << bv;
        used_p |= 1 << bp;
        vol_axis[bp] = bv;
        sign[bp] = g->dir[3 * bv + bp] > 0 ? 1 : -1;
    }
    return 0;
}

/* Non-zero when the grid's axes are not perpendicular (a gantry tilt). */
static int pm__sheared(const pm_grid *g)
{
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++) {
            double d = g->dir[3 * a] * g->dir[3 * b] + g->dir[3 * a + 1] * g->dir[3 * b + 1]
                       + g->dir[3 * a + 2] * g->dir[3 * b + 2];
            if (fabs(d) > 1e-3)
                return 1;
        }
    return 0;
}

int pm_slice_view_init(const pm_grid *g, pm_plane plane, int index, pm_slice_view *out)
{
    int va[3], sg[3];
    if (pm__axis_map(g, va, sg) != 0)
        return pm_fail(PM_EUSAGE, "degenerate grid direction cosines");
    /* Patient axis (0 x left, 1 y posterior, 2 z superior) for the normal,
     * across and down, and which patient direction increases on screen:
     * right-to-left across (patient's right on screen left), anterior up
     * (y grows downwards), superior up (z falls downwards), anterior on the
     * left of a sagittal view. */
    int pn, pu, pv, su, sv;
    switch (plane) {
    case PM_PLANE_AXIAL: pn = 2; pu = 0; su = 1; pv = 1; sv = 1; break;
    case PM_PLANE_CORONAL: pn = 1; pu = 0; su = 1; pv = 2; sv = -1; break;
    case PM_PLANE_SAGITTAL: pn = 0; pu = 1; su = 1; pv = 2; sv = -1; break;
    default: return pm_fail(PM_EUSAGE, "unknown plane %d", (int)plane);
    }
    pm_slice_view s;
    memset(&s, 0, sizeof s);
    s.plane = plane;
    memcpy(s.dim, g->dim, sizeof s.dim);
    s.axis = va[pn];
    s.nslices = g->dim[s.axis];
    if (index < 0)
        index = s.nslices / 2;
    if (index >= s.nslices)
        return pm_fail(PM_EUSAGE, "slice %d out of range: the %s plane has slices 0..%d", index,
                       pm_plane_name(plane), s.nslices - 1);
    /* Slices are numbered along +x, +y or +z (from the right, anterior or
     * inferior side) whatever the storage order, so a number means the same
     * place in any series of the patient. */
    s.number = index;
    s.index = sg[pn] > 0 ? index : s.nslices - 1 - index;
    s.u_axis = va[pu];
    s.v_axis = va[pv];
    s.nu = g->dim[s.u_axis];
    s.nv = g->dim[s.v_axis];
    s.du = sg[pu] == su ? 1 : -1;
    s.dv = sg[pv] == sv ? 1 : -1;
    s.u0 = s.du > 0 ? 0 : s.nu - 1;
    s.v0 = s.dv > 0 ? 0 : s.nv - 1;
    s.u_mm = g->spacing[s.u_axis] > 0 ? g->spacing[s.u_axis] : 1;
    s.v_mm = g->spacing[s.v_axis] > 0 ? g->spacing[s.v_axis] : 1;
    s.w_mm = s.nu * s.u_mm;
    s.h_mm = s.nv * s.v_mm;
    if (plane != PM_PLANE_AXIAL && pm__sheared(g)
        && pm__reformat_init(g, &s, pu, su, pv, sv, pn) != 0)
        return pm_fail(PM_EUSAGE, "degenerate grid direction cosines");
    *out = s;
    return PM_OK;
}

void pm_slice_view_size(const pm_slice_view *sv, int max_w, int max_h, int *w, int *h)
{
    double W = sv->nu * sv->u_mm, H = sv->nv * sv->v_mm;
    double scale;
    if (max_w <= 0 && max_h <= 0)
        scale = 1.0 / (sv->u_mm < sv->v_mm ? sv->u_mm : sv->v_mm);
    else if (max_w <= 0)
        scale = max_h / H;
    else if (max_h <= 0)
        scale = max_w / W;
    else
        scale = fmin(max_w / W, max_h / H);
    *w = (int)lround(W * scale);
    *h = (int)lround(H * scale);
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
}

pm_rect pm_slice_view_fit(const pm_slice_view *sv, pm_rect r)
{
    int w, h;
    pm_slice_view_size(sv, r.w, r.h, &w, &h);
    if (w > r.w)
        w = r.w;
    if (h > r.h)
        h = r.h;
    return (pm_rect){r.x + (r.w - w) / 2, r.y + (r.h - h) / 2, w, h};
}

/* Voxel strides of the three volume axes. */
static void pm__strides(const pm_grid *g, size_t st[3])
{
    st[0] = 1;
    st[1] = (size_t)g->dim[0];
    st[2] = (size_t)g->dim[0] * (size_t)g->dim[1];
}

/* Per screen column (or row): the voxel offsets of the two samples and the
 * weight of the second, along one slice axis of n voxels. */
typedef struct pm__samp {
    size_t a, b;
    float t;
} pm__samp;

static pm__samp *pm__sampling(int screen0, int screen_n, int n, int v0, int dv, size_t stride,
                              int bilinear)
{
    pm__samp *s = malloc((size_t)screen_n * sizeof *s);
    if (!s)
        return NULL;
    for (int i = 0; i < screen_n; i++) {
        double c = ((double)(i - screen0) + 0.5) * n / screen_n - 0.5;
        if (c < 0)
            c = 0;
        if (c > n - 1)
            c = n - 1;
        int i0 = bilinear ? (int)c : (int)(c + 0.5);
        int i1 = i0 + 1 < n ? i0 + 1 : i0;
        s[i].t = bilinear ? (float)(c - i0) : 0.0f;
        s[i].a = (size_t)(v0 + i0 * dv) * stride;
        s[i].b = (size_t)(v0 + i1 * dv) * stride;
    }
    return s;
}

/* The part of r inside the framebuffer. */
static void pm__clip(const pm_fb *fb, pm_rect r, int *x0, int *y0, int *x1, int *y1)
{
    *x0 = r.x < 0 ? 0 : r.x;
    *y0 = r.y < 0 ? 0 : r.y;
    *x1 = r.x + r.w > fb->w ? fb->w : r.x + r.w;
    *y1 = r.y + r.h > fb->h ? fb->h : r.y + r.h;
}

void pm_draw_slice(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_slice_view *sv,
                   pm_window win, int bilinear)
{
    if (r.w < 1 || r.h < 1 || win.width <= 0)
        return;
    if (sv->resample) {
        pm__reformat_slice(fb, r, vol, sv, win, bilinear);
        return;
    }
    size_t st[3];
    pm__strides(&vol->g, st);
    pm__samp *cu = pm__sampling(0, r.w, sv->nu, sv->u0, sv->du, st[sv->u_axis], bilinear);
    pm__samp *cv = pm__sampling(0, r.h, sv->nv, sv->v0, sv->dv, st[sv->v_axis], bilinear);
    if (!cu || !cv) {
        free(cu);
        free(cv);
        return;
    }
    const int16_t *base = vol->hu + (size_t)sv->index * st[sv->axis];
    float lo = (float)(win.level - win.width / 2), k = (float)(255.0 / win.width);
    int x0, y0, x1, y1;
    pm__clip(fb, r, &x0, &y0, &x1, &y1);
    for (int y = y0; y < y1; y++) {
        const pm__samp *v = &cv[y - r.y];
        uint8_t *o = fb->rgb + 3 * ((size_t)y * fb->w + x0);
        for (int x = x0; x < x1; x++, o += 3) {
            const pm__samp *u = &cu[x - r.x];
            float hu;
            if (bilinear) {
                float a = base[v->a + u->a], b = base[v->a + u->b];
                float c = base[v->b + u->a], d = base[v->b + u->b];
                float top = a + (b - a) * u->t, bot = c + (d - c) * u->t;
                hu = top + (bot - top) * v->t;
            } else {
                hu = base[v->a + u->a];
            }
            float g = (hu - lo) * k;
            uint8_t gr = !(g > 0) ? 0 : g >= 255 ? 255 : (uint8_t)(g + 0.5f);
            o[0] = o[1] = o[2] = gr;
        }
    }
    free(cu);
    free(cv);
}

void pm_label_colour(int l, uint8_t rgb[3])
{
    static const uint8_t c[8][3] = {{230, 60, 60},  {60, 200, 90},  {70, 130, 240},
                                    {240, 210, 50}, {220, 80, 220}, {60, 210, 220},
                                    {250, 140, 40}, {150, 100, 230}};
    const uint8_t *p = c[(l > 0 ? l - 1 : 0) % 8];
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
}

int pm_draw_mask(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_slice_view *sv,
                 const pm_labels *labels, double alpha)
{
    const pm_grid *g = &m->g;
    if (memcmp(g->dim, sv->dim, sizeof sv->dim) != 0)
        return pm_fail(PM_EUSAGE, "mask is %dx%dx%d, not on the image's grid", g->dim[0],
                       g->dim[1], g->dim[2]);
    if (r.w < 1 || r.h < 1)
        return PM_OK;
    uint8_t lut[256][3];
    for (int l = 1; l < 256; l++) {
        if (labels && labels->colours && l <= labels->nlabels)
            memcpy(lut[l], labels->colours + 3 * (l - 1), 3);
        else
            pm_label_colour(l, lut[l]);
    }
    int a = (int)(alpha < 0 ? 0 : alpha > 1 ? 256 : alpha * 256 + 0.5);
    int outline = labels && labels->outline;
    if (sv->resample) {
        pm__reformat_mask(fb, r, m, sv, (const uint8_t(*)[3])lut, a, outline);
        return PM_OK;
    }
    size_t st[3];
    pm__strides(g, st);
    pm__samp *cu = pm__sampling(0, r.w, sv->nu, sv->u0, sv->du, st[sv->u_axis], 0);
    pm__samp *cv = pm__sampling(0, r.h, sv->nv, sv->v0, sv->dv, st[sv->v_axis], 0);
    if (!cu || !cv) {
        free(cu);
        free(cv);
        return pm_fail(PM_EMEMORY, "out of memory drawing a mask");
    }
    const uint8_t *base = m->v + (size_t)sv->index * st[sv->axis];
    int x0, y0, x1, y1;
    pm__clip(fb, r, &x0, &y0, &x1, &y1);
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = base + cv[y - r.y].a;
        const uint8_t *up = base + cv[y > r.y ? y - 1 - r.y : 0].a;
        const uint8_t *down = base + cv[y + 1 < r.y + r.h ? y + 1 - r.y : r.h - 1].a;
        uint8_t *o = fb->rgb + 3 * ((size_t)y * fb->w + x0);
        for (int x = x0; x < x1; x++, o += 3) {
            size_t u = cu[x - r.x].a;
            int l = row[u];
            if (!l)
                continue;
            /* A labelled pixel next to another label (or none) is a border:
             * opaque in outline mode, so the anatomy inside stays visible. */
            int aa = a;
            if (outline) {
                size_t ul = cu[x > r.x ? x - 1 - r.x : 0].a, ur = cu[x + 1 < r.x + r.w ? x + 1 - r.x : r.w - 1].a;
                aa = row[ul] != l || row[ur] != l || up[u] != l || down[u] != l ? 256 : a;
            }
            for (int c = 0; c < 3; c++)
                o[c] = (uint8_t)((o[c] * (256 - aa) + lut[l][c] * aa + 128) >> 8);
        }
    }
    free(cu);
    free(cv);
    return PM_OK;
}
