/* decimate.c - quadric-error edge-collapse simplification (Garland and
 * Heckbert, SIGGRAPH 1997).
 *
 * Every vertex carries the sum of the area-weighted plane quadrics of its
 * triangles; collapsing edge (a, b) puts the merged vertex where the summed
 * quadric is smallest (or at a, b or the midpoint when that 3x3 system is
 * singular, as on flat patches). Edges wait in a min-heap (the radix heap
 * of rheap.c) that is never updated in place: a collapse only bumps the stamps
 * of a and b and records b -> a; an entry popped with an end that moved or
 * merged since it was queued is re-costed and queued again (lazy updates,
 * so a region that changes many times costs one re-queue per pop instead of
 * one per change). Entries refused by the checks below leave the queue; when
 * it runs dry before the target, every edge is queued again.
 *
 * A collapse is refused when
 *   - the edge does not have exactly two triangles, or a and b share a
 *     neighbour other than the two opposite vertices (the link condition:
 *     collapsing would pinch the surface into a non-manifold edge);
 *   - an opposite vertex would drop below valence 3 (a tetrahedron would
 *     fold flat);
 *   - a surviving triangle around a or b would flip or become degenerate.
 * With these, a closed 2-manifold stays closed and manifold.
 *
 * Vertex-to-triangle lists live in one pool; a collapse appends the merged
 * list at the end instead of editing lists in place.
 */
#include "mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Together, because every popped entry reads both for both ends. */
typedef struct pm__vs {
    uint32_t parent;    /* b -> a once b collapsed into a */
    uint32_t stamp;     /* bumped whenever the vertex moves */
} pm__vs;

typedef struct pm__dec {
    size_t nv, nf;
    double *vq;         /* 16 per vertex, one 128-byte block: the symmetric
                           4x4 quadric (10), then the position (3), so a
                           cost evaluation touches two blocks */
    uint32_t *f;        /* working copy of the faces */
    uint8_t *fdead;
    pm__vs *vs;
    uint32_t *deg, *mark;
    uint32_t token;
    uint32_t *rstart, *rcount, *pool;
    size_t npool, cappool;
    pm__rheap heap;
    int failed;         /* out of memory */
    uint32_t *nbr;      /* scratch neighbour list */
    size_t capnbr;
} pm__dec;

static double *pm__q(const pm__dec *d, size_t v) { return d->vq + 16 * v; }
static double *pm__p(const pm__dec *d, size_t v) { return d->vq + 16 * v + 10; }

static double pm__qerr(const double *q, const double x[3])
{
    return q[0] * x[0] * x[0] + 2 * q[1] * x[0] * x[1] + 2 * q[2] * x[0] * x[2] + 2 * q[3] * x[0]
         + q[4] * x[1] * x[1] + 2 * q[5] * x[1] * x[2] + 2 * q[6] * x[1] + q[7] * x[2] * x[2]
         + 2 * q[8] * x[2] + q[9];
}

/* Best position for collapsing a and b, and its error. */
static double pm__place(const pm__dec *d, uint32_t a, uint32_t b, double x[3])
{
    double q[10];
    const double *qa = pm__q(d, a), *qb = pm__q(d, b);
    for (int i = 0; i < 10; i++)
        q[i] = qa[i] + qb[i];
    const double *pa = pm__p(d, a), *pb = pm__p(d, b);
    double det = q[0] * (q[4] * q[7] - q[5] * q[5]) - q[1] * (q[1] * q[7] - q[5] * q[2])
               + q[2] * (q[1] * q[5] - q[4] * q[2]);
    double scale = q[0] + q[4] + q[7];
    if (fabs(det) > 1e-9 * scale * scale * scale && scale > 0) {
        double r0 = -q[3], r1 = -q[6], r2 = -q[8];
        x[0] = (r0 * (q[4] * q[7] - q[5] * q[5]) - q[1] * (r1 * q[7] - q[5] * r2)
                + q[2] * (r1 * q[5] - q[4] * r2)) / det;
        x[1] = (q[0] * (r1 * q[7] - r2 * q[5]) - r0 * (q[1] * q[7] - q[5] * q[2])
                + q[2] * (q[1] * r2 - r1 * q[2])) / det;
        x[2] = (q[0] * (q[4] * r2 - q[5] * r1) - q[1] * (q[1] * r2 - r1 * q[2])
                + r0 * (q[1] * q[5] - q[4] * q[2])) / det;
        /* trust the optimum only near the edge; far away it is noise */
        double len2 = 0, off2 = 0;
        for (int r = 0; r < 3; r++) {
            double m = 0.5 * (pa[r] + pb[r]);
            len2 += (pa[r] - pb[r]) * (pa[r] - pb[r]);
            off2 += (x[r] - m) * (x[r] - m);
        }
        if (off2 <= 4 * len2)
            return pm__qerr(q, x);
    }
    double best = 0;
    for (int c = 0; c < 3; c++) {
        double y[3];
        for (int r = 0; r < 3; r++)
            y[r] = c == 0 ? pa[r] : c == 1 ? pb[r] : 0.5 * (pa[r] + pb[r]);
        double e = pm__qerr(q, y);
        if (c == 0 || e < best) {
            best = e;
            memcpy(x, y, sizeof y);
        }
    }
    return best;
}

