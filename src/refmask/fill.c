/* fill.c - rasterizing an ROI's polygons on a grid with the even-odd rule.
 *
 * Every polygon is first mapped into the grid's continuous voxel indices
 * (pm_grid_from_lps), so oblique or tilted grids need no special case: the
 * in-plane coordinates are i and j, the slice is the rounded k. All polygons
 * of the ROI on one slice are scanned together: for each row j the crossings
 * of every edge with the line through the voxel centres are sorted, and the
 * voxels whose centres lie between the 1st and 2nd, 3rd and 4th... crossing
 * are inside. An edge counts on the row when exactly one end is at or below
 * it (half-open), so a vertex on a row is crossed once, not twice.
 */
#include "pulmo/refmask.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct pm__edge {
    double x0, y0, x1, y1;
} pm__edge;

typedef struct pm__slice_edges {
    int k;
    size_t n, cap;
    pm__edge *e;
} pm__slice_edges;

static int pm__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Maps a polygon into index space; returns its slice, or -1 when it is not
 * on one plane of the grid. ij gets 2*npts values. */
static int pm__project(const pm_grid *g, const pm_contour *c, double *ij)
{
    double kmin = 1e300, kmax = -1e300;
    for (int p = 0; p < c->npts; p++) {
        double q[3];
        if (pm_grid_from_lps(g, c->xyz + 3 * p, q) != 0)
            return -1;
        ij[2 * p] = q[0];
        ij[2 * p + 1] = q[1];
        kmin = q[2] < kmin ? q[2] : kmin;
        kmax = q[2] > kmax ? q[2] : kmax;
    }
    double k = floor((kmin + kmax) / 2 + 0.5);
    if (kmax - kmin > 0.5 || fabs(k - kmin) > 0.25 || fabs(kmax - k) > 0.25)
        return -1;
    if (k < 0 || k >= g->dim[2])
        return -1;
    return (int)k;
}

static void pm__scan_slice(const pm__slice_edges *se, pm_mask *m, uint8_t value, double *xs)
{
    const pm_grid *g = &m->g;
    double ymin = 1e300, ymax = -1e300;
    for (size_t e = 0; e < se->n; e++) {
        ymin = fmin(ymin, fmin(se->e[e].y0, se->e[e].y1));
        ymax = fmax(ymax, fmax(se->e[e].y0, se->e[e].y1));
    }
    /* Bounds are clamped as doubles: polygons far off the grid (hostile or
     * from another scan) must not overflow an int. */
    double y0 = fmax(0, ceil(ymin)), y1 = fmin(g->dim[1] - 1, floor(ymax));
    if (!(y0 <= y1))
        return;
    int j0 = (int)y0, j1 = (int)y1;
    uint8_t *plane = m->v + (size_t)se->k * (size_t)g->dim[0] * (size_t)g->dim[1];
    for (int j = j0; j <= j1; j++) {
        size_t nx = 0;
        for (size_t e = 0; e < se->n; e++) {
            const pm__edge *d = &se->e[e];
            if ((d->y0 <= j) == (d->y1 <= j))
                continue;
            xs[nx++] = d->x0 + (j - d->y0) * (d->x1 - d->x0) / (d->y1 - d->y0);
        }
        qsort(xs, nx, sizeof *xs, pm__cmp_double);
        uint8_t *row = plane + (size_t)j * (size_t)g->dim[0];
        for (size_t a = 0; a + 1 < nx; a += 2) {
            double lo = ceil(xs[a]), hi = ceil(xs[a + 1]) - 1;
            if (lo < 0)
                lo = 0;
            if (hi > g->dim[0] - 1)
                hi = g->dim[0] - 1;
            if (!(lo <= hi))
                continue;
            for (int i = (int)lo; i <= (int)hi; i++)
                row[i] = value;
        }
    }
}

static int pm__cmp_slice(const void *a, const void *b)
{
    const pm__slice_edges *x = a, *y = b;
    return (x->k > y->k) - (x->k < y->k);
}

int pm_rtstruct_fill(const pm_rtstruct *rs, int roi, uint8_t value, pm_mask *m, int *nskipped)
{
    const pm_roi *r = &rs->rois[roi];
    int skipped = 0, st = PM_OK;
    size_t maxpts = 0;
    for (int c = 0; c < r->ncontours; c++)
        if ((size_t)r->contours[c].npts > maxpts)
            maxpts = (size_t)r->contours[c].npts;
    /* One bucket per polygon at most; buckets of the same slice merge below. */
    pm__slice_edges *sl = calloc((size_t)r->ncontours + 1, sizeof *sl);
    double *ij = malloc((maxpts + 1) * 2 * sizeof *ij);
    int nsl = 0;
    if (!sl || !ij) {
        st = pm_fail(PM_EMEMORY, "out of memory rasterizing ROI '%s'", r->name);
        goto done;
    }
    for (int c = 0; c < r->ncontours; c++) {
        const pm_contour *ct = &r->contours[c];
        int k = pm__project(&m->g, ct, ij);
        if (k < 0) {
            skipped++;
            continue;
        }
        pm__slice_edges *se = NULL;
        for (int s = 0; s < nsl && !se; s++)
            if (sl[s].k == k)
                se = &sl[s];
        if (!se) {
            se = &sl[nsl++];
            se->k = k;
        }
        if (se->n + (size_t)ct->npts > se->cap) {
            size_t cap = (se->cap + (size_t)ct->npts) * 2;
            pm__edge *e = realloc(se->e, cap * sizeof *e);
            if (!e) {
                st = pm_fail(PM_EMEMORY, "out of memory rasterizing ROI '%s'", r->name);
                goto done;
            }
            se->e = e;
            se->cap = cap;
        }
        for (int p = 0; p < ct->npts; p++) {
            int q = (p + 1) % ct->npts;
            pm__edge *d = &se->e[se->n++];
            d->x0 = ij[2 * p];
            d->y0 = ij[2 * p + 1];
            d->x1 = ij[2 * q];
            d->y1 = ij[2 * q + 1];
        }
    }
    qsort(sl, (size_t)nsl, sizeof *sl, pm__cmp_slice);
    for (int s = 0; s < nsl; s++) {
        double *xs = malloc((sl[s].n + 1) * sizeof *xs);
        if (!xs) {
            st = pm_fail(PM_EMEMORY, "out of memory rasterizing ROI '%s'", r->name);
            goto done;
        }
        pm__scan_slice(&sl[s], m, value, xs);
        free(xs);
    }
    if (nskipped)
        *nskipped = skipped;
done:
    if (sl)
        for (int s = 0; s < nsl; s++)
            free(sl[s].e);
    free(sl);
    free(ij);
    return st;
}
