/* nifti.c - NIfTI-1 single-file images through zlib.
 *
 * The 348-byte header is handled as bytes at fixed offsets rather than as a
 * packed struct, so byte order and alignment never depend on the compiler.
 */
#include "pulmo/nifti.h"
#include "pulmo/core.h"
#include "pulmo/io.h"
#include "nifti_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define PM__HDR 348
#define PM__VOX_OFFSET 352

static void pm__put16(unsigned char *h, int off, int v)
{
    uint16_t x = (uint16_t)v;
    memcpy(h + off, &x, 2);
}
static void pm__put32(unsigned char *h, int off, int32_t v) { memcpy(h + off, &v, 4); }
static void pm__putf(unsigned char *h, int off, float v) { memcpy(h + off, &v, 4); }

int pm_nifti_type_size(int dt)
{
    switch (dt) {
    case PM_NIFTI_UINT8: case PM_NIFTI_INT8: return 1;
    case PM_NIFTI_INT16: case PM_NIFTI_UINT16: return 2;
    case PM_NIFTI_INT32: case PM_NIFTI_UINT32: case PM_NIFTI_FLOAT32: return 4;
    case PM_NIFTI_FLOAT64: return 8;
    default: return 0;
    }
}

/* The RAS voxel-to-world matrix of grid g (3 rows of 4). */
static void pm__ras_affine(const pm_grid *g, double a[3][4])
{
    for (int r = 0; r < 3; r++) {
        double flip = r < 2 ? -1.0 : 1.0;
        for (int c = 0; c < 3; c++)
            a[r][c] = flip * g->dir[3 * c + r] * g->spacing[c];
        a[r][3] = flip * g->origin[r];
    }
}

/* Quaternion of an orthonormal rotation (columns of R); qfac is the sign of
 * the determinant, folded into the third column as NIfTI prescribes. */
static int pm__quatern(const pm_grid *g, float q[4], float *qfac)
{
    double R[3][3];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            R[r][c] = (r < 2 ? -1.0 : 1.0) * g->dir[3 * c + r];
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++) {
            double d = R[0][a] * R[0][b] + R[1][a] * R[1][b] + R[2][a] * R[2][b];
            if (fabs(d) > 1e-4)
                return -1;
        }
    double det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1])
               - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0])
               + R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
    *qfac = det < 0 ? -1.0f : 1.0f;
    if (det < 0)
        for (int r = 0; r < 3; r++)
            R[r][2] = -R[r][2];
    double tr = R[0][0] + R[1][1] + R[2][2] + 1.0, a, b, c, d;
    if (tr > 0.5) {
        a = 0.5 * sqrt(tr);
        b = 0.25 * (R[2][1] - R[1][2]) / a;
        c = 0.25 * (R[0][2] - R[2][0]) / a;
        d = 0.25 * (R[1][0] - R[0][1]) / a;
    } else {
        double xd = 1.0 + R[0][0] - (R[1][1] + R[2][2]);
        double yd = 1.0 + R[1][1] - (R[0][0] + R[2][2]);
        double zd = 1.0 + R[2][2] - (R[0][0] + R[1][1]);
        if (xd > 1.0) {
            b = 0.5 * sqrt(xd); c = 0.25 * (R[0][1] + R[1][0]) / b;
            d = 0.25 * (R[0][2] + R[2][0]) / b; a = 0.25 * (R[2][1] - R[1][2]) / b;
        } else if (yd > 1.0) {
            c = 0.5 * sqrt(yd); b = 0.25 * (R[0][1] + R[1][0]) / c;
            d = 0.25 * (R[1][2] + R[2][1]) / c; a = 0.25 * (R[0][2] - R[2][0]) / c;
        } else {
            d = 0.5 * sqrt(zd); b = 0.25 * (R[0][2] + R[2][0]) / d;
            c = 0.25 * (R[1][2] + R[2][1]) / d; a = 0.25 * (R[1][0] - R[0][1]) / d;
        }
        if (a < 0) { b = -b; c = -c; d = -d; }
    }
    q[0] = (float)a; q[1] = (float)b; q[2] = (float)c; q[3] = (float)d;
    return 0;
}

