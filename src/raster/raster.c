/* raster.c - z-buffered flat-shaded triangles, in screen bands on all
 * cores: project vertices, shade and cull faces, then fill each band. */
#include "pulmo/raster.h"
#include "pulmo/core.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

pm_raster_opts pm_raster_defaults(void)
{
    pm_raster_opts o;
    memset(&o, 0, sizeof o);
    o.zoom = 1;
    o.fov = 30;
    o.ambient = 0.25;
    o.colour[0] = 235;
    o.colour[1] = 170;
    o.colour[2] = 160;
    o.cull = 1;
    return o;
}

typedef struct pm__cam {
    double eye[3], right[3], up[3], fwd[3], light[3];
    double focal, cx, cy;
} pm__cam;

static double pm__dot(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void pm__cross(const double *a, const double *b, double *o)
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static void pm__normalize(double *v)
{
    double n = sqrt(pm__dot(v, v));
    if (n > 0)
        for (int i = 0; i < 3; i++)
            v[i] /= n;
}

static void pm__camera(const pm_mesh *m, const pm_raster_opts *o, int w, int h, pm__cam *c)
{
    double lo[3] = {DBL_MAX, DBL_MAX, DBL_MAX}, hi[3] = {-DBL_MAX, -DBL_MAX, -DBL_MAX};
    for (size_t i = 0; i < m->nv; i++)
        for (int k = 0; k < 3; k++) {
            double v = m->v[3 * i + k];
            if (v < lo[k]) lo[k] = v;
            if (v > hi[k]) hi[k] = v;
        }
    double ctr[3], radius = 0;
    for (int k = 0; k < 3; k++) {
        ctr[k] = m->nv ? (lo[k] + hi[k]) / 2 : 0;
        double half = m->nv ? (hi[k] - lo[k]) / 2 : 0;
        radius += half * half;
    }
    radius = sqrt(radius);
    if (radius <= 0)
        radius = 1;
    double el = o->elevation;
    if (el > 89.9) el = 89.9;
    if (el < -89.9) el = -89.9;
    double az = o->azimuth * M_PI / 180, e = el * M_PI / 180;
    double fov = (o->fov > 1 && o->fov < 170 ? o->fov : 30) * M_PI / 180;
    /* Eye direction from the centre: anterior (-y) at azimuth 0, turning
     * towards +x (the patient's left) as the azimuth grows. */
    double dir[3] = {sin(az) * cos(e), -cos(az) * cos(e), sin(e)};
    double dist = radius / sin(fov / 2);
    for (int k = 0; k < 3; k++) {
        c->eye[k] = ctr[k] + dir[k] * dist;
        c->fwd[k] = -dir[k];
    }
    static const double world_up[3] = {0, 0, 1};
    pm__cross(c->fwd, world_up, c->right);
    pm__normalize(c->right);
    pm__cross(c->right, c->fwd, c->up);
    /* A light above and to the left of the eye shows the shape better than
     * a pure headlight, which flattens faces seen head-on. */
    for (int k = 0; k < 3; k++)
        c->light[k] = -c->fwd[k] + 0.35 * c->up[k] - 0.25 * c->right[k];
    pm__normalize(c->light);
    double zoom = o->zoom > 0 ? o->zoom : 1;
    c->focal = (w < h ? w : h) / 2.0 / tan(fov / 2) * zoom;
    c->cx = w / 2.0;
    c->cy = h / 2.0;
}

typedef struct pm__job {
    const pm_mesh *m;
    const pm_raster_opts *o;
    pm_fb *fb;
    pm__cam cam;
    float *sv;           /* per vertex: screen x, y, 1/z */
    int16_t *ty;         /* per face: first and last row, ty[0] > ty[1] when skipped */
    uint8_t *shade;      /* per face: light 0..255 */
    float *vlight;       /* per vertex: light 0..255, for smooth shading */
    int nbands, band_h;
    uint32_t *bin_start;  /* nbands + 1 offsets into bin_face */
    uint32_t *bin_face;   /* the faces touching each band, band after band */
    size_t drawn[64], culled[64];
    size_t bad_face[64]; /* per thread: 1 + a face with a vertex index out of range */
} pm__job;

#define PM__CHUNK 16384

static void pm__project(void *ctx, int task, int thread)
{
    (void)thread;
    pm__job *j = ctx;
    const pm__cam *c = &j->cam;
    size_t i0 = (size_t)task * PM__CHUNK, i1 = i0 + PM__CHUNK;
    if (i1 > j->m->nv)
        i1 = j->m->nv;
    /* Single precision is plenty at screen scale and twice as fast. */
    float ex = (float)c->eye[0], ey = (float)c->eye[1], ez = (float)c->eye[2];
    float fx = (float)c->fwd[0], fy = (float)c->fwd[1], fz = (float)c->fwd[2];
    float rx = (float)(c->focal * c->right[0]), ry = (float)(c->focal * c->right[1]),
          rz = (float)(c->focal * c->right[2]);
    float ux = (float)(c->focal * c->up[0]), uy = (float)(c->focal * c->up[1]),
          uz = (float)(c->focal * c->up[2]);
    float cx = (float)c->cx, cy = (float)c->cy;
    const float *v = j->m->v;
    for (size_t i = i0; i < i1; i++) {
        float dx = v[3 * i] - ex, dy = v[3 * i + 1] - ey, dz = v[3 * i + 2] - ez;
        float z = dx * fx + dy * fy + dz * fz;
        float *o = j->sv + 3 * i;
        if (z <= 1e-6f) {
            o[2] = -1; /* behind the eye: its faces are skipped */
            continue;
        }
        float iz = 1.0f / z;
        o[0] = cx + (dx * rx + dy * ry + dz * rz) * iz;
        o[1] = cy - (dx * ux + dy * uy + dz * uz) * iz;
        o[2] = iz;
    }
    if (!j->vlight)
        return;
    const float *n = j->o->normals;
    float lx = (float)c->light[0], ly = (float)c->light[1], lz = (float)c->light[2];
    float amb = (float)(j->o->ambient < 0 ? 0 : j->o->ambient > 1 ? 1 : j->o->ambient);
    for (size_t i = i0; i < i1; i++) {
        float lam = n[3 * i] * lx + n[3 * i + 1] * ly + n[3 * i + 2] * lz;
        if (lam < 0)
            lam = j->o->cull ? 0 : -lam;
        j->vlight[i] = 255 * (amb + (1 - amb) * lam);
    }
}

static inline float pm__min3(float a, float b, float c)
{
    float m = a < b ? a : b;
    return m < c ? m : c;
}

static inline float pm__max3(float a, float b, float c)
{
    float m = a > b ? a : b;
    return m > c ? m : c;
}

/* Pixel centres are at x + 0.5: the first and last pixel whose centre lies
 * in [lo, hi]. Written out because ceilf/floorf are library calls here. */
static inline int pm__first_px(float lo)
{
    float v = lo - 0.5f;
    int i = (int)v;
    return i + (v > (float)i);
}

static inline int pm__last_px(float hi)
{
    float v = hi - 0.5f;
    int i = (int)v;
    return i - (v < (float)i);
}

static void pm__faces(void *ctx, int task, int thread)
{
    pm__job *j = ctx;
    const pm__cam *c = &j->cam;
    const pm_mesh *m = j->m;
    size_t f0 = (size_t)task * PM__CHUNK, f1 = f0 + PM__CHUNK;
    if (f1 > m->nf)
        f1 = m->nf;
    size_t culled = 0, drawn = 0;
    float amb = (float)(j->o->ambient < 0 ? 0 : j->o->ambient > 1 ? 1 : j->o->ambient);
    float eye[3] = {(float)c->eye[0], (float)c->eye[1], (float)c->eye[2]};
    float light[3] = {(float)c->light[0], (float)c->light[1], (float)c->light[2]};
    int w = j->fb->w, h = j->fb->h;
    for (size_t f = f0; f < f1; f++) {
        const uint32_t *t = m->f + 3 * f;
        j->ty[2 * f] = 1;
        j->ty[2 * f + 1] = 0;
        /* Checked here, in parallel, rather than in a serial pass per frame. */
        if (t[0] >= m->nv || t[1] >= m->nv || t[2] >= m->nv) {
            j->bad_face[thread] = f + 1;
            continue;
        }
        const float *a = m->v + 3 * (size_t)t[0], *b = m->v + 3 * (size_t)t[1],
                    *cc = m->v + 3 * (size_t)t[2];
        const float *sa = j->sv + 3 * (size_t)t[0], *sb = j->sv + 3 * (size_t)t[1],
                    *sc = j->sv + 3 * (size_t)t[2];
        if (sa[2] <= 0 || sb[2] <= 0 || sc[2] <= 0)
            continue;
        float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        float e2[3] = {cc[0] - a[0], cc[1] - a[1], cc[2] - a[2]};
        float n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                      e1[0] * e2[1] - e1[1] * e2[0]};
        float facing = n[0] * (eye[0] - a[0]) + n[1] * (eye[1] - a[1]) + n[2] * (eye[2] - a[2]);
        if (facing <= 0 && j->o->cull) {
            culled++;
            continue;
        }
        /* Most faces of a dense mesh cover no pixel centre at all: drop
         * them before shading and binning. */
        float xmin = pm__min3(sa[0], sb[0], sc[0]), xmax = pm__max3(sa[0], sb[0], sc[0]);
        float ymin = pm__min3(sa[1], sb[1], sc[1]), ymax = pm__max3(sa[1], sb[1], sc[1]);
        int x0 = pm__first_px(xmin), x1 = pm__last_px(xmax);
        int y0 = pm__first_px(ymin), y1 = pm__last_px(ymax);
        if (x0 > x1 || y0 > y1 || x1 < 0 || x0 >= w || y1 < 0 || y0 >= h)
            continue;
        drawn++;
        float len = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        float lam = len > 0 ? (n[0] * light[0] + n[1] * light[1] + n[2] * light[2]) / len : 0;
        if (facing < 0)
            lam = -lam;
        if (lam < 0)
            lam = 0;
        j->shade[f] = (uint8_t)(255 * (amb + (1 - amb) * lam) + 0.5f);
        j->ty[2 * f] = (int16_t)(y0 < 0 ? 0 : y0);
        j->ty[2 * f + 1] = (int16_t)(y1 >= h ? h - 1 : y1);
    }
    j->culled[thread] += culled;
    j->drawn[thread] += drawn;
}

