/* test_bad_input.c - malformed inputs made here in a temporary folder give
 * their documented exit code from `pulmo info` and a message naming the file,
 * with no sanitizer report ($PULMO is the sanitized binary). */
#include "test.h"
#include "pulmo/dicom.h"
#include "pulmo/series.h"

#include <errno.h>
#include <sys/stat.h>

static const char *slice0(void) { return test_data("patients/LIDC-IDRI-0001/000000.dcm"); }
static const char *slice1(void) { return test_data("patients/LIDC-IDRI-0001/000001.dcm"); }

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    CHECK(b && fread(b, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_all(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(b, 1, n, f) == n, "cannot write %s", path);
    fclose(f);
}

/* A fresh sub-folder of the test's temporary folder. */
static const char *case_dir(const char *name)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), name);
    CHECK(mkdir(dir, 0777) == 0 || errno == EEXIST, "mkdir %s", dir);
    return dir;
}

/* Runs `pulmo info ARGS`, returns the exit code and keeps stderr in err. */
static int info(const char *args, char *err, size_t cap)
{
    const char *pulmo = getenv("PULMO");
    char cmd[2048], errfile[600];
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", test_tmpdir());
    snprintf(cmd, sizeof cmd, "%s info %s >/dev/null 2>%s", pulmo ? pulmo : "./pulmo", args, errfile);
    int rc = test_sh(cmd);
    size_t n;
    char *b = read_all(errfile, &n);
    snprintf(err, cap, "%.*s", (int)n, b);
    free(b);
    CHECK(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "sanitizer report: %s", err);
    return rc;
}

static void expect(const char *dir, const char *extra, int code, const char *needle)
{
    char args[1024], err[8192];
    snprintf(args, sizeof args, "%s %s", dir, extra);
    int rc = info(args, err, sizeof err);
    CHECK(rc == code, "%s: exit %d, expected %d; stderr: %s", dir, rc, code, err);
    CHECK(strstr(err, needle) != NULL, "message does not name '%s': %s", needle, err);
}

TEST(empty_file_named_dcm_is_exit_3_naming_it)
{
    const char *d = case_dir("empty");
    char p[600];
    snprintf(p, sizeof p, "%s/empty.dcm", d);
    write_all(p, "", 0);
    expect(d, "", 3, "empty.dcm");
}

TEST(file_truncated_inside_the_header_is_exit_3)
{
    size_t n;
    char *b = read_all(slice0(), &n);
    const char *d = case_dir("trunc-header");
    char p[600];
    snprintf(p, sizeof p, "%s/cut.dcm", d);
    write_all(p, b, 900);
    free(b);
    expect(d, "", 3, "cut.dcm");
}

TEST(file_truncated_inside_the_pixel_data_is_exit_3)
{
    size_t n;
    char *b = read_all(slice0(), &n);
    const char *d = case_dir("trunc-pixels");
    char p[600];
    snprintf(p, sizeof p, "%s/cut.dcm", d);
    write_all(p, b, n / 2);
    free(b);
    expect(d, "", 3, "cut.dcm");
}

TEST(text_file_named_dcm_is_exit_3_naming_it)
{
    const char *d = case_dir("text");
    char p[600];
    snprintf(p, sizeof p, "%s/notes.dcm", d);
    const char *txt = "This is not a DICOM file, just some notes.\n";
    write_all(p, txt, strlen(txt));
    expect(d, "", 3, "notes.dcm");
}

TEST(folder_without_dicom_is_exit_2)
{
    const char *d = case_dir("nodicom");
    char p[600];
    snprintf(p, sizeof p, "%s/readme.txt", d);
    write_all(p, "hello\n", 6);
    expect(d, "", 2, "no DICOM series");
}

/* Copies two real slices into d as 0.dcm and 1.dcm; h gets the first's header. */
static void two_real_slices(const char *d, pm_dicom_header *h)
{
    char p[600];
    size_t n;
    for (int i = 0; i < 2; i++) {
        char *b = read_all(i ? slice1() : slice0(), &n);
        snprintf(p, sizeof p, "%s/%d.dcm", d, i);
        write_all(p, b, n);
        free(b);
    }
    CHECK(pm_dicom_read_header(slice0(), h) == PM_OK, "%s", pm_error());
}

