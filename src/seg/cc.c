/* cc.c - connected components on runs, two-pass union-find.
 *
 * Pass 1 finds the runs of every slice (in parallel) and links runs that
 * touch within a slice (in parallel: those links never leave the slice, and
 * the union-find roots are the smallest run index, which lies in the same
 * slice), then links runs of consecutive slices (serial, cheap: runs, not
 * voxels). Pass 2 numbers the roots in raster order. A chest CT has a few
 * runs per row, so this is far below one operation per voxel.
 */
#include "pulmo/seg.h"
#include "seg_internal.h"
#include "../core/uf.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct slice_runs {
    int32_t *x0, *x1;
    int64_t n, cap;
    int64_t *row_count;   /* runs per row of this slice */
} slice_runs;

typedef struct cc_ctx {
    const uint8_t *v;
    int nx, ny, nz;
    int lo, span, invert;
    slice_runs *s;
    int failed;
    pm_cc *cc;
    uint32_t *parent;
    int ext;              /* 1 when diagonal neighbours count */
} cc_ctx;

static int push_run(slice_runs *s, int32_t a, int32_t b)
{
    if (s->n == s->cap) {
        int64_t cap = s->cap ? s->cap * 2 : 1024;
        int32_t *x0 = realloc(s->x0, (size_t)cap * sizeof *x0);
        if (!x0)
            return -1;
        s->x0 = x0;
        int32_t *x1 = realloc(s->x1, (size_t)cap * sizeof *x1);
        if (!x1)
            return -1;
        s->x1 = x1;
        s->cap = cap;
    }
    s->x0[s->n] = a;
    s->x1[s->n] = b;
    s->n++;
    return 0;
}

/* Bit b of the result: row[b] is selected ((uint8_t)(row[b] - lo) <= span,
 * the other way round with invert), for the n <= 64 bytes of row. */
static uint64_t select_bits(const uint8_t *row, int n, uint8_t lo, uint8_t span, int invert)
{
    uint64_t m = 0;
    int b = 0;
#if defined(__SSE2__)
    /* 16 bytes a compare, a bit each through movemask: in range when
     * min(x - lo, span) is x - lo, unsigned */
    const __m128i vlo = _mm_set1_epi8((char)lo), vspan = _mm_set1_epi8((char)span);
    for (; b + 16 <= n; b += 16) {
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(row + b)), vlo);
        uint64_t w = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, vspan), d));
        m |= w << b;
    }
#endif
    for (; b < n; b++)
        m |= (uint64_t)((uint8_t)(row[b] - lo) <= span) << b;
    if (invert)
        m = ~m;
    return n == 64 ? m : m & ((1ull << n) - 1);
}

/* The runs of each row, 64 voxels at a time: a word of selection bits,
 * then each run's ends where the bits change (count trailing zeros), so a
 * row costs a few operations per 64 voxels and per run, not a test per
 * voxel. */
static void find_runs(void *vctx, int k, int thread)
{
    (void)thread;
    cc_ctx *c = vctx;
    slice_runs *s = &c->s[k];
    s->row_count = calloc((size_t)c->ny, sizeof *s->row_count);
    if (!s->row_count) {
        c->failed = 1;
        return;
    }
    const uint8_t lo = (uint8_t)c->lo, span = (uint8_t)c->span;
    const int nx = c->nx;
    for (int j = 0; j < c->ny; j++) {
        const uint8_t *row = c->v + (size_t)nx * ((size_t)j + (size_t)c->ny * (size_t)k);
        int64_t before = s->n;
        int in = 0, a = 0;
        for (int base = 0; base < nx; base += 64) {
            int n = nx - base < 64 ? nx - base : 64;
            uint64_t sel = select_bits(row + base, n, lo, span, c->invert);
            /* m: the bits that would change the state (selected ones
             * outside a run, unselected ones inside); past the row's end
             * nothing is selected */
            uint64_t m = in ? ~sel : sel;
            while (m) {
                int t = __builtin_ctzll(m);
                if (in && push_run(s, a, base + t) != 0) {
                    c->failed = 1;
                    return;
                }
                a = base + t;
                in = !in;
                m = ~m & (~0ull << t);
            }
        }
        if (in && push_run(s, a, nx) != 0) {
            c->failed = 1;
            return;
        }
        s->row_count[j] = s->n - before;
    }
}

/* Links the runs of row A to those of row B that touch (ext = 1 also
 * diagonally). Both lists are sorted by x. */
