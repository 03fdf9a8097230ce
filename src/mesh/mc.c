/* mc.c - marching cubes over a mask or a HU volume, in parallel z-slabs.
 *
 * The grid is seen padded by one outside voxel on every side (plane, row
 * and column indices below are padded: ip = i + 1), so surfaces close at
 * the volume border. A slab of cube layers works plane by plane with two
 * rolling planes of inside flags, and creates one vertex per crossed grid
 * edge, eagerly, before the cubes of a layer use them: ids live in per-plane
 * arrays (x and y edges of each plane, z edges of the layer) that are only
 * read where the cube case says an edge is crossed, so they never need
 * clearing. Rows are trimmed to the span of inside voxels (as flying edges
 * does), so the empty air around the body costs one byte scan.
 *
 * Slabs share their boundary plane: both create its vertices in the same
 * order, the lower slab last of all, so stitching maps the lower slab's copy
 * onto the upper slab's ids without any search.
 */
#include "mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PM__CENTER 0x80000000u

typedef struct pm__mc_slab {
    float *v, *cv;             /* edge vertices; added centroid vertices */
    uint32_t *f;
    size_t nv, capv, ncv, capcv, nf, capf;
    size_t last_start;         /* first vertex of the slab's last plane */
    size_t first_count;        /* vertices of the slab's first plane */
    int failed;
} pm__mc_slab;

/* A thread's planes and edge ids, kept from one slab to its next: asked
 * for afresh by each of LIDC's 27 slabs they came to 136 MB, each call
 * advising its range for 2 MB pages, part of it faulted in again. in[]'s
 * border is never written but by zeros. */
typedef struct pm__mc_scratch {
    uint8_t *in[2];
    int *span;
    uint32_t *ids;
} pm__mc_scratch;

typedef struct pm__mc {
    int nx, ny, nz, P, Q;
    const uint8_t *mask;
    int lo, hi;                /* inside: lo <= mask value <= hi */
    const int16_t *hu;
    int thr;                   /* inside: hu >= thr */
    float level;               /* thr - 0.5: never equal to a voxel */
    double M[9], o[3];         /* index -> LPS; column c is axis c */
    int flip;
    int nslabs, layers_per;
    pm__mc_slab *slabs;
    pm__mc_scratch *scratch;   /* per thread */
    const pm__mc_case *table;
    const uint8_t *ambig;
} pm__mc;

static int pm__grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static uint32_t pm__vertex(pm__mc_slab *s, const pm__mc *mc, double i, double j, double k)
{
    if (s->failed || pm__grow((void **)&s->v, &s->capv, s->nv + 1, 3 * sizeof(float))) {
        s->failed = 1;
        return 0;
    }
    float *q = s->v + 3 * s->nv;
    for (int r = 0; r < 3; r++)
        q[r] = (float)(mc->o[r] + mc->M[r] * i + mc->M[3 + r] * j + mc->M[6 + r] * k);
    return (uint32_t)s->nv++;
}

static void pm__tri(pm__mc_slab *s, const pm__mc *mc, uint32_t a, uint32_t b, uint32_t c)
{
    if (s->failed || pm__grow((void **)&s->f, &s->capf, s->nf + 1, 3 * sizeof(uint32_t))) {
        s->failed = 1;
        return;
    }
    uint32_t *t = s->f + 3 * s->nf++;
    t[0] = a;
    t[1] = mc->flip ? c : b;
    t[2] = mc->flip ? b : c;
}

/* HU of a padded voxel; pad voxels are outside. */
static int pm__pad(const pm__mc *mc, int ip, int jp, int kp)
{
    return ip == 0 || jp == 0 || kp == 0 || ip == mc->P - 1 || jp == mc->Q - 1 || kp == mc->nz + 1;
}
static float pm__hu(const pm__mc *mc, int ip, int jp, int kp)
{
    if (pm__pad(mc, ip, jp, kp))
        return mc->level - 1.0f;
    return mc->hu[(size_t)(ip - 1) + (size_t)mc->nx * ((size_t)(jp - 1) + (size_t)mc->ny * (size_t)(kp - 1))];
}

/* Where the surface crosses the edge from voxel a to voxel b (step d). */
static double pm__t(const pm__mc *mc, int ip, int jp, int kp, int di, int dj, int dk)
{
    if (!mc->hu || pm__pad(mc, ip, jp, kp) || pm__pad(mc, ip + di, jp + dj, kp + dk))
        return 0.5;
    double a = pm__hu(mc, ip, jp, kp), b = pm__hu(mc, ip + di, jp + dj, kp + dk);
    double t = (mc->level - a) / (b - a);
    /* keeps vertices off the grid points, so no triangle degenerates */
    return t < 1e-3 ? 1e-3 : t > 1 - 1e-3 ? 1 - 1e-3 : t;
}

