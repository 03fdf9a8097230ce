/* segpanel.c - the segmentation panel: the chosen recipe's steps and their
 * parameters, tuned with keys while the picture follows.
 *
 * A change does two things (recipe.h, "Interactive use"):
 *   - at once, on the main thread, pm_recipe_preview recomputes the visible
 *     axial slice from the cached input of the first changed step, and the
 *     result is written into the displayed mask on that slice;
 *   - a worker thread re-runs the recipe from that step on a fork of the
 *     last complete run, then measures the lungs. A newer change cancels
 *     it (through the progress callback) and starts again when it stops.
 * The displayed mask is a copy of the last complete result, so previews
 * never touch the cached runs. Undo and redo keep whole parameter sets.
 */
#include "segpanel.h"
#include "list.h"
#include "segresult.h"
#include "meshview.h"
#include "viewer.h"
#include "pulmo/measure.h"
#include "pulmo/recipe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY 64

static struct {
    int recipe;                  /* index of pm_recipe_name_at */
    pm_recipe r;                 /* the parameters being edited */
    pm_seg_run *run;             /* last complete run (main thread) */
    pm_mask *shown;              /* its result, copied for display and previews */
    int status;                  /* of the last complete run */
    pm_lung_measures meas;
    int have_meas;
    int apex_cut, base_cut;      /* partial_coverage of the last run (pm_lung_coverage) */
    double run_seconds;
    tui_job job;
    pm_recipe job_r;             /* the worker's copy of the parameters */
    pm_seg_run *work;            /* owned by the worker while job runs */
    int work_from;
    pm_lung_measures work_meas;
    int work_meas_ok;
    int restart, restart_from;   /* re-run when the cancelled job ends */
    int dirty_from;              /* first step changed since run (nsteps = none) */
    tui_list list;               /* rows: each step's name, then its parameters */
    int row_step[PM_RECIPE_MAX_STEPS * (PM_STEP_MAX_PARAMS + 1)];
    int row_param[PM_RECIPE_MAX_STEPS * (PM_STEP_MAX_PARAMS + 1)]; /* -1: the step's name */
    int shown_version;           /* changes whenever shown does */
    char reason[640];            /* why the last complete run found no lungs */
    pm_recipe undo[HISTORY], redo[HISTORY];
    int nundo, nredo;
    double preview_ms;
    int preview_slice;           /* slice last previewed, -1 none */
    int gen;                     /* counts complete runs */
    tui_job pjob;                /* the preview of one slice */
    pm_recipe p_r;
    int p_from, p_k, p_again;
    int run_pending;             /* start the re-run when the preview ends */
    uint8_t *p_buf;
} G;

static int is_param_row(void *ctx, int row)
{
    (void)ctx;
    return G.row_param[row] >= 0;
}

/* The list's rows for the recipe G.r. */
static void build_rows(void)
{
    int n = 0;
    for (int s = 0; s < G.r.nsteps; s++)
        for (int q = -1; q < G.r.steps[s].nparams; q++, n++)
            G.row_step[n] = s, G.row_param[n] = q;
    G.list.selectable = is_param_row;
    list_resize(&G.list, n);
}

/* The selected parameter and its step, or NULL. */
static pm_param *selected(int *step)
{
    int r = G.list.sel;
    if (!G.r.name || r < 0 || r >= G.list.n || G.row_param[r] < 0)
        return NULL;
    *step = G.row_step[r];
    return &G.r.steps[*step].params[G.row_param[r]];
}

static int seg_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    int rc = pm_recipe_run(&G.job_r, G.work, G.work_from, &p);
    G.work_meas_ok = 0;
    if ((rc == PM_OK || rc == PM_ENOLUNG) && G.work->result) {
        char why[640];
        snprintf(why, sizeof why, "%s", pm_error());
        G.work_meas_ok = pm_recipe_measure(G.work, &G.work_meas) == PM_OK;
        pm_fail(rc, "%s", why);
    }
    return rc;
}

