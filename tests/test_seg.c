/* test_seg.c - segmentation steps on small synthetic masks and volumes:
 * components against a brute-force flood fill, distance transforms against
 * brute force, ball radius, hole filling, closing, sides by patient
 * coordinates, resampling, recipes and slice previews. */
#include "test.h"
#include "pulmo/measure.h"
#include "pulmo/preprocess.h"
#include "pulmo/recipe.h"
#include "pulmo/seg.h"
#include "../src/recipe/recipe_internal.h"
#include "../src/seg/seg_internal.h"

#include <math.h>

static unsigned rng_state = 12345;
static unsigned rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static pm_mask *mask_new(int nx, int ny, int nz, double sx, double sy, double sz)
{
    pm_grid g;
    pm_grid_init(&g, nx, ny, nz, sx, sy, sz);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m != NULL, "mask allocation");
    return m;
}

#define AT(m, i, j, k) ((m)->v[(size_t)(i) + (size_t)(m)->g.dim[0] * ((size_t)(j) + (size_t)(m)->g.dim[1] * (size_t)(k))])

/* Components by flood fill with an explicit neighbour list. */
static int brute_components(const pm_mask *m, int conn)
{
    int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
    size_t n = (size_t)nx * ny * nz;
    uint8_t *seen = calloc(n, 1);
    int *stack = malloc(n * sizeof *stack * 3);
    int count = 0;
    for (size_t s = 0; s < n; s++) {
        if (!m->v[s] || seen[s])
            continue;
        count++;
        int sp = 0;
        stack[sp++] = (int)s;
        seen[s] = 1;
        while (sp) {
            int x = stack[--sp];
            int i = x % nx, j = x / nx % ny, k = x / (nx * ny);
            for (int dk = -1; dk <= 1; dk++)
                for (int dj = -1; dj <= 1; dj++)
                    for (int di = -1; di <= 1; di++) {
                        int hops = abs(di) + abs(dj) + abs(dk);
                        if (!hops)
                            continue;
                        if ((conn == 6 || conn == 4) && hops > 1)
                            continue;
                        if ((conn == 4 || conn == 8) && dk)
                            continue;
                        int a = i + di, b = j + dj, c = k + dk;
                        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz)
                            continue;
                        size_t y = (size_t)a + (size_t)nx * ((size_t)b + (size_t)ny * c);
                        if (m->v[y] && !seen[y]) {
                            seen[y] = 1;
                            stack[sp++] = (int)y;
                        }
                    }
        }
    }
    free(seen);
    free(stack);
    return count;
}

TEST(diagonal_voxels_are_two_components_in_6_and_one_in_26)
{
    pm_mask *m = mask_new(6, 6, 6, 1, 1, 1);
    AT(m, 1, 1, 1) = 1;
    AT(m, 2, 2, 2) = 1;   /* corner neighbour */
    AT(m, 4, 0, 5) = 1;
    AT(m, 5, 1, 5) = 1;   /* edge neighbour (18-connected) */
    pm_cc *cc;
    CHECK(pm_cc_label(m, 1, 1, 6, &cc, NULL) == PM_OK, "%s", pm_error());
    CHECK(cc->ncomp == 4, "6-connectivity: %u components, expected 4", cc->ncomp);
    pm_cc_free(cc);
    CHECK(pm_cc_label(m, 1, 1, 26, &cc, NULL) == PM_OK, "%s", pm_error());
    CHECK(cc->ncomp == 2, "26-connectivity: %u components, expected 2", cc->ncomp);
    CHECK(cc->size[1] == 2 && cc->size[2] == 2, "sizes %llu %llu", (unsigned long long)cc->size[1],
          (unsigned long long)cc->size[2]);
    pm_cc_free(cc);
    pm_mask_free(m);
}

TEST(run_components_match_a_flood_fill_on_random_masks)
{
    for (int trial = 0; trial < 12; trial++) {
        int nx = 5 + (int)(rnd() % 20), ny = 5 + (int)(rnd() % 20), nz = 1 + (int)(rnd() % 12);
        pm_mask *m = mask_new(nx, ny, nz, 1, 1, 1);
        unsigned density = 30 + rnd() % 40;
        for (size_t x = 0; x < pm_grid_voxels(&m->g); x++)
            m->v[x] = rnd() % 100 < density;
        const int conns[4] = {6, 26, 4, 8};
        for (int c = 0; c < 4; c++) {
            pm_cc *cc;
            CHECK(pm_cc_label(m, 1, 1, conns[c], &cc, NULL) == PM_OK, "%s", pm_error());
            int want = brute_components(m, conns[c]);
            CHECK((int)cc->ncomp == want, "%dx%dx%d conn %d: %u components, flood fill %d", nx, ny, nz,
                  conns[c], cc->ncomp, want);
            uint64_t total = 0, fg = 0;
            for (uint32_t l = 1; l <= cc->ncomp; l++)
                total += cc->size[l];
            for (size_t x = 0; x < pm_grid_voxels(&m->g); x++)
                fg += m->v[x];
            CHECK(total == fg, "component sizes sum to %llu, %llu voxels set",
                  (unsigned long long)total, (unsigned long long)fg);
            pm_cc_free(cc);
        }
        pm_mask_free(m);
    }
}

/* The runs of every row are the maximal stretches of selected voxels, as a
 * voxel-by-voxel scan finds them: rows of 1 to 200 voxels (several 64-voxel
 * words, a word's end inside a run and exactly at the row's end), long and
 * short runs of four values, one value or a range selected, or the
 * voxels outside it (invert, as the hole filling labels the background). */
/* Counting labels: every range of one or two values, on a volume whose
 * size is not a multiple of 16 bytes, small (one thread) and large enough
 * to be counted in chunks on all cores. */
TEST(counts_are_the_voxels_whose_label_lies_in_the_range)
{
    const int dims[2][3] = {{13, 7, 5}, {257, 129, 131}};
    for (int s = 0; s < 2; s++) {
        pm_mask *m = mask_new(dims[s][0], dims[s][1], dims[s][2], 1, 1, 1);
        size_t n = pm_grid_voxels(&m->g), want[6][6] = {{0}};
        for (size_t x = 0; x < n; x++) {
            /* runs of a value, as in masks, and scattered ones */
            m->v[x] = (uint8_t)(rnd() % 7 == 0 ? rnd() % 6 : x / 300 % 6);
            /* and a stretch of one label longer than a byte counter holds */
            if (s == 1 && x >= 100000 && x < 120000)
                m->v[x] = 1;
            for (int lo = 0; lo < 6; lo++)
                for (int hi = lo; hi < 6 && hi <= lo + 1; hi++)
                    want[lo][hi] += m->v[x] >= lo && m->v[x] <= hi;
        }
        for (int lo = 0; lo < 6; lo++)
            for (int hi = lo; hi < 6 && hi <= lo + 1; hi++) {
                size_t got = pm_seg_count(m, (uint8_t)lo, (uint8_t)hi);
                CHECK(got == want[lo][hi], "%zu voxels: [%d, %d] counted %zu, not %zu", n, lo, hi, got, want[lo][hi]);
            }
        CHECK(pm_seg_count(m, 2, 1) == 0, "an empty range counted voxels");
        pm_mask_free(m);
    }
}

