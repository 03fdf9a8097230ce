/* decimate_order.c - the order in which a decimation pass tries its edges,
 * the slabs that collapse side by side, and the vertex-to-triangle lists.
 *
 * A pass wants its cheapest edges first, but an exact sort of millions of
 * edges buys nothing (a pass's collapses are independent anyway): edges
 * are ranked by the top 16 bits of their float cost (about 1 % apart) and
 * grouped, up to a cost bound, into PM__NCLASS classes of rising cost, each
 * in memory order, so a pass sweeps the surface instead of jumping around
 * it (random order cost a cache miss on every collapse). Histogram, class
 * counts and the scatter run over blocks of triangles on all cores; each
 * block writes its own range of every class, so the order is the same for
 * any number of threads.
 */
#include "decimate_internal.h"

#include <stdlib.h>
#include <string.h>

#define PM__NCLASS 4       /* 8 cost 5-15 % more time for no better volume */
#define PM__NBUCKET (PM__NPART * (PM__NCLASS + 1))
#define PM__JUNK PM__NBUCKET   /* the slots that are no edge to try, last */
#define PM__OBLOCK 16384   /* triangles per task */

/* The vertex-to-triangle lists are a counting sort of the faces by
 * vertex: the starts from the valences shifted by one (v's next slot in
 * rstart[v + 1]), then the triangles in order, which leaves rstart exact.
 * The valences are counted once; the collapses keep them exact after
 * that. The triangles go in on all cores, each thread reading them all
 * and filling the lists of its own range of vertices, so every list is in
 * triangle order as one thread makes it; one thread took 14 ms of LIDC's
 * decimation over the passes, where the other core waited. */
static void pm__ring_range(void *ctx, int task, int thread)
{
    (void)thread;
    pm__dec *d = ctx;
    uint32_t lo, hi;
    pm__vertex_range(d->nv, task, d->nth, &lo, &hi);
    for (size_t t = 0; t < d->nf; t++)
        for (int q = 0; q < 3; q++) {
            uint32_t v = d->f[3 * t + q];
            if (v - lo < hi - lo)
                d->ring[d->rstart[v + 1]++] = (uint32_t)t;
        }
}

int pm__rings(pm__dec *d)
{
    uint32_t run = 0;
    d->rstart[0] = 0;
    for (size_t v = 0; v < d->nv; v++) {
        d->rstart[v + 1] = run;
        run += d->deg[v];
    }
    return pm_parallel_for(d->nth, d->nth, pm__ring_range, d, NULL, "decimation");
}

/* Cuts the vertices into PM__NPART runs of ids around about as many
 * triangles each. Marching cubes numbers vertices plane by plane (and the
 * pass's compaction and the STL reader keep that order), so a run is a slab
 * of the surface and few edges cross between runs; on a mesh numbered at
 * random most edges would, and the pass would do them on one thread. */
void pm__partition(pm__dec *d, int shift)
{
    size_t v = 0, total = d->rstart[d->nv];
    int nrun = PM__NPART + (shift != 0);
    for (int k = 0; k < nrun; k++) {
        size_t end = k == nrun - 1 ? d->nv : v;
        while (end < d->nv && d->rstart[end] < (size_t)(2 * k + 2 - (shift != 0)) * total / (2 * PM__NPART))
            end++;
        memset(d->part + v, k, end - v);
        v = end;
    }
}

typedef struct pm__ord {
    pm__dec *d;
    const uint32_t *cls;   /* each key's class (PM__NCLASS: beyond the bound) */
    size_t (*cnt)[PM__NBUCKET + 1]; /* per block: its slots per bucket, then
                                   where the next one goes */
    int scatter;           /* pm__bucket_block's round */
} pm__ord;

static void pm__block(const pm__dec *d, int task, size_t *t0, size_t *t1)
{
    *t0 = (size_t)task * PM__OBLOCK;
    *t1 = *t0 + PM__OBLOCK < d->nf ? *t0 + PM__OBLOCK : d->nf;
}

/* First round: each edge's bucket (its slab, its first end's, then its
 * class) and the block's count per bucket; second round: the edges into
 * their places. */
