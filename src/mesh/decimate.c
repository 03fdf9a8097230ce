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
 * passes instead. A pass costs the edges the last pass changed (on all
 * cores), orders the edges cheapest first (decimate_order.c), then
 * collapses the cheapest edges whose two ends no earlier collapse of the
 * same pass touched, up to a cost bound near the pass's share of the work,
 * so the order stays close to the one-at-a-time greedy order, and drops
 * the dead triangles, rebuilding the vertex-to-triangle lists. A collapse
 * rewrites b's triangles to a in place and both ends then wait for the
 * next pass; so every untouched vertex's triangle list is still exact,
 * and each collapse is checked on the current surface as in the
 * sequential method.
 *
 * The collapses of a pass run on all cores: the vertices are cut into
 * slabs, and a slab collapses only edges whose triangles around both ends
 * lie wholly in it, so no two threads ever read or write the same triangle
 * or vertex. The edges near a slab's border go, second, to slabs shifted
 * by half a slab, and what is left after that to one thread. Slabs do not
 * depend on the number of threads, nor does the result.
 *
 * A collapse is refused when
 *   - the edge does not have exactly two triangles, or a and b share a
 *     neighbour other than the two opposite vertices (the link condition:
 *     collapsing would pinch the surface into a non-manifold edge);
 *   - an opposite vertex would drop below valence 3 (a tetrahedron would
 *     fold flat);
 *   - a surviving triangle around a or b would flip or become degenerate;
 *   - a or b has more than PM__FAN (32) triangles (a local copy of each
 *     end's fan; not once on the LIDC lung and -300 HU body surfaces down
 *     to 10 % and 100k triangles, where valences stay near 6).
 * With these, a closed 2-manifold stays closed and manifold.
 */
#include "decimate_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

#define PM__FAN 32   /* live triangles around one end that a collapse may have */

/* The live triangles around v (id, then its three vertices), read once for
 * all the checks of a collapse. -1 when one has a vertex outside slab part
 * (part >= 0), -2 when there are more than PM__FAN. A triangle is dead once
 * a collapse made it degenerate (two equal vertices). */
static int pm__fan(const pm__dec *d, uint32_t v, int part, uint32_t fan[][4])
{
    int n = 0;
    for (uint32_t k = d->rstart[v]; k < d->rstart[v + 1]; k++) {
        uint32_t t = d->ring[k];
        const uint32_t *f = d->f + 3 * (size_t)t;
        if (f[0] == f[1] || f[1] == f[2] || f[0] == f[2])
            continue;
        if (part >= 0 && (d->part[f[0]] != part || d->part[f[1]] != part || d->part[f[2]] != part))
            return -1;
        /* past the limit, only the slabs are still checked: a refusal
         * writes to the triangle's flags, which must be this slab's */
        if (n < PM__FAN) {
            fan[n][0] = t;
            memcpy(fan[n] + 1, f, 3 * sizeof *f);
        }
        n++;
    }
    return n > PM__FAN ? -2 : n;
}

/* Would moving v to x flip or squash a triangle of its fan that survives
 * the collapse of its edge with other? */
