/* body.c - the patient's body: what lungs must lie inside.
 *
 * Air around the patient is not always one component touching the sides of
 * the volume: a hollow table or a head-holder encloses air of its own, and
 * when the head is in the field of view the airway joins the lungs to the
 * outside air through the nose and mouth. So the body is found from tissue,
 * not from air: voxels denser than fat-with-partial-volume, opened by a
 * small ball so that thin things touching the skin (the table's shell,
 * blankets, clothes, cables) come off, the largest piece (the patient; with
 * raised arms the arms join it through the shoulders, which does no harm),
 * then every hole of each axial slice filled (lungs, airway, bowel gas, and
 * the lung behind a chest wall the opening broke: body_walls.c)
 * but the flat, body-wide air of a hollow table too thick to come off.
 * Per slice and not in 3D, because the body is open at the top and bottom
 * of the scan and at the nostrils, where 3D filling would fill nothing.
 *
 * All of it runs on blocks of about BLOCK_MM (mean HU per block): the skin
 * is centimetres from any lung, so a blocky outline costs nothing, and
 * averaging already melts a table shell or blanket thinner than a block
 * into the air around it. On the native grid the opening alone would cost
 * more than the rest of the segmentation.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MM 2.5

/* One step of in-plane erosion (value 1 stays 1 where its 4 neighbours
 * are 1) or dilation (0 becomes 1 next to a 1) of slice s, through scratch
 * row copies. The blocks are about as large as the opening's radius, so a
 * few cross steps are the ball, at a hundredth of a distance transform's
 * cost. */
static void cross_step(uint8_t *s, int nx, int ny, uint8_t *prev, uint8_t *cur, int dilate)
{
    for (int j = 0; j < ny; j++) {
        uint8_t *row = s + (size_t)nx * j;
        const uint8_t *up = j > 0 ? prev : NULL, *dn = j + 1 < ny ? row + nx : NULL;
        memcpy(cur, row, (size_t)nx);
        for (int i = 0; i < nx; i++) {
            int l = i > 0 ? cur[i - 1] : 0, r = i + 1 < nx ? cur[i + 1] : 0;
            int u = up ? up[i] : 0, w = dn ? dn[i] : 0;
            row[i] = dilate ? (uint8_t)(cur[i] | l | r | u | w) : (uint8_t)(cur[i] & l & r & u & w);
        }
        uint8_t *t = prev;
        prev = cur, cur = t;
    }
}

typedef struct open_ctx {
    pm_mask *b;
    int iter, failed;
} open_ctx;

/* The opening of slice k: its steps touch no other slice. */
static void open_slice(void *vctx, int k, int thread)
{
    (void)thread;
    open_ctx *c = vctx;
    int nx = c->b->g.dim[0], ny = c->b->g.dim[1];
    uint8_t *rows = malloc(2 * (size_t)nx), *s = c->b->v + (size_t)nx * ny * k;
    if (!rows) {
        c->failed = 1;
        return;
    }
    for (int t = 0; t < 2 * c->iter; t++)
        cross_step(s, nx, ny, rows, rows + nx, t >= c->iter);
    free(rows);
}

static int open_cross(pm_mask *b, int iter)
{
    if (iter <= 0)
        return PM_OK;
    open_ctx c = {b, iter, 0};
    int rc = pm_parallel_for(b->g.dim[2], 0, open_slice, &c, NULL, NULL);
    if (rc == PM_OK && c.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory for the body mask");
    return rc;
}

/* Along one edge of a slice (n pixels, stride apart), the stretch between
 * the body's first and last pixel there becomes body. */
static void close_edge(uint8_t *e, int n, size_t stride)
{
    int lo = -1, hi = -1;
    for (int t = 0; t < n; t++)
        if (e[stride * (size_t)t]) {
            if (lo < 0) lo = t;
            hi = t;
        }
    for (int t = lo + 1; lo >= 0 && t < hi; t++)
        e[stride * (size_t)t] = 1;
}

/* A small field of view cuts the body at the image's edges, and a lung
 * that reaches the cut is then air touching the border like the air
 * around the patient, so no hole to fill. Where the body meets an edge of
 * the slice on both sides of such air, the cut closes the body: air
 * between two stretches of the patient on the same edge lies inside the
 * patient. Around an uncut body this changes nothing. The same rule on
 * the reconstruction circle's outline fails (tried: on a closed curve the
 * air in front of the chest is flanked by the cut body too): a body cut by
 * the circle is closed by what the air holds instead (close_fov_cuts). */
static void close_cut_edges(pm_mask *b)
{
    int nx = b->g.dim[0], ny = b->g.dim[1];
    for (int k = 0; k < b->g.dim[2]; k++) {
        uint8_t *s = b->v + (size_t)nx * ny * k;
        close_edge(s, nx, 1);
        close_edge(s + (size_t)nx * (ny - 1), nx, 1);
        close_edge(s, ny, (size_t)nx);
        close_edge(s + nx - 1, ny, (size_t)nx);
    }
}

/* Whether the n values at r all equal v: four at a time (a block's rows
 * are a few voxels long, and the corners' blocks are read whole). */
static int row_all(const int16_t *r, int n, int16_t v)
{
    uint64_t pat = 0x0001000100010001ull * (uint16_t)v;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t w;
        memcpy(&w, r + i, 8);
        if (w != pat)
            return 0;
    }
    for (; i < n; i++)
        if (r[i] != v)
            return 0;
    return 1;
}

