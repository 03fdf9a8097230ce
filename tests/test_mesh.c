/* test_mesh.c - surfaces: closure, true sizes, smoothing, decimation,
 * writers and the STL reader. */
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"
#include "test.h"

#include <math.h>
#include <stdint.h>

/* A mask on grid g holding the voxels whose centres lie inside the
 * ellipsoid with semi-axes r (mm) around the grid centre. */
static pm_mask *ellipsoid(const pm_grid *g, const double r[3])
{
    pm_mask *m = pm_mask_new(g);
    if (!m)
        return NULL;
    for (int k = 0; k < g->dim[2]; k++)
        for (int j = 0; j < g->dim[1]; j++)
            for (int i = 0; i < g->dim[0]; i++) {
                double d[3] = {(i - (g->dim[0] - 1) / 2.0) * g->spacing[0],
                               (j - (g->dim[1] - 1) / 2.0) * g->spacing[1],
                               (k - (g->dim[2] - 1) / 2.0) * g->spacing[2]};
                double s = 0;
                for (int a = 0; a < 3; a++)
                    s += d[a] * d[a] / (r[a] * r[a]);
                m->v[i + (size_t)g->dim[0] * (j + (size_t)g->dim[1] * k)] = s <= 1.0;
            }
    return m;
}

static pm_mesh *ball_mesh(double r, double step)
{
    pm_grid g;
    int n = (int)(2 * r / step) + 6;
    pm_grid_init(&g, n, n, n, step, step, step);
    double rr[3] = {r, r, r};
    pm_mask *m = ellipsoid(&g, rr);
    pm_mesh *me = NULL;
    int rc = m ? pm_mesh_from_mask(m, 0, &me, NULL) : -1;
    pm_mask_free(m);
    return rc == PM_OK ? me : NULL;
}

static double rel(double a, double b)
{
    return fabs(a - b) / fabs(b);
}

TEST(ball_mask_gives_closed_sphere_of_true_volume)
{
    double r = 20;
    pm_mesh *me = ball_mesh(r, 1.0);
    CHECK(me && me->nf > 1000, "no mesh");
    pm_mesh_stats s;
    CHECK(pm_mesh_measure(me, &s) == PM_OK, "%s", pm_error());
    double want = 4.0 / 3.0 * M_PI * r * r * r;
    CHECK(s.watertight && s.oriented, "open %zu nonmanifold %zu oriented %d", s.open_edges,
          s.nonmanifold_edges, s.oriented);
    CHECK(s.euler == 2, "Euler characteristic %lld", s.euler);
    CHECK(rel(s.volume_mm3, want) < 0.02, "volume %.1f, sphere %.1f", s.volume_mm3, want);
    for (int a = 0; a < 3; a++)
        CHECK(fabs(s.max[a] - s.min[a] - 2 * r) < 1.5, "extent %d is %.2f mm", a, s.max[a] - s.min[a]);
    pm_mesh_free(me);
}

static int admesh_field(const char *out, const char *name, double *v)
{
    const char *p = strstr(out, name);
    if (!p || !(p = strchr(p, ':')))
        return -1;
    return sscanf(p + 1, "%lf", v) == 1 ? 0 : -1;
}

TEST(admesh_finds_nothing_to_fix_and_the_same_volume)
{
    pm_mesh *me = ball_mesh(15, 1.0);
    CHECK(me, "no mesh");
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/ball.stl", test_tmpdir());
    CHECK(pm_mesh_write(me, path, PM_MESH_STL) == PM_OK, "%s", pm_error());
    snprintf(cmd, sizeof cmd, "admesh '%s' > '%s.txt' 2>&1", path, path);
    CHECK(test_sh(cmd) == 0, "admesh failed to run");
    char txt[600], out[8192] = {0};
    snprintf(txt, sizeof txt, "%s.txt", path);
    FILE *f = fopen(txt, "r");
    CHECK(f, "no admesh output");
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    out[n] = '\0';
    double degenerate = -1, fixed = -1, vol = -1, reversed = -1, backwards = -1;
    CHECK(admesh_field(out, "Degenerate facets", &degenerate) == 0, "no degenerate count in admesh output");
    CHECK(admesh_field(out, "Edges fixed", &fixed) == 0, "no edges-fixed count");
    CHECK(admesh_field(out, "Volume", &vol) == 0, "no volume");
    CHECK(admesh_field(out, "Facets reversed", &reversed) == 0, "no reversed count");
    CHECK(admesh_field(out, "Backwards edges", &backwards) == 0, "no backwards count");
    CHECK(degenerate == 0 && fixed == 0, "admesh: %g degenerate facets, %g edges fixed", degenerate, fixed);
    CHECK(reversed == 0 && backwards == 0, "admesh: %g facets reversed, %g backwards edges", reversed, backwards);
    double ours = pm_mesh_volume(me);
    CHECK(rel(vol, ours) < 0.005, "admesh volume %.1f, ours %.1f", vol, ours);
    pm_mesh_free(me);
}

