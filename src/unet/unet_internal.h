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
    float *wino;   /* Winograd F(4x4,3x3) weights, 36 x cout x cin, or NULL */
} pm__conv;

/* Bias, ReLU and folded batch norm of output channel o. */
static inline float pm__act(const pm__conv *c, int o, float v)
{
    v += c->b[o];
    if (!c->relu)
        return v;
    return (v > 0.0f ? v : 0.0f) * c->scale[o] + c->shift[o];
}

struct pm_unet {
    int depth, cin, ncls;
    int width[PM_UNET_MAXDEPTH];
    pm__conv down[PM_UNET_MAXDEPTH][2];
    pm__conv upc[PM_UNET_MAXDEPTH];       /* up j: 1x1 to half the channels */
    pm__conv upb[PM_UNET_MAXDEPTH][2];    /* up j: the conv block after the concat */
    pm__conv last;
    int64_t params, params_used;
};

/* Computes c->wino from c->w (k = 3). PM_OK or PM_EMEMORY. */
int pm__wino_weights(pm__conv *c);
/* out = conv(in) through Winograd F(4x4,3x3), epilogue included; h and w
 * multiples of 4; vbuf and mbuf hold bufn floats each. */
void pm__wino_conv(const pm__conv *c, const float *in, float *out, int h, int w, float *vbuf,
                   float *mbuf, size_t bufn);

/* Single-precision row-major C (m x n, ldc) = A (m x k, lda) * B (k x n, ldb). */
void pm__sgemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
               int ldc);
/* Threads the GEMM library may use from the calling thread; loads the
 * library on first use: PM_OK, or PM_EUSAGE when OpenBLAS is missing.
 * Called before any pm__sgemm. */
int pm__sgemm_threads(int n);

#endif
