/* orient.c - which way the patient lies in the image, from the anatomy.
 *
 * The direction cosines say where the patient's left is, and they are
 * right whenever the scanner was told how the patient lay. A patient on the
 * side whose header says supine (a decubitus scan entered as supine) lies
 * across the image: the lungs are one above the other, the trachea's
 * midline test looks along the wrong axis, and both lungs become one. The
 * body's cross-section settles the axis: an adult's or a child's chest is
 * wider from side to side than from front to back, whatever the lungs
 * inside it look like (one lung, collapsed lobes). Which end of that axis
 * is left comes from the heart, which lies left: the left half of the
 * chest holds less air. A half turn (prone entered as supine) keeps the
 * axis and is left to the header: nothing in the body's outline tells
 * front from back without doubt.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How much wider than deep the body must be across the header's front-back
 * axis before the header is overruled: adult chests measure 1.3-1.6 by the
 * spread used here, a round infant's chest about 1.1. */
#define TURN_RATIO 1.15

/* One slice's figures, on every other voxel. */
typedef struct slice_fig {
    uint64_t air;                       /* PM_LABEL_LUNG voxels */
    double n, si, sj, sii, sjj;         /* the body: count, sums of i, j, i², j² */
    double air_lo[2], air_hi[2];        /* air on each side of the body's centre */
} slice_fig;

typedef struct orient_ctx {
    const pm_mask *m;
    slice_fig *fig;
    uint64_t most;
} orient_ctx;

static void body_slice(void *vctx, int k, int thread)
{
    (void)thread;
    orient_ctx *c = vctx;
    const pm_grid *g = &c->m->g;
    int nx = g->dim[0], ny = g->dim[1];
    size_t plane = (size_t)nx * ny;
    const uint8_t *s = c->m->v + plane * (size_t)k;
    slice_fig *f = &c->fig[k];
    /* Integer sums, exact (far below 2^53) and so the same doubles as
     * adding voxel by voxel in double; a row's count and sum of i vectorize. */
    uint64_t n = 0, si = 0, sj = 0, sii = 0, sjj = 0;
    for (int j = 0; j < ny; j += 2) {
        const uint8_t *row = s + (size_t)nx * j;
        uint64_t rn = 0, ri = 0, rii = 0;
        if (nx <= 2048) {
            /* a row's sums fit 32 bits (the sum of i² below 2048 is under
             * 2^31): twice the lanes a vector holds */
            uint32_t n32 = 0, i32 = 0, ii32 = 0;
            for (int i = 0; i < nx; i += 2) {
                uint32_t in = row[i] != PM_LABEL_OUTSIDE;
                n32 += in, i32 += in * (uint32_t)i, ii32 += in * (uint32_t)i * (uint32_t)i;
            }
            rn = n32, ri = i32, rii = ii32;
        } else {
            for (int i = 0; i < nx; i += 2) {
                uint64_t in = row[i] != PM_LABEL_OUTSIDE;
                rn += in, ri += in * (uint64_t)i, rii += in * (uint64_t)i * (uint64_t)i;
            }
        }
        n += rn, si += ri, sii += rii;
        sj += rn * (uint64_t)j, sjj += rn * (uint64_t)j * (uint64_t)j;
    }
    f->n = (double)n, f->si = (double)si, f->sj = (double)sj, f->sii = (double)sii, f->sjj = (double)sjj;
    /* counted in a local, not through f, so that the loop vectorises */
    uint32_t air = 0;   /* half a slice (rows and columns are 16-bit): 32 bits, twice the lanes */
    for (size_t x = 0; x < plane; x += 2)
        air += s[x] == PM_LABEL_LUNG;
    f->air = air;
}

