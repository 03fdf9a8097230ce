/* airway.c - trachea detection and airway region growing.
 *
 * The trachea is the one air tube that reaches the top of a chest CT near
 * the body's midline, with a lumen of pure air (about -1000 HU, while the
 * apices of the lungs read -800 to -900). It is looked for in the top
 * slices, then grown downward through voxels below a threshold that rises
 * step by step; the airway is the region of the last step before its
 * volume jumps (a leak into the lung parenchyma) or passes a maximum.
 * Each growth is a breadth-first search over the airway only, so the cost
 * is the airway's size times the number of steps, not the volume's.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

/* Mean HU of a neck trachea's section, partial-volume rim included: well
 * below soft tissue, fat and lung apex (-800 with its rim), above air. */
#define NECK_MEAN_HU -750
/* How far from the trachea apex tips can lie on the slice that is to show
 * the trachea alone; air farther out (armpits, between raised arms and the
 * head) does not count. */
#define NECK_RADIUS_MM 70

/* Looks for the trachea's cross-section in slice k; returns its component
 * in *cc (labelled on that slice alone) or 0. */
static uint32_t find_tube(const pm_volume *v, const pm_mask *m, int k, const pm_airway_opts *o,
                          int neck, pm_cc **ccout)
{
    int nx = v->g.dim[0], ny = v->g.dim[1];
    size_t n = (size_t)nx * ny;
    pm_mask view = {v->g, m->v + n * (size_t)k};
    view.g.dim[2] = 1;
    const uint8_t *s = view.v;
    /* The body's extent across the patient (left-right) on this slice:
     * everything not outside air. */
    int axis = pm__lr_axis(o->patient ? o->patient : &v->g), bi0 = v->g.dim[axis], bi1 = -1;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
            if (s[(size_t)nx * j + i] != PM_LABEL_OUTSIDE) {
                int a = axis ? j : i;
                if (a < bi0) bi0 = a;
                if (a > bi1) bi1 = a;
            }
    if (bi1 < bi0)
        return 0;
    pm_cc *cc;
    if (pm_cc_label(&view, PM_LABEL_LUNG, PM_LABEL_LUNG, 8, &cc, NULL) != PM_OK)
        return 0;
    double px = v->g.spacing[0] * v->g.spacing[1];
    double centre = 0.5 * (bi0 + bi1), width = bi1 - bi0 + 1;
    uint32_t best = 0;
    double best_d = 1e30;
    const int16_t *hu = v->hu + n * (size_t)k;
    for (uint32_t c = 1; c <= cc->ncomp; c++) {
        double area = (double)cc->size[c] * px;
        if (area < o->min_area_mm2 || area > o->max_area_mm2)
            continue;
        double si = 0, sum_hu = 0, mean_hu = 0;
        int i0 = nx, i1 = 0, j0 = ny, j1 = 0;
        for (int j = 0; j < ny; j++)
            for (int64_t r = cc->row_start[j]; r < cc->row_start[j + 1]; r++) {
                if (cc->label[r] != c)
                    continue;
                for (int i = cc->x0[r]; i < cc->x1[r]; i++) {
                    si += axis ? j : i;
                    sum_hu += hu[(size_t)nx * j + i] < o->seed_hu;
                    mean_hu += hu[(size_t)nx * j + i];
                }
                if (cc->x0[r] < i0) i0 = cc->x0[r];
                if (cc->x1[r] > i1) i1 = cc->x1[r];
                if (j < j0) j0 = j;
                if (j + 1 > j1) j1 = j + 1;
            }
        double ci = si / (double)cc->size[c], lumen = sum_hu / (double)cc->size[c];
        double fill = (double)cc->size[c] / ((double)(i1 - i0) * (j1 - j0));
        double d = fabs(ci - centre);
        /* A tube: compact (a disc fills pi/4 of its box), mostly pure air
         * (the lung's apex has almost no voxel below -950 HU, a trachea's
         * lumen more than half even with its partial-volume rim), near the
         * midline. */
        /* In the neck no apex lies beside the trachea, and scanners that
         * read air at -900 (seen on a RICORD chest) fail the lumen test:
         * there a mean below the lungs' parenchyma is enough. */
        if (neck && mean_hu / (double)cc->size[c] < NECK_MEAN_HU)
            lumen = 1;
        if (fill < 0.45 || lumen < o->seed_frac || d > 0.15 * width)
            continue;
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    if (!best) {
        pm_cc_free(cc);
        return 0;
    }
    *ccout = cc;
    return best;
}

typedef struct grower {
    const pm_volume *v;
    const pm_mask *m;
    uint8_t *mark;      /* generation that reached each voxel */
    uint32_t *queue;
    size_t cap;
    int kseed, kdir;    /* kdir != 0: only slices k with (k - kseed) * kdir >= 0 */
} grower;

/* The slice just above the lung apices where the trachea is alone: from
 * the slice with the most air inside the body, upward, the first slice
 * whose air is mostly one tube. There the trachea is in the neck, below the
 * larynx; when the head is in the field of view, cutting the airway there
 * is what separates the lungs from the air of the pharynx, mouth and nose.
 * Returns the slice and the tube (cc on that slice), or -1 when the lungs
 * reach the top of the scan (no neck scanned). */
static int find_neck(const pm_volume *v, const pm_mask *m, const pm_airway_opts *o, int top, int step,
                     pm_cc **ccout, uint32_t *tube)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2];
    size_t plane = (size_t)nx * ny;
    double px = v->g.spacing[0] * v->g.spacing[1];
    int kmax = -1;
    size_t best = 0;
    for (int k = 0; k < nz; k++) {
        size_t a = 0;
        const uint8_t *s = m->v + plane * (size_t)k;
        for (size_t x = 0; x < plane; x++)
            a += s[x] == PM_LABEL_LUNG;
        if (a > best)
            best = a, kmax = k;
    }
    /* Lungs at their widest hold far more air than any trachea. */
    if (kmax < 0 || (double)best * px < 10 * o->max_area_mm2)
        return -1;
    for (int k = kmax; k >= 0 && k < nz; k -= step) {
        pm_cc *cc = NULL;
        uint32_t t = find_tube(v, m, k, o, 1, &cc);
        if (!t)
            continue;
        double ci = 0, cj = 0;
        for (int j = 0; j < ny; j++)
            for (int64_t r = cc->row_start[j]; r < cc->row_start[j + 1]; r++)
                if (cc->label[r] == t) {
                    double len = cc->x1[r] - cc->x0[r];
                    ci += len * 0.5 * (cc->x0[r] + cc->x1[r] - 1);
                    cj += len * j;
                }
        ci /= (double)cc->size[t], cj /= (double)cc->size[t];
        double ri = NECK_RADIUS_MM / v->g.spacing[0], rj = NECK_RADIUS_MM / v->g.spacing[1];
        size_t a = 0;
        const uint8_t *s = m->v + plane * (size_t)k;
        for (int j = (int)fmax(0, cj - rj); j < ny && j <= cj + rj; j++)
            for (int i = (int)fmax(0, ci - ri); i < nx && i <= ci + ri; i++) {
                double di = (i - ci) / ri, dj = (j - cj) / rj;
                a += di * di + dj * dj <= 1 && s[(size_t)nx * j + i] == PM_LABEL_LUNG;
            }
        /* Apex tips and oesophageal air may still show beside it. */
        if ((double)a <= 2.0 * (double)cc->size[t]) {
            *ccout = cc;
            *tube = t;
            return k;
        }
        pm_cc_free(cc);
        if (k == top)
            break;
    }
    return -1;
}

