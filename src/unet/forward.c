/* forward.c - the U-Net forward pass for 2D slices.
 *
 * 3x3 convolutions are lowered to GEMM (im2col): the input patch matrix is
 * built a band of rows at a time, so the patch buffer stays a few MB even for
 * 256x256 inputs with 128 channels (the whole matrix would be 300 MB). Each
 * down block writes its output straight into the second half of the buffer
 * that the matching up block concatenates, so the skip connection costs no
 * copy. Bias, ReLU and the folded batch norm are applied in one pass after
 * each GEMM.
 *
 * Threads: several slices run one per thread, each with its own workspace
 * and a single-threaded GEMM (no synchronisation inside a slice at all); a
 * lone slice is spread over the threads by the GEMM library instead.
 */
#include "unet_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Patch and Winograd buffers, 12 MB each: the whole 16x16 bottom level
 * (9216 x 256 patches) fits, so its weights are packed once per layer. */
#define COL_FLOATS (3u << 20)

typedef struct ws {
    float *cat[PM_UNET_MAXDEPTH];
    float *tmp, *cur, *low, *pooled, *col, *wm, *logits;
} ws;

static void ws_free(ws *s)
{
    for (int i = 0; i < PM_UNET_MAXDEPTH; i++)
        free(s->cat[i]);
    free(s->tmp); free(s->cur); free(s->low); free(s->pooled); free(s->col); free(s->wm); free(s->logits);
    memset(s, 0, sizeof *s);
}

static int ws_alloc(ws *s, const pm_unet *net, int h, int w)
{
    memset(s, 0, sizeof *s);
    size_t big = 0, small = 0;
    for (int l = 0; l < net->depth; l++) {
        size_t hw = (size_t)(h >> l) * (size_t)(w >> l);
        if ((size_t)net->width[l] * hw > big)
            big = (size_t)net->width[l] * hw;
        if ((size_t)net->width[l] * hw / 4 > small)
            small = (size_t)net->width[l] * hw / 4;
        if (l < net->depth - 1 &&
            !(s->cat[l] = malloc(2 * (size_t)net->width[l] * hw * sizeof(float))))
            goto oom;
    }
    s->tmp = malloc(big * sizeof(float));
    s->cur = malloc(big * sizeof(float));
    s->low = malloc(small * sizeof(float));
    s->pooled = malloc(small * sizeof(float));
    s->col = malloc(COL_FLOATS * sizeof(float));
    s->wm = malloc(COL_FLOATS * sizeof(float));
    s->logits = malloc((size_t)net->ncls * (size_t)h * (size_t)w * sizeof(float));
    if (s->tmp && s->cur && s->low && s->pooled && s->col && s->wm && s->logits)
        return PM_OK;
oom:
    ws_free(s);
    return pm_fail(PM_EMEMORY, "out of memory for the U-Net workspace");
}

static void epilogue(const pm__conv *c, float *out, size_t hw, size_t ld, size_t n)
{
    for (int o = 0; o < c->cout; o++) {
        float *y = out + (size_t)o * ld;
        float b = c->b[o];
        if (!c->relu) {
            for (size_t i = 0; i < n; i++)
                y[i] += b;
            continue;
        }
        float s = c->scale[o], t = c->shift[o];
        for (size_t i = 0; i < n; i++) {
            float v = y[i] + b;
            y[i] = (v > 0.0f ? v : 0.0f) * s + t;
        }
    }
    (void)hw;
}

