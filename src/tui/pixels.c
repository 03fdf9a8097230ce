/* pixels.c - pictures the terminal draws from pixels: sixel, the kitty
 * graphics protocol and iTerm2 inline images.
 *
 * None of them lives in curses' buffer: a picture is encoded into memory
 * when drawn and written straight to the terminal after curses' refresh,
 * at its cell box, over blank cells curses never paints. An unchanged
 * picture (same pixels, place and grey budget) is not sent again, since
 * over SSH a slice is most of the bytes.
 *
 * The cursor crosshair is not part of the picture where the protocol lets
 * it be drawn apart, so moving it costs bytes for the crosshair only:
 *   sixel  a patch with a transparent background (P2=1) holding the old
 *          crosshair's pixels as they were and the new crosshair; cell
 *          aligned, a few hundred bytes;
 *   kitty  a small crosshair image transmitted once and placed over the
 *          picture (z-index 1) at a pixel offset; a move is one placement;
 *   iTerm2 no placement: the crosshair is painted into the picture, which
 *          is sent again.
 * kitty and iTerm2 pictures are scaled by the terminal over the box, so
 * the caller sends them at the data's resolution (crt_scales()).
 */
#include "crt.h"
#include "pulmo/core.h"
#include "pulmo/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPIX 4
static struct pix {
    pm_buf enc;           /* the encoded picture */
    pm_fb shown;          /* its pixels (sixel: to restore under a cursor) */
    int y, x, cols, rows; /* cell box it covers */
    uint64_t hash;        /* of the picture last sent in this slot */
    int sent, queued;
    int cx, cy;           /* wanted cursor, picture pixels; -1 = none */
    int sent_cx, sent_cy; /* cursor on screen */
    int cross_sent;       /* kitty: the crosshair image was transmitted */
} pix[NPIX];
static int npix;          /* slots used by the frame being drawn */
static size_t flush_bytes; /* the last frame's pictures: bytes and seconds */
static double flush_secs;
static int force = 1;     /* resend everything (a dialog or resize erased it) */

int crt_pixels(void)
{
    return crt.gfx == GFX_SIXEL || crt.gfx == GFX_KITTY || crt.gfx == GFX_ITERM;
}

int crt_scales(void)
{
    return crt.gfx == GFX_KITTY || crt.gfx == GFX_ITERM;
}

/* FNV-1a of the pixels, the place and what else changes the bytes. */
static uint64_t fb_hash(const pm_fb *fb, int y, int x, int extra)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(y * 65536 + x) ^ ((uint64_t)fb->w << 32) ^ (uint64_t)fb->h;
    h = (h ^ (uint64_t)extra) * 1099511628211ull;
    size_t n = (size_t)fb->w * fb->h * 3;
    for (size_t i = 0; i < n; i++)
        h = (h ^ fb->rgb[i]) * 1099511628211ull;
    return h;
}

/* Arm length of the crosshair for a picture w pixels wide. */
static int cross_arm(int w)
{
    return w / 60 + 4;
}

/* Calls fn for each pixel of a crosshair centred on (cx, cy) (a gap of one
 * pixel around the centre keeps the probed voxel visible). */
static void cross_each(int cx, int cy, int r, void (*fn)(void *, int, int), void *ctx)
{
    for (int d = -r; d <= r; d++) {
        if (d > -2 && d < 2)
            continue;
        fn(ctx, cx + d, cy);
        fn(ctx, cx, cy + d);
    }
}

static const uint8_t cross_rgb[3] = {255, 220, 0};

static void paint_px(void *ctx, int x, int y)
{
    pm_fb *fb = ctx;
    if (x >= 0 && y >= 0 && x < fb->w && y < fb->h)
        memcpy(fb->rgb + 3 * ((size_t)y * fb->w + x), cross_rgb, 3);
}

