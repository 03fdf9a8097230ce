/* test_batch_slurm.c - the Slurm side of pulmo batch without a cluster:
 * --shard auto from array variables, the sbatch script (run through sh -n),
 * the plan and the merge of shard tables. tests/test_slurm.sh runs it all on a
 * real one-node Slurm. */
#include "test.h"
#include "pulmo/batch.h"
#include "pulmo/core.h"
#include "pulmo/text.h"

#include <math.h>

#include <sys/stat.h>

static void array_env(const char *id, const char *count, const char *min, const char *max,
                      const char *step)
{
    const char *names[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                           "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP"};
    const char *vals[] = {id, count, min, max, step};
    for (int i = 0; i < 5; i++) {
        if (vals[i])
            setenv(names[i], vals[i], 1);
        else
            unsetenv(names[i]);
    }
}

TEST(shard_auto_maps_array_indices_to_shards_from_one)
{
    int i = -1, n = -1;
    array_env("1", "3", "1", "3", NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_OK && i == 1 && n == 3, "1 of 1-3: %d/%d %s", i, n, pm_error());
    array_env("3", "3", "1", "3", "1");
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_OK && i == 3 && n == 3, "3 of 1-3: %d/%d", i, n);
    array_env("0", "4", "0", "3", NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_OK && i == 1 && n == 4, "0 of 0-3: %d/%d", i, n);
    array_env("7", "4", "1", "7", "2");
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_OK && i == 4 && n == 4, "7 of 1-7:2: %d/%d", i, n);
}

TEST(shard_auto_refuses_outside_an_array_and_uneven_indices)
{
    int i = -1, n = -1;
    array_env(NULL, NULL, NULL, NULL, NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_EUSAGE && strstr(pm_error(), "SLURM_ARRAY_TASK_ID"),
          "no array: %s", pm_error());
    /* --array=1,4,9: three tasks, not one range */
    array_env("4", "3", "1", "9", NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_EUSAGE, "1,4,9 accepted as %d/%d", i, n);
    /* a re-submission of task 2 only (--array=2) would otherwise run as 1/1 */
    array_env("2", "1", "2", "2", NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_OK && i == 1 && n == 1, "single task: %d/%d", i, n);
    array_env("x", "3", "1", "3", NULL);
    CHECK(pm_batch_shard_auto(NULL, &i, &n) == PM_EUSAGE, "non-numeric id accepted");
    CHECK(i == 1 && n == 1, "outputs changed on failure: %d/%d", i, n);
    array_env(NULL, NULL, NULL, NULL, NULL);
}

TEST(shard_auto_takes_the_task_id_as_shard_when_outdir_has_a_plan)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%.250s/planned", test_tmpdir());
    mkdir(dir, 0755);
    const char *cohort[] = {"a", "b", "c", "d", "e"};
    CHECK(pm_batch_write_plan(dir, 5, cohort, 3) == PM_OK, "plan: %s", pm_error());
    int i = -1, n = -1;
    /* sbatch --array=2 job.sh: a re-run of task 2 alone is shard 2 of 3 */
    array_env("2", "1", "2", "2", NULL);
    CHECK(pm_batch_shard_auto(dir, &i, &n) == PM_OK && i == 2 && n == 3, "task 2 alone: %d/%d %s", i, n,
          pm_error());
    array_env("0", "3", "0", "2", NULL);
    CHECK(pm_batch_shard_auto(dir, &i, &n) == PM_EUSAGE && strstr(pm_error(), "outside the plan"),
          "task 0 accepted: %s", pm_error());
    array_env("4", "4", "1", "4", NULL);
    CHECK(pm_batch_shard_auto(dir, &i, &n) == PM_EUSAGE, "task 4 of a 3-shard plan accepted");
    array_env(NULL, NULL, NULL, NULL, NULL);
}

TEST(array_size_follows_the_series_count)
{
    CHECK(pm_batch_array_size(1, 1) == 1, "1 series");
    CHECK(pm_batch_array_size(16, 1) == 1, "16 series, 1 cpu: %d", pm_batch_array_size(16, 1));
    CHECK(pm_batch_array_size(17, 1) == 2, "17 series, 1 cpu: %d", pm_batch_array_size(17, 1));
    CHECK(pm_batch_array_size(100, 4) == 2, "100 series, 4 cpus: %d", pm_batch_array_size(100, 4));
    CHECK(pm_batch_array_size(1000000, 1) == PM_BATCH_MAX_SHARDS, "huge cohort");
}

static char *script_of(pm_sbatch_opts *o, int expect)
{
    char *s = NULL;
    int tasks = 0;
    int rc = pm_batch_sbatch_script(o, &s, &tasks);
    CHECK(rc == expect, "script rc %d (want %d): %s", rc, expect, pm_error());
    return s;
}

