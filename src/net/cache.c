/* cache.c - retrieved series on disk: one folder per series UID, renamed
 * into place only when complete, least recently used evicted first. */
#include "pulmo/net.h"
#include "pulmo/io.h"
#include "net_adapter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PM__COMPLETE ".complete"

static int pm__cache_root(char *buf, size_t cap)
{
    const char *c = getenv("PULMO_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (c && *c)
        snprintf(buf, cap, "%s", c);
    else if (x && *x)
        snprintf(buf, cap, "%s/pulmo/dicom", x);
    else if (h && *h)
        snprintf(buf, cap, "%s/.cache/pulmo/dicom", h);
    else
        return pm_fail(PM_EWRITE, "no cache folder: set PULMO_CACHE, XDG_CACHE_HOME or HOME");
    return PM_OK;
}

static int pm__rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void pm__rm_rf(const char *path)
{
    nftw(path, pm__rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static long long pm__du_total;
static int pm__du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path; (void)ftw;
    if (flag == FTW_F)
        pm__du_total += (long long)st->st_size;
    return 0;
}

static long long pm__du(const char *path)
{
    pm__du_total = 0;
    nftw(path, pm__du_one, 16, FTW_PHYS);
    return pm__du_total;
}

int pm_net_cached(const char *series_uid, char *dir, size_t cap)
{
    char root[4096], mark[4200];
    if (!pm__net_uid_ok(series_uid) || pm__cache_root(root, sizeof root) != PM_OK)
        return 0;
    snprintf(mark, sizeof mark, "%s/%s/" PM__COMPLETE, root, series_uid);
    if (!pm_path_exists(mark))
        return 0;
    /* The marker's time is the series' last use, for eviction. */
    utimensat(AT_FDCWD, mark, NULL, 0);
    snprintf(dir, cap, "%s/%s", root, series_uid);
    return 1;
}

/* ".part.<pid>" folders of processes that died (killed mid-retrieval). */
static void pm__clean_stale(const char *root)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *p = strstr(e->d_name, ".part.");
        if (!p)
            continue;
        long pid = strtol(p + 6, NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", root, e->d_name);
            pm__rm_rf(path);
        }
    }
    closedir(d);
}

typedef struct pm__entry {
    char name[80];
    time_t used;
    long long bytes;
} pm__entry;

static int pm__cmp_used(const void *a, const void *b)
{
    const pm__entry *x = a, *y = b;
    return x->used < y->used ? -1 : x->used > y->used;
}

/* Deletes least recently used complete series until the cache fits its
 * cap; keep is never deleted (the series just retrieved). */
static void pm__evict(const char *root, const char *keep)
{
    const char *m = getenv("PULMO_CACHE_MAX");
    long long cap = m && *m ? pm_parse_size(m) : 8LL << 30;
    if (cap <= 0)
        cap = 8LL << 30;
    DIR *d = opendir(root);
    if (!d)
        return;
    pm__entry *v = NULL;
    int n = 0, vcap = 0;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof v->name)
            continue;
        char path[4400], mark[4500];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        snprintf(mark, sizeof mark, "%s/" PM__COMPLETE, path);
        if (strstr(e->d_name, ".part.") || stat(mark, &st) != 0)
            continue;
        if (n == vcap) {
            vcap = vcap ? vcap * 2 : 32;
            pm__entry *nv = realloc(v, (size_t)vcap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", e->d_name);
        v[n].used = st.st_mtime;
        v[n].bytes = pm__du(path);
        total += v[n].bytes;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, pm__cmp_used);
    for (int i = 0; i < n && total > cap; i++) {
        if (!strcmp(v[i].name, keep))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", root, v[i].name);
        pm__rm_rf(path);
        total -= v[i].bytes;
    }
    free(v);
}

typedef struct pm__fetch_cb {
    const pm_progress *p;
    int expected;
} pm__fetch_cb;

static int pm__fetch_count(void *user, int done, int total)
{
    pm__fetch_cb *c = user;
    if (total <= 0)
        total = c->expected;
    return pm_progress_report(c->p, total > 0 ? (double)done / total : 0.0, "retrieving");
}

int pm_net_fetch(const pm_node *node, const char *series_uid, char *dir, size_t cap,
                 const pm_progress *p)
{
    char name[300];
    pm_net_name(node, name, sizeof name);
    if (!pm__net_uid_ok(series_uid))
        return pm_fail(PM_EUSAGE, "%s: a series UID is digits and dots", series_uid);
    if (pm_net_cached(series_uid, dir, cap))
        return PM_OK;
    pm_remote_query q = {.series_uid = series_uid};
    pm_remote_series *rs;
    int nrs, rc = pm_net_find(node, &q, &rs, &nrs, NULL);
    if (rc != PM_OK)
        return rc;
    if (nrs == 0) {
        free(rs);
        return pm_fail(PM_ENODATA, "%s: no CT series %s on this node", name, series_uid);
    }
    pm_remote_series s = rs[0];
    free(rs);

    char root[4096], part[4400], final[4400], mark[4500];
    if ((rc = pm__cache_root(root, sizeof root)) != PM_OK || (rc = pm_mkdir_p(root)) != PM_OK)
        return rc;
    pm__clean_stale(root);
    snprintf(part, sizeof part, "%s/%s.part.%ld", root, series_uid, (long)getpid());
    snprintf(final, sizeof final, "%s/%s", root, series_uid);
    pm__rm_rf(part);
    if (mkdir(part, 0700) != 0)
        return pm_fail(PM_EWRITE, "%s: cannot create (%s)", part, strerror(errno));
    pm__fetch_cb c = {p, s.ninstances};
    int received = 0, failed = 0;
    rc = pm__net_retrieve(node, s.meta.study_uid, series_uid, part, s.ninstances, pm__fetch_count,
                          &c, &received, &failed);
    if (rc == PM_OK && (failed > 0 || received == 0 || (s.ninstances > 0 && received < s.ninstances)))
        rc = pm_fail(PM_EREFUSED, "%s: series %s: received %d of %d images (%d failed); "
                     "nothing kept", name, series_uid, received, s.ninstances, failed);
    if (rc == PM_OK) {
        snprintf(mark, sizeof mark, "%s/" PM__COMPLETE, part);
        FILE *f = fopen(mark, "w");
        if (!f || fprintf(f, "%d\n", received) < 0 || fclose(f) != 0)
            rc = pm_fail(PM_EWRITE, "%s: cannot write (%s)", mark, strerror(errno));
    }
    if (rc == PM_OK && rename(part, final) != 0) {
        /* Another pulmo finished the same series first: use its copy. */
        if (!pm_net_cached(series_uid, dir, cap))
            rc = pm_fail(PM_EWRITE, "%s: cannot rename into place (%s)", final, strerror(errno));
    }
    if (rc != PM_OK) {
        pm__rm_rf(part);
        return rc;
    }
    pm__rm_rf(part);
    pm__evict(root, series_uid);
    pm_progress_report(p, 1.0, "retrieving");
    snprintf(dir, cap, "%s", final);
    return PM_OK;
}
