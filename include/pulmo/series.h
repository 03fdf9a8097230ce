/* series.h - finding DICOM series in a folder tree and loading one into a
 * volume in Hounsfield units.
 *
 * Indexing reads headers only. Files are recognised by content, not by
 * name; non-DICOM files (NIfTI, JSON, XML, text) are skipped silently,
 * except that a file named like DICOM (.dcm, .dicom, .ima) that is not
 * readable DICOM is counted as an error with its reason, because a user who
 * names a file .dcm expects it to be read. DICOM objects that hold no image
 * (DICOMDIR, structure sets, reports, segmentations, presentation states)
 * are counted in nother and skipped silently. Files are grouped by
 * SeriesInstanceUID, or, when that is empty, by (StudyInstanceUID,
 * SeriesNumber, ImageOrientationPatient, Rows, Columns).
 *
 * Loading sorts slices along the slice normal, takes the slice spacing from
 * the positions (the median gap; a gap of k spacings, k <= 16, gets k-1
 * grid slices interpolated linearly from its neighbours and named in the
 * missing_slices warning, so slices above it stay in place; other uneven
 * gaps are stacked one spacing apart with an irregular_spacing warning),
 * converts to HU per slice (slope and intercept), maps
 * PixelPaddingValue (compared in the pixels' signedness) and the fill
 * outside the scan circle (below -1024 HU) to -1000, inverts MONOCHROME1,
 * and decodes on all cores. Problems that still leave a usable volume are
 * recorded as warnings on it (see volume.h); a volume larger than the memory
 * cap is refused before anything is allocated.
 */
#ifndef PULMO_SERIES_H
#define PULMO_SERIES_H

#include "pulmo/core.h"
#include "pulmo/dicom.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_series {
    pm_series_meta meta;         /* cleaned of control characters */
    char folder[4096];           /* the folder holding its first file (a volume file: the file) */
    int nfiles;
    char **files;
    pm_dicom_header *headers;
    int nduplicates;             /* byte-identical copies of a file (same SOPInstanceUID)
                                    left out of files */
    int dims[3];                 /* columns, rows, files (from headers) */
    double spacing[3];           /* mm; z from positions when known */
} pm_series;

typedef struct pm_index {
    pm_series *series;
    int nseries;
    int nfiles;                  /* regular files looked at */
    int ndicom;                  /* files read as DICOM */
    int nerrors;                 /* DICOM-looking files that failed */
    int nother;                  /* DICOM objects without an image (DICOMDIR, RTSTRUCT,
                                    SR, SEG...), skipped without an error */
    int first_error_code;
    char first_error[640];       /* reason for the first failure */
} pm_index;

/* Indexes every file under root (a folder or a single file). Returns PM_OK
 * with *out set even when no series was found (nseries == 0); PM_ENODATA
 * with a reason when root does not exist; PM_ECANCEL; PM_EMEMORY. */
int pm_index_scan(const char *root, pm_index **out, const pm_progress *p);
void pm_index_free(pm_index *ix);

/* The series to load from an index: the one with the given UID, or else
 * the CT (or modality-less) series with the most files. NULL when none. */
const pm_series *pm_index_pick(const pm_index *ix, const char *series_uid);
/* The same rule among one patient's series (ID and name as in meta). */
const pm_series *pm_index_pick_patient(const pm_index *ix, const char *patient_id, const char *patient_name);

/* Loads series s. PM_OK with *out; PM_ECORRUPT (reason names the file),
 * PM_EMEMORY (over the cap, nothing allocated), PM_ECANCEL. */
int pm_series_load(const pm_series *s, const pm_load_opts *o, pm_volume **out,
                   const pm_progress *p);

/* The gantry tilt of a loaded grid in degrees, signed as DICOM's
 * GantryDetectorTilt (negative when the top of the gantry leans away from
 * where the table enters; patient_position "FF..." means the table enters
 * from the head). 0 when the stack is perpendicular to the slices. */
double pm_grid_tilt(const pm_grid *g, const char *patient_position);

/* Index dir and load the picked series: the usual path of the front ends.
 * PM_ENODATA when dir holds no series; otherwise as pm_series_load, or the
 * index's first error when the folder held only unreadable files. */
int pm_load_dir(const char *dir, const char *series_uid, const pm_load_opts *o,
                pm_volume **out, const pm_progress *p);

/* The HU figures of a series: what pm_volume_stats gives for it. */
typedef struct pm_hu_summary {
    int min, max;
    double mean;
} pm_hu_summary;

/* As pm_load_dir, but the voxels are decoded a slice at a time and only
 * summarised into *hs: *out has the grid, metadata, warnings and load time,
 * and no voxels (hu NULL). What `pulmo info` prints, in a fraction of the
 * memory and time (a fresh page costs a fault, and a volume is thousands of
 * pages). Fails as pm_load_dir does, with the same memory cap. */
int pm_load_dir_summary(const char *dir, const char *series_uid, const pm_load_opts *o, pm_volume **out,
                        pm_hu_summary *hs, const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
