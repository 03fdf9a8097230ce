/* compare.c - Dice, volumes and surface distances of a mask against a
 * reference (see compare.h for the definitions).
 *
 * Surface distances are computed inside the bounding box of both labels:
 * every surface voxel lies in it and the distance transform is exact within
 * any box holding all the features, so nothing is lost by cropping, and a
 * lung costs a box of a few million voxels rather than the whole scan.
 */
#include "pulmo/compare.h"
#include "pulmo/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pm_mask_resample_to(const pm_mask *src, const pm_grid *g, pm_mask **out)
{
    double o[3], di[3], dj[3], dk[3], p[3], q[3];
    pm_grid_to_lps(g, 0, 0, 0, p);
    if (pm_grid_from_lps(&src->g, p, o) != 0)
        return pm_fail(PM_EUSAGE, "mask axes are degenerate");
    double *steps[3] = {di, dj, dk};
    for (int a = 0; a < 3; a++) {
        pm_grid_to_lps(g, a == 0, a == 1, a == 2, p);
        if (pm_grid_from_lps(&src->g, p, q) != 0)
            return pm_fail(PM_EUSAGE, "mask axes are degenerate");
        for (int b = 0; b < 3; b++)
            steps[a][b] = q[b] - o[b];
    }
    pm_mask *m = pm_mask_new(g);
    if (!m)
        return PM_EMEMORY;
    const int *sd = src->g.dim;
    size_t n = 0;
    for (int k = 0; k < g->dim[2]; k++)
        for (int j = 0; j < g->dim[1]; j++)
            for (int i = 0; i < g->dim[0]; i++, n++) {
                int idx[3];
                int inside = 1;
                for (int b = 0; b < 3 && inside; b++) {
                    double x = o[b] + i * di[b] + j * dj[b] + k * dk[b];
                    double r = floor(x + 0.5);
                    inside = r >= 0 && r < sd[b];
                    idx[b] = inside ? (int)r : 0;
                }
                if (inside)
                    m->v[n] = src->v[(size_t)idx[0] + (size_t)sd[0] * ((size_t)idx[1] + (size_t)sd[1] * idx[2])];
            }
    *out = m;
    return PM_OK;
}

static int pm__same_dims(const pm_grid *a, const pm_grid *b)
{
    return a->dim[0] == b->dim[0] && a->dim[1] == b->dim[1] && a->dim[2] == b->dim[2];
}

/* Face-neighbour surface of a binary crop. */
static void pm__surface(const uint8_t *in, const int d[3], uint8_t *out)
{
    size_t sx = 1, sy = (size_t)d[0], sz = (size_t)d[0] * d[1], n = 0;
    for (int k = 0; k < d[2]; k++)
        for (int j = 0; j < d[1]; j++)
            for (int i = 0; i < d[0]; i++, n++) {
                if (!in[n]) {
                    out[n] = 0;
                    continue;
                }
                out[n] = i == 0 || i == d[0] - 1 || j == 0 || j == d[1] - 1 || k == 0 || k == d[2] - 1
                      || !in[n - sx] || !in[n + sx] || !in[n - sy] || !in[n + sy] || !in[n - sz] || !in[n + sz];
            }
}

static int pm__cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Distances (mm) from each surface voxel of `from` to the surface `to`,
 * whose squared distance map is edt, appended to d; returns their sum. */
static double pm__directed(const uint8_t *from, const float *edt, size_t n, float *d, size_t *nd)
{
    double sum = 0;
    for (size_t v = 0; v < n; v++)
        if (from[v]) {
            float x = sqrtf(edt[v]);
            d[(*nd)++] = x;
            sum += x;
        }
    return sum;
}