static void pm__row_span(const uint8_t *r, int n, int *lo, int *hi)
{
    int a = 0, b = n - 1;
    while (a < n && !r[a])
        a++;
    while (b > a && !r[b])
        b--;
    *lo = a < n ? a : n + 1;
    *hi = a < n ? b : -1;
}

/* Inside flags and row spans of padded plane kp. */
static void pm__classify(const pm__mc *mc, int kp, uint8_t *in, int *lo, int *hi)
{
    int P = mc->P, Q = mc->Q, nx = mc->nx;
    for (int jp = 0; jp < Q; jp++) {
        lo[jp] = P + 1;
        hi[jp] = -1;
    }
    if (kp == 0 || kp == mc->nz + 1) {
        memset(in, 0, (size_t)P * (size_t)Q);
        return;
    }
    for (int jp = 1; jp < Q - 1; jp++) {
        size_t src = (size_t)nx * ((size_t)(jp - 1) + (size_t)mc->ny * (size_t)(kp - 1));
        uint8_t *d = in + (size_t)jp * (size_t)P + 1;
        if (mc->hu) {
            const int16_t *h = mc->hu + src;
            int t = mc->thr;
            for (int i = 0; i < nx; i++)
                d[i] = h[i] >= t;
        } else {
            /* lo <= v <= hi as one unsigned compare */
            const uint8_t *m = mc->mask + src, lo = (uint8_t)mc->lo, span = (uint8_t)(mc->hi - mc->lo);
            for (int i = 0; i < nx; i++)
                d[i] = (uint8_t)(m[i] - lo) <= span;
        }
        int a, b;
        pm__row_span(d, nx, &a, &b);
        if (b >= 0) {
            lo[jp] = a + 1;
            hi[jp] = b + 1;
        }
    }
}

static int pm__imin(int a, int b) { return a < b ? a : b; }
static int pm__imax(int a, int b) { return a > b ? a : b; }

/* Vertices on the x and y edges of plane kp. */
static void pm__plane_vertices(pm__mc_slab *s, const pm__mc *mc, int kp, const uint8_t *in,
                               const int *lo, const int *hi, uint32_t *xid, uint32_t *yid)
{
    int P = mc->P, Q = mc->Q;
    for (int jp = 0; jp < Q - 1; jp++) {
        const uint8_t *r0 = in + (size_t)jp * P, *r1 = r0 + P;
        size_t row = (size_t)jp * P;
        if (hi[jp] >= 0)
            for (int ip = lo[jp] - 1; ip <= hi[jp]; ip++)
                if (r0[ip] != r0[ip + 1])
                    xid[row + ip] = pm__vertex(s, mc, ip - 1 + pm__t(mc, ip, jp, kp, 1, 0, 0), jp - 1, kp - 1);
        int a = pm__imin(lo[jp], lo[jp + 1]), b = pm__imax(hi[jp], hi[jp + 1]);
        for (int ip = a; ip <= b; ip++)
            if (r0[ip] != r1[ip])
                yid[row + ip] = pm__vertex(s, mc, ip - 1, jp - 1 + pm__t(mc, ip, jp, kp, 0, 1, 0), kp - 1);
    }
}

/* Vertices on the z edges between planes kp and kp + 1. */
static void pm__layer_vertices(pm__mc_slab *s, const pm__mc *mc, int kp, const uint8_t *in0,
                               const uint8_t *in1, const int *lo0, const int *hi0,
                               const int *lo1, const int *hi1, uint32_t *zid)
{
    int P = mc->P;
    for (int jp = 1; jp < mc->Q - 1; jp++) {
        int a = pm__imin(lo0[jp], lo1[jp]), b = pm__imax(hi0[jp], hi1[jp]);
        size_t row = (size_t)jp * P;
        for (int ip = a; ip <= b; ip++)
            if (in0[row + ip] != in1[row + ip])
                zid[row + ip] = pm__vertex(s, mc, ip - 1, jp - 1, kp - 1 + pm__t(mc, ip, jp, kp, 0, 0, 1));
    }
}

/* For HU: which ambiguous faces have their saddle inside (bilinear
 * asymptotic decider; depends on the face's corners only). */
