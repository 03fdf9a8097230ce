/* mesh_write.c - STL (binary, ASCII), OBJ and PLY (binary, ASCII) writers.
 *
 * Binary formats are little-endian by definition; values are stored byte by
 * byte so the files are right on any host. Binary STL is built in blocks of
 * triangles and written with one fwrite per block. Every writer checks its
 * stream at the end (ferror + fflush), so a full disk is an error, and
 * pm_mesh_write goes through pm_outfile: a failure leaves no file behind.
 */
#include "mesh_internal.h"
#include "pulmo/io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned char *pm__put_u32(unsigned char *p, uint32_t x)
{
    p[0] = (unsigned char)x;
    p[1] = (unsigned char)(x >> 8);
    p[2] = (unsigned char)(x >> 16);
    p[3] = (unsigned char)(x >> 24);
    return p + 4;
}

static unsigned char *pm__put_f32(unsigned char *p, float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    return pm__put_u32(p, x);
}

static void pm__normal(const pm_mesh *m, size_t t, float n[3])
{
    const uint32_t *f = m->f + 3 * t;
    const float *a = m->v + 3 * f[0], *b = m->v + 3 * f[1], *c = m->v + 3 * f[2];
    float u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    float w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
    float l = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int r = 0; r < 3; r++)
        n[r] = l > 0 ? n[r] / l : 0.0f;
}

static void pm__stl_binary(const pm_mesh *m, FILE *f)
{
    unsigned char head[84] = {0};
    static const char title[] = "pulmo mesh, LPS millimetres";
    memcpy(head, title, sizeof title - 1);
    pm__put_u32(head + 80, (uint32_t)m->nf);
    fwrite(head, 1, sizeof head, f);
    enum { BLOCK = 8192 };
    unsigned char *buf = malloc(50 * BLOCK);
    if (!buf) {
        /* fall back to small writes rather than fail */
        unsigned char one[50];
        for (size_t t = 0; t < m->nf; t++) {
            float n[3];
            pm__normal(m, t, n);
            unsigned char *p = one;
            for (int r = 0; r < 3; r++)
                p = pm__put_f32(p, n[r]);
            for (int q = 0; q < 3; q++)
                for (int r = 0; r < 3; r++)
                    p = pm__put_f32(p, m->v[3 * m->f[3 * t + q] + r]);
            p[0] = p[1] = 0;
            fwrite(one, 1, 50, f);
        }
        return;
    }
    for (size_t t0 = 0; t0 < m->nf; t0 += BLOCK) {
        size_t t1 = t0 + BLOCK < m->nf ? t0 + BLOCK : m->nf;
        unsigned char *p = buf;
        for (size_t t = t0; t < t1; t++) {
            float n[3];
            pm__normal(m, t, n);
            for (int r = 0; r < 3; r++)
                p = pm__put_f32(p, n[r]);
            for (int q = 0; q < 3; q++) {
                const float *v = m->v + 3 * m->f[3 * t + q];
                p = pm__put_f32(p, v[0]);
                p = pm__put_f32(p, v[1]);
                p = pm__put_f32(p, v[2]);
            }
            *p++ = 0;
            *p++ = 0;
        }
        if (fwrite(buf, 1, (size_t)(p - buf), f) != (size_t)(p - buf))
            break;
    }
    free(buf);
}

static void pm__stl_ascii(const pm_mesh *m, FILE *f)
{
    fputs("solid pulmo\n", f);
    for (size_t t = 0; t < m->nf && !ferror(f); t++) {
        float n[3];
        pm__normal(m, t, n);
        fprintf(f, "  facet normal %.9g %.9g %.9g\n    outer loop\n", n[0], n[1], n[2]);
        for (int q = 0; q < 3; q++) {
            const float *v = m->v + 3 * m->f[3 * t + q];
            fprintf(f, "      vertex %.9g %.9g %.9g\n", v[0], v[1], v[2]);
        }
        fputs("    endloop\n  endfacet\n", f);
    }
    fputs("endsolid pulmo\n", f);
}

