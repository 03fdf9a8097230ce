/* body_walls.c - the body's holes that are not the patient's: the air in
 * a hollow table joined to the back, and the pockets behind a chest wall
 * thinner than the opening (body.c's coarse grid of blocks).
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A hollow table whose shell is thicker than the opening stays joined to
 * the patient's back, and the air inside it becomes a hole of the body's
 * slice (a lung of litres, seen on PET/CT tables). The air inside a patient
 * (lungs, airway, bowel gas) never spans most of the body's width while
 * being less than a third as tall as it is wide; such a hole lies in the
 * table under the patient and is given back to the air outside. `before`
 * is the body before its holes were filled (overwritten: the holes). */
int pm__body_drop_table_holes(pm_mask *b, pm_mask *before)
{
    const int *d = b->g.dim;
    size_t n = pm_grid_voxels(&b->g);
    for (size_t x = 0; x < n; x++)
        before->v[x] = b->v[x] && !before->v[x];
    pm_cc *cc;
    int rc = pm_cc_label(before, 1, 1, 4, &cc, NULL);
    if (rc != PM_OK)
        return rc;
    int lr = pm__lr_axis(&b->g);
    int *box = malloc(((size_t)cc->ncomp + 1) * 5 * sizeof *box), *bw = calloc((size_t)d[2], 2 * sizeof *bw);
    if (!box || !bw) {
        free(box), free(bw), pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory for the body mask");
    }
    for (uint32_t c = 0; c <= cc->ncomp; c++)
        box[5 * c] = box[5 * c + 2] = 1 << 30, box[5 * c + 1] = box[5 * c + 3] = -1;
    /* each slice's body extent across the patient, from each row's first
     * and last body voxel */
    for (int k = 0; k < d[2]; k++) {
        bw[2 * k] = 1 << 30, bw[2 * k + 1] = -1;
        for (int j = 0; j < d[1]; j++) {
            const uint8_t *row = b->v + (size_t)d[0] * (j + (size_t)d[1] * k);
            int first = pm_skip_zeros(row, 0, d[0]);
            if (first == d[0])
                continue;
            int lo = lr ? j : first, hi = lr ? j : pm_nonzero_end(row, d[0]) - 1;
            bw[2 * k] = lo < bw[2 * k] ? lo : bw[2 * k];
            bw[2 * k + 1] = hi > bw[2 * k + 1] ? hi : bw[2 * k + 1];
        }
    }
    for (int k = 0; k < d[2]; k++)
        for (int j = 0; j < d[1]; j++) {
            int64_t row = j + (int64_t)d[1] * k;
            for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
                int *q = box + 5 * cc->label[r];
                q[0] = cc->x0[r] < q[0] ? cc->x0[r] : q[0];
                q[1] = cc->x1[r] - 1 > q[1] ? cc->x1[r] - 1 : q[1];
                q[2] = j < q[2] ? j : q[2];
                q[3] = j > q[3] ? j : q[3];
                q[4] = k;
            }
        }
    for (int64_t row = 0; row < (int64_t)d[1] * d[2]; row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            const int *q = box + 5 * cc->label[r], k = q[4];
            double wi = (q[1] - q[0] + 1) * b->g.spacing[0], wj = (q[3] - q[2] + 1) * b->g.spacing[1];
            double w = lr ? wj : wi, h = lr ? wi : wj, body = (bw[2 * k + 1] - bw[2 * k] + 1) * b->g.spacing[lr];
            if (w >= 0.6 * body && w >= 3 * h)
                memset(b->v + (size_t)d[0] * (size_t)row + cc->x0[r], 0, (size_t)(cc->x1[r] - cc->x0[r]));
        }
    free(box), free(bw), pm_cc_free(cc);
    return PM_OK;
}

/* 2-D flood on slice s (nx x ny) from the pixels with from[q] set, through
 * pixels with through[q] set: sets out[q] = 1 on every pixel reached
 * (4-connected; pixels already set in out are not entered). By spans: a
 * popped pixel fills its whole run of the row, and each run of open pixels
 * beside it on the rows above and below is pushed once, not each pixel.
 * A pixel is pushed at most once from each side: stack holds two planes. */
