/* cmd_cluster.c - `pulmo cluster SERIES -o OUTDIR`: Gustafson-Kessel fuzzy
 * clustering of the HU inside the lungs (labels.nii.gz, memberships.nii.gz,
 * clusters.json); and the lung mask the CLI commands share. */
#include "cli.h"
#include "pulmo/cluster.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/text.h"
#include "pulmo/volfile.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cluster_help[] =
    "usage: pulmo cluster SERIES_DIR -o OUTDIR [--clusters K] [--fuzzifier M]\n"
    "                     [--slices A:B] [--mask MASK.nii.gz] [--seed N] [--json]\n\n"
    "Gustafson-Kessel fuzzy clustering of the HU inside the lungs (the tutorial's\n"
    "clustering of internal structures). Writes OUTDIR/labels.nii.gz (uint8: 1..K on\n"
    "the clustered voxels, clusters ordered by centre HU), OUTDIR/memberships.nii.gz\n"
    "(float32, K volumes, 0 outside) and OUTDIR/clusters.json (per cluster: centre HU,\n"
    "covariance, voxels, mL, iterations, final change), and prints the clusters. The\n"
    "cluster with the fewest voxels (marked *) holds nodules, vessels and airway walls.\n\n"
    "  -o, --output OUTDIR   output folder (created; never inside SERIES_DIR)\n"
    "  --clusters K          clusters, 2..16 (default 4)\n"
    "  --fuzzifier M         fuzzifier m > 1 (default 2)\n"
    "  --slices A:B          only slices A..B-1 (0-based, as Python's A:B; default all)\n"
    "  --mask MASK           lung mask on the series' grid (e.g. mask.nii.gz of pulmo\n"
    "                        segment; labels 1, 2, 4, 5 are clustered); default: the\n"
    "                        default segmentation with its structures\n"
    "  --seed N              0: centres start at HU quantiles (default); else random\n"
    "                        start memberships from seed N (same seed, same clusters)\n"
    "  --max-iter N          iterations at most (default 100; stops at change < 1e-6)\n"
    "  --json                print clusters.json instead of the table\n"
    "  --series UID          the series with this SeriesInstanceUID\n"
    "  --max-memory SIZE     refuse volumes larger than SIZE\n"
    "  -h, --help            this help\n\n"
    "Exit 6 when the lungs (or the slices) hold fewer voxels than clusters.\n";

int cli_lung_mask(const pm_volume *v, int structures, pm_mask **out, const char *input)
{
    pm_recipe r;
    int rc = pm_recipe_init(&r, "default");
    if (rc != PM_OK)
        return rc;
    pm_seg_run *run = pm_seg_run_new(v, 0);
    if (!run)
        return PM_EMEMORY;
    rc = pm_recipe_run(&r, run, 0, &cli_progress);
    if (rc == PM_OK && structures)
        rc = pm_seg_structures(v, run->result, PM_STRUCTURES_HU, PM_STRUCTURES_MARGIN_MM, NULL,
                               &cli_progress);
    if (rc == PM_OK) {
        *out = run->result;
        run->result = NULL;
    } else if (rc == PM_ENOLUNG && !*pm_error()) {
        pm_fail(PM_ENOLUNG, "%s: no lungs found", input);
    }
    pm_seg_run_free(run);
    return rc;
}

typedef struct cluster_args {
    const char *input, *out, *mask, *uid;
    pm_gk_opts gk;
    int k0, k1, json;
    pm_load_opts lo;
} cluster_args;

