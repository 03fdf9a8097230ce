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

/* A candidate edge collapse in the decimation queue (rheap.c). */
typedef struct pm__edge {
    float cost;          /* >= 0 */
    uint32_t a, b, stamp;
} pm__edge;

#define PM__NBUCKET (1 + 4 * 256)

typedef struct pm__bucketv {
    pm__edge *e;
    size_t n, cap;
} pm__bucketv;

/* A min-queue of edges by cost; zero-initialise before use. */
typedef struct pm__rheap {
    pm__bucketv bk[PM__NBUCKET];
    uint64_t used[PM__NBUCKET / 64 + 1]; /* non-empty buckets */
    size_t n;                            /* entries */
    uint32_t last;                       /* key of the last minimum popped */
} pm__rheap;

/* The float's bit pattern: ordered like the value for costs >= 0. */
uint32_t pm__rheap_key(float cost);
/* Queues e (a cost below the last minimum popped counts as that minimum).
 * -1 when out of memory. */
int pm__rheap_push(pm__rheap *h, pm__edge e);
/* Takes an entry of minimum cost; h must not be empty. -1 when out of
 * memory (entries may be lost then). */
int pm__rheap_pop(pm__rheap *h, pm__edge *out);
void pm__rheap_free(pm__rheap *h);

#endif
