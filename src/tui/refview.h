/* refview.h - a reference mask over the slice viewer (refview.c): an
 * RTSTRUCT, DICOM SEG or NIfTI label image, as a radiologist compares a
 * planning structure set or another tool's segmentation with the CT.
 *
 * R asks for the file (proposing an RTSTRUCT or SEG of the same study found
 * beside the series); r steps through its ROIs: all, each one alone, none.
 * ROIs are drawn as outlines with a light fill, so the segmentation overlay
 * (filled) stays readable under them.
 */
#ifndef PULMO_TUI_REFVIEW_H
#define PULMO_TUI_REFVIEW_H

#include "pulmo/render.h"
#include "view.h"

/* Key actions (viewer bindings); they return screen reactions (R_*). */
int ref_open(void);
int ref_cycle(void);
/* Blends the shown ROIs over the picture r drawn for view w. */
void ref_draw(pm_fb *fb, pm_rect r, const tui_view *w);
/* The name of the ROI at voxel index idx of the volume ("" when none, or
 * when no reference is shown). */
const char *ref_name_at(size_t idx);
/* Frees the reference (the viewer closes the series). */
void ref_done(void);

#endif