/* Whether block (bi, bj, bk) of f voxels lies outside the reconstruction
 * circle: scanners fill the corners of the image with one value, -1000 or
 * -1024 once loaded (load.c), while real air is never the same value on a
 * whole block and, with rim, the voxels around it in the slice (blocks of
 * a coarse grid are single voxels, which noise alone can make -1000). Most
 * blocks end at their first or second voxel. */
static int padding_block(const pm_volume *v, const int f[3], int bi, int bj, int bk, int rim)
{
    const int *d = v->g.dim;
    const int16_t *hu = v->hu;
    size_t plane = (size_t)d[0] * d[1];
    int16_t first = hu[(size_t)bi * f[0] + (size_t)d[0] * ((size_t)bj * f[1]) + plane * ((size_t)bk * f[2])];
    if (first > -1000)
        return 0;
    int i0 = bi * f[0] - rim, i1 = (bi + 1) * f[0] + rim, j0 = bj * f[1] - rim, j1 = (bj + 1) * f[1] + rim;
    i0 = i0 < 0 ? 0 : i0, j0 = j0 < 0 ? 0 : j0, i1 = i1 > d[0] ? d[0] : i1, j1 = j1 > d[1] ? d[1] : j1;
    for (int k = bk * f[2]; k < (bk + 1) * f[2] && k < d[2]; k++)
        for (int j = j0; j < j1; j++)
            if (!row_all(hu + (size_t)i0 + (size_t)d[0] * j + plane * k, i1 - i0, first))
                return 0;
    return 1;
}

/* padding_block through the blocks' own uniformity (uni: a block's value
 * when all its voxels have it, else NOT_UNIFORM, from block_slab): a block
 * is padding when it is uniform at -1000 or below and, with rim, its eight
 * neighbours in the slice hold that value too, as nearly every block of
 * the corners does; the voxels are read only along the corners' edge. */
#define NOT_UNIFORM INT16_MAX

static int padding_fast(const pm_volume *v, const int f[3], const int cd[3], const int16_t *uni, int bi, int bj,
                        int bk, int rim)
{
    const int16_t *u = uni + (size_t)cd[0] * ((size_t)bj + (size_t)cd[1] * bk);
    if (u[bi] == NOT_UNIFORM || u[bi] > -1000)
        return 0;
    for (int dj = -rim; dj <= rim; dj++)
        for (int di = -rim; di <= rim; di++) {
            int i = bi + di, j = bj + dj;
            if (i >= 0 && j >= 0 && i < cd[0] && j < cd[1] && u[(ptrdiff_t)cd[0] * dj + i] != u[bi])
                return padding_block(v, f, bi, bj, bk, rim);
        }
    return 1;
}

/* Mean HU of the voxels of the blocks listed in q (block indices in slice
 * bk of the block grid), the padding value padv left out. */
