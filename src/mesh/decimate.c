/* decimate.c - quadric-error edge-collapse simplification (Garland and
 * Heckbert, SIGGRAPH 1997), in passes of independent collapses.
 *
 * Every vertex carries the sum of the area-weighted plane quadrics of its
 * triangles; collapsing edge (a, b) puts the merged vertex where the summed
 * quadric is smallest (or at a, b or the midpoint when that 3x3 system is
 * singular, as on flat patches).
 *
 * One heap updated after every collapse spent its time in cache misses and
 * re-queued entries (1.5 s for 0.75 M triangles), so the work goes in
 * passes instead. A pass builds the vertex-to-triangle lists, costs every
 * edge (on all cores), orders the edges by a counting sort on the top 16
 * bits of the float cost (about 1 % apart: finer order buys nothing), then
 * collapses the cheapest edges whose two ends no earlier collapse of the
 * same pass touched, up to a cost bound near the pass's share of the work,
 * so the order stays close to the one-at-a-time greedy order. A collapse
 * rewrites b's triangles to a in place and both ends then wait for the next
 * pass; so every untouched vertex's triangle list is still exact, and each
 * collapse is checked on the current surface as in the sequential method.
 *
 * A collapse is refused when
 *   - the edge does not have exactly two triangles, or a and b share a
 *     neighbour other than the two opposite vertices (the link condition:
 *     collapsing would pinch the surface into a non-manifold edge);
 *   - an opposite vertex would drop below valence 3 (a tetrahedron would
 *     fold flat);
 *   - a surviving triangle around a or b would flip or become degenerate.
 * With these, a closed 2-manifold stays closed and manifold.
 */
#include "mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PM__NKEY 32768u   /* top 16 bits of a non-negative float */
#define PM__LOCKED 1u
#define PM__TOUCHED 2u
#define PM__NPART 8       /* slabs collapsed in parallel */
#define PM__DEFER (-1)    /* pm__collapse: the edge reaches another slab */

typedef struct pm__dec {
    size_t nv, nf;      /* nf: triangles in f, compacted at each pass */
    double *q;          /* 10 per vertex: the symmetric 4x4 quadric */
    double *p;          /* 3 per vertex: the position, apart from the
                           quadrics, so the flip tests of a collapse read
                           8 neighbours from a few cache lines */
    uint32_t *f;
    uint8_t *dead;      /* per triangle of f, during a pass */
    uint8_t *refused;   /* per triangle of f: bit q set when edge slot q was
                           refused and nothing near it has changed since */
    uint8_t *locked;    /* per vertex: PM__LOCKED (an end of a collapse in
                           this pass) and/or PM__TOUCHED (its neighbourhood
                           changed); from the pass before while costing */
    uint32_t *deg;      /* live triangles around each vertex */
    uint32_t *rstart;   /* nv + 1: vertex v's triangles are ring[rstart[v]..] */
    uint32_t *ring;
    uint8_t *part;      /* per vertex: its slab in this pass */
    int nth;            /* threads collapsing (at most PM__NPART) */
    uint32_t *mark[PM__NPART], token[PM__NPART]; /* per thread */
    float *cost;        /* per directed edge slot 3t+q; < 0: not an edge to try */
    uint32_t *order;    /* edge slots by slab, then cost */
    uint32_t *hist;     /* 2 * PM__NKEY: all edges, then those not refused */
    /* this pass, per slab: its slots are order[ps[k]..ps[k+1]), the first
     * nb[k] under the cost bound; what the slab's task did */
    size_t ps[PM__NPART + 1], nb[PM__NPART], want[PM__NPART];
    size_t done[PM__NPART], ndefer[PM__NPART], stop[PM__NPART];
} pm__dec;

