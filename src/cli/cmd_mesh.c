/* cmd_mesh.c - `pulmo mesh INPUT -o OUT`: surface of a mask or of a HU
 * level, optionally smoothed and decimated, written as STL, OBJ or PLY. */
#include "cli.h"
#include "pulmo/io.h"
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/refmask.h"
#include "pulmo/volfile.h"
#include "pulmo/text.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char mesh_help[] =
    "usage: pulmo mesh INPUT -o OUT.stl|.obj|.ply [--label N] [--level HU] [--smooth ITER]\n"
    "                  [--decimate RATIO | --triangles N] [--crop X,Y,Z,R] [--ascii] [--json]\n\n"
    "Build the surface of a mask or of a HU level and write it as binary STL (or\n"
    "ASCII STL, OBJ, PLY, from the extension). Coordinates are millimetres in DICOM\n"
    "patient space (LPS: x to the patient's left, y posterior, z superior).\n\n"
    "INPUT is a series folder or a CT volume file (NIfTI, MetaImage, NRRD): the lungs\n"
    "of the default segmentation; --label 1, 2, 3 or 5 for the right lung, left lung,\n"
    "airway or the structures inside the lungs; --level HU for a HU surface. Or a\n"
    "mask: an 8-bit NIfTI label image, a DICOM SEG or an RTSTRUCT (on its CT series;\n"
    "ROIs by name, Lung-Right 1 ...): every non-zero voxel, or --label N.\n\n"
    "  -o, --output OUT     output file; .stl, .obj or .ply\n"
    "  --label N            mesh only voxels labelled N (default: the lungs of a series,\n"
    "                       every non-zero voxel of a mask)\n"
    "  --level HU           iso-surface of the HU image at this level (inside: HU >= level)\n"
    "  --smooth ITER        Taubin smoothing passes (lambda 0.5, mu -0.53; default 0)\n"
    "  --decimate RATIO     keep about RATIO of the triangles (0 < RATIO <= 1)\n"
    "  --triangles N        decimate to at most N triangles\n"
    "  --crop X,Y,Z,R       only the cube of half-side R mm around the LPS point X,Y,Z\n"
    "                       (mm), at full resolution: e.g. a nodule and its vessels\n"
    "  --ascii              ASCII STL or ASCII PLY instead of binary\n"
    "  --json               print the figures as JSON\n"
    "  --series UID         with a folder: the series with this SeriesInstanceUID\n"
    "  --max-memory SIZE    refuse volumes larger than SIZE (e.g. 2G)\n"
    "  -h, --help           this help\n";

typedef struct mesh_opts {
    const char *input, *output, *uid;
    int label, has_level, smooth, ascii, json, fmt, crop;
    double level, ratio, crop_c[3], crop_r;
    long long triangles;
    pm_load_opts lo;
} mesh_opts;

static int mesh_is_nifti(const char *path)
{
    size_t n = strlen(path);
    return (n > 4 && !strcasecmp(path + n - 4, ".nii")) || (n > 7 && !strcasecmp(path + n - 7, ".nii.gz"));
}

/* Crops *v or *m in place to the --crop cube (nothing without --crop). */
static int mesh_crop(const mesh_opts *o, pm_volume **v, pm_mask **m)
{
    if (!o->crop)
        return PM_OK;
    pm_volume *cv;
    pm_mask *cm;
    int rc = pm_crop_around(v ? *v : NULL, m ? *m : NULL, o->crop_c, o->crop_r, &cv, &cm);
    if (rc != PM_OK)
        return rc;
    if (v) {
        pm_volume_free(*v);
        *v = cv;
    }
    if (m) {
        pm_mask_free(*m);
        *m = cm;
    }
    return PM_OK;
}

/* The lungs (labels 1..2, or --label) of the default segmentation. */
static int mesh_lungs(const mesh_opts *o, const pm_volume *v, pm_mesh **out, double *seg_s)
{
    double t0 = pm_now();
    pm_mask *m = NULL;
    int rc = cli_lung_mask(v, o->label == PM_LABEL_STRUCTURES, &m, o->input);
    *seg_s = pm_now() - t0;
    if (rc == PM_OK)
        rc = mesh_crop(o, NULL, &m);
    if (rc == PM_OK) {
        int lo = o->label ? o->label : PM_LABEL_RIGHT, hi = o->label ? o->label : PM_LABEL_LEFT;
        rc = pm_mesh_from_mask_range(m, lo, hi, out, &cli_progress);
    }
    pm_mask_free(m);
    return rc;
}

