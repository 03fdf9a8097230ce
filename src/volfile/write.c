/* write.c - volume and mask files in the format their name says, as meshes
 * do with pm_mesh_format_for: a new format is one writer function in its
 * own file and one row in pm__writers below.
 */
#include "pulmo/volfile.h"
#include "pulmo/core.h"
#include "pulmo/nifti.h"
#include "volfile_internal.h"

#include <string.h>
#include <strings.h>

typedef int (*pm__writer)(const char *path, const pm_grid *g, int datatype, const void *data);

static const struct {
    int kind;
    const char *ext;       /* what the writer writes, for the error message */
    pm__writer write;
} pm__writers[] = {
    {PM_VOLFILE_NIFTI, ".nii.gz, .nii", pm_nifti_write},
    {PM_VOLFILE_NRRD, ".nrrd", pm__nrrd_write},
};

int pm_volfile_write(const char *path, const pm_grid *g, int datatype, const void *data)
{
    int kind = pm_volfile_kind(path);
    size_t n = strlen(path);
    /* A detached header (.nhdr, .mhd) would need a second file to commit
     * together with it; only one-file forms are written. */
    int detached = n > 5 && (!strcasecmp(path + n - 5, ".nhdr") || !strcasecmp(path + n - 4, ".mhd"));
    char names[80] = "";
    for (size_t i = 0; i < sizeof pm__writers / sizeof *pm__writers; i++) {
        if (pm__writers[i].kind == kind && !detached)
            return pm__writers[i].write(path, g, datatype, data);
        strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
        strncat(names, pm__writers[i].ext, sizeof names - strlen(names) - 1);
    }
    return pm_fail(PM_EUSAGE, "%s: cannot write this format (the name must end in %s)", path, names);
}

int pm_volfile_write_mask(const char *path, const pm_mask *m)
{
    return pm_volfile_write(path, &m->g, PM_NIFTI_UINT8, m->v);
}

int pm_volfile_write_volume(const char *path, const pm_volume *v)
{
    return pm_volfile_write(path, &v->g, PM_NIFTI_INT16, v->hu);
}