static double *pm__q(const pm__dec *d, size_t v) { return d->q + 10 * v; }
static double *pm__p(const pm__dec *d, size_t v) { return d->p + 3 * v; }

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
    for (uint32_t k = d->rstart[v]; k < d->rstart[v + 1]; k++) {
        uint32_t t = d->ring[k];
        if (d->dead[t])
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

/* Tries to collapse b into a with the marks of thread th: 1 when done, 0
 * when refused. Neither end may be locked. part >= 0: only when every
 * triangle around a and b lies in that slab (else PM__DEFER, before any
 * write), so slabs collapse side by side without sharing a triangle. */
static int pm__collapse(pm__dec *d, int th, int part, uint32_t a, uint32_t b)
{
    uint32_t *mark = d->mark[th];
    /* a's neighbours, and the edge's own triangles */
    uint32_t ta = ++d->token[th], shared[2], ns = 0;
    for (uint32_t k = d->rstart[a]; k < d->rstart[a + 1]; k++) {
        uint32_t t = d->ring[k];
        if (d->dead[t])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)t;
        for (int q = 0; q < 3; q++) {
            if (part >= 0 && d->part[f[q]] != part)
                return PM__DEFER;
            if (f[q] == b) {
                if (ns < 2)
                    shared[ns] = t;
                ns++;
            }
            mark[f[q]] = ta;
        }
    }
    if (ns != 2)
        return 0;
    uint32_t opp[2];
    for (int s = 0; s < 2; s++) {
        const uint32_t *f = d->f + 3 * (size_t)shared[s];
        opp[s] = f[0] != a && f[0] != b ? f[0] : f[1] != a && f[1] != b ? f[1] : f[2];
    }
    if (opp[0] == opp[1])
        return 0;
    if (d->deg[opp[0]] < 4 || d->deg[opp[1]] < 4 || d->deg[a] + d->deg[b] < 7)
        return 0;
    /* the link condition: a and b share exactly the two opposite vertices */
    uint32_t tb = ++d->token[th], common = 0;
    for (uint32_t k = d->rstart[b]; k < d->rstart[b + 1]; k++) {
        uint32_t t = d->ring[k];
        if (d->dead[t])
            continue;
        const uint32_t *f = d->f + 3 * (size_t)t;
        for (int q = 0; q < 3; q++) {
            uint32_t w = f[q];
            if (part >= 0 && d->part[w] != part)
                return PM__DEFER;
            if (w == b || w == a || mark[w] == tb)
                continue;
            common += mark[w] == ta;
            mark[w] = tb;
        }
    }
    if (common != 2)
        return 0;
    double x[3];
    pm__place(d, a, b, x);
    if (pm__flips(d, a, b, x) || pm__flips(d, b, a, x))
        return 0;
    d->dead[shared[0]] = d->dead[shared[1]] = 1;
    for (uint32_t k = d->rstart[b]; k < d->rstart[b + 1]; k++) {
        uint32_t t = d->ring[k];
        if (d->dead[t])
            continue;
        uint32_t *f = d->f + 3 * (size_t)t;
        for (int q = 0; q < 3; q++)
            if (f[q] == b)
                f[q] = a;
    }
    d->deg[a] = d->deg[a] + d->deg[b] - 4;
    d->deg[b] = 0;
    d->deg[opp[0]]--;
    d->deg[opp[1]]--;
    d->locked[opp[0]] |= PM__TOUCHED;
    d->locked[opp[1]] |= PM__TOUCHED;
    for (int i = 0; i < 10; i++)
        pm__q(d, a)[i] += pm__q(d, b)[i];
    memcpy(pm__p(d, a), x, sizeof x);
    d->locked[a] = d->locked[b] = PM__LOCKED | PM__TOUCHED;
    return 1;
}

static void pm__dec_free(pm__dec *d)
{
    free(d->q);
    free(d->p);
    free(d->f);
    free(d->dead);
    free(d->refused);
    free(d->locked);
    free(d->deg);
    free(d->rstart);
    free(d->ring);
    free(d->part);
    for (int i = 0; i < PM__NPART; i++)
        free(d->mark[i]);
    free(d->cost);
    free(d->order);
    free(d->hist);
}

