/* mesh.h - indexed triangle meshes in patient millimetres (LPS): surfaces
 * from masks and HU volumes, smoothing, decimation, metrics, STL/OBJ/PLY.
 *
 * Vertices are shared between triangles (an indexed mesh). Triangles wind
 * counter-clockwise seen from outside, so normals point out. Coordinates are
 * millimetres in DICOM patient space (LPS: x to the patient's left, y
 * posterior, z superior), mapped through the grid's origin, spacing and
 * direction cosines, so anisotropic and oblique grids give true sizes.
 *
 * Surfaces (marching cubes):
 *   - The case table is derived at start-up from one rule per cube face
 *     (inside corners diagonal on a face are kept apart for masks; for HU the
 *     face's bilinear saddle decides), and a face's rule depends on that
 *     face's four corners only, so the two cubes sharing it cut it the same
 *     way: a closed object gives a closed, consistently oriented 2-manifold
 *     (every edge in exactly two triangles).
 *   - The grid is padded by one outside voxel on every side, so objects
 *     touching the border are closed half a voxel beyond it.
 *   - Masks are meshed at level 0.5 (vertices at edge midpoints). HU volumes
 *     are meshed at `level` with linear interpolation; a voxel is inside when
 *     HU >= level.
 *   - Work is split into z-slabs on pm_parallel_for and stitched; output is
 *     identical for any thread count.
 *
 * Failure: every function returns a pm_status and leaves its outputs
 * untouched on failure (pm_error() gives the reason); nothing prints.
 */
#ifndef PULMO_MESH_H
#define PULMO_MESH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_mesh {
    float *v;        /* 3 * nv coordinates, mm, LPS */
    uint32_t *f;     /* 3 * nf vertex indices */
    size_t nv, nf;
} pm_mesh;

void pm_mesh_free(pm_mesh *m);
/* A mesh with room for nv vertices and nf faces (counts set). NULL with a
 * reason when out of memory. */
pm_mesh *pm_mesh_new(size_t nv, size_t nf);
/* A deep copy (e.g. to decimate a preview and keep the full mesh); NULL
 * with a reason when out of memory. */
pm_mesh *pm_mesh_clone(const pm_mesh *m);

/* Surface of the voxels equal to label (label 0: every non-zero voxel).
 * PM_OK with *out (possibly empty: nf == 0), PM_EUSAGE, PM_EMEMORY,
 * PM_ECANCEL. */
int pm_mesh_from_mask(const pm_mask *m, int label, pm_mesh **out, const pm_progress *p);
/* Surface of the voxels whose value lies in lo..hi (1 <= lo <= hi <= 255),
 * e.g. 1..2 for both lungs of a segmentation without its airway (3). */
int pm_mesh_from_mask_range(const pm_mask *m, int lo, int hi, pm_mesh **out, const pm_progress *p);
/* Iso-surface of a HU volume at level (inside: HU >= level). */
int pm_mesh_from_volume(const pm_volume *v, double level, pm_mesh **out, const pm_progress *p);

/* Taubin lambda/mu smoothing (uniform Laplacian): iterations passes of a
 * shrinking step lambda > 0 then an inflating step mu < -lambda. lambda = 0
 * picks the defaults 0.5 / -0.53, which keep a closed surface's volume
 * within about 1 %. Topology is unchanged. */
int pm_mesh_smooth(pm_mesh *m, int iterations, double lambda, double mu, const pm_progress *p);

/* Garland-Heckbert quadric-error edge collapses (area-weighted plane
 * quadrics, optimal placement; in passes of independent collapses,
 * cheapest first, on all cores; the result does not depend on the number
 * of threads; fastest on meshes numbered as marching cubes numbers them,
 * slab by slab) until at most target_faces
 * triangles remain or no edge can collapse. A collapse is refused when it
 * would break the link condition (keeps a closed manifold closed and
 * manifold), flip or squash a triangle, or leave a vertex of valence < 3.
 * The mesh is compacted in place. */
int pm_mesh_decimate(pm_mesh *m, size_t target_faces, const pm_progress *p);

/* The surface every front end writes: smooth iterations of Taubin (none when
 * smooth <= 0), then decimation to target triangles, or when target is 0 to
 * ratio of them (0 < ratio < 1; else none). When smoothed is not NULL and
 * both steps run, *smoothed gets a copy of the surface between them (owned
 * by the caller). seconds (may be NULL) gets the time of each step.
 * PM_OK, PM_EMEMORY or PM_ECANCEL (the mesh then half done). */
int pm_mesh_refine(pm_mesh *m, int smooth, double ratio, size_t target, pm_mesh **smoothed,
                   double seconds[2], const pm_progress *p);

typedef struct pm_mesh_stats {
    double volume_mm3;       /* enclosed volume (divergence theorem, signed) */
    double area_mm2;
    size_t edges;            /* distinct undirected edges */
    size_t open_edges;       /* edges with one face */
    size_t nonmanifold_edges;/* edges with three faces or more */
    int watertight;          /* every edge in exactly two faces */
    int oriented;            /* no directed edge used twice */
    long long euler;         /* V - E + F over referenced vertices */
    double min[3], max[3];   /* bounding box, mm LPS */
} pm_mesh_stats;

/* Measures m (can't fail except PM_EMEMORY; an empty mesh gives zeros). */
int pm_mesh_measure(const pm_mesh *m, pm_mesh_stats *s);
double pm_mesh_volume(const pm_mesh *m);
double pm_mesh_area(const pm_mesh *m);

typedef enum pm_mesh_format {
    PM_MESH_STL = 0,        /* binary STL */
    PM_MESH_STL_ASCII,
    PM_MESH_OBJ,            /* Wavefront OBJ, text */
    PM_MESH_PLY,            /* binary little-endian PLY */
    PM_MESH_PLY_ASCII
} pm_mesh_format;

/* Format from a file name (.stl, .obj, .ply, any case); ascii picks the
 * text variant of STL and PLY. -1 for an unknown extension. */
int pm_mesh_format_for(const char *path, int ascii);
/* Writes m to path through a temporary name (pm_outfile). PM_EWRITE with a
 * reason naming the path on any write error (a full disk included); no file
 * is left under path then. */
int pm_mesh_write(const pm_mesh *m, const char *path, pm_mesh_format fmt);
/* Writes m to an open stream; PM_EWRITE (reason names `name`) when a write
 * or the final flush fails. */
int pm_mesh_write_fp(const pm_mesh *m, FILE *f, pm_mesh_format fmt, const char *name);

/* Reads a binary or ASCII STL; identical vertices are welded into one, and
 * triangles that weld to fewer than three vertices are dropped. PM_ECORRUPT
 * (reason names the file) for truncated, oversized or non-finite data,
 * PM_ENODATA when path cannot be opened, PM_EMEMORY. */
int pm_mesh_read_stl(const char *path, pm_mesh **out);

#ifdef __cplusplus
}
#endif

#endif
