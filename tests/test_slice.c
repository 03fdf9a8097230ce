/* test_slice.c - slices as radiologists read them: orientation on flipped,
 * feet-first and tilted grids (synthetic and the phantoms), slice numbers,
 * aspect, windows, histograms and label overlays. */
#include "test.h"
#include "pulmo/nifti.h"
#include "pulmo/render.h"
#include "pulmo/series.h"

#include <math.h>

static pm_fb *fb_new(int w, int h, int depth)
{
    pm_fb *fb = pm_fb_new(w, h, depth);
    CHECK(fb, "pm_fb_new %dx%d: %s", w, h, pm_error());
    return fb;
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

TEST(gantry_tilt_is_undone_in_sagittal_and_coronal_views)
{
    /* Rows tilted 20 degrees: the column axis runs posterior and down. A
     * slab of constant patient z must come out as a horizontal band. */
    pm_grid g;
    pm_grid_init(&g, 20, 30, 15, 1, 1, 2);
    double t = 20 * M_PI / 180;
    g.dir[3] = 0;
    g.dir[4] = cos(t);
    g.dir[5] = -sin(t);
    pm_volume *v = pm_volume_new(&g);
    double zmid;
    {
        double p[3];
        pm_grid_to_lps(&g, 10, 15, 7, p);
        zmid = p[2];
    }
    for (int k = 0; k < 15; k++)
        for (int j = 0; j < 30; j++)
            for (int i = 0; i < 20; i++) {
                double p[3];
                pm_grid_to_lps(&g, i, j, k, p);
                v->hu[i + 20 * (j + 30 * k)] = (int16_t)(fabs(p[2] - zmid) < 1.6 ? 1000 : -1000);
            }
    for (int p = PM_PLANE_CORONAL; p <= PM_PLANE_SAGITTAL; p++) {
        pm_slice_view sv;
        CHECK(pm_slice_view_init(&g, (pm_plane)p, -1, &sv) == PM_OK, "%s", pm_error());
        int w, h;
        pm_slice_view_size(&sv, 0, 0, &w, &h);
        pm_fb *fb = fb_new(w, h, 0);
        pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_BONE, 0);
        double lo = 1e9, hi = -1e9;
        int cols = 0;
        for (int x = 0; x < w; x++) {
            double sy = 0;
            int n = 0;
            for (int y = 0; y < h; y++)
                if (fb->rgb[3 * (y * w + x)] > 200) {
                    sy += y;
                    n++;
                }
            if (n) {
                lo = fmin(lo, sy / n);
                hi = fmax(hi, sy / n);
                cols++;
            }
        }
        CHECK(cols > w / 2, "%s: the slab shows in %d of %d columns", pm_plane_name((pm_plane)p), cols, w);
        CHECK(hi - lo <= 2, "%s: the slab's row wanders %.1f pixels across the picture",
              pm_plane_name((pm_plane)p), hi - lo);
        /* The same voxels as a mask land on the same pixels. */
        pm_mask *m = pm_mask_new(&g);
        for (size_t i = 0; i < pm_grid_voxels(&g); i++)
            m->v[i] = v->hu[i] > 0;
        pm_fb *ov = fb_new(w, h, 0);
        static const uint8_t white[3] = {255, 255, 255};
        pm_labels lab = {white, 1, 0};
        CHECK(pm_draw_mask(ov, pm_fb_rect(ov), m, &sv, &lab, 1.0) == PM_OK, "%s", pm_error());
        long differ = 0;
        for (int i = 0; i < w * h; i++)
            differ += (fb->rgb[3 * i] > 200) != (ov->rgb[3 * i] > 200);
        CHECK(differ <= w * h / 100, "%s: mask and image disagree on %ld pixels",
              pm_plane_name((pm_plane)p), differ);
        pm_fb_free(ov);
        pm_mask_free(m);
        pm_fb_free(fb);
    }
    pm_volume_free(v);
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

int main(void)
{
    RUN(patient_right_is_on_screen_left_for_flipped_and_feet_first_grids);
    RUN(phantom_right_lung_is_on_screen_left_head_first_and_feet_first_flipped);
    RUN(slice_numbers_count_from_inferior_anterior_right_in_any_storage_order);
    RUN(gantry_tilt_is_undone_in_sagittal_and_coronal_views);
    RUN(slice_aspect_follows_the_spacing);
    RUN(windows_parse_presets_and_width_level);
    RUN(histogram_counts_bins_and_respects_the_mask);
    RUN(mask_overlay_blends_the_label_colour);
    RUN(outline_mode_draws_borders_opaque_and_leaves_the_inside);
    pm_volume_free(lidc);
    return test_done();
}
