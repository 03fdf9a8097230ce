/* seg_internal.h - helpers shared by the files of src/seg (not public). */
#ifndef PULMO_SEG_INTERNAL_H
#define PULMO_SEG_INTERNAL_H

#include "pulmo/seg.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* pm_cc_label with invert: label the voxels whose value is NOT in [lo,hi]. */
int pm__cc_label(const pm_mask *m, int lo, int hi, int invert, int conn, pm_cc **out,
                 const pm_progress *p);
/* The slice of each component (for per-slice labellings), ncomp+1 entries. */
int *pm__cc_comp_slice(const pm_cc *cc);
/* Component labels ordered by decreasing size (ties: raster order), ncomp
 * entries; NULL with a reason when out of memory. */
uint32_t *pm__cc_order_by_size(const pm_cc *cc);
/* A lut of ncomp+1 entries set to PM_CC_KEEP. NULL on memory failure. */
uint16_t *pm__lut_keep(const pm_cc *cc);
/* pm_cc_label and a pm__lut_keep lut for it: the start of every step that
 * repaints components. On failure nothing is left to free. */
int pm__cc_label_keep(const pm_mask *m, int lo, int hi, int conn, pm_cc **cc, uint16_t **lut,
                      const pm_progress *p);

/* The in-plane image axis (0: i, 1: j) nearest the patient's left-right
 * (LPS x): j on a decubitus scan, whose slices show the patient on a side. */
static inline int pm__lr_axis(const pm_grid *g)
{
    return (g->dir[3] < 0 ? -g->dir[3] : g->dir[3]) > (g->dir[0] < 0 ? -g->dir[0] : g->dir[0]);
}

/* Non-zero when some byte of the word w lies strictly between m and n
 * (0 <= m <= 127, n <= 128): the "has between" of Bit Twiddling Hacks, to
 * test 8 voxels of a mask for a range of labels at once. */
static inline uint64_t pm__word_between(uint64_t w, uint64_t m, uint64_t n)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = ones * 127;
    return (ones * (127 + n) - (w & low7)) & ~w & ((w & low7) + ones * (127 - m)) & (ones * 128);
}

/* How many of the n bytes at p lie in [lo, hi]: 16 at a time where SSE2
 * is (x - lo, wrapping, is in the range when its unsigned minimum with
 * hi - lo is itself; the matches, -1 each, are subtracted into byte
 * counters that psadbw sums every 255 rounds), the rest one by one. */
static inline size_t pm__count_range(const uint8_t *p, size_t n, uint8_t lo, uint8_t hi)
{
    const uint8_t span = (uint8_t)(hi - lo);
    size_t c = 0, x = 0;
#if defined(__SSE2__)
    const __m128i vlo = _mm_set1_epi8((char)lo), vspan = _mm_set1_epi8((char)span), zero = _mm_setzero_si128();
    while (x + 16 <= n) {
        __m128i acc = zero;
        for (int r = 0; r < 255 && x + 16 <= n; r++, x += 16) {
            __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(p + x)), vlo);
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_min_epu8(d, vspan), d));
        }
        __m128i s = _mm_sad_epu8(acc, zero);
        c += (size_t)_mm_cvtsi128_si64(s) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
    }
#endif
    for (; x < n; x++)
        c += (uint8_t)(p[x] - lo) <= span;
    return c;
}

/* Bounding box [lo, hi) of the voxels in [vlo, vhi]; returns 0 when empty. */
int pm__bbox(const pm_mask *m, int vlo, int vhi, int lo[3], int hi[3]);
/* The same within the box [from, to) of the volume. */
int pm__bbox_in(const pm_mask *m, int vlo, int vhi, const int from[3], const int to[3], int lo[3],
                int hi[3]);

/* Dilation that writes value only over voxels equal to over. */
int pm__dilate_over(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, uint8_t over,
                    const pm_progress *p);

/* pm_seg_edt with distances above cap reported as 1e30. Truncation is
 * exact for the threshold tests of ball morphology: every partial minimum
 * on the way to a distance <= cap is itself <= cap, so dropping larger ones
 * changes no answer, and it lets lines far from any feature (or deep inside
 * them) be skipped. */
int pm__edt_capped(const uint8_t *feat, const int dim[3], const double spacing[3], float *out, float cap,
                   const pm_progress *p);
/* pm__edt_capped that also sets above[x] = out[x] > thr as it finishes each
 * block (above may be feat: feat is read before any is written). */
int pm__edt_above(const uint8_t *feat, const int dim[3], const double spacing[3], float *out, float cap,
                  uint8_t *above, float thr, const pm_progress *p);
/* feat (1: a site) becomes 1 where the distance to the nearest site is
 * above thr, 0 elsewhere (thr <= cap): pm__edt_above without the distances.
 * With the window (edt_window.c) it needs no more memory than feat; past
 * the window's reach it makes the float transform. */
int pm__edt_threshold(uint8_t *feat, const int dim[3], const double spacing[3], float cap, float thr,
                      const pm_progress *p);

/* The window of edt_window.c, for edt.c's y and z passes: distances are
 * squared mm, PM__EDT_INF beyond the cap; blocks of PM__EDT_BLK columns. */
