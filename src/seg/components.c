/* components.c - steps built on connected components: clearing what touches
 * the border, keeping the largest components, removing small ones, filling
 * holes. Each labels once and repaints runs through a lookup table. */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <stdlib.h>
#include <string.h>

uint16_t *pm__lut_keep(const pm_cc *cc)
{
    uint16_t *lut = malloc(((size_t)cc->ncomp + 1) * sizeof *lut);
    if (!lut) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    for (uint32_t c = 0; c <= cc->ncomp; c++)
        lut[c] = PM_CC_KEEP;
    return lut;
}

int pm__cc_label_keep(const pm_mask *m, int lo, int hi, int conn, pm_cc **cc, uint16_t **lut,
                      const pm_progress *p)
{
    int rc = pm_cc_label(m, lo, hi, conn, cc, p);
    if (rc != PM_OK)
        return rc;
    if (!(*lut = pm__lut_keep(*cc))) {
        pm_cc_free(*cc);
        *cc = NULL;
        return PM_EMEMORY;
    }
    return PM_OK;
}

int pm_seg_clear_border(pm_mask *m, int lo, int hi, int conn, int faces, uint8_t value,
                        const pm_progress *p)
{
    pm_cc *cc;
    uint16_t *lut;
    int rc = pm__cc_label_keep(m, lo, hi, conn, &cc, &lut, p);
    if (rc != PM_OK)
        return rc;
    uint8_t *b = pm_cc_border(cc);
    if (!b) {
        free(lut);
        pm_cc_free(cc);
        return PM_EMEMORY;
    }
    int bits = faces >= 2 ? 3 : 1;
    for (uint32_t c = 1; c <= cc->ncomp; c++)
        if (b[c] & bits)
            lut[c] = value;
    pm_cc_paint(cc, lut, m->v);
    free(lut);
    free(b);
    pm_cc_free(cc);
    return PM_OK;
}

/* qsort has no context argument: the labelling being sorted, per thread
 * (batches segment several series at once). */
static _Thread_local const pm_cc *sort_cc;
static int by_size_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_cc->size[x] != sort_cc->size[y])
        return sort_cc->size[x] > sort_cc->size[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

uint32_t *pm__cc_order_by_size(const pm_cc *cc)
{
    uint32_t *o = malloc(((size_t)cc->ncomp + 1) * sizeof *o);
    if (!o) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    for (uint32_t c = 0; c < cc->ncomp; c++)
        o[c] = c + 1;
    sort_cc = cc;
    qsort(o, cc->ncomp, sizeof *o, by_size_desc);
    return o;
}

int pm_seg_keep_largest(pm_mask *m, int lo, int hi, int conn, int n, int *kept,
                        const pm_progress *p)
{
    pm_cc *cc;
    uint16_t *lut;
    int rc = pm__cc_label_keep(m, lo, hi, conn, &cc, &lut, p);
    if (rc != PM_OK)
        return rc;
    uint32_t *o = pm__cc_order_by_size(cc);
    int per_slice = conn == 4 || conn == 8;
    int *sl = o && per_slice ? pm__cc_comp_slice(cc) : NULL;
    int *count = sl ? calloc((size_t)m->g.dim[2], sizeof *count) : NULL;
    if (!o || (per_slice && !count)) {
        free(o), free(lut), free(sl), free(count);
        pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int nk = 0;
    for (uint32_t r = 0; r < cc->ncomp; r++) {
        uint32_t c = o[r];
        int *have = per_slice ? &count[sl[c]] : &nk;
        if (*have < n)
            (*have)++;
        else
            lut[c] = 0;
    }
    if (per_slice)
        for (int k = 0; k < m->g.dim[2]; k++)
            nk += count[k];
    pm_cc_paint(cc, lut, m->v);
    if (kept)
        *kept = nk;
    free(o), free(lut), free(sl), free(count);
    pm_cc_free(cc);
    return PM_OK;
}

int pm_seg_remove_small(pm_mask *m, int lo, int hi, int conn, uint64_t min_voxels,
                        const pm_progress *p)
{
    pm_cc *cc;
    uint16_t *lut;
    int rc = pm__cc_label_keep(m, lo, hi, conn, &cc, &lut, p);
    if (rc != PM_OK)
        return rc;
    for (uint32_t c = 1; c <= cc->ncomp; c++)
        if (cc->size[c] < min_voxels)
            lut[c] = 0;
    pm_cc_paint(cc, lut, m->v);
    free(lut);
    pm_cc_free(cc);
    return PM_OK;
}

int pm_seg_fill_holes(pm_mask *m, uint8_t value, int conn, unsigned over, const pm_progress *p)
{
    pm_cc *cc;
    int rc = pm__cc_label(m, value, value, 1, conn, &cc, p);
    if (rc != PM_OK)
        return rc;
    uint8_t *b = pm_cc_border(cc);
    if (!b) {
        pm_cc_free(cc);
        return PM_EMEMORY;
    }
    int bits = conn == 4 || conn == 8 ? 1 : 3;
    over |= 1u;
    int nx = cc->dim[0];
    int64_t nrows = (int64_t)cc->dim[1] * cc->dim[2];
    for (int64_t row = 0; row < nrows; row++) {
        uint8_t *line = m->v + (size_t)nx * (size_t)row;
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            if (b[cc->label[r]] & bits)
                continue;
            for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                if (line[i] < 8 && (over >> line[i] & 1u))
                    line[i] = value;
        }
    }
    free(b);
    pm_cc_free(cc);
    return PM_OK;
}

/* Counted in 32 chunks on all cores: a whole volume's mask is tens of MB. */
#define COUNT_CHUNKS 32
typedef struct count_ctx {
    const uint8_t *v;
    size_t n, got[COUNT_CHUNKS];
    uint8_t lo, hi;
} count_ctx;

static void count_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    count_ctx *c = vctx;
    size_t a, b;
    pm_share(c->n, t, COUNT_CHUNKS, &a, &b);
    c->got[t] = pm__count_range(c->v + a, b - a, c->lo, c->hi);
}

