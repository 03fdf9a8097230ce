/* cmd_batch.c - `pulmo batch ROOT -o OUTDIR`: segment every CT series under
 * ROOT, one sub-folder each, plus a CSV summary. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/io.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char batch_help[] =
    "usage: pulmo batch ROOT -o OUTDIR [--jobs N] [--shard I/N|auto] [--recipe NAME]\n"
    "                   [--resample MM] [--set STEP.PARAM=VALUE ...] [--force]\n"
    "                   [--weights FILE.pth] [--sheets] [--meshes [--smooth ITER]\n"
    "                   [--decimate RATIO]]\n"
    "       pulmo batch ROOT -o OUTDIR --sbatch [--array N] [--cpus C] [--mem M] [--time T]\n"
    "       pulmo batch dicom://AET@host:port -o OUTDIR [--study-date A-B] [--aet AET]\n"
    "       pulmo batch --merge OUTDIR\n\n"
    "Segment every CT series under ROOT into OUTDIR/<series folder>/ (mask.nii.gz,\n"
    "report.json) and write OUTDIR/summary.csv, one row per series (failures too).\n"
    "Series whose report.json exists are not recomputed, so an interrupted batch\n"
    "resumes where it stopped.\n\n"
    "  -o, --output OUTDIR  output folder (never inside ROOT)\n"
    "  --jobs N             series segmented at once (default 1)\n"
    "  --shard I/N          only every N-th series starting at the I-th (1-based);\n"
    "                       the summary is then OUTDIR/summary-I-of-N.csv, and the\n"
    "                       exit status says whether a series failed\n"
    "  --shard auto         I and N of this Slurm array task (SLURM_ARRAY_TASK_ID,\n"
    "                       _COUNT, _MIN; or N from OUTDIR/shards.csv after --sbatch)\n"
    "  --recipe NAME        default, tutorial, otsu or unet\n"
    "  --weights FILE.pth   U-Net weights for --recipe unet (else PULMO_WEIGHTS or\n"
    "                       $XDG_CONFIG_HOME/pulmo/weights)\n"
    "  --resample MM        resample to MM isotropic first\n"
    "  --set S.P=V          change a recipe parameter (repeatable)\n"
    "  --force              recompute series that already have a report\n"
    "  --sheets             also OUTDIR/<series folder>/sheet.png, the triage sheet\n"
    "                       (as `pulmo report` draws it)\n"
    "  --meshes             also OUTDIR/<series folder>/lungs.stl, the lungs' surface\n"
    "                       (as `pulmo segment --mesh`); --smooth ITER and --decimate\n"
    "                       RATIO shape it\n"
    "  --sbatch             print a Slurm job array script for this batch (and write\n"
    "                       the plan OUTDIR/shards.csv and the folder OUTDIR/logs)\n"
    "  --array N            array tasks (default: one per 16 series per CPU)\n"
    "  --cpus C             CPUs per task, also its --jobs (default: --jobs)\n"
    "  --mem M              memory per task, Slurm units (default: 2G per CPU)\n"
    "  --time T             time limit per task, Slurm format (default: 5 min per\n"
    "                       series per CPU, at least 15)\n"
    "  --merge OUTDIR       join OUTDIR/summary-I-of-N.csv into OUTDIR/summary.csv\n"
    "                       and list missing or failed series\n"
    "  --study-date A-B     dicom:// only: the CT series of studies of these dates\n"
    "                       (YYYYMMDD-YYYYMMDD), retrieved and segmented one at a\n"
    "                       time into OUTDIR/<series UID>/; --aet, --port, --timeout\n"
    "                       as for `pulmo scan`\n"
    "  -h, --help           this help\n\n"
    "Exit 0 when every series was processed (see the summary for failures); with\n"
    "--shard, the status of the first failed series if any failed. --merge exits 2\n"
    "when series are missing, 3 when some failed.\n";

static void notify(void *user, int done, int total, const char *name, const pm_segment_report *r)
{
    (void)user;
    const char *what = r->skipped ? "skipped (report exists)"
                     : r->status == PM_OK ? "ok"
                     : r->status == PM_ENOLUNG ? "no lungs" : "FAILED";
    fprintf(stderr, "[%d/%d] %s: %s", done, total, name, what);
    if (r->status == PM_OK && !r->skipped)
        fprintf(stderr, " (%.0f mL, %.1f s)", r->m.lung_ml, r->seconds_total);
    if (r->status != PM_OK && !r->skipped)
        fprintf(stderr, ": %s", r->message);
    fputc('\n', stderr);
}

/* One series at a time from a node; no shards or Slurm there. */
/* The status of a finished batch call, and its counts on stdout. */
static int batch_outcome(int rc, const pm_batch_result *res)
{
    if (rc == PM_EUSAGE)
        return cli_usage("batch", "%s", pm_error());
    if (rc != PM_OK)
        return cli_fail(rc, "batch failed");
    printf("%d series: %d ok, %d no lungs, %d failed, %d skipped (already done)\n", res->total, res->ok,
           res->no_lungs, res->failed, res->skipped);
    printf("summary      %s\n", res->summary_path);
    return PM_OK;
}

