/* test_unet.c - the U-Net engine against torch's output for tiny-unet, the
 * lungmask preparation against the prepared slice of the test data, the
 * body box, resize and post-processing on constructed cases, and the whole
 * pipeline on LIDC-IDRI-0001 slices (including an x-mirrored copy and
 * repeated slices). */
#include "test.h"
#include "pulmo/series.h"
#include "pulmo/unet.h"

#include <math.h>

#define HW 65536

static float *read_f32(const char *rel, size_t n)
{
    float *b = malloc(n * sizeof *b);
    FILE *f = fopen(test_data(rel), "rb");
    CHECK(b && f, "cannot open %s", rel);
    CHECK(fread(b, sizeof *b, n, f) == n, "%s is shorter than %zu floats", rel, n);
    fclose(f);
    return b;
}

static pm_unet *tiny(void)
{
    pm_unet *net;
    CHECK(pm_unet_load(test_data("unet/tiny-unet.pth"), &net) == PM_OK, "%s", pm_error());
    return net;
}

TEST(tiny_unet_reproduces_torch_logsoftmax)
{
    pm_unet *net = tiny();
    pm_unet_info in;
    pm_unet_describe(net, &in);
    CHECK(in.depth == 5 && in.n_classes == 3 && in.widths[0] == 8 && in.widths[4] == 128,
          "architecture depth %d classes %d widths %d..%d", in.depth, in.n_classes,
          in.widths[0], in.widths[4]);
    float *x = read_f32("unet/tiny-unet.input.f32", HW);
    float *ref = read_f32("unet/tiny-unet.logsoftmax.f32", 3 * HW);
    float *lp = malloc(3 * HW * sizeof *lp);
    uint8_t *lab = malloc(HW);
    CHECK(pm_unet_forward(net, 1, 256, 256, x, lp, lab, 2, NULL) == PM_OK, "%s", pm_error());
    double maxd = 0;
    int same = 0, count[3] = {0};
    for (int p = 0; p < HW; p++) {
        int best = 0;
        for (int c = 0; c < 3; c++) {
            double d = fabs(lp[c * HW + p] - ref[c * HW + p]);
            if (d > maxd)
                maxd = d;
            if (ref[c * HW + p] > ref[best * HW + p])
                best = c;
        }
        same += best == lab[p];
        count[lab[p]]++;
    }
    CHECK(maxd < 1e-3, "max |log-softmax - torch| = %g", maxd);
    CHECK(same >= 0.999 * HW, "argmax agrees on %d of %d pixels", same, HW);
    /* tiny-unet.json: "argmax_counts": [42142, 15957, 7437] */
    size_t jl;
    FILE *f = fopen(test_data("unet/tiny-unet.json"), "rb");
    char json[16384];
    CHECK(f, "no tiny-unet.json");
    jl = fread(json, 1, sizeof json - 1, f);
    json[jl] = 0;
    fclose(f);
    const char *ac = strstr(json, "\"argmax_counts\"");
    CHECK(ac, "no argmax_counts in the JSON");
    ac = strchr(ac, '[');
    for (int c = 0; c < 3; c++) {
        long want = strtol(ac + 1, (char **)&ac, 10);
        CHECK(labs(count[c] - want) <= HW / 1000, "class %d: %d pixels, torch %ld", c, count[c], want);
    }
    free(x); free(ref); free(lp); free(lab);
    pm_unet_free(net);
}

