/* resample.c - isotropic resampling: trilinear for HU, nearest for labels.
 *
 * The new shape is round(dim * spacing / mm) along each axis, as the
 * tutorials compute it, and the spacing actually reached (dim * spacing /
 * new dim) is what the output grid records. Voxel (0,0,0) keeps its
 * position and the axes keep their directions, so a mask computed on the
 * resampled grid maps back to patient space exactly. Output voxel o along
 * an axis samples input position o * new_spacing / old_spacing. The
 * interpolation is separable: input slices are resampled in-plane
 * (bilinear, through index/weight tables), then each output slice blends
 * two of those planes; each thread keeps the last two planes, so the
 * bilinear work is done about once per input slice, not once per output
 * slice. Runs of output slices run in parallel, two per thread.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pm_resample_grid(const pm_grid *g, double mm, pm_grid *out)
{
    *out = *g;
    for (int a = 0; a < 3; a++) {
        double len = g->dim[a] * g->spacing[a];
        int n = (int)floor(len / mm + 0.5);
        if (n < 1)
            n = 1;
        out->dim[a] = n;
        out->spacing[a] = len / n;
    }
}

typedef struct axis_map {
    int *i0;        /* lower input index */
    float *w;       /* weight of i0 + 1 */
} axis_map;

static int map_axis(int nin, int nout, double ratio, axis_map *m)
{
    m->i0 = malloc((size_t)nout * sizeof *m->i0);
    m->w = malloc((size_t)nout * sizeof *m->w);
    if (!m->i0 || !m->w)
        return -1;
    for (int o = 0; o < nout; o++) {
        double x = o * ratio;
        if (x > nin - 1)
            x = nin - 1;
        int i = (int)floor(x);
        if (i >= nin - 1)
            i = nin > 1 ? nin - 2 : 0;
        m->i0[o] = i;
        m->w[o] = nin > 1 ? (float)(x - i) : 0.0f;
    }
    return 0;
}

/* Tasks per thread: a task's slices share their input planes, and a
 * plane at a task's edge is resampled twice, so the tasks are few and
 * long; more than one per thread evens out a thread that starts late. */
#define RS_PER_THREAD 2

typedef struct rs_plane_buf {
    float *v[2];          /* two input slices resampled in-plane */
    int k[2];             /* their input slice numbers (-1: none yet) */
} rs_plane_buf;

typedef struct rs_ctx {
    const pm_volume *in;
    pm_volume *out;
    axis_map ax[3];
    rs_plane_buf buf[64]; /* one per thread (pm_parallel_for's thread < 64) */
    int chunk;            /* output slices per task */
    int failed;
} rs_ctx;

/* One output row from input rows r0 and r1 (bilinear). A voxel and its
 * right neighbour are read as one 32-bit pair, so that the loop vectorises
 * with 32-bit gathers (there are none of 16 bits); the int16 differences
 * are exact in float, so the sums are those of the scalar formula. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void rs_row(const int16_t *r0, const int16_t *r1, const int *restrict ix, const float *restrict wxs,
                   float wy, float *restrict o, int nxo)
{
    for (int i = 0; i < nxo; i++) {
        uint32_t p0, p1;
        memcpy(&p0, r0 + ix[i], 4);
        memcpy(&p1, r1 + ix[i], 4);
        float a0 = (int16_t)(p0 & 0xffff), b0 = (int16_t)(p0 >> 16);
        float a1 = (int16_t)(p1 & 0xffff), b1 = (int16_t)(p1 >> 16);
        float top = a0 + wxs[i] * (b0 - a0);
        float bot = a1 + wxs[i] * (b1 - a1);
        o[i] = top + wy * (bot - top);
    }
}

/* Input slice k resampled in-plane (bilinear) into dst. */
static void rs_plane(const rs_ctx *c, int k, float *dst)
{
    const pm_grid *gi = &c->in->g, *go = &c->out->g;
    int nxi = gi->dim[0], nyi = gi->dim[1], nxo = go->dim[0], nyo = go->dim[1];
    const int16_t *src = c->in->hu + (size_t)nxi * nyi * (size_t)k;
    const int *ix = c->ax[0].i0;
    const float *wxs = c->ax[0].w;
    /* the pairs need i0 + 1 in the row (map_axis keeps it there when the
     * row has two voxels) and little-endian halves */
    const int pairs = nxi > 1 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    for (int j = 0; j < nyo; j++) {
        int j0 = c->ax[1].i0[j], j1 = nyi > 1 ? j0 + 1 : j0;
        float wy = c->ax[1].w[j];
        const int16_t *r0 = src + (size_t)nxi * j0, *r1 = src + (size_t)nxi * j1;
        float *o = dst + (size_t)nxo * j;
        if (pairs) {
            rs_row(r0, r1, ix, wxs, wy, o, nxo);
            continue;
        }
        for (int i = 0; i < nxo; i++) {
            int i0 = ix[i], i1 = nxi > 1 ? i0 + 1 : i0;
            float wx = wxs[i];
            float top = r0[i0] + wx * (float)(r0[i1] - r0[i0]);
            float bot = r1[i0] + wx * (float)(r1[i1] - r1[i0]);
            o[i] = top + wy * (bot - top);
        }
    }
}

/* The plane of input slice k from the thread's two, computed into the one
 * not holding keep when it is not there. */
static const float *rs_get(const rs_ctx *c, rs_plane_buf *b, int k, int keep)
{
    for (int s = 0; s < 2; s++)
        if (b->k[s] == k)
            return b->v[s];
    int s = b->k[0] == keep ? 1 : 0;
    rs_plane(c, k, b->v[s]);
    b->k[s] = k;
    return b->v[s];
}

