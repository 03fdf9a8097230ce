/* kept.c - the output of each recipe step, cached for interactive tuning,
 * run-length encoded.
 *
 * A label mask of a chest CT is a few runs per row: the 35 MB mask of
 * LIDC keeps in about a megabyte. Kept as copies, the nine steps' masks
 * took 315 MB of fresh pages, which the kernel clears one by one: 0.1 to
 * 0.6 s of the TUI's first run on a virtual machine, against a read of
 * each mask now. Slices are encoded and decoded on all cores; a mask of
 * noise, whose runs would outweigh it, is kept as it is.
 */
#include "recipe_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pm_kept {
    pm_grid g;
    size_t plane;
    size_t *start;    /* dim[2] + 1: slice k's runs are start[k]..start[k + 1] */
    uint8_t *val;
    uint32_t *len;
    uint8_t *raw;     /* instead of the runs, when they would be larger */
};

typedef struct kept_ctx {
    const uint8_t *src;
    pm_kept *k;
    int fill;         /* 0: count each slice's runs into start[k + 1] */
} kept_ctx;

static void encode_slice(void *vctx, int k, int thread)
{
    (void)thread;
    kept_ctx *c = vctx;
    pm_kept *kp = c->k;
    const uint8_t *s = c->src + kp->plane * (size_t)k;
    size_t n = 0, at = c->fill ? kp->start[k] : 0;
    for (size_t x = 0; x < kp->plane;) {
        size_t e = x + 1;
        while (e < kp->plane && s[e] == s[x] && e - x < UINT32_MAX)
            e++;
        if (c->fill) {
            kp->val[at + n] = s[x];
            kp->len[at + n] = (uint32_t)(e - x);
        }
        n++;
        x = e;
    }
    if (!c->fill)
        kp->start[k + 1] = n;
}

pm_kept *pm__kept_make(const pm_mask *m)
{
    pm_kept *k = calloc(1, sizeof *k);
    int nz = m->g.dim[2];
    if (k)
        k->start = calloc((size_t)nz + 1, sizeof *k->start);
    if (!k || !k->start) {
        free(k);
        pm_fail(PM_EMEMORY, "out of memory keeping a step's mask");
        return NULL;
    }
    k->g = m->g;
    k->plane = (size_t)m->g.dim[0] * (size_t)m->g.dim[1];
    kept_ctx c = {m->v, k, 0};
    pm_parallel_for(nz, 0, encode_slice, &c, NULL, NULL);
    for (int z = 0; z < nz; z++)
        k->start[z + 1] += k->start[z];
    size_t runs = k->start[nz], n = k->plane * (size_t)nz;
    if (runs * (sizeof *k->val + sizeof *k->len) >= n) {
        if ((k->raw = pm_alloc_large(n, 0)))
            memcpy(k->raw, m->v, n);
    } else {
        k->val = malloc(runs ? runs : 1);
        k->len = malloc((runs ? runs : 1) * sizeof *k->len);
        c.fill = 1;
        if (k->val && k->len)
            pm_parallel_for(nz, 0, encode_slice, &c, NULL, NULL);
    }
    if (!k->raw && (!k->val || !k->len)) {
        pm__kept_free(k);
        pm_fail(PM_EMEMORY, "out of memory keeping a step's mask");
        return NULL;
    }
    return k;
}

void pm__kept_free(pm_kept *k)
{
    if (!k)
        return;
    free(k->start), free(k->val), free(k->len), free(k->raw);
    free(k);
}

pm_kept *pm__kept_clone(const pm_kept *k)
{
    pm_kept *c = calloc(1, sizeof *c);
    int nz = k->g.dim[2];
    size_t runs = k->start[nz], n = k->plane * (size_t)nz;
    if (c) {
        *c = *k;
        c->start = malloc(((size_t)nz + 1) * sizeof *c->start);
        c->val = k->val ? malloc(runs ? runs : 1) : NULL;
        c->len = k->len ? malloc((runs ? runs : 1) * sizeof *c->len) : NULL;
        c->raw = k->raw ? pm_alloc_large(n, 0) : NULL;
    }
    if (!c || !c->start || (k->val && !c->val) || (k->len && !c->len) || (k->raw && !c->raw)) {
        pm__kept_free(c);
        pm_fail(PM_EMEMORY, "out of memory copying a step's mask");
        return NULL;
    }
    memcpy(c->start, k->start, ((size_t)nz + 1) * sizeof *c->start);
    if (k->raw)
        memcpy(c->raw, k->raw, n);
    else
        memcpy(c->val, k->val, runs), memcpy(c->len, k->len, runs * sizeof *c->len);
    return c;
}

typedef struct decode_ctx {
    const pm_kept *k;
    int k0;
    uint8_t *out;
} decode_ctx;

static void decode_slice(void *vctx, int t, int thread)
{
    (void)thread;
    const decode_ctx *c = vctx;
    const pm_kept *k = c->k;
    int z = c->k0 + t;
    uint8_t *o = c->out + k->plane * (size_t)t;
    if (k->raw) {
        memcpy(o, k->raw + k->plane * (size_t)z, k->plane);
        return;
    }
    for (size_t r = k->start[z]; r < k->start[z + 1]; r++) {
        memset(o, k->val[r], k->len[r]);
        o += k->len[r];
    }
}

void pm__kept_slices(const pm_kept *k, int k0, int k1, uint8_t *out)
{
    decode_ctx c = {k, k0, out};
    pm_parallel_for(k1 - k0, 0, decode_slice, &c, NULL, NULL);
}

pm_mask *pm__kept_mask(const pm_kept *k)
{
    pm_mask *m = pm_mask_new(&k->g);
    if (m)
        pm__kept_slices(k, 0, k->g.dim[2], m->v);
    return m;
}
