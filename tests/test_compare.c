/* test_compare.c - RTSTRUCT reading and rasterizing, and mask comparison:
 * even-odd filling of nested polygons on known grids, Dice and surface
 * distances of shapes whose answers follow from geometry, resampling across
 * grids, and the real structure set of NSCLC-LUNG1-020 on its CT. */
#include "test.h"
#include "pulmo/compare.h"
#include "pulmo/nifti.h"
#include "pulmo/refmask.h"

#include <math.h>

static size_t count(const pm_mask *m, int value)
{
    size_t n = 0, nv = pm_grid_voxels(&m->g);
    for (size_t i = 0; i < nv; i++)
        n += m->v[i] == value;
    return n;
}

/* A square polygon of side s at corner (x, y), plane z, in LPS mm. */
static void square(pm_contour *c, double x, double y, double s, double z)
{
    static double pts[8][12];
    static int k;
    double *p = pts[k++ % 8];
    double xy[4][2] = {{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}};
    for (int i = 0; i < 4; i++) {
        p[3 * i] = xy[i][0];
        p[3 * i + 1] = xy[i][1];
        p[3 * i + 2] = z;
    }
    c->npts = 4;
    c->xyz = p;
}

TEST(nested_polygon_is_a_hole_and_off_plane_polygons_are_skipped)
{
    pm_grid g;
    pm_grid_init(&g, 20, 20, 4, 1, 1, 2);
    pm_contour c[3];
    square(&c[0], 2, 2, 10, 2);      /* centres 2..11: 10x10 on slice 1 */
    square(&c[1], 5, 5, 4, 2);       /* centres 5..8: a 4x4 hole */
    square(&c[2], 2, 2, 10, 3);      /* half-way between slices 1 and 2 */
    pm_roi roi = {1, "Lung-Left", 3, c, 0};
    pm_rtstruct rs = {"", "", "", 1, &roi};
    pm_mask *m = pm_mask_new(&g);
    int skipped = -1;
    CHECK(pm_rtstruct_fill(&rs, 0, 2, m, &skipped) == PM_OK, "%s", pm_error());
    CHECK(count(m, 2) == 100 - 16, "filled %zu voxels, expected 84", count(m, 2));
    CHECK(skipped == 1, "skipped %d", skipped);
    CHECK(m->v[2 + 20 * (2 + 20 * 1)] == 2 && m->v[11 + 20 * (11 + 20 * 1)] == 2, "corners inside");
    CHECK(m->v[12 + 20 * (2 + 20 * 1)] == 0 && m->v[6 + 20 * (6 + 20 * 1)] == 0, "edge/hole outside");
    pm_mask_free(m);
}

TEST(polygons_follow_the_grid_axes)
{
    /* A grid whose x axis points to the patient's right (LPS -x): the same
     * square lands mirrored in index space, and keeps its area. */
    pm_grid g;
    pm_grid_init(&g, 20, 20, 1, 0.5, 1, 1);
    g.dir[0] = -1;
    g.origin[0] = 9.5;
    pm_contour c;
    square(&c, 1, 3, 3, 0);
    pm_roi roi = {1, "Lung-Right", 1, &c, 0};
    pm_rtstruct rs = {"", "", "", 1, &roi};
    pm_mask *m = pm_mask_new(&g);
    CHECK(pm_rtstruct_fill(&rs, 0, 1, m, NULL) == PM_OK, "%s", pm_error());
    /* x 1..4 mm -> i = (9.5 - x) / 0.5 from 17 down to 11: centres 11..16
     * (a crossing's own centre is in on the lower index side); y 3..5 */
    CHECK(count(m, 1) == 6 * 3, "filled %zu", count(m, 1));
    CHECK(m->v[11 + 20 * 3] == 1 && m->v[16 + 20 * 5] == 1 && m->v[17 + 20 * 3] == 0
          && m->v[10 + 20 * 3] == 0, "mirrored place");
    pm_mask_free(m);
}

TEST(roi_names_map_to_labels_and_patterns_ignore_case)
{
    CHECK(pm_roi_label("Lung-Right") == 1 && pm_roi_label("lung_r") == 1 && pm_roi_label("RightLung") == 1,
          "right lung names");
    CHECK(pm_roi_label("Lung-Left") == 2 && pm_roi_label("LUNG L") == 2, "left lung names");
    CHECK(pm_roi_label("Trachea") == 3 && pm_roi_label("Lungs") == 0 && pm_roi_label("Heart") == 0,
          "other names");
    CHECK(pm_roi_match("GTV*", "gtv-2") && pm_roi_match("GTV*", "GTV-1") && !pm_roi_match("GTV*", "Heart"),
          "GTV pattern");
}

