/* test_sheet.c - triage sheets (`pulmo report`, alias `sheet`; `batch
 * --sheets`; pm_sheet_draw, the caption font), the partial_coverage end
 * from the geometry, and series of one or two slices segmented in 2-D with
 * areas and no volumes. */
#include "files.h"
#include "pulmo/batch.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"
#include "pulmo/measure.h"
#include "pulmo/render.h"

#include <glob.h>
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

/* Pixels of r whose colour is within 12 of rgb in every channel. */
static int count_rgb(const pm_fb *fb, pm_rect r, const uint8_t rgb[3])
{
    int n = 0;
    for (int y = r.y; y < r.y + r.h && y < fb->h; y++)
        for (int x = r.x; x < r.x + r.w && x < fb->w; x++) {
            const uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x);
            n += abs(p[0] - rgb[0]) < 12 && abs(p[1] - rgb[1]) < 12 && abs(p[2] - rgb[2]) < 12;
        }
    return n;
}

/* Text rows of the table (PM_FONT_LINE * 2 pixels each) holding light text. */
static int table_rows(const pm_fb *fb, const pm_rect *t)
{
    int rows = 0;
    for (int y0 = t->y; y0 + PM_FONT_LINE * 2 <= t->y + t->h; y0 += PM_FONT_LINE * 2) {
        int lit = 0;
        for (int y = y0; y < y0 + PM_FONT_LINE * 2; y++)
            for (int x = t->x; x < t->x + t->w; x++)
                lit += fb->rgb[3 * ((size_t)y * fb->w + x) + 1] > 140;
        rows += lit > 40;
    }
    return rows;
}

/* The value after `"key": ` inside the object path keys[0] > keys[1] > ...
 * of a report.json (each key searched after the previous one). */
static double json_at(const char *json, const char *const *keys, int n)
{
    const char *p = json;
    char k[64];
    for (int i = 0; i < n && p; i++) {
        snprintf(k, sizeof k, "\"%s\": ", keys[i]);
        if ((p = strstr(p, k)))
            p += strlen(k);
    }
    return p ? atof(p) : NAN;
}

/* `pulmo report` of a phantom: the page's parts where the layout puts
 * them, lungs coloured in the zone slices, the -950 marker where -950 HU
 * falls on the histogram's scale, a table row per figure line. */
TEST(report_of_a_phantom_draws_slices_histogram_marker_and_zone_table)
{
    char args[2 * PATH_MAX], png[700];
    snprintf(png, sizeof png, "%s/phantom.png", test_tmpdir());
    snprintf(args, sizeof args, "report '%s' -o '%s'", abs_path("samples/patients/PHANTOM-01"), png);
    int rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    CHECK(strstr(tf_out, "sheet") && strstr(tf_out, "right upper"), "stdout: %s", tf_out);
    pm_fb *fb = NULL;
    CHECK(pm_png_read(png, &fb) == PM_OK, "%s", pm_error());
    pm_sheet_layout l;
    pm_sheet_layout_get(&l);
    int w = fb->w, h = fb->h;
    int red = 0, green = 0;
    for (int t = 0; t < 3; t++) {
        pm_rect r = l.axial[t];
        red += count_hue(fb, r.x, r.y, r.x + r.w, r.y + r.h, 0) > 500;
        green += count_hue(fb, r.x, r.y, r.x + r.w, r.y + r.h, 1) > 500;
    }
    pm_rect c = l.coronal;
    int cor = count_hue(fb, c.x, c.y, c.x + c.w, c.y + c.h, 0) > 2000 &&
              count_hue(fb, c.x, c.y, c.x + c.w, c.y + c.h, 1) > 2000;
    /* The marker: the one histogram column yellow from top to bottom. */
    static const uint8_t yellow[3] = {250, 210, 40}, green_box[3] = {120, 220, 120};
    int mark = -1, nmark = 0;
    for (int x = l.hist.x; x < l.hist.x + l.hist.w; x++)
        if (count_rgb(fb, (pm_rect){x, l.hist.y, 1, l.hist.h}, yellow) > l.hist.h * 3 / 4)
            mark = x, nmark++;
    double mark_hu = PM_MEASURE_HU_LO + (mark - l.hist.x + 0.5) * 1050.0 / l.hist.w;
    int bars = 0;
    for (int y = l.hist.y; y < l.hist.y + l.hist.h; y++)
        for (int x = l.hist.x; x < l.hist.x + l.hist.w; x++) {
            const uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x);
            bars += p[0] == p[1] && p[1] == p[2] && p[0] >= 60;
        }
    int rows = table_rows(fb, &l.table);
    /* No warnings on a phantom: the box says so in green. */
    int box = count_rgb(fb, l.warnings, green_box);
    pm_fb_free(fb);
    CHECK(w == PM_SHEET_W && h == PM_SHEET_H, "%dx%d, expected %dx%d", w, h, PM_SHEET_W, PM_SHEET_H);
    CHECK(red == 3 && green == 3 && cor, "lungs in %d/%d axial tiles (red/green), coronal %d", red, green, cor);
    CHECK(nmark == 1 && fabs(mark_hu + 950) < 10, "%d marker columns, at %.0f HU", nmark, mark_hu);
    CHECK(bars > 1000, "the histogram has %d bar pixels", bars);
    /* Heads, units, lungs, right + 3 zones, left + 3 zones, airway. */
    CHECK(rows == 12, "%d table rows", rows);
    CHECK(box > 500, "no green NO WARNINGS box (%d pixels)", box);
}