TEST(slice_of_other_dimensions_is_left_out_with_a_warning)
{
    const char *d = case_dir("mixed");
    char p[600];
    pm_dicom_header h;
    two_real_slices(d, &h);
    int16_t px[64 * 64];
    for (int i = 0; i < 64 * 64; i++)
        px[i] = (int16_t)(i % 64);
    pm_dicom_ct ct = {.patient_id = h.patient_id, .study_uid = h.study_uid,
                      .series_uid = h.series_uid, .sop_uid = "1.2.3.4.5.6.7",
                      .rows = 64, .cols = 64, .pixel_spacing = {1, 1}, .slice_thickness = 2.5,
                      .ipp = {0, 0, 500}, .iop = {1, 0, 0, 0, 1, 0}, .slope = 1};
    snprintf(p, sizeof p, "%s/small.dcm", d);
    CHECK(pm_dicom_write_ct(p, &ct, px) == PM_OK, "%s", pm_error());
    char err[8192];
    char args[700];
    snprintf(args, sizeof args, "%s --json", d);
    CHECK(info(args, err, sizeof err) == 0, "mixed series refused: %s", err);
    CHECK(strstr(err, "mixed_dimensions") && strstr(err, "small.dcm"), "no warning naming small.dcm: %s", err);
}

/* A localizer filed under the CT's own series UID, of the same size: it is
 * left out by its orientation, not stacked as a slice 200 mm away (which
 * made the series look tilted and irregular). */
TEST(localizer_in_the_series_is_left_out_by_its_orientation)
{
    const char *d = case_dir("localizer");
    char p[600];
    pm_dicom_header h;
    two_real_slices(d, &h);
    int16_t *px = calloc((size_t)h.rows * h.cols, sizeof *px);
    CHECK(px != NULL, "out of memory");
    pm_dicom_ct ct = {.patient_id = h.patient_id, .study_uid = h.study_uid,
                      .series_uid = h.series_uid, .sop_uid = "1.2.3.4.5.6.8",
                      .rows = h.rows, .cols = h.cols, .pixel_spacing = {1, 1}, .slice_thickness = 1,
                      .ipp = {-250, 0, 100}, .iop = {1, 0, 0, 0, 0, -1}, .slope = 1};
    snprintf(p, sizeof p, "%s/scout.dcm", d);
    CHECK(pm_dicom_write_ct(p, &ct, px) == PM_OK, "%s", pm_error());
    free(px);
    char err[8192], args[700];
    snprintf(args, sizeof args, "%s --json", d);
    CHECK(info(args, err, sizeof err) == 0, "series with a localizer refused: %s", err);
    CHECK(strstr(err, "mixed_dimensions") && strstr(err, "scout.dcm"), "no warning naming scout.dcm: %s", err);
    CHECK(!strstr(err, "gantry_tilt") && !strstr(err, "irregular"), "the localizer was stacked: %s", err);
}

TEST(two_different_images_at_one_position_are_exit_3_naming_both)
{
    const char *d = case_dir("dup");
    char p[600], q[600];
    snprintf(p, sizeof p, "%s/a.dcm", d);
    snprintf(q, sizeof q, "%s/b.dcm", d);
    size_t n;
    char *b = read_all(slice0(), &n);
    write_all(p, b, n);
    free(b);
    CHECK(pm_dicom_rewrite_string(slice0(), q, 0x0008, 0x0018, "1.2.826.0.1.99.1") == PM_OK, "%s", pm_error());
    expect(d, "", 3, "a.dcm");
    expect(d, "", 3, "b.dcm");
}

TEST(header_declaring_60000_square_pixels_is_refused_before_allocating)
{
    size_t n;
    char *b = read_all(slice0(), &n);
    /* Rows and Columns are explicit-VR US elements: (0028,0010) and (0028,0011). */
    int patched = 0;
    for (size_t i = 0; i + 10 <= n && patched < 2; i++) {
        if ((unsigned char)b[i] == 0x28 && b[i + 1] == 0 && (b[i + 2] == 0x10 || b[i + 2] == 0x11)
            && b[i + 3] == 0 && b[i + 4] == 'U' && b[i + 5] == 'S') {
            b[i + 8] = (char)0x60;
            b[i + 9] = (char)0xEA; /* 60000 little endian */
            patched++;
        }
    }
    CHECK(patched == 2, "Rows/Columns not found in the slice");
    const char *d = case_dir("huge");
    char p[600];
    snprintf(p, sizeof p, "%s/huge.dcm", d);
    write_all(p, b, n);
    free(b);
    /* 7.2 GB is over the default cap (half of RAM on any machine that runs
     * these tests); with the cap raised, the file is too small to hold it. */
    expect(d, "", 5, "huge.dcm");
    expect(d, "--max-memory 1T", 3, "huge.dcm");
}

int main(void)
{
    RUN(empty_file_named_dcm_is_exit_3_naming_it);
    RUN(file_truncated_inside_the_header_is_exit_3);
    RUN(file_truncated_inside_the_pixel_data_is_exit_3);
    RUN(text_file_named_dcm_is_exit_3_naming_it);
    RUN(folder_without_dicom_is_exit_2);
    RUN(slice_of_other_dimensions_is_left_out_with_a_warning);
    RUN(localizer_in_the_series_is_left_out_by_its_orientation);
    RUN(two_different_images_at_one_position_are_exit_3_naming_both);
    RUN(header_declaring_60000_square_pixels_is_refused_before_allocating);
    return test_done();
}