static pm_mask *cube(const pm_grid *g, int x0, int y0, int z0, int s, int label)
{
    pm_mask *m = pm_mask_new(g);
    for (int k = z0; k < z0 + s; k++)
        for (int j = y0; j < y0 + s; j++)
            for (int i = x0; i < x0 + s; i++)
                m->v[i + g->dim[0] * (j + g->dim[1] * k)] = (uint8_t)label;
    return m;
}

TEST(identical_masks_score_perfectly)
{
    pm_grid g;
    pm_grid_init(&g, 30, 30, 30, 0.8, 0.8, 2);
    pm_mask *a = cube(&g, 5, 5, 5, 10, 1), *b = cube(&g, 5, 5, 5, 10, 1);
    int label = 1;
    pm_compare_label r;
    CHECK(pm_compare(a, b, NULL, &label, 1, &r, NULL) == PM_OK, "%s", pm_error());
    CHECK(r.dice == 1.0 && r.assd_mm == 0 && r.hd95_mm == 0 && r.ml_diff == 0, "dice %g assd %g hd95 %g",
          r.dice, r.assd_mm, r.hd95_mm);
    CHECK(fabs(r.ml_ref - 1000 * 0.8 * 0.8 * 2 / 1000.0) < 1e-9, "volume %g mL", r.ml_ref);
    pm_mask_free(a);
    pm_mask_free(b);
}

TEST(shifted_cube_scores_by_geometry)
{
    /* Two 10-voxel cubes, the second shifted 2 voxels (3 mm) along x: the
     * overlap is 8/10, and no surface voxel is farther than 3 mm from the
     * other surface while the x faces (a fifth of each surface at least)
     * are exactly 3 mm away, so HD95 is 3 mm. */
    pm_grid g;
    pm_grid_init(&g, 30, 30, 30, 1.5, 1, 1);
    pm_mask *a = cube(&g, 5, 5, 5, 10, 2), *b = cube(&g, 7, 5, 5, 10, 2);
    int label = 2;
    pm_compare_label r;
    CHECK(pm_compare(a, b, NULL, &label, 1, &r, NULL) == PM_OK, "%s", pm_error());
    CHECK(fabs(r.dice - 0.8) < 1e-12, "dice %g", r.dice);
    CHECK(fabs(r.hd95_mm - 3.0) < 1e-5, "hd95 %g", r.hd95_mm);
    CHECK(r.assd_mm > 0 && r.assd_mm < 3.0, "assd %g", r.assd_mm);
    /* Ignoring the non-overlapping slabs leaves identical masks. */
    pm_mask *ign = pm_mask_new(&g);
    for (size_t i = 0; i < pm_grid_voxels(&g); i++)
        ign->v[i] = (a->v[i] != 0) != (b->v[i] != 0);
    CHECK(pm_compare(a, b, ign, &label, 1, &r, NULL) == PM_OK, "%s", pm_error());
    CHECK(r.dice == 1.0 && r.n_ref == 800, "dice %g with the slabs ignored, %llu voxels", r.dice,
          (unsigned long long)r.n_ref);
    pm_mask *empty = pm_mask_new(&g);
    CHECK(pm_compare(empty, b, NULL, &label, 1, &r, NULL) == PM_OK && r.dice == 0 && isnan(r.hd95_mm),
          "empty mask: dice %g hd95 %g", r.dice, r.hd95_mm);
    pm_mask_free(a), pm_mask_free(b), pm_mask_free(ign), pm_mask_free(empty);
}

