/* morph.c - ball morphology (dilation, erosion, closing, opening) on crops
 * of a mask, by thresholding capped distance transforms (edt_window.c, in
 * place in the crop's bytes); the 2-D cross closing. */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A crop of the mask: box [lo, hi) and a byte per voxel, its own or
 * borrowed from a pm__morph_scratch (owned 0). */
typedef struct crop {
    int lo[3], hi[3], dim[3];
    size_t n;
    uint8_t *f;
    int owned;
} crop;

/* c's box (the voxels' own) grown by r_mm and 2 voxels, clipped to the
 * volume, and its size. */
static void crop_pad(const pm_mask *m, double r_mm, crop *c)
{
    for (int a = 0; a < 3; a++) {
        int pad = (int)ceil(r_mm / m->g.spacing[a]) + 2;
        c->lo[a] = c->lo[a] - pad < 0 ? 0 : c->lo[a] - pad;
        c->hi[a] = c->hi[a] + pad > m->g.dim[a] ? m->g.dim[a] : c->hi[a] + pad;
        c->dim[a] = c->hi[a] - c->lo[a];
    }
    c->n = (size_t)c->dim[0] * c->dim[1] * c->dim[2];
}

/* The box of the voxels in [vlo, vhi] grown by r_mm and 2 voxels, clipped
 * to the volume; 0 when there are none. Labels within those scratch s was
 * sized for are looked for within their box only. */
static int crop_box(const pm_mask *m, int vlo, int vhi, double r_mm, crop *c, const pm__morph_scratch *s)
{
    memset(c, 0, sizeof *c);
    int got, b = vlo - (s ? s->vlo : 0);
    if (s && s->cap && vlo == vhi && b >= 0 && b < PM__SCRATCH_BOXES && vlo <= s->vhi) {
        got = s->bgot[b];
        memcpy(c->lo, s->blo[b], sizeof c->lo);
        memcpy(c->hi, s->bhi[b], sizeof c->hi);
    } else {
        got = s && s->cap && s->vlo <= vlo && vhi <= s->vhi ? pm__bbox_in(m, vlo, vhi, s->lo, s->hi, c->lo, c->hi)
                                                         : pm__bbox(m, vlo, vhi, c->lo, c->hi);
    }
    if (got)
        crop_pad(m, r_mm, c);
    return got;
}

static int crop_make_in(const pm_mask *m, int vlo, int vhi, double r_mm, crop *c, pm__morph_scratch *s)
{
    if (!crop_box(m, vlo, vhi, r_mm, c, s))
        return 0;
    if (s && s->cap >= c->n) {
        c->f = s->f;
        return 1;
    }
    c->owned = 1;
    c->f = pm__big_alloc(c->n);
    return c->f ? 1 : -1;
}

static int crop_make(const pm_mask *m, int vlo, int vhi, double r_mm, crop *c)
{
    return crop_make_in(m, vlo, vhi, r_mm, c, NULL);
}

static void crop_free(crop *c)
{
    if (c->owned)
        free(c->f);
}

int pm__morph_scratch_init(pm__morph_scratch *s, const pm_mask *m, int vlo, int vhi, double r_mm)
{
    memset(s, 0, sizeof *s);
    if (!pm__bbox(m, vlo, vhi, s->lo, s->hi))
        return PM_OK;
    s->vlo = vlo, s->vhi = vhi;
    /* Crops are made one label at a time: the largest label's crop, not
     * the box of them all (which for two lungs is twice that, and fresh
     * pages cost a fault each). */
    size_t cap = 0;
    for (int l = vlo; l <= vhi; l++) {
        crop c;
        memset(&c, 0, sizeof c);
        int got = pm__bbox_in(m, l, l, s->lo, s->hi, c.lo, c.hi);
        if (l - vlo < PM__SCRATCH_BOXES) {
            s->bgot[l - vlo] = got;
            memcpy(s->blo[l - vlo], c.lo, sizeof c.lo);
            memcpy(s->bhi[l - vlo], c.hi, sizeof c.hi);
        }
        if (got) {
            crop_pad(m, r_mm, &c);
            cap = c.n > cap ? c.n : cap;
        }
    }
    s->f = pm__big_alloc(cap);
    if (!s->f) {
        pm__morph_scratch_free(s);
        return pm_fail(PM_EMEMORY, "out of memory for a distance transform");
    }
    s->cap = cap;
    return PM_OK;
}

