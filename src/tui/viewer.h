/* viewer.h - the viewer screen's state, shared with its panels
 * (histogram, segmentation, mesh, export), which live in their own files. */
#ifndef PULMO_TUI_VIEWER_H
#define PULMO_TUI_VIEWER_H

#include "tui.h"
#include "view.h"

typedef struct tui_viewer {
    pm_volume *vol;
    pm_mask *mask;       /* the segmentation shown as overlay, or NULL */
    tui_view view;
    double zoom;
    double cu, cv;       /* cursor, plane voxels */
    int preset;          /* window preset, -1 after fine changes */
    int montage;
    pm_fb fb;
} tui_viewer;

extern tui_viewer V;
extern const tui_binding viewer_keys[];
/* A number that changes when the viewer's layout does (sixel repaints). */
int viewer_layout(void);

/* panels.c: the side panels and the mesh view inside the viewer. */
void panels_open(void);
void panels_close(void);
/* Columns taken on the right by the open side panel (0 when none). */
int panels_width(void);
void panels_draw(void);
const char *panels_hints(void);
/* Keys for the open panel first; 0 when not handled. */
int panels_key(int k);
/* Escape/q: closes the open panel; 0 when none was open. */
int panels_back(void);
void panels_tick(void);
/* Adds the panels' binding tables for the help box; returns how many. */
int panels_help(const tui_binding **t, const char **titles, int max);
int panels_mesh_active(void);
/* The job running for a panel (segmentation or surface), or NULL. */
tui_job *panels_busy(void);

/* segpanel.c */
struct pm_lung_measures;
struct pm_recipe;
extern const tui_binding seg_keys[];
void seg_start(void);              /* runs the recipe if it has not run */
void seg_done(void);
void seg_draw(int y, int x, int rows, int cols);
void seg_tick(void);
tui_job *seg_busy(void);
/* A re-run is running or about to start. */
int seg_pending(void);
/* The recipe has been chosen (its keys apply). */
int seg_started(void);
/* "step.param = value" of the selected parameter. */
void seg_selected(char *buf, size_t cap);
const pm_mask *seg_result(void);   /* last complete labels, NULL before */
int seg_generation(void);          /* changes whenever seg_result does */
const struct pm_lung_measures *seg_measures(void);
const char *seg_recipe_name(void);
const struct pm_recipe *seg_recipe(void);
int seg_markers(double *m, int max);
/* The last complete run, its status (PM_OK or PM_ENOLUNG) and seconds. */
struct pm_seg_run;
const struct pm_seg_run *seg_run(void);
int seg_status(void);
double seg_seconds(void);

/* meshview.c */
struct pm_mesh;
struct pm_raster_opts;
extern const tui_binding mesh_keys[];
int mesh_open(void);
void mesh_done(void);
void mesh_tick(void);
int mesh_key(int k);
tui_job *mesh_busy(void);
/* Stops a surface job that reads m (before m is freed). */
void mesh_release(const pm_mask *m);
const struct pm_mesh *mesh_current(void);
const struct pm_raster_opts *mesh_raster_opts(void);
int mesh_panel_width(void);
void mesh_view_draw(int y, int x, int rows, int cols);

/* export.c: asks what and where, then writes through the core. */
void export_dialog(int mesh);

#endif
