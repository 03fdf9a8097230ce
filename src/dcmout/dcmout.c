/* dcmout.c - writing a Segmentation and a Secondary Capture derived from a
 * series: a minimal Explicit VR Little Endian element writer and the two
 * objects' attributes, in ascending tag order as Part 5 requires. */
#include "pulmo/dcmout.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define PM__UID_SEG "1.2.840.10008.5.1.4.1.1.66.4"
#define PM__UID_SC "1.2.840.10008.5.1.4.1.1.7"
#define PM__UID_CT "1.2.840.10008.5.1.4.1.1.2"
#define PM__UID_EXPLICIT_LE "1.2.840.10008.1.2.1"
/* pulmo's implementation class: a fixed UUID-derived UID. */
#define PM__UID_IMPL "2.25.148962345097151066312733106468871034377"

void pm_dcmout_uid(char *out, size_t cap)
{
    uint64_t r[2] = {0, 0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r[0] = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
        r[1] = (uint64_t)clock() ^ ((uint64_t)(uintptr_t)out << 17);
    }
    /* hi * 10^19 + lo < 2^64 * 10^19 < 2^128: a 128-bit integer written in
     * decimal without big-number arithmetic. */
    snprintf(out, cap, "2.25.%llu%019llu", (unsigned long long)r[0],
             (unsigned long long)(r[1] % 10000000000000000000ULL));
}

typedef struct pm__w {
    pm_buf b;
    int oom;
} pm__w;

static void pm__put(pm__w *w, const void *p, size_t n)
{
    if (!w->oom && pm_buf_add(&w->b, p, n) != PM_OK)
        w->oom = 1;
}

static void pm__u16(pm__w *w, unsigned v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    pm__put(w, b, 2);
}

static void pm__u32(pm__w *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    pm__put(w, b, 4);
}

static void pm__tag(pm__w *w, unsigned g, unsigned e)
{
    pm__u16(w, g);
    pm__u16(w, e);
}

/* One element; the value is padded to even length (NUL for UI and OB,
 * space otherwise). */
static void pm__el(pm__w *w, unsigned g, unsigned e, const char *vr, const void *v, size_t n)
{
    static const char *const long_vrs[] = {"OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR", "OD", "OL"};
    int lng = 0;
    for (size_t i = 0; i < sizeof long_vrs / sizeof *long_vrs; i++)
        lng |= !strcmp(vr, long_vrs[i]);
    size_t len = n + (n & 1);
    pm__tag(w, g, e);
    pm__put(w, vr, 2);
    if (lng) {
        pm__u16(w, 0);
        pm__u32(w, (uint32_t)len);
    } else {
        pm__u16(w, (unsigned)len);
    }
    pm__put(w, v, n);
    if (n & 1)
        pm__put(w, !strcmp(vr, "UI") || !strcmp(vr, "OB") ? "\0" : " ", 1);
}

static void pm__str(pm__w *w, unsigned g, unsigned e, const char *vr, const char *s)
{
    pm__el(w, g, e, vr, s ? s : "", s ? strlen(s) : 0);
}

static void pm__us(pm__w *w, unsigned g, unsigned e, unsigned v)
{
    pm__tag(w, g, e);
    pm__put(w, "US", 2);
    pm__u16(w, 2);
    pm__u16(w, v);
}

static void pm__int(pm__w *w, unsigned g, unsigned e, long v)
{
    char b[24];
    snprintf(b, sizeof b, "%ld", v);
    pm__str(w, g, e, "IS", b);
}

/* Decimal strings of n numbers, each at most 16 characters. */
static void pm__ds(pm__w *w, unsigned g, unsigned e, const double *v, int n)
{
    char b[256];
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        char one[32];
        double x = fabs(v[i]) < 1e-9 ? 0.0 : v[i];
        int prec = 10;
        do
            snprintf(one, sizeof one, "%.*g", prec--, x);
        while (strlen(one) > 16 && prec > 1);
        o += (size_t)snprintf(b + o, sizeof b - o, "%s%s", i ? "\\" : "", one);
    }
    pm__str(w, g, e, "DS", b);
}