/* The NIfTI-1 header of nt volumes on grid g. */
static void pm__header(unsigned char *h, const pm_grid *g, int datatype, int bpp, int nt)
{
    memset(h, 0, PM__VOX_OFFSET);
    pm__put32(h, 0, PM__HDR);
    pm__put16(h, 40, nt > 1 ? 4 : 3);
    for (int i = 0; i < 3; i++)
        pm__put16(h, 42 + 2 * i, g->dim[i]);
    pm__put16(h, 48, nt > 1 ? nt : 1); pm__put16(h, 50, 1); pm__put16(h, 52, 1); pm__put16(h, 54, 1);
    pm__put16(h, 70, datatype);
    pm__put16(h, 72, bpp * 8);
    float qfac = 1, q[4];
    int have_q = pm__quatern(g, q, &qfac) == 0;
    pm__putf(h, 76, qfac);
    for (int i = 0; i < 3; i++)
        pm__putf(h, 80 + 4 * i, (float)g->spacing[i]);
    if (nt > 1)
        pm__putf(h, 92, 1.0f); /* the 4th axis is an index, not time */
    pm__putf(h, 108, (float)PM__VOX_OFFSET);
    pm__putf(h, 112, datatype == PM_NIFTI_FLOAT32 ? 1.0f : 0.0f);
    h[123] = 2 | 8; /* mm, s */
    memcpy(h + 148, "pulmo " PM_VERSION, sizeof("pulmo " PM_VERSION) - 1);
    double a[3][4];
    pm__ras_affine(g, a);
    if (have_q) {
        pm__put16(h, 252, 2);
        pm__putf(h, 256, q[1]); pm__putf(h, 260, q[2]); pm__putf(h, 264, q[3]);
        pm__putf(h, 268, (float)a[0][3]); pm__putf(h, 272, (float)a[1][3]);
        pm__putf(h, 276, (float)a[2][3]);
    }
    pm__put16(h, 254, 2);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            pm__putf(h, 280 + 16 * r + 4 * c, (float)a[r][c]);
    memcpy(h + 344, "n+1\0", 4);
}

typedef struct pm__flat {
    const unsigned char *data;
    size_t plane_bytes;
    int nz;
} pm__flat;

static int pm__flat_plane(void *ctx, int t, int k, void *buf)
{
    const pm__flat *f = ctx;
    memcpy(buf, f->data + ((size_t)t * (size_t)f->nz + (size_t)k) * f->plane_bytes, f->plane_bytes);
    return 0;
}

static int pm__is_gz(const char *path)
{
    size_t len = strlen(path);
    return len > 3 && strcmp(path + len - 3, ".gz") == 0;
}

int pm_nifti_write(const char *path, const pm_grid *g, int datatype, const void *data)
{
    pm__flat f = {data, (size_t)g->dim[0] * (size_t)g->dim[1] * (size_t)pm_nifti_type_size(datatype),
                  g->dim[2]};
    if (!pm__is_gz(path) || !f.plane_bytes || g->dim[2] < 1)
        return pm_nifti_write_planes(path, g, 1, datatype, pm__flat_plane, &f);
    /* Compressed from memory on all cores (gzip.c). */
    unsigned char h[PM__VOX_OFFSET];
    pm__header(h, g, datatype, pm_nifti_type_size(datatype), 1);
    pm_outfile o;
    int st = pm_out_open(&o, path);
    if (st)
        return st;
    errno = 0;
    st = pm__gzip_write(o.f, h, sizeof h, data, f.plane_bytes * (size_t)g->dim[2],
                        datatype == PM_NIFTI_UINT8 ? PM__GZ_RUNS : 1);
    if (st != PM_OK) {
        int e = errno;
        pm_out_abort(&o);
        if (st == PM_EMEMORY)
            return pm_fail(PM_EMEMORY, "%s: out of memory compressing", path);
        return pm_fail(PM_EWRITE, "%s: write failed: %s", path, e ? strerror(e) : "gzip error");
    }
    return pm_out_commit(&o);
}

