/* edt_window.c - distance transforms with a small cap, by windows.
 *
 * With a small cap (the ball morphology of a closing: 10 mm is 10 to 14
 * voxels) a voxel's distance along y or z is the minimum of s^2 k^2 + f(q)
 * over the sites q within reach, k = |p - q| rows away. Taken for 16
 * columns side by side, the sums and minima are vector operations, where
 * the lower envelope (edt.c) branches on every site of one column at a
 * time: half the time on LIDC's closing. The sums are the envelope's; only
 * where two sites tie exactly may their float sums round an ulp apart, and
 * the window keeps the smaller.
 *
 * Ball morphology asks only whether each distance is above the radius, so
 * pm__edt_threshold keeps no distances. The x pass leaves in the feature
 * bytes themselves each voxel's offset, in voxels, to the nearest site of
 * its row. Then each block of 16 columns goes along y row after row, the x
 * terms of the rows within reach held as floats in a ring; each finished
 * row goes along z and is thresholded into the same bytes (the ring holds
 * already what the later rows need of them). The float transform took four
 * bytes a voxel more: on a lung's crop 38 MB of new pages, each cleared by
 * the kernel, and their traffic. The sums are the same, added in the same
 * order, so the answers are pm__edt_above's.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLK PM__EDT_BLK
#define EDT_INF PM__EDT_INF

/* 16 floats: one row of a gathered block. */
typedef float pm__row16 __attribute__((vector_size(BLK * sizeof(float))));
typedef int32_t pm__mask16 __attribute__((vector_size(BLK * sizeof(float))));

/* acc = lane by lane, v < acc ? v : acc (what minps does), through the
 * lanes' bits: C has no select on vectors. A macro, since a vector
 * argument or return would change with the instruction set each clone
 * is built for. */
#define ROW_MIN(acc, v)                                                 \
    do {                                                                \
        pm__row16 v_ = (v);                                             \
        pm__mask16 lt_ = v_ < (acc), a_, b_;                            \
        memcpy(&a_, &v_, sizeof a_);                                    \
        memcpy(&b_, &(acc), sizeof b_);                                 \
        a_ = (a_ & lt_) | (b_ & ~lt_);                                  \
        memcpy(&(acc), &a_, sizeof a_);                                 \
    } while (0)

/* acc = lane by lane, acc > cap ? EDT_INF : acc (capv, infv: those two in
 * every lane): beyond the cap, EDT_INF, as every pass reports it. */
#define ROW_CAP(acc, capv, infv)                                        \
    do {                                                                \
        pm__mask16 over_ = (acc) > (capv), a_, inf_;                    \
        memcpy(&a_, &(acc), sizeof a_);                                 \
        memcpy(&inf_, &(infv), sizeof inf_);                            \
        a_ = (inf_ & over_) | (a_ & ~over_);                            \
        memcpy(&(acc), &a_, sizeof a_);                                 \
    } while (0)

/* Whether a row of the block is all 0: sites, whose distance is 0
 * whatever lies around them (terms are never negative), so the window
 * keeps them as they are: a lung's inside in the first threshold of a
 * closing, what lies beyond the dilation in the second. */
#define ROW_ZERO(v)                                                     \
    __extension__({                                                     \
        uint64_t z_[BLK / 2];                                           \
        memcpy(z_, &(v), sizeof z_);                                    \
        uint64_t o_ = 0;                                                \
        for (int i_ = 0; i_ < BLK / 2; i_++)                            \
            o_ |= z_[i_];                                               \
        o_ == 0;                                                        \
    })

/* Whether any lane of a row is below EDT_INF (a site within the cap). */
static int row_finite(const float *row)
{
    int any = 0;
    for (int b = 0; b < BLK; b++)
        any |= row[b] < EDT_INF;
    return any;
}