static int cluster_parse(int argc, char **argv, cluster_args *a)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"clusters", required_argument, 0, 'K'},
        {"fuzzifier", required_argument, 0, 'M'}, {"slices", required_argument, 0, 'S'},
        {"mask", required_argument, 0, 'k'}, {"seed", required_argument, 0, 's'},
        {"max-iter", required_argument, 0, 'I'}, {"json", no_argument, 0, 'j'},
        {"series", required_argument, 0, 'u'}, {"max-memory", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    a->k0 = a->k1 = -1;
    pm_gk_defaults(&a->gk);
    while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'K':
            if (cli_opt_int("cluster", "clusters", optarg, 2, PM_GK_MAX, NULL, &a->gk.c))
                return PM_EUSAGE;
            break;
        case 'M':
            if (cli_opt_real("cluster", "fuzzifier", optarg, 1, 10, 1, "1 < M <= 10", &a->gk.m))
                return PM_EUSAGE;
            break;
        case 'S':
            if (cli_parse_pair(optarg, ':', 0, 100000, &a->k0, &a->k1) != 0 || a->k1 <= a->k0)
                return cli_usage("cluster", "bad --slices '%s' (A:B with 0 <= A < B)", optarg);
            break;
        case 'k': a->mask = optarg; break;
        case 's':
            if (cli_opt_u64("cluster", "seed", optarg, 10, "a number >= 0", &a->gk.seed))
                return PM_EUSAGE;
            break;
        case 'I':
            if (cli_opt_int("cluster", "max-iter", optarg, 1, 100000, NULL, &a->gk.maxit))
                return PM_EUSAGE;
            break;
        case 'j': a->json = 1; break;
        case 'u': a->uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &a->lo) != 0)
                return cli_usage("cluster", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(cluster_help, stdout); return -1;
        default: return cli_usage("cluster", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("cluster", "expects one SERIES_DIR");
    a->input = argv[optind];
    if (!a->out)
        return cli_usage("cluster", "needs -o OUTDIR");
    return 0;
}

typedef struct membership_ctx {
    const pm_hu_clusters *h;
    const pm_volume *v;
    const pm_mask *mask;
} membership_ctx;

static int membership_plane(void *ctx, int t, int k, void *buf)
{
    const membership_ctx *m = ctx;
    size_t plane = (size_t)m->v->g.dim[0] * m->v->g.dim[1];
    float *f = buf;
    const int16_t *hu = m->v->hu + plane * (size_t)k;
    const uint8_t *lab = m->mask->v + plane * (size_t)k;
    int inside = k >= m->h->k0 && k < m->h->k1;
    for (size_t x = 0; x < plane; x++)
        f[x] = inside && pm_cluster_in_lung(lab[x]) ? pm_cluster_membership(m->h, hu[x], t) : 0.0f;
    return 0;
}

static void clusters_json(FILE *f, const cluster_args *a, const pm_hu_clusters *h, double secs[4])
{
    pm_json j;
    pm_json_init(&j, f, 1);
    pm_json_object_begin(&j, NULL);
    if (f == stdout) /* --json: the command's one object, with its status */
        cli_json_ok(&j);
    pm_json_string(&j, "series_dir", a->input);
    pm_json_string(&j, "mask", a->mask ? a->mask : "default segmentation with structures");
    pm_json_string(&j, "method", "gustafson-kessel");
    pm_json_string(&j, "feature", "HU");
    pm_json_int(&j, "clusters", h->gk.c);
    pm_json_number(&j, "fuzzifier", a->gk.m);
    pm_json_int(&j, "max_iterations", a->gk.maxit);
    pm_json_number(&j, "tolerance", a->gk.eps);
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->gk.seed);
    pm_json_string(&j, "seed", seed);
    pm_json_array_begin(&j, "slices");
    pm_json_int(&j, NULL, h->k0);
    pm_json_int(&j, NULL, h->k1);
    pm_json_array_end(&j);
    pm_json_int(&j, "voxels", (long long)h->total);
    pm_json_int(&j, "iterations", h->gk.iterations);
    pm_json_number(&j, "final_change", h->gk.final_change);
    pm_json_int(&j, "smallest_cluster", h->smallest + 1);
    pm_json_array_begin(&j, "per_cluster");
    for (int i = 0; i < h->gk.c; i++) {
        pm_json_object_begin(&j, NULL);
        pm_json_int(&j, "label", i + 1);
        pm_json_number(&j, "center_hu", h->gk.center[i][0]);
        pm_json_number(&j, "covariance", h->gk.cov[i][0]);
        pm_json_number(&j, "fuzzy_voxels", h->gk.weight[i]);
        pm_json_int(&j, "voxels", (long long)h->voxels[i]);
        pm_json_number(&j, "ml", h->ml[i]);
        pm_json_int(&j, "iterations", h->gk.iterations);
        pm_json_number(&j, "final_change", h->gk.change[i]);
        pm_json_bool(&j, "smallest", i == h->smallest);
        pm_json_object_end(&j);
    }
    pm_json_array_end(&j);
    pm_json_object_begin(&j, "seconds");
    pm_json_number(&j, "load", secs[0]);
    pm_json_number(&j, "mask", secs[1]);
    pm_json_number(&j, "cluster", secs[2]);
    pm_json_number(&j, "write", secs[3]);
    pm_json_object_end(&j);
    pm_json_object_end(&j);
    pm_json_end(&j);
}

