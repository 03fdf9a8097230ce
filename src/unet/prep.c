/* prep.c - lungmask's preparation of a slice: the body box (found on a
 * 128x128 nearest-neighbour copy, as lungmask's simple_bodymask does with
 * scipy.ndimage), the bilinear resize and the intensity scaling. The resize
 * uses half-pixel centres (align_corners false): that is what reproduces the
 * prepared slice of the shared test data (tiny-unet.input.f32) exactly,
 * where corner-to-corner mapping is off by up to 500 HU at edges.
 *
 * The morphology follows scipy's conventions, because the boxes must match:
 * the 3x3 cross is the structuring element, erosion treats pixels outside the
 * image as 0 (so it eats the border), and hole filling floods the
 * background from the border with 8-connectivity (seg's hole filling and
 * keep-largest on the 128x128 slice do the component work).
 */
#include "unet_internal.h"
#include "pulmo/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BS 128

/* One step of a 3x3-cross dilation (grow = 1) or erosion (grow = 0). */
static void morph(const uint8_t *in, uint8_t *out, int grow)
{
    for (int y = 0; y < BS; y++)
        for (int x = 0; x < BS; x++) {
            int c = in[y * BS + x];
            int n[4] = {y > 0 ? in[(y - 1) * BS + x] : 0, y < BS - 1 ? in[(y + 1) * BS + x] : 0,
                        x > 0 ? in[y * BS + x - 1] : 0, x < BS - 1 ? in[y * BS + x + 1] : 0};
            if (grow)
                out[y * BS + x] = (uint8_t)(c | n[0] | n[1] | n[2] | n[3]);
            else
                out[y * BS + x] = (uint8_t)(c & n[0] & n[1] & n[2] & n[3]);
        }
}

/* scipy.ndimage.zoom's order-0 source index for output o of n_out from n_in. */
static int nearest(int o, int n_in, int n_out)
{
    if (n_out <= 1)
        return 0;
    int s = (int)floor((double)o * (n_in - 1) / (n_out - 1) + 0.5);
    return s < 0 ? 0 : s >= n_in ? n_in - 1 : s;
}

void pm_unet_body_box(const int16_t *hu, int nx, int ny, int box[4])
{
    uint8_t a[BS * BS], b[BS * BS];
    pm_mask m = {.v = a};
    pm_grid_init(&m.g, BS, BS, 1, 1, 1, 1);
    box[0] = 0, box[1] = 0, box[2] = nx, box[3] = ny;
    if (nx < 1 || ny < 1)
        return;
    for (int y = 0; y < BS; y++)
        for (int x = 0; x < BS; x++)
            a[y * BS + x] = hu[(size_t)nearest(y, ny, BS) * (size_t)nx + nearest(x, nx, BS)] > -500;
    morph(a, b, 1);          /* closing = dilation, then erosion */
    morph(b, a, 0);
    /* Holes: background not 8-connected to the border; then the largest
     * 4-connected part, the first in raster order on a tie (scipy's). Out
     * of memory leaves the whole slice as the box. */
    if (pm_seg_fill_holes(&m, 1, 8, 0, NULL) != PM_OK)
        return;
    morph(a, b, 0);          /* two erosions */
    morph(b, a, 0);
    int found = 0;
    if (pm_seg_keep_largest(&m, 1, 1, 4, 1, &found, NULL) != PM_OK || !found)
        return;
    morph(a, b, 1);          /* two dilations */
    morph(b, a, 1);
    /* The box of the mask scaled back to nx x ny by nearest neighbour. */
    int x0 = nx, y0 = ny, x1 = -1, y1 = -1;
    int *colhit = calloc((size_t)nx, sizeof *colhit);
    if (!colhit)
        return;
    for (int x = 0; x < nx; x++) {
        int sx = nearest(x, BS, nx);
        for (int sy = 0; sy < BS; sy++)
            colhit[x] |= a[sy * BS + sx];
    }
    for (int x = 0; x < nx; x++)
        if (colhit[x]) {
            if (x < x0) x0 = x;
            x1 = x;
        }
    free(colhit);
    for (int y = 0; y < ny; y++) {
        int sy = nearest(y, BS, ny), hit = 0;
        for (int sx = 0; sx < BS && !hit; sx++)
            hit = a[sy * BS + sx];
        if (hit) {
            if (y < y0) y0 = y;
            y1 = y;
        }
    }
    if (x1 < 0 || y1 < 0)
        return;
    box[0] = x0, box[1] = y0, box[2] = x1 + 1, box[3] = y1 + 1;
}

/* Source coordinate of output o with half-pixel centres, clamped. */
static void src_coord(int o, int n_in, int n_out, int *i0, int *i1, float *f)
{
    double x = (o + 0.5) * (double)n_in / n_out - 0.5;
    if (x < 0)
        x = 0;
    int a = (int)x;
    if (a > n_in - 1)
        a = n_in - 1;
    *i0 = a;
    *i1 = a + 1 < n_in ? a + 1 : a;
    *f = (float)(x - a);
}

void pm_unet_resize(const float *src, int sw, int sh, int sstride, float *dst, int dw, int dh)
{
    for (int oy = 0; oy < dh; oy++) {
        int y0, y1, x0, x1;
        float wy, wx;
        src_coord(oy, sh, dh, &y0, &y1, &wy);
        const float *r0 = src + (size_t)y0 * (size_t)sstride, *r1 = src + (size_t)y1 * (size_t)sstride;
        for (int ox = 0; ox < dw; ox++) {
            src_coord(ox, sw, dw, &x0, &x1, &wx);
            float top = r0[x0] + wx * (r0[x1] - r0[x0]);
            float bot = r1[x0] + wx * (r1[x1] - r1[x0]);
            dst[(size_t)oy * (size_t)dw + ox] = top + wy * (bot - top);
        }
    }
}

void pm_unet_prepare(const int16_t *hu, int nx, const int box[4], float *out256)
{
    int w = box[2] - box[0], h = box[3] - box[1];
    float *crop = malloc((size_t)w * (size_t)h * sizeof *crop);
    if (!crop) {
        /* Can't fail: fall back to an all-air slice rather than garbage. */
        for (int i = 0; i < 256 * 256; i++)
            out256[i] = 0.0f;
        return;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = hu[(size_t)(box[1] + y) * (size_t)nx + box[0] + x];
            crop[(size_t)y * (size_t)w + x] = (float)(v < -1024 ? -1024 : v > 600 ? 600 : v);
        }
    pm_unet_resize(crop, w, h, w, out256, 256, 256);
    free(crop);
    for (int i = 0; i < 256 * 256; i++)
        out256[i] = (out256[i] + 1024.0f) / 1624.0f;
}