size_t pm_seg_count(const pm_mask *m, uint8_t lo, uint8_t hi)
{
    count_ctx c = {.v = m->v, .n = pm_grid_voxels(&m->g), .lo = lo, .hi = hi};
    if (hi < lo)
        return 0;
    if (c.n < ((size_t)4 << 20) || pm_parallel_for(COUNT_CHUNKS, 0, count_chunk, &c, NULL, NULL) != PM_OK)
        return pm__count_range(c.v, c.n, lo, hi);
    size_t total = 0;
    for (int t = 0; t < COUNT_CHUNKS; t++)
        total += c.got[t];
    return total;
}

int pm__bbox(const pm_mask *m, int vlo, int vhi, int lo[3], int hi[3])
{
    const int from[3] = {0, 0, 0};
    return pm__bbox_in(m, vlo, vhi, from, m->g.dim, lo, hi);
}

/* pm__bbox_in over slices [k0, k1) of the box. */
static int bbox_slices(const pm_mask *m, int vlo, int vhi, const int from[3], const int to[3], int k0, int k1,
                       int lo[3], int hi[3])
{
    int nx = m->g.dim[0], ny = m->g.dim[1];
    lo[0] = nx, lo[1] = ny, lo[2] = m->g.dim[2];
    hi[0] = hi[1] = hi[2] = 0;
    const uint8_t span = (uint8_t)(vhi - vlo), base = (uint8_t)vlo;
    /* Rows are tested 8 bytes at a time from both ends for labels among
     * other values (any range of labels 1-126), else among zeros. */
    const int few = vlo >= 1 && vhi <= 126, skip0 = vlo >= 1;
    const uint64_t m0 = (uint64_t)(vlo - 1), n0 = (uint64_t)(vhi + 1);
    const int i1 = to[0];
    for (int k = k0; k < k1; k++)
        for (int j = from[1]; j < to[1]; j++) {
            const uint8_t *row = m->v + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k);
            int a = from[0];
            while (a + 8 <= i1 && (few || skip0)) {
                uint64_t w;
                memcpy(&w, row + a, 8);
                if (few ? pm__word_between(w, m0, n0) : w != 0)
                    break;
                a += 8;
            }
            while (a < i1 && (uint8_t)(row[a] - base) > span)
                a++;
            if (a == i1)
                continue;
            int z = i1 - 1;
            while (z - 8 >= a && (few || skip0)) {
                uint64_t w;
                memcpy(&w, row + z - 7, 8);
                if (few ? pm__word_between(w, m0, n0) : w != 0)
                    break;
                z -= 8;
            }
            while ((uint8_t)(row[z] - base) > span)
                z--;
            if (a < lo[0]) lo[0] = a;
            if (z + 1 > hi[0]) hi[0] = z + 1;
            if (j < lo[1]) lo[1] = j;
            if (j + 1 > hi[1]) hi[1] = j + 1;
            if (k < lo[2]) lo[2] = k;
            if (k + 1 > hi[2]) hi[2] = k + 1;
        }
    return hi[0] > 0;
}

/* Slabs of slices, scanned in parallel and their boxes merged: the box of
 * a volume's lungs is looked for a few times per segmentation. */
#define BBOX_SLABS 32
typedef struct bbox_ctx {
    const pm_mask *m;
    int vlo, vhi;
    const int *from, *to;
    int lo[BBOX_SLABS][3], hi[BBOX_SLABS][3], got[BBOX_SLABS];
} bbox_ctx;

static void bbox_slab(void *vctx, int t, int thread)
{
    (void)thread;
    bbox_ctx *c = vctx;
    size_t a, b;
    pm_share((size_t)(c->to[2] - c->from[2]), t, BBOX_SLABS, &a, &b);
    c->got[t] = bbox_slices(c->m, c->vlo, c->vhi, c->from, c->to, c->from[2] + (int)a, c->from[2] + (int)b, c->lo[t],
                            c->hi[t]);
}

int pm__bbox_in(const pm_mask *m, int vlo, int vhi, const int from[3], const int to[3], int lo[3],
                int hi[3])
{
    size_t n = 1;
    for (int a = 0; a < 3; a++)
        n *= to[a] > from[a] ? (size_t)(to[a] - from[a]) : 0;
    if (n < ((size_t)4 << 20) || to[2] - from[2] < BBOX_SLABS)
        return bbox_slices(m, vlo, vhi, from, to, from[2], to[2], lo, hi);
    bbox_ctx c = {.m = m, .vlo = vlo, .vhi = vhi, .from = from, .to = to};
    if (pm_parallel_for(BBOX_SLABS, 0, bbox_slab, &c, NULL, NULL) != PM_OK)
        return bbox_slices(m, vlo, vhi, from, to, from[2], to[2], lo, hi);
    lo[0] = m->g.dim[0], lo[1] = m->g.dim[1], lo[2] = m->g.dim[2];
    hi[0] = hi[1] = hi[2] = 0;
    for (int t = 0; t < BBOX_SLABS; t++)
        for (int a = 0; a < 3 && c.got[t]; a++) {
            lo[a] = c.lo[t][a] < lo[a] ? c.lo[t][a] : lo[a];
            hi[a] = c.hi[t][a] > hi[a] ? c.hi[t][a] : hi[a];
        }
    return hi[0] > 0;
}

void *pm__big_alloc(size_t bytes)
{
    return pm_alloc_large(bytes, 0);
}
