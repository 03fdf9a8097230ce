/* hist.c - HU histograms and their bar charts. */
#include "pulmo/render.h"
#include "pulmo/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pm_hist_compute(const pm_volume *vol, const pm_mask *mask, int lo, int hi, int bin,
                    pm_hist *out)
{
    if (bin < 1 || hi <= lo)
        return pm_fail(PM_EUSAGE, "bad histogram range %d..%d or bin width %d", lo, hi, bin);
    if (mask && memcmp(mask->g.dim, vol->g.dim, sizeof vol->g.dim) != 0)
        return pm_fail(PM_EUSAGE, "mask is %dx%dx%d, not on the image's grid", mask->g.dim[0],
                       mask->g.dim[1], mask->g.dim[2]);
    pm_hist h = {lo, hi, bin, (hi - lo + bin - 1) / bin, NULL, 0, 0, 0};
    uint64_t *hu = malloc(65536 * sizeof *hu);
    h.count = calloc((size_t)h.nbins, sizeof *h.count);
    if (!hu || !h.count) {
        free(hu), free(h.count);
        return pm_fail(PM_EMEMORY, "out of memory for a histogram");
    }
    uint8_t nonzero[256];
    memset(nonzero, 1, sizeof nonzero);
    nonzero[0] = 0;
    int rc = pm_volume_hu_counts(vol, mask, nonzero, 0, vol->g.dim[2], hu);
    if (rc != PM_OK) {
        free(hu), free(h.count);
        return rc;
    }
    for (int i = 0; i < 65536; i++) {
        int v = i - 32768;
        h.total += hu[i];
        if (v < lo)
            h.below += hu[i];
        else if (v >= hi)
            h.above += hu[i];
        else
            h.count[(v - lo) / bin] += hu[i];
    }
    free(hu);
    *out = h;
    return PM_OK;
}

void pm_hist_free(pm_hist *h)
{
    free(h->count);
    h->count = NULL;
}

void pm_draw_hist(pm_fb *fb, pm_rect r, const pm_hist *h, const pm_hist_style *st)
{
    pm_fb_fill(fb, r, 16, 16, 24);
    if (r.w < 2 || r.h < 2 || h->nbins < 1)
        return;
    int logc = st && st->log_counts;
    double peak = 0;
    for (int b = 0; b < h->nbins; b++) {
        double c = logc ? log1p((double)h->count[b]) : (double)h->count[b];
        if (c > peak)
            peak = c;
    }
    double span = (double)h->nbins * h->bin;
    for (int x = 0; x < r.w; x++) {
        if (r.x + x < 0 || r.x + x >= fb->w)
            continue;
        /* The tallest bin under this column, so narrow peaks survive a
         * chart narrower than the bin count. */
        int b0 = (int)((double)x * h->nbins / r.w), b1 = (int)((double)(x + 1) * h->nbins / r.w);
        if (b1 <= b0)
            b1 = b0 + 1;
        double c = 0;
        for (int b = b0; b < b1 && b < h->nbins; b++) {
            double v = logc ? log1p((double)h->count[b]) : (double)h->count[b];
            if (v > c)
                c = v;
        }
        int bar = peak > 0 ? (int)lround(c / peak * (r.h - 1)) : 0;
        double hu = h->lo + (x + 0.5) * span / r.w;
        uint8_t g = 200;
        if (st && st->shade.width > 0)
            g = (uint8_t)(60 + pm_window_grey(st->shade, hu) * 195 / 255);
        pm_fb_fill(fb, (pm_rect){r.x + x, r.y + r.h - bar, 1, bar}, g, g, g);
    }
    /* Ticks every 500 HU along the bottom edge, so the eye can place the
     * peaks without labels. */
    for (int t = (h->lo / 500) * 500; t <= h->lo + span; t += 500) {
        int x = (int)lround((t - h->lo) / span * r.w);
        if (x >= 0 && x < r.w)
            pm_fb_fill(fb, (pm_rect){r.x + x, r.y + r.h - r.h / 20 - 2, 1, r.h / 20 + 2}, 90, 120, 200);
    }
    for (int i = 0; st && i < st->nmarkers; i++) {
        int x = (int)lround((st->markers[i] - h->lo) / span * r.w);
        if (x >= 0 && x < r.w)
            pm_fb_fill(fb, (pm_rect){r.x + x, r.y, 1, r.h}, 250, 210, 40);
    }
}
