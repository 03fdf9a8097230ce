/* render.h - pictures in memory: an RGB framebuffer, CT slices through a
 * window/level, label overlays and HU histograms.
 *
 * Nothing here touches a terminal or a file: the encoders (encode.h) turn a
 * framebuffer into sixel, text or PNG, and the mesh rasterizer (raster.h)
 * draws into the same framebuffer.
 *
 * Orientation. Slices are shown the way radiologists read them, whatever
 * order the voxels are stored in: the volume axis closest to each patient
 * axis is found from the grid's direction cosines (LPS), and the screen is
 *     axial:    patient's right on the left, anterior up
 *     coronal:  patient's right on the left, superior up
 *     sagittal: anterior on the left, superior up
 * so a feet-first series or a flipped ImageOrientationPatient still shows
 * the right way round. Pixel aspect comes from the voxel spacing. A gantry
 * tilt (sheared axes) is undone in coronal and sagittal views by resampling
 * in patient space; axial views show the acquired (tilted) slices, as
 * scanners do. Limits: an oblique but orthogonal grid is shown along its
 * nearest patient axes (no rotation), and uneven slice gaps are drawn at the
 * grid's single spacing.
 *
 *     pm_slice_view sv;
 *     pm_slice_view_init(&vol->g, PM_PLANE_AXIAL, -1, &sv);     // -1 = middle
 *     int w, h;
 *     pm_slice_view_size(&sv, 640, 640, &w, &h);                // fits 640x640
 *     pm_fb *fb = pm_fb_new(w, h, 0);
 *     pm_draw_slice(fb, pm_fb_rect(fb), vol, &sv, PM_WINDOW_LUNG, 1);
 *     pm_draw_mask(fb, pm_fb_rect(fb), mask, &sv, NULL, 0.4);
 */
#ifndef PULMO_RENDER_H
#define PULMO_RENDER_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pixels are RGB bytes, rows top to bottom, no padding; depth (optional,
 * for the rasterizer) is one float per pixel, larger = nearer. */
typedef struct pm_fb {
    int w, h;
    uint8_t *rgb;
    float *depth;
} pm_fb;

typedef struct pm_rect {
    int x, y, w, h;
} pm_rect;

/* NULL with a reason when out of memory or w/h not in 1..16384. */
pm_fb *pm_fb_new(int w, int h, int with_depth);
void pm_fb_free(pm_fb *fb);
void pm_fb_clear(pm_fb *fb, uint8_t r, uint8_t g, uint8_t b);
/* The whole framebuffer as a rectangle. */
pm_rect pm_fb_rect(const pm_fb *fb);
/* Fills r (clipped to the framebuffer). */
void pm_fb_fill(pm_fb *fb, pm_rect r, uint8_t rr, uint8_t gg, uint8_t bb);
/* Copies src with its top-left corner at (x, y) of dst, clipped (to compose
 * a slice, a histogram and a mesh into one frame). */
void pm_fb_blit(pm_fb *dst, int x, int y, const pm_fb *src);
/* Scales src into dst (whole images): nearest, or smooth (bilinear when
 * enlarging, the average of the covered pixels when shrinking both ways). */
void pm_fb_scale(const pm_fb *src, pm_fb *dst, int bilinear);

/* A picture for a box of terminal cells (render/cells.c). Pixel terminals
 * get cell_w x cell_h pixels per cell, within max_w x max_h (0: no limit;
 * a terminal drops a sixel image beyond its limit). Text is drawn at
 * PM_CELL_SCALE times the cells' square pixels (two per cell, one column
 * wide) and averaged down with pm_cell_box_reduce; for ASCII that halves
 * the height, one pixel per cell. Can't fail. */
typedef enum pm_cell_mode {
    PM_CELLS_PIXELS,    /* sixel, kitty, iTerm2 (and files: cells of 1 x 1) */
    PM_CELLS_HALF,      /* half blocks: 1 x 2 pixels per cell */
    PM_CELLS_ASCII      /* one pixel per cell (ramp characters, shades) */
} pm_cell_mode;
#define PM_CELL_SCALE 4
typedef struct pm_cell_box {
    pm_cell_mode mode;
    int w, h;            /* the picture in square pixels */
    int cells_w, cells_h;/* what the encoder gets: w x h, or w x (h+1)/2 for ASCII */
    int scale;           /* draw at scale * w x scale * h, then reduce (text) */
    double aspect;       /* an encoder pixel's height / width on screen */
} pm_cell_box;
pm_cell_box pm_render_cell_box(int cols, int rows, pm_cell_mode mode, int cell_w, int cell_h, int max_w,
                               int max_h);
/* Another picture size in square pixels (a picture fitted in the box, or
 * as tall as its content needs); the cells follow. */