static void pm__normal(const double *a, const double *b, const double *c, double n[3])
{
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
}

/* Would moving vertex v (one of a, b) to x flip or squash a triangle that
 * survives the collapse of (a, b)? */
static int pm__flips(const pm__dec *d, uint32_t v, uint32_t other, const double x[3])
{
    const uint32_t *r = d->pool + d->rstart[v];
    for (uint32_t k = 0; k < d->rcount[v]; k++) {
        uint32_t t = r[k];
        if (d->fdead[t])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)t;
        if (f[0] == other || f[1] == other || f[2] == other)
            continue;
        const double *c[3], *cn[3];
        for (int q = 0; q < 3; q++) {
            c[q] = pm__p(d, f[q]);
            cn[q] = f[q] == v ? x : c[q];
        }
        double n0[3], n1[3];
        pm__normal(c[0], c[1], c[2], n0);
        pm__normal(cn[0], cn[1], cn[2], n1);
        /* refuse a new normal more than ~78 degrees off (cos < 0.2) or a
         * squashed triangle; squared, to spare two square roots */
        double q0 = n0[0] * n0[0] + n0[1] * n0[1] + n0[2] * n0[2];
        double q1 = n1[0] * n1[0] + n1[1] * n1[1] + n1[2] * n1[2];
        double dot = n0[0] * n1[0] + n0[1] * n1[1] + n0[2] * n1[2];
        if (!(q1 > 1e-24 * q0 + 1e-60) || dot <= 0 || dot * dot < 0.04 * q0 * q1)
            return 1;
    }
    return 0;
}

static int pm__pool_reserve(pm__dec *d, size_t extra)
{
    if (d->npool + extra <= d->cappool)
        return 0;
    size_t c = d->cappool * 2 + extra;
    uint32_t *np = realloc(d->pool, c * sizeof *np);
    if (!np)
        return -1;
    d->pool = np;
    d->cappool = c;
    return 0;
}

/* Unique live neighbours of v into d->nbr (marked with token); count. */
static size_t pm__neighbours(pm__dec *d, uint32_t v, uint32_t token)
{
    size_t n = 0, need = 2 * (size_t)d->rcount[v] + 2;
    if (need > d->capnbr) {
        uint32_t *nb = realloc(d->nbr, 2 * need * sizeof *nb);
        if (!nb)
            return (size_t)-1;
        d->nbr = nb;
        d->capnbr = 2 * need;
    }
    const uint32_t *r = d->pool + d->rstart[v];
    for (uint32_t k = 0; k < d->rcount[v]; k++) {
        if (d->fdead[r[k]])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)r[k];
        for (int q = 0; q < 3; q++) {
            uint32_t w = f[q];
            if (w != v && d->mark[w] != token) {
                d->mark[w] = token;
                d->nbr[n++] = w;
            }
        }
    }
    return n;
}

