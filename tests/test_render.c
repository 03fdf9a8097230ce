/* test_render.c - the framebuffer and the encoders: PNG round trip and
 * corrupt PNGs, sixel through sixel2png on a real lung slice, text graphics
 * of known images, scaling, and the terminal's replies. */
#include "test.h"
#include "pulmo/encode.h"
#include "pulmo/render.h"
#include "pulmo/series.h"

/* The terminal module is front-end code, outside the core library; its
 * reply parsers are pure, so the test builds them in. */
#include "../src/term/term.c"

#include <math.h>

static pm_fb *fb_new(int w, int h, int depth)
{
    pm_fb *fb = pm_fb_new(w, h, depth);
    CHECK(fb, "pm_fb_new %dx%d: %s", w, h, pm_error());
    return fb;
}

static double psnr(const pm_fb *a, const pm_fb *b)
{
    double se = 0;
    size_t n = (size_t)a->w * a->h * 3;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->rgb[i] - b->rgb[i];
        se += d * d;
    }
    if (se == 0)
        return 99;
    return 10 * log10(255.0 * 255.0 / (se / n));
}

static int distinct_greys(const pm_fb *fb)
{
    int seen[256] = {0}, n = 0;
    for (size_t i = 0; i < (size_t)fb->w * fb->h; i++) {
        const uint8_t *p = fb->rgb + 3 * i;
        if (p[0] == p[1] && p[1] == p[2] && !seen[p[0]]) {
            seen[p[0]] = 1;
            n++;
        }
    }
    return n;
}

static pm_volume *lidc;

static pm_volume *lidc_volume(void)
{
    if (!lidc) {
        int rc = pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &lidc, NULL);
        CHECK(rc == PM_OK, "load LIDC-IDRI-0001: %s", pm_error());
    }
    return lidc;
}