TEST(resampling_goes_through_patient_coordinates)
{
    /* The same cube on a grid with the y axis reversed and half the x
     * spacing: resampled onto the first grid it is the same voxels. */
    pm_grid ga, gb;
    pm_grid_init(&ga, 20, 20, 10, 1, 1, 1);
    pm_grid_init(&gb, 40, 20, 10, 0.5, 1, 1);
    gb.dir[4] = -1;
    gb.origin[0] = -0.25;
    gb.origin[1] = 19;
    pm_mask *a = cube(&ga, 4, 3, 2, 6, 1), *b = pm_mask_new(&gb);
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 20; j++)
            for (int i = 0; i < 40; i++) {
                double p[3], q[3];
                pm_grid_to_lps(&gb, i, j, k, p);
                pm_grid_from_lps(&ga, p, q);
                int x = (int)floor(q[0] + 0.5), y = (int)floor(q[1] + 0.5), z = (int)floor(q[2] + 0.5);
                b->v[i + 40 * (j + 20 * k)] = x >= 4 && x < 10 && y >= 3 && y < 9 && z >= 2 && z < 8;
            }
    pm_mask *r;
    CHECK(pm_mask_resample_to(b, &ga, &r) == PM_OK, "%s", pm_error());
    CHECK(memcmp(r->v, a->v, pm_grid_voxels(&ga)) == 0, "resampled cube differs (%zu vs %zu voxels)",
          count(r, 1), count(a, 1));
    pm_mask_free(a), pm_mask_free(b), pm_mask_free(r);
}

#define RT "real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm"

TEST(reads_the_lung1_020_structure_set)
{
    pm_rtstruct *rs;
    CHECK(pm_rtstruct_read(test_data(RT), &rs) == PM_OK, "%s", pm_error());
    CHECK(rs->nrois == 9, "%d ROIs", rs->nrois);
    const char *want[] = {"Lung-Right", "Lung-Left", "Heart", "Esophagus", "Spinal-Cord", "gtv-4",
                          "gtv-3", "gtv-2", "GTV-1"};
    for (int i = 0; i < 9; i++)
        CHECK(!strcmp(rs->rois[i].name, want[i]), "ROI %d is '%s'", i, rs->rois[i].name);
    CHECK(rs->rois[0].ncontours == 175 && rs->rois[1].ncontours == 210, "contours %d %d",
          rs->rois[0].ncontours, rs->rois[1].ncontours);
    CHECK(rs->rois[0].contours[0].npts == 82 && rs->rois[0].contours[0].xyz[2] == -190.9, "first contour");
    CHECK(!strcmp(rs->series_uid, "1.3.6.1.4.1.40744.29.252985934944355749520800390041687397384"),
          "series %s", rs->series_uid);
    pm_rtstruct_free(rs);
}

TEST(rtstruct_rasterizes_on_its_ct_found_beside_it)
{
    pm_refmask_opts o = {0};
    o.ignore[o.nignore++] = "GTV*";
    pm_refmask *r;
    CHECK(pm_refmask_load(test_data(RT), &o, &r, NULL) == PM_OK, "%s", pm_error());
    const pm_grid *g = &r->labels->g;
    CHECK(g->dim[0] == 512 && g->dim[1] == 512 && g->dim[2] == 108, "grid %dx%dx%d", g->dim[0], g->dim[1],
          g->dim[2]);
    CHECK(r->present[1] && r->present[2] && !r->present[3], "labels");
    CHECK(!strcmp(r->ignored, "gtv-4,gtv-3,gtv-2,GTV-1"), "ignored %s", r->ignored);
    CHECK(r->nskipped == 0, "%d contours off the grid", r->nskipped);
    /* The right lung minus the tumours, 3373.2 mL, as pydicom + matplotlib
     * (even-odd Path.contains_points on voxel centres) count it. */
    size_t n = 0, nv = pm_grid_voxels(g);
    for (size_t i = 0; i < nv; i++)
        n += r->labels->v[i] == 1 && !r->ignore->v[i];
    double ml = (double)n * pm_grid_voxel_mm3(g) / 1000;
    CHECK(fabs(ml - 3373.2) < 0.05, "right lung %.2f mL", ml);
    pm_refmask_free(r);
}

int main(void)
{
    RUN(nested_polygon_is_a_hole_and_off_plane_polygons_are_skipped);
    RUN(polygons_follow_the_grid_axes);
    RUN(roi_names_map_to_labels_and_patterns_ignore_case);
    RUN(identical_masks_score_perfectly);
    RUN(shifted_cube_scores_by_geometry);
    RUN(resampling_goes_through_patient_coordinates);
    RUN(reads_the_lung1_020_structure_set);
    RUN(rtstruct_rasterizes_on_its_ct_found_beside_it);
    return test_done();
}