/* batch --sheets: a sheet beside each series' report, the report's zone
 * figures the same as `pulmo report` prints; a missing sheet is redrawn on
 * a resumed batch, a present one is not. */
TEST(batch_sheets_writes_a_sheet_per_series_and_report_json_zones_match)
{
    char root[700], out[700], cmd[3 * PATH_MAX], args[2 * PATH_MAX], sheet[800], rpath[800];
    snprintf(root, sizeof root, "%s/root", test_tmpdir());
    snprintf(out, sizeof out, "%s/batch", test_tmpdir());
    tf_mkdir(root);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", abs_path("samples/patients/PHANTOM-01"), root);
    CHECK(test_sh(cmd) == 0, "cannot copy the phantom");
    snprintf(args, sizeof args, "batch '%s' -o '%s' --sheets", root, out);
    int rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    /* The series' folder is named by the batch (patient, series number,
     * description): the one sheet under OUTDIR. */
    glob_t gl;
    snprintf(sheet, sizeof sheet, "%s/*/sheet.png", out);
    int found = glob(sheet, 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    if (found)
        snprintf(sheet, sizeof sheet, "%s", gl.gl_pathv[0]);
    globfree(&gl);
    CHECK(found == 1, "%d sheets under %s", found, out);
    snprintf(rpath, sizeof rpath, "%.*s/report.json", (int)(strrchr(sheet, '/') - sheet), sheet);
    pm_fb *fb = NULL;
    CHECK(pm_png_read(sheet, &fb) == PM_OK, "%s", pm_error());
    int w = fb->w, h = fb->h;
    pm_fb_free(fb);
    CHECK(w == PM_SHEET_W && h == PM_SHEET_H, "%dx%d", w, h);
    static char json[1 << 16];
    tf_read_text(rpath, json, sizeof json);
    snprintf(args, sizeof args, "report '%s/PHANTOM-01' --graphics ascii", root);
    rc = tf_run(args);
    CHECK(rc == 0, "exit %d: %s", rc, tf_err);
    /* The ASCII picture came first, then the report. */
    CHECK(strstr(tf_out, "@") && strstr(tf_out, "recipe"), "no picture or report: %.300s", tf_out);
    static const char *const side[2] = {"right", "left"}, *const zone[3] = {"upper", "middle", "lower"};
    int checked = 0;
    for (int s = 0; s < 2; s++)
        for (int z = 0; z < 3; z++) {
            char key[32];
            snprintf(key, sizeof key, "%s %s", side[s], zone[z]);
            const char *line = strstr(tf_out, key);
            double ml = NAN, mean = NAN;
            CHECK(line && sscanf(line + strlen(key), " %lf mL, mean %lf HU", &ml, &mean) == 2, "no '%s' line", key);
            const char *kml[4] = {"zones", side[s], zone[z], "ml"}, *kmean[4] = {"zones", side[s], zone[z], "mean_hu"};
            double jml = json_at(json, kml, 4), jmean = json_at(json, kmean, 4);
            CHECK(fabs(ml - jml) < 0.051 && fabs(mean - jmean) < 0.051 && ml > 100,
                  "%s: report %.1f mL %.1f HU, report.json %.3f mL %.3f HU", key, ml, mean, jml, jmean);
            checked++;
        }
    CHECK(checked == 6, "%d zones", checked);
    /* Resumed: skipped with its sheet there; redrawn when the sheet is gone. */
    snprintf(args, sizeof args, "batch '%s' -o '%s' --sheets", root, out);
    rc = tf_run(args);
    CHECK(rc == 0 && strstr(tf_err, "skipped"), "exit %d: %s", rc, tf_err);
    remove(sheet);
    rc = tf_run(args);
    CHECK(rc == 0 && !strstr(tf_err, "skipped") && pm_path_exists(sheet), "exit %d: %s", rc, tf_err);
}

/* DICOM text is untrusted: an escape sequence and a bell in the patient's
 * name are stripped before drawing, not drawn as '?' (the header matches
 * the name without them), and warnings go in the box in amber. */
TEST(sheet_header_strips_control_characters_and_boxes_warnings)
{
    pm_grid g;
    pm_grid_init(&g, 32, 32, 8, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_segment_report *rep = calloc(1, sizeof *rep);
    CHECK(v && rep, "out of memory");
    rep->status = PM_OK;
    rep->nwarnings = 1;
    snprintf(rep->warnings[0], sizeof rep->warnings[0], "partial_coverage: apex cut off");
    pm_fb *fb[2] = {NULL, NULL};
    static const char *const names[2] = {"\x1b[31mEVIL\x07^NAME", "[31mEVIL^NAME"};
    for (int i = 0; i < 2; i++) {
        snprintf(v->meta.patient_name, sizeof v->meta.patient_name, "%s", names[i]);
        CHECK(pm_segment_sheet_draw(v, NULL, rep, &fb[i]) == PM_OK, "%s", pm_error());
    }
    pm_sheet_layout l;
    pm_sheet_layout_get(&l);
    static const uint8_t amber[3] = {255, 170, 40};
    int same = !memcmp(fb[0]->rgb, fb[1]->rgb, (size_t)3 * fb[0]->w * l.warnings.y);
    int box = count_rgb(fb[0], l.warnings, amber);
    pm_fb_free(fb[0]);
    pm_fb_free(fb[1]);
    pm_volume_free(v);
    free(rep);
    CHECK(same, "the header differs: control characters were drawn");
    CHECK(box > 1500, "only %d amber pixels in the warnings box", box);
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
    snprintf(args, sizeof args, "report '%s' --graphics paper", lidc);
    noout += tf_run(args);
    snprintf(args, sizeof args, "sheet '%s' -o '%s/no/such/dir/x.png'", lidc, test_tmpdir());
    int unwritable = tf_run(args);
    tf_snapshot(lidc, before, sizeof before);
    snprintf(args, sizeof args, "sheet '%s' -o '%s/sheet.png'", lidc, lidc);
    int inside = tf_run(args);
    tf_snapshot(lidc, after, sizeof after);
    CHECK(missing == 2 && noimage == 2 && noout == 2 && unwritable == 4 && inside == 4,
          "missing %d, no image %d, no -o + bad --graphics %d, unwritable %d, inside the input %d", missing, noimage, noout,
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
    RUN(report_of_a_phantom_draws_slices_histogram_marker_and_zone_table);
    RUN(batch_sheets_writes_a_sheet_per_series_and_report_json_zones_match);
    RUN(sheet_header_strips_control_characters_and_boxes_warnings);
    RUN(sheet_refuses_bad_input_with_the_documented_exit_codes);
    RUN(one_lidc_slice_is_segmented_in_2d_with_areas_and_no_volume);
    RUN(two_real_slices_are_segmented_in_2d);
    RUN(partial_coverage_end_follows_the_patient_orientation);
    RUN(caption_text_draws_inside_its_box_and_clips);
    return test_done();
}
