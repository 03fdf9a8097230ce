/* unet_internal.h - the network's layers as the forward pass uses them. */
#ifndef PULMO_UNET_INTERNAL_H
#define PULMO_UNET_INTERNAL_H

#include "pulmo/unet.h"

/* One convolution (k = 1 or 3, padding k/2) with its bias and, when the
 * layer has one, the batch norm that follows its ReLU folded to
 * y = scale * relu(x + b) + shift. w is cout x (cin*k*k), as torch stores it. */
typedef struct pm__conv {
    int cout, cin, k, relu;
    float *w, *b, *scale, *shift;
} pm__conv;

struct pm_unet {
    int depth, cin, ncls;
    int width[PM_UNET_MAXDEPTH];
    pm__conv down[PM_UNET_MAXDEPTH][2];
    pm__conv upc[PM_UNET_MAXDEPTH];       /* up j: 1x1 to half the channels */
    pm__conv upb[PM_UNET_MAXDEPTH][2];    /* up j: the conv block after the concat */
    pm__conv last;
    int64_t params, params_used;
};

/* Single-precision row-major C (m x n, ldc) = A (m x k, lda) * B (k x n, ldb). */
void pm__sgemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
               int ldc);
/* Threads the GEMM library may use from the calling thread. */
void pm__sgemm_threads(int n);

#endif