static int pm__join(const pm__mc *mc, int amb, int ip, int jp, int kp)
{
    float val[8];
    for (int c = 0; c < 8; c++)
        val[c] = pm__hu(mc, ip + (c & 1), jp + ((c >> 1) & 1), kp + (c >> 2));
    int join = 0;
    for (int f = 0; f < 6; f++) {
        if (!((amb >> f) & 1))
            continue;
        int q[4];
        pm__mc_face_corners(f, q);
        double a = val[q[0]], b = val[q[1]], c = val[q[2]], d = val[q[3]];
        double den = a + c - b - d;
        if (den != 0 && (a * c - b * d) / den > mc->level)
            join |= 1 << f;
    }
    return join;
}

static void pm__emit(pm__mc_slab *s, const pm__mc *mc, const pm__mc_case *cs, uint32_t *const *ep, int ip)
{
    int used = 0;
    for (int p = 0; p < cs->npoly; p++) {
        int n = cs->len[p];
        uint32_t id[12];
        for (int k = 0; k < n; k++)
            id[k] = ep[cs->edge[used + k]][ip];
        used += n;
        if (!cs->center[p]) {
            for (int k = 1; k + 1 < n; k++)
                pm__tri(s, mc, id[0], id[k], id[k + 1]);
            continue;
        }
        if (s->failed || pm__grow((void **)&s->cv, &s->capcv, s->ncv + 1, 3 * sizeof(float))) {
            s->failed = 1;
            return;
        }
        float *c = s->cv + 3 * s->ncv;
        double acc[3] = {0, 0, 0};
        for (int k = 0; k < n; k++)
            for (int r = 0; r < 3; r++)
                acc[r] += s->v[3 * id[k] + r];
        for (int r = 0; r < 3; r++)
            c[r] = (float)(acc[r] / n);
        uint32_t cid = PM__CENTER | (uint32_t)s->ncv++;
        for (int k = 0; k < n; k++)
            pm__tri(s, mc, id[k], id[(k + 1) % n], cid);
    }
}

static void pm__layer_cubes(pm__mc_slab *s, const pm__mc *mc, int kp, const uint8_t *in0,
                            const uint8_t *in1, const int *lo0, const int *hi0, const int *lo1,
                            const int *hi1, uint32_t *const xid[2], uint32_t *const yid[2], uint32_t *zid)
{
    int P = mc->P;
    for (int jp = 0; jp < mc->Q - 1; jp++) {
        int a = pm__imin(pm__imin(lo0[jp], lo0[jp + 1]), pm__imin(lo1[jp], lo1[jp + 1])) - 1;
        int b = pm__imax(pm__imax(hi0[jp], hi0[jp + 1]), pm__imax(hi1[jp], hi1[jp + 1]));
        a = pm__imax(a, 0);
        b = pm__imin(b, P - 2);
        if (a > b)
            continue;
        size_t row = (size_t)jp * P;
        uint32_t *ep[12];
        for (int e = 0; e < 12; e++) {
            int ax = e >> 2, bu = e & 1, bv = (e >> 1) & 1;
            if (ax == 0)
                ep[e] = xid[bv] + row + (size_t)bu * P;
            else if (ax == 1)
                ep[e] = yid[bu] + row + bv;
            else
                ep[e] = zid + row + (size_t)bv * P + bu;
        }
        const uint8_t *r00 = in0 + row, *r01 = r00 + P, *r10 = in1 + row, *r11 = r10 + P;
        int left = r00[a] | r01[a] << 2 | r10[a] << 4 | r11[a] << 6;
        for (int ip = a; ip <= b; ip++) {
            int right = r00[ip + 1] | r01[ip + 1] << 2 | r10[ip + 1] << 4 | r11[ip + 1] << 6;
            int c = left | right << 1;
            left = right;
            if (c == 0 || c == 255)
                continue;
            const pm__mc_case *cs = &mc->table[c];
            pm__mc_case local;
            if (mc->hu && mc->ambig[c]) {
                int join = pm__join(mc, mc->ambig[c], ip, jp, kp);
                if (join) {
                    pm__mc_build(c, join, &local);
                    cs = &local;
                }
            }
            pm__emit(s, mc, cs, ep, ip);
        }
    }
}

