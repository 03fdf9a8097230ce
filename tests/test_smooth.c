/* test_smooth.c - Taubin smoothing against its definition, bit for bit:
 * each step moves a vertex by lambda (then mu) towards the mean of its
 * distinct neighbours, summed in the order of their ids. The surfaces the
 * tests of test_mesh.c smooth (marching-cubes balls) have valences of 3 to
 * 8 and no repeated triangle; these gadgets have hubs of 9 and 12, a
 * vertex in no triangle, and edges given two and four times. */
#include "pulmo/mesh.h"
#include "test.h"

#include <math.h>
#include <stdint.h>

#define NV 18   /* vertices of a gadget */
#define NF 26   /* triangles of a gadget */

/* Gadget g: a hub of 12 spokes (vertex 0) and one of 9 (vertex 13) over
 * the same rim (1..12: rim vertices of 4 and 5 neighbours), vertex 14 in
 * no triangle, triangle 15-16-17 given once each way, and the hub's first
 * triangle three more times. Coordinates jittered by seed. */
static void gadget(pm_mesh *m, size_t g, uint32_t *seed)
{
    uint32_t o = (uint32_t)(NV * g), *f = m->f + 3 * NF * g;
    float *v = m->v + 3 * NV * g;
    for (int i = 0; i < NV; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        double ang = 2 * M_PI * (i - 1) / 12.0, jit = (*seed >> 8) / 16777216.0;
        int rim = i >= 1 && i <= 12;
        v[3 * i] = (float)(10.0 * (double)g + (rim ? cos(ang) : 0.1 * i) + 0.01 * jit);
        v[3 * i + 1] = (float)((rim ? sin(ang) : 0.3 * i) - 0.02 * jit);
        v[3 * i + 2] = (float)(i == 0 ? 1.0 : i == 13 ? -1.0 : 0.05 * jit);
    }
    uint32_t t[NF][3];
    for (uint32_t k = 0; k < 12; k++)
        memcpy(t[k], (uint32_t[3]){o, o + 1 + k, o + 1 + (k + 1) % 12}, sizeof t[k]);
    for (uint32_t k = 0; k < 9; k++)
        memcpy(t[12 + k], (uint32_t[3]){o + 13, o + 1 + (k + 1) % 12, o + 1 + k}, sizeof t[k]);
    memcpy(t[21], (uint32_t[3]){o + 15, o + 16, o + 17}, sizeof t[21]);
    memcpy(t[22], (uint32_t[3]){o + 15, o + 17, o + 16}, sizeof t[22]);
    for (int k = 23; k < NF; k++)
        memcpy(t[k], t[0], sizeof t[k]);
    memcpy(f, t, sizeof t);
}

/* One step of a mesh's vertices by the definition, in floats, one axis at
 * a time: out = p + step * (sum / n - p). */
static void step_by_definition(const pm_mesh *m, const float *in, float *out, float step)
{
    for (size_t v = 0; v < m->nv; v++) {
        uint32_t nb[64];
        int n = 0;
        for (size_t t = 0; t < m->nf; t++)
            for (int q = 0; q < 3; q++) {
                if (m->f[3 * t + q] != v)
                    continue;
                for (int e = 1; e < 3; e++) {
                    uint32_t w = m->f[3 * t + (q + e) % 3];
                    int i = 0;
                    while (i < n && nb[i] < w)
                        i++;
                    if (i < n && nb[i] == w)
                        continue;
                    memmove(nb + i + 1, nb + i, (size_t)(n - i) * sizeof *nb);
                    nb[i] = w;
                    n++;
                }
            }
        for (int r = 0; r < 3; r++) {
            float c = 0, p = in[3 * v + r];
            for (int i = 0; i < n; i++)
                c += in[3 * nb[i] + r];
            out[3 * v + r] = n ? p + step * (c * (1.0f / (float)n) - p) : p;
        }
    }
}

TEST(a_smoothing_pass_moves_each_vertex_towards_its_distinct_neighbours)
{
    /* enough gadgets for several blocks of vertices on every thread */
    size_t ng = 2000;
    pm_mesh *m = pm_mesh_new(NV * ng, NF * ng);
    float *want = malloc(3 * NV * ng * sizeof *want), *mid = malloc(3 * NV * sizeof *mid);
    CHECK(m && want && mid, "out of memory");
    uint32_t seed = 7;
    for (size_t g = 0; g < ng; g++)
        gadget(m, g, &seed);
    /* the gadgets share no vertex: each one is smoothed on its own */
    for (size_t g = 0; g < ng; g++) {
        uint32_t f[3 * NF];
        for (int i = 0; i < 3 * NF; i++)
            f[i] = m->f[3 * NF * g + (size_t)i] - (uint32_t)(NV * g);
        pm_mesh one = {m->v + 3 * NV * g, f, NV, NF};
        step_by_definition(&one, one.v, mid, 0.6f);
        step_by_definition(&one, mid, want + 3 * NV * g, -0.65f);
    }
    CHECK(want[0] != m->v[0] && want[3 * 14] == m->v[3 * 14], "the definition moved no hub, or the lone vertex");
    for (int threads = 1; threads <= 3; threads += 2) {
        pm_mesh *c = pm_mesh_clone(m);
        CHECK(c, "out of memory");
        pm_threads_set(threads);
        int rc = pm_mesh_smooth(c, 1, 0.6, -0.65, NULL);
        pm_threads_set(0);
        CHECK(rc == PM_OK, "%s", pm_error());
        for (size_t i = 0; i < 3 * c->nv; i++)
            CHECK(!memcmp(&c->v[i], &want[i], sizeof(float)), "%d threads: vertex %zu axis %zu at %.9g, %.9g by definition",
                  threads, i / 3, i % 3, c->v[i], want[i]);
        pm_mesh_free(c);
    }
    free(want);
    free(mid);
    pm_mesh_free(m);
}

int main(void)
{
    RUN(a_smoothing_pass_moves_each_vertex_towards_its_distinct_neighbours);
    return test_done();
}