TEST(slices_run_in_parallel_give_the_single_slice_result)
{
    pm_unet *net = tiny();
    float *x1 = read_f32("unet/tiny-unet.input.f32", HW);
    float *x3 = malloc(3 * HW * sizeof *x3), *l1 = malloc(3 * HW * sizeof *l1);
    float *l3 = malloc(9 * HW * sizeof *l3);
    for (int s = 0; s < 3; s++)
        for (int p = 0; p < HW; p++)        /* the middle slice upside down */
            x3[s * HW + p] = s == 1 ? x1[HW - 1 - p] : x1[p];
    CHECK(pm_unet_forward(net, 1, 256, 256, x1, l1, NULL, 1, NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_unet_forward(net, 3, 256, 256, x3, l3, NULL, 2, NULL) == PM_OK, "%s", pm_error());
    double d0 = 0, d1 = 0;
    for (int p = 0; p < 3 * HW; p++) {
        d0 = fmax(d0, fabs(l3[p] - l1[p]));
        d1 = fmax(d1, fabs(l3[6 * HW + p] - l1[p]));
    }
    CHECK(d0 < 1e-5 && d1 < 1e-5, "batched slices differ from the single run by %g, %g", d0, d1);
    double flip = 0;
    for (int p = 0; p < 3 * HW; p++)
        flip = fmax(flip, fabs(l3[3 * HW + p] - l1[p]));
    CHECK(flip > 0.1, "a different slice gave the same output (%g)", flip);
    CHECK(pm_unet_forward(net, 1, 100, 256, x1, l1, NULL, 1, NULL) == PM_EUSAGE,
          "a 100-row input was accepted");
    free(x1); free(x3); free(l1); free(l3);
    pm_unet_free(net);
}

TEST(prepared_lidc_slice_matches_the_prepared_input_of_the_test_data)
{
    pm_volume *v;
    CHECK(pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &v, NULL) == PM_OK, "%s",
          pm_error());
    float *ref = read_f32("unet/tiny-unet.input.f32", HW), *x = malloc(HW * sizeof *x);
    int nx = v->g.dim[0], ny = v->g.dim[1], full[4] = {0, 0, nx, ny}, bestk = -1;
    size_t bestexact = 0;
    for (int k = 0; k < v->g.dim[2]; k++) {
        pm_unet_prepare(v->hu + (size_t)k * nx * ny, nx, full, x);
        size_t exact = 0;
        for (int p = 0; p < HW; p++)
            exact += fabsf(x[p] - ref[p]) < 1e-5f;
        if (exact > bestexact)
            bestexact = exact, bestk = k;
    }
    pm_unet_prepare(v->hu + (size_t)bestk * nx * ny, nx, full, x);
    /* The loader reads the padding outside the scan circle as air (-1000 HU);
     * the reference clipped it from -2000 to -1024. So each padding pixel in
     * a 2x2 block raises the mean by exactly 6 HU; nothing else may differ. */
    for (int p = 0; p < HW; p++) {
        double d = (x[p] - ref[p]) * 1624.0, k = floor(d / 6.0 + 0.5);
        CHECK(k >= 0 && k <= 4 && fabs(d - 6.0 * k) < 0.02, "slice %d pixel %d: %g vs %g HU",
              bestk, p, x[p] * 1624 - 1024, ref[p] * 1624 - 1024);
    }
    CHECK(bestexact > HW * 3 / 4, "only %zu pixels match", bestexact);
    free(ref); free(x);
    pm_volume_free(v);
}

TEST(resize_averages_2x2_blocks_and_keeps_linear_ramps)
{
    float src[8 * 6], dst[4 * 3], up[16 * 12];
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
            src[y * 8 + x] = (float)(3 * x + 5 * y + (x * y) % 3);
    pm_unet_resize(src, 8, 6, 8, dst, 4, 3);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) {
            float m = 0.25f * (src[2 * y * 8 + 2 * x] + src[2 * y * 8 + 2 * x + 1] +
                               src[(2 * y + 1) * 8 + 2 * x] + src[(2 * y + 1) * 8 + 2 * x + 1]);
            CHECK(fabsf(dst[y * 4 + x] - m) < 1e-4f, "(%d,%d): %g, block mean %g", x, y, dst[y * 4 + x], m);
        }
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
            src[y * 8 + x] = (float)(2 * x - 7 * y);
    pm_unet_resize(src, 8, 6, 8, up, 16, 12);
    for (int y = 1; y < 11; y++)             /* the edges are clamped */
        for (int x = 1; x < 15; x++) {
            float want = 2 * ((x + 0.5f) / 2 - 0.5f) - 7 * ((y + 0.5f) / 2 - 0.5f);
            CHECK(fabsf(up[y * 16 + x] - want) < 1e-4f, "(%d,%d): %g, ramp %g", x, y, up[y * 16 + x], want);
        }
}

TEST(body_box_covers_the_body_and_ignores_a_small_blob)
{
    int nx = 300, ny = 240, box[4];
    int16_t *s = malloc((size_t)nx * ny * sizeof *s);
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            double ex = (x - 150) / 100.0, ey = (y - 130) / 70.0;
            int body = ex * ex + ey * ey <= 1.0, lung = (x - 110) * (x - 110) + (y - 130) * (y - 130) < 900;
            int blob = x >= 5 && x < 15 && y >= 5 && y < 15;
            s[y * nx + x] = (int16_t)(body ? (lung ? -850 : 40) : blob ? 100 : -1000);
        }
    pm_unet_body_box(s, nx, ny, box);
    CHECK(abs(box[0] - 50) <= 3 && abs(box[2] - 251) <= 3 && abs(box[1] - 60) <= 3 &&
          abs(box[3] - 201) <= 3, "box %d,%d - %d,%d, want about 50,60 - 251,201", box[0], box[1],
          box[2], box[3]);
    for (int i = 0; i < nx * ny; i++)
        s[i] = -1000;
    pm_unet_body_box(s, nx, ny, box);
    CHECK(box[0] == 0 && box[1] == 0 && box[2] == nx && box[3] == ny,
          "an empty slice gave box %d,%d - %d,%d", box[0], box[1], box[2], box[3]);
    free(s);
}

