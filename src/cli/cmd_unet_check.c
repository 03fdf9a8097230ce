/* cmd_unet_check.c - `pulmo unet-check FILE.pth`: load a lungmask U-Net
 * weight file and print the architecture found, or why it is unusable. */
#include "cli.h"
#include "pulmo/text.h"
#include "pulmo/unet.h"

#include <getopt.h>
#include <stdio.h>

static const char unet_check_help[] =
    "usage: pulmo unet-check FILE.pth [--json]\n\n"
    "Read a lungmask U-Net weight file (PyTorch zip format, a saved state_dict such\n"
    "as lungmask's unet_r231 or unet_ltrclobes) and print the architecture found:\n"
    "depth, channel widths, classes and parameter count. A damaged or foreign file\n"
    "exits with status 3 and the reason.\n\n"
    "  --json      print JSON\n"
    "  -h, --help  this help\n";

int cmd_unet_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'h': fputs(unet_check_help, stdout); return PM_OK;
        default: return cli_usage("unet-check", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("unet-check", "expects one FILE.pth");
    const char *path = argv[optind];
    pm_unet *net;
    int rc = pm_unet_load(path, &net);
    if (rc != PM_OK)
        return cli_fail(rc, "cannot read the weight file");
    pm_unet_info in;
    pm_unet_describe(net, &in);
    pm_unet_free(net);
    if (json) {
        pm_json j;
        pm_json_init(&j, stdout, 1);
        pm_json_object_begin(&j, NULL);
        cli_json_ok(&j);
        pm_json_string(&j, "file", path);
        pm_json_int(&j, "depth", in.depth);
        pm_json_int(&j, "in_channels", in.in_channels);
        pm_json_int(&j, "n_classes", in.n_classes);
        pm_json_array_begin(&j, "widths");
        for (int i = 0; i < in.depth; i++)
            pm_json_int(&j, NULL, in.widths[i]);
        pm_json_array_end(&j);
        pm_json_int(&j, "parameters", in.params);
        pm_json_int(&j, "parameters_used", in.params_used);
        pm_json_number(&j, "gmac_per_slice", in.macs_256 / 1e9);
        pm_json_object_end(&j);
        pm_json_end(&j);
        return PM_OK;
    }
    char clean[512];
    pm_text_clean(clean, sizeof clean, path);
    printf("file         %s\n", clean);
    printf("network      lungmask U-Net, depth %d, %d input channel%s, %d classes\n", in.depth,
           in.in_channels, in.in_channels == 1 ? "" : "s", in.n_classes);
    printf("widths      ");
    for (int i = 0; i < in.depth; i++)
        printf(" %d", in.widths[i]);
    printf("\nparameters   %lld (%lld used by the forward pass)\n", (long long)in.params,
           (long long)in.params_used);
    printf("compute      %.1f GMAC per 256x256 slice\n", in.macs_256 / 1e9);
    return PM_OK;
}
