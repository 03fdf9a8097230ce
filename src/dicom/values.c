/* values.c - the plain C half of the GDCM adapter: DICOM value parsing,
 * object classes, pixel checks and unpacking, and the capture of the codecs'
 * messages. gdcm_adapter.cpp holds the GDCM calls only (see adapter_c.h).
 */
#include "adapter_c.h"
#include "pulmo/core.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* OpenJPEG reports a broken JPEG 2000 frame through the error handler GDCM
 * installs, and GDCM's handler (gdcm_error_callback in
 * gdcmJPEG2000Codec.cxx) writes every message to stderr, past gdcm::Trace:
 * a broken series printed hundreds of lines. pulmo's definition of
 * opj_set_error_handler takes precedence over libopenjp2's for GDCM's call
 * (the executable's symbols come first), and installs a handler that
 * counts the messages of the decode on this thread instead, for the loader
 * to report once per series (pm_dicom_decoder_messages). */
static _Thread_local int codec_messages;
static _Thread_local char codec_first[200];

static void capture_codec_message(const char *msg, void *user)
{
    (void)user;
    if (codec_messages++ == 0 && msg) {
        size_t n = 0;
        for (const char *p = msg; *p && n + 1 < sizeof codec_first; p++)
            if ((unsigned char)*p >= 0x20 && *p != 0x7f)
                codec_first[n++] = *p;
        codec_first[n] = '\0';
    }
}

typedef int (*pm__opj_setter)(void *, void (*)(const char *, void *), void *);

int opj_set_error_handler(void *codec, void (*callback)(const char *, void *), void *user);
int opj_set_error_handler(void *codec, void (*callback)(const char *, void *), void *user)
{
    (void)callback;
    pm__opj_setter real;   /* looked up per call: once per decode, and no shared state */
    *(void **)&real = dlsym(RTLD_NEXT, "opj_set_error_handler");
    return real ? real(codec, capture_codec_message, user) : 0;
}

/* GDCM's JPEG codecs (three builds of IJG libjpeg, for 8, 12 and 16 bits)
 * keep libjpeg's standard output_message, which prints warnings such as
 * "Corrupt JPEG data: premature end of data segment" to stderr. Each
 * jpeg_std_error is wrapped so that its error manager captures them
 * instead. Only the head of IJG's jpeg_error_mgr is declared: its first
 * four members are the same in every libjpeg (jpeglib.h), and a libjpeg
 * object (j_common_ptr) starts with its error manager. */
typedef struct ijg_error_mgr {
    void (*error_exit)(void *);
    void (*emit_message)(void *, int);
    void (*output_message)(void *);
    void (*format_message)(void *, char *);
} ijg_error_mgr;

static void capture_jpeg_message(void *cinfo)
{
    char msg[200];   /* JMSG_LENGTH_MAX */
    ijg_error_mgr *err = *(ijg_error_mgr **)cinfo;
    msg[0] = '\0';
    err->format_message(cinfo, msg);
    capture_codec_message(msg, NULL);
}

static void *wrap_std_error(void *err, const char *name)
{
    void *(*real)(void *);
    *(void **)&real = dlsym(RTLD_NEXT, name);
    if (!real)
        return err;
    ijg_error_mgr *r = real(err);
    if (r)
        r->output_message = capture_jpeg_message;
    return r;
}

#define PM__JPEG_STD_ERROR(name)                                                             \
    void *name(void *err);                                                                   \
    void *name(void *err) { return wrap_std_error(err, #name); }
PM__JPEG_STD_ERROR(gdcmjpeg8_jpeg_std_error)
PM__JPEG_STD_ERROR(gdcmjpeg12_jpeg_std_error)
PM__JPEG_STD_ERROR(gdcmjpeg16_jpeg_std_error)

int pm_dicom_decoder_messages(char *first, size_t cap)
{
    if (first && cap)
        snprintf(first, cap, "%s", codec_messages ? codec_first : "");
    return codec_messages;
}

void pm__codec_messages_reset(void)
{
    codec_messages = 0;
    codec_first[0] = '\0';
}

int pm__codec_messages(const char **first)
{
    *first = codec_first;
    return codec_messages;
}

int pm_dicom_probe(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char b[132];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n == sizeof b && memcmp(b + 128, "DICM", 4) == 0)
        return 1;
    /* A raw data set (no preamble) starts with a small group number, little
     * endian, at an even tag: accept groups 0002, 0008 and 0010 only, which
     * rules out text (JSON, XML, CSV) and compressed NIfTI. */
    if (n >= 8 && b[1] == 0 && (b[0] == 0x02 || b[0] == 0x08 || b[0] == 0x10) && b[3] == 0 &&
        (b[2] % 2) == 0)
        return 1;
    return 0;
}

int pm__dicom_check_file(const char *path)
{
    int pr = pm_dicom_probe(path);
    if (pr < 0)
        return pm_fail(PM_ECORRUPT, "%s: cannot open", path);
    if (pr == 0)
        return pm_fail(PM_ENODATA, "%s: not a DICOM file", path);
    return pm_dicom_precheck(path);
}

int pm_dicom_parse_ds(const char *s, double *out, int n)
{
    int k = 0;
    const char *p = s;
    while (k < n && *p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v))
            return k;
        out[k++] = v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == '\\')
            p++;
        else
            break;
    }
    return k;
}

int pm__dicom_parse_is(const char *s, int def)
{
    double v;
    if (pm_dicom_parse_ds(s, &v, 1) != 1 || v < -2e9 || v > 2e9)
        return def;
    return (int)v;
}

