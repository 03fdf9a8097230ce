/* raster.h - a software rasterizer for triangle meshes (mesh.h) into a
 * framebuffer with depth (render.h).
 *
 * The camera orbits the centre of the mesh's bounding box at a distance
 * that keeps the whole mesh in view at zoom 1. Azimuth 0 and elevation 0
 * look at the patient from the front (anterior view: patient's right on the
 * screen's left, superior up); positive azimuth turns the camera towards the
 * patient's left, positive elevation raises it towards the head. Shading is
 * Lambert from a light near the camera plus ambient, per face (flat) or
 * interpolated from vertex normals (smooth, see pm_raster_normals). Triangles facing
 * away are culled (mesh.h: counter-clockwise seen from outside); meshes with
 * unreliable winding can turn culling off and get two-sided lighting.
 *
 * Work is split into horizontal screen bands on pm_parallel_for, so a frame
 * uses every core; each band owns its pixels, so no locks. Limits: no
 * near-plane clipping (the orbit keeps the camera outside the bounding
 * sphere, so this only matters for meshes with stray far-away vertices),
 * no anti-aliasing, pixel centres sampled.
 *
 *     pm_fb *fb = pm_fb_new(640, 480, 1);               // with depth
 *     pm_raster_opts o = pm_raster_defaults();
 *     o.azimuth = 30;
 *     pm_raster_mesh(fb, mesh, &o);                      // clears fb first
 */
#ifndef PULMO_RASTER_H
#define PULMO_RASTER_H

#include "pulmo/core.h"
#include "pulmo/mesh.h"
#include "pulmo/render.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_raster_opts {
    double azimuth, elevation;   /* degrees */
    double zoom;                 /* 1 = whole mesh fits; 2 = twice as large */
    double fov;                  /* vertical field of view, degrees */
    double ambient;              /* 0..1 */
    uint8_t colour[3];           /* surface colour at full light */
    uint8_t background[3];
    int cull;                    /* drop back faces */
    const float *normals;        /* optional unit vertex normals (3 * nv):
                                    smooth (Gouraud) shading; NULL = flat */
    int nthreads;                /* 0 = pm_threads() */
} pm_raster_opts;

/* Azimuth 0, elevation 0, zoom 1, fov 30, ambient 0.25, a pale pink
 * surface on black, culling on, flat shading. */
pm_raster_opts pm_raster_defaults(void);

typedef struct pm_raster_stats {
    size_t drawn;                /* front faces on screen (maybe hidden) */
    size_t culled;               /* back faces dropped */
} pm_raster_stats;

/* Clears fb to the background and draws the mesh. fb must have depth.
 * PM_EUSAGE (no depth buffer, vertex index out of range), PM_EMEMORY.
 * stats may be NULL. An empty mesh gives an empty picture. */
int pm_raster_mesh(pm_fb *fb, const pm_mesh *m, const pm_raster_opts *o, pm_raster_stats *stats);

/* Area-weighted unit vertex normals of m (3 * nv floats, caller frees), for
 * pm_raster_opts.normals; compute once per mesh, not per frame. PM_EUSAGE
 * for a vertex index out of range, PM_EMEMORY. */
int pm_raster_normals(const pm_mesh *m, float **out);

#ifdef __cplusplus
}
#endif

#endif
