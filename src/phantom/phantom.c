/* phantom.c - the standard phantom set, generation on all cores, and the
 * writer: a DICOM CT series per phantom plus its ground truth (NIfTI label
 * map and JSON volumes) in a separate folder. */
#include "phantom_int.h"
#include "pulmo/dicom.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"
#include "pulmo/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each phantom differs from the first in what loaders get wrong. */
static const pm_phantom_spec pm__standard[] = {
    {"PHANTOM-01", "chest 2.5 mm HFS", 0x5a17e01ULL, 256, 256, 120, 1.40, 2.5, 0, 1.0, -1024.0,
     0, -1, 0, 12.0, 0.95, 1},
    {"PHANTOM-02", "chest 2.0 mm FFS", 0x5a17e02ULL, 256, 256, 150, 1.25, 2.0, 1, 1.0, 0.0,
     1, -1, 0, 15.0, 0.85, 0},
    {"PHANTOM-03", "chest 3.0 mm missing slice", 0x5a17e03ULL, 240, 240, 100, 1.50, 3.0, 0, 1.0,
     -1024.0, 0, 47, 0, 10.0, 1.0, 1},
    {"PHANTOM-04", "chest 2.0 mm left bronchus blind", 0x5a17e04ULL, 256, 256, 128, 1.30, 2.0, 0,
     1.0, -1024.0, 0, -1, PM_LABEL_LEFT_LUNG, 12.0, 0.9, 1},
    {"PHANTOM-05", "chest 1.5 mm FFS rescaled", 0x5a17e05ULL, 224, 224, 160, 1.45, 1.5, 1, 0.5,
     -1024.0, 1, -1, 0, 18.0, 0.9, 0},
};
#define PM__NSTD (int)(sizeof pm__standard / sizeof pm__standard[0])

int pm_phantom_standard_count(void)
{
    return PM__NSTD;
}

int pm_phantom_standard(int i, pm_phantom_spec *spec)
{
    if (i < 0 || i >= PM__NSTD)
        return pm_fail(PM_EUSAGE, "no standard phantom %d (there are %d)", i, PM__NSTD);
    *spec = pm__standard[i];
    return PM_OK;
}

int pm_phantom_find(const char *name, pm_phantom_spec *spec)
{
    for (int i = 0; i < PM__NSTD; i++)
        if (!strcmp(name, pm__standard[i].name)) {
            *spec = pm__standard[i];
            return PM_OK;
        }
    return pm_fail(PM_EUSAGE, "no standard phantom named '%s'", name);
}