static void pm__sq(pm__w *w, unsigned g, unsigned e)
{
    pm__tag(w, g, e);
    pm__put(w, "SQ", 2);
    pm__u16(w, 0);
    pm__u32(w, 0xffffffffu);
}

static void pm__sq_end(pm__w *w)
{
    pm__tag(w, 0xfffe, 0xe0dd);
    pm__u32(w, 0);
}

static void pm__item(pm__w *w)
{
    pm__tag(w, 0xfffe, 0xe000);
    pm__u32(w, 0xffffffffu);
}

static void pm__item_end(pm__w *w)
{
    pm__tag(w, 0xfffe, 0xe00d);
    pm__u32(w, 0);
}

/* A code sequence of one item. */
static void pm__code(pm__w *w, unsigned g, unsigned e, const char *value, const char *scheme,
                     const char *meaning)
{
    pm__sq(w, g, e);
    pm__item(w);
    pm__str(w, 0x0008, 0x0100, "SH", value);
    pm__str(w, 0x0008, 0x0102, "SH", scheme);
    pm__str(w, 0x0008, 0x0104, "LO", meaning);
    pm__item_end(w);
    pm__sq_end(w);
}

static void pm__now(char date[9], char time_[7])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, 9, "%Y%m%d", &tm);
    strftime(time_, 7, "%H%M%S", &tm);
}

/* Preamble, "DICM" and the file meta group. */
static void pm__meta(pm__w *w, const char *sop_class, const char *sop_uid)
{
    static const char zeros[128];
    pm__put(w, zeros, 128);
    pm__put(w, "DICM", 4);
    pm__w m = {0};
    static const uint8_t version[2] = {0, 1};
    pm__el(&m, 0x0002, 0x0001, "OB", version, 2);
    pm__str(&m, 0x0002, 0x0002, "UI", sop_class);
    pm__str(&m, 0x0002, 0x0003, "UI", sop_uid);
    pm__str(&m, 0x0002, 0x0010, "UI", PM__UID_EXPLICIT_LE);
    pm__str(&m, 0x0002, 0x0012, "UI", PM__UID_IMPL);
    pm__str(&m, 0x0002, 0x0013, "SH", "PULMO_" PM_VERSION);
    pm__tag(w, 0x0002, 0x0000);
    pm__put(w, "UL", 2);
    pm__u16(w, 4);
    pm__u32(w, (uint32_t)m.b.len);
    pm__put(w, m.b.data, m.b.len);
    w->oom |= m.oom;
    pm_buf_free(&m.b);
}

/* Patient attributes (group 0010) of the source. */
/* The identity of a new derived instance in its source study, group 0008
 * from SOP Class UID to Modality (tags in ascending order: the caller adds
 * what its IOD puts before 0008,0016 and after 0008,0060). */
static void pm__instance(pm__w *w, const pm_dicom_header *h0, const char *sop_class, const char *sop,
                         const char *modality, const char *date, const char *tm)
{
    pm__str(w, 0x0008, 0x0016, "UI", sop_class);
    pm__str(w, 0x0008, 0x0018, "UI", sop);
    pm__str(w, 0x0008, 0x0020, "DA", h0->study_date);
    pm__str(w, 0x0008, 0x0023, "DA", date);
    pm__str(w, 0x0008, 0x0030, "TM", h0->study_time);
    pm__str(w, 0x0008, 0x0033, "TM", tm);
    pm__str(w, 0x0008, 0x0050, "SH", h0->accession_number);
    pm__str(w, 0x0008, 0x0060, "CS", modality);
}

/* Manufacturer to Series Description (0008,0070..0008,103E). */
static void pm__series_text(pm__w *w, const pm_dicom_header *h0, const char *description)
{
    pm__str(w, 0x0008, 0x0070, "LO", "pulmo");
    pm__str(w, 0x0008, 0x0090, "PN", "");
    pm__str(w, 0x0008, 0x1030, "LO", h0->study_description);
    pm__str(w, 0x0008, 0x103e, "LO", description);
}

