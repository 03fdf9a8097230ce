/* mesh_core.c - the mesh type's lifetime (the mesh module builds on it). */
#include "pulmo/mesh.h"

#include <stdlib.h>

void pm_mesh_free(pm_mesh *m)
{
    if (!m)
        return;
    free(m->v);
    free(m->f);
    free(m);
}