static double blocks_mean(const pm_volume *v, const int f[3], const int cd[3], const int *q, int n, int bk,
                          int16_t padv)
{
    const int *d = v->g.dim;
    double s = 0, c = 0;
    for (int t = 0; t < n; t++) {
        int bi = q[t] % cd[0], bj = q[t] / cd[0];
        for (int k = bk * f[2]; k < (bk + 1) * f[2] && k < d[2]; k++)
            for (int j = bj * f[1]; j < (bj + 1) * f[1] && j < d[1]; j++)
                for (int i = bi * f[0]; i < (bi + 1) * f[0] && i < d[0]; i++) {
                    int16_t h = v->hu[(size_t)i + (size_t)d[0] * ((size_t)j + (size_t)d[1] * k)];
                    s += h != padv ? h : 0;
                    c += h != padv;
                }
    }
    return c ? s / c : padv;
}

/* A body wider than the reconstruction circle is cut by the circle, and a
 * lung the circle cuts is air reaching the image's filled corners, joined
 * through them to the air around the patient: no hole to fill. Without the
 * corners (padding_block) the two are apart on each slice, and they differ
 * in where they lie and what they hold. A cut lung lies along the body,
 * meeting the corners only where the circle cuts it; the air around a
 * patient lies along the circle, whose arc is longer than the body's side
 * it faces. And that air is pure (-1000 HU and its noise, with a table and
 * blankets -940 on average), a lung is air mixed with tissue and vessels
 * (-850). Air that meets the corners but not the image's sides, touches
 * the body more than the corners, and is denser on average than
 * FOV_AIR_HU, is inside the patient. When the circle lies inside the image
 * the air around the patient meets no side at all, so the first two tests
 * must both hold. Around a body inside the circle nothing changes. The
 * corners' own voxels in the body's blocks along the circle are marked in
 * ring (the padding value in *padv) for pm_seg_body to leave outside. */
#define FOV_AIR_HU -930.0

/* Slices are independent: close_fov_cuts runs them in parallel, in two
 * passes so that every slice uses the padding value of the first slice
 * that has any, as one pass in slice order did. */
typedef struct fov_ctx {
    const pm_volume *v;
    pm_mask *b;
    const int *f;
    const int16_t *uni;   /* block_slab: each block's value when uniform */
    uint8_t *ring;
    uint8_t *st;          /* per coarse voxel: 0 air, 1 body, 2 padding, 3 seen */
    int **q;              /* per thread: a slice's flood queue */
    int16_t *first;       /* per slice: its first padding value */
    uint8_t *pads;        /* per slice: it has padding */
    int16_t padv;
    int failed;
} fov_ctx;

/* Pass 1, slice k: which blocks are body, padding or air. */
static void fov_classify(void *vctx, int k, int thread)
{
    (void)thread;
    fov_ctx *c = vctx;
    const int *cd = c->b->g.dim, *f = c->f;
    const pm_volume *v = c->v;
    size_t cplane = (size_t)cd[0] * cd[1];
    const uint8_t *s = c->b->v + cplane * (size_t)k;
    uint8_t *st = c->st + cplane * (size_t)k;
    int pads = 0;
    /* rows and columns in loops: a division per block took a third of
     * this pass */
    for (int bj = 0; bj < cd[1]; bj++)
        for (int bi = 0; bi < cd[0]; bi++) {
            size_t t = (size_t)bj * cd[0] + (size_t)bi;
            st[t] = s[t] ? 1 : padding_fast(v, f, cd, c->uni, bi, bj, k, 1) ? 2 : 0;
            if (st[t] == 2 && !pads++)
                c->first[k] = v->hu[(size_t)bi * f[0] + (size_t)v->g.dim[0] *
                                    ((size_t)bj * f[1] + (size_t)v->g.dim[1] * ((size_t)k * f[2]))];
        }
    c->pads[k] = pads > 0;
    if (!pads)
        return;
    /* The rim left the outermost ring of the corners out: a block of the
     * fill beside them is fill too. */
    for (int j = 0; j < cd[1]; j++)
        for (int i = 0; i < cd[0]; i++) {
            size_t t = (size_t)j * cd[0] + (size_t)i;
            if (st[t] == 0 && ((i > 0 && st[t - 1] == 2) || (i < cd[0] - 1 && st[t + 1] == 2) ||
                               (j > 0 && st[t - cd[0]] == 2) || (j < cd[1] - 1 && st[t + cd[0]] == 2)) &&
                padding_fast(v, f, cd, c->uni, i, j, k, 0))
                st[t] = 4;
        }
    for (size_t t = 0; t < cplane; t++)
        st[t] = st[t] == 4 ? 2 : st[t];
}

