/* gemm.c - single-precision matrix products for the U-Net, through Debian's
 * OpenBLAS (libopenblas-dev): its AVX-512 kernels measured 70+ GFLOP/s per
 * core on the shapes of this network, well above what a portable C kernel
 * reaches, and it threads a lone product over the cores by itself. */
#include "unet_internal.h"

#include <cblas.h>
#include <dlfcn.h>

/* Declared here: Debian's cblas.h may be the netlib one (alternatives). */
void openblas_set_num_threads(int n);

void pm__sgemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
               int ldc)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f,
                c, ldc);
}

void pm__sgemm_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}

/* OpenBLAS starts its worker threads when the library loads, and they spin
 * (sched_yield) waiting for work: in a pulmo run that never reaches the
 * U-Net they stole a core from DICOM decoding (LIDC load 0.105 -> 0.165 s).
 * A program calls this once at start to stop them; OpenBLAS starts them
 * again on the first threaded product. blas_thread_shutdown_ is not in
 * OpenBLAS's API, so it is looked up, not linked: with another BLAS, or an
 * OpenBLAS without it, this does nothing. A library constructor would do it
 * behind the back of a program that embeds libpulmo and uses OpenBLAS
 * itself. */
void pm_unet_blas_idle(void)
{
    int (*shutdown)(void);
    *(void **)&shutdown = dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown)
        shutdown();
}