static int write_outputs(const cluster_args *a, const pm_volume *v, const pm_mask *mask,
                         const pm_hu_clusters *h, double secs[4])
{
    char path[4200];
    double t = pm_now();
    pm_mask *labels = pm_mask_new(&v->g);
    if (!labels)
        return PM_EMEMORY;
    pm_cluster_labels(h, v, mask, labels);
    snprintf(path, sizeof path, "%s/labels.nii.gz", a->out);
    int rc = pm_volfile_write_mask(path, labels);
    pm_mask_free(labels);
    if (rc != PM_OK)
        return rc;
    membership_ctx mc = {h, v, mask};
    snprintf(path, sizeof path, "%s/memberships.nii.gz", a->out);
    rc = pm_nifti_write_planes(path, &v->g, h->gk.c, PM_NIFTI_FLOAT32, membership_plane, &mc);
    if (rc != PM_OK)
        return rc;
    secs[3] = pm_now() - t;
    snprintf(path, sizeof path, "%s/clusters.json", a->out);
    pm_outfile o;
    if ((rc = pm_out_open(&o, path)) != PM_OK)
        return rc;
    clusters_json(o.f, a, h, secs);
    return pm_out_commit(&o);
}

int cmd_cluster(int argc, char **argv)
{
    cluster_args a = {0};
    int rc = cluster_parse(argc, argv, &a);
    if (rc < 0)
        return PM_OK;
    if (rc)
        return rc;
    pm_io_protect(a.input);
    if (a.mask)
        pm_io_protect(a.mask);
    if (pm_io_is_protected(a.out))
        return cli_refuse_inside(a.out, a.input);
    double secs[4] = {0}, t = pm_now();
    pm_volume *v = NULL;
    pm_mask *mask = NULL;
    pm_hu_clusters h = {0};
    rc = pm_load_dir(a.input, a.uid, &a.lo, &v, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "loading failed");
    cli_print_warnings(v);
    secs[0] = pm_now() - t;
    int nz = v->g.dim[2];
    if (a.k0 < 0)
        a.k0 = 0, a.k1 = nz;
    if (a.k1 > nz) {
        rc = pm_fail(PM_EUSAGE, "--slices %d:%d: %s has %d slices (0:%d)", a.k0, a.k1, a.input, nz, nz);
        goto done;
    }
    t = pm_now();
    if (a.mask) {
        rc = pm_nifti_read_mask(a.mask, &mask);
        if (rc == PM_OK && memcmp(mask->g.dim, v->g.dim, sizeof v->g.dim))
            rc = pm_fail(PM_EUSAGE, "%s is %dx%dx%d but the series is %dx%dx%d", a.mask,
                         mask->g.dim[0], mask->g.dim[1], mask->g.dim[2], v->g.dim[0], v->g.dim[1],
                         v->g.dim[2]);
    } else {
        rc = cli_lung_mask(v, 1, &mask, a.input);
    }
    secs[1] = pm_now() - t;
    if (rc != PM_OK)
        goto done;
    t = pm_now();
    rc = pm_cluster_hu(v, mask, a.k0, a.k1, &a.gk, &h, &cli_progress);
    secs[2] = pm_now() - t;
    if (rc != PM_OK)
        goto done;
    if ((rc = pm_mkdir_p(a.out)) != PM_OK || (rc = write_outputs(&a, v, mask, &h, secs)) != PM_OK)
        goto done;
    if (a.json) {
        clusters_json(stdout, &a, &h, secs);
    } else {
        printf("%d clusters of %llu voxels, slices %d:%d, m %g: %d iterations, final change %.2g\n",
               h.gk.c, (unsigned long long)h.total, h.k0, h.k1, a.gk.m, h.gk.iterations,
               h.gk.final_change);
        for (int i = 0; i < h.gk.c; i++)
            printf("  %d%s centre %7.1f HU  sd %6.1f HU  %9llu voxels  %9.2f mL\n", i + 1,
                   i == h.smallest ? "*" : " ", h.gk.center[i][0], sqrt(h.gk.cov[i][0]),
                   (unsigned long long)h.voxels[i], h.ml[i]);
        printf("seconds load %.3f, mask %.3f, cluster %.3f, write %.3f\n", secs[0], secs[1],
               secs[2], secs[3]);
    }
done:
    pm_hu_clusters_done(&h);
    pm_mask_free(mask);
    pm_volume_free(v);
    if (rc != PM_OK)
        return cli_fail(rc, "clustering failed");
    return PM_OK;
}
