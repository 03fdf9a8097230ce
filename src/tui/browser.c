/* browser.c - the first screen: patients and their series under ROOT.
 *
 * The folder is indexed by pm_index_scan on a worker thread (headers only);
 * the list fills in when it ends. Rows are patients, each followed by its
 * series; `/` filters on any text of a series (patient, name, date,
 * modality, description, folder). Enter loads the series under the cursor
 * (on a patient row: the core's pick, pm_index_pick_patient) on a worker
 * thread; Escape cancels through the progress callback.
 */
#include "browser.h"
#include "app.h"
#include "browser_rows.h"
#include "list.h"
#include "viewer.h"
#include "pulmo/net.h"
#include "pulmo/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    int *order;      /* series sorted by patient, date, description */
    brow *rows;
    int nrows;
    tui_list list;   /* over rows */
    char filter[128];
    int filtering;   /* typing after '/' */
    int scanning, loading;
    int pending_series;
} B;

static int scan_work(tui_job *j)
{
    pm_progress p = job_progress(j);
    pm_index *ix = NULL;
    int rc;
    if (pm_net_is_url(app.root)) {
        pm_node n;
        rc = pm_net_parse(app.root, &n, NULL, 0);
        if (rc == PM_OK)
            rc = pm_net_index(&n, NULL, &ix, &p);
    } else {
        rc = pm_index_scan(app.root, &ix, &p);
    }
    j->result = ix;
    return rc;
}

static int load_work(tui_job *j)
{
    const pm_series *s = j->arg;
    pm_progress p = job_progress(j);
    pm_volume *v = NULL;
    /* A series on a node is retrieved into the cache first; Escape cancels
     * the retrieval and leaves nothing there. */
    int rc = pm_net_is_url(s->folder) ? pm_net_load(s->folder, NULL, &v, &p)
                                      : pm_series_load(s, NULL, &v, &p);
    j->result = v;
    return rc;
}

static void start_scan(void)
{
    B.scanning = 1;
    if (job_start(&app.load, "scanning", scan_work, NULL) != 0) {
        B.scanning = 0;
        app_message(1, "%s", app.load.error);
    }
}

void browser_init(void)
{
    memset(&B, 0, sizeof B);
    app_push(&browser_screen);
    start_scan();
}

static const pm_series *ser(int i)
{
    return &app.index->series[i];
}

static int cmp_series(const void *a, const void *b)
{
    const pm_series *x = ser(*(const int *)a), *y = ser(*(const int *)b);
    int c = strcmp(x->meta.patient_id, y->meta.patient_id);
    if (!c)
        c = strcmp(x->meta.patient_name, y->meta.patient_name);
    if (!c)
        c = strcmp(x->meta.study_date, y->meta.study_date);
    if (!c)
        c = strcmp(x->meta.series_description, y->meta.series_description);
    if (!c)
        c = strcmp(x->folder, y->folder);
    return c;
}

/* Rebuilds the rows from the index and the filter, keeping the selection
 * on the same series when it is still shown. */
static void build_rows(void)
{
    if (!app.index)
        return;
    int n = app.index->nseries;
    brow *mem = B.order ? calloc((size_t)(2 * n + 1), sizeof *mem) : NULL;
    if (brows_build(mem, app.index, B.order, B.filter, &B.rows, &B.nrows, &B.list) != 0 && B.order)
        app_message(1, "out of memory for the list");
}

static void browser_job_done(void)
{
    tui_job *j = &app.load;
    if (B.scanning) {
        B.scanning = 0;
        app.index = j->result;
        if (j->status == PM_ECANCEL) {
            app_message(1, "scan cancelled");
        } else if (j->status != PM_OK || !app.index) {
            app_message(1, "scan failed: %s", j->error);
        } else {
            int n = app.index->nseries;
            B.order = malloc((size_t)(n ? n : 1) * sizeof *B.order);
            for (int i = 0; B.order && i < n; i++)
                B.order[i] = i;
            if (B.order)
                qsort(B.order, (size_t)n, sizeof *B.order, cmp_series);
            build_rows();
            if (!B.order)
                app_message(1, "out of memory for the list of %d series", n);
            else if (n == 0)
                app_message(1, "no DICOM series under %s (%d files looked at)", app.root, app.index->nfiles);
            else if (app.index->nerrors)
                app_message(1, "%d series; %d unreadable file(s), first: %s", n, app.index->nerrors,
                            app.index->first_error);
            else
                app_message(0, "%d series in %.1f s", n, j->finished - j->started);
        }
        return;
    }
    if (B.loading) {
        B.loading = 0;
        pm_volume *v = j->result;
        if (j->status == PM_OK && v) {
            app_message(0, "loaded %dx%dx%d in %.1f s", v->g.dim[0], v->g.dim[1], v->g.dim[2],
                        j->finished - j->started);
            viewer_open(v);
        } else if (j->status == PM_ECANCEL) {
            pm_volume_free(v);
            app_message(1, "loading cancelled");
        } else {
            pm_volume_free(v);
            app_message(1, "cannot load: %s", j->error[0] ? j->error : "unknown error");
        }
    }
}

