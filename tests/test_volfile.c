/* test_volfile.c - NIfTI, MetaImage and NRRD volumes as CT series: each
 * file is built with a known orientation and one marked voxel, and the
 * loaded volume must hold the mark at the patient (LPS) point the format
 * defines; value types, byte orders, compression, the not-HU warning, and
 * bad headers failing with exit code 3. NIfTI files are written by nibabel
 * (an independent writer); MetaImage and NRRD headers by hand. */
#include "files.h"
#include "pulmo/series.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"
#include "pulmo/volfile.h"

#include <math.h>
#include <zlib.h>

#define NX 6
#define NY 5
#define NZ 4
#define MARK_I 4
#define MARK_J 1
#define MARK_K 2

static const char *tpath(const char *name)
{
    static char b[8][4096];
    static int k;
    char *p = b[k++ % 8];
    snprintf(p, sizeof b[0], "%s/%s", test_tmpdir(), name);
    return p;
}

/* NX*NY*NZ int16 voxels of -1000 (air, so the HU check passes) with
 * 700 at the mark; big endian when be. */
static void raw16(unsigned char *out, int be, int base)
{
    for (int v = 0; v < NX * NY * NZ; v++) {
        int x = v == MARK_I + NX * (MARK_J + NY * MARK_K) ? 700 : base;
        uint16_t u = (uint16_t)(int16_t)x;
        out[2 * v + (be ? 1 : 0)] = (unsigned char)(u & 0xff);
        out[2 * v + (be ? 0 : 1)] = (unsigned char)(u >> 8);
    }
}

/* Loads path through the series index, as the front ends do. */
static pm_volume *load(const char *path)
{
    pm_volume *v = NULL;
    int st = pm_load_dir(path, NULL, NULL, &v, NULL);
    CHECK(st == PM_OK, "%s: %s", path, pm_error());
    return v;
}

/* The voxel nearest to LPS point p. */
static int at(const pm_volume *v, const double p[3])
{
    double q[3];
    CHECK(pm_grid_from_lps(&v->g, p, q) == 0, "degenerate grid");
    int i = (int)lround(q[0]), j = (int)lround(q[1]), k = (int)lround(q[2]);
    CHECK(i >= 0 && j >= 0 && k >= 0 && i < v->g.dim[0] && j < v->g.dim[1] && k < v->g.dim[2],
          "point (%g %g %g) is outside: voxel %g %g %g", p[0], p[1], p[2], q[0], q[1], q[2]);
    return v->hu[i + v->g.dim[0] * (j + v->g.dim[1] * k)];
}

static int has_warning(const pm_volume *v, const char *kind)
{
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, kind))
            return 1;
    return 0;
}

TEST(metaimage_geometry_is_lps_with_one_axis_per_triplet)
{
    /* Axes: i along -y (anterior), j along +x, k along +z; spacing 0.5, 2, 3;
     * the mark at offset + 4*0.5*(0,-1,0) + 1*2*(1,0,0) + 2*3*(0,0,1). */
    unsigned char raw[2 * NX * NY * NZ];
    raw16(raw, 0, -1000);
    CHECK(tf_spit(tpath("a.raw"), raw, sizeof raw) == 0, "write");
    FILE *f = fopen(tpath("a.mhd"), "w");
    fprintf(f, "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
               "CompressedData = False\nTransformMatrix = 0 -1 0 1 0 0 0 0 1\nOffset = 10 20 -30\n"
               "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\nElementSpacing = 0.5 2 3\n"
               "DimSize = %d %d %d\nElementType = MET_SHORT\nElementDataFile = a.raw\n", NX, NY, NZ);
    fclose(f);
    pm_volume *v = load(tpath("a.mhd"));
    double p[3] = {10 + 2, 20 - 2, -30 + 6};
    CHECK(at(v, p) == 700, "mark reads %d", at(v, p));
    CHECK(v->g.dim[0] == NX && v->g.dim[2] == NZ && fabs(v->g.spacing[1] - 2) < 1e-12, "grid");
    CHECK(!has_warning(v, PM_WARN_NOT_HU), "HU volume flagged as not HU");
    pm_volume_free(v);
}

TEST(compressed_big_endian_metaimage_reads_the_same)
{
    unsigned char raw[2 * NX * NY * NZ], z[4096];
    raw16(raw, 1, -1000);
    uLongf zn = sizeof z;
    CHECK(compress(z, &zn, raw, sizeof raw) == Z_OK, "compress");
    CHECK(tf_spit(tpath("b.zraw"), z, zn) == 0, "write");
    FILE *f = fopen(tpath("b.mhd"), "w");
    fprintf(f, "NDims = 3\nDimSize = %d %d %d\nElementSpacing = 1 1 1\nOffset = 0 0 0\n"
               "ElementByteOrderMSB = True\nCompressedData = True\nCompressedDataSize = %lu\n"
               "ElementType = MET_SHORT\nElementDataFile = b.zraw\n", NX, NY, NZ, (unsigned long)zn);
    fclose(f);
    pm_volume *v = load(tpath("b.mhd"));
    double p[3] = {MARK_I, MARK_J, MARK_K};
    CHECK(at(v, p) == 700, "mark reads %d", at(v, p));
    pm_volume_free(v);
}

