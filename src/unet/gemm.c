/* gemm.c - single-precision matrix products for the U-Net, through Debian's
 * OpenBLAS (libopenblas-dev): its AVX-512 kernels measured 70+ GFLOP/s per
 * core on the shapes of this network, well above what a portable C kernel
 * reaches, and it threads a lone product over the cores by itself.
 *
 * The library is opened on the first U-Net pass, not linked: loading it
 * cost every pulmo process 7 ms and started worker threads that spin
 * (sched_yield) waiting for work, which in a run that never reaches the
 * U-Net stole a core from DICOM decoding (LIDC load 0.105 -> 0.165 s). */
#include "unet_internal.h"

#include <dlfcn.h>
#include <pthread.h>

/* cblas_sgemm's enums, as every CBLAS defines them */
enum { PM__ROW_MAJOR = 101, PM__NO_TRANS = 111 };

typedef void (*pm__sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                             float, float *, int);
static pm__sgemm_fn pm__blas_sgemm;
static void (*pm__blas_threads)(int);
static void *pm__blas;
static pthread_once_t pm__blas_once = PTHREAD_ONCE_INIT;

static void pm__blas_open(void)
{
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so"};
    for (int i = 0; i < 2 && !pm__blas; i++)
        pm__blas = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!pm__blas)
        return;
    *(void **)&pm__blas_threads = dlsym(pm__blas, "openblas_set_num_threads");
    *(void **)&pm__blas_sgemm = dlsym(pm__blas, "cblas_sgemm");
}

void pm__sgemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
               int ldc)
{
    pthread_once(&pm__blas_once, pm__blas_open);
    pm__blas_sgemm(PM__ROW_MAJOR, PM__NO_TRANS, PM__NO_TRANS, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

int pm__sgemm_threads(int n)
{
    pthread_once(&pm__blas_once, pm__blas_open);
    if (!pm__blas_sgemm)
        return pm_fail(PM_EUSAGE, "the U-Net needs OpenBLAS (libopenblas.so.0, Debian package "
                       "libopenblas0): %s", pm__blas ? "it has no cblas_sgemm" : "not found");
    if (pm__blas_threads)
        pm__blas_threads(n < 1 ? 1 : n);
    return PM_OK;
}

/* Once the library is loaded its idle workers spin: a program parks them
 * with this, and OpenBLAS starts them again on the next threaded product.
 * blas_thread_shutdown_ is not in OpenBLAS's API, so it is looked up:
 * with another BLAS, or an OpenBLAS without it, this does nothing. A
 * library constructor would do it behind the back of a program that
 * embeds libpulmo and uses OpenBLAS itself. */
void pm_unet_blas_idle(void)
{
    int (*shutdown)(void);
    *(void **)&shutdown = dlsym(pm__blas ? pm__blas : RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown)
        shutdown();
}
