/* view.h - the geometry of what a viewer shows: a plane of the volume,
 * the slice, the window/level, and the mapping between picture pixels and
 * voxels. The pixels themselves are drawn by the picture module
 * (tui_render_slice), which calls the core's renderer when it exists.
 *
 * Planes are shown in the radiological convention: axial seen from the
 * feet (patient's right on the screen's left), coronal from the front,
 * sagittal from the patient's left (anterior on the left); superior up.
 */
#ifndef PULMO_TUI_VIEW_H
#define PULMO_TUI_VIEW_H

#include "tui.h"

enum { PLANE_AXIAL, PLANE_CORONAL, PLANE_SAGITTAL };

typedef struct tui_view {
    int plane;
    int slice;
    double cu, cv;        /* view centre, plane mm */
    double mm_per_px;     /* horizontal mm per picture pixel */
    double aspect;        /* picture pixel height / width */
    double wl, ww;        /* window level and width, HU */
    int overlay;          /* draw the mask */
} tui_view;

/* Size of a plane in voxels (nu across, nv down), the number of slices
 * through it, and the voxel spacing along u and v. */
void view_plane_dims(const pm_grid *g, int plane, int *nu, int *nv, int *ns, double *su, double *sv);
/* Voxel (i, j, k) of plane position (u, v) on slice s. */
void view_plane_ijk(const pm_grid *g, int plane, int s, int u, int v, int ijk[3]);
/* Picture pixel centre -> plane voxel (u, v) (may be outside). */
void view_px_to_uv(const tui_view *w, const pm_grid *g, int fbw, int fbh, double px, double py, double *u, double *v);
/* Plane voxel centre -> picture pixel. */
void view_uv_to_px(const tui_view *w, const pm_grid *g, int fbw, int fbh, double u, double v, double *px, double *py);

/* Draws slice w->slice of vol (with mask when w->overlay) into the
 * rectangle (x0, y0, rw, rh) of fb. */
void tui_render_slice(tui_fb *fb, int x0, int y0, int rw, int rh, const pm_volume *vol, const pm_mask *mask,
                      const tui_view *w);

#endif
