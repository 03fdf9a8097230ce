/* rtstruct.c - reading a DICOM RT Structure Set into ROIs of polygons, and
 * matching ROI names.
 *
 * The file is walked through the adapter's data-set accessors (dicom.h):
 * StructureSetROISequence gives numbers and names, ROIContourSequence the
 * polygons per ROI number, ReferencedFrameOfReferenceSequence the CT series.
 * ContourData is a decimal-string list; its parsed length, not the declared
 * NumberOfContourPoints, decides how many points a polygon has, so a header
 * that lies about the count cannot make pulmo read past the values.
 */
#include "pulmo/refmask.h"
#include "pulmo/dicom.h"
#include "pulmo/text.h"

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define T_SOP_CLASS TAG(0x0008, 0x0016)
#define T_MODALITY TAG(0x0008, 0x0060)
#define T_PATIENT_ID TAG(0x0010, 0x0020)
#define T_SERIES_UID TAG(0x0020, 0x000e)
#define T_FRAME_UID TAG(0x0020, 0x0052)
#define T_REF_FRAME_SEQ TAG(0x3006, 0x0010)
#define T_REF_STUDY_SEQ TAG(0x3006, 0x0012)
#define T_REF_SERIES_SEQ TAG(0x3006, 0x0014)
#define T_ROI_SEQ TAG(0x3006, 0x0020)
#define T_ROI_NUMBER TAG(0x3006, 0x0022)
#define T_ROI_NAME TAG(0x3006, 0x0026)
#define T_CONTOUR_ROI_SEQ TAG(0x3006, 0x0039)
#define T_CONTOUR_SEQ TAG(0x3006, 0x0040)
#define T_CONTOUR_TYPE TAG(0x3006, 0x0042)
#define T_CONTOUR_DATA TAG(0x3006, 0x0050)
#define T_REF_ROI_NUMBER TAG(0x3006, 0x0084)

#define RTSTRUCT_CLASS "1.2.840.10008.5.1.4.1.1.481.3"

static int pm__int_of(const pm_dicom_node *n, uint32_t tag, int def)
{
    char b[32];
    if (!pm_dicom_string(n, tag, b, sizeof b) || !b[0])
        return def;
    char *end;
    long v = strtol(b, &end, 10);
    return end == b || v < -1000000000L || v > 1000000000L ? def : (int)v;
}

/* Parses a backslash-separated decimal list of len bytes (not
 * NUL-terminated) into a new array; *n gets the count of numbers read
 * before the first one that does not parse. NULL when out of memory. */
static double *pm__parse_ds(const char *s, size_t len, int *n)
{
    char *buf = malloc(len + 1);
    double *v = malloc((len / 2 + 1) * sizeof *v);  /* each value takes at least 2 bytes with its separator */
    *n = 0;
    if (!buf || !v) {
        free(buf);
        free(v);
        return NULL;
    }
    memcpy(buf, s, len);
    buf[len] = 0;
    int got = pm_dicom_parse_ds(buf, v, len / 2 + 1 > INT_MAX ? INT_MAX : (int)(len / 2 + 1));
    /* Coordinates past a kilometre are damage: the contour ends there. */
    while (*n < got && fabs(v[*n]) <= 1e9)
        (*n)++;
    free(buf);
    return v;
}

static int pm__read_contours(pm_dicom_file *f, const pm_dicom_node *item, pm_roi *r)
{
    int nc = pm_dicom_items(f, item, T_CONTOUR_SEQ);
    if (nc <= 0)
        return PM_OK;
    r->contours = calloc((size_t)nc, sizeof *r->contours);
    if (!r->contours)
        return PM_EMEMORY;
    for (int c = 0; c < nc; c++) {
        const pm_dicom_node *ci = pm_dicom_item(f, item, T_CONTOUR_SEQ, c);
        char type[32];
        pm_dicom_string(ci, T_CONTOUR_TYPE, type, sizeof type);
        size_t len;
        const char *data = pm_dicom_bytes(ci, T_CONTOUR_DATA, &len);
        /* A missing type is taken as closed: older exports leave it out. */
        int closed = !type[0] || !strncmp(type, "CLOSED_PLANAR", 13);
        if (!closed || !data || len == 0) {
            r->nskipped++;
            continue;
        }
        int n;
        double *xyz = pm__parse_ds(data, len, &n);
        if (!xyz)
            return PM_EMEMORY;
        if (n / 3 < 3) {
            free(xyz);
            r->nskipped++;
            continue;
        }
        r->contours[r->ncontours].npts = n / 3;
        r->contours[r->ncontours].xyz = xyz;
        r->ncontours++;
    }
    return PM_OK;
}