static void pm__patient(pm__w *w, const pm_dicom_header *h)
{
    pm__str(w, 0x0010, 0x0010, "PN", h->patient_name);
    pm__str(w, 0x0010, 0x0020, "LO", h->patient_id);
    pm__str(w, 0x0010, 0x0030, "DA", "");
    pm__str(w, 0x0010, 0x0040, "CS", "");
}

static int pm__save(const char *path, pm__w *w)
{
    if (w->oom) {
        pm_buf_free(&w->b);
        return pm_fail(PM_EMEMORY, "out of memory writing %s", path);
    }
    int rc = pm_write_file(path, w->b.data, w->b.len);
    pm_buf_free(&w->b);
    return rc;
}

typedef struct pm__segdef {
    int label;
    const char *name, *code, *meaning;
} pm__segdef;

/* The source file at slice k of the mask's grid: the header whose position
 * is within half a slice of the slice's origin, else -1. */
static int pm__source_of(const pm_series *s, const pm_grid *g, int k)
{
    double p[3];
    pm_grid_to_lps(g, 0, 0, k, p);
    int best = -1;
    double bd = 0.5 * g->spacing[2];
    for (int f = 0; f < s->nfiles; f++) {
        const pm_dicom_header *h = &s->headers[f];
        if (!h->has_ipp)
            continue;
        double d = sqrt((h->ipp[0] - p[0]) * (h->ipp[0] - p[0]) + (h->ipp[1] - p[1]) * (h->ipp[1] - p[1]) +
                        (h->ipp[2] - p[2]) * (h->ipp[2] - p[2]));
        if (d <= bd) {
            bd = d;
            best = f;
        }
    }
    return best;
}

static const char *pm__class_of(const pm_dicom_header *h)
{
    return h->sop_class_uid[0] ? h->sop_class_uid : PM__UID_CT;
}

