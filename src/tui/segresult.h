/* segresult.h - the figures under the segmentation panel's parameters
 * (segresult.c): a volume's mL and densities, or a 2-D run's areas. */
#ifndef PULMO_TUI_SEGRESULT_H
#define PULMO_TUI_SEGRESULT_H

#include "pulmo/measure.h"

typedef struct seg_result_view {
    const pm_lung_measures *m;   /* NULL: no complete result yet */
    const pm_mask *labels;       /* the last complete labels */
    int status;                  /* PM_OK or PM_ENOLUNG */
    int apex_cut, base_cut;      /* pm_lung_coverage of labels */
    int running, updating;       /* a run is going / will replace these */
    double seconds;
} seg_result_view;

/* Draws the figures from line y at column x, w wide; returns the line
 * after them. */
int seg_result_draw(int y, int x, int w, const seg_result_view *r);

#endif
