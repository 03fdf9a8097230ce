/* decimate_internal.h - what the decimation's files share: its state (set
 * up in decimate_init.c) and the ordering of a pass's edges
 * (decimate_order.c). */
#ifndef PULMO_DECIMATE_INTERNAL_H
#define PULMO_DECIMATE_INTERNAL_H

#include "mesh_internal.h"

#include <string.h>

#define PM__NKEY 32768u   /* top 16 bits of a non-negative float */
#define PM__LOCKED 1u
#define PM__TOUCHED 2u
#define PM__NPART 8       /* slabs collapsed in parallel */
#define PM__DEFER (-1)    /* pm__collapse: the edge reaches another slab */

typedef struct pm__dec {
    size_t nv, nf;      /* nf: triangles in f, compacted at each pass */
    double *q;          /* 10 per vertex: the symmetric 4x4 quadric */
    double *p;          /* 3 per vertex: the position, apart from the
                           quadrics, so the flip tests of a collapse read
                           8 neighbours from a few cache lines */
    uint32_t *f;
    uint8_t *refused;   /* per triangle of f: bit q set when edge slot q was
                           refused and nothing near it has changed since */
    uint8_t *locked;    /* per vertex: PM__LOCKED (an end of a collapse in
                           this pass) and/or PM__TOUCHED (its neighbourhood
                           changed); from the pass before while costing */
    uint32_t *deg;      /* live triangles around each vertex */
    uint32_t *rstart;   /* nv + 1: vertex v's triangles are ring[rstart[v]..] */
    uint32_t *ring;
    uint8_t *part;      /* per vertex: its slab in this pass */
    float *cost;        /* per directed edge slot 3t+q; < 0: not an edge to try */
    uint32_t *order;    /* edge slots by slab, then cost */
    uint8_t *bucket;    /* per edge slot: its slab and class while ordering */
    int nth;            /* threads (pm_threads(), at most 64) */
    uint64_t *stamp;    /* per vertex: the last collapse try that marked it
                           (pm__collapse), 0 never */
    uint64_t stamp_next[64];  /* per thread: its last stamp */
    uint32_t *hist;     /* per thread 2 * PM__NKEY: all edges, then those
                           not refused */
    /* this pass, per slab: its slots are order[ps[k]..ps[k+1]), the first
     * nb[k] under the cost bound; what the slab's task did */
    size_t ps[PM__NPART + 1], nb[PM__NPART], want[PM__NPART];
    size_t done[PM__NPART], ndefer[PM__NPART], stop[PM__NPART];
    /* the edges left between slabs, by shifted slab: r2[r2s[k]..] */
    uint32_t *r2;
    size_t r2s[PM__NPART + 2], r2want[PM__NPART + 1], r2done[PM__NPART + 1], r2n[PM__NPART + 1];
} pm__dec;

/* Vertex v's quadric (10 doubles) and position (3). */
static inline double *pm__q(const pm__dec *d, size_t v) { return d->q + 10 * v; }
static inline double *pm__p(const pm__dec *d, size_t v) { return d->p + 3 * v; }

/* The (unnormalised) normal of triangle a, b, c. */
static inline void pm__normal(const double *a, const double *b, const double *c, double n[3])
{
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
}

/* Allocates and fills d for decimating m (decimate_init.c): -1 when out of
 * memory (pm__dec_free releases what was allocated). */
int pm__dec_init(pm__dec *d, const pm_mesh *m);
void pm__dec_free(pm__dec *d);

/* An edge's rank: the top 16 bits of its non-negative float cost. */
static inline uint32_t pm__key(float cost)
{
    uint32_t u;
    memcpy(&u, &cost, sizeof u);
    return (u >> 16) & (PM__NKEY - 1);
}

/* Counts triangle t's edges into one thread's histograms h (2 * PM__NKEY
 * of d->hist): all of them, then those not refused. The costing does it
 * as it goes, sparing pm__order_edges a sweep. */
static inline void pm__hist_tri(const pm__dec *d, uint32_t *h, size_t t)
{
    for (int q = 0; q < 3; q++) {
        float c = d->cost[3 * t + q];
        if (c >= 0) {
            uint32_t key = pm__key(c);
            h[key]++;
            h[PM__NKEY + key] += !(d->refused[t] >> q & 1);
        }
    }
}

/* The vertex-to-triangle lists (rstart, ring) of the triangles in f, from
 * the valences (deg), on all cores: PM_OK or PM_ECANCEL. */
int pm__rings(pm__dec *d);

/* Cuts the vertices into PM__NPART slabs (d->part) for this pass; shift:
 * PM__NPART + 1 slabs whose middles are the borders of the first ones. */
void pm__partition(pm__dec *d, int shift);
/* Orders the edge slots for a pass that wants want collapses (d->order,
 * ps, nb, want), from the histograms the costing left in d->hist. Returns the edge count, 0 when there is none, (size_t)-1
 * when out of memory. */
size_t pm__order_edges(pm__dec *d, size_t want);

#endif