/* Grows from the seeds through PM_LABEL_LUNG voxels with HU <= t (6-conn).
 * Returns the voxel count, or cap + 1 when it reached cap (a leak). */
static size_t grow(grower *g, const uint32_t *seeds, size_t nseeds, double t, uint8_t gen)
{
    int nx = g->v->g.dim[0], ny = g->v->g.dim[1], nz = g->v->g.dim[2];
    size_t plane = (size_t)nx * ny, head = 0, tail = 0;
    for (size_t s = 0; s < nseeds; s++) {
        uint32_t x = seeds[s];
        if (g->v->hu[x] <= t && g->mark[x] != gen) {
            g->mark[x] = gen;
            g->queue[tail++] = x;
        }
    }
    while (head < tail) {
        size_t x = g->queue[head++];
        int i = (int)(x % (size_t)nx), j = (int)(x / (size_t)nx % (size_t)ny);
        int k = (int)(x / plane);
        size_t nb[6];
        int nn = 0;
        if (i > 0) nb[nn++] = x - 1;
        if (i + 1 < nx) nb[nn++] = x + 1;
        if (j > 0) nb[nn++] = x - (size_t)nx;
        if (j + 1 < ny) nb[nn++] = x + (size_t)nx;
        if (k > 0 && (!g->kdir || (k - 1 - g->kseed) * g->kdir >= 0)) nb[nn++] = x - plane;
        if (k + 1 < nz && (!g->kdir || (k + 1 - g->kseed) * g->kdir >= 0)) nb[nn++] = x + plane;
        for (int q = 0; q < nn; q++) {
            size_t y = nb[q];
            if (g->mark[y] == gen || g->m->v[y] != PM_LABEL_LUNG || g->v->hu[y] > t)
                continue;
            if (tail == g->cap)
                return g->cap + 1;
            g->mark[y] = gen;
            g->queue[tail++] = (uint32_t)y;
        }
    }
    return tail;
}

/* One try: the seed from the neck (try_neck) or from the top slices, then
 * the growth. */