void pm__morph_scratch_free(pm__morph_scratch *s)
{
    free(s->f);
    memset(s, 0, sizeof *s);
}

/* Appends x to the list; -1 when out of memory. */
static int idx_push(pm__idx *l, size_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        size_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

/* Appends n entries of v to the list; -1 when out of memory. */
static int idx_append(pm__idx *l, const size_t *v, size_t n)
{
    if (l->n + n > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->n + n)
            cap *= 2;
        size_t *w = realloc(l->v, cap * sizeof *w);
        if (!w)
            return -1;
        l->v = w;
        l->cap = cap;
    }
    if (n)
        memcpy(l->v + l->n, v, n * sizeof *v);
    l->n += n;
    return 0;
}

static inline size_t crop_src(const pm_mask *m, const crop *c, int i, int j, int k)
{
    return (size_t)(c->lo[0] + i) + (size_t)m->g.dim[0] * ((size_t)(c->lo[1] + j) +
           (size_t)m->g.dim[1] * (size_t)(c->lo[2] + k));
}

typedef struct feat_ctx {
    const pm_mask *m;
    crop *c;
    uint8_t base, span;
    int invert;
} feat_ctx;

static void features_slice(void *vctx, int k, int thread)
{
    (void)thread;
    const feat_ctx *x = vctx;
    const crop *c = x->c;
    /* in locals, so that the row loop vectorises */
    const uint8_t base = x->base, span = x->span, inv = (uint8_t)(x->invert != 0);
    const int nx = c->dim[0];
    uint8_t *f = c->f + (size_t)nx * c->dim[1] * (size_t)k;
    for (int j = 0; j < c->dim[1]; j++) {
        const uint8_t *restrict src = x->m->v + crop_src(x->m, c, 0, j, k);
        uint8_t *restrict fr = f + (size_t)nx * j;
        for (int i = 0; i < nx; i++)
            fr[i] = (uint8_t)(((uint8_t)(src[i] - base) <= span) ^ inv);
    }
}

/* c->f = 1 where the mask is in [vlo,vhi] (or, invert, where it is not),
 * slices in parallel. */
static void crop_features(const pm_mask *m, crop *c, int vlo, int vhi, int invert)
{
    feat_ctx x = {m, c, (uint8_t)vlo, (uint8_t)(vhi - vlo), invert};
    pm_parallel_for(c->dim[2], 0, features_slice, &x, NULL, NULL);
}

/* The crop's feature set f becomes 1 where the nearest feature is farther
 * than r_mm, 0 within it (the ball's reach). The cap lies just past r so
 * that distances of exactly r are not cut off by rounding. */
static int ball_threshold(crop *c, const double sp[3], double r_mm, const pm_progress *p)
{
    return pm__edt_threshold(c->f, c->dim, sp, (float)(r_mm * r_mm) * 1.001f, (float)(r_mm * r_mm), p);
}

static int oom(void)
{
    return pm_fail(PM_EMEMORY, "out of memory for a distance transform");
}

int pm_seg_dilate(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, const pm_progress *p)
{
    return pm__dilate_over(m, lo, hi, r_mm, value, 0, p);
}

/* The voxel offsets, centre excluded, within r_mm of the centre on g's
 * spacing, ri[a] voxels at most along axis a; off holds
 * (2ri[0]+1)(2ri[1]+1)(2ri[2]+1) entries. Returns how many. */
static int ball_offsets(const pm_grid *g, const int ri[3], double r_mm, int (*off)[3])
{
    int no = 0;
    for (int dk = -ri[2]; dk <= ri[2]; dk++)
        for (int dj = -ri[1]; dj <= ri[1]; dj++)
            for (int di = -ri[0]; di <= ri[0]; di++) {
                double x = di * g->spacing[0], y = dj * g->spacing[1], z = dk * g->spacing[2];
                if ((di || dj || dk) && x * x + y * y + z * z <= r_mm * r_mm * (1 + 1e-9)) {
                    off[no][0] = di, off[no][1] = dj, off[no][2] = dk;
                    no++;
                }
            }
    return no;
}

/* Dilation by direct offsets for a small radius around few voxels (an
 * airway shell, the rim of a closing): the cost is set voxels times ball
 * voxels instead of a distance transform over the bounding box. Returns 1
 * when done, 0 when the set is too large for this to pay, -1 on memory. */
