/* edt.c - Euclidean distance transforms.
 *
 * The distance transform is separable (Saito-Toriwaki / Felzenszwalb-
 * Huttenlocher): a linear scan along x, then along y and z the lower
 * envelope of the parabolas s^2 (p - q)^2 + f(q), which is exact for any
 * voxel spacing. Every pass is linear in the number of voxels, so a ball of
 * 2 mm and one of 20 mm cost the same. Columns along y and z are gathered
 * 16 at a time so that each read brings a useful cache line.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EDT_INF 1e30f
#define BLK 16

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
    int any = 0, nonzero = 0;
    for (int q = 0; q < n; q++) {
        if (f[(size_t)q * st] > cap)
            f[(size_t)q * st] = EDT_INF;
        any |= f[(size_t)q * st] < EDT_INF;
        nonzero |= f[(size_t)q * st] != 0;
    }
    if (!any || !nonzero)
        return;
    const float s2 = s * s, inv = 1.0f / s2;
    int *v = b->v, k = -1;
    float *g = b->g, *fv = b->fv, *z = b->z;
    const float *hi = b->half_inv;
    for (int q = 0; q < n; q++) {
        float fq = f[(size_t)q * st];
        if (fq >= EDT_INF)
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
    for (int p = 0, j = 0; p < n; p++) {
        while (z[j + 1] < (float)p)
            j++;
        float dp = (float)(p - v[j]);
        float d = dp * dp * s2 + fv[j];
        f[(size_t)p * st] = d > cap ? EDT_INF : d;
    }
}

/* A block of w lines of n gathered BLK apart that edt_1d would leave as it
 * is: all of it beyond every cap (no site) or all of it at distance 0.
 * Such blocks are most of a crop (far outside a lung, deep inside it). */
static int block_unchanged(const float *buf, int n, int w)
{
    int inf = 1, zero = 1;
    for (int q = 0; q < n && (inf || zero); q++)
        for (int b = 0; b < w; b++) {
            float v = buf[(size_t)q * BLK + b];
            inf &= v >= EDT_INF;
            zero &= v == 0;
        }
    return inf || zero;
}

typedef struct edt_ctx {
    const uint8_t *feat;
    int nx, ny, nz;
    double sp[3];
    float *out;
    float cap;            /* distances above this are reported as EDT_INF */
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
    float *buf = malloc((size_t)ny * BLK * sizeof *buf);
    float *sq = malloc((size_t)nx * sizeof *sq);
    if (line_alloc(&lb, ny) != 0 || !buf || !sq) {
        c->failed = 1;
        line_free(&lb), free(buf), free(sq);
        return;
    }
    /* the squared distances along x, as the scans computed them in place */
    for (int d = 0; d < nx; d++)
        sq[d] = (float)(d * sx * d * sx);
    for (int j = 0; j < ny; j++) {
        const uint8_t *fr = f + (size_t)nx * j;
        float *orow = o + (size_t)nx * j;
        int last = -1;
        for (int i = 0; i < nx; i++) {
            if (fr[i])
                last = i;
            float d = last < 0 ? EDT_INF : sq[i - last];
            orow[i] = d > c->cap ? EDT_INF : d;
        }
        last = -1;
        for (int i = nx - 1; i >= 0; i--) {
            if (fr[i])
                last = i;
            if (last >= 0 && sq[last - i] < orow[i])
                orow[i] = sq[last - i];
        }
    }
    free(sq);
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        for (int j = 0; j < ny; j++)
            memcpy(buf + (size_t)j * BLK, o + (size_t)nx * j + i0, (size_t)w * sizeof *buf);
        if (block_unchanged(buf, ny, w))
            continue;
        for (int b = 0; b < w; b++)
            edt_1d(buf + b, BLK, ny, (float)c->sp[1], c->cap, &lb);
        for (int j = 0; j < ny; j++)
            memcpy(o + (size_t)nx * j + i0, buf + (size_t)j * BLK, (size_t)w * sizeof *buf);
    }
    line_free(&lb), free(buf);
}

/* z for one row j of every slice. */
static void edt_z(void *vctx, int j, int thread)
{
    (void)thread;
    edt_ctx *c = vctx;
    int nx = c->nx, ny = c->ny, nz = c->nz;
    size_t plane = (size_t)nx * ny;
    line_buf lb;
    float *buf = malloc((size_t)nz * BLK * sizeof *buf);
    if (line_alloc(&lb, nz) != 0 || !buf) {
        c->failed = 1;
        line_free(&lb), free(buf);
        return;
    }
    float *o = c->out + (size_t)nx * j;
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        for (int k = 0; k < nz; k++)
            memcpy(buf + (size_t)k * BLK, o + plane * k + i0, (size_t)w * sizeof *buf);
        if (block_unchanged(buf, nz, w))
            continue;
        for (int b = 0; b < w; b++)
            edt_1d(buf + b, BLK, nz, (float)c->sp[2], c->cap, &lb);
        for (int k = 0; k < nz; k++)
            memcpy(o + plane * k + i0, buf + (size_t)k * BLK, (size_t)w * sizeof *buf);
    }
    line_free(&lb), free(buf);
}

int pm__edt_capped(const uint8_t *feat, const int dim[3], const double spacing[3], float *out,
                   float cap, const pm_progress *p)
{
    edt_ctx c = {feat, dim[0], dim[1], dim[2], {spacing[0], spacing[1], spacing[2]}, out, cap, 0};
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
