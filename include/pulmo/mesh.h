/* mesh.h - indexed triangle meshes in patient millimetres (LPS).
 *
 * Vertices are shared between triangles (an indexed mesh). Triangles wind
 * counter-clockwise seen from outside, so normals point out.
 */
#ifndef PULMO_MESH_H
#define PULMO_MESH_H

#include <stddef.h>
#include <stdint.h>

typedef struct pm_mesh {
    float *v;        /* 3 * nv coordinates, mm, LPS */
    uint32_t *f;     /* 3 * nf vertex indices */
    size_t nv, nf;
} pm_mesh;

void pm_mesh_free(pm_mesh *m);

#endif
