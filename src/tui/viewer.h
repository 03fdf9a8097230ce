/* viewer.h - the viewer screen (viewer.c): the slice of the loaded volume
 * with one optional side panel (histpanel.h, segpanel.h); the mesh view
 * (meshview.h) is a screen pushed on top of it. Its state is shared with
 * those modules and the export dialog (export.h).
 */
#ifndef PULMO_TUI_VIEWER_H
#define PULMO_TUI_VIEWER_H

#include "app.h"
#include "view.h"

typedef struct tui_viewer {
    pm_volume *vol;
    pm_mask *mask;       /* the segmentation shown as overlay, or NULL */
    tui_view view;
    double zoom;
    double cu, cv;       /* cursor, plane voxels */
    int preset;          /* window preset, -1 after fine changes */
    int montage;
    const tui_screen *panel; /* the open side panel, or NULL */
    pm_fb fb;
} tui_viewer;

extern tui_viewer V;
extern const tui_screen viewer_screen;

/* Takes v (freed by viewer_done) and pushes the viewer screen. */
void viewer_open(pm_volume *v);
/* Closes the panels, the mesh view and the volume; pops the screens. */
void viewer_done(void);
/* Title and warning rows of the volume; returns the first free row. */
int viewer_chrome(void);
/* Columns a side panel takes on the right. */
int viewer_panel_width(void);

#endif
