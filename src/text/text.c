/* text.c - cleaning untrusted text; a streaming JSON writer. */
#include "pulmo/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. Overlong
 * forms and surrogates are rejected so that nothing decodes to a control. */
static size_t pm__utf8_len(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    unsigned c;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; c = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; c = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; c = s[0] & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

void pm_text_clean(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    while (*s && o + 1 < cap) {
        unsigned cp;
        size_t n = pm__utf8_len(s, &cp);
        if (n == 0) {
            dst[o++] = '?';
            s++;
            continue;
        }
        int control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)
                   || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E)
                   || (cp >= 0x2066 && cp <= 0x2069);
        if (!control) {
            if (o + n >= cap)
                break;
            memcpy(dst + o, s, n);
            o += n;
        } else if (cp == '\t' || cp == '\n' || cp == '\r') {
            dst[o++] = ' ';
        }
        s += n;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
    size_t lead = 0;
    while (dst[lead] == ' ')
        lead++;
    if (lead)
        memmove(dst, dst + lead, o - lead + 1);
}

void pm_text_clean_inplace(char *s)
{
    /* Cleaning never lengthens text, so it can run over itself. */
    pm_text_clean(s, strlen(s) + 1, s);
}

size_t pm_text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

void pm_text_truncate(char *s, size_t cells)
{
    size_t w = 0;
    for (char *p = s; *p; p++) {
        if ((*p & 0xC0) != 0x80 && w++ == cells) {
            *p = '\0';
            return;
        }
    }
}

static void pm__json_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void pm__json_key(pm_json *j, const char *key)
{
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    j->need_comma[j->depth] = 1;
    if (j->pretty && j->depth > 0) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    if (key) {
        pm__json_escaped(j->f, key);
        fputs(j->pretty ? ": " : ":", j->f);
    }
}

void pm_json_init(pm_json *j, FILE *f, int pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
}

static void pm__json_open(pm_json *j, const char *key, char c)
{
    pm__json_key(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < (int)sizeof j->need_comma)
        j->depth++;
    j->need_comma[j->depth] = 0;
}

static void pm__json_close(pm_json *j, char c)
{
    int had = j->need_comma[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (j->pretty && had) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(c, j->f);
}

void pm_json_object_begin(pm_json *j, const char *key) { pm__json_open(j, key, '{'); }
void pm_json_object_end(pm_json *j) { pm__json_close(j, '}'); }
void pm_json_array_begin(pm_json *j, const char *key) { pm__json_open(j, key, '['); }
void pm_json_array_end(pm_json *j) { pm__json_close(j, ']'); }

void pm_json_string(pm_json *j, const char *key, const char *value)
{
    if (!value)
        return;
    pm__json_key(j, key);
    pm__json_escaped(j->f, value);
}

/* The text of a finite number in JSON: integers exactly, others to 10
 * significant digits. */
static void pm__json_num_text(char *buf, size_t cap, double v)
{
    /* The range check comes first: converting 1e300 to an integer is
     * undefined behaviour. */
    if (fabs(v) < 1e15 && v == (double)(long long)v)
        snprintf(buf, cap, "%lld", (long long)v);
    else
        snprintf(buf, cap, "%.10g", v);
}

void pm_json_number(pm_json *j, const char *key, double v)
{
    pm__json_key(j, key);
    char buf[64];
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    pm__json_num_text(buf, sizeof buf, v);
    fputs(buf, j->f);
}

double pm_json_roundtrip(double v)
{
    if (!isfinite(v))
        return v;
    char buf[64];
    pm__json_num_text(buf, sizeof buf, v);
    return strtod(buf, NULL);
}

void pm_json_int(pm_json *j, const char *key, long long v)
{
    pm__json_key(j, key);
    fprintf(j->f, "%lld", v);
}

void pm_json_ints(pm_json *j, const char *key, const int *v, int n)
{
    pm_json_array_begin(j, key);
    for (int i = 0; i < n; i++)
        pm_json_int(j, NULL, v[i]);
    pm_json_array_end(j);
}

void pm_json_numbers(pm_json *j, const char *key, const double *v, int n)
{
    pm_json_array_begin(j, key);
    for (int i = 0; i < n; i++)
        pm_json_number(j, NULL, v[i]);
    pm_json_array_end(j);
}

void pm_json_bool(pm_json *j, const char *key, int v)
{
    pm__json_key(j, key);
    fputs(v ? "true" : "false", j->f);
}

void pm_json_null(pm_json *j, const char *key)
{
    pm__json_key(j, key);
    fputs("null", j->f);
}

void pm_json_end(pm_json *j)
{
    fputc('\n', j->f);
}