static void air_slice(void *vctx, int k, int thread)
{
    (void)thread;
    orient_ctx *c = vctx;
    const pm_grid *g = &c->m->g;
    int nx = g->dim[0], ny = g->dim[1];
    slice_fig *f = &c->fig[k];
    if (f->n < 16 || 5 * f->air < c->most)
        return;
    const uint8_t *s = c->m->v + (size_t)nx * ny * (size_t)k;
    double ci = f->si / f->n, cj = f->sj / f->n;
    /* i < ci and i > ci as integer bounds, counted in locals: the row loop
     * vectorises */
    const int below = (int)ceil(ci), above = (int)floor(ci);
    uint64_t lo[2] = {0, 0}, hi[2] = {0, 0};
    for (int j = 0; j < ny; j += 2) {
        const uint8_t *row = s + (size_t)nx * j;
        uint32_t rl = 0, rh = 0, ra = 0;   /* a row's counts */
        for (int i = 0; i < nx; i += 2) {
            uint32_t a = row[i] == PM_LABEL_LUNG;
            rl += a & (uint32_t)(i < below), rh += a & (uint32_t)(i > above), ra += a;
        }
        lo[0] += rl, hi[0] += rh;
        lo[1] += j < cj ? ra : 0, hi[1] += j > cj ? ra : 0;
    }
    for (int a = 0; a < 2; a++)
        f->air_lo[a] = (double)lo[a], f->air_hi[a] = (double)hi[a];
}

int pm_seg_patient_grid(const pm_mask *m, pm_grid *out)
{
    const pm_grid *g = &m->g;
    *out = *g;
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    if (nx < 8 || ny < 8 || nz < 1)
        return 0;
    /* Per slice (in parallel; the slices' figures are then added in slice
     * order): the body's spread about its own centre along i and j (mm²
     * summed over slices), and the air on each side of that centre, over
     * the slices with a chest's air: at least a fifth of the most air any
     * slice holds (the head's sinuses and the bowel count for little). */
    orient_ctx c = {m, calloc((size_t)nz, sizeof *c.fig), 0};
    if (!c.fig)
        return 0;   /* out of memory: the header's axes stand */
    pm_parallel_for(nz, 0, body_slice, &c, NULL, NULL);
    for (int k = 0; k < nz; k++)
        c.most = c.fig[k].air > c.most ? c.fig[k].air : c.most;
    if (c.most == 0) {
        free(c.fig);
        return 0;
    }
    pm_parallel_for(nz, 0, air_slice, &c, NULL, NULL);
    double var[2] = {0, 0}, air_lo[2] = {0, 0}, air_hi[2] = {0, 0};
    for (int k = 0; k < nz; k++) {
        const slice_fig *f = &c.fig[k];
        if (f->n < 16 || 5 * f->air < c.most)
            continue;
        double ci = f->si / f->n, cj = f->sj / f->n;
        var[0] += (f->sii / f->n - ci * ci) * g->spacing[0] * g->spacing[0];
        var[1] += (f->sjj / f->n - cj * cj) * g->spacing[1] * g->spacing[1];
        for (int a = 0; a < 2; a++)
            air_lo[a] += f->air_lo[a], air_hi[a] += f->air_hi[a];
    }
    free(c.fig);
    int lr = pm__lr_axis(g), ap = 1 - lr;
    if (!(var[lr] > 0) || var[ap] < TURN_RATIO * TURN_RATIO * var[lr])
        return 0;
    /* Turn the in-plane axes a quarter, the way that puts the side with less
     * air (the heart's) on the patient's left (LPS +x). Either quarter turn
     * keeps the grid's handedness. */
    const double *d0 = g->dir, *d1 = g->dir + 3;
    double lo_is_left = air_lo[ap] < air_hi[ap] ? 1 : -1;
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
        double n0[3], n1[3];
        for (int c = 0; c < 3; c++) {
            n0[c] = sgn * d1[c];
            n1[c] = -sgn * d0[c];
        }
        /* x of the new direction of axis ap: negative when index growth
         * along it goes toward the patient's right. */
        double x = ap ? n1[0] : n0[0];
        if ((x < 0) == (lo_is_left > 0)) {
            memcpy(out->dir, n0, sizeof n0);
            memcpy(out->dir + 3, n1, sizeof n1);
            return 1;
        }
    }
    return 0;
}
