/* refview.c - a reference mask (RTSTRUCT, DICOM SEG, NIfTI) over the slice
 * viewer, one ROI at a time or all together.
 *
 * Everything is put on the loaded volume's grid once, when the file is
 * opened: an RTSTRUCT is rasterized there (each ROI its own label, so every
 * structure of a planning set shows, not only the lungs pm_refmask_load
 * scores), a SEG or NIfTI is read with pm_refmask_load and resampled
 * through the affines when its grid differs. Loading is synchronous: the
 * largest reference seen (NSCLC-LUNG1-020, 512 x 512 x 134) takes well
 * under a second, and a file the user just named is expected to open.
 */
#include "refview.h"
#include "app.h"
#include "viewer.h"
#include "pulmo/compare.h"
#include "pulmo/dicom.h"
#include "pulmo/net.h"
#include "pulmo/refmask.h"
#include "pulmo/text.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REF_MAXROI 255

static struct {
    char file[256];          /* cleaned base name, for messages */
    pm_rtstruct *rs;         /* kept to draw one RTSTRUCT ROI whole even where others overlap it */
    pm_mask *all;            /* every ROI on the volume's grid */
    pm_mask *shown;          /* what is drawn: all, or one ROI */
    int nroi;
    int value[REF_MAXROI];   /* label of ROI n in all */
    int roi_index[REF_MAXROI]; /* RTSTRUCT: the ROI's index in rs */
    char name[REF_MAXROI][72];
    char by_value[256][72];
    int cur;                 /* -1 all, 0..nroi-1 one ROI, nroi none */
    int skipped, contours;   /* RTSTRUCT polygons off this series' slices, of all */
} R = {.cur = -1};

void ref_done(void)
{
    pm_rtstruct_free(R.rs);
    if (R.shown != R.all)
        pm_mask_free(R.shown);
    pm_mask_free(R.all);
    memset(&R, 0, sizeof R);
    R.cur = -1;
}

/* ---- finding a reference beside the series ----------------------------- */

/* 1 when path is an RTSTRUCT or SEG of the loaded study. */
static int is_reference(const char *path)
{
    pm_dicom_header h;
    if (pm_dicom_probe(path) != 1 || pm_dicom_read_header(path, &h) != PM_OK)
        return 0;
    if (strcmp(h.modality, "RTSTRUCT") && strcmp(h.modality, "SEG"))
        return 0;
    const char *study = V.vol->meta.study_uid;
    return !study[0] || !h.study_uid[0] || !strcmp(study, h.study_uid);
}

static int in_series(const pm_series *s, const char *path)
{
    for (int f = 0; s && f < s->nfiles; f++)
        if (!strcmp(s->files[f], path))
            return 1;
    return 0;
}

/* Looks at up to max regular files of dir (not those of series s); copies
 * the first reference into out. Names with control characters are passed
 * over: the path is shown in the prompt as it is. */
