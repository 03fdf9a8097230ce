/* guard.c - walks a DICOM file's element structure and checks that every
 * declared length fits in the file (see guard.h for why). The file is
 * mapped, so checking a header never reads the pixel data. */
#include "guard.h"
#include "pulmo/core.h"
#include "pulmo/dicom.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PM__UNDEFINED 0xFFFFFFFFu
#define PM__MAX_DEPTH 64

typedef struct pm__walk {
    const unsigned char *b;
    size_t n;
    int be;             /* big endian data set */
    int implicit;       /* implicit VR data set */
    int whole;
    char *why;
    size_t cap;
    int nitems;         /* items seen in encapsulated pixel data */
    size_t frag, frag_len; /* the first fragment after the offset table */
    size_t last, last_len; /* the last fragment */
    size_t pix, pix_len;   /* the data set's native pixel data (pix_len 0: none) */
} pm__walk;

static unsigned pm__u16(const pm__walk *w, size_t at, int be)
{
    const unsigned char *p = w->b + at;
    return be ? (unsigned)(p[0] << 8 | p[1]) : (unsigned)(p[1] << 8 | p[0]);
}

static uint32_t pm__u32(const pm__walk *w, size_t at, int be)
{
    const unsigned char *p = w->b + at;
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* 2 for VRs with a 2-byte length, 4 for those with reserved bytes and a
 * 4-byte length, 0 when the two bytes are not a VR. */
static int pm__vr_kind(const unsigned char *v)
{
    static const char short_vr[] = "AEASATCSDADSDTFLFDISLOLTPNSHSLSSSTTMUIULUS";
    static const char long_vr[] = "OBODOFOLOVOWSQSVUCUNURUTUV";
    for (size_t i = 0; i + 1 < sizeof short_vr; i += 2)
        if (v[0] == short_vr[i] && v[1] == short_vr[i + 1])
            return 2;
    for (size_t i = 0; i + 1 < sizeof long_vr; i += 2)
        if (v[0] == long_vr[i] && v[1] == long_vr[i + 1])
            return 4;
    return 0;
}

static int pm__bad(pm__walk *w, unsigned g, unsigned e, uint32_t len, size_t at)
{
    snprintf(w->why, w->cap, "element (%04x,%04x) at byte %zu declares %u bytes but the file "
             "has %zu left (truncated or corrupt)", g, e, at, (unsigned)len, w->n - at);
    return -1;
}

/* What a container holds: data elements (a data set or an item), items (a
 * sequence), or compressed fragments (of the image itself, whose first
 * fragment after the offset table is recorded, or of an icon). */
enum { PM__SET, PM__SEQ, PM__FRAGS, PM__PIXFRAGS };

static int pm__refuse(pm__walk *w, const char *what, unsigned g, unsigned e, size_t at)
{
    snprintf(w->why, w->cap, "%s (%04x,%04x) at byte %zu", what, g, e, at);
    return -1;
}

/* Walks a container from *pos until end, its delimiter (when delimited: it
 * has an undefined length), or the pixel data (when not whole). implicit and
 * be describe the encoding; meta limits the walk to group 0002. Returns 0,
 * 1 when it stopped after the pixel data, or -1.
 * Stray bytes (fewer than an element header) at the end of the file or of a
 * container, undefined lengths that never end, delimiters with a length and
 * elements where items belong are refused: Debian's GDCM is built with
 * assertions and aborts the process on such files (found by
 * tests/fuzz/fuzz_series and fuzz_dicom: gdcmVR16ExplicitDataElement.txx:46,
 * gdcmReader.cxx:385, gdcmSequenceOfFragments.h:148). */
static int pm__walk_set(pm__walk *w, size_t *pos, size_t end, int implicit, int be, int depth,
                        int meta, int ctx, int delimited)
{
    if (depth > PM__MAX_DEPTH) {
        snprintf(w->why, w->cap, "sequences nested more than %d deep", PM__MAX_DEPTH);
        return -1;
    }
    while (*pos + 8 <= end) {
        size_t at = *pos;
        unsigned g = pm__u16(w, at, be), e = pm__u16(w, at + 2, be);
        if (meta && g != 0x0002)
            return 0;
        if (g == 0xFFFE) {
            uint32_t len = pm__u32(w, at + 4, be);
            *pos = at + 8;
            if (e == 0xE00D || e == 0xE0DD) {
                int mine = e == 0xE00D ? ctx == PM__SET : ctx != PM__SET;
                if (!mine || !delimited || len != 0)
                    return pm__refuse(w, "misplaced delimiter", g, e, at);
                return 0;
            }
            if (e != 0xE000 || ctx == PM__SET)
                return pm__refuse(w, "misplaced item tag", g, e, at);
            if (len == PM__UNDEFINED) {
                if (ctx != PM__SEQ)
                    return pm__refuse(w, "compressed fragment of undefined length", g, e, at);
                if (pm__walk_set(w, pos, end, implicit, be, depth + 1, 0, PM__SET, 1) < 0)
                    return -1;
                continue;
            }
            if (len > w->n - *pos)
                return pm__bad(w, g, e, len, at);
            size_t item_end = *pos + len;
            if (ctx == PM__PIXFRAGS && w->nitems++ == 1) {
                w->frag = *pos;
                w->frag_len = len;
            }
            if (ctx == PM__PIXFRAGS && w->nitems > 1) {
                w->last = *pos;
                w->last_len = len;
            }
            if (ctx == PM__SEQ && pm__walk_set(w, pos, item_end, implicit, be, depth + 1, 0, PM__SET, 0) < 0)
                return -1;
            *pos = item_end;
            continue;
        }
        if (ctx != PM__SET)
            return pm__refuse(w, "an element where an item belongs", g, e, at);
        int kind = implicit ? 0 : pm__vr_kind(w->b + at + 4);
        const unsigned char *vr = w->b + at + 4;
        /* GDCM would guess the element is implicit and go on reading
         * garbage; a VR that is not one is refused instead. */
        if (!implicit && !kind)
            return pm__refuse(w, "invalid value representation in element", g, e, at);
        uint32_t len;
        size_t hdr;
        if (kind == 2) {
            len = pm__u16(w, at + 6, be);
            hdr = 8;
        } else if (kind == 4) {
            if (at + 12 > end)
                return pm__refuse(w, "truncated header of element", g, e, at);
            len = pm__u32(w, at + 8, be);
            hdr = 12;
        } else {
            len = pm__u32(w, at + 4, be);
            hdr = 8;
            vr = NULL;
        }
        *pos = at + hdr;
        /* GDCM's ReadUpToTag(PixelData) still reads the pixel data element
         * itself, so the header check includes it. */
        int pixtag = g == 0x7FE0 && e == 0x0010, pixels = pixtag && depth == 0;
        if (len == PM__UNDEFINED) {
            /* A sequence (UN of undefined length is one in implicit VR LE),
             * or encapsulated pixel data. */
            int un = vr && vr[0] == 'U' && vr[1] == 'N';
            int inner = pixtag ? (pixels ? PM__PIXFRAGS : PM__FRAGS) : PM__SEQ;
            if (pm__walk_set(w, pos, end, implicit || un, un ? 0 : be, depth + 1, 0, inner, 1) < 0)
                return -1;
            if (pixels && !w->whole)
                return 1;
            continue;
        }
        if (len > w->n - *pos)
            return pm__bad(w, g, e, len, at);
        /* A sequence of defined length; in implicit VR only the dictionary
         * knows, so a value that starts with an item tag is taken as one. */
        int sq = vr ? vr[0] == 'S' && vr[1] == 'Q'
                    : len >= 8 && pm__u16(w, *pos, be) == 0xFFFE && pm__u16(w, *pos + 2, be) == 0xE000;
        if (sq) {
            size_t sq_end = *pos + len;
            if (pm__walk_set(w, pos, sq_end, implicit, be, depth + 1, 0, PM__SEQ, 0) < 0)
                return -1;
            *pos = sq_end;
            continue;
        }
        if (pixels) {
            w->pix = *pos;
            w->pix_len = len;
        }
        *pos += len;
        if (pixels && !w->whole)
            return 1;
    }
    if (delimited) {
        snprintf(w->why, w->cap, "a sequence or item of undefined length is not closed before "
                 "the end of the file (truncated)");
        return -1;
    }
    if (*pos != end) {
        snprintf(w->why, w->cap, "%zu stray byte(s) at byte %zu (truncated element)", end - *pos, *pos);
        return -1;
    }
    return 0;
}

static int pm__ts_is(const pm__walk *w, size_t at, size_t len, const char *uid)
{
    size_t n = strlen(uid);
    if (len < n || len > n + 1)
        return 0;
    return memcmp(w->b + at, uid, n) == 0 && (len == n || w->b[at + n] == '\0' || w->b[at + n] == ' ');
}

static unsigned pm__be16(const unsigned char *p) { return (unsigned)(p[0] << 8 | p[1]); }
static uint32_t pm__be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int pm__mismatch(pm__walk *w, const char *codec, unsigned x, unsigned y, unsigned c,
                        unsigned bits, const pm__guard_image *img)
{
    snprintf(w->why, w->cap, "the %s data is %ux%u with %u component(s) of %u bits, the header "
             "says %dx%d with %d of at most %d", codec, x, y, c, bits, img->cols, img->rows,
             img->samples, img->bits_allocated);
    return -1;
}

/* The first fragment's own header must describe the image the DICOM header
 * describes: GDCM's JPEG-LS path asserts (gdcmBitmap.cxx:726, found by
 * tests/fuzz/fuzz_dicom) when the decoded stream is larger than expected. */
static int pm__check_fragment(pm__walk *w, const pm__guard_image *img)
{
    const unsigned char *f = w->b + w->frag;
    size_t n = w->frag_len;
    if (w->nitems < 2) {
        snprintf(w->why, w->cap, "compressed pixel data has no fragment");
        return -1;
    }
    const char *ts = img->transfer_syntax ? img->transfer_syntax : "";
    if (strcmp(ts, "1.2.840.10008.1.2.5") == 0) {
        uint32_t nseg = n >= 64 ? (uint32_t)f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16
                                      | (uint32_t)f[3] << 24 : 0;
        if (n < 64 || nseg != (uint32_t)(img->samples * (img->bits_allocated / 8))) {
            snprintf(w->why, w->cap, "RLE data has %u segment(s), the header needs %d", (unsigned)nseg,
                     img->samples * (img->bits_allocated / 8));
            return -1;
        }
        return 0;
    }
    if (n >= 4 && f[0] == 0xFF && f[1] == 0xD8) {
        /* JPEG family: the marker segments up to the scan must be well
         * formed, with a frame header that matches the image and Huffman
         * tables for a Huffman-coded frame, and the last fragment must end
         * the stream. GDCM's libjpeg glue asserts otherwise
         * (gdcmJPEGBITSCodec.hxx:782, found by fuzz_dicom). */
        int sof = 0, dht = 0;
        for (size_t at = 2; ; ) {
            if (at + 4 > n || f[at] != 0xFF) {
                snprintf(w->why, w->cap, "JPEG data is not a sequence of marker segments at byte %zu", at);
                return -1;
            }
            unsigned m = f[at + 1];
            if (m == 0xFF) { at++; continue; }
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD8) || m == 0xD9) {
                snprintf(w->why, w->cap, "JPEG data has marker %02X before its scan", m);
                return -1;
            }
            unsigned len = pm__be16(f + at + 2);
            if (len < 2 || at + 2 + len > n) {
                snprintf(w->why, w->cap, "JPEG marker %02X at byte %zu runs past its fragment", m, at);
                return -1;
            }
            int frame = (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xF7;
            if (frame) {
                if (len < 8 || sof)
                    return pm__mismatch(w, "JPEG", 0, 0, 0, 0, img);
                const unsigned char *h = f + at + 4;
                unsigned bits = h[0], y = pm__be16(h + 1), x = pm__be16(h + 3), c = h[5];
                if ((int)y != img->rows || (int)x != img->cols || (int)c != img->samples
                    || (int)bits > img->bits_allocated || bits == 0 || len < 8 + 3 * c)
                    return pm__mismatch(w, m == 0xF7 ? "JPEG-LS" : "JPEG", x, y, c, bits, img);
                sof = m;
            }
            dht |= m == 0xC4;
            if (m == 0xDA) {
                int huffman = sof >= 0xC0 && sof <= 0xC7;
                if (!sof || (huffman && !dht)) {
                    snprintf(w->why, w->cap, "JPEG scan without %s", sof ? "Huffman tables" : "a frame header");
                    return -1;
                }
                break;
            }
            at += 2 + len;
        }
        /* The end-of-image marker may be followed by pad bytes of any value:
         * fragments have even lengths, and encoders pad with 0x00 or with
         * whatever byte (MIDRC-RICORD frames end FF D9 xx, which GDCM and
         * dcmtk decode). Entropy-coded data never holds FF D9 (an FF there
         * is followed by 00 or a restart marker), so the last FF D9 of the
         * last fragment is the stream's end. */
        const unsigned char *l = w->b + w->last;
        size_t ln = w->last_len;
        while (ln >= 2 && !(l[ln - 2] == 0xFF && l[ln - 1] == 0xD9))
            ln--;
        if (ln < 2) {
            snprintf(w->why, w->cap, "JPEG data does not end with an end-of-image marker (truncated)");
            return -1;
        }
        return 0;
    }
    /* JPEG 2000: the SIZ segment, in a raw codestream or inside a JP2 box. */
    for (size_t at = 0; at + 4 <= n && at < 4096; at++) {
        if (!(f[at] == 0xFF && f[at + 1] == 0x4F && f[at + 2] == 0xFF && f[at + 3] == 0x51))
            continue;
        const unsigned char *h = f + at + 4;
        if (at + 4 + 38 + 3 > n)
            break;
        uint32_t xs = pm__be32(h + 4), ys = pm__be32(h + 8), xo = pm__be32(h + 12),
                 yo = pm__be32(h + 16);
        unsigned c = pm__be16(h + 36);
        unsigned bits = (h[38] & 0x7F) + 1u;
        if (xs <= xo || ys <= yo || (int64_t)(xs - xo) != img->cols || (int64_t)(ys - yo) != img->rows
            || (int)c != img->samples || (int)bits > img->bits_allocated
            || at + 4 + 38 + 3 * (size_t)c > n)
            return pm__mismatch(w, "JPEG 2000", xs > xo ? xs - xo : 0, ys > yo ? ys - yo : 0, c,
                                bits, img);
        for (unsigned k = 1; k < c; k++)
            if ((unsigned)(h[38 + 3 * k] & 0x7F) + 1u > (unsigned)img->bits_allocated)
                return pm__mismatch(w, "JPEG 2000", xs - xo, ys - yo, c,
                                    (h[38 + 3 * k] & 0x7Fu) + 1u, img);
        return 0;
    }
    snprintf(w->why, w->cap, "compressed pixel data in an unknown format for transfer syntax %s",
             ts[0] ? ts : "(none)");
    return -1;
}