TEST(runs_are_the_maximal_stretches_of_selected_voxels_in_rows_of_any_width)
{
    const int widths[] = {1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200};
    for (int w = 0; w < (int)(sizeof widths / sizeof *widths); w++) {
        int nx = widths[w], ny = 7, nz = 3;
        pm_mask *m = mask_new(nx, ny, nz, 1, 1, 1);
        uint8_t v = 0;
        for (size_t x = 0; x < pm_grid_voxels(&m->g); x++) {
            if (rnd() % 100 < (x % 3 ? 4 : 40))   /* long runs in some rows */
                v = (uint8_t)(rnd() % 4);
            m->v[x] = v;
        }
        const int ranges[][3] = {{1, 1, 0}, {1, 2, 0}, {0, 0, 0}, {2, 3, 0}, {1, 1, 1}, {1, 3, 1}, {0, 255, 0}};
        for (int r = 0; r < (int)(sizeof ranges / sizeof *ranges); r++) {
            int lo = ranges[r][0], hi = ranges[r][1], inv = ranges[r][2];
            pm_cc *cc;
            CHECK(pm__cc_label(m, lo, hi, inv, 6, &cc, NULL) == PM_OK, "%s", pm_error());
            for (int row = 0; row < ny * nz; row++) {
                const uint8_t *line = m->v + (size_t)nx * (size_t)row;
                int64_t at = cc->row_start[row];
                for (int i = 0; i < nx;) {
                    int sel = (line[i] >= lo && line[i] <= hi) != inv;
                    int e = i;
                    while (e < nx && ((line[e] >= lo && line[e] <= hi) != inv) == sel)
                        e++;
                    if (sel) {
                        CHECK(at < cc->row_start[row + 1] && cc->x0[at] == i && cc->x1[at] == e,
                              "width %d, values %d..%d%s, row %d: run %d..%d not found", nx, lo, hi,
                              inv ? " inverted" : "", row, i, e);
                        at++;
                    }
                    i = e;
                }
                CHECK(at == cc->row_start[row + 1], "width %d, values %d..%d%s, row %d: %lld runs too many", nx,
                      lo, hi, inv ? " inverted" : "", row, (long long)(cc->row_start[row + 1] - at));
            }
            pm_cc_free(cc);
        }
        pm_mask_free(m);
    }
}

/* A capped transform (the window of sums within reach, edt.c) gives the
 * full transform's distance (the lower envelope) where that is within the
 * cap, and 1e30 beyond it: blobs and lone voxels, columns that fill
 * partial blocks (37 is 2 x 16 + 5), spacings of a native CT, of a 1 mm
 * grid and an odd one, caps of a few voxels and one past the window (the
 * envelope on both sides). The two take the same float sums, but where
 * two sites tie exactly their sums can round an ulp apart and each method
 * may keep a different one, hence the 1e-6. */
TEST(capped_distance_transform_is_the_full_one_cut_at_the_cap)
{
    int dim[3] = {37, 41, 23};
    size_t n = (size_t)37 * 41 * 23;
    uint8_t *f = calloc(n, 1);
    float *full = malloc(n * sizeof *full), *cut = malloc(n * sizeof *cut);
    for (int b = 0; b < 6; b++) {   /* blobs: runs of zero-distance sites */
        int ci = (int)(rnd() % 37), cj = (int)(rnd() % 41), ck = (int)(rnd() % 23), r = 2 + (int)(rnd() % 5);
        for (int k = 0; k < 23; k++)
            for (int j = 0; j < 41; j++)
                for (int i = 0; i < 37; i++)
                    if ((i - ci) * (i - ci) + (j - cj) * (j - cj) + (k - ck) * (k - ck) <= r * r)
                        f[i + 37 * (j + 41 * (size_t)k)] = 1;
    }
    for (int q = 0; q < 40; q++)
        f[rnd() % n] = 1;
    /* a block of sites in whole rows of 16, beside rows whose first two
     * voxels only are sites (edt_window.c passes rows of sites on) */
    for (int k = 12; k < 21; k++) {
        for (int j = 20; j < 37; j++)
            for (int i = 0; i < 35; i++)
                f[i + 37 * (j + 41 * (size_t)k)] = 1;
        f[37 * (19 + 41 * (size_t)k)] = f[1 + 37 * (19 + 41 * (size_t)k)] = 1;
    }
    const double sps[3][3] = {{0.703125, 0.703125, 2.5}, {1, 1, 0.9984984985}, {0.5, 1.3, 3}};
    const float caps[4] = {4.0f, 26.0f, 100.1f, 900.0f};
    size_t within = 0, beyond = 0;
    for (int s = 0; s < 3; s++) {
        CHECK(pm_seg_edt(f, dim, sps[s], full, NULL) == PM_OK, "%s", pm_error());
        for (int c = 0; c < 4; c++) {
            CHECK(pm__edt_capped(f, dim, sps[s], cut, caps[c], NULL) == PM_OK, "%s", pm_error());
            size_t bad = 0, first = 0;
            for (size_t x = 0; x < n; x++) {
                double tol = 1e-6 * (1 + full[x]);
                int ok = full[x] > caps[c] + tol   ? cut[x] == 1e30f
                       : full[x] < caps[c] - tol ? fabs(cut[x] - full[x]) <= tol
                                                 : cut[x] == 1e30f || fabs(cut[x] - full[x]) <= tol;
                within += full[x] > 0 && full[x] < caps[c], beyond += full[x] > caps[c];
                if (!ok && !bad++)
                    first = x;
            }
            CHECK(bad == 0, "spacing %d cap %g: %zu voxels differ, first %zu: %.9g, full %.9g", s, caps[c], bad,
                  first, cut[first], full[first]);
        }
    }
    CHECK(within > 1000 && beyond > 1000, "%zu voxels within a cap, %zu beyond", within, beyond);
    free(f), free(full), free(cut);
}