static int keep_pixels(struct pix *s, const pm_fb *fb)
{
    size_t n = (size_t)fb->w * fb->h * 3;
    if (s->shown.w * s->shown.h != fb->w * fb->h) {
        uint8_t *p = realloc(s->shown.rgb, n + 3);
        if (!p)
            return -1;
        s->shown.rgb = p;
    }
    s->shown.w = fb->w, s->shown.h = fb->h;
    memcpy(s->shown.rgb, fb->rgb, n);
    return 0;
}

void crt_draw_fb_cursor(const pm_fb *fb, int y, int x, int cols, int rows, int px, int py)
{
    if (!crt_pixels()) {
        crt_draw_cells(fb, y, x, cols, rows);
        return;
    }
    if (npix == NPIX || cols <= 0 || rows <= 0)
        return;
    struct pix *s = &pix[npix];
    /* Blank cells under the picture, so curses never paints over it. */
    attrset(A_NORMAL);
    for (int r = 0; r < rows; r++) {
        move(y + r, x);
        hline(' ', cols);
    }
    if (crt.gfx == GFX_SIXEL) {
        /* Smaller than the box when the terminal's limit says so: centred. */
        int dy = (rows - (fb->h + crt.cell_h - 1) / crt.cell_h) / 2;
        int dx = (cols - (fb->w + crt.cell_w - 1) / crt.cell_w) / 2;
        y += dy > 0 ? dy : 0;
        x += dx > 0 ? dx : 0;
        cols = (fb->w + crt.cell_w - 1) / crt.cell_w;
        rows = (fb->h + crt.cell_h - 1) / crt.cell_h;
    }
    int greys = crt.coarse ? 8 : crt.greys;
    const pm_fb *enc = fb;
    pm_fb painted = {0};
    if (crt.gfx == GFX_ITERM && px >= 0) {
        painted.w = fb->w, painted.h = fb->h;
        painted.rgb = malloc((size_t)fb->w * fb->h * 3 + 3);
        if (painted.rgb) {
            memcpy(painted.rgb, fb->rgb, (size_t)fb->w * fb->h * 3);
            cross_each(px, py, cross_arm(fb->w), paint_px, &painted);
            enc = &painted;
        }
        px = py = -1;
    }
    s->cx = px, s->cy = py;
    uint64_t h = fb_hash(enc, y, x, crt.gfx == GFX_SIXEL ? greys : cols * 1000 + rows);
    npix++;
    if (!force && s->sent && s->hash == h) {
        s->queued = 0;
        free(painted.rgb);
        return;
    }
    s->hash = h;
    s->y = y, s->x = x, s->cols = cols, s->rows = rows;
    s->enc.len = 0;
    int rc;
    if (crt.gfx == GFX_SIXEL) {
        rc = pm_sixel_encode_greys(enc, crt.registers, greys, &s->enc);
        if (rc == PM_OK && keep_pixels(s, enc) != 0)
            rc = PM_EMEMORY;
    } else if (crt.gfx == GFX_KITTY) {
        rc = pm_kitty_image(enc, 1 + (int)(s - pix), cols, rows, &s->enc);
        s->shown.w = enc->w, s->shown.h = enc->h; /* the crosshair's scale */
    } else {
        rc = pm_iterm_image(enc, cols, rows, &s->enc);
    }
    free(painted.rgb);
    s->queued = rc == PM_OK;
    s->sent = 0;
}

void crt_draw_fb(const pm_fb *fb, int y, int x, int cols, int rows)
{
    crt_draw_fb_cursor(fb, y, x, cols, rows, -1, -1);
}

