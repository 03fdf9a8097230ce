/* edt.c - Euclidean distance transforms.
 *
 * The distance transform is separable (Saito-Toriwaki / Felzenszwalb-
 * Huttenlocher): a linear scan along x, then along y and z the lower
 * envelope of the parabolas s^2 (p - q)^2 + f(q), which is exact for any
 * voxel spacing. Every pass is linear in the number of voxels, so a ball of
 * 2 mm and one of 20 mm cost the same. Columns along y and z are gathered
 * 16 at a time so that each read brings a useful cache line.
 *
 * With a small cap the y and z passes take the window of edt_window.c
 * instead of the envelope.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EDT_INF PM__EDT_INF
#define BLK PM__EDT_BLK

/* Scratch for one line of length n: envelope sites, their values, the
 * boundaries between them (n + 1). */
typedef struct line_buf {
    int *v;
    float *g, *fv, *z;
    float *half_inv;      /* 1 / (2 d) for d = 1..n-1: multiplies instead of divides */
} line_buf;

static int line_alloc(line_buf *b, int n)
{
    b->v = malloc((size_t)n * sizeof *b->v);
    b->g = malloc((size_t)n * sizeof *b->g);
    b->fv = malloc((size_t)n * sizeof *b->fv);
    b->z = malloc(((size_t)n + 1) * sizeof *b->z);
    b->half_inv = malloc(((size_t)n + 1) * sizeof *b->half_inv);
    if (!b->v || !b->g || !b->fv || !b->z || !b->half_inv)
        return -1;
    b->half_inv[0] = 0;
    for (int d = 1; d <= n; d++)
        b->half_inv[d] = 0.5f / (float)d;
    return 0;
}

static void line_free(line_buf *b)
{
    free(b->v), free(b->g), free(b->fv), free(b->z), free(b->half_inv);
}

/* 1D lower envelope on n samples f[q * st] (squared mm, in place) with
 * spacing s: the samples are a column of a gathered block, used in place.
 * Parabolas are compared in units of voxels (g = f/s^2 + q^2) in float;
 * the output is computed from the original f, so a tie resolved either way
 * gives the same distance. Lines without any site, or made only of
 * zero-distance sites, are returned at once. */
static void edt_1d(float *f, size_t st, int n, float s, float cap, line_buf *b)
{
    /* The input is capped already: by the x pass, and by this function's
     * own output for z (blocks left alone hold only 0 and EDT_INF). */
    int first = n, last = -1, nonzero = 0;
    for (int q = 0; q < n; q++) {
        if (f[(size_t)q * st] < EDT_INF) {
            first = q < first ? q : first;
            last = q;
        }
        nonzero |= f[(size_t)q * st] != 0;
    }
    if (last < 0 || !nonzero)
        return;
    const float s2 = s * s, inv = 1.0f / s2;
    int *v = b->v, k = -1;
    float *g = b->g, *fv = b->fv, *z = b->z;
    const float *hi = b->half_inv;
    for (int q = first; q <= last; q++) {
        float fq = f[(size_t)q * st];
        /* Inside a run of zero-distance sites only its two ends can be
         * nearest to a voxel outside it, and the voxels inside it are their
         * own nearest site (0, written as they are below): the envelope
         * skips them, with the same result. */
        if (fq >= EDT_INF || (fq == 0 && q > 0 && q + 1 < n && f[(size_t)(q - 1) * st] == 0 &&
                              f[(size_t)(q + 1) * st] == 0))
            continue;
        float gq = fq * inv + (float)q * (float)q, sx = -HUGE_VALF;
        while (k >= 0) {
            sx = (gq - g[k]) * hi[q - v[k]];
            if (sx > z[k])
                break;
            k--;
        }
        k++;
        v[k] = q;
        g[k] = gq;
        fv[k] = fq;
        z[k] = k ? sx : -HUGE_VALF;
        z[k + 1] = HUGE_VALF;
    }
    /* Farther than reach from every site a voxel is beyond the cap, as its
     * input already says (the sites lie in first..last). */
    int reach = n;
    float r = cap < EDT_INF ? sqrtf(cap / s2) : (float)n;
    if (r < (float)n) {   /* false for a NaN too: then the whole line */
        reach = (int)ceilf(r) + 1;
        while (reach < n && !((float)reach * (float)reach * s2 > cap))
            reach++;
    }
    int p0 = first - reach > 0 ? first - reach : 0, p1 = last + reach < n - 1 ? last + reach : n - 1;
    for (int p = p0, j = 0; p <= p1; p++) {
        if (f[(size_t)p * st] == 0)
            continue;
        while (z[j + 1] < (float)p)
            j++;
        float dp = (float)(p - v[j]);
        float d = dp * dp * s2 + fv[j];
        f[(size_t)p * st] = d > cap ? EDT_INF : d;
    }
}