/* The thresholds of ball morphology, made without distances in the mask's
 * own bytes (edt_window.c), are those of the float transform bit for bit:
 * the same sums in the same order. Caps within the window and one past it
 * (which makes the float transform), spacings of a native CT and a 1 mm
 * grid, a width that leaves a partial block of columns, more than 64
 * slices (the windows skip slices and rows with nothing within reach,
 * from a bit per slice). */
TEST(thresholds_in_place_are_those_of_the_distances)
{
    int dim[3] = {45, 38, 71};
    size_t n = (size_t)45 * 38 * 71;
    uint8_t *f = calloc(n, 1), *in = malloc(n), *want = malloc(n);
    float *d = malloc(n * sizeof *d);
    for (int b = 0; b < 5; b++) {
        int ci = (int)(rnd() % 45), cj = (int)(rnd() % 38), ck = (int)(rnd() % 71), r = 3 + (int)(rnd() % 6);
        for (int k = 0; k < 71; k++)
            for (int j = 0; j < 38; j++)
                for (int i = 0; i < 45; i++)
                    if ((i - ci) * (i - ci) + (j - cj) * (j - cj) + 4 * (k - ck) * (k - ck) <= r * r)
                        f[i + 45 * (j + 38 * (size_t)k)] = 1;
    }
    for (int q = 0; q < 30; q++)
        f[rnd() % n] = 1;
    /* and a block of sites whole rows of 16 wide, which the window passes
     * on as they are, beside rows whose first two voxels only are sites
     * (the rest of those rows is near the block, far from their sites) */
    for (int k = 18; k < 27; k++) {
        for (int j = 20; j < 36; j++)
            for (int i = 0; i < 40; i++)
                f[i + 45 * (j + 38 * (size_t)k)] = 1;
        f[45 * (19 + 38 * (size_t)k)] = f[1 + 45 * (19 + 38 * (size_t)k)] = 1;
    }
    const double sps[2][3] = {{0.703125, 0.703125, 2.5}, {1, 1, 0.9984984985}};
    const double radii[3] = {2.5, 6, 30};
    size_t ones = 0, zeros = 0;
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 3; r++) {
            float r2 = (float)(radii[r] * radii[r]), cap = r2 * 1.001f;
            CHECK(pm__edt_above(f, dim, sps[s], d, cap, want, r2, NULL) == PM_OK, "%s", pm_error());
            memcpy(in, f, n);
            CHECK(pm__edt_threshold(in, dim, sps[s], cap, r2, NULL) == PM_OK, "%s", pm_error());
            size_t bad = 0, first = 0;
            for (size_t x = 0; x < n; x++) {
                if (in[x] != want[x] && !bad++)
                    first = x;
                ones += in[x] == 1, zeros += in[x] == 0;
            }
            CHECK(bad == 0, "spacing %d radius %g: %zu voxels differ, first %zu (%d, distance %g)", s, radii[r],
                  bad, first, in[first], d[first]);
        }
    CHECK(ones > 10000 && zeros > 10000, "%zu ones, %zu zeros", ones, zeros);
    free(f), free(in), free(want), free(d);
}

TEST(distance_transform_equals_brute_force_on_anisotropic_grid)
{
    int dim[3] = {13, 9, 7};
    double sp[3] = {0.7, 1.1, 2.5};
    size_t n = 13 * 9 * 7;
    uint8_t *f = calloc(n, 1);
    float *d = malloc(n * sizeof *d);
    for (int q = 0; q < 6; q++)
        f[rnd() % n] = 1;
    CHECK(pm_seg_edt(f, dim, sp, d, NULL) == PM_OK, "%s", pm_error());
    for (size_t x = 0; x < n; x++) {
        double best = 1e30;
        for (size_t y = 0; y < n; y++) {
            if (!f[y])
                continue;
            double di = ((int)(x % 13) - (int)(y % 13)) * sp[0];
            double dj = ((int)(x / 13 % 9) - (int)(y / 13 % 9)) * sp[1];
            double dk = ((int)(x / 117) - (int)(y / 117)) * sp[2];
            double v = di * di + dj * dj + dk * dk;
            if (v < best)
                best = v;
        }
        CHECK(fabs(d[x] - best) < 1e-3 * (1 + best), "voxel %zu: edt %g, brute force %g", x, d[x], best);
    }
    free(f);
    free(d);
}

TEST(dilating_one_voxel_gives_the_ball_of_radius_r_in_mm)
{
    /* 1.2 mm takes the direct-offset path, the others distance transforms */
    const double radii[4] = {1.2, 2.0, 4.5, 9.0};
    for (int t = 0; t < 4; t++) {
        double r = radii[t];
        pm_mask *m = mask_new(41, 41, 21, 0.5, 0.5, 1.0);
        AT(m, 20, 20, 10) = 1;
        CHECK(pm_seg_dilate(m, 1, 1, r, 1, NULL) == PM_OK, "%s", pm_error());
        size_t got = 0, want = 0, wrong = 0;
        for (int k = 0; k < 21; k++)
            for (int j = 0; j < 41; j++)
                for (int i = 0; i < 41; i++) {
                    double dx = (i - 20) * 0.5, dy = (j - 20) * 0.5, dz = (k - 10) * 1.0;
                    int in = dx * dx + dy * dy + dz * dz <= r * r + 1e-9;
                    want += in;
                    got += AT(m, i, j, k);
                    wrong += in != AT(m, i, j, k);
                }
        CHECK(wrong == 0, "radius %g: %zu voxels differ from the ball (%zu vs %zu)", r, wrong, got, want);
        /* Eroding the ball by the same radius leaves its centre only. */
        CHECK(pm_seg_erode(m, 1, 1, r, NULL) == PM_OK, "%s", pm_error());
        size_t left = 0;
        for (size_t x = 0; x < pm_grid_voxels(&m->g); x++)
            left += m->v[x];
        CHECK(left == 1 && AT(m, 20, 20, 10), "erosion of the ball left %zu voxels", left);
        pm_mask_free(m);
    }
}

static void box(pm_mask *m, int i0, int i1, int j0, int j1, int k0, int k1, uint8_t v)
{
    for (int k = k0; k < k1; k++)
        for (int j = j0; j < j1; j++)
            for (int i = i0; i < i1; i++)
                AT(m, i, j, k) = v;
}

