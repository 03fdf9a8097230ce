/* encode.h - a framebuffer (render.h) as sixel, as kitty or iTerm2 images,
 * as text graphics, or as PNG.
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
 * Terminals that scale pictures (kitty, iTerm2): PNG payloads, below.
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
/* The same with at most `greys` evenly spaced grey levels (0 = as many as
 * fit): the size of a noisy CT slice's sixel grows with the greys in each
 * band of six rows, so 32 greys send about half the bytes of 101. */
int pm_sixel_encode_greys(const pm_fb *fb, int registers, int greys, pm_buf *out);
/* The same with only the pixels where mask (w*h bytes) is not 0: the
 * others are transparent and the terminal keeps what it showed there. A
 * small patch over a picture sent before (a moved cursor) costs a few
 * hundred bytes. With greys > 0 the grey levels are the same evenly spaced
 * ones whatever the pixels, so a patch matches its picture. */
int pm_sixel_encode_mask(const pm_fb *fb, const uint8_t *mask, int registers, int greys, pm_buf *out);

typedef enum pm_text_mode {
    PM_TEXT_TRUECOLOR,   /* half blocks, 24-bit SGR */
    PM_TEXT_256,         /* half blocks, xterm 256-colour SGR */
    PM_TEXT_ASCII        /* " .:-=+*#%@" by luminance, no escapes */
} pm_text_mode;

/* Appends fb as text lines ending in "\n" (escape modes reset attributes
 * at each line end). PM_EMEMORY. */
int pm_text_encode(const pm_fb *fb, pm_text_mode mode, pm_buf *out);

/* Luminance 0..255 of an RGB pixel (Rec. 601 weights): the one measure of
 * brightness every text picture uses. */
int pm_luminance(const uint8_t *rgb);
/* The ASCII character for a luminance on the ramp " .:-=+*#%@". */
char pm_ascii_for(int luminance);

/* The xterm 256-colour index nearest to an RGB colour (cube or grey ramp). */
int pm_text_xterm256(uint8_t r, uint8_t g, uint8_t b);

/* Writes fb as an 8-bit RGB PNG to path through a temporary name.
 * PM_EWRITE with a reason naming the path. */
int pm_png_write(const char *path, const pm_fb *fb);
/* Reads a PNG (any bit depth and colour type, alpha dropped) into a new
 * framebuffer. PM_ENODATA / PM_ECORRUPT with a reason naming the file. */
int pm_png_read(const char *path, pm_fb **out);

/* The same PNG appended to a memory buffer. PM_EMEMORY. */
int pm_png_encode(const pm_fb *fb, pm_buf *out);

/* Terminals that scale pictures themselves (termimg.c). The picture is sent
 * at whatever resolution fb has and stretched over cols x rows cells, so
 * the caller keeps fb's shape that of the cells; cols or rows 0: fb's own
 * pixel size, the cursor moving below the picture.
 *
 * kitty graphics protocol: fb as a PNG with image id `id` (placement 1),
 * shown at the cursor, the cursor left where it was, no reply asked. */
int pm_kitty_image(const pm_fb *fb, int id, int cols, int rows, pm_buf *out);
/* One kitty command carrying data: `keys` ("a=t,f=32,s=9,v=9,i=2") on the
 * first chunk, base64 payload in chunks with m=1 on all but the last. */
int pm_kitty_chunks(pm_buf *out, const char *keys, const void *data, size_t n);
/* iTerm2 inline image (OSC 1337 File=inline=1) of fb as a PNG. */
int pm_iterm_image(const pm_fb *fb, int cols, int rows, pm_buf *out);
/* Appends the base64 text of n bytes. PM_EMEMORY. */
int pm_base64_add(pm_buf *out, const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif
