/* cluster.c - the segmentation module's clustering entry points, on top of
 * the Gustafson-Kessel clustering of src/cluster (pulmo/cluster.h). */
#include "pulmo/seg.h"
#include "pulmo/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pm_seg_gk(const float *x, size_t n, int d, int c, double m, int maxit, double eps,
              double *centers, float *u, int *iterations)
{
    pm_gk_opts o = {c, m, maxit, eps, 0};
    pm_gk_result r;
    int rc = pm_gk_run(x, NULL, n, d, &o, &r, u);
    if (rc != PM_OK)
        return rc;
    for (int i = 0; i < c; i++)
        for (int f = 0; f < d; f++)
            centers[i * d + f] = r.center[i][f];
    if (iterations)
        *iterations = r.iterations;
    return PM_OK;
}

int pm_seg_cluster_hu(const pm_volume *v, const pm_mask *msk, int lo, int hi, int c, int every,
                      pm_mask *out, double *centers_hu, const pm_progress *p)
{
    if (every < 1)
        every = 1;
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2];
    size_t plane = (size_t)nx * ny, n = 0;
    const uint8_t base = (uint8_t)lo, span = (uint8_t)(hi - lo);
    for (int k = 0; k < nz; k += every)
        for (size_t t = 0; t < plane; t++)
            n += (uint8_t)(msk->v[plane * k + t] - base) <= span;
    if (n < (size_t)c)
        return pm_fail(PM_ENOLUNG, "too few voxels (%zu) to cluster", n);
    float *x = malloc(n * sizeof *x), *u = malloc(n * (size_t)c * sizeof *u);
    double *cen = malloc((size_t)c * sizeof *cen);
    if (!x || !u || !cen) {
        free(x), free(u), free(cen);
        return pm_fail(PM_EMEMORY, "out of memory for clustering");
    }
    size_t q = 0;
    for (int k = 0; k < nz; k += every)
        for (size_t t = 0; t < plane; t++)
            if ((uint8_t)(msk->v[plane * k + t] - base) <= span)
                x[q++] = v->hu[plane * k + t];
    if (pm_progress_report(p, 0.1, "clustering")) {
        free(x), free(u), free(cen);
        return PM_ECANCEL;
    }
    int rc = pm_seg_gk(x, n, 1, c, 2.0, 100, 1e-6, cen, u, NULL);
    if (rc == PM_OK) {
        /* rank[i] = position of cluster i by centre HU */
        int rank[64];
        for (int i = 0; i < c; i++) {
            rank[i] = 0;
            for (int j = 0; j < c; j++)
                rank[i] += cen[j] < cen[i] || (cen[j] == cen[i] && j < i);
            centers_hu[rank[i]] = cen[i];
        }
        memset(out->v, 0, pm_grid_voxels(&out->g));
        q = 0;
        for (int k = 0; k < nz; k += every)
            for (size_t t = 0; t < plane; t++)
                if ((uint8_t)(msk->v[plane * k + t] - base) <= span) {
                    int best = 0;
                    for (int i = 1; i < c; i++)
                        if (u[q * (size_t)c + i] > u[q * (size_t)c + best])
                            best = i;
                    out->v[plane * k + t] = (uint8_t)(1 + rank[best]);
                    q++;
                }
    }
    free(x), free(u), free(cen);
    return rc;
}
