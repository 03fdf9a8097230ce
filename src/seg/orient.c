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
#include <string.h>

/* How much wider than deep the body must be across the header's front-back
 * axis before the header is overruled: adult chests measure 1.3-1.6 by the
 * spread used here, a round infant's chest about 1.1. */
#define TURN_RATIO 1.15

int pm_seg_patient_grid(const pm_mask *m, pm_grid *out)
{
    const pm_grid *g = &m->g;
    *out = *g;
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    size_t plane = (size_t)nx * ny;
    if (nx < 8 || ny < 8 || nz < 1)
        return 0;
    /* The slices with a chest's air: at least a fifth of the most air any
     * slice holds (the head's sinuses and the bowel count for little). */
    uint64_t most = 0;
    for (int k = 0; k < nz; k++) {
        uint64_t a = 0;
        const uint8_t *s = m->v + plane * (size_t)k;
        for (size_t x = 0; x < plane; x += 2)
            a += s[x] == PM_LABEL_LUNG;
        most = a > most ? a : most;
    }
    if (most == 0)
        return 0;
    /* Per slice, the body's spread about its own centre along i and j (mm²
     * summed over slices), and the air on each side of that centre. */
    double var[2] = {0, 0}, air_lo[2] = {0, 0}, air_hi[2] = {0, 0};
    for (int k = 0; k < nz; k++) {
        const uint8_t *s = m->v + plane * (size_t)k;
        double n = 0, si = 0, sj = 0, sii = 0, sjj = 0;
        uint64_t a = 0;
        for (int j = 0; j < ny; j += 2)
            for (int i = 0; i < nx; i += 2) {
                uint8_t l = s[(size_t)nx * j + i];
                if (l == PM_LABEL_OUTSIDE)
                    continue;
                n++, si += i, sj += j, sii += (double)i * i, sjj += (double)j * j;
            }
        for (size_t x = 0; x < plane; x += 2)
            a += s[x] == PM_LABEL_LUNG;
        if (n < 16 || 5 * a < most)
            continue;
        double ci = si / n, cj = sj / n;
        var[0] += (sii / n - ci * ci) * g->spacing[0] * g->spacing[0];
        var[1] += (sjj / n - cj * cj) * g->spacing[1] * g->spacing[1];
        for (int j = 0; j < ny; j += 2)
            for (int i = 0; i < nx; i += 2)
                if (s[(size_t)nx * j + i] == PM_LABEL_LUNG) {
                    air_lo[0] += i < ci, air_hi[0] += i > ci;
                    air_lo[1] += j < cj, air_hi[1] += j > cj;
                }
    }
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