static void draw_row(void *ctx, int i, int line, int selected)
{
    int y = *(const int *)ctx + line;
    const brow *r = &B.rows[i];
    char buf[512];
    if (r->series < 0) {
        const pm_series *s = ser(B.order[r->first]);
        snprintf(buf, sizeof buf, "%s  %s  (%d series)", s->meta.patient_id[0] ? s->meta.patient_id : "(no ID)",
                 s->meta.patient_name, r->count);
        crt_role(selected ? ROLE_SELECTED : ROLE_PATIENT);
    } else {
        const pm_series *s = ser(r->series);
        char dims[48], dz[16] = "-";
        /* A series on a node has no geometry before it is retrieved. */
        snprintf(dims, sizeof dims, "-");
        if (s->dims[0] > 0) {
            snprintf(dims, sizeof dims, "%dx%dx%d", s->dims[0], s->dims[1], s->dims[2]);
            snprintf(dz, sizeof dz, "%.3g", s->spacing[2]);
        }
        snprintf(buf, sizeof buf, "   %-8.8s  %-3.3s %5d  %-13s %-5s %s", s->meta.study_date[0] ? s->meta.study_date : "-",
                 s->meta.modality[0] ? s->meta.modality : "-", s->dims[2] > 0 ? s->dims[2] : s->nfiles, dims, dz,
                 s->meta.series_description[0] ? s->meta.series_description : "(no description)");
        crt_role(selected ? ROLE_SELECTED : ROLE_NORMAL);
    }
    if (selected)
        crt_clear_rows(y, y);
    crt_text(y, 1, COLS - 2, buf);
    crt_role(ROLE_NORMAL);
}

static void browser_draw(int y, int x, int rows_, int cols)
{
    (void)y, (void)x, (void)rows_, (void)cols;
    app_title("pulmo %s  %s", PM_VERSION, app.root);
    crt_role(ROLE_HEADER);
    crt_clear_rows(1, 1);
    crt_text(1, 1, COLS - 2, "PATIENT / DATE    MOD SLICES DIMS          DZ    DESCRIPTION");
    crt_role(ROLE_NORMAL);
    int detail = 4, y0 = 2, y1 = LINES - 2 - detail; /* list rows y0..y1 */
    int rows = y1 - y0 + 1;
    if (!app.index) {
        crt_text(y0 + 1, 2, COLS - 4, B.scanning ? "Scanning for DICOM series..." : "Nothing to show.");
    } else if (!B.nrows) {
        crt_text(y0 + 1, 2, COLS - 4, app.index->nseries ? "No series matches the filter." : "No DICOM series found.");
    }
    list_show(&B.list, rows, draw_row, &y0);
    /* Details of the selected series. */
    int yd = y1 + 1;
    crt_role(ROLE_DIM);
    move(yd, 0);
    hline(ACS_HLINE, COLS);
    crt_role(ROLE_NORMAL);
    if (B.nrows && B.list.sel >= 0) {
        const brow *r = &B.rows[B.list.sel];
        int si = r->series >= 0 ? r->series : B.order[r->first];
        const pm_series *s = ser(si);
        char folder[4096];
        pm_text_clean(folder, sizeof folder, s->folder);
        crt_textf(yd + 1, 1, COLS - 2, "Patient %s  %s   Study %s %s", s->meta.patient_id, s->meta.patient_name,
                  s->meta.study_date, s->meta.study_description);
        crt_textf(yd + 2, 1, COLS - 2, "Series  %s  %d files  %.4g x %.4g x %.4g mm  %s", s->meta.modality,
                  s->dims[2], s->spacing[0], s->spacing[1], s->spacing[2], s->meta.series_uid);
        crt_textf(yd + 3, 1, COLS - 2, "Folder  %s", folder);
    }
    if (B.filtering || B.filter[0]) {
        crt_role(B.filtering ? ROLE_BUSY : ROLE_KEY);
        crt_textf(LINES - 2, 1, COLS - 2, "Filter: %s%s", B.filter, B.filtering ? "_" : "");
        crt_role(ROLE_NORMAL);
    }
}

static const char *browser_hints(void)
{
    return B.filtering ? "Enter keep  Esc clear" : "/ filter  Enter open  ? keys  q quit";
}

