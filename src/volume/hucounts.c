/* hucounts.c - the one HU histogram: exact counts per integer HU, from
 * which the lung measures, HU clustering and the histogram charts follow. */
#include "pulmo/volume.h"
#include "pulmo/core.h"

#include <stdlib.h>
#include <string.h>

/* The voxels are cut into chunks counted in parallel, each into its own
 * counts, summed at the end. */
#define HU_CHUNKS 8

typedef struct hu_ctx {
    const pm_volume *v;
    const pm_mask *mask;
    const uint8_t *take;
    size_t from, to;
    uint64_t *counts;   /* HU_CHUNKS x 65536 */
} hu_ctx;

static void hu_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    const hu_ctx *c = vctx;
    size_t a, b;
    pm_share(c->to - c->from, t, HU_CHUNKS, &a, &b);
    a += c->from, b += c->from;
    uint64_t *h = c->counts + (size_t)t * 65536;
    const int16_t *hu = c->v->hu;
    if (!c->mask) {
        for (size_t x = a; x < b; x++)
            h[(int)hu[x] + 32768]++;
        return;
    }
    const uint8_t *lab = c->mask->v;
    for (size_t x = a; x < b; x++)
        if (c->take[lab[x]])
            h[(int)hu[x] + 32768]++;
}

int pm_volume_hu_counts(const pm_volume *v, const pm_mask *mask, const uint8_t take[256], int k0,
                        int k1, uint64_t *counts)
{
    if (mask && memcmp(mask->g.dim, v->g.dim, sizeof v->g.dim) != 0)
        return pm_fail(PM_EUSAGE, "the mask is %dx%dx%d but the image is %dx%dx%d", mask->g.dim[0],
                       mask->g.dim[1], mask->g.dim[2], v->g.dim[0], v->g.dim[1], v->g.dim[2]);
    if (k0 < 0 || k1 > v->g.dim[2] || k0 >= k1)
        return pm_fail(PM_EUSAGE, "slices %d:%d are not inside 0:%d", k0, k1, v->g.dim[2]);
    size_t plane = (size_t)v->g.dim[0] * v->g.dim[1];
    hu_ctx c = {v, mask, take, plane * (size_t)k0, plane * (size_t)k1,
                calloc((size_t)HU_CHUNKS * 65536, sizeof(uint64_t))};
    if (!c.counts)
        return pm_fail(PM_EMEMORY, "out of memory for a HU histogram");
    /* No progress given, so no cancel: the pass always completes. */
    pm_parallel_for(HU_CHUNKS, 0, hu_chunk, &c, NULL, NULL);
    memcpy(counts, c.counts, 65536 * sizeof *counts);
    for (int t = 1; t < HU_CHUNKS; t++) {
        const uint64_t *ht = c.counts + (size_t)t * 65536;
        for (int i = 0; i < 65536; i++)
            counts[i] += ht[i];
    }
    free(c.counts);
    return PM_OK;
}
