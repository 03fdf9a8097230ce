/* test_viewmap.c - the core's two directions between slice-view pixels
 * and voxels (pm_slice_view_voxel, pm_slice_view_locate), which the TUI's
 * cursor and plane switches use: exact on plain grids whatever the storage
 * order, and within one voxel on a tilted series' resampled views (where
 * the TUI once let the cursor drift).
 */
#include "test.h"
#include "pulmo/render.h"

#include <math.h>
#include <stdlib.h>

static pm_grid grid(double tilt_deg, int flip_z)
{
    pm_grid g = {{24, 20, 40}, {0.9, 0.9, 2.0}, {-10, -8, 100}, {1, 0, 0, 0, 1, 0, 0, 0, 1}};
    double t = tilt_deg * M_PI / 180;
    /* Gantry tilt: slices step along z and a little along y. */
    g.dir[6] = 0, g.dir[7] = sin(t), g.dir[8] = cos(t);
    if (flip_z)
        for (int r = 6; r < 9; r++)
            g.dir[r] = -g.dir[r];
    return g;
}

static void check_exact(const pm_grid *g)
{
    for (int plane = 0; plane < 3; plane++)
        for (int k = 0; k < g->dim[2]; k += 3)
            for (int j = 0; j < g->dim[1]; j += 2)
                for (int i = 0; i < g->dim[0]; i++) {
                    int ijk[3] = {i, j, k}, back[3], n, u, v;
                    CHECK(pm_slice_view_locate(g, (pm_plane)plane, ijk, &n, &u, &v) == PM_OK, "locate");
                    pm_slice_view sv;
                    CHECK(pm_slice_view_init(g, (pm_plane)plane, n, &sv) == PM_OK, "slice %d", n);
                    CHECK(!sv.resample, "a plain grid is not resampled");
                    pm_slice_view_voxel(&sv, u, v, back);
                    CHECK(back[0] == i && back[1] == j && back[2] == k, "%s (%d,%d,%d) -> %d (%d,%d) -> (%d,%d,%d)",
                          pm_plane_name((pm_plane)plane), i, j, k, n, u, v, back[0], back[1], back[2]);
                }
}

TEST(plain_grids_map_both_ways_exactly)
{
    pm_grid g = grid(0, 0);
    check_exact(&g);
    g = grid(0, 1); /* slices stored head first */
    check_exact(&g);
}

TEST(tilted_series_views_map_back_within_one_voxel)
{
    pm_grid g = grid(20, 0);
    for (int plane = 1; plane < 3; plane++) {
        /* The planes' span along their normal (y coronal, x sagittal): a
         * voxel the tilt puts beyond it is in no slice of this view. */
        int pn = plane == PM_PLANE_CORONAL ? 1 : 0, worst = 0, checked = 0;
        pm_slice_view first, last;
        pm_slice_view_init(&g, (pm_plane)plane, 0, &first);
        pm_slice_view_init(&g, (pm_plane)plane, first.nslices - 1, &last);
        double c0[3], c1[3];
        pm_grid_to_lps(&g, first.o[0], first.o[1], first.o[2], c0);
        pm_grid_to_lps(&g, last.o[0], last.o[1], last.o[2], c1);
        for (int k = 0; k < g.dim[2]; k++)
            for (int j = 0; j < g.dim[1]; j++)
                for (int i = 0; i < g.dim[0]; i += 3) {
                    int ijk[3] = {i, j, k}, back[3], n, u, v;
                    double p[3];
                    pm_grid_to_lps(&g, i, j, k, p);
                    if (p[pn] < fmin(c0[pn], c1[pn]) || p[pn] > fmax(c0[pn], c1[pn]))
                        continue;
                    checked++;
                    CHECK(pm_slice_view_locate(&g, (pm_plane)plane, ijk, &n, &u, &v) == PM_OK, "locate");
                    pm_slice_view sv;
                    CHECK(pm_slice_view_init(&g, (pm_plane)plane, n, &sv) == PM_OK, "slice %d", n);
                    CHECK(sv.resample, "a tilted grid's %s view is resampled", pm_plane_name((pm_plane)plane));
                    pm_slice_view_voxel(&sv, u, v, back);
                    for (int a = 0; a < 3; a++)
                        if (abs(back[a] - ijk[a]) > worst)
                            worst = abs(back[a] - ijk[a]);
                }
        CHECK(checked > 1000, "%s: %d voxels inside the planes' span", pm_plane_name((pm_plane)plane), checked);
        CHECK(worst <= 1, "%s: a voxel came back %d voxels away", pm_plane_name((pm_plane)plane), worst);
    }
}

int main(void)
{
    RUN(plain_grids_map_both_ways_exactly);
    RUN(tilted_series_views_map_back_within_one_voxel);
    return test_done();
}
