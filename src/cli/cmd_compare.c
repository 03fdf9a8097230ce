/* cmd_compare.c - `pulmo compare MASK REFERENCE`: per-label Dice, volume
 * difference and surface distances of a segmentation against a reference
 * (NIfTI label image or RTSTRUCT), on the reference's grid. */
#include "cli.h"
#include "pulmo/compare.h"
#include "pulmo/refmask.h"
#include "pulmo/text.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char compare_help[] =
    "usage: pulmo compare MASK REFERENCE [--json] [--ignore PATTERN]... [--series DIR]\n\n"
    "Score a label mask against a reference: per label Dice, volumes and their\n"
    "difference, average symmetric surface distance and 95% Hausdorff distance (mm).\n"
    "Both may be NIfTI label images, DICOM SEG or RTSTRUCT files; ROIs and segments\n"
    "map to labels by name (Lung-Right 1, Lung-Left 2, Trachea/Airway 3). MASK is put\n"
    "on the reference's grid (nearest neighbour through both affines). Labels of the\n"
    "reference are scored, and the two lungs together when both are there.\n\n"
    "  --ignore PATTERN   leave the voxels of RTSTRUCT ROIs matching PATTERN (shell\n"
    "                     pattern, any case, e.g. 'GTV*') out of both masks; repeatable\n"
    "  --series DIR       the CT series an RTSTRUCT was drawn on (default: the series it\n"
    "                     references, in its folder or the folder above)\n"
    "  --json             print JSON\n"
    "  -h, --help         this help\n";

#define LUNGS 200   /* the two lungs together, a label no mask uses */

static int grid_close(const pm_grid *a, const pm_grid *b)
{
    for (int x = 0; x < 3; x++)
        if (a->dim[x] != b->dim[x] || fabs(a->origin[x] - b->origin[x]) > 1e-3
            || fabs(a->spacing[x] - b->spacing[x]) > 1e-4 * b->spacing[x])
            return 0;
    for (int x = 0; x < 9; x++)
        if (fabs(a->dir[x] - b->dir[x]) > 1e-4)
            return 0;
    return 1;
}

/* Copies m with labels 1 and 2 merged into LUNGS, other labels kept. */
static pm_mask *with_lungs(const pm_mask *m)
{
    pm_mask *c = pm_mask_clone(m);
    if (!c)
        return NULL;
    size_t n = pm_grid_voxels(&c->g);
    for (size_t i = 0; i < n; i++)
        if (c->v[i] == 1 || c->v[i] == 2)
            c->v[i] = LUNGS;
    return c;
}

static const char *label_name(const pm_refmask *ref, int label)
{
    static const char *names[] = {"", "right lung", "left lung", "airway"};
    if (label == LUNGS)
        return "lungs";
    if (ref->name[label][0])
        return ref->name[label];
    return label < 4 ? names[label] : "";
}

static void print_json(const char *mpath, const char *rpath, const pm_refmask *ref,
                       const pm_compare_label *r, int n, const int *extra, int nextra)
{
    pm_json j;
    pm_json_init(&j, stdout, 1);
    pm_json_object_begin(&j, NULL);
    /* The exit's one JSON object (cli.h): no second status object after it. */
    cli_json_ok(&j);
    pm_json_string(&j, "mask", mpath);
    pm_json_string(&j, "reference", rpath);
    pm_json_string(&j, "reference_kind", ref->kind == PM_REF_RTSTRUCT ? "rtstruct" : ref->kind == PM_REF_SEG ? "seg" : "nifti");
    if (ref->kind == PM_REF_RTSTRUCT) {
        pm_json_string(&j, "series", ref->series_folder);
        pm_json_int(&j, "contours_off_grid", ref->nskipped);
    }
    pm_json_array_begin(&j, "ignored_rois");
    char buf[sizeof ref->ignored];
    snprintf(buf, sizeof buf, "%s", ref->ignored);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
        pm_json_string(&j, NULL, s);
    pm_json_array_end(&j);
    pm_json_array_begin(&j, "labels");
    for (int i = 0; i < n; i++) {
        pm_json_object_begin(&j, NULL);
        if (r[i].label == LUNGS)
            pm_json_string(&j, "label", "lungs");
        else
            pm_json_int(&j, "label", r[i].label);
        pm_json_string(&j, "name", label_name(ref, r[i].label));
        pm_json_number(&j, "dice", r[i].dice);
        pm_json_number(&j, "ml_mask", r[i].ml_mask);
        pm_json_number(&j, "ml_reference", r[i].ml_ref);
        pm_json_number(&j, "ml_difference", r[i].ml_diff);
        pm_json_number(&j, "percent_difference", r[i].ml_ref > 0 ? 100 * r[i].ml_diff / r[i].ml_ref : NAN);
        pm_json_number(&j, "assd_mm", r[i].assd_mm);
        pm_json_number(&j, "hd95_mm", r[i].hd95_mm);
        pm_json_object_end(&j);
    }
    pm_json_array_end(&j);
    pm_json_array_begin(&j, "unscored_mask_labels");
    for (int i = 0; i < nextra; i++)
        pm_json_int(&j, NULL, extra[i]);
    pm_json_array_end(&j);
    pm_json_object_end(&j);
    pm_json_end(&j);
}

