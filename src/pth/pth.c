/* pth.c - PyTorch weight files: finds data.pkl in the zip, runs the strict
 * unpickler on it and hands back the named tensors (see pth.h). */
#include "pulmo/pth.h"
#include "pth_zip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pm__pth_unpickle(pm__zip *z, const char *prefix, const uint8_t *pkl, size_t len,
                     const char *file, uint64_t budget, pm_pth *w);

int pm_pth_parse(const uint8_t *buf, size_t len, const char *name, pm_pth **out)
{
    *out = NULL;
    pm__zip z;
    int rc = pm__zip_open(&z, buf, len, name);
    if (rc)
        return rc;
    /* torch names the top folder after the file ("archive" in some versions):
     * take it from the one entry called <top>/data.pkl. */
    const pm__zip_entry *pe = NULL;
    for (int i = 0; i < z.n; i++) {
        const pm__zip_entry *e = &z.e[i];
        const char *slash = memchr(e->name, '/', e->name_len);
        if (slash && slash > e->name && (size_t)(slash - e->name) < 256 &&
            e->name_len - (size_t)(slash - e->name) == 9 && !memcmp(slash, "/data.pkl", 9)) {
            if (pe) {
                pm__zip_close(&z);
                return pm_fail(PM_ECORRUPT, "%s: more than one data.pkl", name);
            }
            pe = e;
        }
    }
    if (!pe) {
        pm__zip_close(&z);
        return pm_fail(PM_ECORRUPT, "%s: not a PyTorch weight file (no data.pkl in the zip)", name);
    }
    pm_pth *w = calloc(1, sizeof *w);
    char prefix[256], entry[300];
    size_t plen = (size_t)((const char *)memchr(pe->name, '/', pe->name_len) - pe->name);
    memcpy(prefix, pe->name, plen);
    prefix[plen] = 0;
    if (!w || !(w->archive = strdup(prefix))) {
        free(w);
        pm__zip_close(&z);
        return pm_fail(PM_EMEMORY, "%s: out of memory", name);
    }
    snprintf(entry, sizeof entry, "%s/data.pkl", prefix);
    const pm__zip_entry *pkl = pm__zip_get(&z, entry);
    rc = pkl ? PM_OK : PM_ECORRUPT;
    /* torch >= 2.1 records the byte order; storages are read as little-endian. */
    snprintf(entry, sizeof entry, "%s/byteorder", prefix);
    for (int i = 0; !rc && i < z.n; i++)
        if (z.e[i].name_len == strlen(entry) && !memcmp(z.e[i].name, entry, strlen(entry)) &&
            !(z.e[i].size == 6 && !memcmp(z.e[i].data, "little", 6)))
            rc = pm_fail(PM_ECORRUPT, "%s: big-endian weight files are not supported", name);
    if (!rc) {
        uint64_t budget = 0;
        for (int i = 0; i < z.n; i++)
            budget += z.e[i].size;
        rc = pm__pth_unpickle(&z, prefix, pkl->data, pkl->size, name, budget, w);
    }
    pm__zip_close(&z);
    if (rc) {
        pm_pth_free(w);
        return rc;
    }
    *out = w;
    return PM_OK;
}

int pm_pth_read(const char *path, pm_pth **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pm_fail(PM_ENODATA, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return pm_fail(PM_ECORRUPT, "%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return pm_fail(PM_EMEMORY, "%s: out of memory (%zu bytes)", path, len);
    }
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    if (got != len) {
        free(buf);
        return pm_fail(PM_ECORRUPT, "%s: read error", path);
    }
    int rc = pm_pth_parse(buf, len, path, out);
    free(buf);
    return rc;
}

const pm_tensor *pm_pth_find(const pm_pth *w, const char *name)
{
    for (int i = 0; w && i < w->n; i++)
        if (!strcmp(w->t[i].name, name))
            return &w->t[i];
    return NULL;
}

void pm_pth_free(pm_pth *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].f32);
        free(w->t[i].i64);
    }
    free(w->t);
    free(w->archive);
    free(w);
}