TEST(nrrd_ras_space_directions_become_lps)
{
    /* RAS space: directions and origin change the sign of x and y in LPS.
     * Axes i, j, k point superior, left and anterior. */
    unsigned char raw[2 * NX * NY * NZ];
    raw16(raw, 0, -1000);
    char hdr[1024];
    int n = snprintf(hdr, sizeof hdr, "NRRD0004\n# made by hand\ntype: short\ndimension: 3\n"
                     "space: right-anterior-superior\nsizes: %d %d %d\n"
                     "space directions: (0,0,2) (-1,0,0) (0,3,0)\nkinds: domain domain domain\n"
                     "endian: little\nencoding: raw\nspace origin: (5,6,7)\n\n", NX, NY, NZ);
    unsigned char *buf = malloc((size_t)n + sizeof raw);
    memcpy(buf, hdr, (size_t)n);
    memcpy(buf + n, raw, sizeof raw);
    CHECK(tf_spit(tpath("c.nrrd"), buf, (size_t)n + sizeof raw) == 0, "write");
    free(buf);
    pm_volume *v = load(tpath("c.nrrd"));
    /* RAS point = origin + 4*(0,0,2) + 1*(-1,0,0) + 2*(0,3,0) = (4, 12, 15) -> LPS (-4, -12, 15) */
    double p[3] = {-4, -12, 15};
    CHECK(at(v, p) == 700, "mark reads %d", at(v, p));
    pm_volume_free(v);
}

TEST(detached_gzip_nrrd_with_float_values)
{
    float fv[NX * NY * NZ];
    for (int i = 0; i < NX * NY * NZ; i++)
        fv[i] = i == MARK_I + NX * (MARK_J + NY * MARK_K) ? 700.4f : -999.6f;
    gzFile g = gzopen(tpath("d.raw.gz"), "wb");
    gzwrite(g, fv, sizeof fv);
    gzclose(g);
    FILE *f = fopen(tpath("d.nhdr"), "w");
    fprintf(f, "NRRD0004\ntype: float\ndimension: 3\nsizes: %d %d %d\nspacings: 1 1 1\n"
               "encoding: gzip\nendian: little\ndata file: d.raw.gz\n", NX, NY, NZ);
    fclose(f);
    pm_volume *v = load(tpath("d.nhdr"));
    double p[3] = {MARK_I, MARK_J, MARK_K}, q[3] = {0, 0, 0};
    CHECK(at(v, p) == 700 && at(v, q) == -1000, "values %d %d", at(v, p), at(v, q));
    pm_volume_free(v);
}

TEST(nibabel_nifti_geometry_and_scaling)
{
    /* A permuted, flipped affine and scl_slope 2, scl_inter -1024 on uint16
     * data: the mark (stored 862 -> 700 HU) must sit at the RAS point the
     * affine gives, which is LPS (-x, -y, z). */
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import nibabel as nib, numpy as np\n"
             "a = np.full((%d, %d, %d), 12, np.uint16); a[%d, %d, %d] = 862\n"
             "A = np.array([[0, -0.7, 0, 30], [0, 0, 2.5, -40], [1.5, 0, 0, 50], [0, 0, 0, 1]])\n"
             "im = nib.Nifti1Image(a, A); im.header.set_slope_inter(2, -1024); im.set_qform(A, 1); im.set_sform(A, 2)\n"
             "nib.save(im, \"%s\")\n"
             "print(*(A @ [%d, %d, %d, 1])[:3])' > %s",
             NX, NY, NZ, MARK_I, MARK_J, MARK_K, tpath("e.nii.gz"), MARK_I, MARK_J, MARK_K, tpath("e.txt"));
    CHECK(test_sh(cmd) == 0, "nibabel failed (python3-nibabel missing?)");
    double ras[3];
    FILE *f = fopen(tpath("e.txt"), "r");
    CHECK(f && fscanf(f, "%lf %lf %lf", &ras[0], &ras[1], &ras[2]) == 3, "nibabel output");
    fclose(f);
    pm_volume *v = load(tpath("e.nii.gz"));
    double p[3] = {-ras[0], -ras[1], ras[2]};
    CHECK(at(v, p) == 700, "mark reads %d", at(v, p));
    CHECK(fabs(v->g.spacing[0] - 1.5) < 1e-5 && fabs(v->g.spacing[1] - 0.7) < 1e-5, "spacing %g %g",
          v->g.spacing[0], v->g.spacing[1]);
    pm_volume_free(v);
}