/* Builds the surface from the input; *load_s gets the loading seconds and
 * *seg_s the segmentation's. */
static int mesh_build(const mesh_opts *o, pm_mesh **out, double *load_s, double *seg_s)
{
    double t0 = pm_now();
    int rc;
    pm_dicom_header vh;
    if (pm_is_dir(o->input) || (pm_volfile_kind(o->input) && pm_volfile_header(o->input, &vh) == PM_OK)) {
        pm_volume *v;
        rc = pm_load_dir(o->input, o->uid, &o->lo, &v, &cli_progress);
        if (rc != PM_OK)
            return rc;
        cli_print_warnings(v);
        *load_s = pm_now() - t0;
        if (o->has_level) {
            rc = mesh_crop(o, &v, NULL);
            if (rc == PM_OK)
                rc = pm_mesh_from_volume(v, o->level, out, &cli_progress);
        } else {
            rc = mesh_lungs(o, v, out, seg_s);
        }
        pm_volume_free(v);
        return rc;
    }
    if (!pm_path_exists(o->input))
        return pm_fail(PM_ENODATA, "%s: no such file or folder", o->input);
    if (o->has_level) {
        if (!mesh_is_nifti(o->input))
            return pm_fail(PM_EUSAGE, "%s: --level needs a series folder or a volume file", o->input);
        pm_volume *v;
        rc = pm_nifti_read_volume(o->input, &v);
        if (rc != PM_OK)
            return rc;
        *load_s = pm_now() - t0;
        rc = mesh_crop(o, &v, NULL);
        if (rc == PM_OK)
            rc = pm_mesh_from_volume(v, o->level, out, &cli_progress);
        pm_volume_free(v);
        return rc;
    }
    pm_refmask *m;
    pm_refmask_opts ro = {0};
    rc = pm_refmask_load(o->input, &ro, &m, &cli_progress);
    if (rc != PM_OK)
        return rc;
    *load_s = pm_now() - t0;
    rc = mesh_crop(o, NULL, &m->labels);
    if (rc == PM_OK)
        rc = pm_mesh_from_mask(m->labels, o->label, out, &cli_progress);
    pm_refmask_free(m);
    return rc;
}

