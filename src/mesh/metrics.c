/* metrics.c - enclosed volume, area, and the edge census behind
 * "watertight" (every edge in exactly two triangles) and the Euler
 * characteristic. Edges are counted by radix-sorting 64-bit vertex-pair
 * keys, which stays linear for meshes of millions of triangles. */
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

/* LSD radix sort on 16-bit digits, skipping digits above the largest key. */
static int pm__sort64(uint64_t *k, size_t n, uint64_t maxkey)
{
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    size_t *cnt = malloc(65536 * sizeof *cnt);
    if (!cnt) {
        free(tmp);
        return -1;
    }
    uint64_t *src = k, *dst = tmp;
    for (int shift = 0; shift < 64 && (maxkey >> shift); shift += 16) {
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(src[i] >> shift) & 0xffff]++;
        size_t sum = 0;
        for (int d = 0; d < 65536; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[cnt[(src[i] >> shift) & 0xffff]++] = src[i];
        uint64_t *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != k)
        memcpy(k, src, n * sizeof *k);
    free(tmp);
    free(cnt);
    return 0;
}

int pm_mesh_measure(const pm_mesh *m, pm_mesh_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!m || m->nf == 0)
        return PM_OK;
    size_t n = 3 * m->nf;
    uint64_t *k = malloc(n * sizeof *k);
    uint8_t *used = calloc(m->nv ? m->nv : 1, 1);
    if (!k || !used) {
        free(k);
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
            k[3 * t + q] = (uint64_t)a << 32 | m->f[3 * t + (q + 1) % 3];
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
    uint64_t maxkey = (uint64_t)m->nv << 32;
    int fail = pm__sort64(k, n, maxkey);
    s->oriented = 1;
    for (size_t i = 1; !fail && i < n; i++)
        if (k[i] == k[i - 1])
            s->oriented = 0;
    /* undirected: (min, max) */
    for (size_t i = 0; i < n; i++) {
        uint64_t a = k[i] >> 32, b = k[i] & 0xffffffffu;
        k[i] = a < b ? (a << 32 | b) : (b << 32 | a);
    }
    fail = fail || pm__sort64(k, n, maxkey);
    if (fail) {
        free(k);
        free(used);
        return pm_fail(PM_EMEMORY, "out of memory measuring a mesh");
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && k[j] == k[i])
            j++;
        s->edges++;
        if (j - i == 1)
            s->open_edges++;
        else if (j - i > 2)
            s->nonmanifold_edges++;
        i = j;
    }
    size_t nused = 0;
    for (size_t i = 0; i < m->nv; i++)
        nused += used[i];
    s->watertight = s->open_edges == 0 && s->nonmanifold_edges == 0;
    s->euler = (long long)nused - (long long)s->edges + (long long)m->nf;
    free(k);
    free(used);
    return PM_OK;
}
