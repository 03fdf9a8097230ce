/* preprocess.c - normalisation and export of volumes. */
#include "pulmo/preprocess.h"
#include "pulmo/core.h"
#include "pulmo/nifti.h"
#include "pulmo/volfile.h"

#include <stdlib.h>

void pm_normalize(const pm_volume *v, int zero_center, float *out)
{
    size_t n = pm_grid_voxels(&v->g);
    const float lo = (float)PM_NORM_MIN_HU, scale = (float)(1.0 / (PM_NORM_MAX_HU - PM_NORM_MIN_HU));
    const float shift = zero_center ? (float)PM_NORM_MEAN : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float x = ((float)v->hu[i] - lo) * scale;
        x = x < 0 ? 0 : x > 1 ? 1 : x;
        out[i] = x - shift;
    }
}

int pm_export_volume(const pm_volume *v, const char *path, int normalized, int zero_center)
{
    if (!normalized)
        return pm_volfile_write(path, &v->g, PM_NIFTI_INT16, v->hu);
    float *f = malloc(pm_grid_voxels(&v->g) * sizeof *f);
    if (!f)
        return pm_fail(PM_EMEMORY, "out of memory for the normalised volume");
    pm_normalize(v, zero_center, f);
    int rc = pm_volfile_write(path, &v->g, PM_NIFTI_FLOAT32, f);
    free(f);
    return rc;
}
