/* lungs.c - choosing the lungs among the air inside the body and naming
 * them right and left; internal structures.
 *
 * Sides come from patient coordinates, never from the image's left or
 * right: a feet-first scan is stored mirrored, and the grid's direction
 * cosines undo that. In LPS, x grows toward the patient's left, so the
 * right lung is the one with the smaller x.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* LPS centroid of component c into p, and the LPS z of its lowest voxel
 * centre (the most inferior) into *zlow when not NULL. */
static void centroid(const pm_cc *cc, const pm_grid *g, uint32_t c, double p[3], double *zlow)
{
    double si = 0, sj = 0, sk = 0, n = 0;
    int64_t kmin = INT64_MAX, kmax = -1;
    int ny = cc->dim[1];
    int64_t nrows = (int64_t)ny * cc->dim[2];
    for (int64_t row = 0; row < nrows; row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            if (cc->label[r] != c)
                continue;
            double len = cc->x1[r] - cc->x0[r];
            si += len * 0.5 * (cc->x0[r] + cc->x1[r] - 1);
            sj += len * (double)(row % ny);
            sk += len * (double)(row / ny);
            n += len;
            kmin = row / ny < kmin ? row / ny : kmin;
            kmax = row / ny > kmax ? row / ny : kmax;
        }
    pm_grid_to_lps(g, si / n, sj / n, sk / n, p);
    if (zlow) {
        /* Axial slices: the lowest voxel is on the first or the last slice
         * the component reaches. */
        double a[3], b[3];
        pm_grid_to_lps(g, si / n, sj / n, (double)kmin, a);
        pm_grid_to_lps(g, si / n, sj / n, (double)kmax, b);
        *zlow = a[2] < b[2] ? a[2] : b[2];
    }
}

static double centroid_x(const pm_cc *cc, const pm_grid *g, uint32_t c)
{
    double p[3];
    centroid(cc, g, c, p, NULL);
    return p[0];
}

/* LPS x of the body's centroid (everything that is not outside air). */
static double body_x(const pm_mask *m, const pm_grid *g)
{
    int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
    double si = 0, sj = 0, sk = 0, n = 0;
    for (int k = 0; k < nz; k += 2)
        for (int j = 0; j < ny; j += 2) {
            const uint8_t *row = m->v + (size_t)nx * ((size_t)j + (size_t)ny * k);
            for (int i = 0; i < nx; i += 2)
                if (row[i] != PM_LABEL_OUTSIDE) {
                    si += i, sj += j, sk += k, n += 1;
                }
        }
    if (n == 0)
        return 0;
    double p[3];
    pm_grid_to_lps(g, si / n, sj / n, sk / n, p);
    return p[0];
}

/* Gas in the stomach or bowel is pure air (-1000 HU and its noise); a lung
 * is air mixed with tissue finer than a voxel (-850), with vessels in it.
 * The share of a component's voxels below PURE_HU tells them apart: in
 * lungs 0-8 % (more in emphysema), in gas 35-65 %. A candidate is gas when
 * that share is above PURE_MIN and PURE_FACTOR times the most lung-like
 * candidate's, so that emphysematous lungs, which all score high, are
 * never told apart from each other this way. A candidate the airway leads
 * into is a lung however clear it is (one hyperlucent lung, a big bulla).
 * Candidates down to PURE_REF_ML take part: on a scan that ends a little
 * above the diaphragm the lung bases are a few mL each, smaller than the
 * stomach's gas, and they are the only lung-like air to compare it with.
 * A reference that small can also be a pocket of a mattress, so air of a
 * lung's size (GAS_MAX_ML) is never called gas: no stomach or bowel holds
 * a litre outside an emergency, and emphysematous lungs stay lungs. */
#define PURE_HU -950
#define PURE_MIN 0.25
#define PURE_FACTOR 3.0
#define PURE_CANDIDATES 8
#define PURE_REF_ML 2.0
#define GAS_MAX_ML 1000.0
/* A lung's centre lies this far from the body's midline at least. */
#define SIDE_MM 20.0

/* Whether a voxel of component c has the airway as a face neighbour in m. */
static int meets_airway(const pm_cc *cc, const pm_mask *m, uint32_t c)
{
    int nx = cc->dim[0], ny = cc->dim[1], nz = cc->dim[2];
    size_t plane = (size_t)nx * ny;
    for (int64_t row = 0; row < (int64_t)ny * nz; row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            if (cc->label[r] != c)
                continue;
            int j = (int)(row % ny), k = (int)(row / ny);
            const uint8_t *line = m->v + (size_t)nx * (size_t)row;
            if ((cc->x0[r] > 0 && line[cc->x0[r] - 1] == PM_LABEL_AIRWAY) ||
                (cc->x1[r] < nx && line[cc->x1[r]] == PM_LABEL_AIRWAY))
                return 1;
            for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                if ((j > 0 && line[i - nx] == PM_LABEL_AIRWAY) || (j < ny - 1 && line[i + nx] == PM_LABEL_AIRWAY) ||
                    (k > 0 && line[(ptrdiff_t)i - (ptrdiff_t)plane] == PM_LABEL_AIRWAY) ||
                    (k < nz - 1 && line[i + plane] == PM_LABEL_AIRWAY))
                    return 1;
        }
    return 0;
}