static int mesh_parse(int argc, char **argv, mesh_opts *o)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"label", required_argument, 0, 'l'},
        {"level", required_argument, 0, 'L'}, {"smooth", required_argument, 0, 's'},
        {"decimate", required_argument, 0, 'd'}, {"triangles", required_argument, 0, 't'},
        {"ascii", no_argument, 0, 'a'}, {"json", no_argument, 0, 'j'},
        {"series", required_argument, 0, 'S'}, {"max-memory", required_argument, 0, 'm'},
        {"crop", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'l':
            if (cli_opt_int("mesh", "label", optarg, 1, 255, NULL, &o->label))
                return PM_EUSAGE;
            break;
        case 'L':
            if (cli_opt_real("mesh", "level", optarg, -40000, 40000, 1, "HU, -40000..40000",
                             &o->level))
                return PM_EUSAGE;
            o->has_level = 1;
            break;
        case 's':
            if (cli_opt_int("mesh", "smooth", optarg, 0, 10000, "0..10000 passes", &o->smooth))
                return PM_EUSAGE;
            break;
        case 'd':
            if (cli_opt_real("mesh", "decimate", optarg, 0, 1, 1, "0 < RATIO <= 1", &o->ratio))
                return PM_EUSAGE;
            break;
        case 't':
            if (cli_opt_long("mesh", "triangles", optarg, 4, LLONG_MAX, "at least 4", &o->triangles))
                return PM_EUSAGE;
            break;
        case 'c': {
            double xyzr[4];
            if (cli_parse_reals(optarg, ',', 4, xyzr) || !(xyzr[3] > 0 && xyzr[3] < 10000))
                return cli_usage("mesh", "bad --crop '%s' (X,Y,Z,R in mm, R > 0)", optarg);
            memcpy(o->crop_c, xyzr, sizeof o->crop_c);
            o->crop_r = xyzr[3];
            o->crop = 1;
            break;
        }
        case 'a': o->ascii = 1; break;
        case 'j': o->json = 1; break;
        case 'S': o->uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &o->lo) != 0)
                return cli_usage("mesh", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(mesh_help, stdout); return -1;
        default: return cli_usage("mesh", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("mesh", "expects one INPUT");
    o->input = argv[optind];
    if (!o->output)
        return cli_usage("mesh", "needs -o OUT.stl|.obj|.ply");
    o->fmt = pm_mesh_format_for(o->output, o->ascii);
    if (o->fmt < 0)
        return cli_usage("mesh", "output '%s' must end in .stl, .obj or .ply", o->output);
    if (o->ratio > 0 && o->triangles > 0)
        return cli_usage("mesh", "--decimate and --triangles exclude each other");
    if (o->label && o->has_level)
        return cli_usage("mesh", "--label and --level exclude each other");
    return 0;
}

int cmd_mesh(int argc, char **argv)
{
    mesh_opts o = {0};
    int rc = mesh_parse(argc, argv, &o);
    if (rc < 0)
        return PM_OK;
    if (rc)
        return rc;
    double t0 = pm_now(), load_s = 0, seg_s = 0, surf_s, smooth_s = 0, dec_s = 0, write_s;
    pm_mesh *m = NULL;
    /* the output is opened first, so an unwritable destination (or one
     * inside the input series) fails before minutes of work */
    if (pm_is_dir(o.input))
        pm_io_protect(o.input);
    pm_outfile out;
    if ((rc = pm_out_open(&out, o.output)) != PM_OK)
        return cli_fail(rc, "cannot write the output");
    rc = mesh_build(&o, &m, &load_s, &seg_s);
    if (rc != PM_OK) {
        pm_out_abort(&out);
        return cli_fail(rc, "building the surface failed");
    }
    surf_s = pm_now() - t0 - load_s - seg_s;
    size_t surface_nf = m->nf;
    if (m->nf == 0) {
        pm_out_abort(&out);
        pm_mesh_free(m);
        pm_fail(PM_ENODATA, "%s: nothing to mesh: no voxel is inside", o.input);
        return cli_fail(PM_ENODATA, "empty surface");
    }
    double steps[2] = {0, 0};
    rc = pm_mesh_refine(m, o.smooth, o.ratio, o.triangles > 0 ? (size_t)o.triangles : 0, NULL, steps,
                        &cli_progress);
    smooth_s = steps[0];
    dec_s = steps[1];
    if (rc != PM_OK)
        goto fail;
    double t = pm_now();
    rc = pm_mesh_write_fp(m, out.f, (pm_mesh_format)o.fmt, o.output);
    if (rc != PM_OK || (rc = pm_out_commit(&out)) != PM_OK) {
        pm_out_abort(&out); /* safe after a failed commit */
        goto fail;
    }
    write_s = pm_now() - t;
    pm_mesh_stats st;
    if ((rc = pm_mesh_measure(m, &st)) != PM_OK)
        goto fail_written;
    double total = pm_now() - t0;
    if (o.json) {
        pm_json j;
        pm_json_init(&j, stdout, 1);
        pm_json_object_begin(&j, NULL);
        cli_json_ok(&j);
        pm_json_string(&j, "input", o.input);
        pm_json_string(&j, "output", o.output);
        pm_json_string(&j, "coordinates", "LPS mm");
        pm_json_int(&j, "triangles", (long long)m->nf);
        pm_json_int(&j, "vertices", (long long)m->nv);
        pm_json_int(&j, "surface_triangles", (long long)surface_nf);
        pm_json_number(&j, "volume_ml", st.volume_mm3 / 1000.0);
        pm_json_number(&j, "area_cm2", st.area_mm2 / 100.0);
        pm_json_bool(&j, "watertight", st.watertight);
        pm_json_bool(&j, "oriented", st.oriented);
        pm_json_int(&j, "euler", st.euler);
        pm_json_numbers(&j, "bbox_min_mm", st.min, 3);
        pm_json_numbers(&j, "bbox_max_mm", st.max, 3);
        pm_json_number(&j, "load_seconds", load_s);
        pm_json_number(&j, "segment_seconds", seg_s);
        pm_json_number(&j, "surface_seconds", surf_s);
        pm_json_number(&j, "smooth_seconds", smooth_s);
        pm_json_number(&j, "decimate_seconds", dec_s);
        pm_json_number(&j, "write_seconds", write_s);
        pm_json_number(&j, "seconds", total);
        pm_json_object_end(&j);
        pm_json_end(&j);
    } else {
        printf("%s: %zu triangles, %zu vertices, %.1f mL, %.1f cm2, %s, %.2f s\n", o.output, m->nf,
               m->nv, st.volume_mm3 / 1000.0, st.area_mm2 / 100.0,
               st.watertight ? "watertight" : "NOT watertight", total);
    }
    pm_mesh_free(m);
    return PM_OK;
fail:
    pm_out_abort(&out);
fail_written:
    pm_mesh_free(m);
    return cli_fail(rc, "mesh failed");
}
