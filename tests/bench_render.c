/* bench_render.c - one mesh preview frame (rasterize + sixel) of a
 * 200k-triangle sphere at 640x480 (and of a real surface when an STL is
 * given), and the size of a 512x512 lung-window sixel frame of
 * LIDC-IDRI-0001. Built and run by tests/bench_render.sh against the
 * optimised library.
 *
 *     bench_render [SERIES_DIR [MESH.stl]] */
#include "render_shapes.h"
#include "pulmo/encode.h"
#include "pulmo/mesh.h"
#include "pulmo/raster.h"
#include "pulmo/series.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CPU seconds of the whole process (all threads): on a shared machine this
 * says what a frame costs even when the wall clock waits for other jobs. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall and CPU milliseconds of one preview frame of m. */
static void preview(const pm_mesh *m, const char *what)
{
    pm_fb *fb = pm_fb_new(640, 480, 1);
    float *normals = NULL;
    if (!fb || pm_raster_normals(m, &normals) != PM_OK)
        exit(1);
    enum { N = 31 };
    double tr[N], te[N], tt[N], tc[N];
    size_t bytes = 0;
    pm_buf b = {0};
    for (int i = 0; i < N; i++) {
        pm_raster_opts o = pm_raster_defaults();
        o.azimuth = i * 12;
        o.elevation = 20;
        o.normals = normals;
        double c0 = cpu_now();
        double t0 = pm_now();
        if (pm_raster_mesh(fb, m, &o, NULL) != PM_OK)
            exit(1);
        double t1 = pm_now();
        b.len = 0;
        if (pm_sixel_encode(fb, 256, &b) != PM_OK)
            exit(1);
        double t2 = pm_now();
        tr[i] = t1 - t0;
        te[i] = t2 - t1;
        tt[i] = t2 - t0;
        tc[i] = cpu_now() - c0;
        bytes = b.len;
    }
    qsort(tr, N, sizeof *tr, cmp);
    qsort(te, N, sizeof *te, cmp);
    qsort(tt, N, sizeof *tt, cmp);
    qsort(tc, N, sizeof *tc, cmp);
    printf("mesh preview 640x480, %s, %zu triangles, smooth shading, %d threads: median frame "
           "%.1f ms (rasterize %.1f ms + sixel %.1f ms; CPU %.1f ms), %zu sixel bytes; "
           "target <= 33 ms\n",
           what, m->nf, pm_threads(), tt[N / 2] * 1e3, tr[N / 2] * 1e3, te[N / 2] * 1e3,
           tc[N / 2] * 1e3, bytes);
    pm_buf_free(&b);
    free(normals);
    pm_fb_free(fb);
}

int main(int argc, char **argv)
{
    const double c[3] = {0, 0, 0};
    pm_mesh *m = shape_sphere(c, 100, 251, 400);
    if (!m)
        return 1;
    preview(m, "sphere");
    pm_mesh_free(m);
    if (argc > 2) {
        if (pm_mesh_read_stl(argv[2], &m) != PM_OK) {
            fprintf(stderr, "%s\n", pm_error());
            return 1;
        }
        preview(m, argv[2]);
        pm_mesh_free(m);
    }
    if (argc > 1) {
        enum { N = 31 };
        pm_volume *v;
        if (pm_load_dir(argv[1], NULL, NULL, &v, NULL) != PM_OK)
            return 1;
        pm_slice_view sv;
        pm_slice_view_init(&v->g, PM_PLANE_AXIAL, -1, &sv);
        pm_fb *fb = pm_fb_new(512, 512, 0);
        pm_buf b = {0};
        double t[N];
        for (int i = 0; i < N; i++) {
            double t0 = pm_now();
            pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, PM_WINDOW_LUNG, 1);
            b.len = 0;
            pm_sixel_encode(fb, 256, &b);
            t[i] = pm_now() - t0;
        }
        qsort(t, N, sizeof *t, cmp);
        printf("lung-window slice 512x512 (LIDC-IDRI-0001 mid axial): %zu sixel bytes, "
               "draw + encode median %.1f ms\n", b.len, t[N / 2] * 1e3);
        pm_buf_free(&b);
        pm_fb_free(fb);
        pm_volume_free(v);
    }
    return 0;
}
