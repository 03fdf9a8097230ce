/* test_render.c - pictures: PNG round trip, sixel through sixel2png on a
 * real slice, text graphics of known images, the rasterizer's silhouettes,
 * slice orientation on flipped and feet-first grids, window parsing,
 * histograms, overlays and terminal replies. */
#include "test.h"
#include "render_shapes.h"
#include "pulmo/encode.h"
#include "pulmo/raster.h"
#include "pulmo/render.h"
#include "pulmo/nifti.h"
#include "pulmo/series.h"

/* The terminal module is front-end code, outside the core library; its
 * reply parsers are pure, so the test builds them in. */
#include "../src/term/term.c"

#include <math.h>

static pm_fb *fb_new(int w, int h, int depth)
{
    pm_fb *fb = pm_fb_new(w, h, depth);
    CHECK(fb, "pm_fb_new %dx%d: %s", w, h, pm_error());
    return fb;
}

static double psnr(const pm_fb *a, const pm_fb *b)
{
    double se = 0;
    size_t n = (size_t)a->w * a->h * 3;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->rgb[i] - b->rgb[i];
        se += d * d;
    }
    if (se == 0)
        return 99;
    return 10 * log10(255.0 * 255.0 / (se / n));
}

static int distinct_greys(const pm_fb *fb)
{
    int seen[256] = {0}, n = 0;
    for (size_t i = 0; i < (size_t)fb->w * fb->h; i++) {
        const uint8_t *p = fb->rgb + 3 * i;
        if (p[0] == p[1] && p[1] == p[2] && !seen[p[0]]) {
            seen[p[0]] = 1;
            n++;
        }
    }
    return n;
}

static pm_volume *lidc;

static pm_volume *lidc_volume(void)
{
    if (!lidc) {
        int rc = pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &lidc, NULL);
        CHECK(rc == PM_OK, "load LIDC-IDRI-0001: %s", pm_error());
    }
    return lidc;
}

