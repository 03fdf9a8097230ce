/* fuzz_stl.c - one file through the STL reader (binary and ASCII, vertex
 * welding), and the measurements of what it returns. */
#include "fuzz_common.h"
#include "pulmo/mesh.h"
#include "pulmo/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("mesh.stl", data, size);
    pm_mesh *m = NULL;
    if (pm_mesh_read_stl(path, &m) == PM_OK) {
        pm_mesh_stats s;
        pm_mesh_measure(m, &s);
        pm_mesh_free(m);
    }
    return 0;
}
