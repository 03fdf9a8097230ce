/* decimate.c - quadric-error edge-collapse simplification (Garland and
 * Heckbert, SIGGRAPH 1997).
 *
 * Every vertex carries the sum of the area-weighted plane quadrics of its
 * triangles; collapsing edge (a, b) puts the merged vertex where the summed
 * quadric is smallest (or at a, b or the midpoint when that 3x3 system is
 * singular, as on flat patches). Edges wait in a binary min-heap that is
 * never updated in place: a collapse bumps the stamps of a and b and pushes
 * fresh entries for the merged vertex's edges, and popped entries whose
 * stamp sum no longer matches are stale and skipped.
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

typedef struct pm__edge {
    float cost;
    uint32_t a, b, stamp;
} pm__edge;

typedef struct pm__bucketv {
    pm__edge *e;
    size_t n, cap;
} pm__bucketv;

typedef struct pm__dec {
    size_t nv, nf;
    double *p;          /* 3 per vertex */
    double *q;          /* 10 per vertex: symmetric 4x4 quadric */
    uint32_t *f;        /* working copy of the faces */
    uint8_t *fdead, *vdead;
    uint32_t *stamp, *deg, *mark;
    uint32_t token;
    uint32_t *rstart, *rcount, *pool;
    size_t npool, cappool;
    pm__bucketv bk[33];
    size_t nheap;
    uint32_t last;
    uint32_t *nbr;      /* scratch neighbour list */
    size_t capnbr;
} pm__dec;

/* The queue is a radix heap over the costs' float bit patterns (for
 * non-negative floats, bit order is value order): a push appends to one of
 * 33 buckets chosen by the highest bit in which the key differs from the
 * last popped minimum, a pop empties the lowest non-empty bucket into lower
 * ones. Appends are sequential, so this is several times faster than a
 * binary heap of millions of entries. It needs keys >= the last minimum:
 * a collapse can make a neighbouring edge cheaper than that, and such an
 * edge is queued at the current minimum (collapsed next) instead. */
static uint32_t pm__key(float cost)
{
    uint32_t k;
    memcpy(&k, &cost, 4);
    return k;
}

static int pm__bucket(uint32_t k, uint32_t last)
{
    return k == last ? 0 : 32 - __builtin_clz(k ^ last);
}

static int pm__heap_push(pm__dec *d, pm__edge e)
{
    uint32_t k = pm__key(e.cost);
    if (k < d->last) {
        k = d->last;
        memcpy(&e.cost, &k, 4);
    }
    pm__bucketv *b = &d->bk[pm__bucket(k, d->last)];
    if (b->n == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 1024;
        pm__edge *ne = realloc(b->e, c * sizeof *ne);
        if (!ne)
            return -1;
        b->e = ne;
        b->cap = c;
    }
    b->e[b->n++] = e;
    d->nheap++;
    return 0;
}

/* Pops some entry of minimum key (the heap must not be empty); -1 when
 * out of memory. */
static int pm__heap_pop(pm__dec *d, pm__edge *out)
{
    int fail = 0;
    if (d->bk[0].n == 0) {
        int i = 1;
        while (d->bk[i].n == 0)
            i++;
        pm__bucketv *b = &d->bk[i];
        uint32_t mn = 0xffffffffu;
        for (size_t j = 0; j < b->n; j++) {
            uint32_t k = pm__key(b->e[j].cost);
            mn = k < mn ? k : mn;
        }
        d->last = mn;
        /* every entry moves to a lower bucket; bucket i keeps its storage
         * for later unless a lower bucket took it over */
        size_t n = b->n;
        pm__edge *src = b->e;
        size_t cap = b->cap;
        b->e = NULL;
        b->n = b->cap = 0;
        d->nheap -= n;
        for (size_t j = 0; j < n; j++)
            fail |= pm__heap_push(d, src[j]);
        if (!b->e) {
            b->e = src;
            b->cap = cap;
        } else {
            free(src);
        }
    }
    if (fail)
        return -1;
    d->nheap--;
    *out = d->bk[0].e[--d->bk[0].n];
    return 0;
}

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
    const double *qa = d->q + 10 * (size_t)a, *qb = d->q + 10 * (size_t)b;
    for (int i = 0; i < 10; i++)
        q[i] = qa[i] + qb[i];
    const double *pa = d->p + 3 * (size_t)a, *pb = d->p + 3 * (size_t)b;
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

static int pm__push_edge(pm__dec *d, uint32_t a, uint32_t b)
{
    double x[3];
    double e = pm__place(d, a, b, x);
    pm__edge ed = {(float)(e > 0 ? e : 0), a, b, d->stamp[a] + d->stamp[b]};
    return pm__heap_push(d, ed);
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
            c[q] = d->p + 3 * (size_t)f[q];
            cn[q] = f[q] == v ? x : c[q];
        }
        double n0[3], n1[3];
        pm__normal(c[0], c[1], c[2], n0);
        pm__normal(cn[0], cn[1], cn[2], n1);
        double l0 = sqrt(n0[0] * n0[0] + n0[1] * n0[1] + n0[2] * n0[2]);
        double l1 = sqrt(n1[0] * n1[0] + n1[1] * n1[1] + n1[2] * n1[2]);
        if (!(l1 > 1e-12 * (l0 + 1e-30)) || n0[0] * n1[0] + n0[1] * n1[1] + n0[2] * n1[2] < 0.2 * l0 * l1)
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
        d->q[10 * (size_t)a + i] += d->q[10 * (size_t)b + i];
    memcpy(d->p + 3 * (size_t)a, x, 3 * sizeof(double));
    d->vdead[b] = 1;
    d->stamp[a]++;
    d->stamp[b]++;
    size_t n = pm__neighbours(d, a, ++d->token);
    if (n == (size_t)-1)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (pm__push_edge(d, a, d->nbr[i]) != 0)
            return -1;
    return 1;
}

