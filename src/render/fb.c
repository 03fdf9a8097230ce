/* fb.c - the RGB framebuffer, scaling, and window/level. */
#include "pulmo/render.h"
#include "pulmo/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pm_fb *pm_fb_new(int w, int h, int with_depth)
{
    if (w < 1 || h < 1 || w > 16384 || h > 16384) {
        pm_fail(PM_EUSAGE, "image size %dx%d out of range (1..16384)", w, h);
        return NULL;
    }
    pm_fb *fb = calloc(1, sizeof *fb);
    if (!fb)
        goto oom;
    fb->w = w;
    fb->h = h;
    fb->rgb = calloc((size_t)w * (size_t)h, 3);
    if (!fb->rgb)
        goto oom;
    if (with_depth) {
        fb->depth = calloc((size_t)w * (size_t)h, sizeof *fb->depth);
        if (!fb->depth)
            goto oom;
    }
    return fb;
oom:
    pm_fb_free(fb);
    pm_fail(PM_EMEMORY, "out of memory for a %dx%d image", w, h);
    return NULL;
}

void pm_fb_free(pm_fb *fb)
{
    if (!fb)
        return;
    free(fb->rgb);
    free(fb->depth);
    free(fb);
}

void pm_fb_clear(pm_fb *fb, uint8_t r, uint8_t g, uint8_t b)
{
    pm_fb_fill(fb, pm_fb_rect(fb), r, g, b);
    if (fb->depth)
        memset(fb->depth, 0, (size_t)fb->w * (size_t)fb->h * sizeof *fb->depth);
}

pm_rect pm_fb_rect(const pm_fb *fb)
{
    return (pm_rect){0, 0, fb->w, fb->h};
}

void pm_fb_fill(pm_fb *fb, pm_rect r, uint8_t rr, uint8_t gg, uint8_t bb)
{
    int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
    int x1 = r.x + r.w > fb->w ? fb->w : r.x + r.w;
    int y1 = r.y + r.h > fb->h ? fb->h : r.y + r.h;
    for (int y = y0; y < y1; y++) {
        uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x0);
        for (int x = x0; x < x1; x++, p += 3) {
            p[0] = rr;
            p[1] = gg;
            p[2] = bb;
        }
    }
}

void pm_fb_blit(pm_fb *dst, int x, int y, const pm_fb *src)
{
    int sx0 = x < 0 ? -x : 0, sy0 = y < 0 ? -y : 0;
    int w = src->w - sx0, h = src->h - sy0;
    if (x + sx0 + w > dst->w)
        w = dst->w - x - sx0;
    if (y + sy0 + h > dst->h)
        h = dst->h - y - sy0;
    for (int r = 0; r < h; r++)
        memcpy(dst->rgb + 3 * ((size_t)(y + sy0 + r) * dst->w + x + sx0),
               src->rgb + 3 * ((size_t)(sy0 + r) * src->w + sx0), 3 * (size_t)(w > 0 ? w : 0));
}

/* Source coordinate of destination pixel centre d, for n_src/n_dst. */
static double pm__src_coord(int d, int n_src, int n_dst)
{
    return ((double)d + 0.5) * n_src / n_dst - 0.5;
}

/* Shrinking by averaging every source pixel whose centre falls in the
 * destination pixel's footprint: bilinear sampling of a 512-pixel slice
 * into 80 text columns would skip most pixels and alias. */
static void pm__shrink(const pm_fb *src, pm_fb *dst)
{
    for (int y = 0; y < dst->h; y++) {
        int y0 = (int)((int64_t)y * src->h / dst->h), y1 = (int)((int64_t)(y + 1) * src->h / dst->h);
        if (y1 <= y0)
            y1 = y0 + 1;
        uint8_t *o = dst->rgb + 3 * (size_t)y * dst->w;
        for (int x = 0; x < dst->w; x++, o += 3) {
            int x0 = (int)((int64_t)x * src->w / dst->w), x1 = (int)((int64_t)(x + 1) * src->w / dst->w);
            if (x1 <= x0)
                x1 = x0 + 1;
            uint32_t sum[3] = {0, 0, 0};
            for (int sy = y0; sy < y1; sy++) {
                const uint8_t *p = src->rgb + 3 * ((size_t)sy * src->w + x0);
                for (int sx = x0; sx < x1; sx++, p += 3) {
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                }
            }
            uint32_t n = (uint32_t)((y1 - y0) * (x1 - x0));
            for (int c = 0; c < 3; c++)
                o[c] = (uint8_t)((sum[c] + n / 2) / n);
        }
    }
}