TEST(png_written_then_read_back_has_the_same_pixels)
{
    pm_fb *fb = fb_new(97, 61, 0);
    for (int y = 0; y < fb->h; y++)
        for (int x = 0; x < fb->w; x++) {
            uint8_t *p = fb->rgb + 3 * (y * fb->w + x);
            p[0] = (uint8_t)(x * 255 / 96);
            p[1] = (uint8_t)(y * 255 / 60);
            p[2] = (uint8_t)((x * 7 + y * 13) & 255);
        }
    char path[512];
    snprintf(path, sizeof path, "%s/round.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_OK, "write: %s", pm_error());
    pm_fb *back = NULL;
    CHECK(pm_png_read(path, &back) == PM_OK, "read: %s", pm_error());
    CHECK(back->w == fb->w && back->h == fb->h, "size %dx%d", back->w, back->h);
    CHECK(!memcmp(back->rgb, fb->rgb, (size_t)fb->w * fb->h * 3), "pixels differ");
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(truncated_or_foreign_png_is_refused_as_corrupt)
{
    pm_fb *fb = fb_new(64, 64, 0);
    srand(7);
    for (int i = 0; i < 64 * 64 * 3; i++)
        fb->rgb[i] = (uint8_t)rand(); /* noise: the PNG stays far above 2000 bytes */
    char path[512], cut[512], cmd[1200];
    snprintf(path, sizeof path, "%s/whole.png", test_tmpdir());
    snprintf(cut, sizeof cut, "%s/cut.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_OK, "%s", pm_error());
    snprintf(cmd, sizeof cmd, "head -c 2000 '%s' > '%s'", path, cut);
    CHECK(test_sh(cmd) == 0, "truncate failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(cut, &back) == PM_ECORRUPT && !back, "truncated PNG accepted");
    CHECK(strstr(pm_error(), "cut.png"), "reason does not name the file: %s", pm_error());
    CHECK(pm_png_read(test_data("reference/LIDC-IDRI-0001.seed.json"), &back) == PM_ECORRUPT,
          "JSON read as PNG");
    snprintf(cut, sizeof cut, "%s/none.png", test_tmpdir());
    CHECK(pm_png_read(cut, &back) == PM_ENODATA, "missing file not ENODATA");
    pm_fb_free(fb);
}

TEST(png_write_into_a_missing_folder_fails_with_ewrite)
{
    pm_fb *fb = fb_new(4, 4, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_EWRITE, "expected PM_EWRITE");
    CHECK(strstr(pm_error(), "x.png"), "reason does not name the file: %s", pm_error());
    pm_fb_free(fb);
}

TEST(lung_slice_through_sixel2png_keeps_more_than_32_greys_at_35_db)
{
    pm_volume *v = lidc_volume();
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&v->g, PM_PLANE_AXIAL, -1, &sv) == PM_OK, "%s", pm_error());
    int w, h;
    pm_slice_view_size(&sv, 0, 0, &w, &h);
    CHECK(w == 512 && h == 512, "native size %dx%d", w, h);
    pm_fb *fb = fb_new(w, h, 0);
    pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_LUNG, 1);
    CHECK(distinct_greys(fb) > 200, "the framebuffer itself has only %d greys", distinct_greys(fb));
    pm_buf b = {0};
    CHECK(pm_sixel_encode(fb, 256, &b) == PM_OK, "encode: %s", pm_error());
    char six[512], png[512], cmd[1200];
    snprintf(six, sizeof six, "%s/slice.six", test_tmpdir());
    snprintf(png, sizeof png, "%s/slice-six.png", test_tmpdir());
    FILE *f = fopen(six, "wb");
    CHECK(f && fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0, "write %s", six);
    snprintf(cmd, sizeof cmd, "sixel2png -i '%s' -o '%s'", six, png);
    CHECK(test_sh(cmd) == 0, "sixel2png failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(png, &back) == PM_OK, "read %s: %s", png, pm_error());
    CHECK(back->w == fb->w && back->h == fb->h, "decoded %dx%d, framebuffer %dx%d", back->w,
          back->h, fb->w, fb->h);
    double db = psnr(fb, back);
    int greys = distinct_greys(back);
    CHECK(db >= 35, "PSNR %.2f dB", db);
    CHECK(greys > 32, "only %d grey levels survived", greys);
    printf("  sixel of a 512x512 lung slice: %zu bytes, PSNR %.1f dB, %d greys\n", b.len, db, greys);
    pm_buf_free(&b);
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(sixel_with_16_registers_and_colour_overlay_still_decodes)
{
    pm_fb *fb = fb_new(64, 30, 0);
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 64; x++) {
            uint8_t *p = fb->rgb + 3 * (y * 64 + x);
            p[0] = p[1] = p[2] = (uint8_t)(x * 4);
            if (y >= 20) { /* an overlay-red band */
                p[0] = 230;
                p[1] = 60;
                p[2] = 60;
            }
        }
    pm_buf b = {0};
    CHECK(pm_sixel_encode(fb, 16, &b) == PM_OK, "encode: %s", pm_error());
    char six[512], png[512], cmd[1200];
    snprintf(six, sizeof six, "%s/small.six", test_tmpdir());
    snprintf(png, sizeof png, "%s/small.png", test_tmpdir());
    FILE *f = fopen(six, "wb");
    CHECK(f && fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0, "write %s", six);
    snprintf(cmd, sizeof cmd, "sixel2png -i '%s' -o '%s'", six, png);
    CHECK(test_sh(cmd) == 0, "sixel2png failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(png, &back) == PM_OK, "%s", pm_error());
    CHECK(back->w == 64 && back->h == 30, "decoded %dx%d", back->w, back->h);
    const uint8_t *red = back->rgb + 3 * (25 * 64 + 10);
    CHECK(abs(red[0] - 230) <= 4 && abs(red[1] - 60) <= 4 && abs(red[2] - 60) <= 4,
          "overlay came back as %d,%d,%d", red[0], red[1], red[2]);
    int greys = distinct_greys(back);
    CHECK(greys >= 8 && greys <= 16, "%d greys with 16 registers", greys);
    pm_buf_free(&b);
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(half_blocks_of_a_known_image_are_exact)
{
    pm_fb *fb = fb_new(2, 2, 0);
    const uint8_t px[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    memcpy(fb->rgb, px, 12);
    pm_buf b = {0};
    CHECK(pm_text_encode(fb, PM_TEXT_TRUECOLOR, &b) == PM_OK, "%s", pm_error());
    const char *want = "\033[38;2;255;0;0m\033[48;2;0;0;255m\xe2\x96\x80"
                       "\033[38;2;0;255;0m\033[48;2;255;255;255m\xe2\x96\x80\033[0m\n";
    CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len), "24-bit text differs: %s", b.data);
    b.len = 0;
    CHECK(pm_text_encode(fb, PM_TEXT_256, &b) == PM_OK, "%s", pm_error());
    want = "\033[38;5;196m\033[48;5;21m\xe2\x96\x80\033[38;5;46m\033[48;5;231m\xe2\x96\x80\033[0m\n";
    CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len), "256-colour text differs: %s", b.data);
    CHECK(pm_text_xterm256(128, 128, 128) == 244, "mid grey maps to %d", pm_text_xterm256(128, 128, 128));
    pm_buf_free(&b);
    pm_fb_free(fb);
}

TEST(ascii_ramp_of_a_grey_gradient_is_the_ramp)
{
    pm_fb *fb = fb_new(10, 2, 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 10; x++)
            memset(fb->rgb + 3 * (y * 10 + x), x * 256 / 10 + 12, 3);
    pm_buf b = {0};
    CHECK(pm_text_encode(fb, PM_TEXT_ASCII, &b) == PM_OK, "%s", pm_error());
    CHECK(!strcmp(b.data, " .:-=+*#%@\n .:-=+*#%@\n"), "got '%s'", b.data);
    pm_buf_free(&b);
    pm_fb_free(fb);
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

/* A 24x20x16 volume on the given axes with a bright block on the patient's
 * right, anterior and superior side (LPS x < 0, y < 0, z > 0 about the
 * volume's centre). */
static pm_volume *marker_volume(const double dir[9])
{
    pm_grid g;
    pm_grid_init(&g, 24, 20, 16, 1.0, 1.5, 2.0);
    memcpy(g.dir, dir, sizeof g.dir);
    double ctr[3];
    pm_grid_to_lps(&g, 11.5, 9.5, 7.5, ctr);
    for (int a = 0; a < 3; a++)
        g.origin[a] = -ctr[a];
    pm_volume *v = pm_volume_new(&g);
    CHECK(v, "%s", pm_error());
    for (int k = 0; k < 16; k++)
        for (int j = 0; j < 20; j++)
            for (int i = 0; i < 24; i++) {
                double p[3];
                pm_grid_to_lps(&g, i, j, k, p);
                v->hu[i + 24 * (j + 20 * k)] =
                    p[0] < -3 && p[1] < -3 && p[2] > 3 ? 1000 : -1000;
            }
    return v;
}

/* Centroid of the bright pixels of the brightest slice of a plane. */
static void marker_centroid(const pm_volume *v, pm_plane plane, double *cx, double *cy, int *w, int *h)
{
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&v->g, plane, 0, &sv) == PM_OK, "%s", pm_error());
    long best = -1;
    for (int s = 0; s < sv.nslices; s++) {
        CHECK(pm_slice_view_init(&v->g, plane, s, &sv) == PM_OK, "%s", pm_error());
        pm_slice_view_size(&sv, 0, 0, w, h);
        pm_fb *fb = fb_new(*w, *h, 0);
        pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_BONE, 0);
        long n = 0;
        double sx = 0, sy = 0;
        for (int y = 0; y < *h; y++)
            for (int x = 0; x < *w; x++)
                if (fb->rgb[3 * (y * *w + x)] > 128) {
                    n++;
                    sx += x + 0.5;
                    sy += y + 0.5;
                }
        if (n > best) {
            best = n;
            *cx = sx / n;
            *cy = sy / n;
        }
        pm_fb_free(fb);
    }
    CHECK(best > 0, "%s: the marker is not visible", pm_plane_name(plane));
}

