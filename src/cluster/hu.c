/* hu.c - clustering the HU inside a lung mask.
 *
 * The voxels collapse into a histogram of their integer HU; pm_gk_run
 * clusters the distinct values weighted by their counts, and a lookup
 * table by HU then gives every voxel its memberships. Clusters are renamed
 * in order of their centre HU so that label 1 is the most aerated.
 */
#include "pulmo/cluster.h"

#include <stdlib.h>
#include <string.h>

int pm_cluster_in_lung(uint8_t label)
{
    return label == 1 || label == 2 || label == 4 || label == 5;
}

void pm_hu_clusters_done(pm_hu_clusters *h)
{
    free(h->lut);
    h->lut = NULL;
}

static int same_grid(const pm_grid *a, const pm_grid *b)
{
    return a->dim[0] == b->dim[0] && a->dim[1] == b->dim[1] && a->dim[2] == b->dim[2];
}

int pm_cluster_hu(const pm_volume *v, const pm_mask *mask, int k0, int k1, const pm_gk_opts *opts,
                  pm_hu_clusters *out, const pm_progress *p)
{
    /* The buffers are sized by c and pm_gk_run reads c again: one copy, so
     * a caller changing its options meanwhile cannot make them disagree. */
    const pm_gk_opts oc = *opts, *o = &oc;
    if (!same_grid(&v->g, &mask->g))
        return pm_fail(PM_EUSAGE, "the mask is %dx%dx%d but the series is %dx%dx%d", mask->g.dim[0],
                       mask->g.dim[1], mask->g.dim[2], v->g.dim[0], v->g.dim[1], v->g.dim[2]);
    int nz = v->g.dim[2];
    if (k0 < 0 || k1 > nz || k0 >= k1)
        return pm_fail(PM_EUSAGE, "slices %d:%d are not inside 0:%d", k0, k1, nz);
    uint64_t *hist = malloc(65536 * sizeof *hist);
    if (!hist)
        return pm_fail(PM_EMEMORY, "out of memory for clustering");
    uint8_t take[256];
    for (int l = 0; l < 256; l++)
        take[l] = (uint8_t)pm_cluster_in_lung((uint8_t)l);
    int rc = pm_volume_hu_counts(v, mask, take, k0, k1, hist);
    if (rc != PM_OK) {
        free(hist);
        return rc;
    }
    uint64_t total = 0;
    for (int b = 0; b < 65536; b++)
        total += hist[b];
    if (total < (uint64_t)(o->c > 0 ? o->c : 1)) {
        free(hist);
        return pm_fail(PM_ENOLUNG, "slices %d:%d hold %llu lung voxels: too few to cluster", k0, k1,
                       (unsigned long long)total);
    }
    int lo = 0, hi = 65535;
    while (!hist[lo])
        lo++;
    while (!hist[hi])
        hi--;
    size_t n = 0;
    for (int b = lo; b <= hi; b++)
        n += hist[b] != 0;
    float *x = malloc(n * sizeof *x), *u = NULL;
    double *w = malloc(n * sizeof *w);
    size_t span = (size_t)(hi - lo + 1);
    float *lut = NULL;
    rc = x && w ? PM_OK : PM_EMEMORY;
    if (rc == PM_OK && o->c >= 2 && o->c <= PM_GK_MAX) {
        u = malloc(n * (size_t)o->c * sizeof *u);
        lut = malloc(span * (size_t)o->c * sizeof *lut);
        rc = u && lut ? PM_OK : PM_EMEMORY;
    }
    if (rc != PM_OK) {
        free(hist), free(x), free(w), free(u), free(lut);
        return pm_fail(PM_EMEMORY, "out of memory for clustering");
    }
    n = 0;
    for (int b = lo; b <= hi; b++)
        if (hist[b]) {
            x[n] = (float)(b - 32768);
            w[n++] = (double)hist[b];
        }
    if (pm_progress_report(p, 0.1, "clustering")) {
        free(hist), free(x), free(w), free(u), free(lut);
        return PM_ECANCEL;
    }
    pm_gk_result r;
    rc = pm_gk_run(x, w, n, 1, o, &r, u);
    if (rc != PM_OK) {
        free(hist), free(x), free(w), free(u), free(lut);
        return rc;
    }
    int c = r.c, order[PM_GK_MAX];
    for (int i = 0; i < c; i++) {
        int rank = 0;
        for (int j = 0; j < c; j++)
            rank += r.center[j][0] < r.center[i][0] || (r.center[j][0] == r.center[i][0] && j < i);
        order[rank] = i;
    }
    memset(out, 0, sizeof *out);
    out->gk = r;
    for (int s = 0; s < c; s++) {
        int i = order[s];
        memcpy(out->gk.center[s], r.center[i], sizeof r.center[i]);
        memcpy(out->gk.cov[s], r.cov[i], sizeof r.cov[i]);
        out->gk.weight[s] = r.weight[i];
        out->gk.change[s] = r.change[i];
    }
    /* The table by HU: each distinct value's memberships, and values in
     * between (absent from these slices) filled from the nearest below so
     * that a lookup for any HU in range is defined. */
    size_t q = 0;
    for (size_t b = 0; b < span; b++) {
        if (hist[lo + b] && b > 0)
            q++;
        for (int s = 0; s < c; s++)
            lut[b * (size_t)c + s] = u[q * (size_t)c + order[s]];
    }
    out->lut = lut;
    out->hu_lo = lo - 32768;
    out->hu_hi = hi - 32768;
    out->total = total;
    out->k0 = k0;
    out->k1 = k1;
    for (int b = lo; b <= hi; b++)
        if (hist[b])
            out->voxels[pm_cluster_label(out, b - 32768) - 1] += hist[b];
    double ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    for (int s = 0; s < c; s++) {
        out->ml[s] = (double)out->voxels[s] * ml;
        if (out->voxels[s] < out->voxels[out->smallest])
            out->smallest = s;
    }
    free(hist), free(x), free(w), free(u);
    return PM_OK;
}

float pm_cluster_membership(const pm_hu_clusters *h, int hu, int i)
{
    hu = hu < h->hu_lo ? h->hu_lo : hu > h->hu_hi ? h->hu_hi : hu;
    return h->lut[(size_t)(hu - h->hu_lo) * (size_t)h->gk.c + (size_t)i];
}

int pm_cluster_label(const pm_hu_clusters *h, int hu)
{
    int best = 0;
    for (int i = 1; i < h->gk.c; i++)
        if (pm_cluster_membership(h, hu, i) > pm_cluster_membership(h, hu, best))
            best = i;
    return best + 1;
}

void pm_cluster_labels(const pm_hu_clusters *h, const pm_volume *v, const pm_mask *mask,
                       pm_mask *out)
{
    size_t plane = (size_t)v->g.dim[0] * v->g.dim[1];
    memset(out->v, 0, pm_grid_voxels(&out->g));
    for (size_t t = plane * (size_t)h->k0; t < plane * (size_t)h->k1; t++)
        if (pm_cluster_in_lung(mask->v[t]))
            out->v[t] = (uint8_t)pm_cluster_label(h, v->hu[t]);
}