static void start_run(int from)
{
    if (G.job.running) {
        job_cancel(&G.job);
        if (!G.restart || from < G.restart_from)
            G.restart_from = from;
        G.restart = 1;
        return;
    }
    G.job_r = G.r;
    G.work = G.run ? pm_seg_run_fork(G.run, from) : pm_seg_run_new(V.vol, 1);
    if (!G.work) {
        app_message(1, "out of memory for the segmentation");
        return;
    }
    G.work_from = G.run ? from : 0;
    if (job_start(&G.job, "segmenting", seg_work, NULL) != 0) {
        pm_seg_run_free(G.work);
        G.work = NULL;
        app_message(1, "%s", G.job.error);
    }
}

static int preview_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    return pm_recipe_preview(&G.p_r, G.run, G.p_from, G.p_k, G.p_buf, &p);
}

/* The visible axial slice from step `from` with the current parameters,
 * on its own thread so that keys keep flowing; a newer request cancels an
 * older one. G.run is not replaced while a preview reads it (seg_tick). */
static void preview(int from)
{
    pm_slice_view sv;
    view_slice(&V.vol->g, &V.view, &sv);
    if (!G.run || !G.shown || sv.axis != 2 || V.montage)
        return;
    if (G.pjob.running) {
        job_cancel(&G.pjob);
        G.p_again = 1;
        return;
    }
    const pm_grid *g = &V.vol->g;
    size_t plane = (size_t)g->dim[0] * g->dim[1];
    if (!G.p_buf && !(G.p_buf = malloc(plane)))
        return;
    G.p_r = G.r;
    G.p_from = from;
    G.p_k = sv.index;
    G.preview_slice = sv.index;
    job_start(&G.pjob, "previewing", preview_work, NULL);
}

static void preview_tick(void)
{
    if (!job_finished(&G.pjob))
        return;
    if (G.pjob.status == PM_OK && G.shown && !G.p_again) {
        size_t plane = (size_t)V.vol->g.dim[0] * V.vol->g.dim[1];
        memcpy(G.shown->v + plane * (size_t)G.p_k, G.p_buf, plane);
        G.shown_version++;
        G.preview_ms = (G.pjob.finished - G.pjob.started) * 1000;
        app.dirty = 1;
    }
    if (G.p_again) {
        G.p_again = 0;
        preview(G.dirty_from);
    }
    if (!G.pjob.running && G.run_pending) {
        G.run_pending = 0;
        start_run(G.dirty_from);
    }
}

/* The preview goes first and has both cores to itself; the volume re-run
 * starts when it is done (or at once when no preview applies). */
static void changed(int step)
{
    if (step < G.dirty_from)
        G.dirty_from = step;
    preview(G.dirty_from);
    if (G.pjob.running)
        G.run_pending = 1;
    else
        start_run(G.dirty_from);
}

static void push_undo(void)
{
    if (G.nundo == HISTORY) {
        memmove(G.undo, G.undo + 1, (HISTORY - 1) * sizeof G.undo[0]);
        G.nundo--;
    }
    G.undo[G.nundo++] = G.r;
    G.nredo = 0;
}

/* First step whose parameters differ between two sets. */
static int first_difference(const pm_recipe *a, const pm_recipe *b)
{
    for (int s = 0; s < a->nsteps; s++)
        for (int q = 0; q < a->steps[s].nparams; q++)
            if (a->steps[s].params[q].value != b->steps[s].params[q].value)
                return s;
    return a->nsteps;
}

void seg_start(void)
{
    if (G.run || G.job.running)
        return;
    if (!G.r.name)
        for (int i = 0; i < pm_recipe_count(); i++)
            if (!strcmp(pm_recipe_name_at(i), "default"))
                G.recipe = i;
    pm_recipe_init(&G.r, pm_recipe_name_at(G.recipe));
    if (pm_recipe_flat_copies(&V.vol->g))
        pm_recipe_flat(&G.r);   /* the panel shows the recipe the 2-D run uses */
    build_rows();
    G.dirty_from = 0;
    G.preview_slice = -1;
    start_run(0);
}

