/* net.c - builds the U-Net from a state_dict: finds the depth and widths from
 * the tensor shapes, checks every tensor the forward pass will read against
 * the shape the layout implies, and folds each batch norm into a per-channel
 * scale and shift. Also generates networks with random weights for
 * benchmarks, since the published weights cannot be shipped. */
#include "unet_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float *tensor(const pm_pth *w, const char *file, const char *name, int ndim,
                           const int64_t *shape)
{
    const pm_tensor *t = pm_pth_find(w, name);
    if (!t) {
        pm_fail(PM_ECORRUPT, "%s: not a lungmask U-Net: tensor '%s' is missing", file, name);
        return NULL;
    }
    int ok = t->f32 && t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++)
        ok = t->shape[d] == shape[d];
    if (!ok) {
        char want[128] = "", got[128] = "";
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "x" : "",
                     (long long)shape[d]);
        for (int d = 0; d < t->ndim && d < PM_PTH_MAXDIM; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "x" : "",
                     (long long)t->shape[d]);
        pm_fail(PM_ECORRUPT, "%s: tensor '%s' has shape [%s]%s, expected [%s] float", file, name,
                got, t->f32 ? "" : " (not float)", want);
        return NULL;
    }
    return t->f32;
}

static float *dup(const float *src, size_t n)
{
    float *d = malloc(n * sizeof *d);
    if (d)
        memcpy(d, src, n * sizeof *d);
    return d;
}

/* prefix.{conv}.weight/bias and, if bn >= 0, prefix.{bn}.* folded. */
static int load_conv(const pm_pth *w, const char *file, pm__conv *c, const char *prefix,
                     int conv, int bn, int cout, int cin, int k, int64_t *used)
{
    char n[256];
    int64_t ws[4] = {cout, cin, k, k}, bs[1] = {cout};
    memset(c, 0, sizeof *c);
    c->cout = cout, c->cin = cin, c->k = k, c->relu = bn >= 0;
    /* conv < 0: the layer itself is prefix ("last.weight"). */
    if (conv < 0)
        snprintf(n, sizeof n, "%s.weight", prefix);
    else
        snprintf(n, sizeof n, "%s.%d.weight", prefix, conv);
    const float *wt = tensor(w, file, n, 4, ws);
    if (conv < 0)
        snprintf(n, sizeof n, "%s.bias", prefix);
    else
        snprintf(n, sizeof n, "%s.%d.bias", prefix, conv);
    const float *bt = wt ? tensor(w, file, n, 1, bs) : NULL;
    if (!bt)
        return PM_ECORRUPT;
    size_t nw = (size_t)cout * (size_t)cin * (size_t)(k * k);
    c->w = dup(wt, nw);
    c->b = dup(bt, (size_t)cout);
    *used += (int64_t)nw + cout;
    if (bn >= 0) {
        static const char *const part[4] = {"weight", "bias", "running_mean", "running_var"};
        const float *t[4];
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof n, "%s.%d.%s", prefix, bn, part[i]);
            if (!(t[i] = tensor(w, file, n, 1, bs)))
                return PM_ECORRUPT;
        }
        const float *g = t[0], *be = t[1], *mu = t[2], *var = t[3];
        c->scale = malloc((size_t)cout * sizeof(float));
        c->shift = malloc((size_t)cout * sizeof(float));
        if (c->scale && c->shift)
            for (int i = 0; i < cout; i++) {
                if (!(var[i] >= 0.0f))
                    return pm_fail(PM_ECORRUPT, "%s: %s.%d.running_var has a negative or NaN "
                                   "value", file, prefix, bn);
                double s = g[i] / sqrt((double)var[i] + 1e-5);
                c->scale[i] = (float)s;
                c->shift[i] = (float)(be[i] - mu[i] * s);
            }
        *used += 2 * (int64_t)cout;
    }
    if (!c->w || !c->b || (bn >= 0 && (!c->scale || !c->shift)))
        return pm_fail(PM_EMEMORY, "%s: out of memory", file);
    return PM_OK;
}

static void free_conv(pm__conv *c)
{
    free(c->w); free(c->b); free(c->scale); free(c->shift); free(c->wino);
}

void pm_unet_free(pm_unet *net)
{
    if (!net)
        return;
    for (int i = 0; i < PM_UNET_MAXDEPTH; i++) {
        free_conv(&net->down[i][0]); free_conv(&net->down[i][1]);
        free_conv(&net->upc[i]);
        free_conv(&net->upb[i][0]); free_conv(&net->upb[i][1]);
    }
    free_conv(&net->last);
    free(net);
}

