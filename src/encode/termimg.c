/* termimg.c - pictures for terminals that scale images themselves: the
 * kitty graphics protocol (kitty, Ghostty, WezTerm, Konsole) and iTerm2's
 * inline images (iTerm2, WezTerm, VS Code). Both carry base64 payloads;
 * kitty's arrive in chunks of at most 4096 characters. */
#include "pulmo/encode.h"
#include "pulmo/core.h"

#include <stdio.h>
#include <string.h>

int pm_base64_add(pm_buf *out, const void *data, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        q[0] = abc[v >> 18 & 63];
        q[1] = abc[v >> 12 & 63];
        q[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? abc[v & 63] : '=';
        if (pm_buf_add(out, q, 4) != PM_OK)
            return PM_EMEMORY;
    }
    return PM_OK;
}

int pm_kitty_chunks(pm_buf *out, const char *keys, const void *data, size_t n)
{
    /* 3072 bytes make 4096 base64 characters, the protocol's chunk limit. */
    const uint8_t *p = data;
    size_t len0 = out->len;
    size_t off = 0;
    do {
        size_t k = n - off > 3072 ? 3072 : n - off;
        int more = off + k < n;
        char head[256];
        int hn = off == 0 ? snprintf(head, sizeof head, "\033_G%s,m=%d;", keys, more)
                          : snprintf(head, sizeof head, "\033_Gm=%d;", more);
        if (hn < 0 || (size_t)hn >= sizeof head || pm_buf_add(out, head, (size_t)hn) != PM_OK
            || pm_base64_add(out, p + off, k) != PM_OK || pm_buf_add(out, "\033\\", 2) != PM_OK) {
            out->len = len0;
            return pm_fail(PM_EMEMORY, "out of memory for a kitty graphics command");
        }
        off += k;
    } while (off < n);
    return PM_OK;
}

int pm_kitty_image(const pm_fb *fb, int id, int cols, int rows, pm_buf *out)
{
    pm_buf png = {0};
    int rc = pm_png_encode(fb, &png);
    if (rc == PM_OK) {
        /* a=T: transmit and show at the cursor; C=1: the cursor stays;
         * q=2: no replies to read back through curses. */
        char keys[128];
        if (cols > 0 && rows > 0)
            snprintf(keys, sizeof keys, "a=T,f=100,i=%d,p=1,q=2,C=1,c=%d,r=%d", id, cols, rows);
        else
            snprintf(keys, sizeof keys, "a=T,f=100,i=%d,q=2", id);
        rc = pm_kitty_chunks(out, keys, png.data, png.len);
    }
    pm_buf_free(&png);
    return rc;
}

int pm_iterm_image(const pm_fb *fb, int cols, int rows, pm_buf *out)
{
    pm_buf png = {0};
    size_t len0 = out->len;
    int rc = pm_png_encode(fb, &png);
    if (rc == PM_OK) {
        char head[160];
        int hn = cols > 0 && rows > 0
                     ? snprintf(head, sizeof head, "\033]1337;File=inline=1;size=%zu;width=%d;height=%d;"
                                "preserveAspectRatio=0:", png.len, cols, rows)
                     : snprintf(head, sizeof head, "\033]1337;File=inline=1;size=%zu:", png.len);
        if (pm_buf_add(out, head, (size_t)hn) != PM_OK || pm_base64_add(out, png.data, png.len) != PM_OK
            || pm_buf_add(out, "\a", 1) != PM_OK) {
            out->len = len0;
            rc = pm_fail(PM_EMEMORY, "out of memory for an inline image");
        }
    }
    pm_buf_free(&png);
    return rc;
}