int pm_phantom_check(const pm_phantom_spec *s)
{
    if (!s->name[0] || strchr(s->name, '/') || strchr(s->name, '\\') || !strcmp(s->name, "..")
        || !strcmp(s->name, "."))
        return pm_fail(PM_EUSAGE, "phantom name '%s' is not a plain folder name", s->name);
    if (s->nx < 64 || s->ny < 64 || s->nx > 1024 || s->ny > 1024 || s->nz < 16 || s->nz > 2000)
        return pm_fail(PM_EUSAGE, "phantom size %dx%dx%d out of range (64..1024 pixels, 16..2000 slices)",
                       s->nx, s->ny, s->nz);
    if (!(s->pixel_mm >= 0.3 && s->pixel_mm <= 5) || !(s->slice_mm >= 0.3 && s->slice_mm <= 10))
        return pm_fail(PM_EUSAGE, "phantom spacing %g x %g mm out of range", s->pixel_mm, s->slice_mm);
    if (!(s->scale >= 0.5 && s->scale <= 1.5))
        return pm_fail(PM_EUSAGE, "phantom scale %g out of range 0.5..1.5", s->scale);
    double body = 2.0 * 165.0 * s->scale + 10.0, fov = (s->nx < s->ny ? s->nx : s->ny) * s->pixel_mm;
    if (body > fov)
        return pm_fail(PM_EUSAGE, "the body (%.0f mm) does not fit the field of view (%.0f mm): "
                       "raise the pixel spacing or lower the scale", body, fov);
    if ((s->nz - 1) * s->slice_mm < 150.0)
        return pm_fail(PM_EUSAGE, "%d slices of %g mm cover %.0f mm; the chest needs at least 150",
                       s->nz, s->slice_mm, (s->nz - 1) * s->slice_mm);
    if (!(s->noise >= 0 && s->noise <= 500))
        return pm_fail(PM_EUSAGE, "noise sigma %g out of range 0..500 HU", s->noise);
    if (!(s->slope > 0) || !isfinite(s->intercept))
        return pm_fail(PM_EUSAGE, "rescale slope %g must be positive", s->slope);
    /* Stored values must fit int16 for HU -2000..3071. */
    double lo = (-2000.0 - s->intercept) / s->slope, hi = (3071.0 - s->intercept) / s->slope;
    if (lo < -32768 || hi > 32767)
        return pm_fail(PM_EUSAGE, "rescale %g/%g cannot store -2000..3071 HU in 16 bits", s->slope,
                       s->intercept);
    if (s->missing_slice >= s->nz - 1 || s->missing_slice == 0 || s->missing_slice < -1)
        return pm_fail(PM_EUSAGE, "missing slice %d must be inside 1..%d", s->missing_slice, s->nz - 2);
    if (s->disconnected < 0 || s->disconnected > 2)
        return pm_fail(PM_EUSAGE, "disconnected must be 0, 1 or 2");
    return PM_OK;
}

typedef struct pm__gen {
    const pm__model *m;
    pm_phantom *ph;
} pm__gen;

static void pm__gen_slice(void *ctx, int k, int thread)
{
    (void)thread;
    pm__gen *g = ctx;
    size_t n = (size_t)g->m->g.dim[0] * (size_t)g->m->g.dim[1];
    pm__raster_slice(g->m, k, g->ph->hu->hu + n * (size_t)k, g->ph->labels->v + n * (size_t)k,
                     g->ph->structures->v + n * (size_t)k);
}

int pm_phantom_generate(const pm_phantom_spec *spec, pm_phantom *out, const pm_progress *p)
{
    int rc = pm_phantom_check(spec);
    if (rc != PM_OK)
        return rc;
    pm__model m;
    rc = pm__model_build(&m, spec);
    if (rc != PM_OK) {
        pm__model_done(&m);
        return rc;
    }
    pm_phantom ph;
    memset(&ph, 0, sizeof ph);
    ph.hu = pm_volume_new(&m.g);
    ph.labels = ph.hu ? pm_mask_new(&m.g) : NULL;
    ph.structures = ph.labels ? pm_mask_new(&m.g) : NULL;
    if (!ph.structures) {
        pm_mask_free(ph.labels);
        pm_volume_free(ph.hu);
        pm__model_done(&m);
        return PM_EMEMORY;
    }
    pm__gen g = {&m, &ph};
    rc = pm_parallel_for(m.g.dim[2], 0, pm__gen_slice, &g, p, "generating phantom");
    if (rc == PM_OK) {
        snprintf(ph.hu->meta.patient_id, sizeof ph.hu->meta.patient_id, "%s", spec->name);
        snprintf(ph.hu->meta.modality, sizeof ph.hu->meta.modality, "CT");
        snprintf(ph.hu->meta.patient_position, sizeof ph.hu->meta.patient_position, "%s",
                 spec->feet_first ? "FFS" : "HFS");
        memcpy(ph.nodules, m.nod, sizeof ph.nodules);
        ph.nnodules = 2;
        ph.airways_connect = m.airways_connect;
        *out = ph;
    } else {
        pm_phantom_free(&ph);
    }
    pm__model_done(&m);
    return rc;
}

void pm_phantom_free(pm_phantom *ph)
{
    if (!ph)
        return;
    pm_volume_free(ph->hu);
    pm_mask_free(ph->labels);
    pm_mask_free(ph->structures);
    ph->hu = NULL;
    ph->labels = NULL;
    ph->structures = NULL;
}