static void pm__band(void *ctx, int task, int thread)
{
    (void)thread;
    pm__job *j = ctx;
    const pm_mesh *m = j->m;
    pm_fb *fb = j->fb;
    int by0 = task * j->band_h, by1 = by0 + j->band_h;
    if (by1 > fb->h)
        by1 = fb->h;
    const uint8_t *col = j->o->colour;
    for (uint32_t n = j->bin_start[task]; n < j->bin_start[task + 1]; n++) {
        uint32_t f = j->bin_face[n];
        const uint32_t *t = m->f + 3 * (size_t)f;
        uint32_t ia = t[0], ib = t[1], ic = t[2];
        const float *a = j->sv + 3 * (size_t)ia, *b = j->sv + 3 * (size_t)ib,
                    *c = j->sv + 3 * (size_t)ic;
        int x0 = pm__first_px(pm__min3(a[0], b[0], c[0]));
        int x1 = pm__last_px(pm__max3(a[0], b[0], c[0]));
        int y0 = pm__first_px(pm__min3(a[1], b[1], c[1]));
        int y1 = pm__last_px(pm__max3(a[1], b[1], c[1]));
        if (x0 < 0) x0 = 0;
        if (x1 > fb->w - 1) x1 = fb->w - 1;
        if (y0 < by0) y0 = by0;
        if (y1 > by1 - 1) y1 = by1 - 1;
        if (x0 > x1 || y0 > y1)
            continue; /* covers no pixel centre: most faces of a dense mesh */
        float area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
        if (area == 0)
            continue;
        if (area < 0) { /* make the edge functions positive inside */
            const float *s = b;
            b = c;
            c = s;
            uint32_t si = ib;
            ib = ic;
            ic = si;
            area = -area;
        }
        /* Edge function of (p, q) at pixel centre (x, y), stepped along x. */
        float e0x = -(c[1] - b[1]), e0y = c[0] - b[0];
        float e1x = -(a[1] - c[1]), e1y = a[0] - c[0];
        float e2x = -(b[1] - a[1]), e2y = b[0] - a[0];
        float inv = 1.0f / area;
        float zx = (e0x * a[2] + e1x * b[2] + e2x * c[2]) * inv;
        float px = x0 + 0.5f;
        /* Light per pixel: the face's (flat) or interpolated between the
         * vertices' (smooth), in 1/255 units. */
        float la, lb, lc;
        if (j->vlight) {
            la = j->vlight[ia];
            lb = j->vlight[ib];
            lc = j->vlight[ic];
        } else {
            la = lb = lc = j->shade[f];
        }
        float lxs = (e0x * la + e1x * lb + e2x * lc) * inv;
        float kr = col[0] / 255.0f, kg = col[1] / 255.0f, kb = col[2] / 255.0f;
        for (int y = y0; y <= y1; y++) {
            float py = y + 0.5f;
            float w0 = e0y * (py - b[1]) + e0x * (px - b[0]);
            float w1 = e1y * (py - c[1]) + e1x * (px - c[0]);
            float w2 = e2y * (py - a[1]) + e2x * (px - a[0]);
            float z = (w0 * a[2] + w1 * b[2] + w2 * c[2]) * inv;
            float l = (w0 * la + w1 * lb + w2 * lc) * inv;
            size_t p = (size_t)y * fb->w + x0;
            for (int x = x0; x <= x1; x++, p++) {
                if (w0 >= 0 && w1 >= 0 && w2 >= 0 && z > fb->depth[p]) {
                    float lv = l < 0 ? 0 : l > 255 ? 255 : l;
                    fb->depth[p] = z;
                    fb->rgb[3 * p] = (uint8_t)(kr * lv + 0.5f);
                    fb->rgb[3 * p + 1] = (uint8_t)(kg * lv + 0.5f);
                    fb->rgb[3 * p + 2] = (uint8_t)(kb * lv + 0.5f);
                }
                w0 += e0x;
                w1 += e1x;
                w2 += e2x;
                z += zx;
                l += lxs;
            }
        }
    }
}

