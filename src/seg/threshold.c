/* threshold.c - HU thresholds, histograms and Otsu's threshold. */
#include "pulmo/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct thr_ctx {
    const pm_volume *v;
    int lo, hi;
    uint8_t value;
    pm_mask *m;
} thr_ctx;

static void thr_slice(void *vctx, int k, int thread)
{
    (void)thread;
    thr_ctx *c = vctx;
    size_t n = (size_t)c->v->g.dim[0] * (size_t)c->v->g.dim[1];
    const int16_t *h = c->v->hu + n * (size_t)k;
    uint8_t *o = c->m->v + n * (size_t)k;
    const int lo = c->lo, hi = c->hi;
    const uint8_t val = c->value;
    for (size_t i = 0; i < n; i++)
        o[i] = (h[i] >= lo && h[i] <= hi) ? val : 0;
}

void pm_seg_threshold(const pm_volume *v, int lo, int hi, uint8_t value, pm_mask *m)
{
    thr_ctx c = {v, lo, hi, value, m};
    m->g = v->g;
    pm_parallel_for(v->g.dim[2], 0, thr_slice, &c, NULL, NULL);
}

double pm_seg_otsu(const pm_volume *v, int nbins)
{
    int lo, hi;
    pm_volume_stats(v, &lo, &hi, NULL);
    if (hi <= lo || nbins < 2)
        return lo;
    /* scikit-image bins the range [min, max] into nbins equal bins; the
     * volume's one HU histogram gives each HU's count. */
    uint64_t *cnt = pm_calloc((size_t)nbins, sizeof *cnt), *hu = pm_malloc(65536 * sizeof *hu);
    double *cum_w = pm_malloc((size_t)nbins * sizeof *cum_w);
    double *cum_m = pm_malloc((size_t)nbins * sizeof *cum_m);
    if (!cnt || !hu || !cum_w || !cum_m) {
        free(cnt), free(hu), free(cum_w), free(cum_m);
        pm_fail(PM_EMEMORY, "out of memory for Otsu's histogram");
        return NAN;
    }
    if (pm_volume_hu_counts(v, NULL, NULL, 0, v->g.dim[2], hu) != PM_OK) {
        free(cnt), free(hu), free(cum_w), free(cum_m);
        return NAN;
    }
    double width = (double)(hi - lo) / nbins;
    for (int h = lo; h <= hi; h++) {
        int b = (int)((h - lo) / width);
        cnt[b >= nbins ? nbins - 1 : b < 0 ? 0 : b] += hu[h + 32768];
    }
    free(hu);
    double w = 0, mw = 0, tw = 0, tm = 0;
    for (int b = 0; b < nbins; b++) {
        double c = (double)cnt[b], centre = lo + (b + 0.5) * width;
        w += c;
        mw += c * centre;
        cum_w[b] = w;
        cum_m[b] = mw;
    }
    tw = w, tm = mw;
    /* Between-class variance for a split after bin b (below: 0..b). */
    double best = -1;
    int arg = 0;
    for (int b = 0; b < nbins - 1; b++) {
        double w1 = cum_w[b], w2 = tw - cum_w[b];
        if (w1 <= 0 || w2 <= 0)
            continue;
        double m1 = cum_m[b] / w1, m2 = (tm - cum_m[b]) / w2;
        double var = w1 * w2 * (m1 - m2) * (m1 - m2);
        if (var > best) {
            best = var;
            arg = b;
        }
    }
    free(cnt), free(cum_w), free(cum_m);
    return lo + (arg + 0.5) * width;
}
