/* load.c - any supported mask file as labels with names: NIfTI label
 * images, and RTSTRUCTs rasterized on the CT series they were drawn on.
 *
 * An RTSTRUCT carries no grid of its own. The CT it references is looked
 * for where people keep it: the folder given, else the RTSTRUCT's own
 * folder (a study exported as one folder), else the folder above it (one
 * folder per series, as TCIA downloads are laid out).
 */
#include "pulmo/refmask.h"
#include "pulmo/dicom.h"
#include "pulmo/nifti.h"
#include "pulmo/series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pm_refmask_free(pm_refmask *r)
{
    if (!r)
        return;
    pm_mask_free(r->labels);
    pm_mask_free(r->ignore);
    free(r);
}

static int pm__ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Loads the series with the given UID (any CT series when uid is "") from
 * dir, or returns PM_ENODATA. */
static int pm__load_series(const char *dir, const char *uid, pm_volume **v, char *folder,
                           const pm_progress *p)
{
    pm_index *ix;
    int st = pm_index_scan(dir, &ix, p);
    if (st != PM_OK)
        return st;
    const pm_series *s = NULL;
    for (int i = 0; i < ix->nseries && !s; i++)
        if (uid[0] && !strcmp(ix->series[i].meta.series_uid, uid))
            s = &ix->series[i];
    if (!uid[0])
        s = pm_index_pick(ix, NULL);
    if (!s) {
        pm_index_free(ix);
        return PM_ENODATA;
    }
    pm_load_opts lo = {0};
    st = pm_series_load(s, &lo, v, p);
    if (st == PM_OK)
        snprintf(folder, 4096, "%s", s->folder);
    pm_index_free(ix);
    return st;
}

static int pm__grid_for(const char *path, const pm_rtstruct *rs, const pm_refmask_opts *o,
                        pm_volume **v, char *folder, const pm_progress *p)
{
    if (o && o->series_dir) {
        int st = pm__load_series(o->series_dir, rs->series_uid, v, folder, p);
        if (st == PM_ENODATA && rs->series_uid[0])
            /* The user named the folder: trust it even when the UID differs
             * (re-exported series get new UIDs). */
            st = pm__load_series(o->series_dir, "", v, folder, p);
        if (st == PM_ENODATA)
            return pm_fail(PM_ENODATA, "%s: no CT series in %s", path, o->series_dir);
        return st;
    }
    if (!rs->series_uid[0])
        return pm_fail(PM_ENODATA, "%s: the RTSTRUCT names no CT series; give it with --series DIR", path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = 0;
        else if (slash)
            *slash = 0;
        else
            snprintf(dir, sizeof dir, ".");
        int st = pm__load_series(dir, rs->series_uid, v, folder, p);
        if (st != PM_ENODATA)
            return st;
        if (!strcmp(dir, "/") || !strcmp(dir, "."))
            break;
    }
    return pm_fail(PM_ENODATA, "%s: its CT series (%s) is not in its folder or the one above; give it with --series DIR",
                   path, rs->series_uid);
}

static int pm__from_rtstruct(const char *path, pm_rtstruct *rs, const pm_refmask_opts *o,
                             pm_refmask *r, const pm_progress *p)
{
    pm_volume *v = NULL;
    int st = PM_OK;
    if (o && o->grid) {
        r->labels = pm_mask_new(o->grid);
    } else {
        if ((st = pm__grid_for(path, rs, o, &v, r->series_folder, p)) != PM_OK)
            return st;
        r->labels = pm_mask_new(&v->g);
        pm_volume_free(v);
    }
    if (!r->labels)
        return PM_EMEMORY;
    for (int i = 0; i < rs->nrois; i++) {
        const pm_roi *roi = &rs->rois[i];
        int ignored = 0;
        for (int k = 0; o && k < o->nignore && !ignored; k++)
            ignored = pm_roi_match(o->ignore[k], roi->name);
        int label = ignored ? 0 : pm_roi_label(roi->name);
        if (!ignored && !label)
            continue;
        pm_mask *dst = r->labels;
        if (ignored) {
            if (!r->ignore && !(r->ignore = pm_mask_new(&r->labels->g)))
                return PM_EMEMORY;
            dst = r->ignore;
            size_t n = strlen(r->ignored);
            snprintf(r->ignored + n, sizeof r->ignored - n, "%s%s", n ? "," : "", roi->name);
        } else {
            r->present[label] = 1;
            if (!r->name[label][0])
                snprintf(r->name[label], sizeof r->name[label], "%s", roi->name);
        }
        int skipped = 0;
        st = pm_rtstruct_fill(rs, i, ignored ? 1 : (uint8_t)label, dst, &skipped);
        if (st != PM_OK)
            return st;
        r->nskipped += skipped;
    }
    return PM_OK;
}

int pm_refmask_load(const char *path, const pm_refmask_opts *o, pm_refmask **out,
                    const pm_progress *p)
{
    pm_refmask *r = calloc(1, sizeof *r);
    if (!r)
        return pm_fail(PM_EMEMORY, "out of memory");
    int st;
    if (pm__ends_with(path, ".nii") || pm__ends_with(path, ".nii.gz")) {
        r->kind = PM_REF_NIFTI;
        st = pm_nifti_read_mask(path, &r->labels);
        if (st == PM_OK) {
            size_t n = pm_grid_voxels(&r->labels->g);
            for (size_t i = 0; i < n; i++)
                r->present[r->labels->v[i]] = 1;
            r->present[0] = 0;
        }
    } else {
        int pr = pm_dicom_probe(path);
        if (pr < 0) {
            st = pm_fail(PM_ENODATA, "%s: cannot open", path);
        } else if (pr == 0) {
            st = pm_fail(PM_ECORRUPT, "%s: not a mask pulmo reads (NIfTI .nii/.nii.gz, DICOM SEG or RTSTRUCT)", path);
        } else {
            pm_rtstruct *rs;
            st = pm_rtstruct_read(path, &rs);
            if (st == PM_OK) {
                r->kind = PM_REF_RTSTRUCT;
                st = pm__from_rtstruct(path, rs, o, r, p);
                pm_rtstruct_free(rs);
            } else if (st == PM_ENODATA) {
                r->kind = PM_REF_SEG;
                st = pm_dicomseg_read(path, o, r);
                if (st == PM_ENODATA)
                    st = pm_fail(PM_ECORRUPT, "%s: a DICOM file that is neither an RTSTRUCT nor a SEG", path);
            }
        }
    }
    if (st != PM_OK) {
        pm_refmask_free(r);
        return st;
    }
    *out = r;
    return PM_OK;
}
