/* sixel.c - sixel images with pulmo's own palette: every percent grey a
 * sixel register can hold, plus the image's other colours, handed to
 * libsixel as palette indices (see encode.h for why). */
#include "pulmo/encode.h"
#include "pulmo/core.h"

#include <sixel/sixel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PM__BINS (1 << 18) /* 6 bits per channel */

int pm_buf_add(pm_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return pm_fail(PM_EMEMORY, "out of memory for an encoded image");
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PM_OK;
}

void pm_buf_free(pm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int pm__clamp_registers(int registers)
{
    return registers <= 0 || registers > 256 ? 256 : registers < 2 ? 2 : registers;
}

/* The 8-bit value a terminal shows for a register set to p percent. */
static uint8_t pm__percent_value(int p)
{
    return (uint8_t)((p * 255 + 50) / 100);
}

static uint32_t pm__bin(const uint8_t *p)
{
    return ((uint32_t)(p[0] >> 2) << 12) | ((uint32_t)(p[1] >> 2) << 6) | (uint32_t)(p[2] >> 2);
}

static uint8_t pm__bin_channel(uint32_t bin, int ch)
{
    uint32_t c = (bin >> (12 - 6 * ch)) & 63;
    return (uint8_t)(c << 2 | c >> 4);
}

typedef struct pm__box {
    int first, n;       /* range in the bin list */
    uint64_t weight;
} pm__box;

typedef struct pm__entry {
    uint32_t bin, count;
} pm__entry;

/* qsort has no context argument; thread-local keeps encoders reentrant. */
static _Thread_local int pm__sort_ch;
static int pm__cmp_entry(const void *a, const void *b)
{
    int ca = pm__bin_channel(((const pm__entry *)a)->bin, pm__sort_ch);
    int cb = pm__bin_channel(((const pm__entry *)b)->bin, pm__sort_ch);
    return ca - cb;
}

/* Median cut of the used colour bins into at most `want` boxes; writes the
 * box's weighted mean to pal and the box number of each bin to map.
 * Returns the number of boxes. */
static int pm__median_cut(pm__entry *e, int n, int want, uint8_t *pal, uint8_t *map, int base)
{
    pm__box box[256];
    int nb = 1;
    box[0] = (pm__box){0, n, 0};
    while (nb < want) {
        int best = -1, bestch = 0, bestrange = 0;
        for (int i = 0; i < nb; i++) {
            if (box[i].n < 2)
                continue;
            for (int ch = 0; ch < 3; ch++) {
                int lo = 255, hi = 0;
                for (int k = box[i].first; k < box[i].first + box[i].n; k++) {
                    int c = pm__bin_channel(e[k].bin, ch);
                    if (c < lo) lo = c;
                    if (c > hi) hi = c;
                }
                if (hi - lo > bestrange) {
                    bestrange = hi - lo;
                    best = i;
                    bestch = ch;
                }
            }
        }
        if (best < 0)
            break;
        pm__box *b = &box[best];
        pm__sort_ch = bestch;
        qsort(e + b->first, (size_t)b->n, sizeof *e, pm__cmp_entry);
        uint64_t total = 0, acc = 0;
        for (int k = b->first; k < b->first + b->n; k++)
            total += e[k].count;
        int cut = b->first + 1;
        for (int k = b->first; k < b->first + b->n - 1; k++) {
            acc += e[k].count;
            cut = k + 1;
            if (acc * 2 >= total)
                break;
        }
        box[nb] = (pm__box){cut, b->first + b->n - cut, 0};
        b->n = cut - b->first;
        nb++;
    }
    for (int i = 0; i < nb; i++) {
        uint64_t s[3] = {0, 0, 0}, w = 0;
        for (int k = box[i].first; k < box[i].first + box[i].n; k++) {
            for (int ch = 0; ch < 3; ch++)
                s[ch] += (uint64_t)pm__bin_channel(e[k].bin, ch) * e[k].count;
            w += e[k].count;
            map[e[k].bin] = (uint8_t)(base + i);
        }
        for (int ch = 0; ch < 3; ch++)
            pal[3 * (base + i) + ch] = (uint8_t)(w ? (s[ch] + w / 2) / w : 0);
    }
    return nb;
}

typedef struct pm__sink {
    pm_buf *b;
    int failed;
} pm__sink;

static int pm__sixel_write(char *data, int size, void *priv)
{
    pm__sink *s = priv;
    if (pm_buf_add(s->b, data, (size_t)size) != PM_OK)
        s->failed = 1;
    return 0;
}

/* Builds the palette and the index image. Returns the palette size. */
static int pm__quantize(const pm_fb *fb, int registers, int max_greys, uint8_t *pal, uint8_t *idx,
                        uint32_t *hist, uint8_t *map)
{
    size_t n = (size_t)fb->w * (size_t)fb->h;
    int grey_used[101] = {0};
    int ncol = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = fb->rgb + 3 * i;
        if (p[0] == p[1] && p[1] == p[2]) {
            grey_used[(p[0] * 100 + 127) / 255] = 1;
        } else {
            uint32_t b = pm__bin(p);
            ncol += hist[b] == 0;
            hist[b]++;
        }
    }
    int ngrey = 0;
    for (int p = 0; p <= 100; p++)
        ngrey += grey_used[p];
    /* Split the registers: greys keep at least half when both compete. */
    /* A grey budget fixes the levels whatever the pixels, so a patch over a
     * picture (pm_sixel_encode_mask) maps its greys the same way. */
    int gb = max_greys > 0 && ngrey > 0 ? max_greys : ngrey, cb = ncol;
    if (gb + cb > registers) {
        if (gb > registers / 2 && cb > registers - registers / 2) {
            gb = registers / 2;
            cb = registers - gb;
        } else if (gb > registers / 2) {
            gb = registers - cb;
        } else {
            cb = registers - gb;
        }
    }
    if (max_greys > 0 && gb > max_greys) {
        cb += gb - max_greys;
        gb = max_greys;
        if (cb > ncol)
            cb = ncol;
    }
    /* Greys: each used percent level exactly when they fit, else gb evenly
     * spaced levels; the 256-entry table maps a grey byte to its index. */
    uint8_t glut[256];
    int np = 0;
    if (gb > 0) {
        int level_of[101];
        if (gb >= ngrey && max_greys <= 0) {
            for (int p = 0; p <= 100; p++)
                if (grey_used[p]) {
                    uint8_t v = pm__percent_value(p);
                    pal[3 * np] = pal[3 * np + 1] = pal[3 * np + 2] = v;
                    level_of[p] = np++;
                }
            for (int p = 0, last = -1; p <= 100; p++) {
                if (grey_used[p])
                    last = level_of[p];
                level_of[p] = last;
            }
        } else {
            for (int i = 0; i < gb; i++) {
                int p = gb > 1 ? (i * 100 + (gb - 1) / 2) / (gb - 1) : 50;
                uint8_t v = pm__percent_value(p);
                pal[3 * np] = pal[3 * np + 1] = pal[3 * np + 2] = v;
                np++;
            }
            for (int p = 0; p <= 100; p++)
                level_of[p] = gb > 1 ? (p * (gb - 1) + 50) / 100 : 0;
        }
        for (int g = 0; g < 256; g++) {
            int l = level_of[(g * 100 + 127) / 255];
            glut[g] = (uint8_t)(l < 0 ? 0 : l);
        }
    } else {
        memset(glut, 0, sizeof glut);
    }
    if (ncol > 0 && cb > 0) {
        pm__entry *e = malloc((size_t)ncol * sizeof *e);
        if (!e)
            return -1;
        int k = 0;
        for (uint32_t b = 0; b < PM__BINS; b++)
            if (hist[b])
                e[k++] = (pm__entry){b, hist[b]};
        np += pm__median_cut(e, ncol, cb, pal, map, np);
        free(e);
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = fb->rgb + 3 * i;
        if (p[0] == p[1] && p[1] == p[2])
            idx[i] = glut[p[0]];
        else
            idx[i] = cb > 0 ? map[pm__bin(p)] : glut[(p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8];
    }
    return np > 0 ? np : 1;
}

int pm_sixel_encode(const pm_fb *fb, int registers, pm_buf *out)
{
    return pm_sixel_encode_greys(fb, registers, 0, out);
}

int pm_sixel_encode_greys(const pm_fb *fb, int registers, int greys, pm_buf *out)
{
    registers = pm__clamp_registers(registers);
    size_t n = (size_t)fb->w * (size_t)fb->h;
    uint8_t *idx = malloc(n);
    uint32_t *hist = calloc(PM__BINS, sizeof *hist);
    uint8_t *map = malloc(PM__BINS);
    uint8_t pal[256 * 3] = {0};
    if (!idx || !hist || !map) {
        free(idx);
        free(hist);
        free(map);
        return pm_fail(PM_EMEMORY, "out of memory encoding a %dx%d sixel image", fb->w, fb->h);
    }
    int np = pm__quantize(fb, registers, greys < 2 ? 0 : greys, pal, idx, hist, map);
    free(hist);
    free(map);
    if (np < 0) {
        free(idx);
        return pm_fail(PM_EMEMORY, "out of memory encoding a %dx%d sixel image", fb->w, fb->h);
    }
    sixel_dither_t *d = NULL;
    sixel_output_t *o = NULL;
    pm__sink sink = {out, 0};
    size_t len0 = out->len;
    int rc = PM_OK;
    if (SIXEL_FAILED(sixel_dither_new(&d, np, NULL))
        || SIXEL_FAILED(sixel_output_new(&o, pm__sixel_write, &sink, NULL))) {
        rc = pm_fail(PM_EMEMORY, "libsixel could not start an encoder");
        goto done;
    }
    sixel_dither_set_palette(d, pal);
    sixel_dither_set_pixelformat(d, SIXEL_PIXELFORMAT_PAL8);
    sixel_output_set_palette_type(o, SIXEL_PALETTETYPE_RGB);
    /* The size policy merges colour runs across a band: 10-20% fewer bytes
     * for a CT slice, at no cost in time. */
    sixel_output_set_encode_policy(o, SIXEL_ENCODEPOLICY_SIZE);
    if (SIXEL_FAILED(sixel_encode(idx, fb->w, fb->h, 8, d, o)))
        rc = pm_fail(PM_EWRITE, "libsixel failed to encode a %dx%d image", fb->w, fb->h);
    else if (sink.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory for a sixel image");

    if (rc != PM_OK)
        out->len = len0;
done:
    if (o)
        sixel_output_unref(o);
    if (d)
        sixel_dither_unref(d);
    free(idx);
    return rc;
}

/* The percent a sixel register gets for one channel of a pixel: greys on
 * the budget's evenly spaced levels (as pm__quantize places them), other
 * colours as they are. */
static void pm__mask_colour(const uint8_t *p, int greys, int pc[3])
{
    if (p[0] == p[1] && p[1] == p[2] && greys > 1) {
        int level = (((p[0] * 100 + 127) / 255) * (greys - 1) + 50) / 100;
        pc[0] = pc[1] = pc[2] = (level * 100 + (greys - 1) / 2) / (greys - 1);
        return;
    }
    for (int c = 0; c < 3; c++)
        pc[c] = (p[c] * 100 + 127) / 255;
}

/* One run of n sixel characters ch, compressed as !n when it pays. */
static int pm__sixel_run(pm_buf *out, int n, char ch)
{
    char t[16];
    int k = 0;
    if (n > 3)
        k = snprintf(t, sizeof t, "!%d%c", n, ch);
    else
        while (k < n)
            t[k++] = ch;
    return pm_buf_add(out, t, (size_t)k);
}

/* libsixel's key colour shifts the pixels after a skipped run by one
 * column, so sparse patches are written here: one pass per colour and
 * band, each from the band's left edge, P2=1 so unset pixels stay. */
int pm_sixel_encode_mask(const pm_fb *fb, const uint8_t *mask, int registers, int greys, pm_buf *out)
{
    (void)registers;
    int w = fb->w, h = fb->h;
    size_t len0 = out->len;
    int pal[256][3], np = 0;
    int *ci = malloc((size_t)w * h * sizeof *ci);
    if (!ci)
        return pm_fail(PM_EMEMORY, "out of memory encoding a %dx%d sixel patch", w, h);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        ci[i] = -1;
        if (!mask[i])
            continue;
        int pc[3], k;
        pm__mask_colour(fb->rgb + 3 * i, greys, pc);
        for (k = 0; k < np && memcmp(pal[k], pc, sizeof pc); k++)
            ;
        if (k == np && np < 256)
            memcpy(pal[np++], pc, sizeof pc);
        ci[i] = k < np ? k : np - 1;
    }
    char t[64];
    int rc = PM_OK, k = snprintf(t, sizeof t, "\033P0;1q\"1;1;%d;%d", w, h);
    rc |= pm_buf_add(out, t, (size_t)k);
    for (int c = 0; c < np && rc == PM_OK; c++) {
        k = snprintf(t, sizeof t, "#%d;2;%d;%d;%d", c, pal[c][0], pal[c][1], pal[c][2]);
        rc |= pm_buf_add(out, t, (size_t)k);
    }
    char *line = malloc((size_t)w + 1);
    if (!line)
        rc = PM_EMEMORY;
    for (int y0 = 0; y0 < h && rc == PM_OK; y0 += 6) {
        int first = 1;
        for (int c = 0; c < np && rc == PM_OK; c++) {
            int last = -1;
            for (int x = 0; x < w; x++) {
                int bits = 0;
                for (int b = 0; b < 6 && y0 + b < h; b++)
                    bits |= (ci[(size_t)(y0 + b) * w + x] == c) << b;
                line[x] = (char)(63 + bits);
                if (bits)
                    last = x;
            }
            if (last < 0)
                continue;
            k = snprintf(t, sizeof t, "%s#%d", first ? "" : "$", c);
            rc |= pm_buf_add(out, t, (size_t)k);
            first = 0;
            for (int x = 0; x <= last;) {
                int n = 1;
                while (x + n <= last && line[x + n] == line[x])
                    n++;
                rc |= pm__sixel_run(out, n, line[x]);
                x += n;
            }
        }
        rc |= pm_buf_add(out, "-", 1);
    }
    free(line);
    rc |= pm_buf_add(out, "\033\\", 2);
    free(ci);
    if (rc != PM_OK) {
        out->len = len0;
        return pm_fail(PM_EMEMORY, "out of memory for a sixel patch");
    }
    return PM_OK;
}