static int put(const void *p, size_t n)
{
    flush_bytes += n;
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(1, c, n);
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int put_at(int row, int col, const void *p, size_t n)
{
    char pos[32];
    int k = snprintf(pos, sizeof pos, "\0337\033[%d;%dH", row + 1, col + 1);
    return put(pos, (size_t)k) || put(p, n) || put("\0338", 2) ? -1 : 0;
}

/* ---- sixel cursor patch ------------------------------------------------ */

typedef struct patch {
    pm_fb fb;             /* the patch's pixels */
    uint8_t *mask;
    int x0, y0;           /* its origin in picture pixels */
} patch;

static void mask_px(void *ctx, int x, int y)
{
    patch *p = ctx;
    x -= p->x0, y -= p->y0;
    if (x >= 0 && y >= 0 && x < p->fb.w && y < p->fb.h)
        p->mask[(size_t)y * p->fb.w + x] = 1;
}

static void paint_patch(void *ctx, int x, int y)
{
    patch *p = ctx;
    paint_px(&p->fb, x - p->x0, y - p->y0);
}

/* Old crosshair restored from the picture's pixels, new one drawn: one
 * transparent sixel over the cells both touch. */
static void sixel_cursor(struct pix *s)
{
    int r = cross_arm(s->shown.w);
    int lx = s->cx, ly = s->cy, hx = s->cx, hy = s->cy;
    if (s->sent_cx >= 0) {
        if (s->cx < 0)
            lx = hx = s->sent_cx, ly = hy = s->sent_cy;
        lx = lx < s->sent_cx ? lx : s->sent_cx;
        hx = hx > s->sent_cx ? hx : s->sent_cx;
        ly = ly < s->sent_cy ? ly : s->sent_cy;
        hy = hy > s->sent_cy ? hy : s->sent_cy;
    }
    lx -= r, ly -= r, hx += r, hy += r;
    lx = lx < 0 ? 0 : lx - lx % crt.cell_w;
    ly = ly < 0 ? 0 : ly - ly % crt.cell_h;
    hx = hx >= s->shown.w ? s->shown.w - 1 : hx;
    hy = hy >= s->shown.h ? s->shown.h - 1 : hy;
    if (hx < lx || hy < ly)
        return;
    patch p = {{hx - lx + 1, hy - ly + 1, NULL, NULL}, NULL, lx, ly};
    p.fb.rgb = malloc((size_t)p.fb.w * p.fb.h * 3 + 3);
    p.mask = calloc((size_t)p.fb.w * p.fb.h, 1);
    if (p.fb.rgb && p.mask) {
        for (int y = 0; y < p.fb.h; y++)
            memcpy(p.fb.rgb + (size_t)y * p.fb.w * 3, s->shown.rgb + 3 * ((size_t)(ly + y) * s->shown.w + lx),
                   (size_t)p.fb.w * 3);
        if (s->sent_cx >= 0)
            cross_each(s->sent_cx, s->sent_cy, r, mask_px, &p);
        if (s->cx >= 0) {
            cross_each(s->cx, s->cy, r, mask_px, &p);
            cross_each(s->cx, s->cy, r, paint_patch, &p);
        }
        pm_buf b = {0};
        if (pm_sixel_encode_mask(&p.fb, p.mask, crt.registers, crt.coarse ? 8 : crt.greys, &b) == PM_OK &&
            put_at(s->y + ly / crt.cell_h, s->x + lx / crt.cell_w, b.data, b.len) == 0) {
            s->sent_cx = s->cx, s->sent_cy = s->cy;
        }
        pm_buf_free(&b);
    }
    free(p.fb.rgb);
    free(p.mask);
}

/* ---- kitty cursor: a crosshair image placed over the picture ----------- */

static void kitty_cursor(struct pix *s, int i)
{
    char cmd[160];
    int id = 101 + i;
    if (s->cx < 0) {
        int k = snprintf(cmd, sizeof cmd, "\033_Ga=d,d=i,i=%d,q=2\033\\", id);
        put(cmd, (size_t)k);
        s->sent_cx = -1;
        return;
    }
    /* Screen pixels per picture pixel. */
    double kx = (double)s->cols * crt.cell_w / s->shown.w, ky = (double)s->rows * crt.cell_h / s->shown.h;
    int r = cross_arm(s->cols * crt.cell_w), n = 2 * r + 1;
    if (!s->cross_sent) {
        uint8_t *rgba = calloc((size_t)n * n, 4);
        if (!rgba)
            return;
        for (int d = -r; d <= r; d++) {
            if (d > -2 && d < 2)
                continue;
            int pts[2][2] = {{r + d, r}, {r, r + d}};
            for (int q = 0; q < 2; q++) {
                uint8_t *p = rgba + 4 * ((size_t)pts[q][1] * n + pts[q][0]);
                memcpy(p, cross_rgb, 3);
                p[3] = 255;
            }
        }
        pm_buf b = {0};
        char keys[96];
        snprintf(keys, sizeof keys, "a=t,f=32,s=%d,v=%d,i=%d,q=2", n, n, id);
        if (pm_kitty_chunks(&b, keys, rgba, (size_t)n * n * 4) == PM_OK && put(b.data, b.len) == 0)
            s->cross_sent = 1;
        pm_buf_free(&b);
        free(rgba);
    }
    int sx = (int)((s->cx + 0.5) * kx) - r, sy = (int)((s->cy + 0.5) * ky) - r;
    if (sx < 0 || sy < 0)
        return;
    int k = snprintf(cmd, sizeof cmd, "\033_Ga=p,i=%d,p=1,X=%d,Y=%d,z=1,C=1,q=2\033\\", id, sx % crt.cell_w,
                     sy % crt.cell_h);
    if (put_at(s->y + sy / crt.cell_h, s->x + sx / crt.cell_w, cmd, (size_t)k) == 0)
        s->sent_cx = s->cx, s->sent_cy = s->cy;
}

void crt_flush_sixel(void)
{
    if (!crt_pixels())
        return;
    fflush(stdout);
    double t0 = pm_now();
    flush_bytes = 0;
    for (int i = 0; i < npix; i++) {
        struct pix *s = &pix[i];
        if (s->queued) {
            if (put_at(s->y, s->x, s->enc.data, s->enc.len) != 0)
                break;
            s->sent = 1;
            s->queued = 0;
            if (crt.gfx == GFX_SIXEL)
                s->sent_cx = -1; /* the new picture has no crosshair */
            else if (crt.gfx == GFX_KITTY)
                s->sent_cx = -2; /* place again: the picture moved or changed */
        }
        if (crt.gfx == GFX_KITTY && s->sent && s->hash && (s->cx != s->sent_cx || s->cy != s->sent_cy))
            kitty_cursor(s, i);
        else if (crt.gfx == GFX_SIXEL && s->sent && (s->cx != s->sent_cx || s->cy != s->sent_cy))
            sixel_cursor(s);
    }
    for (int i = npix; i < NPIX; i++) {
        if (pix[i].sent && crt.gfx == GFX_KITTY) {
            char cmd[64];
            int k = snprintf(cmd, sizeof cmd, "\033_Ga=d,d=i,i=%d,q=2\033\\\033_Ga=d,d=i,i=%d,q=2\033\\", i + 1,
                             101 + i);
            put(cmd, (size_t)k);
        }
        pix[i].sent = 0;
    }
    npix = 0;
    force = 0;
    flush_secs = pm_now() - t0;
}

double crt_frame_interval(double least)
{
    /* A write blocks while the link drains the pty: twice the last frame's
     * writing time leaves the link half free for keys and replies; 512
     * KB/s bounds it when the pty buffer hid the link. */
    double t = 2 * flush_secs, b = (double)flush_bytes / (512 * 1024);
    t = t > b ? t : b;
    return t > least ? t : least;
}

void crt_drop_sixel(void)
{
    /* kitty draws pictures above the text: take them off before a dialog. */
    if (crt.gfx == GFX_KITTY) {
        fflush(stdout);
        static const char del[] = "\033_Ga=d,d=a,q=2\033\\";
        put(del, sizeof del - 1);
    }
    for (int i = 0; i < NPIX; i++)
        pix[i].sent_cx = pix[i].sent_cy = -1;
    npix = 0;
    force = 1;
}
