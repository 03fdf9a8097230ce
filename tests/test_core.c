/* test_core.c - defects of the core's small utilities, each once reachable
 * from untrusted input or the public API (issue 15).
 */
#include "test.h"
#include "pulmo/core.h"
#include "pulmo/text.h"
#include "pulmo/volume.h"

#include <stdatomic.h>

static atomic_int ran[200];
static atomic_int max_thread;

static void count_task(void *ctx, int task, int thread)
{
    (void)ctx;
    atomic_fetch_add(&ran[task], 1);
    int m = atomic_load(&max_thread);
    while (thread > m && !atomic_compare_exchange_weak(&max_thread, &m, thread))
        ;
}

TEST(parallel_for_with_more_threads_than_its_pool_runs_every_task_once)
{
    /* 100 threads used to overflow a 64-entry array on the stack. */
    CHECK(pm_parallel_for(200, 100, count_task, NULL, NULL, "test") == PM_OK, "status");
    for (int t = 0; t < 200; t++)
        CHECK(atomic_load(&ran[t]) == 1, "task %d ran %d times", t, atomic_load(&ran[t]));
    CHECK(atomic_load(&max_thread) < 64, "thread index %d beyond the pool", atomic_load(&max_thread));
}

TEST(json_numbers_beyond_integers_are_written_without_undefined_casts)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f, "memstream");
    pm_json j;
    pm_json_init(&j, f, 0);
    pm_json_number(&j, "big", 1e300);
    pm_json_number(&j, "neg", -1e300);
    pm_json_number(&j, "int", 42);
    pm_json_end(&j);
    fclose(f);
    CHECK(strstr(buf, "\"big\":1e+300") && strstr(buf, "\"neg\":-1e+300") && strstr(buf, "\"int\":42"),
          "JSON text: %s", buf);
    free(buf);
}

/* The one HU histogram counts exactly the voxels of the chosen labels in
 * the chosen slices, at the extremes of the int16 range too. */
TEST(hu_counts_take_only_the_chosen_labels_and_slices)
{
    pm_grid g;
    pm_grid_init(&g, 7, 5, 4, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    CHECK(v && m, "out of memory");
    size_t n = pm_grid_voxels(&g), plane = 35;
    for (size_t i = 0; i < n; i++) {
        v->hu[i] = i % 3 == 0 ? -32768 : i % 3 == 1 ? 32767 : (int16_t)(i / plane);
        m->v[i] = (uint8_t)(i % 4);
    }
    uint64_t *c = malloc(65536 * sizeof *c), want[3] = {0}, wall = 0;
    uint8_t take[256] = {0};
    take[1] = take[3] = 1;
    for (size_t i = plane; i < 3 * plane; i++)   /* slices 1 and 2 */
        if (m->v[i] == 1 || m->v[i] == 3)
            want[i % 3]++;
    CHECK(pm_volume_hu_counts(v, m, take, 1, 3, c) == PM_OK, "%s", pm_error());
    uint64_t mid = c[32768 + 1] + c[32768 + 2], total = 0;
    for (int i = 0; i < 65536; i++)
        total += c[i];
    CHECK(c[0] == want[0] && c[65535] == want[1] && mid == want[2] && total == want[0] + want[1] + want[2],
          "counts %llu %llu %llu", (unsigned long long)c[0], (unsigned long long)c[65535],
          (unsigned long long)mid);
    CHECK(pm_volume_hu_counts(v, NULL, take, 0, 4, c) == PM_OK, "%s", pm_error());
    for (int i = 0; i < 65536; i++)
        wall += c[i];
    CHECK(wall == n, "no mask: %llu of %zu voxels", (unsigned long long)wall, n);
    CHECK(pm_volume_hu_counts(v, m, take, 2, 5, c) == PM_EUSAGE, "slices beyond the image accepted");
    free(c);
    pm_volume_free(v);
    pm_mask_free(m);
}

/* The mask scans: the first byte not 0 from i on, and the end of the last
 * one, at every length and position a word step can meet (lone bytes in
 * every lane, rows shorter than a word, all zero), against a byte loop. */
TEST(mask_scans_find_the_first_and_last_bytes_that_are_not_zero)
{
    uint8_t b[80];
    for (int n = 0; n <= 80; n++)
        for (int a = -1; a < n; a++)
            for (int z = a; z < n; z++) {
                memset(b, 0, sizeof b);
                if (a >= 0)
                    b[a] = 1, b[z] = 7;
                int end = a < 0 ? 0 : z + 1;
                CHECK(pm_nonzero_end(b, n) == end, "n %d, bytes at %d and %d: end %d, not %d", n, a, z,
                      pm_nonzero_end(b, n), end);
                for (int i = 0; i <= n; i++) {
                    int want = i;
                    while (want < n && !b[want])
                        want++;
                    CHECK(pm_skip_zeros(b, i, n) == want, "n %d, from %d: %d, not %d", n, i, pm_skip_zeros(b, i, n),
                          want);
                }
            }
}

/* The parallel loops' split: in order, no gap and no overlap, shares
 * differing by at most one item, and the same for any number of tasks up
 * to more tasks than items; sizes near the 32-bit limit do not wrap. */
TEST(shares_cover_every_item_once_in_order)
{
    const size_t ns[] = {0, 1, 7, 64, 1000, 4294967295u, (size_t)1 << 40};
    for (size_t u = 0; u < sizeof ns / sizeof *ns; u++)
        for (int nt = 1; nt <= 70; nt++) {
            size_t next = 0, lo = (size_t)-1, hi = 0;
            for (int t = 0; t < nt; t++) {
                size_t a, b;
                pm_share(ns[u], t, nt, &a, &b);
                CHECK(a == next && b >= a, "n %zu, task %d of %d: [%zu, %zu) after %zu", ns[u], t, nt, a, b, next);
                next = b;
                lo = b - a < lo ? b - a : lo, hi = b - a > hi ? b - a : hi;
            }
            CHECK(next == ns[u] && hi - lo <= 1, "n %zu in %d: ends at %zu, shares %zu to %zu", ns[u], nt, next,
                  lo, hi);
        }
}

int main(void)
{
    RUN(parallel_for_with_more_threads_than_its_pool_runs_every_task_once);
    RUN(json_numbers_beyond_integers_are_written_without_undefined_casts);
    RUN(hu_counts_take_only_the_chosen_labels_and_slices);
    RUN(mask_scans_find_the_first_and_last_bytes_that_are_not_zero);
    RUN(shares_cover_every_item_once_in_order);
    return test_done();
}
