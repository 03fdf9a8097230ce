/* mc_table.c - the marching-cubes case table, derived rather than typed in.
 *
 * For each of the 256 inside/outside patterns of a cube's corners, every
 * face is walked counter-clockwise (seen from outside the cube). Each
 * crossed edge is an "entry" (outside -> inside) or an "exit". The surface
 * meets the face in segments running entry -> exit: with two crossings
 * there is one way to pair them; with four (an ambiguous face, inside
 * corners diagonal) an entry pairs with the next exit to keep the inside
 * corners apart, or with the previous exit to join them. Every crossed
 * edge lies on two faces and is an entry on one and an exit on the other,
 * so the segments chain into closed polygons, wound with the normal from
 * inside to outside.
 *
 * Why this closes the surface: a face's segments depend on that face only,
 * and the neighbouring cube walks the shared face the other way round, so
 * it gets the same segments reversed. Every polygon edge on a face is thus
 * shared by exactly two polygons with opposite directions.
 *
 * Triangulation: a fan from a vertex whose diagonals never join two
 * vertices of one cube face (such a diagonal could coincide with an edge of
 * the neighbouring cube's polygon and make a non-manifold edge); polygons
 * without such a vertex are fanned around an added centroid vertex.
 */
#include "mesh_internal.h"

#include <pthread.h>
#include <string.h>

static pm__mc_case pm__table[256];
static uint8_t pm__ambig[256];
static pthread_once_t pm__once = PTHREAD_ONCE_INIT;

void pm__mc_face_corners(int f, int out[4])
{
    int a = f >> 1, s = f & 1, u = (a + 1) % 3, v = (a + 2) % 3;
    /* e_u x e_v = e_a, so (0,0),(1,0),(1,1),(0,1) in (u,v) is
     * counter-clockwise about +a; the min face is walked the other way. */
    static const int cw[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    static const int ccw[4][2] = {{0, 0}, {0, 1}, {1, 1}, {1, 0}};
    for (int w = 0; w < 4; w++) {
        const int *uv = s ? cw[w] : ccw[w];
        out[w] = (s << a) | (uv[0] << u) | (uv[1] << v);
    }
}

static int pm__edge_of(int c0, int c1)
{
    int d = c0 ^ c1, a = d == 1 ? 0 : d == 2 ? 1 : 2;
    int base = c0 & c1, u = (a + 1) % 3, v = (a + 2) % 3;
    return 4 * a + ((base >> u) & 1) + 2 * ((base >> v) & 1);
}

/* Bit mask of the two cube faces holding edge e. */
static int pm__edge_faces(int e)
{
    int a = e >> 2, bu = e & 1, bv = (e >> 1) & 1;
    int u = (a + 1) % 3, v = (a + 2) % 3;
    return (1 << (2 * u + bu)) | (1 << (2 * v + bv));
}

uint8_t pm__mc_ambiguous(int c)
{
    uint8_t m = 0;
    for (int f = 0; f < 6; f++) {
        int q[4];
        pm__mc_face_corners(f, q);
        int b0 = (c >> q[0]) & 1, b1 = (c >> q[1]) & 1, b2 = (c >> q[2]) & 1, b3 = (c >> q[3]) & 1;
        if (b0 == b2 && b1 == b3 && b0 != b1)
            m |= (uint8_t)(1 << f);
    }
    return m;
}

void pm__mc_build(int c, int join, pm__mc_case *out)
{
    int next[12];
    for (int e = 0; e < 12; e++)
        next[e] = -1;
    for (int f = 0; f < 6; f++) {
        int q[4], edge[4], entry[4], n = 0;
        pm__mc_face_corners(f, q);
        for (int w = 0; w < 4; w++) {
            int in0 = (c >> q[w]) & 1, in1 = (c >> q[(w + 1) & 3]) & 1;
            if (in0 != in1) {
                edge[n] = pm__edge_of(q[w], q[(w + 1) & 3]);
                entry[n++] = !in0;
            }
        }
        for (int p = 0; p < n; p++) {
            if (!entry[p])
                continue;
            int step = (n == 4 && (join >> f) & 1) ? n - 1 : 1;
            next[edge[p]] = edge[(p + step) % n];
        }
    }
    memset(out, 0, sizeof *out);
    int seen = 0, used = 0;
    for (int e0 = 0; e0 < 12; e0++) {
        if (next[e0] < 0 || (seen >> e0) & 1)
            continue;
        int cyc[12], n = 0;
        for (int e = e0; !((seen >> e) & 1); e = next[e]) {
            seen |= 1 << e;
            cyc[n++] = e;
        }
        int start = -1;
        for (int s = 0; s < n && start < 0; s++) {
            int ok = 1;
            for (int k = 2; k <= n - 2 && ok; k++)
                ok = !(pm__edge_faces(cyc[s]) & pm__edge_faces(cyc[(s + k) % n]));
            if (ok)
                start = s;
        }
        int p = out->npoly++;
        out->len[p] = (uint8_t)n;
        out->center[p] = start < 0;
        if (start < 0)
            start = 0;
        for (int k = 0; k < n; k++)
            out->edge[used++] = (uint8_t)cyc[(start + k) % n];
    }
}

static void pm__init(void)
{
    for (int c = 0; c < 256; c++) {
        pm__mc_build(c, 0, &pm__table[c]);
        pm__ambig[c] = pm__mc_ambiguous(c);
    }
}

const pm__mc_case *pm__mc_table(void)
{
    pthread_once(&pm__once, pm__init);
    return pm__table;
}

const uint8_t *pm__mc_ambig_table(void)
{
    pthread_once(&pm__once, pm__init);
    return pm__ambig;
}