void seg_done(void)
{
    job_free(&G.pjob);
    free(G.p_buf);
    job_free(&G.job);
    pm_seg_run_free(G.work);
    pm_seg_run_free(G.run);
    pm_mask_free(G.shown);
    V.mask = NULL;
    memset(&G, 0, sizeof G);
}

const pm_seg_run *seg_run(void)
{
    return G.run;
}

int seg_status(void)
{
    return G.status;
}

const char *seg_reason(void)
{
    return G.reason;
}

double seg_seconds(void)
{
    return G.run_seconds;
}

int seg_started(void)
{
    return G.r.name != NULL;
}

void seg_selected(char *buf, size_t cap)
{
    int s;
    const pm_param *p = selected(&s);
    if (p)
        snprintf(buf, cap, "%s.%s = %.*f", G.r.steps[s].name, p->name, p->is_int ? 0 : 2, p->value);
    else
        snprintf(buf, cap, "-");
}

int seg_pending(void)
{
    return G.job.running || G.run_pending || G.restart;
}

tui_job *seg_busy(void)
{
    return G.job.running ? &G.job : G.pjob.running ? &G.pjob : NULL;
}

const pm_mask *seg_result(void)
{
    return G.run ? G.run->result : NULL;
}

int seg_generation(void)
{
    return G.gen;
}

int seg_shown_version(void)
{
    return G.shown_version;
}

const pm_lung_measures *seg_measures(void)
{
    return G.have_meas ? &G.meas : NULL;
}

const char *seg_recipe_name(void)
{
    return G.r.name ? G.r.name : pm_recipe_name_at(G.recipe);
}

const pm_recipe *seg_recipe(void)
{
    return G.r.name ? &G.r : NULL;
}

/* HU thresholds of the current parameters, for the histogram's markers. */
int seg_markers(double *m, int max)
{
    int n = 0;
    int s = pm_recipe_step_index(&G.r, "threshold");
    if (s >= 0 && G.r.name) {
        double lo = pm_recipe_get(&G.r, "threshold", "hu_min"), hi = pm_recipe_get(&G.r, "threshold", "hu_max");
        if (lo > -2000 && n < max)
            m[n++] = lo;
        if (n < max)
            m[n++] = hi;
    }
    if (G.run && G.run->otsu_hu != 0 && pm_recipe_step_index(&G.r, "otsu") >= 0 && n < max)
        m[n++] = G.run->otsu_hu;
    return n;
}

void seg_tick(void)
{
    preview_tick();
    /* A finished run replaces G.run only when no preview is reading it. */
    if (!G.pjob.running && job_finished(&G.job)) {
        int rc = G.job.status;
        if (rc == PM_OK || rc == PM_ENOLUNG) {
            if (G.run)
                mesh_release(G.run->result);
            G.gen++;
            pm_seg_run_free(G.run);
            G.run = G.work;
            G.work = NULL;
            pm_mask_free(G.shown);
            G.shown = pm_mask_clone(G.run->result);
            G.shown_version++;
            V.mask = G.shown;
            G.meas = G.work_meas;
            G.have_meas = G.work_meas_ok;
            G.status = rc;
            G.apex_cut = G.base_cut = 0;
            int flat = G.run->result && pm_recipe_flat_copies(&G.run->result->g) ? G.run->result->g.dim[2] : 0;
            double a[4] = {0};
            if (flat)
                pm_lung_areas(G.run->result, 0, a);
            else if (rc == PM_OK && G.run->result)
                pm_lung_coverage(G.run->result, &G.apex_cut, &G.base_cut);
            snprintf(G.reason, sizeof G.reason, "%s", rc == PM_OK ? "" : G.job.error);
            G.run_seconds = G.job.finished - G.job.started;
            if (!G.restart)
                G.dirty_from = G.r.nsteps;
            if (rc == PM_ENOLUNG)
                app_message(1, "no lungs: %s", G.job.error);
            else if (flat)
                app_message(1, "%s: %d slice%s segmented in 2-D: lungs %.1f cm2 on slice 1 (areas, no volume)",
                            G.job_r.name, flat, flat > 1 ? "s" : "", a[0]);
            else if (G.have_meas && (G.apex_cut || G.base_cut))
                app_message(1, "%s: lungs %.0f mL; partial coverage: the %s cut off by the scan (volume is a lower "
                            "bound)", G.job_r.name, G.meas.lung_ml,
                            G.apex_cut && G.base_cut ? "apex and base are" : G.apex_cut ? "apex is" : "base is");
            else if (G.have_meas)
                app_message(0, "%s: lungs %.0f mL in %.1f s", G.job_r.name, G.meas.lung_ml, G.run_seconds);
        } else {
            pm_seg_run_free(G.work);
            G.work = NULL;
            if (!G.restart)
                app_message(rc != PM_ECANCEL, rc == PM_ECANCEL ? "segmentation cancelled"
                                                               : "segmentation failed: %s", G.job.error);
        }
        if (G.restart) {
            G.restart = 0;
            start_run(G.restart_from < G.dirty_from ? G.restart_from : G.dirty_from);
        }
        app.dirty = 1;
    }
    /* While the volume recomputes, the slice in view follows the edits. */
    if (G.job.running && G.run && G.dirty_from < G.r.nsteps && !V.montage && !G.pjob.running) {
        pm_slice_view sv;
        view_slice(&V.vol->g, &V.view, &sv);
        if (sv.axis == 2 && sv.index != G.preview_slice)
            preview(G.dirty_from);
    }
}