TEST(hole_filling_fills_enclosed_cavities_in_3d_and_rings_per_slice)
{
    pm_mask *m = mask_new(20, 20, 20, 1, 1, 1);
    box(m, 2, 18, 2, 18, 2, 18, 1);
    box(m, 6, 12, 6, 12, 6, 12, 0);    /* closed cavity */
    box(m, 14, 16, 14, 16, 0, 10, 0);  /* a well open at the bottom face */
    CHECK(pm_seg_fill_holes(m, 1, 6, 0, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 8, 8, 8) == 1, "3D fill left the closed cavity empty");
    CHECK(AT(m, 15, 15, 5) == 0, "3D fill filled a well that reaches the border");
    /* Per slice the well is enclosed on slices 2..9. */
    CHECK(pm_seg_fill_holes(m, 1, 4, 0, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 15, 15, 5) == 1, "per-slice fill left a ring's inside empty");
    CHECK(AT(m, 15, 15, 1) == 0, "per-slice fill touched a slice without a ring");
    /* Other labels are kept unless allowed. */
    box(m, 6, 12, 6, 12, 6, 12, 0);
    AT(m, 8, 8, 8) = 3;
    CHECK(pm_seg_fill_holes(m, 1, 6, 0, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 8, 8, 8) == 3 && AT(m, 7, 7, 7) == 1, "label 3 overwritten without permission");
    box(m, 6, 12, 6, 12, 6, 12, 0);
    AT(m, 8, 8, 8) = 3;
    CHECK(pm_seg_fill_holes(m, 1, 6, 1u << 3, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 8, 8, 8) == 1, "label 3 kept although allowed");
    pm_mask_free(m);
}

/* The fill step's "both" runs the per-slice fill alone (recipe/steps.c):
 * every 3D hole lies in the slices' holes. On random masks of lung, other
 * air, outside and airway, per slice alone gives exactly 3D then per
 * slice, and 3D alone never fills a voxel per slice leaves empty. */
TEST(per_slice_hole_filling_includes_every_3d_hole)
{
    uint32_t seed = 7;
    size_t filled = 0;
    for (int trial = 0; trial < 40; trial++) {
        pm_mask *m = mask_new(17, 13, 9, 1, 1, 1);
        for (size_t x = 0; x < pm_grid_voxels(&m->g); x++) {
            seed = seed * 1664525u + 1013904223u;
            unsigned r = (seed >> 16) % 100;
            m->v[x] = r < 62u + (unsigned)trial % 20 ? 1 : r < 90 ? 0 : r < 95 ? 255 : 3;
        }
        pm_mask *both = pm_mask_clone(m), *slices = pm_mask_clone(m), *vol = pm_mask_clone(m);
        unsigned over = 1u | 1u << 3;
        CHECK(pm_seg_fill_holes(both, 1, 6, over, NULL) == PM_OK && pm_seg_fill_holes(both, 1, 4, over, NULL) == PM_OK &&
                  pm_seg_fill_holes(slices, 1, 4, over, NULL) == PM_OK && pm_seg_fill_holes(vol, 1, 6, over, NULL) == PM_OK,
              "%s", pm_error());
        size_t differ = 0, beyond = 0;
        for (size_t x = 0; x < pm_grid_voxels(&m->g); x++) {
            differ += both->v[x] != slices->v[x];
            beyond += vol->v[x] == 1 && slices->v[x] != 1;
            filled += vol->v[x] != m->v[x];
        }
        CHECK(differ == 0 && beyond == 0, "trial %d: %zu voxels differ, %zu filled in 3D only", trial, differ, beyond);
        pm_mask_free(both), pm_mask_free(slices), pm_mask_free(vol), pm_mask_free(m);
    }
    CHECK(filled > 100, "only %zu voxels of 3D holes in 40 masks: nothing compared", filled);
}

TEST(keep_largest_remove_small_and_clear_border_pick_the_right_components)
{
    pm_mask *m = mask_new(30, 30, 10, 1, 1, 1);
    box(m, 2, 10, 2, 10, 2, 8, 1);    /* 384 */
    box(m, 14, 20, 2, 10, 2, 8, 1);   /* 288 */
    box(m, 22, 24, 22, 24, 2, 4, 1);  /* 8 */
    box(m, 0, 3, 20, 28, 2, 8, 1);    /* 144, touches the side */
    pm_mask *a = pm_mask_clone(m);
    int kept;
    CHECK(pm_seg_keep_largest(a, 1, 1, 6, 2, &kept, NULL) == PM_OK && kept == 2, "kept %d", kept);
    CHECK(AT(a, 5, 5, 5) && AT(a, 15, 5, 5) && !AT(a, 1, 25, 5) && !AT(a, 22, 22, 2), "wrong two kept");
    pm_mask_free(a);
    a = pm_mask_clone(m);
    CHECK(pm_seg_remove_small(a, 1, 1, 6, 9, NULL) == PM_OK, "%s", pm_error());
    CHECK(!AT(a, 22, 22, 2) && AT(a, 1, 25, 5), "remove_small removed the wrong component");
    pm_mask_free(a);
    CHECK(pm_seg_clear_border(m, 1, 1, 6, 1, 255, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 1, 25, 5) == 255 && AT(m, 5, 5, 5) == 1, "clear_border marked the wrong component");
    pm_mask_free(m);
}