TEST(png_written_then_read_back_has_the_same_pixels)
{
    pm_fb *fb = fb_new(97, 61, 0);
    for (int y = 0; y < fb->h; y++)
        for (int x = 0; x < fb->w; x++) {
            uint8_t *p = fb->rgb + 3 * (y * fb->w + x);
            p[0] = (uint8_t)(x * 255 / 96);
            p[1] = (uint8_t)(y * 255 / 60);
            p[2] = (uint8_t)((x * 7 + y * 13) & 255);
        }
    char path[512];
    snprintf(path, sizeof path, "%s/round.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_OK, "write: %s", pm_error());
    pm_fb *back = NULL;
    CHECK(pm_png_read(path, &back) == PM_OK, "read: %s", pm_error());
    CHECK(back->w == fb->w && back->h == fb->h, "size %dx%d", back->w, back->h);
    CHECK(!memcmp(back->rgb, fb->rgb, (size_t)fb->w * fb->h * 3), "pixels differ");
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(truncated_or_foreign_png_is_refused_as_corrupt)
{
    pm_fb *fb = fb_new(64, 64, 0);
    srand(7);
    for (int i = 0; i < 64 * 64 * 3; i++)
        fb->rgb[i] = (uint8_t)rand(); /* noise: the PNG stays far above 2000 bytes */
    char path[512], cut[512], cmd[1200];
    snprintf(path, sizeof path, "%s/whole.png", test_tmpdir());
    snprintf(cut, sizeof cut, "%s/cut.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_OK, "%s", pm_error());
    snprintf(cmd, sizeof cmd, "head -c 2000 '%s' > '%s'", path, cut);
    CHECK(test_sh(cmd) == 0, "truncate failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(cut, &back) == PM_ECORRUPT && !back, "truncated PNG accepted");
    CHECK(strstr(pm_error(), "cut.png"), "reason does not name the file: %s", pm_error());
    CHECK(pm_png_read(test_data("reference/LIDC-IDRI-0001.seed.json"), &back) == PM_ECORRUPT,
          "JSON read as PNG");
    snprintf(cut, sizeof cut, "%s/none.png", test_tmpdir());
    CHECK(pm_png_read(cut, &back) == PM_ENODATA, "missing file not ENODATA");
    pm_fb_free(fb);
}

TEST(png_write_into_a_missing_folder_fails_with_ewrite)
{
    pm_fb *fb = fb_new(4, 4, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.png", test_tmpdir());
    CHECK(pm_png_write(path, fb) == PM_EWRITE, "expected PM_EWRITE");
    CHECK(strstr(pm_error(), "x.png"), "reason does not name the file: %s", pm_error());
    pm_fb_free(fb);
}

TEST(lung_slice_through_sixel2png_keeps_more_than_32_greys_at_35_db)
{
    pm_volume *v = lidc_volume();
    pm_slice_view sv;
    CHECK(pm_slice_view_init(&v->g, PM_PLANE_AXIAL, -1, &sv) == PM_OK, "%s", pm_error());
    int w, h;
    pm_slice_view_size(&sv, 0, 0, &w, &h);
    CHECK(w == 512 && h == 512, "native size %dx%d", w, h);
    pm_fb *fb = fb_new(w, h, 0);
    pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_LUNG, 1);
    CHECK(distinct_greys(fb) > 200, "the framebuffer itself has only %d greys", distinct_greys(fb));
    pm_buf b = {0};
    CHECK(pm_sixel_encode(fb, 256, &b) == PM_OK, "encode: %s", pm_error());
    char six[512], png[512], cmd[1200];
    snprintf(six, sizeof six, "%s/slice.six", test_tmpdir());
    snprintf(png, sizeof png, "%s/slice-six.png", test_tmpdir());
    FILE *f = fopen(six, "wb");
    CHECK(f && fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0, "write %s", six);
    snprintf(cmd, sizeof cmd, "sixel2png -i '%s' -o '%s'", six, png);
    CHECK(test_sh(cmd) == 0, "sixel2png failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(png, &back) == PM_OK, "read %s: %s", png, pm_error());
    CHECK(back->w == fb->w && back->h == fb->h, "decoded %dx%d, framebuffer %dx%d", back->w,
          back->h, fb->w, fb->h);
    double db = psnr(fb, back);
    int greys = distinct_greys(back);
    CHECK(db >= 35, "PSNR %.2f dB", db);
    CHECK(greys > 32, "only %d grey levels survived", greys);
    printf("  sixel of a 512x512 lung slice: %zu bytes, PSNR %.1f dB, %d greys\n", b.len, db, greys);
    pm_buf_free(&b);
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(sixel_with_16_registers_and_colour_overlay_still_decodes)
{
    pm_fb *fb = fb_new(64, 30, 0);
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 64; x++) {
            uint8_t *p = fb->rgb + 3 * (y * 64 + x);
            p[0] = p[1] = p[2] = (uint8_t)(x * 4);
            if (y >= 20) { /* an overlay-red band */
                p[0] = 230;
                p[1] = 60;
                p[2] = 60;
            }
        }
    pm_buf b = {0};
    CHECK(pm_sixel_encode(fb, 16, &b) == PM_OK, "encode: %s", pm_error());
    char six[512], png[512], cmd[1200];
    snprintf(six, sizeof six, "%s/small.six", test_tmpdir());
    snprintf(png, sizeof png, "%s/small.png", test_tmpdir());
    FILE *f = fopen(six, "wb");
    CHECK(f && fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0, "write %s", six);
    snprintf(cmd, sizeof cmd, "sixel2png -i '%s' -o '%s'", six, png);
    CHECK(test_sh(cmd) == 0, "sixel2png failed");
    pm_fb *back = NULL;
    CHECK(pm_png_read(png, &back) == PM_OK, "%s", pm_error());
    CHECK(back->w == 64 && back->h == 30, "decoded %dx%d", back->w, back->h);
    const uint8_t *red = back->rgb + 3 * (25 * 64 + 10);
    CHECK(abs(red[0] - 230) <= 4 && abs(red[1] - 60) <= 4 && abs(red[2] - 60) <= 4,
          "overlay came back as %d,%d,%d", red[0], red[1], red[2]);
    int greys = distinct_greys(back);
    CHECK(greys >= 8 && greys <= 16, "%d greys with 16 registers", greys);
    pm_buf_free(&b);
    pm_fb_free(back);
    pm_fb_free(fb);
}

TEST(half_blocks_of_a_known_image_are_exact)
{
    pm_fb *fb = fb_new(2, 2, 0);
    const uint8_t px[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    memcpy(fb->rgb, px, 12);
    pm_buf b = {0};
    CHECK(pm_text_encode(fb, PM_TEXT_TRUECOLOR, &b) == PM_OK, "%s", pm_error());
    const char *want = "\033[38;2;255;0;0m\033[48;2;0;0;255m\xe2\x96\x80"
                       "\033[38;2;0;255;0m\033[48;2;255;255;255m\xe2\x96\x80\033[0m\n";
    CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len), "24-bit text differs: %s", b.data);
    b.len = 0;
    CHECK(pm_text_encode(fb, PM_TEXT_256, &b) == PM_OK, "%s", pm_error());
    want = "\033[38;5;196m\033[48;5;21m\xe2\x96\x80\033[38;5;46m\033[48;5;231m\xe2\x96\x80\033[0m\n";
    CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len), "256-colour text differs: %s", b.data);
    CHECK(pm_text_xterm256(128, 128, 128) == 244, "mid grey maps to %d", pm_text_xterm256(128, 128, 128));
    pm_buf_free(&b);
    pm_fb_free(fb);
}

TEST(ascii_ramp_of_a_grey_gradient_is_the_ramp)
{
    pm_fb *fb = fb_new(10, 2, 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 10; x++)
            memset(fb->rgb + 3 * (y * 10 + x), x * 256 / 10 + 12, 3);
    pm_buf b = {0};
    CHECK(pm_text_encode(fb, PM_TEXT_ASCII, &b) == PM_OK, "%s", pm_error());
    CHECK(!strcmp(b.data, " .:-=+*#%@\n .:-=+*#%@\n"), "got '%s'", b.data);
    pm_buf_free(&b);
    pm_fb_free(fb);
}

TEST(shrinking_averages_and_enlarging_interpolates)
{
    pm_fb *src = fb_new(4, 4, 0), *half = fb_new(2, 2, 0), *big = fb_new(8, 1, 0);
    for (int i = 0; i < 16; i++)
        memset(src->rgb + 3 * i, ((i % 4) + (i / 4)) % 2 ? 255 : 0, 3);
    pm_fb_scale(src, half, 1);
    for (int i = 0; i < 12; i++)
        CHECK(half->rgb[i] == 128, "checkerboard shrank to %d, not its mean", half->rgb[i]);
    pm_fb *ramp = fb_new(2, 1, 0);
    memset(ramp->rgb, 0, 3);
    memset(ramp->rgb + 3, 200, 3);
    pm_fb_scale(ramp, big, 1);
    for (int x = 1; x < 8; x++)
        CHECK(big->rgb[3 * x] >= big->rgb[3 * (x - 1)], "enlarged ramp not monotonic at %d", x);
    CHECK(big->rgb[0] == 0 && big->rgb[21] == 200 && big->rgb[12] > 0 && big->rgb[12] < 200,
          "ends %d..%d, middle %d", big->rgb[0], big->rgb[21], big->rgb[12]);
    pm_fb *dst = fb_new(3, 3, 0);
    pm_fb_blit(dst, 2, -1, src); /* src column 0, rows 1..3 land in dst column 2 */
    CHECK(dst->rgb[3 * 2] == src->rgb[3 * 4] && dst->rgb[3 * 5] == src->rgb[3 * 8]
          && dst->rgb[3 * 8] == src->rgb[3 * 12] && dst->rgb[3 * 8] == 255 && dst->rgb[3 * 1] == 0
          && dst->rgb[0] == 0, "blit misplaced");
    pm_fb_free(dst);
    pm_fb_free(ramp);
    pm_fb_free(big);
    pm_fb_free(half);
    pm_fb_free(src);
}

TEST(terminal_replies_are_parsed)
{
    const char *xterm = "\033[?1;0;1024S\033[?2;0;1000;800S\033[6;20;10t\033[?63;1;2;4;6;9;15;22c";
    CHECK(pm_term_parse_da1(xterm, strlen(xterm)) == 1, "sixel not seen");
    int a, b;
    CHECK(pm_term_parse_xtsm(xterm, strlen(xterm), 1, &a, NULL) == 0 && a == 1024, "registers %d", a);
    CHECK(pm_term_parse_xtsm(xterm, strlen(xterm), 2, &a, &b) == 0 && a == 1000 && b == 800, "geometry");
    CHECK(pm_term_parse_cell(xterm, strlen(xterm), &a, &b) == 0 && a == 10 && b == 20, "cell %dx%d", a, b);
    const char *vte = "\033[?65;1;9c";
    CHECK(pm_term_parse_da1(vte, strlen(vte)) == 0, "sixel claimed for 65;1;9");
    const char *partial = "\033[?62;4";
    CHECK(pm_term_parse_da1(partial, strlen(partial)) == -1, "partial reply accepted");
    const char *err = "\033[?1;3;0S";
    CHECK(pm_term_parse_xtsm(err, strlen(err), 1, &a, NULL) == -1, "failed XTSMGRAPHICS accepted");
    pm_term_caps caps;
    memset(&caps, 0, sizeof caps);
    caps.sixel = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_AUTO) == PM_GFX_SIXEL, "sixel terminal");
    caps.multiplexer = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_AUTO) == PM_GFX_TEXT, "tmux should fall back to text");
    CHECK(pm_term_choose(&caps, PM_GFX_SIXEL) == PM_GFX_SIXEL, "forced sixel");
    caps.no_color = 1;
    CHECK(pm_term_choose(&caps, PM_GFX_TEXT) == PM_GFX_ASCII, "NO_COLOR text should be ASCII");
    /* The environment: NO_COLOR counts only when not empty (no-color.org),
     * TERM=screen* or $STY means a multiplexer, COLORTERM picks 24-bit. */
    unsetenv("TMUX");
    setenv("STY", "", 1);
    setenv("TERM", "xterm-256color", 1);
    setenv("NO_COLOR", "", 1);
    setenv("COLORTERM", "truecolor", 1);
    pm_term_env(&caps);
    CHECK(!caps.no_color && !caps.multiplexer && caps.truecolor, "empty NO_COLOR or xterm misread");
    setenv("NO_COLOR", "1", 1);
    setenv("TERM", "screen.xterm-256color", 1);
    unsetenv("COLORTERM");
    pm_term_env(&caps);
    CHECK(caps.no_color && caps.multiplexer && !caps.truecolor, "NO_COLOR=1 or TERM=screen missed");
}

