/* cmd_sheet.c - `pulmo sheet SERIES_DIR -o OUT.png`: segment a series and
 * write its contact sheet (pm_segment_sheet), then print the report. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/io.h"
#include "pulmo/render.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char sheet_help[] =
    "usage: pulmo sheet SERIES_DIR -o OUT.png [--recipe NAME] [--set STEP.PARAM=VALUE ...]\n"
    "                   [--series UID] [--max-memory SIZE]\n\n"
    "Segment the lungs of a series and write one PNG to judge it at a glance: three\n"
    "axial slices (upper, middle and lower lung levels), a coronal and a sagittal\n"
    "slice, the labels over them (red right lung, green left lung, blue airway), and\n"
    "the figures and warnings under them. Writes nothing else; prints the report.\n\n"
    "  -o, --output FILE  the PNG (never inside SERIES_DIR)\n"
    "  --recipe NAME      default (pulmo's), tutorial, otsu or unet\n"
    "  --set S.P=V        change parameter P of step S (repeatable)\n"
    "  --series UID       the series with this SeriesInstanceUID\n"
    "  --max-memory SIZE  refuse volumes larger than SIZE\n"
    "  -h, --help         this help\n\n"
    "Exit 6 when no lungs are found (the sheet is still written).\n";

int cmd_sheet(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"recipe", required_argument, 0, 'r'},
        {"set", required_argument, 0, 's'}, {"series", required_argument, 0, 'u'},
        {"max-memory", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    pm_segment_opts so = {.recipe = "default"};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r': so.recipe = optarg; break;
        case 's':
            if (so.nsets == PM_MAX_SETS)
                return cli_usage("sheet", "too many --set options");
            so.sets[so.nsets++] = optarg;
            break;
        case 'u': so.series_uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &so.load) != 0)
                return cli_usage("sheet", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(sheet_help, stdout); return PM_OK;
        default: return cli_usage("sheet", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("sheet", "expects one SERIES_DIR");
    if (!out)
        return cli_usage("sheet", "needs -o OUT.png");
    pm_recipe r;
    if (pm_segment_opts_recipe(&so, &r) != PM_OK)
        return cli_usage("sheet", "%s", pm_error());
    const char *dir = argv[optind];
    pm_io_protect(dir);
    if (pm_io_is_protected(out))
        return cli_error(PM_EWRITE, "%s is inside the input folder %s; pulmo never writes there", out, dir);
    if (!pm_is_dir(dir))
        return cli_error(PM_ENODATA, "%s: not a folder", dir);
    pm_segment_report rep;
    int rc = pm_segment_sheet(dir, out, &so, &rep, &cli_progress);
    if (rc != PM_OK && rc != PM_ENOLUNG)
        return cli_fail(rc, "contact sheet failed");
    cli_print_report(&rep);
    printf("sheet        %s (%d x %d)\n", out, PM_SHEET_W, PM_SHEET_H);
    cli_print_coverage(&rep);
    if (rc == PM_ENOLUNG)
        fprintf(stderr, "pulmo: %s\n", rep.message);
    return rc;
}
