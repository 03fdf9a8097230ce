/* segment_job.c - one series end to end: load, resample, recipe, measure,
 * mask.nii.gz and report.json; and the report's JSON form.
 *
 * Memory: the resampled volume replaces the loaded one as soon as it
 * exists, and the recipe works on a single mask in place, so the peak is
 * about one volume (int16) plus two masks.
 */
#include "pulmo/batch.h"
#include "pulmo/dcmout.h"
#include "pulmo/io.h"
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"
#include "pulmo/text.h"
#include "pulmo/unet.h"
#include "pulmo/volfile.h"
#include "batch_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rep_warn(pm_segment_report *rep, const char *kind, const char *msg)
{
    if (rep->nwarnings >= PM_REPORT_MAX_WARNINGS)
        return;
    snprintf(rep->warnings[rep->nwarnings++], sizeof rep->warnings[0], "%.23s%s%.480s", kind,
             *kind ? ": " : "", msg);
}

static void coverage_warn(pm_segment_report *rep, const pm_mask *labels, const pm_volume *v)
{
    int apex, base, fov = pm_lung_cut_by_fov(labels, v);
    pm_lung_coverage(labels, &apex, &base);
    if (!apex && !base && !fov)
        return;
    char msg[240], ends[120] = "";
    if (apex || base)
        snprintf(ends, sizeof ends, "the %s of the scan (%s cut off)",
                 apex && base ? "first and last slices" : "end slice",
                 apex && base ? "apex and base" : apex ? "apex" : "base");
    snprintf(msg, sizeof msg, "the lungs reach %s%s%s: volumes are lower bounds", ends, *ends && fov ? " and " : "",
             fov ? "the edge of the field of view (sides cut off)" : "");
    rep_warn(rep, PM_WARN_PARTIAL, msg);
}

void pm_segment_report_fill(pm_segment_report *rep, const pm_volume *v, const pm_recipe *r, const pm_seg_run *run,
                            const pm_lung_measures *m, int status, const char *reason)
{
    rep->status = status;
    if (status != PM_OK)
        snprintf(rep->message, sizeof rep->message, "%s", reason ? reason : "");
    snprintf(rep->series_uid, sizeof rep->series_uid, "%s", v->meta.series_uid);
    snprintf(rep->patient_id, sizeof rep->patient_id, "%s", v->meta.patient_id);
    memcpy(rep->dim, v->g.dim, sizeof rep->dim);
    memcpy(rep->spacing, v->g.spacing, sizeof rep->spacing);
    rep->nwarnings = 0;
    for (int w = 0; w < v->nwarnings; w++)
        rep_warn(rep, v->warnings[w].kind, v->warnings[w].message);
    if (r)
        rep->recipe = *r;
    rep->otsu_hu = NAN;
    if (!run)
        return;
    for (int s = 0; s < PM_RECIPE_MAX_STEPS; s++)
        rep->seconds_step[s] = s < rep->recipe.nsteps ? run->seconds[s] : 0;
    for (int w = 0; w < run->nwarnings; w++)
        rep_warn(rep, "segmentation", run->warnings[w]);
    rep->nlungs = run->nlungs;
    rep->airway = run->airway;
    /* Only labels on v's own grid say where v's scan ends. */
    if (status == PM_OK && run->result && run->vol == v && v->g.dim[2] > 2)
        coverage_warn(rep, run->result, v);
    if (pm_recipe_step_index(&rep->recipe, "otsu") >= 0)
        rep->otsu_hu = run->otsu_hu;
    if (m) {
        rep->m = *m;
        /* Recipes without a lung-separating step: count what was measured. */
        if (status == PM_OK && rep->nlungs == 0)
            rep->nlungs = m->sides ? 2 : (m->lung_voxels ? 1 : 0);
    }
}

static int finish(pm_segment_report *rep, int rc, double t0)
{
    rep->status = rc;
    if (rc != PM_OK)
        snprintf(rep->message, sizeof rep->message, "%s", pm_error());
    rep->seconds_total = pm_now() - t0;
    return rc;
}

static int write_report(const char *outdir, const pm_segment_report *rep)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", outdir);
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    pm_segment_report_json(rep, o.f, 1);
    return pm_out_commit(&o);
}

/* "No lungs" on a volume with slices that never decoded (they read -1024
 * HU, which no recipe takes for lung) says that decoding failed: asking
 * whether the series is a chest CT would send the user the wrong way. */
