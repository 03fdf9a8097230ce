/* airway_grow.c - the airway's region growing (airway.c finds the trachea
 * and chooses the threshold): a breadth-first search over the airway only,
 * continued from one threshold to the next, so the cost is the airway's
 * size times the number of steps, not the volume's.
 *
 * The growth is incremental: thresholds only rise, so each step's region
 * holds the last one's. The region is kept in queue in the order it grew
 * (each step's region is a prefix), and the neighbours it left out, with
 * their local HU, in out: a voxel's neighbourhood is read once, not once a
 * step.
 */
#include "seg_internal.h"

#include <stddef.h>
#include <stdlib.h>

/* Mean HU of voxel x's 3x3 in-plane neighbourhood: what the growth
 * compares with its threshold. A lumen is air pixels wide, while the grain
 * of a low-dose scan or a sharp kernel is a pixel or two: one voxel's HU
 * let the growth follow dark grains through the lightest lung (CMB, whose
 * trachea reads -955: +19 % of airway with 30 HU of grain, once 421 mL).
 * The lumen's partial-volume rim this leaves out comes back with the
 * shell (shell_mm). */
static double local_hu(const pm_volume *v, size_t x)
{
    int nx = v->g.dim[0], ny = v->g.dim[1];
    int i = (int)(x % (size_t)nx), j = (int)(x / (size_t)nx % (size_t)ny);
    const int16_t *h = v->hu + x;
    int s = 0, n = 0;
    for (int dj = j > 0 ? -1 : 0; dj <= (j + 1 < ny ? 1 : 0); dj++)
        for (int di = i > 0 ? -1 : 0; di <= (i + 1 < nx ? 1 : 0); di++)
            s += h[di + (ptrdiff_t)dj * nx], n++;
    return (double)s / n;
}

/* Voxel x joins the region when its local HU is at most t, else it is left
 * out until a higher t. 1 when it joined, 0 not, -1 out of memory, -2 the
 * region reached its limit (a leak). */
static int try_add(pm__grower *g, uint32_t x, double hu, double t)
{
    if (hu > t) {
        if (g->nout == g->outcap) {
            size_t c = g->outcap ? 2 * g->outcap : 4096;
            void *o = realloc(g->out, c * sizeof *g->out);
            if (!o)
                return -1;
            g->out = o, g->outcap = c;
        }
        g->out[g->nout].x = x, g->out[g->nout++].hu = (float)hu;
        g->m->v[x] = PM__GROW_OUT;
        return 0;
    }
    if (g->n == g->limit)
        return -2;
    g->m->v[x] = PM__GROW_IN;
    g->queue[g->n++] = x;
    return 1;
}

static int marked(const pm__grower *g, size_t x)
{
    return g->m->v[x] == PM__GROW_IN || g->m->v[x] == PM__GROW_OUT;
}

/* Grows the region from the seeds through PM_LABEL_LUNG voxels with
 * local_hu <= t (6-conn). Returns its size, limit + 1 when it grew beyond
 * limit (a leak), 0 with *oom set when out of memory. */
size_t pm__grow(pm__grower *g, double t, int *oom)
{
    const uint32_t *seeds = g->seeds;
    size_t nseeds = g->nseeds;
    int nx = g->v->g.dim[0], ny = g->v->g.dim[1], nz = g->v->g.dim[2];
    size_t plane = (size_t)nx * ny, head = g->n;
    int rc = 0;
    for (size_t s = 0; s < nseeds && rc >= 0; s++)
        if (!marked(g, seeds[s]))
            rc = try_add(g, seeds[s], local_hu(g->v, seeds[s]), t);
    size_t keep = 0;
    for (size_t q = 0; q < g->nout && rc >= 0; q++) {
        if (g->out[q].hu > t) {
            g->out[keep++] = g->out[q];
        } else {
            rc = try_add(g, g->out[q].x, g->out[q].hu, t);
        }
    }
    if (rc >= 0)
        g->nout = keep;
    while (head < g->n && rc >= 0) {
        size_t x = g->queue[head++];
        int i = (int)(x % (size_t)nx), j = (int)(x / (size_t)nx % (size_t)ny);
        int k = (int)(x / plane);
        size_t nb[6];
        int nn = 0;
        if (i > 0) nb[nn++] = x - 1;
        if (i + 1 < nx) nb[nn++] = x + 1;
        if (j > 0) nb[nn++] = x - (size_t)nx;
        if (j + 1 < ny) nb[nn++] = x + (size_t)nx;
        if (k > 0 && (!g->kdir || (k - 1 - g->kseed) * g->kdir >= 0)) nb[nn++] = x - plane;
        if (k + 1 < nz && (!g->kdir || (k + 1 - g->kseed) * g->kdir >= 0)) nb[nn++] = x + plane;
        for (int q = 0; q < nn && rc >= 0; q++)
            if (g->m->v[nb[q]] == PM_LABEL_LUNG)
                rc = try_add(g, (uint32_t)nb[q], local_hu(g->v, nb[q]), t);
    }
    *oom = rc == -1;
    return rc == -1 ? 0 : rc == -2 ? g->limit + 1 : g->n;
}

void pm__grow_unmark(pm__grower *g)
{
    for (size_t q = 0; q < g->n; q++)
        g->m->v[g->queue[q]] = PM_LABEL_LUNG;
    for (size_t q = 0; q < g->nout; q++)
        g->m->v[g->out[q].x] = PM_LABEL_LUNG;
    for (size_t s = 0; s < g->nseeds; s++)
        g->m->v[g->seeds[s]] = g->seed_label[s];
}