TEST(closing_fills_a_dent_narrower_than_the_ball_and_keeps_the_outside)
{
    pm_mask *m = mask_new(40, 40, 40, 1, 1, 1);
    box(m, 5, 35, 5, 35, 5, 35, 1);
    box(m, 18, 22, 18, 22, 30, 35, 0);   /* a 4 mm wide pit from the top face */
    box(m, 0, 40, 0, 40, 36, 40, 255);   /* outside air above */
    CHECK(pm_seg_close(m, 1, 1, 3.0, 1, 0, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 20, 20, 32) == 1, "the pit was not closed");
    CHECK(AT(m, 20, 20, 37) == 255, "closing wrote over outside air");
    CHECK(AT(m, 2, 2, 20) == 0, "closing grew the box");
    /* Opening removes a thin spike. */
    box(m, 35, 39, 19, 21, 19, 21, 1);
    CHECK(pm_seg_open(m, 1, 1, 2.0, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(m, 37, 20, 20) == 0 && AT(m, 20, 20, 20) == 1, "opening kept the spike or ate the box");
    pm_mask_free(m);
}

/* A synthetic chest: body cylinder, two lungs, a trachea from the top that
 * splits into two bronchi, a nodule on the right lung's outer wall. */
static pm_volume *chest(int feet_first)
{
    pm_grid g;
    pm_grid_init(&g, 96, 80, 60, 2.0, 2.0, 2.5);
    pm_volume *v = pm_volume_new(&g);
    CHECK(v != NULL, "volume");
    for (int k = 0; k < 60; k++)
        for (int j = 0; j < 80; j++)
            for (int i = 0; i < 96; i++) {
                double x = (i - 47.5) * 2, y = (j - 40) * 2, z = k * 2.5;
                int h = -1000;
                if ((x * x) / (85.0 * 85) + (y * y) / (65.0 * 65) <= 1)
                    h = 40;
                for (int s = -1; s <= 1; s += 2) {
                    double cx = s * 42, rx = 30, ry = 45, rz = 70;
                    double dz = (z - 60) / rz;
                    if ((x - cx) * (x - cx) / (rx * rx) + y * y / (ry * ry) + dz * dz <= 1)
                        h = -850 + (int)(rnd() % 40);
                }
                /* a solid nodule inside the lung at positive x */
                double ix = x - 40, iy = y - 10, iz = z - 50;
                if (ix * ix + iy * iy + iz * iz <= 25)
                    h = 20;
                /* nodule on the outer wall of the lung at negative x */
                double nx = x + 71, nz = z - 60;
                if (nx * nx + y * y + nz * nz <= 9)
                    h = 30;
                /* trachea down the middle from the top to z = 95, bronchi to each lung */
                if (z >= 95 && x * x + (y + 10) * (y + 10) <= 64)
                    h = -1000;
                if (z >= 80 && z < 97)
                    for (int s = -1; s <= 1; s += 2) {
                        double t = (97 - z) / 17.0, bx = s * 25 * t;
                        if ((x - bx) * (x - bx) + (y + 10) * (y + 10) <= 16)
                            h = -1000;
                    }
                v->hu[(size_t)i + 96 * ((size_t)j + 80 * (size_t)k)] = (int16_t)h;
            }
    if (feet_first) {
        /* Same patient stored mirrored: i runs toward the patient's right
         * (-x) and k downward, as a feet-first series can be. */
        pm_volume *w = pm_volume_new(&g);
        for (int k = 0; k < 60; k++)
            for (int j = 0; j < 80; j++)
                for (int i = 0; i < 96; i++)
                    w->hu[(size_t)i + 96 * ((size_t)j + 80 * (size_t)k)] =
                        v->hu[(size_t)(95 - i) + 96 * ((size_t)j + 80 * (size_t)(59 - k))];
        w->g.dir[0] = -1;
        w->g.dir[8] = -1;
        w->g.origin[0] = 95 * 2.0;
        w->g.origin[2] = 59 * 2.5;
        pm_volume_free(v);
        v = w;
    }
    return v;
}

/* The label at the chest's own coordinates (x, y centred as in chest()). */
static uint8_t label_at_lps(const pm_mask *m, double x, double y, double z)
{
    double p[3] = {x + 95, y + 80, z}, ijk[3];
    pm_grid_from_lps(&m->g, p, ijk);
    int i = (int)lround(ijk[0]), j = (int)lround(ijk[1]), k = (int)lround(ijk[2]);
    return AT(m, i, j, k);
}

static int cancel_in_growth(void *user, double fraction, const char *stage)
{
    (void)stage;
    return fraction > 0.3 && ++*(int *)user > 1;   /* the second step of the growth */
}

/* The airway's growth marks its region in the mask while it runs: a cancel
 * in the middle says so and leaves no mark behind. */
TEST(airway_cancelled_while_growing_reports_it_and_leaves_the_labels)
{
    pm_volume *v = chest(0);
    pm_recipe r;
    CHECK(pm_recipe_init(&r, "default") == PM_OK, "%s", pm_error());
    pm_seg_run *run = pm_seg_run_new(v, 1);
    CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
    pm_mask *m = pm_seg_run_after(run, pm_recipe_step_index(&r, "airway") - 1);
    CHECK(m, "no mask");
    pm_airway_opts o = {40, -950, 0.4, 40, 800, -960, -800, 10, 2, 250, 1.5, NULL};
    pm_airway_info info;
    int calls = 0;
    pm_progress p = {cancel_in_growth, &calls};
    CHECK(pm_seg_airway(v, m, &o, &info, &p) == PM_ECANCEL, "not cancelled (%d progress calls)", calls);
    size_t n = pm_grid_voxels(&m->g), marks = 0;
    for (size_t x = 0; x < n; x++)
        marks += m->v[x] >= 0xf0 && m->v[x] < 0xfe;
    CHECK(marks == 0, "%zu voxels keep a growth mark", marks);
    pm_airway_info full;
    pm_mask *again = pm_seg_run_after(run, pm_recipe_step_index(&r, "airway") - 1);
    CHECK(again && pm_seg_airway(v, again, &o, &full, NULL) == PM_OK && full.found, "no airway uncancelled");
    pm_mask_free(again);
    pm_mask_free(m);
    pm_seg_run_free(run);
    pm_volume_free(v);
}

TEST(default_recipe_names_sides_by_patient_coordinates_head_and_feet_first)
{
    for (int ff = 0; ff <= 1; ff++) {
        pm_volume *v = chest(ff);
        pm_recipe r;
        CHECK(pm_recipe_init(&r, "default") == PM_OK, "%s", pm_error());
        pm_seg_run *run = pm_seg_run_new(v, 0);
        int rc = pm_recipe_run(&r, run, 0, NULL);
        CHECK(rc == PM_OK, "feet_first=%d: %d %s", ff, rc, pm_error());
        /* patient right = negative LPS x (pixel coordinates: x = (i - 47.5) * 2) */
        double y0 = 0;
        CHECK(label_at_lps(run->result, -42, y0, 60) == PM_LABEL_RIGHT,
              "feet_first=%d: lung at negative x is %d, expected right (1)", ff,
              label_at_lps(run->result, -42, y0, 60));
        CHECK(label_at_lps(run->result, 42, y0, 60) == PM_LABEL_LEFT,
              "feet_first=%d: lung at positive x is %d, expected left (2)", ff,
              label_at_lps(run->result, 42, y0, 60));
        CHECK(run->airway.found, "feet_first=%d: no airway found", ff);
        CHECK(label_at_lps(run->result, 0, -10, 130) == PM_LABEL_AIRWAY,
              "feet_first=%d: trachea labelled %d", ff, label_at_lps(run->result, 0, -10, 130));
        CHECK(label_at_lps(run->result, -69, y0, 60) == PM_LABEL_RIGHT,
              "feet_first=%d: the juxtapleural nodule is outside the mask", ff);
        pm_lung_measures mm;
        CHECK(pm_measure_lungs(v, run->result, &mm, NULL) == PM_OK, "%s", pm_error());
        CHECK(mm.sides && mm.right_ml > 0.35 * mm.lung_ml && mm.left_ml > 0.35 * mm.lung_ml,
              "right %.1f left %.1f of %.1f mL", mm.right_ml, mm.left_ml, mm.lung_ml);
        CHECK(mm.mean_hu < -780 && mm.mean_hu > -860, "mean lung HU %.1f", mm.mean_hu);
        pm_seg_run_free(run);
        pm_volume_free(v);
    }
}

TEST(slice_preview_after_changing_a_step_matches_the_full_rerun)
{
    pm_volume *v = chest(0);
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 1);
    CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
    int step;
    CHECK(pm_recipe_set(&r, "close.radius_mm=8", &step) == PM_OK, "%s", pm_error());
    CHECK(step == pm_recipe_step_index(&r, "close"), "set reported step %d", step);
    size_t plane = 96 * 80;
    uint8_t *slice = malloc(plane);
    CHECK(pm_recipe_preview(&r, run, step, 24, slice, NULL) == PM_OK, "%s", pm_error());
    pm_seg_run *fork = pm_seg_run_fork(run, step);
    CHECK(fork && fork->valid == step, "fork holds %d steps", fork ? fork->valid : -1);
    CHECK(pm_recipe_run(&r, fork, step, NULL) == PM_OK, "%s", pm_error());
    size_t diff = 0, set = 0;
    for (size_t x = 0; x < plane; x++) {
        diff += slice[x] != fork->result->v[plane * 24 + x];
        set += slice[x] != 0;
    }
    CHECK(set > 100 && diff == 0, "preview differs from the re-run on %zu of %zu voxels", diff, set);
    /* A threshold change previews from step 0 guided by the cached run. */
    CHECK(pm_recipe_set(&r, "threshold.hu_max=-500", &step) == PM_OK && step == 0, "set threshold");
    CHECK(pm_recipe_preview(&r, run, 0, 24, slice, NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_recipe_preview(&r, run, 0, 999, slice, NULL) == PM_EUSAGE, "slice 999 accepted");
    free(slice);
    pm_seg_run_free(fork);
    pm_seg_run_free(run);
    pm_volume_free(v);
}

/* The kept output of every step is the input a re-run from the next step
 * starts from: re-run from any step, the result is the full run's. */
TEST(rerun_from_every_kept_step_gives_the_full_run)
{
    pm_volume *v = chest(0);
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 1);
    CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
    size_t n = pm_grid_voxels(&v->g);
    for (int s = 1; s < r.nsteps; s++) {
        pm_seg_run *f = pm_seg_run_fork(run, s);
        CHECK(f && f->valid == s && pm_recipe_run(&r, f, s, NULL) == PM_OK, "step %d: %s", s, pm_error());
        CHECK(!memcmp(f->result->v, run->result->v, n), "re-run from step %d (%s) differs", s, r.steps[s].name);
        pm_seg_run_free(f);
    }
    CHECK(!pm_seg_run_after(run, r.nsteps) && !pm_seg_run_after(run, -1), "a step not kept decoded");
    pm_seg_run_free(run);
    pm_volume_free(v);
}