static void pm__no_lungs_reason(const pm_volume *v, const char *reason)
{
    for (int w = 0; w < v->nwarnings; w++)
        if (!strcmp(v->warnings[w].kind, PM_WARN_DECODE)) {
            pm_fail(PM_ENOLUNG, "no lungs found, but decoding failed: %s; the lungs may be in the slices "
                    "that did not decode", v->warnings[w].message);
            return;
        }
    pm_fail(PM_ENOLUNG, "%s", reason);
}

static void flat_report(pm_segment_report *rep, const pm_mask *labels)
{
    int n = labels->g.dim[2];
    rep->flat = n;
    for (int k = 0; k < n && k < 2; k++)
        pm_lung_areas(labels, k, rep->area_cm2[k]);
    char msg[200];
    snprintf(msg, sizeof msg, "%d slice%s: segmented in 2-D; lung areas in cm2, no volume", n, n > 1 ? "s" : "");
    rep_warn(rep, PM_WARN_SINGLE_SLICE, msg);
}

int pm_segment_opts_recipe(const pm_segment_opts *o, pm_recipe *r)
{
    int rc = pm_recipe_init(r, o->recipe ? o->recipe : "default");
    for (int s = 0; s < o->nsets && rc == PM_OK; s++)
        rc = pm_recipe_set(r, o->sets[s], NULL);
    return rc;
}

/* The lungs' surface (labels right to left) of the mask just made, so that
 * a mesh costs no second load and segmentation. It is built on a thread of
 * its own from the moment the labels exist, while this one measures them
 * and writes the mask: decimation leaves a core idle much of its time. */
struct pm__mesh_job {
    const pm_segment_opts *o;
    const pm_mask *lab;
    const pm_progress *p;
    pthread_t th;
    int started, rc;
    size_t triangles;
    double ml, seconds;
    char err[512];
};

static void mesh_build(pm__mesh_job *j)
{
    double t = pm_now();
    int fmt = pm_mesh_format_for(j->o->mesh, 0);
    pm_mesh *m = NULL;
    int rc = fmt < 0 ? pm_fail(PM_EUSAGE, "%s: a mesh ends in .stl, .obj or .ply", j->o->mesh)
                     : pm_mesh_from_mask_range(j->lab, PM_LABEL_RIGHT, PM_LABEL_LEFT, &m, j->p);
    if (rc == PM_OK)
        rc = pm_mesh_refine(m, j->o->mesh_smooth, j->o->mesh_ratio, 0, NULL, NULL, j->p);
    if (rc == PM_OK)
        rc = pm_mesh_write(m, j->o->mesh, (pm_mesh_format)fmt);
    pm_mesh_stats st;
    if (rc == PM_OK && (rc = pm_mesh_measure(m, &st)) == PM_OK) {
        j->triangles = m->nf;
        j->ml = st.volume_mm3 / 1000.0;
    }
    pm_mesh_free(m);
    j->rc = rc;
    if (rc != PM_OK)
        snprintf(j->err, sizeof j->err, "%s", pm_error());
    j->seconds = pm_now() - t;
}

static void *mesh_main(void *arg)
{
    mesh_build(arg);
    return NULL;
}

static void mesh_start(pm__mesh_job *j, const pm_mask *lab)
{
    j->lab = lab;
    j->started = pthread_create(&j->th, NULL, mesh_main, j) == 0;
}

static void mesh_join(pm__mesh_job *j)
{
    if (j->started)
        pthread_join(j->th, NULL);
    j->started = 0;
}

/* The surface into rep: the thread's, or built here when none was started
 * (with --structures, or when the thread could not be created). */
static int mesh_finish(pm__mesh_job *j, const pm_mask *lab, pm_segment_report *rep)
{
    if (j->started) {
        mesh_join(j);
    } else {
        j->lab = lab;
        mesh_build(j);
    }
    rep->mesh_triangles = j->triangles;
    rep->mesh_ml = j->ml;
    rep->seconds_mesh = j->seconds;
    return j->rc == PM_OK ? PM_OK : pm_fail(j->rc, "%s", j->err);
}

