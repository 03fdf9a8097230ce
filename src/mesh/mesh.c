/* mesh.c - the mesh type's lifetime: new, clone, free (the rest of the module builds on it). */
#include "pulmo/mesh.h"

#include <stdlib.h>
#include <string.h>

void pm_mesh_free(pm_mesh *m)
{
    if (!m)
        return;
    free(m->v);
    free(m->f);
    free(m);
}

pm_mesh *pm_mesh_new(size_t nv, size_t nf)
{
    pm_mesh *m = calloc(1, sizeof *m);
    if (m) {
        m->v = malloc((nv ? nv : 1) * 3 * sizeof(float));
        m->f = malloc((nf ? nf : 1) * 3 * sizeof(uint32_t));
        m->nv = nv;
        m->nf = nf;
    }
    if (!m || !m->v || !m->f) {
        pm_mesh_free(m);
        pm_fail(PM_EMEMORY, "out of memory for a mesh of %zu vertices", nv);
        return NULL;
    }
    return m;
}

pm_mesh *pm_mesh_clone(const pm_mesh *m)
{
    pm_mesh *c = pm_mesh_new(m->nv, m->nf);
    if (c) {
        memcpy(c->v, m->v, 3 * m->nv * sizeof(float));
        memcpy(c->f, m->f, 3 * m->nf * sizeof(uint32_t));
    }
    return c;
}