static void pm__slab(void *ctx, int task, int thread)
{
    pm__mc *mc = ctx;
    pm__mc_slab *s = &mc->slabs[task];
    int L0 = task * mc->layers_per, L1 = pm__imin(L0 + mc->layers_per, mc->nz + 1);
    size_t pq = (size_t)mc->P * (size_t)mc->Q;
    pm__mc_scratch *sc = &mc->scratch[thread];
    for (int h = 0; h < 2; h++)
        sc->in[h] = sc->in[h] ? sc->in[h] : calloc(pq, 1);
    sc->span = sc->span ? sc->span : malloc(4 * (size_t)mc->Q * sizeof(int));
    sc->ids = sc->ids ? sc->ids : pm_alloc_large(5 * pq * sizeof(uint32_t), 0);
    if (!sc->in[0] || !sc->in[1] || !sc->span || !sc->ids) {
        s->failed = 1;
        return;
    }
    uint8_t **in = sc->in;
    uint32_t *ids = sc->ids;
    int *lo[2] = {sc->span, sc->span + 2 * mc->Q}, *hi[2] = {sc->span + mc->Q, sc->span + 3 * mc->Q};
    uint32_t *xid[2] = {ids, ids + pq}, *yid[2] = {ids + 2 * pq, ids + 3 * pq}, *zid = ids + 4 * pq;
    int c0 = L0 & 1;
    pm__classify(mc, L0, in[c0], lo[c0], hi[c0]);
    pm__plane_vertices(s, mc, L0, in[c0], lo[c0], hi[c0], xid[c0], yid[c0]);
    s->first_count = s->nv;
    for (int kp = L0; kp < L1 && !s->failed; kp++) {
        int a = kp & 1, b = a ^ 1;
        pm__classify(mc, kp + 1, in[b], lo[b], hi[b]);
        pm__layer_vertices(s, mc, kp, in[a], in[b], lo[a], hi[a], lo[b], hi[b], zid);
        s->last_start = s->nv;
        pm__plane_vertices(s, mc, kp + 1, in[b], lo[b], hi[b], xid[b], yid[b]);
        uint32_t *xs[2] = {xid[a], xid[b]}, *ys[2] = {yid[a], yid[b]};
        pm__layer_cubes(s, mc, kp, in[a], in[b], lo[a], hi[a], lo[b], hi[b], xs, ys, zid);
    }
}

typedef struct pm__stitch {
    pm__mc *mc;
    size_t *voff, *foff;
    pm_mesh *out;
} pm__stitch;

static void pm__stitch_slab(void *ctx, int task, int thread)
{
    (void)thread;
    pm__stitch *st = ctx;
    pm__mc *mc = st->mc;
    pm__mc_slab *s = &mc->slabs[task];
    int last = task == mc->nslabs - 1;
    size_t keep = last ? s->nv : s->last_start;
    size_t off = st->voff[task], next = last ? 0 : st->voff[task + 1];
    if (keep)
        memcpy(st->out->v + 3 * off, s->v, keep * 3 * sizeof(float));
    if (s->ncv)
        memcpy(st->out->v + 3 * (off + keep), s->cv, s->ncv * 3 * sizeof(float));
    uint32_t *f = st->out->f + 3 * st->foff[task];
    for (size_t q = 0; q < 3 * s->nf; q++) {
        uint32_t id = s->f[q];
        if (id & PM__CENTER)
            f[q] = (uint32_t)(off + keep + (id & ~PM__CENTER));
        else if (id < keep)
            f[q] = (uint32_t)(off + id);
        else
            f[q] = (uint32_t)(next + (id - keep));
    }
}