int pm__segment_run(pm_volume *v, double t0, const char *outdir, const pm_segment_opts *o,
                    pm_segment_report *rep, pm_mask **labels, pm__mesh_job *mesh, const pm_progress *p)
{
    *labels = NULL;
    pm_segment_report_fill(rep, v, NULL, NULL, NULL, PM_OK, NULL);
    int rc = pm_segment_opts_recipe(o, &rep->recipe);
    if (rc != PM_OK)
        return finish(rep, rc, t0);
    rep->resample_mm = o->resample_mm;
    if (o->resample_mm > 0) {
        double t = pm_now();
        pm_volume *r;
        rc = pm_resample_volume(v, o->resample_mm, &r, p);
        if (rc != PM_OK)
            return finish(rep, rc, t0);
        /* The caller frees v; swap contents so it frees the resampled one
         * and the original's memory goes now. */
        pm_volume tmp = *v;
        *v = *r;
        *r = tmp;
        pm_volume_free(r);
        rep->seconds_resample = pm_now() - t;
    }
    memcpy(rep->dim, v->g.dim, sizeof rep->dim);
    memcpy(rep->spacing, v->g.spacing, sizeof rep->spacing);
    if (outdir && (rc = pm_mkdir_p(outdir)) != PM_OK)
        return finish(rep, rc, t0);

    /* One or two slices: pm_recipe_run segments them in 2-D; the report
     * names the recipe as that run uses it. */
    int flat = pm_recipe_flat_copies(&v->g) > 0;
    if (flat)
        pm_recipe_flat(&rep->recipe);
    pm_seg_run *run = pm_seg_run_new(v, 0);
    if (!run)
        return finish(rep, PM_EMEMORY, t0);
    pm_unet *net = NULL;
    if (pm_recipe_step_index(&rep->recipe, "unet") >= 0) {
        char wpath[4096];
        rc = pm_unet_weights_path(o->weights, wpath, sizeof wpath);
        if (rc == PM_OK)
            rc = pm_unet_load(wpath, &net);
        if (rc != PM_OK) {
            pm_seg_run_free(run);
            return finish(rep, rc, t0);
        }
        run->unet = net;
    }
    rc = pm_recipe_run(&rep->recipe, run, 0, p);
    pm_unet_free(net);
    run->unet = NULL;
    /* The structures step adds label 5 inside the lungs: the surface waits
     * for it, as it did before. */
    if (rc == PM_OK && mesh && !flat && !o->structures)
        mesh_start(mesh, run->result);
    char reason[640];
    snprintf(reason, sizeof reason, "%s", pm_error());
    pm_mask *lab = NULL, *on_v = run->result;
    pm_lung_measures m = {0};
    if (rc == PM_OK) {
        double t = pm_now();
        rc = pm_recipe_measure(run, &m);
        rep->seconds_measure = pm_now() - t;
        /* After measuring, so lung_ml keeps counting the lungs' vessels. */
        if (rc == PM_OK && o->structures) {
            uint64_t nvox = 0;
            t = pm_now();
            rc = pm_seg_structures(v, on_v, PM_STRUCTURES_HU,
                                   PM_STRUCTURES_MARGIN_MM, &nvox, p);
            rep->structures = rc == PM_OK;
            rep->structures_ml = (double)nvox * pm_grid_voxel_mm3(&v->g) / 1000.0;
            rep->seconds_structures = pm_now() - t;
        }
    } else if (rc == PM_ENOLUNG && on_v) {
        pm_recipe_measure(run, &m);
    }
    pm_recipe used = rep->recipe;
    pm_segment_report_fill(rep, v, &used, run, &m, rc, reason);
    lab = run->result;
    run->result = NULL;
    if (flat && lab && (rc == PM_OK || rc == PM_ENOLUNG))
        flat_report(rep, lab);
    pm_seg_run_free(run);
    if (rc == PM_ENOLUNG)
        pm__no_lungs_reason(v, reason);
    finish(rep, rc, t0);
    *labels = lab;
    return rc;
}