#define PM__EDT_INF 1e30f
#define PM__EDT_BLK 16
#define PM__WINDOW_MAX 16
/* The x pass's term for an offset of d voxels at spacing sx: squared mm,
 * PM__EDT_INF above cap. edt.c and edt_window.c both take it from here, so
 * their sums start from the same bits. */
static inline float pm__edt_x_term(int d, double sx, float cap)
{
    float v = (float)(d * sx * d * sx);
    return v > cap ? PM__EDT_INF : v;
}
/* The reach (rows each side) for spacing s and cap, its weights s^2 k^2 in
 * w[0 .. PM__WINDOW_MAX]; -1 when it would be past PM__WINDOW_MAX. */
int pm__window_reach(float s, float cap, float *w);
/* A block of n rows (PM__EDT_BLK floats each, w of them used) through the
 * window in place (tmp: the block's size): each value becomes the minimum
 * over the rows within reach of row + w[k], PM__EDT_INF above cap. 0 when
 * the block holds no finite value (it is left as it is), else 1. */
int pm__window_block(float *buf, float *tmp, int n, int w, const float *wt, int reach, float cap);

/* Scratch buffers for the crops of ball morphology: sized once for the
 * largest crop to come, so that closing one lung after the other reuses
 * the same memory (fresh pages cost a fault each). */
#define PM__SCRATCH_BOXES 4
typedef struct pm__morph_scratch {
    uint8_t *f;   /* a byte per voxel of the crop */
    size_t cap;   /* voxels */
    /* The labels it was sized for and their box, where crops of those
     * labels look for them: right as long as none is added outside it
     * before its own crop is made (pm_seg_close_pleural closes each lung
     * once, and a lung's closing writes only its own label). */
    int vlo, vhi, lo[3], hi[3];
    /* each label's own box (labels vlo .. vlo + PM__SCRATCH_BOXES - 1),
     * found once while sizing, for crops of one label */
    int blo[PM__SCRATCH_BOXES][3], bhi[PM__SCRATCH_BOXES][3], bgot[PM__SCRATCH_BOXES];
} pm__morph_scratch;
/* Sizes s for the crop of voxels in [vlo, vhi] padded by r_mm (nothing when
 * there are none); PM_EMEMORY with s empty on failure. */
int pm__morph_scratch_init(pm__morph_scratch *s, const pm_mask *m, int vlo, int vhi, double r_mm);
void pm__morph_scratch_free(pm__morph_scratch *s);

/* A growing list of voxel indices. */
typedef struct pm__idx {
    size_t *v;
    size_t n, cap;
} pm__idx;

/* pm_seg_close with its crop in s when it fits (s may be NULL), appending
 * the index of every voxel it sets to added (may be NULL). */
int pm__close_in(pm_mask *m, int lo, int hi, double r_mm, uint8_t value, double rim_mm,
                 pm__morph_scratch *s, pm__idx *added, const pm_progress *p);

/* malloc for buffers of tens of MB that are written once right away: asks
 * for transparent huge pages, so that filling them costs one page fault per
 * 2 MB instead of per 4 KB (which is a tenth of a segmentation's time on a
 * virtual machine). Free with free(). NULL when out of memory. */
void *pm__big_alloc(size_t bytes);

/* The body's holes (body_walls.c), on body.c's grid of blocks. `before`
 * is the body before its holes were filled (drop_table_holes overwrites
 * it), raw the blocks before the opening, b the body filled. */
int pm__body_drop_table_holes(pm_mask *b, pm_mask *before);
int pm__body_restore_thin_walls(pm_mask *b, const pm_mask *before, const pm_mask *raw);

/* The airway's region growing (airway_grow.c): the region so far, the
 * voxels left out at the last threshold, and which slices it may enter.
 * While it grows, the region and the voxels left out are marked in the
 * mask itself, with values no label uses: a mark array the volume's size
 * was touched only around the airway, a page fault for every few voxels
 * (1,100 faults, 16 ms of a serial step on LIDC). pm__grow_unmark puts
 * the labels back. */
#define PM__GROW_IN 0xf0
#define PM__GROW_OUT 0xf1

typedef struct pm__grower {
    const pm_volume *v;
    pm_mask *m;
    const uint32_t *seeds;
    uint8_t *seed_label; /* the seeds' labels before the growth */
    size_t nseeds;
    uint32_t *queue;
    size_t cap, n;      /* n: the region's size */
    size_t limit;       /* the growth stops beyond it: cap, or fewer when
                           a region that large is already a leak */
    struct left_out { uint32_t x; float hu; } *out;
    size_t nout, outcap;
    int kseed, kdir;    /* kdir != 0: only slices k with (k - kseed) * kdir >= 0 */
} pm__grower;
/* Grows the region from the seeds through PM_LABEL_LUNG voxels whose 3x3
 * in-plane mean HU is at most t (6-conn), continuing the last growth.
 * Returns its size, limit + 1 when it grew beyond limit (a leak), 0 with
 * *oom set when out of memory. */
size_t pm__grow(pm__grower *g, double t, int *oom);
/* Whether voxel x is in the region. */
static inline int pm__grow_in(const pm__grower *g, size_t x) { return g->m->v[x] == PM__GROW_IN; }
/* The labels as they were before the growth (non-seeds were lung). */
void pm__grow_unmark(pm__grower *g);

#endif
