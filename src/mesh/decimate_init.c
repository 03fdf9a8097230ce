/* decimate_init.c - the decimation's state: positions, faces, valences,
 * the vertices' quadrics (on all cores) and the first vertex-to-triangle
 * lists; and its release. */
#include "decimate_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The quadrics of vertex range `task` of d->nth: each task reads every
 * triangle and adds its plane to those of its vertices in the range only,
 * in triangle order, so every sum is the one a single thread makes (the
 * triangles of one vertex are near in the list: marching cubes numbers
 * plane by plane, so few are read by both tasks for nothing). */
static void pm__quadric_range(void *ctx, int task, int thread)
{
    (void)thread;
    pm__dec *d = ctx;
    uint32_t lo, hi;
    pm__vertex_range(d->nv, task, d->nth, &lo, &hi);
    for (size_t t = 0; t < d->nf; t++) {
        const uint32_t *f = d->f + 3 * t;
        int in[3] = {f[0] - lo < hi - lo, f[1] - lo < hi - lo, f[2] - lo < hi - lo};
        if (!(in[0] | in[1] | in[2]))
            continue;
        double nrm[3];
        pm__normal(pm__p(d, f[0]), pm__p(d, f[1]), pm__p(d, f[2]), nrm);
        double l = sqrt(nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]);
        double area = 0.5 * l, pl[4] = {0, 0, 0, 0};
        if (l > 0) {
            for (int r = 0; r < 3; r++)
                pl[r] = nrm[r] / l;
            pl[3] = -(pl[0] * pm__p(d, f[0])[0] + pl[1] * pm__p(d, f[0])[1] + pl[2] * pm__p(d, f[0])[2]);
        }
        double k[10] = {pl[0] * pl[0], pl[0] * pl[1], pl[0] * pl[2], pl[0] * pl[3], pl[1] * pl[1],
                        pl[1] * pl[2], pl[1] * pl[3], pl[2] * pl[2], pl[2] * pl[3], pl[3] * pl[3]};
        for (int q = 0; q < 3; q++) {
            if (!in[q])
                continue;
            double *dq = pm__q(d, f[q]);
            for (int i = 0; i < 10; i++)
                dq[i] += area * k[i];
        }
    }
}

void pm__dec_free(pm__dec *d)
{
    free(d->q);
    free(d->p);
    free(d->f);
    free(d->refused);
    free(d->locked);
    free(d->deg);
    free(d->rstart);
    free(d->ring);
    free(d->part);
    free(d->cost);
    free(d->order);
    free(d->bucket);
    free(d->hist);
    free(d->r2);
    free(d->stamp);
}

/* Quadrics and positions; the faces without their degenerate ones, and
 * their rings (the first pass's). */
int pm__dec_init(pm__dec *d, const pm_mesh *m)
{
    size_t nv = m->nv, nf = m->nf;
    d->nv = nv;
    d->q = pm_alloc_large((nv ? nv : 1) * 10 * sizeof(double), 1);
    d->p = pm_alloc_large((nv ? nv : 1) * 3 * sizeof(double), 0);
    d->f = pm_alloc_large(3 * nf * sizeof *d->f, 0);
    d->refused = calloc(nf, 1);
    d->locked = calloc(nv ? nv : 1, 1);
    d->deg = calloc(nv ? nv : 1, sizeof *d->deg);
    d->rstart = calloc(nv + 1, sizeof *d->rstart);
    d->ring = pm_alloc_large(3 * nf * sizeof *d->ring, 0);
    d->part = calloc(nv ? nv : 1, 1);
    d->cost = pm_alloc_large(3 * nf * sizeof *d->cost, 0);
    d->order = pm_alloc_large(3 * nf * sizeof *d->order, 0);
    d->bucket = pm_alloc_large(3 * nf, 0);
    d->nth = pm_threads() < 64 ? pm_threads() : 64;
    d->hist = malloc((size_t)d->nth * 2 * PM__NKEY * sizeof *d->hist);
    d->stamp = calloc(nv ? nv : 1, sizeof *d->stamp);
    for (int t = 0; t < d->nth; t++)
        d->stamp_next[t] = 2 * (uint64_t)t;
    if (!d->q || !d->p || !d->f || !d->refused || !d->locked || !d->deg || !d->rstart || !d->ring || !d->part
        || !d->cost || !d->order || !d->bucket || !d->hist || !d->stamp)
        return -1;
    memset(d->locked, PM__LOCKED | PM__TOUCHED, nv); /* the first pass costs every edge */
    for (size_t v = 0; v < nv; v++)
        for (int r = 0; r < 3; r++)
            pm__p(d, v)[r] = m->v[3 * v + r];
    size_t n = 0;
    for (size_t t = 0; t < nf; t++) {
        const uint32_t *f = m->f + 3 * t;
        if (f[0] == f[1] || f[1] == f[2] || f[0] == f[2])
            continue;
        memcpy(d->f + 3 * n++, f, 3 * sizeof *f);
        for (int q = 0; q < 3; q++)
            d->deg[f[q]]++;
    }
    d->nf = n;
    if (pm_parallel_for(d->nth, d->nth, pm__quadric_range, d, NULL, "decimation") != PM_OK)
        return -1;
    return pm__rings(d) == PM_OK ? 0 : -1;
}
