/* precheck.c - a structural walk over a DICOM file before GDCM sees it.
 *
 * Debian's GDCM is built with assertions, and some of them fire on files cut
 * short (gdcmFileMetaInformation.cxx: "Assertion `is.good()' failed"),
 * taking the whole process down. So every file is first walked element by
 * element, without interpreting values: each declared length must fit in
 * the file, sequences and items must nest properly, and the pixel data must
 * be complete. Only files that pass reach GDCM.
 */
#include "pulmo/dicom.h"
#include "pulmo/core.h"

#include <stdio.h>
#include <string.h>

typedef struct pm__walk {
    FILE *f;
    const char *path;
    long long size;
    int implicit, big;
    long long elements;
} pm__walk;

#define PM__UNDEF 0xFFFFFFFFu

static int pm__rd(pm__walk *w, void *b, size_t n)
{
    return fread(b, 1, n, w->f) == n ? 0 : -1;
}

static unsigned pm__u16(const pm__walk *w, const unsigned char *b)
{
    return w->big ? (unsigned)(b[0] << 8 | b[1]) : (unsigned)(b[1] << 8 | b[0]);
}

static uint32_t pm__u32(const pm__walk *w, const unsigned char *b)
{
    return w->big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                  : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static int pm__long_vr(const char *vr)
{
    static const char *l[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        if (vr[0] == l[i][0] && vr[1] == l[i][1])
            return 1;
    return 0;
}

static int pm__bad(pm__walk *w, unsigned g, unsigned e, long long at, const char *what)
{
    return pm_fail(PM_ECORRUPT, "%s: %s: element (%04x,%04x) at byte %lld (file has %lld bytes)",
                   w->path, what, g, e, at, w->size);
}

/* Walks elements until end (a byte offset; -1 = end of file or a delimiter).
 * Returns 0, or PM_ECORRUPT with a reason. Stops at top-level pixel data
 * after checking it. */
static int pm__elements(pm__walk *w, long long end, int depth, int top);

static int pm__items(pm__walk *w, uint32_t len, int depth, unsigned g, unsigned e)
{
    long long start = ftell(w->f);
    long long end = len == PM__UNDEF ? -1 : start + len;
    for (;;) {
        long long at = ftell(w->f);
        if (end >= 0 && at >= end)
            return at == end ? 0 : pm__bad(w, g, e, at, "sequence overruns its length");
        unsigned char b[8];
        if (pm__rd(w, b, 8) != 0)
            return pm__bad(w, g, e, at, "truncated inside a sequence");
        unsigned ig = pm__u16(w, b), ie = pm__u16(w, b + 2);
        uint32_t il = pm__u32(w, b + 4);
        if (ig != 0xFFFE)
            return pm__bad(w, ig, ie, at, "expected an item inside a sequence");
        if (ie == 0xE0DD)
            return end < 0 ? 0 : pm__bad(w, ig, ie, at, "delimiter in a sequence of defined length");
        if (ie != 0xE000)
            return pm__bad(w, ig, ie, at, "unexpected tag inside a sequence");
        if (il != PM__UNDEF && at + 8 + (long long)il > w->size)
            return pm__bad(w, ig, ie, at, "item longer than the file");
        int rc = pm__elements(w, il == PM__UNDEF ? -1 : at + 8 + il, depth + 1, 0);
        if (rc)
            return rc;
    }
}

static int pm__fragments(pm__walk *w, unsigned g, unsigned e)
{
    for (int n = 0; n < 1 << 20; n++) {
        long long at = ftell(w->f);
        unsigned char b[8];
        if (pm__rd(w, b, 8) != 0)
            return pm__bad(w, g, e, at, "truncated inside the compressed pixel data");
        unsigned ig = pm__u16(w, b), ie = pm__u16(w, b + 2);
        uint32_t il = pm__u32(w, b + 4);
        if (ig != 0xFFFE || (ie != 0xE000 && ie != 0xE0DD))
            return pm__bad(w, ig, ie, at, "bad fragment in the compressed pixel data");
        if (ie == 0xE0DD)
            return 0;
        if (il == PM__UNDEF || at + 8 + (long long)il > w->size)
            return pm__bad(w, ig, ie, at, "compressed pixel data is truncated");
        if (fseek(w->f, (long)il, SEEK_CUR) != 0)
            return pm__bad(w, ig, ie, at, "unreadable");
    }
    return pm__bad(w, g, e, ftell(w->f), "too many fragments");
}

static int pm__elements(pm__walk *w, long long end, int depth, int top)
{
    if (depth > 16)
        return pm_fail(PM_ECORRUPT, "%s: sequences nested too deep", w->path);
    for (;;) {
        long long at = ftell(w->f);
        if (end >= 0 && at >= end)
            return at == end ? 0 : pm__bad(w, 0, 0, at, "item overruns its length");
        if (end < 0 && at == w->size)
            return top ? 0 : pm__bad(w, 0, 0, at, "truncated inside a sequence item");
        if (++w->elements > 2000000)
            return pm_fail(PM_ECORRUPT, "%s: too many elements", w->path);
        unsigned char b[12];
        if (pm__rd(w, b, 4) != 0)
            return pm__bad(w, 0, 0, at, "truncated inside an element tag");
        unsigned g = pm__u16(w, b), e = pm__u16(w, b + 2);
        if (g == 0xFFFE) {
            if (pm__rd(w, b + 4, 4) != 0)
                return pm__bad(w, g, e, at, "truncated");
            if (e == 0xE00D && end < 0 && !top)
                return 0; /* item delimiter */
            return pm__bad(w, g, e, at, "unexpected delimiter");
        }
        uint32_t len;
        char vr[3] = "";
        if (w->implicit) {
            if (pm__rd(w, b + 4, 4) != 0)
                return pm__bad(w, g, e, at, "truncated inside an element header");
            len = pm__u32(w, b + 4);
        } else {
            if (pm__rd(w, b + 4, 4) != 0)
                return pm__bad(w, g, e, at, "truncated inside an element header");
            vr[0] = (char)b[4];
            vr[1] = (char)b[5];
            if (vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z')
                return pm__bad(w, g, e, at, "invalid value representation");
            if (pm__long_vr(vr)) {
                if (pm__rd(w, b + 8, 4) != 0)
                    return pm__bad(w, g, e, at, "truncated inside an element header");
                len = pm__u32(w, b + 8);
            } else {
                len = pm__u16(w, b + 6);
            }
        }
        int pixel = top && g == 0x7FE0 && e == 0x0010;
        int seq = (vr[0] == 'S' && vr[1] == 'Q') || (len == PM__UNDEF && !pixel);
        if (pixel && len == PM__UNDEF)
            return pm__fragments(w, g, e);
        if (seq) {
            int rc = pm__items(w, len, depth, g, e);
            if (rc)
                return rc;
            continue;
        }
        long long vend = ftell(w->f) + (long long)len;
        if (vend > w->size || (end >= 0 && vend > end))
            return pm__bad(w, g, e, at, pixel ? "pixel data is truncated" : "value longer than the file");
        if (pixel)
            return 0;
        if (fseek(w->f, (long)len, SEEK_CUR) != 0)
            return pm__bad(w, g, e, at, "unreadable");
    }
}

int pm_dicom_precheck(const char *path)
{
    pm__walk w = {.path = path};
    w.f = fopen(path, "rb");
    if (!w.f)
        return pm_fail(PM_ECORRUPT, "%s: cannot open", path);
    fseek(w.f, 0, SEEK_END);
    w.size = ftell(w.f);
    fseek(w.f, 0, SEEK_SET);
    unsigned char pre[132];
    int rc = PM_OK;
    char ts[72] = "";
    if (w.size >= 132 && fread(pre, 1, 132, w.f) == 132 && memcmp(pre + 128, "DICM", 4) == 0) {
        /* File meta group: always explicit VR little endian. */
        for (;;) {
            long long at = ftell(w.f);
            unsigned char b[12];
            if (pm__rd(&w, b, 8) != 0) {
                rc = pm__bad(&w, 2, 0, at, "truncated inside the file meta header");
                break;
            }
            if (b[0] != 0x02 || b[1] != 0) {
                fseek(w.f, (long)at, SEEK_SET);
                break;
            }
            unsigned e = pm__u16(&w, b + 2);
            uint32_t len;
            if (pm__long_vr((const char *)b + 4)) {
                if (pm__rd(&w, b + 8, 4) != 0) {
                    rc = pm__bad(&w, 2, e, at, "truncated inside the file meta header");
                    break;
                }
                len = pm__u32(&w, b + 8);
            } else {
                len = pm__u16(&w, b + 6);
            }
            if (ftell(w.f) + (long long)len > w.size) {
                rc = pm__bad(&w, 2, e, at, "truncated inside the file meta header");
                break;
            }
            if (e == 0x0010 && len < sizeof ts) {
                if (pm__rd(&w, ts, len) != 0)
                    rc = pm__bad(&w, 2, e, at, "unreadable");
                ts[len] = '\0';
            } else {
                fseek(w.f, (long)len, SEEK_CUR);
            }
        }
    } else {
        /* No preamble: a raw data set; explicit if a VR follows the tag. */
        fseek(w.f, 0, SEEK_SET);
        unsigned char b[6];
        if (fread(b, 1, 6, w.f) == 6 && !(b[4] >= 'A' && b[4] <= 'Z' && b[5] >= 'A' && b[5] <= 'Z'))
            strcpy(ts, "1.2.840.10008.1.2");
        fseek(w.f, 0, SEEK_SET);
    }
    for (int n = (int)strlen(ts); n > 0 && (ts[n - 1] == '\0' || ts[n - 1] == ' '); n--)
        ts[n - 1] = '\0';
    /* Deflated data sets cannot be walked without inflating; GDCM checks them. */
    if (rc == PM_OK && strcmp(ts, "1.2.840.10008.1.2.1.99") != 0) {
        w.implicit = strcmp(ts, "1.2.840.10008.1.2") == 0;
        w.big = strcmp(ts, "1.2.840.10008.1.2.2") == 0;
        rc = pm__elements(&w, -1, 0, 1);
    }
    fclose(w.f);
    return rc;
}
