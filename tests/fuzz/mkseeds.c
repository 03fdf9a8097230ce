/* mkseeds.c - writes small seed inputs for the fuzz targets into OUT:
 *   OUT/dicom: small CT slices (with and without padding, tilted,
 *                        MONOCHROME1) made by pm_dicom_write_ct
 *   OUT/nifti: small .nii and .nii.gz images in every datatype pm_nifti_write writes
 *   OUT/stl: an octahedron as binary and ASCII STL (pm_mesh_write)
 * seeds.sh then transcodes, joins and adds real slices. Small seeds let the
 * fuzzer spend its time on structure rather than on megabytes of pixels.
 */
#include "pulmo/core.h"
#include "pulmo/dicom.h"
#include "pulmo/io.h"
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int slice(const char *dir, const char *name, int n, int k, int pad, double tilt)
{
    int16_t px[32 * 32];
    for (int i = 0; i < n * n; i++)
        px[i] = (int16_t)((i % n) * 40 - 1000 + k * 7);
    if (pad)
        px[0] = -2000;
    pm_dicom_ct ct = {0};
    ct.patient_id = "FUZZ-1";
    ct.patient_name = "Seed^Fuzz";
    ct.patient_position = "HFS";
    ct.study_uid = "1.2.826.0.1.3680043.2.1125.1";
    ct.study_date = "20260101";
    ct.study_description = "fuzz seed";
    ct.series_uid = "1.2.826.0.1.3680043.2.1125.1.2";
    ct.series_description = "seed series";
    char sop[64];
    snprintf(sop, sizeof sop, "1.2.826.0.1.3680043.2.1125.1.3.%d", k);
    ct.sop_uid = sop;
    ct.series_number = 2;
    ct.instance_number = k + 1;
    ct.rows = ct.cols = n;
    ct.pixel_spacing[0] = ct.pixel_spacing[1] = 0.7;
    ct.slice_thickness = 2.5;
    double c = cos(tilt), s = sin(tilt);
    double iop[6] = {1, 0, 0, 0, c, s};
    memcpy(ct.iop, iop, sizeof iop);
    ct.ipp[0] = -100;
    ct.ipp[1] = -100 + k * 2.5 * s;
    ct.ipp[2] = -300 + k * 2.5;
    ct.slope = 1;
    ct.intercept = -1024;
    for (int i = 0; i < n * n; i++)
        px[i] = (int16_t)(px[i] + 1024);
    ct.has_padding = pad;
    ct.padding = -2000 + 1024;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (pm_dicom_write_ct(path, &ct, px) != PM_OK) {
        fprintf(stderr, "mkseeds: %s\n", pm_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds OUT\n");
        return 1;
    }
    char d[2048], n[4096];
    snprintf(d, sizeof d, "%s/dicom", argv[1]);
    if (pm_mkdir_p(d) != PM_OK)
        return 1;
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        snprintf(n, sizeof n, "ct-8-%d.dcm", k);
        bad |= slice(d, n, 8, k, k == 1, 0);
        snprintf(n, sizeof n, "ct-tilt-%d.dcm", k);
        bad |= slice(d, n, 16, k, 0, 0.3);
    }
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/ct-8-0.dcm", d);
    snprintf(dst, sizeof dst, "%s/ct-mono1.dcm", d);
    bad |= pm_dicom_rewrite_string(src, dst, 0x0028, 0x0004, "MONOCHROME1") != PM_OK;

    snprintf(d, sizeof d, "%s/nifti", argv[1]);
    if (pm_mkdir_p(d) != PM_OK)
        return 1;
    pm_grid g;
    pm_grid_init(&g, 5, 4, 3, 0.7, 0.8, 2.5);
    double c = cos(0.2), s = sin(0.2);
    double dir[9] = {c, s, 0, -s, c, 0, 0, 0, 1};
    memcpy(g.dir, dir, sizeof dir);
    g.origin[0] = -10;
    g.origin[2] = 30;
    uint8_t u8[60];
    int16_t i16[60];
    float f32[60];
    for (int i = 0; i < 60; i++) {
        u8[i] = (uint8_t)(i % 3);
        i16[i] = (int16_t)(i * 37 - 1000);
        f32[i] = (float)i * 12.5f - 900.0f;
    }
    static const char *ext[2] = {"nii", "nii.gz"};
    for (int z = 0; z < 2; z++) {
        snprintf(n, sizeof n, "%s/u8.%s", d, ext[z]);
        bad |= pm_nifti_write(n, &g, PM_NIFTI_UINT8, u8) != PM_OK;
        snprintf(n, sizeof n, "%s/i16.%s", d, ext[z]);
        bad |= pm_nifti_write(n, &g, PM_NIFTI_INT16, i16) != PM_OK;
        snprintf(n, sizeof n, "%s/f32.%s", d, ext[z]);
        bad |= pm_nifti_write(n, &g, PM_NIFTI_FLOAT32, f32) != PM_OK;
    }
    /* STL: an octahedron, binary and ASCII. */
    snprintf(d, sizeof d, "%s/stl", argv[1]);
    if (pm_mkdir_p(d) != PM_OK)
        return 1;
    pm_mesh *m = pm_mesh_new(6, 8);
    if (!m)
        return 1;
    static const float v[18] = {10, 0, 0, -10, 0, 0, 0, 10, 0, 0, -10, 0, 0, 0, 10, 0, 0, -10};
    static const uint32_t f[24] = {0, 2, 4, 2, 1, 4, 1, 3, 4, 3, 0, 4, 2, 0, 5, 1, 2, 5, 3, 1, 5, 0, 3, 5};
    memcpy(m->v, v, sizeof v);
    memcpy(m->f, f, sizeof f);
    snprintf(n, sizeof n, "%s/octahedron.stl", d);
    bad |= pm_mesh_write(m, n, PM_MESH_STL) != PM_OK;
    snprintf(n, sizeof n, "%s/octahedron-ascii.stl", d);
    bad |= pm_mesh_write(m, n, PM_MESH_STL_ASCII) != PM_OK;
    pm_mesh_free(m);
    if (bad)
        fprintf(stderr, "mkseeds: %s\n", pm_error());
    return bad;
}
