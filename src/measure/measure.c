/* measure.c - volumes, densities and the lung HU histogram. One pass over
 * the voxels with an exact per-HU histogram, from which the mean, LAA%-950,
 * Perc15 and the display histogram all follow. */
#include "pulmo/measure.h"
#include "pulmo/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The voxels are cut into chunks counted in parallel, each with its own
 * exact histogram (32-bit counts: a chunk holds far fewer than 4 G voxels). */
#define MEAS_CHUNKS 8

typedef struct meas_ctx {
    const pm_volume *v;
    const pm_mask *labels;
    uint32_t *hist;
    uint64_t cnt[MEAS_CHUNKS][4];
} meas_ctx;

static void meas_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    meas_ctx *c = vctx;
    size_t n = pm_grid_voxels(&c->v->g), a = n * (size_t)t / MEAS_CHUNKS, b = n * (size_t)(t + 1) / MEAS_CHUNKS;
    uint32_t *h = c->hist + (size_t)t * 65536;
    const uint8_t *lab = c->labels->v;
    const int16_t *hu = c->v->hu;
    for (size_t x = a; x < b; x++) {
        uint8_t l = lab[x];
        if (l == 0 || l > 3)
            continue;
        c->cnt[t][l]++;
        if (l != PM_LABEL_AIRWAY)
            h[(int)hu[x] + 32768]++;
    }
}

int pm_measure_lungs(const pm_volume *v, const pm_mask *labels, pm_lung_measures *out,
                     const pm_progress *p)
{
    for (int a = 0; a < 3; a++)
        if (v->g.dim[a] != labels->g.dim[a])
            return pm_fail(PM_EUSAGE, "mask and volume grids differ");
    memset(out, 0, sizeof *out);
    meas_ctx c = {v, labels, calloc((size_t)MEAS_CHUNKS * 65536, sizeof(uint32_t)), {{0}}};
    uint64_t *h = calloc(65536, sizeof *h);
    if (!h || !c.hist) {
        free(h), free(c.hist);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int rc = pm_parallel_for(MEAS_CHUNKS, 0, meas_chunk, &c, NULL, NULL);
    uint64_t cnt[4] = {0};
    for (int t = 0; t < MEAS_CHUNKS; t++) {
        for (int l = 0; l < 4; l++)
            cnt[l] += c.cnt[t][l];
        const uint32_t *ht = c.hist + (size_t)t * 65536;
        for (int i = 0; i < 65536; i++)
            h[i] += ht[i];
    }
    free(c.hist);
    if (rc != PM_OK) {
        free(h);
        return rc;
    }
    double ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    uint64_t lung = cnt[1] + cnt[2];
    out->lung_voxels = lung;
    out->lung_ml = (double)lung * ml;
    out->right_ml = (double)cnt[1] * ml;
    out->left_ml = (double)cnt[2] * ml;
    out->airway_ml = (double)cnt[3] * ml;
    out->sides = cnt[2] > 0;
    out->mean_hu = out->laa950_pct = out->perc15_hu = NAN;
    for (int l = 0; l < 2; l++) {
        out->top_mm[l] = out->bottom_mm[l] = NAN;
        for (int z = 0; z < PM_ZONES; z++) {
            pm_zone_measures *zm = &out->zones[l][z];
            zm->mean_hu = zm->laa950_pct = zm->perc15_hu = zm->top_mm = zm->bottom_mm = NAN;
        }
    }
    if (lung) {
        double sum = 0;
        uint64_t below = 0, acc = 0;
        int p15 = 0, got = 0;
        for (int i = 0; i < 65536; i++) {
            if (!h[i])
                continue;
            int hu = i - 32768;
            sum += (double)h[i] * hu;
            if (hu < -950)
                below += h[i];
            acc += h[i];
            if (!got && (double)acc >= 0.15 * (double)lung) {
                p15 = hu;
                got = 1;
            }
            int b = (hu - PM_MEASURE_HU_LO) / PM_MEASURE_BIN_HU;
            if (hu >= PM_MEASURE_HU_LO && b < PM_MEASURE_BINS)
                out->hist[b] += h[i];
        }
        out->mean_hu = sum / (double)lung;
        out->laa950_pct = 100.0 * (double)below / (double)lung;
        out->perc15_hu = p15;
        if ((rc = pm_measure_zones(v, labels, out)) != PM_OK) {
            free(h);
            return rc;
        }
        /* Per side: two lungs touching at the front are still two. */
        for (int l = 1; l <= 2; l++) {
            pm_cc *cc;
            rc = pm_cc_label(labels, l, l, 26, &cc, p);
            if (rc != PM_OK) {
                free(h);
                return rc;
            }
            out->components += (int)cc->ncomp;
            pm_cc_free(cc);
        }
    }
    free(h);
    return PM_OK;
}