int pm_nifti_write_planes(const char *path, const pm_grid *g, int nt, int datatype,
                          pm_nifti_plane_fn plane, void *ctx)
{
    int bpp = pm_nifti_type_size(datatype);
    size_t n = pm_grid_voxels(g);
    if (!bpp || !n || nt < 1 || nt > 32767)
        return pm_fail(PM_EUSAGE, "%s: nothing to write", path);
    unsigned char h[PM__VOX_OFFSET];
    pm__header(h, g, datatype, bpp, nt);
    size_t pbytes = (size_t)g->dim[0] * (size_t)g->dim[1] * (size_t)bpp;
    unsigned char *buf = malloc(pbytes);
    if (!buf)
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    pm_outfile o;
    int st = pm_out_open(&o, path);
    if (st) {
        free(buf);
        return st;
    }
    int gz = pm__is_gz(path);
    gzFile z = NULL;
    int ok = 1, failed_fill = 0;
    if (gz) {
        int fd2 = dup(o.fd);
        z = fd2 >= 0 ? gzdopen(fd2, "wb1") : NULL;
        ok = z != NULL;
        if (!z && fd2 >= 0)
            close(fd2);
        ok = ok && gzwrite(z, h, sizeof h) == (int)sizeof h;
    } else {
        ok = fwrite(h, 1, sizeof h, o.f) == sizeof h;
    }
    /* Plane by plane, so a 4D image never has to exist whole in memory. */
    for (int t = 0; ok && t < nt; t++)
        for (int k = 0; ok && k < g->dim[2]; k++) {
            if (plane(ctx, t, k, buf) != 0) {
                ok = 0;
                failed_fill = 1;
                break;
            }
            ok = gz ? gzwrite(z, buf, (unsigned)pbytes) == (int)pbytes
                    : fwrite(buf, 1, pbytes, o.f) == pbytes;
        }
    if (z && gzclose(z) != Z_OK)
        ok = 0;
    free(buf);
    if (!ok) {
        int e = errno;
        pm_out_abort(&o);
        if (failed_fill)
            return pm_fail(PM_EMEMORY, "%s: %s", path, pm_error());
        return pm_fail(PM_EWRITE, "%s: write failed: %s", path, e ? strerror(e) : "gzip error");
    }
    return pm_out_commit(&o);
}

typedef struct pm__nii {
    pm_grid g;
    int datatype;
    double slope, inter;
    void *data;
} pm__nii;

static void pm__swap(void *p, int size)
{
    unsigned char *b = p;
    for (int i = 0; i < size / 2; i++) {
        unsigned char t = b[i];
        b[i] = b[size - 1 - i];
        b[size - 1 - i] = t;
    }
}

static int16_t pm__g16(const unsigned char *h, int off, int sw)
{
    int16_t v; memcpy(&v, h + off, 2); if (sw) pm__swap(&v, 2); return v;
}
static float pm__gf(const unsigned char *h, int off, int sw)
{
    float v; memcpy(&v, h + off, 4); if (sw) pm__swap(&v, 4); return v;
}

/* Fills g from the header's sform (preferred), qform, or pixdim. */
static int pm__grid_from_header(const unsigned char *h, int sw, pm_grid *g)
{
    double a[3][4];
    int sform = pm__g16(h, 254, sw), qform = pm__g16(h, 252, sw);
    double pix[4];
    for (int i = 0; i < 4; i++)
        pix[i] = pm__gf(h, 76 + 4 * i, sw);
    if (sform > 0) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                a[r][c] = pm__gf(h, 280 + 16 * r + 4 * c, sw);
    } else if (qform > 0) {
        double b = pm__gf(h, 256, sw), c = pm__gf(h, 260, sw), d = pm__gf(h, 264, sw);
        double aa = 1.0 - (b * b + c * c + d * d);
        aa = aa < 0 ? 0 : sqrt(aa);
        double qfac = pix[0] < 0 ? -1 : 1;
        double R[3][3] = {
            {aa * aa + b * b - c * c - d * d, 2 * (b * c - aa * d), 2 * (b * d + aa * c)},
            {2 * (b * c + aa * d), aa * aa + c * c - b * b - d * d, 2 * (c * d - aa * b)},
            {2 * (b * d - aa * c), 2 * (c * d + aa * b), aa * aa + d * d - c * c - b * b}};
        for (int r = 0; r < 3; r++) {
            a[r][0] = R[r][0] * pix[1];
            a[r][1] = R[r][1] * pix[2];
            a[r][2] = R[r][2] * pix[3] * qfac;
            a[r][3] = pm__gf(h, 268 + 4 * r, sw);
        }
    } else {
        memset(a, 0, sizeof a);
        for (int i = 0; i < 3; i++)
            a[i][i] = pix[i + 1] > 0 ? pix[i + 1] : 1;
    }
    for (int c = 0; c < 3; c++) {
        double norm = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
        if (!(norm > 1e-6) || !isfinite(norm))
            return -1;
        g->spacing[c] = norm;
        for (int r = 0; r < 3; r++)
            g->dir[3 * c + r] = (r < 2 ? -1.0 : 1.0) * a[r][c] / norm;
    }
    for (int r = 0; r < 3; r++) {
        g->origin[r] = (r < 2 ? -1.0 : 1.0) * a[r][3];
        if (!isfinite(g->origin[r]))
            return -1;
    }
    return 0;
}