static void pm__obj(const pm_mesh *m, FILE *f)
{
    fputs("# pulmo mesh, LPS millimetres\n", f);
    for (size_t i = 0; i < m->nv && !ferror(f); i++)
        fprintf(f, "v %.9g %.9g %.9g\n", m->v[3 * i], m->v[3 * i + 1], m->v[3 * i + 2]);
    for (size_t t = 0; t < m->nf && !ferror(f); t++)
        fprintf(f, "f %lu %lu %lu\n", (unsigned long)m->f[3 * t] + 1,
                (unsigned long)m->f[3 * t + 1] + 1, (unsigned long)m->f[3 * t + 2] + 1);
}

static void pm__ply(const pm_mesh *m, FILE *f, int ascii)
{
    fprintf(f, "ply\nformat %s 1.0\ncomment pulmo mesh, LPS millimetres\n"
               "element vertex %zu\nproperty float x\nproperty float y\nproperty float z\n"
               "element face %zu\nproperty list uchar int vertex_indices\nend_header\n",
            ascii ? "ascii" : "binary_little_endian", m->nv, m->nf);
    if (ascii) {
        for (size_t i = 0; i < m->nv && !ferror(f); i++)
            fprintf(f, "%.9g %.9g %.9g\n", m->v[3 * i], m->v[3 * i + 1], m->v[3 * i + 2]);
        for (size_t t = 0; t < m->nf && !ferror(f); t++)
            fprintf(f, "3 %lu %lu %lu\n", (unsigned long)m->f[3 * t], (unsigned long)m->f[3 * t + 1],
                    (unsigned long)m->f[3 * t + 2]);
        return;
    }
    unsigned char b[13];
    for (size_t i = 0; i < m->nv; i++) {
        unsigned char *p = b;
        for (int r = 0; r < 3; r++)
            p = pm__put_f32(p, m->v[3 * i + r]);
        fwrite(b, 1, 12, f);
    }
    for (size_t t = 0; t < m->nf; t++) {
        b[0] = 3;
        for (int q = 0; q < 3; q++)
            pm__put_u32(b + 1 + 4 * q, m->f[3 * t + q]);
        fwrite(b, 1, 13, f);
    }
}

int pm_mesh_format_for(const char *path, int ascii)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/'))
        return -1;
    if (!strcasecmp(dot, ".stl"))
        return ascii ? PM_MESH_STL_ASCII : PM_MESH_STL;
    if (!strcasecmp(dot, ".obj"))
        return PM_MESH_OBJ;
    if (!strcasecmp(dot, ".ply"))
        return ascii ? PM_MESH_PLY_ASCII : PM_MESH_PLY;
    return -1;
}

int pm_mesh_write_fp(const pm_mesh *m, FILE *f, pm_mesh_format fmt, const char *name)
{
    if (!m || !f)
        return pm_fail(PM_EUSAGE, "no mesh to write");
    if (fmt == PM_MESH_STL && m->nf > 0xffffffffu)
        return pm_fail(PM_EUSAGE, "%s: too many triangles for STL", name);
    switch (fmt) {
    case PM_MESH_STL: pm__stl_binary(m, f); break;
    case PM_MESH_STL_ASCII: pm__stl_ascii(m, f); break;
    case PM_MESH_OBJ: pm__obj(m, f); break;
    case PM_MESH_PLY: pm__ply(m, f, 0); break;
    case PM_MESH_PLY_ASCII: pm__ply(m, f, 1); break;
    default: return pm_fail(PM_EUSAGE, "%s: unknown mesh format", name);
    }
    errno = 0;
    if (ferror(f) || fflush(f) != 0)
        return pm_fail(PM_EWRITE, "%s: write failed%s%s", name, errno ? ": " : "",
                       errno ? strerror(errno) : "");
    return PM_OK;
}

int pm_mesh_write(const pm_mesh *m, const char *path, pm_mesh_format fmt)
{
    pm_outfile o;
    int rc = pm_out_open(&o, path);
    if (rc != PM_OK)
        return rc;
    rc = pm_mesh_write_fp(m, o.f, fmt, path);
    if (rc != PM_OK) {
        pm_out_abort(&o);
        return rc;
    }
    return pm_out_commit(&o);
}
