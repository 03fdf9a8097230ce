/* cmd_phantom.c - `pulmo phantom OUTDIR`: write synthetic chest CT series
 * with their ground truth. */
#include "cli.h"
#include "pulmo/phantom.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char phantom_help[] =
    "usage: pulmo phantom OUTDIR [--all | --patient NAME] [--truth DIR] [--seed N]\n"
    "                    [--noise SIGMA] [--list]\n\n"
    "Write synthetic chest CT phantoms as DICOM series into OUTDIR/<NAME>/<series>/\n"
    "and their ground truth (NAME.labels.nii.gz: 1 right lung, 2 left lung,\n"
    "3 airway, 4 nodule; NAME.structures.nii.gz: 1 vessel, 2 bronchial wall in the\n"
    "lungs; NAME.json: volumes in mL) into the truth folder.\n\n"
    "  --all            every standard phantom (the default)\n"
    "  --patient NAME   only this standard phantom (see --list)\n"
    "  --truth DIR      ground-truth folder (default: OUTDIR/../truth)\n"
    "  --seed N         another random anatomy (vessels, nodules, noise)\n"
    "  --noise SIGMA    Gaussian noise in HU instead of the phantom's own\n"
    "  --list           list the standard phantoms and exit\n"
    "  -h, --help       this help\n";

static void phantom_list(void)
{
    for (int i = 0; i < pm_phantom_standard_count(); i++) {
        pm_phantom_spec s;
        pm_phantom_standard(i, &s);
        printf("%-11s %dx%dx%d  %.2f x %.2f mm  %s  slope %g  noise %g  %s\n", s.name, s.nx, s.ny,
               s.nz, s.pixel_mm, s.slice_mm, s.feet_first ? "FFS" : "HFS",
               s.slope, s.noise, s.description);
    }
}

/* OUTDIR/../truth without resolving links: the parent of the last
 * component. */
static void default_truth(const char *out, char *buf, size_t cap)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", out);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = 0;
    char *slash = strrchr(tmp, '/');
    if (!slash)
        snprintf(buf, cap, "truth");
    else if (slash == tmp)
        snprintf(buf, cap, "/truth");
    else {
        *slash = 0;
        snprintf(buf, cap, "%.4000s/truth", tmp);
    }
}

int cmd_phantom(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, 0, 'a'}, {"patient", required_argument, 0, 'p'},
        {"truth", required_argument, 0, 't'}, {"seed", required_argument, 0, 's'},
        {"noise", required_argument, 0, 'n'}, {"list", no_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *patient = NULL, *truth = NULL;
    int have_seed = 0, have_noise = 0, c;
    uint64_t seed = 0;
    double noise = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': patient = NULL; break;
        case 'p': patient = optarg; break;
        case 't': truth = optarg; break;
        case 's':
            if (cli_opt_u64("phantom", "seed", optarg, 0, "a number >= 0", &seed))
                return PM_EUSAGE;
            have_seed = 1;
            break;
        case 'n':
            if (cli_opt_real("phantom", "noise", optarg, 0, 500, 0, "0..500 HU", &noise))
                return PM_EUSAGE;
            have_noise = 1;
            break;
        case 'l': phantom_list(); return PM_OK;
        case 'h': fputs(phantom_help, stdout); return PM_OK;
        default: return cli_usage("phantom", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("phantom", "expects one OUTDIR");
    const char *out = argv[optind];
    char tbuf[4096];
    if (!truth) {
        default_truth(out, tbuf, sizeof tbuf);
        truth = tbuf;
    }
    pm_phantom_spec spec;
    if (patient && pm_phantom_find(patient, &spec) != PM_OK)
        return cli_usage("phantom", "unknown patient '%s' (see --list)", patient);
    int n = patient ? 1 : pm_phantom_standard_count();
    for (int i = 0; i < n; i++) {
        if (!patient)
            pm_phantom_standard(i, &spec);
        if (have_seed)
            spec.seed = seed;
        if (have_noise)
            spec.noise = noise;
        double t0 = pm_now();
        int rc = pm_phantom_write(&spec, NULL, out, truth, &cli_progress);
        if (rc != PM_OK)
            return cli_fail(rc, "phantom failed");
        fprintf(stderr, "pulmo: %s written to %s/%s (truth in %s) in %.1f s\n", spec.name, out,
                spec.name, truth, pm_now() - t0);
    }
    return PM_OK;
}
