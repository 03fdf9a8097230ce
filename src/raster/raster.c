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
    int nchunks_v, nchunks_f, nbands, band_h;
    size_t drawn[64], culled[64];
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
    for (size_t i = i0; i < i1; i++) {
        double d[3];
        for (int k = 0; k < 3; k++)
            d[k] = j->m->v[3 * i + k] - c->eye[k];
        double z = pm__dot(d, c->fwd);
        float *o = j->sv + 3 * i;
        if (z <= 1e-6) {
            o[2] = -1; /* behind the eye: its faces are skipped */
            continue;
        }
        o[0] = (float)(c->cx + c->focal * pm__dot(d, c->right) / z);
        o[1] = (float)(c->cy - c->focal * pm__dot(d, c->up) / z);
        o[2] = (float)(1.0 / z);
    }
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
    double amb = j->o->ambient < 0 ? 0 : j->o->ambient > 1 ? 1 : j->o->ambient;
    for (size_t f = f0; f < f1; f++) {
        const uint32_t *t = m->f + 3 * f;
        const float *a = m->v + 3 * (size_t)t[0], *b = m->v + 3 * (size_t)t[1],
                    *cc = m->v + 3 * (size_t)t[2];
        const float *sa = j->sv + 3 * (size_t)t[0], *sb = j->sv + 3 * (size_t)t[1],
                    *sc = j->sv + 3 * (size_t)t[2];
        j->ty[2 * f] = 1;
        j->ty[2 * f + 1] = 0;
        if (sa[2] <= 0 || sb[2] <= 0 || sc[2] <= 0)
            continue;
        double e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        double e2[3] = {cc[0] - a[0], cc[1] - a[1], cc[2] - a[2]};
        double n[3], toeye[3] = {c->eye[0] - a[0], c->eye[1] - a[1], c->eye[2] - a[2]};
        pm__cross(e1, e2, n);
        double facing = pm__dot(n, toeye);
        if (facing <= 0 && j->o->cull) {
            culled++;
            continue;
        }
        pm__normalize(n);
        if (facing < 0)
            for (int k = 0; k < 3; k++)
                n[k] = -n[k];
        double lam = pm__dot(n, c->light);
        if (lam < 0)
            lam = 0;
        j->shade[f] = (uint8_t)(255 * (amb + (1 - amb) * lam) + 0.5);
        float ymin = fminf(sa[1], fminf(sb[1], sc[1])), ymax = fmaxf(sa[1], fmaxf(sb[1], sc[1]));
        float xmin = fminf(sa[0], fminf(sb[0], sc[0])), xmax = fmaxf(sa[0], fmaxf(sb[0], sc[0]));
        if (ymax < 0 || ymin > j->fb->h || xmax < 0 || xmin > j->fb->w)
            continue;
        drawn++;
        j->ty[2 * f] = (int16_t)(ymin < 0 ? 0 : ymin);
        j->ty[2 * f + 1] = (int16_t)(ymax > j->fb->h ? j->fb->h : ymax);
    }
    j->culled[thread] += culled;
    j->drawn[thread] += drawn;
}

static float pm__edge(const float *a, const float *b, float x, float y)
{
    return (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
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
    for (size_t f = 0; f < m->nf; f++) {
        int t0 = j->ty[2 * f], t1 = j->ty[2 * f + 1];
        if (t0 > t1 || t1 < by0 || t0 >= by1)
            continue;
        const uint32_t *t = m->f + 3 * f;
        const float *a = j->sv + 3 * (size_t)t[0], *b = j->sv + 3 * (size_t)t[1],
                    *c = j->sv + 3 * (size_t)t[2];
        float area = pm__edge(a, b, c[0], c[1]);
        if (area == 0)
            continue;
        if (area < 0) { /* make the edge functions positive inside */
            const float *s = b;
            b = c;
            c = s;
            area = -area;
        }
        float inv = 1.0f / area;
        int x0 = (int)floorf(fminf(a[0], fminf(b[0], c[0])));
        int x1 = (int)ceilf(fmaxf(a[0], fmaxf(b[0], c[0])));
        int y0 = (int)floorf(fminf(a[1], fminf(b[1], c[1])));
        int y1 = (int)ceilf(fmaxf(a[1], fmaxf(b[1], c[1])));
        if (x0 < 0) x0 = 0;
        if (x1 > fb->w - 1) x1 = fb->w - 1;
        if (y0 < by0) y0 = by0;
        if (y1 > by1 - 1) y1 = by1 - 1;
        uint8_t s = j->shade[f];
        uint8_t rgb[3] = {(uint8_t)(col[0] * s / 255), (uint8_t)(col[1] * s / 255),
                          (uint8_t)(col[2] * s / 255)};
        for (int y = y0; y <= y1; y++) {
            float py = y + 0.5f;
            for (int x = x0; x <= x1; x++) {
                float px = x + 0.5f;
                float w0 = pm__edge(b, c, px, py), w1 = pm__edge(c, a, px, py);
                float w2 = pm__edge(a, b, px, py);
                if (w0 < 0 || w1 < 0 || w2 < 0)
                    continue;
                float z = (w0 * a[2] + w1 * b[2] + w2 * c[2]) * inv;
                size_t p = (size_t)y * fb->w + x;
                if (z <= fb->depth[p])
                    continue;
                fb->depth[p] = z;
                memcpy(fb->rgb + 3 * p, rgb, 3);
            }
        }
    }
}

int pm_raster_mesh(pm_fb *fb, const pm_mesh *m, const pm_raster_opts *o, pm_raster_stats *stats)
{
    if (!fb->depth)
        return pm_fail(PM_EUSAGE, "the mesh rasterizer needs a framebuffer with depth");
    if (fb->h > 32767)
        return pm_fail(PM_EUSAGE, "image too tall for the rasterizer");
    for (size_t i = 0; i < 3 * m->nf; i++)
        if (m->f[i] >= m->nv)
            return pm_fail(PM_EUSAGE, "mesh face %zu uses vertex %u of %zu", i / 3, m->f[i], m->nv);
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
    int rc = PM_OK;
    if (!j->sv || !j->ty || !j->shade) {
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
        || (rc = pm_parallel_for(nfc, nt, pm__faces, j, NULL, "shade")) != PM_OK
        || (rc = pm_parallel_for(j->nbands, nt, pm__band, j, NULL, "raster")) != PM_OK)
        goto done;
    if (stats)
        for (int t = 0; t < 64; t++) {
            stats->drawn += j->drawn[t];
            stats->culled += j->culled[t];
        }
done:
    free(j->sv);
    free(j->ty);
    free(j->shade);
    free(j);
    return rc;
}