/* Lists each visible face under every band its rows touch (a counting
 * sort), so a band reads only its own faces. */
/* The bands face f's rows fall in; 0 when it covers no row. */
static int face_bands(const pm__job *j, size_t f, int *b0, int *b1)
{
    int t0 = j->ty[2 * f], t1 = j->ty[2 * f + 1];
    if (t0 > t1)
        return 0;
    *b0 = t0 / j->band_h;
    *b1 = t1 / j->band_h < j->nbands ? t1 / j->band_h : j->nbands - 1;
    return 1;
}

static int pm__bin(pm__job *j)
{
    const pm_mesh *m = j->m;
    uint32_t *cnt = calloc((size_t)j->nbands + 1, sizeof *cnt);
    if (!cnt)
        return -1;
    size_t total = 0;
    int b0, b1;
    for (size_t f = 0; f < m->nf; f++) {
        if (!face_bands(j, f, &b0, &b1))
            continue;
        for (int b = b0; b <= b1; b++)
            cnt[b + 1]++;
        total += (size_t)(b1 - b0 + 1);
    }
    if (total > UINT32_MAX) {
        free(cnt);
        return -1;
    }
    for (int b = 0; b < j->nbands; b++)
        cnt[b + 1] += cnt[b];
    j->bin_start = cnt;
    j->bin_face = malloc((total ? total : 1) * sizeof *j->bin_face);
    uint32_t *fill = malloc((size_t)j->nbands * sizeof *fill);
    if (!j->bin_face || !fill) {
        free(fill);
        return -1;
    }
    memcpy(fill, cnt, (size_t)j->nbands * sizeof *fill);
    for (size_t f = 0; f < m->nf; f++) {
        if (!face_bands(j, f, &b0, &b1))
            continue;
        for (int b = b0; b <= b1; b++)
            j->bin_face[fill[b]++] = (uint32_t)f;
    }
    free(fill);
    return 0;
}

