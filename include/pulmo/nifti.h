/* nifti.h - NIfTI-1 reading and writing (.nii and .nii.gz).
 *
 * Grids are converted between pulmo's LPS convention and NIfTI's RAS world:
 * the written affine is diag(-1,-1,1) times the LPS voxel-to-patient matrix,
 * stored as the sform (code 2, aligned) and, when the axes are orthogonal,
 * as the qform too. This is how the reference masks in ../shared/data were
 * built, and what nibabel, ITK-SNAP and 3D Slicer read back.
 *
 * Reading accepts uint8, int8, int16, uint16, int32, uint32, float32 and
 * float64 data in either byte order, applies scl_slope/scl_inter to floats
 * only when reading as HU, and refuses headers whose sizes do not match the
 * file. Limits: 3D only (a 4th dimension must be 1), no extensions kept.
 */
#ifndef PULMO_NIFTI_H
#define PULMO_NIFTI_H

#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_NIFTI_UINT8 2
#define PM_NIFTI_INT16 4
#define PM_NIFTI_INT32 8
#define PM_NIFTI_FLOAT32 16
#define PM_NIFTI_FLOAT64 64
#define PM_NIFTI_INT8 256
#define PM_NIFTI_UINT16 512
#define PM_NIFTI_UINT32 768

/* Bytes per voxel of a datatype above, 0 for any other. MetaImage and NRRD
 * files use the same codes once read (volfile). */
int pm_nifti_type_size(int datatype);
/* One voxel of that datatype at p (native byte order, any alignment). */
double pm_nifti_type_value(int datatype, const void *p);
/* A scaled value as stored HU: rounded, clamped to int16; NaN reads as air. */
int16_t pm_nifti_hu(double x);

/* Writes data (layout x fastest, datatype one of PM_NIFTI_UINT8, INT16,
 * FLOAT32) on grid g to path, gzip-compressed when path ends in ".gz",
 * through a temporary name. Returns PM_OK or PM_EWRITE. */
int pm_nifti_write(const char *path, const pm_grid *g, int datatype, const void *data);

/* The same for nt volumes on grid g (a 4D image when nt > 1, e.g. one
 * membership map per cluster), without holding them in memory: plane(ctx,
 * t, k, buf) fills slice k of volume t (nx*ny values of datatype) and
 * returns 0, or non-zero to abandon the file (PM_EMEMORY with the reason
 * pm_error() then holds). */
typedef int (*pm_nifti_plane_fn)(void *ctx, int t, int k, void *buf);
int pm_nifti_write_planes(const char *path, const pm_grid *g, int nt, int datatype,
                          pm_nifti_plane_fn plane, void *ctx);

/* Reads a label image into a new mask (values outside 0..255 are refused).
 * PM_ECORRUPT with a reason naming the file on any inconsistency. */
int pm_nifti_read_mask(const char *path, pm_mask **out);

/* Reads an image into a new HU volume (scaled, rounded, clamped to int16). */
int pm_nifti_read_volume(const char *path, pm_volume **out);

/* The grid and datatype of an image from its header alone (no data read),
 * with the same checks as the readers above. */
int pm_nifti_read_grid(const char *path, pm_grid *g, int *datatype);

#ifdef __cplusplus
}
#endif

#endif
