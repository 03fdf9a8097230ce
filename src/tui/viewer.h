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
void mesh_view_draw(int y, int x, int rows, int cols);

#endif
