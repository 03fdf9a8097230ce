/* winograd.c - 3x3 convolutions through Winograd's minimal filtering
 * F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): each 4x4 output tile comes from a 6x6 input tile with 36
 * multiplications per channel pair instead of 144, and the 36 element-wise
 * products over all channel pairs become 36 independent GEMMs
 * (cout x cin) x (cin x tiles). The 6x6 transforms cost little next to them
 * when channels number 64 or more. Tiles are processed in chunks so the
 * transformed input stays a few MB. Weights are transformed once, in double.
 *
 * Matrices (points 0, +-1, +-2, infinity):
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0;
 *          0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 *          1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 */
#include "unet_internal.h"

#include <stdlib.h>
#include <string.h>

static const double G[6][3] = {
    {1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

int pm__wino_weights(pm__conv *c)
{
    size_t pairs = (size_t)c->cout * (size_t)c->cin;
    c->wino = malloc(36 * pairs * sizeof(float));
    if (!c->wino)
        return pm_fail(PM_EMEMORY, "out of memory for Winograd weights");
    for (size_t p = 0; p < pairs; p++) {
        const float *g = c->w + p * 9;
        double t[6][3], u[6][6];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 3; j++)
                t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                u[i][j] = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
        for (int x = 0; x < 36; x++)
            c->wino[(size_t)x * pairs + p] = (float)u[x / 6][x % 6];
    }
    return PM_OK;
}

/* The transforms work on LANES tiles at once, element x of every tile in
 * one row of 16 floats, so the arithmetic vectorises (target_clones picks
 * AVX-512, AVX2 or baseline code at load time) and the transformed values
 * are stored as runs of consecutive tiles, the layout the GEMMs read. */
#define LANES 16
#define VEC __attribute__((target_clones("avx512f", "avx2", "default")))

/* v = B^T d B for LANES tiles (d, v: [36][LANES]). */
VEC static void in_tf(float d[36][LANES], float v[36][LANES])
{
    float t[36][LANES];
    for (int j = 0; j < 6; j++)
        for (int l = 0; l < LANES; l++) {
            float d0 = d[j][l], d1 = d[6 + j][l], d2 = d[12 + j][l], d3 = d[18 + j][l],
                  d4 = d[24 + j][l], d5 = d[30 + j][l];
            t[j][l] = 4 * d0 - 5 * d2 + d4;
            t[6 + j][l] = -4 * d1 - 4 * d2 + d3 + d4;
            t[12 + j][l] = 4 * d1 - 4 * d2 - d3 + d4;
            t[18 + j][l] = -2 * d1 - d2 + 2 * d3 + d4;
            t[24 + j][l] = 2 * d1 - d2 - 2 * d3 + d4;
            t[30 + j][l] = 4 * d1 - 5 * d3 + d5;
        }
    for (int i = 0; i < 6; i++)
        for (int l = 0; l < LANES; l++) {
            float r0 = t[6 * i][l], r1 = t[6 * i + 1][l], r2 = t[6 * i + 2][l],
                  r3 = t[6 * i + 3][l], r4 = t[6 * i + 4][l], r5 = t[6 * i + 5][l];
            v[6 * i][l] = 4 * r0 - 5 * r2 + r4;
            v[6 * i + 1][l] = -4 * r1 - 4 * r2 + r3 + r4;
            v[6 * i + 2][l] = 4 * r1 - 4 * r2 - r3 + r4;
            v[6 * i + 3][l] = -2 * r1 - r2 + 2 * r3 + r4;
            v[6 * i + 4][l] = 2 * r1 - r2 - 2 * r3 + r4;
            v[6 * i + 5][l] = 4 * r1 - 5 * r3 + r5;
        }
}

/* y = act(A^T m A) for LANES tiles (m: [36][LANES], y: [16][LANES]). */
VEC static void out_tf(float m[36][LANES], float y[16][LANES], float b, int relu, float sc,
                       float sh)
{
    float t[24][LANES];
    for (int j = 0; j < 6; j++)
        for (int l = 0; l < LANES; l++) {
            float m0 = m[j][l], m1 = m[6 + j][l], m2 = m[12 + j][l], m3 = m[18 + j][l],
                  m4 = m[24 + j][l], m5 = m[30 + j][l];
            t[j][l] = m0 + m1 + m2 + m3 + m4;
            t[6 + j][l] = m1 - m2 + 2 * m3 - 2 * m4;
            t[12 + j][l] = m1 + m2 + 4 * m3 + 4 * m4;
            t[18 + j][l] = m1 - m2 + 8 * m3 - 8 * m4 + m5;
        }
    for (int i = 0; i < 4; i++)
        for (int l = 0; l < LANES; l++) {
            float r0 = t[6 * i][l], r1 = t[6 * i + 1][l], r2 = t[6 * i + 2][l],
                  r3 = t[6 * i + 3][l], r4 = t[6 * i + 4][l], r5 = t[6 * i + 5][l];
            float y0 = r0 + r1 + r2 + r3 + r4 + b, y1 = r1 - r2 + 2 * r3 - 2 * r4 + b;
            float y2 = r1 + r2 + 4 * r3 + 4 * r4 + b, y3 = r1 - r2 + 8 * r3 - 8 * r4 + r5 + b;
            if (relu) {
                y0 = (y0 > 0 ? y0 : 0) * sc + sh;
                y1 = (y1 > 0 ? y1 : 0) * sc + sh;
                y2 = (y2 > 0 ? y2 : 0) * sc + sh;
                y3 = (y3 > 0 ? y3 : 0) * sc + sh;
            }
            y[4 * i][l] = y0, y[4 * i + 1][l] = y1, y[4 * i + 2][l] = y2, y[4 * i + 3][l] = y3;
        }
}

/* d for LANES tiles side by side in one tile row: their 6 input rows
 * start at (y0, x0) and overlap by 2 columns. Rows and columns outside the
 * image read 0 (a padded copy of the 6 x (4*LANES+2) window first). */
VEC static void gather_row(const float *src, int h, int w, int y0, int x0, float d[36][LANES])
{
    enum { WW = 4 * LANES + 2 };
    float win[6][WW];
    int a = x0 < 0 ? -x0 : 0, b = x0 + WW > w ? w - x0 : WW;   /* valid columns [a, b) */
    for (int i = 0; i < 6; i++) {
        int y = y0 + i;
        if (y < 0 || y >= h || b <= a) {
            memset(win[i], 0, sizeof win[i]);
            continue;
        }
        for (int k = 0; k < a; k++)
            win[i][k] = 0.0f;
        memcpy(win[i] + a, src + (size_t)y * (size_t)w + x0 + a, (size_t)(b - a) * sizeof(float));
        for (int k = b; k < WW; k++)
            win[i][k] = 0.0f;
    }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            for (int l = 0; l < LANES; l++)
                d[6 * i + j][l] = win[i][4 * l + j];
}

/* The 4x4 outputs of LANES tiles side by side: 4 rows of 4*LANES floats. */
VEC static void scatter_row(float *dst, int w, float y[16][LANES])
{
    for (int i = 0; i < 4; i++, dst += w)
        for (int l = 0; l < LANES; l++)
            for (int j = 0; j < 4; j++)
                dst[4 * l + j] = y[4 * i + j][l];
}

void pm__wino_conv(const pm__conv *c, const float *in, float *out, int h, int w, float *vbuf,
                   float *mbuf, size_t bufn)
{
    int tw = w / 4, th = h / 4, ntiles = tw * th;
    size_t hw = (size_t)h * (size_t)w;
    int big = c->cin > c->cout ? c->cin : c->cout;
    int tc = (int)(bufn / (36 * (size_t)big));
    /* Whole groups of LANES tiles: with tw a multiple of LANES a group then
     * never straddles two tile rows, and takes the fast gather below. */
    if (tc > LANES)
        tc -= tc % LANES;
    if (tc < 1)
        tc = 1;
    if (tc > ntiles)
        tc = ntiles;
    float d[36][LANES], v[36][LANES], y[16][LANES];
    for (int t0 = 0; t0 < ntiles; t0 += tc) {
        int n = t0 + tc <= ntiles ? tc : ntiles - t0;
        size_t vs = (size_t)c->cin * (size_t)n, ms = (size_t)c->cout * (size_t)n;
        /* V[x][ci][t] */
        for (int ci = 0; ci < c->cin; ci++) {
            const float *src = in + (size_t)ci * hw;
            for (int t = 0; t < n; t += LANES) {
                int nl = n - t < LANES ? n - t : LANES;
                int first = t0 + t, ty0 = first / tw;
                if (nl == LANES && tw % LANES == 0) {
                    gather_row(src, h, w, ty0 * 4 - 1, (first % tw) * 4 - 1, d);
                    goto transform;
                }
                for (int l = 0; l < LANES; l++) {
                    if (l >= nl) {
                        for (int x = 0; x < 36; x++)
                            d[x][l] = 0.0f;
                        continue;
                    }
                    int ty = (t0 + t + l) / tw, tx = (t0 + t + l) % tw;
                    int y0 = ty * 4 - 1, x0 = tx * 4 - 1;
                    if (y0 >= 0 && x0 >= 0 && y0 + 6 <= h && x0 + 6 <= w) {
                        const float *p = src + (size_t)y0 * (size_t)w + x0;
                        for (int i = 0; i < 6; i++, p += w)
                            for (int j = 0; j < 6; j++)
                                d[6 * i + j][l] = p[j];
                    } else {
                        for (int i = 0; i < 6; i++)
                            for (int j = 0; j < 6; j++) {
                                int yy = y0 + i, xx = x0 + j;
                                d[6 * i + j][l] = yy >= 0 && yy < h && xx >= 0 && xx < w
                                                      ? src[(size_t)yy * (size_t)w + xx] : 0.0f;
                            }
                    }
                }
            transform:
                in_tf(d, v);
                float *dst = vbuf + (size_t)ci * (size_t)n + t;
                /* A constant length compiles to vector moves; rep movs is slow at 64 bytes. */
                if (nl == LANES)
                    for (int x = 0; x < 36; x++)
                        memcpy(dst + (size_t)x * vs, v[x], LANES * sizeof(float));
                else
                    for (int x = 0; x < 36; x++)
                        for (int l = 0; l < nl; l++)
                            dst[(size_t)x * vs + l] = v[x][l];
            }
        }
        size_t pairs = (size_t)c->cout * (size_t)c->cin;
        for (int x = 0; x < 36; x++)
            pm__sgemm(c->cout, n, c->cin, c->wino + (size_t)x * pairs, c->cin,
                      vbuf + (size_t)x * vs, n, mbuf + (size_t)x * ms, n);
        for (int o = 0; o < c->cout; o++) {
            float *dst = out + (size_t)o * hw;
            for (int t = 0; t < n; t += LANES) {
                int nl = n - t < LANES ? n - t : LANES;
                const float *src = mbuf + (size_t)o * (size_t)n + t;
                for (int x = 0; x < 36; x++) {
                    if (nl == LANES)
                        memcpy(d[x], src + (size_t)x * ms, LANES * sizeof(float));
                    else
                        for (int l = 0; l < LANES; l++)
                            d[x][l] = l < nl ? src[(size_t)x * ms + l] : 0.0f;
                }
                out_tf(d, y, c->b[o], c->relu, c->relu ? c->scale[o] : 1.0f,
                       c->relu ? c->shift[o] : 0.0f);
                if (nl == LANES && tw % LANES == 0) {
                    int first = t0 + t;
                    scatter_row(dst + (size_t)(first / tw * 4) * (size_t)w + (first % tw) * 4, w, y);
                    continue;
                }
                for (int l = 0; l < nl; l++) {
                    int ty = (t0 + t + l) / tw, tx = (t0 + t + l) % tw;
                    float *row = dst + (size_t)(ty * 4) * (size_t)w + tx * 4;
                    for (int i = 0; i < 4; i++, row += w)
                        for (int j = 0; j < 4; j++)
                            row[j] = y[4 * i + j][l];
                }
            }
        }
    }
}
