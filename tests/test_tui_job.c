/* test_tui_job.c - the terminal UI's background job (src/tui/job.c), which
 * needs no terminal: work runs on a thread, reports progress the main loop
 * can peek at, stops when cancelled, and job_free joins it and destroys the
 * lock that the first job_start initialised (issue 15: the lock used to be
 * copied from a static initializer and never destroyed). Run under ASan and
 * LSan by `make test`: a thread left unjoined or a job touched after free
 * is a report.
 */
#include "test.h"
#include "../src/tui/job.h"

#include <stdatomic.h>
#include <time.h>

static atomic_int gate;      /* the main thread lets the work go on */

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* Reports half way, waits for the gate, then finishes with a result. */
static int work_half_then_done(tui_job *j)
{
    pm_progress p = job_progress(j);
    if (pm_progress_report(&p, 0.5, "half"))
        return pm_fail(PM_ECANCEL, "cancelled");
    while (!atomic_load(&gate))
        nap();
    j->result = j->arg;
    return PM_OK;
}

/* Reports until the cancel flag comes back set. */
static int work_until_cancelled(tui_job *j)
{
    pm_progress p = job_progress(j);
    for (int i = 0;; i++) {
        if (pm_progress_report(&p, (i % 100) / 100.0, "spinning"))
            return pm_fail(PM_ECANCEL, "spinning: cancelled");
        nap();
    }
}

/* Polls as the main loop does, for at most 10 s. */
static int wait_finished(tui_job *j)
{
    for (int i = 0; i < 10000; i++) {
        if (job_finished(j))
            return 1;
        nap();
    }
    return 0;
}

/* Clears j and starts work on it. */
static void fresh_job(tui_job *j, const char *what, tui_work_fn work, void *arg)
{
    memset(j, 0, sizeof *j);
    CHECK(job_start(j, what, work, arg) == 0, "%s starts: %s", what, j->error);
}

/* job_free, which leaves no thread and no lock behind. */
static void free_job(tui_job *j)
{
    job_free(j);
    CHECK(!j->running && !j->mu_ready, "job_free joined the thread and destroyed the lock");
}

TEST(a_job_runs_its_work_reports_progress_and_hands_back_the_result)
{
    tui_job j;
    memset(&j, 0, sizeof j);
    double f = -1;
    char stage[64] = "x";
    job_peek(&j, &f, stage, sizeof stage);
    CHECK(f == 0 && stage[0] == '\0', "a job never started peeks as 0 and no stage");
    static int payload = 42;
    atomic_store(&gate, 0);
    CHECK(job_start(&j, "testing", work_half_then_done, &payload) == 0, "job starts: %s", j.error);
    CHECK(j.running && j.mu_ready, "running, with its lock initialised");
    for (int i = 0; i < 10000 && f != 0.5; i++) {
        job_peek(&j, &f, stage, sizeof stage);
        nap();
    }
    CHECK(f == 0.5 && strcmp(stage, "half") == 0, "progress reaches the main thread: %g '%s'", f, stage);
    CHECK(!job_finished(&j), "not finished while the work waits");
    atomic_store(&gate, 1);
    CHECK(wait_finished(&j), "the job finishes");
    CHECK(!j.running && j.status == PM_OK && j.result == &payload, "status %d, result handed back", j.status);
    free_job(&j);
}

TEST(a_cancelled_job_stops_with_the_reason_of_its_work)
{
    tui_job j;
    fresh_job(&j, "spinning", work_until_cancelled, NULL);
    job_cancel(&j);
    CHECK(wait_finished(&j), "a cancelled job finishes");
    CHECK(j.status == PM_ECANCEL && strstr(j.error, "spinning: cancelled"),
          "status %d, error '%s'", j.status, j.error);
    /* A second run on the same job reuses its lock. */
    CHECK(job_start(&j, "spinning again", work_until_cancelled, NULL) == 0, "job restarts: %s", j.error);
    CHECK(j.status == PM_OK && j.error[0] == '\0', "a restart clears the last outcome");
    free_job(&j);
}

TEST(job_free_stops_a_running_job_and_the_job_can_start_again)
{
    tui_job j;
    fresh_job(&j, "spinning", work_until_cancelled, NULL);
    free_job(&j);
    CHECK(j.status == PM_ECANCEL, "the work saw the cancel, status %d", j.status);
    /* As the screens do: clear the freed job, then use it again. */
    atomic_store(&gate, 1);
    fresh_job(&j, "again", work_half_then_done, &j);
    CHECK(wait_finished(&j) && j.status == PM_OK, "the second job finishes");
    job_free(&j);
    job_free(&j);
    CHECK(!j.mu_ready, "job_free twice is harmless");
}

int main(void)
{
    RUN(a_job_runs_its_work_reports_progress_and_hands_back_the_result);
    RUN(a_cancelled_job_stops_with_the_reason_of_its_work);
    RUN(job_free_stops_a_running_job_and_the_job_can_start_again);
    return test_done();
}