/* Rows p0..p1 of the block in (n rows) through the window into out:
 * w[k] = s^2 k^2 as edt_1d computes it (dp * dp * s2), so each sum is one
 * the envelope could take. A row with no finite row within reach is
 * EDT_INF without the sums (EDT_INF + w is EDT_INF, then capped): between
 * the far sides of a lung most rows are; fin walks up to the next finite
 * row once, not once a row. target_clones picks AVX-512, AVX2 or baseline
 * code. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void window_rows(const float *restrict in, float *restrict out, int p0, int p1, int n,
                        const float *restrict w, int reach, float cap)
{
    pm__row16 capv, infv;
    for (int b = 0; b < BLK; b++)
        capv[b] = cap, infv[b] = EDT_INF;
    int fin = 0;
    for (int p = p0; p <= p1; p++) {
        pm__row16 acc, r;
        memcpy(&acc, in + (size_t)p * BLK, sizeof acc);
        if (ROW_ZERO(acc)) {
            memcpy(out + (size_t)p * BLK, &acc, sizeof acc);
            continue;
        }
        fin = fin < p - reach ? p - reach : fin;
        while (fin < n && fin <= p + reach && !row_finite(in + (size_t)fin * BLK))
            fin++;
        if (fin >= n || fin > p + reach) {
            memcpy(out + (size_t)p * BLK, &infv, sizeof infv);
            continue;
        }
        int up = p < reach ? p : reach, down = p + reach > n - 1 ? n - 1 - p : reach;
        for (int k = 1; k <= up; k++) {
            memcpy(&r, in + (size_t)(p - k) * BLK, sizeof r);
            ROW_MIN(acc, r + w[k]);
        }
        for (int k = 1; k <= down; k++) {
            memcpy(&r, in + (size_t)(p + k) * BLK, sizeof r);
            ROW_MIN(acc, r + w[k]);
        }
        ROW_CAP(acc, capv, infv);
        memcpy(out + (size_t)p * BLK, &acc, sizeof acc);
    }
}

int pm__window_block(float *buf, float *tmp, int n, int w, const float *wt, int reach, float cap)
{
    /* Only rows within reach of a site can change. The unused columns of a
     * partial block are given a value, so that the vector code reads no
     * uninitialised memory; no column's result depends on another's. */
    int lo = n, hi = -1;
    for (int q = 0; q < n; q++) {
        float *row = buf + (size_t)q * BLK;
        for (int b = w; b < BLK; b++)
            row[b] = EDT_INF;
        for (int b = 0; b < w; b++)
            if (row[b] < EDT_INF) {
                lo = q < lo ? q : lo;
                hi = q;
                break;
            }
    }
    if (hi < 0)
        return 0;
    int p0 = lo - reach > 0 ? lo - reach : 0, p1 = hi + reach < n - 1 ? hi + reach : n - 1;
    window_rows(buf, tmp, p0, p1, n, wt, reach, cap);
    memcpy(buf + (size_t)p0 * BLK, tmp + (size_t)p0 * BLK, (size_t)(p1 - p0 + 1) * BLK * sizeof *buf);
    return 1;
}

int pm__window_reach(float s, float cap, float *w)
{
    if (!(cap < EDT_INF))
        return -1;
    const float s2 = s * s;
    int reach = 0;
    while (reach <= PM__WINDOW_MAX && (float)(reach + 1) * (float)(reach + 1) * s2 <= cap)
        reach++;
    if (reach > PM__WINDOW_MAX)
        return -1;
    for (int k = 0; k <= reach; k++)
        w[k] = (float)k * (float)k * s2;
    return reach;
}

/* ---- thresholds without the distances ----------------------------------- */

#define OFF_FAR 255   /* an x offset beyond the cap */

typedef struct thr_ctx {
    uint8_t *f;
    int nx, ny, nz;
    int xreach;                  /* the largest x offset within the cap */
    float sqx[256];              /* an x offset's term, EDT_INF for OFF_FAR */
    float wy[PM__WINDOW_MAX + 1], wz[PM__WINDOW_MAX + 1];
    int ry, rz;
    float cap, thr;
    int failed;
} thr_ctx;

/* Slice k: every voxel's offset to the nearest site of its row (0 on one),
 * OFF_FAR past xreach, in place. */