#define AT(x, y, z) ((x) + 40 * ((y) + 40 * (z)))

static void fill(uint8_t *v, int x0, int x1, int y0, int y1, int z0, int z1, uint8_t l)
{
    for (int z = z0; z <= z1; z++)
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                v[AT(x, y, z)] = l;
}

TEST(postprocess_merges_islands_into_the_neighbour_and_fills_holes)
{
    uint8_t *v = calloc(40 * 40 * 10, 1);
    fill(v, 2, 15, 2, 37, 1, 8, 1);          /* right lung */
    fill(v, 24, 37, 2, 37, 1, 8, 2);         /* left lung */
    fill(v, 8, 9, 8, 9, 4, 5, 0);            /* a cavity inside the right lung */
    fill(v, 16, 17, 10, 12, 3, 4, 2);        /* a class-2 island touching the right lung */
    fill(v, 20, 21, 20, 22, 4, 5, 1);        /* a class-1 island touching nothing */
    fill(v, 30, 31, 39, 39, 9, 9, 2);        /* two loose voxels */
    CHECK(pm_unet_postprocess(v, 40, 40, 10, 3) == PM_OK, "%s", pm_error());
    CHECK(v[AT(16, 11, 3)] == 1 && v[AT(17, 12, 4)] == 1, "the touching island was not merged (%d)",
          v[AT(16, 11, 3)]);
    CHECK(v[AT(20, 20, 4)] == 0 && v[AT(21, 22, 5)] == 0, "the lone island survived (%d)",
          v[AT(20, 20, 4)]);
    CHECK(v[AT(30, 39, 9)] == 0, "the two loose voxels survived");
    CHECK(v[AT(8, 8, 4)] == 1 && v[AT(9, 9, 5)] == 1, "the cavity was not filled");
    CHECK(v[AT(5, 5, 5)] == 1 && v[AT(30, 30, 5)] == 2 && v[AT(0, 0, 0)] == 0 && v[AT(20, 5, 5)] == 0,
          "the lungs or the background changed");
    free(v);
}

/* Number of 26-connected components of label cls. */
static int components_of(const uint8_t *lab, int nx, int ny, int nz, int cls)
{
    size_t n = (size_t)nx * ny * nz;
    uint8_t *seen = calloc(n, 1);
    int32_t *q = malloc(n * sizeof *q);
    int comps = 0;
    for (size_t s = 0; s < n; s++) {
        if (lab[s] != cls || seen[s])
            continue;
        comps++;
        size_t qh = 0, qt = 0;
        q[qt++] = (int32_t)s;
        seen[s] = 1;
        while (qh < qt) {
            int32_t v = q[qh++];
            int x = v % nx, y = v / nx % ny, z = v / (nx * ny);
            for (int dz = -1; dz <= 1; dz++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx, yy = y + dy, zz = z + dz;
                        if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz)
                            continue;
                        int32_t u = xx + nx * (yy + ny * zz);
                        if (lab[u] == cls && !seen[u]) {
                            seen[u] = 1;
                            q[qt++] = u;
                        }
                    }
        }
    }
    free(seen);
    free(q);
    return comps;
}

TEST(postprocess_leaves_one_component_per_class_of_random_blobs)
{
    int nx = 64, ny = 64, nz = 5;
    size_t n = (size_t)nx * ny * nz;
    uint8_t *v = malloc(n);
    uint32_t s = 7;
    for (int it = 0; it < 8; it++) {
        for (size_t i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            v[i] = (s >> 16) % 7 == 0 ? (uint8_t)(1 + (s >> 8) % 2) : 0;
        }
        for (int b = 0; b < 30; b++) {
            s = s * 1103515245u + 12345u;
            int cx = (int)(s >> 8) % nx, cy = (int)(s >> 16) % ny, r = 2 + (int)(s >> 24) % 6;
            for (int z = 0; z < nz; z++)
                for (int y = 0; y < ny; y++)
                    for (int x = 0; x < nx; x++)
                        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r)
                            v[x + nx * (y + ny * z)] = (uint8_t)(1 + b % 2);
        }
        CHECK(pm_unet_postprocess(v, nx, ny, nz, 3) == PM_OK, "%s", pm_error());
        for (int c = 1; c <= 2; c++) {
            int k = components_of(v, nx, ny, nz, c);
            CHECK(k == 1, "round %d: class %d has %d components", it, c, k);
        }
    }
    free(v);
}

