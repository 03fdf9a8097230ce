/* inside.h - inside the lungs (inside.c): the structures overlay (label
 * 5), the cluster panel that re-clusters the visible slice in the
 * background, and "crop here" for the mesh view.
 */
#ifndef PULMO_TUI_INSIDE_H
#define PULMO_TUI_INSIDE_H

#include "screen.h"
#include "pulmo/render.h"

extern const tui_screen inside_panel;
extern const tui_binding inside_keys[];

void inside_done(void);
/* Polls the jobs and follows the segmentation and the visible slice. */
void inside_tick(void);
tui_job *inside_busy(void);
/* Structures overlay on/off (the viewer's 'v'). */
int inside_toggle_structures(void);
/* Draws the structures and, while the panel is open, the clusters over
 * what view_render drew in r. */
void inside_draw_overlays(pm_fb *fb, pm_rect r);

#endif
