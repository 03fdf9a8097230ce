/* job.h - one long core call (scan, load, segmentation, meshing) on a
 * worker thread, with progress and cancel (job.c).
 */
#ifndef PULMO_TUI_JOB_H
#define PULMO_TUI_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "pulmo/core.h"


typedef struct tui_job tui_job;
typedef int (*tui_work_fn)(tui_job *j);

struct tui_job {
    const char *what;            /* status line text: "loading series" */
    tui_work_fn work;
    void *arg;
    void *result;
    int status;                  /* pm_status of work */
    char error[640];             /* pm_error() of the worker on failure */
    double started, finished;
    pthread_t th;
    pthread_mutex_t mu;          /* initialised by the first job_start */
    int mu_ready;
    double fraction;
    char stage[64];
    atomic_int cancel;
    atomic_int done;
    int running;
};

/* Starts work on a thread. Returns 0, or -1 (and sets error) if the thread
 * could not start. */
int job_start(tui_job *j, const char *what, tui_work_fn work, void *arg);
/* A progress callback for the core that records the fraction and returns
 * the cancel flag. */
pm_progress job_progress(tui_job *j);
/* 1 when a started job has finished (joined; status/result valid). */
int job_finished(tui_job *j);
void job_cancel(tui_job *j);
/* Cancels and joins. */
void job_stop(tui_job *j);
/* job_stop, then frees the lock: before the job's memory is cleared. */
void job_free(tui_job *j);
/* Fraction and stage under the lock. */
void job_peek(tui_job *j, double *fraction, char *stage, size_t cap);

#endif
