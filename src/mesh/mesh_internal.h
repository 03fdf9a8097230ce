/* mesh_internal.h - what the files of the mesh module share: the derived
 * marching-cubes case table and small geometry helpers. */
#ifndef PULMO_MESH_INTERNAL_H
#define PULMO_MESH_INTERNAL_H

#include "pulmo/mesh.h"

#include <stdint.h>

/* Cube corners are numbered x + 2y + 4z. Edge e = 4*axis + bu + 2*bv where
 * (u, v) = (axis+1, axis+2) mod 3 and (bu, bv) place the edge on the cube. */
typedef struct pm__mc_case {
    uint8_t npoly;
    uint8_t len[4];      /* vertices per polygon */
    uint8_t center[4];   /* 1: fan around an added centroid vertex */
    uint8_t edge[12];    /* the polygons' edges, concatenated, wound so that
                            the normal points from inside to outside */
} pm__mc_case;

/* The 256 cases with inside corners kept apart on every ambiguous face. */
const pm__mc_case *pm__mc_table(void);
/* Bit f (face 2*axis + side) set when face f of the case is ambiguous. */
uint8_t pm__mc_ambiguous(int cubecase);
/* pm__mc_ambiguous for all 256 cases. */
const uint8_t *pm__mc_ambig_table(void);
/* Derives one case: bit f of join set means the inside corners of face f
 * are connected across it (only meaningful on ambiguous faces). */
void pm__mc_build(int cubecase, int join, pm__mc_case *out);
/* The four corners of face f in counter-clockwise order seen from outside
 * the cube. */
void pm__mc_face_corners(int f, int out[4]);

/* Task `task` of n's share [*lo, *hi) of the vertex ids 0..nv-1. The
 * passes by vertex range (quadrics, triangle lists, neighbour lists) each
 * read every triangle and write for their own range only, so every sum and
 * list comes out as one thread makes it. */
static inline void pm__vertex_range(size_t nv, int task, int n, uint32_t *lo, uint32_t *hi)
{
    size_t a, b;
    pm_share(nv, task, n, &a, &b);
    *lo = (uint32_t)a, *hi = (uint32_t)b;
}

#endif
