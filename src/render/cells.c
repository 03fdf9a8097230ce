/* cells.c - the picture for a box of terminal character cells, for every
 * front end: how many pixels to draw, how many the encoder gets, and the
 * reduction from one to the other.
 *
 * Pixel terminals (sixel, kitty, iTerm2) show a cell's own pixels, at most
 * what the terminal accepts (a sixel image beyond the limit is dropped).
 * Text shows few pixels per cell, so a picture is drawn at PM_CELL_SCALE
 * times the cells' resolution and averaged down: thin vessels and mesh
 * edges then still darken their cell instead of vanishing between samples.
 * Half blocks show square pixels (two per cell); ASCII shows one per cell,
 * which is about twice as tall as wide, so its square-pixel picture is
 * halved in height. */
#include "pulmo/render.h"
#include "pulmo/core.h"

static void cells_of(pm_cell_box *b)
{
    b->cells_w = b->w;
    b->cells_h = b->mode == PM_CELLS_ASCII ? (b->h + 1) / 2 : b->h;
}

pm_cell_box pm_render_cell_box(int cols, int rows, pm_cell_mode mode, int cell_w, int cell_h, int max_w, int max_h)
{
    pm_cell_box b = {0};
    b.mode = mode;
    if (cols < 0)
        cols = 0;
    if (rows < 0)
        rows = 0;
    if (mode == PM_CELLS_PIXELS) {
        b.w = cols * cell_w, b.h = rows * cell_h;
        if (max_w > 0 && b.w > max_w)
            b.w = max_w;
        if (max_h > 0 && b.h > max_h)
            b.h = max_h;
        b.scale = 1, b.aspect = 1;
    } else {
        b.w = cols, b.h = 2 * rows;
        b.scale = PM_CELL_SCALE;
        b.aspect = mode == PM_CELLS_ASCII ? 2 : 1;
    }
    cells_of(&b);
    return b;
}

void pm_cell_box_resize(pm_cell_box *b, int w, int h)
{
    b->w = w, b->h = h;
    cells_of(b);
}

pm_fb *pm_cell_box_reduce(const pm_cell_box *b, const pm_fb *src, int bilinear)
{
    pm_fb *cells = pm_fb_new(b->cells_w, b->cells_h, 0);
    if (!cells) {
        pm_fail(PM_EMEMORY, "out of memory for a picture of %d x %d cells", b->cells_w, b->cells_h);
        return NULL;
    }
    pm_fb_scale(src, cells, bilinear);
    return cells;
}
