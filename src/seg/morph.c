/* morph.c - Euclidean distance transforms and ball morphology.
 *
 * The distance transform is separable (Saito-Toriwaki / Felzenszwalb-
 * Huttenlocher): a linear scan along x, then along y and z the lower
 * envelope of the parabolas s^2 (p - q)^2 + f(q), which is exact for any
 * voxel spacing. Every pass is linear in the number of voxels, so a ball of
 * 2 mm and one of 20 mm cost the same. Columns along y and z are gathered
 * 16 at a time so that each read brings a useful cache line.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EDT_INF 1e30f
#define BLK 16

/* 1D lower envelope on n samples f (squared mm) with spacing s; the result
 * goes to d, which may alias f (tmp holds n values meanwhile). v has n
 * entries, z n+1. */
static void edt_1d(float *f, int n, double s, int *v, double *z, float *tmp, float *d)
{
    const double s2 = s * s;
    int k = -1;
    for (int q = 0; q < n; q++) {
        if (f[q] >= EDT_INF)
            continue;
        double fq = f[q] / s2 + (double)q * q;
        if (k < 0) {
            k = 0;
            v[0] = q;
            z[0] = -HUGE_VAL;
            z[1] = HUGE_VAL;
            continue;
        }
        double sx;
        for (;;) { /* z[0] is -inf, so this stops at k = 0 at the latest */
            int r = v[k];
            sx = (fq - (f[r] / s2 + (double)r * r)) / (2.0 * (q - r));
            if (sx > z[k])
                break;
            k--;
        }
        k++;
        v[k] = q;
        z[k] = sx;
        z[k + 1] = HUGE_VAL;
    }
    if (k < 0) {
        for (int p = 0; p < n; p++)
            d[p] = EDT_INF;
        return;
    }
    for (int p = 0, j = 0; p < n; p++) {
        while (z[j + 1] < p)
            j++;
        tmp[p] = (float)((double)(p - v[j]) * (p - v[j]) * s2 + f[v[j]]);
    }
    memcpy(d, tmp, (size_t)n * sizeof *d);
}

typedef struct edt_ctx {
    const uint8_t *feat;
    int nx, ny, nz;
    double sp[3];
    float *out;
    int failed;
} edt_ctx;

/* x then y within one slice. */
static void edt_xy(void *vctx, int k, int thread)
{
    (void)thread;
    edt_ctx *c = vctx;
    int nx = c->nx, ny = c->ny;
    size_t plane = (size_t)nx * ny;
    const uint8_t *f = c->feat + plane * (size_t)k;
    float *o = c->out + plane * (size_t)k;
    double sx = c->sp[0];
    for (int j = 0; j < ny; j++) {
        const uint8_t *fr = f + (size_t)nx * j;
        float *orow = o + (size_t)nx * j;
        int last = -1;
        for (int i = 0; i < nx; i++) {
            if (fr[i])
                last = i;
            orow[i] = last < 0 ? EDT_INF : (float)((i - last) * sx * (i - last) * sx);
        }
        last = -1;
        for (int i = nx - 1; i >= 0; i--) {
            if (fr[i])
                last = i;
            if (last >= 0) {
                float d = (float)((last - i) * sx * (last - i) * sx);
                if (d < orow[i])
                    orow[i] = d;
            }
        }
    }
    int *v = malloc((size_t)ny * sizeof *v);
    double *z = malloc((size_t)(ny + 2) * sizeof *z);
    float *buf = malloc((size_t)ny * BLK * sizeof *buf);
    float *line = malloc((size_t)ny * 2 * sizeof *line);
    if (!v || !z || !buf || !line) {
        c->failed = 1;
        free(v), free(z), free(buf), free(line);
        return;
    }
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        for (int j = 0; j < ny; j++)
            memcpy(buf + (size_t)j * BLK, o + (size_t)nx * j + i0, (size_t)w * sizeof *buf);
        for (int b = 0; b < w; b++) {
            for (int j = 0; j < ny; j++)
                line[j] = buf[(size_t)j * BLK + b];
            edt_1d(line, ny, c->sp[1], v, z, line + ny, line);
            for (int j = 0; j < ny; j++)
                buf[(size_t)j * BLK + b] = line[j];
        }
        for (int j = 0; j < ny; j++)
            memcpy(o + (size_t)nx * j + i0, buf + (size_t)j * BLK, (size_t)w * sizeof *buf);
    }
    free(v), free(z), free(buf), free(line);
}

