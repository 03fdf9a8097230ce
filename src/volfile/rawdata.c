/* rawdata.c - the voxel data of MetaImage and NRRD files: raw or deflated
 * (zlib or gzip, told apart by inflate itself), any byte order, any of the
 * NIfTI value types, converted to int16 HU in chunks.
 *
 * The data is converted as it streams in, through a 1 MB buffer, so a
 * compressed file never needs its inflated size twice in memory, and a
 * data file that ends early is noticed with the voxel count it reached.
 */
#include "volfile_internal.h"
#include "pulmo/core.h"
#include "pulmo/io.h"
#include "pulmo/nifti.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

int pm__vtype_meta(const char *name)
{
    static const struct { const char *n; int t; } m[] = {
        {"MET_UCHAR", PM_NIFTI_UINT8}, {"MET_CHAR", PM_NIFTI_INT8}, {"MET_SHORT", PM_NIFTI_INT16},
        {"MET_USHORT", PM_NIFTI_UINT16}, {"MET_INT", PM_NIFTI_INT32}, {"MET_UINT", PM_NIFTI_UINT32},
        {"MET_LONG", PM_NIFTI_INT32}, {"MET_ULONG", PM_NIFTI_UINT32},
        {"MET_FLOAT", PM_NIFTI_FLOAT32}, {"MET_DOUBLE", PM_NIFTI_FLOAT64}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(name, m[i].n))
            return m[i].t;
    return 0;
}

int pm__vtype_nrrd(const char *name)
{
    static const struct { const char *n; int t; } m[] = {
        {"uchar", PM_NIFTI_UINT8}, {"unsigned char", PM_NIFTI_UINT8}, {"uint8", PM_NIFTI_UINT8},
        {"uint8_t", PM_NIFTI_UINT8}, {"signed char", PM_NIFTI_INT8}, {"int8", PM_NIFTI_INT8},
        {"int8_t", PM_NIFTI_INT8}, {"short", PM_NIFTI_INT16}, {"short int", PM_NIFTI_INT16},
        {"signed short", PM_NIFTI_INT16}, {"signed short int", PM_NIFTI_INT16}, {"int16", PM_NIFTI_INT16},
        {"int16_t", PM_NIFTI_INT16}, {"ushort", PM_NIFTI_UINT16}, {"unsigned short", PM_NIFTI_UINT16},
        {"unsigned short int", PM_NIFTI_UINT16}, {"uint16", PM_NIFTI_UINT16}, {"uint16_t", PM_NIFTI_UINT16},
        {"int", PM_NIFTI_INT32}, {"signed int", PM_NIFTI_INT32}, {"int32", PM_NIFTI_INT32},
        {"int32_t", PM_NIFTI_INT32}, {"uint", PM_NIFTI_UINT32}, {"unsigned int", PM_NIFTI_UINT32},
        {"uint32", PM_NIFTI_UINT32}, {"uint32_t", PM_NIFTI_UINT32}, {"float", PM_NIFTI_FLOAT32},
        {"double", PM_NIFTI_FLOAT64}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcasecmp(name, m[i].n))
            return m[i].t;
    return 0;
}

int pm__vhdr_text(const char *path, size_t max, char **text, size_t *len, pm__vhdr *h)
{
    int rc = pm_read_file(path, max, text, len);
    if (rc != PM_OK)
        return rc == PM_EMEMORY ? rc : pm_fail(PM_ECORRUPT, "%s: cannot open", path);
    memset(h, 0, sizeof *h);
    return PM_OK;
}

void pm__vpath(const char *header, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(header, '/');
    if (name[0] == '/' || !slash)
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%.*s/%s", (int)(slash - header), header, name);
}

int pm__vcheck(const char *path, const pm_grid *g, int type, uint64_t cap, size_t *bytes)
{
    uint64_t n = 1;
    for (int a = 0; a < 3; a++) {
        if (g->dim[a] < 1 || g->dim[a] > 100000)
            return pm_fail(PM_ECORRUPT, "%s: bad dimension %d", path, g->dim[a]);
        n *= (uint64_t)g->dim[a];
    }
    int bpp = pm_nifti_type_size(type);
    if (!bpp)
        return pm_fail(PM_ECORRUPT, "%s: unsupported voxel type", path);
    if (n > ((uint64_t)1 << 34))
        return pm_fail(PM_ECORRUPT, "%s: dimensions %dx%dx%d overflow", path, g->dim[0], g->dim[1],
                       g->dim[2]);
    if (cap && n * 2 > cap)
        return pm_fail(PM_EMEMORY, "%s: the volume needs %.0f MB (%dx%dx%d), over the memory cap of %.0f MB",
                       path, n * 2 / 1048576.0, g->dim[0], g->dim[1], g->dim[2], cap / 1048576.0);
    *bytes = (size_t)(n * (uint64_t)bpp);
    return PM_OK;
}

