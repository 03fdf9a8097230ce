/* test_core.c - defects of the core's small utilities, each once reachable
 * from untrusted input or the public API (issue 15).
 */
#include "test.h"
#include "pulmo/core.h"
#include "pulmo/text.h"

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

int main(void)
{
    RUN(parallel_for_with_more_threads_than_its_pool_runs_every_task_once);
    RUN(json_numbers_beyond_integers_are_written_without_undefined_casts);
    return test_done();
}
