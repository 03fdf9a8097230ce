/* test_raster.c - the mesh rasterizer: silhouette areas of a sphere and a
 * cube against their projections, culling, smooth shading, bad input. */
#include "test.h"
#include "render_shapes.h"
#include "pulmo/raster.h"

#include <math.h>

static pm_fb *fb_new(int w, int h, int depth)
{
    pm_fb *fb = pm_fb_new(w, h, depth);
    CHECK(fb, "pm_fb_new %dx%d: %s", w, h, pm_error());
    return fb;
}

/* Pixels the rasterizer covered. */
static long covered(const pm_fb *fb)
{
    long n = 0;
    for (size_t i = 0; i < (size_t)fb->w * fb->h; i++)
        n += fb->depth[i] > 0;
    return n;
}

TEST(sphere_silhouette_has_the_projected_disc_area)
{
    const double c[3] = {10, -20, 30};
    double r = 50;
    pm_mesh *m = shape_sphere(c, r, 180, 360);
    CHECK(m, "no memory");
    pm_fb *fb = fb_new(400, 300, 1);
    pm_raster_opts o = pm_raster_defaults();
    for (int view = 0; view < 3; view++) {
        o.azimuth = 40.0 * view;
        o.elevation = 25.0 * view;
        pm_raster_stats st;
        CHECK(pm_raster_mesh(fb, m, &o, &st) == PM_OK, "%s", pm_error());
        /* The camera sits radius/sin(fov/2) from the centre, the radius being
         * the bounding box's half diagonal; the silhouette of a sphere at
         * distance d is a disc of radius focal*tan(asin(r/d)). */
        double fov = o.fov * M_PI / 180, d = r * sqrt(3) / sin(fov / 2);
        double focal = 150 / tan(fov / 2), rad = focal * tan(asin(r / d));
        double want = M_PI * rad * rad;
        long got = covered(fb);
        CHECK(fabs(got - want) / want < 0.02, "view %d: %ld pixels, expected %.0f", view, got, want);
        CHECK(st.culled > m->nf / 3 && st.culled < m->nf * 2 / 3, "view %d culled %zu of %zu",
              view, st.culled, m->nf);
    }
    pm_fb_free(fb);
    pm_mesh_free(m);
}

TEST(cube_front_face_projects_to_the_expected_square_and_culling_hides_nothing)
{
    const double c[3] = {0, 0, 0};
    double s = 80;
    pm_mesh *m = shape_cube(c, s);
    CHECK(m, "no memory");
    pm_fb *fb = fb_new(320, 320, 1);
    pm_raster_opts o = pm_raster_defaults();
    pm_raster_stats st;
    CHECK(pm_raster_mesh(fb, m, &o, &st) == PM_OK, "%s", pm_error());
    double fov = o.fov * M_PI / 180, d = s / 2 * sqrt(3) / sin(fov / 2);
    double focal = 160 / tan(fov / 2), side = focal * s / (d - s / 2);
    long got = covered(fb);
    CHECK(fabs(got - side * side) / (side * side) < 0.02, "%ld pixels, expected %.0f", got, side * side);
    CHECK(st.culled == 10 && st.drawn == 2, "front view drew %zu and culled %zu triangles", st.drawn,
          st.culled);
    /* The silhouette does not depend on culling: back faces lie behind. */
    o.azimuth = 30;
    o.elevation = 20;
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_OK, "%s", pm_error());
    long culled_area = covered(fb);
    o.cull = 0;
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_OK, "%s", pm_error());
    CHECK(covered(fb) == culled_area, "area %ld with culling, %ld without", culled_area, covered(fb));
    /* The front face (-y) is lit brighter than black and darker than full. */
    o.cull = 1;
    o.azimuth = 0;
    o.elevation = 0;
    pm_raster_mesh(fb, m, &o, NULL);
    const uint8_t *mid = fb->rgb + 3 * (160 * 320 + 160);
    CHECK(mid[0] > 0.5 * o.colour[0] && mid[0] <= o.colour[0], "centre red %d", mid[0]);
    pm_fb_free(fb);
    pm_mesh_free(m);
}