/* z for one row j of every slice. */
static void edt_z(void *vctx, int j, int thread)
{
    (void)thread;
    edt_ctx *c = vctx;
    int nx = c->nx, ny = c->ny, nz = c->nz;
    size_t plane = (size_t)nx * ny;
    int *v = malloc((size_t)nz * sizeof *v);
    double *z = malloc((size_t)(nz + 2) * sizeof *z);
    float *buf = malloc((size_t)nz * BLK * sizeof *buf);
    float *line = malloc((size_t)nz * 2 * sizeof *line);
    if (!v || !z || !buf || !line) {
        c->failed = 1;
        free(v), free(z), free(buf), free(line);
        return;
    }
    float *o = c->out + (size_t)nx * j;
    for (int i0 = 0; i0 < nx; i0 += BLK) {
        int w = nx - i0 < BLK ? nx - i0 : BLK;
        for (int k = 0; k < nz; k++)
            memcpy(buf + (size_t)k * BLK, o + plane * k + i0, (size_t)w * sizeof *buf);
        for (int b = 0; b < w; b++) {
            int any = 0;
            for (int k = 0; k < nz; k++) {
                line[k] = buf[(size_t)k * BLK + b];
                any |= line[k] < EDT_INF;
            }
            if (!any)
                continue;
            edt_1d(line, nz, c->sp[2], v, z, line + nz, line);
            for (int k = 0; k < nz; k++)
                buf[(size_t)k * BLK + b] = line[k];
        }
        for (int k = 0; k < nz; k++)
            memcpy(o + plane * k + i0, buf + (size_t)k * BLK, (size_t)w * sizeof *buf);
    }
    free(v), free(z), free(buf), free(line);
}

