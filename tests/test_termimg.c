/* test_termimg.c - pictures for terminals that scale images (kitty graphics
 * protocol, iTerm2 inline images) decode back to the pixels of the PNG of
 * the same view; sixel pictures keep within a terminal's limit and grey
 * budget. The escape sequences are parsed here as a terminal would. */
#include "test.h"
#include "files.h"
#include "pulmo/encode.h"
#include "pulmo/render.h"
#include "pulmo/series.h"
#include "pulmo/volume.h"
/* The terminal module is front-end code, outside the core library. */
#include "../src/term/term.c"

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 text [s, s+n) onto out; -1 on a bad character. */
static int b64_decode(const char *s, size_t n, pm_buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            uint8_t byte = (uint8_t)(acc >> bits);
            pm_buf_add(out, &byte, 1);
        }
    }
    return 0;
}

/* The view: LIDC's middle axial slice at its native size, lung window. */
static pm_fb *view_fb(const char *png_path)
{
    static pm_volume *v;
    if (!v && pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &v, NULL) != PM_OK)
        return NULL;
    pm_slice_view sv;
    if (pm_slice_view_init(&v->g, PM_PLANE_AXIAL, -1, &sv) != PM_OK)
        return NULL;
    int w, h;
    pm_slice_view_size(&sv, 0, 0, &w, &h);
    pm_fb *fb = pm_fb_new(w, h, 0);
    if (fb) {
        pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_LUNG, 1);
        if (pm_png_write(png_path, fb) != PM_OK) {
            pm_fb_free(fb);
            return NULL;
        }
    }
    return fb;
}

/* Pixels of a PNG payload, through a file and pm_png_read. */
static pm_fb *payload_pixels(const pm_buf *png, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    if (tf_spit(path, png->data, png->len) != 0)
        return NULL;
    pm_fb *fb = NULL;
    return pm_png_read(path, &fb) == PM_OK ? fb : NULL;
}

static int same_pixels(const pm_fb *a, const pm_fb *b)
{
    return a->w == b->w && a->h == b->h && !memcmp(a->rgb, b->rgb, (size_t)a->w * a->h * 3);
}

TEST(kitty_image_decodes_to_the_pixels_of_the_png_of_the_same_view)
{
    char path[512];
    snprintf(path, sizeof path, "%s/view.png", test_tmpdir());
    pm_fb *fb = view_fb(path);
    CHECK(fb, "view: %s", pm_error());
    pm_fb *want = NULL;
    CHECK(pm_png_read(path, &want) == PM_OK, "%s", pm_error());
    pm_buf esc = {0};
    CHECK(pm_kitty_image(fb, 7, 60, 30, &esc) == PM_OK, "%s", pm_error());
    /* Reassemble the chunks as kitty does: keys on the first, m=1 until the last. */
    pm_buf payload = {0};
    const char *p = esc.data, *end = esc.data + esc.len;
    int chunks = 0, last = 0;
    while (p < end) {
        CHECK(!last, "data after the chunk with m=0");
        CHECK(!strncmp(p, "\033_G", 3), "chunk %d does not start with APC G", chunks);
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *st = semi ? strstr(semi, "\033\\") : NULL;
        CHECK(semi && st, "chunk %d is not terminated", chunks);
        char keys[256];
        size_t kn = (size_t)(semi - p - 3);
        CHECK(kn < sizeof keys, "keys too long");
        memcpy(keys, p + 3, kn);
        keys[kn] = '\0';
        if (chunks == 0)
            CHECK(strstr(keys, "a=T") && strstr(keys, "f=100") && strstr(keys, "i=7") && strstr(keys, "c=60") &&
                  strstr(keys, "r=30") && strstr(keys, "q=2"), "first chunk keys '%s'", keys);
        else
            CHECK(!strstr(keys, "a="), "continuation chunk repeats keys '%s'", keys);
        CHECK(st - semi - 1 <= 4096, "chunk %d carries %td characters", chunks, st - semi - 1);
        last = strstr(keys, "m=0") != NULL;
        CHECK(last || strstr(keys, "m=1"), "chunk %d has no m key", chunks);
        CHECK(b64_decode(semi + 1, (size_t)(st - semi - 1), &payload) == 0, "bad base64 in chunk %d", chunks);
        chunks++;
        p = st + 2;
    }
    CHECK(last && chunks > 1, "%d chunks, last m=0: %d", chunks, last);
    pm_fb *got = payload_pixels(&payload, "kitty.png");
    CHECK(got, "the payload is not a PNG: %s", pm_error());
    CHECK(same_pixels(got, want), "decoded %dx%d differs from the view's PNG %dx%d", got->w, got->h, want->w,
          want->h);
    printf("  kitty: %d chunks, %zu bytes for a %dx%d slice\n", chunks, esc.len, fb->w, fb->h);
    pm_fb_free(got);
    pm_fb_free(want);
    pm_fb_free(fb);
    pm_buf_free(&payload);
    pm_buf_free(&esc);
}

