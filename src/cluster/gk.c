/* gk.c - Gustafson-Kessel fuzzy clustering of weighted points.
 *
 * Each iteration computes the centres and fuzzy covariances from the
 * memberships, then new memberships from the distances in each cluster's
 * norm; it stops when no membership moved by eps or more. Covariances get a
 * tiny ridge so that a cluster collapsing onto one value cannot make F
 * singular. Sums run over the points in order, on one thread, so a run is
 * reproducible bit for bit.
 */
#include "pulmo/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D PM_GK_MAXD

void pm_gk_defaults(pm_gk_opts *o)
{
    o->c = 4;
    o->m = 2.0;
    o->maxit = 100;
    o->eps = 1e-6;
    o->seed = 0;
}

/* Inverse and determinant of a d x d matrix (Gauss-Jordan, partial
 * pivoting); 0 when singular. */
static double invert(const double *a, int d, double *inv)
{
    double m[D][2 * D];
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

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct gk_ctx {
    const float *x;
    const double *w;
    size_t n;
    int d, c;
    double m;
} gk_ctx;

static double um_of(const gk_ctx *g, float u)
{
    return g->m == 2.0 ? (double)u * u : pow(u, g->m);
}

/* Centres, covariances, sizes and norms A from the memberships. */
static void update_centres(const gk_ctx *g, const float *u, pm_gk_result *r, double *A)
{
    int d = g->d, c = g->c;
    for (int i = 0; i < c; i++) {
        double sw = 0, s[D] = {0};
        for (size_t k = 0; k < g->n; k++) {
            double um = um_of(g, u[k * (size_t)c + i]) * (g->w ? g->w[k] : 1.0);
            sw += um;
            for (int f = 0; f < d; f++)
                s[f] += um * g->x[k * (size_t)d + f];
        }
        double wsum = 0;
        for (size_t k = 0; k < g->n; k++)
            wsum += u[k * (size_t)c + i] * (g->w ? g->w[k] : 1.0);
        r->weight[i] = wsum;
        if (sw <= 0)
            continue; /* an empty cluster keeps its centre */
        for (int f = 0; f < d; f++)
            r->center[i][f] = s[f] / sw;
        double F[D * D] = {0};
        for (size_t k = 0; k < g->n; k++) {
            double um = um_of(g, u[k * (size_t)c + i]) * (g->w ? g->w[k] : 1.0), diff[D];
            for (int f = 0; f < d; f++)
                diff[f] = g->x[k * (size_t)d + f] - r->center[i][f];
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    F[a * d + b] += um * diff[a] * diff[b];
        }
        double trace = 0;
        for (int a = 0; a < d; a++)
            trace += F[a * d + a] / sw;
        for (int a = 0; a < d * d; a++) {
            F[a] = F[a] / sw + ((a % (d + 1)) == 0 ? 1e-9 * (trace + 1e-12) : 0);
            r->cov[i][a] = F[a];
        }
        if (d == 1)
            continue; /* the norm of one feature is always 1 */
        double inv[D * D], det = invert(F, d, inv);
        if (det <= 0)
            continue;
        double scale = pow(det, 1.0 / d);
        for (int a = 0; a < d * d; a++)
            A[i * d * d + a] = scale * inv[a];
    }
}

/* New memberships; returns the largest change, per cluster in chg. */
static double update_memberships(const gk_ctx *g, const pm_gk_result *r, const double *A, float *u,
                                 double *chg)
{
    int d = g->d, c = g->c;
    double ex = 1.0 / (g->m - 1.0), big = 0;
    for (int i = 0; i < c; i++)
        chg[i] = 0;
    for (size_t k = 0; k < g->n; k++) {
        const float *xk = g->x + k * (size_t)d;
        double dist[PM_GK_MAX], t[PM_GK_MAX], sum = 0;
        int zero = -1;
        for (int i = 0; i < c; i++) {
            double diff[D], s = 0;
            for (int f = 0; f < d; f++)
                diff[f] = xk[f] - r->center[i][f];
            if (d == 1) {
                s = diff[0] * diff[0];
            } else {
                for (int a = 0; a < d; a++)
                    for (int b = 0; b < d; b++)
                        s += diff[a] * A[i * d * d + a * d + b] * diff[b];
            }
            dist[i] = s > 0 ? s : 0;
            if (dist[i] == 0 && zero < 0)
                zero = i;
        }
        if (zero < 0)
            for (int i = 0; i < c; i++) {
                t[i] = ex == 1.0 ? 1.0 / dist[i] : pow(dist[i], -ex);
                sum += t[i];
            }
        for (int i = 0; i < c; i++) {
            float v = (float)(zero >= 0 ? (i == zero) : t[i] / sum);
            float *ui = &u[k * (size_t)c + i];
            double e = fabs((double)v - *ui);
            if (e > chg[i])
                chg[i] = e;
            *ui = v;
        }
    }
    for (int i = 0; i < c; i++)
        if (chg[i] > big)
            big = chg[i];
    return big;
}

typedef struct sort_ctx {
    const float *x;
    int d;
} sort_ctx;

static int cmp_idx(const void *a, const void *b, void *ctx)
{
    const sort_ctx *s = ctx;
    float p = s->x[*(const size_t *)a * (size_t)s->d], q = s->x[*(const size_t *)b * (size_t)s->d];
    if (p != q)
        return (p > q) - (p < q);
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* Centres at weighted quantiles of feature 0, the weighted mean elsewhere. */
static int quantile_start(const gk_ctx *g, pm_gk_result *r)
{
    size_t *idx = malloc(g->n * sizeof *idx);
    if (!idx)
        return PM_EMEMORY;
    sort_ctx s = {g->x, g->d};
    double total = 0, mean[D] = {0};
    for (size_t k = 0; k < g->n; k++) {
        idx[k] = k;
        double w = g->w ? g->w[k] : 1.0;
        total += w;
        for (int f = 0; f < g->d; f++)
            mean[f] += w * g->x[k * (size_t)g->d + f];
    }
    qsort_r(idx, g->n, sizeof *idx, cmp_idx, &s);
    double acc = 0;
    size_t k = 0;
    for (int i = 0; i < g->c; i++) {
        double q = (i + 0.5) / g->c * total;
        while (k + 1 < g->n && acc + (g->w ? g->w[idx[k]] : 1.0) <= q) {
            acc += g->w ? g->w[idx[k]] : 1.0;
            k++;
        }
        r->center[i][0] = g->x[idx[k] * (size_t)g->d];
        for (int f = 1; f < g->d; f++)
            r->center[i][f] = mean[f] / total;
    }
    free(idx);
    return PM_OK;
}

int pm_gk_run(const float *x, const double *w, size_t n, int d, const pm_gk_opts *o,
              pm_gk_result *out, float *u_out)
{
    int c = o->c;
    size_t npos = 0;
    for (size_t k = 0; k < n; k++)
        npos += !w || w[k] > 0;
    if (d < 1 || d > D || c < 2 || c > PM_GK_MAX || !(o->m > 1) || o->maxit < 1 || npos < (size_t)c)
        return pm_fail(PM_EUSAGE, "clustering needs 1..%d features, 2..%d clusters, m > 1 and at "
                       "least as many points as clusters", D, PM_GK_MAX);
    float *u = u_out ? u_out : malloc(n * (size_t)c * sizeof *u);
    double *A = malloc((size_t)c * d * d * sizeof *A);
    pm_gk_result *r = calloc(1, sizeof *r);
    gk_ctx g = {x, w, n, d, c, o->m};
    int rc = u && A && r ? PM_OK : PM_EMEMORY;
    if (rc == PM_OK) {
        r->c = c;
        r->d = d;
        for (int i = 0; i < c; i++)
            for (int a = 0; a < d * d; a++)
                A[i * d * d + a] = (a % (d + 1)) == 0; /* plain c-means until a covariance exists */
        if (o->seed) {
            uint64_t s = o->seed;
            for (size_t k = 0; k < n; k++) {
                double sum = 0;
                for (int i = 0; i < c; i++)
                    sum += u[k * (size_t)c + i] = (float)((splitmix(&s) >> 11) * 0x1p-53 + 1e-3);
                for (int i = 0; i < c; i++)
                    u[k * (size_t)c + i] = (float)(u[k * (size_t)c + i] / sum);
            }
        } else {
            /* The first pass measures its change against these: defined,
             * though that change is not used to stop. */
            memset(u, 0, n * (size_t)c * sizeof *u);
            rc = quantile_start(&g, r);
        }
    }
    if (rc != PM_OK) {
        if (!u_out)
            free(u);
        free(A), free(r);
        return pm_fail(PM_EMEMORY, "out of memory for clustering");
    }
    int have_u = o->seed != 0, it;
    double change = HUGE_VAL;
    for (it = 0; it < o->maxit && change >= o->eps; it++) {
        if (have_u)
            update_centres(&g, u, r, A);
        double ch = update_memberships(&g, r, A, u, r->change);
        change = have_u ? ch : HUGE_VAL;
        have_u = 1;
    }
    /* Report the centres and covariances of the final memberships. */
    update_centres(&g, u, r, A);
    r->iterations = it;
    r->final_change = isfinite(change) ? change : 1.0;
    if (!isfinite(change))
        for (int i = 0; i < c; i++)
            r->change[i] = 1.0;
    *out = *r;
    if (!u_out)
        free(u);
    free(A), free(r);
    return PM_OK;
}