static int pm__read(const char *path, pm_dicom_file *f, pm_rtstruct *rs)
{
    const pm_dicom_node *root = pm_dicom_root(f);
    char sop[72], mod[20];
    pm_dicom_string(root, T_SOP_CLASS, sop, sizeof sop);
    pm_dicom_string(root, T_MODALITY, mod, sizeof mod);
    pm_text_clean_inplace(mod);
    if (strcmp(sop, RTSTRUCT_CLASS) && strcmp(mod, "RTSTRUCT"))
        return pm_fail(PM_ENODATA, "%s: not an RT Structure Set (modality '%s')", path, mod);
    char raw[136];
    pm_dicom_string(root, T_PATIENT_ID, raw, sizeof raw);
    pm_text_clean(rs->patient_id, sizeof rs->patient_id, raw);
    const pm_dicom_node *fr = pm_dicom_item(f, root, T_REF_FRAME_SEQ, 0);
    if (fr) {
        pm_dicom_string(fr, T_FRAME_UID, raw, sizeof raw);
        pm_text_clean(rs->frame_uid, sizeof rs->frame_uid, raw);
        const pm_dicom_node *st = pm_dicom_item(f, fr, T_REF_STUDY_SEQ, 0);
        const pm_dicom_node *se = st ? pm_dicom_item(f, st, T_REF_SERIES_SEQ, 0) : NULL;
        if (se) {
            pm_dicom_string(se, T_SERIES_UID, raw, sizeof raw);
            pm_text_clean(rs->series_uid, sizeof rs->series_uid, raw);
        }
    }
    int nroi = pm_dicom_items(f, root, T_ROI_SEQ);
    if (nroi <= 0)
        return pm_fail(PM_ECORRUPT, "%s: RT Structure Set without ROIs", path);
    rs->rois = calloc((size_t)nroi, sizeof *rs->rois);
    if (!rs->rois)
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    for (int i = 0; i < nroi; i++) {
        const pm_dicom_node *it = pm_dicom_item(f, root, T_ROI_SEQ, i);
        pm_roi *r = &rs->rois[rs->nrois++];
        r->number = pm__int_of(it, T_ROI_NUMBER, -1);
        pm_dicom_string(it, T_ROI_NAME, raw, sizeof raw);
        pm_text_clean(r->name, sizeof r->name, raw);
    }
    int nrc = pm_dicom_items(f, root, T_CONTOUR_ROI_SEQ);
    for (int i = 0; i < nrc; i++) {
        const pm_dicom_node *it = pm_dicom_item(f, root, T_CONTOUR_ROI_SEQ, i);
        int num = pm__int_of(it, T_REF_ROI_NUMBER, -2);
        for (int k = 0; k < rs->nrois; k++) {
            pm_roi *r = &rs->rois[k];
            /* A second ROIContour item for the same ROI is not allowed; the
             * first one wins rather than leaking the earlier polygons. */
            if (r->number != num || r->contours)
                continue;
            if (pm__read_contours(f, it, r) != PM_OK)
                return pm_fail(PM_EMEMORY, "%s: out of memory reading contours", path);
            break;
        }
    }
    return PM_OK;
}

int pm_rtstruct_read(const char *path, pm_rtstruct **out)
{
    pm_dicom_file *f;
    int st = pm_dicom_open(path, &f);
    if (st != PM_OK)
        return st;
    pm_rtstruct *rs = calloc(1, sizeof *rs);
    if (!rs) {
        pm_dicom_close(f);
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    }
    st = pm__read(path, f, rs);
    pm_dicom_close(f);
    if (st != PM_OK) {
        pm_rtstruct_free(rs);
        return st;
    }
    *out = rs;
    return PM_OK;
}

void pm_rtstruct_free(pm_rtstruct *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->nrois; i++) {
        for (int c = 0; c < rs->rois[i].ncontours; c++)
            free(rs->rois[i].contours[c].xyz);
        free(rs->rois[i].contours);
    }
    free(rs->rois);
    free(rs);
}

int pm_roi_label(const char *name)
{
    char k[72];
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < sizeof k; p++)
        if (isalpha((unsigned char)*p))
            k[n++] = (char)tolower((unsigned char)*p);
    k[n] = 0;
    static const struct { const char *key; int label; } names[] = {
        {"lungright", 1}, {"lungr", 1}, {"rightlung", 1}, {"rlung", 1}, {"lungrt", 1},
        {"lungleft", 2}, {"lungl", 2}, {"leftlung", 2}, {"llung", 2}, {"lunglt", 2},
        {"airway", 3}, {"airways", 3}, {"trachea", 3},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(k, names[i].key))
            return names[i].label;
    return 0;
}

int pm_roi_match(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, FNM_CASEFOLD) == 0;
}
