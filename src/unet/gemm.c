/* gemm.c - single-precision matrix products for the U-Net, through Debian's
 * OpenBLAS (libopenblas-dev): its AVX-512 kernels measured 70+ GFLOP/s per
 * core on the shapes of this network, well above what a portable C kernel
 * reaches, and it threads a lone product over the cores by itself. */
#include "unet_internal.h"

#include <cblas.h>

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
