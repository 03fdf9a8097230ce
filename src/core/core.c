/* core.c - thread-local error reasons, progress, clocks and machine facts. */
#include "pulmo/core.h"
#include "pulmo/text.h"

#include <ctype.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Thread_local char pm__errbuf[512];

int pm_fail(int code, const char *fmt, ...)
{
    /* Reasons name files, and names come from anywhere (shared drives,
     * downloads): control characters are stripped here so that no message
     * can drive the user's terminal. Formatting into a copy first also lets
     * a caller pass pm_error() itself as an argument. */
    char raw[sizeof pm__errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    pm_text_clean(pm__errbuf, sizeof pm__errbuf, raw);
    return code;
}

const char *pm_error(void) { return pm__errbuf; }

void pm_error_clear(void) { pm__errbuf[0] = '\0'; }

int pm_progress_report(const pm_progress *p, double fraction, const char *stage)
{
    if (!p || !p->fn)
        return 0;
    if (fraction < 0) fraction = 0;
    if (fraction > 1) fraction = 1;
    return p->fn(p->user, fraction, stage ? stage : "");
}

static int pm__span_report(void *user, double f, const char *stage)
{
    const pm_progress_sub *s = user;
    return pm_progress_report(s->outer, s->a + f * (s->b - s->a), stage);
}

pm_progress pm_progress_span(pm_progress_sub *s, const pm_progress *outer, double a, double b)
{
    s->outer = outer;
    s->a = a;
    s->b = b;
    return (pm_progress){pm__span_report, s};
}

double pm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static _Atomic int pm__threads_override;

void pm_threads_set(int n)
{
    pm__threads_override = n > 64 ? 64 : n;
}

int pm_threads(void)
{
    int given = pm__threads_override;
    if (given > 0)
        return given;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    /* Only the CPUs we may run on: a Slurm task (cgroup or affinity), taskset
     * or a container's cpuset get fewer than the machine has. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 && CPU_COUNT(&set) < n)
        n = CPU_COUNT(&set);
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    return (int)n;
}

uint64_t pm_physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 0;
    return (uint64_t)pages * (uint64_t)size;
}

int64_t pm_parse_size(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = 1;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': mult = 1024.0; end++; break;
    case 'M': mult = 1024.0 * 1024; end++; break;
    case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end)
        return -1;
    v *= mult;
    if (v > 9e18)
        return -1;
    return (int64_t)v;
}

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

/* -1: off; n >= 0: n more allocations succeed, then one fails. Atomic
 * because the allocations may come from pm_parallel_for's threads. */
static atomic_int alloc_fail_after = -1;

void pm_alloc_fail_after(int n)
{
    atomic_store(&alloc_fail_after, n < 0 ? -1 : n);
}

static int alloc_fails(void)
{
    int n = atomic_load(&alloc_fail_after);
    while (n >= 0)
        if (atomic_compare_exchange_weak(&alloc_fail_after, &n, n - 1))
            return n == 0;
    return 0;
}

void *pm_malloc(size_t bytes)
{
    return alloc_fails() ? NULL : malloc(bytes);
}

void *pm_calloc(size_t n, size_t size)
{
    return alloc_fails() ? NULL : calloc(n, size);
}

typedef struct pm__zero {
    char *p;
    size_t n, chunk;
} pm__zero;

static void pm__zero_chunk(void *ctx, int task, int thread)
{
    (void)thread;
    const pm__zero *z = ctx;
    size_t at = (size_t)task * z->chunk, len = z->n - at < z->chunk ? z->n - at : z->chunk;
    memset(z->p + at, 0, len);
}

void *pm_alloc_large(size_t bytes, int zero)
{
    if (alloc_fails())
        return NULL;
    const size_t huge = (size_t)2 << 20;
    if (bytes < 2 * huge)
        return zero ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes & ~(huge - 1), MADV_HUGEPAGE);
#endif
    /* glibc may hand back recycled heap memory: only fresh mappings are
     * zero. Zeroing is also where a fresh mapping's pages fault in, each
     * one cleared by the kernel: 60 ms on one core for a 35 MB mask on a
     * virtual machine, so a big one is zeroed on all cores. */
    if (zero && bytes >= 4 * huge && pm_threads() > 1) {
        pm__zero z = {p, bytes, 2 * huge};
        pm_parallel_for((int)((bytes + z.chunk - 1) / z.chunk), 0, pm__zero_chunk, &z, NULL, NULL);
    } else if (zero) {
        memset(p, 0, bytes);
    }
    return p;
}

void pm_share(size_t n, int t, int nt, size_t *a, size_t *b)
{
    *a = n * (size_t)t / (size_t)nt;
    *b = n * (size_t)(t + 1) / (size_t)nt;
}

int pm_skip_zeros(const uint8_t *b, int i, int n)
{
    /* 32 bytes a step over the long runs of 0 around a mask */
    while (i + 32 <= n) {
        uint64_t w[4];
        memcpy(w, b + i, sizeof w);
        if (w[0] | w[1] | w[2] | w[3])
            break;
        i += 32;
    }
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (w)
            break;
        i += 8;
    }
    while (i < n && !b[i])
        i++;
    return i;
}

int pm_nonzero_end(const uint8_t *b, int n)
{
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b + n - 8, 8);
        if (w)
            break;
        n -= 8;
    }
    while (n > 0 && !b[n - 1])
        n--;
    return n;
}
