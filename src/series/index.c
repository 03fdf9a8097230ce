/* index.c - walking a folder tree, reading DICOM headers in parallel and
 * grouping files into series. */
#include "pulmo/series.h"
#include "pulmo/text.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct pm__paths {
    char **v;
    int n, cap;
} pm__paths;

static int pm__paths_add(pm__paths *p, const char *path)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 256;
        char **v = realloc(p->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    if (!(p->v[p->n] = strdup(path)))
        return -1;
    p->n++;
    return 0;
}

/* Depth-first walk; symlinked folders are not followed, so a link loop
 * cannot make the walk endless. Depth is bounded for the same reason. */
static int pm__walk(const char *dir, pm__paths *out, int depth)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || S_ISDIR(st.st_mode)))
            continue;
        if (S_ISDIR(st.st_mode))
            rc = pm__walk(path, out, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = pm__paths_add(out, path);
    }
    closedir(d);
    return rc;
}

static int pm__cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct pm__scan {
    pm__paths *paths;
    pm_dicom_header *h;
    int *status;
    char (*reason)[640];
} pm__scan;

static int pm__named_dicom(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return 0;
    return !strcasecmp(dot, ".dcm") || !strcasecmp(dot, ".dicom") || !strcasecmp(dot, ".ima");
}

static void pm__scan_one(void *ctx, int i, int thread)
{
    (void)thread;
    pm__scan *s = ctx;
    const char *path = s->paths->v[i];
    int st = pm_dicom_read_header(path, &s->h[i]);
    if (st == PM_ENODATA && pm__named_dicom(path)) {
        struct stat sb;
        if (stat(path, &sb) == 0 && sb.st_size == 0)
            pm_fail(PM_ECORRUPT, "%s: empty file", path);
        else
            pm_fail(PM_ECORRUPT, "%s: not a DICOM file (no DICM marker, no DICOM header)", path);
        st = PM_ECORRUPT;
    }
    if (st == PM_OK && s->h[i].rows == 0 && s->h[i].cols == 0)
        st = PM_ENODATA; /* DICOM without an image (SR, RTSTRUCT, DICOMDIR) */
    s->status[i] = st;
    if (st != PM_OK && st != PM_ENODATA)
        snprintf(s->reason[i], sizeof s->reason[i], "%s", pm_error());
}

static void pm__fallback_key(const pm_dicom_header *h, char *key, size_t cap)
{
    snprintf(key, cap, "%s|%d|%.3f,%.3f,%.3f,%.3f,%.3f,%.3f|%dx%d", h->study_uid,
             h->series_number, h->iop[0], h->iop[1], h->iop[2], h->iop[3], h->iop[4],
             h->iop[5], h->cols, h->rows);
}

static void pm__series_key(const pm_dicom_header *h, char *key, size_t cap)
{
    if (h->series_uid[0])
        snprintf(key, cap, "uid:%s", h->series_uid);
    else
        pm__fallback_key(h, key, cap);
}

static int pm__cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct pm__pos {
    double d;         /* along the normal, for ordering */
    const double *p;  /* ImagePositionPatient */
} pm__pos;

static int pm__cmp_pos(const void *a, const void *b)
{
    double x = ((const pm__pos *)a)->d, y = ((const pm__pos *)b)->d;
    return (x > y) - (x < y);
}

/* Slice spacing estimated from header positions: the median distance
 * between neighbouring slices (along the stack, as the loader measures it),
 * or the slice thickness when positions are missing. */
static double pm__z_spacing(const pm_series *s)
{
    const pm_dicom_header *h0 = &s->headers[0];
    double fallback = h0->slice_thickness > 0 ? h0->slice_thickness : 1.0;
    if (s->nfiles < 2 || !h0->has_iop)
        return fallback;
    const double *r = h0->iop, *c = h0->iop + 3;
    double n[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    pm__pos *pos = malloc((size_t)s->nfiles * sizeof *pos);
    double *gap = malloc((size_t)s->nfiles * sizeof *gap);
    if (!pos || !gap) {
        free(pos);
        free(gap);
        return fallback;
    }
    int k = 0, m = 0;
    for (int i = 0; i < s->nfiles; i++)
        if (s->headers[i].has_ipp) {
            const double *p = s->headers[i].ipp;
            pos[k++] = (pm__pos){p[0] * n[0] + p[1] * n[1] + p[2] * n[2], p};
        }
    if (k > 1)
        qsort(pos, (size_t)k, sizeof *pos, pm__cmp_pos);
    for (int i = 1; i < k; i++) {
        const double *a = pos[i - 1].p, *b = pos[i].p;
        double g = sqrt((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1])
                        + (b[2] - a[2]) * (b[2] - a[2]));
        if (g > 1e-3)
            gap[m++] = g;
    }
    if (m > 1)
        qsort(gap, (size_t)m, sizeof *gap, pm__cmp_dbl);
    double z = m ? gap[m / 2] : fallback;
    free(pos);
    free(gap);
    return z;
}

