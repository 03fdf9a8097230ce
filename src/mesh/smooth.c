/* smooth.c - Taubin lambda/mu smoothing.
 *
 * Each pass moves every vertex towards the mean of its neighbours by lambda
 * (a Laplacian step, which shrinks) and then away by mu < -lambda (which
 * inflates): the pair is a low-pass filter that removes the voxel staircase
 * without the shrinkage of plain Laplacian smoothing (Taubin, SIGGRAPH
 * 1995). Neighbours come from a CSR adjacency built once; passes run on all
 * cores over vertex blocks, reading one buffer and writing the other, so the
 * result does not depend on the thread count.
 */
#include "mesh_internal.h"

#include <stdlib.h>
#include <string.h>

/* Positions as four floats (the fourth unused), so that a neighbour is one
 * 16-byte load and one vector add: the same additions, lane by lane, in the
 * same order as three scalar ones. */
typedef float pm__v4 __attribute__((vector_size(16)));

typedef struct pm__smooth {
    const uint32_t *start, *adj, *count;
    const pm__v4 *src;
    pm__v4 *dst;
    size_t nv, block;
    float step;
} pm__smooth;

static void pm__smooth_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__smooth *s = ctx;
    size_t v0 = (size_t)task * s->block, v1 = v0 + s->block < s->nv ? v0 + s->block : s->nv;
    for (size_t v = v0; v < v1; v++) {
        pm__v4 p = s->src[v];
        uint32_t a = s->start[v], b = a + s->count[v];
        if (a == b) {
            s->dst[v] = p;
            continue;
        }
        pm__v4 c = {0, 0, 0, 0};
        for (uint32_t k = a; k < b; k++)
            c += s->src[s->adj[k]];
        float inv = 1.0f / (float)(b - a);
        s->dst[v] = p + s->step * (c * inv - p);
    }
}

typedef struct pm__uniq {
    uint32_t *start, *adj, *count;
    size_t nv, block;
} pm__uniq;

/* Sorts each vertex's short list and drops repeats in place; its length
 * goes to count (the lists are not packed together). */
static void pm__uniq_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__uniq *u = ctx;
    size_t v0 = (size_t)task * u->block, v1 = v0 + u->block < u->nv ? v0 + u->block : u->nv;
    uint32_t *adj = u->adj;
    for (size_t v = v0; v < v1; v++) {
        uint32_t a = u->start[v], b = u->start[v + 1], out = a;
        for (uint32_t i = a + 1; i < b; i++) {
            uint32_t x = adj[i], j = i;
            while (j > a && adj[j - 1] > x) {
                adj[j] = adj[j - 1];
                j--;
            }
            adj[j] = x;
        }
        for (uint32_t i = a; i < b; i++)
            if (i == a || adj[i] != adj[i - 1])
                adj[out++] = adj[i];
        u->count[v] = out - a;
    }
}

/* Unique neighbours of every vertex: adj[start[v] .. start[v] + count[v]). */
static int pm__adjacency(const pm_mesh *m, uint32_t **start_out, uint32_t **adj_out, uint32_t **count_out)
{
    uint32_t *start = calloc(m->nv + 1, sizeof *start);
    uint32_t *adj = pm_alloc_large((m->nf ? 6 * m->nf : 1) * sizeof *adj, 0);
    uint32_t *fill = malloc((m->nv ? m->nv : 1) * sizeof *fill);
    if (!start || !adj || !fill) {
        free(start);
        free(adj);
        free(fill);
        return -1;
    }
    for (size_t t = 0; t < 3 * m->nf; t++)
        start[m->f[t] + 1] += 2;
    for (size_t v = 0; v < m->nv; v++)
        start[v + 1] += start[v];
    memcpy(fill, start, m->nv * sizeof *fill);
    for (size_t t = 0; t < m->nf; t++)
        for (int q = 0; q < 3; q++) {
            uint32_t a = m->f[3 * t + q], b = m->f[3 * t + (q + 1) % 3];
            adj[fill[a]++] = b;
            adj[fill[b]++] = a;
        }
    pm__uniq u = {start, adj, fill, m->nv, 16384};
    pm_parallel_for((int)((m->nv + u.block - 1) / u.block), 0, pm__uniq_block, &u, NULL, "smoothing");
    *start_out = start;
    *adj_out = adj;
    *count_out = fill;
    return 0;
}