void pm__dicom_ds_list(const double *v, int n, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && at < cap; i++) {
        int w = snprintf(buf + at, cap - at, "%s%.6g", i ? "\\" : "", v[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define PM__STORAGE "1.2.840.10008.5.1.4.1.1."

/* DICOM objects that hold no image to load: the DICOMDIR, structure sets
 * and plans, reports, segmentations, presentation states, registrations,
 * documents, waveforms. A folder of images often holds some; they are not
 * broken images, so the index passes over them without a word. */
int pm__dicom_non_image(const char *sop, const char *modality)
{
    static const char *const modalities[] = {"RTSTRUCT", "RTPLAN", "RTRECORD", "SR",  "SEG",
                                             "PR",       "KO",     "REG",      "FID", "DOC",
                                             "RWV",      "AU",     "ECG",      "HD",  "PLAN"};
    for (size_t i = 0; i < sizeof modalities / sizeof *modalities; i++)
        if (strcmp(modality, modalities[i]) == 0)
            return 1;
    if (strcmp(sop, "1.2.840.10008.1.3.10") == 0)   /* Media Storage Directory (DICOMDIR) */
        return 1;
    if (!starts_with(sop, PM__STORAGE))
        return 0;
    const char *kind = sop + strlen(PM__STORAGE);
    /* 88 SR and key objects, 11 presentation states, 66 raw data,
     * registrations, segmentations and surfaces, 67 value maps, 104
     * encapsulated documents, 9 waveforms, 481.3-9 RT structures, plans
     * and records (481.1 RT Image and 481.2 RT Dose are images). */
    static const char *const classes[] = {"88.", "11.", "66", "67", "104.", "9.", "481.3",
                                          "481.4", "481.5", "481.6", "481.7", "481.8", "481.9"};
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (starts_with(kind, classes[i]))
            return 1;
    return 0;
}

int pm__dicom_is_image(const char *sop, const char *modality)
{
    static const char *const imaging[] = {"CT", "MR", "PT", "NM", "CR", "DX",
                                          "MG", "XA", "RF", "US", "OT"};
    int image = starts_with(sop, PM__STORAGE);
    for (size_t i = 0; i < sizeof imaging / sizeof *imaging; i++)
        image = image || strcmp(modality, imaging[i]) == 0;
    return image;
}

long long pm__file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int pm__dicom_pixels_precheck(const char *path, const pm_dicom_header *h)
{
    if (h->samples_per_pixel != 1)
        return pm_fail(PM_ECORRUPT, "%s: %d samples per pixel (colour) is not a CT image",
                       path, h->samples_per_pixel);
    if (h->frames > 1)
        return pm_fail(PM_ECORRUPT, "%s: multi-frame images (%d frames) are not supported",
                       path, h->frames);
    int ba = h->bits_allocated;
    if (ba != 8 && ba != 16 && ba != 32)
        return pm_fail(PM_ECORRUPT, "%s: unsupported BitsAllocated %d", path, ba);
    if (h->rows <= 0 || h->cols <= 0)
        return pm_fail(PM_ECORRUPT, "%s: image has no rows or columns", path);
    /* Sizes from headers are not trusted: uncompressed pixel data cannot be
     * larger than the file, so refuse before allocating for it. */
    size_t need = (size_t)h->rows * (size_t)h->cols * (size_t)(ba / 8);
    if (!h->compressed && h->file_size >= 0 && (long long)need > h->file_size)
        return pm_fail(PM_ECORRUPT,
                       "%s: header declares %dx%d pixels (%zu bytes) but the file has %lld bytes",
                       path, h->cols, h->rows, need, h->file_size);
    return PM_OK;
}

/* 64 stored 16-bit pixels of bs <= 16 bits; a fixed count over restrict
 * pointers is what the compiler vectorises at -O2. Shifting the stored bits
 * to the top and back (an arithmetic shift) sign-extends them. */
static void pm__unpack64(const unsigned char *restrict b, int sgn, int sh, int32_t *restrict o)
{
    if (sgn) {
        for (int j = 0; j < 64; j++)
            o[j] = (int32_t)((uint32_t)(b[2 * j] | b[2 * j + 1] << 8) << sh) >> sh;
    } else {
        for (int j = 0; j < 64; j++)
            o[j] = (int32_t)(((uint32_t)(b[2 * j] | b[2 * j + 1] << 8) << sh) >> sh);
    }
}

void pm__dicom_unpack(const char *buf, size_t npix, int ba, int bs, int sgn, int32_t *out)
{
    uint32_t mask = bs >= 32 ? 0xffffffffu : ((1u << bs) - 1u);
    uint32_t sbit = bs >= 32 ? 0x80000000u : (1u << (bs - 1));
    size_t i = 0;
    if (ba == 16 && bs <= 16)   /* the CT case */
        for (; i + 64 <= npix; i += 64)
            pm__unpack64((const unsigned char *)buf + 2 * i, sgn, 32 - bs, out + i);
    for (; i < npix; i++) {
        uint32_t v;
        if (ba == 8) {
            v = (uint8_t)buf[i];
        } else if (ba == 16) {
            uint16_t x;
            memcpy(&x, buf + 2 * i, 2);
            v = x;
        } else {
            memcpy(&v, buf + 4 * i, 4);
        }
        v &= mask;
        int64_t s = v;
        if (sgn && (v & sbit))
            s = (int64_t)v - ((int64_t)mask + 1);
        if (s > INT32_MAX)
            s = INT32_MAX;
        out[i] = (int32_t)s;
    }
}

void pm__dicom_native_unpack(void *user, const unsigned char *pixels, size_t len)
{
    pm__native_read *nr = user;
    if (len < nr->need)
        return;
    pm__dicom_unpack((const char *)pixels, nr->npix, nr->ba, nr->bs, nr->sgn, nr->out);
    nr->done = 1;
}
