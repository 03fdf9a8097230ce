/* test_batch.c - the batch engine: a series that cannot be loaded is a row of
 * the summary and does not stop the others; shards split the series list. */
#include "test.h"
#include "pulmo/batch.h"
#include "pulmo/dicom.h"
#include "pulmo/io.h"

#include <dirent.h>

static int copy_series(const char *from_rel, const char *to, const char *uid, const char *ipp)
{
    DIR *d = opendir(test_data(from_rel));
    if (!d)
        return -1;
    pm_mkdir_p(to);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char src[4096], tmp[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%s", test_data(from_rel), e->d_name);
        snprintf(tmp, sizeof tmp, "%s/%s.tmp", to, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        if (pm_dicom_rewrite_string(src, ipp ? tmp : dst, 0x0020, 0x000E, uid) != PM_OK)
            return -1;
        if (ipp) {
            if (pm_dicom_rewrite_string(tmp, dst, 0x0020, 0x0032, ipp) != PM_OK)
                return -1;
            remove(tmp);
        }
        n++;
    }
    closedir(d);
    return n;
}

static int count_rows(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

TEST(a_series_that_fails_to_load_is_a_summary_row_and_the_others_run)
{
    char root[512], out[512];
    snprintf(root, sizeof root, "%s/root", test_tmpdir());
    snprintf(out, sizeof out, "%s/out", test_tmpdir());
    char good[600], bad[600];
    snprintf(good, sizeof good, "%s/a-good", root);
    snprintf(bad, sizeof bad, "%s/b-broken", root);
    CHECK(copy_series("patients/GE-HEAD-TILT", good, "1.2.3.4.5.6.7.1", NULL) == 28, "copy GE-HEAD-TILT");
    /* Two different images at one position: the loader refuses the series. */
    CHECK(copy_series("edge/two-slices-no-modality", bad, "1.2.3.4.5.6.7.2", "0\\0\\0") == 2,
          "copy two-slices: %s", pm_error());
    pm_batch_opts o = {.seg = {.recipe = "default", .write_mask = 1}, .jobs = 2};
    pm_batch_result res;
    int rc = pm_batch_run(root, out, &o, NULL, NULL, &res, NULL);
    CHECK(rc == PM_OK, "batch: %d %s", rc, pm_error());
    CHECK(res.total == 2 && res.failed == 1 && res.no_lungs == 1, "total %d failed %d no_lungs %d", res.total,
          res.failed, res.no_lungs);
    CHECK(count_rows(res.summary_path, "\"b-broken\",corrupt,") == 1, "no corrupt row for b-broken");
    CHECK(count_rows(res.summary_path, "same position") == 1, "the row does not give the reason");
    CHECK(count_rows(res.summary_path, "\"a-good\",no_lungs,") == 1, "no row for a-good");
    char rep[700];
    snprintf(rep, sizeof rep, "%s/b-broken/report.json", out);
    CHECK(!pm_path_exists(rep), "a failed series got a report (it would never be retried)");
    /* Resume: the good one is skipped, the broken one is tried again. */
    rc = pm_batch_run(root, out, &o, NULL, NULL, &res, NULL);
    CHECK(rc == PM_OK && res.skipped == 1 && res.failed == 1, "resume: skipped %d failed %d", res.skipped,
          res.failed);
    o.force = 1;
    rc = pm_batch_run(root, out, &o, NULL, NULL, &res, NULL);
    CHECK(rc == PM_OK && res.skipped == 0, "--force skipped %d", res.skipped);
}

TEST(shards_partition_the_series_list)
{
    pm_index *ix;
    CHECK(pm_index_scan(test_data("edge"), &ix, NULL) == PM_OK, "%s", pm_error());
    int *all, n = pm_batch_select(ix, 0, 0, &all);
    CHECK(n >= 2, "%d series under edge/", n);
    int seen[64] = {0};
    for (int shards = 1; shards <= 3; shards++) {
        memset(seen, 0, sizeof seen);
        for (int s = 1; s <= shards; s++) {
            int *part, m = pm_batch_select(ix, s, shards, &part);
            for (int q = 0; q < m; q++)
                seen[part[q]]++;
            free(part);
        }
        for (int q = 0; q < n; q++)
            CHECK(seen[all[q]] == 1, "%d shards: series %d taken %d times", shards, all[q], seen[all[q]]);
    }
    free(all);
    pm_index_free(ix);
}

int main(void)
{
    RUN(a_series_that_fails_to_load_is_a_summary_row_and_the_others_run);
    RUN(shards_partition_the_series_list);
    return test_done();
}
