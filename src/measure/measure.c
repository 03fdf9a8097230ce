/* measure.c - volumes, densities and the lung HU histogram. The sum of the
 * zones' histograms (zones.c) gives the mean, LAA%-950, Perc15 and the
 * display histogram. */
#include "pulmo/measure.h"
#include "pulmo/seg.h"
#include "measure_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Figures of the exact per-HU histogram h of the lung voxels, the
 * fallback when Perc15 lies where the zones' histogram clamps. */
static int exact_perc15(const pm_volume *v, const pm_mask *labels, uint64_t lung, double *p15)
{
    uint64_t *h = malloc(65536 * sizeof *h);
    if (!h)
        return pm_fail(PM_EMEMORY, "out of memory");
    static const uint8_t lungs[256] = {0, 1, 1};
    int rc = pm_volume_hu_counts(v, labels, lungs, 0, v->g.dim[2], h);
    uint64_t acc = 0;
    for (int i = 0; i < 65536 && rc == PM_OK; i++) {
        acc += h[i];
        if (h[i] && (double)acc >= 0.15 * (double)lung) {
            *p15 = i - 32768;
            break;
        }
    }
    free(h);
    return rc;
}

int pm_measure_lungs(const pm_volume *v, const pm_mask *labels, pm_lung_measures *out,
                     const pm_progress *p)
{
    for (int a = 0; a < 3; a++)
        if (v->g.dim[a] != labels->g.dim[a])
            return pm_fail(PM_EUSAGE, "mask and volume grids differ");
    memset(out, 0, sizeof *out);
    out->mean_hu = out->laa950_pct = out->perc15_hu = NAN;
    for (int l = 0; l < 2; l++) {
        out->top_mm[l] = out->bottom_mm[l] = NAN;
        for (int z = 0; z <= PM_ZONES; z++) {
            pm_zone_measures *zm = z < PM_ZONES ? &out->zones[l][z] : &out->lung[l];
            zm->mean_hu = zm->laa950_pct = zm->perc15_hu = zm->top_mm = zm->bottom_mm = NAN;
        }
    }
    /* One pass for the counts and the lungs' extents, one for the zones'
     * histograms, whose sum is the lungs' histogram: the whole-lung figures
     * come from it (exact where HU is not clamped, which is all of them but
     * a Perc15 at the clamps). */
    pm__lung_totals *tot = malloc(sizeof *tot);
    if (!tot)
        return pm_fail(PM_EMEMORY, "out of memory");
    int rc = pm__measure_pass(v, labels, out, tot);
    if (rc != PM_OK) {
        free(tot);
        return rc;
    }
    const uint64_t *cnt = tot->cnt;
    double ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    uint64_t lung = cnt[1] + cnt[2];
    out->lung_voxels = lung;
    out->lung_ml = (double)lung * ml;
    out->right_ml = (double)cnt[1] * ml;
    out->left_ml = (double)cnt[2] * ml;
    out->airway_ml = (double)cnt[3] * ml;
    out->sides = cnt[2] > 0;
    if (lung) {
        pm__hist_figures(tot->hist, lung, &out->laa950_pct, &out->perc15_hu);
        for (int b = 0; b < PM__ZN_BINS; b++) {
            int hu = PM__ZN_HU_LO + b, bin = (hu - PM_MEASURE_HU_LO) / PM_MEASURE_BIN_HU;
            if (hu >= PM_MEASURE_HU_LO && bin < PM_MEASURE_BINS)
                out->hist[bin] += tot->hist[b];
        }
        out->mean_hu = tot->sum / (double)lung;
        if (out->perc15_hu == PM__ZN_HU_LO || out->perc15_hu == PM__ZN_HU_LO + PM__ZN_BINS - 1)
            rc = exact_perc15(v, labels, lung, &out->perc15_hu);
        /* Per side: two lungs touching at the front are still two. */
        for (int l = 1; l <= 2 && rc == PM_OK; l++) {
            pm_cc *cc;
            rc = pm_cc_label(labels, l, l, 26, &cc, p);
            if (rc == PM_OK) {
                out->components += (int)cc->ncomp;
                pm_cc_free(cc);
            }
        }
    }
    free(tot);
    return rc;
}

