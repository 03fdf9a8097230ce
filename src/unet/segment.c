/* segment.c - the lungmask pipeline over a volume: each axial slice is
 * oriented as LPS (columns toward the patient's left, rows toward
 * posterior, as the network was trained), cropped to its body box, resized
 * and run through the network in batches; the 256x256 label stack is
 * post-processed in 3D and each slice's labels are mapped back into its box
 * by nearest neighbour. Only the batch being inferred is held as float, so
 * memory stays near the volume plus 64 KB of labels per slice.
 */
#include "unet_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How slice pixels map to the LPS-oriented image: (c, r) -> i, j. */
typedef struct orient {
    int transpose, flip_c, flip_r, w, h;
} orient;

static void orient_of(const pm_grid *g, orient *o)
{
    int ai = 0, aj = 0;
    for (int a = 1; a < 3; a++) {
        if (fabs(g->dir[a]) > fabs(g->dir[ai]))
            ai = a;
        if (fabs(g->dir[3 + a]) > fabs(g->dir[3 + aj]))
            aj = a;
    }
    memset(o, 0, sizeof *o);
    o->w = g->dim[0], o->h = g->dim[1];
    if (ai == 0 && aj == 1) {
        o->flip_c = g->dir[0] < 0;
        o->flip_r = g->dir[4] < 0;
    } else if (ai == 1 && aj == 0) {
        o->transpose = 1;
        o->w = g->dim[1], o->h = g->dim[0];
        o->flip_c = g->dir[3] < 0;     /* j runs along x */
        o->flip_r = g->dir[1] < 0;     /* i runs along y */
    }
    /* Other (non-axial) slices are used as stored. */
}

/* Offset within the slice (i + nx*j) of oriented pixel (c, r). */
static size_t orient_off(const orient *o, int nx, int c, int r)
{
    if (o->flip_c)
        c = o->w - 1 - c;
    if (o->flip_r)
        r = o->h - 1 - r;
    return o->transpose ? (size_t)r + (size_t)nx * (size_t)c : (size_t)c + (size_t)nx * (size_t)r;
}

static int nearest(int o, int n_in, int n_out)
{
    if (n_out <= 1)
        return 0;
    int s = (int)floor((double)o * (n_in - 1) / (n_out - 1) + 0.5);
    return s < 0 ? 0 : s >= n_in ? n_in - 1 : s;
}

int pm_unet_segment(const pm_volume *v, const pm_unet *net, int nthreads, uint8_t *labels,
                    const pm_progress *p)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2];
    size_t plane = (size_t)nx * (size_t)ny;
    if (net->cin != 1)
        return pm_fail(PM_EUSAGE, "the network takes %d input channels; CT slices have 1", net->cin);
    if (nx < 1 || ny < 1 || nz < 1)
        return pm_fail(PM_ENODATA, "empty volume");
    if (nthreads <= 0)
        nthreads = pm_threads();
    orient o;
    orient_of(&v->g, &o);
    /* Batches amortise the workspaces; progress and cancel still come per slice. */
    int batch = 8 * nthreads;
    int *box = malloc((size_t)nz * 4 * sizeof *box);
    int16_t *slice = malloc(plane * sizeof *slice);
    float *in = malloc((size_t)batch * 65536 * sizeof *in);
    uint8_t *lab = malloc((size_t)nz * 65536);
    uint8_t *dup = malloc((size_t)nz);
    int rc = PM_OK;
    if (!box || !slice || !in || !lab || !dup) {
        rc = pm_fail(PM_EMEMORY, "out of memory for U-Net segmentation (%d slices)", nz);
        goto done;
    }
    /* A slice equal to the one before it (a one- or two-slice series is
     * segmented as a prism of 40 copies, pm_recipe_flat_copies) takes its
     * labels: the network sees each distinct slice once, and the labels of
     * the nu distinct slices are stored first, in order, then spread. */
    int nu = 0;
    for (int k = 0; k < nz; k++) {
        dup[k] = k > 0 && !memcmp(v->hu + (size_t)k * plane, v->hu + (size_t)(k - 1) * plane,
                                  plane * sizeof *v->hu);
        nu += !dup[k];
    }
    for (int u0 = 0, k = 0; u0 < nu && !rc; u0 += batch) {
        if (pm_progress_report(p, 0.95 * u0 / nu, "U-Net")) {
            rc = pm_fail(PM_ECANCEL, "cancelled");
            break;
        }
        int nb = nu - u0 < batch ? nu - u0 : batch;
        for (int b = 0; b < nb; b++, k++) {
            while (dup[k])
                k++;
            const int16_t *src = v->hu + (size_t)k * plane;
            for (int r = 0; r < o.h; r++)
                for (int c = 0; c < o.w; c++)
                    slice[(size_t)r * (size_t)o.w + c] = src[orient_off(&o, nx, c, r)];
            int *bx = box + 4 * k;
            pm_unet_body_box(slice, o.w, o.h, bx);
            pm_unet_prepare(slice, o.w, bx, in + (size_t)b * 65536);
        }
        pm_progress_sub sp;
        pm_progress sub = pm_progress_span(&sp, p, 0.95 * u0 / nu, 0.95 * (u0 + nb) / nu);
        rc = pm_unet_forward(net, nb, 256, 256, in, NULL, lab + (size_t)u0 * 65536, nthreads,
                             p ? &sub : NULL);
    }
    if (rc)
        goto done;
    for (int k = 1; k < nz; k++)
        if (dup[k])
            memcpy(box + 4 * k, box + 4 * (k - 1), 4 * sizeof *box);
    /* Backwards, so that a distinct slice's labels (at u <= k) are read
     * before anything is written over them. */
    for (int k = nz - 1, u = nu - 1; k >= 0; u -= !dup[k], k--)
        if (k != u)
            memcpy(lab + (size_t)k * 65536, lab + (size_t)u * 65536, 65536);
    if (pm_progress_report(p, 0.95, "U-Net post-processing")) {
        rc = pm_fail(PM_ECANCEL, "cancelled");
        goto done;
    }
    if ((rc = pm_unet_postprocess(lab, 256, 256, nz, net->ncls)))
        goto done;
    size_t found = 0;
    memset(labels, 0, plane * (size_t)nz);
    for (int k = 0; k < nz; k++) {
        const int *bx = box + 4 * k;
        int bw = bx[2] - bx[0], bh = bx[3] - bx[1];
        const uint8_t *src = lab + (size_t)k * 65536;
        uint8_t *dst = labels + (size_t)k * plane;
        for (int r = 0; r < bh; r++) {
            int sr = nearest(r, 256, bh);
            for (int c = 0; c < bw; c++) {
                uint8_t l = src[sr * 256 + nearest(c, 256, bw)];
                dst[orient_off(&o, nx, bx[0] + c, bx[1] + r)] = l;
                found += l != 0;
            }
        }
    }
    pm_progress_report(p, 1.0, "U-Net");
    if (!found)
        rc = pm_fail(PM_ENOLUNG, "the U-Net found no lungs");
done:
    free(box); free(slice); free(in); free(lab); free(dup);
    return rc;
}