#define PURE_TASKS 8   /* slabs of rows whose pure air is counted side by side */

typedef struct pure_ctx {
    const pm_cc *cc;
    const pm_volume *v;
    uint64_t *pure;   /* per task, per component */
} pure_ctx;

static void pure_slab(void *vctx, int task, int thread)
{
    (void)thread;
    pure_ctx *c = vctx;
    const pm_cc *cc = c->cc;
    int nx = cc->dim[0];
    size_t r0, r1;
    pm_share((size_t)cc->dim[1] * (size_t)cc->dim[2], task, PURE_TASKS, &r0, &r1);
    uint64_t *pure = c->pure + (size_t)task * ((size_t)cc->ncomp + 1);
    for (int64_t row = (int64_t)r0; row < (int64_t)r1; row++) {
        const int16_t *hu = c->v->hu + (size_t)nx * (size_t)row;
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            uint32_t n = 0;   /* per run, so that the count vectorises */
            for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                n += hu[i] < PURE_HU;
            pure[cc->label[r]] += n;
        }
    }
}

/* Marks in gas[] (ncomp+1 entries) the largest candidates (at least
 * min_vox) that are much purer air than the most lung-like one, smaller
 * than max_vox, and that the airway does not lead into. */
static int find_gas(const pm_cc *cc, const pm_volume *v, const pm_mask *m, uint64_t min_vox, uint64_t max_vox,
                    uint8_t *gas)
{
    uint32_t *o = pm__cc_order_by_size(cc);
    uint64_t *pure = calloc((size_t)cc->ncomp + 1, sizeof *pure);
    if (!o || !pure) {
        free(o), free(pure);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int n = 0;
    while (n < PURE_CANDIDATES && (uint32_t)n < cc->ncomp && cc->size[o[n]] >= min_vox)
        n++;
    if (n >= 2) {
        /* One pass counts every component's pure-air voxels, on all cores:
         * each task its slab's, added up after (integers: the same sums). */
        pure_ctx c = {cc, v, calloc((size_t)PURE_TASKS * ((size_t)cc->ncomp + 1), sizeof *c.pure)};
        if (!c.pure) {
            free(o), free(pure);
            return pm_fail(PM_EMEMORY, "out of memory");
        }
        pm_parallel_for(PURE_TASKS, 0, pure_slab, &c, NULL, NULL);
        for (int t = 0; t < PURE_TASKS; t++)
            for (uint32_t l = 0; l <= cc->ncomp; l++)
                pure[l] += c.pure[(size_t)t * ((size_t)cc->ncomp + 1) + l];
        free(c.pure);
        double least = 1;
        for (int i = 0; i < n; i++)
            least = fmin(least, (double)pure[o[i]] / (double)cc->size[o[i]]);
        double limit = fmax(PURE_FACTOR * least, PURE_MIN);
        for (int i = 0; i < n; i++)
            gas[o[i]] = (double)pure[o[i]] / (double)cc->size[o[i]] > limit && cc->size[o[i]] < max_vox &&
                        !meets_airway(cc, m, o[i]);
    }
    free(o), free(pure);
    return PM_OK;
}

/* Voxels of component c per coordinate along the in-plane axis (0: i,
 * 1: j) on slices [k0, k1), into prof[0..dim[axis]]. Returns the extent
 * [lo, hi) in ext. */
static void profile(const pm_cc *cc, uint32_t c, int axis, int k0, int k1, double *prof, int ext[2])
{
    int n = cc->dim[axis], ny = cc->dim[1];
    memset(prof, 0, ((size_t)n + 1) * sizeof *prof);
    int lo = n, hi = 0;
    for (int64_t row = (int64_t)ny * k0; row < (int64_t)ny * k1; row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            if (cc->label[r] != c)
                continue;
            int a = cc->x0[r], b = cc->x1[r];
            if (axis == 0) {
                prof[a] += 1;
                prof[b] -= 1;
            } else {
                prof[row % ny] += b - a;
                a = (int)(row % ny), b = a + 1;
            }
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    if (axis == 0)
        for (int i = 1; i <= n; i++)
            prof[i] += prof[i - 1];
    ext[0] = lo, ext[1] = hi;
}

/* Component c holds both lungs when its profile across the patient's
 * left-right axis has a deep valley in its middle. Returns the valley's
 * coordinate along that axis, or -1. */
static int find_valley(const pm_cc *cc, uint32_t c, int axis, int ext[2])
{
    double *prof = malloc(((size_t)cc->dim[axis] + 1) * sizeof *prof);
    if (!prof)
        return -1;
    profile(cc, c, axis, 0, cc->dim[2], prof, ext);
    int lo = ext[0], hi = ext[1];
    int w = hi - lo, a = lo + (int)(0.3 * w), b = hi - (int)(0.3 * w), arg = -1;
    double mn = 1e300;
    for (int i = a; i < b; i++)
        if (prof[i] < mn) {
            mn = prof[i];
            arg = i;
        }
    double left = 0, right = 0;
    if (arg >= 0) {
        for (int i = lo; i < arg; i++)
            left = prof[i] > left ? prof[i] : left;
        for (int i = arg; i < hi; i++)
            right = prof[i] > right ? prof[i] : right;
    }
    free(prof);
    if (arg < 0 || mn > 0.25 * (left < right ? left : right))
        return -1;
    return arg;
}

/* Cuts component c slice by slice at the thinnest place near `valley`
 * along the axis: voxels before the cut get la, the others lb. */
static int cut_component(pm_mask *m, const pm_cc *cc, uint32_t c, int axis, int valley, int w,
                         uint8_t la, uint8_t lb)
{
    int nx = cc->dim[0], ny = cc->dim[1], nz = cc->dim[2], na = cc->dim[axis];
    int a = valley - w / 6, b = valley + w / 6, ext[2];
    if (a < 0) a = 0;
    if (b > na) b = na;
    double *cnt = pm_malloc(((size_t)na + 1) * sizeof *cnt);
    if (!cnt)
        return pm_fail(PM_EMEMORY, "out of memory splitting the lungs");
    for (int k = 0; k < nz; k++) {
        profile(cc, c, axis, k, k + 1, cnt, ext);
        int cut = valley;
        double best = 1e300;
        for (int i = a; i < b; i++)
            if (cnt[i] < best || (cnt[i] == best && abs(i - valley) < abs(cut - valley))) {
                best = cnt[i];
                cut = i;
            }
        for (int j = 0; j < ny; j++) {
            int64_t row = (int64_t)j + (int64_t)ny * k;
            uint8_t *line = m->v + (size_t)nx * (size_t)row;
            for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
                if (cc->label[r] == c)
                    for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                        line[i] = (axis ? j : i) < cut ? la : lb;
        }
    }
    free(cnt);
    return PM_OK;
}

/* Whether component c has voxels on slice k. */
static int reaches_slice(const pm_cc *cc, uint32_t c, int k)
{
    int64_t ny = cc->dim[1];
    for (int64_t row = ny * k; row < ny * (k + 1); row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
            if (cc->label[r] == c)
                return 1;
    return 0;
}

/* The smallest volume of a lung: min_ml, or a tenth of it for a lung the
 * scan's first or last slice cuts. On a scan that ends just above the
 * diaphragm (an abdomen, a PET/CT's lower half) the bases are all there
 * is of the lungs, tens of mL, and the partial_coverage warning says the
 * figure is a lower bound; stray air of that size is gas (find_gas) or
 * lies below the other lung. */
static double lung_min(const pm_cc *cc, uint32_t c, double min_ml)
{
    return reaches_slice(cc, c, 0) || reaches_slice(cc, c, cc->dim[2] - 1) ? min_ml / 10 : min_ml;
}

int pm_seg_split_lungs(const pm_volume *v, pm_mask *m, const pm_grid *patient, int conn, double min_ml,
                       double min_frac, int *nlungs, const pm_progress *p)
{
    *nlungs = 0;
    const pm_grid *g = patient ? patient : &m->g;
    pm_cc *cc;
    uint16_t *lut;
    int rc = pm__cc_label_keep(m, PM_LABEL_LUNG, PM_LABEL_LUNG, conn, &cc, &lut, p);
    if (rc != PM_OK)
        return rc;
    double vox_ml = pm_grid_voxel_mm3(&m->g) / 1000.0;
    uint8_t *gas = calloc((size_t)cc->ncomp + 1, 1);
    if (!gas) {
        free(lut);
        pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    if (v && (rc = find_gas(cc, v, m, (uint64_t)ceil(fmin(min_ml, PURE_REF_ML) / vox_ml),
                              (uint64_t)(GAS_MAX_ML / vox_ml), gas)) != PM_OK) {
        free(gas), free(lut);
        pm_cc_free(cc);
        return rc;
    }
    uint32_t *o = pm__cc_order_by_size(cc), c1 = 0, c2 = 0, i1 = 0;
    if (!o) {
        free(gas), free(lut);
        pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    while (i1 < cc->ncomp && gas[o[i1]])
        i1++;
    if (i1 < cc->ncomp && (double)cc->size[o[i1]] * vox_ml >= lung_min(cc, o[i1], min_ml))
        c1 = o[i1];
    /* Both lungs in one component (touching at the junction lines, or
     * joined through the airway when it was not found) come before any
     * second component: that one would then be gas in the stomach or bowel. */
    int axis = pm__lr_axis(g), ext[2] = {0, 0}, valley = c1 ? find_valley(cc, c1, axis, ext) : -1;
    if (c1 && valley < 0) {
        /* The second lung is the largest other air that reaches as high as
         * the first one's base (gas under the diaphragm lies below it): a
         * lump of bowel gas bigger than a cut base does not hide it. A
         * second lung the scan's upper end cuts reaches as high as anything
         * can: on a scan of the bases alone the left base's centre can lie
         * below the right base's lowest point. */
        double p1[3], p2[3], zlow1, top[3], bottom[3], mid = body_x(m, g);
        centroid(cc, g, c1, p1, &zlow1);
        pm_grid_to_lps(g, 0, 0, 0, top);
        pm_grid_to_lps(g, 0, 0, cc->dim[2] - 1, bottom);
        int upper = top[2] > bottom[2] ? 0 : cc->dim[2] - 1;
        for (uint32_t i = i1 + 1; i < cc->ncomp && !c2; i++) {
            uint32_t c = o[i];
            if ((double)cc->size[c] < min_frac * (double)cc->size[c1])
                break;
            if (gas[c] || (double)cc->size[c] * vox_ml < lung_min(cc, c, min_ml))
                continue;
            centroid(cc, g, c, p2, NULL);
            /* and lies on the other side of the mediastinum (not the air
             * between the patient's back and the table, not the gullet) */
            int across = (p1[0] - mid) * (p2[0] - mid) < 0 && fabs(p2[0] - mid) > SIDE_MM;
            if (across && (p2[2] >= zlow1 || reaches_slice(cc, c, upper)))
                c2 = c;
        }
    }
    free(gas), free(o);
    /* Air that is not lung (bowel and stomach gas, the upper airway, air
     * pockets in skin folds) becomes outside: later steps never write over
     * it, so a closing cannot bridge a lung into a gas bubble. */
    for (uint32_t c = 1; c <= cc->ncomp; c++)
        if (c != c1 && c != c2)
            lut[c] = PM_LABEL_OTHER_AIR;
    if (c1 && c2) {
        int right_first = centroid_x(cc, g, c1) < centroid_x(cc, g, c2);
        lut[c1] = right_first ? PM_LABEL_RIGHT : PM_LABEL_LEFT;
        lut[c2] = right_first ? PM_LABEL_LEFT : PM_LABEL_RIGHT;
        *nlungs = 2;
    } else if (c1 && valley >= 0) {
        /* Which side of the cut is the patient's right: compare the LPS
         * x of the two ends of the component along the axis. */
        double pa[3], pb[3];
        pm_grid_to_lps(g, axis ? 0 : ext[0], axis ? ext[0] : 0, 0, pa);
        pm_grid_to_lps(g, axis ? 0 : ext[1], axis ? ext[1] : 0, 0, pb);
        int low_is_right = pa[0] < pb[0];
        rc = cut_component(m, cc, c1, axis, valley, ext[1] - ext[0], low_is_right ? PM_LABEL_RIGHT : PM_LABEL_LEFT,
                           low_is_right ? PM_LABEL_LEFT : PM_LABEL_RIGHT);
        lut[c1] = PM_CC_KEEP;
        *nlungs = rc == PM_OK ? 2 : 0;
    } else if (c1) {
        lut[c1] = centroid_x(cc, g, c1) < body_x(m, g) ? PM_LABEL_RIGHT : PM_LABEL_LEFT;
        *nlungs = 1;
    }
    if (rc == PM_OK)
        pm_cc_paint(cc, lut, m->v);
    free(lut);
    pm_cc_free(cc);
    return rc;
}

void pm_seg_internal(const pm_mask *filled, const pm_mask *unfilled, pm_mask *out)
{
    size_t n = pm_grid_voxels(&filled->g);
    for (size_t x = 0; x < n; x++)
        out->v[x] = filled->v[x] && !unfilled->v[x];
}