static int dilate_sparse(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, uint8_t over)
{
    const int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
    int ri[3];
    for (int a = 0; a < 3; a++)
        ri[a] = (int)floor(r_mm / m->g.spacing[a] + 1e-9);
    size_t noff = (size_t)(2 * ri[0] + 1) * (size_t)(2 * ri[1] + 1) * (size_t)(2 * ri[2] + 1);
    if (noff > 343)
        return 0;
    int off[343][3], no = ball_offsets(&m->g, ri, r_mm, off);
    /* Worth it while set voxels x offsets stays below a few voxels of work
     * per voxel of the volume. */
    size_t n = pm_grid_voxels(&m->g), limit = no ? 4 * n / (size_t)no : n, cnt = 0, cap = 4096;
    uint32_t *set = malloc(cap * sizeof *set);
    if (!set || n >= UINT32_MAX) {
        free(set);
        return set ? 0 : -1;
    }
    const uint8_t base = (uint8_t)lo, span = (uint8_t)(hi - lo);
    /* 8 voxels at a time: none of the labels (1-126), or all zero. */
    const int few = lo >= 1 && hi <= 126;
    for (size_t x = 0; x < n; x++) {
        if (lo >= 1 && (x & 7) == 0 && x + 8 <= n) {
            uint64_t w;
            memcpy(&w, m->v + x, 8);
            if (few ? !pm__word_between(w, (uint64_t)(lo - 1), (uint64_t)(hi + 1)) : !w) {
                x += 7;
                continue;
            }
        }
        if ((uint8_t)(m->v[x] - base) > span)
            continue;
        if (cnt == limit) {
            free(set);
            return 0;
        }
        if (cnt == cap) {
            uint32_t *t = realloc(set, cap * 2 * sizeof *set);
            if (!t) {
                free(set);
                return -1;
            }
            set = t;
            cap *= 2;
        }
        set[cnt++] = (uint32_t)x;
    }
    for (size_t q = 0; q < cnt; q++) {
        size_t x = set[q];
        int i = (int)(x % (size_t)nx), j = (int)(x / (size_t)nx % (size_t)ny), k = (int)(x / ((size_t)nx * ny));
        for (int o = 0; o < no; o++) {
            int a = i + off[o][0], b = j + off[o][1], c = k + off[o][2];
            if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz)
                continue;
            uint8_t *y = m->v + (size_t)a + (size_t)nx * ((size_t)b + (size_t)ny * (size_t)c);
            if (*y == over)
                *y = value;
        }
    }
    free(set);
    return 1;
}

