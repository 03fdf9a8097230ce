/* test_view.c - the slice viewer's geometry (src/tui/view.c), which needs no
 * terminal: the fit of a plane in the picture, plane <-> voxel round trips,
 * clamped slice numbers, and that the pixel view_uv_to_px names for a voxel
 * is where view_render draws that voxel, at several zooms and pans.
 */
#include "test.h"
#include "../src/tui/view.h"

#include <math.h>

/* 12 x 10 x 6 voxels of 1 x 1 x 2.5 mm, all -1000 HU. */
static pm_volume *dark_volume(void)
{
    pm_grid g;
    pm_grid_init(&g, 12, 10, 6, 1, 1, 2.5);
    pm_volume *v = pm_volume_new(&g);
    if (v)
        for (size_t n = 0; n < 12 * 10 * 6; n++)
            v->hu[n] = -1000;
    return v;
}

static tui_view axial_view(const pm_grid *g, int fbw, int fbh, double zoom)
{
    tui_view w = {0};
    w.plane = PM_PLANE_AXIAL;
    w.slice = 3;
    w.aspect = 1;
    w.win = (pm_window){2000, 0};
    w.mm_per_px = view_fit_mm_per_px(g, w.plane, fbw, fbh, w.aspect) / zoom;
    w.cu = 12 * 1.0 / 2;
    w.cv = 10 * 1.0 / 2;
    return w;
}

TEST(fit_keeps_the_whole_plane_in_the_picture)
{
    pm_grid g;
    pm_grid_init(&g, 12, 10, 6, 1, 1, 2.5);
    /* 12 mm across 24 px and 10 mm down 40 px: the width decides. */
    CHECK(fabs(view_fit_mm_per_px(&g, PM_PLANE_AXIAL, 24, 40, 1) - 0.5) < 1e-12, "axial fit 0.5 mm/px");
    /* Pixels twice as tall as wide: 10 mm down 10 rows of 2 px. */
    CHECK(fabs(view_fit_mm_per_px(&g, PM_PLANE_AXIAL, 100, 10, 2) - 0.5) < 1e-12, "tall pixels fit the height");
    /* Coronal: 12 mm across, 6 slices of 2.5 = 15 mm down. */
    CHECK(fabs(view_fit_mm_per_px(&g, PM_PLANE_CORONAL, 100, 30, 1) - 0.5) < 1e-12, "coronal fit by its 15 mm");
}

TEST(plane_and_voxel_round_trip_on_every_plane)
{
    pm_grid g;
    pm_grid_init(&g, 12, 10, 6, 1, 1, 2.5);
    pm_plane planes[3] = {PM_PLANE_AXIAL, PM_PLANE_CORONAL, PM_PLANE_SAGITTAL};
    for (int p = 0; p < 3; p++) {
        int nu, nv, ns;
        double su, sv;
        view_plane_dims(&g, planes[p], &nu, &nv, &ns, &su, &sv);
        CHECK(nu * nv * ns == 12 * 10 * 6, "plane %d covers the volume (%d x %d x %d)", p, nu, nv, ns);
        for (int s = 0; s < ns; s += 2)
            for (int v = 0; v < nv; v += 3)
                for (int u = 0; u < nu; u += 5) {
                    int ijk[3], s2, u2, v2;
                    view_plane_ijk(&g, planes[p], s, u, v, ijk);
                    view_ijk_plane(&g, planes[p], ijk, &s2, &u2, &v2);
                    CHECK(s2 == s && u2 == u && v2 == v, "plane %d (%d,%d,%d) -> (%d,%d,%d) -> (%d,%d,%d)", p, s,
                          u, v, ijk[0], ijk[1], ijk[2], s2, u2, v2);
                }
    }
}

