/* cmd_segment.c - `pulmo segment SERIES_DIR -o OUTDIR`: segment the lungs of
 * one series, write mask.nii.gz and report.json, print the report. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/dcmout.h"
#include "pulmo/io.h"
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/unet.h"
#include "pulmo/volfile.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char segment_help[] =
    "usage: pulmo segment SERIES_DIR -o OUTDIR [--recipe NAME] [--resample MM]\n"
    "                     [--set STEP.PARAM=VALUE ...] [--json] [--series UID]\n"
    "                     [--weights FILE.pth] [--threads N] [--structures]\n"
    "                     [--dicom-seg OUT.dcm]\n"
    "       pulmo segment dicom://AET@host:port/SERIES_UID -o OUTDIR [...]\n"
    "       pulmo segment --list-recipes\n\n"
    "Segment the lungs and write OUTDIR/mask.nii.gz (uint8: 1 right lung, 2 left lung,\n"
    "3 airway; recipes that do not split sides write 1 for lung) and OUTDIR/report.json\n"
    "(volumes, densities, timings), then print the report.\n\n"
    "  -o, --output OUTDIR   output folder (created; never inside SERIES_DIR)\n"
    "  --recipe NAME         default (pulmo's), tutorial, otsu or unet (lungmask's U-Net)\n"
    "  --weights FILE.pth    U-Net weights for --recipe unet (else PULMO_WEIGHTS or\n"
    "                        $XDG_CONFIG_HOME/pulmo/weights)\n"
    "  --threads N           worker threads (default: PULMO_THREADS or all CPUs)\n"
    "  --resample MM         resample to MM isotropic first (trilinear)\n"
    "  --set S.P=V           change parameter P of step S (repeatable)\n"
    "  --list-recipes        print every recipe's steps and parameters\n"
    "  --structures          also label 5: vessels and other structures inside the\n"
    "                        lungs (filled lung above -500 HU); lung_ml still counts them\n"
    "  --dicom-seg OUT.dcm   also write the lungs and airway as a DICOM Segmentation\n"
    "                        referencing the series' images (DICOM series only, on\n"
    "                        their own grid: not with --resample)\n"
    "  --mesh OUT.stl        also write the lungs' surface (.stl, .obj or .ply) from\n"
    "                        the mask just made, on its grid (LPS mm, as pulmo mesh)\n"
    "  --smooth ITER         with --mesh: Taubin smoothing passes (default 0)\n"
    "  --decimate RATIO      with --mesh: keep about RATIO of the triangles\n"
    "  --json                print the report as JSON\n"
    "  --series UID          segment this series of the folder\n"
    "  --max-memory SIZE     refuse volumes larger than SIZE\n"
    "  --push                dicom:// only: send OUTDIR/seg.dcm (DICOM SEG) and\n"
    "                        OUTDIR/sheet.dcm (Secondary Capture) into the study\n"
    CLI_NET_HELP
    "  -h, --help            this help\n\n"
    "Exit 6 when no lungs are found (the report then says so). A series of one or\n"
    "two slices is segmented in 2-D: lung areas in cm2, no volumes (warning\n"
    "single_slice). Lungs reaching the first or last slice, a side of the\n"
    "image or the edge of the scanner's field of view get the warning\n"
    "partial_coverage (apex, base, both, or sides cut off: the volumes are\n"
    "lower bounds).\n";

void cli_list_recipes(FILE *f)
{
    for (int i = 0; i < pm_recipe_count(); i++) {
        pm_recipe r;
        pm_recipe_init(&r, pm_recipe_name_at(i));
        fprintf(f, "%s%s: %s\n", i ? "\n" : "", r.name, r.help);
        for (int s = 0; s < r.nsteps; s++) {
            const pm_step *st = &r.steps[s];
            fprintf(f, "  %d. %-16s %s\n", s + 1, st->name, st->help);
            for (int q = 0; q < st->nparams; q++) {
                const pm_param *p = &st->params[q];
                char def[40];
                snprintf(def, sizeof def, "%s.%s=%g", st->name, p->name, p->def);
                fprintf(f, "       %-28s %s (%g..%g)\n", def, p->help, p->min, p->max);
            }
        }
    }
}

static void fmt_ml(char *b, size_t n, double v)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%.1f mL", v);
}

/* One line per lung third, upper first. */
static void print_zones(const pm_lung_measures *m)
{
    static const char *const zname[PM_ZONES] = {"upper", "middle", "lower"};
    for (int l = 0; l < (m->sides ? 2 : 1); l++)
        for (int z = 0; z < PM_ZONES; z++) {
            const pm_zone_measures *zm = &m->zones[l][z];
            char side[16];
            snprintf(side, sizeof side, "%s %s", !m->sides ? "lung" : l ? "left" : "right", zname[z]);
            if (zm->ml <= 0)    /* a lung that was not found has no densities */
                printf("%-12s %7.1f mL\n", side, zm->ml);
            else
                printf("%-12s %7.1f mL, mean %.1f HU, LAA%%-950 %.2f %%, Perc15 %.0f HU\n", side, zm->ml,
                       zm->mean_hu, zm->laa950_pct, zm->perc15_hu);
        }
}