/* The source samples of output pixel i along one axis (ns source, nd
 * output pixels): the two neighbours and the weight of the second, or the
 * nearest one twice. */
static double pm__taps(int i, int ns, int nd, int bilinear, int *i0, int *i1)
{
    double si = pm__src_coord(i, ns, nd);
    if (si < 0)
        si = 0;
    if (si > ns - 1)
        si = ns - 1;
    *i0 = bilinear ? (int)si : (int)(si + 0.5);
    *i1 = *i0 + 1 < ns ? *i0 + 1 : *i0;
    return bilinear ? si - *i0 : 0;
}

void pm_fb_scale(const pm_fb *src, pm_fb *dst, int bilinear)
{
    if (bilinear && dst->w <= src->w && dst->h <= src->h) {
        pm__shrink(src, dst);
        return;
    }
    for (int y = 0; y < dst->h; y++) {
        int y0, y1;
        double fy = pm__taps(y, src->h, dst->h, bilinear, &y0, &y1);
        uint8_t *o = dst->rgb + 3 * (size_t)y * dst->w;
        for (int x = 0; x < dst->w; x++, o += 3) {
            int x0, x1;
            double fx = pm__taps(x, src->w, dst->w, bilinear, &x0, &x1);
            const uint8_t *a = src->rgb + 3 * ((size_t)y0 * src->w + x0);
            const uint8_t *b = src->rgb + 3 * ((size_t)y0 * src->w + x1);
            const uint8_t *c = src->rgb + 3 * ((size_t)y1 * src->w + x0);
            const uint8_t *d = src->rgb + 3 * ((size_t)y1 * src->w + x1);
            for (int ch = 0; ch < 3; ch++) {
                double top = a[ch] + (b[ch] - a[ch]) * fx;
                double bot = c[ch] + (d[ch] - c[ch]) * fx;
                o[ch] = (uint8_t)(top + (bot - top) * fy + 0.5);
            }
        }
    }
}

const char *pm_window_preset(int i, pm_window *w)
{
    static const struct {
        const char *name;
        pm_window w;
    } presets[] = {{"lung", PM_WINDOW_LUNG}, {"mediastinum", PM_WINDOW_MEDIASTINUM},
                   {"bone", PM_WINDOW_BONE}, {"brain", PM_WINDOW_BRAIN}};
    if (i < 0 || (size_t)i >= sizeof presets / sizeof presets[0])
        return NULL;
    *w = presets[i].w;
    return presets[i].name;
}

int pm_window_parse(const char *s, pm_window *w)
{
    const char *name;
    pm_window pw;
    for (int i = 0; (name = pm_window_preset(i, &pw)); i++)
        if (!strcasecmp(s, name)) {
            *w = pw;
            return PM_OK;
        }
    char *end;
    double width = strtod(s, &end);
    if (end != s && *end == '/') {
        const char *l = end + 1;
        double level = strtod(l, &end);
        if (end != l && !*end && width > 0 && isfinite(width) && isfinite(level)) {
            w->width = width;
            w->level = level;
            return PM_OK;
        }
    }
    return pm_fail(PM_EUSAGE, "bad window '%s': use lung, mediastinum, bone, brain or "
                   "WIDTH/LEVEL in HU (e.g. 1500/-600)", s);
}

uint8_t pm_window_grey(pm_window w, double hu)
{
    double g = (hu - (w.level - w.width / 2)) * 255.0 / w.width;
    if (!(g > 0))
        return 0;
    if (g >= 255)
        return 255;
    return (uint8_t)(g + 0.5);
}