/* Quadrics and positions; the faces without their degenerate ones. */
static int pm__dec_init(pm__dec *d, const pm_mesh *m)
{
    size_t nv = m->nv, nf = m->nf;
    d->nv = nv;
    d->q = pm_alloc_large((nv ? nv : 1) * 10 * sizeof(double), 1);
    d->p = pm_alloc_large((nv ? nv : 1) * 3 * sizeof(double), 0);
    d->f = pm_alloc_large(3 * nf * sizeof *d->f, 0);
    d->dead = calloc(nf, 1);
    d->refused = calloc(nf, 1);
    d->locked = calloc(nv ? nv : 1, 1);
    d->deg = calloc(nv ? nv : 1, sizeof *d->deg);
    d->rstart = calloc(nv + 1, sizeof *d->rstart);
    d->ring = pm_alloc_large(3 * nf * sizeof *d->ring, 0);
    d->part = calloc(nv ? nv : 1, 1);
    d->nth = pm_threads() < PM__NPART ? pm_threads() : PM__NPART;
    for (int i = 0; i < d->nth; i++)
        if (!(d->mark[i] = calloc(nv ? nv : 1, sizeof *d->mark[i])))
            return -1;
    d->cost = pm_alloc_large(3 * nf * sizeof *d->cost, 0);
    d->order = pm_alloc_large(3 * nf * sizeof *d->order, 0);
    d->hist = malloc(2 * PM__NKEY * sizeof *d->hist);
    if (!d->q || !d->p || !d->f || !d->dead || !d->refused || !d->locked || !d->deg || !d->rstart || !d->ring || !d->part
        || !d->cost || !d->order || !d->hist)
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
            double *dq = pm__q(d, f[q]);
            for (int i = 0; i < 10; i++)
                dq[i] += area * k[i];
        }
    }
    d->nf = n;
    return 0;
}

/* The vertex-to-triangle lists and valences of the current faces (a
 * counting sort: counts, running ends, then filled from the back). */
static void pm__rings(pm__dec *d)
{
    size_t nv = d->nv, n3 = 3 * d->nf;
    memset(d->deg, 0, nv * sizeof *d->deg);
    for (size_t i = 0; i < n3; i++)
        d->deg[d->f[i]]++;
    uint32_t run = 0;
    for (size_t v = 0; v < nv; v++) {
        run += d->deg[v];
        d->rstart[v] = run;
    }
    d->rstart[nv] = run;
    for (size_t i = n3; i-- > 0;)
        d->ring[--d->rstart[d->f[i]]] = (uint32_t)(i / 3);
}

typedef struct pm__costs {
    pm__dec *d;
    size_t block;
} pm__costs;

/* Each edge of a closed oriented surface runs a->b with a < b in exactly
 * one of its two triangles; other surfaces get a few duplicates, which the
 * checks make harmless. An edge's cost depends on its two ends only, so
 * only the edges with an end the last pass collapsed are costed again;
 * around the other vertices it touched only the refusals are forgotten. */
static void pm__cost_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__costs *c = ctx;
    pm__dec *d = c->d;
    size_t t0 = (size_t)task * c->block, t1 = t0 + c->block < d->nf ? t0 + c->block : d->nf;
    for (size_t t = t0; t < t1; t++) {
        const uint32_t *f = d->f + 3 * t;
        uint8_t l[3] = {d->locked[f[0]], d->locked[f[1]], d->locked[f[2]]};
        if (!(l[0] | l[1] | l[2]))
            continue;
        d->refused[t] = 0;
        if (!((l[0] | l[1] | l[2]) & PM__LOCKED))
            continue;
        for (int q = 0; q < 3; q++) {
            uint32_t a = f[q], b = f[q == 2 ? 0 : q + 1];
            if (!((l[q] | l[q == 2 ? 0 : q + 1]) & PM__LOCKED))
                continue;
            float e = -1;
            if (a < b) {
                double x[3], err = pm__place(d, a, b, x);
                e = (float)(err > 0 ? err : 0);
            }
            d->cost[3 * t + q] = e;
        }
    }
}

