/* bench_unet.c - U-Net figures for tests/bench_unet.sh (not a test).
 *
 *   bench_unet speed NSLICES THREADS   seconds per 256x256 slice, full width
 *                                      (wf 6, 64..1024 channels), generated weights
 *   bench_unet segment NZ WF THREADS   the whole pipeline on a synthetic
 *                                      512x512xNZ chest (peak memory is
 *                                      measured around it by the script)
 */
#include "pulmo/unet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 1;
    pm_unet *net;
    if (!strcmp(argv[1], "speed")) {
        int n = atoi(argv[2]), th = atoi(argv[3]);
        if (pm_unet_generate(6, 3, 1, &net))
            return fprintf(stderr, "%s\n", pm_error()), 1;
        pm_unet_info in;
        pm_unet_describe(net, &in);
        float *x = malloc((size_t)n * 65536 * sizeof *x);
        uint8_t *lab = malloc((size_t)n * 65536);
        for (size_t i = 0; i < (size_t)n * 65536; i++)
            x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
        double wall[5], cpu[5];
        for (int r = 0; r < 5; r++) {
            double t = pm_now(), c = cpu_seconds();
            if (pm_unet_forward(net, n, 256, 256, x, NULL, lab, th, NULL))
                return fprintf(stderr, "%s\n", pm_error()), 1;
            wall[r] = (pm_now() - t) / n;
            cpu[r] = (cpu_seconds() - c) / n;
        }
        qsort(wall, 5, sizeof *wall, cmp_d);
        qsort(cpu, 5, sizeof *cpu, cmp_d);
        printf("%d slices, %d threads: median %.3f s/slice wall (min %.3f, max %.3f), "
               "%.3f CPU s/slice; %lld parameters, %.1f GMAC/slice\n", n, th, wall[2], wall[0],
               wall[4], cpu[2], (long long)in.params_used, in.macs_256 / 1e9);
        free(x);
        free(lab);
    } else if (!strcmp(argv[1], "segment") && argc >= 5) {
        int nz = atoi(argv[2]), wf = atoi(argv[3]), th = atoi(argv[4]);
        if (pm_unet_generate(wf, 3, 1, &net))
            return fprintf(stderr, "%s\n", pm_error()), 1;
        pm_grid g;
        pm_grid_init(&g, 512, 512, nz, 0.7, 0.7, 1.0);
        pm_volume *v = pm_volume_new(&g);
        uint8_t *lab = malloc((size_t)512 * 512 * nz);
        if (!v || !lab)
            return 1;
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < 512; j++)
                for (int i = 0; i < 512; i++) {
                    double bx = (i - 256) / 200.0, by = (j - 256) / 150.0;
                    double lx = (abs(i - 256) - 90) / 60.0, ly = (j - 250) / 90.0;
                    int16_t hu = bx * bx + by * by > 1 ? -1000 : lx * lx + ly * ly < 1 ? -850 : 40;
                    v->hu[i + 512 * (j + (size_t)512 * k)] = hu;
                }
        double t = pm_now();
        int rc = pm_unet_segment(v, net, th, lab, NULL);
        printf("segment %d slices, wf %d: rc %d, %.2f s (%.3f s/slice)\n", nz, wf, rc,
               pm_now() - t, (pm_now() - t) / nz);
        pm_volume_free(v);
        free(lab);
    } else
        return 1;
    pm_unet_free(net);
    return 0;
}
