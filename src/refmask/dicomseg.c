/* dicomseg.c - DICOM Segmentation objects (binary or fractional) as label
 * masks on their own grid.
 *
 * A SEG stores one frame per (segment, slice) with its own position in the
 * per-frame functional groups and the orientation and spacing in the shared
 * ones (or per frame). The frames' positions along the slice normal give the
 * grid's slices: the distinct positions, spaced by their median gap, so a
 * SEG that covers only the slices holding a segment still lands on the right
 * slices. Binary frames are packed 8 pixels a byte, least significant bit
 * first, and frames follow each other without padding. Fractional frames
 * (one byte a pixel) count as set from half their maximum.
 */
#include "pulmo/refmask.h"
#include "pulmo/dicom.h"
#include "pulmo/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define T_SOP_CLASS TAG(0x0008, 0x0016)
#define T_MODALITY TAG(0x0008, 0x0060)
#define T_ROWS TAG(0x0028, 0x0010)
#define T_COLS TAG(0x0028, 0x0011)
#define T_FRAMES TAG(0x0028, 0x0008)
#define T_BITS TAG(0x0028, 0x0100)
#define T_PIXEL_SPACING TAG(0x0028, 0x0030)
#define T_IPP TAG(0x0020, 0x0032)
#define T_IOP TAG(0x0020, 0x0037)
#define T_PIXEL_DATA TAG(0x7fe0, 0x0010)
#define T_SEG_TYPE TAG(0x0062, 0x0001)
#define T_SEGMENTS TAG(0x0062, 0x0002)
#define T_SEG_NUMBER TAG(0x0062, 0x0004)
#define T_SEG_LABEL TAG(0x0062, 0x0005)
#define T_SEG_ID_SEQ TAG(0x0062, 0x000a)
#define T_REF_SEG_NUMBER TAG(0x0062, 0x000b)
#define T_MAX_FRACTIONAL TAG(0x0062, 0x000e)
#define T_PIXEL_MEASURES TAG(0x0028, 0x9110)
#define T_PLANE_POSITION TAG(0x0020, 0x9113)
#define T_PLANE_ORIENTATION TAG(0x0020, 0x9116)
#define T_SHARED TAG(0x5200, 0x9229)
#define T_PER_FRAME TAG(0x5200, 0x9230)

#define SEG_CLASS "1.2.840.10008.5.1.4.1.1.66.4"

static int pm__ds(const pm_dicom_node *n, uint32_t tag, double *out, int k)
{
    char b[256];
    if (!n || !pm_dicom_string(n, tag, b, sizeof b))
        return 0;
    return pm_dicom_parse_ds(b, out, k) == k;
}

/* The functional group item `seq` of frame f: per-frame first, else shared. */
static const pm_dicom_node *pm__group(pm_dicom_file *f, const pm_dicom_node *frame,
                                      const pm_dicom_node *shared, uint32_t seq)
{
    const pm_dicom_node *n = frame ? pm_dicom_item(f, frame, seq, 0) : NULL;
    return n ? n : shared ? pm_dicom_item(f, shared, seq, 0) : NULL;
}

static int pm__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct pm__frame {
    double ipp[3];
    int segment;
} pm__frame;