/* Per-slice body boxes can split a 3D component on the original grid, so the
 * pipeline is checked by symmetry instead: a volume stored mirrored, with its
 * i axis reversed, must get exactly the mirrored labels. */
TEST(pipeline_on_lidc_slices_gives_mirrored_labels_for_a_mirrored_volume)
{
    pm_volume *v;
    CHECK(pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &v, NULL) == PM_OK, "%s",
          pm_error());
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = 6, k0 = 60;
    size_t plane = (size_t)nx * ny;
    pm_grid g = v->g;
    g.dim[2] = nz;
    pm_volume *a = pm_volume_new(&g), *b = pm_volume_new(&g);
    CHECK(a && b, "out of memory");
    memcpy(a->hu, v->hu + (size_t)k0 * plane, plane * nz * sizeof *a->hu);
    /* b: the same slices stored right-to-left, with the i axis pointing right */
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                b->hu[i + nx * (j + (size_t)ny * k)] = a->hu[(nx - 1 - i) + nx * (j + (size_t)ny * k)];
    b->g.dir[0] = -b->g.dir[0];
    uint8_t *la = malloc(plane * nz), *lb = malloc(plane * nz);
    pm_unet *net = tiny();
    int ra = pm_unet_segment(a, net, 2, la, NULL), rb = pm_unet_segment(b, net, 2, lb, NULL);
    CHECK(ra == PM_OK && rb == PM_OK, "segment: %d %d (%s)", ra, rb, pm_error());
    size_t diff = 0, per[3] = {0};
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                uint8_t l = la[i + nx * (j + (size_t)ny * k)];
                CHECK(l <= 2, "label %d", l);
                per[l]++;
                diff += l != lb[(nx - 1 - i) + nx * (j + (size_t)ny * k)];
            }
    CHECK(diff == 0, "the mirrored volume gave %zu different labels", diff);
    CHECK(per[1] > 0 && per[2] > 0, "classes 1/2 have %zu/%zu voxels", per[1], per[2]);
    free(la); free(lb);
    pm_unet_free(net);
    pm_volume_free(a); pm_volume_free(b); pm_volume_free(v);
}

/* A slice equal to the one before it takes that slice's labels instead of
 * going through the network (a one- or two-slice series is segmented as a
 * prism of copies): the labels must be those of copies that the network
 * sees one by one, made unequal in one voxel that the preparation clips. */
TEST(repeated_slices_get_the_labels_of_slices_segmented_one_by_one)
{
    pm_volume *v;
    CHECK(pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &v, NULL) == PM_OK, "%s",
          pm_error());
    static const int from[] = {60, 60, 61, 61, 61, 62};
    int nz = 6;
    size_t plane = (size_t)v->g.dim[0] * v->g.dim[1];
    pm_grid g = v->g;
    g.dim[2] = nz;
    pm_volume *a = pm_volume_new(&g), *b = pm_volume_new(&g);
    CHECK(a && b, "out of memory");
    for (int k = 0; k < nz; k++)
        memcpy(a->hu + k * plane, v->hu + from[k] * plane, plane * sizeof *a->hu);
    memcpy(b->hu, a->hu, plane * nz * sizeof *b->hu);
    for (int k = 1; k < nz; k++) {
        int16_t *s = b->hu + k * plane;
        size_t i = 0;
        while (i < plane && !(s[i] <= -1024 && s[i] > -30000))
            i++;
        CHECK(i < plane, "slice %d has no voxel below -1024 HU", from[k]);
        s[i] = (int16_t)(s[i] - k);
    }
    uint8_t *la = malloc(plane * nz), *lb = malloc(plane * nz);
    CHECK(la && lb, "out of memory");
    pm_unet *net = tiny();
    int ra = pm_unet_segment(a, net, 2, la, NULL), rb = pm_unet_segment(b, net, 2, lb, NULL);
    CHECK(ra == PM_OK && rb == PM_OK, "segment: %d %d (%s)", ra, rb, pm_error());
    size_t diff = 0, lung = 0;
    for (size_t x = 0; x < plane * nz; x++) {
        diff += la[x] != lb[x];
        lung += la[x] != 0;
    }
    CHECK(diff == 0, "%zu labels differ from those of the slices segmented one by one", diff);
    CHECK(lung > 0, "no lung labels");
    free(la); free(lb);
    pm_unet_free(net);
    pm_volume_free(a); pm_volume_free(b); pm_volume_free(v);
}

