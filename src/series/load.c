/* load.c - from an indexed series to a volume in HU: choosing the slices,
 * sorting them along the normal, geometry and its warnings, the memory cap,
 * and parallel decoding. */
#include "pulmo/series.h"
#include "pulmo/volfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pm__slice {
    int file;        /* index into the series' files */
    double d;        /* position along the normal, mm */
} pm__slice;

static int pm__cmp_slice(const void *a, const void *b)
{
    const pm__slice *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->file - y->file;
}

static int pm__cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *pm__base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static double pm__dot(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Unit row and column cosines and their normal; -1 when degenerate. */
static int pm__axes(const double iop[6], double r[3], double c[3], double n[3])
{
    for (int i = 0; i < 3; i++) {
        r[i] = iop[i];
        c[i] = iop[3 + i];
    }
    double lr = sqrt(pm__dot(r, r)), lc = sqrt(pm__dot(c, c));
    if (!(lr > 0.5 && lr < 1.5 && lc > 0.5 && lc < 1.5))
        return -1;
    for (int i = 0; i < 3; i++) {
        r[i] /= lr;
        c[i] /= lc;
    }
    if (fabs(pm__dot(r, c)) > 0.01)
        return -1;
    n[0] = r[1] * c[2] - r[2] * c[1];
    n[1] = r[2] * c[0] - r[0] * c[2];
    n[2] = r[0] * c[1] - r[1] * c[0];
    return 0;
}

typedef struct pm__plan {
    const pm_series *s;
    pm__slice *sl;
    int nz;                  /* slices read from files */
    int *slot;               /* per slice: its index on the grid (NULL: the same) */
    int nslots;              /* grid slices: nz plus the interpolated ones */
    double r[3], c[3], n[3], stack[3];
    double dz;
} pm__plan;

/* The most consecutive slices one gap may lack and still be filled in: the
 * volume stays mostly measured data, and a gap of many slice spacings (two
 * scans stacked) stays an irregular gap, named as one. */
#define PM__MAX_FILL 16

static void pm__list_int(char *dst, size_t cap, int v)
{
    size_t len = strlen(dst);
    if (len + 16 >= cap) {
        if (len + 4 < cap && !strstr(dst, "..."))
            strcat(dst, " ...");
        return;
    }
    snprintf(dst + len, cap - len, "%s%d", len ? " " : "", v);
}

static double pm__tilt(const double c[3], const double n[3], const double stack[3], const char *position);

/* Picks the slices (majority size, single-frame greyscale), sorts them and
 * derives the geometry; everything that is not fatal becomes a warning. */
static int pm__plan_slices(const pm_series *s, pm__plan *pl, pm_volume *warn)
{
    const pm_dicom_header *H = s->headers;
    if (s->nfiles <= 0 || !H)
        return pm_fail(PM_ENODATA, "%s: the series has no files", s->folder);
    /* The majority image size decides; other sizes are left out loudly. */
    int best = -1, bestc = 0;
    for (int i = 0; i < s->nfiles; i++) {
        int cnt = 0;
        for (int j = 0; j < s->nfiles; j++)
            cnt += H[j].rows == H[i].rows && H[j].cols == H[i].cols;
        if (cnt > bestc) {
            bestc = cnt;
            best = i;
        }
        if (bestc * 2 > s->nfiles)
            break;
    }
    int rows = H[best].rows, cols = H[best].cols;
    if (rows <= 0 || cols <= 0)
        return pm_fail(PM_ECORRUPT, "%s: image has %d rows and %d columns", s->files[best], rows, cols);
    pl->sl = calloc((size_t)s->nfiles, sizeof *pl->sl);
    if (!pl->sl)
        return pm_fail(PM_EMEMORY, "out of memory");
    int nz = 0, odd = 0;
    char oddname[256] = "";
    for (int i = 0; i < s->nfiles; i++) {
        if (H[i].rows != rows || H[i].cols != cols) {
            if (!odd++)
                snprintf(oddname, sizeof oddname, "%s (%dx%d)", s->files[i], H[i].cols, H[i].rows);
            continue;
        }
        pl->sl[nz++].file = i;
    }
    if (odd)
        pm_volume_warn(warn, PM_WARN_MIXED,
                       "%d file(s) of other dimensions than %dx%d left out, first %s",
                       odd, cols, rows, oddname);
    const pm_dicom_header *h0 = &H[pl->sl[0].file];
    if (h0->samples_per_pixel != 1)
        return pm_fail(PM_ECORRUPT, "%s: %d samples per pixel: colour images are not CT",
                       s->files[pl->sl[0].file], h0->samples_per_pixel);
    if (h0->frames > 1)
        return pm_fail(PM_ECORRUPT, "%s: multi-frame images (%d frames) are not supported",
                       s->files[pl->sl[0].file], h0->frames);
    /* A series is one modality; a slice claiming another is a mislabelled
     * or mixed-in file and is named rather than silently stacked. */
    for (int i = 0; i < nz; i++) {
        const pm_dicom_header *h = &H[pl->sl[i].file];
        if (strcmp(h->modality, h0->modality) != 0) {
            pm_volume_warn(warn, PM_WARN_MODALITY, "%s has modality '%.16s', the series '%.16s'",
                           s->files[pl->sl[i].file], h->modality, h0->modality);
            break;
        }
    }
    int positioned = 1;
    for (int i = 0; i < nz; i++)
        positioned &= H[pl->sl[i].file].has_ipp && H[pl->sl[i].file].has_iop;
    static const double axial[6] = {1, 0, 0, 0, 1, 0};
    if (pm__axes(positioned ? h0->iop : axial, pl->r, pl->c, pl->n) != 0)
        return pm_fail(PM_ECORRUPT, "%s: ImageOrientationPatient is not two unit, orthogonal vectors",
                       s->files[pl->sl[0].file]);
    for (int i = 0; i < nz; i++) {
        const pm_dicom_header *h = &H[pl->sl[i].file];
        pl->sl[i].d = positioned ? pm__dot(h->ipp, pl->n) : (double)h->instance_number;
    }
    qsort(pl->sl, (size_t)nz, sizeof *pl->sl, pm__cmp_slice);
    if (!positioned && nz > 1)
        pm_volume_warn(warn, PM_WARN_IRREGULAR,
                       "slices lack a valid ImagePositionPatient; ordered by InstanceNumber, spacing from "
                       "SliceThickness");
    /* Two images at one place: the same instance twice is harmless, two
     * different images mean the folder mixes volumes (phases, repeats). */
    int m = 0, dups = 0;
    for (int i = 0; i < nz; i++) {
        if (m > 0 && positioned && fabs(pl->sl[i].d - pl->sl[m - 1].d) < 1e-3) {
            const pm_dicom_header *a = &H[pl->sl[m - 1].file], *b = &H[pl->sl[i].file];
            if (a->sop_uid[0] && strcmp(a->sop_uid, b->sop_uid) == 0) {
                dups++;
                continue;
            }
            return pm_fail(PM_ECORRUPT, "%s and %s: two different images at the same position "
                           "(%.2f mm); the folder mixes more than one volume",
                           s->files[pl->sl[m - 1].file], s->files[pl->sl[i].file], pl->sl[i].d);
        }
        pl->sl[m++] = pl->sl[i];
    }
    dups += s->nduplicates;
    if (dups)
        pm_volume_warn(warn, PM_WARN_DUPLICATE, "%d duplicate file(s) of the same image skipped", dups);
    nz = m;
    pl->nz = nz;
    pl->nslots = nz;
    pl->stack[0] = pl->n[0];
    pl->stack[1] = pl->n[1];
    pl->stack[2] = pl->n[2];
    pl->dz = h0->slice_thickness > 0 ? h0->slice_thickness : 1.0;
    if (nz < 2 || !positioned)
        return PM_OK;

    double *gap = malloc((size_t)nz * sizeof *gap);
    if (!gap)
        return pm_fail(PM_EMEMORY, "out of memory");
    for (int i = 1; i < nz; i++) {
        const double *a = H[pl->sl[i - 1].file].ipp, *b = H[pl->sl[i].file].ipp;
        double v[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        gap[i - 1] = sqrt(pm__dot(v, v));
    }
    double *sorted = malloc((size_t)nz * sizeof *sorted);
    if (!sorted) {
        free(gap);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    memcpy(sorted, gap, (size_t)(nz - 1) * sizeof *gap);
    qsort(sorted, (size_t)(nz - 1), sizeof *sorted, pm__cmp_dbl);
    double med = sorted[(nz - 1) / 2];
    free(sorted);
    pl->dz = med;
    /* A gap of k regular spacings lacks k-1 slices: they get grid slices
     * of their own (interpolated after decoding), so every slice above the
     * gap sits where the scanner put it. Gaps that are no multiple of the
     * spacing (a series with uneven spacing, GE-HEAD-TILT's 1.14/4.22/7.38
     * mm) are stacked one grid step apart as before, with a warning: no
     * uniform grid fits them without resampling every slice. */
    pl->slot = malloc((size_t)nz * sizeof *pl->slot);
    if (!pl->slot) {
        free(gap);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int missing = 0, irregular = 0;
    char gaps[320] = "", where[160] = "", filled[200] = "";
    pl->slot[0] = 0;
    for (int i = 0; i < nz - 1; i++) {
        double ratio = gap[i] / med;
        long mult = lround(ratio);
        pl->slot[i + 1] = pl->slot[i] + 1;
        if (fabs(gap[i] - med) <= 0.01 * med)
            continue;
        if (mult >= 2 && mult <= PM__MAX_FILL
            && fabs(gap[i] - (double)mult * med) <= 0.01 * med * (double)mult) {
            if (!missing)
                snprintf(where, sizeof where, "after %s", pm__base(s->files[pl->sl[i].file]));
            for (long k = 1; k < mult; k++)
                pm__list_int(filled, sizeof filled, pl->slot[i] + (int)k);
            missing += (int)mult - 1;
            pl->slot[i + 1] = pl->slot[i] + (int)mult;
            continue;
        }
        irregular++;
        char one[24];
        snprintf(one, sizeof one, "%s%.2f", gaps[0] ? " " : "", gap[i]);
        if (!strstr(gaps, one + (gaps[0] ? 1 : 0)) && strlen(gaps) + strlen(one) + 4 < sizeof gaps)
            strcat(gaps, one);
    }
    pl->nslots = pl->slot[nz - 1] + 1;
    free(gap);
    if (missing)
        pm_volume_warn(warn, PM_WARN_MISSING, "%d slice(s) missing (first gap %s; spacing %.3f mm); "
                       "interpolated from their neighbours as grid slice(s) %s", missing, where, med,
                       filled);
    if (irregular)
        pm_volume_warn(warn, PM_WARN_IRREGULAR,
                       "%d irregular gap(s) between slices: %s mm (median %.3f mm)", irregular, gaps, med);
    /* The stacking direction is where the slices actually go; with a gantry
     * tilt it leans away from the normal, and the volume's third axis must
     * follow it for positions to stay exact. */
    const double *a = H[pl->sl[0].file].ipp, *b = H[pl->sl[nz - 1].file].ipp;
    double v[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double len = sqrt(pm__dot(v, v));
    if (len > 1e-6) {
        for (int i = 0; i < 3; i++)
            pl->stack[i] = v[i] / len;
        if (pm__dot(pl->stack, pl->n) < 0)
            for (int i = 0; i < 3; i++)
                pl->stack[i] = -pl->stack[i];
        double deg = pm__tilt(pl->c, pl->n, pl->stack, h0->patient_position);
        if (fabs(deg) > 0.1)
            pm_volume_warn(warn, PM_WARN_TILT, "gantry tilt of %.1f degrees (slices are sheared)", deg);
    }
    return PM_OK;
}

/* The tilt in DICOM's GantryDetectorTilt convention: negative when the top
 * of the gantry leans away from where the table enters. Columns run down
 * the room, so a gantry top leaning towards the patient's head turns the
 * columns towards the feet (the stack has a negative column component);
 * for a head-first patient the table enters from the feet and that is a
 * negative tilt, for feet-first the opposite. GE-HEAD-TILT (head first)
 * stores -18.5 and gives -18.5 here. */
static double pm__tilt(const double c[3], const double n[3], const double stack[3], const char *position)
{
    double deg = atan2(pm__dot(stack, c), pm__dot(stack, n)) * 180.0 / M_PI;
    return strncmp(position, "FF", 2) == 0 ? -deg : deg;
}

double pm_grid_tilt(const pm_grid *g, const char *patient_position)
{
    const double *r = g->dir, *c = g->dir + 3, *stack = g->dir + 6;
    double n[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    return pm__tilt(c, n, stack, patient_position ? patient_position : "");
}

typedef struct pm__decode {
    const pm_series *s;
    const pm__plan *pl;
    pm_volume *v;
    int32_t **scratch;        /* one slice per thread */
    int *failed;              /* per slice: status */
    char (*reason)[640];
    int *chatter;             /* per slice: messages from the decoders */
    char (*said)[200];        /* per slice: the first of them */
} pm__decode;

/* 64 pixels of at most 16 stored bits, integral rescale: as the loop in
 * pm__decode_one, in int32 over restrict pointers so that the compiler
 * vectorises it. */
static void pm__hu64(const int32_t *restrict b, int32_t ic, int has_pad, int32_t pad, int16_t *restrict d)
{
    for (int j = 0; j < 64; j++) {
        int32_t hu = b[j] + ic;
        hu = hu < -1024 ? -1000 : hu > 32767 ? 32767 : hu;
        d[j] = (int16_t)(has_pad && b[j] == pad ? -1000 : hu);
    }
}

static void pm__decode_one(void *ctx, int k, int thread)
{
    pm__decode *d = ctx;
    int fi = d->pl->sl[k].file;
    const pm_dicom_header *h = &d->s->headers[fi];
    int32_t *buf = d->scratch[thread];
    size_t npix = (size_t)h->rows * (size_t)h->cols;
    int16_t *dst = d->v->hu + npix * (size_t)(d->pl->slot ? d->pl->slot[k] : k);
    int st = pm_dicom_read_pixels(d->s->files[fi], h, buf);
    d->chatter[k] = pm_dicom_decoder_messages(d->said[k], sizeof d->said[k]);
    if (st != PM_OK) {
        d->failed[k] = st;
        snprintf(d->reason[k], sizeof d->reason[k], "%s", pm_error());
        /* Flagged, not hidden: the warning names the slice; -1024 is the
         * bottom of the CT scale so it can never pass for tissue. */
        for (size_t i = 0; i < npix; i++)
            dst[i] = -1024;
        return;
    }
    int bs = h->bits_stored > 0 && h->bits_stored <= 32 ? h->bits_stored : 16;
    int sgn = h->pixel_representation == 1;
    int mono1 = strncmp(h->photometric, "MONOCHROME1", 11) == 0;
    int32_t pad = 0;
    int has_pad = h->has_padding;
    if (has_pad)
        pad = sgn ? (int32_t)(int16_t)h->padding_raw : (int32_t)h->padding_raw;
    int32_t maxv = sgn ? (int32_t)((1LL << (bs - 1)) - 1) : (int32_t)((1LL << bs) - 1);
    int32_t minv = sgn ? (int32_t)(-(1LL << (bs - 1))) : 0;
    double slope = h->slope, icpt = h->intercept;
    int integral = slope == 1.0 && icpt == floor(icpt) && fabs(icpt) < 1e6;
    int32_t ic = (int32_t)icpt;
    if (integral && !mono1) {
        /* the common CT case in integers (a third of pulmo info's time was
         * this loop in double); in int32 blocks when that cannot overflow */
        size_t i = 0;
        if (h->bits_allocated <= 16 && ic > -(1 << 20) && ic < (1 << 20))
            for (; i + 64 <= npix; i += 64)
                pm__hu64(buf + i, ic, has_pad, pad, dst + i);
        for (; i < npix; i++) {
            int64_t hu = (int64_t)buf[i] + ic;
            hu = hu < -1024 ? -1000 : hu > 32767 ? 32767 : hu;
            dst[i] = has_pad && buf[i] == pad ? -1000 : (int16_t)hu;
        }
        return;
    }
    for (size_t i = 0; i < npix; i++) {
        int32_t x = buf[i];
        if (has_pad && x == pad) {
            dst[i] = -1000;
            continue;
        }
        if (mono1)
            x = maxv + minv - x;
        /* x + ic in double: 32-bit stored values plus an intercept can
         * overflow int32 (tests/test_regress.c). */
        double hu = integral ? (double)x + (double)ic : floor(x * slope + icpt + 0.5);
        if (hu < -1024)
            hu = -1000;   /* fill outside the scan circle, e.g. -2000 or -3024 */
        else if (hu > 32767)
            hu = 32767;
        dst[i] = (int16_t)hu;
    }
}

/* The grid slices no file filled: linear in HU between the slices read
 * on either side, weighted by distance. */
static void pm__fill_missing(pm_volume *v, const pm__plan *pl)
{
    if (!pl->slot || pl->nslots == pl->nz)
        return;
    size_t npix = (size_t)v->g.dim[0] * (size_t)v->g.dim[1];
    for (int k = 0; k + 1 < pl->nz; k++) {
        int a = pl->slot[k], b = pl->slot[k + 1];
        const int16_t *lo = v->hu + npix * (size_t)a, *hi = v->hu + npix * (size_t)b;
        for (int m = a + 1; m < b; m++) {
            double t = (double)(m - a) / (double)(b - a);
            int16_t *dst = v->hu + npix * (size_t)m;
            for (size_t i = 0; i < npix; i++)
                dst[i] = (int16_t)lround((1.0 - t) * lo[i] + t * hi[i]);
        }
    }
}

int pm_series_load(const pm_series *s, const pm_load_opts *o, pm_volume **out, const pm_progress *p)
{
    double t0 = pm_now();
    if (!s || s->nfiles <= 0)
        return pm_fail(PM_ENODATA, "no series to load");
    if (pm_volfile_is_header(&s->headers[0]))
        return pm_volfile_load(s->files[0], o, out, p);
    pm_volume tmp;
    memset(&tmp, 0, sizeof tmp);
    pm__plan pl;
    memset(&pl, 0, sizeof pl);
    pl.s = s;
    int rc = pm__plan_slices(s, &pl, &tmp);
    if (rc != PM_OK) {
        free(pl.slot);
        free(pl.sl);
        free(tmp.warnings);
        return rc;
    }
    const pm_dicom_header *h0 = &s->headers[pl.sl[0].file];
    uint64_t cap = o && o->max_memory ? o->max_memory : pm_physical_memory() / 2;
    int threads = pm_threads();
    uint64_t need = (uint64_t)h0->rows * (uint64_t)h0->cols
                  * ((uint64_t)pl.nslots * 2 + (uint64_t)threads * 4);
    if (cap && need > cap) {
        pm_fail(PM_EMEMORY, "%s: the series needs %.0f MB (%dx%dx%d), over the memory cap "
                "of %.0f MB (--max-memory)", s->files[pl.sl[0].file], need / 1048576.0, h0->cols,
                h0->rows, pl.nslots, cap / 1048576.0);
        free(pl.slot);
        free(pl.sl);
        free(tmp.warnings);
        return PM_EMEMORY;
    }
    pm_grid g;
    memset(&g, 0, sizeof g);
    g.dim[0] = h0->cols;
    g.dim[1] = h0->rows;
    g.dim[2] = pl.nslots;
    g.spacing[0] = h0->has_spacing ? h0->pixel_spacing[1] : 1.0;
    g.spacing[1] = h0->has_spacing ? h0->pixel_spacing[0] : 1.0;
    g.spacing[2] = pl.dz;
    for (int i = 0; i < 3; i++) {
        g.dir[i] = pl.r[i];
        g.dir[3 + i] = pl.c[i];
        g.dir[6 + i] = pl.stack[i];
        g.origin[i] = s->headers[pl.sl[0].file].has_ipp ? s->headers[pl.sl[0].file].ipp[i] : 0;
    }
    /* Every grid slice is written below: decoded, -1024 when its file
     * failed, or interpolated when no file holds it. */
    pm_volume *v = pm_volume_new_unset(&g);
    if (!v) {
        free(pl.slot);
        free(pl.sl);
        free(tmp.warnings);
        return PM_EMEMORY;
    }
    v->warnings = tmp.warnings;
    v->nwarnings = tmp.nwarnings;
    if (!h0->has_spacing)
        pm_volume_warn(v, "missing_spacing", "PixelSpacing missing or not positive; 1 mm assumed");
    v->meta = s->meta;

    pm__decode d = {s, &pl, v, NULL, NULL, NULL, NULL, NULL};
    d.scratch = calloc((size_t)threads, sizeof *d.scratch);
    d.failed = calloc((size_t)pl.nz, sizeof *d.failed);
    d.reason = calloc((size_t)pl.nz, sizeof *d.reason);
    d.chatter = calloc((size_t)pl.nz, sizeof *d.chatter);
    d.said = calloc((size_t)pl.nz, sizeof *d.said);
    rc = d.scratch && d.failed && d.reason && d.chatter && d.said ? PM_OK
                                                                   : pm_fail(PM_EMEMORY, "out of memory");
    for (int t = 0; t < threads && rc == PM_OK; t++)
        if (!(d.scratch[t] = malloc((size_t)h0->rows * (size_t)h0->cols * sizeof(int32_t))))
            rc = pm_fail(PM_EMEMORY, "out of memory");
    if (rc == PM_OK)
        rc = pm_parallel_for(pl.nz, threads, pm__decode_one, &d, p, "decoding slices");
    int nfail = 0, first = -1;
    for (int k = 0; rc == PM_OK && k < pl.nz; k++)
        if (d.failed[k] && nfail++ == 0)
            first = k;
    /* Decoder messages come once per tile part or scan: one line for the
     * series says how many there were and where the first came from. */
    int nmsg = 0, nmsg_slices = 0, first_msg = -1;
    for (int k = 0; rc == PM_OK && k < pl.nz; k++)
        if (d.chatter[k]) {
            nmsg += d.chatter[k];
            if (nmsg_slices++ == 0)
                first_msg = k;
        }
    if (rc == PM_OK && nfail == pl.nz) {
        if (nfail > 1)
            rc = pm_fail(d.failed[first], "%s (all %d slices failed to decode; %d message(s) from the "
                         "image decoder)", d.reason[first], nfail, nmsg);
        else
            rc = pm_fail(d.failed[first], "%s", d.reason[first]);
    } else if (rc == PM_OK && nfail) {
        pm_volume_warn(v, PM_WARN_DECODE, "%d of %d slice(s) failed to decode and read -1024: "
                       "first slice %d: %s", nfail, pl.nz, first, d.reason[first]);
    }
    if (rc == PM_OK && nmsg)
        pm_volume_warn(v, PM_WARN_DECODER, "%d message(s) from the image decoder on %d slice(s); first "
                       "from %s: %s", nmsg, nmsg_slices, s->files[pl.sl[first_msg].file],
                       d.said[first_msg]);
    if (rc == PM_OK)
        pm__fill_missing(v, &pl);
    if (d.scratch)
        for (int t = 0; t < threads; t++)
            free(d.scratch[t]);
    free(d.scratch);
    free(d.failed);
    free(d.reason);
    free(d.chatter);
    free(d.said);
    free(pl.slot);
    free(pl.sl);
    if (rc != PM_OK) {
        pm_volume_free(v);
        return rc;
    }
    v->load_seconds = pm_now() - t0;
    *out = v;
    return PM_OK;
}

int pm_load_dir(const char *dir, const char *uid, const pm_load_opts *o, pm_volume **out,
                const pm_progress *p)
{
    double t0 = pm_now();
    pm_index *ix;
    int rc = pm_index_scan(dir, &ix, p);
    if (rc != PM_OK)
        return rc;
    const pm_series *s = pm_index_pick(ix, uid);
    if (!s) {
        if (uid && *uid)
            rc = pm_fail(PM_ENODATA, "%s: no series with UID %s", dir, uid);
        else if (ix->nerrors)
            rc = pm_fail(ix->first_error_code, "%s", ix->first_error);
        else
            rc = pm_fail(PM_ENODATA, "%s: no DICOM series found (%d file(s) looked at%s)", dir,
                         ix->nfiles, ix->nother ? ", only DICOM objects without images" : "");
        pm_index_free(ix);
        return rc;
    }
    rc = pm_series_load(s, o, out, p);
    if (rc == PM_OK)
        (*out)->load_seconds = pm_now() - t0;
    /* A file left out of the index may be a slice of this series: the
     * gap warnings alone would not say which file it was. */
    if (rc == PM_OK && ix->nerrors)
        pm_volume_warn(*out, PM_WARN_UNREADABLE, "%d file(s) in the folder could not be read, "
                       "first: %s", ix->nerrors, ix->first_error);
    pm_index_free(ix);
    return rc;
}
