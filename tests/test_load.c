/* test_load.c - the loader on real data: transfer syntaxes, LIDC-IDRI-0001
 * geometry and HU, gantry tilt, series without a UID. */
#include "test.h"
#include "pulmo/series.h"

#include <math.h>

static pm_volume *load(const char *rel)
{
    pm_volume *v = NULL;
    int rc = pm_load_dir(test_data(rel), NULL, NULL, &v, NULL);
    CHECK(rc == PM_OK, "load %s: %d %s", rel, rc, pm_error());
    return v;
}

static int has_warning(const pm_volume *v, const char *kind)
{
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, kind))
            return 1;
    return 0;
}

TEST(every_transfer_syntax_decodes_to_the_pixels_of_1_dcm)
{
    int32_t *ref = NULL, *px = NULL;
    size_t n = 0;
    for (int i = 1; i <= 9; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "edge/transfer-syntaxes/%d.dcm", i);
        pm_dicom_header h;
        CHECK(pm_dicom_read_header(test_data(rel), &h) == PM_OK, "%s header: %s", rel, pm_error());
        CHECK(h.rows == 384 && h.cols == 384, "%s is %dx%d", rel, h.cols, h.rows);
        if (!ref) {
            n = (size_t)h.rows * (size_t)h.cols;
            ref = malloc(n * sizeof *ref);
            px = malloc(n * sizeof *px);
            CHECK(pm_dicom_read_pixels(test_data(rel), &h, ref) == PM_OK, "%s: %s", rel, pm_error());
            continue;
        }
        CHECK(pm_dicom_read_pixels(test_data(rel), &h, px) == PM_OK, "%s: %s", rel, pm_error());
        size_t diff = 0;
        for (size_t k = 0; k < n; k++)
            diff += px[k] != ref[k];
        CHECK(diff == 0, "%s (%s): %zu pixels differ from 1.dcm", rel, h.transfer_syntax, diff);
    }
    long sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += ref[k];
    CHECK(sum > 0, "1.dcm decoded to an empty image");
    free(ref);
    free(px);
}

TEST(lidc_loads_with_declared_geometry_sorted_along_z)
{
    pm_volume *v = load("patients/LIDC-IDRI-0001");
    CHECK(v->g.dim[0] == 512 && v->g.dim[1] == 512 && v->g.dim[2] == 133, "dims %dx%dx%d",
          v->g.dim[0], v->g.dim[1], v->g.dim[2]);
    CHECK(fabs(v->g.spacing[0] - 0.703125) < 1e-6 && fabs(v->g.spacing[1] - 0.703125) < 1e-6
          && fabs(v->g.spacing[2] - 2.5) < 1e-6, "spacing %g %g %g", v->g.spacing[0],
          v->g.spacing[1], v->g.spacing[2]);
    CHECK(v->g.dir[8] > 0.999, "slices not stacked along +z");
    CHECK(fabs(v->g.origin[2] - -340.0) < 1e-3, "first slice z %g, expected -340", v->g.origin[2]);
    CHECK(v->nwarnings == 0, "unexpected warning %s", v->nwarnings ? v->warnings[0].message : "");
    pm_volume_free(v);
}

TEST(lidc_padding_reads_minus_1000_and_tissues_have_their_hu)
{
    pm_volume *v = load("patients/LIDC-IDRI-0001");
    int nx = v->g.dim[0], ny = v->g.dim[1];
    int min;
    pm_volume_stats(v, &min, NULL, NULL);
    CHECK(min >= -1024, "HU minimum %d: padding or outside fill left in", min);
    const int16_t *mid = v->hu + (size_t)nx * ny * 66;
    CHECK(mid[0] == -1000 && mid[nx - 1] == -1000, "corner outside the scan circle reads %d", mid[0]);
    /* Histogram of the middle slice: lung parenchyma and soft tissue peaks. */
    long lung = 0, soft = 0;
    for (int i = 0; i < nx * ny; i++) {
        lung += mid[i] >= -950 && mid[i] <= -700;
        soft += mid[i] >= 0 && mid[i] <= 80;
    }
    CHECK(lung > 15000, "only %ld voxels of lung parenchyma (-950..-700) in the middle slice", lung);
    CHECK(soft > 8000, "only %ld voxels of soft tissue (0..80) in the middle slice", soft);
    pm_volume_free(v);
}

TEST(ge_head_tilt_reports_gantry_tilt_and_irregular_spacing)
{
    pm_volume *v = load("patients/GE-HEAD-TILT");
    CHECK(has_warning(v, PM_WARN_TILT), "no gantry_tilt warning");
    CHECK(has_warning(v, PM_WARN_IRREGULAR), "no irregular_spacing warning");
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, PM_WARN_TILT))
            CHECK(strstr(v->warnings[i].message, "18.5") != NULL, "tilt message: %s", v->warnings[i].message);
    /* The third axis follows the sheared stack: positions stay exact. */
    double cosang = v->g.dir[5] * v->g.dir[8] + v->g.dir[2] * v->g.dir[6] + v->g.dir[4] * v->g.dir[7];
    CHECK(fabs(cosang) > 0.1, "stack axis perpendicular to the columns: tilt not kept");
    pm_volume_free(v);
}

TEST(series_without_uid_groups_into_one_series_of_20)
{
    pm_index *ix;
    CHECK(pm_index_scan(test_data("edge/j2k-lossless-no-series-uid"), &ix, NULL) == PM_OK, "%s", pm_error());
    CHECK(ix->nseries == 1, "%d series", ix->nseries);
    CHECK(ix->series[0].nfiles == 20, "%d slices", ix->series[0].nfiles);
    pm_index_free(ix);
    pm_volume *v = load("edge/j2k-lossless-no-series-uid");
    CHECK(v->g.dim[2] == 20, "loaded %d slices", v->g.dim[2]);
    pm_volume_free(v);
}

TEST(non_dicom_files_are_skipped_silently)
{
    pm_index *ix;
    CHECK(pm_index_scan(test_data("reference"), &ix, NULL) == PM_OK, "%s", pm_error());
    CHECK(ix->nseries == 0 && ix->nerrors == 0 && ix->nfiles >= 3, "series %d errors %d files %d",
          ix->nseries, ix->nerrors, ix->nfiles);
    pm_index_free(ix);
}

int main(void)
{
    RUN(every_transfer_syntax_decodes_to_the_pixels_of_1_dcm);
    RUN(lidc_loads_with_declared_geometry_sorted_along_z);
    RUN(lidc_padding_reads_minus_1000_and_tissues_have_their_hu);
    RUN(ge_head_tilt_reports_gantry_tilt_and_irregular_spacing);
    RUN(series_without_uid_groups_into_one_series_of_20);
    RUN(non_dicom_files_are_skipped_silently);
    return test_done();
}
