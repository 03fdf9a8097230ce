/* test_real_load.c - loading the real series of ../shared/data as scanners
 * and archives write them: every DICOM file there passes the guard and
 * decodes, non-image objects (RTSTRUCT, DICOMDIR) are skipped without an
 * error, a missing slice is interpolated in place on a uniform grid, the
 * gantry tilt keeps its sign, byte-identical copies count once and decoder
 * messages are collapsed into one warning. */
#include "files.h"
#include "pulmo/dicom.h"
#include "pulmo/series.h"

#include <dirent.h>
#include <math.h>

#define LIDC "patients/LIDC-IDRI-0001"

typedef struct walk {
    char **paths;
    int n, cap;
    int unprobed;          /* files the probe could not read */
    char first_unprobed[4096];
} walk;

static void walk_add(walk *w, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk_add(w, path);
        } else if (!S_ISREG(st.st_mode)) {
            continue;
        } else if (pm_dicom_probe(path) < 0) {
            if (w->unprobed++ == 0)
                snprintf(w->first_unprobed, sizeof w->first_unprobed, "%s", path);
        } else if (pm_dicom_probe(path) == 1) {
            if (w->n == w->cap) {
                w->cap = w->cap ? 2 * w->cap : 1024;
                w->paths = realloc(w->paths, (size_t)w->cap * sizeof *w->paths);
            }
            w->paths[w->n++] = strdup(path);
        }
    }
    closedir(d);
}

typedef struct decode_all {
    walk *w;
    int *status;       /* 0 decoded, 1 non-image, -1 refused */
    char (*why)[700];
    int32_t **buf;     /* per thread */
} decode_all;

static void decode_one(void *ctx, int i, int thread)
{
    decode_all *d = ctx;
    pm_dicom_header h;
    const char *path = d->w->paths[i];
    if (pm_dicom_read_header(path, &h) != PM_OK) {
        d->status[i] = -1;
        snprintf(d->why[i], sizeof d->why[i], "header: %s", pm_error());
        return;
    }
    if (h.non_image) {
        d->status[i] = 1;
        return;
    }
    size_t npix = (size_t)h.rows * (size_t)h.cols;
    int32_t *px = realloc(d->buf[thread], npix * sizeof *px);
    d->buf[thread] = px;
    if (!px || pm_dicom_read_pixels(path, &h, px) != PM_OK) {
        d->status[i] = -1;
        snprintf(d->why[i], sizeof d->why[i], "pixels: %s", px ? pm_error() : "out of memory");
    }
}

/* The guard refuses only what would crash GDCM or exhaust memory: every
 * file the archives hold, which GDCM and dcmtk decode, must decode. */
TEST(every_dicom_file_under_shared_data_passes_the_guard_and_decodes)
{
    walk w = {0};
    walk_add(&w, test_data(""));
    CHECK(w.n > 700, "only %d DICOM files under %s", w.n, test_data(""));
    /* No file is left out of the count because the probe could not read it. */
    CHECK(w.unprobed == 0, "%d file(s) could not be probed, first %s", w.unprobed, w.first_unprobed);
    decode_all d = {&w, calloc((size_t)w.n, sizeof(int)), calloc((size_t)w.n, 700), NULL};
    int threads = pm_threads();
    d.buf = calloc((size_t)threads, sizeof *d.buf);
    CHECK(pm_parallel_for(w.n, threads, decode_one, &d, NULL, "decoding") == PM_OK, "%s", pm_error());
    int decoded = 0, other = 0, refused = 0, first = -1;
    for (int i = 0; i < w.n; i++) {
        decoded += d.status[i] == 0;
        other += d.status[i] == 1;
        if (d.status[i] < 0 && refused++ == 0)
            first = i;
    }
    printf("%d DICOM files: %d decoded, %d without an image, %d refused\n", w.n, decoded, other, refused);
    CHECK(refused == 0, "%d refused, first %s", refused, d.why[first]);
    CHECK(other >= 1, "the RTSTRUCT was not recognised as a non-image object");
    for (int t = 0; t < threads; t++)
        free(d.buf[t]);
    for (int i = 0; i < w.n; i++)
        free(w.paths[i]);
    free(w.paths);
    free(d.buf);
    free(d.status);
    free(d.why);
}

