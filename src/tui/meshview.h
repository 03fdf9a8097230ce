/* meshview.h - the mesh view (meshview.c): a screen pushed over the viewer
 * showing the surface of the mask (or of a HU level).
 */
#ifndef PULMO_TUI_MESHVIEW_H
#define PULMO_TUI_MESHVIEW_H

#include "screen.h"
#include "pulmo/volume.h"

struct pm_mesh;
struct pm_raster_opts;

extern const tui_screen mesh_screen;

/* Pushes the mesh view, starting the surface when it is missing or old. */
void mesh_open(void);
void mesh_done(void);
/* "Crop here": shows only the cube of half-side r_mm around the LPS point
 * c at full resolution: label `label` of str when str is given (the
 * structures), else the segmentation's mask, else the HU level ('h' flips
 * between mask and level as usual; 'u' leaves the crop). */
void mesh_open_crop(const double c[3], double r_mm, const pm_mask *str, int label);
/* Polls the surface job; the viewer calls it whether or not it is shown. */
void mesh_tick(void);
tui_job *mesh_busy(void);
/* Stops a surface job that reads m (before m is freed). */
void mesh_release(const pm_mask *m);
const struct pm_mesh *mesh_current(void);
const struct pm_raster_opts *mesh_raster_opts(void);

#endif
