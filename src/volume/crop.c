/* crop.c - a box of a volume or mask around a point in patient space, on
 * the same voxels (same spacing and axes, origin moved), so a surface of
 * the box lands exactly where it was in the whole. */
#include "pulmo/volume.h"
#include "pulmo/core.h"

#include <math.h>
#include <string.h>

int pm_grid_crop_box(const pm_grid *g, const double c[3], double r_mm, int lo[3], int hi[3])
{
    if (!(r_mm > 0) || !isfinite(c[0]) || !isfinite(c[1]) || !isfinite(c[2]))
        return pm_fail(PM_EUSAGE, "crop: the radius must be positive and the centre finite");
    /* The index box of the cube's eight corners: exact on axis-aligned
     * grids, the enclosing box on oblique ones. */
    double mn[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, mx[3] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    for (int q = 0; q < 8; q++) {
        double p[3] = {c[0] + (q & 1 ? r_mm : -r_mm), c[1] + (q & 2 ? r_mm : -r_mm),
                       c[2] + (q & 4 ? r_mm : -r_mm)}, ijk[3];
        if (pm_grid_from_lps(g, p, ijk) != 0)
            return pm_fail(PM_EUSAGE, "crop: the grid's axes are degenerate");
        for (int a = 0; a < 3; a++) {
            mn[a] = fmin(mn[a], ijk[a]);
            mx[a] = fmax(mx[a], ijk[a]);
        }
    }
    for (int a = 0; a < 3; a++) {
        double l = ceil(mn[a] - 1e-6), h = floor(mx[a] + 1e-6) + 1;
        lo[a] = l < 0 ? 0 : l > g->dim[a] ? g->dim[a] : (int)l;
        hi[a] = h < 0 ? 0 : h > g->dim[a] ? g->dim[a] : (int)h;
        if (hi[a] <= lo[a])
            return pm_fail(PM_EUSAGE, "crop: the cube around (%.1f, %.1f, %.1f) mm, radius %g mm, lies "
                           "outside the volume", c[0], c[1], c[2], r_mm);
    }
    return PM_OK;
}

static void crop_grid(const pm_grid *g, const int lo[3], const int hi[3], pm_grid *out)
{
    *out = *g;
    for (int a = 0; a < 3; a++)
        out->dim[a] = hi[a] - lo[a];
    pm_grid_to_lps(g, lo[0], lo[1], lo[2], out->origin);
}

/* Copies rows of the box; elem bytes per voxel. */
static void copy_box(const pm_grid *g, const int lo[3], const int hi[3], size_t elem,
                     const void *src, void *dst)
{
    size_t row = (size_t)(hi[0] - lo[0]) * elem;
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (int k = lo[2]; k < hi[2]; k++)
        for (int j = lo[1]; j < hi[1]; j++) {
            size_t at = ((size_t)k * g->dim[1] + (size_t)j) * g->dim[0] + (size_t)lo[0];
            memcpy(d, s + at * elem, row);
            d += row;
        }
}

pm_volume *pm_volume_crop(const pm_volume *v, const int lo[3], const int hi[3])
{
    pm_grid g;
    crop_grid(&v->g, lo, hi, &g);
    pm_volume *out = pm_volume_new(&g);
    if (!out)
        return NULL;
    out->meta = v->meta;
    copy_box(&v->g, lo, hi, sizeof *v->hu, v->hu, out->hu);
    return out;
}

pm_mask *pm_mask_crop(const pm_mask *m, const int lo[3], const int hi[3])
{
    pm_grid g;
    crop_grid(&m->g, lo, hi, &g);
    pm_mask *out = pm_mask_new(&g);
    if (!out)
        return NULL;
    copy_box(&m->g, lo, hi, 1, m->v, out->v);
    return out;
}

int pm_crop_around(const pm_volume *v, const pm_mask *m, const double c[3], double r_mm, pm_volume **vout,
                   pm_mask **mout)
{
    const pm_grid *g = v ? &v->g : m ? &m->g : NULL;
    if (!g)
        return pm_fail(PM_EUSAGE, "crop: nothing to crop");
    if (v && m && memcmp(v->g.dim, m->g.dim, sizeof v->g.dim) != 0)
        return pm_fail(PM_EUSAGE, "crop: the mask is not on the volume's grid");
    int lo[3], hi[3];
    int rc = pm_grid_crop_box(g, c, r_mm, lo, hi);
    if (rc != PM_OK)
        return rc;
    pm_volume *cv = v && vout ? pm_volume_crop(v, lo, hi) : NULL;
    pm_mask *cm = m && mout ? pm_mask_crop(m, lo, hi) : NULL;
    if ((v && vout && !cv) || (m && mout && !cm)) {
        pm_volume_free(cv);
        pm_mask_free(cm);
        return pm_fail(PM_EMEMORY, "out of memory for the crop");
    }
    if (vout)
        *vout = cv;
    if (mout)
        *mout = cm;
    return PM_OK;
}