static int pm__surface_distances(const pm_mask *mask, const pm_mask *ref, const pm_mask *ignore,
                                 int label, const int lo[3], const int hi[3], pm_compare_label *r,
                                 const pm_progress *p)
{
    int d[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
    size_t n = (size_t)d[0] * d[1] * d[2];
    uint8_t *a = malloc(n), *b = malloc(n), *sa = malloc(n), *sb = malloc(n);
    float *ea = malloc(n * sizeof *ea), *eb = malloc(n * sizeof *eb);
    float *dist = NULL;
    int st = PM_OK;
    if (!a || !b || !sa || !sb || !ea || !eb) {
        st = pm_fail(PM_EMEMORY, "out of memory for surface distances");
        goto done;
    }
    const int *gd = mask->g.dim;
    size_t c = 0;
    for (int k = lo[2]; k < hi[2]; k++)
        for (int j = lo[1]; j < hi[1]; j++) {
            size_t row = (size_t)gd[0] * ((size_t)j + (size_t)gd[1] * k);
            for (int i = lo[0]; i < hi[0]; i++, c++) {
                int keep = !ignore || !ignore->v[row + i];
                a[c] = keep && mask->v[row + i] == label;
                b[c] = keep && ref->v[row + i] == label;
            }
        }
    pm__surface(a, d, sa);
    pm__surface(b, d, sb);
    if ((st = pm_seg_edt(sb, d, mask->g.spacing, eb, p)) != PM_OK
        || (st = pm_seg_edt(sa, d, mask->g.spacing, ea, p)) != PM_OK)
        goto done;
    size_t na = 0, nb = 0;
    for (size_t v = 0; v < n; v++)
        na += sa[v], nb += sb[v];
    dist = malloc((na + nb) * sizeof *dist);
    if (!dist) {
        st = pm_fail(PM_EMEMORY, "out of memory for surface distances");
        goto done;
    }
    size_t nd = 0;
    double sum_a = pm__directed(sa, eb, n, dist, &nd);
    double sum_b = pm__directed(sb, ea, n, dist, &nd);
    r->assd_mm = (sum_a / (double)na + sum_b / (double)nb) / 2;
    qsort(dist, nd, sizeof *dist, pm__cmp_float);
    double pos = 0.95 * (double)(nd - 1);
    size_t i0 = (size_t)pos;
    double f = pos - (double)i0;
    r->hd95_mm = i0 + 1 < nd ? dist[i0] * (1 - f) + dist[i0 + 1] * f : dist[i0];
done:
    free(a), free(b), free(sa), free(sb), free(ea), free(eb), free(dist);
    return st;
}

int pm_compare(const pm_mask *mask, const pm_mask *ref, const pm_mask *ignore, const int *labels,
               int nlabels, pm_compare_label *out, const pm_progress *p)
{
    if (!pm__same_dims(&mask->g, &ref->g) || (ignore && !pm__same_dims(&ignore->g, &ref->g)))
        return pm_fail(PM_EUSAGE, "masks to compare are on different grids");
    const pm_grid *g = &ref->g;
    double mm3 = pm_grid_voxel_mm3(g);
    for (int l = 0; l < nlabels; l++) {
        pm_compare_label *r = &out[l];
        memset(r, 0, sizeof *r);
        r->label = labels[l];
        r->assd_mm = r->hd95_mm = NAN;
        int lo[3] = {g->dim[0], g->dim[1], g->dim[2]}, hi[3] = {0, 0, 0};
        size_t v = 0;
        for (int k = 0; k < g->dim[2]; k++)
            for (int j = 0; j < g->dim[1]; j++)
                for (int i = 0; i < g->dim[0]; i++, v++) {
                    if (ignore && ignore->v[v])
                        continue;
                    int a = mask->v[v] == labels[l], b = ref->v[v] == labels[l];
                    if (!a && !b)
                        continue;
                    r->n_mask += (uint64_t)a;
                    r->n_ref += (uint64_t)b;
                    r->n_both += (uint64_t)(a && b);
                    int ijk[3] = {i, j, k};
                    for (int x = 0; x < 3; x++) {
                        lo[x] = ijk[x] < lo[x] ? ijk[x] : lo[x];
                        hi[x] = ijk[x] + 1 > hi[x] ? ijk[x] + 1 : hi[x];
                    }
                }
        uint64_t sum = r->n_mask + r->n_ref;
        r->dice = sum ? 2.0 * (double)r->n_both / (double)sum : 1.0;
        r->ml_mask = (double)r->n_mask * mm3 / 1000.0;
        r->ml_ref = (double)r->n_ref * mm3 / 1000.0;
        r->ml_diff = r->ml_mask - r->ml_ref;
        if (r->n_mask && r->n_ref) {
            int st = pm__surface_distances(mask, ref, ignore, labels[l], lo, hi, r, p);
            if (st != PM_OK)
                return st;
        }
        if (pm_progress_report(p, (double)(l + 1) / nlabels, "comparing"))
            return pm_fail(PM_ECANCEL, "cancelled");
    }
    return PM_OK;
}