static void print_text(const pm_refmask *ref, const pm_compare_label *r, int n, const int *extra,
                       int nextra)
{
    if (ref->kind == PM_REF_RTSTRUCT)
        printf("grid     the CT series in %s\n", ref->series_folder);
    if (ref->ignored[0])
        printf("ignored  %s\n", ref->ignored);
    if (ref->nskipped)
        printf("warning  %d contour(s) not on a slice of the grid were left out\n", ref->nskipped);
    printf("%-6s %-16s %7s %10s %10s %9s %7s %8s %8s\n", "label", "name", "dice", "mask mL", "ref mL",
           "diff mL", "diff %", "ASSD mm", "HD95 mm");
    for (int i = 0; i < n; i++) {
        char lab[16], name[24];
        snprintf(lab, sizeof lab, r[i].label == LUNGS ? "1+2" : "%d", r[i].label);
        snprintf(name, sizeof name, "%s", label_name(ref, r[i].label));
        pm_text_truncate(name, 16);
        printf("%-6s %-16s %7.4f %10.1f %10.1f %+9.1f %+7.1f %8.2f %8.2f\n", lab, name, r[i].dice,
               r[i].ml_mask, r[i].ml_ref, r[i].ml_diff,
               r[i].ml_ref > 0 ? 100 * r[i].ml_diff / r[i].ml_ref : NAN, r[i].assd_mm, r[i].hd95_mm);
    }
    for (int i = 0; i < nextra; i++)
        printf("note     label %d of the mask is not in the reference (not scored)\n", extra[i]);
}

/* Puts m (and its ignore mask) on the reference's grid. */
static int to_grid(pm_refmask *m, const pm_grid *g)
{
    if (grid_close(&m->labels->g, g))
        return PM_OK;
    pm_mask *r;
    int st = pm_mask_resample_to(m->labels, g, &r);
    if (st != PM_OK)
        return st;
    pm_mask_free(m->labels);
    m->labels = r;
    if (m->ignore) {
        if ((st = pm_mask_resample_to(m->ignore, g, &r)) != PM_OK)
            return st;
        pm_mask_free(m->ignore);
        m->ignore = r;
    }
    return PM_OK;
}

static int run(const char *mpath, const char *rpath, const pm_refmask_opts *ro, int json)
{
    pm_refmask *mask = NULL, *ref = NULL;
    pm_mask *lm = NULL, *lr = NULL;
    int st = pm_refmask_load(rpath, ro, &ref, &cli_progress);
    if (st == PM_OK)
        st = pm_refmask_load(mpath, ro, &mask, &cli_progress);
    /* A SEG may hold only the slices its segments touch: scoring on its
     * grid would drop the mask's voxels elsewhere, so a SEG reference is
     * put on the mask's grid instead. */
    pm_grid target;
    if (st == PM_OK) {
        target = ref->kind == PM_REF_SEG && mask->kind != PM_REF_SEG ? mask->labels->g : ref->labels->g;
        st = to_grid(mask, &target);
    }
    if (st == PM_OK)
        st = to_grid(ref, &target);
    if (st != PM_OK) {
        st = cli_fail(st, "cannot read the masks");
        goto done;
    }
    if (mask->ignore) {
        /* Both files' ignored ROIs leave scoring. */
        if (!ref->ignore && !(ref->ignore = pm_mask_new(&ref->labels->g))) {
            st = cli_fail(PM_EMEMORY, "out of memory");
            goto done;
        }
        size_t nv = pm_grid_voxels(&ref->labels->g);
        for (size_t i = 0; i < nv; i++)
            ref->ignore->v[i] |= mask->ignore->v[i];
    }
    int labels[256], n = 0, extra[256], nextra = 0;
    for (int l = 1; l < 255; l++) {
        if (ref->present[l])
            labels[n++] = l;
        else if (mask->present[l])
            extra[nextra++] = l;
    }
    if (n == 0) {
        st = cli_fail(PM_ENODATA, "the reference has no labels to score");
        fprintf(stderr, "pulmo: %s: no ROI named like a lung or airway (ROIs map by name)\n", rpath);
        goto done;
    }
    pm_compare_label res[257];
    st = pm_compare(mask->labels, ref->labels, ref->ignore, labels, n, res, &cli_progress);
    if (st == PM_OK && ref->present[1] && ref->present[2]) {
        int lungs = LUNGS;
        lm = with_lungs(mask->labels);
        lr = with_lungs(ref->labels);
        st = lm && lr ? pm_compare(lm, lr, ref->ignore, &lungs, 1, &res[n++], &cli_progress)
                      : pm_fail(PM_EMEMORY, "out of memory");
    }
    if (st != PM_OK) {
        st = cli_fail(st, "comparison failed");
        goto done;
    }
    if (json)
        print_json(mpath, rpath, ref, res, n, extra, nextra);
    else
        print_text(ref, res, n, extra, nextra);
done:
    pm_mask_free(lm);
    pm_mask_free(lr);
    pm_refmask_free(mask);
    pm_refmask_free(ref);
    return st;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"ignore", required_argument, 0, 'i'},
        {"series", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, c;
    pm_refmask_opts ro = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'i':
            if (ro.nignore == PM_REF_MAXIGNORE)
                return cli_usage("compare", "at most %d --ignore patterns", PM_REF_MAXIGNORE);
            ro.ignore[ro.nignore++] = optarg;
            break;
        case 's': ro.series_dir = optarg; break;
        case 'h': fputs(compare_help, stdout); return PM_OK;
        default: return cli_usage("compare", "unknown option");
        }
    }
    if (optind != argc - 2)
        return cli_usage("compare", "expects MASK and REFERENCE");
    return run(argv[optind], argv[optind + 1], &ro, json);
}