int pm_raster_mesh(pm_fb *fb, const pm_mesh *m, const pm_raster_opts *o, pm_raster_stats *stats)
{
    if (!fb->depth)
        return pm_fail(PM_EUSAGE, "the mesh rasterizer needs a framebuffer with depth");
    if (fb->h > 32767)
        return pm_fail(PM_EUSAGE, "image too tall for the rasterizer");
    pm_fb_clear(fb, o->background[0], o->background[1], o->background[2]);
    if (stats)
        *stats = (pm_raster_stats){0, 0};
    if (!m->nf)
        return PM_OK;
    pm__job *j = calloc(1, sizeof *j);
    if (!j)
        return pm_fail(PM_EMEMORY, "out of memory rasterizing a mesh");
    j->m = m;
    j->o = o;
    j->fb = fb;
    pm__camera(m, o, fb->w, fb->h, &j->cam);
    j->sv = malloc(m->nv * 3 * sizeof *j->sv);
    j->ty = malloc(m->nf * 2 * sizeof *j->ty);
    j->shade = malloc(m->nf);
    if (o->normals)
        j->vlight = malloc(m->nv * sizeof *j->vlight);
    int rc = PM_OK;
    if (!j->sv || !j->ty || !j->shade || (o->normals && !j->vlight)) {
        rc = pm_fail(PM_EMEMORY, "out of memory rasterizing %zu triangles", m->nf);
        goto done;
    }
    int nt = o->nthreads > 0 ? o->nthreads : pm_threads();
    if (nt > 64)
        nt = 64;
    /* Bands of ~24 rows: enough of them to balance two to eight cores,
     * few enough that scanning every face's row range stays cheap. */
    j->nbands = fb->h / 24 < 1 ? 1 : fb->h / 24;
    if (j->nbands > 64)
        j->nbands = 64;
    j->band_h = (fb->h + j->nbands - 1) / j->nbands;
    j->nbands = (fb->h + j->band_h - 1) / j->band_h;
    int nvc = (int)((m->nv + PM__CHUNK - 1) / PM__CHUNK), nfc = (int)((m->nf + PM__CHUNK - 1) / PM__CHUNK);
    if ((rc = pm_parallel_for(nvc, nt, pm__project, j, NULL, "project")) != PM_OK
        || (rc = pm_parallel_for(nfc, nt, pm__faces, j, NULL, "shade")) != PM_OK)
        goto done;
    for (int t = 0; t < 64; t++)
        if (j->bad_face[t]) {
            size_t f = j->bad_face[t] - 1;
            rc = pm_fail(PM_EUSAGE, "mesh face %zu uses vertex %u, %u, %u of %zu", f, m->f[3 * f],
                         m->f[3 * f + 1], m->f[3 * f + 2], m->nv);
            goto done;
        }
    if (pm__bin(j) != 0) {
        rc = pm_fail(PM_EMEMORY, "out of memory rasterizing %zu triangles", m->nf);
        goto done;
    }
    if ((rc = pm_parallel_for(j->nbands, nt, pm__band, j, NULL, "raster")) != PM_OK)
        goto done;
    if (stats)
        for (int t = 0; t < 64; t++) {
            stats->drawn += j->drawn[t];
            stats->culled += j->culled[t];
        }
done:
    free(j->bin_start);
    free(j->bin_face);
    free(j->sv);
    free(j->ty);
    free(j->shade);
    free(j->vlight);
    free(j);
    return rc;
}