void cli_print_report(const pm_segment_report *r)
{
    char a[32], b[32], c[32];
    printf("recipe       %s\n", r->recipe.name);
    printf("series       %s\n", r->series_dir);
    printf("grid         %d x %d x %d, %.4g x %.4g x %.4g mm\n", r->dim[0], r->dim[1], r->dim[2],
           r->spacing[0], r->spacing[1], r->spacing[2]);
    if (r->status == PM_ENOLUNG) {
        printf("lungs        none found\n");
    } else if (r->status == PM_OK && r->flat) {
        /* One or two slices: cross-sections, never a volume. */
        for (int k = 0; k < r->flat && k < 2; k++) {
            const double *ar = r->area_cm2[k];
            if (r->m.sides)
                printf("lung area    slice %d of %d: %.1f cm2 (right %.1f cm2, left %.1f cm2), airway %.1f cm2\n",
                       k + 1, r->flat, ar[0], ar[1], ar[2], ar[3]);
            else
                printf("lung area    slice %d of %d: %.1f cm2, airway %.1f cm2\n", k + 1, r->flat, ar[0], ar[3]);
        }
        printf("density      mean %.1f HU, LAA%%-950 %.2f %%, Perc15 %.0f HU\n", r->m.mean_hu,
               r->m.laa950_pct, r->m.perc15_hu);
    } else if (r->status == PM_OK) {
        fmt_ml(a, sizeof a, r->m.lung_ml);
        if (r->m.sides) {
            fmt_ml(b, sizeof b, r->m.right_ml);
            fmt_ml(c, sizeof c, r->m.left_ml);
            printf("lungs        %s (right %s, left %s)\n", a, b, c);
        } else {
            printf("lungs        %s (sides not separated by this recipe)\n", a);
        }
        fmt_ml(a, sizeof a, r->m.airway_ml);
        if (r->airway.found)
            printf("airway       %s (grown up to %.0f HU)\n", a, r->airway.threshold_hu);
        else
            printf("airway       not labelled\n");
        printf("density      mean %.1f HU, LAA%%-950 %.2f %%, Perc15 %.0f HU\n", r->m.mean_hu,
               r->m.laa950_pct, r->m.perc15_hu);
        print_zones(&r->m);
        printf("components   %d\n", r->m.components);
        if (r->structures)
            printf("structures   %.1f mL inside the lungs (label 5)\n", r->structures_ml);
        if (r->mesh_triangles)
            printf("mesh         %zu triangles, %.1f mL\n", r->mesh_triangles, r->mesh_ml);
    }
    printf("seconds      load %.3f", r->seconds_load);
    if (r->seconds_resample > 0)
        printf(", resample %.3f", r->seconds_resample);
    for (int s = 0; s < r->recipe.nsteps; s++)
        printf(", %s %.3f", r->recipe.steps[s].name, r->seconds_step[s]);
    printf(", measure %.3f, write %.3f", r->seconds_measure, r->seconds_write);
    if (r->mesh_triangles)
        printf(", mesh %.3f", r->seconds_mesh);
    printf(", total %.3f\n", r->seconds_total);
    for (int w = 0; w < r->nwarnings; w++)
        printf("warning      %s\n", r->warnings[w]);
}

void cli_print_coverage(const pm_segment_report *r)
{
    for (int w = 0; w < r->nwarnings; w++)
        if (!strncmp(r->warnings[w], PM_WARN_PARTIAL ":", strlen(PM_WARN_PARTIAL) + 1)
            || !strncmp(r->warnings[w], PM_WARN_SINGLE_SLICE ":", strlen(PM_WARN_SINGLE_SLICE) + 1))
            fprintf(stderr, "pulmo: warning: %s\n", r->warnings[w]);
}

