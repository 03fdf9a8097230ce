/* fuzz_rtstruct.c - one file through the RTSTRUCT reader, and every ROI
 * rasterized on a small tilted grid (contour coordinates are untrusted
 * numbers: huge, tiny, off the grid). */
#include "fuzz_common.h"
#include "pulmo/refmask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("rtstruct.dcm", data, size);
    pm_rtstruct *rs = NULL;
    if (pm_rtstruct_read(path, &rs) != PM_OK)
        return 0;
    pm_grid g;
    pm_grid_init(&g, 64, 64, 16, 8, 8, 3);
    g.origin[0] = g.origin[1] = -250;
    g.origin[2] = -200;
    pm_mask *m = pm_mask_new(&g);
    for (int i = 0; m && i < rs->nrois; i++)
        pm_rtstruct_fill(rs, i, (uint8_t)(i + 1), m, NULL);
    pm_mask_free(m);
    pm_rtstruct_free(rs);
    return 0;
}
