/* remote.c - what pulmo asks a node: echo, the CT series list, storing
 * files. The DIMSE messages themselves are in net_adapter.cpp. */
#include "pulmo/net.h"
#include "pulmo/series.h"
#include "pulmo/text.h"
#include "net_adapter.h"

#include <stdlib.h>
#include <string.h>

int pm_net_echo(const pm_node *n)
{
    return pm__net_echo(n);
}

typedef struct pm__rows {
    pm_remote_series *v;
    int n, cap;
    int oom;
    const pm_remote_series *study;   /* series rows inherit the study fields */
} pm__rows;

static pm_remote_series *pm__rows_add(pm__rows *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        pm_remote_series *v = realloc(r->v, (size_t)cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return NULL;
        }
        r->v = v;
        r->cap = cap;
    }
    pm_remote_series *s = &r->v[r->n++];
    memset(s, 0, sizeof *s);
    return s;
}

/* Study level keys, in the order pm__study_row reads them. */
enum { SK_STUDY_UID, SK_PATIENT_ID, SK_PATIENT_NAME, SK_DATE, SK_DESC, SK_MODS, SK_N };

static int pm__study_row(void *user, const char *const *v)
{
    pm__rows *r = user;
    pm_remote_series *s = pm__rows_add(r);
    if (!s)
        return 1;
    pm_text_clean(s->meta.study_uid, sizeof s->meta.study_uid, v[SK_STUDY_UID]);
    pm_text_clean(s->meta.patient_id, sizeof s->meta.patient_id, v[SK_PATIENT_ID]);
    pm_text_clean(s->meta.patient_name, sizeof s->meta.patient_name, v[SK_PATIENT_NAME]);
    pm_text_clean(s->meta.study_date, sizeof s->meta.study_date, v[SK_DATE]);
    pm_text_clean(s->meta.study_description, sizeof s->meta.study_description, v[SK_DESC]);
    return 0;
}

enum { RK_STUDY_UID, RK_SERIES_UID, RK_MODALITY, RK_DESC, RK_NUMBER, RK_COUNT, RK_N };

static int pm__series_row(void *user, const char *const *v)
{
    pm__rows *r = user;
    /* Some nodes ignore the Modality key: keep only CT (and series
     * without a modality, which folders keep too). */
    if (v[RK_MODALITY][0] && strcmp(v[RK_MODALITY], "CT"))
        return 0;
    pm_remote_series *s = pm__rows_add(r);
    if (!s)
        return 1;
    if (r->study)
        s->meta = r->study->meta;
    if (!s->meta.study_uid[0])
        pm_text_clean(s->meta.study_uid, sizeof s->meta.study_uid, v[RK_STUDY_UID]);
    pm_text_clean(s->meta.series_uid, sizeof s->meta.series_uid, v[RK_SERIES_UID]);
    pm_text_clean(s->meta.modality, sizeof s->meta.modality, v[RK_MODALITY]);
    pm_text_clean(s->meta.series_description, sizeof s->meta.series_description, v[RK_DESC]);
    s->series_number = atoi(v[RK_NUMBER]);
    s->ninstances = atoi(v[RK_COUNT]);
    return 0;
}

static int pm__find_studies(const pm_node *n, const char *date, const char *study_uid, pm__rows *out)
{
    pm__net_key k[SK_N] = {
        [SK_STUDY_UID] = {0x0020, 0x000D, study_uid ? study_uid : ""},
        [SK_PATIENT_ID] = {0x0010, 0x0020, ""},
        [SK_PATIENT_NAME] = {0x0010, 0x0010, ""},
        [SK_DATE] = {0x0008, 0x0020, date ? date : ""},
        [SK_DESC] = {0x0008, 0x1030, ""},
        [SK_MODS] = {0x0008, 0x0061, "CT"},
    };
    return pm__net_find(n, "STUDY", k, SK_N, pm__study_row, out);
}

static int pm__find_series(const pm_node *n, const char *study_uid, const char *series_uid,
                           pm__rows *out)
{
    pm__net_key k[RK_N] = {
        [RK_STUDY_UID] = {0x0020, 0x000D, study_uid ? study_uid : ""},
        [RK_SERIES_UID] = {0x0020, 0x000E, series_uid ? series_uid : ""},
        [RK_MODALITY] = {0x0008, 0x0060, ""},
        [RK_DESC] = {0x0008, 0x103E, ""},
        [RK_NUMBER] = {0x0020, 0x0011, ""},
        [RK_COUNT] = {0x0020, 0x1209, ""},
    };
    return pm__net_find(n, "SERIES", k, RK_N, pm__series_row, out);
}

static int pm__cmp_series(const void *a, const void *b)
{
    const pm_remote_series *x = a, *y = b;
    int c;
    if ((c = strcmp(x->meta.patient_id, y->meta.patient_id)))
        return c;
    if ((c = strcmp(x->meta.study_date, y->meta.study_date)))
        return c;
    if ((c = strcmp(x->meta.study_uid, y->meta.study_uid)))
        return c;
    if (x->series_number != y->series_number)
        return x->series_number < y->series_number ? -1 : 1;
    return strcmp(x->meta.series_uid, y->meta.series_uid);
}