int cmd_segment(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"recipe", required_argument, 0, 'r'},
        {"resample", required_argument, 0, 'R'}, {"set", required_argument, 0, 's'},
        {"list-recipes", no_argument, 0, 'L'}, {"json", no_argument, 0, 'j'},
        {"series", required_argument, 0, 'u'}, {"max-memory", required_argument, 0, 'm'},
        {"weights", required_argument, 0, 'W'}, {"threads", required_argument, 0, 'T'},
        {"structures", no_argument, 0, 'S'}, {"push", no_argument, 0, 'P'},
        {"dicom-seg", required_argument, 0, 'D'}, {"mesh", required_argument, 0, 'M'},
        {"smooth", required_argument, 0, 'N'}, {"decimate", required_argument, 0, 'X'}, CLI_NET_OPTIONS,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    pm_segment_opts so = {.recipe = "default", .write_mask = 1};
    const char *out = NULL, *dseg = NULL;
    int json = 0, push = 0, c, t;
    cli_net_opts no = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
        if ((t = cli_net_option("segment", c, optarg, &no)) < 0)
            return PM_EUSAGE;
        if (t)
            continue;
        switch (c) {
        case 'o': out = optarg; break;
        case 'P': push = 1; break;
        case 'D': dseg = optarg; break;
        case 'M': so.mesh = optarg; break;
        case 'N':
            if (cli_opt_int("segment", "smooth", optarg, 0, 10000, "0..10000 passes", &so.mesh_smooth))
                return PM_EUSAGE;
            break;
        case 'X':
            if (cli_opt_real("segment", "decimate", optarg, 0, 1, 1, "0 < RATIO <= 1", &so.mesh_ratio))
                return PM_EUSAGE;
            break;
        case 'r': so.recipe = optarg; break;
        case 'R':
            if (cli_opt_real("segment", "resample", optarg, 0, 100, 1, "mm, > 0", &so.resample_mm))
                return PM_EUSAGE;
            break;
        case 's':
            if (so.nsets == PM_MAX_SETS)
                return cli_usage("segment", "too many --set options");
            so.sets[so.nsets++] = optarg;
            break;
        case 'L': cli_list_recipes(stdout); return PM_OK;
        case 'j': json = 1; break;
        case 'u': so.series_uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &so.load) != 0)
                return cli_usage("segment", "bad --max-memory '%s'", optarg);
            break;
        case 'W': so.weights = optarg; break;
        case 'S': so.structures = 1; break;
        case 'T': {
            int n;
            if (cli_opt_int("segment", "threads", optarg, 1, 64, NULL, &n))
                return PM_EUSAGE;
            pm_threads_set(n);
            break;
        }
        case 'h': fputs(segment_help, stdout); return PM_OK;
        default: return cli_usage("segment", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("segment", "expects one SERIES_DIR");
    if (!out)
        return cli_usage("segment", "needs -o OUTDIR");
    /* Check the recipe and overrides before loading anything. */
    pm_recipe r;
    if (pm_segment_opts_recipe(&so, &r) != PM_OK)
        return cli_usage("segment", "%s", pm_error());
    /* The unet recipe needs weights: say so before loading the series. */
    if (pm_recipe_step_index(&r, "unet") >= 0) {
        char wpath[4096];
        if (pm_unet_weights_path(so.weights, wpath, sizeof wpath) != PM_OK)
            return cli_usage("segment", "%s", pm_error());
    }
    const char *dir = argv[optind];
    char cache[4096], uid[72];
    if (push && (!pm_net_is_url(dir) || so.resample_mm > 0))
        return cli_usage("segment", "--push sends results back to the dicom:// node the series came "
                         "from, on its own grid (no --resample)");
    /* A SEG's frames are the source's slices: say so before segmenting. */
    if (dseg && so.resample_mm > 0)
        return cli_usage("segment", "--dicom-seg writes frames on the series' own grid; it cannot "
                         "be combined with --resample");
    if (so.mesh && pm_mesh_format_for(so.mesh, 0) < 0)
        return cli_usage("segment", "--mesh '%s' must end in .stl, .obj or .ply", so.mesh);
    if (!so.mesh && (so.mesh_smooth || so.mesh_ratio > 0))
        return cli_usage("segment", "--smooth and --decimate shape the --mesh surface: give --mesh");
    if (dseg && !*dseg)
        return cli_usage("segment", "--dicom-seg needs a file name");
    if (dseg && pm_volfile_kind(dir))
        return cli_usage("segment", "--dicom-seg needs a DICOM series: %s is a volume file, with no DICOM "
                         "images for a SEG to reference", dir);
    if (pm_net_is_url(dir)) {
        int rc = cli_net_fetch(dir, &no, cache, sizeof cache, uid, sizeof uid);
        if (rc != PM_OK)
            return rc;
        dir = cache;
        so.series_uid = uid;
    }
    pm_io_protect(dir);
    if (pm_io_is_protected(out))
        return cli_refuse_inside(out, dir);
    if (dseg && pm_io_is_protected(dseg))
        return cli_refuse_inside(dseg, dir);
    if (so.mesh && pm_io_is_protected(so.mesh))
        return cli_refuse_inside(so.mesh, dir);
    so.dicom_seg = dseg;
    pm_segment_report rep;
    int rc = pm_segment_series(dir, out, &so, &rep, &cli_progress);
    if (rc != PM_OK && rc != PM_ENOLUNG)
        return cli_fail(rc, "segmentation failed");
    if (json) {
        pm_segment_report_json(&rep, stdout, 1);
        cli_json_printed();
    } else
        cli_print_report(&rep);
    cli_print_coverage(&rep);
    if (rc == PM_ENOLUNG)
        fprintf(stderr, "pulmo: %s\n", rep.message);
    if (dseg && rc == PM_OK)
        fprintf(stderr, "pulmo: DICOM SEG written to %s\n", dseg);
    if (push && rc == PM_OK)
        return cli_net_push(argv[optind], &no, dir, uid, out, &rep);
    return rc;
}
