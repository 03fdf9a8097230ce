/* fuzz_nifti.c - one file through the NIfTI reader, as a mask and as a
 * volume, plain and (when the input is gzip) compressed. */
#include "fuzz_common.h"
#include "pulmo/nifti.h"
#include "pulmo/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    const char *path = fuzz_write(gz ? "image.nii.gz" : "image.nii", data, size);
    pm_mask *m = NULL;
    if (pm_nifti_read_mask(path, &m) == PM_OK)
        pm_mask_free(m);
    pm_volume *v = NULL;
    if (pm_nifti_read_volume(path, &v) == PM_OK)
        pm_volume_free(v);
    return 0;
}