TEST(cell_box_gives_each_mode_its_pixels_and_limits)
{
    pm_cell_box b = pm_render_cell_box(80, 24, PM_CELLS_HALF, 1, 1, 0, 0);
    CHECK(b.w == 80 && b.h == 48 && b.cells_w == 80 && b.cells_h == 48 && b.scale == PM_CELL_SCALE && b.aspect == 1,
          "half blocks: %dx%d cells %dx%d scale %d", b.w, b.h, b.cells_w, b.cells_h, b.scale);
    b = pm_render_cell_box(80, 24, PM_CELLS_ASCII, 1, 1, 0, 0);
    CHECK(b.w == 80 && b.h == 48 && b.cells_w == 80 && b.cells_h == 24 && b.aspect == 2,
          "ASCII: square picture 80x48 shown as 80x24 cells, got %dx%d / %dx%d", b.w, b.h, b.cells_w, b.cells_h);
    pm_cell_box_resize(&b, 80, 61);
    CHECK(b.cells_w == 80 && b.cells_h == 31, "ASCII cells round the halved height up, got %d", b.cells_h);
    b = pm_render_cell_box(100, 30, PM_CELLS_PIXELS, 10, 20, 0, 0);
    CHECK(b.w == 1000 && b.h == 600 && b.cells_w == 1000 && b.cells_h == 600 && b.scale == 1,
          "pixels: a cell's own pixels, got %dx%d", b.w, b.h);
    b = pm_render_cell_box(200, 80, PM_CELLS_PIXELS, 10, 20, 1000, 996);
    CHECK(b.w == 1000 && b.h == 996 && b.cells_h == 996, "sixel limit clamps, got %dx%d", b.w, b.h);
    b = pm_render_cell_box(640, 480, PM_CELLS_PIXELS, 1, 1, 0, 0);
    CHECK(b.w == 640 && b.h == 480, "a file: cells of one pixel");
}

