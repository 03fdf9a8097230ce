/* plan.c - the loader's plan of a series: choosing the slices, sorting
 * them along the normal, the grid slices a gap lacks, the geometry and its
 * warnings (gantry tilt, irregular spacing, duplicates). */
#include "series_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether h's orientation is two unit vectors (a damaged one is judged
 * later, with its file named). */
static int pm__unit_iop(const pm_dicom_header *h)
{
    double r = h->iop[0] * h->iop[0] + h->iop[1] * h->iop[1] + h->iop[2] * h->iop[2];
    double c = h->iop[3] * h->iop[3] + h->iop[4] * h->iop[4] + h->iop[5] * h->iop[5];
    return h->has_iop && fabs(r - 1) < 0.01 && fabs(c - 1) < 0.01;
}

/* Whether two files belong to one stack of slices: the same size and, when
 * both state a valid orientation, the same one (within about a degree). A
 * localizer filed under the CT's own series UID fails the second test. */
static int pm__same_stack(const pm_dicom_header *a, const pm_dicom_header *b)
{
    if (a->rows != b->rows || a->cols != b->cols)
        return 0;
    if (a == b || !pm__unit_iop(a) || !pm__unit_iop(b))
        return 1;
    double rr = a->iop[0] * b->iop[0] + a->iop[1] * b->iop[1] + a->iop[2] * b->iop[2];
    double cc = a->iop[3] * b->iop[3] + a->iop[4] * b->iop[4] + a->iop[5] * b->iop[5];
    return rr > 0.9998 && cc > 0.9998;
}

int pm__plan_slices(const pm_series *s, pm__plan *pl, pm_volume *warn)
{
    const pm_dicom_header *H = s->headers;
    if (s->nfiles <= 0 || !H)
        return pm_fail(PM_ENODATA, "%s: the series has no files", s->folder);
    /* The majority stack (size and orientation) decides; other files are
     * left out loudly. */
    int best = 0, bestc = 0;
    for (int i = 0; i < s->nfiles; i++) {
        int cnt = 0;
        for (int j = 0; j < s->nfiles; j++)
            cnt += pm__same_stack(&H[j], &H[i]);
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
        if (!pm__same_stack(&H[i], &H[best])) {
            if (!odd++)
                snprintf(oddname, sizeof oddname, "%s (%dx%d, orientation %.2f %.2f %.2f %.2f %.2f %.2f)",
                         s->files[i], H[i].cols, H[i].rows, H[i].iop[0], H[i].iop[1], H[i].iop[2],
                         H[i].iop[3], H[i].iop[4], H[i].iop[5]);
            continue;
        }
        pl->sl[nz++].file = i;
    }
    if (odd)
        pm_volume_warn(warn, PM_WARN_MIXED,
                       "%d file(s) of another size or orientation than the %dx%d stack left out "
                       "(localizers?), first %s",
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