/* Kept masks are run-length encoded, or kept as they are when the runs
 * would be larger (noise): both give back the same bytes, whole or a slab. */
TEST(kept_masks_give_back_their_bytes_runs_or_noise)
{
    pm_grid g;
    pm_grid_init(&g, 37, 23, 11, 1, 1, 1);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m, "no mask");
    size_t n = pm_grid_voxels(&g), plane = 37 * 23;
    for (int noise = 0; noise <= 1; noise++) {
        uint32_t seed = 7;
        for (size_t x = 0; x < n; x++)
            m->v[x] = noise ? (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24) : (uint8_t)(x / 100 % 3);
        pm_kept *k = pm__kept_make(m), *c = k ? pm__kept_clone(k) : NULL;
        pm_mask *back = c ? pm__kept_mask(c) : NULL;
        CHECK(back && !memcmp(back->v, m->v, n), "noise=%d: the mask came back different", noise);
        uint8_t slab[3 * 37 * 23];
        pm__kept_slices(k, 4, 7, slab);
        CHECK(!memcmp(slab, m->v + 4 * plane, sizeof slab), "noise=%d: slices 4..6 came back different", noise);
        pm_mask_free(back);
        pm__kept_free(k);
        pm__kept_free(c);
    }
    pm_mask_free(m);
}