/* Pass 2, slice k: air inside the patient joins the body; the ring. */
static void fov_close(void *vctx, int k, int thread)
{
    fov_ctx *c = vctx;
    if (!c->pads[k])
        return;
    const int *cd = c->b->g.dim;
    size_t cplane = (size_t)cd[0] * cd[1];
    uint8_t *s = c->b->v + cplane * (size_t)k, *st = c->st + cplane * (size_t)k;
    int *q = c->q[thread];
    for (size_t t0 = 0; t0 < cplane; t0++) {
        if (st[t0] != 0)
            continue;
        /* one component of air, flooded through its 4 neighbours */
        int n = 0, head = 0, border = 0, nfill = 0, nbody = 0;
        q[n++] = (int)t0;
        st[t0] = 3;
        while (head < n) {
            int t = q[head++], i = t % cd[0], j = t / cd[0];
            border |= i == 0 || j == 0 || i == cd[0] - 1 || j == cd[1] - 1;
            int nb[4] = {i > 0 ? t - 1 : -1, i < cd[0] - 1 ? t + 1 : -1, j > 0 ? t - cd[0] : -1,
                         j < cd[1] - 1 ? t + cd[0] : -1};
            for (int e = 0; e < 4; e++) {
                if (nb[e] < 0)
                    continue;
                nfill += st[nb[e]] == 2, nbody += st[nb[e]] == 1;
                if (st[nb[e]] == 0) {
                    st[nb[e]] = 3;
                    q[n++] = nb[e];
                }
            }
        }
        if (nfill && !border && nbody > nfill && blocks_mean(c->v, c->f, cd, q, n, k, c->padv) > FOV_AIR_HU)
            for (int t = 0; t < n; t++)
                s[q[t]] = 1;
    }
    /* body blocks beside the corners: the circle runs through them */
    uint8_t *r = c->ring + cplane * (size_t)k;
    for (int j = 0; j < cd[1]; j++)
        for (int i = 0; i < cd[0]; i++) {
            size_t t = (size_t)j * cd[0] + (size_t)i;
            r[t] = s[t] && ((i > 0 && st[t - 1] == 2) || (i < cd[0] - 1 && st[t + 1] == 2) ||
                            (j > 0 && st[t - cd[0]] == 2) || (j < cd[1] - 1 && st[t + cd[0]] == 2));
        }
}

static int close_fov_cuts(const pm_volume *v, pm_mask *b, const int f[3], const int16_t *uni, uint8_t *ring,
                          int16_t *padv)
{
    const int *cd = b->g.dim;
    size_t cplane = (size_t)cd[0] * cd[1];
    int nth = pm_threads() < 64 ? pm_threads() : 64;
    fov_ctx c = {.v = v, .b = b, .f = f, .uni = uni, .ring = ring, .padv = *padv};
    c.st = malloc(cplane * (size_t)cd[2]);
    c.q = calloc((size_t)nth, sizeof *c.q);
    c.first = malloc((size_t)cd[2] * sizeof *c.first);
    c.pads = calloc((size_t)cd[2], 1);
    int rc = c.st && c.q && c.first && c.pads ? PM_OK : PM_EMEMORY;
    for (int t = 0; t < nth && rc == PM_OK; t++)
        if (!(c.q[t] = malloc(cplane * sizeof **c.q)))
            rc = PM_EMEMORY;
    if (rc == PM_OK)
        rc = pm_parallel_for(cd[2], nth, fov_classify, &c, NULL, NULL);
    for (int k = 0; k < cd[2] && rc == PM_OK; k++)
        if (c.pads[k]) {
            *padv = c.padv = c.first[k];
            break;
        }
    if (rc == PM_OK)
        rc = pm_parallel_for(cd[2], nth, fov_close, &c, NULL, NULL);
    for (int t = 0; t < nth && c.q; t++)
        free(c.q[t]);
    free(c.st), free(c.q), free(c.first), free(c.pads);
    return rc == PM_EMEMORY ? pm_fail(PM_EMEMORY, "out of memory for the body mask") : rc;
}

/* The blocks of one slab of f[2] slices and of the body's write-back. */
typedef struct body_ctx {
    const pm_volume *v;
    pm_mask *b, *m;
    int f[3], cd[3];
    int tissue_hu;
    int failed;
    int16_t *uni;         /* each block's value when uniform (padding_fast) */
    const uint8_t *ring;  /* close_fov_cuts: body blocks along the circle */
    int16_t padv;         /* and the value that fills the image's corners */
} body_ctx;