static void link_rows(const pm_cc *cc, uint32_t *parent, int64_t a0, int64_t a1, int64_t b0,
                      int64_t b1, int ext)
{
    int64_t i = a0, j = b0;
    while (i < a1 && j < b1) {
        if (cc->x0[i] < cc->x1[j] + ext && cc->x0[j] < cc->x1[i] + ext)
            pm__uf_union(parent, (uint32_t)i, (uint32_t)j);
        if (cc->x1[i] < cc->x1[j])
            i++;
        else
            j++;
    }
}

static void link_slice(void *vctx, int k, int thread)
{
    (void)thread;
    cc_ctx *c = vctx;
    const pm_cc *cc = c->cc;
    int64_t *rs = cc->row_start + (int64_t)c->ny * k;
    for (int j = 1; j < c->ny; j++)
        link_rows(cc, c->parent, rs[j], rs[j + 1], rs[j - 1], rs[j], c->ext);
}

void pm_cc_free(pm_cc *cc)
{
    if (!cc)
        return;
    free(cc->x0);
    free(cc->x1);
    free(cc->row_start);
    free(cc->label);
    free(cc->size);
    free(cc);
}

int pm__cc_label(const pm_mask *m, int lo, int hi, int invert, int conn, pm_cc **out,
                 const pm_progress *p)
{
    if (conn != 6 && conn != 26 && conn != 4 && conn != 8)
        return pm_fail(PM_EUSAGE, "connectivity must be 6, 26, 4 or 8 (not %d)", conn);
    if (lo < 0 || hi > 255 || lo > hi)
        return pm_fail(PM_EUSAGE, "label range %d..%d is not within 0..255", lo, hi);
    cc_ctx c = {.v = m->v, .nx = m->g.dim[0], .ny = m->g.dim[1], .nz = m->g.dim[2],
                .lo = lo, .span = hi - lo, .invert = invert, .ext = conn == 26 || conn == 8};
    pm_cc *cc = calloc(1, sizeof *cc);
    c.s = calloc((size_t)c.nz, sizeof *c.s);
    int rc = PM_EMEMORY;
    if (!cc || !c.s)
        goto fail;
    memcpy(cc->dim, m->g.dim, sizeof cc->dim);
    cc->conn = conn;
    c.cc = cc;
    rc = pm_parallel_for(c.nz, 0, find_runs, &c, p, "components");
    if (rc != PM_OK)
        goto fail;
    rc = PM_EMEMORY;
    if (c.failed)
        goto fail;
    int64_t nrows = (int64_t)c.ny * c.nz, n = 0;
    for (int k = 0; k < c.nz; k++)
        n += c.s[k].n;
    if (n >= (int64_t)UINT32_MAX)
        goto fail;
    cc->nruns = n;
    cc->x0 = pm_alloc_large((size_t)(n ? n : 1) * sizeof *cc->x0, 0);
    cc->x1 = pm_alloc_large((size_t)(n ? n : 1) * sizeof *cc->x1, 0);
    cc->row_start = malloc((size_t)(nrows + 1) * sizeof *cc->row_start);
    cc->label = pm_alloc_large((size_t)(n ? n : 1) * sizeof *cc->label, 0);
    if (!cc->x0 || !cc->x1 || !cc->row_start || !cc->label)
        goto fail;
    int64_t at = 0;
    for (int k = 0; k < c.nz; k++) {
        slice_runs *s = &c.s[k];
        for (int j = 0; j < c.ny; j++) {
            cc->row_start[(int64_t)c.ny * k + j] = at;
            at += s->row_count[j];
        }
        if (s->n) {
            int64_t base = cc->row_start[(int64_t)c.ny * k];
            memcpy(cc->x0 + base, s->x0, (size_t)s->n * sizeof *s->x0);
            memcpy(cc->x1 + base, s->x1, (size_t)s->n * sizeof *s->x1);
        }
        free(s->x0);
        free(s->x1);
        free(s->row_count);
        s->x0 = s->x1 = NULL;
        s->row_count = NULL;
    }
    cc->row_start[nrows] = at;
    free(c.s);
    c.s = NULL;

    uint32_t *parent = cc->label; /* union-find parents, then labels */
    for (int64_t r = 0; r < n; r++)
        parent[r] = (uint32_t)r;
    c.parent = parent;
    rc = pm_parallel_for(c.nz, 0, link_slice, &c, NULL, NULL);
    if (rc != PM_OK)
        goto fail;
    if (conn == 6 || conn == 26) {
        for (int k = 1; k < c.nz; k++) {
            const int64_t *cur = cc->row_start + (int64_t)c.ny * k;
            const int64_t *prev = cc->row_start + (int64_t)c.ny * (k - 1);
            for (int j = 0; j < c.ny; j++) {
                if (cur[j] == cur[j + 1])
                    continue;
                link_rows(cc, parent, cur[j], cur[j + 1], prev[j], prev[j + 1], c.ext);
                if (c.ext) {
                    if (j > 0)
                        link_rows(cc, parent, cur[j], cur[j + 1], prev[j - 1], prev[j], 1);
                    if (j + 1 < c.ny)
                        link_rows(cc, parent, cur[j], cur[j + 1], prev[j + 1], prev[j + 2], 1);
                }
            }
        }
    }
    /* Pass 2: roots are the smallest run of their set, so numbering roots
     * in run order gives raster order, and every non-root's root already
     * has its number when the run is reached. */
    for (int64_t r = 0; r < n; r++)
        parent[r] = pm__uf_find(parent, (uint32_t)r);
    uint32_t ncomp = 0;
    for (int64_t r = 0; r < n; r++) {
        uint32_t root = parent[r]; /* a root, and roots are never above r */
        parent[r] = root == (uint32_t)r ? (++ncomp | 0x80000000u) : parent[root];
    }
    for (int64_t r = 0; r < n; r++)
        parent[r] &= 0x7fffffffu;
    cc->ncomp = ncomp;
    cc->size = calloc((size_t)ncomp + 1, sizeof *cc->size);
    if (!cc->size)
        goto fail;
    for (int64_t r = 0; r < n; r++)
        cc->size[cc->label[r]] += (uint64_t)(cc->x1[r] - cc->x0[r]);
    *out = cc;
    return PM_OK;
fail:
    if (c.s) {
        for (int k = 0; k < c.nz; k++) {
            free(c.s[k].x0);
            free(c.s[k].x1);
            free(c.s[k].row_count);
        }
        free(c.s);
    }
    pm_cc_free(cc);
    if (rc == PM_EMEMORY)
        return pm_fail(PM_EMEMORY, "out of memory labelling connected components");
    return rc;
}

