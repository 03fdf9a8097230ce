/* zones.c - upper, middle and lower thirds of each lung.
 *
 * A lung's height is measured along the patient's cranio-caudal axis (LPS
 * z, superior positive) from the voxel centres of that lung, not along the
 * grid's k, so feet-first and reversed stacks give the same zones. Two
 * passes: the extents of each lung, then per zone an exact count and a
 * histogram of clamped HU (enough for LAA%-950 and Perc15; the mean uses
 * the unclamped sum). */
#include "pulmo/measure.h"
#include "pulmo/seg.h"
#include "measure_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZN_CHUNKS 8
#define ZN_HU_LO PM__ZN_HU_LO
#define ZN_BINS PM__ZN_BINS

typedef struct zone_ctx {
    const pm_volume *v;
    const pm_mask *labels;
    double zc[4];                     /* z of voxel (i, j, k) = zc[0] + i zc[1] + j zc[2] + k zc[3] */
    double lo[ZN_CHUNKS][2], hi[ZN_CHUNKS][2];
    uint64_t cnt[ZN_CHUNKS][4];       /* voxels labelled 1, 2, 3 ([0] unused) */
    double cut[2][2];                 /* per lung: z of the upper/middle and middle/lower borders */
    uint32_t *hist;                   /* chunk x 6 zones x ZN_BINS */
    double sum[ZN_CHUNKS][6];
    double zlo[ZN_CHUNKS][6], zhi[ZN_CHUNKS][6];
} zone_ctx;

/* Slices [*a, *b) of chunk t. */
static void chunk_slices(const zone_ctx *c, int t, int *a, int *b)
{
    size_t k0, k1;
    pm_share((size_t)c->v->g.dim[2], t, ZN_CHUNKS, &k0, &k1);
    *a = (int)k0, *b = (int)k1;
}

/* Where z does not change along a row (i has no z component: every grid
 * but a tilted one), a row's extremes and zones are found once per row
 * rather than per voxel, and its labels are counted between its first and
 * last voxel that is not 0 in one loop the compiler vectorises. */
static void extent_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    zone_ctx *c = vctx;
    const pm_grid *g = &c->v->g;
    int a, b, nx = g->dim[0];
    chunk_slices(c, t, &a, &b);
    for (int l = 0; l < 2; l++)
        c->lo[t][l] = INFINITY, c->hi[t][l] = -INFINITY;
    const uint8_t *lab = c->labels->v;
    const int flat = c->zc[1] == 0;
    for (int k = a; k < b; k++)
        for (int j = 0; j < g->dim[1]; j++) {
            const uint8_t *r = lab + ((size_t)k * g->dim[1] + j) * (size_t)nx;
            double z0 = c->zc[0] + j * c->zc[2] + k * c->zc[3];
            int i0 = pm_skip_zeros(r, 0, nx);
            if (i0 == nx)
                continue;
            int i1 = pm_nonzero_end(r, nx);
            if (flat) {
                uint32_t n1 = 0, n2 = 0, n3 = 0;
                for (int i = i0; i < i1; i++) {
                    n1 += r[i] == 1;
                    n2 += r[i] == 2;
                    n3 += r[i] == 3;
                }
                c->cnt[t][1] += n1, c->cnt[t][2] += n2, c->cnt[t][3] += n3;
                for (int l = 0; l < 2; l++)
                    if (l ? n2 : n1) {
                        c->lo[t][l] = z0 < c->lo[t][l] ? z0 : c->lo[t][l];
                        c->hi[t][l] = z0 > c->hi[t][l] ? z0 : c->hi[t][l];
                    }
                continue;
            }
            for (int i = i0; i < i1; i++) {
                if (r[i] - 1u > 2u)
                    continue;
                c->cnt[t][r[i]]++;
                int l = r[i] - 1;
                if (l == 2)
                    continue;
                double z = z0 + i * c->zc[1];
                if (z < c->lo[t][l])
                    c->lo[t][l] = z;
                if (z > c->hi[t][l])
                    c->hi[t][l] = z;
            }
        }
}