/* Tries to collapse b into a at x; 1 when done. */
static int pm__collapse(pm__dec *d, uint32_t a, uint32_t b, const double x[3], size_t *live)
{
    uint32_t ta = ++d->token;
    if (pm__neighbours(d, a, ta) == (size_t)-1)
        return -1;
    if (d->mark[b] != ta)
        return 0;
    /* the edge's own triangles and the link condition */
    uint32_t opp[2], nshared = 0, common = 0;
    const uint32_t *rb = d->pool + d->rstart[b];
    for (uint32_t k = 0; k < d->rcount[b]; k++) {
        if (d->fdead[rb[k]])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)rb[k];
        if (f[0] == a || f[1] == a || f[2] == a) {
            if (nshared < 2)
                opp[nshared] = f[0] != a && f[0] != b ? f[0] : f[1] != a && f[1] != b ? f[1] : f[2];
            nshared++;
        }
    }
    if (nshared != 2 || opp[0] == opp[1])
        return 0;
    uint32_t tb = ++d->token;
    for (uint32_t k = 0; k < d->rcount[b]; k++) {
        if (d->fdead[rb[k]])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)rb[k];
        for (int q = 0; q < 3; q++) {
            uint32_t w = f[q];
            if (w == b || w == a || d->mark[w] == tb)
                continue;
            common += d->mark[w] == ta;
            d->mark[w] = tb;
        }
    }
    if (common != 2)
        return 0;
    if (d->deg[opp[0]] < 4 || d->deg[opp[1]] < 4 || d->deg[a] + d->deg[b] < 7)
        return 0;
    if (pm__flips(d, a, b, x) || pm__flips(d, b, a, x))
        return 0;
    if (pm__pool_reserve(d, (size_t)d->rcount[a] + d->rcount[b]) != 0)
        return -1;
    /* commit: kill the two shared triangles, move b's others onto a */
    size_t start = d->npool;
    rb = d->pool + d->rstart[b];
    const uint32_t *ra = d->pool + d->rstart[a];
    for (uint32_t k = 0; k < d->rcount[a]; k++)
        if (!d->fdead[ra[k]])
            d->pool[d->npool++] = ra[k];
    for (uint32_t k = 0; k < d->rcount[b]; k++) {
        uint32_t t = rb[k];
        if (d->fdead[t])
            continue;
        uint32_t *f = d->f + 3 * (size_t)t;
        if (f[0] == a || f[1] == a || f[2] == a) {
            d->fdead[t] = 1;
            (*live)--;
            continue;
        }
        for (int q = 0; q < 3; q++)
            if (f[q] == b)
                f[q] = a;
        d->pool[d->npool++] = t;
    }
    /* a's list still holds the two dead triangles: drop them */
    size_t w = start;
    for (size_t k = start; k < d->npool; k++)
        if (!d->fdead[d->pool[k]])
            d->pool[w++] = d->pool[k];
    d->npool = w;
    d->rstart[a] = (uint32_t)start;
    d->rcount[a] = (uint32_t)(w - start);
    d->deg[a] = d->deg[a] + d->deg[b] - 4;
    d->deg[opp[0]]--;
    d->deg[opp[1]]--;
    for (int i = 0; i < 10; i++)
        pm__q(d, a)[i] += pm__q(d, b)[i];
    memcpy(pm__p(d, a), x, 3 * sizeof(double));
    d->vs[a].stamp++;
    d->vs[b].stamp++;
    d->vs[b].parent = a;
    return 1;
}

static void pm__dec_free(pm__dec *d)
{
    free(d->vq);
    free(d->f);
    free(d->fdead);
    free(d->vs);
    free(d->deg);
    free(d->mark);
    free(d->rstart);
    free(d->rcount);
    free(d->pool);
    pm__rheap_free(&d->heap);
    free(d->nbr);
}

