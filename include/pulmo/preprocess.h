/* preprocess.h - volumes prepared for other tools: NIfTI export of HU or of
 * intensities normalised for machine learning.
 *
 * Normalisation follows the tutorials (../docs/pipeline.md section 2): HU
 * clipped to [-1000, 400] and scaled to [0, 1]; zero-centring then
 * subtracts the fixed mean 0.25 (so values lie in [-0.25, 0.75]).
 */
#ifndef PULMO_PREPROCESS_H
#define PULMO_PREPROCESS_H

#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_NORM_MIN_HU (-1000.0)
#define PM_NORM_MAX_HU 400.0
#define PM_NORM_MEAN 0.25

/* out[i] = clip((hu - MIN) / (MAX - MIN), 0, 1) (- MEAN when zero_center);
 * out has one float per voxel. Can't fail. */
void pm_normalize(const pm_volume *v, int zero_center, float *out);

/* Writes v to path in the format its name says (pm_volfile_write: NIfTI
 * or NRRD): int16 HU, or float32 normalised when normalized (zero_center
 * only applies then). PM_OK, PM_EUSAGE (a name of no such format),
 * PM_EWRITE, PM_EMEMORY. */
int pm_export_volume(const pm_volume *v, const char *path, int normalized, int zero_center);

#ifdef __cplusplus
}
#endif

#endif
