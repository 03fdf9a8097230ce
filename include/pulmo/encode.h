/* encode.h - a framebuffer (render.h) as sixel, as text graphics, or as PNG.
 *
 * The encoders write into a growing memory buffer (or, for PNG, a file
 * through pm_outfile); they never talk to a terminal: which encoder to use
 * is the front end's choice (see src/term/term.h).
 *
 * Sixel. libsixel's own quantizer keeps at most 32 grey levels, too few
 * for a CT window, so pulmo builds the palette itself and hands libsixel
 * indices (SIXEL_PIXELFORMAT_PAL8). Sixel colour registers hold percent
 * values, so at most 101 greys are distinct; pulmo uses exactly those
 * levels (every grey survives the round trip through a terminal unchanged)
 * and gives the remaining registers to the non-grey colours of the image
 * (overlays, meshes): exact when they fit, else a median cut of their
 * 6-bit-per-channel histogram. With fewer registers (a terminal reporting
 * 16, say) greys and colours share what there is.
 *
 *     pm_buf b = {0};
 *     pm_sixel_encode(fb, 256, &b);  fwrite(b.data, 1, b.len, stdout);
 *     pm_buf_free(&b);
 *
 * Text. Half blocks put two pixels in one character cell (U+2580, top pixel
 * as foreground, bottom as background) in 24-bit or 256-colour SGR; ASCII
 * maps luminance to a 10-character ramp, one pixel per cell. The caller
 * sizes the framebuffer to the cells: cols x 2*rows for half blocks, cols x
 * rows for ASCII (cells are about twice as tall as wide, so halve the
 * height of an aspect-correct image for ASCII).
 */
#ifndef PULMO_ENCODE_H
#define PULMO_ENCODE_H

#include "pulmo/render.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_buf {
    char *data;
    size_t len, cap;
} pm_buf;

/* Appends n bytes; PM_EMEMORY (buffer unchanged) when out of memory. */
int pm_buf_add(pm_buf *b, const void *p, size_t n);
void pm_buf_free(pm_buf *b);

/* Appends one sixel image (DCS ... ST) of fb using at most `registers`
 * colour registers (2..256; 0 = 256). PM_EMEMORY, or PM_EWRITE when
 * libsixel fails. */
int pm_sixel_encode(const pm_fb *fb, int registers, pm_buf *out);

/* The number of distinct greys pm_sixel_encode keeps for `registers` when
 * the image is all grey (101 at 256 registers). */
int pm_sixel_grey_levels(int registers);

typedef enum pm_text_mode {
    PM_TEXT_TRUECOLOR,   /* half blocks, 24-bit SGR */
    PM_TEXT_256,         /* half blocks, xterm 256-colour SGR */
    PM_TEXT_ASCII        /* " .:-=+*#%@" by luminance, no escapes */
} pm_text_mode;

/* Appends fb as text lines ending in "\n" (escape modes reset attributes
 * at each line end). PM_EMEMORY. */
int pm_text_encode(const pm_fb *fb, pm_text_mode mode, pm_buf *out);

/* The xterm 256-colour index nearest to an RGB colour (cube or grey ramp). */
int pm_text_xterm256(uint8_t r, uint8_t g, uint8_t b);

/* Writes fb as an 8-bit RGB PNG to path through a temporary name.
 * PM_EWRITE with a reason naming the path. */
int pm_png_write(const char *path, const pm_fb *fb);
/* Reads a PNG (any bit depth and colour type, alpha dropped) into a new
 * framebuffer. PM_ENODATA / PM_ECORRUPT with a reason naming the file. */
int pm_png_read(const char *path, pm_fb **out);

#ifdef __cplusplus
}
#endif

#endif