static int zone_of(const zone_ctx *c, int l, double z)
{
    return l * 3 + (z >= c->cut[l][0] ? 0 : z >= c->cut[l][1] ? 1 : 2);
}

static void zone_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    zone_ctx *c = vctx;
    const pm_grid *g = &c->v->g;
    int a, b;
    chunk_slices(c, t, &a, &b);
    uint32_t *h = c->hist + (size_t)t * 6 * ZN_BINS;
    const int nx = g->dim[0];
    for (int z = 0; z < 6; z++)
        c->zlo[t][z] = INFINITY, c->zhi[t][z] = -INFINITY;
    const uint8_t *lab = c->labels->v;
    const int16_t *hu = c->v->hu;
    size_t row = (size_t)g->dim[0];
    const int flat = c->zc[1] == 0;
    for (int k = a; k < b; k++)
        for (int j = 0; j < g->dim[1]; j++) {
            size_t o = ((size_t)k * g->dim[1] + j) * row;
            double z0 = c->zc[0] + j * c->zc[2] + k * c->zc[3];
            int rz[2] = {zone_of(c, 0, z0), zone_of(c, 1, z0)};
            /* HU sums in integers, exact as the doubles they are added to */
            int64_t rsum[2] = {0, 0};
            int seen[2] = {0, 0};
            int i0 = pm_skip_zeros(lab + o, 0, nx), i1 = i0 < nx ? pm_nonzero_end(lab + o, nx) : i0;
            for (int i = i0; i < i1; i++) {
                int l = lab[o + i] - 1;
                if (l != 0 && l != 1)
                    continue;
                int v = hu[o + i];
                int bin = v < ZN_HU_LO ? 0 : v >= ZN_HU_LO + ZN_BINS ? ZN_BINS - 1 : v - ZN_HU_LO;
                if (flat) {
                    rsum[l] += v;
                    seen[l] = 1;
                    h[(size_t)rz[l] * ZN_BINS + bin]++;
                    continue;
                }
                double z = z0 + i * c->zc[1];
                int zone = zone_of(c, l, z);
                c->sum[t][zone] += v;
                h[(size_t)zone * ZN_BINS + bin]++;
                if (z < c->zlo[t][zone])
                    c->zlo[t][zone] = z;
                if (z > c->zhi[t][zone])
                    c->zhi[t][zone] = z;
            }
            for (int l = 0; l < 2; l++)
                if (seen[l]) {
                    int zone = rz[l];
                    c->sum[t][zone] += (double)rsum[l];
                    c->zlo[t][zone] = z0 < c->zlo[t][zone] ? z0 : c->zlo[t][zone];
                    c->zhi[t][zone] = z0 > c->zhi[t][zone] ? z0 : c->zhi[t][zone];
                }
        }
}

void pm__hist_figures(const uint64_t *h, uint64_t voxels, double *laa950_pct, double *perc15_hu)
{
    uint64_t below = 0, acc = 0;
    int got = 0;
    for (int b = 0; b < ZN_BINS; b++) {
        int v = ZN_HU_LO + b;
        if (v < -950)
            below += h[b];
        acc += h[b];
        if (!got && (double)acc >= 0.15 * (double)voxels) {
            *perc15_hu = v;
            got = 1;
        }
    }
    *laa950_pct = 100.0 * (double)below / (double)voxels;
}

/* Mean, LAA%-950 and Perc15 of one zone from its histogram. */
static void zone_figures(pm_zone_measures *zm, const uint64_t *h, double sum)
{
    zm->mean_hu = zm->laa950_pct = zm->perc15_hu = NAN;
    if (!zm->voxels)
        return;
    pm__hist_figures(h, zm->voxels, &zm->laa950_pct, &zm->perc15_hu);
    zm->mean_hu = sum / (double)zm->voxels;
}

