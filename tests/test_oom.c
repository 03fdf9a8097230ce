/* test_oom.c - out of memory is an error, not a quiet wrong answer: the
 * allocations are made to fail one at a time through core's hook
 * (pm_alloc_fail_after). Otsu's threshold used to return the volume's
 * minimum, and a failed cut of lungs that touch used to leave the mask
 * unsplit while the caller counted two lungs. */
#include "test.h"
#include "pulmo/mesh.h"
#include "pulmo/seg.h"

#include <math.h>
#include <string.h>

TEST(otsu_out_of_memory_is_nan_with_a_reason)
{
    pm_grid g;
    pm_grid_init(&g, 20, 20, 3, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    CHECK(v != NULL, "volume allocation");
    for (size_t x = 0; x < pm_grid_voxels(&g); x++)
        v->hu[x] = (int16_t)(x % 3 ? -900 : 50);
    double ok = pm_seg_otsu(v, 256);
    CHECK(isfinite(ok) && ok > -900 && ok < 50, "Otsu threshold %g between the populations", ok);
    /* Each of Otsu's four buffers fails in turn. */
    for (int n = 0; n < 4; n++) {
        pm_error_clear();
        pm_alloc_fail_after(n);
        double t = pm_seg_otsu(v, 256);
        pm_alloc_fail_after(-1);
        CHECK(isnan(t), "allocation %d failing: threshold %g, not NAN", n, t);
        CHECK(strstr(pm_error(), "out of memory") != NULL, "allocation %d failing: reason '%s'", n,
              pm_error());
    }
    pm_volume_free(v);
}

/* Two lungs of 12 x 16 x 10 voxels side by side, joined by one voxel in
 * the middle slice: one component with a deep valley, which is cut. */
static pm_mask *touching_lungs(void)
{
    pm_grid g;
    pm_grid_init(&g, 40, 20, 10, 2, 2, 2);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m != NULL, "mask allocation");
    for (size_t x = 0; x < pm_grid_voxels(&g); x++) {
        int i = (int)(x % 40), j = (int)(x / 40 % 20), k = (int)(x / 800);
        int lung = j >= 2 && j < 18 && ((i >= 4 && i < 16) || (i >= 24 && i < 36));
        if (lung || (i >= 16 && i < 24 && j == 10 && k == 5))
            m->v[x] = PM_LABEL_LUNG;
    }
    return m;
}

TEST(failed_cut_of_touching_lungs_is_an_error_not_two_lungs)
{
    pm_mask *m = touching_lungs();
    int nlungs = -1;
    int rc = pm_seg_split_lungs(NULL, m, NULL, 26, 1.0, 0.1, &nlungs, NULL);
    CHECK(rc == PM_OK && nlungs == 2, "touching lungs: rc %d, %d lungs", rc, nlungs);
    pm_mask_free(m);
    /* Fail each hooked allocation in turn until the split needs none:
     * every failure is PM_EMEMORY with no lungs, and one is the cut's. */
    int cut_failed = 0, n;
    for (n = 0; n < 100; n++) {
        m = touching_lungs();
        pm_error_clear();
        pm_alloc_fail_after(n);
        nlungs = -1;
        rc = pm_seg_split_lungs(NULL, m, NULL, 26, 1.0, 0.1, &nlungs, NULL);
        pm_alloc_fail_after(-1);
        pm_mask_free(m);
        if (rc == PM_OK && nlungs == 2)
            break;
        CHECK(rc == PM_EMEMORY && nlungs == 0, "allocation %d failing: rc %d, %d lungs", n, rc,
              nlungs);
        cut_failed |= strstr(pm_error(), "splitting the lungs") != NULL;
    }
    CHECK(n < 100, "the split still fails after %d allocations", n);
    CHECK(cut_failed, "no run failed in the cut");
}

/* Marching cubes keeps each thread's planes from one slab to its next: a
 * failed allocation fails the surface (never a surface with a slab
 * missing), and what the thread had already allocated is neither lost
 * nor allocated again (LeakSanitizer checks that in `make test`). A
 * sphere of 21 slices: 11 slabs, so each thread makes several. */
TEST(failed_surface_allocation_is_an_error_and_leaks_nothing)
{
    pm_grid g;
    pm_grid_init(&g, 24, 24, 21, 1, 1, 1);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m != NULL, "mask allocation");
    for (size_t x = 0; x < pm_grid_voxels(&g); x++) {
        int i = (int)(x % 24) - 12, j = (int)(x / 24 % 24) - 12, k = (int)(x / 576) - 10;
        m->v[x] = i * i + j * j + k * k <= 81;
    }
    pm_mesh *ref = NULL, *out;
    CHECK(pm_mesh_from_mask(m, 1, &ref, NULL) == PM_OK && ref && ref->nf > 1000, "reference surface");
    int failed = 0, n;
    for (n = 0; n < 100; n++) {
        out = NULL;
        pm_error_clear();
        pm_alloc_fail_after(n);
        int rc = pm_mesh_from_mask(m, 1, &out, NULL);
        pm_alloc_fail_after(-1);
        if (rc == PM_OK) {
            CHECK(out && out->nf == ref->nf && out->nv == ref->nv &&
                      !memcmp(out->f, ref->f, 3 * ref->nf * sizeof *ref->f) &&
                      !memcmp(out->v, ref->v, 3 * ref->nv * sizeof *ref->v),
                  "allocation %d failing: a surface unlike the reference", n);
            pm_mesh_free(out);
            break;
        }
        CHECK(rc == PM_EMEMORY && !out && strstr(pm_error(), "out of memory"),
              "allocation %d failing: rc %d, '%s'", n, rc, pm_error());
        failed++;
    }
    CHECK(n < 100 && failed >= 2, "%d failures, the surface still fails after %d allocations", failed, n);
    pm_mesh_free(ref);
    pm_mask_free(m);
}

int main(void)
{
    RUN(otsu_out_of_memory_is_nan_with_a_reason);
    RUN(failed_cut_of_touching_lungs_is_an_error_not_two_lungs);
    RUN(failed_surface_allocation_is_an_error_and_leaks_nothing);
    return test_done();
}
