/* fuzz_text.c - a property, not a parser: whatever bytes a header holds,
 * pm_text_clean's output is valid UTF-8 without C0, DEL, C1 or bidi
 * controls, fits its buffer, and stays so when pm_text_truncate cuts it.
 * A violation aborts, which libFuzzer reports as a crash. */
#include "fuzz_common.h"
#include "pulmo/text.h"

static void check(const char *s, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    if (len >= cap)
        abort();
    for (size_t i = 0; i < len; ) {
        unsigned c = p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!n || i + n > len)
            abort();
        unsigned cp = n == 1 ? c : c & (0x7Fu >> n);
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                abort();
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E)
            || (cp >= 0x2066 && cp <= 0x2069))
            abort();
        i += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cap = 1 + data[0] % 200, cells = data[1] % 64;
    char *src = malloc(size - 1), dst[256];
    memcpy(src, data + 2, size - 2);
    src[size - 2] = '\0';
    pm_text_clean(dst, cap, src);
    check(dst, cap);
    pm_text_truncate(dst, cells);
    check(dst, cap);
    if (pm_text_width(dst) > cells)
        abort();
    free(src);
    return 0;
}