static void pm__convert(const unsigned char *b, size_t count, int type, int swap, int16_t *dst)
{
    int bpp = pm_nifti_type_size(type);
    for (size_t i = 0; i < count; i++) {
        unsigned char tmp[8];
        const unsigned char *p = b + i * (size_t)bpp;
        if (swap && bpp > 1) {
            for (int k = 0; k < bpp; k++)
                tmp[k] = p[bpp - 1 - k];
            p = tmp;
        }
        dst[i] = pm_nifti_hu(pm_nifti_type_value(type, p));
    }
}

#define CHUNK (1 << 20)

int pm__vread(const char *path, const pm__vhdr *h, pm_volume *v)
{
    const char *dp = h->data_path;
    int bpp = pm_nifti_type_size(h->type);
    size_t n = pm_grid_voxels(&v->g), bytes = n * (size_t)bpp;
    struct stat sb;
    if (stat(dp, &sb) != 0 || !S_ISREG(sb.st_mode))
        return pm_fail(PM_ECORRUPT, "%s: data file %s not found", path, dp);
    long long off = h->offset;
    if (off < 0) {
        if (h->compressed)
            return pm_fail(PM_ECORRUPT, "%s: compressed data needs an explicit header size", path);
        off = (long long)sb.st_size - (long long)bytes;
    }
    if (!h->compressed && (off < 0 || (unsigned long long)sb.st_size < (unsigned long long)off + bytes))
        return pm_fail(PM_ECORRUPT, "%s: data is shorter than declared (%s has %lld bytes, %zu needed)", path,
                       dp, (long long)sb.st_size, bytes + (size_t)(off > 0 ? off : 0));
    FILE *f = fopen(dp, "rb");
    if (!f)
        return pm_fail(PM_ECORRUPT, "%s: cannot open data file %s", path, dp);
    unsigned char *buf = malloc(CHUNK), *in = h->compressed ? malloc(CHUNK) : NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    int st = PM_OK, zinit = 0;
    const uint16_t one = 1;
    int swap = h->big_endian != (*(const uint8_t *)&one == 0);
    if (!buf || (h->compressed && !in)) {
        st = pm_fail(PM_EMEMORY, "%s: out of memory", path);
        goto done;
    }
    if (fseeko(f, (off_t)off, SEEK_SET) != 0) {
        st = pm_fail(PM_ECORRUPT, "%s: cannot seek to the data", path);
        goto done;
    }
    if (h->compressed) {
        if (inflateInit2(&z, 15 + 32) != Z_OK) {
            st = pm_fail(PM_EMEMORY, "%s: out of memory", path);
            goto done;
        }
        zinit = 1;
    }
    size_t per = (CHUNK / (size_t)bpp) * (size_t)bpp, done_bytes = 0;
    int zend = 0;
    while (done_bytes < bytes) {
        size_t want = bytes - done_bytes < per ? bytes - done_bytes : per, got = 0;
        if (!h->compressed) {
            got = fread(buf, 1, want, f);
        } else {
            z.next_out = buf;
            z.avail_out = (uInt)want;
            while (z.avail_out && !zend) {
                if (!z.avail_in) {
                    z.avail_in = (uInt)fread(in, 1, CHUNK, f);
                    z.next_in = in;
                    if (!z.avail_in)
                        break;
                }
                int zr = inflate(&z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END)
                    zend = 1;
                else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                    st = pm_fail(PM_ECORRUPT, "%s: compressed data is corrupt (%s)", path,
                                 z.msg ? z.msg : "inflate failed");
                    goto done;
                }
                else if (zr == Z_BUF_ERROR && z.avail_in)
                    break;
            }
            got = want - z.avail_out;
        }
        if (got < want) {
            st = pm_fail(PM_ECORRUPT, "%s: data is shorter than declared (%zu of %zu bytes)", path,
                         done_bytes + got, bytes);
            goto done;
        }
        pm__convert(buf, want / (size_t)bpp, h->type, swap, v->hu + done_bytes / (size_t)bpp);
        done_bytes += want;
    }
done:
    if (zinit)
        inflateEnd(&z);
    free(buf);
    free(in);
    fclose(f);
    return st;
}