static int pm__run(pm__mc *mc, const pm_grid *g, pm_mesh **out, const pm_progress *p)
{
    mc->nx = g->dim[0];
    mc->ny = g->dim[1];
    mc->nz = g->dim[2];
    mc->P = mc->nx + 2;
    mc->Q = mc->ny + 2;
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < 3; r++)
            mc->M[3 * c + r] = g->spacing[c] * g->dir[3 * c + r];
    for (int r = 0; r < 3; r++)
        mc->o[r] = g->origin[r];
    const double *M = mc->M;
    double det = M[0] * (M[4] * M[8] - M[7] * M[5]) - M[3] * (M[1] * M[8] - M[7] * M[2])
               + M[6] * (M[1] * M[5] - M[4] * M[2]);
    if (!(fabs(det) > 0))
        return pm_fail(PM_EUSAGE, "grid has degenerate axes; cannot build a surface");
    mc->flip = det < 0; /* a left-handed grid mirrors the winding */
    mc->table = pm__mc_table();
    mc->ambig = pm__mc_ambig_table();
    /* a fixed number of slabs (not one per thread) keeps the vertex order,
     * and so the output, the same on every machine */
    int layers = mc->nz + 1, want = 32;
    mc->layers_per = (layers + want - 1) / want;
    if (mc->layers_per < 2)
        mc->layers_per = 2;
    mc->nslabs = (layers + mc->layers_per - 1) / mc->layers_per;
    int nth = pm_threads();
    mc->slabs = calloc((size_t)mc->nslabs, sizeof *mc->slabs);
    mc->scratch = calloc((size_t)nth, sizeof *mc->scratch);
    if (!mc->slabs || !mc->scratch) {
        free(mc->slabs), free(mc->scratch);
        return pm_fail(PM_EMEMORY, "out of memory building a surface");
    }
    int rc = pm_parallel_for(mc->nslabs, nth, pm__slab, mc, p, "surface");
    for (int t = 0; t < nth; t++) {
        free(mc->scratch[t].in[0]), free(mc->scratch[t].in[1]);
        free(mc->scratch[t].span), free(mc->scratch[t].ids);
    }
    free(mc->scratch);
    size_t *voff = NULL, *foff = NULL;
    pm_mesh *m = NULL;
    if (rc != PM_OK)
        goto done;
    voff = calloc((size_t)mc->nslabs + 1, sizeof *voff);
    foff = calloc((size_t)mc->nslabs + 1, sizeof *foff);
    if (!voff || !foff) {
        rc = pm_fail(PM_EMEMORY, "out of memory building a surface");
        goto done;
    }
    /* every slab's failure first: a failed slab's seam is empty, and its
     * neighbour's check would call that an internal error */
    for (int t = 0; t < mc->nslabs; t++)
        if (mc->slabs[t].failed) {
            rc = pm_fail(PM_EMEMORY, "out of memory building a surface");
            goto done;
        }
    for (int t = 0; t < mc->nslabs; t++) {
        pm__mc_slab *s = &mc->slabs[t];
        int last = t == mc->nslabs - 1;
        if (!last && s->nv - s->last_start != mc->slabs[t + 1].first_count) {
            rc = pm_fail(PM_EUSAGE, "internal error: slab seams do not match");
            goto done;
        }
        voff[t + 1] = voff[t] + (last ? s->nv : s->last_start) + s->ncv;
        foff[t + 1] = foff[t] + s->nf;
    }
    if (voff[mc->nslabs] >= PM__CENTER) {
        rc = pm_fail(PM_EMEMORY, "surface too large (%zu vertices)", voff[mc->nslabs]);
        goto done;
    }
    m = pm_mesh_new(voff[mc->nslabs], foff[mc->nslabs]);
    if (!m) {
        rc = PM_EMEMORY;
        goto done;
    }
    pm__stitch st = {mc, voff, foff, m};
    rc = pm_parallel_for(mc->nslabs, 0, pm__stitch_slab, &st, NULL, "surface");
    if (rc == PM_OK) {
        *out = m;
        m = NULL;
    }
done:
    pm_mesh_free(m);
    free(voff);
    free(foff);
    for (int t = 0; t < mc->nslabs; t++) {
        free(mc->slabs[t].v);
        free(mc->slabs[t].cv);
        free(mc->slabs[t].f);
    }
    free(mc->slabs);
    return rc;
}

int pm_mesh_from_mask_range(const pm_mask *m, int lo, int hi, pm_mesh **out, const pm_progress *p)
{
    if (!m || !m->v || !out || pm_grid_voxels(&m->g) == 0)
        return pm_fail(PM_EUSAGE, "no mask to build a surface from");
    if (lo < 1 || hi > 255 || lo > hi)
        return pm_fail(PM_EUSAGE, "labels %d..%d out of range 1..255", lo, hi);
    pm__mc mc = {0};
    mc.mask = m->v;
    mc.lo = lo;
    mc.hi = hi;
    return pm__run(&mc, &m->g, out, p);
}

int pm_mesh_from_mask(const pm_mask *m, int label, pm_mesh **out, const pm_progress *p)
{
    if (label < 0 || label > 255)
        return pm_fail(PM_EUSAGE, "label %d out of range 0..255", label);
    return pm_mesh_from_mask_range(m, label ? label : 1, label ? label : 255, out, p);
}

int pm_mesh_from_volume(const pm_volume *v, double level, pm_mesh **out, const pm_progress *p)
{
    if (!v || !v->hu || !out || pm_grid_voxels(&v->g) == 0)
        return pm_fail(PM_EUSAGE, "no volume to build a surface from");
    if (!(level > -40000 && level < 40000))
        return pm_fail(PM_EUSAGE, "level %g HU out of range", level);
    pm__mc mc = {0};
    mc.hu = v->hu;
    mc.thr = (int)ceil(level);
    mc.level = (float)mc.thr - 0.5f;
    return pm__run(&mc, &v->g, out, p);
}