TEST(stored_values_without_intercept_are_flagged_not_hu)
{
    unsigned char raw[2 * NX * NY * NZ];
    raw16(raw, 0, 24);
    CHECK(tf_spit(tpath("u.raw"), raw, sizeof raw) == 0, "write");
    FILE *f = fopen(tpath("u.mhd"), "w");
    fprintf(f, "NDims = 3\nDimSize = %d %d %d\nElementType = MET_USHORT\nElementDataFile = u.raw\n", NX, NY, NZ);
    fclose(f);
    pm_volume *v = load(tpath("u.mhd"));
    CHECK(has_warning(v, PM_WARN_NOT_HU), "0..700 volume not flagged");
    pm_volume_free(v);
}

static void bad(const char *name, const char *text, const char *why)
{
    FILE *f = fopen(tpath(name), "w");
    fputs(text, f);
    fclose(f);
    pm_volume *v = NULL;
    int st = pm_volfile_load(tpath(name), NULL, &v, NULL);
    CHECK(st == PM_ECORRUPT, "%s: status %d (%s)", name, st, pm_error());
    CHECK(strstr(pm_error(), name) && strstr(pm_error(), why), "%s: reason '%s'", name, pm_error());
}

TEST(bad_headers_fail_as_corrupt_with_the_reason)
{
    unsigned char raw[100] = {0};
    CHECK(tf_spit(tpath("short.raw"), raw, sizeof raw) == 0, "write");
    bad("short.mhd", "NDims = 3\nDimSize = 6 5 4\nElementType = MET_SHORT\nElementDataFile = short.raw\n",
        "shorter than declared");
    bad("huge.mhd", "NDims = 3\nDimSize = 99999 99999 99999\nElementType = MET_SHORT\nElementDataFile = short.raw\n",
        "overflow");
    bad("neg.mhd", "NDims = 3\nDimSize = 6 -5 4\nElementType = MET_SHORT\nElementDataFile = short.raw\n",
        "DimSize");
    bad("type.mhd", "NDims = 3\nDimSize = 6 5 4\nElementType = MET_STRING\nElementDataFile = short.raw\n",
        "ElementType");
    bad("enc.nrrd", "NRRD0004\ntype: short\ndimension: 3\nsizes: 6 5 4\nencoding: bzip2\n\n", "encoding");
    bad("cut.nrrd", "NRRD0004\ntype: short\ndimension: 3\nsizes: 6 5 4\nencoding: raw\n\nxx", "shorter");
    bad("nogz.nrrd", "NRRD0004\ntype: short\ndimension: 3\nsizes: 6 5 4\nencoding: gzip\n\nnot gzip",
        "compressed data is corrupt");
    bad("space.nrrd", "NRRD0004\ntype: short\ndimension: 3\nspace: posterior-inferior-right\nsizes: 6 5 4\n"
        "encoding: raw\n\n", "space");
    bad("nifti.nii", "not a nifti header", "NIfTI");
}

/* The writers pick the format from the name (pm_volfile_write_*): a tilted,
 * flipped grid and every voxel come back the same from NRRD and NIfTI, and
 * a name of no writable format is a usage error naming the path. */