static int pm__read(const char *path, pm__nii *out, int header_only)
{
    gzFile z = gzopen(path, "rb");
    if (!z)
        return pm_fail(PM_ECORRUPT, "%s: cannot open", path);
    gzbuffer(z, 1 << 17);
    unsigned char h[PM__HDR];
    int st = PM_ECORRUPT;
    void *data = NULL;
    if (gzread(z, h, PM__HDR) != PM__HDR) {
        pm_fail(st, "%s: not a NIfTI file (short header)", path);
        goto done;
    }
    int32_t szh;
    memcpy(&szh, h, 4);
    int sw = 0;
    if (szh != PM__HDR) {
        pm__swap(&szh, 4);
        sw = 1;
        if (szh != PM__HDR) {
            pm_fail(st, "%s: not a NIfTI-1 file", path);
            goto done;
        }
    }
    if (memcmp(h + 344, "n+1", 4) != 0 && memcmp(h + 344, "ni1", 4) != 0) {
        pm_fail(st, "%s: not a NIfTI-1 file (bad magic)", path);
        goto done;
    }
    if (memcmp(h + 344, "ni1", 4) == 0) {
        pm_fail(st, "%s: two-file NIfTI (.hdr/.img) is not supported", path);
        goto done;
    }
    int ndim = pm__g16(h, 40, sw);
    if (ndim < 1 || ndim > 7) {
        pm_fail(st, "%s: bad number of dimensions %d", path, ndim);
        goto done;
    }
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 3; i++) {
        int d = i < ndim ? pm__g16(h, 42 + 2 * i, sw) : 1;
        if (d < 1) {
            pm_fail(st, "%s: bad dimension %d", path, d);
            goto done;
        }
        out->g.dim[i] = d;
    }
    for (int i = 3; i < ndim; i++)
        if (pm__g16(h, 42 + 2 * i, sw) > 1) {
            pm_fail(st, "%s: only 3D images are supported", path);
            goto done;
        }
    out->datatype = pm__g16(h, 70, sw);
    int bpp = pm_nifti_type_size(out->datatype);
    if (!bpp) {
        pm_fail(st, "%s: unsupported data type %d", path, out->datatype);
        goto done;
    }
    if (pm__grid_from_header(h, sw, &out->g) != 0) {
        pm_fail(st, "%s: degenerate voxel-to-world matrix", path);
        goto done;
    }
    out->slope = pm__gf(h, 112, sw);
    out->inter = pm__gf(h, 116, sw);
    if (!isfinite(out->slope) || out->slope == 0) { out->slope = 1; out->inter = 0; }
    if (!isfinite(out->inter)) out->inter = 0;
    float vo = pm__gf(h, 108, sw);
    if (!(vo >= PM__HDR) || vo > 1e8) {
        pm_fail(st, "%s: bad vox_offset", path);
        goto done;
    }
    if (header_only) {
        st = PM_OK;
        goto done;
    }
    size_t n = pm_grid_voxels(&out->g);
    size_t bytes = n * (size_t)bpp;
    /* Like the DICOM loader's default cap: half of the physical memory (a
     * small .nii.gz can inflate to the size its header declares). */
    uint64_t cap = pm_physical_memory() / 2;
    if (bytes / (size_t)bpp != n || bytes > ((size_t)1 << 36) || (cap && bytes > cap)) {
        pm_fail(PM_EMEMORY, "%s: image too large (%dx%dx%d, %.0f MB)", path, out->g.dim[0],
                out->g.dim[1], out->g.dim[2], (double)n * bpp / 1048576.0);
        st = PM_EMEMORY;
        goto done;
    }
    for (long skip = (long)vo - PM__HDR; skip > 0; ) {
        unsigned char tmp[512];
        int k = gzread(z, tmp, skip > 512 ? 512 : (unsigned)skip);
        if (k <= 0) {
            pm_fail(st, "%s: truncated before the image data", path);
            goto done;
        }
        skip -= k;
    }
    /* The buffer grows with the data actually read: a 348-byte header that
     * declares gigabytes must not allocate them before the truncation shows. */
    size_t have = 0;
    for (size_t off = 0; off < bytes; ) {
        if (off == have) {
            size_t grow = have ? have : ((size_t)1 << 20);
            have = bytes - have > grow ? have + grow : bytes;
            void *more = realloc(data, have);
            if (!more) {
                st = pm_fail(PM_EMEMORY, "%s: out of memory for the image", path);
                goto done;
            }
            data = more;
        }
        size_t want = have - off;
        unsigned chunk = want > (1u << 30) ? (1u << 30) : (unsigned)want;
        int k = gzread(z, (unsigned char *)data + off, chunk);
        if (k <= 0) {
            pm_fail(st, "%s: truncated image data (%zu of %zu bytes)", path, off, bytes);
            goto done;
        }
        off += (size_t)k;
    }
    if (sw && bpp > 1)
        for (size_t i = 0; i < n; i++)
            pm__swap((unsigned char *)data + i * (size_t)bpp, bpp);
    out->data = data;
    data = NULL;
    st = PM_OK;
