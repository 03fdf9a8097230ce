/* test_sheet.c - contact sheets (`pulmo sheet`, pm_sheet_draw, the caption
 * font), the partial_coverage end from the geometry, and series of one or
 * two slices segmented in 2-D with areas and no volumes. */
#include "files.h"
#include "pulmo/batch.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"
#include "pulmo/measure.h"
#include "pulmo/render.h"

#include <limits.h>
#include <math.h>

static const char *abs_path(const char *rel)
{
    static char buf[4][PATH_MAX];
    static int k;
    char *b = buf[k++ % 4];
    if (!realpath(rel, b))
        snprintf(b, PATH_MAX, "%s", rel);
    return b;
}

/* Pixels of rect (x0, y0)-(x1, y1) whose colour leans to channel c. */
static int count_hue(const pm_fb *fb, int x0, int y0, int x1, int y1, int c)
{
    int n = 0;
    for (int y = y0; y < y1 && y < fb->h; y++)
        for (int x = x0; x < x1 && x < fb->w; x++) {
            const uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x);
            int o1 = p[(c + 1) % 3], o2 = p[(c + 2) % 3];
            n += p[c] > o1 + 40 && p[c] > o2 + 40;
        }
    return n;
}

TEST(sheet_of_a_phantom_is_a_png_of_the_sheet_size_with_both_lungs_and_figures)
{
    char args[2 * PATH_MAX], png[700];
    snprintf(png, sizeof png, "%s/phantom.png", test_tmpdir());
    snprintf(args, sizeof args, "sheet '%s' -o '%s'", abs_path("samples/patients/PHANTOM-01"), png);
    int rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    CHECK(strstr(tf_out, "sheet") && strstr(tf_out, "lungs"), "stdout: %s", tf_out);
    pm_fb *fb = NULL;
    CHECK(pm_png_read(png, &fb) == PM_OK, "%s", pm_error());
    int w = fb->w, h = fb->h;
    /* Right lung red, left lung green, in the axial row (the top 320 px). */
    int red = count_hue(fb, 0, 0, fb->w, 320, 0), green = count_hue(fb, 0, 0, fb->w, 320, 1);
    /* The caption: light text under the pictures. */
    int text = 0;
    for (int y = 740; y < fb->h; y++)
        for (int x = 0; x < fb->w; x++)
            text += fb->rgb[3 * ((size_t)y * fb->w + x) + 1] > 200;
    pm_fb_free(fb);
    CHECK(w == PM_SHEET_W && h == PM_SHEET_H, "%dx%d, expected %dx%d", w, h, PM_SHEET_W, PM_SHEET_H);
    CHECK(red > 2000 && green > 2000, "red %d, green %d pixels in the axial row", red, green);
    CHECK(text > 2000, "only %d caption pixels", text);
}

TEST(sheet_refuses_bad_input_with_the_documented_exit_codes)
{
    char args[3 * PATH_MAX], png[700], before[1 << 14], after[1 << 14];
    const char *lidc = abs_path(test_data("patients/LIDC-IDRI-0001"));
    snprintf(png, sizeof png, "%s/bad.png", test_tmpdir());
    snprintf(args, sizeof args, "sheet '%s/missing' -o '%s'", test_tmpdir(), png);
    int missing = tf_run(args);
    snprintf(args, sizeof args, "sheet '%s' -o '%s'", abs_path(test_data("real/NSCLC-LUNG1-020-RT.rtstruct")), png);
    int noimage = tf_run(args);
    snprintf(args, sizeof args, "sheet '%s'", lidc);
    int noout = tf_run(args);
    snprintf(args, sizeof args, "sheet '%s' -o '%s/no/such/dir/x.png'", lidc, test_tmpdir());
    int unwritable = tf_run(args);
    tf_snapshot(lidc, before, sizeof before);
    snprintf(args, sizeof args, "sheet '%s' -o '%s/sheet.png'", lidc, lidc);
    int inside = tf_run(args);
    tf_snapshot(lidc, after, sizeof after);
    CHECK(missing == 2 && noimage == 2 && noout == 1 && unwritable == 4 && inside == 4,
          "missing %d, no image %d, no -o %d, unwritable %d, inside the input %d", missing, noimage, noout,
          unwritable, inside);
    CHECK(!strcmp(before, after), "something was written into the input folder");
    CHECK(!pm_path_exists(png), "a sheet was written for bad input");
    CHECK(!tf_has_report(tf_err), "%s", tf_err);
}

/* One axial slice of LIDC-IDRI-0001 alone in a folder, as a single-slice
 * series arrives: areas in cm^2 for both lungs, no mL anywhere. */
