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

/* A vertex's neighbours are summed in a fixed run of PM__RUN loads, the
 * missing ones read as a zero vertex: with a loop of 3 to 9 rounds, its
 * exit was mispredicted at almost every vertex. Adding +0 leaves a sum
 * that started at +0 as it was, bit for bit. */
#define PM__RUN 8
/* keep[n][k]: all ones when a vertex of n neighbours has a k-th. Read
 * from memory, so that the compiler does not turn the selection back into
 * a branch per neighbour. */
static const uint32_t pm__keep[PM__RUN + 1][PM__RUN] = {
    {0}, {~0u}, {~0u, ~0u}, {~0u, ~0u, ~0u}, {~0u, ~0u, ~0u, ~0u}, {~0u, ~0u, ~0u, ~0u, ~0u},
    {~0u, ~0u, ~0u, ~0u, ~0u, ~0u}, {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u},
    {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u}};

typedef struct pm__smooth {
    const uint32_t *start, *adj;
    const pm__v4 *src;   /* nv + 1: the last is the zero vertex */
    pm__v4 *dst;
    size_t nv;
    float step;
} pm__smooth;

#define PM__BLOCK 16384   /* vertices per task */

static void pm__smooth_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__smooth *s = ctx;
    size_t v0 = (size_t)task * PM__BLOCK, v1 = v0 + PM__BLOCK < s->nv ? v0 + PM__BLOCK : s->nv;
    const uint32_t zero = (uint32_t)s->nv;
    for (size_t v = v0; v < v1; v++) {
        uint32_t a = s->start[v], n = s->start[v + 1] - a;
        const uint32_t *keep = pm__keep[n < PM__RUN ? n : PM__RUN];
        pm__v4 c = {0, 0, 0, 0}, p = s->src[v];
        for (uint32_t k = 0; k < PM__RUN; k++) {
            uint32_t w = s->adj[a + k];   /* the lists end in PM__RUN spare slots */
            c += s->src[(w & keep[k]) | (zero & ~keep[k])];
        }
        for (uint32_t k = PM__RUN; k < n; k++)
            c += s->src[s->adj[a + k]];
        float inv = 1.0f / (float)(n ? n : 1);
        s->dst[v] = n ? p + s->step * (c * inv - p) : p;
    }
}

/* Building the neighbour lists: the triangles' edges go into each end's
 * slots (2 per triangle around it), each list is sorted and its repeats
 * dropped, then the lists are packed together, so that a smoothing pass
 * reads half the bytes (the passes are bound by memory). */
typedef struct pm__adj {
    const pm_mesh *m;
    uint32_t *start;   /* nv + 1: slots, then where the next one goes */
    uint32_t *adj;     /* the slots */
    uint32_t *count;   /* per vertex: its unique neighbours */
    uint32_t *pstart;  /* nv + 1: the packed lists */
    uint32_t *packed;
    size_t nv;
    int nth, round;
} pm__adj;

/* Vertex range `task` of nth: each task reads every triangle and writes
 * for its own vertices only, first their slot counts, then their slots
 * (the order within a list goes when it is sorted). */
static void pm__adj_range(void *ctx, int task, int thread)
{
    (void)thread;
    pm__adj *j = ctx;
    const pm_mesh *m = j->m;
    uint32_t lo, hi;
    pm__vertex_range(j->nv, task, j->nth, &lo, &hi);
    for (size_t t = 0; t < m->nf; t++) {
        const uint32_t *f = m->f + 3 * t;
        for (int q = 0; q < 3; q++) {
            uint32_t a = f[q];
            if (a - lo >= hi - lo)
                continue;
            if (j->round == 0) {
                j->start[a + 1] += 2;
            } else {
                j->adj[j->start[a]++] = f[q == 2 ? 0 : q + 1];
                j->adj[j->start[a]++] = f[q == 0 ? 2 : q - 1];
            }
        }
    }
}

/* Vertex block `task`: first each list sorted and its repeats dropped in
 * place (the slots ended where the next list's begin), then copied to
 * its packed place. */