/* A UID under the UUID-derived root 2.25: the decimal of a 126-bit hash
 * of (seed, name, what, n), so reruns give the same UIDs. */
static void pm__uid(char *out, size_t cap, const pm_phantom_spec *s, const char *what, int n)
{
    uint64_t h = s->seed;
    for (const char *c = s->name; *c; c++)
        h = pm__hash(h, (unsigned char)*c);
    for (const char *c = what; *c; c++)
        h = pm__hash(h, (unsigned char)*c);
    uint64_t hi = pm__hash(h, (uint64_t)n) >> 2, lo = pm__hash(h ^ 0xabcdefULL, (uint64_t)n);
    /* Long division of the 128-bit number hi:lo by 10, in 32-bit limbs. */
    uint32_t limb[4] = {(uint32_t)(hi >> 32), (uint32_t)hi, (uint32_t)(lo >> 32), (uint32_t)lo};
    char digits[48];
    int nd = 0;
    for (;;) {
        uint64_t rem = 0;
        int zero = 1;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
            zero &= limb[i] == 0;
        }
        digits[nd++] = (char)('0' + rem);
        if (zero)
            break;
    }
    size_t o = (size_t)snprintf(out, cap, "2.25.");
    while (nd > 0 && o + 1 < cap)
        out[o++] = digits[--nd];
    out[o] = 0;
}

typedef struct pm__wr {
    const pm_phantom_spec *s;
    const pm_phantom *ph;
    const char *dir;
    char study_uid[72], series_uid[72];
    int *status;
    char (*reason)[640];
} pm__wr;

static void pm__write_slice(void *ctx, int k, int thread)
{
    (void)thread;
    pm__wr *w = ctx;
    const pm_phantom_spec *s = w->s;
    if (k == s->missing_slice)
        return;
    const pm_grid *g = &w->ph->hu->g;
    size_t n = (size_t)g->dim[0] * (size_t)g->dim[1];
    int16_t *st = malloc(n * sizeof *st);
    if (!st) {
        w->status[k] = pm_fail(PM_EMEMORY, "out of memory");
        snprintf(w->reason[k], sizeof w->reason[k], "%s", pm_error());
        return;
    }
    const int16_t *hu = w->ph->hu->hu + n * (size_t)k;
    for (size_t i = 0; i < n; i++)
        st[i] = (int16_t)lround((hu[i] - s->intercept) / s->slope);
    /* Scanners number slices in acquisition order, here from the end of
     * the stack, so InstanceNumber never equals the sorted position. */
    int inst = g->dim[2] - k;
    char sop[72], path[4096];
    pm__uid(sop, sizeof sop, s, "sop", inst);
    snprintf(path, sizeof path, s->dcm_ext ? "%s/IM%04d.dcm" : "%s/%08d", w->dir, inst);
    pm_dicom_ct ct;
    memset(&ct, 0, sizeof ct);
    ct.patient_id = s->name;
    char pname[96];
    snprintf(pname, sizeof pname, "PHANTOM^%s", s->name + (strncmp(s->name, "PHANTOM-", 8) ? 0 : 8));
    ct.patient_name = pname;
    ct.patient_position = s->feet_first ? "FFS" : "HFS";
    ct.study_uid = w->study_uid;
    ct.study_date = "20260101";
    ct.study_description = "pulmo synthetic chest phantom";
    ct.series_uid = w->series_uid;
    ct.series_description = s->description;
    ct.sop_uid = sop;
    ct.series_number = 2;
    ct.instance_number = inst;
    ct.rows = g->dim[1];
    ct.cols = g->dim[0];
    ct.pixel_spacing[0] = g->spacing[1];
    ct.pixel_spacing[1] = g->spacing[0];
    ct.slice_thickness = g->spacing[2];
    pm_grid_to_lps(g, 0, 0, k, ct.ipp);
    for (int i = 0; i < 6; i++)
        ct.iop[i] = g->dir[i];
    ct.slope = s->slope;
    ct.intercept = s->intercept;
    ct.has_padding = s->padding;
    ct.padding = (int16_t)lround((-2000.0 - s->intercept) / s->slope);
    int rc = pm_dicom_write_ct(path, &ct, st);
    free(st);
    if (rc != PM_OK) {
        w->status[k] = rc;
        snprintf(w->reason[k], sizeof w->reason[k], "%s", pm_error());
    }
}