/* out (cout x h x w) = conv(in (cin x h x w)), then the epilogue. */
static void conv(const pm__conv *c, const float *in, float *out, int h, int w, float *col,
                 float *wm)
{
    size_t hw = (size_t)h * (size_t)w;
    if (c->wino) {
        pm__wino_conv(c, in, out, h, w, col, wm, COL_FLOATS);
        return;
    }
    if (c->k == 1) {
        pm__sgemm(c->cout, (int)hw, c->cin, c->w, c->cin, in, (int)hw, out, (int)hw);
        epilogue(c, out, hw, hw, hw);
        return;
    }
    int kk = c->cin * 9;
    int rows = (int)(COL_FLOATS / ((size_t)kk * (size_t)w));
    if (rows < 1)
        rows = 1;
    if (rows > h)
        rows = h;
    for (int y0 = 0; y0 < h; y0 += rows) {
        int r = y0 + rows <= h ? rows : h - y0;
        int n = r * w;
        /* col row (ci, ky, kx), column (y, x) = in[ci][y0 + y + ky - 1][x + kx - 1] */
        for (int ci = 0; ci < c->cin; ci++) {
            const float *src = in + (size_t)ci * hw;
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    float *d = col + ((size_t)(ci * 9 + ky * 3 + kx)) * (size_t)n;
                    for (int y = 0; y < r; y++, d += w) {
                        int sy = y0 + y + ky - 1;
                        if (sy < 0 || sy >= h) {
                            memset(d, 0, (size_t)w * sizeof *d);
                            continue;
                        }
                        const float *s = src + (size_t)sy * (size_t)w + (kx - 1);
                        int x0 = kx == 0 ? 1 : 0, x1 = kx == 2 ? w - 1 : w;
                        if (kx == 0)
                            d[0] = 0.0f;
                        if (kx == 2)
                            d[w - 1] = 0.0f;
                        memcpy(d + x0, s + x0, (size_t)(x1 - x0) * sizeof *d);
                    }
                }
        }
        pm__sgemm(c->cout, n, kk, c->w, kk, col, n, out + (size_t)y0 * (size_t)w, (int)hw);
        for (int o = 0; o < c->cout; o++)
            epilogue(&(pm__conv){.cout = 1, .b = c->b + o, .relu = c->relu,
                                 .scale = c->scale ? c->scale + o : NULL,
                                 .shift = c->shift ? c->shift + o : NULL},
                     out + (size_t)o * hw + (size_t)y0 * (size_t)w, hw, hw, (size_t)n);
    }
}

static void avgpool(const float *in, float *out, int ch, int h, int w)
{
    int oh = h / 2, ow = w / 2;
    for (int c = 0; c < ch; c++) {
        const float *s = in + (size_t)c * (size_t)h * (size_t)w;
        float *d = out + (size_t)c * (size_t)oh * (size_t)ow;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                const float *p = s + (size_t)(2 * y) * (size_t)w + 2 * x;
                d[(size_t)y * (size_t)ow + x] = 0.25f * (p[0] + p[1] + p[w] + p[w + 1]);
            }
    }
}

/* Bilinear x2, align_corners false: output 2i takes 0.25 of input i-1 and
 * 0.75 of i, output 2i+1 0.75 of i and 0.25 of i+1, clamped at the edges. */
static void upsample2(const float *in, float *out, int ch, int h, int w)
{
    int ow = 2 * w;
    for (int c = 0; c < ch; c++) {
        const float *s = in + (size_t)c * (size_t)h * (size_t)w;
        float *d = out + (size_t)c * (size_t)(4 * h * w);
        for (int oy = 0; oy < 2 * h; oy++) {
            int y = oy / 2, ya, yb;
            float wa, wb;
            if (oy & 1) { ya = y; yb = y + 1 < h ? y + 1 : h - 1; wa = 0.75f; wb = 0.25f; }
            else { ya = y > 0 ? y - 1 : 0; yb = y; wa = 0.25f; wb = 0.75f; }
            if (oy == 0) { ya = 0; }
            const float *ra = s + (size_t)ya * (size_t)w, *rb = s + (size_t)yb * (size_t)w;
            float *dr = d + (size_t)oy * (size_t)ow;
            for (int ox = 0; ox < ow; ox++) {
                int x = ox / 2, xa, xb;
                float va, vb;
                if (ox & 1) { xa = x; xb = x + 1 < w ? x + 1 : w - 1; va = 0.75f; vb = 0.25f; }
                else { xa = x > 0 ? x - 1 : 0; xb = x; va = 0.25f; vb = 0.75f; }
                float top = va * ra[xa] + vb * ra[xb], bot = va * rb[xa] + vb * rb[xb];
                dr[ox] = wa * top + wb * bot;
            }
        }
    }
}