static void open_selected(void)
{
    if (!B.nrows || B.list.sel < 0 || app.load.running)
        return;
    const brow *r = &B.rows[B.list.sel];
    const pm_series *s = r->series >= 0 ? ser(r->series) : NULL;
    if (!s) {
        const pm_series *p = ser(B.order[r->first]);
        s = pm_index_pick_patient(app.index, p->meta.patient_id, p->meta.patient_name);
    }
    if (!s)
        return;
    B.loading = 1;
    snprintf(app.vol_dir, sizeof app.vol_dir, "%s", s->folder);
    if (job_start(&app.load, "loading series", load_work, (void *)s) != 0) {
        B.loading = 0;
        app_message(1, "%s", app.load.error);
    }
}

static int filter_key(int k)
{
    size_t n = strlen(B.filter);
    if (k == 27) {
        B.filter[0] = '\0';
        B.filtering = 0;
    } else if (k == '\n' || k == '\r' || k == KEY_ENTER) {
        B.filtering = 0;
    } else if (k == KEY_BACKSPACE || k == 127 || k == 8) {
        if (n)
            B.filter[n - 1] = '\0';
    } else if (k >= 32 && k < 127 && n + 1 < sizeof B.filter) {
        B.filter[n] = (char)k;
        B.filter[n + 1] = '\0';
    } else if (k == KEY_UP || k == KEY_DOWN) {
        B.filtering = 0;
        list_key(&B.list, k);
        return R_REDRAW;
    } else {
        return R_NONE;
    }
    build_rows();
    return R_REDRAW;
}

static int act_filter(void) { B.filtering = 1; return R_REDRAW; }
static int act_open(void) { open_selected(); return R_REDRAW; }
static int act_quit(void) { return R_QUIT; }
static int act_rescan(void)
{
    if (app.load.running)
        return R_NONE;
    pm_index_free(app.index);
    app.index = NULL;
    free(B.order);
    free(B.rows);
    B.order = NULL, B.rows = NULL, B.nrows = 0;
    list_resize(&B.list, 0);
    start_scan();
    return R_REDRAW;
}
static int act_cancel(void)
{
    if (app.load.running)
        job_cancel(&app.load);
    else if (B.filter[0]) {
        B.filter[0] = '\0';
        build_rows();
    }
    return R_REDRAW;
}
/* The list's own keys (list_key), listed for the help box. */
static int act_list(void) { return R_NONE; }

static const tui_binding browser_keys[] = {
    {KEY_DOWN, act_list, "Down, j", "next row"},
    {KEY_UP, act_list, "Up, k", "previous row"},
    {KEY_NPAGE, act_list, "PgDn / PgUp", "page down / up"},
    {KEY_HOME, act_list, "Home, g", "first row"},
    {KEY_END, act_list, "End, G", "last row"},
    {'/', act_filter, "/", "filter (any text of a series); Enter keeps, Esc clears"},
    {'\n', act_open, "Enter", "open the series (on a patient: its largest CT series)"},
    {'\r', act_open, NULL, NULL},
    {KEY_ENTER, act_open, NULL, NULL},
    {'r', act_rescan, "r", "scan the folder again"},
    {27, act_cancel, "Esc", "cancel loading / clear the filter"},
    {'?', act_list, "?", "this help"},
    {'q', act_quit, "q", "quit pulmo"},
    {0, NULL, NULL, NULL},
};

static int browser_help(const tui_binding **t, const char **titles, int max)
{
    if (max < 1)
        return 0;
    t[0] = browser_keys, titles[0] = "Browser";
    return 1;
}

static int browser_key(int k)
{
    if (B.filtering)
        return filter_key(k);
    int r = app_dispatch(browser_keys, k);
    if (!r && list_key(&B.list, k))
        r = R_REDRAW;
    return r;
}

static void browser_tick(void)
{
    if (job_finished(&app.load)) {
        browser_job_done();
        app.dirty = 1;
    }
}

static tui_job *browser_busy(void)
{
    return app.load.running ? &app.load : NULL;
}

const tui_screen browser_screen = {
    .name = "browser",
    .draw = browser_draw,
    .key = browser_key,
    .tick = browser_tick,
    .busy = browser_busy,
    .hints = browser_hints,
    .help = browser_help,
};

void browser_done(void)
{
    viewer_done();
    job_free(&app.load);
    if (B.loading)
        pm_volume_free(app.load.result);
    if (B.scanning && app.load.result)
        pm_index_free(app.load.result);
    pm_index_free(app.index);
    app.index = NULL;
    free(B.order);
    free(B.rows);
    memset(&B, 0, sizeof B);
}
