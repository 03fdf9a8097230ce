/* cmd_scan.c - `pulmo scan ROOT [--json]`: one entry per series. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char scan_help[] =
    "usage: pulmo scan ROOT [--json]\n"
    "       pulmo scan dicom://AET@host:port [--study-date A-B] [--json] [--aet AET]\n\n"
    "List every DICOM series under ROOT (files are found by content, headers only),\n"
    "or the CT series of a DICOM node (C-FIND; DIMS and SPACING are then unknown).\n\n"
    "  --json                one JSON object: status, error and the list of series\n"
    "  --study-date A-B      only studies of these dates (YYYYMMDD, DICOM range)\n"
    CLI_NET_HELP
    "  -h, --help            this help\n";

/* One object: "status" and "error" as every --json exit has them, and the
 * series (an empty list when none was found). */
static void scan_json(const pm_index *ix, int status, const char *error)
{
    pm_json j;
    pm_json_init(&j, stdout, 1);
    pm_json_object_begin(&j, NULL);
    pm_json_string(&j, "status", pm_status_name(status));
    if (status == PM_OK)
        pm_json_null(&j, "error");
    else
        pm_json_string(&j, "error", error);
    pm_json_int(&j, "files", ix->nfiles);
    pm_json_int(&j, "unreadable_files", ix->nerrors);
    pm_json_int(&j, "non_image_files", ix->nother);
    pm_json_array_begin(&j, "series");
    for (int i = 0; i < ix->nseries; i++) {
        const pm_series *s = &ix->series[i];
        pm_json_object_begin(&j, NULL);
        pm_json_string(&j, "patient_id", s->meta.patient_id);
        pm_json_string(&j, "patient_name", s->meta.patient_name);
        pm_json_string(&j, "study_date", s->meta.study_date);
        pm_json_string(&j, "study_description", s->meta.study_description);
        pm_json_string(&j, "series_uid", s->meta.series_uid);
        pm_json_string(&j, "series_description", s->meta.series_description);
        pm_json_string(&j, "modality", s->meta.modality);
        pm_json_int(&j, "slices", s->dims[2] > 0 ? s->dims[2] : s->nfiles);
        pm_json_int(&j, "files", s->nfiles);
        pm_json_int(&j, "duplicate_files", s->nduplicates);
        if (s->dims[0] <= 0) {
            /* A remote series: its geometry is known once retrieved. */
            pm_json_null(&j, "dims");
            pm_json_null(&j, "spacing");
        } else {
            pm_json_ints(&j, "dims", s->dims, 3);
            pm_json_numbers(&j, "spacing", s->spacing, 3);
        }
        char path[4096];
        pm_text_clean(path, sizeof path, s->folder);
        pm_json_string(&j, "path", path);
        pm_json_object_end(&j);
    }
    pm_json_array_end(&j);
    pm_json_object_end(&j);
    pm_json_end(&j);
    cli_json_printed();
}

/* Pads clean UTF-8 text to a width in terminal cells. */
static void put_cell(const char *s, size_t width, int last)
{
    size_t w = pm_text_width(s);
    fputs(s, stdout);
    if (!last)
        for (; w < width + 2; w++)
            putchar(' ');
}

