/* test_safe_write.c - outputs are all or nothing: pm_nifti_write (through
 * pm_outfile) on a full disk, over the file size limit, to a device node,
 * and into a protected input folder, leaves either the complete new file or
 * the old state, never a partial file or a temporary one.
 *
 * A full disk is made honestly: `ulimit -f` (RLIMIT_FSIZE, writes fail with
 * EFBIG) in a child process, and a 64 KB tmpfs when the test may mount one
 * (root with CAP_SYS_ADMIN; otherwise it prints a SKIP line). Device nodes are
 * made with mknod inside the test folder, so a regression can never replace
 * the machine's own /dev/full.
 */
#include "files.h"
#include "pulmo/core.h"
#include "pulmo/dicom.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

/* A 64^3 int16 image whose gzip stream stays large (a noisy ramp). */
static int16_t *image(pm_grid *g)
{
    pm_grid_init(g, 64, 64, 64, 0.7, 0.7, 1.25);
    size_t n = pm_grid_voxels(g);
    int16_t *v = malloc(n * sizeof *v);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (int16_t)((i % 64) * 30 - 1000 + (int)(x >> 24));
    }
    return v;
}

/* Names in dir, one per line, sorted by the shell. */
static void listing(const char *dir, char *dst, size_t cap)
{
    char cmd[1200], path[700];
    snprintf(path, sizeof path, "%s/listing", test_tmpdir());
    snprintf(cmd, sizeof cmd, "ls -A '%s' | sort >'%s'", dir, path);
    test_sh(cmd);
    tf_read_text(path, dst, cap);
}

static const char *fresh_dir(const char *name)
{
    static char d[4][700];
    static int k;
    char *p = d[k++ % 4];
    snprintf(p, sizeof d[0], "%s/%s", test_tmpdir(), name);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", p, p);
    test_sh(cmd);
    return p;
}