static int scan_dir(const char *dir, const pm_series *s, int max, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0, seen = 0;
    char path[4096], clean[4096];
    while (!found && seen < max && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        pm_text_clean(clean, sizeof clean, path);
        if (strcmp(clean, path) || in_series(s, path))
            continue;
        seen++;
        if (is_reference(path)) {
            snprintf(out, cap, "%s", path);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* TCIA's layout keeps a structure set or SEG in a series folder of its own
 * next to the CT's, others put it among the slices or one level up: the
 * series' folder, its sibling folders, then the parent. */
static int find_reference(char *out, size_t cap)
{
    const char *dir = app.vol_dir;
    if (!dir[0] || pm_net_is_url(dir))
        return 0;
    const pm_series *s = app.index ? pm_index_pick(app.index, V.vol->meta.series_uid) : NULL;
    if (scan_dir(dir, s, 4000, out, cap))
        return 1;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/'), self[256];
    snprintf(self, sizeof self, "%s", slash ? slash + 1 : parent);
    if (!slash)
        snprintf(parent, sizeof parent, ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    DIR *d = opendir(parent);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0, dirs = 0;
    char sub[4096];
    while (!found && dirs < 64 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", parent, e->d_name);
        struct stat st;
        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode) || !strcmp(e->d_name, self))
            continue;
        dirs++;
        found = scan_dir(sub, NULL, 8, out, cap);
    }
    closedir(d);
    return found || scan_dir(parent, NULL, 32, out, cap);
}

/* ---- loading ------------------------------------------------------------ */

static void add_roi(int value, int index, const char *name)
{
    if (R.nroi >= REF_MAXROI)
        return;
    R.value[R.nroi] = value;
    R.roi_index[R.nroi] = index;
    pm_text_clean(R.name[R.nroi], sizeof R.name[0], name);
    memcpy(R.by_value[value], R.name[R.nroi], sizeof R.by_value[0]);
    R.nroi++;
}

static int load_rtstruct(void)
{
    int rc;
    if (!(R.all = pm_mask_new(&V.vol->g)))
        return pm_fail(PM_EMEMORY, "out of memory");
    int skipped = 0, total = 0;
    for (int i = 0; i < R.rs->nrois && i < REF_MAXROI; i++) {
        const pm_roi *roi = &R.rs->rois[i];
        if (!roi->ncontours)
            continue;
        int s = 0;
        if ((rc = pm_rtstruct_fill(R.rs, i, (uint8_t)(R.nroi + 1), R.all, &s)) != PM_OK)
            return rc;
        skipped += s;
        total += roi->ncontours;
        if (s < roi->ncontours)
            add_roi(R.nroi + 1, i, roi->name);
    }
    if (!R.nroi)
        return pm_fail(PM_ENODATA, "%s: none of its %d contour(s) lies on a slice of this series "
                       "(drawn on another CT?)", R.file, total);
    R.skipped = skipped;
    R.contours = total;
    return PM_OK;
}

static int same_grid(const pm_grid *a, const pm_grid *b)
{
    for (int i = 0; i < 3; i++)
        if (a->dim[i] != b->dim[i] || fabs(a->spacing[i] - b->spacing[i]) > 1e-4 ||
            fabs(a->origin[i] - b->origin[i]) > 1e-3)
            return 0;
    for (int i = 0; i < 9; i++)
        if (fabs(a->dir[i] - b->dir[i]) > 1e-5)
            return 0;
    return 1;
}

static int load_labels(const char *path)
{
    pm_refmask_opts o = {.grid = &V.vol->g, .series_dir = app.vol_dir};
    pm_refmask *r;
    int rc = pm_refmask_load(path, &o, &r, NULL);
    if (rc != PM_OK)
        return rc;
    if (same_grid(&r->labels->g, &V.vol->g)) {
        R.all = r->labels;
        r->labels = NULL;
    } else {
        rc = pm_mask_resample_to(r->labels, &V.vol->g, &R.all);
    }
    for (int l = 1; l < 256 && rc == PM_OK; l++)
        if (r->present[l]) {
            char name[72];
            if (r->name[l][0])
                snprintf(name, sizeof name, "%s", r->name[l]);
            else
                snprintf(name, sizeof name, "label %d", l);
            add_roi(l, -1, name);
        }
    pm_refmask_free(r);
    if (rc == PM_OK && !R.nroi)
        rc = pm_fail(PM_ENODATA, "%s holds no label", R.file);
    return rc;
}

/* The mask drawn for R.cur. */
static int make_shown(void)
{
    if (R.shown != R.all)
        pm_mask_free(R.shown);
    R.shown = NULL;
    if (R.cur < 0) {
        R.shown = R.all;
        return PM_OK;
    }
    if (R.cur >= R.nroi)
        return PM_OK;
    if (!(R.shown = pm_mask_new(&V.vol->g)))
        return pm_fail(PM_EMEMORY, "out of memory");
    uint8_t v = (uint8_t)R.value[R.cur];
    if (R.rs)
        return pm_rtstruct_fill(R.rs, R.roi_index[R.cur], v, R.shown, NULL);
    size_t n = pm_grid_voxels(&R.all->g);
    for (size_t i = 0; i < n; i++)
        R.shown->v[i] = R.all->v[i] == v ? v : 0;
    return PM_OK;
}

int ref_open(void)
{
    char path[4096] = "";
    find_reference(path, sizeof path);
    if (!app_prompt("Reference mask: RTSTRUCT, DICOM SEG or NIfTI labels", path, sizeof path) || !path[0])
        return R_REDRAW;
    ref_done();
    const char *base = strrchr(path, '/');
    pm_text_clean(R.file, sizeof R.file, base ? base + 1 : path);
    app_message(0, "reading %s ...", R.file);
    app_redraw_now();
    pm_error_clear();
    /* A DICOM file that is not an RTSTRUCT goes on to the SEG reader. */
    int rc = pm_dicom_probe(path) == 1 && pm_rtstruct_read(path, &R.rs) == PM_OK ? load_rtstruct()
                                                                                : load_labels(path);
    if (rc == PM_OK)
        rc = make_shown();
    if (rc != PM_OK) {
        char why[700];
        pm_text_clean(why, sizeof why, pm_error()[0] ? pm_error() : "cannot read it");
        ref_done();
        app_message(1, "reference not opened: %s", why);
        return R_REDRAW;
    }
    if (R.skipped)
        app_message(0, "reference %s: %d ROI(s), all shown (r: one at a time); %d of %d contour(s) are "
                    "not on this series' slices", R.file, R.nroi, R.skipped, R.contours);
    else
        app_message(0, "reference %s: %d ROI(s), all shown (r: one at a time)", R.file, R.nroi);
    return R_IMAGE;
}

int ref_cycle(void)
{
    if (!R.all) {
        app_message(0, "no reference mask: R opens one");
        return R_REDRAW;
    }
    R.cur = R.cur + 1 > R.nroi ? -1 : R.cur + 1;
    if (make_shown() != PM_OK) {
        app_message(1, "%s", pm_error());
        R.cur = R.nroi;
        return R_IMAGE;
    }
    if (R.cur < 0)
        app_message(0, "reference %s: all %d ROI(s)", R.file, R.nroi);
    else if (R.cur < R.nroi)
        app_message(0, "reference ROI %d/%d: %s", R.cur + 1, R.nroi, R.name[R.cur]);
    else
        app_message(0, "reference hidden (r: all again)");
    return R_IMAGE;
}

void ref_draw(pm_fb *fb, pm_rect r, const tui_view *w)
{
    if (!R.shown)
        return;
    pm_labels l = {NULL, 0, 1};
    view_render_overlay(fb, r, R.shown, &l, 0.15, w);
}

const char *ref_name_at(size_t idx)
{
    if (!R.shown)
        return "";
    return R.by_value[R.shown->v[idx]];
}
