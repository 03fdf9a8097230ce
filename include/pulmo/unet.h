/* unet.h - the lungmask U-Net (R231 / LTRCLobes layout) in C: weights from a
 * PyTorch state_dict, inference on 2D slices, and the lungmask pipeline
 * around it (body crop, resize, post-processing) for whole volumes.
 *
 * Limitations first: only the layout of lungmask's UNet(padding=True,
 * batch_norm=True, up_mode="upsample", residual=False); depth and channel
 * widths are read from the tensor shapes (so narrower test networks load the
 * same way), but anything else (missing or misshapen tensors) is refused
 * with PM_ECORRUPT. Inference is float32 on the CPU; slice sides must be
 * multiples of 2^depth (the pipeline always uses 256x256).
 *
 * Network, per the published model: down block = Conv3x3(pad 1) -> ReLU ->
 * BatchNorm -> Conv3x3 -> ReLU -> BatchNorm, avg_pool2d(2) between down
 * blocks; up block = bilinear x2 (align_corners false) -> Conv1x1 to half
 * the channels -> concat [upsampled, skip] -> a down-style block; then
 * Conv1x1 to n_classes and LogSoftmax. Batch norm uses the running
 * statistics (eps 1e-5). The 1x1 convolution is applied before the
 * upsampling: both are linear and the bilinear weights sum to one, so the
 * result is the same up to rounding at a quarter of the cost.
 *
 * Usage:
 *     pm_unet *net;
 *     if (pm_unet_load("unet_r231.pth", &net)) { puts(pm_error()); ... }
 *     pm_unet_forward(net, nslices, 256, 256, in, NULL, labels, 0, progress);
 *     pm_unet_free(net);
 */
#ifndef PULMO_UNET_H
#define PULMO_UNET_H

#include "pulmo/core.h"
#include "pulmo/pth.h"
#include "pulmo/volume.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_UNET_MAXDEPTH 8

typedef struct pm_unet pm_unet;

typedef struct pm_unet_info {
    int depth;                        /* number of down blocks (5 for R231) */
    int in_channels;                  /* 1 */
    int n_classes;                    /* 3 for R231, 6 for LTRCLobes */
    int widths[PM_UNET_MAXDEPTH];     /* channels per level (64..1024 for R231) */
    int64_t params;                   /* weights and biases in the file, as torch counts them */
    int64_t params_used;              /* those the forward pass uses */
    int64_t macs_256;                 /* multiply-adds for one 256x256 slice */
} pm_unet_info;

/* Builds the network from a state_dict; file names it in messages.
 * PM_ECORRUPT (with the offending tensor named) or PM_EMEMORY on failure.
 * The tensors are copied: w may be freed afterwards. */
int pm_unet_from_pth(const pm_pth *w, const char *file, pm_unet **out);

/* pm_pth_read + pm_unet_from_pth. */
int pm_unet_load(const char *path, pm_unet **out);

/* A network of the R231 layout with depth 5, widths 2^wf..2^(wf+4) and
 * pseudo-random weights from seed (for benchmarks and tests). */
int pm_unet_generate(int wf, int n_classes, uint32_t seed, pm_unet **out);

void pm_unet_describe(const pm_unet *net, pm_unet_info *info);

/* Runs n slices of h x w float32 (already prepared: see pm_unet_prepare)
 * stored one after the other in `in` (in_channels planes each). Writes, when
 * not NULL, the log-softmax (n x n_classes x h x w) to logp and the argmax
 * class to labels (n x h x w). nthreads 0 = pm_threads(). Several slices run
 * in parallel, one per thread; a single slice is spread over the threads.
 * Returns PM_OK, PM_EUSAGE (bad size), PM_EMEMORY or PM_ECANCEL. */
int pm_unet_forward(const pm_unet *net, int n, int h, int w, const float *in, float *logp,
                    uint8_t *labels, int nthreads, const pm_progress *p);

void pm_unet_free(pm_unet *net);
/* Parks OpenBLAS's idle worker threads, which spin after the library loads
 * and slow everything else. pulmo loads OpenBLAS on the first U-Net pass and
 * parks them after each pass; a program that links OpenBLAS itself calls
 * this at start. They come back for the next threaded product. A no-op
 * with another BLAS. Can't fail. */
void pm_unet_blas_idle(void);

/* The weights file to use: arg when given (a --weights option), else
 * $PULMO_WEIGHTS, else $XDG_CONFIG_HOME/pulmo/weights (default
 * ~/.config/pulmo/weights), which is either the weight file itself or a
 * text file whose first line is its path. PM_OK with the path in out, or
 * PM_ENODATA with a reason saying how to configure one. Does not open the
 * weights. */
int pm_unet_weights_path(const char *arg, char *out, size_t cap);

/* ---- the lungmask pipeline ---- */

/* The body box of one slice (HU, nx x ny, row-major, x fastest) as lungmask
 * finds it: threshold -500 on a 128x128 nearest-neighbour copy, closing,
 * hole filling, two erosions, largest 4-connected component, two
 * dilations, back to full size. box = {x0, y0, x1, y1} (x1, y1 exclusive);
 * the whole slice when no body is found. Can't fail. */
void pm_unet_body_box(const int16_t *hu, int nx, int ny, int box[4]);

/* Bilinear resize with half-pixel centres (align_corners false; a 2x
 * reduction averages 2x2 blocks): src is sw x sh with row stride sstride,
 * dst is dw x dh. */
void pm_unet_resize(const float *src, int sw, int sh, int sstride, float *dst, int dw, int dh);

/* Prepares one slice for the network: clip to [-1024, 600] HU, crop to box,
 * resize to 256x256, scale (x + 1024) / 1624. */
void pm_unet_prepare(const int16_t *hu, int nx, const int box[4], float *out256);

/* lungmask's post-processing on n_slices x 256 x 256 labels, in place: 3D
 * components (26-connected) per label; every component but the largest of
 * its label is merged into the neighbouring component sharing the most
 * border (or dropped when it touches none); then per label the largest
 * component is kept and its holes filled. PM_OK or PM_EMEMORY. */
int pm_unet_postprocess(uint8_t *lab, int nx, int ny, int nz, int nclasses);

/* Segments a volume: labels (nx*ny*nz, same grid as v) get 0 background and
 * the model's classes (R231: 1 right lung, 2 left lung, which is pulmo's
 * convention too). Slices are oriented as LPS for the network and mapped
 * back by nearest neighbour. Progress per batch of slices; cancellable.
 * Returns PM_OK, PM_EMEMORY, PM_ECANCEL or PM_ENOLUNG (nothing found). */
int pm_unet_segment(const pm_volume *v, const pm_unet *net, int nthreads, uint8_t *labels,
                    const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