static void pm__bucket_block(void *ctx, int task, int thread)
{
    (void)thread;
    pm__ord *o = ctx;
    pm__dec *d = o->d;
    size_t t0, t1, *cnt = o->cnt[task];
    pm__block(d, task, &t0, &t1);
    /* Every slot goes somewhere, those that are no edge (cost < 0: about
     * half, in no pattern) to the junk bucket: a branch on each slot cost
     * more than placing them. */
    if (o->scatter) {
        for (size_t i = 3 * t0; i < 3 * t1; i++)
            d->order[cnt[d->bucket[i]]++] = (uint32_t)i;
        return;
    }
    for (size_t i = 3 * t0; i < 3 * t1; i++) {
        unsigned b = d->part[d->f[i]] * (PM__NCLASS + 1) + o->cls[pm__key(d->cost[i])];
        b = d->cost[i] < 0 ? PM__JUNK : b;
        cnt[b]++;
        d->bucket[i] = (uint8_t)b;
    }
}

/* By slab, then the edges up to the cost bound by class, then the rest;
 * fills d->ps, nb and each slab's share of want. */
size_t pm__order_edges(pm__dec *d, size_t want)
{
    int nblk = (int)((d->nf + PM__OBLOCK - 1) / PM__OBLOCK);
    pm__ord o = {d, NULL, NULL, 0};
    uint32_t *h = d->hist, *hok = d->hist + PM__NKEY;
    for (int th = 1; th < d->nth; th++)
        for (uint32_t q = 0; q < 2 * PM__NKEY; q++)
            h[q] += d->hist[(size_t)th * 2 * PM__NKEY + q];
    size_t n = 0, k = 0;
    for (uint32_t q = 0; q < PM__NKEY; q++)
        n += h[q];
    if (!n)
        return 0;
    /* Locked ends stop about half of the cheapest edges; a bound somewhat
     * above the want-th cost lets the pass do most of its share without
     * reaching for edges the sequential order would have left alone. The
     * edges refused last time (they stay refused unless their surroundings
     * change) do not count towards it: a band of only such edges made a
     * whole pass for one collapse, thousands of times on a body surface. */
    for (size_t run = 0; k < PM__NKEY - 1 && run + hok[k] <= want; k++)
        run += hok[k];
    uint32_t bits = (uint32_t)k << 16 | 0x8000u;
    float c;
    memcpy(&c, &bits, sizeof c);
    uint32_t kb = pm__key(1.5f * c);
    size_t nb = 0;
    for (uint32_t q = 0; q <= kb; q++)
        nb += h[q];
    size_t run = 0;
    for (uint32_t q = 0; q < PM__NKEY; q++) {
        uint32_t cl = q > kb ? PM__NCLASS : (uint32_t)(run * PM__NCLASS / nb);
        run += h[q];
        h[q] = cl;
    }
    o.cls = h;
    o.cnt = calloc((size_t)nblk, sizeof *o.cnt);
    if (!o.cnt)
        return (size_t)-1;
    pm_parallel_for(nblk, d->nth, pm__bucket_block, &o, NULL, "decimation");
    /* each block's start in every bucket; buckets run slab by slab */
    size_t at = 0, nball = 0;
    for (int p = 0; p < PM__NPART; p++) {
        d->ps[p] = at;
        d->nb[p] = 0;
        for (int cl = 0; cl <= PM__NCLASS; cl++) {
            size_t b = (size_t)p * (PM__NCLASS + 1) + (size_t)cl, start = at;
            for (int blk = 0; blk < nblk; blk++) {
                size_t c0 = o.cnt[blk][b];
                o.cnt[blk][b] = at;
                at += c0;
            }
            if (cl < PM__NCLASS)
                d->nb[p] += at - start;
        }
        nball += d->nb[p];
    }
    d->ps[PM__NPART] = at;
    for (int blk = 0; blk < nblk; blk++) {
        size_t c0 = o.cnt[blk][PM__JUNK];
        o.cnt[blk][PM__JUNK] = at;
        at += c0;
    }
    o.scatter = 1;
    pm_parallel_for(nblk, d->nth, pm__bucket_block, &o, NULL, "decimation");
    free(o.cnt);
    /* each slab's share of the collapses (rounded down: the serial part
     * of the pass makes up the rest) */
    for (int p = 0; p < PM__NPART; p++)
        d->want[p] = nball ? (size_t)((double)want * (double)d->nb[p] / (double)nball) : 0;
    return n;
}