/* Coarse slice ck: blocks whose mean HU is above tissue_hu. The sums are
 * integers, so the slabs can be summed in any order and in parallel. */
static void block_slab(void *vctx, int ck, int thread)
{
    (void)thread;
    body_ctx *c = vctx;
    const int *d = c->v->g.dim, *f = c->f, *cd = c->cd;
    size_t cplane = (size_t)cd[0] * cd[1];
    int32_t *sum = calloc(cplane + (size_t)d[0], sizeof *sum), *col = sum + cplane;
    int16_t *lo = malloc(2 * (size_t)d[0] * sizeof *lo), *hi = lo + d[0];
    if (!sum || !lo) {
        free(sum), free(lo);
        c->failed = 1;
        return;
    }
    /* The rows of a band of blocks are added column by column first (whole
     * rows, which vectorise), then each block adds its f[0] columns; the
     * same for the columns' extremes, whose equality makes a block
     * uniform. */
    int k0 = ck * f[2], k1 = (ck + 1) * f[2] < d[2] ? (ck + 1) * f[2] : d[2];
    int16_t *uni = c->uni + cplane * (size_t)ck;
    for (int cj = 0; cj < cd[1]; cj++) {
        memset(col, 0, (size_t)d[0] * sizeof *col);
        for (int i = 0; i < d[0]; i++)
            lo[i] = INT16_MAX, hi[i] = INT16_MIN;
        int j1 = (cj + 1) * f[1] < d[1] ? (cj + 1) * f[1] : d[1];
        for (int k = k0; k < k1; k++)
            for (int j = cj * f[1]; j < j1; j++) {
                const int16_t *restrict row = c->v->hu + (size_t)d[0] * ((size_t)j + (size_t)d[1] * k);
                int32_t *restrict cs = col;
                int16_t *restrict l = lo, *restrict h = hi;
                for (int i = 0; i < d[0]; i++) {
                    cs[i] += row[i];
                    l[i] = row[i] < l[i] ? row[i] : l[i];
                    h[i] = row[i] > h[i] ? row[i] : h[i];
                }
            }
        int32_t *s = sum + (size_t)cd[0] * cj;
        int16_t *u = uni + (size_t)cd[0] * cj;
        for (int b = 0, i = 0; b < cd[0]; b++) {
            int16_t bl = INT16_MAX, bh = INT16_MIN;
            for (int e = i + f[0] < d[0] ? i + f[0] : d[0]; i < e; i++) {
                s[b] += col[i];
                bl = lo[i] < bl ? lo[i] : bl;
                bh = hi[i] > bh ? hi[i] : bh;
            }
            u[b] = bl == bh ? bl : NOT_UNIFORM;
        }
    }
    /* A block's voxel count, as the 16-bit counter that summed it said. */
    uint8_t *out = c->b->v + cplane * (size_t)ck;
    for (int cj = 0; cj < cd[1]; cj++) {
        int nj = (cj + 1) * f[1] < d[1] ? f[1] : d[1] - cj * f[1];
        for (int ci = 0; ci < cd[0]; ci++) {
            int ni = (ci + 1) * f[0] < d[0] ? f[0] : d[0] - ci * f[0];
            uint16_t cnt = (uint16_t)((unsigned)(k1 - k0) * (unsigned)nj * (unsigned)ni);
            size_t t = (size_t)cd[0] * cj + ci;
            out[t] = cnt && sum[t] > (int32_t)c->tissue_hu * cnt;
        }
    }
    free(sum), free(lo);
}

/* Slice k: voxels in a block outside the body become PM_LABEL_OUTSIDE, and
 * so does the corners' fill in the body's blocks along the circle. */