TEST(taubin_smoothing_keeps_volume_within_1_percent)
{
    pm_mesh *me = ball_mesh(20, 1.0);
    CHECK(me, "no mesh");
    double v0 = pm_mesh_volume(me), a0 = pm_mesh_area(me);
    CHECK(pm_mesh_smooth(me, 20, 0, 0, NULL) == PM_OK, "%s", pm_error());
    double v1 = pm_mesh_volume(me), a1 = pm_mesh_area(me);
    CHECK(rel(v1, v0) < 0.01, "volume %.1f -> %.1f", v0, v1);
    /* the staircase is gone: area moves towards the sphere's 4 pi r^2 */
    CHECK(a1 < a0 && rel(a1, 4 * M_PI * 400) < rel(a0, 4 * M_PI * 400), "area %.1f -> %.1f", a0, a1);
    pm_mesh_stats s;
    pm_mesh_measure(me, &s);
    CHECK(s.watertight && s.euler == 2, "smoothing changed the topology");
    CHECK(pm_mesh_smooth(me, 1, 0.5, -0.2, NULL) == PM_EUSAGE, "accepted mu > -lambda");
    pm_mesh_free(me);
}

/* The mesh view smooths on from a surface it smoothed before (T after t):
 * that must be the surface smoothed in one go, bit for bit. */
