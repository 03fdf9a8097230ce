/* volume.c - grids, volumes and masks: allocation and coordinates. */
#include "pulmo/volume.h"
#include "pulmo/core.h"
#include "pulmo/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pm_grid_voxels(const pm_grid *g)
{
    if (g->dim[0] <= 0 || g->dim[1] <= 0 || g->dim[2] <= 0)
        return 0;
    return (size_t)g->dim[0] * (size_t)g->dim[1] * (size_t)g->dim[2];
}

double pm_grid_voxel_mm3(const pm_grid *g)
{
    return g->spacing[0] * g->spacing[1] * g->spacing[2];
}

void pm_grid_to_lps(const pm_grid *g, double i, double j, double k, double out[3])
{
    double a = i * g->spacing[0], b = j * g->spacing[1], c = k * g->spacing[2];
    for (int r = 0; r < 3; r++)
        out[r] = g->origin[r] + a * g->dir[r] + b * g->dir[3 + r] + c * g->dir[6 + r];
}

int pm_grid_from_lps(const pm_grid *g, const double p[3], double out[3])
{
    /* Solve M x = p - origin with M's columns the scaled axes (Cramer). */
    double m[3][3], d[3];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++)
            m[r][c] = g->dir[3 * c + r] * g->spacing[c];
        d[r] = p[r] - g->origin[r];
    }
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
               - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
               + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det > -1e-12 && det < 1e-12)
        return -1;
    for (int c = 0; c < 3; c++) {
        double t[3][3];
        memcpy(t, m, sizeof t);
        for (int r = 0; r < 3; r++)
            t[r][c] = d[r];
        out[c] = (t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1])
                - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0])
                + t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0])) / det;
    }
    return 0;
}

void pm_grid_init(pm_grid *g, int nx, int ny, int nz, double sx, double sy, double sz)
{
    memset(g, 0, sizeof *g);
    g->dim[0] = nx; g->dim[1] = ny; g->dim[2] = nz;
    g->spacing[0] = sx; g->spacing[1] = sy; g->spacing[2] = sz;
    g->dir[0] = g->dir[4] = g->dir[8] = 1;
}

static pm_volume *pm__volume_alloc(const pm_grid *g, int zero)
{
    size_t n = pm_grid_voxels(g);
    if (!n) {
        pm_fail(PM_EUSAGE, "empty volume grid");
        return NULL;
    }
    pm_volume *v = calloc(1, sizeof *v);
    if (v)
        v->hu = pm_alloc_large(n * sizeof *v->hu, zero);
    if (!v || !v->hu) {
        free(v);
        pm_fail(PM_EMEMORY, "out of memory for a %dx%dx%d volume",
                g->dim[0], g->dim[1], g->dim[2]);
        return NULL;
    }
    v->g = *g;
    return v;
}

pm_volume *pm_volume_new(const pm_grid *g)
{
    return pm__volume_alloc(g, 1);
}

pm_volume *pm_volume_new_unset(const pm_grid *g)
{
    return pm__volume_alloc(g, 0);
}

void pm_volume_free(pm_volume *v)
{
    if (!v)
        return;
    free(v->hu);
    free(v->warnings);
    free(v);
}

static pm_mask *pm__mask_alloc(const pm_grid *g, int zero)
{
    size_t n = pm_grid_voxels(g);
    if (!n) {
        pm_fail(PM_EUSAGE, "empty mask grid");
        return NULL;
    }
    pm_mask *m = calloc(1, sizeof *m);
    if (m)
        m->v = pm_alloc_large(n, zero);
    if (!m || !m->v) {
        free(m);
        pm_fail(PM_EMEMORY, "out of memory for a %dx%dx%d mask",
                g->dim[0], g->dim[1], g->dim[2]);
        return NULL;
    }
    m->g = *g;
    return m;
}

pm_mask *pm_mask_new(const pm_grid *g)
{
    return pm__mask_alloc(g, 1);
}

typedef struct pm__copy {
    uint8_t *dst;
    const uint8_t *src;
    size_t n;
    int chunks;
} pm__copy;