/* The largest red step between horizontal neighbours in the inner 70% of
 * a disc-shaped silhouette (near the rim, foreshortened faces make steep
 * but genuine gradients). */
static int largest_step(const pm_fb *fb)
{
    double sx = 0, sy = 0, n = 0;
    for (int y = 0; y < fb->h; y++)
        for (int x = 0; x < fb->w; x++)
            if (fb->depth[(size_t)y * fb->w + x] > 0) {
                sx += x;
                sy += y;
                n++;
            }
    double cx = sx / n, cy = sy / n, r = 0.7 * sqrt(n / M_PI);
    int worst = 0;
    for (int y = 0; y < fb->h; y++)
        for (int x = 0; x < fb->w - 1; x++) {
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r)
                continue;
            size_t p = (size_t)y * fb->w + x;
            int d = abs(fb->rgb[3 * p] - fb->rgb[3 * (p + 1)]);
            if (d > worst)
                worst = d;
        }
    return worst;
}

TEST(smooth_shading_has_no_facet_steps_and_the_same_silhouette)
{
    const double c[3] = {0, 0, 0};
    pm_mesh *m = shape_sphere(c, 40, 16, 32);
    pm_fb *fb = fb_new(300, 300, 1);
    pm_raster_opts o = pm_raster_defaults();
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_OK, "%s", pm_error());
    long flat_area = covered(fb);
    int flat_step = largest_step(fb);
    float *n = NULL;
    CHECK(pm_raster_normals(m, &n) == PM_OK, "%s", pm_error());
    for (size_t i = 32; i < m->nv - 32; i++) {
        /* A sphere's vertex normal points away from its centre (the pole
         * rings are 32 copies of one point, each with one face: skipped). */
        double len = sqrt(m->v[3 * i] * m->v[3 * i] + m->v[3 * i + 1] * m->v[3 * i + 1]
                          + m->v[3 * i + 2] * m->v[3 * i + 2]);
        double dot = 0;
        for (int d = 0; d < 3; d++)
            dot += n[3 * i + d] * m->v[3 * i + d] / len;
        CHECK(dot > cos(6 * M_PI / 180), "vertex %zu normal %.1f degrees off radial", i,
              acos(dot > 1 ? 1 : dot) * 180 / M_PI);
    }
    o.normals = n;
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_OK, "%s", pm_error());
    int smooth_step = largest_step(fb);
    CHECK(covered(fb) == flat_area, "silhouette %ld smooth, %ld flat", covered(fb), flat_area);
    CHECK(flat_step >= 8 && smooth_step <= 4, "largest step flat %d, smooth %d", flat_step, smooth_step);
    free(n);
    pm_fb_free(fb);
    pm_mesh_free(m);
}

TEST(rasterizer_refuses_bad_indices_and_a_missing_depth_buffer)
{
    const double c[3] = {0, 0, 0};
    pm_mesh *m = shape_cube(c, 10);
    pm_fb *fb = fb_new(32, 32, 0);
    pm_raster_opts o = pm_raster_defaults();
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_EUSAGE, "no depth accepted");
    pm_fb_free(fb);
    fb = fb_new(32, 32, 1);
    m->f[5] = 99;
    CHECK(pm_raster_mesh(fb, m, &o, NULL) == PM_EUSAGE, "vertex 99 of 8 accepted");
    pm_fb_free(fb);
    pm_mesh_free(m);
}

int main(void)
{
    RUN(sphere_silhouette_has_the_projected_disc_area);
    RUN(cube_front_face_projects_to_the_expected_square_and_culling_hides_nothing);
    RUN(smooth_shading_has_no_facet_steps_and_the_same_silhouette);
    RUN(rasterizer_refuses_bad_indices_and_a_missing_depth_buffer);
    return test_done();
}