TEST(sbatch_script_is_valid_shell_with_the_requested_resources)
{
    const char *args[] = {"--recipe", "otsu", "--set", "close.radius=2 mm"};
    pm_sbatch_opts o = {.pulmo = "/opt/pulmo/bin/pulmo", .root = "/data/it's a cohort",
                        .outdir = "/scratch/out", .nseries = 10, .array = 3, .cpus = 4,
                        .mem = "6G", .time = "0:30:00", .args = args, .nargs = 4};
    char *s = script_of(&o, PM_OK);
    CHECK(strncmp(s, "#!/bin/sh\n", 10) == 0, "no shebang");
    CHECK(strstr(s, "#SBATCH --array=1-3\n"), "array: %s", s);
    CHECK(strstr(s, "#SBATCH --cpus-per-task=4\n"), "cpus");
    CHECK(strstr(s, "\nexport PULMO_THREADS=4\n"), "threads not limited to the task's CPUs: %s", s);
    CHECK(strstr(s, "#SBATCH --mem=6G\n") && strstr(s, "#SBATCH --time=0:30:00\n"), "mem/time");
    CHECK(strstr(s, "#SBATCH --output=/scratch/out/logs/pulmo-%A_%a.out\n"), "output: %s", s);
    CHECK(strstr(s, "--shard auto --jobs 4 --recipe otsu --set 'close.radius=2 mm'\n"), "command: %s", s);
    CHECK(strstr(s, "'/data/it'\\''s a cohort'"), "quoting: %s", s);
    char path[400];
    snprintf(path, sizeof path, "%.250s/job.sh", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f, "write %.200s", path);
    fputs(s, f);
    fclose(f);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "sh -n '%s'", path);
    CHECK(test_sh(cmd) == 0, "sh -n rejects the script");
    /* the ROOT as the shell sees it, quote included */
    snprintf(cmd, sizeof cmd, "sed -n 's/^exec /printf \"%%s\\\\n\" /p' '%s' | sh | sed -n 3p | "
                              "grep -qx \"/data/it's a cohort\"", path);
    CHECK(test_sh(cmd) == 0, "ROOT does not reach pulmo as one word");
    free(s);
}

TEST(sbatch_script_chooses_array_and_limits_when_not_given)
{
    pm_sbatch_opts o = {.pulmo = "/p", .root = "/r", .outdir = "/o", .nseries = 40, .cpus = 2};
    char *s = script_of(&o, PM_OK);
    CHECK(strstr(s, "#SBATCH --array=1-2\n"), "40 series, 2 cpus: %s", s);
    CHECK(strstr(s, "#SBATCH --mem=4G\n"), "default mem: %s", s);
    free(s);
    o.array = 9;
    o.nseries = 4;
    s = script_of(&o, PM_OK);
    CHECK(strstr(s, "#SBATCH --array=1-4\n"), "more tasks than series: %s", s);
    free(s);
    o.mem = "lots";
    CHECK(script_of(&o, PM_EUSAGE) == NULL, "bad mem accepted");
    o.mem = NULL;
    o.time = "1:2:3:4:5";
    CHECK(script_of(&o, PM_EUSAGE) == NULL, "bad time accepted");
    o.time = NULL;
    o.root = "relative";
    CHECK(script_of(&o, PM_EUSAGE) == NULL, "relative root accepted");
    o.root = "/r";
    o.outdir = "/scratch/100%";
    CHECK(script_of(&o, PM_EUSAGE) == NULL, "%% in OUTDIR accepted (Slurm expands it in --output)");
    o.outdir = "/o";
    o.root = "/r";
    o.nseries = 0;
    CHECK(script_of(&o, PM_ENODATA) == NULL, "empty cohort accepted");
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%.290s/%.90s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f, "cannot write %.200s", path);
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *dir, const char *name)
{
    static char buf[8192];
    char path[400];
    snprintf(path, sizeof path, "%.290s/%.90s", dir, name);
    FILE *f = fopen(path, "r");
    CHECK(f, "cannot read %.200s", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

TEST(merge_joins_shards_in_plan_order_and_names_missing_and_failed)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%.250s/merge", test_tmpdir());
    mkdir(dir, 0755);
    const char *cohort[] = {"a", "b,\"quoted\"", "c", "d", "e"};
    CHECK(pm_batch_write_plan(dir, 5, cohort, 3) == PM_OK, "plan: %s", pm_error());
    CHECK(pm_batch_plan_shards(dir) == 3, "plan shards %d", pm_batch_plan_shards(dir));
    /* shard 1 holds a and d; shard 2 b and e (e failed); shard 3 never ran */
    write_file(dir, "summary-1-of-3.csv", "series,status,lung_ml\na,ok,5000.5\nd,ok,4100\n");
    write_file(dir, "summary-2-of-3.csv",
               "series,status,lung_ml\n\"b,\"\"quoted\"\"\",ok,3000\ne,error,\n");
    pm_batch_merged m;
    CHECK(pm_batch_merge(dir, &m) == PM_OK, "merge: %s", pm_error());
    const char *got = read_all(dir, "summary.csv");
    CHECK(!strcmp(got, "series,status,lung_ml\na,ok,5000.5\n\"b,\"\"quoted\"\"\",ok,3000\nd,ok,4100\n"
                       "e,error,\n"),
          "summary.csv:\n%.800s", got);
    CHECK(m.nrows == 4 && m.nshards == 2 && m.shards == 3 && m.planned, "rows %d shards %d of %d",
          m.nrows, m.nshards, m.shards);
    CHECK(m.nmissing == 1 && !strcmp(m.missing[0], "c"), "missing %d", m.nmissing);
    CHECK(m.nfailed == 1 && !strcmp(m.failed[0], "e"), "failed %d", m.nfailed);
    CHECK(m.nmissing_shards == 1 && m.missing_shards[0] == 3, "missing shards %d", m.nmissing_shards);
    CHECK(m.nduplicates == 0, "duplicates %d", m.nduplicates);
    pm_batch_merged_free(&m);

    /* shard 3 arrives, and a stray re-run also wrote d again */
    write_file(dir, "summary-3-of-3.csv", "series,status,lung_ml\nc,ok,4500\nd,ok,4100\n");
    write_file(dir, "summary-1-of-2.csv", "series,status,lung_ml\na,error,\n"); /* an older split */
    CHECK(pm_batch_merge(dir, &m) == PM_OK, "merge 2: %s", pm_error());
    CHECK(m.nrows == 5 && m.nmissing == 0 && m.nmissing_shards == 0, "rows %d missing %d", m.nrows,
          m.nmissing);
    CHECK(m.nduplicates == 1 && !strcmp(m.duplicates[0], "d"), "duplicates %d", m.nduplicates);
    CHECK(m.ignored == 1 && m.nfailed == 1, "ignored %d failed %d", m.ignored, m.nfailed);
    pm_batch_merged_free(&m);
}

TEST(merge_refuses_tables_with_different_columns_and_empty_folders)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%.250s/mixed", test_tmpdir());
    mkdir(dir, 0755);
    pm_batch_merged m;
    CHECK(pm_batch_merge(dir, &m) == PM_ENODATA, "empty folder: %s", pm_error());
    write_file(dir, "summary-01-of-2.csv", "series,status,lung_ml\na,ok,1\n");
    CHECK(pm_batch_merge(dir, &m) == PM_ENODATA, "summary-01-of-2.csv taken for a shard table");
    write_file(dir, "summary-1-of-2.csv", "series,status,lung_ml\na,ok,1\n");
    write_file(dir, "summary-2-of-2.csv", "series,status,lung_ml,extra\nb,ok,1,2\n");
    CHECK(pm_batch_merge(dir, &m) == PM_ECORRUPT && strstr(pm_error(), "summary-2-of-2.csv"),
          "mixed columns: %s", pm_error());
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    CHECK(access(path, F_OK) != 0, "summary.csv written despite the error");
    /* without a plan, two splits cannot be told apart */
    write_file(dir, "summary-2-of-2.csv", "series,status,lung_ml\nb,ok,1\n");
    write_file(dir, "summary-1-of-3.csv", "series,status,lung_ml\na,ok,1\n");
    CHECK(pm_batch_merge(dir, &m) == PM_EUSAGE, "two splits without a plan: %s", pm_error());
}

