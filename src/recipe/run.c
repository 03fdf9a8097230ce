/* run.c - running a recipe: step by step with timings and cached outputs,
 * re-running from a changed step, and previewing one slice.
 *
 * The preview works on a slab of slices around the slice asked for. Masks
 * and volumes store slices contiguously, so a slab is a view (a grid with
 * fewer slices and a shifted pointer), not a copy; only the mask being
 * transformed is copied. The slab is thick enough for the largest closing
 * radius of the recipe, so ball morphology near the slice is exact.
 */
#include "recipe_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

pm_seg_run *pm_seg_run_new(const pm_volume *v, int keep_steps)
{
    pm_seg_run *run = calloc(1, sizeof *run);
    if (!run) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    run->vol = v;
    run->keep_steps = keep_steps;
    return run;
}

void pm_seg_run_free(pm_seg_run *run)
{
    if (!run)
        return;
    for (int s = 0; s < PM_RECIPE_MAX_STEPS; s++)
        pm__kept_free(run->after[s]);
    pm_mask_free(run->result);
    free(run);
}

pm_mask *pm_seg_run_after(const pm_seg_run *run, int s)
{
    if (s < 0 || s >= PM_RECIPE_MAX_STEPS || !run->after[s]) {
        pm_fail(PM_EUSAGE, "the output of step %d is not kept", s);
        return NULL;
    }
    return pm__kept_mask(run->after[s]);
}

pm_seg_run *pm_seg_run_fork(const pm_seg_run *run, int upto)
{
    pm_seg_run *f = pm_seg_run_new(run->vol, run->keep_steps);
    if (!f)
        return NULL;
    if (upto > run->valid)
        upto = run->valid;
    for (int s = 0; s < upto; s++) {
        if (!run->after[s])
            break;
        f->after[s] = pm__kept_clone(run->after[s]);
        if (!f->after[s]) {
            pm_seg_run_free(f);
            return NULL;
        }
        f->seconds[s] = run->seconds[s];
        f->valid = s + 1;
    }
    f->airway = run->airway;
    f->oriented = run->oriented;
    f->turned = run->turned;
    memcpy(f->patient_dir, run->patient_dir, sizeof f->patient_dir);
    f->nlungs = run->nlungs;
    f->otsu_hu = run->otsu_hu;
    return f;
}

/* The working labels (outside, other air) back to 0; without branches, so
 * that it runs as vector code. dst may be src. */
static void plain_labels(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t x = 0; x < n; x++)
        dst[x] = src[x] >= PM_LABEL_OTHER_AIR ? 0 : src[x];
}

/* A slice at a time, on all cores. */
static void clear_slice(void *ctx, int k, int thread)
{
    (void)thread;
    pm_mask *m = ctx;
    size_t plane = (size_t)m->g.dim[0] * (size_t)m->g.dim[1];
    plain_labels(m->v + plane * (size_t)k, m->v + plane * (size_t)k, plane);
}

static void clear_outside(pm_mask *m)
{
    pm_parallel_for(m->g.dim[2], 0, clear_slice, m, NULL, NULL);
}

/* One or two slices: the recipe's 3-D steps (the size of a lung in mL, the
 * ball closing, the airway grown from the top) mean nothing on a slab one
 * slice thick, so each slice is segmented as a 2-D picture: stacked into a
 * prism of copies PRISM_MM tall, segmented, and the middle copy kept. The
 * result is a cross-section: areas in cm^2, never a volume. Cached step
 * outputs are kept on the volume's own grid, like the result. */
#define PRISM_MM 40.0
#define PRISM_MAX_COPIES 64

int pm_recipe_flat_copies(const pm_grid *g)
{
    if (g->dim[2] > 2)
        return 0;
    double sz = g->spacing[2] > 0 ? g->spacing[2] : 1;
    int k = (int)ceil(PRISM_MM / sz);
    return k < 3 ? 3 : k > PRISM_MAX_COPIES ? PRISM_MAX_COPIES : k;
}

/* Each slice of src (n bytes per voxel) repeated `copies` times. */
static void prism_fill(void *dst, const void *src, const pm_grid *g, int copies, size_t bytes)
{
    size_t plane = (size_t)g->dim[0] * g->dim[1] * bytes;
    for (int k = 0; k < g->dim[2] * copies; k++)
        memcpy((char *)dst + plane * (size_t)k, (const char *)src + plane * (size_t)(k / copies), plane);
}

static pm_grid prism_grid(const pm_grid *g, int copies)
{
    pm_grid pg = *g;
    pg.dim[2] = g->dim[2] * copies;
    return pg;
}