/* Voxels of labels 1-2 in the slice at index `at` of axis a. */
static uint64_t lung_in_slice(const pm_mask *m, int a, int at)
{
    const int *d = m->g.dim;
    uint64_t n = 0;
    int lo[3] = {0, 0, 0}, hi[3] = {d[0], d[1], d[2]};
    lo[a] = at;
    hi[a] = at + 1;
    for (int k = lo[2]; k < hi[2]; k++)
        for (int j = lo[1]; j < hi[1]; j++) {
            const uint8_t *row = m->v + (size_t)d[0] * (j + (size_t)d[1] * k);
            for (int i = lo[0]; i < hi[0]; i++)
                n += row[i] == PM_LABEL_RIGHT || row[i] == PM_LABEL_LEFT;
        }
    return n;
}

/* The grid axis closest to the patient's head-foot axis (the slices). */
static int head_foot_axis(const pm_grid *g)
{
    int a = 0;
    for (int b = 1; b < 3; b++)
        if (fabs(g->dir[3 * b + 2]) > fabs(g->dir[3 * a + 2]))
            a = b;
    return a;
}

/* Whether lung covers PM_COVERAGE_MIN_MM2 of the end face of axis a at
 * index `at` (0 or the last). */
static int face_touched(const pm_mask *m, int a, int at)
{
    double px = 1;   /* the face's own area: the product of the two other spacings */
    for (int b = 0; b < 3; b++)
        if (b != a)
            px *= m->g.spacing[b];
    uint64_t need = (uint64_t)ceil(PM_COVERAGE_MIN_MM2 / (px > 0 ? px : 1));
    return lung_in_slice(m, a, at) >= need;
}

void pm_lung_coverage(const pm_mask *labels, int *apex, int *base)
{
    const pm_grid *g = &labels->g;
    int a = head_foot_axis(g);
    int first = face_touched(labels, a, 0), last = face_touched(labels, a, g->dim[a] - 1);
    int up = g->dir[3 * a + 2] > 0;   /* index grows toward the head */
    *apex = up ? last : first;
    *base = up ? first : last;
}

/* Whether the 3x3 patch of slice k centred three voxels from (i, j) along
 * (di, dj) holds one value at or below -1000 HU: the fill scanners put
 * outside the reconstruction circle (noise never makes a patch uniform). */
static int fill_beyond(const pm_volume *v, int i, int j, int k, int di, int dj)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], ci = i + 3 * di, cj = j + 3 * dj;
    if (ci < 1 || cj < 1 || ci >= nx - 1 || cj >= ny - 1)
        return 0;
    const int16_t *s = v->hu + (size_t)nx * ny * k;
    int16_t f = s[(size_t)ci + (size_t)nx * cj];
    if (f > -1000)
        return 0;
    for (int b = cj - 1; b <= cj + 1; b++)
        for (int a = ci - 1; a <= ci + 1; a++)
            if (s[(size_t)a + (size_t)nx * b] != f)
                return 0;
    return 1;
}

/* Whether one of the 8 bytes at b is 0. */
static int has_zero8(const uint8_t *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    return ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) != 0;
}

/* Area in mm^2 where lung meets the fill beyond the reconstruction circle
 * (a field of view narrower than the chest), in each slice's plane. */
/* Slices are counted on all cores, each thread into its own pair of
 * counters: faces along x (steps in i) and along y (steps in j), integers,
 * so the sum is the same whatever thread counted a slice. */
#define CONTACT_THREADS 64
typedef struct contact_ctx {
    const pm_mask *labels;
    const pm_volume *v;
    int64_t n[CONTACT_THREADS][2];
} contact_ctx;

