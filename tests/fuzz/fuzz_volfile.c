/* fuzz_volfile.c - one file through the MetaImage and NRRD readers: the
 * first byte picks the format (odd: .mha, data after the header; even:
 * .nrrd), the rest is the file. The memory cap keeps declared sizes from
 * reaching the allocator, as --max-memory does for users. */
#include "fuzz_common.h"
#include "pulmo/volfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *path = fuzz_write(data[0] & 1 ? "image.mha" : "image.nrrd", data + 1, size - 1);
    pm_load_opts o = {64u << 20};
    pm_volume *v = NULL;
    if (pm_volfile_load(path, &o, &v, NULL) == PM_OK)
        pm_volume_free(v);
    pm_dicom_header h;
    pm_volfile_header(path, &h);
    return 0;
}