static void thr_x(void *vctx, int k, int thread)
{
    (void)thread;
    thr_ctx *c = vctx;
    int nx = c->nx;
    uint8_t *tmp = malloc((size_t)nx);
    if (!tmp) {
        c->failed = 1;
        return;
    }
    for (int j = 0; j < c->ny; j++) {
        uint8_t *fr = c->f + (size_t)nx * ((size_t)j + (size_t)c->ny * k);
        int prev = -1;   /* the last site before the gap, -1: none */
        for (int i = 0; i < nx;) {
            int next = pm_skip_zeros(fr, i, nx);
            for (int t = i; t < next; t++) {
                int dl = prev < 0 ? INT32_MAX : t - prev, dr = next < nx ? next - t : INT32_MAX;
                int d = dl < dr ? dl : dr;
                tmp[t] = d <= c->xreach ? (uint8_t)d : OFF_FAR;
            }
            while (next < nx && fr[next])
                tmp[next++] = 0;
            prev = next - 1;
            i = next;
        }
        memcpy(fr, tmp, (size_t)nx);
    }
    free(tmp);
}

/* Row j of a block (w columns from i0, every slice) as x terms into r,
 * and in fin bit k whether slice k has a lane within the cap; 1 when all
 * of it is beyond the cap, 2 when all of it is sites, else 0. */
static int thr_convert(const thr_ctx *c, int i0, int w, int j, float *r, uint64_t *fin)
{
    int far = 1, site = 1;
    memset(fin, 0, (size_t)(c->nz + 63) / 64 * sizeof *fin);
    for (int k = 0; k < c->nz; k++, r += BLK) {
        const uint8_t *s = c->f + (size_t)i0 + (size_t)c->nx * ((size_t)j + (size_t)c->ny * k);
        /* The next row's bytes, converted next: one slice apart, each on
         * its own page, they are misses no hardware prefetcher sees. */
        if (j + 1 < c->ny)
            __builtin_prefetch(s + c->nx);
        int kfar = 1;
        for (int b = 0; b < w; b++) {
            r[b] = c->sqx[s[b]];
            kfar &= s[b] == OFF_FAR;
            site &= s[b] == 0;
        }
        for (int b = w; b < BLK; b++)
            r[b] = EDT_INF;
        far &= kfar;
        fin[k >> 6] |= (uint64_t)!kfar << (k & 63);
    }
    return far ? 1 : site ? 2 : 0;
}

