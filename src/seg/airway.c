/* airway.c - trachea detection and airway region growing.
 *
 * The trachea is the one air tube that runs down the middle of the neck
 * and upper chest, with a lumen of pure air (about -1000 HU, while the
 * apices of the lungs read -800 to -900). It is looked for just above the
 * lung apices (or in the top slices when the neck is not scanned), then
 * followed down slice by slice as long as its sections overlap, so that
 * one slice where it is not seen (merged with an apex or with the air
 * before a thin neck at coarse pixels, narrowed at the larynx) does not
 * lose it. From all its sections it is grown through voxels whose
 * neighbourhood is below a threshold that rises step by step; the airway
 * is the region of the last step before its volume jumps (a leak into the
 * lung parenchyma) or passes a maximum. Each growth is a breadth-first
 * search over the airway only, so the cost is the airway's size times the
 * number of steps, not the volume's.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

/* Mean HU of a trachea's section, partial-volume rim included: well below
 * soft tissue, fat and a lung apex's tip (-800 with its rim), above air. */
#define TUBE_MEAN_HU -750
/* How far from the trachea apex tips can lie on the slice that is to show
 * the trachea alone; air farther out (armpits, between raised arms and the
 * head) does not count. */
#define NECK_RADIUS_MM 70
/* How far the trachea may go unseen between two of its sections: a slice
 * or two where partial volume merges it with an apex or with the air in
 * front of a thin neck, or where the larynx narrows it. */
#define CHAIN_GAP_MM 15
/* Without a neck cut, the tube found near the top must be followed down at
 * least this far: a trachea, not a compact pocket of apex. */
#define CHAIN_MIN_MM 20

/* Looks for the trachea's cross-section in slice k; returns its component
 * in *cc (labelled on that slice alone) or 0. With prev (a plane marking
 * the trachea's section found on a neighbouring slice), the tube is the
 * candidate that overlaps it most; without, the one nearest the midline. */
