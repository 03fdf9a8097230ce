/* gfx.c - putting an RGB picture on the terminal.
 *
 * Half blocks: each cell shows two pixels, the upper as the foreground of
 * U+2580 and the lower as the background, in the nearest of the 256 xterm
 * colours; colour pairs are made on demand and recycled when the terminal's
 * supply runs out. Shade and ASCII modes draw one pixel per cell as a
 * brightness ramp (colour, if any, from the hue). These all go through
 * curses, so they survive tmux, resizes and dialogs.
 *
 * Pictures in pixels (sixel, kitty, iTerm2) are pixels.c's.
 */
#include "crt.h"
#include "pulmo/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *pair_of;          /* [fg*256 + bg] -> pair number, 0 = none */
static int next_pair = ROLE_COUNT;
static uint8_t xterm_of[32 * 32 * 32];
static int xterm_ready;

pm_cell_box crt_cell_box(int cols, int rows)
{
    switch (crt.gfx) {
    case GFX_HALF:
        return pm_render_cell_box(cols, rows, PM_CELLS_HALF, 1, 1, 0, 0);
    case GFX_KITTY:
    case GFX_ITERM:
        /* The terminal scales: the caller may send fewer pixels (crt_scales). */
        return pm_render_cell_box(cols, rows, PM_CELLS_PIXELS, crt.cell_w, crt.cell_h, 0, 0);
    case GFX_SIXEL:
        /* Within the sixel limit the picture covers less than the box
         * (crt_draw_fb centres it). */
        return pm_render_cell_box(cols, rows, PM_CELLS_PIXELS, crt.cell_w, crt.cell_h, crt.max_w, crt.max_h);
    default:
        return pm_render_cell_box(cols, rows, PM_CELLS_ASCII, 1, 1, 0, 0);
    }
}

void crt_fb_size(int cols, int rows, int *w, int *h, double *aspect)
{
    pm_cell_box b = crt_cell_box(cols, rows);
    *w = b.cells_w, *h = b.cells_h, *aspect = b.aspect;
}

static int xterm_index(const uint8_t *p)
{
    if (!xterm_ready) {
        for (int r = 0; r < 32; r++)
            for (int g = 0; g < 32; g++)
                for (int b = 0; b < 32; b++)
                    xterm_of[(r * 32 + g) * 32 + b] =
                        (uint8_t)pm_text_xterm256((uint8_t)(r * 8 + 4), (uint8_t)(g * 8 + 4), (uint8_t)(b * 8 + 4));
        xterm_ready = 1;
    }
    return xterm_of[((p[0] >> 3) * 32 + (p[1] >> 3)) * 32 + (p[2] >> 3)];
}

/* Pair for (fg, bg) colour numbers; bg -1 is the default background. */
static int pair_for(int fg, int bg)
{
    if (!pair_of && !(pair_of = calloc(257 * 256, sizeof *pair_of)))
        return ROLE_NORMAL;
    int key = fg * 257 + (bg + 1);
    if (pair_of[key])
        return pair_of[key];
    if (next_pair >= COLOR_PAIRS) {
        memset(pair_of, 0, 257 * 256 * sizeof *pair_of);
        next_pair = ROLE_COUNT;
    }
    int p = next_pair++;
    init_extended_pair(p, fg, bg);
    pair_of[key] = p;
    return p;
}

static void put_cell(int y, int x, const wchar_t *ch, int pair, attr_t a)
{
    cchar_t cc;
    setcchar(&cc, ch, a, 0, &pair);
    mvadd_wch(y, x, &cc);
}

/* One of the 8 basic colours for a saturated pixel, or -1 for grey. */
static int basic_hue(const uint8_t *p)
{
    int mx = p[0] > p[1] ? p[0] : p[1];
    mx = mx > p[2] ? mx : p[2];
    int mn = p[0] < p[1] ? p[0] : p[1];
    mn = mn < p[2] ? mn : p[2];
    if (mx - mn < 60)
        return -1;
    int r = p[0] > mn + (mx - mn) / 2, g = p[1] > mn + (mx - mn) / 2, b = p[2] > mn + (mx - mn) / 2;
    return (r ? COLOR_RED : 0) | (g ? COLOR_GREEN : 0) | (b ? COLOR_BLUE : 0);
}

static void draw_text_pixels(const pm_fb *fb, int y0, int x0, int cols, int rows)
{
    static const wchar_t shade_ramp[] = L" .:\x2591\x2592\x2593\x2588";
    int ascii = crt.gfx == GFX_ASCII;
    int nramp = ascii ? 10 : 7;
    for (int y = 0; y < rows && y < fb->h; y++)
        for (int x = 0; x < cols && x < fb->w; x++) {
            const uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x);
            int l = pm_luminance(p), hue = basic_hue(p);
            int idx = l * nramp / 256;
            int pair = ROLE_NORMAL;
            attr_t a = 0;
            if (hue >= 0 && crt.colors >= 8) {
                pair = pair_for(hue, -1);
                a = A_BOLD;
                if (idx < 3)
                    idx = 3;
            } else if (hue >= 0) {
                a = A_BOLD;
            }
            if (!crt.colors)
                pair = 0;
            /* Colour lifts a dark pixel to at least the fourth character. */
            wchar_t ch[2] = {ascii ? (wchar_t)pm_ascii_for(idx * 256 / nramp + 12) : shade_ramp[idx], 0};
            put_cell(y0 + y, x0 + x, ch, pair, a);
        }
}

static void draw_half(const pm_fb *fb, int y0, int x0, int cols, int rows)
{
    static const wchar_t upper[2] = {0x2580, 0}, blank[2] = {L' ', 0};
    for (int y = 0; y < rows && 2 * y < fb->h; y++)
        for (int x = 0; x < cols && x < fb->w; x++) {
            const uint8_t *t = fb->rgb + 3 * ((size_t)(2 * y) * fb->w + x);
            int ti = xterm_index(t);
            int bi = 2 * y + 1 < fb->h ? xterm_index(t + 3 * (size_t)fb->w) : ti;
            if (ti == bi)
                put_cell(y0 + y, x0 + x, blank, pair_for(ti, bi), 0);
            else
                put_cell(y0 + y, x0 + x, upper, pair_for(ti, bi), 0);
        }
}

void crt_draw_cells(const pm_fb *fb, int y, int x, int cols, int rows)
{
    if (cols <= 0 || rows <= 0)
        return;
    if (crt.gfx == GFX_HALF)
        draw_half(fb, y, x, cols, rows);
    else
        draw_text_pixels(fb, y, x, cols, rows);
}