void pm_cell_box_resize(pm_cell_box *b, int w, int h);
/* src (any size, drawn for b) averaged (bilinear) or sampled down to a new
 * cells_w x cells_h picture; NULL with a reason when out of memory. */
pm_fb *pm_cell_box_reduce(const pm_cell_box *b, const pm_fb *src, int bilinear);

/* Window/level in HU: grey = 0 at level - width/2, 255 at level + width/2. */
typedef struct pm_window {
    double width, level;
} pm_window;

#define PM_WINDOW_LUNG ((pm_window){1500, -600})
#define PM_WINDOW_MEDIASTINUM ((pm_window){400, 40})
#define PM_WINDOW_BONE ((pm_window){1800, 400})
#define PM_WINDOW_BRAIN ((pm_window){80, 40})
/* The named presets in order (lung, mediastinum, bone, brain): the name of
 * preset i with *w set, or NULL past the last. */
const char *pm_window_preset(int i, pm_window *w);
/* The mask overlay's opacity in every picture (CLI, TUI, exports). */
#define PM_OVERLAY_ALPHA 0.4

/* Parses a preset name (lung, mediastinum, bone, brain) or "W/L" such as
 * "1500/-600". PM_EUSAGE with a reason on anything else (width <= 0). */
int pm_window_parse(const char *s, pm_window *w);
/* The grey level of one HU value. */
uint8_t pm_window_grey(pm_window w, double hu);

typedef enum pm_plane {
    PM_PLANE_AXIAL,
    PM_PLANE_CORONAL,
    PM_PLANE_SAGITTAL
} pm_plane;

/* Parses "axial", "coronal", "sagittal"; -1 otherwise. */
int pm_plane_parse(const char *s);
const char *pm_plane_name(pm_plane p);

/* How one slice of a grid maps to the screen. Screen column c (0..nu-1)
 * reads voxel index u0 + c*du along volume axis u_axis; screen row r reads
 * v0 + r*dv along v_axis; the slice sits at voxel index `index` along
 * `axis`. `number` is the slice as users count it: 0 is the most inferior
 * (axial), anterior (coronal) or right (sagittal) slice, whatever the
 * storage order. */
typedef struct pm_slice_view {
    pm_plane plane;
    int dim[3];                   /* the grid's dimensions */
    int axis, index, nslices;     /* normal volume axis, voxel index, count */
    int number;                   /* 0..nslices-1 from inferior/anterior/right */
    int u_axis, v_axis;
    int nu, nv;                   /* slice size in voxels (screen order; for a
                                     resampled view, the picture in voxels of
                                     u_mm x v_mm, so nu*u_mm x nv*v_mm stays the
                                     size in mm) */
    int u0, du, v0, dv;           /* du, dv are +1 or -1 */
    double u_mm, v_mm;            /* voxel spacing across and down the screen */
    double w_mm, h_mm;            /* size of the picture in mm */
    /* Sheared grids (gantry tilt) in coronal and sagittal views are
     * resampled in patient space so anatomy is not slanted: the continuous
     * voxel index of the point s mm right and t mm down from the top-left
     * corner is o + s*a + t*b. */
    int resample;
    double o[3], a[3], b[3];
} pm_slice_view;

/* Sets up the view of slice `number` (counted from the patient's inferior,
 * anterior or right side for axial, coronal, sagittal; -1 = the middle
 * slice). PM_EUSAGE with a reason when it is out of range or the grid is
 * degenerate. */
int pm_slice_view_init(const pm_grid *g, pm_plane plane, int number, pm_slice_view *out);
/* The largest aspect-correct image size that fits in max_w x max_h (a
 * non-positive bound means: the native size, one screen pixel per voxel
 * along the finer axis). */
void pm_slice_view_size(const pm_slice_view *sv, int max_w, int max_h, int *w, int *h);
/* The aspect-correct rectangle centred in r. */
pm_rect pm_slice_view_fit(const pm_slice_view *sv, pm_rect r);
/* The voxel shown at plane pixel (u, v) (0..nu-1, 0..nv-1, screen order):
 * for a resampled view the voxel nearest the pixel's centre. */
void pm_slice_view_voxel(const pm_slice_view *sv, int u, int v, int ijk[3]);
/* The inverse: the slice number and plane pixel of `plane` showing voxel
 * ijk (for a resampled view, the slice whose plane passes nearest the
 * voxel's centre and the pixel holding it). PM_EUSAGE for a degenerate
 * grid. */
int pm_slice_view_locate(const pm_grid *g, pm_plane plane, const int ijk[3], int *number, int *u, int *v);

/* Draws the slice stretched over r (use pm_slice_view_fit for the aspect),
 * nearest or bilinear. The volume must be on the view's grid. */