TEST(patient_right_is_on_screen_left_for_flipped_and_feet_first_grids)
{
    static const struct {
        const char *name;
        double dir[9];
    } grids[] = {
        {"head-first standard", {1, 0, 0, 0, 1, 0, 0, 0, 1}},
        {"feet-first stack", {1, 0, 0, 0, 1, 0, 0, 0, -1}},
        {"flipped rows and columns", {-1, 0, 0, 0, -1, 0, 0, 0, 1}},
        {"transposed orientation", {0, 1, 0, 1, 0, 0, 0, 0, -1}},
        {"coronal acquisition", {1, 0, 0, 0, 0, -1, 0, 1, 0}},
    };
    for (size_t gi = 0; gi < sizeof grids / sizeof grids[0]; gi++) {
        pm_volume *v = marker_volume(grids[gi].dir);
        for (int p = 0; p < 3; p++) {
            double cx, cy;
            int w, h;
            marker_centroid(v, (pm_plane)p, &cx, &cy, &w, &h);
            /* axial: right on the left, anterior up; coronal: right on the
             * left, superior up; sagittal: anterior on the left, superior up. */
            CHECK(cx < w / 2.0 && cy < h / 2.0, "%s, %s: marker at (%.1f, %.1f) of %dx%d",
                  grids[gi].name, pm_plane_name((pm_plane)p), cx, cy, w, h);
        }
        pm_volume_free(v);
    }
}