/* An output slice between planes a and b, rounded half away from zero by
 * the sign's half rather than a branch, so that the loop vectorises
 * (v - 0.5f is -(0.5f - v) exactly). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void rs_blend(const float *restrict a, const float *restrict b, float wz, int16_t *restrict o, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        float v = a[x] + wz * (b[x] - a[x]);
        o[x] = (int16_t)(int)(v + copysignf(0.5f, v));
    }
}

/* Output slices of one chunk, each a blend of two planes along z. Streaming
 * the planes through two per thread, instead of resampling every input
 * slice into one big buffer first, saves a buffer as large as the input in
 * float, and its page faults, which cost more than the arithmetic. */
static void rs_chunk(void *vctx, int t, int thread)
{
    rs_ctx *c = vctx;
    size_t n = (size_t)c->out->g.dim[0] * (size_t)c->out->g.dim[1];
    rs_plane_buf *b = &c->buf[thread];
    if (!b->v[0]) {
        b->v[0] = malloc(2 * n * sizeof *b->v[0]);
        if (!b->v[0]) {
            c->failed = 1;
            return;
        }
        b->v[1] = b->v[0] + n;
        b->k[0] = b->k[1] = -1;
    }
    int kend = (t + 1) * c->chunk < c->out->g.dim[2] ? (t + 1) * c->chunk : c->out->g.dim[2];
    for (int k = t * c->chunk; k < kend; k++) {
        int k0 = c->ax[2].i0[k], k1 = c->in->g.dim[2] > 1 ? k0 + 1 : k0;
        float wz = c->ax[2].w[k];
        const float *a = rs_get(c, b, k0, k1), *bb = rs_get(c, b, k1, k0);
        rs_blend(a, bb, wz, c->out->hu + n * (size_t)k, n);
    }
}

int pm_resample_volume(const pm_volume *v, double mm, pm_volume **out, const pm_progress *p)
{
    if (!(mm > 0) || mm > 100)
        return pm_fail(PM_EUSAGE, "resampling spacing %g mm is not in (0, 100]", mm);
    pm_grid g;
    pm_resample_grid(&v->g, mm, &g);
    pm_volume *o = pm_volume_new_unset(&g);   /* every voxel is written */
    if (!o)
        return PM_EMEMORY;
    o->meta = v->meta;
    o->load_seconds = v->load_seconds;
    for (int w = 0; w < v->nwarnings; w++)
        pm_volume_warn(o, v->warnings[w].kind, "%s", v->warnings[w].message);
    rs_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        pm_volume_free(o);
        return pm_fail(PM_EMEMORY, "out of memory resampling");
    }
    c->in = v;
    c->out = o;
    int ntask = RS_PER_THREAD * (pm_threads() < 64 ? pm_threads() : 64);
    c->chunk = (g.dim[2] + ntask - 1) / ntask;
    int rc = PM_OK;
    for (int a = 0; a < 3 && rc == PM_OK; a++)
        if (map_axis(v->g.dim[a], g.dim[a], g.spacing[a] / v->g.spacing[a], &c->ax[a]) != 0)
            rc = pm_fail(PM_EMEMORY, "out of memory resampling");
    if (rc == PM_OK)
        rc = pm_parallel_for((g.dim[2] + c->chunk - 1) / c->chunk, 0, rs_chunk, c, p, "resampling");
    if (rc == PM_OK && c->failed)
        rc = pm_fail(PM_EMEMORY, "out of memory resampling");
    for (int a = 0; a < 3; a++)
        free(c->ax[a].i0), free(c->ax[a].w);
    for (int t = 0; t < 64; t++)
        free(c->buf[t].v[0]);
    free(c);
    if (rc != PM_OK) {
        pm_volume_free(o);
        return rc;
    }
    *out = o;
    return PM_OK;
}

int pm_resample_mask(const pm_mask *m, const pm_grid *target, pm_mask **out, const pm_progress *p)
{
    pm_mask *o = pm_mask_new(target);
    if (!o)
        return PM_EMEMORY;
    int nxo = target->dim[0], nyo = target->dim[1], nzo = target->dim[2];
    int *idx[3];
    for (int a = 0; a < 3; a++) {
        idx[a] = malloc((size_t)target->dim[a] * sizeof *idx[a]);
        if (!idx[a]) {
            for (int b = 0; b < a; b++)
                free(idx[b]);
            pm_mask_free(o);
            return pm_fail(PM_EMEMORY, "out of memory resampling");
        }
        double ratio = target->spacing[a] / m->g.spacing[a];
        for (int q = 0; q < target->dim[a]; q++) {
            int i = (int)floor(q * ratio + 0.5);
            idx[a][q] = i >= m->g.dim[a] ? m->g.dim[a] - 1 : i;
        }
    }
    int rc = PM_OK;
    for (int k = 0; k < nzo && rc == PM_OK; k++) {
        if ((k & 31) == 0 && pm_progress_report(p, (double)k / nzo, "resampling"))
            rc = PM_ECANCEL;
        for (int j = 0; j < nyo; j++) {
            const uint8_t *src = m->v + (size_t)m->g.dim[0] *
                                 ((size_t)idx[1][j] + (size_t)m->g.dim[1] * (size_t)idx[2][k]);
            uint8_t *dst = o->v + (size_t)nxo * ((size_t)j + (size_t)nyo * k);
            for (int i = 0; i < nxo; i++)
                dst[i] = src[idx[0][i]];
        }
    }
    for (int a = 0; a < 3; a++)
        free(idx[a]);
    if (rc != PM_OK) {
        pm_mask_free(o);
        return rc;
    }
    *out = o;
    return PM_OK;
}
