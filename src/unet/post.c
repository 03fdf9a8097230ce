/* post.c - lungmask's post-processing of the network's labels, on the stack
 * of 256x256 label slices (about 20 M voxels for 300 slices, so an int32 per
 * voxel is affordable here where it would not be on the original grid).
 *
 * 1. 3D components of equal label, 26-connected (skimage.measure.label).
 * 2. The largest component of each label keeps it. Every other component
 *    larger than 2 voxels, smallest first, joins the component with which it
 *    shares the most border voxels (6-neighbours, counted once; a joined
 *    component brings its voxels along); those that touch no other component
 *    are dropped, as are components of 1 or 2 voxels.
 * 3. Per label, the largest 26-connected component is kept and its holes
 *    (background not 6-connected to the volume's border) are filled; later
 *    labels win where filled holes overlap (seg's pm_seg_keep_largest and
 *    pm_seg_fill_holes).
 */
#include "unet_internal.h"
#include "../core/uf.h"
#include "pulmo/seg.h"

#include <stdlib.h>
#include <string.h>

/* Components are int32 here (-1: none); the union-find of joined
 * components works on their unsigned view, which aliases them legally. */
static int32_t uf_find(int32_t *p, int32_t x)
{
    return (int32_t)pm__uf_find((uint32_t *)p, (uint32_t)x);
}

/* Numbers the 26-connected components of equal non-zero label in raster
 * order of their first voxels, as skimage does, through seg's labelling of
 * one label at a time: id[v] = component (0..n-1) or -1. Returns n, or -1
 * when out of memory. */
static int32_t components(uint8_t *key, int nx, int ny, int nz, int32_t *id)
{
    pm_mask m = {.v = key};
    pm_grid_init(&m.g, nx, ny, nz, 1, 1, 1);
    size_t n = (size_t)nx * ny * nz;
    uint8_t present[256] = {0};
    for (size_t v = 0; v < n; v++) {
        present[key[v]] = 1;
        id[v] = -1;
    }
    /* First each voxel gets its component's first voxel: runs come in
     * raster order, so a component's first run holds it. */
    for (int l = 1; l < 256; l++) {
        if (!present[l])
            continue;
        pm_cc *cc;
        if (pm_cc_label(&m, l, l, 26, &cc, NULL) != PM_OK)
            return -1;
        int32_t *first = malloc(((size_t)cc->ncomp + 1) * sizeof *first);
        if (!first) {
            pm_cc_free(cc);
            pm_fail(PM_EMEMORY, "out of memory for post-processing");
            return -1;
        }
        for (uint32_t c = 0; c <= cc->ncomp; c++)
            first[c] = -1;
        int64_t nrows = (int64_t)ny * nz;
        for (int64_t row = 0; row < nrows; row++)
            for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
                int32_t *f = &first[cc->label[r]], v0 = (int32_t)(row * nx);
                if (*f < 0)
                    *f = v0 + cc->x0[r];
                for (int32_t x = cc->x0[r]; x < cc->x1[r]; x++)
                    id[v0 + x] = *f;
            }
        free(first);
        pm_cc_free(cc);
    }
    /* A voxel's first voxel comes before it, so in one ascending pass that
     * one already holds its number. */
    int32_t count = 0;
    for (size_t v = 0; v < n; v++) {
        if (id[v] < 0)
            continue;
        id[v] = id[v] == (int32_t)v ? count++ : id[id[v]];
    }
    return count;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct post {
    int nx, ny, nz;
    int32_t *id, *merged, *size, *first, *next_in, *chain, *tail;
    uint8_t *cls;
} post;

/* Joins component r into the neighbour sharing most border voxels; buf
 * grows to 6 entries per voxel of r. PM_OK or PM_EMEMORY. */
static int join(post *P, int32_t r, int32_t **bufp, size_t *capp)
{
    size_t cap = 6 * (size_t)P->size[r];
    if (cap > *capp) {
        int32_t *nbuf = realloc(*bufp, cap * sizeof *nbuf);
        if (!nbuf)
            return pm_fail(PM_EMEMORY, "out of memory for post-processing");
        *bufp = nbuf;
        *capp = cap;
    }
    int32_t *buf = *bufp;
    static const int d6[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    size_t nb = 0;
    for (int32_t c = r; c >= 0; c = P->chain[c])
        for (int32_t v = P->first[c]; v >= 0; v = P->next_in[v]) {
            int x = v % P->nx, y = (v / P->nx) % P->ny, z = v / (P->nx * P->ny);
            for (int k = 0; k < 6; k++) {
                int xx = x + d6[k][0], yy = y + d6[k][1], zz = z + d6[k][2];
                if (xx < 0 || yy < 0 || zz < 0 || xx >= P->nx || yy >= P->ny || zz >= P->nz)
                    continue;
                int32_t u = xx + P->nx * (yy + P->ny * zz);
                if (P->id[u] < 0 || uf_find(P->merged, P->id[u]) == r || nb >= cap)
                    continue;
                buf[nb++] = u;
            }
        }
    if (!nb)
        return PM_OK;
    qsort(buf, nb, sizeof *buf, cmp_i32);
    size_t k = 0;                     /* unique voxels, then their components */
    for (size_t i = 0; i < nb; i++)
        if (!i || buf[i] != buf[i - 1])
            buf[k++] = uf_find(P->merged, P->id[buf[i]]);
    qsort(buf, k, sizeof *buf, cmp_i32);
    int32_t best = -1, bestn = 0;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && buf[j] == buf[i])
            j++;
        if ((int32_t)(j - i) > bestn) {
            bestn = (int32_t)(j - i);
            best = buf[i];
        }
        i = j;
    }
    P->merged[r] = best;
    P->size[best] += P->size[r];
    P->chain[P->tail[best]] = r;      /* best now owns r's voxels too */
    P->tail[best] = P->tail[r];
    return PM_OK;
}