static int cancel_after(void *user, double f, const char *stage)
{
    int *calls = user;
    (void)f;
    (void)stage;
    return ++*calls > 3;
}

TEST(segment_stops_when_progress_asks_to_cancel)
{
    pm_grid g;
    pm_grid_init(&g, 128, 128, 40, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    CHECK(v, "out of memory");
    for (size_t i = 0; i < (size_t)128 * 128 * 40; i++)
        /* each slice its own HU: equal slices would run through the network once */
        v->hu[i] = (int16_t)((i % 128) > 30 && (i % 128) < 100 ? 40 + (int)(i / (128 * 128)) : -1000);
    uint8_t *lab = malloc((size_t)128 * 128 * 40);
    pm_unet *net = tiny();
    int calls = 0;
    pm_progress p = {cancel_after, &calls};
    int rc = pm_unet_segment(v, net, 2, lab, &p);
    CHECK(rc == PM_ECANCEL, "rc %d (%s) after %d progress calls", rc, pm_error(), calls);
    CHECK(calls <= 6, "%d progress calls after the cancel", calls);
    free(lab);
    pm_unet_free(net);
    pm_volume_free(v);
}

TEST(weights_come_from_the_option_then_the_environment_then_the_config)
{
    char out[4096], dir[600], cmd[1400];
    snprintf(dir, sizeof dir, "%s/xdg", test_tmpdir());
    setenv("XDG_CONFIG_HOME", dir, 1);
    setenv("PULMO_WEIGHTS", "/env/w.pth", 1);
    CHECK(pm_unet_weights_path("/opt/a.pth", out, sizeof out) == PM_OK && !strcmp(out, "/opt/a.pth"),
          "option: %s", out);
    CHECK(pm_unet_weights_path(NULL, out, sizeof out) == PM_OK && !strcmp(out, "/env/w.pth"),
          "environment: %s", out);
    unsetenv("PULMO_WEIGHTS");
    CHECK(pm_unet_weights_path(NULL, out, sizeof out) == PM_ENODATA, "nothing configured: %s", out);
    CHECK(strstr(pm_error(), "--weights") && strstr(pm_error(), dir), "reason: %s", pm_error());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/pulmo' && printf '/data/unet_r231.pth\\n' > '%s/pulmo/weights'",
             dir, dir);
    CHECK(test_sh(cmd) == 0, "cannot write the config");
    CHECK(pm_unet_weights_path(NULL, out, sizeof out) == PM_OK && !strcmp(out, "/data/unet_r231.pth"),
          "config naming a path: %s", out);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/pulmo/weights'", test_data("unet/tiny-unet.pth"), dir);
    CHECK(test_sh(cmd) == 0, "cannot copy the weights");
    char want[700];
    snprintf(want, sizeof want, "%s/pulmo/weights", dir);
    CHECK(pm_unet_weights_path(NULL, out, sizeof out) == PM_OK && !strcmp(out, want),
          "config holding the weights: %s", out);
    unsetenv("XDG_CONFIG_HOME");
}

int main(void)
{
    RUN(tiny_unet_reproduces_torch_logsoftmax);
    RUN(slices_run_in_parallel_give_the_single_slice_result);
    RUN(prepared_lidc_slice_matches_the_prepared_input_of_the_test_data);
    RUN(resize_averages_2x2_blocks_and_keeps_linear_ramps);
    RUN(body_box_covers_the_body_and_ignores_a_small_blob);
    RUN(postprocess_merges_islands_into_the_neighbour_and_fills_holes);
    RUN(postprocess_leaves_one_component_per_class_of_random_blobs);
    RUN(segment_stops_when_progress_asks_to_cancel);
    RUN(weights_come_from_the_option_then_the_environment_then_the_config);
    RUN(pipeline_on_lidc_slices_gives_mirrored_labels_for_a_mirrored_volume);
    RUN(repeated_slices_get_the_labels_of_slices_segmented_one_by_one);
    return test_done();
}
