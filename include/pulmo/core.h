/* core.h - status codes, error reporting and progress callbacks shared by
 * every pulmo module.
 *
 * Library functions never print and never exit. They return a pm_status;
 * on failure they leave their outputs untouched and record a one-line,
 * user-facing reason that the caller reads with pm_error() (thread-local,
 * like stb_image's failure_reason, so worker threads do not clobber the
 * caller's message). The status values are also pulmo's exit codes, so a
 * front end can return them unchanged.
 */
#ifndef PULMO_CORE_H
#define PULMO_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_VERSION "0.1.0"

typedef enum pm_status {
    PM_OK = 0,
    PM_EUSAGE = 1,     /* bad arguments or parameters */
    PM_ENODATA = 2,    /* no DICOM file or no series found */
    PM_ECORRUPT = 3,   /* unreadable or corrupt input */
    PM_EWRITE = 4,     /* output not writable (includes a full disk) */
    PM_EMEMORY = 5,    /* over the memory cap, or out of memory */
    PM_ENOLUNG = 6,    /* segmentation found no lungs */
    PM_ENET = 7,       /* DICOM node unreachable, timed out or hung up */
    PM_EREFUSED = 8,   /* DICOM node refused: association rejected or failure status */
    PM_ECANCEL = 130   /* cancelled through a progress callback */
} pm_status;

/* Records a printf-style reason for the calling thread and returns code. */
int pm_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The reason recorded by the last pm_fail() on this thread ("" if none). */
const char *pm_error(void);
/* Forgets the recorded reason. */
void pm_error_clear(void);

/* Progress: called with a fraction in [0,1] and a short stage name.
 * Returning non-zero asks the work to stop; it then returns PM_ECANCEL.
 * May be called from the thread that started the work only. */
typedef int (*pm_progress_fn)(void *user, double fraction, const char *stage);
typedef struct pm_progress {
    pm_progress_fn fn;
    void *user;
} pm_progress;

/* Reports progress; returns non-zero when the caller asked to cancel.
 * p may be NULL. */
int pm_progress_report(const pm_progress *p, double fraction, const char *stage);

/* A share [a, b] of an outer progress, for work that calls a function
 * taking its own progress: the inner fraction f reports as a + f (b - a),
 * and the inner cancel is the outer one. pm_progress_span returns the
 * progress to pass down; it refers to *s, which must outlive the call. */
typedef struct pm_progress_sub {
    const pm_progress *outer;
    double a, b;
} pm_progress_sub;
pm_progress pm_progress_span(pm_progress_sub *s, const pm_progress *outer, double a, double b);

/* Seconds from a monotonic clock, for the timings in reports. */
double pm_now(void);

/* Number of worker threads to use: the count given to pm_threads_set, else
 * the CPUs this process may run on (its affinity mask: a Slurm task's or a
 * container's share, not the whole node) (at least 1, at most 64). The
 * library reads no environment variable for it: the pulmo program turns
 * PULMO_THREADS into pm_threads_set. */
int pm_threads(void);
/* Sets the default of pm_threads() for the whole process (n <= 0: back to
 * the CPUs). A program option, where setenv would race
 * with threads reading the environment. Can't fail. */
void pm_threads_set(int n);

/* Runs fn(ctx, task, thread) for task = 0..ntasks-1 on up to nthreads
 * threads (0 = pm_threads()), handing out tasks one at a time so uneven
 * tasks balance. The calling thread works too and is the only one that
 * reports progress (stage, tasks done / ntasks) and checks for a cancel.
 * At most 64 threads run (thread < 64); when threads cannot start the
 * calling thread does every task. Returns PM_OK or PM_ECANCEL. fn must
 * not call pm_progress_report itself. */
int pm_parallel_for(int ntasks, int nthreads, void (*fn)(void *ctx, int task, int thread),
                    void *ctx, const pm_progress *p, const char *stage);

/* malloc (zero = 0) or calloc (zero = 1) for a large buffer, backed by
 * 2 MB pages where the kernel allows: each 4 KB page fault costs about
 * 13 us on the virtual machines pulmo runs on (a 70 MB volume: 0.2 s of
 * faults). Freed with free(). NULL when out of memory. */
void *pm_alloc_large(size_t bytes, int zero);

/* malloc and calloc that honour pm_alloc_fail_after, for the allocations
 * whose failure a test exercises (Otsu's histogram, the lungs' cut). NULL
 * when out of memory. */
void *pm_malloc(size_t bytes);
void *pm_calloc(size_t n, size_t size);
/* Test hook, off by default and in every build: after n more allocations
 * through pm_malloc, pm_calloc or pm_alloc_large succeed, the next one
 * returns NULL, once; then the hook is off again. n < 0 turns it off.
 * Process-wide: tests that use it run alone. Can't fail. */
void pm_alloc_fail_after(int n);

/* Physical memory in bytes (0 if unknown). */
uint64_t pm_physical_memory(void);

/* Parses sizes like "512M", "4G", "1000000" into bytes; -1 on error. */
int64_t pm_parse_size(const char *s);

/* Task t of nt's share [*a, *b) of n items, in order: how the parallel
 * loops split their work, the same split whatever the number of threads. */
void pm_share(size_t n, int t, int nt, size_t *a, size_t *b);
/* The first index from i on (n when none) where the bytes b[] are not 0:
 * masks are mostly 0, tested 8 bytes at a time. */
int pm_skip_zeros(const uint8_t *b, int i, int n);
/* The index after the last byte of b[0..n) that is not 0 (0 when none),
 * 8 bytes at a time from the end. */
int pm_nonzero_end(const uint8_t *b, int n);

#ifdef __cplusplus
}
#endif

#endif
