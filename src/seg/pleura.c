/* pleura.c - closing the lungs on the pleural side only.
 *
 * A ball closing keeps juxtapleural nodules in the lung (a nodule on the
 * chest wall is a dent in the lung's outline that the ball fills), but the
 * same ball also fills the lung's natural dents on the inner side: the
 * hilum with its vessels and main bronchi, the heart's impression, the
 * dome of the liver under the right base. Radiotherapy contours (RTOG)
 * leave all of those out, and they made 5-7 % of the volume. The chest wall
 * is what tells the two apart: it is thin (skin, fat, muscle and ribs,
 * a few centimetres), while the hilum and the diaphragm's dome lie deep in
 * the trunk. So voxels the closing adds are kept only within wall_mm
 * deeper than the patient's own chest wall (the depth below the skin of the
 * lung's shallowest percent: 14 mm on a thin planning CT, 34 mm on a
 * heavier COVID patient). LIDC-IDRI-0001's juxtapleural nodule needs 15 mm,
 * the default is 30; the hilum lies deeper still.
 *
 * The distance to the outside is measured on blocks of about BLOCK_MM, a
 * hundredth of the work of a full-resolution transform; a few millimetres
 * of error on a limit of centimetres changes nothing.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MM 4.0
#define WALL_BINS 256  /* mm */

/* The block grid: each block of f voxels is sampled at its centre. */
static size_t block_centre(const int d[3], const int f[3], int i, int j, int k)
{
    int a = i * f[0] + f[0] / 2, b = j * f[1] + f[1] / 2, c = k * f[2] + f[2] / 2;
    a = a < d[0] ? a : d[0] - 1, b = b < d[1] ? b : d[1] - 1, c = c < d[2] ? c : d[2] - 1;
    return (size_t)a + (size_t)d[0] * ((size_t)b + (size_t)d[1] * c);
}

/* What the wall limit's passes share. */
typedef struct wall_ctx {
    pm_mask *m;
    const int *f, *cd;
    uint8_t *feat, *lung;
    const float *dist;
    const pm__idx *added;
    float w2;
} wall_ctx;

#define LIMIT_TASKS 64

/* Slice k of the block grid: which block centres are outside, which lung. */
static void sample_slice(void *vctx, int k, int thread)
{
    (void)thread;
    wall_ctx *c = vctx;
    const int *d = c->m->g.dim, *cd = c->cd;
    size_t t = (size_t)cd[0] * cd[1] * (size_t)k;
    for (int j = 0; j < cd[1]; j++)
        for (int i = 0; i < cd[0]; i++, t++) {
            uint8_t v = c->m->v[block_centre(d, c->f, i, j, k)];
            c->feat[t] = v == PM_LABEL_OUTSIDE;
            c->lung[t] = v == PM_LABEL_RIGHT || v == PM_LABEL_LEFT;
        }
}

/* Part task of the added voxels: those whose block lies deeper than the
 * limit go back to 0 (each voxel is listed once). */
static void limit_part(void *vctx, int task, int thread)
{
    (void)thread;
    wall_ctx *c = vctx;
    const int *d = c->m->g.dim, *f = c->f, *cd = c->cd;
    size_t plane = (size_t)d[0] * d[1], q0, q1;
    pm_share(c->added->n, task, LIMIT_TASKS, &q0, &q1);
    for (size_t q = q0; q < q1; q++) {
        size_t x = c->added->v[q];
        int i = (int)(x % (size_t)d[0]), j = (int)(x % plane / (size_t)d[0]), k = (int)(x / plane);
        if (c->dist[(size_t)(i / f[0]) + (size_t)cd[0] * ((size_t)(j / f[1]) + (size_t)cd[1] * (k / f[2]))] > c->w2)
            c->m->v[x] = 0;
    }
}

int pm_seg_close_pleural(pm_mask *m, double r_mm, double rim_mm, double wall_mm, const pm_progress *p)
{
    const int *d = m->g.dim;
    int f[3], cd[3];
    double cs[3];
    for (int a = 0; a < 3; a++) {
        f[a] = (int)floor(BLOCK_MM / m->g.spacing[a] + 0.5);
        f[a] = f[a] < 1 ? 1 : f[a];
        cd[a] = (d[a] + f[a] - 1) / f[a];
        cs[a] = m->g.spacing[a] * f[a];
    }
    size_t cn = wall_mm > 0 ? (size_t)cd[0] * cd[1] * cd[2] : 0;
    /* What the wall limit needs of the mask before the closing: the block
     * centres' labels (outside, lung), sampled now; and afterwards which
     * voxels the closing added, listed as it adds them. */
    uint8_t *feat = cn ? malloc(cn) : NULL, *lung = cn ? malloc(cn) : NULL;
    float *dist = cn ? malloc(cn * sizeof *dist) : NULL;
    pm__idx added = {NULL, 0, 0};
    pm__morph_scratch scr;
    int rc = cn && (!feat || !lung || !dist) ? pm_fail(PM_EMEMORY, "out of memory for the closing")
                                              : pm__morph_scratch_init(&scr, m, PM_LABEL_RIGHT, PM_LABEL_LEFT,
                                                                       r_mm + (rim_mm > 0 ? rim_mm : 0));
    if (rc != PM_OK) {
        free(feat), free(lung), free(dist);
        return rc;
    }
    wall_ctx wc = {m, f, cd, feat, lung, dist, &added, 0};
    if (cn)
        pm_parallel_for(cd[2], 0, sample_slice, &wc, NULL, NULL);
    /* Each lung on its own: the closing never bridges the two. */
    for (int l = PM_LABEL_RIGHT; l <= PM_LABEL_LEFT && rc == PM_OK; l++)
        rc = pm__close_in(m, l, l, r_mm, (uint8_t)l, rim_mm, &scr, cn ? &added : NULL, p);
    pm__morph_scratch_free(&scr);
    if (rc == PM_OK && cn)
        rc = pm_seg_edt(feat, cd, cs, dist, NULL);
    if (rc == PM_OK && cn) {
        /* The chest wall's own thickness: the depth below the skin of the
         * lung's shallowest percent. An obese patient's wall is three times
         * a thin one's, and the limit is counted from there. */
        uint32_t hist[WALL_BINS] = {0}, nl = 0;
        for (size_t t = 0; t < cn; t++)
            if (lung[t]) {
                int bin = (int)sqrtf(dist[t]);
                hist[bin < WALL_BINS ? bin : WALL_BINS - 1]++;
                nl++;
            }
        double wall0 = 0;
        for (uint32_t acc = 0, bin = 0; bin < WALL_BINS && nl; bin++) {
            acc += hist[bin];
            if (acc * 100 >= nl) {
                wall0 = bin;
                break;
            }
        }
        /* Only voxels the closing added (they were 0, they are lung now)
         * can be too deep to keep. */
        wc.w2 = (float)((wall0 + wall_mm) * (wall0 + wall_mm));
        pm_parallel_for(LIMIT_TASKS, 0, limit_part, &wc, NULL, NULL);
    }
    free(added.v), free(feat), free(lung), free(dist);
    return rc;
}