int pm_dcmout_seg(const char *path, const pm_mask *m, const pm_series *s, int sides)
{
    const pm_grid *g = &m->g;
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    if (s->nfiles < 1 || nx != s->dims[0] || ny != s->dims[1] || nx > 65535 || ny > 65535)
        return pm_fail(PM_EUSAGE, "%s: the mask is not on the series' grid (a resampled mask "
                       "cannot become a DICOM SEG)", path);
    const pm_dicom_header *h0 = &s->headers[0];
    pm__segdef defs[3] = {
        {1, sides ? "Right lung" : "Lung", sides ? "3341006" : "39607008", sides ? "Right lung" : "Lung"},
        {2, "Left lung", "44029006", "Left lung"},
        {3, "Airway", "89187006", "Airway structure"},
    };
    /* Frames: every (segment, slice) with voxels of that label. */
    size_t plane = (size_t)nx * (size_t)ny;
    int *fk = malloc((size_t)nz * 3 * sizeof *fk), *fl = malloc((size_t)nz * 3 * sizeof *fl);
    int *src = malloc((size_t)nz * sizeof *src);
    if (!fk || !fl || !src) {
        free(fk), free(fl), free(src);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int nframes = 0, present[4] = {0};
    for (int d = 0; d < 3; d++)
        for (int k = 0; k < nz; k++) {
            const uint8_t *v = m->v + plane * (size_t)k;
            size_t i = 0;
            while (i < plane && v[i] != defs[d].label)
                i++;
            if (i < plane) {
                fk[nframes] = k;
                fl[nframes++] = d;
                present[d] = 1;
            }
        }
    for (int k = 0; k < nz; k++)
        src[k] = pm__source_of(s, g, k);
    if (nframes == 0) {
        free(fk), free(fl), free(src);
        return pm_fail(PM_EUSAGE, "%s: the mask has no lung or airway label to write", path);
    }

    char sop[72], series[72], dim_uid[72], for_uid[72], date[9], tm[7];
    pm_dcmout_uid(sop, sizeof sop);
    pm_dcmout_uid(series, sizeof series);
    pm_dcmout_uid(dim_uid, sizeof dim_uid);
    if (h0->frame_of_reference_uid[0])
        snprintf(for_uid, sizeof for_uid, "%s", h0->frame_of_reference_uid);
    else
        pm_dcmout_uid(for_uid, sizeof for_uid);
    pm__now(date, tm);

    pm__w w = {0};
    pm__meta(&w, PM__UID_SEG, sop);
    pm__str(&w, 0x0008, 0x0008, "CS", "DERIVED\\PRIMARY");
    pm__instance(&w, h0, PM__UID_SEG, sop, "SEG", date, tm);
    pm__series_text(&w, h0, "pulmo lung segmentation");
    pm__str(&w, 0x0008, 0x1090, "LO", "pulmo");
    /* Common Instance Reference: every source image a frame refers to. */
    pm__sq(&w, 0x0008, 0x1115);
    pm__item(&w);
    pm__sq(&w, 0x0008, 0x114a);
    for (int k = 0; k < nz; k++) {
        int dup = src[k] < 0;
        for (int j = 0; j < k && !dup; j++)
            dup = src[j] == src[k];
        if (dup)
            continue;
        pm__item(&w);
        pm__str(&w, 0x0008, 0x1150, "UI", pm__class_of(&s->headers[src[k]]));
        pm__str(&w, 0x0008, 0x1155, "UI", s->headers[src[k]].sop_uid);
        pm__item_end(&w);
    }
    pm__sq_end(&w);
    pm__str(&w, 0x0020, 0x000e, "UI", h0->series_uid);
    pm__item_end(&w);
    pm__sq_end(&w);
    pm__patient(&w, h0);
    pm__str(&w, 0x0018, 0x1000, "LO", "1");
    pm__str(&w, 0x0018, 0x1020, "LO", PM_VERSION);
    pm__str(&w, 0x0020, 0x000d, "UI", h0->study_uid);
    pm__str(&w, 0x0020, 0x000e, "UI", series);
    pm__str(&w, 0x0020, 0x0010, "SH", h0->study_id);
    pm__int(&w, 0x0020, 0x0011, 900);
    pm__int(&w, 0x0020, 0x0013, 1);
    pm__str(&w, 0x0020, 0x0052, "UI", for_uid);
    pm__str(&w, 0x0020, 0x1040, "LO", "");
    pm__sq(&w, 0x0020, 0x9221);
    pm__item(&w);
    pm__str(&w, 0x0020, 0x9164, "UI", dim_uid);
    pm__item_end(&w);
    pm__sq_end(&w);
    /* Dimensions: the segment, then the plane position. */
    pm__sq(&w, 0x0020, 0x9222);
    static const unsigned dims[2][4] = {{0x0062, 0x000b, 0x0062, 0x000a}, {0x0020, 0x0032, 0x0020, 0x9113}};
    for (int d = 0; d < 2; d++) {
        pm__item(&w);
        pm__str(&w, 0x0020, 0x9164, "UI", dim_uid);
        uint16_t at[4] = {(uint16_t)dims[d][0], (uint16_t)dims[d][1], (uint16_t)dims[d][2],
                          (uint16_t)dims[d][3]};
        uint8_t b[8];
        for (int i = 0; i < 4; i++)
            b[2 * i] = (uint8_t)at[i], b[2 * i + 1] = (uint8_t)(at[i] >> 8);
        pm__el(&w, 0x0020, 0x9165, "AT", b, 4);
        pm__el(&w, 0x0020, 0x9167, "AT", b + 4, 4);
        pm__item_end(&w);
    }
    pm__sq_end(&w);
    pm__us(&w, 0x0028, 0x0002, 1);
    pm__str(&w, 0x0028, 0x0004, "CS", "MONOCHROME2");
    pm__int(&w, 0x0028, 0x0008, nframes);
    pm__us(&w, 0x0028, 0x0010, (unsigned)ny);
    pm__us(&w, 0x0028, 0x0011, (unsigned)nx);
    pm__us(&w, 0x0028, 0x0100, 1);
    pm__us(&w, 0x0028, 0x0101, 1);
    pm__us(&w, 0x0028, 0x0102, 0);
    pm__us(&w, 0x0028, 0x0103, 0);
    pm__str(&w, 0x0028, 0x2110, "CS", "00");
    pm__str(&w, 0x0062, 0x0001, "CS", "BINARY");
    pm__sq(&w, 0x0062, 0x0002);
    for (int d = 0; d < 3; d++) {
        if (!present[d])
            continue;
        pm__item(&w);
        pm__code(&w, 0x0062, 0x0003, "123037004", "SCT", "Anatomical Structure");
        pm__us(&w, 0x0062, 0x0004, (unsigned)defs[d].label);
        pm__str(&w, 0x0062, 0x0005, "LO", defs[d].name);
        pm__str(&w, 0x0062, 0x0008, "CS", "AUTOMATIC");
        pm__str(&w, 0x0062, 0x0009, "LO", "pulmo");
        pm__code(&w, 0x0062, 0x000f, defs[d].code, "SCT", defs[d].meaning);
        pm__item_end(&w);
    }
    pm__sq_end(&w);
    pm__str(&w, 0x0070, 0x0080, "CS", "LUNGS");
    pm__str(&w, 0x0070, 0x0081, "LO", "Lungs and airway segmented by pulmo");
    pm__str(&w, 0x0070, 0x0084, "PN", "");
    /* Shared: orientation and pixel measures of the grid. */
    pm__sq(&w, 0x5200, 0x9229);
    pm__item(&w);
    pm__sq(&w, 0x0020, 0x9116);
    pm__item(&w);
    pm__ds(&w, 0x0020, 0x0037, g->dir, 6);
    pm__item_end(&w);
    pm__sq_end(&w);
    pm__sq(&w, 0x0028, 0x9110);
    pm__item(&w);
    pm__ds(&w, 0x0018, 0x0050, &g->spacing[2], 1);
    pm__ds(&w, 0x0018, 0x0088, &g->spacing[2], 1);
    double ps[2] = {g->spacing[1], g->spacing[0]};
    pm__ds(&w, 0x0028, 0x0030, ps, 2);
    pm__item_end(&w);
    pm__sq_end(&w);
    pm__item_end(&w);
    pm__sq_end(&w);
    /* Per frame: its source image, dimension indices, position, segment. */
    pm__sq(&w, 0x5200, 0x9230);
    for (int f = 0; f < nframes; f++) {
        int k = fk[f], sf = src[k];
        pm__item(&w);
        if (sf >= 0) {
            pm__sq(&w, 0x0008, 0x9124);
            pm__item(&w);
            pm__sq(&w, 0x0008, 0x2112);
            pm__item(&w);
            pm__str(&w, 0x0008, 0x1150, "UI", pm__class_of(&s->headers[sf]));
            pm__str(&w, 0x0008, 0x1155, "UI", s->headers[sf].sop_uid);
            pm__code(&w, 0x0040, 0xa170, "121322", "DCM", "Source image for image processing operation");
            pm__item_end(&w);
            pm__sq_end(&w);
            pm__code(&w, 0x0008, 0x9215, "113076", "DCM", "Segmentation");
            pm__item_end(&w);
            pm__sq_end(&w);
        }
        pm__sq(&w, 0x0020, 0x9111);
        pm__item(&w);
        uint8_t idx[8];
        uint32_t iv[2] = {(uint32_t)defs[fl[f]].label, (uint32_t)k + 1};
        for (int i = 0; i < 2; i++)
            for (int b = 0; b < 4; b++)
                idx[4 * i + b] = (uint8_t)(iv[i] >> (8 * b));
        pm__el(&w, 0x0020, 0x9157, "UL", idx, 8);
        pm__item_end(&w);
        pm__sq_end(&w);
        pm__sq(&w, 0x0020, 0x9113);
        pm__item(&w);
        double p[3];
        pm_grid_to_lps(g, 0, 0, k, p);
        pm__ds(&w, 0x0020, 0x0032, p, 3);
        pm__item_end(&w);
        pm__sq_end(&w);
        pm__sq(&w, 0x0062, 0x000a);
        pm__item(&w);
        pm__us(&w, 0x0062, 0x000b, (unsigned)defs[fl[f]].label);
        pm__item_end(&w);
        pm__sq_end(&w);
        pm__item_end(&w);
    }
    pm__sq_end(&w);
    /* One bit per pixel, frames back to back, least significant bit first. */
    size_t nbits = plane * (size_t)nframes, nbytes = (nbits + 7) / 8;
    uint8_t *bits = calloc(nbytes + 1, 1);
    if (!bits)
        w.oom = 1;
    else {
        size_t bit = 0;
        for (int f = 0; f < nframes; f++) {
            const uint8_t *v = m->v + plane * (size_t)fk[f];
            uint8_t l = (uint8_t)defs[fl[f]].label;
            for (size_t i = 0; i < plane; i++, bit++)
                if (v[i] == l)
                    bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
        }
        pm__el(&w, 0x7fe0, 0x0010, "OB", bits, nbytes);
        free(bits);
    }
    free(fk), free(fl), free(src);
    return pm__save(path, &w);
}

int pm_dcmout_sc(const char *path, const pm_fb *fb, const pm_series *s, const char *comments)
{
    if (s->nfiles < 1 || fb->w < 1 || fb->h < 1 || fb->w > 65535 || fb->h > 65535)
        return pm_fail(PM_EUSAGE, "%s: nothing to write", path);
    const pm_dicom_header *h0 = &s->headers[0];
    char sop[72], series[72], date[9], tm[7];
    pm_dcmout_uid(sop, sizeof sop);
    pm_dcmout_uid(series, sizeof series);
    pm__now(date, tm);
    pm__w w = {0};
    pm__meta(&w, PM__UID_SC, sop);
    pm__str(&w, 0x0008, 0x0008, "CS", "DERIVED\\SECONDARY");
    pm__instance(&w, h0, PM__UID_SC, sop, "OT", date, tm);
    pm__str(&w, 0x0008, 0x0064, "CS", "WSD");
    pm__series_text(&w, h0, "pulmo triage sheet");
    pm__patient(&w, h0);
    pm__str(&w, 0x0018, 0x1020, "LO", PM_VERSION);
    pm__str(&w, 0x0020, 0x000d, "UI", h0->study_uid);
    pm__str(&w, 0x0020, 0x000e, "UI", series);
    pm__str(&w, 0x0020, 0x0010, "SH", h0->study_id);
    pm__int(&w, 0x0020, 0x0011, 901);
    pm__int(&w, 0x0020, 0x0013, 1);
    pm__str(&w, 0x0020, 0x0020, "CS", "");
    pm__str(&w, 0x0020, 0x0060, "CS", "");
    if (comments)
        pm__str(&w, 0x0020, 0x4000, "LT", comments);
    pm__us(&w, 0x0028, 0x0002, 3);
    pm__str(&w, 0x0028, 0x0004, "CS", "RGB");
    pm__us(&w, 0x0028, 0x0006, 0);
    pm__us(&w, 0x0028, 0x0010, (unsigned)fb->h);
    pm__us(&w, 0x0028, 0x0011, (unsigned)fb->w);
    pm__us(&w, 0x0028, 0x0100, 8);
    pm__us(&w, 0x0028, 0x0101, 8);
    pm__us(&w, 0x0028, 0x0102, 7);
    pm__us(&w, 0x0028, 0x0103, 0);
    pm__el(&w, 0x7fe0, 0x0010, "OB", fb->rgb, (size_t)fb->w * (size_t)fb->h * 3);
    return pm__save(path, &w);
}