/* ---- drawing -------------------------------------------------------- */

typedef struct draw_ctx {
    int y, x0, x, w, cols;
} draw_ctx;

static void draw_row(void *ctx, int i, int line, int sel)
{
    const draw_ctx *c = ctx;
    int s = G.row_step[i], q = G.row_param[i], y = c->y + line;
    const pm_step *st = &G.r.steps[s];
    if (q < 0) {
        int done = G.run && s < G.run->valid && G.dirty_from > s;
        crt_role(done ? ROLE_PATIENT : ROLE_DIM);
        crt_textf(y, c->x, c->w, "%s %s", done ? "*" : " ", st->name);
        return;
    }
    const pm_param *p = &st->params[q];
    crt_role(sel ? ROLE_SELECTED : ROLE_NORMAL);
    if (sel) {
        move(y, c->x0);
        hline(' ', c->cols);
    }
    crt_textf(y, c->x, c->w, "   %-13.13s %9.*f", p->name, p->is_int ? 0 : 2, p->value);
}

static void seg_draw(int y0, int x0, int rows, int cols)
{
    int y = y0, w = cols - 2, x = x0 + 1;
    crt_role(ROLE_HEADER);
    move(y, x0);
    hline(' ', cols);
    crt_textf(y++, x, w, "Segmentation: %s", seg_recipe_name());
    crt_role(ROLE_NORMAL);
    int meas_rows = 5, list_rows = rows - 1 - meas_rows - 2;
    draw_ctx c = {y, x0, x, w, cols};
    list_show(&G.list, list_rows, draw_row, &c);
    crt_role(ROLE_NORMAL);
    int ym = y0 + rows - meas_rows - 2;
    int s;
    const pm_param *p = selected(&s);
    if (p) {
        crt_role(ROLE_DIM);
        crt_textf(ym - 1, x, w, "%s", p->help);
    }
    crt_role(ROLE_DIM);
    move(ym, x0);
    hline(ACS_HLINE, cols);
    crt_role(ROLE_NORMAL);
    ym++;
    seg_result_view rv = {G.have_meas ? &G.meas : NULL, G.run ? G.run->result : NULL, G.status,
                          G.apex_cut, G.base_cut, G.job.running, G.job.running || G.run_pending, G.run_seconds};
    ym = seg_result_draw(ym, x, w, &rv);
    if (G.preview_slice >= 0 && ym < y0 + rows)
        crt_textf(ym, x, w, "preview %.0f ms (this slice)", G.preview_ms);
}