static int pm__dec_init(pm__dec *d, const pm_mesh *m)
{
    size_t nv = m->nv, nf = m->nf;
    d->nv = nv;
    d->nf = nf;
    d->vq = aligned_alloc(128, (nv ? nv : 1) * 16 * sizeof(double));
    d->f = malloc(3 * nf * sizeof *d->f);
    d->fdead = calloc(nf, 1);
    d->vs = calloc(nv ? nv : 1, sizeof *d->vs);
    d->deg = calloc(nv, sizeof *d->deg);
    d->mark = calloc(nv, sizeof *d->mark);
    d->rstart = calloc(nv + 1, sizeof *d->rstart);
    d->rcount = calloc(nv, sizeof *d->rcount);
    d->cappool = 6 * nf + 1024;
    d->pool = malloc(d->cappool * sizeof *d->pool);
    d->capnbr = 4096;
    d->nbr = malloc(d->capnbr * sizeof *d->nbr);
    if (!d->vq || !d->f || !d->fdead || !d->vs || !d->deg || !d->mark
        || !d->rstart || !d->rcount || !d->pool || !d->nbr)
        return -1;
    memset(d->vq, 0, nv * 16 * sizeof(double));
    for (size_t v = 0; v < nv; v++)
        for (int r = 0; r < 3; r++)
            pm__p(d, v)[r] = m->v[3 * v + r];
    for (size_t v = 0; v < nv; v++)
        d->vs[v].parent = (uint32_t)v;
    memcpy(d->f, m->f, 3 * nf * sizeof *d->f);
    for (size_t t = 0; t < nf; t++) {
        const uint32_t *f = d->f + 3 * t;
        if (f[0] == f[1] || f[1] == f[2] || f[0] == f[2]) {
            d->fdead[t] = 1;
            continue;
        }
        double n[3];
        pm__normal(pm__p(d, f[0]), pm__p(d, f[1]), pm__p(d, f[2]), n);
        double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        double area = 0.5 * l, pl[4] = {0, 0, 0, 0};
        if (l > 0) {
            for (int r = 0; r < 3; r++)
                pl[r] = n[r] / l;
            pl[3] = -(pl[0] * pm__p(d, f[0])[0] + pl[1] * pm__p(d, f[0])[1] + pl[2] * pm__p(d, f[0])[2]);
        }
        double k[10] = {pl[0] * pl[0], pl[0] * pl[1], pl[0] * pl[2], pl[0] * pl[3], pl[1] * pl[1],
                        pl[1] * pl[2], pl[1] * pl[3], pl[2] * pl[2], pl[2] * pl[3], pl[3] * pl[3]};
        for (int q = 0; q < 3; q++) {
            double *dq = pm__q(d, f[q]);
            for (int i = 0; i < 10; i++)
                dq[i] += area * k[i];
            d->rcount[f[q]]++;
            d->deg[f[q]]++;
        }
    }
    for (size_t v = 0; v < nv; v++)
        d->rstart[v + 1] = d->rstart[v] + d->rcount[v];
    for (size_t v = 0; v < nv; v++)
        d->rcount[v] = 0;
    for (size_t t = 0; t < nf; t++)
        if (!d->fdead[t])
            for (int q = 0; q < 3; q++) {
                uint32_t v = d->f[3 * t + q];
                d->pool[d->rstart[v] + d->rcount[v]++] = (uint32_t)t;
            }
    d->npool = d->rstart[nv];
    return 0;
}

static uint32_t pm__find(pm__dec *d, uint32_t v)
{
    uint32_t r = v;
    while (d->vs[r].parent != r)
        r = d->vs[r].parent;
    while (d->vs[v].parent != r) {
        uint32_t n = d->vs[v].parent;
        d->vs[v].parent = r;
        v = n;
    }
    return r;
}

typedef struct pm__costs {
    pm__dec *d;
    float *cost;        /* per directed edge slot 3t+q; < 0: not queued */
    size_t block;
} pm__costs;

static void pm__cost_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__costs *c = ctx;
    pm__dec *d = c->d;
    size_t t0 = (size_t)task * c->block, t1 = t0 + c->block < d->nf ? t0 + c->block : d->nf;
    for (size_t t = t0; t < t1; t++)
        for (int q = 0; q < 3; q++) {
            const uint32_t *f = d->f + 3 * t;
            double x[3];
            float e = -1;
            if (!d->fdead[t] && f[q] < f[(q + 1) % 3]) {
                double err = pm__place(d, f[q], f[(q + 1) % 3], x);
                e = (float)(err > 0 ? err : 0);
            }
            c->cost[3 * t + q] = e;
        }
}

/* Queues every edge of the live triangles, costed on all cores. On an
 * oriented closed surface each edge runs a->b with a < b in exactly one
 * triangle; other meshes get a few duplicates, which are harmless. */