static void scan_table(const pm_index *ix)
{
    enum { NCOL = 8 };
    static const char *head[NCOL] = {"PATIENT", "NAME", "DATE", "MOD", "SLICES", "DIMS",
                                     "SPACING", "SERIES / PATH"};
    size_t w[NCOL];
    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(head[c]);
    char cell[NCOL][4400];
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            for (int c = 0; c < NCOL; c++)
                put_cell(head[c], w[c], c == NCOL - 1);
        if (pass)
            putchar('\n');
        for (int i = 0; i < ix->nseries; i++) {
            const pm_series *s = &ix->series[i];
            char folder[4096];
            pm_text_clean(folder, sizeof folder, s->folder);
            snprintf(cell[0], sizeof cell[0], "%s", s->meta.patient_id[0] ? s->meta.patient_id : "-");
            snprintf(cell[1], sizeof cell[1], "%s", s->meta.patient_name[0] ? s->meta.patient_name : "-");
            snprintf(cell[2], sizeof cell[2], "%s", s->meta.study_date[0] ? s->meta.study_date : "-");
            snprintf(cell[3], sizeof cell[3], "%s", s->meta.modality[0] ? s->meta.modality : "-");
            snprintf(cell[4], sizeof cell[4], "%d", s->dims[2] > 0 ? s->dims[2] : s->nfiles);
            snprintf(cell[5], sizeof cell[5], "%dx%dx%d", s->dims[0], s->dims[1], s->dims[2]);
            snprintf(cell[6], sizeof cell[6], "%.3gx%.3gx%.3g", s->spacing[0], s->spacing[1], s->spacing[2]);
            if (s->dims[0] <= 0)
                strcpy(cell[5], "-"), strcpy(cell[6], "-");
            snprintf(cell[7], sizeof cell[7], "%s%s%s", s->meta.series_description,
                     s->meta.series_description[0] ? "  " : "", folder);
            /* Names can be long; keep them from pushing the table apart. */
            pm_text_truncate(cell[1], 24);
            for (int c = 0; c < NCOL; c++) {
                size_t cw = pm_text_width(cell[c]);
                if (!pass && cw > w[c])
                    w[c] = cw;
                if (pass)
                    put_cell(cell[c], w[c], c == NCOL - 1);
            }
            if (pass)
                putchar('\n');
        }
    }
}

/* The node's series as an index whose folders are their dicom:// addresses,
 * so that the table and the JSON are the folder scan's. */
int cli_net_scan(const char *url, const cli_net_opts *o, const char *study_date, int json)
{
    pm_node n;
    int rc = cli_net_node(url, o, &n, NULL, 0);
    if (rc != PM_OK)
        return rc;
    pm_remote_query q = {.study_date = study_date};
    pm_index *ix;
    if ((rc = pm_net_index(&n, &q, &ix, &cli_progress)) != PM_OK)
        return cli_fail(rc, "query failed");
    int nrs = ix->nseries;
    char name[300], none[400] = "";
    if (!nrs) {
        snprintf(none, sizeof none, "%s: no CT series found", pm_net_name(&n, name, sizeof name));
        fprintf(stderr, "pulmo: %s\n", none);
    }
    if (json)
        scan_json(ix, nrs ? PM_OK : PM_ENODATA, none);
    else if (nrs)
        scan_table(ix);
    pm_index_free(ix);
    return nrs ? PM_OK : PM_ENODATA;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"study-date", required_argument, 0, 'd'},
        CLI_NET_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, c, t;
    const char *study_date = NULL;
    cli_net_opts no = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if ((t = cli_net_option("scan", c, optarg, &no)) < 0)
            return PM_EUSAGE;
        if (t)
            continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'd': study_date = optarg; break;
        case 'h': fputs(scan_help, stdout); return PM_OK;
        default: return cli_usage("scan", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("scan", "expects one ROOT folder");
    const char *root = argv[optind];
    if (pm_net_is_url(root))
        return cli_net_scan(root, &no, study_date, json);
    if (study_date)
        return cli_usage("scan", "--study-date is for a dicom:// node");
    pm_index *ix;
    int rc = pm_index_scan(root, &ix, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "scan failed");
    if (ix->nerrors)
        fprintf(stderr, "pulmo: %d unreadable file(s) skipped; first: %s\n", ix->nerrors, ix->first_error);
    char none[4400] = "";
    if (ix->nseries == 0) {
        char clean[4096];
        pm_text_clean(clean, sizeof clean, root);
        snprintf(none, sizeof none, "%s: no DICOM series found (%d file(s) looked at%s)", clean, ix->nfiles,
                 ix->nother ? ", only DICOM objects without images" : "");
        fprintf(stderr, "pulmo: %s\n", none);
        rc = ix->nerrors ? ix->first_error_code : PM_ENODATA;
    }
    if (json)
        scan_json(ix, rc, none);
    else if (ix->nseries)
        scan_table(ix);
    pm_index_free(ix);
    return rc;
}