/* Winograd pays where a layer has many tiles: every 3x3 layer above the
 * bottom level (16x16 pixels in a 256x256 slice, too few tiles to fill the
 * GEMMs; its 1024-channel weights would also take 150 MB more). The plain
 * weights of those layers are dropped (56 MB at full width): inputs are
 * multiples of 2^depth, so every level above the bottom tiles by 4. */
static int to_wino(pm__conv *c)
{
    int rc = pm__wino_weights(c);
    if (!rc) {
        free(c->w);
        c->w = NULL;
    }
    return rc;
}

static int prepare(pm_unet *net)
{
    int rc = PM_OK;
    for (int i = 0; !rc && i < net->depth - 1; i++)
        for (int c = 0; !rc && c < 2; c++)
            rc = to_wino(&net->down[i][c]);
    for (int j = 0; !rc && j < net->depth - 1; j++)
        for (int c = 0; !rc && c < 2; c++)
            rc = to_wino(&net->upb[j][c]);
    return rc;
}

static int dims_of(const pm_pth *w, const char *name, int64_t *shape)
{
    const pm_tensor *t = pm_pth_find(w, name);
    if (!t || t->ndim != 4)
        return -1;
    memcpy(shape, t->shape, 4 * sizeof *shape);
    return 0;
}

int pm_unet_from_pth(const pm_pth *w, const char *file, pm_unet **out)
{
    *out = NULL;
    pm_unet *net = calloc(1, sizeof *net);
    if (!net)
        return pm_fail(PM_EMEMORY, "%s: out of memory", file);
    char n[128], p[128];
    int64_t s[4];
    while (net->depth < PM_UNET_MAXDEPTH) {
        snprintf(n, sizeof n, "down_path.%d.block.0.weight", net->depth);
        if (dims_of(w, n, s))
            break;
        if (s[0] < 1 || s[0] > 4096 || s[1] < 1 || s[1] > 4096) {
            pm_unet_free(net);
            return pm_fail(PM_ECORRUPT, "%s: tensor '%s' has an implausible shape", file, n);
        }
        net->width[net->depth] = (int)s[0];
        if (net->depth == 0)
            net->cin = (int)s[1];
        net->depth++;
    }
    if (net->depth < 2 || !pm_pth_find(w, "last.weight") || dims_of(w, "last.weight", s) ||
        s[0] < 1 || s[0] > 255) {
        pm_unet_free(net);
        return pm_fail(PM_ECORRUPT, "%s: not a lungmask U-Net state_dict (no down_path.N.block "
                       "and last layers)", file);
    }
    net->ncls = (int)s[0];
    int rc = PM_OK;
    int64_t used = 0;
    for (int i = 0; !rc && i < net->depth; i++) {
        int cin = i ? net->width[i - 1] : net->cin, c = net->width[i];
        snprintf(p, sizeof p, "down_path.%d.block", i);
        rc = load_conv(w, file, &net->down[i][0], p, 0, 2, c, cin, 3, &used);
        if (!rc)
            rc = load_conv(w, file, &net->down[i][1], p, 3, 5, c, c, 3, &used);
    }
    for (int j = 0; !rc && j < net->depth - 1; j++) {
        int l = net->depth - 2 - j, cin = j ? net->width[l + 1] : net->width[net->depth - 1];
        int c = net->width[l];
        snprintf(p, sizeof p, "up_path.%d.up", j);
        rc = load_conv(w, file, &net->upc[j], p, 1, -1, c, cin, 1, &used);
        snprintf(p, sizeof p, "up_path.%d.conv_block.block", j);
        if (!rc)
            rc = load_conv(w, file, &net->upb[j][0], p, 0, 2, c, c + net->width[l], 3, &used);
        if (!rc)
            rc = load_conv(w, file, &net->upb[j][1], p, 3, 5, c, c, 3, &used);
    }
    if (!rc)
        rc = load_conv(w, file, &net->last, "last", -1, -1, net->ncls, net->width[0], 1, &used);
    if (rc) {
        pm_unet_free(net);
        return rc;
    }
    /* torch's count: every float tensor but the batch norm running statistics. */
    for (int i = 0; i < w->n; i++) {
        const char *nm = w->t[i].name;
        size_t l = strlen(nm);
        if (w->t[i].f32 && !(l > 13 && !strcmp(nm + l - 13, ".running_mean")) &&
            !(l > 12 && !strcmp(nm + l - 12, ".running_var")))
            net->params += w->t[i].numel;
    }
    net->params_used = used;
    if ((rc = prepare(net))) {
        pm_unet_free(net);
        return rc;
    }
    *out = net;
    return PM_OK;
}

int pm_unet_load(const char *path, pm_unet **out)
{
    pm_pth *w;
    *out = NULL;
    int rc = pm_pth_read(path, &w);
    if (rc)
        return rc;
    rc = pm_unet_from_pth(w, path, out);
    pm_pth_free(w);
    return rc;
}

