/* volfile.h - CT volumes stored as single image files rather than DICOM
 * series: NIfTI-1 (.nii, .nii.gz), MetaImage (.mhd with .raw/.zraw, or .mha)
 * and NRRD (.nrrd, or .nhdr with its data file; raw or gzip encoding).
 *
 * Files are recognised by name. Geometry becomes pulmo's LPS grid exactly:
 * NIfTI through nifti.h (sform, else qform; RAS to LPS); MetaImage from
 * Offset (or Position/Origin), ElementSpacing and TransformMatrix (LPS, one
 * axis direction per triplet, as ITK writes it); NRRD from space directions
 * and space origin in its declared space (LPS, RAS or LAS), or spacings.
 * Values of any integer or float type are rounded and clamped to int16 HU
 * (NIfTI's scl_slope/scl_inter applied). After loading, a histogram check
 * adds a PM_WARN_NOT_HU warning when the values do not look like HU (too
 * few voxels near air), such as a scan stored as 0..4095 without its
 * rescale intercept, so thresholds in HU are not applied silently.
 *
 * Header errors (bad or overflowing sizes, unknown types or encodings, a
 * data file shorter than declared) return PM_ECORRUPT with the file and the
 * reason; a volume over the memory cap PM_EMEMORY before allocating it.
 */
#ifndef PULMO_VOLFILE_H
#define PULMO_VOLFILE_H

#include "pulmo/core.h"
#include "pulmo/dicom.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_WARN_NOT_HU "not_hu"

#define PM_VOLFILE_NIFTI 1
#define PM_VOLFILE_META 2
#define PM_VOLFILE_NRRD 3

/* The format a file name says (PM_VOLFILE_*), 0 when it is none of them
 * (.raw/.zraw data files and .hdr/.img pairs are not volumes on their own). */
int pm_volfile_kind(const char *path);

/* Describes the file as the header of a one-file "series" for the index:
 * dimensions (cols, rows; frames = slices), spacing, position and
 * orientation, modality CT, patient ID and series description from the file
 * name, and a SeriesInstanceUID made from the path (2.25.<hash>), so a
 * folder of volumes lists one series per file. Reads the header only. */
int pm_volfile_header(const char *path, pm_dicom_header *h);

/* Non-zero when h was filled by pm_volfile_header. */
int pm_volfile_is_header(const pm_dicom_header *h);

/* Loads the file as a HU volume (o may be NULL: cap half of RAM). */
int pm_volfile_load(const char *path, const pm_load_opts *o, pm_volume **out, const pm_progress *p);

/* Writes a label mask (uint8) or a HU volume (int16) in the format the name
 * says: NIfTI (.nii, .nii.gz) or NRRD (.nrrd, attached raw data), through a
 * temporary name. PM_EUSAGE naming the path and the known endings for any
 * other name; PM_EWRITE. A new format is one writer (see write.c). */
int pm_volfile_write_mask(const char *path, const pm_mask *m);
int pm_volfile_write_volume(const char *path, const pm_volume *v);
/* The same for any voxels on grid g: datatype PM_NIFTI_UINT8, INT16 or
 * FLOAT32 (a normalised volume), x fastest. */
int pm_volfile_write(const char *path, const pm_grid *g, int datatype, const void *data);

#ifdef __cplusplus
}
#endif

#endif