static int pm__flips(const pm__dec *d, uint32_t v, uint32_t other, const double x[3], uint32_t fan[][4], int n)
{
    for (int i = 0; i < n; i++) {
        const uint32_t *f = fan[i] + 1;
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

/* Tries to collapse b into a: 1 when done, 0 when refused. Neither end may
 * be locked. part >= 0: only when every triangle around a and b lies in
 * that slab (else PM__DEFER, before any write), so slabs collapse side by
 * side without sharing a triangle. A vertex of more than PM__FAN triangles
 * is not collapsed (it would only grow). */
static int pm__collapse(pm__dec *d, int part, int thread, uint32_t a, uint32_t b)
{
    uint32_t fa[PM__FAN][4], fb[PM__FAN][4];
    int na = pm__fan(d, a, part, fa), nb = na < 0 ? na : pm__fan(d, b, part, fb);
    if (na == -1 || nb == -1)
        return PM__DEFER;
    if (na < 0 || nb < 0)
        return 0;
    /* the edge's own triangles, and their vertices opposite the edge */
    uint32_t opp[2], ns = 0;
    for (int i = 0; i < na; i++) {
        const uint32_t *f = fa[i] + 1;
        if (f[0] != b && f[1] != b && f[2] != b)
            continue;
        if (ns < 2)
            opp[ns] = f[0] != a && f[0] != b ? f[0] : f[1] != a && f[1] != b ? f[1] : f[2];
        ns++;
    }
    if (ns != 2 || opp[0] == opp[1])
        return 0;
    if (d->deg[opp[0]] < 4 || d->deg[opp[1]] < 4 || d->deg[a] + d->deg[b] < 7)
        return 0;
    /* The link condition: a and b share exactly the two opposite vertices.
     * The vertices around a get this try's stamp (a and b not), and those
     * around b that bear it are counted, each once: it moves on when
     * counted. Lists of the distinct vertices, searched for each vertex,
     * were half of the collapse's samples. Every vertex stamped lies in
     * this slab, so no other thread touches it now; a thread's stamps are
     * its own (even numbers 2 nth apart, from 2 thread), so none left by
     * another thread is ever taken for this try's. */
    uint64_t *st = d->stamp, s = d->stamp_next[thread] += 2 * (uint64_t)d->nth;
    uint32_t common = 0;
    for (int i = 0; i < na; i++)
        for (int q = 1; q < 4; q++)
            st[fa[i][q]] = s;
    st[a] = st[b] = s - 1;
    for (int i = 0; i < nb; i++)
        for (int q = 1; q < 4; q++) {
            uint32_t w = fb[i][q], hit = st[w] == s;
            common += hit;
            st[w] = hit ? s + 1 : st[w];
        }
    if (common != 2)
        return 0;
    double x[3];
    pm__place(d, a, b, x);
    if (pm__flips(d, a, b, x, fa, na) || pm__flips(d, b, a, x, fb, nb))
        return 0;
    /* b's triangles become a's; the edge's two become degenerate (dead) */
    for (int i = 0; i < nb; i++) {
        uint32_t *f = d->f + 3 * (size_t)fb[i][0];
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
    pm__costs *c = ctx;
    pm__dec *d = c->d;
    uint32_t *h = d->hist + (size_t)thread * 2 * PM__NKEY;
    size_t t0 = (size_t)task * c->block, t1 = t0 + c->block < d->nf ? t0 + c->block : d->nf;
    for (size_t t = t0; t < t1; t++) {
        const uint32_t *f = d->f + 3 * t;
        /* The quadrics are the costing's cache misses (80 bytes a vertex,
         * megabytes apart): ask for those of the triangle 8 ahead. */
        if (t + 8 < t1)
            for (int q = 0; q < 3; q++) {
                const double *qv = pm__q(d, f[24 + q]);
                __builtin_prefetch(qv);
                __builtin_prefetch(qv + 9);
            }
        uint8_t l[3] = {d->locked[f[0]], d->locked[f[1]], d->locked[f[2]]};
        if (l[0] | l[1] | l[2])
            d->refused[t] = 0;
        for (int q = 0; (l[0] | l[1] | l[2]) & PM__LOCKED && q < 3; q++) {
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
        pm__hist_tri(d, h, t);
    }
}

/* Tries the edge in slot s (slab part, or any when part < 0): 1 collapsed,
 * 0 not, PM__DEFER. */
static int pm__try(pm__dec *d, int part, int thread, uint32_t s)
{
    uint32_t a = d->f[s], b = d->f[s % 3 == 2 ? s - 2 : s + 1];
    if (a == b || d->locked[a] & PM__LOCKED)
        return 0;
    if (part >= 0 && d->part[b] != part)
        return PM__DEFER;
    if (d->locked[b] & PM__LOCKED)
        return 0;
    int r = pm__collapse(d, part, thread, a, b);
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
        /* The ends' quadrics and triangle lists, a few edges ahead: the
         * collapses wait on those cache misses otherwise (-20 % time). */
        if (i + 6 < end) {
            uint32_t s6 = d->order[i + 6], a6 = d->f[s6], b6 = d->f[s6 % 3 == 2 ? s6 - 2 : s6 + 1];
            __builtin_prefetch(d->rstart + a6);
            __builtin_prefetch(d->rstart + b6);
            __builtin_prefetch(pm__q(d, a6));
            __builtin_prefetch(pm__q(d, a6) + 9);
            __builtin_prefetch(pm__q(d, b6));
            __builtin_prefetch(pm__q(d, b6) + 9);
        }
        int r = pm__try(d, task, thread, s);
        if (r == PM__DEFER)
            d->order[d->ps[task] + nd++] = s;
        done += r == 1;
    }
    d->done[task] = done;
    d->ndefer[task] = nd;
    d->stop[task] = i;
}

/* The edges slab `task` left to its neighbours, on slabs shifted by half
 * a slab, whose middles are the first slabs' borders. */
static void pm__border(void *ctx, int task, int thread)
{
    pm__dec *d = ctx;
    uint32_t *e = d->r2 + d->r2s[task];
    size_t n = d->r2s[task + 1] - d->r2s[task], done = 0, nd = 0, i = 0;
    for (; i < n && done < d->r2want[task]; i++) {
        int r = pm__try(d, task, thread, e[i]);
        if (r == PM__DEFER)
            e[nd++] = e[i];
        done += r == 1;
    }
    while (i < n)
        e[nd++] = e[i++];
    d->r2done[task] = done;
    d->r2n[task] = nd;
}

/* Hands the first round's deferred edges to the shifted slabs (their
 * ends as they are now); the new slab count, or -1 when out of memory. */
static int pm__borders(pm__dec *d, size_t left)
{
    size_t nd = 0, cnt[PM__NPART + 2] = {0};
    for (int p = 0; p < PM__NPART; p++)
        nd += d->ndefer[p];
    free(d->r2);
    if (!(d->r2 = malloc((nd ? nd : 1) * sizeof *d->r2)))
        return -1;
    pm__partition(d, 1);
    for (int p = 0; p < PM__NPART; p++)
        for (size_t i = 0; i < d->ndefer[p]; i++)
            cnt[d->part[d->f[d->order[d->ps[p] + i]]] + 1]++;
    for (int k = 0; k <= PM__NPART; k++)
        cnt[k + 1] += cnt[k];
    memcpy(d->r2s, cnt, sizeof d->r2s);
    for (int p = 0; p < PM__NPART; p++)
        for (size_t i = 0; i < d->ndefer[p]; i++) {
            uint32_t s = d->order[d->ps[p] + i];
            d->r2[cnt[d->part[d->f[s]]]++] = s;
        }
    for (int k = 0; k <= PM__NPART; k++)
        d->r2want[k] = nd ? (size_t)((double)left * (double)(d->r2s[k + 1] - d->r2s[k]) / (double)nd) : 0;
    return PM__NPART + 1;
}

/* One pass: collapses up to want edges, cheapest first; the number done,
 * -1 when out of memory. The slabs collapse in parallel, then the edges
 * between them on shifted slabs; then one thread tries what is still left
 * between slabs, the rest of the share, and when nothing at all collapsed,
 * edges beyond the bound until one does. A slab's collapses never read
 * what another slab's write, so the result does not depend on the number
 * of threads. */
static long pm__pass(pm__dec *d, size_t want, size_t *live)
{
    pm__costs c = {d, 16384};
    memset(d->hist, 0, (size_t)d->nth * 2 * PM__NKEY * sizeof *d->hist);
    if (pm_parallel_for((int)((d->nf + c.block - 1) / c.block), d->nth, pm__cost_block, &c, NULL,
                        "decimation") != PM_OK)
        return -1;
    pm__partition(d, 0);
    size_t n = pm__order_edges(d, want);
    if (n == (size_t)-1)
        return -1;
    if (!n)
        return 0;
    memset(d->locked, 0, d->nv);
    if (pm_parallel_for(PM__NPART, d->nth, pm__slab, d, NULL, "decimation") != PM_OK)
        return -1;
    size_t done = 0;
    for (int p = 0; p < PM__NPART; p++)
        done += d->done[p];
    int n2 = pm__borders(d, want - done);
    if (n2 < 0 || pm_parallel_for(n2, d->nth, pm__border, d, NULL, "decimation") != PM_OK)
        return -1;
    for (int k = 0; k < n2; k++)
        done += d->r2done[k];
    for (int k = 0; k < n2; k++)
        for (size_t i = 0; i < d->r2n[k] && done < want; i++)
            done += pm__try(d, -1, 0, d->r2[d->r2s[k] + i]) == 1;
    for (int p = 0; p < PM__NPART; p++)
        for (size_t i = d->stop[p]; i < d->ps[p] + d->nb[p] && done < want; i++)
            done += pm__try(d, -1, 0, d->order[i]) == 1;
    for (int p = 0; p < PM__NPART && !done; p++)
        for (size_t i = d->ps[p] + d->nb[p]; i < d->ps[p + 1] && !done && want; i++)
            done += pm__try(d, -1, 0, d->order[i]) == 1;
    *live -= 2 * done;
    /* Every triangle is copied to the next free place, which moves on past
     * the live ones only: a branch on each triangle's death, which follows
     * no pattern, cost more than the copies (w <= t: nothing unread is
     * overwritten). */
    size_t w = 0;
    for (size_t t = 0; t < d->nf; t++) {
        uint32_t f[3];
        float c[3];
        memcpy(f, d->f + 3 * t, sizeof f);
        memcpy(c, d->cost + 3 * t, sizeof c);
        uint8_t r = d->refused[t];
        memcpy(d->f + 3 * w, f, sizeof f);
        memcpy(d->cost + 3 * w, c, sizeof c);
        d->refused[w] = r;
        w += (f[0] != f[1]) & (f[1] != f[2]) & (f[0] != f[2]);
    }
    d->nf = w;
    return pm__rings(d) == PM_OK ? (long)done : -1;
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
    uint32_t *remap = d.rstart;
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