TEST(iterm2_image_decodes_to_the_pixels_of_the_png_of_the_same_view)
{
    char path[512];
    snprintf(path, sizeof path, "%s/view2.png", test_tmpdir());
    pm_fb *fb = view_fb(path);
    CHECK(fb, "view: %s", pm_error());
    pm_fb *want = NULL;
    CHECK(pm_png_read(path, &want) == PM_OK, "%s", pm_error());
    pm_buf esc = {0};
    CHECK(pm_iterm_image(fb, 50, 25, &esc) == PM_OK, "%s", pm_error());
    CHECK(!strncmp(esc.data, "\033]1337;File=", 12), "not an OSC 1337 File sequence");
    CHECK(esc.data[esc.len - 1] == '\a', "not terminated by BEL");
    const char *colon = strchr(esc.data, ':');
    CHECK(colon, "no ':' before the payload");
    char args[256];
    size_t an = (size_t)(colon - esc.data - 12);
    CHECK(an < sizeof args, "arguments too long");
    memcpy(args, esc.data + 12, an);
    args[an] = '\0';
    CHECK(strstr(args, "inline=1") && strstr(args, "width=50") && strstr(args, "height=25"), "arguments '%s'", args);
    pm_buf payload = {0};
    CHECK(b64_decode(colon + 1, (size_t)(esc.data + esc.len - 1 - colon - 1), &payload) == 0, "bad base64");
    char size[32];
    snprintf(size, sizeof size, "size=%zu", payload.len);
    CHECK(strstr(args, size), "'%s' does not declare %s", args, size);
    pm_fb *got = payload_pixels(&payload, "iterm.png");
    CHECK(got, "the payload is not a PNG: %s", pm_error());
    CHECK(same_pixels(got, want), "decoded %dx%d differs from the view's PNG", got->w, got->h);
    pm_fb_free(got);
    pm_fb_free(want);
    pm_fb_free(fb);
    pm_buf_free(&payload);
    pm_buf_free(&esc);
}

TEST(sixel_limit_is_the_reported_one_or_a_safe_default_in_whole_bands)
{
    pm_term_caps c;
    memset(&c, 0, sizeof c);
    int w, h;
    pm_term_sixel_limit(&c, &w, &h);
    CHECK(w == PM_TERM_SIXEL_DEFAULT && h == PM_TERM_SIXEL_DEFAULT - PM_TERM_SIXEL_DEFAULT % 6,
          "no report gave %dx%d", w, h);
    const char reply[] = "\033[?2;0;1000;1000S";
    int v1, v2;
    CHECK(pm_term_parse_xtsm(reply, sizeof reply - 1, 2, &v1, &v2) == 0 && v1 == 1000 && v2 == 1000, "parse");
    c.max_w = 800, c.max_h = 480;
    pm_term_sixel_limit(&c, &w, &h);
    CHECK(w == 800 && h == 480, "reported 800x480 gave %dx%d", w, h);
}

TEST(terminal_replies_name_kitty_graphics_and_the_terminal)
{
    const char ok[] = "\033_Gi=31;OK\033\\\033[?62;22c";
    const char no[] = "\033_Gi=31;ENOTSUPPORTED:x\033\\\033[?62;22c";
    CHECK(pm_term_parse_kitty(ok, sizeof ok - 1) == 1, "OK reply not seen");
    CHECK(pm_term_parse_kitty(no, sizeof no - 1) == 0, "an error reply counted as support");
    CHECK(pm_term_parse_kitty("\033[?62;22c", 9) == 0, "no reply counted as support");
    const char ver[] = "\033P>|iTerm2 3.5.0\033\\\033[?62c";
    char name[64];
    CHECK(pm_term_parse_version(ver, sizeof ver - 1, name, sizeof name) == 0 && !strcmp(name, "iTerm2 3.5.0"),
          "XTVERSION reply gave '%s'", name);
    pm_term_caps c;
    memset(&c, 0, sizeof c);
    snprintf(c.version, sizeof c.version, "WezTerm 20240203");
    CHECK(pm_term_choose(&c, PM_GFX_AUTO) == PM_GFX_ITERM, "WezTerm should get iTerm2 images");
    c.kitty = 1;
    CHECK(pm_term_choose(&c, PM_GFX_AUTO) == PM_GFX_KITTY, "a kitty OK reply should win");
    c.multiplexer = 1;
    CHECK(pm_term_choose(&c, PM_GFX_AUTO) == PM_GFX_TEXT, "inside tmux: text");
    CHECK(pm_graphics_parse("kitty") == PM_GFX_KITTY && pm_graphics_parse("iterm2") == PM_GFX_ITERM, "parse");
}

int main(void)
{
    RUN(kitty_image_decodes_to_the_pixels_of_the_png_of_the_same_view);
    RUN(iterm2_image_decodes_to_the_pixels_of_the_png_of_the_same_view);
    RUN(sixel_limit_is_the_reported_one_or_a_safe_default_in_whole_bands);
    RUN(terminal_replies_name_kitty_graphics_and_the_terminal);
    return test_done();
}
