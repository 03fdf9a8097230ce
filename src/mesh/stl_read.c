/* stl_read.c - binary and ASCII STL reading with vertex welding.
 *
 * The file is untrusted (the render command opens any .stl a user names,
 * and the reader is fuzzed). A file is binary when its size is exactly
 * 84 + 50 * (the triangle count in its header) - many binary files start
 * with "solid" too, so the size decides first; otherwise a file starting
 * with "solid" is parsed as text, where only the "vertex x y z" records
 * matter (normals are recomputed from the winding by whoever needs them).
 * Coordinates must be finite. Vertices with identical coordinates are
 * welded through an open-addressing hash on their bit patterns, so the
 * result is an indexed mesh again.
 */
#include "mesh_internal.h"
#include "pulmo/io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PM__STL_MAX_TRIANGLES 50000000u

static uint32_t pm__get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float pm__get_f32(const unsigned char *p)
{
    uint32_t x = pm__get_u32(p);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Parses the text variant into a flat list of 9 floats per triangle. */
static int pm__parse_ascii(const char *path, const unsigned char *s, size_t n, float **out, size_t *ntri)
{
    size_t cap = 3 * 1024, nv = 0;
    float *v = malloc(cap * sizeof *v);
    if (!v)
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            i++;
        size_t b = i;
        while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            i++;
        if (i - b != 6 || memcmp(s + b, "vertex", 6) != 0)
            continue;
        if (nv + 3 > cap) {
            if (nv / 9 >= PM__STL_MAX_TRIANGLES) {
                free(v);
                return pm_fail(PM_ECORRUPT, "%s: too many triangles", path);
            }
            float *nvp = realloc(v, 2 * cap * sizeof *v);
            if (!nvp) {
                free(v);
                return pm_fail(PM_EMEMORY, "%s: out of memory", path);
            }
            v = nvp;
            cap *= 2;
        }
        for (int r = 0; r < 3; r++) {
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
            size_t c = i;
            while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
                i++;
            char tok[64];
            char *end;
            if (i == c || i - c >= sizeof tok)
                goto bad;
            memcpy(tok, s + c, i - c);
            tok[i - c] = '\0';
            double x = strtod(tok, &end);
            if (*end || !isfinite(x) || fabs(x) > 3.0e38)
                goto bad;
            v[nv++] = (float)x;
        }
    }
    if (nv % 9) {
        free(v);
        return pm_fail(PM_ECORRUPT, "%s: vertex count is not a multiple of three", path);
    }
    *out = v;
    *ntri = nv / 9;
    return PM_OK;
bad:
    free(v);
    return pm_fail(PM_ECORRUPT, "%s: malformed vertex record in ASCII STL", path);
}

static uint64_t pm__hash3(const uint32_t k[3])
{
    uint64_t h = k[0] * 0x9E3779B97F4A7C15ull;
    h ^= (k[1] + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    h ^= (k[2] + 0x165667B19E3779F9ull) * 0x85EBCA77C2B2AE63ull;
    return h ^ (h >> 29);
}

/* Welds a flat triangle list into an indexed mesh. */
static int pm__weld(const char *path, const float *tri, size_t ntri, pm_mesh **out)
{
    size_t nin = 3 * ntri, cap = 16;
    while (cap < 2 * nin)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    pm_mesh *m = pm_mesh_new(nin, ntri);
    if (!slot || !m) {
        free(slot);
        pm_mesh_free(m);
        return pm_fail(PM_EMEMORY, "%s: out of memory welding vertices", path);
    }
    memset(slot, 0xff, cap * sizeof *slot);
    size_t nv = 0, nf = 0;
    for (size_t t = 0; t < ntri; t++) {
        uint32_t id[3];
        for (int q = 0; q < 3; q++) {
            const float *p = tri + 9 * t + 3 * q;
            uint32_t k[3];
            for (int r = 0; r < 3; r++) {
                float x = p[r] == 0.0f ? 0.0f : p[r]; /* -0 welds with +0 */
                memcpy(&k[r], &x, 4);
            }
            size_t h = (size_t)pm__hash3(k) & (cap - 1);
            for (;;) {
                uint32_t s = slot[h];
                if (s == 0xffffffffu) {
                    slot[h] = (uint32_t)nv;
                    memcpy(m->v + 3 * nv, p, 3 * sizeof(float));
                    for (int r = 0; r < 3; r++)
                        if (m->v[3 * nv + r] == 0.0f)
                            m->v[3 * nv + r] = 0.0f;
                    id[q] = (uint32_t)nv++;
                    break;
                }
                if (!memcmp(m->v + 3 * s, p, 3 * sizeof(float)) ||
                    (m->v[3 * s] == p[0] && m->v[3 * s + 1] == p[1] && m->v[3 * s + 2] == p[2])) {
                    id[q] = s;
                    break;
                }
                h = (h + 1) & (cap - 1);
            }
        }
        if (id[0] == id[1] || id[1] == id[2] || id[0] == id[2])
            continue;
        memcpy(m->f + 3 * nf++, id, sizeof id);
    }
    free(slot);
    m->nv = nv;
    m->nf = nf;
    if (nf == 0) {
        pm_mesh_free(m);
        return pm_fail(PM_ECORRUPT, "%s: holds no usable triangles", path);
    }
    *out = m;
    return PM_OK;
}

int pm_mesh_read_stl(const char *path, pm_mesh **out)
{
    if (!path || !out)
        return pm_fail(PM_EUSAGE, "no STL path given");
    unsigned char *d = NULL;
    size_t n = 0;
    /* One byte past the largest binary STL we accept tells "too large". */
    const size_t limit = (size_t)PM__STL_MAX_TRIANGLES * 50 + 85;
    char *text = NULL;
    int rc = pm_read_file(path, limit, &text, &n);
    if (rc != PM_OK)
        return rc;
    d = (unsigned char *)text;
    if (n >= limit) {
        free(d);
        return pm_fail(PM_ECORRUPT, "%s: too large for an STL file", path);
    }
    float *tri = NULL;
    size_t ntri = 0;
    uint32_t count = n >= 84 ? pm__get_u32(d + 80) : 0;
    if (n >= 84 && count <= PM__STL_MAX_TRIANGLES && (uint64_t)n == 84 + 50 * (uint64_t)count) {
        tri = malloc((count ? count : 1) * 9 * sizeof *tri);
        if (!tri) {
            free(d);
            return pm_fail(PM_EMEMORY, "%s: out of memory", path);
        }
        for (size_t t = 0; t < count; t++) {
            const unsigned char *p = d + 84 + 50 * t + 12;
            for (int q = 0; q < 9; q++) {
                float x = pm__get_f32(p + 4 * q);
                if (!isfinite(x)) {
                    free(tri);
                    free(d);
                    return pm_fail(PM_ECORRUPT, "%s: triangle %zu has a non-finite coordinate", path, t);
                }
                tri[9 * t + q] = x;
            }
        }
        ntri = count;
    } else {
        size_t i = 0;
        while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
            i++;
        if (n - i < 5 || memcmp(d + i, "solid", 5) != 0) {
            free(d);
            return pm_fail(PM_ECORRUPT, "%s: not an STL file (binary size does not match its "
                           "triangle count, and no \"solid\" text header)", path);
        }
        rc = pm__parse_ascii(path, d, n, &tri, &ntri);
        if (rc != PM_OK) {
            free(d);
            return rc;
        }
    }
    free(d);
    if (ntri == 0) {
        free(tri);
        return pm_fail(PM_ECORRUPT, "%s: holds no triangles", path);
    }
    rc = pm__weld(path, tri, ntri, out);
    free(tri);
    return rc;
}