static int pm__queue_all(pm__dec *d)
{
    d->heap.last = 0;
    pm__costs c = {d, malloc((d->nf ? 3 * d->nf : 1) * sizeof(float)), 16384};
    if (!c.cost || pm_parallel_for((int)((d->nf + c.block - 1) / c.block), 0, pm__cost_block, &c, NULL,
                                   "decimation") != PM_OK) {
        free(c.cost);
        d->failed = 1;
        return -1;
    }
    for (size_t t = 0; t < d->nf; t++)
        for (int q = 0; q < 3; q++) {
            if (c.cost[3 * t + q] < 0)
                continue;
            uint32_t a = d->f[3 * t + q], b = d->f[3 * t + (q + 1) % 3];
            pm__edge e = {c.cost[3 * t + q], a, b, d->vs[a].stamp + d->vs[b].stamp};
            if (pm__rheap_push(&d->heap, e) != 0) {
                free(c.cost);
                d->failed = 1;
                return -1;
            }
        }
    free(c.cost);
    return 0;
}

int pm_mesh_decimate(pm_mesh *m, size_t target, const pm_progress *p)
{
    if (!m)
        return pm_fail(PM_EUSAGE, "no mesh to decimate");
    if (m->nf <= target || m->nf == 0)
        return PM_OK;
    if (m->nv >= 0xffffffffu || 6 * m->nf >= 0xffffffffu)
        return pm_fail(PM_EMEMORY, "mesh too large to decimate");
    pm__dec d = {0};
    int rc = PM_OK;
    if (pm__dec_init(&d, m) != 0) {
        rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
        goto done;
    }
    size_t live = 0;
    for (size_t t = 0; t < d.nf; t++)
        live += !d.fdead[t];
    size_t start_live = live, pops = 0, since_build = 1;
    while (live > target) {
        if (!d.heap.n) {
            /* rejected edges leave the queue for good; once it runs dry,
             * queue every edge again, unless nothing collapsed since the
             * last time (then nothing can) */
            if (!since_build || pm__queue_all(&d) != 0)
                break;
            since_build = 0;
            continue;
        }
        pm__edge e;
        if (pm__rheap_pop(&d.heap, &e) != 0) {
            d.failed = 1;
            break;
        }
        uint32_t a = pm__find(&d, e.a), b = pm__find(&d, e.b);
        if (a == b)
            continue;
        double x[3];
        float cost = (float)pm__place(&d, a, b, x);
        if (a != e.a || b != e.b || d.vs[a].stamp + d.vs[b].stamp != e.stamp) {
            /* an end moved since this entry was queued: re-cost it, and
             * queue it again unless it is still the cheapest edge */
            pm__edge ne = {cost > 0 ? cost : 0, a, b, d.vs[a].stamp + d.vs[b].stamp};
            if (pm__rheap_key(ne.cost) > d.heap.last) {
                if (pm__rheap_push(&d.heap, ne) != 0) {
                    d.failed = 1;
                    break;
                }
                continue;
            }
        }
        int r = pm__collapse(&d, a, b, x, &live);
        if (r < 0) {
            d.failed = 1;
            break;
        }
        since_build += (size_t)r;
        if ((++pops & 8191) == 0
            && pm_progress_report(p, (double)(start_live - live) / (double)(start_live - target), "decimation")) {
            rc = pm_fail(PM_ECANCEL, "decimation cancelled");
            goto done;
        }
    }
    if (d.failed) {
        rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
        goto done;
    }
    /* compact into m: renumber the vertices that live triangles use */
    uint32_t *remap = d.mark;
    for (size_t v = 0; v < d.nv; v++)
        remap[v] = 0xffffffffu;
    size_t nv = 0, nf = 0;
    for (size_t t = 0; t < d.nf; t++) {
        if (d.fdead[t])
            continue;
        for (int q = 0; q < 3; q++) {
            uint32_t v = d.f[3 * t + q];
            if (remap[v] == 0xffffffffu) {
                remap[v] = (uint32_t)nv;
                for (int r = 0; r < 3; r++)
                    m->v[3 * nv + r] = (float)pm__p(&d, v)[r];
                nv++;
            }
            m->f[3 * nf + q] = remap[v];
        }
        nf++;
    }
    m->nv = nv;
    m->nf = nf;
    float *sv = realloc(m->v, (nv ? nv : 1) * 3 * sizeof *sv);
    uint32_t *sf = realloc(m->f, (nf ? nf : 1) * 3 * sizeof *sf);
    if (sv)
        m->v = sv;
    if (sf)
        m->f = sf;
    pm_progress_report(p, 1.0, "decimation");
done:
    pm__dec_free(&d);
    return rc;
}
