/* cluster.c - Gustafson-Kessel fuzzy clustering.
 *
 * GK is fuzzy c-means with one norm per cluster: A_i = det(F_i)^(1/d) F_i^-1
 * where F_i is the cluster's fuzzy covariance, so clusters may be elongated
 * but all have the same volume. The tutorial clusters the intensities
 * inside the lungs (m = 2, 4-5 clusters, 100 iterations, tolerance 1e-6);
 * the cluster covering the least area holds nodules and airway walls. With
 * one feature the norm is 1 for every cluster and GK is exactly fuzzy
 * c-means. Covariances get a tiny ridge so that a cluster collapsing onto
 * one value cannot make F singular.
 */
#include "pulmo/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXD 4

/* Inverse and determinant of a d x d symmetric matrix (Gauss-Jordan). */
static double invert(const double *a, int d, double *inv)
{
    double m[MAXD][2 * MAXD];
    for (int r = 0; r < d; r++)
        for (int c = 0; c < 2 * d; c++)
            m[r][c] = c < d ? a[r * d + c] : (c - d == r);
    double det = 1;
    for (int c = 0; c < d; c++) {
        int piv = c;
        for (int r = c + 1; r < d; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c]))
                piv = r;
        if (fabs(m[piv][c]) < 1e-300)
            return 0;
        if (piv != c) {
            for (int k = 0; k < 2 * d; k++) {
                double t = m[c][k];
                m[c][k] = m[piv][k];
                m[piv][k] = t;
            }
            det = -det;
        }
        double p = m[c][c];
        det *= p;
        for (int k = 0; k < 2 * d; k++)
            m[c][k] /= p;
        for (int r = 0; r < d; r++)
            if (r != c) {
                double f = m[r][c];
                for (int k = 0; k < 2 * d; k++)
                    m[r][k] -= f * m[c][k];
            }
    }
    for (int r = 0; r < d; r++)
        for (int c = 0; c < d; c++)
            inv[r * d + c] = m[r][d + c];
    return det;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int pm_seg_gk(const float *x, size_t n, int d, int c, double m, int maxit, double eps,
              double *centers, float *u_out, int *iterations)
{
    if (d < 1 || d > MAXD || c < 2 || c > 64 || n < (size_t)c || !(m > 1))
        return pm_fail(PM_EUSAGE, "clustering needs 1..4 features, 2..64 clusters, m > 1 and n >= c");
    float *u = u_out ? u_out : malloc(n * (size_t)c * sizeof *u);
    float *tmp = malloc(n * sizeof *tmp);
    double *A = malloc((size_t)c * d * d * sizeof *A);
    if (!u || !tmp || !A) {
        if (!u_out)
            free(u);
        free(tmp), free(A);
        return pm_fail(PM_EMEMORY, "out of memory for clustering");
    }
    /* Start: centres at quantiles of the first feature, the mean elsewhere. */
    for (size_t k = 0; k < n; k++)
        tmp[k] = x[k * (size_t)d];
    qsort(tmp, n, sizeof *tmp, cmp_float);
    double mean[MAXD] = {0};
    for (size_t k = 0; k < n; k++)
        for (int f = 0; f < d; f++)
            mean[f] += x[k * (size_t)d + f] / (double)n;
    for (int i = 0; i < c; i++) {
        centers[i * d] = tmp[(size_t)((i + 0.5) / c * (double)n)];
        for (int f = 1; f < d; f++)
            centers[i * d + f] = mean[f];
        for (int a = 0; a < d * d; a++)
            A[i * d * d + a] = (a % (d + 1)) == 0; /* identity: plain c-means first */
    }
    const double ex = 2.0 / (m - 1.0);
    int it = 0;
    double change = HUGE_VAL;
    double dist[64];
    for (it = 0; it < maxit && change >= eps; it++) {
        /* Memberships from the current centres and norms. */
        change = 0;
        for (size_t k = 0; k < n; k++) {
            const float *xk = x + k * (size_t)d;
            int zero = -1;
            for (int i = 0; i < c; i++) {
                double diff[MAXD], s = 0;
                for (int f = 0; f < d; f++)
                    diff[f] = xk[f] - centers[i * d + f];
                for (int r = 0; r < d; r++)
                    for (int q = 0; q < d; q++)
                        s += diff[r] * A[i * d * d + r * d + q] * diff[q];
                dist[i] = s > 0 ? s : 0;
                if (dist[i] == 0)
                    zero = i;
            }
            for (int i = 0; i < c; i++) {
                double v;
                if (zero >= 0) {
                    v = i == zero;
                } else {
                    double s = 0;
                    for (int j = 0; j < c; j++)
                        s += pow(dist[i] / dist[j], ex / 2.0); /* dist are squared */
                    v = 1.0 / s;
                }
                float *ui = &u[k * (size_t)c + i];
                if (it > 0 && fabs(v - *ui) > change)
                    change = fabs(v - *ui);
                *ui = (float)v;
            }
        }
        if (it == 0)
            change = HUGE_VAL;
        /* Centres, covariances and norms from the memberships. */
        for (int i = 0; i < c; i++) {
            double w = 0, s[MAXD] = {0};
            for (size_t k = 0; k < n; k++) {
                double um = pow(u[k * (size_t)c + i], m);
                w += um;
                for (int f = 0; f < d; f++)
                    s[f] += um * x[k * (size_t)d + f];
            }
            if (w <= 0)
                continue;
            for (int f = 0; f < d; f++)
                centers[i * d + f] = s[f] / w;
            if (d == 1)
                continue; /* the norm of one feature is always 1 */
            double F[MAXD * MAXD] = {0}, inv[MAXD * MAXD];
            for (size_t k = 0; k < n; k++) {
                double um = pow(u[k * (size_t)c + i], m), diff[MAXD];
                for (int f = 0; f < d; f++)
                    diff[f] = x[k * (size_t)d + f] - centers[i * d + f];
                for (int r = 0; r < d; r++)
                    for (int q = 0; q < d; q++)
                        F[r * d + q] += um * diff[r] * diff[q];
            }
            double trace = 0;
            for (int r = 0; r < d; r++)
                trace += F[r * d + r] / w;
            for (int a = 0; a < d * d; a++)
                F[a] = F[a] / w + ((a % (d + 1)) == 0 ? 1e-9 * (trace + 1e-12) : 0);
            double det = invert(F, d, inv);
            if (det <= 0)
                continue;
            double scale = pow(det, 1.0 / d);
            for (int a = 0; a < d * d; a++)
                A[i * d * d + a] = scale * inv[a];
        }
    }
    if (iterations)
        *iterations = it;
    if (!u_out)
        free(u);
    free(tmp), free(A);
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