TEST(cell_box_reduce_averages_a_picture_down_to_the_cells)
{
    pm_cell_box b = pm_render_cell_box(3, 2, PM_CELLS_ASCII, 1, 1, 0, 0);
    pm_fb *big = pm_fb_new(b.w * b.scale, b.h * b.scale, 0);
    CHECK(big && big->w == 12 && big->h == 16, "drawn at 4x the square pixels");
    /* A one-pixel-wide white line in the first column's block: thin, but
     * its cell still gets a quarter of the light. */
    for (int y = 0; y < big->h; y++)
        memset(big->rgb + 3 * (size_t)y * big->w, 255, 3);
    pm_fb *cells = pm_cell_box_reduce(&b, big, 1);
    CHECK(cells && cells->w == 3 && cells->h == 2, "one pixel per cell");
    CHECK(abs(cells->rgb[0] - 64) <= 1 && cells->rgb[3] == 0, "the line's cell is a quarter lit (%d), the next dark",
          cells->rgb[0]);
    pm_fb_free(cells);
    pm_fb_free(big);
}

int main(void)
{
    RUN(cell_box_gives_each_mode_its_pixels_and_limits);
    RUN(cell_box_reduce_averages_a_picture_down_to_the_cells);
    RUN(png_written_then_read_back_has_the_same_pixels);
    RUN(truncated_or_foreign_png_is_refused_as_corrupt);
    RUN(png_write_into_a_missing_folder_fails_with_ewrite);
    RUN(lung_slice_through_sixel2png_keeps_more_than_32_greys_at_35_db);
    RUN(sixel_with_16_registers_and_colour_overlay_still_decodes);
    RUN(half_blocks_of_a_known_image_are_exact);
    RUN(ascii_ramp_of_a_grey_gradient_is_the_ramp);
    RUN(shrinking_averages_and_enlarging_interpolates);
    RUN(terminal_replies_are_parsed);
    pm_volume_free(lidc);
    return test_done();
}