static void pm__dec_free(pm__dec *d)
{
    free(d->p);
    free(d->q);
    free(d->f);
    free(d->fdead);
    free(d->vdead);
    free(d->stamp);
    free(d->deg);
    free(d->mark);
    free(d->rstart);
    free(d->rcount);
    free(d->pool);
    for (int i = 0; i < 33; i++)
        free(d->bk[i].e);
    free(d->nbr);
}

static int pm__dec_init(pm__dec *d, const pm_mesh *m)
{
    size_t nv = m->nv, nf = m->nf;
    d->nv = nv;
    d->nf = nf;
    d->p = malloc(3 * nv * sizeof *d->p);
    d->q = calloc(10 * nv, sizeof *d->q);
    d->f = malloc(3 * nf * sizeof *d->f);
    d->fdead = calloc(nf, 1);
    d->vdead = calloc(nv, 1);
    d->stamp = calloc(nv, sizeof *d->stamp);
    d->deg = calloc(nv, sizeof *d->deg);
    d->mark = calloc(nv, sizeof *d->mark);
    d->rstart = calloc(nv + 1, sizeof *d->rstart);
    d->rcount = calloc(nv, sizeof *d->rcount);
    d->cappool = 6 * nf + 1024;
    d->pool = malloc(d->cappool * sizeof *d->pool);
    d->capnbr = 4096;
    d->nbr = malloc(d->capnbr * sizeof *d->nbr);
    if (!d->p || !d->q || !d->f || !d->fdead || !d->vdead || !d->stamp || !d->deg || !d->mark
        || !d->rstart || !d->rcount || !d->pool || !d->nbr)
        return -1;
    for (size_t i = 0; i < 3 * nv; i++)
        d->p[i] = m->v[i];
    memcpy(d->f, m->f, 3 * nf * sizeof *d->f);
    for (size_t t = 0; t < nf; t++) {
        const uint32_t *f = d->f + 3 * t;
        if (f[0] == f[1] || f[1] == f[2] || f[0] == f[2]) {
            d->fdead[t] = 1;
            continue;
        }
        double n[3];
        pm__normal(d->p + 3 * (size_t)f[0], d->p + 3 * (size_t)f[1], d->p + 3 * (size_t)f[2], n);
        double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        double area = 0.5 * l, pl[4] = {0, 0, 0, 0};
        if (l > 0) {
            for (int r = 0; r < 3; r++)
                pl[r] = n[r] / l;
            pl[3] = -(pl[0] * d->p[3 * f[0]] + pl[1] * d->p[3 * f[0] + 1] + pl[2] * d->p[3 * f[0] + 2]);
        }
        double k[10] = {pl[0] * pl[0], pl[0] * pl[1], pl[0] * pl[2], pl[0] * pl[3], pl[1] * pl[1],
                        pl[1] * pl[2], pl[1] * pl[3], pl[2] * pl[2], pl[2] * pl[3], pl[3] * pl[3]};
        for (int q = 0; q < 3; q++) {
            double *dq = d->q + 10 * (size_t)f[q];
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
    for (size_t t = 0; t < d.nf; t++) {
        if (d.fdead[t])
            continue;
        live++;
        const uint32_t *f = d.f + 3 * t;
        for (int q = 0; q < 3; q++) {
            uint32_t a = f[q], b = f[(q + 1) % 3];
            /* on an oriented closed surface each edge runs a->b once with
             * a < b; meshes that are not get a few duplicates, which the
             * stamps make harmless */
            if (a < b && pm__push_edge(&d, a, b) != 0) {
                rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
                goto done;
            }
        }
    }
    size_t start_live = live, pops = 0;
    while (live > target && d.nheap) {
        pm__edge e;
        if (pm__heap_pop(&d, &e) != 0) {
            rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
            goto done;
        }
        if (d.vdead[e.a] || d.vdead[e.b] || d.stamp[e.a] + d.stamp[e.b] != e.stamp)
            continue;
        double x[3];
        pm__place(&d, e.a, e.b, x);
        if (pm__collapse(&d, e.a, e.b, x, &live) < 0) {
            rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
            goto done;
        }
        if ((++pops & 8191) == 0
            && pm_progress_report(p, (double)(start_live - live) / (double)(start_live - target), "decimation")) {
            rc = pm_fail(PM_ECANCEL, "decimation cancelled");
            goto done;
        }
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
                    m->v[3 * nv + r] = (float)d.p[3 * (size_t)v + r];
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