static void slice_forward(const pm_unet *net, ws *s, const float *in, int h, int w, float *logp,
                          uint8_t *labels)
{
    int d = net->depth;
    const float *x = in;
    for (int i = 0; i < d; i++) {
        int hi = h >> i, wi = w >> i;
        size_t hw = (size_t)hi * (size_t)wi;
        float *dst = i < d - 1 ? s->cat[i] + (size_t)net->width[i] * hw : s->cur;
        conv(&net->down[i][0], x, s->tmp, hi, wi, s->col, s->wm);
        conv(&net->down[i][1], s->tmp, dst, hi, wi, s->col, s->wm);
        if (i < d - 1) {
            avgpool(dst, s->pooled, net->width[i], hi, wi);
            x = s->pooled;
        }
    }
    for (int j = 0; j < d - 1; j++) {
        int l = d - 2 - j, hl = h >> l, wl = w >> l;
        /* 1x1 before the upsampling: both linear, weights summing to one. */
        conv(&net->upc[j], s->cur, s->low, hl / 2, wl / 2, s->col, s->wm);
        upsample2(s->low, s->cat[l], net->width[l], hl / 2, wl / 2);
        conv(&net->upb[j][0], s->cat[l], s->tmp, hl, wl, s->col, s->wm);
        conv(&net->upb[j][1], s->tmp, s->cur, hl, wl, s->col, s->wm);
    }
    conv(&net->last, s->cur, s->logits, h, w, s->col, s->wm);
    size_t hw = (size_t)h * (size_t)w;
    int nc = net->ncls;
    for (size_t p = 0; p < hw; p++) {
        float m = s->logits[p];
        int best = 0;
        for (int c = 1; c < nc; c++)
            if (s->logits[(size_t)c * hw + p] > m) {
                m = s->logits[(size_t)c * hw + p];
                best = c;
            }
        if (labels)
            labels[p] = (uint8_t)best;
        if (logp) {
            double sum = 0;
            for (int c = 0; c < nc; c++)
                sum += exp((double)(s->logits[(size_t)c * hw + p] - m));
            float ls = (float)log(sum);
            for (int c = 0; c < nc; c++)
                logp[(size_t)c * hw + p] = s->logits[(size_t)c * hw + p] - m - ls;
        }
    }
}

typedef struct fctx {
    const pm_unet *net;
    int h, w;
    const float *in;
    float *logp;
    uint8_t *labels;
    ws *ws;
    int wsfail;
} fctx;

static void run_one(void *ctx, int task, int thread)
{
    fctx *f = ctx;
    ws *s = &f->ws[thread];
    if (!s->tmp && ws_alloc(s, f->net, f->h, f->w)) {
        f->wsfail = 1;
        return;
    }
    size_t hw = (size_t)f->h * (size_t)f->w;
    slice_forward(f->net, s, f->in + (size_t)task * hw * (size_t)f->net->cin, f->h, f->w,
                  f->logp ? f->logp + (size_t)task * hw * (size_t)f->net->ncls : NULL,
                  f->labels ? f->labels + (size_t)task * hw : NULL);
}

int pm_unet_forward(const pm_unet *net, int n, int h, int w, const float *in, float *logp,
                    uint8_t *labels, int nthreads, const pm_progress *p)
{
    int m = 1 << net->depth;   /* Winograd tiles of 4 down to the level above the bottom */
    if (n < 0 || h < m || w < m || h % m || w % m || h > 4096 || w > 4096)
        return pm_fail(PM_EUSAGE, "U-Net input must be a multiple of %d pixels per side "
                       "(got %dx%d)", m, w, h);
    if (nthreads <= 0)
        nthreads = pm_threads();
    int workers = nthreads < n ? nthreads : (n > 0 ? n : 1);
    ws *spaces = calloc((size_t)workers, sizeof *spaces);
    if (!spaces)
        return pm_fail(PM_EMEMORY, "out of memory");
    /* One slice per worker with a serial GEMM, or one slice with a threaded
     * GEMM. OpenBLAS's thread count is process-wide, so concurrent passes
     * (batch jobs) take turns rather than change it under each other; each
     * pass already keeps every core busy. */
    static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&blas_lock);
    int rc = pm__sgemm_threads(workers > 1 ? 1 : nthreads);
    fctx f = {net, h, w, in, logp, labels, spaces, 0};
    if (rc == PM_OK)
        rc = pm_parallel_for(n, workers, run_one, &f, p, "U-Net");
    pm_unet_blas_idle(); /* its workers would spin until the next pass */
    pthread_mutex_unlock(&blas_lock);
    for (int i = 0; i < workers; i++)
        ws_free(&spaces[i]);
    free(spaces);
    if (!rc && f.wsfail)
        rc = pm_fail(PM_EMEMORY, "out of memory for the U-Net workspace");
    return rc;
}