int pm__segment_volume(pm_volume *v, double t0, const char *outdir, const pm_segment_opts *o,
                       pm_segment_report *rep, const pm_progress *p)
{
    pm_mask *lab;
    pm__mesh_job mj = {.o = o, .p = p};
    int rc = pm__segment_run(v, t0, outdir, o, rep, &lab, o->mesh ? &mj : NULL, p);
    int wrc = PM_OK;
    /* The CT is measured: unless the sheet draws it, its voxels go now, and
     * the surface's decimation reuses their pages (a fresh page costs a
     * fault, a tenth of a run's time on a virtual machine). */
    if (!o->sheet) {
        free(v->hu);
        v->hu = NULL;
    }
    if (rc == PM_OK && o->write_mask) {
        double t = pm_now();
        char path[4200];
        snprintf(path, sizeof path, "%s/mask.nii.gz", outdir);
        wrc = pm_volfile_write_mask(path, lab);
        rep->seconds_write = pm_now() - t;
    }
    if (rc == PM_OK && wrc == PM_OK && o->dicom_seg)
        wrc = pm_dcmout_seg_dir(o->dicom_seg, lab, rep->series_dir, rep->series_uid, rep->m.sides);
    if (rc == PM_OK && o->mesh && rep->flat)
        rep_warn(rep, "no_mesh", "a series of one or two slices has no surface: the --mesh file is not written");
    if (rc == PM_OK && wrc == PM_OK && o->mesh && !rep->flat)
        wrc = mesh_finish(&mj, lab, rep);
    mesh_join(&mj);
    if (rc != PM_OK && rc != PM_ENOLUNG) {
        pm_mask_free(lab);
        return rc;
    }
    if (wrc != PM_OK) {
        pm_mask_free(lab);
        return finish(rep, wrc, t0);
    }
    if (o->sheet) {
        char path[4200];
        snprintf(path, sizeof path, "%s/sheet.png", outdir);
        wrc = pm_segment_sheet_write(path, v, lab, rep);
        if (wrc != PM_OK) {
            pm_mask_free(lab);
            return finish(rep, wrc, t0);
        }
    }
    pm_mask_free(lab);
    char msg[sizeof rep->message];
    snprintf(msg, sizeof msg, "%s", rep->message);
    finish(rep, rc, t0);
    if (rc == PM_ENOLUNG)
        snprintf(rep->message, sizeof rep->message, "%s", msg);
    wrc = write_report(outdir, rep);
    if (wrc != PM_OK)
        return finish(rep, wrc, t0);
    return rc;
}

int pm_segment_series(const char *dir, const char *outdir, const pm_segment_opts *o,
                      pm_segment_report *rep, const pm_progress *p)
{
    memset(rep, 0, sizeof *rep);
    snprintf(rep->series_dir, sizeof rep->series_dir, "%s", dir);
    double t0 = pm_now();
    pm_volume *v;
    int rc = pm_load_dir(dir, o->series_uid, &o->load, &v, p);
    if (rc != PM_OK)
        return finish(rep, rc, t0);
    rep->seconds_load = pm_now() - t0;
    rc = pm__segment_volume(v, t0, outdir, o, rep, p);
    pm_volume_free(v);
    return rc;
}

static const char *status_name(int s)
{
    switch (s) {
    case PM_OK: return "ok";
    case PM_ENOLUNG: return "no_lungs";
    case PM_ENODATA: return "no_data";
    case PM_ECORRUPT: return "corrupt";
    case PM_EWRITE: return "write_failed";
    case PM_EMEMORY: return "memory";
    case PM_ECANCEL: return "cancelled";
    default: return "usage";
    }
}

const char *pm_status_name(int s)
{
    return status_name(s);
}

/* Per lung, its cranio-caudal extent and upper, middle and lower thirds. */
static void zones_json(pm_json *j, const pm_lung_measures *m)
{
    static const char *const zname[PM_ZONES] = {"upper", "middle", "lower"};
    pm_json_object_begin(j, "zones");
    for (int l = 0; l < (m->sides ? 2 : 1); l++) {
        pm_json_object_begin(j, !m->sides ? "lung" : l ? "left" : "right");
        pm_json_number(j, "top_mm", m->top_mm[l]);
        pm_json_number(j, "bottom_mm", m->bottom_mm[l]);
        pm_json_number(j, "height_mm", m->top_mm[l] - m->bottom_mm[l]);
        pm_json_number(j, "mean_hu", m->lung[l].mean_hu);
        pm_json_number(j, "laa950_pct", m->lung[l].laa950_pct);
        pm_json_number(j, "perc15_hu", m->lung[l].perc15_hu);
        for (int z = 0; z < PM_ZONES; z++) {
            const pm_zone_measures *zm = &m->zones[l][z];
            pm_json_object_begin(j, zname[z]);
            pm_json_number(j, "ml", zm->ml);
            pm_json_number(j, "mean_hu", zm->mean_hu);
            pm_json_number(j, "laa950_pct", zm->laa950_pct);
            pm_json_number(j, "perc15_hu", zm->perc15_hu);
            pm_json_number(j, "top_mm", zm->top_mm);
            pm_json_number(j, "bottom_mm", zm->bottom_mm);
            pm_json_object_end(j);
        }
        pm_json_object_end(j);
    }
    pm_json_object_end(j);
}

