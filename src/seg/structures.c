/* structures.c - structures inside the lungs (vessels, bronchial walls,
 * nodules): the filled lung minus the aerated lung.
 *
 * The tutorial subtracts the lung mask without its per-slice fill from the
 * one with it. Recipes differ in whether their final mask already holds the
 * vessels (a 3D closing takes them in) or leaves them as holes, so this
 * works from the final mask alone: fill the lungs' holes, then keep the
 * voxels denser than aerated lung. The fill is 3D, not per slice: on a
 * slice through a diaphragm dome the liver is a hole in the lung, but in 3D
 * it opens into the abdomen. Voxels within margin_mm of the lung surface
 * are left alone, since partial volume with the chest wall makes them
 * dense without being a vessel.
 */
#include "pulmo/seg.h"

#include <stdlib.h>

int pm_seg_structures(const pm_volume *v, pm_mask *m, double hu, double margin_mm,
                      uint64_t *voxels, const pm_progress *p)
{
    size_t n = pm_grid_voxels(&m->g);
    if (v->g.dim[0] != m->g.dim[0] || v->g.dim[1] != m->g.dim[1] || v->g.dim[2] != m->g.dim[2])
        return pm_fail(PM_EUSAGE, "structures: the mask and the volume differ in size");
    pm_mask *filled = pm_mask_new(&m->g);
    if (!filled)
        return PM_EMEMORY;
    for (size_t x = 0; x < n; x++)
        filled->v[x] = m->v[x] == PM_LABEL_RIGHT || m->v[x] == PM_LABEL_LEFT;
    int rc = pm_seg_fill_holes(filled, 1, 6, 0, p);
    if (rc == PM_OK && margin_mm > 0)
        rc = pm_seg_erode(filled, 1, 1, margin_mm, p);
    uint64_t count = 0;
    if (rc == PM_OK)
        for (size_t x = 0; x < n; x++)
            if (filled->v[x] && m->v[x] != PM_LABEL_AIRWAY && v->hu[x] > hu) {
                m->v[x] = PM_LABEL_STRUCTURES;
                count++;
            }
    pm_mask_free(filled);
    if (rc == PM_OK && voxels)
        *voxels = count;
    return rc;
}