static uint32_t find_tube(const pm_volume *v, const pm_mask *m, int k, const pm_airway_opts *o,
                          const uint8_t *prev, pm_cc **ccout)
{
    int nx = v->g.dim[0], ny = v->g.dim[1];
    size_t n = (size_t)nx * ny;
    pm_mask view = {v->g, m->v + n * (size_t)k};
    view.g.dim[2] = 1;
    const uint8_t *s = view.v;
    /* The body's extent across the patient (left-right) on this slice:
     * everything not outside air. */
    int axis = pm__lr_axis(o->patient ? o->patient : &v->g), bi0 = v->g.dim[axis], bi1 = -1;
    for (int j = 0; j < ny; j++) {
        /* The row's first and last such voxel, 8 at a time from each end. */
        const uint8_t *row = s + (size_t)nx * j;
        int a = 0, z = nx - 1;
        while (a + 8 <= nx) {
            uint64_t w;
            memcpy(&w, row + a, 8);
            if (w != 0x0101010101010101ull * PM_LABEL_OUTSIDE)
                break;
            a += 8;
        }
        while (a < nx && row[a] == PM_LABEL_OUTSIDE)
            a++;
        if (a == nx)
            continue;
        while (z - 8 >= a) {
            uint64_t w;
            memcpy(&w, row + z - 7, 8);
            if (w != 0x0101010101010101ull * PM_LABEL_OUTSIDE)
                break;
            z -= 8;
        }
        while (row[z] == PM_LABEL_OUTSIDE)
            z--;
        int lo = axis ? j : a, hi = axis ? j : z;
        if (lo < bi0) bi0 = lo;
        if (hi > bi1) bi1 = hi;
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
    size_t best_ov = 0;
    const int16_t *hu = v->hu + n * (size_t)k;
    for (uint32_t c = 1; c <= cc->ncomp; c++) {
        double area = (double)cc->size[c] * px;
        if (area < o->min_area_mm2 || area > o->max_area_mm2)
            continue;
        double si = 0, sum_hu = 0, mean_hu = 0;
        size_t ov = 0;
        int i0 = nx, i1 = 0, j0 = ny, j1 = 0;
        for (int j = 0; j < ny; j++)
            for (int64_t r = cc->row_start[j]; r < cc->row_start[j + 1]; r++) {
                if (cc->label[r] != c)
                    continue;
                for (int i = cc->x0[r]; i < cc->x1[r]; i++) {
                    si += axis ? j : i;
                    sum_hu += hu[(size_t)nx * j + i] < o->seed_hu;
                    mean_hu += hu[(size_t)nx * j + i];
                    ov += prev && prev[(size_t)nx * j + i];
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
         * midline. Scanners that read air at -900 (seen on a RICORD chest),
         * and thick slices that average the lumen with its wall, fail the
         * lumen test: a mean below the lungs' parenchyma is enough, since a
         * tube is taken only where it continues over several slices. */
        if (mean_hu / (double)cc->size[c] < TUBE_MEAN_HU)
            lumen = 1;
        /* Followed from a neighbouring section, the overlap anchors it: the
         * main bronchi below the carina leave the midline. */
        if (fill < 0.45 || lumen < o->seed_frac || (!prev && d > 0.15 * width) || (prev && !ov))
            continue;
        if (prev ? ov > best_ov : d < best_d) {
            best_d = d;
            best_ov = ov;
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

/* The seeds: sections of the trachea, one per slice, as voxel indices. */
typedef struct chain {
    uint32_t *vox;
    size_t n, cap;
    uint8_t *sec;       /* plane: the last section added */
    size_t last;        /* where the last section starts in vox */
    int slices;         /* slices from the first section to the last */
    int nx, ny;
} chain;

static void chain_clear(chain *ch)
{
    size_t plane = (size_t)ch->nx * ch->ny;
    for (size_t q = ch->last; q < ch->n; q++)
        ch->sec[ch->vox[q] % plane] = 0;
    ch->n = ch->last = 0, ch->slices = 1;
}

/* Appends component t of cc (slice k) and makes it the section to follow. */
static int chain_add(chain *ch, const pm_cc *cc, uint32_t t, int k, int nx, int ny)
{
    size_t plane = (size_t)nx * ny;
    if (ch->n + cc->size[t] > ch->cap) {
        size_t cap = 2 * (ch->n + cc->size[t]);
        uint32_t *nv = realloc(ch->vox, cap * sizeof *nv);
        if (!nv)
            return pm_fail(PM_EMEMORY, "out of memory following the trachea");
        ch->vox = nv, ch->cap = cap;
    }
    for (size_t q = ch->last; q < ch->n; q++)
        ch->sec[ch->vox[q] % plane] = 0;
    ch->last = ch->n;
    for (int j = 0; j < ny; j++)
        for (int64_t r = cc->row_start[j]; r < cc->row_start[j + 1]; r++)
            if (cc->label[r] == t)
                for (int i = cc->x0[r]; i < cc->x1[r]; i++) {
                    ch->sec[(size_t)nx * j + i] = 1;
                    ch->vox[ch->n++] = (uint32_t)(plane * (size_t)k + (size_t)nx * j + (size_t)i);
                }
    return PM_OK;
}

/* The air of each slice, counted on all cores (a pass over the volume). */
typedef struct slice_air {
    const uint8_t *v;
    size_t plane, *n;
} slice_air;

static void count_slice_air(void *vctx, int k, int thread)
{
    (void)thread;
    slice_air *c = vctx;
    c->n[k] = pm__count_range(c->v + c->plane * (size_t)k, c->plane, PM_LABEL_LUNG, PM_LABEL_LUNG);
}

/* The slice holding the most air (its count in *best), -1 when none
 * does, -2 out of memory. */
static int widest_slice(const pm_mask *m, size_t *best)
{
    int nz = m->g.dim[2], kmax = -1;
    slice_air sa = {m->v, (size_t)m->g.dim[0] * m->g.dim[1], malloc((size_t)nz * sizeof *sa.n)};
    if (!sa.n)
        return -2;
    pm_parallel_for(nz, 0, count_slice_air, &sa, NULL, NULL);
    *best = 0;
    for (int k = 0; k < nz; k++)
        if (sa.n[k] > *best)
            *best = sa.n[k], kmax = k;
    free(sa.n);
    return kmax;
}

/* The slice just above the lung apices where the trachea is alone: from
 * the slice with the most air inside the body (kmax, best voxels of air),
 * upward, the first slice
 * whose air is mostly one tube. There the trachea is in the neck, below the
 * larynx; when the head is in the field of view, cutting the airway there
 * is what separates the lungs from the air of the pharynx, mouth and nose.
 * The tube is followed up (ch: each section overlaps the one below, as
 * chain_down follows it down), so that an apex tip beside a slice where
 * the trachea is not seen is not taken for it; without follow, the tube
 * nearest the midline on each slice (in case the tube followed from below
 * was oesophageal air that runs on up). Returns the slice and the tube (cc
 * on that slice), -1 when the lungs reach the top of the scan (no neck
 * scanned), -2 out of memory; ch is left empty. */
static int find_neck(const pm_volume *v, const pm_mask *m, const pm_airway_opts *o, int kmax, size_t best,
                     int top, int step, int follow, chain *ch, pm_cc **ccout, uint32_t *tube)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2];
    size_t plane = (size_t)nx * ny;
    double px = v->g.spacing[0] * v->g.spacing[1];
    /* Lungs at their widest hold far more air than any trachea. */
    if (kmax < 0 || (double)best * px < 10 * o->max_area_mm2)
        return -1;
    int gap = 0, found = -1, rc = PM_OK;
    for (int k = kmax; k >= 0 && k < nz && rc == PM_OK; k -= step) {
        pm_cc *cc = NULL;
        uint32_t t = find_tube(v, m, k, o, ch->n ? ch->sec : NULL, &cc);
        if (!t) {
            if (ch->n && ++gap * v->g.spacing[2] > CHAIN_GAP_MM)
                chain_clear(ch);
            continue;
        }
        gap = 0;
        if (follow && (rc = chain_add(ch, cc, t, k, nx, ny)) != PM_OK) {
            pm_cc_free(cc);
            break;
        }
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
            found = k;
            break;
        }
        pm_cc_free(cc);
        if (k == top)
            break;
    }
    chain_clear(ch);
    return rc == PM_OK ? found : -2;
}

/* Follows the trachea down from its section on slice k0 (already in ch):
 * on each slice below, the tube overlapping the last section found, until
 * it has been unseen for more than CHAIN_GAP_MM. */
static int chain_down(const pm_volume *v, const pm_mask *m, const pm_airway_opts *o, int k0, int down,
                      chain *ch)
{
    int nz = v->g.dim[2], gap = 0;
    for (int k = k0 + down; k >= 0 && k < nz; k += down) {
        pm_cc *cc = NULL;
        uint32_t t = find_tube(v, m, k, o, ch->sec, &cc);
        if (!t) {
            if (++gap * v->g.spacing[2] > CHAIN_GAP_MM)
                break;
            continue;
        }
        gap = 0;
        int rc = chain_add(ch, cc, t, k, v->g.dim[0], v->g.dim[1]);
        pm_cc_free(cc);
        if (rc != PM_OK)
            return rc;
        ch->slices = abs(k - k0) + 1;
    }
    return PM_OK;
}

/* Whether the first section of ch (on slice k) connects through air to the
 * top slice, slice by slice (the air on each slice that touches what was
 * reached on the one below, with its whole in-plane piece; up to
 * CHAIN_GAP_MM of slices where it narrows to nothing, as chain_down allows):
 * a trachea unseen near the top is merged with the apices' air there, not
 * absent, while gas in the bowel under the lung bases has tissue above it.
 * -1 when out of memory. */
static int air_above(const pm_mask *m, const chain *ch, int k, int top, int step)
{
    int gap = 0;
    int nx = ch->nx, ny = ch->ny;
    size_t plane = (size_t)nx * ny, n = 0;
    uint8_t *cur = calloc(plane, 1), *next = calloc(plane, 1);
    uint32_t *stack = malloc(plane * sizeof *stack);
    if (!cur || !next || !stack) {
        free(cur), free(next), free(stack);
        return -1;
    }
    while (n < ch->n && ch->vox[n] / plane == (size_t)k)
        cur[ch->vox[n++] % plane] = 1;
    int ok = n > 0;
    for (int kk = k - step; ok && (step < 0 ? kk <= top : kk >= top); kk -= step) {
        const uint8_t *s = m->v + plane * (size_t)kk;
        size_t sp = 0, reached = 0;
        memset(next, 0, plane);
        for (size_t q = 0; q < plane; q++)
            if (cur[q] && s[q] == PM_LABEL_LUNG) {
                next[q] = 1;
                stack[sp++] = (uint32_t)q;
            }
        while (sp) {
            uint32_t q = stack[--sp];
            reached++;
            int i = (int)(q % (size_t)nx), j = (int)(q / (size_t)nx);
            uint32_t nb[4] = {q - 1, q + 1, q - (uint32_t)nx, q + (uint32_t)nx};
            int okn[4] = {i > 0, i < nx - 1, j > 0, j < ny - 1};
            for (int d = 0; d < 4; d++)
                if (okn[d] && !next[nb[d]] && s[nb[d]] == PM_LABEL_LUNG) {
                    next[nb[d]] = 1;
                    stack[sp++] = nb[d];
                }
        }
        if (reached) {
            gap = 0;
            uint8_t *t = cur;
            cur = next, next = t;
        } else {
            ok = ++gap * m->g.spacing[2] <= CHAIN_GAP_MM && kk != top;
        }
    }
    free(cur), free(next), free(stack);
    return ok;
}

/* One try: the trachea from the neck (try_neck) or from the top slices,
 * followed down, then the growth. */
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
    /* k + step is the slice below k. */
    chain ch = {NULL, 0, 0, calloc(plane, 1), 0, 1, nx, ny};
    if (!ch.sec)
        return pm_fail(PM_EMEMORY, "out of memory following the trachea");
    pm_cc *cc = NULL;
    uint32_t tube = 0;
    /* counted once for both of find_neck's tries */
    size_t best = 0;
    int kmax = try_neck ? widest_slice(m, &best) : -1;
    int k = kmax == -2 ? -2 : try_neck ? find_neck(v, m, o, kmax, best, top, step, 1, &ch, &cc, &tube) : -1;
    int rc = PM_OK;
    if (try_neck && k == -1)
        k = find_neck(v, m, o, kmax, best, top, step, 0, &ch, &cc, &tube);
    if (k == -2) {
        free(ch.sec), free(ch.vox);
        return PM_EMEMORY;
    }
    int neck = k >= 0;
    *used_neck = neck;
    if (neck) {
        rc = chain_add(&ch, cc, tube, k, nx, ny);
        pm_cc_free(cc);
        if (rc == PM_OK)
            rc = chain_down(v, m, o, k, step, &ch);
    } else {
        /* No neck cut: the trachea reaches the top of the scan. First the
         * highest tube that can be followed down for CHAIN_MIN_MM and whose
         * air runs on up to the top slice (a trachea merged there with the
         * apices' air; bowel gas under the lung bases has tissue above it);
         * else a tube on the top slice itself, however short (a scan that
         * starts at the carina, where the bronchi part at once). */
        for (int pass = 0; pass < 2 && k < 0 && rc == PM_OK; pass++)
            for (int d = 0, kk = top; d < depth && kk >= 0 && kk < nz && rc == PM_OK; d++, kk += step) {
                if (pm_progress_report(p, 0.3 * d / depth, "airway")) {
                    rc = PM_ECANCEL;
                    break;
                }
                chain_clear(&ch);
                if (!(tube = find_tube(v, m, kk, o, NULL, &cc)))
                    continue;
                rc = chain_add(&ch, cc, tube, kk, nx, ny);
                pm_cc_free(cc);
                if (rc == PM_OK)
                    rc = chain_down(v, m, o, kk, step, &ch);
                if (rc != PM_OK)
                    break;
                int above = kk == top ? 1 : air_above(m, &ch, kk, top, step);
                if (above < 0)
                    rc = pm_fail(PM_EMEMORY, "out of memory following the trachea");
                else if (pass == 0 ? above && ch.slices * v->g.spacing[2] >= CHAIN_MIN_MM : kk == top)
                    k = kk;
                if (k >= 0 || pass == 1)
                    break;
            }
    }
    free(ch.sec);
    if (rc != PM_OK || k < 0 || !ch.n) {
        free(ch.vox);
        return rc;
    }
    uint32_t *seeds = ch.vox;
    size_t ns = ch.n, ns_first = 0;
    while (ns_first < ns && seeds[ns_first] / plane == (size_t)k)
        ns_first++;
    pm__grower g = {.v = v, .m = m, .seeds = seeds, .nseeds = ns, .seed_label = malloc(ns),
                    .kseed = k, .kdir = neck ? step : 0};
    double vox_ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    g.cap = (size_t)(o->max_ml / vox_ml) + 1;
    g.queue = malloc(g.cap * sizeof *g.queue);
    if (!g.seed_label || !g.queue) {
        free(seeds), free(g.seed_label), free(g.queue);
        return pm_fail(PM_EMEMORY, "out of memory growing the airway");
    }
    /* The whole section, partial-volume rim included, is airway: with the
     * neck cut here, no air path is left from the lungs to the head. */
    if (neck)
        for (size_t q = 0; q < ns_first; q++)
            m->v[seeds[q]] = PM_LABEL_AIRWAY;
    for (size_t q = 0; q < ns; q++)
        g.seed_label[q] = m->v[seeds[q]];
    info->seed_slice = k;

    size_t prev = 0, prev_in = 0;
    double chosen = NAN;
    int oom = 0, nsteps = (int)((o->max_hu - o->start_hu) / o->step_hu) + 1;
    for (int s = 0; s < nsteps && s < 250; s++) {
        double t = o->start_hu + s * o->step_hu;
        if (pm_progress_report(p, 0.3 + 0.6 * s / nsteps, "airway")) {
            rc = PM_ECANCEL;
            break;
        }
        /* Once the region is past the trachea, a jump to leak_ratio times
         * the last region is a leak: growing on (to max_ml, through the
         * lungs) would only confirm it. */
        int past = 2 * prev_in >= ns && prev > 4 * ns_first;
        double jump = o->leak_ratio * (double)prev;
        g.limit = past && jump >= 0 && jump < (double)g.cap ? (size_t)jump : g.cap;
        size_t got = pm__grow(&g, t, &oom), in = 0;
        if (oom) {
            rc = pm_fail(PM_EMEMORY, "out of memory growing the airway");
            break;
        }
        for (size_t q = 0; q < ns; q++)
            in += pm__grow_in(&g, seeds[q]);
        /* Until the region holds most of the trachea's sections, a jump
         * only means the threshold is reaching the lumen's own air
         * (scanners differ by 50-100 HU in what air reads), not a leak. */
        if (got > g.cap || (past && (double)got > jump))
            break;
        if (got > 0) {
            chosen = t;
            prev = got, prev_in = in;
        }
    }
    pm__grow_unmark(&g);
    /* the region at the chosen threshold: the prefix that step had grown */
    for (size_t q = 0; rc == PM_OK && q < prev; q++)
        m->v[g.queue[q]] = PM_LABEL_AIRWAY;
    free(seeds), free(g.seed_label), free(g.queue), free(g.out);
    if (rc != PM_OK || isnan(chosen))
        return rc;
    /* The lumen's edge is partial volume (between air and wall): a thin
     * shell that would otherwise stay as a tube of "lung" around it. The
     * partial volume is at least one pixel wide whatever the pixel, so the
     * shell reaches the pixels beside the lumen on a coarse grid too (2 mm
     * pixels: else nothing, and a quarter of the airway's volume lost); its
     * reach across slices stays shell_mm (the view's slices are spaced so). */
    if (o->shell_mm > 0) {
        double px = fmax(v->g.spacing[0], v->g.spacing[1]), r = fmax(o->shell_mm, 1.5 * px);
        pm_mask view = *m;
        view.g.spacing[2] *= r / o->shell_mm;
        rc = pm__dilate_over(&view, PM_LABEL_AIRWAY, PM_LABEL_AIRWAY, r, PM_LABEL_AIRWAY, PM_LABEL_LUNG, NULL);
    }
    if (rc != PM_OK)
        return rc;
    size_t count = pm_seg_count(m, PM_LABEL_AIRWAY, PM_LABEL_AIRWAY);
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
