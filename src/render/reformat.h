/* reformat.h - internal: slices of sheared grids resampled in patient
 * space (see pm_slice_view.resample in render.h). */
#ifndef PULMO_REFORMAT_H
#define PULMO_REFORMAT_H

#include "pulmo/render.h"

/* Fills the resampling fields of sv for plane axes (patient axis and screen
 * sign of across, down, and the normal). 0, or -1 for a degenerate grid. */
int pm__reformat_init(const pm_grid *g, pm_slice_view *sv, int pu, int su, int pv, int sv_sign,
                      int pn);
/* Draws the slice or the mask's labels over r by resampling. */
void pm__reformat_slice(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_slice_view *sv,
                        pm_window win, int bilinear);
void pm__reformat_mask(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_slice_view *sv,
                       const uint8_t lut[256][3], int alpha256, int outline);

#endif
