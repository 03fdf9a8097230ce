/* nrrd_write.c - NRRD output: one file, attached raw little-endian data,
 * geometry as LPS space directions and origin (what nrrd.c reads back and
 * 3D Slicer and ITK open). Numbers are written with 17 digits so that a
 * grid survives the round trip exactly.
 */
#include "pulmo/core.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"
#include "volfile_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pm__nrrd_write(const char *path, const pm_grid *g, int datatype, const void *data)
{
    const char *type = datatype == PM_NIFTI_UINT8 ? "uint8" : datatype == PM_NIFTI_INT16 ? "int16"
                     : datatype == PM_NIFTI_FLOAT32 ? "float" : NULL;
    if (!type)
        return pm_fail(PM_EUSAGE, "%s: NRRD output of data type %d is not supported", path, datatype);
    size_t esize = datatype == PM_NIFTI_UINT8 ? 1 : datatype == PM_NIFTI_INT16 ? 2 : 4;
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    fprintf(o.f, "NRRD0004\n# pulmo\ntype: %s\ndimension: 3\nspace: left-posterior-superior\n"
                 "sizes: %d %d %d\nspace directions:", type, g->dim[0], g->dim[1], g->dim[2]);
    for (int a = 0; a < 3; a++)
        fprintf(o.f, " (%.17g,%.17g,%.17g)", g->dir[3 * a] * g->spacing[a],
                g->dir[3 * a + 1] * g->spacing[a], g->dir[3 * a + 2] * g->spacing[a]);
    fprintf(o.f, "\nkinds: domain domain domain\nendian: little\nencoding: raw\n"
                 "space origin: (%.17g,%.17g,%.17g)\n\n", g->origin[0], g->origin[1], g->origin[2]);
    size_t n = pm_grid_voxels(g);
    if (fwrite(data, esize, n, o.f) != n) {
        int e = errno;
        pm_out_abort(&o);
        return pm_fail(PM_EWRITE, "%s: write failed: %s", path, strerror(e));
    }
    return pm_out_commit(&o);
}
