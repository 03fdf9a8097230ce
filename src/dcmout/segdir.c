/* segdir.c - the SEG of a mask computed from a series (`pulmo segment
 * --dicom-seg`, the TUI's export): refuses what pm_dcmout_seg cannot
 * describe faithfully (a volume file has no images to reference; a
 * resampled mask has other pixels than the source) with a reason, and finds
 * a folder's series again from its UID. */
#include "pulmo/dcmout.h"
#include "pulmo/volfile.h"

#include <math.h>
#include <stdio.h>

int pm_dcmout_seg_checked(const char *path, const pm_mask *m, const pm_series *s, int sides)
{
    if (s->nfiles < 1 || pm_volfile_is_header(&s->headers[0]))
        return pm_fail(PM_EUSAGE, "%s is a volume file, not a DICOM series: a DICOM SEG must reference "
                       "the source's DICOM images (write the NIfTI mask instead)", s->folder);
    /* In-plane size and spacing are what resampling changes; the slice
     * count may legitimately differ (interpolated missing slices). */
    const pm_grid *g = &m->g;
    int same = g->dim[0] == s->dims[0] && g->dim[1] == s->dims[1];
    for (int a = 0; a < 2 && same && s->spacing[a] > 0; a++)
        same = fabs(g->spacing[a] - s->spacing[a]) <= 1e-3 * s->spacing[a];
    if (!same)
        return pm_fail(PM_EUSAGE, "%s: the mask (%d x %d, %.4g x %.4g mm) is not on the series' grid "
                       "(%d x %d, %.4g x %.4g mm): a DICOM SEG needs the series' own grid (no resampling)",
                       path, g->dim[0], g->dim[1], g->spacing[0], g->spacing[1], s->dims[0], s->dims[1],
                       s->spacing[0], s->spacing[1]);
    return pm_dcmout_seg(path, m, s, sides);
}

int pm_dcmout_seg_dir(const char *path, const pm_mask *m, const char *dir, const char *series_uid,
                      int sides)
{
    pm_index *ix;
    int rc = pm_index_scan(dir, &ix, NULL);
    if (rc != PM_OK)
        return rc;
    const pm_series *s = pm_index_pick(ix, series_uid);
    if (!s)
        rc = pm_fail(PM_ENODATA, "%s: series %s not found again for the DICOM SEG", dir,
                     series_uid && *series_uid ? series_uid : "(any)");
    else
        rc = pm_dcmout_seg_checked(path, m, s, sides);
    pm_index_free(ix);
    return rc;
}