TEST(shrinking_averages_and_enlarging_interpolates)
{
    pm_fb *src = fb_new(4, 4, 0), *half = fb_new(2, 2, 0), *big = fb_new(8, 1, 0);
    for (int i = 0; i < 16; i++)
        memset(src->rgb + 3 * i, ((i % 4) + (i / 4)) % 2 ? 255 : 0, 3);
    pm_fb_scale(src, half, 1);
    for (int i = 0; i < 12; i++)
        CHECK(half->rgb[i] == 128, "checkerboard shrank to %d, not its mean", half->rgb[i]);
    pm_fb *ramp = fb_new(2, 1, 0);
    memset(ramp->rgb, 0, 3);
    memset(ramp->rgb + 3, 200, 3);
    pm_fb_scale(ramp, big, 1);
    for (int x = 1; x < 8; x++)
        CHECK(big->rgb[3 * x] >= big->rgb[3 * (x - 1)], "enlarged ramp not monotonic at %d", x);
    CHECK(big->rgb[0] == 0 && big->rgb[21] == 200 && big->rgb[12] > 0 && big->rgb[12] < 200,
          "ends %d..%d, middle %d", big->rgb[0], big->rgb[21], big->rgb[12]);
    pm_fb *dst = fb_new(3, 3, 0);
    pm_fb_blit(dst, 2, -1, src); /* src column 0, rows 1..3 land in dst column 2 */
    CHECK(dst->rgb[3 * 2] == src->rgb[3 * 4] && dst->rgb[3 * 5] == src->rgb[3 * 8]
          && dst->rgb[3 * 8] == src->rgb[3 * 12] && dst->rgb[3 * 8] == 255 && dst->rgb[3 * 1] == 0
          && dst->rgb[0] == 0, "blit misplaced");
    pm_fb_free(dst);
    pm_fb_free(ramp);
    pm_fb_free(big);
    pm_fb_free(half);
    pm_fb_free(src);
}

/* Screen centroid x of the pixels painted in a label's colour. */
static double label_centroid_x(const pm_fb *fb, const uint8_t *c)
{
    double sx = 0;
    long n = 0;
    for (int i = 0; i < fb->w * fb->h; i++)
        if (!memcmp(fb->rgb + 3 * i, c, 3)) {
            sx += i % fb->w;
            n++;
        }
    return n ? sx / n : -1;
}

TEST(phantom_right_lung_is_on_screen_left_head_first_and_feet_first_flipped)
{
    static const char *names[] = {"PHANTOM-01", "PHANTOM-02"};
    static const uint8_t colours[6] = {255, 0, 0, 0, 255, 0};
    for (int n = 0; n < 2; n++) {
        char dir[256], truth[256];
        snprintf(dir, sizeof dir, "samples/patients/%s", names[n]);
        snprintf(truth, sizeof truth, "samples/truth/%s.labels.nii.gz", names[n]);
        pm_volume *v = NULL;
        pm_mask *m = NULL;
        CHECK(pm_load_dir(dir, NULL, NULL, &v, NULL) == PM_OK, "%s (run make samples): %s", dir, pm_error());
        CHECK(pm_nifti_read_mask(truth, &m) == PM_OK, "%s: %s", truth, pm_error());
        for (int p = 0; p < 2; p++) {
            pm_slice_view sv;
            CHECK(pm_slice_view_init(&v->g, (pm_plane)p, -1, &sv) == PM_OK, "%s", pm_error());
            int w, h;
            pm_slice_view_size(&sv, 0, 0, &w, &h);
            pm_fb *fb = fb_new(w, h, 0);
            pm_labels lab = {colours, 2, 0};
            CHECK(pm_draw_mask(fb, pm_fb_rect(fb), m, &sv, &lab, 1.0) == PM_OK, "%s", pm_error());
            double right = label_centroid_x(fb, colours), left = label_centroid_x(fb, colours + 3);
            CHECK(right >= 0 && left >= 0, "%s %s: a lung is missing", names[n], pm_plane_name((pm_plane)p));
            CHECK(right < w / 2.0 && left > w / 2.0, "%s %s: right lung at x=%.0f, left at x=%.0f of %d",
                  names[n], pm_plane_name((pm_plane)p), right, left, w);
            pm_fb_free(fb);
        }
        pm_mask_free(m);
        pm_volume_free(v);
    }
}