int pm__dilate_over(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, uint8_t over,
                    const pm_progress *p)
{
    int sparse = dilate_sparse(m, lo, hi, r_mm, value, over);
    if (sparse != 0)
        return sparse > 0 ? PM_OK : oom();
    crop c;
    int got = crop_make(m, lo, hi, r_mm, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = ball_threshold(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK) {
        size_t t = 0;
        for (int k = 0; k < c.dim[2]; k++)
            for (int j = 0; j < c.dim[1]; j++) {
                uint8_t *dst = m->v + crop_src(m, &c, 0, j, k);
                for (int i = 0; i < c.dim[0]; i++, t++)
                    if (!c.f[t] && dst[i] == over)
                        dst[i] = value;
            }
    }
    crop_free(&c);
    return rc;
}

/* Erosion of the crop's feature set f in place: f stays 1 where the
 * distance to the nearest 0 inside the crop exceeds r (outside the volume
 * counts as set, so a lung cut by the last slice is not eaten there). */
static int erode_crop(crop *c, const double sp[3], double r_mm, const pm_progress *p)
{
    for (size_t t = 0; t < c->n; t++)
        c->f[t] = !c->f[t];
    return ball_threshold(c, sp, r_mm, p);
}

static int dilate_crop(crop *c, const double sp[3], double r_mm, const pm_progress *p)
{
    int rc = ball_threshold(c, sp, r_mm, p);
    for (size_t t = 0; rc == PM_OK && t < c->n; t++)
        c->f[t] = !c->f[t];
    return rc;
}

/* Voxels of m labelled lo..hi that the crop's feature no longer marks
 * become 0: the write-back of erosion and opening. */
static void crop_clear_unmarked(pm_mask *m, const crop *c, int lo, int hi)
{
    const uint8_t base = (uint8_t)lo, span = (uint8_t)(hi - lo);
    size_t t = 0;
    for (int k = 0; k < c->dim[2]; k++)
        for (int j = 0; j < c->dim[1]; j++) {
            uint8_t *dst = m->v + crop_src(m, c, 0, j, k);
            for (int i = 0; i < c->dim[0]; i++, t++)
                if (!c->f[t] && (uint8_t)(dst[i] - base) <= span)
                    dst[i] = 0;
        }
}

int pm_seg_erode(pm_mask *m, int lo, int hi, double r_mm, const pm_progress *p)
{
    crop c;
    int got = crop_make(m, lo, hi, 0, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = erode_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK)
        crop_clear_unmarked(m, &c, lo, hi);
    crop_free(&c);
    return rc;
}

/* 0-voxels of m within rim_mm of the crop voxels marked 2 get value. The
 * rim is a few voxels at most, so direct offsets beat a transform. */
static int rim_crop(pm_mask *m, const crop *c, double rim_mm, uint8_t value, pm__idx *added)
{
    int ri[3];
    for (int a = 0; a < 3; a++)
        ri[a] = (int)floor(rim_mm / m->g.spacing[a] + 1e-9);
    int (*off)[3] = malloc((size_t)(2 * ri[0] + 1) * (2 * ri[1] + 1) * (2 * ri[2] + 1) * sizeof *off);
    if (!off)
        return oom();
    int no = ball_offsets(&m->g, ri, rim_mm, off);
    const int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
    for (int k = 0; k < c->dim[2]; k++)
        for (int j = 0; j < c->dim[1]; j++) {
            /* c->f holds 0 or 2: the additions are few, skip the rest */
            const uint8_t *fr = c->f + (size_t)c->dim[0] * ((size_t)j + (size_t)c->dim[1] * k);
            for (int i = pm_skip_zeros(fr, 0, c->dim[0]); i < c->dim[0]; i = pm_skip_zeros(fr, i + 1, c->dim[0])) {
                int gi = c->lo[0] + i, gj = c->lo[1] + j, gk = c->lo[2] + k;
                for (int o = 0; o < no; o++) {
                    int a = gi + off[o][0], b = gj + off[o][1], d = gk + off[o][2];
                    if (a < 0 || b < 0 || d < 0 || a >= nx || b >= ny || d >= nz)
                        continue;
                    size_t x = (size_t)a + (size_t)nx * ((size_t)b + (size_t)ny * (size_t)d);
                    if (m->v[x] == 0) {
                        m->v[x] = value;
                        if (added && idx_push(added, x) != 0) {
                            free(off);
                            return oom();
                        }
                    }
                }
            }
        }
    free(off);
    return PM_OK;
}

/* The closing's write-back, slice by slice on all cores: c.f (1 where the
 * eroded dilation is) becomes 2 where the closing adds a voxel (input 0),
 * else 0, and each slice lists its additions; joined in slice order, the
 * list is the one a single sweep makes. */
typedef struct add_ctx {
    pm_mask *m;
    crop *c;
    uint8_t value;
    pm__idx *lists;        /* per slice, when additions are listed */
    size_t *nadded;        /* per slice */
    int failed;
} add_ctx;

static void add_slice(void *vctx, int k, int thread)
{
    (void)thread;
    add_ctx *x = vctx;
    crop *c = x->c;
    const int nx = c->dim[0];
    size_t n = 0;
    for (int j = 0; j < c->dim[1]; j++) {
        size_t row = crop_src(x->m, c, 0, j, k);
        uint8_t *restrict dst = x->m->v + row;
        uint8_t *restrict f = c->f + (size_t)nx * ((size_t)j + (size_t)c->dim[1] * k);
        /* the marks in one vector pass; the few additions after it */
        unsigned rn = 0;
        for (int i = 0; i < nx; i++) {
            uint8_t add = (uint8_t)(dst[i] == 0) & (uint8_t)(f[i] != 0);
            f[i] = (uint8_t)(add << 1);
            rn += add;
        }
        if (!rn)
            continue;
        n += rn;
        for (int i = 0; i < nx; i++)
            if (f[i]) {
                dst[i] = x->value;
                if (x->lists && idx_push(&x->lists[k], row + (size_t)i) != 0)
                    x->failed = 1;
            }
    }
    x->nadded[k] = n;
}

int pm__close_in(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, double rim_mm,
                 pm__morph_scratch *s, pm__idx *added, const pm_progress *p)
{
    crop c;
    int got = crop_make_in(m, lo, hi, r_mm + (rim_mm > 0 ? rim_mm : 0), &c, s);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    /* dilate_crop then erode_crop, without the two passes over the crop
     * that turn the dilation into its complement and back: the first
     * threshold leaves the complement (beyond r of the lung), whose own
     * beyond-r is the closing. */
    int rc = ball_threshold(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK)
        rc = ball_threshold(&c, m->g.spacing, r_mm, p);
    add_ctx x = {m, &c, value, NULL, calloc((size_t)c.dim[2], sizeof(size_t)), 0};
    if (rc == PM_OK && (!x.nadded || (added && !(x.lists = calloc((size_t)c.dim[2], sizeof *x.lists)))))
        rc = oom();
    if (rc == PM_OK)
        pm_parallel_for(c.dim[2], 0, add_slice, &x, NULL, NULL);
    size_t nadded = 0;
    for (int k = 0; rc == PM_OK && k < c.dim[2]; k++) {
        nadded += x.nadded[k];
        if (x.lists && idx_append(added, x.lists[k].v, x.lists[k].n) != 0)
            x.failed = 1;
    }
    if (rc == PM_OK && x.failed)
        rc = oom();
    if (rc == PM_OK && rim_mm > 0 && nadded)
        rc = rim_crop(m, &c, rim_mm, value, added);
    for (int k = 0; x.lists && k < c.dim[2]; k++)
        free(x.lists[k].v);
    free(x.lists), free(x.nadded);
    crop_free(&c);
    return rc;
}

int pm_seg_close(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, double rim_mm,
                 const pm_progress *p)
{
    return pm__close_in(m, lo, hi, r_mm, value, rim_mm, NULL, NULL, p);
}

int pm_seg_open(pm_mask *m, int lo, int hi, double r_mm, const pm_progress *p)
{
    crop c;
    int got = crop_make(m, lo, hi, r_mm, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = erode_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK)
        rc = dilate_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK)
        crop_clear_unmarked(m, &c, lo, hi);
    crop_free(&c);
    return rc;
}