static int batch_remote(const char *url, const cli_net_opts *no, const char *study_date,
                        const char *out, const pm_batch_opts *bo)
{
    if (bo->shard_count || bo->jobs > 1)
        return cli_usage("batch", "--shard and --jobs are for folders, not dicom:// nodes");
    pm_node n;
    char uid[72];
    int rc = cli_net_node(url, no, &n, uid, sizeof uid);
    if (rc != PM_OK)
        return rc;
    pm_remote_query q = {.study_date = study_date, .series_uid = uid[0] ? uid : NULL};
    pm_batch_result res;
    return batch_outcome(pm_batch_remote(&n, &q, out, bo, notify, NULL, &res, &cli_progress), &res);
}

int cmd_batch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"jobs", required_argument, 0, 'J'},
        {"shard", required_argument, 0, 'S'}, {"recipe", required_argument, 0, 'r'},
        {"resample", required_argument, 0, 'R'}, {"set", required_argument, 0, 's'},
        {"force", no_argument, 0, 'f'}, {"max-memory", required_argument, 0, 'm'},
        {"sheets", no_argument, 0, 'G'}, {"meshes", no_argument, 0, 0x6d01},
        {"smooth", required_argument, 0, 0x6d02}, {"decimate", required_argument, 0, 0x6d03},
        {"weights", required_argument, 0, 'W'}, {"help", no_argument, 0, 'h'},
        {"merge", required_argument, 0, 'M'}, {"sbatch", no_argument, 0, 'B'},
        {"array", required_argument, 0, 'A'}, {"cpus", required_argument, 0, 'C'},
        {"mem", required_argument, 0, 'E'}, {"time", required_argument, 0, 'T'},
        {"study-date", required_argument, 0, 'D'}, CLI_NET_OPTIONS, {0, 0, 0, 0}};
    const char *merge = NULL;
    int sbatch = 0, shard_auto = 0;
    cli_sbatch_args sa = {0};
    pm_batch_opts bo = {.seg = {.recipe = "default", .write_mask = 1}, .jobs = 1};
    const char *out = NULL, *study_date = NULL;
    cli_net_opts no = {0};
    int c, t;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
        if ((t = cli_net_option("batch", c, optarg, &no)) < 0)
            return PM_EUSAGE;
        if (t)
            continue;
        switch (c) {
        case 'D': study_date = optarg; break;
        case 'o': out = optarg; break;
        case 'j':
        case 'J':
            if (cli_opt_int("batch", "jobs", optarg, 1, 64, NULL, &bo.jobs))
                return PM_EUSAGE;
            break;
        case 'S':
            if (!strcmp(optarg, "auto")) {
                shard_auto = 1;
                break;
            }
            if (cli_parse_pair(optarg, '/', 1, INT_MAX, &bo.shard_index, &bo.shard_count) ||
                bo.shard_index > bo.shard_count)
                return cli_usage("batch", "bad --shard '%s' (I/N with 1 <= I <= N)", optarg);
            break;
        case 'r': bo.seg.recipe = optarg; break;
        case 'R':
            if (cli_opt_real("batch", "resample", optarg, 0, 100, 1, "mm, > 0", &bo.seg.resample_mm))
                return PM_EUSAGE;
            break;
        case 's':
            if (bo.seg.nsets == PM_MAX_SETS)
                return cli_usage("batch", "too many --set options");
            bo.seg.sets[bo.seg.nsets++] = optarg;
            break;
        case 'f': bo.force = 1; break;
        case 'G': bo.seg.sheet = 1; break;
        case 0x6d01: bo.meshes = 1; break;
        case 0x6d02:
            if (cli_opt_int("batch", "smooth", optarg, 0, 10000, "0..10000 passes", &bo.seg.mesh_smooth))
                return PM_EUSAGE;
            break;
        case 0x6d03:
            if (cli_opt_real("batch", "decimate", optarg, 0, 1, 1, "0 < RATIO <= 1", &bo.seg.mesh_ratio))
                return PM_EUSAGE;
            break;
        case 'W': bo.seg.weights = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &bo.seg.load) != 0)
                return cli_usage("batch", "bad --max-memory '%s'", optarg);
            break;
        case 'M': merge = optarg; break;
        case 'B': sbatch = 1; break;
        case 'A':
        case 'C':
            if (cli_opt_int("batch", c == 'A' ? "array" : "cpus", optarg, 1, INT_MAX,
                            "a positive number", c == 'A' ? &sa.array : &sa.cpus))
                return PM_EUSAGE;
            break;
        case 'E': sa.mem = optarg; break;
        case 'T': sa.time = optarg; break;
        case 'h': fputs(batch_help, stdout); return PM_OK;
        default: return cli_usage("batch", "unknown option");
        }
    }
    if (merge)
        return optind == argc ? cli_batch_merge(merge)
                              : cli_usage("batch", "--merge OUTDIR takes no ROOT");
    if ((sa.array || sa.cpus || sa.mem || sa.time) && !sbatch)
        return cli_usage("batch", "--array, --cpus, --mem and --time go with --sbatch");
    if (!bo.meshes && (bo.seg.mesh_smooth || bo.seg.mesh_ratio > 0))
        return cli_usage("batch", "--smooth and --decimate shape the --meshes surfaces: give --meshes");
    if (optind != argc - 1)
        return cli_usage("batch", "expects one ROOT folder");
    if (!out)
        return cli_usage("batch", "needs -o OUTDIR");
    const char *root = argv[optind];
    if (pm_net_is_url(root))
        return batch_remote(root, &no, study_date, out, &bo);
    if (study_date)
        return cli_usage("batch", "--study-date is for a dicom:// node");
    pm_io_protect(root);
    if (pm_io_is_protected(out))
        return cli_refuse_inside(out, root);
    if (sbatch)
        return cli_batch_sbatch(root, out, &bo, &sa);
    if (shard_auto && pm_batch_shard_auto(out, &bo.shard_index, &bo.shard_count) != PM_OK)
        return cli_usage("batch", "%s", pm_error());
    pm_batch_result res;
    int rc = pm_batch_run(root, out, &bo, notify, NULL, &res, &cli_progress);
    if ((rc = batch_outcome(rc, &res)) != PM_OK)
        return rc;
    /* A shard is a cluster task: a failed series must fail the task, so the
     * scheduler shows it (the status of the first failed series). */
    if (bo.shard_count && res.failed)
        return res.first_failure;
    return PM_OK;
}