/* The truth as the loader will see the series: it puts the missing slice
 * back in its grid place (interpolated), so the truth keeps every slice. */
static pm_mask *pm__truth_mask(const pm_phantom_spec *s, const pm_mask *full)
{
    (void)s;
    return pm_mask_clone(full);
}

static int pm__truth_json(const char *path, const pm_phantom_spec *s, const pm_phantom *ph,
                          const pm_mask *t, const pm_mask *st, const char *series_dir,
                          const char *series_uid)
{
    size_t count[5] = {0}, ncount[2] = {0}, scount[3] = {0};
    size_t nvox = pm_grid_voxels(&t->g);
    double ml = pm_grid_voxel_mm3(&t->g) / 1000.0;
    for (size_t i = 0; i < nvox; i++) {
        if (t->v[i] <= 4)
            count[t->v[i]]++;
        if (st->v[i] <= 2)
            scount[st->v[i]]++;
    }
    /* Nodule voxels split by the nearer centre (they are far apart). */
    for (size_t i = 0; i < nvox; i++) {
        if (t->v[i] != PM_LABEL_NODULE)
            continue;
        int nx = t->g.dim[0], ny = t->g.dim[1];
        double p[3], d[2];
        pm_grid_to_lps(&t->g, (double)(i % (size_t)nx), (double)(i / (size_t)nx % (size_t)ny),
                       (double)(i / ((size_t)nx * (size_t)ny)), p);
        for (int a = 0; a < 2; a++) {
            const double *c = ph->nodules[a].center;
            d[a] = (p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]) + (p[2] - c[2]) * (p[2] - c[2]);
        }
        ncount[d[1] < d[0]]++;
    }
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    pm_json j;
    pm_json_init(&j, o.f, 1);
    pm_json_object_begin(&j, NULL);
    pm_json_string(&j, "patient_id", s->name);
    pm_json_string(&j, "series_uid", series_uid);
    pm_json_string(&j, "series_dir", series_dir);
    pm_json_string(&j, "patient_position", s->feet_first ? "FFS" : "HFS");
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed);
    pm_json_string(&j, "seed", seed);
    pm_json_number(&j, "noise_sigma_hu", s->noise);
    pm_json_number(&j, "rescale_slope", s->slope);
    pm_json_number(&j, "rescale_intercept", s->intercept);
    pm_json_int(&j, "missing_slices", s->missing_slice >= 0 ? 1 : 0);
    pm_json_bool(&j, "airways_connect_lungs", ph->airways_connect);
    pm_json_ints(&j, "dims", t->g.dim, 3);
    pm_json_numbers(&j, "spacing", t->g.spacing, 3);
    pm_json_numbers(&j, "origin", t->g.origin, 3);
    pm_json_numbers(&j, "direction", t->g.dir, 9);
    pm_json_number(&j, "voxel_ml", ml);
    static const char *names[5] = {"background", "right_lung", "left_lung", "airway", "nodule"};
    pm_json_object_begin(&j, "labels");
    for (int l = 1; l <= 4; l++) {
        char key[16];
        snprintf(key, sizeof key, "%d", l);
        pm_json_string(&j, key, names[l]);
    }
    pm_json_object_end(&j);
    pm_json_object_begin(&j, "voxels");
    for (int l = 1; l <= 4; l++)
        pm_json_int(&j, names[l], (long long)count[l]);
    pm_json_object_end(&j);
    pm_json_object_begin(&j, "volumes_ml");
    for (int l = 1; l <= 4; l++)
        pm_json_number(&j, names[l], (double)count[l] * ml);
    pm_json_object_end(&j);
    pm_json_object_begin(&j, "structures_ml");
    pm_json_number(&j, "vessels", (double)scount[1] * ml);
    pm_json_number(&j, "bronchial_walls", (double)scount[2] * ml);
    pm_json_object_end(&j);
    pm_json_array_begin(&j, "nodules");
    for (int a = 0; a < ph->nnodules; a++) {
        const pm_phantom_nodule *n = &ph->nodules[a];
        pm_json_object_begin(&j, NULL);
        pm_json_numbers(&j, "center_lps", n->center, 3);
        pm_json_number(&j, "radius_mm", n->radius);
        pm_json_string(&j, "lung", n->lung == PM_LABEL_RIGHT_LUNG ? "right" : "left");
        pm_json_bool(&j, "juxtapleural", n->juxtapleural);
        pm_json_int(&j, "voxels", (long long)ncount[a]);
        pm_json_number(&j, "volume_ml", (double)ncount[a] * ml);
        pm_json_object_end(&j);
    }
    pm_json_array_end(&j);
    pm_json_object_end(&j);
    pm_json_end(&j);
    return pm_out_commit(&o);
}