static void pm__fill_meta(pm_series *s)
{
    const pm_dicom_header *h = &s->headers[0];
    pm_series_meta *m = &s->meta;
    pm_text_clean(m->patient_id, sizeof m->patient_id, h->patient_id);
    pm_text_clean(m->patient_name, sizeof m->patient_name, h->patient_name);
    pm_text_clean(m->study_uid, sizeof m->study_uid, h->study_uid);
    pm_text_clean(m->study_date, sizeof m->study_date, h->study_date);
    pm_text_clean(m->study_description, sizeof m->study_description, h->study_description);
    pm_text_clean(m->series_uid, sizeof m->series_uid, h->series_uid);
    pm_text_clean(m->series_description, sizeof m->series_description, h->series_description);
    pm_text_clean(m->modality, sizeof m->modality, h->modality);
    pm_text_clean(m->patient_position, sizeof m->patient_position, h->patient_position);
    const char *slash = strrchr(s->files[0], '/');
    size_t len = slash ? (size_t)(slash - s->files[0]) : 1;
    if (len >= sizeof s->folder)
        len = sizeof s->folder - 1;
    memcpy(s->folder, slash ? s->files[0] : ".", len);
    s->folder[len] = '\0';
    s->dims[0] = h->cols;
    s->dims[1] = h->rows;
    s->dims[2] = s->nfiles;
    s->spacing[0] = h->has_spacing ? h->pixel_spacing[1] : 1.0;
    s->spacing[1] = h->has_spacing ? h->pixel_spacing[0] : 1.0;
    s->spacing[2] = pm__z_spacing(s);
}

static int pm__cmp_series(const void *a, const void *b)
{
    const pm_series *x = a, *y = b;
    int c = strcmp(x->meta.patient_id, y->meta.patient_id);
    if (!c) c = strcmp(x->folder, y->folder);
    if (!c) c = strcmp(x->meta.study_date, y->meta.study_date);
    if (!c) c = x->headers[0].series_number - y->headers[0].series_number;
    if (!c) c = strcmp(x->meta.series_uid, y->meta.series_uid);
    return c;
}

/* Groups the readable files into series, in path order within a series. */
static int pm__group(pm_index *ix, pm__paths *paths, pm_dicom_header *h, const int *status)
{
    int n = paths->n;
    char (*keys)[512] = malloc((size_t)(n ? n : 1) * sizeof *keys);
    int *owner = malloc((size_t)(n ? n : 1) * sizeof *owner);
    int *first = malloc((size_t)(n ? n : 1) * sizeof *first); /* per series */
    if (!keys || !owner || !first) {
        free(keys);
        free(owner);
        free(first);
        return pm_fail(PM_EMEMORY, "out of memory indexing %d files", n);
    }
    /* Quadratic in the number of series, not of files: series are few. */
    for (int i = 0; i < n; i++) {
        owner[i] = -1;
        if (status[i] != PM_OK)
            continue;
        pm__series_key(&h[i], keys[i], sizeof keys[i]);
        for (int s = 0; s < ix->nseries; s++) {
            if (strcmp(keys[first[s]], keys[i]) == 0) {
                owner[i] = s;
                break;
            }
        }
        if (owner[i] < 0) {
            pm_series *v = realloc(ix->series, (size_t)(ix->nseries + 1) * sizeof *v);
            if (!v) {
                free(keys);
                free(owner);
                free(first);
                return pm_fail(PM_EMEMORY, "out of memory indexing series");
            }
            ix->series = v;
            memset(&v[ix->nseries], 0, sizeof *v);
            first[ix->nseries] = i;
            owner[i] = ix->nseries++;
        }
        ix->series[owner[i]].nfiles++;
    }
    int rc = PM_OK;
    for (int s = 0; s < ix->nseries; s++) {
        pm_series *v = &ix->series[s];
        int cnt = v->nfiles;
        v->files = calloc((size_t)cnt, sizeof *v->files);
        v->headers = calloc((size_t)cnt, sizeof *v->headers);
        v->nfiles = 0;
        if (!v->files || !v->headers)
            rc = pm_fail(PM_EMEMORY, "out of memory indexing series");
    }
    for (int i = 0; i < n && rc == PM_OK; i++) {
        if (owner[i] < 0)
            continue;
        pm_series *v = &ix->series[owner[i]];
        v->files[v->nfiles] = paths->v[i];
        paths->v[i] = NULL;
        v->headers[v->nfiles++] = h[i];
    }
    free(keys);
    free(owner);
    free(first);
    if (rc != PM_OK)
        return rc;
    for (int s = 0; s < ix->nseries; s++)
        pm__fill_meta(&ix->series[s]);
    if (ix->nseries)
        qsort(ix->series, (size_t)ix->nseries, sizeof *ix->series, pm__cmp_series);
    return PM_OK;
}

