/* io.h - safe output files and paths.
 *
 * Every export is written to a temporary file in the destination folder and
 * renamed into place only when every byte reached the disk, so a crash, a
 * full disk or a cancel never leaves a partial file under the final name.
 *
 *     pm_outfile o;
 *     if (pm_out_open(&o, "out/mask.nii.gz") != PM_OK) ... pm_error() ...
 *     fwrite(..., o.f);               // or write(o.fd, ...) / gzdopen(o.fd)
 *     return pm_out_commit(&o);       // PM_EWRITE and no file on failure
 *
 * pm_out_open refuses a destination inside a folder registered with
 * pm_io_protect() (pulmo's inputs), because pulmo never writes there.
 */
#ifndef PULMO_IO_H
#define PULMO_IO_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_outfile {
    FILE *f;            /* buffered stream on fd */
    int fd;
    char tmp[4096];
    char path[4096];
} pm_outfile;

/* Creates the temporary file beside path. PM_EWRITE with a reason naming the
 * path when the folder is missing, not writable, or protected. */
int pm_out_open(pm_outfile *o, const char *path);
/* Flushes, syncs, closes and renames into place. On any failure the
 * temporary file is removed and PM_EWRITE is returned. */
int pm_out_commit(pm_outfile *o);
/* Closes and removes the temporary file. Safe on a failed open. */
void pm_out_abort(pm_outfile *o);

/* Marks a folder (or a file's folder) as input: outputs inside it are
 * refused. Returns 0, or -1 if the path cannot be resolved. */
int pm_io_protect(const char *path);
/* Forgets all protected folders. */
void pm_io_unprotect_all(void);
/* Non-zero when path (existing or not) lies inside a protected folder. */
int pm_io_is_protected(const char *path);

/* Writes len bytes as the whole file path, through pm_out_open and
 * pm_out_commit: PM_OK, or PM_EWRITE and no file. */
int pm_write_file(const char *path, const void *data, size_t len);

/* Reads a file into a NUL-terminated buffer (free it): the whole file, or
 * its first max bytes when max > 0 (*len == max then means "maybe more").
 * PM_ENODATA when it does not exist, PM_ECORRUPT when it cannot be read,
 * PM_EMEMORY; the reason names the path. Outputs untouched on failure. */
int pm_read_file(const char *path, size_t max, char **data, size_t *len);

/* mkdir -p. PM_EWRITE with a reason on failure. */
int pm_mkdir_p(const char *dir);

/* Non-zero when path exists. */
int pm_path_exists(const char *path);
/* Non-zero when path is a directory. */
int pm_is_dir(const char *path);

#ifdef __cplusplus
}
#endif

#endif
