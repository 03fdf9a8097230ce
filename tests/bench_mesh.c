/* bench_mesh.c - timings of the mesh stages on the LIDC-IDRI-0001 reference
 * lung mask resampled to 1 mm isotropic (nearest neighbour, about 0.75 M
 * triangles): marching cubes, Taubin smoothing (10 passes), decimation to
 * 10 %, binary STL write. Prints the median of several runs per stage and
 * the process CPU time of the median run's stage and the calling thread's
 * (the machine is shared, so wall-clock figures are noisy; the calling
 * thread's CPU time is near the wall time of an idle machine). Built by `make bench`, run by
 * tests/bench_mesh.sh with the optimised library. */
#include "pulmo/mesh.h"
#include "pulmo/nifti.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The calling thread's CPU time: it does the serial parts and its share of
 * the parallel ones, so on a machine shared with other work it estimates
 * the idle wall time better than the wall clock. */
static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-neighbour resample of m onto an isotropic grid of step mm with
 * the same origin and axes. */
static pm_mask *resample(const pm_mask *m, double step)
{
    pm_grid g = m->g;
    for (int a = 0; a < 3; a++) {
        g.dim[a] = (int)floor((m->g.dim[a] - 1) * m->g.spacing[a] / step) + 1;
        g.spacing[a] = step;
    }
    pm_mask *r = pm_mask_new(&g);
    if (!r)
        return NULL;
    for (int k = 0; k < g.dim[2]; k++)
        for (int j = 0; j < g.dim[1]; j++)
            for (int i = 0; i < g.dim[0]; i++) {
                int si = (int)lround(i * step / m->g.spacing[0]);
                int sj = (int)lround(j * step / m->g.spacing[1]);
                int sk = (int)lround(k * step / m->g.spacing[2]);
                r->v[i + (size_t)g.dim[0] * (j + (size_t)g.dim[1] * k)] =
                    m->v[si + (size_t)m->g.dim[0] * (sj + (size_t)m->g.dim[1] * sk)];
            }
    return r;
}

#define RUNS 5

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/data/reference/LIDC-IDRI-0001.seed-fill.nii.gz";
    const char *out = argc > 2 ? argv[2] : "/tmp/pulmo-bench-mesh.stl";
    pm_mask *src;
    if (pm_nifti_read_mask(path, &src) != PM_OK) {
        fprintf(stderr, "bench_mesh: %s\n", pm_error());
        return 1;
    }
    pm_mask *m = resample(src, 1.0);
    pm_mask_free(src);
    if (!m)
        return 1;
    double wall[4][RUNS], cpu[4][RUNS], main_cpu[4][RUNS] = {{0}};
    size_t nf = 0, nf_dec = 0;
    double vol = 0, vol_dec = 0;
    pm_mesh *base = NULL;
    for (int r = 0; r < RUNS; r++) {
        pm_mesh *me;
        double t0 = pm_now(), c0 = cpu_now(), h0 = thread_cpu_now();
        if (pm_mesh_from_mask(m, 0, &me, NULL) != PM_OK)
            return 1;
        wall[0][r] = pm_now() - t0;
        cpu[0][r] = cpu_now() - c0;
        main_cpu[0][r] = thread_cpu_now() - h0;
        nf = me->nf;
        if (base)
            pm_mesh_free(me);
        else
            base = me;
    }
    for (int r = 0; r < RUNS; r++) {
        pm_mesh *c = pm_mesh_clone(base);
        double t0 = pm_now(), c0 = cpu_now(), h0 = thread_cpu_now();
        pm_mesh_smooth(c, 10, 0, 0, NULL);
        wall[1][r] = pm_now() - t0;
        cpu[1][r] = cpu_now() - c0;
        main_cpu[1][r] = thread_cpu_now() - h0;
        pm_mesh_free(c);
    }
    vol = pm_mesh_volume(base);
    for (int r = 0; r < RUNS; r++) {
        pm_mesh *c = pm_mesh_clone(base);
        double t0 = pm_now(), c0 = cpu_now(), h0 = thread_cpu_now();
        pm_mesh_decimate(c, base->nf / 10, NULL);
        wall[2][r] = pm_now() - t0;
        cpu[2][r] = cpu_now() - c0;
        main_cpu[2][r] = thread_cpu_now() - h0;
        nf_dec = c->nf;
        vol_dec = pm_mesh_volume(c);
        pm_mesh_free(c);
    }
    for (int r = 0; r < RUNS; r++) {
        double t0 = pm_now(), c0 = cpu_now(), h0 = thread_cpu_now();
        if (pm_mesh_write(base, out, PM_MESH_STL) != PM_OK) {
            fprintf(stderr, "bench_mesh: %s\n", pm_error());
            return 1;
        }
        wall[3][r] = pm_now() - t0;
        cpu[3][r] = cpu_now() - c0;
        main_cpu[3][r] = thread_cpu_now() - h0;
    }
    remove(out);
    static const char *names[4] = {"marching cubes", "smoothing x10", "decimation to 10%", "binary STL write"};
    static const double target[4] = {0.15, 0, 0.3, 0.1};
    printf("LIDC-IDRI-0001 lung mask at 1 mm (%d x %d x %d): %zu triangles (%.1f mL), %zu after decimation "
           "(%.1f mL)\n", m->g.dim[0], m->g.dim[1], m->g.dim[2], nf, vol / 1000, nf_dec, vol_dec / 1000);
    for (int s = 0; s < 4; s++) {
        double w[RUNS], c[RUNS], h[RUNS];
        memcpy(w, wall[s], sizeof w);
        memcpy(c, cpu[s], sizeof c);
        memcpy(h, main_cpu[s], sizeof h);
        qsort(w, RUNS, sizeof w[0], cmp_d);
        qsort(c, RUNS, sizeof c[0], cmp_d);
        qsort(h, RUNS, sizeof h[0], cmp_d);
        printf("  %-18s median %.3f s wall (min %.3f), %.3f s CPU, %.3f s calling thread", names[s], w[RUNS / 2],
               w[0], c[RUNS / 2], h[RUNS / 2]);
        if (target[s] > 0)
            printf("  [target <= %.2f s]", target[s]);
        printf("\n");
    }
    pm_mesh_free(base);
    pm_mask_free(m);
    return 0;
}