TEST(slice_numbers_count_from_inferior_anterior_right_in_any_storage_order)
{
    static const double dirs[2][9] = {{1, 0, 0, 0, 1, 0, 0, 0, 1}, {-1, 0, 0, 0, -1, 0, 0, 0, -1}};
    for (int d = 0; d < 2; d++) {
        pm_grid g;
        pm_grid_init(&g, 6, 5, 4, 1, 1, 1);
        memcpy(g.dir, dirs[d], sizeof g.dir);
        pm_volume *v = pm_volume_new(&g);
        /* Bright where LPS x, y and z are smallest: right, anterior, inferior. */
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 5; j++)
                for (int i = 0; i < 6; i++) {
                    int ii = d ? 5 - i : i, jj = d ? 4 - j : j, kk = d ? 3 - k : k;
                    v->hu[i + 6 * (j + 5 * k)] = (int16_t)(ii == 0 || jj == 0 || kk == 0 ? 1000 : -1000);
                }
        for (int p = 0; p < 3; p++) {
            pm_slice_view sv;
            CHECK(pm_slice_view_init(&g, (pm_plane)p, 0, &sv) == PM_OK, "%s", pm_error());
            int w, h;
            pm_slice_view_size(&sv, 0, 0, &w, &h);
            pm_fb *fb = fb_new(w, h, 0);
            pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_BONE, 0);
            for (int i = 0; i < w * h; i++)
                CHECK(fb->rgb[3 * i] > 200, "grid %d, %s slice 0 is not the outermost layer", d,
                      pm_plane_name((pm_plane)p));
            CHECK(sv.number == 0, "number %d", sv.number);
            pm_fb_free(fb);
        }
        pm_volume_free(v);
    }
}

TEST(slice_aspect_follows_the_spacing)
{
    pm_volume *v = lidc_volume();
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&v->g, PM_PLANE_CORONAL, -1, &sv) == PM_OK, "%s", pm_error());
    int w, h;
    pm_slice_view_size(&sv, 0, 0, &w, &h);
    /* 512 x 0.703 mm across, 133 x 2.5 mm down. */
    CHECK(w == 512 && abs(h - 473) <= 1, "coronal native size %dx%d", w, h);
    pm_slice_view_size(&sv, 256, 256, &w, &h);
    CHECK(w == 256 && abs(h - 236) <= 1, "coronal fitted in 256x256: %dx%d", w, h);
    CHECK(pm_slice_view_init(&v->g, PM_PLANE_AXIAL, 133, &sv) == PM_EUSAGE, "slice 133 of 133 accepted");
}

TEST(windows_parse_presets_and_width_level)
{
    pm_window w;
    CHECK(pm_window_parse("lung", &w) == PM_OK && w.width == 1500 && w.level == -600, "lung");
    CHECK(pm_window_parse("mediastinum", &w) == PM_OK && w.width == 400 && w.level == 40, "mediastinum");
    CHECK(pm_window_parse("bone", &w) == PM_OK && w.width == 1800 && w.level == 400, "bone");
    CHECK(pm_window_parse("brain", &w) == PM_OK && w.width == 80 && w.level == 40, "brain");
    CHECK(pm_window_parse("350/50", &w) == PM_OK && w.width == 350 && w.level == 50, "350/50");
    CHECK(pm_window_parse("0/50", &w) == PM_EUSAGE, "zero width accepted");
    CHECK(pm_window_parse("wide", &w) == PM_EUSAGE, "unknown name accepted");
    CHECK(pm_window_parse("100/", &w) == PM_EUSAGE, "missing level accepted");
    CHECK(pm_window_grey(PM_WINDOW_LUNG, -1350) == 0 && pm_window_grey(PM_WINDOW_LUNG, 150) == 255
          && pm_window_grey(PM_WINDOW_LUNG, -600) == 128, "lung window ramp");
}