static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static int gen_conv(pm__conv *c, int cout, int cin, int k, int bn, uint32_t *seed)
{
    size_t nw = (size_t)cout * (size_t)cin * (size_t)(k * k);
    *c = (pm__conv){.cout = cout, .cin = cin, .k = k, .relu = bn};
    c->w = malloc(nw * sizeof(float));
    c->b = malloc((size_t)cout * sizeof(float));
    if (bn) {
        c->scale = malloc((size_t)cout * sizeof(float));
        c->shift = malloc((size_t)cout * sizeof(float));
    }
    if (!c->w || !c->b || (bn && (!c->scale || !c->shift)))
        return pm_fail(PM_EMEMORY, "out of memory for a generated network");
    /* He-like scaling keeps activations in range through 23 layers. */
    float a = (float)sqrt(3.0 / (double)(cin * k * k));
    for (size_t i = 0; i < nw; i++)
        c->w[i] = a * rnd(seed);
    for (int i = 0; i < cout; i++) {
        c->b[i] = 0.1f * rnd(seed);
        if (bn) {
            c->scale[i] = 1.0f + 0.2f * rnd(seed);
            c->shift[i] = 0.1f * rnd(seed);
        }
    }
    return PM_OK;
}

int pm_unet_generate(int wf, int n_classes, uint32_t seed, pm_unet **out)
{
    *out = NULL;
    if (wf < 0 || wf > 8 || n_classes < 1 || n_classes > 255)
        return pm_fail(PM_EUSAGE, "bad generated network (wf %d, %d classes)", wf, n_classes);
    pm_unet *net = calloc(1, sizeof *net);
    if (!net)
        return pm_fail(PM_EMEMORY, "out of memory");
    net->depth = 5, net->cin = 1, net->ncls = n_classes;
    int rc = PM_OK;
    for (int i = 0; i < 5; i++)
        net->width[i] = 1 << (wf + i);
    for (int i = 0; !rc && i < 5; i++) {
        rc = gen_conv(&net->down[i][0], net->width[i], i ? net->width[i - 1] : 1, 3, 1, &seed);
        if (!rc)
            rc = gen_conv(&net->down[i][1], net->width[i], net->width[i], 3, 1, &seed);
    }
    for (int j = 0; !rc && j < 4; j++) {
        int l = 3 - j, c = net->width[l];
        rc = gen_conv(&net->upc[j], c, net->width[l + 1], 1, 0, &seed);
        if (!rc)
            rc = gen_conv(&net->upb[j][0], c, 2 * c, 3, 1, &seed);
        if (!rc)
            rc = gen_conv(&net->upb[j][1], c, c, 3, 1, &seed);
    }
    if (!rc)
        rc = gen_conv(&net->last, n_classes, net->width[0], 1, 0, &seed);
    if (rc) {
        pm_unet_free(net);
        return rc;
    }
    pm_unet_info info;
    pm_unet_describe(net, &info);
    net->params_used = info.params_used;
    net->params = info.params_used;
    if ((rc = prepare(net))) {
        pm_unet_free(net);
        return rc;
    }
    *out = net;
    return PM_OK;
}

static int64_t conv_params(const pm__conv *c)
{
    return (int64_t)c->cout * c->cin * c->k * c->k + c->cout + (c->scale ? 2 * c->cout : 0);
}

static int64_t conv_macs(const pm__conv *c, int64_t pixels)
{
    return (int64_t)c->cout * c->cin * c->k * c->k * pixels;
}

void pm_unet_describe(const pm_unet *net, pm_unet_info *info)
{
    memset(info, 0, sizeof *info);
    info->depth = net->depth, info->in_channels = net->cin, info->n_classes = net->ncls;
    int64_t used = 0, macs = 0;
    for (int i = 0; i < net->depth; i++) {
        int64_t px = (int64_t)(256 >> i) * (256 >> i);
        info->widths[i] = net->width[i];
        for (int c = 0; c < 2; c++) {
            used += conv_params(&net->down[i][c]);
            macs += conv_macs(&net->down[i][c], px);
        }
    }
    for (int j = 0; j < net->depth - 1; j++) {
        int l = net->depth - 2 - j;
        int64_t px = (int64_t)(256 >> l) * (256 >> l);
        used += conv_params(&net->upc[j]) + conv_params(&net->upb[j][0]) +
                conv_params(&net->upb[j][1]);
        macs += conv_macs(&net->upc[j], px / 4) + conv_macs(&net->upb[j][0], px) +
                conv_macs(&net->upb[j][1], px);
    }
    used += conv_params(&net->last);
    macs += conv_macs(&net->last, 65536);
    info->params = net->params ? net->params : used;
    info->params_used = used;
    info->macs_256 = macs;
}
