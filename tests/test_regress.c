/* test_regress.c - replays the inputs in tests/regress/ that once crashed,
 * hung or exhausted memory (see tests/regress/README), through the same
 * calls as the fuzz targets, and checks that each is now refused as corrupt
 * with a reason naming the file. Also the HU overflow of 32-bit pixels. */
#include "files.h"
#include "pulmo/dicom.h"
#include "pulmo/series.h"

#include <dirent.h>
#include <time.h>

static unsigned char *unhex(const char *path, size_t *n)
{
    size_t len;
    unsigned char *t = tf_slurp(path, &len);
    if (!t)
        return NULL;
    unsigned char *b = malloc(len / 2 + 1);
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        int c = t[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            b[o++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    free(t);
    *n = o;
    return b;
}

/* Writes the input as files of a fresh folder, cut at "PMFILE\n" for series. */
static const char *stage(const char *name, const unsigned char *b, size_t n, int series)
{
    static char dir[800];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), name);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    CHECK(test_sh(cmd) == 0, "mkdir %s", dir);
    static const char marker[] = "PMFILE\n";
    size_t start = 0;
    int k = 0;
    for (size_t i = 0; i <= n; i++) {
        int cut = i == n || (series && n - i >= 7 && memcmp(b + i, marker, 7) == 0);
        if (!cut)
            continue;
        char path[900];
        snprintf(path, sizeof path, "%s/%02d.dcm", dir, k++);
        CHECK(tf_spit(path, b + start, i - start) == 0, "write %s", path);
        start = i + 7;
        i += 6;
    }
    return dir;
}

TEST(every_regression_input_is_refused_without_a_crash)
{
    DIR *d = opendir("tests/regress");
    CHECK(d, "tests/regress missing (run from the project root)");
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".hex") != 0)
            continue;
        char path[600], name[256];
        snprintf(path, sizeof path, "tests/regress/%s", e->d_name);
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
        size_t n;
        unsigned char *b = unhex(path, &n);
        CHECK(b && n > 100, "%s: empty", path);
        int series = strncmp(name, "series-", 7) == 0;
        const char *dir = stage(name, b, n, series);
        free(b);
        double t0 = pm_now();
        /* The single-file calls, as fuzz_dicom makes them. */
        char file[900];
        snprintf(file, sizeof file, "%s/00.dcm", dir);
        pm_dicom_header h;
        if (pm_dicom_read_header(file, &h) == PM_OK && h.rows > 0 && h.cols > 0
            && (long long)h.rows * h.cols <= 4096LL * 4096) {
            int32_t *px = malloc((size_t)h.rows * (size_t)h.cols * sizeof *px);
            pm_dicom_read_pixels(file, &h, px);
            free(px);
        }
        /* The folder, as fuzz_series and `pulmo info` load it. */
        pm_volume *v = NULL;
        pm_load_opts o = {256u << 20};
        int rc = pm_load_dir(dir, NULL, &o, &v, NULL);
        if (rc == PM_OK) {
            int named = 0;
            for (int w = 0; w < v->nwarnings; w++)
                named |= strstr(v->warnings[w].message, ".dcm") != NULL;
            pm_volume_free(v);
            CHECK(named, "%s: loaded without a warning naming a file", name);
        } else {
            CHECK(rc == PM_ECORRUPT && strstr(pm_error(), ".dcm"), "%s: status %d: %s", name, rc, pm_error());
        }
        CHECK(pm_now() - t0 < 10, "%s: took %.1f s", name, pm_now() - t0);
        count++;
    }
    closedir(d);
    CHECK(count >= 8, "only %d regression inputs", count);
}

/* 32-bit unsigned pixels at 0xFFFFFFFF with an integral intercept: the HU
 * conversion once added them in int32 (signed overflow, UBSan). */
TEST(pixels_of_32_bits_with_an_intercept_do_not_overflow)
{
    const char *dir = stage("u32", (const unsigned char *)"", 0, 0);
    char path[900];
    snprintf(path, sizeof path, "%s/00.dcm", dir);
    int16_t px[64];
    memset(px, 0xFF, sizeof px);
    pm_dicom_ct ct = {0};
    ct.patient_id = "U32";
    ct.series_uid = "1.2.826.0.1.3680043.2.1125.7";
    ct.sop_uid = "1.2.826.0.1.3680043.2.1125.7.1";
    ct.study_uid = "1.2.826.0.1.3680043.2.1125.6";
    ct.rows = 8;
    ct.cols = 8;
    ct.pixel_spacing[0] = ct.pixel_spacing[1] = 1;
    ct.slice_thickness = 1;
    double iop[6] = {1, 0, 0, 0, 1, 0};
    memcpy(ct.iop, iop, sizeof iop);
    ct.slope = 1;
    ct.intercept = 1000;
    CHECK(pm_dicom_write_ct(path, &ct, px) == PM_OK, "%s", pm_error());
    /* Same 128 bytes of pixels read as 8 rows of 4 unsigned 32-bit values. */
    size_t n;
    unsigned char *b = tf_slurp(path, &n);
    tf_elem el[128];
    int k = tf_elements(b, n, el, 128);
    static const unsigned tags[][2] = {{0x0011, 4}, {0x0100, 32}, {0x0101, 32}, {0x0102, 31}, {0x0103, 0}};
    for (int t = 0; t < 5; t++) {
        const tf_elem *x = tf_find(el, k, 0x0028, tags[t][0]);
        CHECK(x && x->len == 2, "(0028,%04x) missing", tags[t][0]);
        tf_put16(b + x->off + 8, tags[t][1]);
    }
    CHECK(tf_spit(path, b, n) == 0, "write");
    free(b);
    pm_volume *v = NULL;
    CHECK(pm_load_dir(dir, NULL, NULL, &v, NULL) == PM_OK, "%s", pm_error());
    int lo, hi;
    pm_volume_stats(v, &lo, &hi, NULL);
    CHECK(v->g.dim[0] == 4 && hi == 32767, "dims %d, max %d", v->g.dim[0], hi);
    pm_volume_free(v);
}

int main(void)
{
    RUN(every_regression_input_is_refused_without_a_crash);
    RUN(pixels_of_32_bits_with_an_intercept_do_not_overflow);
    return test_done();
}