int pm_index_scan(const char *root, pm_index **out, const pm_progress *p)
{
    struct stat st;
    if (!root || stat(root, &st) != 0)
        return pm_fail(PM_ENODATA, "%s: no such file or folder", root ? root : "(null)");
    pm__paths paths = {0};
    int rc = S_ISDIR(st.st_mode) ? pm__walk(root, &paths, 0) : pm__paths_add(&paths, root);
    if (rc != 0) {
        for (int i = 0; i < paths.n; i++)
            free(paths.v[i]);
        free(paths.v);
        return pm_fail(PM_EMEMORY, "out of memory listing %s", root);
    }
    if (paths.n)
        qsort(paths.v, (size_t)paths.n, sizeof *paths.v, pm__cmp_str);
    pm_index *ix = calloc(1, sizeof *ix);
    pm_dicom_header *h = calloc((size_t)(paths.n ? paths.n : 1), sizeof *h);
    int *status = calloc((size_t)(paths.n ? paths.n : 1), sizeof *status);
    char (*reason)[640] = calloc((size_t)(paths.n ? paths.n : 1), sizeof *reason);
    if (!ix || !h || !status || !reason) {
        rc = pm_fail(PM_EMEMORY, "out of memory indexing %s", root);
        goto done;
    }
    pm__scan sc = {&paths, h, status, reason};
    rc = pm_parallel_for(paths.n, 0, pm__scan_one, &sc, p, "reading headers");
    if (rc != PM_OK)
        goto done;
    ix->nfiles = paths.n;
    for (int i = 0; i < paths.n; i++) {
        if (status[i] == PM_OK)
            ix->ndicom++;
        else if (status[i] != PM_ENODATA && ix->nerrors++ == 0) {
            ix->first_error_code = status[i];
            snprintf(ix->first_error, sizeof ix->first_error, "%s", reason[i]);
        }
    }
    rc = pm__group(ix, &paths, h, status);
done:
    for (int i = 0; i < paths.n; i++)
        free(paths.v[i]);
    free(paths.v);
    free(h);
    free(status);
    free(reason);
    if (rc != PM_OK) {
        pm_index_free(ix);
        return rc;
    }
    *out = ix;
    return PM_OK;
}

void pm_index_free(pm_index *ix)
{
    if (!ix)
        return;
    for (int s = 0; s < ix->nseries; s++) {
        pm_series *v = &ix->series[s];
        if (v->files)
            for (int i = 0; i < v->nfiles; i++)
                free(v->files[i]);
        free(v->files);
        free(v->headers);
    }
    free(ix->series);
    free(ix);
}

/* The pick rule: a CT (or modality-less) series over any other, then the
 * one with more files. */
static int better(const pm_series *v, const pm_series *best)
{
    if (!best)
        return 1;
    int ct = !strcmp(v->meta.modality, "CT") || !v->meta.modality[0];
    int bct = !strcmp(best->meta.modality, "CT") || !best->meta.modality[0];
    return (ct && !bct) || (ct == bct && v->nfiles > best->nfiles);
}

const pm_series *pm_index_pick(const pm_index *ix, const char *uid)
{
    const pm_series *best = NULL;
    for (int s = 0; s < ix->nseries; s++) {
        const pm_series *v = &ix->series[s];
        if (uid && *uid) {
            if (strcmp(v->meta.series_uid, uid) == 0)
                return v;
            continue;
        }
        if (better(v, best))
            best = v;
    }
    return best;
}

const pm_series *pm_index_pick_patient(const pm_index *ix, const char *patient_id, const char *patient_name)
{
    const pm_series *best = NULL;
    for (int s = 0; s < ix->nseries; s++) {
        const pm_series *v = &ix->series[s];
        if (!strcmp(v->meta.patient_id, patient_id) && !strcmp(v->meta.patient_name, patient_name) &&
            better(v, best))
            best = v;
    }
    return best;
}