int pm_mesh_smooth(pm_mesh *m, int iterations, double lambda, double mu, const pm_progress *p)
{
    if (!m || iterations < 0)
        return pm_fail(PM_EUSAGE, "bad smoothing parameters");
    if (lambda == 0) {
        lambda = 0.5;
        mu = -0.53;
    }
    if (!(lambda > 0 && lambda < 1 && mu < -lambda && mu > -1))
        return pm_fail(PM_EUSAGE, "Taubin smoothing needs 0 < lambda < -mu < 1 (got %g, %g)", lambda, mu);
    if (iterations == 0 || m->nv == 0)
        return PM_OK;
    uint32_t *start, *adj, *count;
    pm__v4 *a = pm_alloc_large(m->nv * sizeof *a, 0), *b = pm_alloc_large(m->nv * sizeof *b, 0);
    if (!a || !b || pm__adjacency(m, &start, &adj, &count) != 0) {
        free(a);
        free(b);
        return pm_fail(PM_EMEMORY, "out of memory smoothing a mesh");
    }
    for (size_t v = 0; v < m->nv; v++)
        a[v] = (pm__v4){m->v[3 * v], m->v[3 * v + 1], m->v[3 * v + 2], 0};
    pm__smooth s = {start, adj, count, a, b, m->nv, 16384, 0};
    int ntasks = (int)((m->nv + s.block - 1) / s.block), rc = PM_OK;
    for (int it = 0; it < iterations && rc == PM_OK; it++) {
        for (int half = 0; half < 2 && rc == PM_OK; half++) {
            s.step = (float)(half ? mu : lambda);
            rc = pm_parallel_for(ntasks, 0, pm__smooth_block, &s, NULL, "smoothing");
            pm__v4 *sw = (pm__v4 *)s.src;
            s.src = s.dst;
            s.dst = sw;
        }
        if (rc == PM_OK && pm_progress_report(p, (it + 1.0) / iterations, "smoothing"))
            rc = pm_fail(PM_ECANCEL, "smoothing cancelled");
    }
    /* after whole passes the result is in a; a cancel leaves m as it was */
    for (size_t v = 0; rc == PM_OK && v < m->nv; v++)
        for (int r = 0; r < 3; r++)
            m->v[3 * v + r] = a[v][r];
    free(a);
    free(b);
    free(start);
    free(adj);
    free(count);
    return rc;
}

int pm_mesh_refine(pm_mesh *m, int smooth, double ratio, size_t target, pm_mesh **smoothed,
                   double seconds[2], const pm_progress *p)
{
    double t = pm_now();
    int rc = smooth > 0 ? pm_mesh_smooth(m, smooth, 0, 0, p) : PM_OK;
    if (seconds)
        seconds[0] = pm_now() - t;
    if (rc != PM_OK)
        return rc;
    t = pm_now();
    if (!target && ratio > 0 && ratio < 1)
        target = (size_t)((double)m->nf * ratio + 0.5);
    int decimate = target && m->nf > target;
    /* The caller may re-decimate the smoothed surface to another target
     * without smoothing again. */
    if (smoothed && smooth > 0 && decimate && !(*smoothed = pm_mesh_clone(m)))
        return pm_fail(PM_EMEMORY, "out of memory copying the surface");
    if (decimate)
        rc = pm_mesh_decimate(m, target, p);
    if (seconds)
        seconds[1] = pm_now() - t;
    return rc;
}