/* The middle copy of each slice's prism, on grid g. */
static pm_mask *prism_crop(const pm_grid *g, const pm_mask *pm, int copies)
{
    pm_mask *m = pm_mask_new(g);
    if (!m)
        return NULL;
    size_t plane = (size_t)g->dim[0] * g->dim[1];
    for (int k = 0; k < g->dim[2]; k++)
        memcpy(m->v + plane * k, pm->v + plane * ((size_t)k * copies + copies / 2), plane);
    return m;
}

/* The step output to cache, encoded (kept.c): m itself, or its middle copies. */
static pm_kept *keep(const pm_grid *g, const pm_mask *m, int copies)
{
    if (!copies)
        return pm__kept_make(m);
    pm_mask *mid = prism_crop(g, m, copies);
    pm_kept *k = mid ? pm__kept_make(mid) : NULL;
    pm_mask_free(mid);
    return k;
}

int pm_recipe_run(const pm_recipe *r, pm_seg_run *run, int from, const pm_progress *p)
{
    if (r->nsteps > PM_RECIPE_MAX_STEPS)
        return pm_fail(PM_EUSAGE, "recipe '%s' has too many steps", r->name);
    const pm_grid *g = &run->vol->g;
    int copies = pm_recipe_flat_copies(g);
    pm_recipe flat_r;
    if (copies) {
        /* Grown down a prism, the airway has no carina to stop at: within
         * one slice the bronchi lead straight into the lung, so the airway
         * would take it all. */
        flat_r = *r;
        pm_recipe_flat(&flat_r);
        r = &flat_r;
    }
    if (from < 0 || from > run->valid || from >= r->nsteps || (from > 0 && !run->after[from - 1]))
        from = 0;
    for (int s = from; s < PM_RECIPE_MAX_STEPS; s++) {
        pm__kept_free(run->after[s]);
        run->after[s] = NULL;
        run->seconds[s] = 0;
    }
    pm_mask_free(run->result);
    run->result = NULL;
    run->valid = from;
    run->nsteps = r->nsteps;
    run->nwarnings = 0;
    if (from <= pm_recipe_step_index(r, "airway"))
        memset(&run->airway, 0, sizeof run->airway);
    /* How the patient lies is read off the body by the first step that asks. */
    int first = pm_recipe_step_index(r, "airway");
    if (from <= (first >= 0 ? first : pm_recipe_step_index(r, "lungs")))
        run->oriented = 0;
    pm_volume *pv = NULL;
    const pm_volume *sv = run->vol;
    pm_mask *m;
    if (copies) {
        pm_grid pg = prism_grid(g, copies);
        pv = pm_volume_new(&pg);
        m = pm_mask_new(&pg);
        if (!pv || !m) {
            pm_volume_free(pv), pm_mask_free(m);
            return pm_fail(PM_EMEMORY, "out of memory");
        }
        prism_fill(pv->hu, run->vol->hu, g, copies, sizeof *pv->hu);
        pv->meta = run->vol->meta;
        pm_mask *in = from > 0 ? pm__kept_mask(run->after[from - 1]) : NULL;
        if (from > 0 && !in) {
            pm_volume_free(pv), pm_mask_free(m);
            return PM_EMEMORY;
        }
        if (in)
            prism_fill(m->v, in->v, g, copies, 1);
        pm_mask_free(in);
        sv = pv;
    } else {
        m = from > 0 ? pm__kept_mask(run->after[from - 1]) : pm_mask_new(g);
        if (!m)
            return PM_EMEMORY;
    }
    pm_progress_sub sp;
    int rc = PM_OK;
    for (int s = from; s < r->nsteps; s++) {
        pm_progress sub = pm_progress_span(&sp, p, (double)s / r->nsteps, (double)(s + 1) / r->nsteps);
        if (pm_progress_report(p, (double)s / r->nsteps, r->steps[s].name)) {
            rc = PM_ECANCEL;
            break;
        }
        pm__step_ctx c = {sv, m, &r->steps[s], NULL, run, &sub};
        double t0 = pm_now();
        rc = pm__step_exec(&c);
        run->seconds[s] = pm_now() - t0;
        if (rc != PM_OK && rc != PM_ENOLUNG)
            break;
        if (run->keep_steps) {
            run->after[s] = keep(g, m, copies);
            if (!run->after[s]) {
                rc = PM_EMEMORY;
                break;
            }
        }
        run->valid = s + 1;
        if (rc == PM_ENOLUNG)
            break;
    }
    pm_volume_free(pv);
    if (rc != PM_OK && rc != PM_ENOLUNG) {
        pm_mask_free(m);
        return rc;
    }
    if (copies) {
        pm_mask *mid = prism_crop(g, m, copies);
        pm_mask_free(m);
        if (!(m = mid))
            return pm_fail(PM_EMEMORY, "out of memory");
    }
    clear_outside(m);
    run->result = m;
    pm_progress_report(p, 1.0, "done");
    return rc;
}

