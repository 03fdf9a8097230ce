/* load.c - from an indexed series to a volume in HU: the memory cap and
 * parallel decoding of the slices plan.c chose. */
#include "series_internal.h"
#include "pulmo/volfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pm__decode {
    const pm_series *s;
    const pm__plan *pl;
    int16_t **at;             /* per slice: where its HU go (NULL: hu16 of the thread) */
    int32_t **scratch;        /* one slice per thread */
    int16_t **hu16;           /* summary: one slice per thread */
    int *lo, *hi;             /* summary, per slice: pm_hu_span */
    int64_t *sum;
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

/* Stored values to HU by the header's rescale. */
static void pm__to_hu(const pm_dicom_header *h, const int32_t *buf, size_t npix, int16_t *dst)
{
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

static void pm__decode_one(void *ctx, int k, int thread)
{
    pm__decode *d = ctx;
    int fi = d->pl->sl[k].file;
    const pm_dicom_header *h = &d->s->headers[fi];
    size_t npix = (size_t)h->rows * (size_t)h->cols;
    int16_t *dst = d->at[k] ? d->at[k] : d->hu16[thread];
    int st = pm_dicom_read_pixels(d->s->files[fi], h, d->scratch[thread]);
    d->chatter[k] = pm_dicom_decoder_messages(d->said[k], sizeof d->said[k]);
    if (st != PM_OK) {
        d->failed[k] = st;
        snprintf(d->reason[k], sizeof d->reason[k], "%s", pm_error());
        /* Flagged, not hidden: the warning names the slice; -1024 is the
         * bottom of the CT scale so it can never pass for tissue. */
        for (size_t i = 0; i < npix; i++)
            dst[i] = -1024;
    } else {
        pm__to_hu(h, d->scratch[thread], npix, dst);
    }
    if (d->sum)
        pm_hu_span(dst, npix, &d->lo[k], &d->hi[k], &d->sum[k]);
}

/* The grid slices no file filled: linear in HU between the slices read
 * on either side (at), weighted by distance, into the volume hu or, for a
 * summary (hu NULL), one at a time into tmp and added to *span. */
static void pm__fill_missing(const pm__plan *pl, size_t npix, int16_t *const *at, int16_t *hu, int16_t *tmp,
                             int span[2], int64_t *sum)
{
    if (!pl->slot || pl->nslots == pl->nz)
        return;
    for (int k = 0; k + 1 < pl->nz; k++) {
        int a = pl->slot[k], b = pl->slot[k + 1];
        const int16_t *lo = at[k], *hi = at[k + 1];
        for (int m = a + 1; m < b; m++) {
            double t = (double)(m - a) / (double)(b - a);
            int16_t *dst = hu ? hu + npix * (size_t)m : tmp;
            for (size_t i = 0; i < npix; i++)
                dst[i] = (int16_t)lround((1.0 - t) * lo[i] + t * hi[i]);
            if (hu)
                continue;
            int l, h;
            int64_t s;
            pm_hu_span(dst, npix, &l, &h, &s);
            span[0] = l < span[0] ? l : span[0];
            span[1] = h > span[1] ? h : span[1];
            *sum += s;
        }
    }
}

/* Summary: the slices next to a gap are kept, for pm__fill_missing. */
static int pm__next_to_gap(const pm__plan *pl, int k)
{
    return pl->slot && ((k > 0 && pl->slot[k] - pl->slot[k - 1] > 1) ||
                        (k + 1 < pl->nz && pl->slot[k + 1] - pl->slot[k] > 1));
}

static int pm__series_load(const pm_series *s, const pm_load_opts *o, pm_volume **out, pm_hu_summary *hs,
                           const pm_progress *p)
{
    double t0 = pm_now();
    if (!s || s->nfiles <= 0)
        return pm_fail(PM_ENODATA, "no series to load");
    if (pm_volfile_is_header(&s->headers[0])) {
        int rc = pm_volfile_load(s->files[0], o, out, p);
        if (rc == PM_OK && hs) {
            pm_volume_stats(*out, &hs->min, &hs->max, &hs->mean);
            free((*out)->hu);
            (*out)->hu = NULL;
        }
        return rc;
    }
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
    pm_volume *v = hs ? calloc(1, sizeof *v) : pm_volume_new_unset(&g);
    if (v)
        v->g = g;
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

    size_t npix = (size_t)h0->rows * (size_t)h0->cols;
    pm__decode d;
    memset(&d, 0, sizeof d);
    d.s = s;
    d.pl = &pl;
    d.at = calloc((size_t)pl.nz, sizeof *d.at);
    d.scratch = calloc((size_t)threads, sizeof *d.scratch);
    d.hu16 = calloc((size_t)threads, sizeof *d.hu16);
    d.failed = calloc((size_t)pl.nz, sizeof *d.failed);
    d.reason = calloc((size_t)pl.nz, sizeof *d.reason);
    d.chatter = calloc((size_t)pl.nz, sizeof *d.chatter);
    d.said = calloc((size_t)pl.nz, sizeof *d.said);
    if (hs) {
        d.lo = malloc((size_t)pl.nz * sizeof *d.lo);
        d.hi = malloc((size_t)pl.nz * sizeof *d.hi);
        d.sum = malloc((size_t)pl.nz * sizeof *d.sum);
    }
    rc = d.at && d.scratch && d.hu16 && d.failed && d.reason && d.chatter && d.said
         && (!hs || (d.lo && d.hi && d.sum)) ? PM_OK : pm_fail(PM_EMEMORY, "out of memory");
    for (int t = 0; t < threads && rc == PM_OK; t++)
        if (!(d.scratch[t] = malloc(npix * sizeof(int32_t))) || (hs && !(d.hu16[t] = malloc(npix * 2))))
            rc = pm_fail(PM_EMEMORY, "out of memory");
    /* A summary keeps only the slices a gap is interpolated from. */
    int16_t *kept = NULL;
    int nkept = 0;
    for (int k = 0; hs && k < pl.nz; k++)
        nkept += pm__next_to_gap(&pl, k);
    if (rc == PM_OK && nkept && !(kept = malloc(npix * 2 * (size_t)(nkept + 1))))
        rc = pm_fail(PM_EMEMORY, "out of memory");
    for (int k = 0, q = 0; rc == PM_OK && k < pl.nz; k++)
        if (!hs)
            d.at[k] = v->hu + npix * (size_t)(pl.slot ? pl.slot[k] : k);
        else if (pm__next_to_gap(&pl, k))
            d.at[k] = kept + npix * (size_t)q++;
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
    int span[2] = {32767, -32768};
    int64_t sum = 0;
    for (int k = 0; rc == PM_OK && hs && k < pl.nz; k++) {
        span[0] = d.lo[k] < span[0] ? d.lo[k] : span[0];
        span[1] = d.hi[k] > span[1] ? d.hi[k] : span[1];
        sum += d.sum[k];
    }
    if (rc == PM_OK)
        pm__fill_missing(&pl, npix, d.at, v->hu, d.hu16[0], span, &sum);
    if (rc == PM_OK && hs) {
        /* exact integers: the mean pm_volume_stats gives */
        hs->min = span[0];
        hs->max = span[1];
        hs->mean = (double)sum / (double)pm_grid_voxels(&g);
    }
    for (int t = 0; t < threads; t++) {
        if (d.scratch)
            free(d.scratch[t]);
        if (d.hu16)
            free(d.hu16[t]);
    }
    free(kept);
    free(d.at);
    free(d.hu16);
    free(d.lo);
    free(d.hi);
    free(d.sum);
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

int pm_series_load(const pm_series *s, const pm_load_opts *o, pm_volume **out, const pm_progress *p)
{
    return pm__series_load(s, o, out, NULL, p);
}

static int pm__load_dir(const char *dir, const char *uid, const pm_load_opts *o, pm_volume **out,
                        pm_hu_summary *hs, const pm_progress *p)
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
    rc = pm__series_load(s, o, out, hs, p);
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

int pm_load_dir(const char *dir, const char *uid, const pm_load_opts *o, pm_volume **out,
                const pm_progress *p)
{
    return pm__load_dir(dir, uid, o, out, NULL, p);
}

int pm_load_dir_summary(const char *dir, const char *uid, const pm_load_opts *o, pm_volume **out,
                        pm_hu_summary *hs, const pm_progress *p)
{
    return pm__load_dir(dir, uid, o, out, hs, p);
}