static void contact_slice(void *vctx, int k, int thread)
{
    contact_ctx *c = vctx;
    const pm_mask *labels = c->labels;
    const pm_grid *g = &labels->g;
    int nx = g->dim[0], ny = g->dim[1];
    static const int step[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    int64_t *n = c->n[thread];
    /* The rows with lung, [jlo, jhi]. A lung voxel's tests read the CT
     * three voxels away, on its own row or three rows off: each read was a
     * cache miss that stalled the scan, so the CT's rows from three above
     * the lung to three below are prefetched whole, a few rows ahead. */
    const uint8_t *sl = labels->v + (size_t)nx * ny * (size_t)k;
    int jlo = 0, jhi = ny - 1;
    while (jlo < ny && pm_skip_zeros(sl + (size_t)nx * jlo, 0, nx) == nx)
        jlo++;
    while (jhi > jlo && pm_skip_zeros(sl + (size_t)nx * jhi, 0, nx) == nx)
        jhi--;
    const int16_t *hu = c->v->hu + (size_t)nx * ny * (size_t)k;
    for (int j = jlo - 7 > 0 ? jlo - 7 : 0; j <= jhi && jlo < ny; j++) {
        const uint8_t *row = labels->v + (size_t)nx * ((size_t)j + (size_t)ny * k);
        const uint8_t *up = j > 0 ? row - nx : NULL, *down = j + 1 < ny ? row + nx : NULL;
        int ahead = j + 4;
        if (ahead >= jlo - 3 && ahead <= jhi + 3 && ahead < ny)
            for (int b = 0; b < 2 * nx; b += 64)
                __builtin_prefetch((const char *)(hu + (size_t)nx * ahead) + b);
        if (j < jlo)
            continue;
        for (int i = pm_skip_zeros(row, 0, nx); i < nx; i = pm_skip_zeros(row, i + 1, nx)) {
            /* Inside the lungs no 4-neighbour is 0: eight voxels whose
             * row, row above and row below hold no 0 add nothing. */
            while (i + 8 <= nx && (i == 0 || row[i - 1]) && (i + 8 == nx || row[i + 8]) &&
                   !has_zero8(row + i) && (!up || !has_zero8(up + i)) && (!down || !has_zero8(down + i)))
                i += 8;
            if (i >= nx || !row[i])
                continue;
            if (row[i] != PM_LABEL_RIGHT && row[i] != PM_LABEL_LEFT)
                continue;
            for (int e = 0; e < 4; e++) {
                int a = i + step[e][0], b = j + step[e][1];
                if (a < 0 || b < 0 || a >= nx || b >= ny ||
                    labels->v[(size_t)a + (size_t)nx * ((size_t)b + (size_t)ny * k)] != 0 ||
                    !fill_beyond(c->v, i, j, k, step[e][0], step[e][1]))
                    continue;
                n[step[e][0] ? 0 : 1]++;
            }
        }
    }
}

static double circle_contact_mm2(const pm_mask *labels, const pm_volume *v)
{
    const pm_grid *g = &labels->g;
    contact_ctx c;
    memset(&c, 0, sizeof c);
    c.labels = labels, c.v = v;
    int nth = pm_threads() < CONTACT_THREADS ? pm_threads() : CONTACT_THREADS;
    pm_parallel_for(g->dim[2], nth, contact_slice, &c, NULL, NULL);
    int64_t n[2] = {0, 0};
    for (int t = 0; t < CONTACT_THREADS; t++)
        n[0] += c.n[t][0], n[1] += c.n[t][1];
    /* a step in i crosses a face of spacing[1] x spacing[2], one in j of
     * spacing[0] x spacing[2] */
    return (double)n[0] * g->spacing[1] * g->spacing[2] + (double)n[1] * g->spacing[0] * g->spacing[2];
}

int pm_lung_cut_by_fov(const pm_mask *labels, const pm_volume *v)
{
    const pm_grid *g = &labels->g;
    int a = head_foot_axis(g);
    for (int b = 0; b < 3; b++)
        if (b != a && (face_touched(labels, b, 0) || face_touched(labels, b, g->dim[b] - 1)))
            return 1;
    for (int b = 0; v && b < 3; b++)
        if (v->g.dim[b] != g->dim[b])
            return 0;
    return v && circle_contact_mm2(labels, v) >= PM_COVERAGE_MIN_MM2;
}

void pm_lung_areas(const pm_mask *labels, int k, double cm2[4])
{
    const pm_grid *g = &labels->g;
    uint64_t n[4] = {0};
    const uint8_t *s = labels->v + (size_t)g->dim[0] * g->dim[1] * k;
    for (size_t x = 0; x < (size_t)g->dim[0] * g->dim[1]; x++)
        if (s[x] >= 1 && s[x] <= 3)
            n[s[x]]++;
    double px = g->spacing[0] * g->spacing[1] / 100.0;
    cm2[0] = (double)(n[1] + n[2]) * px;
    for (int l = 1; l <= 3; l++)
        cm2[l] = (double)n[l] * px;
}
