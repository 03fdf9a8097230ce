/* io.c - temporary-name-and-rename outputs, protected input folders. */
#include "pulmo/io.h"
#include "pulmo/core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define PM__MAX_PROTECTED 64

static pthread_mutex_t pm__protect_lock = PTHREAD_MUTEX_INITIALIZER;
static char *pm__protected[PM__MAX_PROTECTED];
static int pm__nprotected;

/* Resolves a path that may not exist yet: the longest existing prefix goes
 * through realpath() so that symlinks cannot smuggle a write into an input. */
static int pm__resolve(const char *path, char out[PATH_MAX])
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    size_t cut = len; /* path[cut..] is the part that does not exist yet */
    for (;;) {
        const char *probe = buf[0] ? buf : ".";
        if (realpath(probe, out)) {
            size_t n = strlen(out);
            const char *rest = path + cut;
            while (*rest == '/')
                rest++;
            if (!*rest)
                return 0;
            if (n + 1 + strlen(rest) >= PATH_MAX)
                return -1;
            if (out[n - 1] != '/')
                out[n++] = '/';
            strcpy(out + n, rest);
            return 0;
        }
        char *slash = strrchr(buf, '/');
        if (!slash) {
            buf[0] = '\0';
            cut = 0;
        } else if (slash == buf) {
            buf[1] = '\0';
            cut = 1;
        } else {
            *slash = '\0';
            cut = (size_t)(slash - buf);
        }
    }
}

int pm_io_protect(const char *path)
{
    char r[PATH_MAX];
    if (!realpath(path, r))
        return -1;
    struct stat st;
    if (stat(r, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(r, '/');
        if (slash && slash != r)
            *slash = '\0';
    }
    pthread_mutex_lock(&pm__protect_lock);
    int ok = pm__nprotected < PM__MAX_PROTECTED;
    if (ok) {
        pm__protected[pm__nprotected] = strdup(r);
        ok = pm__protected[pm__nprotected] != NULL;
        pm__nprotected += ok;
    }
    pthread_mutex_unlock(&pm__protect_lock);
    return ok ? 0 : -1;
}

void pm_io_unprotect_all(void)
{
    pthread_mutex_lock(&pm__protect_lock);
    for (int i = 0; i < pm__nprotected; i++)
        free(pm__protected[i]);
    pm__nprotected = 0;
    pthread_mutex_unlock(&pm__protect_lock);
}

int pm_io_is_protected(const char *path)
{
    char r[PATH_MAX];
    if (pm__resolve(path, r) != 0)
        return 0;
    int hit = 0;
    pthread_mutex_lock(&pm__protect_lock);
    for (int i = 0; i < pm__nprotected && !hit; i++) {
        size_t n = strlen(pm__protected[i]);
        if (strncmp(r, pm__protected[i], n) == 0 && (r[n] == '/' || r[n] == '\0'
                                                      || (n == 1 && r[0] == '/')))
            hit = 1;
    }
    pthread_mutex_unlock(&pm__protect_lock);
    return hit;
}

int pm_out_open(pm_outfile *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (!path || !*path)
        return pm_fail(PM_EUSAGE, "no output path given");
    if (strlen(path) + 16 >= sizeof o->tmp)
        return pm_fail(PM_EWRITE, "%s: path too long", path);
    if (pm_io_is_protected(path))
        return pm_fail(PM_EWRITE, "%s: refusing to write inside an input folder", path);
    if (pm_is_dir(path))
        return pm_fail(PM_EWRITE, "%s: is a directory", path);
    strcpy(o->path, path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a pipe (/dev/stdout, /dev/null, /dev/full, a FIFO) is
         * written in place: renaming a temporary file over it would replace
         * the device node itself. Errors still surface at commit. */
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0 || !(o->f = fdopen(o->fd, "wb"))) {
            int e = errno;
            pm_out_abort(o);
            return pm_fail(PM_EWRITE, "%s: cannot write: %s", path, strerror(e));
        }
        return PM_OK;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp-XXXXXX", path);
    o->fd = mkstemp(o->tmp);
    if (o->fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return pm_fail(PM_EWRITE, "%s: cannot create: %s", path, strerror(e));
    }
    /* mkstemp makes 0600; outputs are ordinary files. */
    mode_t um = umask(0);
    umask(um);
    fchmod(o->fd, 0666 & ~um);
    o->f = fdopen(o->fd, "wb");
    if (!o->f) {
        int e = errno;
        pm_out_abort(o);
        return pm_fail(PM_EWRITE, "%s: %s", path, strerror(e));
    }
    return PM_OK;
}

int pm_out_commit(pm_outfile *o)
{
    if (!o->f)
        return pm_fail(PM_EWRITE, "%s: output was not opened", o->path);
    int err = 0;
    if (ferror(o->f) || fflush(o->f) != 0)
        err = errno ? errno : EIO;
    if (!err && fsync(o->fd) != 0 && errno != EINVAL && errno != EROFS)
        err = errno;
    if (fclose(o->f) != 0 && !err)
        err = errno ? errno : EIO;
    o->f = NULL;
    o->fd = -1;
    if (!err && o->tmp[0] && rename(o->tmp, o->path) != 0)
        err = errno;
    if (err) {
        if (o->tmp[0])
            unlink(o->tmp);
        o->tmp[0] = '\0';
        return pm_fail(PM_EWRITE, "%s: write failed: %s", o->path, strerror(err));
    }
    o->tmp[0] = '\0';
    return PM_OK;
}

void pm_out_abort(pm_outfile *o)
{
    if (o->f)
        fclose(o->f);
    else if (o->fd >= 0)
        close(o->fd);
    o->f = NULL;
    o->fd = -1;
    if (o->tmp[0])
        unlink(o->tmp);
    o->tmp[0] = '\0';
}

int pm_mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    if (!dir || !*dir || strlen(dir) >= sizeof buf)
        return pm_fail(PM_EWRITE, "%s: bad folder name", dir ? dir : "");
    if (pm_io_is_protected(dir))
        return pm_fail(PM_EWRITE, "%s: refusing to write inside an input folder", dir);
    strcpy(buf, dir);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return pm_fail(PM_EWRITE, "%s: cannot create folder: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    if (!pm_is_dir(dir))
        return pm_fail(PM_EWRITE, "%s: not a folder", dir);
    return PM_OK;
}

int pm_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int pm_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pm_read_file(const char *path, size_t max, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pm_fail(errno == ENOENT ? PM_ENODATA : PM_ECORRUPT, "%s: %s", path, strerror(errno));
    /* Grown by doubling rather than sized by fstat: pipes and /proc files
     * report no size, and a file may grow while it is read. */
    size_t cap = max && max < ((size_t)1 << 16) ? max : (size_t)1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || (max && n >= max))
            break;
        size_t ncap = max && 2 * cap > max ? max : 2 * cap;
        char *nb = realloc(buf, ncap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap = ncap;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return pm_fail(PM_EMEMORY, "%s: out of memory reading it", path);
    if (err) {
        free(buf);
        return pm_fail(PM_ECORRUPT, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return PM_OK;
}

int pm_write_file(const char *path, const void *data, size_t len)
{
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    if (fwrite(data, 1, len, o.f) != len) {
        int e = errno;
        pm_out_abort(&o);
        return pm_fail(PM_EWRITE, "%s: write failed: %s", path, strerror(e));
    }
    return pm_out_commit(&o);
}