TEST(slice_numbers_are_clamped_to_the_volume)
{
    pm_grid g;
    pm_grid_init(&g, 12, 10, 6, 1, 1, 2.5);
    tui_view w = {0};
    w.plane = PM_PLANE_AXIAL;
    pm_slice_view sv0, sv, svn;
    w.slice = 0;
    view_slice(&g, &w, &sv0);
    w.slice = -7;
    view_slice(&g, &w, &sv);
    CHECK(sv.number == sv0.number, "slice -7 shows slice 0");
    w.slice = 5;
    view_slice(&g, &w, &svn);
    w.slice = 99;
    view_slice(&g, &w, &sv);
    CHECK(sv.number == svn.number && sv.number == 5 && sv0.number == 0, "slice 99 shows the last slice");
    int a[3], b[3];
    view_plane_ijk(&g, PM_PLANE_AXIAL, 99, 2, 3, a);
    view_plane_ijk(&g, PM_PLANE_AXIAL, 5, 2, 3, b);
    CHECK(memcmp(a, b, sizeof a) == 0, "a plane position past the last slice is on the last slice");
}

/* Lights voxel (u, v) of the shown slice, renders, and checks the pixel
 * view_uv_to_px names is lit and a neighbour's centre is dark. */
static void check_lit(pm_volume *vol, const tui_view *w, pm_fb *fb, int u, int v)
{
    int ijk[3];
    view_plane_ijk(&vol->g, w->plane, w->slice, u, v, ijk);
    size_t at = ((size_t)ijk[2] * vol->g.dim[1] + (size_t)ijk[1]) * vol->g.dim[0] + (size_t)ijk[0];
    vol->hu[at] = 1000;
    view_render(fb, pm_fb_rect(fb), vol, NULL, w);
    vol->hu[at] = -1000;
    double px, py, qx, qy;
    view_uv_to_px(w, &vol->g, fb->w, fb->h, u, v, &px, &py);
    view_uv_to_px(w, &vol->g, fb->w, fb->h, u + 1, v, &qx, &qy);
    CHECK(px >= 0 && py >= 0 && px < fb->w && py < fb->h, "voxel (%d,%d) at (%.1f,%.1f) is in the picture", u, v,
          px, py);
    CHECK(fabs(qx - px - 1 / w->mm_per_px) < 1e-9 && qy == py, "one voxel right is 1/mm_per_px pixels right");
    const uint8_t *c = fb->rgb + 3 * ((size_t)(int)py * fb->w + (size_t)(int)px);
    CHECK(c[0] > 200, "voxel (%d,%d) drawn at (%d,%d): grey %d, zoom %.2f mm/px, centre (%.1f,%.1f)", u, v,
          (int)px, (int)py, c[0], w->mm_per_px, w->cu, w->cv);
    if (qx < fb->w) {
        c = fb->rgb + 3 * ((size_t)(int)qy * fb->w + (size_t)(int)qx);
        CHECK(c[0] < 60, "its right neighbour at (%d,%d) is dark, grey %d", (int)qx, (int)qy, c[0]);
    }
}

TEST(pixel_of_a_voxel_is_where_it_is_drawn_at_several_zooms_and_pans)
{
    pm_volume *vol = dark_volume();
    pm_fb *fb = pm_fb_new(96, 80, 0);
    CHECK(vol && fb, "allocation");
    double zooms[3] = {1, 2, 4};
    for (int z = 0; z < 3; z++) {
        tui_view w = axial_view(&vol->g, fb->w, fb->h, zooms[z]);
        check_lit(vol, &w, fb, 5, 4);
        check_lit(vol, &w, fb, 6, 5);
        /* Pan: the view centre on voxel (2, 7)'s centre puts it mid-picture. */
        w.cu = 2.5, w.cv = 7.5;
        double px, py;
        view_uv_to_px(&w, &vol->g, fb->w, fb->h, 2, 7, &px, &py);
        CHECK(px == fb->w / 2.0 && py == fb->h / 2.0, "panned centre voxel at the middle, got (%.1f,%.1f)", px, py);
        check_lit(vol, &w, fb, 2, 7);
    }
    pm_fb_free(fb);
    pm_volume_free(vol);
}

int main(void)
{
    RUN(fit_keeps_the_whole_plane_in_the_picture);
    RUN(plane_and_voxel_round_trip_on_every_plane);
    RUN(slice_numbers_are_clamped_to_the_volume);
    RUN(pixel_of_a_voxel_is_where_it_is_drawn_at_several_zooms_and_pans);
    return test_done();
}