static int seed_and_grow(const pm_volume *v, pm_mask *m, const pm_airway_opts *o, int try_neck,
                         pm_airway_info *info, int *used_neck, const pm_progress *p)
{
    memset(info, 0, sizeof *info);
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2];
    size_t plane = (size_t)nx * ny, n = plane * (size_t)nz;
    if (n >= UINT32_MAX)
        return pm_fail(PM_EMEMORY, "volume too large for airway growing");
    int top = v->g.dir[8] >= 0 ? nz - 1 : 0, step = v->g.dir[8] >= 0 ? -1 : 1;
    int depth = (int)ceil(o->search_mm / v->g.spacing[2]);
    if (depth < 1)
        depth = 1;
    pm_cc *cc = NULL;
    uint32_t tube = 0;
    int k = try_neck ? find_neck(v, m, o, top, step, &cc, &tube) : -1, neck = k >= 0;
    *used_neck = neck;
    if (!neck)
        k = top;
    for (int d = 0; d < depth && k >= 0 && k < nz && !tube; d++, k += step) {
        if (pm_progress_report(p, 0.3 * d / depth, "airway"))
            return PM_ECANCEL;
        tube = find_tube(v, m, k, o, 0, &cc);
        if (tube)
            break;
    }
    if (!tube)
        return PM_OK;
    /* Seeds: the tube's voxels on that slice. */
    size_t nseeds = cc->size[tube], ns = 0;
    uint32_t *seeds = malloc(nseeds * sizeof *seeds);
    grower g = {v, m, calloc(n, 1), NULL, 0, k, neck ? step : 0};
    double vox_ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    g.cap = (size_t)(o->max_ml / vox_ml) + 1;
    g.queue = malloc(g.cap * sizeof *g.queue);
    if (!seeds || !g.mark || !g.queue) {
        free(seeds), free(g.mark), free(g.queue);
        pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory growing the airway");
    }
    for (int j = 0; j < ny; j++)
        for (int64_t r = cc->row_start[j]; r < cc->row_start[j + 1]; r++)
            if (cc->label[r] == tube)
                for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                    seeds[ns++] = (uint32_t)(plane * (size_t)k + (size_t)nx * j + (size_t)i);
    pm_cc_free(cc);
    /* The whole section, partial-volume rim included, is airway: with the
     * neck cut here, no air path is left from the lungs to the head. */
    if (neck)
        for (size_t q = 0; q < ns; q++)
            m->v[seeds[q]] = PM_LABEL_AIRWAY;
    info->seed_slice = k;

    size_t prev = 0;
    double chosen = NAN;
    uint8_t gen = 0;
    int nsteps = (int)((o->max_hu - o->start_hu) / o->step_hu) + 1;
    for (int s = 0; s < nsteps && s < 250; s++) {
        double t = o->start_hu + s * o->step_hu;
        if (pm_progress_report(p, 0.3 + 0.6 * s / nsteps, "airway")) {
            free(seeds), free(g.mark), free(g.queue);
            return PM_ECANCEL;
        }
        size_t got = grow(&g, seeds, ns, t, ++gen);
        /* While the region is still about the seed section, a jump only
         * means the threshold is reaching the lumen's own air (scanners
         * differ by 50-100 HU in what air reads), not a leak. */
        if (got > g.cap || (prev > 4 * ns && (double)got > o->leak_ratio * (double)prev))
            break;
        if (got > 0) {
            chosen = t;
            prev = got;
        }
    }
    if (isnan(chosen)) {
        free(seeds), free(g.mark), free(g.queue);
        return PM_OK;
    }
    gen = 255;
    size_t got = grow(&g, seeds, ns, chosen, gen);
    for (size_t q = 0; q < got; q++)
        m->v[g.queue[q]] = PM_LABEL_AIRWAY;
    free(seeds), free(g.mark), free(g.queue);
    /* The lumen's edge is partial volume (between air and wall): a thin
     * shell that would otherwise stay as a tube of "lung" around it. */
    int rc = PM_OK;
    if (o->shell_mm > 0)
        rc = pm__dilate_over(m, PM_LABEL_AIRWAY, PM_LABEL_AIRWAY, o->shell_mm, PM_LABEL_AIRWAY,
                             PM_LABEL_LUNG, NULL);
    if (rc != PM_OK)
        return rc;
    size_t count = 0;
    for (size_t x = 0; x < n; x++)
        count += m->v[x] == PM_LABEL_AIRWAY;
    info->found = 1;
    info->threshold_hu = chosen;
    info->ml = (double)count * vox_ml;
    return PM_OK;
}

/* Trachea and main bronchi from the neck to the carina hold 15-30 mL; a
 * neck "tube" that grows to less was another air space (the oesophagus, a
 * pharyngeal pouch) or a trachea blocked by a tube or secretions. */
#define NECK_MIN_ML 5

int pm_seg_airway(const pm_volume *v, pm_mask *m, const pm_airway_opts *o, pm_airway_info *info,
                  const pm_progress *p)
{
    int neck = 0;
    int rc = seed_and_grow(v, m, o, 1, info, &neck, p);
    if (rc != PM_OK || !neck || (info->found && info->ml >= NECK_MIN_ML))
        return rc;
    size_t n = pm_grid_voxels(&m->g);
    for (size_t x = 0; x < n; x++)
        if (m->v[x] == PM_LABEL_AIRWAY)
            m->v[x] = PM_LABEL_LUNG;
    return seed_and_grow(v, m, o, 0, info, &neck, p);
}
