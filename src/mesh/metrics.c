/* metrics.c - enclosed volume, area, and the edge census behind
 * "watertight" (every edge in exactly two triangles) and the Euler
 * characteristic. Edges are counted in groups by vertex (a counting sort,
 * then each vertex's few neighbours sorted), which stays linear for meshes
 * of millions of triangles. */
#include "mesh_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void pm__tri_geom(const pm_mesh *m, size_t t, double *vol6, double *area2)
{
    const uint32_t *f = m->f + 3 * t;
    const float *a = m->v + 3 * f[0], *b = m->v + 3 * f[1], *c = m->v + 3 * f[2];
    /* relative to a, so large LPS offsets do not eat the precision */
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    double n[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
    *area2 = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    *vol6 = a[0] * n[0] + a[1] * n[1] + a[2] * n[2];
}

/* Sum over the triangles of six times the signed volume (area = 0) or of
 * twice the area (area = 1). */
static double tri_sum(const pm_mesh *m, int area)
{
    double s = 0, v6, a2;
    for (size_t t = 0; m && t < m->nf; t++) {
        pm__tri_geom(m, t, &v6, &a2);
        s += area ? a2 : v6;
    }
    return s;
}

double pm_mesh_volume(const pm_mesh *m)
{
    return tri_sum(m, 0) / 6.0;
}

double pm_mesh_area(const pm_mesh *m)
{
    return tri_sum(m, 1) / 2.0;
}

/* The edges grouped by their lower end (a counting sort): edge slot
 * 3t + q runs f[q] -> f[q + 1]; group v, nb[start[v] .. start[v + 1]), holds
 * each edge's higher end times two, plus one when it runs downwards, so
 * that a directed edge used twice shows as two equal values. */
static void pm__group(const pm_mesh *m, size_t *start, uint32_t *nb)
{
    memset(start, 0, (m->nv + 2) * sizeof *start);
    for (size_t t = 0; t < m->nf; t++)
        for (int q = 0; q < 3; q++) {
            uint32_t a = m->f[3 * t + q], b = m->f[3 * t + (q == 2 ? 0 : q + 1)];
            start[(b < a ? b : a) + 2]++;
        }
    for (size_t v = 0; v < m->nv; v++)
        start[v + 2] += start[v + 1];
    for (size_t t = 0; t < m->nf; t++)
        for (int q = 0; q < 3; q++) {
            uint32_t a = m->f[3 * t + q], b = m->f[3 * t + (q == 2 ? 0 : q + 1)];
            nb[start[(b < a ? b : a) + 1]++] = b < a ? a << 1 | 1u : b << 1;
        }
}

static int pm__cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Sorts each group (a vertex's few neighbours: insertion sort, qsort past
 * 32) and counts its edges (runs of one higher end) by how many triangles
 * share them, and directed edges used twice. */
static void pm__census(const pm_mesh *m, const size_t *start, uint32_t *nb, pm_mesh_stats *s)
{
    for (size_t v = 0; v < m->nv; v++) {
        uint32_t *g = nb + start[v];
        size_t k = start[v + 1] - start[v];
        if (k > 32) {
            qsort(g, k, sizeof *g, pm__cmp_u32);
        } else {
            for (size_t i = 1; i < k; i++) {
                uint32_t x = g[i];
                size_t j = i;
                for (; j > 0 && g[j - 1] > x; j--)
                    g[j] = g[j - 1];
                g[j] = x;
            }
        }
        for (size_t i = 0; i < k;) {
            size_t j = i + 1;
            while (j < k && g[j] >> 1 == g[i] >> 1) {
                s->oriented &= g[j] != g[j - 1];
                j++;
            }
            s->edges++;
            s->open_edges += j - i == 1;
            s->nonmanifold_edges += j - i > 2;
            i = j;
        }
    }
}

int pm_mesh_measure(const pm_mesh *m, pm_mesh_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!m || m->nf == 0)
        return PM_OK;
    if (m->nv > 0x7fffffffu) /* pm__group keeps a vertex id and a bit in 32 */
        return pm_fail(PM_EMEMORY, "mesh too large to measure");
    size_t n = 3 * m->nf;
    uint32_t *nb = malloc(n * sizeof *nb);
    size_t *start = malloc((m->nv + 2) * sizeof *start);
    uint8_t *used = calloc(m->nv ? m->nv : 1, 1);
    if (!nb || !start || !used) {
        free(nb);
        free(start);
        free(used);
        return pm_fail(PM_EMEMORY, "out of memory measuring a mesh");
    }
    double v6 = 0, a2 = 0;
    for (int r = 0; r < 3; r++) {
        s->min[r] = DBL_MAX;
        s->max[r] = -DBL_MAX;
    }
    for (size_t t = 0; t < m->nf; t++) {
        double tv, ta;
        pm__tri_geom(m, t, &tv, &ta);
        v6 += tv;
        a2 += ta;
        for (int q = 0; q < 3; q++) {
            uint32_t a = m->f[3 * t + q];
            if (!used[a]) {
                used[a] = 1;
                for (int r = 0; r < 3; r++) {
                    double x = m->v[3 * a + r];
                    s->min[r] = x < s->min[r] ? x : s->min[r];
                    s->max[r] = x > s->max[r] ? x : s->max[r];
                }
            }
        }
    }
    s->volume_mm3 = v6 / 6.0;
    s->area_mm2 = a2 / 2.0;
    /* the edge census by groups of a vertex's neighbours: two passes over
     * the edges, where radix-sorting 64-bit edge keys (twice) took eight */
    s->oriented = 1;
    pm__group(m, start, nb);
    pm__census(m, start, nb, s);
    size_t nused = 0;
    for (size_t i = 0; i < m->nv; i++)
        nused += used[i];
    s->watertight = s->open_edges == 0 && s->nonmanifold_edges == 0;
    s->euler = (long long)nused - (long long)s->edges + (long long)m->nf;
    free(nb);
    free(start);
    free(used);
    return PM_OK;
}
