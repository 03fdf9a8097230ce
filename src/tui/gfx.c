/* gfx.c - putting an RGB picture on the terminal.
 *
 * Half blocks: each cell shows two pixels, the upper as the foreground of
 * U+2580 and the lower as the background, in the nearest of the 256 xterm
 * colours; colour pairs are made on demand and recycled when the terminal's
 * supply runs out. Shade and ASCII modes draw one pixel per cell as a
 * brightness ramp (colour, if any, from the hue). These all go through
 * curses, so they survive tmux, resizes and dialogs.
 *
 * Sixel cannot live in curses' buffer: the picture is encoded into memory
 * and written straight to the terminal after curses' refresh, at the cell
 * box's position, and written again after every full redraw.
 */
#include "crt.h"
#include "pulmo/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int *pair_of;          /* [fg*256 + bg] -> pair number, 0 = none */
static int next_pair = ROLE_COUNT;
static uint8_t xterm_of[32 * 32 * 32];
static int xterm_ready;

/* Sixel pictures queued for after the refresh (the slice and a panel). */
#define NSIXEL 4
static struct {
    char *buf;
    size_t len, cap;
    int y, x;
    uint64_t hash;        /* of the picture last sent in this slot */
    int sent, queued;
} six[NSIXEL];
static int nsix;          /* slots used by the frame being drawn */
static int force = 1;     /* resend everything (a dialog or resize erased it) */

/* FNV-1a of the pixels and the place: an unchanged picture is not sent
 * again, since curses never paints over the blank cells beneath it. */
static uint64_t fb_hash(const pm_fb *fb, int y, int x)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(y * 65536 + x) ^ ((uint64_t)fb->w << 32) ^ (uint64_t)fb->h;
    size_t n = (size_t)fb->w * fb->h * 3;
    for (size_t i = 0; i < n; i++)
        h = (h ^ fb->rgb[i]) * 1099511628211ull;
    return h;
}

void crt_fb_size(int cols, int rows, int *w, int *h, double *aspect)
{
    switch (crt.gfx) {
    case GFX_HALF:
        *w = cols, *h = rows * 2, *aspect = 1.0;
        break;
    case GFX_SIXEL:
        *w = cols * crt.cell_w, *h = rows * crt.cell_h, *aspect = 1.0;
        break;
    default:
        *w = cols, *h = rows, *aspect = 2.0;
        break;
    }
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

static int luminance(const uint8_t *p)
{
    return (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;
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
    static const char ascii_ramp[] = " .:-=+*#%@";
    static const wchar_t shade_ramp[] = L" .:\x2591\x2592\x2593\x2588";
    int ascii = crt.gfx == GFX_ASCII;
    int nramp = ascii ? 10 : 7;
    for (int y = 0; y < rows && y < fb->h; y++)
        for (int x = 0; x < cols && x < fb->w; x++) {
            const uint8_t *p = fb->rgb + 3 * ((size_t)y * fb->w + x);
            int l = luminance(p), hue = basic_hue(p);
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
            wchar_t ch[2] = {ascii ? (wchar_t)ascii_ramp[idx] : shade_ramp[idx], 0};
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

static int encode_sixel(const pm_fb *fb, int y, int x)
{
    if (nsix == NSIXEL)
        return -1;
    uint64_t h = fb_hash(fb, y, x);
    if (!force && six[nsix].sent && six[nsix].hash == h) {
        six[nsix++].queued = 0;
        return 0;
    }
    six[nsix].hash = h;
    six[nsix].queued = 1;
    pm_buf b = {six[nsix].buf, 0, six[nsix].cap};
    int rc = pm_sixel_encode(fb, crt.registers, &b);
    six[nsix].buf = b.data, six[nsix].len = b.len, six[nsix].cap = b.cap;
    if (rc != PM_OK)
        return -1;
    six[nsix].y = y, six[nsix].x = x;
    nsix++;
    return 0;
}

void crt_draw_fb(const pm_fb *fb, int y, int x, int cols, int rows)
{
    if (cols <= 0 || rows <= 0)
        return;
    switch (crt.gfx) {
    case GFX_HALF:
        draw_half(fb, y, x, cols, rows);
        break;
    case GFX_SIXEL:
        /* Blank cells under the picture, so curses never paints over it. */
        attrset(A_NORMAL);
        for (int r = 0; r < rows; r++) {
            move(y + r, x);
            hline(' ', cols);
        }
        encode_sixel(fb, y, x);
        break;
    default:
        draw_text_pixels(fb, y, x, cols, rows);
        break;
    }
}

void crt_flush_sixel(void)
{
    if (crt.gfx != GFX_SIXEL)
        return;
    fflush(stdout);
    for (int i = 0; i < nsix; i++) {
        if (!six[i].queued)
            continue;
        char pos[32];
        int n = snprintf(pos, sizeof pos, "\0337\033[%d;%dH", six[i].y + 1, six[i].x + 1);
        if (write(1, pos, (size_t)n) < 0 || write(1, six[i].buf, six[i].len) < 0 || write(1, "\0338", 2) < 0)
            break;
        six[i].sent = 1;
        six[i].queued = 0;
    }
    for (int i = nsix; i < NSIXEL; i++)
        six[i].sent = 0;
    nsix = 0;
    force = 0;
}

void crt_drop_sixel(void)
{
    nsix = 0;
    force = 1;
}
