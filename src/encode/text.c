/* text.c - framebuffers as half-block (U+2580) or ASCII text. */
#include "pulmo/encode.h"
#include "pulmo/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t pm__cube[6] = {0, 95, 135, 175, 215, 255};

static int pm__cube_level(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(v - pm__cube[i]) < abs(v - pm__cube[best]))
            best = i;
    return best;
}

static int pm__dist2(int r, int g, int b, int r2, int g2, int b2)
{
    return (r - r2) * (r - r2) + (g - g2) * (g - g2) + (b - b2) * (b - b2);
}

int pm_text_xterm256(uint8_t r, uint8_t g, uint8_t b)
{
    int cr = pm__cube_level(r), cg = pm__cube_level(g), cb = pm__cube_level(b);
    int cube = 16 + 36 * cr + 6 * cg + cb;
    int dc = pm__dist2(r, g, b, pm__cube[cr], pm__cube[cg], pm__cube[cb]);
    /* The grey ramp 232..255 is 8, 18, ..., 238. */
    int mean = (r + g + b) / 3;
    int gi = mean < 8 ? 0 : mean > 238 ? 23 : (mean - 8 + 5) / 10;
    int gv = 8 + 10 * gi;
    int dg = pm__dist2(r, g, b, gv, gv, gv);
    return dg < dc ? 232 + gi : cube;
}

/* The colour as the escape will carry it: the 256-colour index, or the
 * packed RGB; equal keys need no new escape. */
static int pm__key(const uint8_t *c, pm_text_mode mode)
{
    if (mode == PM_TEXT_256)
        return pm_text_xterm256(c[0], c[1], c[2]);
    return c[0] << 16 | c[1] << 8 | c[2];
}

static int pm__sgr(pm_buf *out, int fg, int key, pm_text_mode mode)
{
    char s[48];
    int n;
    if (mode == PM_TEXT_TRUECOLOR)
        n = snprintf(s, sizeof s, "\033[%d;2;%d;%d;%dm", fg ? 38 : 48, key >> 16, (key >> 8) & 255,
                     key & 255);
    else
        n = snprintf(s, sizeof s, "\033[%d;5;%dm", fg ? 38 : 48, key);
    return pm_buf_add(out, s, (size_t)n);
}

int pm_luminance(const uint8_t *p)
{
    return (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;
}

char pm_ascii_for(int luminance)
{
    static const char ramp[] = " .:-=+*#%@";
    int i = luminance * 10 / 256;
    return ramp[i < 0 ? 0 : i > 9 ? 9 : i];
}

static int pm__ascii(const pm_fb *fb, pm_buf *out)
{
    for (int y = 0; y < fb->h; y++) {
        for (int x = 0; x < fb->w; x++) {
            char c = pm_ascii_for(pm_luminance(fb->rgb + 3 * ((size_t)y * fb->w + x)));
            if (pm_buf_add(out, &c, 1) != PM_OK)
                return PM_EMEMORY;
        }
        if (pm_buf_add(out, "\n", 1) != PM_OK)
            return PM_EMEMORY;
    }
    return PM_OK;
}

int pm_text_encode(const pm_fb *fb, pm_text_mode mode, pm_buf *out)
{
    if (mode == PM_TEXT_ASCII)
        return pm__ascii(fb, out);
    static const uint8_t black[3] = {0, 0, 0};
    static const char upper_half[] = "\xe2\x96\x80";
    for (int y = 0; y < fb->h; y += 2) {
        int lastf = -1, lastb = -1;
        for (int x = 0; x < fb->w; x++) {
            const uint8_t *t = fb->rgb + 3 * ((size_t)y * fb->w + x);
            const uint8_t *b = y + 1 < fb->h ? t + 3 * (size_t)fb->w : black;
            /* Only colours that change are re-sent: a flat area costs three
             * bytes per cell. */
            int kf = pm__key(t, mode), kb = pm__key(b, mode);
            if (kf != lastf && pm__sgr(out, 1, kf, mode) != PM_OK)
                return PM_EMEMORY;
            if (kb != lastb && pm__sgr(out, 0, kb, mode) != PM_OK)
                return PM_EMEMORY;
            lastf = kf;
            lastb = kb;
            if (pm_buf_add(out, upper_half, 3) != PM_OK)
                return PM_EMEMORY;
        }
        if (pm_buf_add(out, "\033[0m\n", 5) != PM_OK)
            return PM_EMEMORY;
    }
    return PM_OK;
}