/* Copies w columns of n rows (stride apart) into a block BLK wide and
 * says whether edt_1d would leave it as it is: all of it beyond every cap
 * (no site) or all of it at distance 0. Such blocks are most of a crop (far
 * outside a lung, deep inside it). The values are >= 0, so the tests are
 * on bits: 0 is all zero bits, and nothing lies above EDT_INF. */
static int gather_unchanged(float *buf, const float *src, size_t stride, int n, int w)
{
    uint32_t any = 0, all = ~0u, inf;
    const float big = EDT_INF;
    memcpy(&inf, &big, sizeof inf);
    if (w == BLK) {   /* whole blocks: fixed-size copies, two values per word */
        uint64_t any2 = 0, all2 = ~0ull;
        for (int q = 0; q < n; q++) {
            float *dst = buf + (size_t)q * BLK;
            memcpy(dst, src + stride * (size_t)q, BLK * sizeof *dst);
            for (int b = 0; b < BLK; b += 2) {
                uint64_t u;
                memcpy(&u, dst + b, sizeof u);
                any2 |= u;
                all2 &= u;
            }
        }
        any = (uint32_t)any2 | (uint32_t)(any2 >> 32);
        all = (uint32_t)all2 & (uint32_t)(all2 >> 32);
        return any == 0 || (all == inf && any == inf);
    }
    for (int q = 0; q < n; q++) {
        const float *row = src + stride * (size_t)q;
        float *dst = buf + (size_t)q * BLK;
        memcpy(dst, row, (size_t)w * sizeof *dst);
        for (int b = 0; b < w; b++) {
            uint32_t u;
            memcpy(&u, dst + b, sizeof u);
            any |= u;
            all &= u;
        }
    }
    return any == 0 || (all == inf && any == inf);
}

/* The y or z pass over a gathered block of n rows, w columns used: the
 * window into tmp when reach >= 0, else the envelope column by column. */
static void block_pass(float *buf, float *tmp, int n, int w, float s, float cap, const float *wt, int reach,
                       line_buf *lb)
{
    if (reach >= 0)
        pm__window_block(buf, tmp, n, w, wt, reach, cap);
    else
        for (int b = 0; b < w; b++)
            edt_1d(buf + b, BLK, n, s, cap, lb);
}

typedef struct edt_ctx {
    const uint8_t *feat;
    int nx, ny, nz;
    double sp[3];
    float *out;
    float cap;            /* distances above this are reported as EDT_INF */
    uint8_t *above;       /* when not NULL: 1 where the distance is above thr */
    float thr;
    int failed;
} edt_ctx;