/* A view of slices k0..k0+n-1 of a mask or volume (no copy). */
static pm_grid slab_grid(const pm_grid *g, int k0, int n)
{
    pm_grid s = *g;
    s.dim[2] = n;
    pm_grid_to_lps(g, 0, 0, k0, s.origin);
    return s;
}

int pm_recipe_preview(const pm_recipe *r, const pm_seg_run *run, int from, int k, uint8_t *out,
                      const pm_progress *p)
{
    const pm_grid *g = &run->vol->g;
    if (k < 0 || k >= g->dim[2])
        return pm_fail(PM_EUSAGE, "slice %d is outside 0..%d", k, g->dim[2] - 1);
    if (pm_recipe_flat_copies(g)) {
        /* One or two slices: the preview is the 2-D run itself (a prism of a
         * few megabytes), so it shows what the full run will give. */
        if (from > run->valid)
            from = run->valid;
        pm_seg_run *f = pm_seg_run_fork(run, from);
        if (!f)
            return PM_EMEMORY;
        int rc = pm_recipe_run(r, f, from, p);
        if ((rc == PM_OK || rc == PM_ENOLUNG) && f->result)
            memcpy(out, f->result->v + (size_t)g->dim[0] * g->dim[1] * k, (size_t)g->dim[0] * g->dim[1]);
        pm_seg_run_free(f);
        return rc;
    }
    if (from < 0 || from >= r->nsteps)
        return pm_fail(PM_EUSAGE, "no step %d in recipe '%s'", from, r->name);
    if (from > 0 && (from > run->valid || !run->after[from - 1]))
        return pm_fail(PM_EUSAGE, "the input of step '%s' is not cached: run the recipe first",
                       r->steps[from].name);
    /* Slab half-thickness: the largest closing radius plus a margin. A
     * closing at slice k depends on slices up to 2 radii away, so for
     * radii above about 1.5 slice spacings the preview is an approximation
     * near the lung's top and bottom; the full run replaces it. */
    double rmax = 0;
    for (int s = from; s < r->nsteps; s++)
        for (int q = 0; q < r->steps[s].nparams; q++)
            if (!strcmp(r->steps[s].params[q].name, "radius_mm") && r->steps[s].params[q].value > rmax)
                rmax = r->steps[s].params[q].value;
    int half = (int)ceil(rmax / g->spacing[2]) + 2;
    int k0 = k - half < 0 ? 0 : k - half, k1 = k + half + 1 > g->dim[2] ? g->dim[2] : k + half + 1;
    size_t plane = (size_t)g->dim[0] * (size_t)g->dim[1];
    pm_volume vs = *run->vol;
    vs.g = slab_grid(g, k0, k1 - k0);
    vs.hu = run->vol->hu + plane * (size_t)k0;
    pm_mask *m = pm_mask_new(&vs.g);
    pm_seg_run *scratch = pm_seg_run_new(&vs, 0);
    uint8_t *hv = malloc(plane * (size_t)(k1 - k0));   /* the kept outputs' slab, step by step */
    if (!m || !scratch || !hv) {
        pm_mask_free(m);
        pm_seg_run_free(scratch);
        free(hv);
        return pm_fail(PM_EMEMORY, "out of memory for a preview");
    }
    if (from > 0)
        pm__kept_slices(run->after[from - 1], k0, k1, m->v);
    int rc = PM_OK;
    for (int s = from; s < r->nsteps && rc == PM_OK; s++) {
        pm_mask hint = {vs.g, NULL};
        if (s < run->valid && run->after[s]) {
            pm__kept_slices(run->after[s], k0, k1, hv);
            hint.v = hv;
        }
        pm__step_ctx c = {&vs, m, &r->steps[s], hint.v ? &hint : NULL, scratch, NULL};
        if (pm_progress_report(p, (double)(s - from) / (r->nsteps - from), r->steps[s].name))
            rc = PM_ECANCEL;
        else
            rc = pm__step_exec(&c);
    }
    if (rc == PM_OK) {
        plain_labels(out, m->v + plane * (size_t)(k - k0), plane);
    }
    pm_mask_free(m);
    pm_seg_run_free(scratch);
    free(hv);
    return rc;
}

int pm_recipe_measure(const pm_seg_run *run, pm_lung_measures *out)
{
    if (!run->result)
        return pm_fail(PM_EUSAGE, "no segmentation to measure");
    int rc = pm_measure_lungs(run->vol, run->result, out, NULL);
    if (rc == PM_OK && run->nlungs > 0)
        out->sides = 1;
    return rc;
}