int pm__measure_pass(const pm_volume *v, const pm_mask *labels, pm_lung_measures *out,
                     pm__lung_totals *tot)
{
    const pm_grid *g = &v->g;
    for (int a = 0; a < 3; a++)
        if (g->dim[a] != labels->g.dim[a])
            return pm_fail(PM_EUSAGE, "mask and volume grids differ");
    zone_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return pm_fail(PM_EMEMORY, "out of memory");
    c->v = v;
    c->labels = labels;
    c->zc[0] = g->origin[2];
    for (int a = 0; a < 3; a++)
        c->zc[1 + a] = g->spacing[a] * g->dir[3 * a + 2];
    int rc = pm_parallel_for(ZN_CHUNKS, 0, extent_chunk, c, NULL, NULL);
    if (tot) {
        memset(tot, 0, sizeof *tot);
        for (int t = 0; t < ZN_CHUNKS; t++)
            for (int l = 1; l < 4; l++)
                tot->cnt[l] += c->cnt[t][l];
        if (rc != PM_OK || tot->cnt[1] + tot->cnt[2] == 0) {
            free(c);
            return rc;
        }
    }
    for (int l = 0; l < 2 && rc == PM_OK; l++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int t = 0; t < ZN_CHUNKS; t++) {
            lo = fmin(lo, c->lo[t][l]);
            hi = fmax(hi, c->hi[t][l]);
        }
        out->top_mm[l] = isfinite(hi) ? hi : NAN;
        out->bottom_mm[l] = isfinite(lo) ? lo : NAN;
        double third = isfinite(hi) ? (hi - lo) / 3.0 : 0;
        c->cut[l][0] = hi - third;
        c->cut[l][1] = hi - 2.0 * third;
    }
    if (rc == PM_OK && !(c->hist = calloc((size_t)ZN_CHUNKS * 6 * ZN_BINS, sizeof *c->hist)))
        rc = pm_fail(PM_EMEMORY, "out of memory");
    if (rc == PM_OK)
        rc = pm_parallel_for(ZN_CHUNKS, 0, zone_chunk, c, NULL, NULL);
    /* h: one zone; hl: its lung's zones so far. */
    uint64_t *h = rc == PM_OK ? calloc(2 * ZN_BINS, sizeof *h) : NULL, *hl = h ? h + ZN_BINS : NULL;
    if (rc == PM_OK && !h)
        rc = pm_fail(PM_EMEMORY, "out of memory");
    double lsum = 0;
    double ml = pm_grid_voxel_mm3(g) / 1000.0;
    for (int zone = 0; zone < 6 && rc == PM_OK; zone++) {
        pm_zone_measures *zm = &out->zones[zone / 3][zone % 3];
        memset(zm, 0, sizeof *zm);
        memset(h, 0, ZN_BINS * sizeof *h);
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (int t = 0; t < ZN_CHUNKS; t++) {
            const uint32_t *ht = c->hist + ((size_t)t * 6 + zone) * ZN_BINS;
            for (int b = 0; b < ZN_BINS; b++) {
                h[b] += ht[b];
                zm->voxels += ht[b];
            }
            sum += c->sum[t][zone];
            lo = fmin(lo, c->zlo[t][zone]);
            hi = fmax(hi, c->zhi[t][zone]);
        }
        zm->ml = (double)zm->voxels * ml;
        zm->top_mm = isfinite(hi) ? hi : NAN;
        zm->bottom_mm = isfinite(lo) ? lo : NAN;
        zone_figures(zm, h, sum);
        pm_zone_measures *lm = &out->lung[zone / 3];
        if (zone % 3 == 0) {
            memset(lm, 0, sizeof *lm);
            memset(hl, 0, ZN_BINS * sizeof *hl);
            lsum = 0;
        }
        for (int b = 0; b < ZN_BINS; b++)
            hl[b] += h[b];
        lsum += sum;
        if (tot) {
            for (int b = 0; b < ZN_BINS; b++)
                tot->hist[b] += h[b];
            tot->sum += sum;
        }
        lm->voxels += zm->voxels;
        lm->ml += zm->ml;
        if (zone % 3 == 2) {
            lm->top_mm = out->top_mm[zone / 3];
            lm->bottom_mm = out->bottom_mm[zone / 3];
            zone_figures(lm, hl, lsum);
        }
    }
    free(h);
    free(c->hist);
    free(c);
    return rc;
}