void pm_draw_slice(pm_fb *fb, pm_rect r, const pm_volume *vol, const pm_slice_view *sv,
                   pm_window win, int bilinear);

/* Label colours: colours[3*(l-1)..] for label l (1..nlabels); label 0 is
 * never drawn; NULL colours (or labels past nlabels) use pm_label_colour().
 * outline: draw each label's border opaque (alpha still fills the inside;
 * alpha 0 gives contours only). */
typedef struct pm_labels {
    const uint8_t *colours;
    int nlabels;
    int outline;
} pm_labels;
/* A fixed, distinct colour for label l (l >= 1; cycles after 8). */
void pm_label_colour(int l, uint8_t rgb[3]);
/* Blends the mask's labels over r with the given alpha (0..1), nearest
 * neighbour so labels keep sharp edges (labels may be NULL). PM_EUSAGE when the mask's
 * dimensions differ from the view's grid. */
int pm_draw_mask(pm_fb *fb, pm_rect r, const pm_mask *m, const pm_slice_view *sv,
                 const pm_labels *labels, double alpha);

/* HU histogram: count[b] holds values in [lo + b*bin, lo + (b+1)*bin);
 * values outside [lo, hi) are counted in below/above. */
typedef struct pm_hist {
    int lo, hi, bin, nbins;
    uint64_t *count;
    uint64_t below, above, total;
} pm_hist;

/* Histogram of the volume, or of the voxels where mask != 0 when mask is
 * given (same dimensions). PM_EUSAGE for a bad range or bin, PM_EMEMORY. */
int pm_hist_compute(const pm_volume *vol, const pm_mask *mask, int lo, int hi, int bin,
                    pm_hist *out);
void pm_hist_free(pm_hist *h);

typedef struct pm_hist_style {
    int log_counts;               /* log(1 + count) bar heights */
    const double *markers;        /* HU values drawn as vertical lines */
    int nmarkers;
    pm_window shade;              /* grey ramp under the bars (width 0 = none) */
} pm_hist_style;
/* Draws the histogram as bars filling r, markers in yellow. */
void pm_draw_hist(pm_fb *fb, pm_rect r, const pm_hist *h, const pm_hist_style *st);

/* ---- Captions and contact sheets (font.c, sheet.c) ---------------------- */

/* A glyph is 5 x 7 pixels; text advances 6 pixels a character and 9 a line
 * (times the scale). Upper case, digits and ASCII punctuation (lower case is
 * drawn upper case, other bytes as '?'). */
#define PM_FONT_ADVANCE 6
#define PM_FONT_LINE 9
/* Draws s with its top-left corner at (x, y), each font pixel scale x scale,
 * clipped to fb; returns the width drawn in pixels. */
int pm_draw_text(pm_fb *fb, int x, int y, int scale, const uint8_t rgb[3], const char *s);
int pm_text_px_width(const char *s, int scale);

/* The triage sheet: one page of PM_SHEET_W x PM_SHEET_H pixels whatever the
 * series. From the top: two header lines (patient, series), the warnings in
 * a box, three axial slices at the middle of the lungs' upper, middle and
 * lower thirds (of the volume when the mask holds no lung), then a coronal
 * slice through the lungs' centroid beside the lung HU histogram (-950
 * marked) and the figures table, and a colour legend at the bottom. Slices
 * in lung window, labels at PM_OVERLAY_ALPHA. Text that does not fit is cut
 * with "..."; the caller cleans DICOM text (pm_text_clean). */
#define PM_SHEET_W 960
#define PM_SHEET_H 960
#define PM_SHEET_WARN_LINES 4     /* text lines in the warnings box */
#define PM_SHEET_TABLE_COLS 44    /* characters in a table row */
#define PM_SHEET_TABLE_ROWS 14
typedef struct pm_sheet_content {
    const char *header[2];
    const char *const *warnings;  /* each wraps; none: "NO WARNINGS" */
    int nwarnings;
    const char *const *table;     /* rows, monospace, column heads first */
    int ntable;
    const pm_hist *hist;          /* lung HU; NULL or empty: "NO LUNG VOXELS" */
    const char *footer;           /* under the legend (recipe, grid); may be NULL */
} pm_sheet_content;
/* Where the parts are, for tests and for anything drawn over a sheet. */
typedef struct pm_sheet_layout {
    pm_rect warnings, axial[3], coronal, hist, table;
} pm_sheet_layout;
void pm_sheet_layout_get(pm_sheet_layout *l);
/* m may be NULL (no overlay) and must be on v's grid (else PM_EUSAGE).
 * PM_EMEMORY. */
int pm_sheet_draw(const pm_volume *v, const pm_mask *m, const pm_sheet_content *c, pm_fb **out);

#ifdef __cplusplus
}
#endif

#endif