void pm_segment_report_json(const pm_segment_report *rep, FILE *f, int pretty)
{
    pm_json j;
    pm_json_init(&j, f, pretty);
    pm_json_object_begin(&j, NULL);
    pm_json_string(&j, "recipe", rep->recipe.name ? rep->recipe.name : "");
    pm_json_string(&j, "status", status_name(rep->status));
    if (rep->status != PM_OK) {
        pm_json_string(&j, "error", rep->message);
        pm_json_string(&j, "message", rep->message);
    } else {
        pm_json_null(&j, "error");
    }
    pm_json_string(&j, "series_dir", rep->series_dir);
    pm_json_string(&j, "series_uid", rep->series_uid);
    pm_json_string(&j, "patient_id", rep->patient_id);
    const pm_lung_measures *m = &rep->m;
    int ok = rep->status == PM_OK, vol = ok && !rep->flat;
    pm_json_number(&j, "lung_ml", vol ? m->lung_ml : NAN);
    pm_json_number(&j, "right_ml", vol && m->sides ? m->right_ml : NAN);
    pm_json_number(&j, "left_ml", vol && m->sides ? m->left_ml : NAN);
    pm_json_number(&j, "airway_ml", vol ? m->airway_ml : NAN);
    if (rep->flat) {
        /* A cross-section: areas per slice, in the order of the grid. */
        static const char *const key[4] = {"lung_cm2", "right_cm2", "left_cm2", "airway_cm2"};
        pm_json_int(&j, "slices_2d", rep->flat);
        pm_json_array_begin(&j, "areas");
        for (int k = 0; k < rep->flat && k < 2; k++) {
            pm_json_object_begin(&j, NULL);
            pm_json_int(&j, "slice", k);
            for (int q = 0; q < 4; q++)
                pm_json_number(&j, key[q], ok && (q == 0 || q == 3 || m->sides) ? rep->area_cm2[k][q] : NAN);
            pm_json_object_end(&j);
        }
        pm_json_array_end(&j);
    }
    pm_json_number(&j, "mean_hu", ok ? m->mean_hu : NAN);
    pm_json_number(&j, "laa950_pct", ok ? m->laa950_pct : NAN);
    pm_json_number(&j, "perc15_hu", ok ? m->perc15_hu : NAN);
    pm_json_int(&j, "components", ok ? m->components : 0);
    pm_json_int(&j, "lungs_found", ok ? rep->nlungs : 0);
    pm_json_bool(&j, "airway_found", rep->airway.found);
    if (rep->airway.found)
        pm_json_number(&j, "airway_threshold_hu", rep->airway.threshold_hu);
    if (rep->structures)
        pm_json_number(&j, "structures_ml", ok ? rep->structures_ml : NAN);
    if (!isnan(rep->otsu_hu) && rep->otsu_hu != 0)
        pm_json_number(&j, "otsu_threshold_hu", rep->otsu_hu);
    if (rep->mesh_triangles) {
        pm_json_int(&j, "mesh_triangles", (long long)rep->mesh_triangles);
        pm_json_number(&j, "mesh_ml", rep->mesh_ml);
    }
    pm_json_object_begin(&j, "grid");
    pm_json_ints(&j, "dims", rep->dim, 3);
    pm_json_numbers(&j, "spacing_mm", rep->spacing, 3);
    pm_json_number(&j, "resample_mm", rep->resample_mm > 0 ? rep->resample_mm : NAN);
    pm_json_object_end(&j);
    if (ok) {
        pm_json_object_begin(&j, "histogram");
        pm_json_int(&j, "hu_lo", PM_MEASURE_HU_LO);
        pm_json_int(&j, "bin_hu", PM_MEASURE_BIN_HU);
        pm_json_array_begin(&j, "counts");
        for (int b = 0; b < PM_MEASURE_BINS; b++)
            pm_json_int(&j, NULL, (long long)m->hist[b]);
        pm_json_array_end(&j);
        pm_json_object_end(&j);
        zones_json(&j, m);
    }
    pm_json_object_begin(&j, "parameters");
    for (int s = 0; s < rep->recipe.nsteps; s++) {
        const pm_step *st = &rep->recipe.steps[s];
        pm_json_object_begin(&j, st->name);
        for (int q = 0; q < st->nparams; q++)
            pm_json_number(&j, st->params[q].name, st->params[q].value);
        pm_json_object_end(&j);
    }
    pm_json_object_end(&j);
    pm_json_object_begin(&j, "seconds");
    pm_json_number(&j, "load", rep->seconds_load);
    pm_json_number(&j, "resample", rep->seconds_resample);
    for (int s = 0; s < rep->recipe.nsteps; s++)
        pm_json_number(&j, rep->recipe.steps[s].name, rep->seconds_step[s]);
    pm_json_number(&j, "measure", rep->seconds_measure);
    if (rep->structures)
        pm_json_number(&j, "structures", rep->seconds_structures);
    pm_json_number(&j, "write", rep->seconds_write);
    if (rep->mesh_triangles)
        pm_json_number(&j, "mesh", rep->seconds_mesh);
    pm_json_number(&j, "total", rep->seconds_total);
    pm_json_object_end(&j);
    pm_json_array_begin(&j, "warnings");
    for (int w = 0; w < rep->nwarnings; w++)
        pm_json_string(&j, NULL, rep->warnings[w]);
    pm_json_array_end(&j);
    pm_json_object_end(&j);
    pm_json_end(&j);
}