int pm_dicomseg_read(const char *path, const pm_refmask_opts *o, pm_refmask *r)
{
    pm_dicom_file *f;
    int st = pm_dicom_open(path, &f);
    if (st != PM_OK)
        return st;
    const pm_dicom_node *root = pm_dicom_root(f);
    pm__frame *fr = NULL;
    double *pos = NULL;
    char sop[72], mod[20], type[20];
    pm_dicom_string(root, T_SOP_CLASS, sop, sizeof sop);
    pm_dicom_string(root, T_MODALITY, mod, sizeof mod);
    pm_dicom_string(root, T_SEG_TYPE, type, sizeof type);
    pm_text_clean_inplace(mod);
    int rows = pm_dicom_us(root, T_ROWS, 0), cols = pm_dicom_us(root, T_COLS, 0);
    int bits = pm_dicom_us(root, T_BITS, 0), maxfrac = pm_dicom_us(root, T_MAX_FRACTIONAL, 255);
    double nf_d = 0;
    pm__ds(root, T_FRAMES, &nf_d, 1);
    int nf = nf_d >= 1 && nf_d < 1e6 ? (int)nf_d : 0;
    const pm_dicom_node *shared = pm_dicom_item(f, root, T_SHARED, 0);
    if (strcmp(sop, SEG_CLASS) && strcmp(mod, "SEG")) {
        st = pm_fail(PM_ENODATA, "%s: not a DICOM Segmentation (modality '%s')", path, mod);
        goto done;
    }
    if (rows <= 0 || cols <= 0 || nf <= 0 || (bits != 1 && bits != 8)) {
        st = pm_fail(PM_ECORRUPT, "%s: SEG with %dx%d pixels, %d frames, %d bits is not readable", path, cols,
                     rows, nf, bits);
        goto done;
    }
    if (pm_dicom_items(f, root, T_PER_FRAME) < nf) {
        st = pm_fail(PM_ECORRUPT, "%s: fewer per-frame groups than the %d frames", path, nf);
        goto done;
    }
    size_t fpix = (size_t)rows * (size_t)cols, need = bits == 1 ? (fpix * (size_t)nf + 7) / 8 : fpix * (size_t)nf;
    size_t len;
    const unsigned char *pix = (const unsigned char *)pm_dicom_bytes(root, T_PIXEL_DATA, &len);
    if (!pix || len < need) {
        st = pm_fail(PM_ECORRUPT, "%s: pixel data %s (%zu of %zu bytes; compressed SEG is not read)", path,
                     pix ? "is short" : "missing", pix ? len : 0, need);
        goto done;
    }
    /* Geometry of the first frame; every frame must share the orientation. */
    const pm_dicom_node *f0 = pm_dicom_item(f, root, T_PER_FRAME, 0);
    double iop[6], sp[2];
    if (!pm__ds(pm__group(f, f0, shared, T_PLANE_ORIENTATION), T_IOP, iop, 6)
        || !pm__ds(pm__group(f, f0, shared, T_PIXEL_MEASURES), T_PIXEL_SPACING, sp, 2) || !(sp[0] > 0)
        || !(sp[1] > 0)) {
        st = pm_fail(PM_ECORRUPT, "%s: SEG without orientation or pixel spacing", path);
        goto done;
    }
    double n[3] = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
                   iop[0] * iop[4] - iop[1] * iop[3]};
    double nn = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    fr = calloc((size_t)nf, sizeof *fr);
    pos = calloc((size_t)nf, sizeof *pos);
    if (!fr || !pos || !(nn > 1e-6)) {
        st = fr && pos ? pm_fail(PM_ECORRUPT, "%s: degenerate orientation", path) : pm_fail(PM_EMEMORY, "out of memory");
        goto done;
    }
    for (int i = 0; i < 3; i++)
        n[i] /= nn;
    for (int k = 0; k < nf; k++) {
        const pm_dicom_node *fi = pm_dicom_item(f, root, T_PER_FRAME, k);
        const pm_dicom_node *id = pm__group(f, fi, shared, T_SEG_ID_SEQ);
        fr[k].segment = id ? pm_dicom_us(id, T_REF_SEG_NUMBER, 0) : 0;
        if (!pm__ds(pm__group(f, fi, shared, T_PLANE_POSITION), T_IPP, fr[k].ipp, 3)) {
            st = pm_fail(PM_ECORRUPT, "%s: frame %d has no position", path, k + 1);
            goto done;
        }
        pos[k] = fr[k].ipp[0] * n[0] + fr[k].ipp[1] * n[1] + fr[k].ipp[2] * n[2];
    }
    qsort(pos, (size_t)nf, sizeof *pos, pm__cmp_double);
    int nu = 0;
    for (int k = 0; k < nf; k++)
        if (nu == 0 || pos[k] - pos[nu - 1] > 1e-3)
            pos[nu++] = pos[k];
    double dz = 1;
    if (nu > 1) {
        double *gap = malloc((size_t)nu * sizeof *gap);
        if (!gap) {
            st = pm_fail(PM_EMEMORY, "out of memory");
            goto done;
        }
        for (int k = 1; k < nu; k++)
            gap[k - 1] = pos[k] - pos[k - 1];
        qsort(gap, (size_t)nu - 1, sizeof *gap, pm__cmp_double);
        dz = gap[(nu - 1) / 2];
        free(gap);
    }
    double span = (pos[nu - 1] - pos[0]) / dz;
    if (span > 10000) {
        st = pm_fail(PM_ECORRUPT, "%s: frames spread over %.0f slices", path, span);
        goto done;
    }
    pm_grid g;
    memset(&g, 0, sizeof g);
    g.dim[0] = cols;
    g.dim[1] = rows;
    g.dim[2] = (int)lround(span) + 1;
    g.spacing[0] = sp[1];
    g.spacing[1] = sp[0];
    g.spacing[2] = dz;
    for (int i = 0; i < 3; i++) {
        g.dir[i] = iop[i];
        g.dir[3 + i] = iop[3 + i];
        g.dir[6 + i] = n[i];
    }
    /* Origin: the first frame's position moved along the normal to the
     * lowest slice (frames of one plane share their in-plane origin). */
    double d0 = fr[0].ipp[0] * n[0] + fr[0].ipp[1] * n[1] + fr[0].ipp[2] * n[2];
    for (int i = 0; i < 3; i++)
        g.origin[i] = fr[0].ipp[i] + (pos[0] - d0) * n[i];
    if (!(r->labels = pm_mask_new(&g))) {
        st = PM_EMEMORY;
        goto done;
    }
    /* Labels per segment number: by name, else the number itself. */
    uint8_t lab[256] = {0};
    int ignored[sizeof lab] = {0};
    int nseg = pm_dicom_items(f, root, T_SEGMENTS);
    for (int s = 0; s < nseg; s++) {
        const pm_dicom_node *it = pm_dicom_item(f, root, T_SEGMENTS, s);
        int num = pm_dicom_us(it, T_SEG_NUMBER, -1);
        char raw[72], name[72];
        pm_dicom_string(it, T_SEG_LABEL, raw, sizeof raw);
        pm_text_clean(name, sizeof name, raw);
        if (num < 1 || num >= (int)sizeof lab)
            continue;
        for (int k = 0; o && k < o->nignore; k++)
            ignored[num] |= pm_roi_match(o->ignore[k], name);
        int l = pm_roi_label(name);
        if (!l && num < 255)
            l = num;
        if (ignored[num]) {
            size_t used = strlen(r->ignored);
            snprintf(r->ignored + used, sizeof r->ignored - used, "%s%s", used ? "," : "", name);
            continue;
        }
        lab[num] = (uint8_t)l;
        if (l && !r->name[l][0])
            snprintf(r->name[l], sizeof r->name[l], "%s", name);
        r->present[l] = l != 0;
    }
    for (int k = 0; k < nf; k++) {
        int s = fr[k].segment;
        if (s < 1 || s >= (int)sizeof lab || (!lab[s] && !ignored[s]))
            continue;
        if (ignored[s] && !r->ignore && !(r->ignore = pm_mask_new(&g))) {
            st = PM_EMEMORY;
            goto done;
        }
        double d = fr[k].ipp[0] * n[0] + fr[k].ipp[1] * n[1] + fr[k].ipp[2] * n[2];
        int z = (int)lround((d - pos[0]) / dz);
        if (z < 0 || z >= g.dim[2])
            continue;
        uint8_t *dst = (ignored[s] ? r->ignore->v : r->labels->v) + (size_t)z * fpix;
        uint8_t val = ignored[s] ? 1 : lab[s];
        for (size_t p = 0; p < fpix; p++) {
            size_t bit = (size_t)k * fpix + p;
            int on = bits == 1 ? (pix[bit >> 3] >> (bit & 7)) & 1 : 2 * pix[bit] >= maxfrac && pix[bit];
            if (on)
                dst[p] = val;
        }
    }
done:
    free(fr);
    free(pos);
    pm_dicom_close(f);
    return st;
}