TEST(volumes_and_masks_round_trip_through_the_format_their_name_says)
{
    pm_grid g;
    pm_grid_init(&g, 7, 5, 3, 0.7, 0.9, 2.5);
    const double c = cos(0.3), s = sin(0.3);
    const double dir[9] = {c, s, 0, s, -c, 0, 0, 0, -1};
    memcpy(g.dir, dir, sizeof dir);
    g.origin[0] = -12.25, g.origin[1] = 40.5, g.origin[2] = -301.125;
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    CHECK(v && m, "out of memory");
    size_t n = pm_grid_voxels(&g);
    for (size_t x = 0; x < n; x++) {
        v->hu[x] = (int16_t)(x % 3 ? -1000 : -1000 + (int)(x * 37 % 2000));
        m->v[x] = (uint8_t)(x % 4);
    }
    const char *names[] = {"w.nrrd", "w.nii.gz", "w.nii"};
    for (int f = 0; f < 3; f++) {
        const char *path = tpath(names[f]);
        CHECK(pm_volfile_write_volume(path, v) == PM_OK, "%s: %s", path, pm_error());
        pm_volume *r = NULL;
        CHECK(pm_volfile_load(path, NULL, &r, NULL) == PM_OK, "%s: %s", path, pm_error());
        for (int a = 0; a < 3; a++) {
            CHECK(r->g.dim[a] == g.dim[a], "%s: dim %d is %d", path, a, r->g.dim[a]);
            CHECK(fabs(r->g.spacing[a] - g.spacing[a]) < 1e-5, "%s: spacing %d is %g", path, a,
                  r->g.spacing[a]);
            CHECK(fabs(r->g.origin[a] - g.origin[a]) < 1e-4, "%s: origin %d is %g", path, a,
                  r->g.origin[a]);
        }
        for (int d = 0; d < 9; d++)
            CHECK(fabs(r->g.dir[d] - g.dir[d]) < 1e-5, "%s: direction %d is %g", path, d, r->g.dir[d]);
        size_t diff = 0;
        for (size_t x = 0; x < n; x++)
            diff += r->hu[x] != v->hu[x];
        CHECK(diff == 0, "%s: %zu voxels differ", path, diff);
        pm_volume_free(r);
    }
    const char *mpath = tpath("m.nii.gz");
    CHECK(pm_volfile_write_mask(mpath, m) == PM_OK, "%s: %s", mpath, pm_error());
    pm_mask *rm = NULL;
    CHECK(pm_nifti_read_mask(mpath, &rm) == PM_OK, "%s: %s", mpath, pm_error());
    CHECK(!memcmp(rm->v, m->v, n), "%s: labels differ", mpath);
    pm_mask_free(rm);
    const char *bad_names[] = {"w.mha", "w.nhdr", "w.txt"};
    for (int f = 0; f < 3; f++) {
        const char *path = tpath(bad_names[f]);
        CHECK(pm_volfile_write_mask(path, m) == PM_EUSAGE && strstr(pm_error(), path),
              "%s: %s", path, pm_error());
        CHECK(!pm_path_exists(path), "%s written", path);
    }
    pm_volume_free(v);
    pm_mask_free(m);
}

/* A mask of several of the writer's 4 MB chunks: the compressed file is
 * one gzip member that gzip(1) and zlib read back to the same labels, and
 * its bytes do not depend on how many threads deflated it. The labels are
 * random values 0-3, long runs of 0, and runs of every length from 1 to
 * 600 of values that take all of the fixed code's literal lengths (a run
 * coder's matches stop at 258 bytes). */
TEST(big_gzip_masks_are_one_member_whatever_the_thread_count)
{
    pm_grid g;
    pm_grid_init(&g, 256, 256, 160, 1, 1, 1);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m, "out of memory");
    size_t n = pm_grid_voxels(&g);
    uint32_t r = 12345;
    for (size_t x = 0; x < n; x++) {
        r = r * 1103515245u + 12345u;
        m->v[x] = (uint8_t)((x / 4096) % 3 ? (r >> 28) & 3 : 0);
    }
    for (size_t x = n / 2, k = 1; k <= 600; k++)
        for (size_t i = 0; i < k; i++)
            m->v[x++] = (uint8_t)(k * 37);
    const char *p1 = tpath("t1.nii.gz"), *p2 = tpath("t2.nii.gz");
    pm_threads_set(1);
    CHECK(pm_volfile_write_mask(p1, m) == PM_OK, "%s: %s", p1, pm_error());
    pm_threads_set(2);
    CHECK(pm_volfile_write_mask(p2, m) == PM_OK, "%s: %s", p2, pm_error());
    pm_threads_set(0);
    size_t n1 = 0, n2 = 0;
    unsigned char *b1 = tf_slurp(p1, &n1), *b2 = tf_slurp(p2, &n2);
    CHECK(b1 && b2 && n1 == n2 && !memcmp(b1, b2, n1), "1 and 2 threads wrote different files (%zu, %zu bytes)",
          n1, n2);
    free(b1), free(b2);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "gzip -t '%s'", p1);
    CHECK(system(cmd) == 0, "gzip -t refuses %s", p1);
    pm_mask *rm = NULL;
    CHECK(pm_nifti_read_mask(p1, &rm) == PM_OK, "%s: %s", p1, pm_error());
    CHECK(!memcmp(rm->v, m->v, n), "%s: labels differ", p1);
    pm_mask_free(rm);
    pm_mask_free(m);
}

int main(void)
{
    RUN(metaimage_geometry_is_lps_with_one_axis_per_triplet);
    RUN(compressed_big_endian_metaimage_reads_the_same);
    RUN(nrrd_ras_space_directions_become_lps);
    RUN(detached_gzip_nrrd_with_float_values);
    RUN(nibabel_nifti_geometry_and_scaling);
    RUN(stored_values_without_intercept_are_flagged_not_hu);
    RUN(bad_headers_fail_as_corrupt_with_the_reason);
    RUN(volumes_and_masks_round_trip_through_the_format_their_name_says);
    RUN(big_gzip_masks_are_one_member_whatever_the_thread_count);
    return test_done();
}