int pm_cc_label(const pm_mask *m, int lo, int hi, int conn, pm_cc **out, const pm_progress *p)
{
    return pm__cc_label(m, lo, hi, 0, conn, out, p);
}

void pm_cc_paint(const pm_cc *cc, const uint16_t *lut, uint8_t *v)
{
    int nx = cc->dim[0];
    int64_t nrows = (int64_t)cc->dim[1] * cc->dim[2];
    for (int64_t row = 0; row < nrows; row++) {
        uint8_t *line = v + (size_t)nx * (size_t)row;
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
            uint16_t w = lut[cc->label[r]];
            if (w != PM_CC_KEEP)
                memset(line + cc->x0[r], (int)w, (size_t)(cc->x1[r] - cc->x0[r]));
        }
    }
}

uint32_t pm_cc_at(const pm_cc *cc, int i, int j, int k)
{
    int64_t row = (int64_t)j + (int64_t)cc->dim[1] * k;
    for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
        if (cc->x0[r] <= i && i < cc->x1[r])
            return cc->label[r];
    return 0;
}

uint8_t *pm_cc_border(const pm_cc *cc)
{
    uint8_t *f = calloc((size_t)cc->ncomp + 1, 1);
    if (!f) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    int nx = cc->dim[0], ny = cc->dim[1], nz = cc->dim[2];
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++) {
            int64_t row = (int64_t)j + (int64_t)ny * k;
            for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++) {
                uint8_t b = 0;
                if (cc->x0[r] == 0 || cc->x1[r] == nx || j == 0 || j == ny - 1)
                    b |= 1;
                if (k == 0 || k == nz - 1)
                    b |= 2;
                f[cc->label[r]] |= b;
            }
        }
    return f;
}

int *pm__cc_comp_slice(const pm_cc *cc)
{
    int *s = malloc(((size_t)cc->ncomp + 1) * sizeof *s);
    if (!s) {
        pm_fail(PM_EMEMORY, "out of memory");
        return NULL;
    }
    int ny = cc->dim[1];
    int64_t nrows = (int64_t)ny * cc->dim[2];
    for (int64_t row = 0; row < nrows; row++)
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
            s[cc->label[r]] = (int)(row / ny);
    return s;
}
