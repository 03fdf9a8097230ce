/* cmd_export.c - `pulmo export SERIES_DIR -o OUT.nii.gz`: the volume as
 * NIfTI or NRRD, in HU or normalised for machine learning. */
#include "cli.h"
#include "pulmo/io.h"
#include "pulmo/preprocess.h"
#include "pulmo/seg.h"
#include "pulmo/volfile.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char export_help[] =
    "usage: pulmo export SERIES_DIR -o OUT.nii[.gz]|OUT.nrrd [--normalized] [--zero-center]\n"
    "                    [--resample MM] [--series UID]\n\n"
    "Write the volume as NIfTI-1 (RAS affine) or NRRD (LPS): int16 HU, or with --normalized float32\n"
    "HU clipped to [-1000, 400] and scaled to [0, 1] (--zero-center subtracts 0.25).\n\n"
    "  -o, --output PATH    output file (.nii, .nii.gz or .nrrd; never inside SERIES_DIR)\n"
    "  --normalized         float32 in [0, 1]\n"
    "  --zero-center        with --normalized: subtract the mean 0.25\n"
    "  --resample MM        resample to MM isotropic first (trilinear)\n"
    "  --series UID         export this series of the folder\n"
    "  --max-memory SIZE    refuse volumes larger than SIZE\n"
    "  -h, --help           this help\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"normalized", no_argument, 0, 'n'},
        {"zero-center", no_argument, 0, 'z'}, {"resample", required_argument, 0, 'R'},
        {"series", required_argument, 0, 'u'}, {"max-memory", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *uid = NULL;
    int norm = 0, zc = 0, c;
    double mm = 0;
    pm_load_opts lo = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n': norm = 1; break;
        case 'z': zc = 1; break;
        case 'R':
            if (cli_opt_real("export", "resample", optarg, 0, 100, 1, "mm, > 0", &mm))
                return PM_EUSAGE;
            break;
        case 'u': uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &lo) != 0)
                return cli_usage("export", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(export_help, stdout); return PM_OK;
        default: return cli_usage("export", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("export", "expects one SERIES_DIR");
    if (!out)
        return cli_usage("export", "needs -o OUT.nii.gz");
    if (zc && !norm)
        return cli_usage("export", "--zero-center needs --normalized");
    size_t ol = strlen(out);
    if (pm_volfile_kind(out) != PM_VOLFILE_NIFTI && !(ol > 5 && !strcmp(out + ol - 5, ".nrrd")))
        return cli_usage("export", "the output must end in .nii, .nii.gz or .nrrd");
    pm_io_protect(argv[optind]);
    pm_volume *v;
    int rc = pm_load_dir(argv[optind], uid, &lo, &v, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "load failed");
    cli_print_warnings(v);
    if (mm > 0) {
        pm_volume *r;
        rc = pm_resample_volume(v, mm, &r, &cli_progress);
        pm_volume_free(v);
        if (rc != PM_OK)
            return cli_fail(rc, "resampling failed");
        v = r;
    }
    rc = pm_export_volume(v, out, norm, zc);
    if (rc == PM_OK)
        printf("wrote %s: %d x %d x %d, %.4g x %.4g x %.4g mm, %s\n", out, v->g.dim[0], v->g.dim[1],
               v->g.dim[2], v->g.spacing[0], v->g.spacing[1], v->g.spacing[2],
               norm ? (zc ? "float32 normalised, zero-centred" : "float32 normalised") : "int16 HU");
    pm_volume_free(v);
    return rc == PM_OK ? PM_OK : cli_fail(rc, "export failed");
}