static int has_warning(const pm_volume *v, const char *kind, const char **msg)
{
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, kind)) {
            if (msg)
                *msg = v->warnings[i].message;
            return 1;
        }
    return 0;
}

/* MIDRC-RICORD frames end with FF D9 and a non-zero pad byte. */
TEST(ricord_jpeg_lossless_loads_all_255_slices)
{
    pm_volume *v = NULL;
    int rc = pm_load_dir(test_data("real/RICORD-1A-COVID"), NULL, NULL, &v, NULL);
    CHECK(rc == PM_OK, "%s", pm_error());
    const char *msg = "";
    int failed = has_warning(v, PM_WARN_DECODE, &msg);
    int slices = v->g.dim[2];
    pm_volume_free(v);
    CHECK(slices == 255 && !failed, "%d slices; %s", slices, msg);
}

TEST(an_rtstruct_beside_the_images_is_skipped_without_an_error)
{
    pm_dicom_header h;
    const char *rt = test_data("real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm");
    CHECK(pm_dicom_read_header(rt, &h) == PM_OK, "%s", pm_error());
    CHECK(h.non_image, "RTSTRUCT not recognised as a non-image object");
    pm_index *ix;
    CHECK(pm_index_scan(test_data("real/NSCLC-LUNG1-020-RT.rtstruct"), &ix, NULL) == PM_OK, "%s", pm_error());
    int series = ix->nseries, errors = ix->nerrors, other = ix->nother;
    pm_index_free(ix);
    CHECK(series == 0 && errors == 0 && other == 1, "series %d errors %d non-image %d", series, errors, other);
    /* The folder that holds it with the planning CT: no error either. */
    const char *dir = test_tmpdir();
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/rt' && cp '%s' '%s'/* '%s/rt/'", dir, rt,
             test_data("edge/two-slices-no-modality"), dir);
    CHECK(test_sh(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "%s/rt", dir);
    CHECK(pm_index_scan(cmd, &ix, NULL) == PM_OK, "%s", pm_error());
    series = ix->nseries, errors = ix->nerrors, other = ix->nother;
    pm_index_free(ix);
    CHECK(series == 1 && errors == 0 && other == 1, "series %d errors %d non-image %d", series, errors, other);
}

TEST(a_dicomdir_is_skipped_without_an_error)
{
    char dir[700], cmd[2400];
    snprintf(dir, sizeof dir, "%s/dicomdir", test_tmpdir());
    /* DICOMDIR file IDs are upper-case names of up to 8 characters. */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/IMG' && for i in 01 02 03 04 05 06; do "
             "cp '%s/'$i.dcm '%s'/IMG/IM$i || exit 1; done && cd '%s' && chmod -R u+w IMG && "
             "dcmmkdir -q +I --recurse IMG", dir, test_data("patients/GE-HEAD-TILT"), dir, dir);
    CHECK(test_sh(cmd) == 0, "dcmmkdir failed: %s", cmd);
    snprintf(cmd, sizeof cmd, "%s/DICOMDIR", dir);
    pm_dicom_header h;
    CHECK(pm_dicom_read_header(cmd, &h) == PM_OK, "%s", pm_error());
    CHECK(h.non_image, "DICOMDIR not recognised as a non-image object");
    pm_index *ix;
    CHECK(pm_index_scan(dir, &ix, NULL) == PM_OK, "%s", pm_error());
    int series = ix->nseries, errors = ix->nerrors, other = ix->nother;
    int files = series ? ix->series[0].nfiles : 0;
    pm_index_free(ix);
    CHECK(series == 1 && files == 6 && errors == 0 && other == 1, "series %d (%d files) errors %d non-image %d",
          series, files, errors, other);
}