TEST(recipe_overrides_are_checked)
{
    pm_recipe r;
    CHECK(pm_recipe_init(&r, "nope") == PM_EUSAGE, "unknown recipe accepted");
    CHECK(pm_recipe_init(&r, "tutorial") == PM_OK, "%s", pm_error());
    CHECK(pm_recipe_set(&r, "fill_structures.enabled=0", NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_recipe_get(&r, "fill_structures", "enabled") == 0, "value not stored");
    CHECK(pm_recipe_set(&r, "nostep.x=1", NULL) == PM_EUSAGE, "unknown step accepted");
    CHECK(pm_recipe_set(&r, "largest.nope=1", NULL) == PM_EUSAGE, "unknown parameter accepted");
    CHECK(pm_recipe_set(&r, "largest.n=abc", NULL) == PM_EUSAGE, "non-number accepted");
    CHECK(pm_recipe_set(&r, "largest.n=0", NULL) == PM_EUSAGE, "out of range accepted");
    CHECK(pm_recipe_set(&r, "largest.n=1.5", NULL) == PM_EUSAGE, "fraction for an integer accepted");
    CHECK(strstr(pm_error(), "integer") != NULL, "reason: %s", pm_error());
    CHECK(pm_recipe_set(&r, "threshold", NULL) == PM_EUSAGE, "missing '=' accepted");
    CHECK(pm_recipe_set(&r, "largest.conn=18", NULL) == PM_EUSAGE, "connectivity 18 accepted");
    CHECK(pm_recipe_set(&r, "largest.conn=6", NULL) == PM_OK, "connectivity 6 refused: %s", pm_error());
}

TEST(otsu_threshold_separates_two_intensity_populations)
{
    pm_grid g;
    pm_grid_init(&g, 50, 50, 4, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    for (size_t x = 0; x < pm_grid_voxels(&g); x++)
        v->hu[x] = (int16_t)((x % 3 ? -900 : 50) + (int)(rnd() % 60) - 30);
    double t = pm_seg_otsu(v, 256);
    /* scikit-image's threshold is a bin centre, so a few voxels of the
     * lower population's last bin may fall above it: count, don't compare. */
    size_t below = 0, n = pm_grid_voxels(&g);
    for (size_t x = 0; x < n; x++)
        below += v->hu[x] < t;
    CHECK(below > 0.64 * n && below <= (2 * n + 2) / 3, "Otsu threshold %g leaves %zu of %zu below",
          t, below, n);
    CHECK(t < 20, "Otsu threshold %g above the upper population", t);
    pm_volume_free(v);
}

TEST(resampling_reaches_the_rounded_shape_and_interpolates_linearly)
{
    pm_grid g;
    pm_grid_init(&g, 20, 10, 7, 0.7, 0.7, 2.5);
    g.origin[0] = -10;
    pm_volume *v = pm_volume_new(&g);
    for (int k = 0; k < 7; k++)
        for (int j = 0; j < 10; j++)
            for (int i = 0; i < 20; i++)
                v->hu[i + 20 * (j + 10 * k)] = (int16_t)(10 * i + 100 * k);
    pm_volume *r;
    CHECK(pm_resample_volume(v, 1.0, &r, NULL) == PM_OK, "%s", pm_error());
    CHECK(r->g.dim[0] == 14 && r->g.dim[1] == 7 && r->g.dim[2] == 18, "shape %dx%dx%d", r->g.dim[0],
          r->g.dim[1], r->g.dim[2]);
    CHECK(fabs(r->g.spacing[0] - 14.0 / 14) < 1e-9 && fabs(r->g.spacing[2] - 17.5 / 18) < 1e-9,
          "spacing reached %g %g", r->g.spacing[0], r->g.spacing[2]);
    CHECK(r->g.origin[0] == -10, "origin moved");
    /* Inside the input, values follow the linear ramp. */
    for (int k = 0; k < 16; k++)
        for (int i = 0; i < 13; i++) {
            double ii = i * r->g.spacing[0] / 0.7, kk = k * r->g.spacing[2] / 2.5;
            double want = 10 * ii + 100 * kk;
            int got = r->hu[i + 14 * (3 + 7 * k)];
            CHECK(fabs(got - want) <= 0.51, "(%d,3,%d) = %d, expected %.2f", i, k, got, want);
        }
    pm_mask *m = pm_mask_new(&g), *mr;
    AT(m, 19, 9, 6) = 2;
    CHECK(pm_resample_mask(m, &r->g, &mr, NULL) == PM_OK, "%s", pm_error());
    CHECK(AT(mr, 13, 6, 17) == 2 && AT(mr, 0, 0, 0) == 0, "nearest-neighbour labels wrong");
    pm_mask_free(m);
    pm_mask_free(mr);
    pm_volume_free(r);
    pm_volume_free(v);
}

/* The scalar formula of resample.c, in the same float operations: the
 * vectorised resampler must give these exact values, negative HU rounded
 * half away from zero. */
static float ref_lerp_axis(int nin, int nout, double ratio, int o, int *i0)
{
    double x = o * ratio;
    if (x > nin - 1)
        x = nin - 1;
    int i = (int)floor(x);
    if (i >= nin - 1)
        i = nin > 1 ? nin - 2 : 0;
    *i0 = i;
    (void)nout;
    return nin > 1 ? (float)(x - i) : 0.0f;
}

static void check_resample_exact(int nx, int ny, int nz)
{
    pm_grid g;
    pm_grid_init(&g, nx, ny, nz, 0.7, 0.7, 2.5);
    pm_volume *v = pm_volume_new(&g);
    uint32_t seed = 12345;
    for (size_t x = 0; x < pm_grid_voxels(&g); x++) {
        seed = seed * 1664525u + 1013904223u;
        v->hu[x] = (int16_t)((int)(seed >> 16) % 4025 - 1024);
    }
    pm_volume *r;
    CHECK(pm_resample_volume(v, 1.0, &r, NULL) == PM_OK, "%s", pm_error());
    const int *d = r->g.dim;
    int bad = 0;
    for (int k = 0; k < d[2]; k++)
        for (int j = 0; j < d[1]; j++)
            for (int i = 0; i < d[0]; i++) {
                int i0, j0, k0;
                float wx = ref_lerp_axis(nx, d[0], r->g.spacing[0] / 0.7, i, &i0);
                float wy = ref_lerp_axis(ny, d[1], r->g.spacing[1] / 0.7, j, &j0);
                float wz = ref_lerp_axis(nz, d[2], r->g.spacing[2] / 2.5, k, &k0);
                int i1 = nx > 1 ? i0 + 1 : i0, j1 = ny > 1 ? j0 + 1 : j0, k1 = nz > 1 ? k0 + 1 : k0;
                float pl[2];
                for (int s = 0; s < 2; s++) {
                    const int16_t *src = v->hu + (size_t)nx * ny * (size_t)(s ? k1 : k0);
                    const int16_t *r0 = src + (size_t)nx * j0, *r1 = src + (size_t)nx * j1;
                    float top = r0[i0] + wx * (float)(r0[i1] - r0[i0]);
                    float bot = r1[i0] + wx * (float)(r1[i1] - r1[i0]);
                    pl[s] = top + wy * (bot - top);
                }
                float f = pl[0] + wz * (pl[1] - pl[0]);
                int want = f >= 0 ? (int)(f + 0.5f) : -(int)(0.5f - f);
                bad += r->hu[i + (size_t)d[0] * (j + (size_t)d[1] * k)] != want;
            }
    CHECK(bad == 0, "%dx%dx%d: %d voxels differ from the scalar trilinear formula", nx, ny, nz, bad);
    pm_volume_free(r);
    pm_volume_free(v);
}

TEST(resampling_gives_the_scalar_formula_exactly_negative_values_and_single_columns_included)
{
    check_resample_exact(37, 11, 6);
    check_resample_exact(1, 9, 5);   /* one column: no right neighbour to pair */
    check_resample_exact(64, 1, 3);
}

TEST(normalisation_clips_and_scales_like_the_tutorials)
{
    pm_grid g;
    pm_grid_init(&g, 4, 1, 1, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    v->hu[0] = -2000, v->hu[1] = -1000, v->hu[2] = -300, v->hu[3] = 1000;
    float f[4];
    pm_normalize(v, 0, f);
    CHECK(f[0] == 0 && f[1] == 0 && fabsf(f[2] - 0.5f) < 1e-6f && f[3] == 1, "%g %g %g %g", f[0], f[1],
          f[2], f[3]);
    pm_normalize(v, 1, f);
    CHECK(fabsf(f[0] + 0.25f) < 1e-6f && fabsf(f[3] - 0.75f) < 1e-6f, "zero-centred %g %g", f[0], f[3]);
    pm_volume_free(v);
}

static double gauss(void)
{
    double a = (rnd() % 100000 + 0.5) / 100000.0, b = (rnd() % 100000 + 0.5) / 100000.0;
    return sqrt(-2 * log(a)) * cos(6.283185307 * b);
}

TEST(gustafson_kessel_separates_elongated_clusters_by_their_shape)
{
    /* Two long thin clusters side by side: Euclidean c-means would cut them
     * across their length; GK's per-cluster norm follows their shape. */
    size_t n = 2000;
    float *x = malloc(n * 2 * sizeof *x), *u = malloc(n * 2 * sizeof *u);
    for (size_t k = 0; k < n; k++) {
        x[2 * k] = (float)(20 * gauss());
        x[2 * k + 1] = (float)((k < n / 2 ? -3 : 3) + 0.5 * gauss());
    }
    double cen[4];
    int it;
    CHECK(pm_seg_gk(x, n, 2, 2, 2.0, 100, 1e-6, cen, u, &it) == PM_OK, "%s", pm_error());
    size_t agree = 0;
    for (size_t k = 0; k < n; k++) {
        int lab = u[2 * k + 1] > u[2 * k];
        int truth = k >= n / 2;
        int c1_is_upper = cen[3] > cen[1];
        agree += (lab == truth) == c1_is_upper;
    }
    CHECK(agree > 0.95 * n, "GK agrees with the true clusters on %zu of %zu points (%d iterations)",
          agree, n, it);
    CHECK(fabs(fabs(cen[1] - cen[3]) - 6) < 0.5, "centres y %.2f %.2f", cen[1], cen[3]);
    /* One feature: memberships sum to one and centres sit at the modes. */
    for (size_t k = 0; k < n; k++)
        x[k] = (float)((k % 3 ? -850 : -100) + 10 * gauss());
    CHECK(pm_seg_gk(x, n, 1, 2, 2.0, 100, 1e-6, cen, u, &it) == PM_OK, "%s", pm_error());
    double lo = fmin(cen[0], cen[1]), hi = fmax(cen[0], cen[1]);
    CHECK(fabs(lo + 850) < 5 && fabs(hi + 100) < 5, "1D centres %.1f %.1f", lo, hi);
    for (size_t k = 0; k < n; k += 97)
        CHECK(fabsf(u[2 * k] + u[2 * k + 1] - 1) < 1e-4f, "memberships of point %zu sum to %g", k,
              u[2 * k] + u[2 * k + 1]);
    free(x);
    free(u);
}

TEST(internal_structures_and_lung_clusters_on_the_synthetic_chest)
{
    pm_volume *v = chest(0);
    pm_recipe r;
    pm_recipe_init(&r, "tutorial");
    pm_seg_run *fill = pm_seg_run_new(v, 0), *nofill = pm_seg_run_new(v, 0);
    CHECK(pm_recipe_run(&r, fill, 0, NULL) == PM_OK, "%s", pm_error());
    pm_recipe_set(&r, "fill_structures.enabled=0", NULL);
    CHECK(pm_recipe_run(&r, nofill, 0, NULL) == PM_OK, "%s", pm_error());
    pm_mask *in = pm_mask_new(&v->g);
    pm_seg_internal(fill->result, nofill->result, in);
    /* The solid nodule inside the right lung is an internal structure. */
    size_t n = pm_grid_voxels(&v->g), internal = 0, wrong = 0;
    for (size_t x = 0; x < n; x++) {
        internal += in->v[x];
        wrong += in->v[x] && v->hu[x] < -320;
    }
    CHECK(internal > 0 && wrong == 0, "%zu internal voxels, %zu of them air", internal, wrong);
    CHECK(label_at_lps(in, 40, 10, 50) == 1, "the nodule inside the left lung is not internal");
    /* Clustering lung HU: the lower cluster sits near the lung's -830 HU. */
    pm_mask *cl = pm_mask_new(&v->g);
    double centres[3];
    CHECK(pm_seg_cluster_hu(v, fill->result, 1, 1, 3, 2, cl, centres, NULL) == PM_OK, "%s", pm_error());
    CHECK(centres[0] < centres[1] && centres[1] < centres[2], "centres not sorted");
    CHECK(centres[0] > -900 && centres[0] < -780, "lowest centre %.1f HU", centres[0]);
    for (size_t x = 0; x < n; x++)
        CHECK(!cl->v[x] || fill->result->v[x], "a clustered voxel outside the mask");
    pm_mask_free(cl);
    pm_mask_free(in);
    pm_seg_run_free(fill);
    pm_seg_run_free(nofill);
    pm_volume_free(v);
}

int main(void)
{
    RUN(diagonal_voxels_are_two_components_in_6_and_one_in_26);
    RUN(run_components_match_a_flood_fill_on_random_masks);
    RUN(counts_are_the_voxels_whose_label_lies_in_the_range);
    RUN(runs_are_the_maximal_stretches_of_selected_voxels_in_rows_of_any_width);
    RUN(distance_transform_equals_brute_force_on_anisotropic_grid);
    RUN(capped_distance_transform_is_the_full_one_cut_at_the_cap);
    RUN(thresholds_in_place_are_those_of_the_distances);
    RUN(dilating_one_voxel_gives_the_ball_of_radius_r_in_mm);
    RUN(hole_filling_fills_enclosed_cavities_in_3d_and_rings_per_slice);
    RUN(per_slice_hole_filling_includes_every_3d_hole);
    RUN(keep_largest_remove_small_and_clear_border_pick_the_right_components);
    RUN(closing_fills_a_dent_narrower_than_the_ball_and_keeps_the_outside);
    RUN(default_recipe_names_sides_by_patient_coordinates_head_and_feet_first);
    RUN(airway_cancelled_while_growing_reports_it_and_leaves_the_labels);
    RUN(slice_preview_after_changing_a_step_matches_the_full_rerun);
    RUN(rerun_from_every_kept_step_gives_the_full_run);
    RUN(kept_masks_give_back_their_bytes_runs_or_noise);
    RUN(recipe_overrides_are_checked);
    RUN(otsu_threshold_separates_two_intensity_populations);
    RUN(resampling_reaches_the_rounded_shape_and_interpolates_linearly);
    RUN(resampling_gives_the_scalar_formula_exactly_negative_values_and_single_columns_included);
    RUN(normalisation_clips_and_scales_like_the_tutorials);
    RUN(gustafson_kessel_separates_elongated_clusters_by_their_shape);
    RUN(internal_structures_and_lung_clusters_on_the_synthetic_chest);
    return test_done();
}
