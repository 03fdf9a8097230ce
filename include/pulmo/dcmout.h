/* dcmout.h - DICOM objects derived from a series, for sending back to the
 * PACS it came from: a binary Segmentation (SEG) of a label mask and a
 * Secondary Capture (SC) picture.
 *
 * Both are written as Part 10 files in Explicit VR Little Endian by a small
 * element writer of pulmo's own (no GDCM or DCMTK), so they are byte-exact
 * and portable; sequences use undefined lengths. They join the source's
 * patient, study and frame of reference (a new series each), so a viewer
 * shows them with the CT. The SEG has one segment per label present (1
 * right lung, 2 left lung, or lung when the recipe does not split sides; 3
 * airway; SNOMED CT codes), one frame per slice and segment with its plane
 * position, and references the source image of each frame. Files go through
 * pm_outfile (temporary name, rename). They pass dciodvfy (dicom3tools).
 *
 * Limits: the mask must lie on the series' own grid (not resampled): frames
 * are the mask's slices, referenced to the source images by position.
 */
#ifndef PULMO_DCMOUT_H
#define PULMO_DCMOUT_H

#include "pulmo/render.h"
#include "pulmo/series.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new UID under 2.25 (a random 128-bit number). */
void pm_dcmout_uid(char *out, size_t cap);

/* Writes the SEG of mask m (labels 1..3) over source series s. sides: 1 when
 * labels 1 and 2 are right and left lung, 0 when 1 is "lung". PM_OK,
 * PM_EUSAGE (mask not on the series grid, no label, too large), PM_EWRITE,
 * PM_EMEMORY. */
int pm_dcmout_seg(const char *path, const pm_mask *m, const pm_series *s, int sides);

/* pm_dcmout_seg after checking, with a reason, what it cannot describe:
 * PM_EUSAGE when s is a volume file (no DICOM images to reference) or the
 * mask is not on its grid (resampled). */
int pm_dcmout_seg_checked(const char *path, const pm_mask *m, const pm_series *s, int sides);
/* The same for series series_uid (NULL or "": the one pm_load_dir picks)
 * of folder dir, indexed again; PM_ENODATA when it is not there. */
int pm_dcmout_seg_dir(const char *path, const pm_mask *m, const char *dir, const char *series_uid,
                      int sides);

/* Writes fb as an RGB Secondary Capture image in the study of s, with
 * comments (ImageComments, may be NULL) as its text. PM_OK, PM_EUSAGE,
 * PM_EWRITE, PM_EMEMORY. */
int pm_dcmout_sc(const char *path, const pm_fb *fb, const pm_series *s, const char *comments);

#ifdef __cplusplus
}
#endif

#endif