int pm_net_find(const pm_node *node, const pm_remote_query *q, pm_remote_series **out, int *n,
                const pm_progress *p)
{
    pm_remote_query none = {0};
    if (!q)
        q = &none;
    pm__rows studies = {0}, series = {0};
    int rc;
    if (q->series_uid && !q->study_uid) {
        /* A series by UID alone: ask at series level first (the node
         * answers with its study), then fill in the study. */
        pm__rows one = {0};
        rc = pm__find_series(node, NULL, q->series_uid, &one);
        if (rc == PM_OK && one.n && one.v[0].meta.study_uid[0]) {
            rc = pm__find_studies(node, NULL, one.v[0].meta.study_uid, &studies);
            series.study = studies.n ? &studies.v[0] : NULL;
            if (rc == PM_OK)
                rc = pm__find_series(node, one.v[0].meta.study_uid, q->series_uid, &series);
        } else if (rc == PM_OK && one.n) {
            series = one;
            one.v = NULL;
        }
        free(one.v);
    } else {
        rc = pm__find_studies(node, q->study_date, q->study_uid, &studies);
        for (int i = 0; rc == PM_OK && !studies.oom && i < studies.n; i++) {
            if (pm_progress_report(p, (double)i / studies.n, "querying")) {
                rc = pm_fail(PM_ECANCEL, "cancelled");
                break;
            }
            series.study = &studies.v[i];
            rc = pm__find_series(node, studies.v[i].meta.study_uid, q->series_uid, &series);
        }
    }
    if (rc == PM_OK && (studies.oom || series.oom))
        rc = pm_fail(PM_EMEMORY, "out of memory listing series");
    free(studies.v);
    if (rc != PM_OK) {
        free(series.v);
        return rc;
    }
    if (series.n > 1)
        qsort(series.v, (size_t)series.n, sizeof *series.v, pm__cmp_series);
    pm_progress_report(p, 1.0, "querying");
    *out = series.v;
    *n = series.n;
    return PM_OK;
}

int pm_net_index(const pm_node *node, const pm_remote_query *q, pm_index **out, const pm_progress *p)
{
    pm_remote_series *rs;
    int n, rc = pm_net_find(node, q, &rs, &n, p);
    if (rc != PM_OK)
        return rc;
    pm_index *ix = calloc(1, sizeof *ix);
    if (ix)
        ix->series = calloc((size_t)n + 1, sizeof *ix->series);
    if (!ix || !ix->series) {
        free(ix);
        free(rs);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    char name[300];
    pm_net_name(node, name, sizeof name);
    ix->nseries = n;
    for (int i = 0; i < n; i++) {
        ix->series[i].meta = rs[i].meta;
        ix->series[i].nfiles = rs[i].ninstances;
        snprintf(ix->series[i].folder, sizeof ix->series[i].folder, "dicom://%s/%s", name,
                 rs[i].meta.series_uid);
    }
    free(rs);
    *out = ix;
    return PM_OK;
}

int pm_net_load(const char *url, const pm_load_opts *o, pm_volume **out, const pm_progress *p)
{
    pm_node n;
    char uid[72], dir[4096];
    int rc = pm_net_parse(url, &n, uid, sizeof uid);
    if (rc == PM_OK && !uid[0])
        rc = pm_fail(PM_EUSAGE, "%s: names no series", url);
    if (rc == PM_OK)
        rc = pm_net_fetch(&n, uid, dir, sizeof dir, p);
    if (rc == PM_OK)
        rc = pm_load_dir(dir, uid, o, out, p);
    return rc;
}

typedef struct pm__count {
    const pm_progress *p;
    const char *stage;
} pm__count;

static int pm__count_cb(void *user, int done, int total)
{
    pm__count *c = user;
    return pm_progress_report(c->p, total > 0 ? (double)done / total : 0.0, c->stage);
}

int pm_net_store(const pm_node *node, const char *root, int *sent, const pm_progress *p)
{
    *sent = 0;
    pm_index *ix;
    int rc = pm_index_scan(root, &ix, NULL);
    if (rc != PM_OK)
        return rc;
    int nfiles = 0;
    for (int i = 0; i < ix->nseries; i++)
        nfiles += ix->series[i].nfiles;
    char **files = nfiles ? malloc((size_t)nfiles * sizeof *files) : NULL;
    if (nfiles && !files) {
        pm_index_free(ix);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int k = 0;
    for (int i = 0; i < ix->nseries; i++)
        for (int j = 0; j < ix->series[i].nfiles; j++)
            files[k++] = ix->series[i].files[j];
    if (nfiles == 0)
        rc = pm_fail(PM_ENODATA, "%s: no DICOM files to send", root);
    else {
        pm__count c = {p, "sending"};
        rc = pm__net_store(node, files, nfiles, pm__count_cb, &c, sent);
    }
    free(files);
    pm_index_free(ix);
    return rc;
}