TEST(smoothing_in_two_goes_is_smoothing_in_one)
{
    pm_mesh *once = ball_mesh(12, 1.0), *twice = ball_mesh(12, 1.0);
    CHECK(once && twice, "no mesh");
    CHECK(pm_mesh_smooth(once, 15, 0, 0, NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_mesh_smooth(twice, 10, 0, 0, NULL) == PM_OK && pm_mesh_smooth(twice, 5, 0, 0, NULL) == PM_OK,
          "%s", pm_error());
    CHECK(once->nv == twice->nv && !memcmp(once->v, twice->v, 3 * once->nv * sizeof(float)),
          "10 then 5 passes differ from 15");
    pm_mesh_smooth(twice, 1, 0, 0, NULL);
    CHECK(memcmp(once->v, twice->v, 3 * once->nv * sizeof(float)), "a 16th pass changed nothing");
    pm_mesh_free(once);
    pm_mesh_free(twice);
}

TEST(decimation_to_10_percent_stays_closed_and_keeps_volume)
{
    pm_mesh *me = ball_mesh(20, 1.0);
    CHECK(me, "no mesh");
    pm_mesh_smooth(me, 10, 0, 0, NULL);
    double v0 = pm_mesh_volume(me);
    size_t nf0 = me->nf, target = nf0 / 10;
    pm_mesh *full = pm_mesh_clone(me);
    CHECK(pm_mesh_decimate(me, target, NULL) == PM_OK, "%s", pm_error());
    CHECK(full && full->nf == nf0 && pm_mesh_volume(full) == v0, "the clone changed with the original");
    pm_mesh_free(full);
    CHECK(me->nf <= target && me->nf > target - 10, "%zu triangles for a target of %zu", me->nf, target);
    pm_mesh_stats s;
    pm_mesh_measure(me, &s);
    CHECK(s.watertight && s.oriented && s.euler == 2, "open %zu nonmanifold %zu euler %lld", s.open_edges,
          s.nonmanifold_edges, s.euler);
    CHECK(rel(s.volume_mm3, v0) < 0.02, "volume %.1f -> %.1f", v0, s.volume_mm3);
    for (size_t i = 0; i < 3 * me->nf; i++)
        CHECK(me->f[i] < me->nv, "index out of range");
    pm_mesh_free(me);
}

/* A noisy HU surface like a CT body at -300 HU: a rough ball and thousands
 * of one-voxel specks around it, whose tiny closed surfaces can never
 * collapse yet cost nothing (they once made each pass collapse one edge). */
TEST(refine_is_smoothing_then_decimation_and_keeps_the_smoothed_copy)
{
    pm_mesh *a = ball_mesh(12, 1.0), *b = ball_mesh(12, 1.0), *c = ball_mesh(12, 1.0), *mid = NULL;
    CHECK(a && b && c, "no mesh");
    size_t target = a->nf / 5;
    pm_mesh_smooth(a, 4, 0, 0, NULL);
    pm_mesh_decimate(a, target, NULL);
    double secs[2] = {-1, -1};
    CHECK(pm_mesh_refine(b, 4, 0.9, target, &mid, secs, NULL) == PM_OK, "%s", pm_error());
    CHECK(b->nf == a->nf && b->nv == a->nv && !memcmp(b->v, a->v, 3 * a->nv * sizeof(float)) &&
          !memcmp(b->f, a->f, 3 * a->nf * sizeof(uint32_t)), "refine differs from smooth then decimate");
    CHECK(mid && mid->nf == c->nf && secs[0] >= 0 && secs[1] >= 0, "no smoothed copy or times");
    /* A ratio is used only without a target; 1 and 0 leave the count. */
    size_t nf = c->nf;
    CHECK(pm_mesh_refine(c, 0, 1, 0, NULL, NULL, NULL) == PM_OK && c->nf == nf, "ratio 1 decimated");
    CHECK(pm_mesh_refine(c, 0, 0.5, 0, NULL, NULL, NULL) == PM_OK && c->nf <= (nf + 1) / 2 && c->nf > nf / 2 - 10,
          "ratio 0.5 gave %zu of %zu", c->nf, nf);
    pm_mesh_free(a);
    pm_mesh_free(b);
    pm_mesh_free(c);
    pm_mesh_free(mid);
}

TEST(large_noisy_iso_surface_decimates_to_the_requested_count)
{
    pm_grid g;
    int n = 150;
    pm_grid_init(&g, n, n, n, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    CHECK(v, "%s", pm_error());
    uint32_t seed = 12345;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) {
                seed = seed * 1664525u + 1013904223u;
                int noise = (int)(seed >> 24) - 128;
                double d = sqrt((i - 74.5) * (i - 74.5) + (j - 74.5) * (j - 74.5) + (k - 74.5) * (k - 74.5));
                int hu = d < 55 ? 40 + 2 * noise : -1000 + noise;
                if (d > 62 && (seed >> 8 & 1023) == 0)
                    hu = 100;
                v->hu[i + (size_t)n * (j + (size_t)n * k)] = (int16_t)hu;
            }
    pm_mesh *me = NULL;
    CHECK(pm_mesh_from_volume(v, -300, &me, NULL) == PM_OK, "%s", pm_error());
    pm_volume_free(v);
    double v0 = pm_mesh_volume(me);
    size_t target = me->nf / 8;
    CHECK(me->nf > 100000, "only %zu triangles", me->nf);
    CHECK(pm_mesh_decimate(me, target, NULL) == PM_OK, "%s", pm_error());
    CHECK(me->nf <= target && me->nf + 2 >= target, "%zu triangles for a target of %zu", me->nf, target);
    pm_mesh_stats s;
    CHECK(pm_mesh_measure(me, &s) == PM_OK, "%s", pm_error());
    CHECK(s.watertight && s.oriented, "open %zu nonmanifold %zu oriented %d", s.open_edges, s.nonmanifold_edges,
          s.oriented);
    CHECK(rel(s.volume_mm3, v0) < 0.01, "volume %.0f -> %.0f mm3", v0, s.volume_mm3);
    pm_mesh_free(me);
}

TEST(anisotropic_oblique_grid_gives_true_sizes)
{
    /* a 28 x 35 x 50 mm box of voxels on 0.7 x 0.7 x 2.5 mm voxels */
    pm_grid g;
    pm_grid_init(&g, 60, 70, 30, 0.7, 0.7, 2.5);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m, "no mask");
    for (int k = 5; k < 25; k++)
        for (int j = 10; j < 60; j++)
            for (int i = 10; i < 50; i++)
                m->v[i + 60 * (j + 70 * k)] = 3;
    pm_mesh *me;
    CHECK(pm_mesh_from_mask(m, 3, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_stats s;
    pm_mesh_measure(me, &s);
    double want[3] = {40 * 0.7, 50 * 0.7, 20 * 2.5};
    for (int a = 0; a < 3; a++)
        CHECK(fabs(s.max[a] - s.min[a] - want[a]) < 1e-3, "extent %d: %.4f mm, want %.4f", a,
              s.max[a] - s.min[a], want[a]);
    CHECK(s.watertight, "box not closed");
    /* the corners are cut by the surface; the volume stays within a few % */
    CHECK(rel(s.volume_mm3, want[0] * want[1] * want[2]) < 0.06, "box volume %.0f", s.volume_mm3);
    pm_mesh_free(me);
    /* the same box on axes mirrored and rotated (a left-handed grid, as
     * some scanners produce): volume positive and equal, min corner moved */
    g.dir[0] = 0; g.dir[1] = 1; g.dir[2] = 0;
    g.dir[3] = 1; g.dir[4] = 0; g.dir[5] = 0;
    g.dir[6] = 0; g.dir[7] = 0; g.dir[8] = -1;
    g.origin[0] = 10; g.origin[1] = -20; g.origin[2] = 300;
    m->g = g;
    CHECK(pm_mesh_from_mask(m, 3, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_stats s2;
    pm_mesh_measure(me, &s2);
    CHECK(rel(s2.volume_mm3, s.volume_mm3) < 1e-6, "mirrored grid volume %.1f vs %.1f", s2.volume_mm3,
          s.volume_mm3);
    CHECK(fabs(s2.max[0] - s2.min[0] - want[1]) < 1e-3 && fabs(s2.max[1] - s2.min[1] - want[0]) < 1e-3,
          "axes not swapped in LPS");
    double p[3];
    pm_grid_to_lps(&g, 9.5, 9.5, 24.5, p); /* the box corner: half a voxel out */
    CHECK(fabs(s2.min[0] - p[0]) < 1e-3 && fabs(s2.min[1] - p[1]) < 1e-3 && fabs(s2.min[2] - p[2]) < 1e-3,
          "corner at %.2f %.2f %.2f, grid says %.2f %.2f %.2f", s2.min[0], s2.min[1], s2.min[2], p[0], p[1], p[2]);
    double r[3] = {12, 15, 30};
    pm_mask_free(m);
    pm_grid_init(&g, 50, 60, 30, 0.7, 0.7, 2.5);
    m = ellipsoid(&g, r);
    pm_mesh_free(me);
    CHECK(pm_mesh_from_mask(m, 0, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_measure(me, &s);
    CHECK(rel(s.volume_mm3, 4.0 / 3.0 * M_PI * r[0] * r[1] * r[2]) < 0.02, "ellipsoid volume %.0f",
          s.volume_mm3);
    pm_mesh_free(me);
    pm_mask_free(m);
}

TEST(mask_touching_every_border_is_closed)
{
    pm_grid g;
    pm_grid_init(&g, 7, 5, 4, 1, 2, 3);
    pm_mask *m = pm_mask_new(&g);
    memset(m->v, 1, pm_grid_voxels(&g));
    pm_mesh *me;
    CHECK(pm_mesh_from_mask(m, 0, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_stats s;
    pm_mesh_measure(me, &s);
    CHECK(s.watertight && s.euler == 2, "open %zu euler %lld", s.open_edges, s.euler);
    CHECK(fabs(s.max[0] - s.min[0] - 7) < 1e-4 && fabs(s.max[2] - s.min[2] - 12) < 1e-4, "extent");
    pm_mesh_free(me);
    memset(m->v, 0, pm_grid_voxels(&g));
    CHECK(pm_mesh_from_mask(m, 0, &me, NULL) == PM_OK && me->nf == 0, "empty mask gave triangles");
    pm_mesh_free(me);
    pm_mask_free(m);
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

TEST(random_masks_and_volumes_give_closed_oriented_surfaces)
{
    /* noise exercises every cube case, the ambiguous faces included */
    pm_grid g;
    pm_grid_init(&g, 23, 19, 17, 0.8, 0.9, 1.7);
    pm_mask *m = pm_mask_new(&g);
    pm_volume *v = pm_volume_new(&g);
    uint32_t seed = 12345;
    for (int trial = 0; trial < 4; trial++) {
        for (size_t i = 0; i < pm_grid_voxels(&g); i++) {
            m->v[i] = (uint8_t)(rnd(&seed) % 3);
            v->hu[i] = (int16_t)((int)(rnd(&seed) % 2001) - 1000);
        }
        pm_mesh *a, *b;
        CHECK(pm_mesh_from_mask(m, trial % 2 ? 2 : 0, &a, NULL) == PM_OK, "%s", pm_error());
        CHECK(pm_mesh_from_volume(v, trial * 100 - 150, &b, NULL) == PM_OK, "%s", pm_error());
        pm_mesh_stats sa, sb;
        pm_mesh_measure(a, &sa);
        pm_mesh_measure(b, &sb);
        CHECK(sa.watertight && sa.oriented, "mask trial %d: open %zu nonmanifold %zu", trial, sa.open_edges,
              sa.nonmanifold_edges);
        CHECK(sb.watertight && sb.oriented, "HU trial %d: open %zu nonmanifold %zu", trial, sb.open_edges,
              sb.nonmanifold_edges);
        CHECK(sa.volume_mm3 > 0 && sb.volume_mm3 > 0, "negative volume");
        if (trial == 0) { /* values are 0..2: the range 1..2 is every non-zero voxel */
            pm_mesh *c;
            CHECK(pm_mesh_from_mask_range(m, 1, 2, &c, NULL) == PM_OK, "%s", pm_error());
            CHECK(c->nf == a->nf && !memcmp(c->f, a->f, 12 * a->nf), "range 1..2 differs from all non-zero");
            pm_mesh_free(c);
            CHECK(pm_mesh_from_mask_range(m, 2, 1, &c, NULL) == PM_EUSAGE, "accepted an empty range");
        }
        pm_mesh_free(a);
        pm_mesh_free(b);
    }
    pm_mask_free(m);
    pm_volume_free(v);
}

TEST(hu_level_surface_of_a_dense_ball)
{
    pm_grid g;
    pm_grid_init(&g, 48, 48, 40, 0.8, 0.8, 1.25);
    pm_volume *v = pm_volume_new(&g);
    double r = 14;
    for (int k = 0; k < 40; k++)
        for (int j = 0; j < 48; j++)
            for (int i = 0; i < 48; i++) {
                double d = sqrt(pow((i - 23.5) * 0.8, 2) + pow((j - 23.5) * 0.8, 2) + pow((k - 19.5) * 1.25, 2));
                /* a soft edge of about 2 mm from -1000 to +1000 HU */
                v->hu[i + 48 * (j + 48 * k)] = (int16_t)lround(-1000 * tanh((d - r) / 2.0));
            }
    pm_mesh *me;
    CHECK(pm_mesh_from_volume(v, 0, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_stats s;
    pm_mesh_measure(me, &s);
    CHECK(s.watertight && s.euler == 2, "open %zu euler %lld", s.open_edges, s.euler);
    /* interpolation puts the surface on the 0 HU sphere, not on voxels */
    CHECK(rel(s.volume_mm3, 4.0 / 3.0 * M_PI * r * r * r) < 0.01, "volume %.0f", s.volume_mm3);
    pm_mesh_free(me);
    pm_volume_free(v);
}

TEST(surface_does_not_depend_on_thread_count)
{
    pm_grid g;
    pm_grid_init(&g, 40, 40, 60, 1, 1, 1);
    pm_mask *m = pm_mask_new(&g);
    uint32_t seed = 99; /* noise: many cubes fanned around added centroids */
    for (size_t i = 0; i < pm_grid_voxels(&g); i++)
        m->v[i] = rnd(&seed) % 2;
    pm_mesh *a, *b;
    pm_threads_set(1);
    CHECK(pm_mesh_from_mask(m, 0, &a, NULL) == PM_OK, "%s", pm_error());
    pm_threads_set(2);
    CHECK(pm_mesh_from_mask(m, 0, &b, NULL) == PM_OK, "%s", pm_error());
    pm_threads_set(0);
    CHECK(a->nv == b->nv && a->nf == b->nf, "%zu/%zu vs %zu/%zu", a->nv, a->nf, b->nv, b->nf);
    CHECK(!memcmp(a->v, b->v, 12 * a->nv) && !memcmp(a->f, b->f, 12 * a->nf), "different meshes");
    pm_mesh_free(a);
    pm_mesh_free(b);
    pm_mask_free(m);
}

/* The decimation's slabs, quadric ranges and orderings are cut the same
 * whatever the thread count: one, two or three threads, the same bytes. */
TEST(decimation_does_not_depend_on_thread_count)
{
    pm_mesh *m[3];
    for (int t = 0; t < 3; t++) {
        m[t] = ball_mesh(14, 1.0);
        CHECK(m[t], "no mesh");
        pm_threads_set(t + 1);
        CHECK(pm_mesh_smooth(m[t], 5, 0, 0, NULL) == PM_OK && pm_mesh_decimate(m[t], m[t]->nf / 8, NULL) == PM_OK,
              "%s", pm_error());
    }
    pm_threads_set(0);
    for (int t = 1; t < 3; t++)
        CHECK(m[t]->nv == m[0]->nv && m[t]->nf == m[0]->nf && !memcmp(m[t]->v, m[0]->v, 12 * m[0]->nv) &&
              !memcmp(m[t]->f, m[0]->f, 12 * m[0]->nf), "%d threads: a different mesh", t + 1);
    for (int t = 0; t < 3; t++)
        pm_mesh_free(m[t]);
}

static void same_triangles(const pm_mesh *a, const pm_mesh *b)
{
    CHECK(a->nf == b->nf && a->nv == b->nv, "read %zu/%zu, wrote %zu/%zu", b->nv, b->nf, a->nv, a->nf);
    for (size_t t = 0; t < a->nf; t++)
        for (int q = 0; q < 3; q++)
            for (int r = 0; r < 3; r++)
                CHECK(a->v[3 * a->f[3 * t + q] + r] == b->v[3 * b->f[3 * t + q] + r], "triangle %zu differs", t);
}

TEST(stl_reads_back_what_was_written)
{
    pm_mesh *me = ball_mesh(8, 0.7);
    CHECK(me, "no mesh");
    pm_mesh_smooth(me, 3, 0, 0, NULL); /* arbitrary floats, not grid values */
    char path[512];
    for (int fmt = PM_MESH_STL; fmt <= PM_MESH_STL_ASCII; fmt++) {
        snprintf(path, sizeof path, "%s/rt%d.stl", test_tmpdir(), fmt);
        CHECK(pm_mesh_write(me, path, fmt) == PM_OK, "%s", pm_error());
        pm_mesh *back;
        CHECK(pm_mesh_read_stl(path, &back) == PM_OK, "%s", pm_error());
        same_triangles(me, back);
        pm_mesh_free(back);
    }
    pm_mesh_free(me);
}

static void put(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

TEST(malformed_stl_files_are_refused_cleanly)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bad.stl", test_tmpdir());
    pm_mesh *m;
    put(path, "", 0);
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "empty file");
    unsigned char bin[84 + 50] = {0};
    bin[80] = 1; /* one triangle, all zero: degenerate */
    put(path, bin, sizeof bin);
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "degenerate-only file");
    bin[80] = 2; /* says two, holds one */
    put(path, bin, sizeof bin);
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "truncated binary");
    bin[80] = 0xff; bin[81] = 0xff; bin[82] = 0xff; bin[83] = 0xff;
    put(path, bin, sizeof bin);
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "huge count");
    float nanf_ = NAN;
    memset(bin, 0, sizeof bin);
    bin[80] = 1;
    memcpy(bin + 84 + 12, &nanf_, 4);
    put(path, bin, sizeof bin);
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "NaN coordinate");
    const char *t1 = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\nendfacet\n";
    put(path, t1, strlen(t1));
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "two vertices");
    const char *t2 = "solid x\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 inf\n";
    put(path, t2, strlen(t2));
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "infinite coordinate");
    const char *t3 = "solid x\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0x\n";
    put(path, t3, strlen(t3));
    CHECK(pm_mesh_read_stl(path, &m) == PM_ECORRUPT, "junk number");
    const char *t4 = "solid x\n facet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex 0 1 0\n"
                     " endloop\n endfacet\nendsolid x\n";
    put(path, t4, strlen(t4));
    CHECK(pm_mesh_read_stl(path, &m) == PM_OK && m->nf == 1 && m->nv == 3, "valid one-triangle ASCII");
    pm_mesh_free(m);
    CHECK(pm_mesh_read_stl("/nonexistent/x.stl", &m) == PM_ENODATA, "missing file");
    CHECK(strstr(pm_error(), "/nonexistent/x.stl"), "reason does not name the file");
}

TEST(mutated_stl_files_never_crash_the_reader)
{
    /* a small fuzz run: bit flips, byte runs and truncations of valid binary
     * and ASCII files; any status is fine, a crash or a leak is not (ASan) */
    pm_mesh *me = ball_mesh(3, 1.0);
    CHECK(me, "no mesh");
    char src[512], dst[512];
    uint32_t seed = 7;
    for (int fmt = PM_MESH_STL; fmt <= PM_MESH_STL_ASCII; fmt++) {
        snprintf(src, sizeof src, "%s/fz%d.stl", test_tmpdir(), fmt);
        snprintf(dst, sizeof dst, "%s/fz%d-mut.stl", test_tmpdir(), fmt);
        CHECK(pm_mesh_write(me, src, fmt) == PM_OK, "%s", pm_error());
        FILE *f = fopen(src, "rb");
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        unsigned char *buf = malloc((size_t)n), *mut = malloc((size_t)n);
        CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n, "short read");
        fclose(f);
        int ok = 0;
        for (int it = 0; it < 300; it++) {
            memcpy(mut, buf, (size_t)n);
            long len = n;
            int kind = (int)(rnd(&seed) % 4);
            for (int k = 0; k < 1 + (int)(rnd(&seed) % 8); k++) {
                long at = (long)(rnd(&seed) % (uint32_t)n);
                if (kind == 0)
                    mut[at] ^= (unsigned char)(1u << (rnd(&seed) % 8));
                else if (kind == 1)
                    mut[at] = (unsigned char)rnd(&seed);
                else if (kind == 2)
                    memset(mut + at, rnd(&seed) % 2 ? 0xff : '9', (size_t)(n - at < 16 ? n - at : 16));
            }
            if (kind == 3)
                len = (long)(rnd(&seed) % (uint32_t)n);
            put(dst, mut, (size_t)len);
            pm_mesh *r = NULL;
            int rc = pm_mesh_read_stl(dst, &r);
            if (rc == PM_OK) {
                ok++;
                for (size_t i = 0; i < 3 * r->nf; i++)
                    CHECK(r->f[i] < r->nv, "index out of range after a mutation");
                pm_mesh_free(r);
            } else {
                CHECK(rc == PM_ECORRUPT, "status %d: %s", rc, pm_error());
            }
        }
        CHECK(ok > 0 && ok < 300, "all or none of the mutations read (%d)", ok);
        free(buf);
        free(mut);
    }
    pm_mesh_free(me);
}

TEST(write_errors_are_reported_and_leave_no_file)
{
    pm_mesh *me = ball_mesh(10, 1.0);
    CHECK(me, "no mesh");
    FILE *full = fopen("/dev/full", "wb");
    CHECK(full, "no /dev/full");
    for (int fmt = PM_MESH_STL; fmt <= PM_MESH_PLY_ASCII; fmt++) {
        clearerr(full);
        CHECK(pm_mesh_write_fp(me, full, fmt, "/dev/full") == PM_EWRITE, "format %d: full disk not seen", fmt);
    }
    fclose(full);
    CHECK(pm_mesh_write(me, "/nonexistent-dir/x.stl", PM_MESH_STL) == PM_EWRITE, "missing folder");
    pm_mesh_free(me);
}

TEST(obj_and_ply_hold_the_mesh)
{
    pm_mesh *me = ball_mesh(6, 1.0);
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/m.obj", test_tmpdir());
    CHECK(pm_mesh_format_for(path, 0) == PM_MESH_OBJ && pm_mesh_format_for("a.PLY", 1) == PM_MESH_PLY_ASCII
          && pm_mesh_format_for("a.stl.txt", 0) < 0, "format from name");
    CHECK(pm_mesh_write(me, path, PM_MESH_OBJ) == PM_OK, "%s", pm_error());
    FILE *f = fopen(path, "r");
    size_t nv = 0, nf = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned a, b, c;
        nv += line[0] == 'v';
        if (sscanf(line, "f %u %u %u", &a, &b, &c) == 3) {
            CHECK(a >= 1 && a <= me->nv && b >= 1 && c >= 1, "bad OBJ index");
            nf++;
        }
    }
    fclose(f);
    CHECK(nv == me->nv && nf == me->nf, "OBJ holds %zu/%zu", nv, nf);
    snprintf(path, sizeof path, "%s/m.ply", test_tmpdir());
    CHECK(pm_mesh_write(me, path, PM_MESH_PLY) == PM_OK, "%s", pm_error());
    f = fopen(path, "rb");
    size_t hv = 0, hf = 0;
    long body = 0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "element vertex %zu", &hv);
        sscanf(line, "element face %zu", &hf);
        if (!strcmp(line, "end_header\n")) {
            body = ftell(f);
            break;
        }
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    CHECK(hv == me->nv && hf == me->nf, "PLY header %zu/%zu", hv, hf);
    CHECK(size - body == (long)(12 * me->nv + 13 * me->nf), "PLY body %ld bytes", size - body);
    pm_mesh_free(me);
}

TEST(lidc_lung_mask_mesh_is_watertight)
{
    pm_mask *m;
    CHECK(pm_nifti_read_mask(test_data("reference/LIDC-IDRI-0001.seed-fill.nii.gz"), &m) == PM_OK, "%s",
          pm_error());
    size_t n = 0;
    for (size_t i = 0; i < pm_grid_voxels(&m->g); i++)
        n += m->v[i] != 0;
    pm_mesh *me;
    CHECK(pm_mesh_from_mask(m, 0, &me, NULL) == PM_OK, "%s", pm_error());
    pm_mesh_stats s;
    CHECK(pm_mesh_measure(me, &s) == PM_OK, "%s", pm_error());
    CHECK(s.watertight && s.oriented, "open %zu nonmanifold %zu", s.open_edges, s.nonmanifold_edges);
    double voxels = n * pm_grid_voxel_mm3(&m->g);
    CHECK(rel(s.volume_mm3, voxels) < 0.01, "mesh %.0f mL, voxels %.0f mL", s.volume_mm3 / 1000, voxels / 1000);
    pm_mesh_free(me);
    pm_mask_free(m);
}

int main(void)
{
    RUN(ball_mask_gives_closed_sphere_of_true_volume);
    RUN(admesh_finds_nothing_to_fix_and_the_same_volume);
    RUN(taubin_smoothing_keeps_volume_within_1_percent);
    RUN(smoothing_in_two_goes_is_smoothing_in_one);
    RUN(decimation_to_10_percent_stays_closed_and_keeps_volume);
    RUN(refine_is_smoothing_then_decimation_and_keeps_the_smoothed_copy);
    RUN(large_noisy_iso_surface_decimates_to_the_requested_count);
    RUN(anisotropic_oblique_grid_gives_true_sizes);
    RUN(mask_touching_every_border_is_closed);
    RUN(random_masks_and_volumes_give_closed_oriented_surfaces);
    RUN(hu_level_surface_of_a_dense_ball);
    RUN(surface_does_not_depend_on_thread_count);
    RUN(decimation_does_not_depend_on_thread_count);
    RUN(stl_reads_back_what_was_written);
    RUN(malformed_stl_files_are_refused_cleanly);
    RUN(mutated_stl_files_never_crash_the_reader);
    RUN(write_errors_are_reported_and_leave_no_file);
    RUN(obj_and_ply_hold_the_mesh);
    RUN(lidc_lung_mask_mesh_is_watertight);
    return test_done();
}
