/* fuzz_pth.c - a PyTorch weight file through the .pth reader (zip, pickle,
 * tensors) and, when it parses, through building the U-Net from it (names
 * and shapes checked against the network's layout). In memory: the reader's
 * own entry point, no file needed. */
#include "fuzz_common.h"
#include "pulmo/pth.h"
#include "pulmo/unet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pm_pth *w = NULL;
    if (pm_pth_parse(data, size, "fuzz.pth", &w) != PM_OK)
        return 0;
    pm_unet *net = NULL;
    if (pm_unet_from_pth(w, "fuzz.pth", &net) == PM_OK)
        pm_unet_free(net);
    pm_pth_free(w);
    return 0;
}