/* x then y within one slice. */
static void edt_xy(void *vctx, int k, int thread)
{
    (void)thread;
    edt_ctx *c = vctx;
    int nx = c->nx, ny = c->ny;
    size_t plane = (size_t)nx * ny;
    const uint8_t *f = c->feat + plane * (size_t)k;
    float *o = c->out + plane * (size_t)k;
    double sx = c->sp[0];
    line_buf lb;
    float wt[PM__WINDOW_MAX + 1];
    int reach = pm__window_reach((float)c->sp[1], c->cap, wt);
    float *buf = malloc((size_t)ny * BLK * sizeof *buf);
    float *tmp = reach >= 0 ? malloc((size_t)ny * BLK * sizeof *tmp) : NULL;
    float *sq = malloc(((size_t)nx + 1) * sizeof *sq);
    if (line_alloc(&lb, ny) != 0 || !buf || !sq || (reach >= 0 && !tmp)) {
        c->failed = 1;
        line_free(&lb), free(buf), free(tmp), free(sq);
        return;
    }
    /* The squared distance along x to the nearest feature of the row, from
     * the gaps between its features: within a gap the nearer end. sq[d] is
     * EDT_INF for d = nx (no feature on that side) and above the cap, as
     * every pass reports it. */
    for (int d = 0; d < nx; d++)
        sq[d] = pm__edt_x_term(d, sx, c->cap);
    sq[nx] = EDT_INF;
    for (int j = 0; j < ny; j++) {
        const uint8_t *fr = f + (size_t)nx * j;
        float *orow = o + (size_t)nx * j;
        int prev = -1;   /* the last feature before the gap, -1: none */
        for (int i = 0; i < nx;) {
            int next = pm_skip_zeros(fr, i, nx);
            for (int t = i; t < next; t++) {
                int dl = prev < 0 ? nx : t - prev, dr = next < nx ? next - t : nx;
                orow[t] = sq[dl < dr ? dl : dr];
            }
            while (next < nx && fr[next])
                orow[next++] = 0;
            prev = next - 1;
            i = next;
        }
    }
    free(sq);
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        if (gather_unchanged(buf, o + i0, (size_t)nx, ny, w))
            continue;
        block_pass(buf, tmp, ny, w, (float)c->sp[1], c->cap, wt, reach, &lb);
        for (int j = 0; j < ny; j++)
            memcpy(o + (size_t)nx * j + i0, buf + (size_t)j * BLK, (size_t)w * sizeof *buf);
    }
    line_free(&lb), free(buf), free(tmp);
}

/* z for one row j of every slice. */
static void edt_z(void *vctx, int j, int thread)
{
    (void)thread;
    edt_ctx *c = vctx;
    int nx = c->nx, ny = c->ny, nz = c->nz;
    size_t plane = (size_t)nx * ny;
    line_buf lb;
    float wt[PM__WINDOW_MAX + 1];
    int reach = pm__window_reach((float)c->sp[2], c->cap, wt);
    float *buf = malloc((size_t)nz * BLK * sizeof *buf);
    float *tmp = reach >= 0 ? malloc((size_t)nz * BLK * sizeof *tmp) : NULL;
    if (line_alloc(&lb, nz) != 0 || !buf || (reach >= 0 && !tmp)) {
        c->failed = 1;
        line_free(&lb), free(buf), free(tmp);
        return;
    }
    float *o = c->out + (size_t)nx * j;
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        if (!gather_unchanged(buf, o + i0, plane, nz, w)) {
            block_pass(buf, tmp, nz, w, (float)c->sp[2], c->cap, wt, reach, &lb);
            for (int k = 0; k < nz; k++)
                memcpy(o + plane * k + i0, buf + (size_t)k * BLK, (size_t)w * sizeof *buf);
        }
        /* The final distances are in buf: threshold them while they are
         * in cache, rather than in another pass over the volume. */
        for (int k = 0; k < nz && c->above; k++) {
            uint8_t *a = c->above + plane * k + (size_t)nx * j + i0;
            for (int b = 0; b < w; b++)
                a[b] = buf[(size_t)k * BLK + b] > c->thr;
        }
    }
    line_free(&lb), free(buf), free(tmp);
}

int pm__edt_capped(const uint8_t *feat, const int dim[3], const double spacing[3], float *out,
                   float cap, const pm_progress *p)
{
    return pm__edt_above(feat, dim, spacing, out, cap, NULL, 0, p);
}

int pm__edt_above(const uint8_t *feat, const int dim[3], const double spacing[3], float *out, float cap,
                  uint8_t *above, float thr, const pm_progress *p)
{
    edt_ctx c = {feat, dim[0], dim[1], dim[2], {spacing[0], spacing[1], spacing[2]}, out, cap, above, thr, 0};
    int rc = pm_parallel_for(c.nz, 0, edt_xy, &c, p, "distance transform");
    if (rc == PM_OK && !c.failed)
        rc = pm_parallel_for(c.ny, 0, edt_z, &c, p, "distance transform");
    if (rc == PM_OK && c.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory in the distance transform");
    return rc;
}

int pm_seg_edt(const uint8_t *feat, const int dim[3], const double spacing[3], float *out,
               const pm_progress *p)
{
    return pm__edt_capped(feat, dim, spacing, out, EDT_INF, p);
}