/* Runs pm_nifti_write in a child under a file size limit; returns its status. */
static int write_limited(const char *path, const pm_grid *g, const int16_t *v, rlim_t limit)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(pm_nifti_write(path, g, PM_NIFTI_INT16, v));
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(a_write_over_the_file_size_limit_fails_with_4_and_leaves_nothing)
{
    pm_grid g;
    int16_t *v = image(&g);
    const char *dir = fresh_dir("fsize");
    static const char *names[2] = {"mask.nii", "mask.nii.gz"};
    for (int i = 0; i < 2; i++) {
        char path[800], list[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int rc = write_limited(path, &g, v, 64 * 1024);
        listing(dir, list, sizeof list);
        CHECK(rc == PM_EWRITE, "%s: status %d, want 4", names[i], rc);
        CHECK(list[0] == '\0', "%s: files left behind:\n%s", names[i], list);
    }
    free(v);
}

TEST(a_failed_write_keeps_the_previous_file_intact)
{
    pm_grid g;
    int16_t *v = image(&g);
    const char *dir = fresh_dir("keep");
    char path[800];
    snprintf(path, sizeof path, "%s/mask.nii", dir);
    CHECK(tf_spit(path, "previous", 8) == 0, "write");
    CHECK(write_limited(path, &g, v, 64 * 1024) == PM_EWRITE, "limited write did not fail");
    size_t n;
    unsigned char *b = tf_slurp(path, &n);
    CHECK(b && n == 8 && memcmp(b, "previous", 8) == 0, "the previous file changed (%zu bytes)", n);
    free(b);
    char list[4096];
    listing(dir, list, sizeof list);
    CHECK(strcmp(list, "mask.nii\n") == 0, "files: %s", list);
    /* And a successful write replaces it completely. */
    CHECK(pm_nifti_write(path, &g, PM_NIFTI_INT16, v) == PM_OK, "%s", pm_error());
    pm_volume *back = NULL;
    CHECK(pm_nifti_read_volume(path, &back) == PM_OK, "%s", pm_error());
    CHECK(memcmp(back->hu, v, pm_grid_voxels(&g) * 2) == 0, "read back differs");
    pm_volume_free(back);
    listing(dir, list, sizeof list);
    CHECK(strcmp(list, "mask.nii\n") == 0, "files after success: %s", list);
    free(v);
}

TEST(a_full_tmpfs_fails_with_4_and_leaves_nothing)
{
    const char *dir = fresh_dir("tmpfs");
    if (mount("pulmo-test", dir, "tmpfs", 0, "size=64k") != 0) {
        printf("SKIP a_full_tmpfs_fails_with_4_and_leaves_nothing: cannot mount a tmpfs (%s); "
               "the file size limit test covers the full-disk path\n", strerror(errno));
        return;
    }
    pm_grid g;
    int16_t *v = image(&g);
    char path[800], list[4096];
    snprintf(path, sizeof path, "%s/mask.nii", dir);
    int rc = pm_nifti_write(path, &g, PM_NIFTI_INT16, v);
    const char *why = pm_error();
    listing(dir, list, sizeof list);
    umount(dir);
    free(v);
    CHECK(rc == PM_EWRITE, "status %d (%s)", rc, why);
    CHECK(strstr(why, "mask.nii"), "reason does not name the file: %s", why);
    CHECK(list[0] == '\0', "files left on the full disk:\n%s", list);
}

TEST(a_device_is_written_in_place_and_a_full_device_fails_with_4)
{
    const char *dir = fresh_dir("dev");
    char full[800], null[800];
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(null, sizeof null, "%s/null", dir);
    if (mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0 || mknod(null, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        printf("SKIP a_device_is_written_in_place_and_a_full_device_fails_with_4: mknod: %s\n",
               strerror(errno));
        return;
    }
    pm_grid g;
    int16_t *v = image(&g);
    int rc_full = pm_nifti_write(full, &g, PM_NIFTI_INT16, v);
    int rc_null = pm_nifti_write(null, &g, PM_NIFTI_INT16, v);
    free(v);
    struct stat st_full, st_null;
    CHECK(stat(full, &st_full) == 0 && S_ISCHR(st_full.st_mode), "the full device node was replaced");
    CHECK(stat(null, &st_null) == 0 && S_ISCHR(st_null.st_mode), "the null device node was replaced");
    CHECK(rc_full == PM_EWRITE, "full device: status %d", rc_full);
    CHECK(rc_null == PM_OK, "null device: status %d (%s)", rc_null, pm_error());
    char list[4096];
    listing(dir, list, sizeof list);
    CHECK(strcmp(list, "full\nnull\n") == 0, "files left: %s", list);
}

TEST(outputs_inside_a_protected_input_are_refused_even_through_a_symlink)
{
    const char *in = fresh_dir("input");
    const char *out = fresh_dir("output");
    char link[800], cmd[2000];
    snprintf(link, sizeof link, "%s/to-input", out);
    snprintf(cmd, sizeof cmd, "ln -s '%s' '%s' && mkdir '%s/sub'", in, link, in);
    CHECK(test_sh(cmd) == 0, "setup");
    CHECK(pm_io_protect(in) == 0, "protect");
    pm_grid g;
    int16_t *v = image(&g);
    char path[3][900];
    snprintf(path[0], sizeof path[0], "%s/mask.nii", in);
    snprintf(path[1], sizeof path[1], "%s/sub/new/mask.nii.gz", in);
    snprintf(path[2], sizeof path[2], "%s/mask.nii", link);
    for (int i = 0; i < 3; i++) {
        int rc = pm_nifti_write(path[i], &g, PM_NIFTI_INT16, v);
        CHECK(rc == PM_EWRITE && strstr(pm_error(), "input"), "%s: status %d (%s)", path[i], rc, pm_error());
    }
    char sub[900];
    snprintf(sub, sizeof sub, "%s/sub/new", in);
    CHECK(pm_mkdir_p(sub) == PM_EWRITE, "mkdir inside the input was allowed");
    char list[4096];
    listing(in, list, sizeof list);
    CHECK(strcmp(list, "sub\n") == 0, "input folder changed: %s", list);
    /* Beside the input is fine. */
    snprintf(path[0], sizeof path[0], "%s/mask.nii", out);
    CHECK(pm_nifti_write(path[0], &g, PM_NIFTI_INT16, v) == PM_OK, "%s", pm_error());
    pm_io_unprotect_all();
    free(v);
}

/* GDCM's writer asserted (aborted) when its file stream failed. */
TEST(a_dicom_slice_over_the_file_size_limit_fails_with_4_and_leaves_nothing)
{
    const char *dir = fresh_dir("dicom-fsize");
    static int16_t px[128 * 128];
    pm_dicom_ct ct = {0};
    ct.series_uid = "1.2.826.0.1.3680043.2.1125.9";
    ct.sop_uid = "1.2.826.0.1.3680043.2.1125.9.1";
    ct.rows = ct.cols = 128;
    ct.pixel_spacing[0] = ct.pixel_spacing[1] = 1;
    ct.slope = 1;
    double iop[6] = {1, 0, 0, 0, 1, 0};
    memcpy(ct.iop, iop, sizeof iop);
    char path[800];
    snprintf(path, sizeof path, "%s/IM0001.dcm", dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {16 * 1024, 16 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(pm_dicom_write_ct(path, &ct, px));
    }
    int st;
    waitpid(pid, &st, 0);
    char list[4096];
    listing(dir, list, sizeof list);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == PM_EWRITE, "child %s %d", WIFEXITED(st) ? "exited" : "killed by signal",
          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    CHECK(list[0] == '\0', "files left behind:\n%s", list);
    CHECK(pm_dicom_write_ct(path, &ct, px) == PM_OK, "%s", pm_error());
    listing(dir, list, sizeof list);
    CHECK(strcmp(list, "IM0001.dcm\n") == 0, "files: %s", list);
}

int main(void)
{
    RUN(a_write_over_the_file_size_limit_fails_with_4_and_leaves_nothing);
    RUN(a_failed_write_keeps_the_previous_file_intact);
    RUN(a_full_tmpfs_fails_with_4_and_leaves_nothing);
    RUN(a_device_is_written_in_place_and_a_full_device_fails_with_4);
    RUN(outputs_inside_a_protected_input_are_refused_even_through_a_symlink);
    RUN(a_dicom_slice_over_the_file_size_limit_fails_with_4_and_leaves_nothing);
    return test_done();
}
