/* test_pleura.c - the closing on the pleural side (pleura.c): what the
 * ball closing adds is kept within wall_mm deeper than the patient's own
 * chest wall, and taken back deeper in the trunk. A box of a lung in a box
 * of a body, 1 mm voxels, 12 mm from the image's first and last slices
 * (a lung the scan cuts is closed against its end): the lung's shallowest
 * face is 10 mm under the skin; a groove in that face (a juxtapleural nodule's dent) is filled,
 * one as narrow in its deep face (the hilum's side) is 30 mm under the skin
 * and left open. */
#include "test.h"
#include "pulmo/seg.h"

#include <string.h>

#define NX 150
#define NY 80
#define NZ 40

static size_t at(int i, int j, int k) { return (size_t)i + (size_t)NX * ((size_t)j + (size_t)NY * k); }

/* Grooves 4 mm wide and deep, the whole lung's height, in the middle of
 * its y extent: at the lung's face x = 20 (shallow) and x = 100 (deep). */
static int in_groove(int i, int j, int shallow)
{
    return j >= 38 && j < 42 && (shallow ? i >= 20 && i < 24 : i >= 96 && i < 100);
}

static pm_mask *chest(void)
{
    pm_grid g;
    pm_grid_init(&g, NX, NY, NZ, 1, 1, 1);
    pm_mask *m = pm_mask_new(&g);
    CHECK(m != NULL, "mask allocation");
    for (int k = 0; k < NZ; k++)
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++) {
                int body = i >= 10 && i < 140 && j >= 10 && j < 70;
                int lung = i >= 20 && i < 100 && j >= 20 && j < 60 && k >= 12 && k < 28;
                m->v[at(i, j, k)] = !body ? PM_LABEL_OUTSIDE
                                  : lung && !in_groove(i, j, 1) && !in_groove(i, j, 0) ? PM_LABEL_RIGHT
                                                                                       : 0;
            }
    return m;
}

/* Voxels of the groove's core labelled l, and their number: away from the
 * lung's top and bottom, and from the lung's face, where the ball does
 * not fill it (its mouth stays open by a voxel). */
static int groove_count(const pm_mask *m, int shallow, uint8_t l, int *total)
{
    int n = 0;
    *total = 0;
    for (int k = 16; k < 24; k++)
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++)
                if (in_groove(i, j, shallow) && i != (shallow ? 20 : 99)) {
                    (*total)++;
                    n += m->v[at(i, j, k)] == l;
                }
    return n;
}

TEST(closing_keeps_what_it_adds_near_the_chest_wall_only)
{
    /* Without the wall limit both grooves are filled. */
    pm_mask *m = chest();
    CHECK(pm_seg_close_pleural(m, 5, 0, 0, NULL) == PM_OK, "%s", pm_error());
    int total, shallow = groove_count(m, 1, PM_LABEL_RIGHT, &total), deep = groove_count(m, 0, PM_LABEL_RIGHT, &total);
    CHECK(total == 96 && shallow == total && deep == total, "no limit: %d and %d of %d groove voxels filled",
          shallow, deep, total);
    pm_mask_free(m);
    /* With it (10 mm deeper than the 10 mm wall), the deep groove's every
     * voxel goes back to 0, the shallow one stays filled, and nothing
     * else differs from the closing without the limit. */
    pm_mask *full = chest();
    CHECK(pm_seg_close_pleural(full, 5, 0, 0, NULL) == PM_OK, "%s", pm_error());
    m = chest();
    CHECK(pm_seg_close_pleural(m, 5, 0, 10, NULL) == PM_OK, "%s", pm_error());
    shallow = groove_count(m, 1, PM_LABEL_RIGHT, &total);
    deep = groove_count(m, 0, 0, &total);
    CHECK(shallow == total && deep == total, "wall 10 mm: shallow groove %d of %d filled, deep %d of %d open",
          shallow, total, deep, total);
    size_t other = 0;
    for (int k = 0; k < NZ; k++)
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++)
                other += !in_groove(i, j, 0) && m->v[at(i, j, k)] != full->v[at(i, j, k)];
    CHECK(other == 0, "%zu voxels outside the deep groove differ from the unlimited closing", other);
    pm_mask_free(full);
    pm_mask_free(m);
}

int main(void)
{
    RUN(closing_keeps_what_it_adds_near_the_chest_wall_only);
    return test_done();
}
