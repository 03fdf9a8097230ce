/* net_cancel.c - run by tests/test_pacs.sh with a live node: a retrieval
 * cancelled after its first images leaves nothing in the cache that a later
 * open would take for the series, and the next retrieval is complete.
 *
 *     net_cancel dicom://AET@host:port/SERIES_UID CACHE_DIR
 *
 * (Not a test_*.c: it needs the node that the script starts.) */
#include "test.h"
#include "pulmo/net.h"
#include "pulmo/series.h"

#include <dirent.h>

static const char *url, *cache;

static int cancel_after_first(void *user, double fraction, const char *stage)
{
    int *calls = user;
    (void)stage;
    return fraction > 0.0 && ++*calls >= 1;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

TEST(cancelled_retrieval_leaves_no_series_in_the_cache)
{
    pm_node n;
    char uid[72], dir[4096];
    CHECK(pm_net_parse(url, &n, uid, sizeof uid) == PM_OK, "%s", pm_error());
    int calls = 0;
    pm_progress p = {cancel_after_first, &calls};
    int rc = pm_net_fetch(&n, uid, dir, sizeof dir, &p);
    CHECK(rc == PM_ECANCEL, "fetch returned %d (%s), expected a cancel", rc, pm_error());
    CHECK(!pm_net_cached(uid, dir, sizeof dir), "the cancelled series is in the cache at %s", dir);
    CHECK(entries(cache) == 0, "%d entries left in %s", entries(cache), cache);
}

TEST(next_retrieval_is_complete_and_loads)
{
    pm_node n;
    char uid[72], dir[4096];
    CHECK(pm_net_parse(url, &n, uid, sizeof uid) == PM_OK, "%s", pm_error());
    int rc = pm_net_fetch(&n, uid, dir, sizeof dir, NULL);
    CHECK(rc == PM_OK, "fetch: %s", pm_error());
    CHECK(pm_net_cached(uid, dir, sizeof dir), "not in the cache after a full retrieval");
    pm_index *ix;
    CHECK(pm_index_scan(dir, &ix, NULL) == PM_OK, "%s", pm_error());
    int ok = ix->nseries == 1 && !strcmp(ix->series[0].meta.series_uid, uid) && ix->nerrors == 0;
    int nfiles = ix->nseries ? ix->series[0].nfiles : 0;
    pm_index_free(ix);
    CHECK(ok, "the cache folder does not hold exactly the series (%d files)", nfiles);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: net_cancel dicom://AET@host:port/SERIES_UID CACHE_DIR\n");
        return 1;
    }
    url = argv[1];
    cache = argv[2];
    setenv("PULMO_CACHE", cache, 1);
    RUN(cancelled_retrieval_leaves_no_series_in_the_cache);
    RUN(next_retrieval_is_complete_and_loads);
    return test_done();
}