#define PM__READ_MAX ((size_t)64 << 20)

/* The bytes of an open file of size bytes: read into the heap when the walk
 * goes on to the pixels (whole) and the file is a slice's size, else mapped.
 * Mapping cost a slice more than reading it: MAP_POPULATE's page tables and
 * munmap's TLB shootdown across the decoding threads were a quarter of
 * pulmo info's CPU time (LIDC). *copied says which, for
 * pm__file_bytes_free. NULL on failure. */
static const unsigned char *pm__file_bytes(int fd, size_t size, int whole, int *copied)
{
    *copied = whole && size <= PM__READ_MAX;
    if (!*copied) {
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        return map == MAP_FAILED ? NULL : map;
    }
    unsigned char *buf = malloc(size);
    size_t got = 0;
    while (buf && got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (buf && got < size) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

static void pm__file_bytes_free(const unsigned char *b, size_t size, int copied)
{
    if (copied)
        free((void *)b);
    else
        munmap((void *)b, size);
}

int pm__dicom_guard(const char *path, const pm__guard_image *img, char *why, size_t cap)
{
    int whole = img != NULL;
    snprintf(why, cap, "cannot open");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8) {
        close(fd);
        snprintf(why, cap, "%s", "too short to be DICOM");
        return -1;
    }
    size_t size = (size_t)st.st_size;
    int copied;
    const unsigned char *map = pm__file_bytes(fd, size, whole, &copied);
    close(fd);
    if (!map) {
        snprintf(why, cap, "%s", "cannot read the file");
        return -1;
    }
    pm__walk w = {map, size, 0, 0, whole, why, cap, 0, 0, 0, 0, 0, 0, 0};
    size_t pos = 0;
    int rc = 0, implicit = 0, be = 0, deflated = 0;
    if (w.n >= 132 && memcmp(w.b + 128, "DICM", 4) == 0) {
        pos = 132;
        /* After the marker GDCM guesses the encoding of whatever follows
         * (it read a 2 GB big-endian length from a little-endian file,
         * found by fuzz_dicom), so the file meta group must be there. */
        if (w.n < 140 || pm__u16(&w, pos, 0) != 0x0002) {
            pm__file_bytes_free(map, size, copied);
            snprintf(why, cap, "no file meta information after the DICM marker");
            return -1;
        }
    }
    if (pos + 8 <= w.n && pm__u16(&w, pos, 0) == 0x0002) {
        size_t meta = pos;
        rc = pm__walk_set(&w, &pos, w.n, 0, 0, 0, 1, PM__SET, 0);
        /* The transfer syntax decides how the data set is encoded. */
        for (size_t at = meta; rc == 0 && at + 8 <= pos; ) {
            unsigned e = pm__u16(&w, at + 2, 0);
            int kind = pm__vr_kind(w.b + at + 4);
            size_t hdr = kind == 4 ? 12 : 8;
            uint32_t len = kind == 4 ? pm__u32(&w, at + 8, 0) : kind == 2 ? pm__u16(&w, at + 6, 0)
                                                                          : pm__u32(&w, at + 4, 0);
            if (len == PM__UNDEFINED || at + hdr + len > pos)
                break;
            if (e == 0x0010) {
                implicit = pm__ts_is(&w, at + hdr, len, "1.2.840.10008.1.2");
                be = pm__ts_is(&w, at + hdr, len, "1.2.840.10008.1.2.2");
                deflated = pm__ts_is(&w, at + hdr, len, "1.2.840.10008.1.2.1.99");
            }
            at += hdr + len;
        }
    } else if (pos + 8 <= w.n) {
        /* No meta: GDCM guesses the encoding from the first element. */
        implicit = pm__vr_kind(w.b + pos + 4) == 0;
    }
    /* GDCM asserts (gdcmReader.cxx:385) on a file that ends with, or
     * inside, the file meta: truncation found by tests/test_malformed. */
    if (rc == 0 && pos + 8 > w.n) {
        snprintf(why, cap, "the file ends at byte %zu, before any data set (truncated)", w.n);
        rc = -1;
    }
    /* GDCM inflates a deflated data set whole, before anything can be
     * checked (a small file can inflate to gigabytes), and pulmo's pixel
     * reading never accepted one: refused here, by name. */
    if (rc == 0 && deflated) {
        snprintf(why, cap, "the Deflated Explicit VR Little Endian transfer syntax is not supported");
        rc = -1;
    }
    if (rc == 0)
        rc = pm__walk_set(&w, &pos, w.n, implicit, be, 0, 0, PM__SET, 0);
    if (rc >= 0 && img && w.nitems)
        rc = pm__check_fragment(&w, img);
    if (rc >= 0 && img && img->native && w.pix_len && !be)
        img->native(img->user, w.b + w.pix, w.pix_len);
    pm__file_bytes_free(map, size, copied);
    return rc < 0 ? -1 : 0;
}

int pm_dicom_precheck(const char *path)
{
    char why[256];
    if (pm__dicom_guard(path, NULL, why, sizeof why) != 0)
        return pm_fail(PM_ECORRUPT, "%s: %s", path, why);
    return PM_OK;
}