TEST(histogram_counts_bins_and_respects_the_mask)
{
    pm_grid g;
    pm_grid_init(&g, 10, 10, 1, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    for (int i = 0; i < 100; i++) {
        v->hu[i] = (int16_t)(i < 30 ? -1000 : i < 90 ? 40 : 3000);
        m->v[i] = i >= 30;
    }
    pm_hist h;
    CHECK(pm_hist_compute(v, NULL, -1024, 1024, 16, &h) == PM_OK, "%s", pm_error());
    CHECK(h.nbins == 128 && h.count[(-1000 + 1024) / 16] == 30 && h.count[(40 + 1024) / 16] == 60
          && h.above == 10 && h.total == 100, "counts wrong");
    pm_hist_free(&h);
    CHECK(pm_hist_compute(v, m, -1024, 1024, 16, &h) == PM_OK, "%s", pm_error());
    CHECK(h.count[(-1000 + 1024) / 16] == 0 && h.total == 70, "mask ignored");
    pm_fb *fb = fb_new(128, 40, 0);
    double mark = 40;
    pm_hist_style st = {1, &mark, 1, {0, 0}};
    pm_draw_hist(fb, pm_fb_rect(fb), &h, &st);
    int mx = (int)lround((40.0 + 1024) / 2048 * 128);
    const uint8_t *top = fb->rgb + 3 * mx;
    CHECK(top[0] > 200 && top[2] < 100, "no yellow marker at x=%d", mx);
    const uint8_t *bar = fb->rgb + 3 * (39 * 128 + (40 + 1024) / 16);
    CHECK(bar[0] > 100, "no bar for the 40 HU bin");
    pm_hist_free(&h);
    CHECK(pm_hist_compute(v, NULL, 10, 0, 16, &h) == PM_EUSAGE, "empty range accepted");
    pm_fb_free(fb);
    pm_mask_free(m);
    pm_volume_free(v);
}

TEST(mask_overlay_blends_the_label_colour)
{
    pm_grid g;
    pm_grid_init(&g, 4, 4, 2, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    for (int i = 0; i < 32; i++)
        v->hu[i] = -600; /* lung window grey 128 */
    m->v[16 + 5] = 2;      /* slice 1, i=1, j=1 */
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&g, PM_PLANE_AXIAL, 1, &sv) == PM_OK, "%s", pm_error());
    pm_fb *fb = fb_new(4, 4, 0);
    pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_LUNG, 0);
    CHECK(pm_draw_mask(fb, pm_fb_rect(fb), m, &sv, NULL, 0.5) == PM_OK, "%s", pm_error());
    uint8_t c[3];
    pm_label_colour(2, c);
    const uint8_t *p = fb->rgb + 3 * (1 * 4 + 1);
    for (int ch = 0; ch < 3; ch++)
        CHECK(abs(p[ch] - (128 + c[ch]) / 2) <= 1, "channel %d is %d", ch, p[ch]);
    CHECK(fb->rgb[0] == 128 && fb->rgb[1] == 128, "unlabelled pixel changed");
    pm_grid g2;
    pm_grid_init(&g2, 5, 4, 2, 1, 1, 1);
    pm_mask *m2 = pm_mask_new(&g2);
    CHECK(pm_draw_mask(fb, pm_fb_rect(fb), m2, &sv, NULL, 0.5) == PM_EUSAGE, "wrong grid accepted");
    pm_mask_free(m2);
    pm_fb_free(fb);
    pm_mask_free(m);
    pm_volume_free(v);
}