static void pm__copy_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    const pm__copy *c = vctx;
    size_t a, b;
    pm_share(c->n, t, c->chunks, &a, &b);
    memcpy(c->dst + a, c->src + a, b - a);
}

pm_mask *pm_mask_clone(const pm_mask *src)
{
    /* Not zeroed first, since the copy writes every voxel, and copied on
     * every core: the pages of a fresh mask cost a fault each, which is
     * most of the time of a copy (the TUI keeps one clone per recipe step). */
    pm_mask *m = pm__mask_alloc(&src->g, 0);
    if (!m)
        return NULL;
    size_t n = pm_grid_voxels(&src->g);
    pm__copy c = {m->v, src->v, n, n >= ((size_t)4 << 20) ? 16 : 1};
    /* No progress given, so no cancel: the copy always completes. */
    pm_parallel_for(c.chunks, 0, pm__copy_chunk, &c, NULL, NULL);
    return m;
}

void pm_mask_free(pm_mask *m)
{
    if (!m)
        return;
    free(m->v);
    free(m);
}

int pm_volume_warn(pm_volume *v, const char *kind, const char *fmt, ...)
{
    pm_warning *w = realloc(v->warnings, (size_t)(v->nwarnings + 1) * sizeof *w);
    if (!w)
        return -1;
    v->warnings = w;
    w += v->nwarnings++;
    snprintf(w->kind, sizeof w->kind, "%s", kind);
    /* Warnings name files too: cleaned like pm_fail's reasons. */
    char raw[sizeof w->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    pm_text_clean(w->message, sizeof w->message, raw);
    return 0;
}

/* The voxels are cut into chunks scanned in parallel. */
#define PM__STATS_CHUNKS 64

typedef struct pm__stats_ctx {
    const int16_t *hu;
    size_t n;
    int lo[PM__STATS_CHUNKS], hi[PM__STATS_CHUNKS];
    int64_t sum[PM__STATS_CHUNKS];
} pm__stats_ctx;

/* Blocks of a fixed 64 voxels let the compiler vectorise the loop (at -O2
 * it only does so for fixed trip counts); 64 x 32768 fits a block's int32
 * sum. */
void pm_hu_span(const int16_t *x, size_t n, int *min, int *max, int64_t *sum)
{
    int16_t lo = 32767, hi = -32768;
    int64_t total = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        int32_t s = 0;
        for (int j = 0; j < 64; j++) {
            int16_t h = x[i + (size_t)j];
            lo = h < lo ? h : lo;
            hi = h > hi ? h : hi;
            s += h;
        }
        total += s;
    }
    for (; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        total += x[i];
    }
    *min = lo;
    *max = hi;
    *sum = total;
}

static void pm__stats_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    pm__stats_ctx *c = vctx;
    size_t a, b;
    pm_share(c->n, t, PM__STATS_CHUNKS, &a, &b);
    pm_hu_span(c->hu + a, b - a, &c->lo[t], &c->hi[t], &c->sum[t]);
}

void pm_volume_stats(const pm_volume *v, int *min, int *max, double *mean)
{
    pm__stats_ctx c;
    c.hu = v->hu;
    c.n = pm_grid_voxels(&v->g);
    /* No progress given, so no cancel: the pass always completes. */
    pm_parallel_for(PM__STATS_CHUNKS, 0, pm__stats_chunk, &c, NULL, NULL);
    int lo = 32767, hi = -32768;
    int64_t sum = 0;
    for (int t = 0; t < PM__STATS_CHUNKS; t++) {
        lo = c.lo[t] < lo ? c.lo[t] : lo;
        hi = c.hi[t] > hi ? c.hi[t] : hi;
        sum += c.sum[t];
    }
    /* The sum is exact in integers, so the mean does not depend on the
     * order the chunks are added in. */
    if (min) *min = c.n ? lo : 0;
    if (max) *max = c.n ? hi : 0;
    if (mean) *mean = c.n ? (double)sum / (double)c.n : 0;
}
