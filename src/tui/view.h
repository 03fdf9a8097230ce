/* view.h - what the slice viewer shows: a plane of the volume, the slice,
 * the window/level, zoom and pan, and the mapping between picture pixels
 * and voxels. Orientation comes from the core's pm_slice_view (render.h):
 * axial with the patient's right on the left and anterior up, coronal and
 * sagittal with superior up, whatever order the voxels are stored in.
 *
 * Plane coordinates (u, v) are screen-ordered voxel steps of the slice
 * view: u across (0..nu-1), v down (0..nv-1).
 */
#ifndef PULMO_TUI_VIEW_H
#define PULMO_TUI_VIEW_H

#include "pulmo/volume.h"
#include "pulmo/render.h"

typedef struct tui_view {
    pm_plane plane;
    int slice;            /* slice number (render.h): 0 = inferior/anterior/right */
    double cu, cv;        /* view centre, plane mm */
    double mm_per_px;     /* horizontal mm per picture pixel */
    double aspect;        /* picture pixel height / width */
    pm_window win;
    int overlay;          /* draw the mask */
} tui_view;

/* The core's slice view of w's plane and slice (clamped). */
void view_slice(const pm_grid *g, const tui_view *w, pm_slice_view *sv);
/* Size of a plane in voxels (nu across, nv down), the number of slices
 * through it, and the voxel spacing along u and v. */
void view_plane_dims(const pm_grid *g, pm_plane plane, int *nu, int *nv, int *ns, double *su, double *sv);
/* Voxel (i, j, k) of plane position (u, v) on slice s. */
void view_plane_ijk(const pm_grid *g, pm_plane plane, int s, int u, int v, int ijk[3]);
/* The inverse: slice and plane position of a voxel. */
void view_ijk_plane(const pm_grid *g, pm_plane plane, const int ijk[3], int *s, int *u, int *v);
/* The mm per picture pixel that fits the whole plane in fbw x fbh pixels of
 * height/width aspect (zoom 1). */
double view_fit_mm_per_px(const pm_grid *g, pm_plane plane, int fbw, int fbh, double aspect);
/* Plane voxel centre -> picture pixel. */
void view_uv_to_px(const tui_view *w, const pm_grid *g, int fbw, int fbh, double u, double v, double *px, double *py);

/* Draws slice w->slice of vol (with mask when w->overlay) into the
 * rectangle r of fb, zoomed and panned as w says; outside is black. */
void view_render(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_mask *mask, const tui_view *w);
/* Blends one more mask (e.g. the structures or the clusters) over what
 * view_render drew in r, with the same zoom and pan. */
void view_render_overlay(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_labels *labels,
                         double alpha, const tui_view *w);
/* Draws one slice fitted into r (montage tiles). */
void view_render_fit(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_mask *mask, const tui_view *w,
                     int slice);

#endif
