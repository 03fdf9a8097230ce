/* cmd_info.c - `pulmo info SERIES_DIR`: load a series, print its geometry,
 * HU statistics and warnings. */
#include "cli.h"
#include "pulmo/text.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char info_help[] =
    "usage: pulmo info SERIES_DIR [--series UID] [--json] [--max-memory SIZE]\n\n"
    "Load a series (the largest CT series when the folder holds several) and print\n"
    "its geometry, HU statistics and warnings.\n\n"
    "  --series UID       load the series with this SeriesInstanceUID\n"
    "  --json             print JSON\n"
    "  --max-memory SIZE  refuse volumes larger than SIZE (e.g. 2G; default half of RAM)\n"
    "  -h, --help         this help\n";

static void info_json(const pm_volume *v, const pm_hu_summary *hs)
{
    pm_json j;
    pm_json_init(&j, stdout, 1);
    pm_json_object_begin(&j, NULL);
    cli_json_ok(&j);
    pm_json_string(&j, "patient_id", v->meta.patient_id);
    pm_json_string(&j, "patient_name", v->meta.patient_name);
    pm_json_string(&j, "series_uid", v->meta.series_uid);
    pm_json_string(&j, "series_description", v->meta.series_description);
    pm_json_string(&j, "modality", v->meta.modality);
    pm_json_ints(&j, "dims", v->g.dim, 3);
    pm_json_numbers(&j, "spacing", v->g.spacing, 3);
    pm_json_numbers(&j, "origin", v->g.origin, 3);
    pm_json_numbers(&j, "direction", v->g.dir, 9);
    pm_json_number(&j, "gantry_tilt_deg", pm_grid_tilt(&v->g, v->meta.patient_position));
    pm_json_int(&j, "hu_min", hs->min);
    pm_json_int(&j, "hu_max", hs->max);
    pm_json_number(&j, "hu_mean", hs->mean);
    pm_json_array_begin(&j, "warnings");
    for (int i = 0; i < v->nwarnings; i++) {
        pm_json_object_begin(&j, NULL);
        pm_json_string(&j, "kind", v->warnings[i].kind);
        pm_json_string(&j, "message", v->warnings[i].message);
        pm_json_object_end(&j);
    }
    pm_json_array_end(&j);
    pm_json_number(&j, "load_seconds", v->load_seconds);
    pm_json_object_end(&j);
    pm_json_end(&j);
}

static void info_text(const pm_volume *v, const pm_hu_summary *hs)
{
    const pm_grid *g = &v->g;
    printf("patient      %s  %s\n", v->meta.patient_id, v->meta.patient_name);
    printf("series       %s  %s  %s\n", v->meta.modality, v->meta.series_description, v->meta.series_uid);
    printf("dims         %d x %d x %d\n", g->dim[0], g->dim[1], g->dim[2]);
    printf("spacing      %.6g x %.6g x %.6g mm\n", g->spacing[0], g->spacing[1], g->spacing[2]);
    printf("origin       %.3f %.3f %.3f mm (LPS)\n", g->origin[0], g->origin[1], g->origin[2]);
    printf("direction    %.4f %.4f %.4f | %.4f %.4f %.4f | %.4f %.4f %.4f\n", g->dir[0], g->dir[1],
           g->dir[2], g->dir[3], g->dir[4], g->dir[5], g->dir[6], g->dir[7], g->dir[8]);
    printf("HU           min %d  max %d  mean %.1f\n", hs->min, hs->max, hs->mean);
    printf("loaded in    %.3f s\n", v->load_seconds);
    for (int i = 0; i < v->nwarnings; i++)
        printf("warning      %s: %s\n", v->warnings[i].kind, v->warnings[i].message);
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"series", required_argument, 0, 's'},
        {"max-memory", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, c;
    const char *uid = NULL;
    pm_load_opts lo = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 's': uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &lo) != 0)
                return cli_usage("info", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(info_help, stdout); return PM_OK;
        default: return cli_usage("info", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("info", "expects one SERIES_DIR");
    pm_volume *v;
    pm_hu_summary hs;
    int rc = pm_load_dir_summary(argv[optind], uid, &lo, &v, &hs, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "load failed");
    if (json)
        info_json(v, &hs);
    else
        info_text(v, &hs);
    if (json)
        cli_print_warnings(v);
    pm_volume_free(v);
    return PM_OK;
}