typedef struct cross_ctx {
    pm_mask *m;
    int lo, hi;
    uint8_t value;
    int failed;
} cross_ctx;

static void cross_slice(void *vctx, int k, int thread)
{
    (void)thread;
    cross_ctx *c = vctx;
    int nx = c->m->g.dim[0], ny = c->m->g.dim[1];
    size_t n = (size_t)nx * ny;
    uint8_t *s = c->m->v + n * (size_t)k;
    uint8_t *a = pm_alloc_large(n, 0), *b = pm_alloc_large(n, 0);
    if (!a || !b) {
        free(a), free(b);
        c->failed = 1;
        return;
    }
    const uint8_t base = (uint8_t)c->lo, span = (uint8_t)(c->hi - c->lo);
    for (size_t t = 0; t < n; t++)
        a[t] = (uint8_t)(s[t] - base) <= span;
    /* dilation: outside the image is background */
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            size_t t = (size_t)nx * j + i;
            b[t] = a[t] || (i > 0 && a[t - 1]) || (i + 1 < nx && a[t + 1]) ||
                   (j > 0 && a[t - nx]) || (j + 1 < ny && a[t + nx]);
        }
    /* erosion: outside the image is foreground */
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            size_t t = (size_t)nx * j + i;
            int e = b[t] && (i == 0 || b[t - 1]) && (i + 1 == nx || b[t + 1]) &&
                    (j == 0 || b[t - nx]) && (j + 1 == ny || b[t + nx]);
            if (e && !a[t])
                s[t] = c->value;
        }
    free(a), free(b);
}

int pm_seg_close_cross2d(pm_mask *m, int lo, int hi, uint8_t value, const pm_progress *p)
{
    cross_ctx c = {m, lo, hi, value, 0};
    int rc = pm_parallel_for(m->g.dim[2], 0, cross_slice, &c, p, "closing");
    if (rc == PM_OK && c.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory in a closing");
    return rc;
}
