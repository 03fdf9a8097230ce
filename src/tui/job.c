/* job.c - one long core call (scan, load, segmentation, meshing) on a worker
 * thread, so the main loop keeps reading keys and drawing.
 *
 * The core reports progress through a pm_progress callback on the thread
 * that runs the work; here that callback stores the fraction under a mutex
 * and returns the cancel flag, which the main thread sets on Escape. The
 * main loop polls job_finished() on every tick and joins the thread there,
 * so results are only touched by the main thread after the join.
 */
#include "job.h"

#include <stdio.h>
#include <string.h>

static int job_report(void *user, double fraction, const char *stage)
{
    tui_job *j = user;
    pthread_mutex_lock(&j->mu);
    j->fraction = fraction;
    snprintf(j->stage, sizeof j->stage, "%s", stage ? stage : "");
    pthread_mutex_unlock(&j->mu);
    return atomic_load(&j->cancel);
}

pm_progress job_progress(tui_job *j)
{
    pm_progress p = {job_report, j};
    return p;
}

static void *job_main(void *arg)
{
    tui_job *j = arg;
    pm_error_clear();
    j->status = j->work(j);
    if (j->status != PM_OK)
        snprintf(j->error, sizeof j->error, "%s", pm_error());
    j->finished = pm_now();
    atomic_store(&j->done, 1);
    return NULL;
}

int job_start(tui_job *j, const char *what, tui_work_fn work, void *arg)
{
    if (j->running)
        job_stop(j);
    if (!j->mu_ready) {
        if (pthread_mutex_init(&j->mu, NULL) != 0) {
            snprintf(j->error, sizeof j->error, "cannot start %s", what);
            j->status = PM_EMEMORY;
            return -1;
        }
        j->mu_ready = 1;
    }
    j->what = what;
    j->work = work;
    j->arg = arg;
    j->result = NULL;
    j->status = PM_OK;
    j->error[0] = '\0';
    j->fraction = 0;
    j->stage[0] = '\0';
    atomic_store(&j->cancel, 0);
    atomic_store(&j->done, 0);
    j->started = pm_now();
    if (pthread_create(&j->th, NULL, job_main, j) != 0) {
        snprintf(j->error, sizeof j->error, "cannot start a thread for %s", what);
        j->status = PM_EMEMORY;
        return -1;
    }
    j->running = 1;
    return 0;
}

int job_finished(tui_job *j)
{
    if (!j->running || !atomic_load(&j->done))
        return 0;
    pthread_join(j->th, NULL);
    j->running = 0;
    return 1;
}

void job_cancel(tui_job *j)
{
    atomic_store(&j->cancel, 1);
}

void job_stop(tui_job *j)
{
    if (!j->running)
        return;
    job_cancel(j);
    pthread_join(j->th, NULL);
    j->running = 0;
}

void job_peek(tui_job *j, double *fraction, char *stage, size_t cap)
{
    if (!j->mu_ready) {
        *fraction = 0;
        if (stage && cap)
            stage[0] = '\0';
        return;
    }
    pthread_mutex_lock(&j->mu);
    *fraction = j->fraction;
    if (stage && cap)
        snprintf(stage, cap, "%s", j->stage);
    pthread_mutex_unlock(&j->mu);
}

void job_free(tui_job *j)
{
    job_stop(j);
    if (j->mu_ready)
        pthread_mutex_destroy(&j->mu);
    j->mu_ready = 0;
}