TEST(ge_head_tilt_keeps_the_sign_of_its_header)
{
    pm_volume *v = NULL;
    CHECK(pm_load_dir(test_data("patients/GE-HEAD-TILT"), NULL, NULL, &v, NULL) == PM_OK, "%s", pm_error());
    double tilt = pm_grid_tilt(&v->g, v->meta.patient_position);
    const char *msg = "";
    int warned = has_warning(v, PM_WARN_TILT, &msg);
    int irregular = has_warning(v, PM_WARN_IRREGULAR, NULL), missing = has_warning(v, PM_WARN_MISSING, NULL);
    int nz = v->g.dim[2];
    char copy[600];
    snprintf(copy, sizeof copy, "%s", msg);
    msg = copy;
    pm_volume_free(v);
    /* GantryDetectorTilt in every file of the series is -18.5. */
    CHECK(fabs(tilt + 18.5) < 0.1, "tilt %.2f, the header says -18.5", tilt);
    CHECK(warned && strstr(msg, "-18.5"), "tilt warning: %s", msg);
    /* Uneven gaps (1.14/4.22/7.38 mm) are no multiples of the spacing:
     * stacked as they are, not filled in. */
    CHECK(nz == 28 && irregular && !missing, "%d slices, irregular %d missing %d", nz, irregular, missing);
}

/* LIDC-IDRI-0001 without its slice 000066: the grid has the full series'
 * 133 slices at the full series' positions, the missing one interpolated
 * and named, every other slice's HU untouched. */
