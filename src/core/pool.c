/* pool.c - pm_parallel_for on a crew of threads that outlive the call.
 *
 * Starting and joining a thread per call cost about 70 us, and a segment
 * and a mesh make 160 calls; a worker that started late also missed the
 * first tasks of a short loop. The crew's threads sleep on a condition
 * variable between calls (no spinning: they take no core while idle). One
 * call at a time owns the crew; a call made while it is busy (from inside a
 * task, or from a second thread such as the TUI's preview beside a
 * background run) starts threads of its own as before.
 */
#include "pulmo/core.h"

#include <pthread.h>
#include <stdatomic.h>

#define PM__MAX_THREADS 64

typedef struct pm__job {
    void (*fn)(void *, int, int);
    void *ctx;
    int ntasks;
    atomic_int next, done, cancel;
} pm__job;

static void pm__run_tasks(pm__job *job, int thread)
{
    for (;;) {
        if (atomic_load(&job->cancel))
            break;
        int t = atomic_fetch_add(&job->next, 1);
        if (t >= job->ntasks)
            break;
        job->fn(job->ctx, t, thread);
        atomic_fetch_add(&job->done, 1);
    }
}

static struct {
    pthread_mutex_t owner;    /* held by the call using the crew */
    pthread_mutex_t m;        /* guards the fields below */
    pthread_cond_t go, idle;
    int nworkers;             /* started: threads 1..nworkers */
    unsigned gen;             /* one per call */
    int want;                 /* threads 1..want take part in this call */
    int busy;                 /* of those, still working */
    pm__job *job;
    unsigned born[PM__MAX_THREADS]; /* gen when each thread was started */
} crew = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, NULL, {0}};

static void *pm__crew_main(void *arg)
{
    int thread = (int)(intptr_t)arg;
    pthread_mutex_lock(&crew.m);
    /* the call that started this thread may have begun before it runs */
    unsigned seen = crew.born[thread];
    for (;;) {
        while (crew.gen == seen)
            pthread_cond_wait(&crew.go, &crew.m);
        seen = crew.gen;
        if (thread > crew.want)
            continue;
        pm__job *job = crew.job;
        pthread_mutex_unlock(&crew.m);
        pm__run_tasks(job, thread);
        pthread_mutex_lock(&crew.m);
        if (--crew.busy == 0)
            pthread_cond_signal(&crew.idle);
    }
    return NULL;
}

/* A child of fork() has none of the crew's threads. */
static void pm__crew_forget(void)
{
    pthread_mutex_init(&crew.owner, NULL);
    pthread_mutex_init(&crew.m, NULL);
    pthread_cond_init(&crew.go, NULL);
    pthread_cond_init(&crew.idle, NULL);
    crew.nworkers = 0, crew.want = 0, crew.busy = 0, crew.job = NULL;
}

static pthread_once_t crew_once = PTHREAD_ONCE_INIT;
static void pm__crew_init(void)
{
    pthread_atfork(NULL, NULL, pm__crew_forget);
}

/* Threads 1..n-1 of the crew, started as needed: how many there are. The
 * crew's threads are detached; they end with the process. Called with
 * crew.owner held. */
static int pm__crew_grow(int n)
{
    pthread_mutex_lock(&crew.m);
    while (crew.nworkers < n - 1) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        crew.born[crew.nworkers + 1] = crew.gen;
        int ok = pthread_create(&t, &at, pm__crew_main, (void *)(intptr_t)(crew.nworkers + 1)) == 0;
        pthread_attr_destroy(&at);
        if (!ok)
            break;
        crew.nworkers++;
    }
    int have = crew.nworkers;
    pthread_mutex_unlock(&crew.m);
    return have;
}

static void *pm__thread_main(void *arg)
{
    void **a = arg;
    pm__run_tasks(a[0], (int)(intptr_t)a[1]);
    return NULL;
}

/* The caller's share, in small bites between progress reports so that a
 * cancel is noticed within one task. */
static void pm__caller_share(pm__job *job, const pm_progress *p, const char *stage)
{
    for (;;) {
        if (pm_progress_report(p, (double)atomic_load(&job->done) / job->ntasks, stage)) {
            atomic_store(&job->cancel, 1);
            break;
        }
        int t = atomic_fetch_add(&job->next, 1);
        if (t >= job->ntasks)
            break;
        job->fn(job->ctx, t, 0);
        atomic_fetch_add(&job->done, 1);
    }
}

int pm_parallel_for(int ntasks, int nthreads, void (*fn)(void *ctx, int task, int thread),
                    void *ctx, const pm_progress *p, const char *stage)
{
    if (ntasks <= 0)
        return PM_OK;
    if (nthreads <= 0)
        nthreads = pm_threads();
    if (nthreads > ntasks)
        nthreads = ntasks;
    if (nthreads > PM__MAX_THREADS)
        nthreads = PM__MAX_THREADS;
    pm__job job = {.fn = fn, .ctx = ctx, .ntasks = ntasks};
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    atomic_init(&job.cancel, 0);
    pthread_once(&crew_once, pm__crew_init);
    if (nthreads > 1 && pthread_mutex_trylock(&crew.owner) == 0) {
        int helpers = pm__crew_grow(nthreads);
        helpers = helpers < nthreads - 1 ? helpers : nthreads - 1;
        pthread_mutex_lock(&crew.m);
        crew.job = &job;
        crew.want = helpers;
        crew.busy = helpers;
        crew.gen++;
        pthread_cond_broadcast(&crew.go);
        pthread_mutex_unlock(&crew.m);
        pm__caller_share(&job, p, stage);
        pthread_mutex_lock(&crew.m);
        while (crew.busy > 0)
            pthread_cond_wait(&crew.idle, &crew.m);
        crew.job = NULL;
        pthread_mutex_unlock(&crew.m);
        pthread_mutex_unlock(&crew.owner);
    } else {
        pthread_t tids[PM__MAX_THREADS];
        void *args[PM__MAX_THREADS][2];
        int started = 0;
        for (int i = 1; i < nthreads; i++) {
            args[i][0] = &job, args[i][1] = (void *)(intptr_t)i;
            if (pthread_create(&tids[i], NULL, pm__thread_main, args[i]) != 0)
                break;
            started = i;
        }
        pm__caller_share(&job, p, stage);
        for (int i = 1; i <= started; i++)
            pthread_join(tids[i], NULL);
    }
    if (atomic_load(&job.cancel))
        return pm_fail(PM_ECANCEL, "cancelled");
    pm_progress_report(p, 1.0, stage);
    return PM_OK;
}
