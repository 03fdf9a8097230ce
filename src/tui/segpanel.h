/* segpanel.h - the segmentation panel (segpanel.c): the chosen recipe's
 * steps and parameters, tuned with keys while the picture follows. Other
 * parts of the viewer read its result through these functions.
 */
#ifndef PULMO_TUI_SEGPANEL_H
#define PULMO_TUI_SEGPANEL_H

#include "screen.h"
#include "pulmo/volume.h"

struct pm_lung_measures;
struct pm_recipe;
struct pm_seg_run;

extern const tui_screen seg_panel;
extern const tui_binding seg_keys[];

void seg_start(void);              /* runs the recipe if it has not run */
void seg_done(void);
/* Polls the runs; the viewer calls it whether or not the panel is shown. */
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
/* Changes whenever the shown mask (V.mask) does, previews included. */
int seg_shown_version(void);
const struct pm_lung_measures *seg_measures(void);
const char *seg_recipe_name(void);
const struct pm_recipe *seg_recipe(void);
int seg_markers(double *m, int max);
/* The last complete run, its status (PM_OK or PM_ENOLUNG) and seconds. */
const struct pm_seg_run *seg_run(void);
int seg_status(void);
const char *seg_reason(void);
double seg_seconds(void);

#endif