/* out = the minimum over the rows within reach of row + w[k] (rows[0] is
 * the centre, rows[q] for q = 1 .. n the others, wk[q] their weights),
 * beyond the cap EDT_INF: the y window for every slice of a block's row.
 * Slice by slice, so that a centre of sites is passed on at once; the
 * other rows are added in the same order as the window's. A slice whose
 * bit in fin is 0 has every row beyond the cap (EDT_INF + w is EDT_INF):
 * about half of those a closing computed. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void thr_ywin(const float *const *rows, const float *wk, int n, int nz, float cap,
                     const uint64_t *fin, float *restrict out)
{
    pm__row16 capv, infv;
    for (int b = 0; b < BLK; b++)
        capv[b] = cap, infv[b] = EDT_INF;
    for (int k = 0; k < nz; k++) {
        pm__row16 acc, v;
        if (!(fin[k >> 6] >> (k & 63) & 1)) {
            memcpy(out + (size_t)k * BLK, &infv, sizeof infv);
            continue;
        }
        memcpy(&acc, rows[0] + (size_t)k * BLK, sizeof acc);
        if (!ROW_ZERO(acc)) {
            for (int q = 1; q <= n; q++) {
                memcpy(&v, rows[q] + (size_t)k * BLK, sizeof v);
                ROW_MIN(acc, v + wk[q]);
            }
            ROW_CAP(acc, capv, infv);
        }
        memcpy(out + (size_t)k * BLK, &acc, sizeof acc);
    }
}

/* Block ib (16 columns), every row and slice: y, z, threshold. */
static void thr_yz(void *vctx, int ib, int thread)
{
    (void)thread;
    thr_ctx *c = vctx;
    int nx = c->nx, ny = c->ny, nz = c->nz, i0 = ib * BLK, w = nx - i0 < BLK ? nx - i0 : BLK;
    int slots = 2 * c->ry + 1;
    size_t rowf = (size_t)nz * BLK;
    float *ring = malloc((size_t)slots * rowf * sizeof *ring);
    float *xy = malloc(rowf * sizeof *xy), *z = malloc(rowf * sizeof *z);
    uint8_t *state = malloc((size_t)slots);
    size_t nw = (size_t)(nz + 63) / 64;
    uint64_t *fin = malloc(((size_t)slots + 1) * nw * sizeof *fin), *any = fin + (size_t)slots * nw;
    if (!ring || !xy || !z || !state || !fin) {
        c->failed = 1;
        free(ring), free(xy), free(z), free(state), free(fin);
        return;
    }
    const float *rows[2 * PM__WINDOW_MAX + 1];
    float wk[2 * PM__WINDOW_MAX + 1];
    for (int j = 0, conv = 0; j < ny; j++) {
        for (int last = j + c->ry < ny ? j + c->ry : ny - 1; conv <= last; conv++)
            state[conv % slots] = (uint8_t)thr_convert(c, i0, w, conv, ring + (size_t)(conv % slots) * rowf,
                                                       fin + (size_t)(conv % slots) * nw);
        int up = j < c->ry ? j : c->ry, dn = j + c->ry > ny - 1 ? ny - 1 - j : c->ry;
        int far = 1, n = 0;
        rows[0] = ring + (size_t)(j % slots) * rowf;
        memset(any, 0, nw * sizeof *any);
        for (int q = j - up; q <= j + dn; q++) {
            far &= state[q % slots] == 1;
            for (size_t t = 0; t < nw; t++)
                any[t] |= fin[(size_t)(q % slots) * nw + t];
            if (q != j) {
                n++;
                rows[n] = ring + (size_t)(q % slots) * rowf;
                wk[n] = c->wy[q < j ? j - q : q - j];
            }
        }
        /* d = 0 on a site, beyond the cap with no site within reach */
        uint8_t fixed = far ? 1 : state[j % slots] == 2 ? (0 > c->thr) : 2;
        const float *d = NULL;
        if (fixed == 2) {
            thr_ywin(rows, wk, n, nz, c->cap, any, xy);
            if (pm__window_block(xy, z, nz, w, c->wz, c->rz, c->cap))
                d = xy;
            else
                fixed = 1;
        }
        for (int k = 0; k < nz; k++) {
            uint8_t *s = c->f + (size_t)i0 + (size_t)nx * ((size_t)j + (size_t)ny * k);
            for (int b = 0; b < w; b++)
                s[b] = d ? d[(size_t)k * BLK + b] > c->thr : fixed;
        }
    }
    free(ring), free(xy), free(z), free(state), free(fin);
}

int pm__edt_threshold(uint8_t *feat, const int dim[3], const double spacing[3], float cap, float thr,
                      const pm_progress *p)
{
    thr_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return pm_fail(PM_EMEMORY, "out of memory in the distance transform");
    *c = (thr_ctx){.f = feat, .nx = dim[0], .ny = dim[1], .nz = dim[2], .cap = cap, .thr = thr};
    c->xreach = -1;
    for (int d = 0; d < OFF_FAR; d++) {
        c->sqx[d] = pm__edt_x_term(d, spacing[0], cap);
        if (c->sqx[d] < EDT_INF)
            c->xreach = d;
    }
    c->sqx[OFF_FAR] = EDT_INF;
    c->ry = pm__window_reach((float)spacing[1], cap, c->wy);
    c->rz = pm__window_reach((float)spacing[2], cap, c->wz);
    int rc;
    if (c->ry < 0 || c->rz < 0 || c->xreach >= OFF_FAR - 1 || !(cap < EDT_INF)) {
        /* past the window: the float transform */
        size_t n = (size_t)dim[0] * dim[1] * dim[2];
        float *out = pm__big_alloc(n * sizeof *out);
        rc = out ? pm__edt_above(feat, dim, spacing, out, cap, feat, thr, p)
                 : pm_fail(PM_EMEMORY, "out of memory in the distance transform");
        free(out);
        free(c);
        return rc;
    }
    rc = pm_parallel_for(c->nz, 0, thr_x, c, p, "distance transform");
    if (rc == PM_OK && !c->failed)
        rc = pm_parallel_for((c->nx + BLK - 1) / BLK, 0, thr_yz, c, p, "distance transform");
    if (rc == PM_OK && c->failed)
        rc = pm_fail(PM_EMEMORY, "out of memory in the distance transform");
    free(c);
    return rc;
}