TEST(outline_mode_draws_borders_opaque_and_leaves_the_inside)
{
    pm_grid g;
    pm_grid_init(&g, 5, 5, 1, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    for (int j = 1; j <= 3; j++)
        for (int i = 1; i <= 3; i++)
            m->v[i + 5 * j] = 1;
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&g, PM_PLANE_AXIAL, 0, &sv) == PM_OK, "%s", pm_error());
    pm_fb *fb = fb_new(5, 5, 0);
    pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_BRAIN, 0); /* 0 HU: black */
    pm_labels lab = {NULL, 0, 1};
    CHECK(pm_draw_mask(fb, pm_fb_rect(fb), m, &sv, &lab, 0) == PM_OK, "%s", pm_error());
    uint8_t c[3];
    pm_label_colour(1, c);
    const uint8_t *centre = fb->rgb + 3 * (2 * 5 + 2), *edge = fb->rgb + 3 * (1 * 5 + 2);
    CHECK(centre[0] == 0 && centre[1] == 0, "inside painted %d,%d,%d", centre[0], centre[1], centre[2]);
    CHECK(!memcmp(edge, c, 3), "border is %d,%d,%d", edge[0], edge[1], edge[2]);
    CHECK(fb->rgb[0] == 0, "outside painted");
    pm_fb_free(fb);
    pm_mask_free(m);
    pm_volume_free(v);
}

TEST(terminal_replies_are_parsed)
{
    const char *xterm = "\033[?1;0;1024S\033[?2;0;1000;800S\033[6;20;10t\033[?63;1;2;4;6;9;15;22c";
    CHECK(pm_term_parse_da1(xterm, strlen(xterm)) == 1, "sixel not seen");
    int a, b;
    CHECK(pm_term_parse_xtsm(xterm, strlen(xterm), 1, &a, NULL) == 0 && a == 1024, "registers %d", a);
    CHECK(pm_term_parse_xtsm(xterm, strlen(xterm), 2, &a, &b) == 0 && a == 1000 && b == 800, "geometry");
    CHECK(pm_term_parse_cell(xterm, strlen(xterm), &a, &b) == 0 && a == 10 && b == 20, "cell %dx%d", a, b);
    const char *vte = "\033[?65;1;9c";
    CHECK(pm_term_parse_da1(vte, strlen(vte)) == 0, "sixel claimed for 65;1;9");
    const char *partial = "\033[?62;4";
    CHECK(pm_term_parse_da1(partial, strlen(partial)) == -1, "partial reply accepted");
    const char *err = "\033[?1;3;0S";
    CHECK(pm_term_parse_xtsm(err, strlen(err), 1, &a, NULL) == -1, "failed XTSMGRAPHICS accepted");
    pm_term_caps caps;
    memset(&caps, 0, sizeof caps);
    caps.sixel = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_AUTO) == PM_GFX_SIXEL, "sixel terminal");
    caps.multiplexer = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_AUTO) == PM_GFX_TEXT, "tmux should fall back to text");
    CHECK(pm_term_choose(&caps, PM_GFX_SIXEL) == PM_GFX_SIXEL, "forced sixel");
    caps.no_color = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_TEXT) == PM_GFX_ASCII, "NO_COLOR text should be ASCII");
}

int main(void)
{
    RUN(png_written_then_read_back_has_the_same_pixels);
    RUN(truncated_or_foreign_png_is_refused_as_corrupt);
    RUN(png_write_into_a_missing_folder_fails_with_ewrite);
    RUN(lung_slice_through_sixel2png_keeps_more_than_32_greys_at_35_db);
    RUN(sixel_with_16_registers_and_colour_overlay_still_decodes);
    RUN(half_blocks_of_a_known_image_are_exact);
    RUN(ascii_ramp_of_a_grey_gradient_is_the_ramp);
    RUN(sphere_silhouette_has_the_projected_disc_area);
    RUN(cube_front_face_projects_to_the_expected_square_and_culling_hides_nothing);
    RUN(smooth_shading_has_no_facet_steps_and_the_same_silhouette);
    RUN(rasterizer_refuses_bad_indices_and_a_missing_depth_buffer);
    RUN(patient_right_is_on_screen_left_for_flipped_and_feet_first_grids);
    RUN(shrinking_averages_and_enlarging_interpolates);
    RUN(phantom_right_lung_is_on_screen_left_head_first_and_feet_first_flipped);
    RUN(slice_numbers_count_from_inferior_anterior_right_in_any_storage_order);
    RUN(slice_aspect_follows_the_spacing);
    RUN(windows_parse_presets_and_width_level);
    RUN(histogram_counts_bins_and_respects_the_mask);
    RUN(mask_overlay_blends_the_label_colour);
    RUN(outline_mode_draws_borders_opaque_and_leaves_the_inside);
    RUN(terminal_replies_are_parsed);
    pm_volume_free(lidc);
    return test_done();
}