static void flood2d(const uint8_t *from, const uint8_t *through, uint8_t *out, int nx, int ny, int *stack)
{
    size_t plane = (size_t)nx * ny;
    for (size_t q0 = 0; q0 < plane; q0++) {
        if (!from[q0] || !through[q0] || out[q0])
            continue;
        int sp = 0;
        stack[sp++] = (int)q0;
        while (sp) {
            int q = stack[--sp], j = q / nx;
            if (out[q])
                continue;
            const uint8_t *th = through + (size_t)nx * j;
            uint8_t *o = out + (size_t)nx * j;
            int l = q % nx, r = l;
            while (l > 0 && th[l - 1] && !o[l - 1])
                l--;
            while (r < nx - 1 && th[r + 1] && !o[r + 1])
                r++;
            memset(o + l, 1, (size_t)(r - l + 1));
            for (int dj = -1; dj <= 1; dj += 2) {
                if (j + dj < 0 || j + dj >= ny)
                    continue;
                const uint8_t *t2 = th + (ptrdiff_t)dj * nx;
                const uint8_t *o2 = o + (ptrdiff_t)dj * nx;
                for (int i = l; i <= r; i++)
                    if (t2[i] && !o2[i] && (i == l || !t2[i - 1] || o2[i - 1]))
                        stack[sp++] = (j + dj) * nx + i;
            }
        }
    }
}

/* The opening takes off whatever is thinner than about three blocks: the
 * blankets and the table's shell, but also a chest wall that thin (a
 * child's, a thin adult's in front), and where it breaks, the lung behind
 * it joins the air outside and is no hole to fill: whole slices of lung
 * were lost (LUNG1-020 scaled to a child's size: 40 % of its lungs). The
 * tissue the opening took that is joined to the body (walls, blankets)
 * encloses both lungs and the pockets under blankets; a lung is told by
 * what a lung is, a column of air: an enclosed pocket overlapping by half
 * a hole of the body on the slice above or below (filled, or taken here,
 * sweeping up and down) is taken into the body, with the tissue around it.
 * A pocket under a blanket or in a table lies outside the body's holes.
 * raw: the blocks before the opening; before: the body before its holes
 * were filled; b: the body filled. */
typedef struct thin_ctx {
    pm_mask *b;
    const pm_mask *before, *raw;
    uint8_t *wall, *cand, *tmp, *seed;  /* tmp and seed: a plane per thread */
    int *stack;                         /* two planes per thread (flood2d) */
    size_t *ncand;                      /* per slice */
} thin_ctx;

/* Slice k (independent of the others): the body with the tissue joined to
 * it (wall), then the pockets it encloses (cand). */
static void thin_slice(void *vctx, int k, int thread)
{
    thin_ctx *c = vctx;
    int nx = c->b->g.dim[0], ny = c->b->g.dim[1];
    size_t plane = (size_t)nx * ny, o = plane * (size_t)k, ncand = 0;
    uint8_t *tmp = c->tmp + plane * (size_t)thread, *seed = c->seed + plane * (size_t)thread;
    int *stack = c->stack + 2 * plane * (size_t)thread;
    uint8_t *wall = c->wall + o;
    flood2d(c->before->v + o, c->raw->v + o, wall, nx, ny, stack);
    for (size_t q = 0; q < plane; q++)
        wall[q] |= c->before->v[o + q], tmp[q] = !wall[q];
    memset(seed, 0, plane);
    for (int i = 0; i < nx; i++)
        seed[i] = seed[plane - (size_t)nx + i] = 1;
    for (int j = 0; j < ny; j++)
        seed[(size_t)nx * j] = seed[(size_t)nx * j + nx - 1] = 1;
    uint8_t *outside = c->cand + o;
    flood2d(seed, tmp, outside, nx, ny, stack);
    for (size_t q = 0; q < plane; q++) {
        int pocket = tmp[q] && !outside[q] && !c->b->v[o + q];
        outside[q] = (uint8_t)pocket;
        ncand += pocket;
    }
    c->ncand[k] = ncand;
}

