/* fuzz_dicom.c - one file through the GDCM adapter: header, then pixels.
 *
 * The image size is capped as pm_series_load caps it (its --max-memory
 * check runs before any pixel buffer exists), so the fuzzer explores the
 * decoders rather than the allocator.
 */
#include "fuzz_common.h"
#include "pulmo/dicom.h"
#include "pulmo/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("slice.dcm", data, size);
    pm_dicom_header h;
    if (pm_dicom_read_header(path, &h) != PM_OK)
        return 0;
    if (h.rows <= 0 || h.cols <= 0 || (long long)h.rows * h.cols > 4096LL * 4096)
        return 0;
    int32_t *px = malloc((size_t)h.rows * (size_t)h.cols * sizeof *px);
    if (!px)
        return 0;
    pm_dicom_read_pixels(path, &h, px);
    free(px);
    return 0;
}