/* Keeps the largest 26-component of label l and fills its holes (background
 * not 6-connected to the border), writing l into out: seg's own keep-largest
 * and hole filling on a 0/1 mask (scratch, n bytes) of the label. */
static int keep_fill(const uint8_t *lab, uint8_t l, uint8_t *out, uint8_t *mask, int nx, int ny,
                     int nz)
{
    pm_mask m = {.v = mask};
    pm_grid_init(&m.g, nx, ny, nz, 1, 1, 1);
    size_t n = (size_t)nx * ny * nz;
    for (size_t v = 0; v < n; v++)
        mask[v] = lab[v] == l;
    int rc = pm_seg_keep_largest(&m, 1, 1, 26, 1, NULL, NULL);
    if (rc == PM_OK)
        rc = pm_seg_fill_holes(&m, 1, 6, 0, NULL);
    for (size_t v = 0; rc == PM_OK && v < n; v++)
        if (mask[v])
            out[v] = l;
    return rc;
}

int pm_unet_postprocess(uint8_t *lab, int nx, int ny, int nz, int nclasses)
{
    size_t n = (size_t)nx * ny * nz;
    if (n == 0)
        return PM_OK;
    if (n > INT32_MAX / 2)
        return pm_fail(PM_EMEMORY, "volume too large for post-processing");
    post P = {.nx = nx, .ny = ny, .nz = nz};
    P.id = malloc(n * sizeof *P.id);
    P.next_in = malloc(n * sizeof *P.next_in);
    uint8_t *out = calloc(n, 1), *mask = malloc(n);
    int rc = PM_OK;
    if (!P.id || !P.next_in || !out || !mask) {
        rc = pm_fail(PM_EMEMORY, "out of memory for post-processing");
        goto done;
    }
    int32_t nc = components(lab, nx, ny, nz, P.id);
    if (nc < 0) {
        rc = PM_EMEMORY;
        goto done;
    }
    P.merged = malloc(((size_t)nc + 1) * sizeof(int32_t));
    P.size = calloc((size_t)nc + 1, sizeof(int32_t));
    P.first = malloc(((size_t)nc + 1) * sizeof(int32_t));
    P.chain = malloc(((size_t)nc + 1) * sizeof(int32_t));
    P.tail = malloc(((size_t)nc + 1) * sizeof(int32_t));
    P.cls = calloc((size_t)nc + 1, 1);
    int32_t *order = malloc(((size_t)nc + 1) * sizeof *order);
    int32_t keeper[256];
    if (!P.merged || !P.size || !P.first || !P.chain || !P.tail || !P.cls || !order) {
        free(order);
        rc = pm_fail(PM_EMEMORY, "out of memory for post-processing");
        goto done;
    }
    for (int32_t c = 0; c < nc; c++)
        P.merged[c] = c, P.first[c] = -1, P.chain[c] = -1, P.tail[c] = c, order[c] = c;
    for (size_t v = n; v-- > 0;)       /* voxel lists, built backwards so they run forwards */
        if (P.id[v] >= 0) {
            P.next_in[v] = P.first[P.id[v]];
            P.first[P.id[v]] = (int32_t)v;
            P.size[P.id[v]]++;
            P.cls[P.id[v]] = lab[v];
        }
    for (int l = 0; l < 256; l++)
        keeper[l] = -1;
    for (int32_t c = 0; c < nc; c++)
        if (keeper[P.cls[c]] < 0 || P.size[c] > P.size[keeper[P.cls[c]]])
            keeper[P.cls[c]] = c;
    /* smallest first: sort (size, id) packed in 64 bits */
    int64_t *key = malloc(((size_t)nc + 1) * sizeof *key);
    if (!key) {
        free(order);
        rc = pm_fail(PM_EMEMORY, "out of memory for post-processing");
        goto done;
    }
    for (int32_t c = 0; c < nc; c++)
        key[c] = (int64_t)P.size[c] << 32 | c;
    qsort(key, (size_t)nc, sizeof *key, cmp_i64);
    for (int32_t c = 0; c < nc; c++)
        order[c] = (int32_t)(key[c] & 0xffffffff);
    free(key);
    int32_t *buf = NULL;
    size_t cap = 0;
    for (int32_t i = 0; !rc && i < nc; i++) {
        int32_t c = order[i];
        if (keeper[P.cls[c]] == c || P.size[c] <= 2 || uf_find(P.merged, c) != c)
            continue;
        rc = join(&P, c, &buf, &cap);
    }
    free(buf);
    free(order);
    if (rc)
        goto done;
    /* Final label of each voxel: that of the keeper its component joined. */
    for (size_t v = 0; v < n; v++) {
        uint8_t l = 0;
        if (P.id[v] >= 0) {
            int32_t r = uf_find(P.merged, P.id[v]);
            l = keeper[P.cls[r]] == r ? P.cls[r] : 0;
        }
        lab[v] = l;
    }
    for (int l = 1; rc == PM_OK && l < nclasses && l < 256; l++)
        rc = keep_fill(lab, (uint8_t)l, out, mask, nx, ny, nz);
    if (rc == PM_OK)
        memcpy(lab, out, n);
done:
    free(P.id); free(P.next_in); free(P.merged); free(P.size); free(P.first); free(P.chain);
    free(P.tail); free(P.cls); free(out); free(mask);
    return rc;
}