/* ---- actions -------------------------------------------------------- */

static int adjust(double sign, int coarse)
{
    int s;
    pm_param *p = selected(&s);
    if (!p)
        return R_NONE;
    double v = pm_param_step(p, sign > 0 ? 1 : -1, coarse);
    if (v == p->value)
        return R_REDRAW;
    push_undo();
    p->value = v;
    changed(s);
    return R_IMAGE;
}

static int act_next_param(void) { list_move(&G.list, 1); return R_REDRAW; }
static int act_prev_param(void) { list_move(&G.list, -1); return R_REDRAW; }
static int act_inc(void) { return adjust(1, 0); }
static int act_dec(void) { return adjust(-1, 0); }
static int act_inc10(void) { return adjust(1, 1); }
static int act_dec10(void) { return adjust(-1, 1); }
static int act_default(void)
{
    int s;
    pm_param *p = selected(&s);
    if (!p || p->value == p->def)
        return R_REDRAW;
    push_undo();
    p->value = p->def;
    changed(s);
    return R_IMAGE;
}
/* Undo and redo are one move: the current recipe goes onto one stack and the
 * other stack's top becomes current. */
static int step_history(pm_recipe *from, int *nfrom, pm_recipe *to, int *nto, const char *none)
{
    if (!*nfrom) {
        app_message(0, "%s", none);
        return R_REDRAW;
    }
    to[(*nto)++] = G.r;
    pm_recipe next = from[--*nfrom];
    int s = first_difference(&next, &G.r);
    G.r = next;
    changed(s);
    return R_IMAGE;
}
static int act_undo(void) { return step_history(G.undo, &G.nundo, G.redo, &G.nredo, "nothing to undo"); }
static int act_redo(void) { return step_history(G.redo, &G.nredo, G.undo, &G.nundo, "nothing to redo"); }
static int act_recipe(void)
{
    G.recipe = (G.recipe + 1) % pm_recipe_count();
    if (G.job.running) {
        G.restart = 0;
        job_stop(&G.job);
        pm_seg_run_free(G.work);
        G.work = NULL;
    }
    job_stop(&G.pjob);
    G.p_again = 0;
    if (G.run)
        mesh_release(G.run->result);
    pm_seg_run_free(G.run);
    G.run = NULL;
    G.gen++;
    /* The old recipe's mask and figures would mislabel the new one. */
    pm_mask_free(G.shown);
    G.shown = NULL;
    G.shown_version++;
    V.mask = NULL;
    G.have_meas = 0;
    G.nundo = G.nredo = 0;
    G.list.sel = G.list.top = 0;
    seg_start();
    return R_REDRAW;
}
static int act_cancel(void)
{
    if (!G.job.running)
        return R_NONE;
    G.restart = 0;
    job_cancel(&G.job);
    return R_REDRAW;
}

const tui_binding seg_keys[] = {
    {'J', act_next_param, "J / K", "next / previous parameter"},
    {'K', act_prev_param, NULL, NULL},
    {']', act_inc, "] / [", "parameter up / down (fine)"},
    {'[', act_dec, NULL, NULL},
    {'}', act_inc10, "} / {", "parameter up / down (coarse, x10)"},
    {'{', act_dec10, NULL, NULL},
    {'d', act_default, "d", "parameter back to its default"},
    {'u', act_undo, "u", "undo"},
    {'U', act_redo, "U, Ctrl-R", "redo"},
    {18, act_redo, NULL, NULL},
    {'n', act_recipe, "n", "next recipe (default, tutorial, otsu)"},
    {27, act_cancel, "Esc", "cancel the running segmentation (else: close)"},
    {0, NULL, NULL, NULL},
};

static const char *seg_hints(void)
{
    return "J/K param  [ ] fine  { } coarse  u undo  e export  ? keys";
}

static int seg_key(int k)
{
    return app_dispatch(seg_keys, k);
}

const tui_screen seg_panel = {
    .name = "segmentation",
    .draw = seg_draw,
    .key = seg_key,
    .hints = seg_hints,
};