/* The value after "key": in a report we wrote ourselves (flat keys are
 * unique at the top level for the figures the summary needs). */
static const char *find_key(const char *s, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *q = strstr(s, pat);
    if (!q)
        return NULL;
    q += strlen(pat);
    while (*q == ' ')
        q++;
    return q;
}

static double num_key(const char *s, const char *key)
{
    const char *q = find_key(s, key);
    if (!q || !strncmp(q, "null", 4))
        return NAN;
    return strtod(q, NULL);
}

static void str_key(const char *s, const char *key, char *out, size_t cap)
{
    const char *q = find_key(s, key);
    out[0] = 0;
    if (!q || *q != '"')
        return;
    q++;
    size_t n = 0;
    while (*q && *q != '"' && n + 1 < cap) {
        if (*q == '\\' && q[1])
            q++;
        out[n++] = *q++;
    }
    out[n] = 0;
}

int pm_segment_report_read(const char *path, pm_segment_report *rep)
{
    char *buf;
    size_t n;
    /* A report is a few kB; the cap only bounds a stray huge file. */
    int rc = pm_read_file(path, (1 << 20) - 1, &buf, &n);
    if (rc != PM_OK)
        return rc == PM_EMEMORY ? rc : pm_fail(PM_ECORRUPT, "%s: cannot read the report", path);
    char status[32], recipe[32];
    str_key(buf, "status", status, sizeof status);
    str_key(buf, "recipe", recipe, sizeof recipe);
    memset(rep, 0, sizeof *rep);
    if (!strcmp(status, "ok"))
        rep->status = PM_OK;
    else if (!strcmp(status, "no_lungs"))
        rep->status = PM_ENOLUNG;
    else {
        free(buf);
        return pm_fail(PM_ECORRUPT, "%s: not a pulmo report", path);
    }
    pm_recipe_init(&rep->recipe, recipe);
    str_key(buf, "series_dir", rep->series_dir, sizeof rep->series_dir);
    str_key(buf, "series_uid", rep->series_uid, sizeof rep->series_uid);
    str_key(buf, "patient_id", rep->patient_id, sizeof rep->patient_id);
    str_key(buf, "message", rep->message, sizeof rep->message);
    rep->m.lung_ml = num_key(buf, "lung_ml");
    rep->m.right_ml = num_key(buf, "right_ml");
    rep->m.left_ml = num_key(buf, "left_ml");
    rep->m.sides = !isnan(rep->m.right_ml);
    rep->m.airway_ml = num_key(buf, "airway_ml");
    rep->m.mean_hu = num_key(buf, "mean_hu");
    rep->m.laa950_pct = num_key(buf, "laa950_pct");
    rep->m.perc15_hu = num_key(buf, "perc15_hu");
    rep->m.components = (int)num_key(buf, "components");
    rep->nlungs = (int)num_key(buf, "lungs_found");
    rep->seconds_total = num_key(buf, "total");
    free(buf);
    return PM_OK;
}