static uint32_t pm__key(float cost)
{
    uint32_t u;
    memcpy(&u, &cost, sizeof u);
    return (u >> 16) & (PM__NKEY - 1);
}

#define PM__NCLASS 8
#define PM__NBIN 4096

/* Cuts the surface into PM__NPART slabs across its longest side, of about
 * as many triangles each (a vertex's slab is where its position falls). */
static void pm__partition(pm__dec *d)
{
    double lo[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, hi[3] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    for (size_t v = 0; v < d->nv; v++)
        if (d->deg[v])
            for (int r = 0; r < 3; r++) {
                double c = pm__p(d, v)[r];
                lo[r] = c < lo[r] ? c : lo[r];
                hi[r] = c > hi[r] ? c : hi[r];
            }
    int ax = 0;
    for (int r = 1; r < 3; r++)
        if (hi[r] - lo[r] > hi[ax] - lo[ax])
            ax = r;
    double scale = hi[ax] > lo[ax] ? (PM__NBIN - 1) / (hi[ax] - lo[ax]) : 0;
    uint32_t *bin = d->hist; /* PM__NBIN weights, then each bin's slab */
    memset(bin, 0, PM__NBIN * sizeof *bin);
    for (size_t v = 0; v < d->nv; v++)
        if (d->deg[v])
            bin[(int)((pm__p(d, v)[ax] - lo[ax]) * scale)] += d->deg[v];
    uint64_t run = 0, total = 3 * (uint64_t)d->nf;
    for (int i = 0; i < PM__NBIN; i++) {
        uint32_t w = bin[i];
        bin[i] = (uint32_t)(run * PM__NPART / (total ? total : 1));
        run += w;
    }
    for (size_t v = 0; v < d->nv; v++)
        d->part[v] = d->deg[v] ? (uint8_t)bin[(int)((pm__p(d, v)[ax] - lo[ax]) * scale)] : 0;
}

/* Orders the edge slots for a pass that wants want collapses: by slab (an
 * edge's first end decides), then the edges up to the cost bound in
 * PM__NCLASS classes of rising cost, each class in memory order (so a pass
 * sweeps the surface instead of jumping around it: random order cost cache
 * misses on every collapse), then the rest. Fills d->ps, nb and want;
 * returns the edge count. */
static size_t pm__order_edges(pm__dec *d, size_t want)
{
    size_t n3 = 3 * d->nf;
    uint32_t *h = d->hist, *hok = d->hist + PM__NKEY;
    memset(h, 0, 2 * PM__NKEY * sizeof *h);
    for (size_t t = 0; t < d->nf; t++)
        for (int q = 0; q < 3; q++) {
            float c = d->cost[3 * t + q];
            if (c >= 0) {
                uint32_t key = pm__key(c);
                h[key]++;
                hok[key] += !(d->refused[t] >> q & 1);
            }
        }
    size_t n = 0, k = 0;
    for (uint32_t q = 0; q < PM__NKEY; q++)
        n += h[q];
    if (!n)
        return 0;
    /* Locked ends stop about half of the cheapest edges; a bound somewhat
     * above the want-th cost lets the pass do most of its share without
     * reaching for edges the sequential order would have left alone. The
     * edges refused last time (they stay refused unless their surroundings
     * change) do not count towards it: a band of only such edges made a
     * whole pass for one collapse, thousands of times on a body surface. */
    for (size_t run = 0; k < PM__NKEY - 1 && run + hok[k] <= want; k++)
        run += hok[k];
    uint32_t bits = (uint32_t)k << 16 | 0x8000u;
    float c;
    memcpy(&c, &bits, sizeof c);
    uint32_t kb = pm__key(1.5f * c);
    size_t nb = 0;
    for (uint32_t q = 0; q <= kb; q++)
        nb += h[q];
    /* each key's class (PM__NCLASS: beyond the bound) */
    size_t run = 0;
    for (uint32_t q = 0; q < PM__NKEY; q++) {
        uint32_t cl = q > kb ? PM__NCLASS : (uint32_t)(run * PM__NCLASS / nb);
        run += h[q];
        h[q] = cl;
    }
    size_t cnt[PM__NPART][PM__NCLASS + 1] = {{0}};
    for (size_t i = 0; i < n3; i++)
        if (d->cost[i] >= 0)
            cnt[d->part[d->f[i]]][h[pm__key(d->cost[i])]]++;
    size_t at = 0, nball = 0;
    for (int p = 0; p < PM__NPART; p++) {
        d->ps[p] = at;
        d->nb[p] = 0;
        for (int cl = 0; cl <= PM__NCLASS; cl++) {
            size_t c0 = cnt[p][cl];
            cnt[p][cl] = at;
            at += c0;
            if (cl < PM__NCLASS)
                d->nb[p] += c0;
        }
        nball += d->nb[p];
    }
    d->ps[PM__NPART] = at;
    for (size_t i = 0; i < n3; i++)
        if (d->cost[i] >= 0)
            d->order[cnt[d->part[d->f[i]]][h[pm__key(d->cost[i])]]++] = (uint32_t)i;
    /* each slab's share of the collapses (rounded down: the serial part
     * of the pass makes up the rest) */
    for (int p = 0; p < PM__NPART; p++)
        d->want[p] = nball ? (size_t)((double)want * (double)d->nb[p] / (double)nball) : 0;
    return n;
}

/* Tries the edge in slot s (slab part, or any when part < 0): 1 collapsed,
 * 0 not, PM__DEFER. */
static int pm__try(pm__dec *d, int th, int part, uint32_t s)
{
    uint32_t a = d->f[s], b = d->f[s % 3 == 2 ? s - 2 : s + 1];
    if (d->locked[a] & PM__LOCKED)
        return 0;
    if (part >= 0 && d->part[b] != part)
        return PM__DEFER;
    if (d->locked[b] & PM__LOCKED)
        return 0;
    int r = pm__collapse(d, th, part, a, b);
    if (r == 0)
        d->refused[s / 3] |= (uint8_t)(1u << s % 3);
    return r;
}

/* Slab `task`: its edges under the bound, cheapest first, up to its share;
 * the edges that reach another slab are kept at the head of its range. */
static void pm__slab(void *ctx, int task, int thread)
{
    pm__dec *d = ctx;
    size_t i = d->ps[task], end = i + d->nb[task], done = 0, nd = 0;
    for (; i < end && done < d->want[task]; i++) {
        uint32_t s = d->order[i];
        int r = pm__try(d, thread, task, s);
        if (r == PM__DEFER)
            d->order[d->ps[task] + nd++] = s;
        done += r == 1;
    }
    d->done[task] = done;
    d->ndefer[task] = nd;
    d->stop[task] = i;
}

/* One pass: collapses up to want edges, cheapest first; the number done,
 * -1 when cancelled. The slabs collapse in parallel; then one thread tries
 * the edges between slabs, the rest of the share, and when nothing at all
 * collapsed, edges beyond the bound until one does. A slab's collapses
 * never read what another slab's write, so the result does not depend on
 * the number of threads. */
static long pm__pass(pm__dec *d, size_t want, size_t *live)
{
    pm__rings(d);
    pm__costs c = {d, 16384};
    if (pm_parallel_for((int)((d->nf + c.block - 1) / c.block), 0, pm__cost_block, &c, NULL,
                        "decimation") != PM_OK)
        return -1;
    pm__partition(d);
    if (!pm__order_edges(d, want))
        return 0;
    memset(d->dead, 0, d->nf);
    memset(d->locked, 0, d->nv);
    if (pm_parallel_for(PM__NPART, d->nth, pm__slab, d, NULL, "decimation") != PM_OK)
        return -1;
    size_t done = 0;
    for (int p = 0; p < PM__NPART; p++)
        done += d->done[p];
    for (int p = 0; p < PM__NPART; p++)
        for (size_t i = 0; i < d->ndefer[p] && done < want; i++)
            done += pm__try(d, 0, -1, d->order[d->ps[p] + i]) == 1;
    for (int p = 0; p < PM__NPART; p++)
        for (size_t i = d->stop[p]; i < d->ps[p] + d->nb[p] && done < want; i++)
            done += pm__try(d, 0, -1, d->order[i]) == 1;
    for (int p = 0; p < PM__NPART && !done; p++)
        for (size_t i = d->ps[p] + d->nb[p]; i < d->ps[p + 1] && !done && want; i++)
            done += pm__try(d, 0, -1, d->order[i]) == 1;
    *live -= 2 * done;
    size_t w = 0;
    for (size_t t = 0; t < d->nf; t++)
        if (!d->dead[t]) {
            if (w != t) {
                memcpy(d->f + 3 * w, d->f + 3 * t, 3 * sizeof *d->f);
                memcpy(d->cost + 3 * w, d->cost + 3 * t, 3 * sizeof *d->cost);
                d->refused[w] = d->refused[t];
            }
            w++;
        }
    d->nf = w;
    return (long)done;
}

int pm_mesh_decimate(pm_mesh *m, size_t target, const pm_progress *p)
{
    if (!m)
        return pm_fail(PM_EUSAGE, "no mesh to decimate");
    if (m->nf <= target || m->nf == 0)
        return PM_OK;
    if (m->nv >= 0xffffffffu || 3 * m->nf >= 0xffffffffu)
        return pm_fail(PM_EMEMORY, "mesh too large to decimate");
    pm__dec d = {0};
    int rc = PM_OK;
    if (pm__dec_init(&d, m) != 0) {
        rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
        goto done;
    }
    size_t live = d.nf, start_live = live;
    while (live > target) {
        /* a collapse takes two triangles: end at target or one below */
        size_t before = live;
        long r = pm__pass(&d, (live - target + 1) / 2, &live);
        if (r < 0) {
            rc = pm_fail(PM_EMEMORY, "out of memory decimating a mesh");
            goto done;
        }
        /* On a surface that is not closed (a cropped or open mask) a pass
         * can collapse edges without removing a triangle: stop there
         * rather than loop. */
        if (r == 0 || live >= before)
            break;
        if (pm_progress_report(p, (double)(start_live - live) / (double)(start_live - target), "decimation")) {
            rc = pm_fail(PM_ECANCEL, "decimation cancelled");
            goto done;
        }
    }
    /* compact into m: renumber the vertices that live triangles use */
    uint32_t *remap = d.mark[0];
    for (size_t v = 0; v < d.nv; v++)
        remap[v] = 0xffffffffu;
    size_t nv = 0;
    for (size_t i = 0; i < 3 * d.nf; i++) {
        uint32_t v = d.f[i];
        if (remap[v] == 0xffffffffu) {
            remap[v] = (uint32_t)nv;
            for (int r = 0; r < 3; r++)
                m->v[3 * nv + r] = (float)pm__p(&d, v)[r];
            nv++;
        }
        m->f[i] = remap[v];
    }
    m->nv = nv;
    m->nf = d.nf;
    float *sv = realloc(m->v, (nv ? nv : 1) * 3 * sizeof *sv);
    uint32_t *sf = realloc(m->f, (d.nf ? d.nf : 1) * 3 * sizeof *sf);
    if (sv)
        m->v = sv;
    if (sf)
        m->f = sf;
    pm_progress_report(p, 1.0, "decimation");
done:
    pm__dec_free(&d);
    return rc;
}