TEST(one_lidc_slice_is_segmented_in_2d_with_areas_and_no_volume)
{
    char dir[700], cmd[3 * PATH_MAX], args[2 * PATH_MAX];
    snprintf(dir, sizeof dir, "%s/one-slice", test_tmpdir());
    tf_mkdir(dir);
    snprintf(cmd, sizeof cmd, "cp '%s/000039.dcm' '%s/'", test_data("patients/LIDC-IDRI-0001"), dir);
    CHECK(test_sh(cmd) == 0, "cannot copy the slice");
    snprintf(args, sizeof args, "segment '%s' -o '%s/out1' --json", dir, test_tmpdir());
    int rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    CHECK(strstr(tf_out, "\"lung_ml\": null") && strstr(tf_out, "\"slices_2d\": 1"), "%s", tf_out);
    CHECK(strstr(tf_out, "single_slice") && strstr(tf_err, "single_slice"), "no single_slice warning");
    const char *a = strstr(tf_out, "\"lung_cm2\": ");
    const char *r = strstr(tf_out, "\"right_cm2\": ");
    const char *l = strstr(tf_out, "\"left_cm2\": ");
    CHECK(a && r && l, "%s", tf_out);
    double area = atof(a + 12), right = atof(r + 13), left = atof(l + 12);
    /* An adult chest cross-section: each lung tens of cm^2, together less
     * than the slice's field of view (36 cm square). */
    CHECK(area > 50 && area < 600 && right > 15 && left > 15 && fabs(right + left - area) < 0.2,
          "lung %.1f cm2, right %.1f, left %.1f", area, right, left);
    snprintf(args, sizeof args, "segment '%s' -o '%s/out2'", dir, test_tmpdir());
    rc = tf_run(args);
    CHECK(rc == 0 && strstr(tf_out, "cm2") && !strstr(tf_out, " mL"), "exit %d, %s", rc, tf_out);
}

TEST(two_real_slices_are_segmented_in_2d)
{
    char args[2 * PATH_MAX];
    snprintf(args, sizeof args, "segment '%s' -o '%s/two' --json",
             abs_path(test_data("edge/two-slices-no-modality")), test_tmpdir());
    int rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    CHECK(strstr(tf_out, "\"slices_2d\": 2") && strstr(tf_out, "\"lung_ml\": null")
          && strstr(tf_out, "\"slice\": 1"), "%s", tf_out);
}

/* Lung in the slice at k = 0 only: whether that is the apex or the base is
 * the geometry's to say (head-first or feet-first stacking). */
TEST(partial_coverage_end_follows_the_patient_orientation)
{
    pm_grid g;
    pm_grid_init(&g, 40, 40, 10, 1, 1, 2);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m, "out of memory");
    for (int j = 5; j < 35; j++)
        for (int i = 5; i < 35; i++) {
            m->v[i + 40 * j] = i < 20 ? PM_LABEL_RIGHT : PM_LABEL_LEFT;
            m->v[i + 40 * j + 40 * 40 * 5] = PM_LABEL_RIGHT;
        }
    int apex, base, apex2, base2, apex3, base3;
    pm_lung_coverage(m, &apex, &base);        /* k grows to the head: k = 0 is the base */
    m->g.dir[8] = -1;                         /* k grows to the feet: k = 0 is the apex */
    pm_lung_coverage(m, &apex2, &base2);
    /* A small speck (a trachea left in the labels) is not a cut lung. */
    memset(m->v, 0, 40 * 40);
    m->v[20 + 40 * 20] = PM_LABEL_RIGHT;
    pm_lung_coverage(m, &apex3, &base3);
    pm_mask_free(m);
    CHECK(!apex && base, "head-first: apex %d base %d", apex, base);
    CHECK(apex2 && !base2, "feet-first: apex %d base %d", apex2, base2);
    CHECK(!apex3 && !base3, "one voxel counted as a cut: apex %d base %d", apex3, base3);
}

TEST(caption_text_draws_inside_its_box_and_clips)
{
    pm_fb *fb = pm_fb_new(100, 40, 0);
    CHECK(fb, "out of memory");
    pm_fb_clear(fb, 0, 0, 0);
    static const uint8_t white[3] = {255, 255, 255};
    int w = pm_draw_text(fb, 2, 3, 2, white, "Lung 42%");
    int lit = 0, outside = 0;
    for (int y = 0; y < fb->h; y++)
        for (int x = 0; x < fb->w; x++) {
            int on = fb->rgb[3 * (y * fb->w + x)] == 255;
            lit += on;
            outside += on && (x < 2 || x >= 2 + w || y < 3 || y >= 3 + 14);
        }
    /* Drawn past every edge: clipped, nothing written out of bounds (ASan). */
    pm_draw_text(fb, -7, -5, 3, white, "CLIPPED TEXT PAST THE EDGES \x01\xff");
    pm_draw_text(fb, 95, 35, 1, white, "X");
    pm_fb_free(fb);
    CHECK(w == 8 * PM_FONT_ADVANCE * 2 && w == pm_text_px_width("Lung 42%", 2), "width %d", w);
    CHECK(lit > 100 && outside == 0, "%d pixels lit, %d outside the text box", lit, outside);
}

int main(void)
{
    RUN(sheet_of_a_phantom_is_a_png_of_the_sheet_size_with_both_lungs_and_figures);
    RUN(sheet_refuses_bad_input_with_the_documented_exit_codes);
    RUN(one_lidc_slice_is_segmented_in_2d_with_areas_and_no_volume);
    RUN(two_real_slices_are_segmented_in_2d);
    RUN(partial_coverage_end_follows_the_patient_orientation);
    RUN(caption_text_draws_inside_its_box_and_clips);
    return test_done();
}