int pm_raster_normals(const pm_mesh *m, float **out)
{
    for (size_t i = 0; i < 3 * m->nf; i++)
        if (m->f[i] >= m->nv)
            return pm_fail(PM_EUSAGE, "mesh face %zu uses vertex %u of %zu", i / 3, m->f[i], m->nv);
    float *n = calloc(m->nv ? 3 * m->nv : 1, sizeof *n);
    if (!n)
        return pm_fail(PM_EMEMORY, "out of memory for %zu vertex normals", m->nv);
    /* The unnormalised cross product weights each face by its area, so a
     * sliver does not tilt its vertices' normals. */
    for (size_t f = 0; f < m->nf; f++) {
        const uint32_t *t = m->f + 3 * f;
        const float *a = m->v + 3 * (size_t)t[0], *b = m->v + 3 * (size_t)t[1],
                    *c = m->v + 3 * (size_t)t[2];
        float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        float e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        float fn[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                       e1[0] * e2[1] - e1[1] * e2[0]};
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                n[3 * (size_t)t[k] + d] += fn[d];
    }
    for (size_t i = 0; i < m->nv; i++) {
        float *v = n + 3 * i;
        float len = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (len > 0)
            for (int d = 0; d < 3; d++)
                v[d] /= len;
    }
    *out = n;
    return PM_OK;
}