int pm_phantom_write(const pm_phantom_spec *s, const pm_phantom *given, const char *series_root,
                     const char *truth_dir, const pm_progress *p)
{
    pm_phantom own;
    const pm_phantom *ph = given;
    if (!ph) {
        int rc = pm_phantom_generate(s, &own, p);
        if (rc != PM_OK)
            return rc;
        ph = &own;
    }
    pm__wr w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.ph = ph;
    char dir[4096], rel[512], path[4096];
    snprintf(rel, sizeof rel, "%s/2-chest-%gmm", s->name, s->slice_mm);
    snprintf(dir, sizeof dir, "%s/%s", series_root, rel);
    w.dir = dir;
    pm__uid(w.study_uid, sizeof w.study_uid, s, "study", 1);
    pm__uid(w.series_uid, sizeof w.series_uid, s, "series", 2);
    int nz = ph->hu->g.dim[2];
    int rc = pm_mkdir_p(dir);
    if (rc == PM_OK)
        rc = pm_mkdir_p(truth_dir);
    w.status = calloc((size_t)nz, sizeof *w.status);
    w.reason = calloc((size_t)nz, sizeof *w.reason);
    if (rc == PM_OK && (!w.status || !w.reason))
        rc = pm_fail(PM_EMEMORY, "out of memory");
    if (rc == PM_OK)
        rc = pm_parallel_for(nz, 0, pm__write_slice, &w, p, "writing DICOM");
    for (int k = 0; rc == PM_OK && k < nz; k++)
        if (w.status[k])
            rc = pm_fail(w.status[k], "%s", w.reason[k]);
    free(w.status);
    free(w.reason);
    pm_mask *t = rc == PM_OK ? pm__truth_mask(s, ph->labels) : NULL;
    pm_mask *st = t ? pm__truth_mask(s, ph->structures) : NULL;
    if (rc == PM_OK && !st)
        rc = PM_EMEMORY;
    if (rc == PM_OK) {
        snprintf(path, sizeof path, "%s/%s.labels.nii.gz", truth_dir, s->name);
        rc = pm_nifti_write(path, &t->g, PM_NIFTI_UINT8, t->v);
    }
    if (rc == PM_OK) {
        snprintf(path, sizeof path, "%s/%s.structures.nii.gz", truth_dir, s->name);
        rc = pm_nifti_write(path, &st->g, PM_NIFTI_UINT8, st->v);
    }
    if (rc == PM_OK) {
        snprintf(path, sizeof path, "%s/%s.json", truth_dir, s->name);
        rc = pm__truth_json(path, s, ph, t, st, rel, w.series_uid);
    }
    pm_mask_free(st);
    pm_mask_free(t);
    if (ph == &own)
        pm_phantom_free(&own);
    return rc;
}
