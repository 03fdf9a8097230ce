/* volfile.c - volume files as one-file series: recognising them, describing
 * them to the index, loading them, and telling whether their values are HU.
 */
#include "pulmo/volfile.h"
#include "volfile_internal.h"
#include "pulmo/nifti.h"
#include "pulmo/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PM__MARK "pulmo-volume-file"

static const struct { const char *ext; int kind; } pm__exts[] = {
    {".nii.gz", PM_VOLFILE_NIFTI}, {".nii", PM_VOLFILE_NIFTI}, {".mhd", PM_VOLFILE_META},
    {".mha", PM_VOLFILE_META}, {".nrrd", PM_VOLFILE_NRRD}, {".nhdr", PM_VOLFILE_NRRD}};

int pm_volfile_kind(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof pm__exts / sizeof pm__exts[0]; i++) {
        size_t k = strlen(pm__exts[i].ext);
        if (n > k && !strcasecmp(path + n - k, pm__exts[i].ext))
            return pm__exts[i].kind;
    }
    return 0;
}

static int pm__grid(const char *path, int kind, pm_grid *g, pm__vhdr *vh)
{
    if (kind == PM_VOLFILE_NIFTI) {
        memset(vh, 0, sizeof *vh);
        return pm_nifti_read_grid(path, g, &vh->type);
    }
    int st = kind == PM_VOLFILE_META ? pm__meta_header(path, vh) : pm__nrrd_header(path, vh);
    if (st == PM_OK)
        *g = vh->g;
    return st;
}

/* The file name without folder and extension. */
static void pm__stem(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", b);
    size_t n = strlen(tmp);
    for (size_t i = 0; i < sizeof pm__exts / sizeof pm__exts[0]; i++) {
        size_t k = strlen(pm__exts[i].ext);
        if (n > k && !strcasecmp(tmp + n - k, pm__exts[i].ext)) {
            tmp[n - k] = 0;
            break;
        }
    }
    pm_text_clean(out, cap, tmp);
}

static void pm__meta(const char *path, pm_series_meta *m, char *uid, size_t cap)
{
    /* FNV-1a of the path: a stable UID per file for --series. */
    uint64_t hsh = 1469598103934665603ull;
    for (const char *p = path; *p; p++)
        hsh = (hsh ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(uid, cap, "2.25.%llu", (unsigned long long)hsh);
    pm__stem(path, m->patient_id, sizeof m->patient_id);
    snprintf(m->patient_name, sizeof m->patient_name, "%s", m->patient_id);
    const char *b = strrchr(path, '/');
    pm_text_clean(m->series_description, sizeof m->series_description, b ? b + 1 : path);
    snprintf(m->modality, sizeof m->modality, "CT");
}

int pm_volfile_header(const char *path, pm_dicom_header *h)
{
    int kind = pm_volfile_kind(path);
    if (!kind)
        return pm_fail(PM_ENODATA, "%s: not a volume file", path);
    pm_grid g;
    pm__vhdr vh;
    int st = pm__grid(path, kind, &g, &vh);
    if (st != PM_OK)
        return st;
    /* Byte images are label masks (pulmo's own mask.nii.gz among them),
     * not CT: a folder of results must not list them as scans. */
    if (vh.type == PM_NIFTI_UINT8 || vh.type == PM_NIFTI_INT8)
        return pm_fail(PM_ENODATA, "%s: an 8-bit label image, not a CT volume", path);
    memset(h, 0, sizeof *h);
    pm_series_meta m;
    memset(&m, 0, sizeof m);
    pm__meta(path, &m, h->series_uid, sizeof h->series_uid);
    snprintf(h->patient_id, sizeof h->patient_id, "%s", m.patient_id);
    snprintf(h->patient_name, sizeof h->patient_name, "%s", m.patient_name);
    snprintf(h->series_description, sizeof h->series_description, "%s", m.series_description);
    snprintf(h->modality, sizeof h->modality, "CT");
    snprintf(h->transfer_syntax, sizeof h->transfer_syntax, PM__MARK);
    h->cols = g.dim[0];
    h->rows = g.dim[1];
    h->frames = g.dim[2];
    h->samples_per_pixel = 1;
    h->has_ipp = h->has_iop = h->has_spacing = 1;
    memcpy(h->ipp, g.origin, sizeof h->ipp);
    memcpy(h->iop, g.dir, 6 * sizeof *h->iop);
    h->pixel_spacing[0] = g.spacing[1];
    h->pixel_spacing[1] = g.spacing[0];
    h->slice_thickness = g.spacing[2];
    h->slope = 1;
    return PM_OK;
}

int pm_volfile_is_header(const pm_dicom_header *h)
{
    return !strcmp(h->transfer_syntax, PM__MARK);
}

/* A chest CT in HU has air (outside the body, in the lungs and airways)
 * near -1000; stored pixel values (0..4095) or another modality have
 * almost nothing below -500. */
static void pm__check_hu(pm_volume *v)
{
    size_t n = pm_grid_voxels(&v->g), low = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        low += v->hu[i] < -500;
        neg += v->hu[i] < 0;
    }
    if ((double)low < 0.01 * (double)n) {
        int lo, hi;
        double mean;
        pm_volume_stats(v, &lo, &hi, &mean);
        pm_volume_warn(v, PM_WARN_NOT_HU,
                       "values do not look like Hounsfield units: %.2f%% of voxels below -500 (air), "
                       "range %d..%d%s; lung thresholds in HU will not find the lungs",
                       100.0 * (double)low / (double)n, lo, hi,
                       neg == 0 && hi > 1000 ? " (stored pixel values without the -1024 intercept?)" : "");
    }
}

int pm_volfile_load(const char *path, const pm_load_opts *o, pm_volume **out, const pm_progress *p)
{
    double t0 = pm_now();
    int kind = pm_volfile_kind(path);
    if (!kind)
        return pm_fail(PM_ENODATA, "%s: not a volume file", path);
    uint64_t cap = o && o->max_memory ? o->max_memory : pm_physical_memory() / 2;
    pm_grid g;
    pm__vhdr vh;
    int st = pm__grid(path, kind, &g, &vh);
    size_t bytes;
    if (st == PM_OK)
        st = pm__vcheck(path, &g, vh.type, cap, &bytes);
    if (st != PM_OK)
        return st;
    pm_progress_report(p, 0, "reading volume");
    pm_volume *v = NULL;
    if (kind == PM_VOLFILE_NIFTI) {
        st = pm_nifti_read_volume(path, &v);
    } else if (!(v = pm_volume_new(&g))) {
        st = PM_EMEMORY;
    } else if ((st = pm__vread(path, &vh, v)) != PM_OK) {
        pm_volume_free(v);
    }
    if (st != PM_OK)
        return st;
    char uid[72];
    memset(&v->meta, 0, sizeof v->meta);
    pm__meta(path, &v->meta, uid, sizeof uid);
    snprintf(v->meta.series_uid, sizeof v->meta.series_uid, "%s", uid);
    pm__check_hu(v);
    pm_progress_report(p, 1, "reading volume");
    v->load_seconds = pm_now() - t0;
    *out = v;
    return PM_OK;
}