static void pm__adj_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__adj *j = ctx;
    size_t v0 = (size_t)task * PM__BLOCK, v1 = v0 + PM__BLOCK < j->nv ? v0 + PM__BLOCK : j->nv;
    uint32_t *adj = j->adj;
    for (size_t v = v0; v < v1; v++) {
        uint32_t a = v ? j->start[v - 1] : 0, b = j->start[v];
        if (j->round == 3) {
            memcpy(j->packed + j->pstart[v], adj + a, j->count[v] * sizeof *adj);
            continue;
        }
        uint32_t out = a;
        for (uint32_t i = a + 1; i < b; i++) {
            uint32_t x = adj[i], k = i;
            while (k > a && adj[k - 1] > x) {
                adj[k] = adj[k - 1];
                k--;
            }
            adj[k] = x;
        }
        for (uint32_t i = a; i < b; i++)
            if (i == a || adj[i] != adj[i - 1])
                adj[out++] = adj[i];
        j->count[v] = out - a;
    }
}

/* Unique neighbours of every vertex, sorted: adj[start[v] .. start[v + 1]),
 * then PM__RUN spare slots. */
static int pm__adjacency(const pm_mesh *m, uint32_t **start_out, uint32_t **adj_out)
{
    int nblk = (int)((m->nv + PM__BLOCK - 1) / PM__BLOCK);
    pm__adj j = {m, calloc(m->nv + 1, sizeof *j.start), pm_alloc_large((m->nf ? 6 * m->nf : 1) * sizeof *j.adj, 0),
                 malloc((m->nv ? m->nv : 1) * sizeof *j.count), malloc((m->nv + 1) * sizeof *j.pstart), NULL,
                 m->nv, pm_threads(), 0};
    int rc = j.start && j.adj && j.count && j.pstart ? 0 : -1;
    if (rc == 0) {
        pm_parallel_for(j.nth, j.nth, pm__adj_range, &j, NULL, "smoothing");
        for (size_t v = 0; v < m->nv; v++)
            j.start[v + 1] += j.start[v];
        j.round = 1;
        pm_parallel_for(j.nth, j.nth, pm__adj_range, &j, NULL, "smoothing");
        j.round = 2;
        pm_parallel_for(nblk, 0, pm__adj_block, &j, NULL, "smoothing");
        j.pstart[0] = 0;
        for (size_t v = 0; v < m->nv; v++)
            j.pstart[v + 1] = j.pstart[v] + j.count[v];
        rc = (j.packed = pm_alloc_large((j.pstart[m->nv] + PM__RUN) * sizeof *j.packed, 0)) ? 0 : -1;
        if (rc == 0)
            memset(j.packed + j.pstart[m->nv], 0, PM__RUN * sizeof *j.packed);
    }
    if (rc == 0) {
        j.round = 3;
        pm_parallel_for(nblk, 0, pm__adj_block, &j, NULL, "smoothing");
        *start_out = j.pstart;
        *adj_out = j.packed;
    } else {
        free(j.pstart);
    }
    free(j.start);
    free(j.adj);
    free(j.count);
    return rc;
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
    uint32_t *start, *adj;
    /* one more vertex, at the origin: see pm__step */
    pm__v4 *a = pm_alloc_large((m->nv + 1) * sizeof *a, 0), *b = pm_alloc_large((m->nv + 1) * sizeof *b, 0);
    if (!a || !b || pm__adjacency(m, &start, &adj) != 0) {
        free(a);
        free(b);
        return pm_fail(PM_EMEMORY, "out of memory smoothing a mesh");
    }
    for (size_t v = 0; v < m->nv; v++)
        a[v] = (pm__v4){m->v[3 * v], m->v[3 * v + 1], m->v[3 * v + 2], 0};
    a[m->nv] = b[m->nv] = (pm__v4){0, 0, 0, 0};
    pm__smooth s = {start, adj, a, b, m->nv, 0};
    int nblk = (int)((m->nv + PM__BLOCK - 1) / PM__BLOCK), rc = PM_OK;
    for (int it = 0; it < iterations && rc == PM_OK; it++) {
        for (int half = 0; half < 2 && rc == PM_OK; half++) {
            s.step = (float)(half ? mu : lambda);
            rc = pm_parallel_for(nblk, 0, pm__smooth_block, &s, NULL, "smoothing");
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
