/* viewmap.c - both directions between a slice view's pixels and voxels,
 * for cursors and plane switches: the front ends never invert the slice
 * numbering themselves (a resampled view of a tilted series is not a
 * plain index flip).
 */
#include "pulmo/render.h"

#include <math.h>

void pm_slice_view_voxel(const pm_slice_view *sv, int u, int v, int ijk[3])
{
    if (sv->resample) {
        /* The voxel nearest to the pixel's centre. */
        double x = (u + 0.5) * sv->u_mm, y = (v + 0.5) * sv->v_mm;
        for (int a = 0; a < 3; a++) {
            long i = lround(sv->o[a] + x * sv->a[a] + y * sv->b[a]);
            ijk[a] = i < 0 ? 0 : i >= sv->dim[a] ? sv->dim[a] - 1 : (int)i;
        }
        return;
    }
    ijk[sv->axis] = sv->index;
    ijk[sv->u_axis] = sv->u0 + u * sv->du;
    ijk[sv->v_axis] = sv->v0 + v * sv->dv;
}

static int clampi(long x, int n)
{
    return x < 0 ? 0 : x >= n ? n - 1 : (int)x;
}

int pm_slice_view_locate(const pm_grid *g, pm_plane plane, const int ijk[3], int *number, int *u, int *v)
{
    pm_slice_view s0;
    int rc = pm_slice_view_init(g, plane, 0, &s0);
    if (rc != PM_OK)
        return rc;
    if (!s0.resample) {
        *number = s0.index == 0 ? ijk[s0.axis] : s0.nslices - 1 - ijk[s0.axis];
        *u = clampi((long)(ijk[s0.u_axis] - s0.u0) * s0.du, s0.nu);
        *v = clampi((long)(ijk[s0.v_axis] - s0.v0) * s0.dv, s0.nv);
        return PM_OK;
    }
    /* Resampled planes are patient-aligned: coronal at constant y,
     * sagittal at constant x, with screen axes as pm_slice_view_init sets
     * them (x, or y, across; z down, superior up). */
    int pn = plane == PM_PLANE_CORONAL ? 1 : 0, pu = plane == PM_PLANE_CORONAL ? 0 : 1, pv = 2;
    double p[3], c0[3], c1[3];
    pm_grid_to_lps(g, ijk[0], ijk[1], ijk[2], p);
    /* Pixel (0, 0)'s corner is o in voxel space; the plane of slice n lies
     * at the patient coordinate of slice 0's plus n steps. */
    pm_grid_to_lps(g, s0.o[0], s0.o[1], s0.o[2], c0);
    int n = 0;
    if (s0.nslices > 1) {
        pm_slice_view s1;
        if ((rc = pm_slice_view_init(g, plane, 1, &s1)) != PM_OK)
            return rc;
        pm_grid_to_lps(g, s1.o[0], s1.o[1], s1.o[2], c1);
        double step = c1[pn] - c0[pn];
        n = fabs(step) > 1e-9 ? clampi(lround((p[pn] - c0[pn]) / step), s0.nslices) : 0;
    }
    *number = n;
    /* Screen across grows with +x (coronal) or +y (sagittal); down with -z. */
    *u = clampi((long)floor((p[pu] - c0[pu]) / s0.u_mm), s0.nu);
    *v = clampi((long)floor((c0[pv] - p[pv]) / s0.v_mm), s0.nv);
    return PM_OK;
}
