/* png.c - PNG through libpng: files (written via a temporary name) and
 * memory (the payload of terminal image protocols). */
#include "pulmo/encode.h"
#include "pulmo/core.h"
#include "pulmo/io.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpng prints its errors and warnings on stderr unless given handlers;
 * the library never prints, so the message is kept for the pm_fail reason. */
static void pm__png_error(png_structp png, png_const_charp msg)
{
    char *keep = png_get_error_ptr(png);
    if (keep) {
        strncpy(keep, msg, 127);
        keep[127] = '\0';
    }
    png_longjmp(png, 1);
}

static void pm__png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* libpng's output callback for pm_png_encode: appends to a pm_buf. */
static void pm__png_to_buf(png_structp png, png_bytep data, size_t n)
{
    if (pm_buf_add(png_get_io_ptr(png), data, n) != PM_OK)
        png_error(png, "out of memory");
}

static void pm__png_flush(png_structp png)
{
    (void)png;
}

/* Writes fb through a libpng writer aimed at a FILE (f) or a buffer (b).
 * Returns 0, or -1 with the reason in why. */
static int pm__png_emit(const pm_fb *fb, FILE *f, pm_buf *b, char *why)
{
    why[0] = '\0';
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, pm__png_error,
                                              pm__png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        strcpy(why, "out of memory starting the PNG writer");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    if (f)
        png_init_io(png, f);
    else
        png_set_write_fn(png, b, pm__png_to_buf, pm__png_flush);
    /* Level 6 is zlib's default; CT slices gain little from 9 and take twice as long. */
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, (png_uint_32)fb->w, (png_uint_32)fb->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < fb->h; y++)
        png_write_row(png, fb->rgb + 3 * (size_t)y * fb->w);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int pm_png_write(const char *path, const pm_fb *fb)
{
    pm_outfile o;
    if (pm_out_open(&o, path) != PM_OK)
        return PM_EWRITE;
    static _Thread_local char why[128];
    if (pm__png_emit(fb, o.f, NULL, why) != 0) {
        pm_out_abort(&o);
        return pm_fail(PM_EWRITE, "%s: PNG write failed: %s", path, why);
    }
    if (pm_out_commit(&o) != PM_OK)
        return PM_EWRITE;
    return PM_OK;
}

int pm_png_encode(const pm_fb *fb, pm_buf *out)
{
    static _Thread_local char why[128];
    size_t len0 = out->len;
    if (pm__png_emit(fb, NULL, out, why) != 0) {
        out->len = len0;
        return pm_fail(PM_EMEMORY, "PNG encoding of a %dx%d picture failed: %s", fb->w, fb->h, why);
    }
    return PM_OK;
}

int pm_png_read(const char *path, pm_fb **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pm_fail(PM_ENODATA, "%s: cannot open", path);
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(f);
        return pm_fail(PM_ECORRUPT, "%s: not a PNG file", path);
    }
    static _Thread_local char why[128];
    why[0] = '\0';
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, why, pm__png_error,
                                             pm__png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    pm_fb *volatile fb = NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return pm_fail(PM_EMEMORY, "%s: out of memory starting the PNG reader", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        pm_fb_free(fb);
        return pm_fail(PM_ECORRUPT, "%s: corrupt PNG: %s", path, why);
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    /* Normalise every PNG flavour to 8-bit RGB. */
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_packing(png);
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_expand_gray_1_2_4_to_8(png);
        png_set_gray_to_rgb(png);
    }
    png_read_update_info(png, info);
    if (w > 16384 || h > 16384 || png_get_rowbytes(png, info) != (size_t)w * 3) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return pm_fail(PM_ECORRUPT, "%s: unsupported PNG layout (%ux%u)", path, w, h);
    }
    fb = pm_fb_new((int)w, (int)h, 0);
    if (!fb) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return PM_EMEMORY;
    }
    for (png_uint_32 y = 0; y < h; y++)
        png_read_row(png, fb->rgb + 3 * (size_t)y * w, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    *out = fb;
    return PM_OK;
}