done:
    free(data);
    gzclose(z);
    return st;
}

double pm_nifti_type_value(int dt, const void *p)
{
    switch (dt) {
    case PM_NIFTI_UINT8: return *(const uint8_t *)p;
    case PM_NIFTI_INT8: return *(const int8_t *)p;
    case PM_NIFTI_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case PM_NIFTI_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case PM_NIFTI_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case PM_NIFTI_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case PM_NIFTI_FLOAT32: { float v; memcpy(&v, p, 4); return v; }
    default: { double v; memcpy(&v, p, 8); return v; }
    }
}

int16_t pm_nifti_hu(double x)
{
    if (!(x == x))
        return -1000;
    x = x < -32768 ? -32768 : x > 32767 ? 32767 : x;
    return (int16_t)lround(x);
}

static double pm__value(const pm__nii *n, size_t i)
{
    int bpp = pm_nifti_type_size(n->datatype);
    return pm_nifti_type_value(n->datatype, (const unsigned char *)n->data + i * (size_t)bpp);
}

int pm_nifti_read_mask(const char *path, pm_mask **out)
{
    pm__nii n;
    int st = pm__read(path, &n, 0);
    if (st)
        return st;
    pm_mask *m = pm_mask_new(&n.g);
    if (!m) {
        free(n.data);
        return PM_EMEMORY;
    }
    size_t cnt = pm_grid_voxels(&n.g);
    if (n.datatype == PM_NIFTI_UINT8) {
        /* The usual case: labels stored as bytes need no conversion. */
        memcpy(m->v, n.data, cnt);
        cnt = 0;
    }
    for (size_t i = 0; i < cnt; i++) {
        double v = pm__value(&n, i);
        if (!(v >= 0 && v <= 255)) {
            free(n.data);
            pm_mask_free(m);
            return pm_fail(PM_ECORRUPT, "%s: value %g is not a label (0..255)", path, v);
        }
        m->v[i] = (uint8_t)lround(v);
    }
    free(n.data);
    *out = m;
    return PM_OK;
}

int pm_nifti_read_volume(const char *path, pm_volume **out)
{
    pm__nii n;
    int st = pm__read(path, &n, 0);
    if (st)
        return st;
    pm_volume *v = pm_volume_new(&n.g);
    if (!v) {
        free(n.data);
        return PM_EMEMORY;
    }
    int scale = n.datatype == PM_NIFTI_FLOAT32 || n.datatype == PM_NIFTI_FLOAT64
             || n.slope != 1 || n.inter != 0;
    size_t cnt = pm_grid_voxels(&n.g);
    for (size_t i = 0; i < cnt; i++) {
        double x = pm__value(&n, i);
        v->hu[i] = pm_nifti_hu(scale ? x * n.slope + n.inter : x);
    }
    free(n.data);
    const char *base = strrchr(path, '/');
    snprintf(v->meta.series_description, sizeof v->meta.series_description, "%s",
             base ? base + 1 : path);
    *out = v;
    return PM_OK;
}

int pm_nifti_read_grid(const char *path, pm_grid *g, int *datatype)
{
    pm__nii n;
    int st = pm__read(path, &n, 1);
    if (st)
        return st;
    *g = n.g;
    *datatype = n.datatype;
    return PM_OK;
}