static void write_slice(void *vctx, int k, int thread)
{
    (void)thread;
    body_ctx *c = vctx;
    const int *d = c->v->g.dim, *f = c->f, *cd = c->cd;
    for (int j = 0; j < d[1]; j++) {
        const uint8_t *crow = c->b->v + (size_t)cd[0] * ((size_t)(j / f[1]) + (size_t)cd[1] * (k / f[2]));
        uint8_t *row = c->m->v + (size_t)d[0] * ((size_t)j + (size_t)d[1] * k);
        const uint8_t *rrow = c->ring ? c->ring + (crow - c->b->v) : NULL;
        const int16_t *hu = c->v->hu + (size_t)d[0] * ((size_t)j + (size_t)d[1] * k);
        for (int ci = 0; ci < cd[0]; ci++) {
            int i0 = ci * f[0], n = (ci + 1) * f[0] < d[0] ? f[0] : d[0] - i0;
            if (!crow[ci]) {
                /* a run of outside blocks in one memset */
                int ce = ci + 1;
                while (ce < cd[0] && !crow[ce])
                    ce++;
                int i1 = ce * f[0] < d[0] ? ce * f[0] : d[0];
                memset(row + i0, PM_LABEL_OUTSIDE, (size_t)(i1 - i0));
                ci = ce - 1;
            } else if (rrow && rrow[ci])
                for (int i = i0; i < i0 + n; i++)
                    if (hu[i] == c->padv)
                        row[i] = PM_LABEL_OUTSIDE;
        }
    }
}

int pm_seg_body(const pm_volume *v, pm_mask *m, int tissue_hu, double open_mm, const pm_progress *p)
{
    const int *d = v->g.dim;
    body_ctx c = {.v = v, .m = m, .tissue_hu = tissue_hu};
    int *f = c.f, *cd = c.cd;
    for (int a = 0; a < 3; a++) {
        f[a] = (int)floor(BLOCK_MM / v->g.spacing[a] + 0.5);
        f[a] = f[a] < 1 ? 1 : f[a];
        cd[a] = (d[a] + f[a] - 1) / f[a];
    }
    pm_grid cg = v->g;
    for (int a = 0; a < 3; a++) {
        cg.dim[a] = cd[a];
        cg.spacing[a] = v->g.spacing[a] * f[a];
    }
    pm_mask *b = pm_mask_new(&cg), *raw = pm_mask_new(&cg);
    if (!b || !raw) {
        pm_mask_free(b), pm_mask_free(raw);
        return pm_fail(PM_EMEMORY, "out of memory for the body mask");
    }
    c.b = b;
    if (!(c.uni = malloc(pm_grid_voxels(&cg) * sizeof *c.uni))) {
        pm_mask_free(b), pm_mask_free(raw);
        return pm_fail(PM_EMEMORY, "out of memory for the body mask");
    }
    int rc = pm_parallel_for(cd[2], 0, block_slab, &c, NULL, NULL), kept = 0;
    if (rc == PM_OK && c.failed)
        rc = pm_fail(PM_EMEMORY, "out of memory for the body mask");
    memcpy(raw->v, b->v, pm_grid_voxels(&cg));
    int iter = (int)floor(open_mm / (cg.spacing[0] > cg.spacing[1] ? cg.spacing[0] : cg.spacing[1]) + 0.5);
    if (open_mm > 0 && iter < 1)
        iter = 1;
    if (rc == PM_OK)
        rc = open_cross(b, iter);
    if (rc == PM_OK)
        rc = pm_seg_keep_largest(b, 1, 1, 6, 1, &kept, p);
    if (rc == PM_OK)
        close_cut_edges(b);
    pm_mask *before = rc == PM_OK ? pm_mask_new(&cg) : NULL;
    if (rc == PM_OK && !before)
        rc = pm_fail(PM_EMEMORY, "out of memory for the body mask");
    if (rc == PM_OK) {
        memcpy(before->v, b->v, pm_grid_voxels(&cg));
        rc = pm_seg_fill_holes(b, 1, 4, 0, p);
    }
    if (rc == PM_OK)
        rc = pm__body_restore_thin_walls(b, before, raw);
    pm_mask_free(raw);
    if (rc == PM_OK)
        rc = pm__body_drop_table_holes(b, before);
    pm_mask_free(before);
    uint8_t *ring = rc == PM_OK ? calloc(pm_grid_voxels(&cg), 1) : NULL;
    int16_t padv = INT16_MIN;
    if (rc == PM_OK && !ring)
        rc = pm_fail(PM_EMEMORY, "out of memory for the body mask");
    if (rc == PM_OK)
        rc = close_fov_cuts(v, b, f, c.uni, ring, &padv);
    c.ring = ring, c.padv = padv;
    if (rc == PM_OK)
        rc = pm_parallel_for(d[2], 0, write_slice, &c, NULL, NULL);
    free(ring), free(c.uni);
    pm_mask_free(b);
    return rc;
}