int pm_seg_edt(const uint8_t *feat, const int dim[3], const double spacing[3], float *out,
               const pm_progress *p)
{
    edt_ctx c = {feat, dim[0], dim[1], dim[2], {spacing[0], spacing[1], spacing[2]}, out, 0};
    int rc = pm_parallel_for(c.nz, 0, edt_xy, &c, p, "distance transform");
    if (rc == PM_OK && !c.failed)
        rc = pm_parallel_for(c.ny, 0, edt_z, &c, p, "distance transform");
    if (rc == PM_OK && c.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory in the distance transform");
    return rc;
}

/* A crop of the mask: box [lo, hi) and a uint8/float pair of buffers. */
typedef struct crop {
    int lo[3], hi[3], dim[3];
    size_t n;
    uint8_t *f;
    float *d;
} crop;

static int crop_make(const pm_mask *m, int vlo, int vhi, double r_mm, crop *c)
{
    memset(c, 0, sizeof *c);
    if (!pm__bbox(m, vlo, vhi, c->lo, c->hi))
        return 0;
    for (int a = 0; a < 3; a++) {
        int pad = (int)ceil(r_mm / m->g.spacing[a]) + 2;
        c->lo[a] = c->lo[a] - pad < 0 ? 0 : c->lo[a] - pad;
        c->hi[a] = c->hi[a] + pad > m->g.dim[a] ? m->g.dim[a] : c->hi[a] + pad;
        c->dim[a] = c->hi[a] - c->lo[a];
    }
    c->n = (size_t)c->dim[0] * c->dim[1] * c->dim[2];
    c->f = malloc(c->n);
    c->d = malloc(c->n * sizeof *c->d);
    if (!c->f || !c->d) {
        free(c->f), free(c->d);
        return -1;
    }
    return 1;
}

static inline size_t crop_src(const pm_mask *m, const crop *c, int i, int j, int k)
{
    return (size_t)(c->lo[0] + i) + (size_t)m->g.dim[0] * ((size_t)(c->lo[1] + j) +
           (size_t)m->g.dim[1] * (size_t)(c->lo[2] + k));
}

/* c->f = 1 where the mask is in [vlo,vhi] (or, invert, where it is not). */
static void crop_features(const pm_mask *m, crop *c, int vlo, int vhi, int invert)
{
    const uint8_t base = (uint8_t)vlo, span = (uint8_t)(vhi - vlo);
    size_t t = 0;
    for (int k = 0; k < c->dim[2]; k++)
        for (int j = 0; j < c->dim[1]; j++) {
            const uint8_t *src = m->v + crop_src(m, c, 0, j, k);
            for (int i = 0; i < c->dim[0]; i++)
                c->f[t++] = (((uint8_t)(src[i] - base) <= span) != invert);
        }
}

static int oom(void)
{
    return pm_fail(PM_EMEMORY, "out of memory for a distance transform");
}

int pm_seg_dilate(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, const pm_progress *p)
{
    return pm__dilate_over(m, lo, hi, r_mm, value, 0, p);
}

int pm__dilate_over(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, uint8_t over,
                    const pm_progress *p)
{
    crop c;
    int got = crop_make(m, lo, hi, r_mm, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = pm_seg_edt(c.f, c.dim, m->g.spacing, c.d, p);
    if (rc == PM_OK) {
        float r2 = (float)(r_mm * r_mm);
        size_t t = 0;
        for (int k = 0; k < c.dim[2]; k++)
            for (int j = 0; j < c.dim[1]; j++) {
                uint8_t *dst = m->v + crop_src(m, &c, 0, j, k);
                for (int i = 0; i < c.dim[0]; i++, t++)
                    if (c.d[t] <= r2 && dst[i] == over)
                        dst[i] = value;
            }
    }
    free(c.f), free(c.d);
    return rc;
}

/* Erosion of the crop's feature set f in place: f stays 1 where the
 * distance to the nearest 0 inside the crop exceeds r (outside the volume
 * counts as set, so a lung cut by the last slice is not eaten there). */
static int erode_crop(crop *c, const double sp[3], double r_mm, const pm_progress *p)
{
    for (size_t t = 0; t < c->n; t++)
        c->f[t] = !c->f[t];
    int rc = pm_seg_edt(c->f, c->dim, sp, c->d, p);
    if (rc != PM_OK)
        return rc;
    float r2 = (float)(r_mm * r_mm);
    for (size_t t = 0; t < c->n; t++)
        c->f[t] = c->d[t] > r2;
    return PM_OK;
}

static int dilate_crop(crop *c, const double sp[3], double r_mm, const pm_progress *p)
{
    int rc = pm_seg_edt(c->f, c->dim, sp, c->d, p);
    if (rc != PM_OK)
        return rc;
    float r2 = (float)(r_mm * r_mm);
    for (size_t t = 0; t < c->n; t++)
        c->f[t] = c->d[t] <= r2;
    return PM_OK;
}

int pm_seg_erode(pm_mask *m, int lo, int hi, double r_mm, const pm_progress *p)
{
    crop c;
    int got = crop_make(m, lo, hi, 0, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = erode_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK) {
        const uint8_t base = (uint8_t)lo, span = (uint8_t)(hi - lo);
        size_t t = 0;
        for (int k = 0; k < c.dim[2]; k++)
            for (int j = 0; j < c.dim[1]; j++) {
                uint8_t *dst = m->v + crop_src(m, &c, 0, j, k);
                for (int i = 0; i < c.dim[0]; i++, t++)
                    if (!c.f[t] && (uint8_t)(dst[i] - base) <= span)
                        dst[i] = 0;
            }
    }
    free(c.f), free(c.d);
    return rc;
}

int pm_seg_close(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, int forbid,
                 const pm_progress *p)
{
    crop c;
    int got = crop_make(m, lo, hi, r_mm, &c);
    if (got <= 0)
        return got < 0 ? oom() : PM_OK;
    crop_features(m, &c, lo, hi, 0);
    int rc = dilate_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK)
        rc = erode_crop(&c, m->g.spacing, r_mm, p);
    if (rc == PM_OK) {
        size_t t = 0;
        for (int k = 0; k < c.dim[2]; k++)
            for (int j = 0; j < c.dim[1]; j++) {
                uint8_t *dst = m->v + crop_src(m, &c, 0, j, k);
                for (int i = 0; i < c.dim[0]; i++, t++)
                    if (c.f[t] && dst[i] == 0 && (int)dst[i] != forbid)
                        dst[i] = value;
            }
    }
    free(c.f), free(c.d);
    return rc;
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
    if (rc == PM_OK) {
        const uint8_t base = (uint8_t)lo, span = (uint8_t)(hi - lo);
        size_t t = 0;
        for (int k = 0; k < c.dim[2]; k++)
            for (int j = 0; j < c.dim[1]; j++) {
                uint8_t *dst = m->v + crop_src(m, &c, 0, j, k);
                for (int i = 0; i < c.dim[0]; i++, t++)
                    if (!c.f[t] && (uint8_t)(dst[i] - base) <= span)
                        dst[i] = 0;
            }
    }
    free(c.f), free(c.d);
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
    uint8_t *a = malloc(n), *b = malloc(n);
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