int pm__body_restore_thin_walls(pm_mask *b, const pm_mask *before, const pm_mask *raw)
{
    int nx = b->g.dim[0], ny = b->g.dim[1], nz = b->g.dim[2], nth = pm_threads();
    size_t plane = (size_t)nx * ny, n = plane * (size_t)nz;
    uint8_t *wall = calloc(n, 1), *cand = calloc(n, 1), *tmp = malloc(plane * (size_t)nth);
    uint8_t *seed = malloc(plane * (size_t)nth);
    int *stack = malloc(2 * plane * (size_t)nth * sizeof *stack), *comp = malloc(plane * sizeof *comp);
    size_t *per = calloc((size_t)nz, sizeof *per);
    if (!wall || !cand || !tmp || !seed || !stack || !comp || !per) {
        free(wall), free(cand), free(tmp), free(seed), free(stack), free(comp), free(per);
        return pm_fail(PM_EMEMORY, "out of memory for the body mask");
    }
    thin_ctx tc = {b, before, raw, wall, cand, tmp, seed, stack, per};
    pm_parallel_for(nz, nth, thin_slice, &tc, NULL, NULL);
    size_t ncand = 0;
    for (int k = 0; k < nz; k++)
        ncand += per[k];
    free(seed);
    /* cand now holds the pockets; take those that continue a hole */
    for (int changed = ncand > 0, sweep = 0; changed && sweep < 2 * nz; sweep++) {
        changed = 0;
        for (int t = 0; t < nz; t++) {
            int k = sweep % 2 ? nz - 1 - t : t;
            size_t o = plane * (size_t)k;
            if (!per[k])   /* no pocket on this slice, now or later */
                continue;
            memset(tmp, 0, plane);
            for (size_t q0 = 0; q0 < plane; q0++) {
                if (cand[o + q0] != 1 || tmp[q0])
                    continue;
                int nc = 0, sp = 0;
                size_t hit = 0;
                tmp[q0] = 1, stack[sp++] = (int)q0;
                while (sp) {
                    int q = stack[--sp], i = q % nx, j = q / nx;
                    comp[nc++] = q;
                    for (int kk = k - 1; kk <= k + 1; kk += 2)
                        if (kk >= 0 && kk < nz) {
                            size_t x = plane * (size_t)kk + (size_t)q;
                            hit += b->v[x] && !before->v[x];
                            if (b->v[x] && !before->v[x])
                                break;
                        }
                    int nb[4] = {i > 0 ? q - 1 : -1, i < nx - 1 ? q + 1 : -1, j > 0 ? q - nx : -1,
                                 j < ny - 1 ? q + nx : -1};
                    for (int e = 0; e < 4; e++)
                        if (nb[e] >= 0 && cand[o + (size_t)nb[e]] == 1 && !tmp[nb[e]])
                            tmp[nb[e]] = 1, stack[sp++] = nb[e];
                }
                if (2 * hit < (size_t)nc)
                    continue;
                changed = 1;
                for (int c = 0; c < nc; c++) {
                    int q = comp[c], i = q % nx, j = q / nx;
                    cand[o + (size_t)q] = 2;
                    b->v[o + (size_t)q] = 1;
                    int nb[4] = {i > 0 ? q - 1 : -1, i < nx - 1 ? q + 1 : -1, j > 0 ? q - nx : -1,
                                 j < ny - 1 ? q + nx : -1};
                    for (int e = 0; e < 4; e++)
                        if (nb[e] >= 0 && wall[o + (size_t)nb[e]])
                            b->v[o + (size_t)nb[e]] = 1;
                }
            }
        }
    }
    free(wall), free(cand), free(tmp), free(stack), free(comp), free(per);
    return PM_OK;
}