/* A resumed series' summary row is printed from its report.json; a fresh
 * one from the computed value. Both must round to the same digits. */
TEST(figures_round_the_same_fresh_and_read_back_from_json)
{
    const double xs[] = {1863.4249999999, 1863.425000001, 0.0049999999999, -917.5, 3793.22,
                         2.5600000000004, 1e-7, 12345678.125};
    for (int i = 0; i < (int)(sizeof xs / sizeof *xs); i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK(f, "open_memstream");
        pm_json j;
        pm_json_init(&j, f, 0);
        pm_json_number(&j, NULL, xs[i]);
        fclose(f);
        double back = strtod(text, NULL);
        char fresh[64], resumed[64];
        snprintf(fresh, sizeof fresh, "%.2f", pm_json_roundtrip(xs[i]));
        snprintf(resumed, sizeof resumed, "%.2f", pm_json_roundtrip(back));
        free(text);
        CHECK(!strcmp(fresh, resumed), "%.17g: fresh %s, read back %s", xs[i], fresh, resumed);
        CHECK(fabs(pm_json_roundtrip(xs[i]) - xs[i]) <= 1e-9 * fabs(xs[i]), "%.17g moved", xs[i]);
    }
    CHECK(isnan(pm_json_roundtrip(NAN)), "NaN");
}

int main(void)
{
    RUN(shard_auto_maps_array_indices_to_shards_from_one);
    RUN(shard_auto_refuses_outside_an_array_and_uneven_indices);
    RUN(shard_auto_takes_the_task_id_as_shard_when_outdir_has_a_plan);
    RUN(array_size_follows_the_series_count);
    RUN(sbatch_script_is_valid_shell_with_the_requested_resources);
    RUN(sbatch_script_chooses_array_and_limits_when_not_given);
    RUN(merge_joins_shards_in_plan_order_and_names_missing_and_failed);
    RUN(merge_refuses_tables_with_different_columns_and_empty_folders);
    RUN(figures_round_the_same_fresh_and_read_back_from_json);
    return test_done();
}