TEST(a_missing_slice_is_interpolated_and_the_slices_above_stay_in_place)
{
    char dir[700], cmd[2000];
    snprintf(dir, sizeof dir, "%s/gap", test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.dcm '%s/' && rm '%s/000066.dcm'", dir,
             test_data(LIDC), dir, dir);
    CHECK(test_sh(cmd) == 0, "%s", cmd);
    pm_volume *full = NULL, *gap = NULL;
    CHECK(pm_load_dir(test_data(LIDC), NULL, NULL, &full, NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_load_dir(dir, NULL, NULL, &gap, NULL) == PM_OK, "%s", pm_error());
    int nz = full->g.dim[2];
    CHECK(gap->g.dim[2] == nz, "%d grid slices with the gap, %d without", gap->g.dim[2], nz);
    const char *msg = "";
    CHECK(has_warning(gap, PM_WARN_MISSING, &msg), "no missing_slices warning");
    /* Which grid slice was filled: the one where 000066 sits in the full series. */
    int hole = -1;
    pm_dicom_header h;
    CHECK(pm_dicom_read_header(test_data(LIDC "/000066.dcm"), &h) == PM_OK, "%s", pm_error());
    for (int k = 0; k < nz; k++) {
        double p[3], q[3];
        pm_grid_to_lps(&full->g, 0, 0, k, p);
        pm_grid_to_lps(&gap->g, 0, 0, k, q);
        CHECK(fabs(p[0] - q[0]) < 1e-3 && fabs(p[1] - q[1]) < 1e-3 && fabs(p[2] - q[2]) < 1e-3,
              "grid slice %d at z %.3f, in the full series %.3f", k, q[2], p[2]);
        if (fabs(p[2] - h.ipp[2]) < 1e-3)
            hole = k;
    }
    CHECK(hole > 0 && hole < nz - 1, "000066.dcm (z %.2f) is not inside the grid", h.ipp[2]);
    char idx[16];
    snprintf(idx, sizeof idx, "%d", hole);
    CHECK(strstr(msg, "interpolated") && strstr(msg, idx), "warning does not name slice %d: %s", hole, msg);
    size_t npix = (size_t)full->g.dim[0] * (size_t)full->g.dim[1];
    for (int k = 0; k < nz; k++) {
        if (k == hole)
            continue;
        CHECK(memcmp(full->hu + npix * k, gap->hu + npix * k, npix * sizeof *full->hu) == 0,
              "slice %d differs from the full series", k);
    }
    /* The filled slice lies between its neighbours, voxel by voxel. */
    const int16_t *lo = gap->hu + npix * (hole - 1), *hi = gap->hu + npix * (hole + 1),
                  *mid = gap->hu + npix * hole;
    for (size_t i = 0; i < npix; i++) {
        int a = lo[i] < hi[i] ? lo[i] : hi[i], c = lo[i] < hi[i] ? hi[i] : lo[i];
        CHECK(mid[i] >= a && mid[i] <= c, "voxel %zu: %d not between %d and %d", i, mid[i], a, c);
    }
    pm_volume_free(full);
    pm_volume_free(gap);
}

TEST(a_byte_identical_copy_of_a_file_counts_once)
{
    char dir[700], cmd[2000];
    snprintf(dir, sizeof dir, "%s/dups", test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/sub' && cp '%s'/*.dcm '%s/' && cp '%s/01.dcm' '%s/sub/copy.dcm' "
             "&& cp '%s/02.dcm' '%s/02-again.dcm'", dir, test_data("patients/GE-HEAD-TILT"), dir, dir, dir,
             dir, dir);
    CHECK(test_sh(cmd) == 0, "%s", cmd);
    pm_index *ix;
    CHECK(pm_index_scan(dir, &ix, NULL) == PM_OK, "%s", pm_error());
    int series = ix->nseries, files = series ? ix->series[0].nfiles : 0;
    int dups = series ? ix->series[0].nduplicates : 0;
    pm_index_free(ix);
    CHECK(series == 1 && files == 28 && dups == 2, "series %d, %d files, %d duplicates", series, files, dups);
}

/* A JPEG 2000 series with broken tile parts: OpenJPEG's messages are
 * counted into one warning naming the first file, not printed. */
TEST(decoder_messages_become_one_warning_per_series)
{
    char dir[700], cmd[2000];
    snprintf(dir, sizeof dir, "%s/j2k", test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/* '%s/' && chmod u+w '%s'/*", dir,
             test_data("edge/j2k-lossless-no-series-uid"), dir, dir);
    CHECK(test_sh(cmd) == 0, "%s", cmd);
    DIR *d = opendir(dir);
    struct dirent *e;
    int broken = 0;
    while ((e = readdir(d)) && broken < 6) {
        if (e->d_name[0] == '.')
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        unsigned char *b = tf_slurp(path, &n);
        CHECK(b, "read %s", path);
        /* Psot of the first tile part (SOT marker FF 90) made huge. */
        for (size_t i = 0; i + 10 < n; i++)
            if (b[i] == 0xFF && b[i + 1] == 0x90 && b[i + 2] == 0x00 && b[i + 3] == 0x0A) {
                b[i + 6] = 0x7F, b[i + 7] = 0xFF, b[i + 8] = 0xFF, b[i + 9] = 0xFF;
                broken++;
                break;
            }
        CHECK(tf_spit(path, b, n) == 0, "write %s", path);
        free(b);
    }
    closedir(d);
    CHECK(broken == 6, "only %d files had a tile part", broken);
    pm_volume *v = NULL;
    CHECK(pm_load_dir(dir, NULL, NULL, &v, NULL) == PM_OK, "%s", pm_error());
    int ndec = 0;
    const char *msg = "";
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, PM_WARN_DECODER)) {
            ndec++;
            msg = v->warnings[i].message;
        }
    char copy[600];
    snprintf(copy, sizeof copy, "%s", msg);
    pm_volume_free(v);
    CHECK(ndec == 1, "%d decoder_messages warnings", ndec);
    CHECK(strstr(copy, "on 6 slice(s)") && strstr(copy, dir) && strstr(copy, "Tile part"), "%s", copy);
}

int main(void)
{
    RUN(every_dicom_file_under_shared_data_passes_the_guard_and_decodes);
    RUN(ricord_jpeg_lossless_loads_all_255_slices);
    RUN(an_rtstruct_beside_the_images_is_skipped_without_an_error);
    if (test_sh("command -v dcmmkdir >/dev/null 2>&1") == 0)
        RUN(a_dicomdir_is_skipped_without_an_error);
    else
        printf("SKIP a_dicomdir_is_skipped_without_an_error: dcmmkdir (dcmtk) not installed\n");
    RUN(ge_head_tilt_keeps_the_sign_of_its_header);
    RUN(a_missing_slice_is_interpolated_and_the_slices_above_stay_in_place);
    RUN(a_byte_identical_copy_of_a_file_counts_once);
    RUN(decoder_messages_become_one_warning_per_series);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir());
    test_sh(cmd);
    return test_done();
}
