/* render_shapes.h - procedural meshes for the rasterizer's tests and
 * benchmark: a UV sphere and a cube, wound counter-clockwise from outside. */
#ifndef PULMO_RENDER_SHAPES_H
#define PULMO_RENDER_SHAPES_H

#include "pulmo/mesh.h"

#include <math.h>
#include <stdlib.h>

/* A sphere of radius r at c with nlat rings and nlon segments
 * (2 * nlon * (nlat - 1) triangles). NULL when out of memory. */
static inline pm_mesh *shape_sphere(const double c[3], double r, int nlat, int nlon)
{
    pm_mesh *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->nv = (size_t)(nlat + 1) * (size_t)nlon;
    m->nf = 2 * (size_t)nlon * (size_t)(nlat - 1);
    m->v = malloc(m->nv * 3 * sizeof *m->v);
    m->f = malloc(m->nf * 3 * sizeof *m->f);
    if (!m->v || !m->f) {
        pm_mesh_free(m);
        return NULL;
    }
    for (int i = 0; i <= nlat; i++) {
        double th = M_PI * i / nlat; /* 0 at the north pole (+z) */
        for (int j = 0; j < nlon; j++) {
            double ph = 2 * M_PI * j / nlon;
            float *v = m->v + 3 * ((size_t)i * nlon + j);
            v[0] = (float)(c[0] + r * sin(th) * cos(ph));
            v[1] = (float)(c[1] + r * sin(th) * sin(ph));
            v[2] = (float)(c[2] + r * cos(th));
        }
    }
    size_t k = 0;
    for (int i = 0; i < nlat; i++)
        for (int j = 0; j < nlon; j++) {
            uint32_t a = (uint32_t)(i * nlon + j), b = (uint32_t)(i * nlon + (j + 1) % nlon);
            uint32_t cc = a + (uint32_t)nlon, d = b + (uint32_t)nlon;
            /* Seen from outside, going down a ring then along it is
             * counter-clockwise for (a, c, d) and (a, d, b); at the poles
             * one of the two collapses (a == b on the first ring, c == d
             * on the last) and is left out. */
            if (i < nlat - 1) {
                m->f[3 * k] = a; m->f[3 * k + 1] = cc; m->f[3 * k + 2] = d; k++;
            }
            if (i > 0) {
                m->f[3 * k] = a; m->f[3 * k + 1] = d; m->f[3 * k + 2] = b; k++;
            }
        }
    m->nf = k;
    return m;
}

/* An axis-aligned cube of side s centred at c (12 triangles). */
static inline pm_mesh *shape_cube(const double c[3], double s)
{
    static const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                                    {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
    pm_mesh *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->nv = 8;
    m->nf = 12;
    m->v = malloc(8 * 3 * sizeof *m->v);
    m->f = malloc(12 * 3 * sizeof *m->f);
    if (!m->v || !m->f) {
        pm_mesh_free(m);
        return NULL;
    }
    /* Vertex n has x = bit 0, y = bit 1, z = bit 2. */
    for (int n = 0; n < 8; n++)
        for (int a = 0; a < 3; a++)
            m->v[3 * n + a] = (float)(c[a] + ((n >> a) & 1 ? s / 2 : -s / 2));
    for (int q = 0; q < 6; q++) {
        const int *p = quads[q];
        uint32_t t[6] = {(uint32_t)p[0], (uint32_t)p[1], (uint32_t)p[2],
                         (uint32_t)p[0], (uint32_t)p[2], (uint32_t)p[3]};
        for (int i = 0; i < 6; i++)
            m->f[6 * q + i] = t[i];
    }
    return m;
}

#endif
