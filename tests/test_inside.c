/* test_inside.c - inside the lungs: the structures label (5) against the
 * phantoms' truth of vessels and bronchial walls, Gustafson-Kessel
 * clustering on Gaussian mixtures with known centres, reproducibility,
 * and the crop box. */
#include "test.h"
#include "pulmo/cluster.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/seg.h"
#include "pulmo/series.h"

#include <math.h>

static uint64_t rng_state;
static double unif(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53 + 0x1p-54;
}
static double gauss(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* A one-slab "volume" whose lung voxels hold a mixture of Gaussians. */
static void mixture(int ncomp, const double *mean, const double *sd, const double *frac,
                    size_t n, pm_volume **vo, pm_mask **mo, double *sample_mean)
{
    pm_grid g;
    pm_grid_init(&g, 200, (int)(n / 200), 1, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    double sum[8] = {0};
    size_t cnt[8] = {0};
    for (size_t k = 0; k < pm_grid_voxels(&g); k++) {
        double u = unif(), acc = 0;
        int c = 0;
        while (c < ncomp - 1 && u > acc + frac[c])
            acc += frac[c++];
        long h = lround(mean[c] + sd[c] * gauss());
        v->hu[k] = (int16_t)h;
        m->v[k] = PM_LABEL_LUNG;
        sum[c] += (double)h;
        cnt[c]++;
    }
    for (int c = 0; c < ncomp; c++)
        sample_mean[c] = sum[c] / (double)cnt[c];
    *vo = v;
    *mo = m;
}

TEST(gk_recovers_the_centres_of_two_and_three_gaussian_mixtures_within_2_hu)
{
    static const double mean2[2] = {-860, 40}, sd2[2] = {45, 35}, frac2[2] = {0.8, 0.2};
    static const double mean3[3] = {-860, -420, 40}, sd3[3] = {40, 50, 30},
                        frac3[3] = {0.6, 0.25, 0.15};
    for (int t = 0; t < 2; t++) {
        int c = t ? 3 : 2;
        rng_state = 1234 + (uint64_t)t;
        pm_volume *v;
        pm_mask *m;
        double smean[3];
        mixture(c, t ? mean3 : mean2, t ? sd3 : sd2, t ? frac3 : frac2, 60000, &v, &m, smean);
        pm_gk_opts o;
        pm_gk_defaults(&o);
        o.c = c;
        pm_hu_clusters h;
        CHECK(pm_cluster_hu(v, m, 0, 1, &o, &h, NULL) == PM_OK, "%s", pm_error());
        for (int i = 0; i < c; i++)
            CHECK(fabs(h.gk.center[i][0] - smean[i]) < 2.0,
                  "%d clusters: centre %d at %.2f HU, the component's mean is %.2f", c, i,
                  h.gk.center[i][0], smean[i]);
        /* Memberships of every HU sum to 1, and so do the voxels'. */
        for (int hu = h.hu_lo; hu <= h.hu_hi; hu++) {
            double s = 0;
            for (int i = 0; i < c; i++) {
                float u = pm_cluster_membership(&h, hu, i);
                CHECK(u >= 0 && u <= 1, "membership %g at %d HU", u, hu);
                s += u;
            }
            CHECK(fabs(s - 1) < 1e-5, "memberships at %d HU sum to %.7f", hu, s);
        }
        uint64_t total = 0;
        for (int i = 0; i < c; i++)
            total += h.voxels[i];
        CHECK(total == h.total && total == pm_grid_voxels(&v->g), "voxels %llu of %llu",
              (unsigned long long)total, (unsigned long long)h.total);
        CHECK(h.smallest == c - 1, "the smallest cluster is %d", h.smallest);
        pm_hu_clusters_done(&h);
        pm_mask_free(m);
        pm_volume_free(v);
    }
}

TEST(weighted_points_cluster_like_the_repeated_points)
{
    /* Five values with counts against the same values written out. */
    static const float vals[5] = {-900, -850, -400, 20, 60};
    static const double cnt[5] = {30, 50, 7, 11, 4};
    float x[102];
    size_t n = 0;
    for (int a = 0; a < 5; a++)
        for (int r = 0; r < (int)cnt[a]; r++)
            x[n++] = vals[a];
    pm_gk_opts o;
    pm_gk_defaults(&o);
    o.c = 3;
    pm_gk_result rw, rx;
    float uw[15], ux[102 * 3];
    CHECK(pm_gk_run(vals, cnt, 5, 1, &o, &rw, uw) == PM_OK, "%s", pm_error());
    CHECK(pm_gk_run(x, NULL, n, 1, &o, &rx, ux) == PM_OK, "%s", pm_error());
    for (int i = 0; i < 3; i++)
        CHECK(fabs(rw.center[i][0] - rx.center[i][0]) < 1e-3, "centre %d: %.4f weighted, %.4f repeated",
              i, rw.center[i][0], rx.center[i][0]);
    CHECK(rw.iterations == rx.iterations, "%d vs %d iterations", rw.iterations, rx.iterations);
}

TEST(the_same_seed_gives_the_same_clusters)
{
    rng_state = 99;
    static const double mean[3] = {-870, -600, 30}, sd[3] = {50, 80, 60}, frac[3] = {0.7, 0.2, 0.1};
    pm_volume *v;
    pm_mask *m;
    double smean[3];
    mixture(3, mean, sd, frac, 40000, &v, &m, smean);
    pm_gk_opts o;
    pm_gk_defaults(&o);
    o.c = 4;
    o.seed = 42;
    pm_hu_clusters a, b, q;
    CHECK(pm_cluster_hu(v, m, 0, 1, &o, &a, NULL) == PM_OK, "%s", pm_error());
    CHECK(pm_cluster_hu(v, m, 0, 1, &o, &b, NULL) == PM_OK, "%s", pm_error());
    CHECK(!memcmp(&a.gk, &b.gk, sizeof a.gk) && !memcmp(a.voxels, b.voxels, sizeof a.voxels),
          "two runs with seed 42 differ");
    size_t span = (size_t)(a.hu_hi - a.hu_lo + 1) * 4;
    CHECK(!memcmp(a.lut, b.lut, span * sizeof *a.lut), "memberships differ between runs");
    /* Another start reaches the same clusters (the objective has one
     * optimum here), so the seed only changes the path. */
    o.seed = 0;
    CHECK(pm_cluster_hu(v, m, 0, 1, &o, &q, NULL) == PM_OK, "%s", pm_error());
    for (int i = 0; i < 4; i++)
        CHECK(fabs(q.gk.center[i][0] - a.gk.center[i][0]) < 0.5, "centre %d: %.2f vs %.2f", i,
              q.gk.center[i][0], a.gk.center[i][0]);
    pm_hu_clusters_done(&a);
    pm_hu_clusters_done(&b);
    pm_hu_clusters_done(&q);
    pm_mask_free(m);
    pm_volume_free(v);
}

/* The TUI's cluster panel changes K from the keyboard while a worker
 * clusters (issue 19's crash hunt): the options must be read once, or the
 * memberships sized for the old K are written for the new one. The
 * progress callback runs between the allocation and the iterations, so
 * changing K there is that race made certain. */
static int grow_k(void *user, double fraction, const char *stage)
{
    (void)fraction, (void)stage;
    ((pm_gk_opts *)user)->c = PM_GK_MAX;
    return 0;
}

TEST(options_changed_while_clustering_do_not_reach_the_running_job)
{
    rng_state = 7;
    static const double mean[2] = {-860, 40}, sd[2] = {45, 35}, frac[2] = {0.8, 0.2};
    pm_volume *v;
    pm_mask *m;
    double smean[2];
    mixture(2, mean, sd, frac, 60000, &v, &m, smean);
    pm_gk_opts o;
    pm_gk_defaults(&o);
    o.c = 2;
    pm_progress p = {grow_k, &o};
    pm_hu_clusters h;
    CHECK(pm_cluster_hu(v, m, 0, 1, &o, &h, &p) == PM_OK, "%s", pm_error());
    CHECK(o.c == PM_GK_MAX, "the callback did not run");
    CHECK(h.gk.c == 2, "%d clusters from a job started with 2", h.gk.c);
    CHECK(fabs(h.gk.center[0][0] - smean[0]) < 2 && fabs(h.gk.center[1][0] - smean[1]) < 2,
          "centres %.1f %.1f, sample means %.1f %.1f", h.gk.center[0][0], h.gk.center[1][0], smean[0], smean[1]);
    pm_hu_clusters_done(&h);
    pm_mask_free(m);
    pm_volume_free(v);
}

/* Structure truth: 1 vessel, 2 bronchial wall; nodules are label 4 of the
 * label truth. Parenchyma is truth lung farther than 3 mm from all of
 * them and from the airway lumen (partial volume reaches about one
 * voxel). */
TEST(structures_cover_the_phantom_vessel_tree_and_none_of_the_parenchyma)
{
    static const char *names[2] = {"PHANTOM-01", "PHANTOM-05"};
    for (int p = 0; p < 2; p++) {
        char dir[256], path[256];
        snprintf(dir, sizeof dir, "samples/patients/%s", names[p]);
        pm_volume *v;
        CHECK(pm_load_dir(dir, NULL, NULL, &v, NULL) == PM_OK, "%s: %s (run make samples)", dir,
              pm_error());
        pm_mask *t, *st;
        snprintf(path, sizeof path, "samples/truth/%s.labels.nii.gz", names[p]);
        CHECK(pm_nifti_read_mask(path, &t) == PM_OK, "%s", pm_error());
        snprintf(path, sizeof path, "samples/truth/%s.structures.nii.gz", names[p]);
        CHECK(pm_nifti_read_mask(path, &st) == PM_OK, "%s", pm_error());
        pm_recipe r;
        pm_recipe_init(&r, "default");
        pm_seg_run *run = pm_seg_run_new(v, 0);
        CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
        pm_mask *m = run->result;
        size_t n = pm_grid_voxels(&v->g), lung_before = 0, lung_after = 0;
        for (size_t x = 0; x < n; x++)
            lung_before += m->v[x] == 1 || m->v[x] == 2;
        uint64_t count;
        CHECK(pm_seg_structures(v, m, PM_STRUCTURES_HU, PM_STRUCTURES_MARGIN_MM, &count, NULL) == PM_OK,
              "%s", pm_error());
        pm_mask *near = pm_mask_new(&v->g);
        for (size_t x = 0; x < n; x++)
            near->v[x] = st->v[x] || t->v[x] == 3 || t->v[x] == 4;
        CHECK(pm_seg_dilate(near, 1, 1, 3.0, 1, NULL) == PM_OK, "%s", pm_error());
        size_t vessel = 0, vessel5 = 0, par = 0, par5 = 0, n5 = 0;
        for (size_t x = 0; x < n; x++) {
            int five = m->v[x] == PM_LABEL_STRUCTURES;
            n5 += five;
            lung_after += m->v[x] == 1 || m->v[x] == 2 || five;
            if (st->v[x] == 1) {
                vessel++;
                vessel5 += five;
            }
            if ((t->v[x] == 1 || t->v[x] == 2) && !near->v[x]) {
                par++;
                par5 += five;
            }
        }
        CHECK(n5 == count && count > 0, "%s: %zu voxels labelled 5, %llu counted", names[p], n5,
              (unsigned long long)count);
        CHECK(vessel > 1000 && vessel5 >= 0.98 * vessel, "%s: label 5 covers %zu of %zu vessel voxels",
              names[p], vessel5, vessel);
        CHECK(par > 100000 && par5 <= par / 2000, "%s: %zu of %zu parenchyma voxels labelled 5",
              names[p], par5, par);
        CHECK(lung_after >= lung_before, "%s: the lungs lost voxels (%zu -> %zu)", names[p],
              lung_before, lung_after);
        pm_mask_free(near);
        pm_seg_run_free(run);
        pm_mask_free(st);
        pm_mask_free(t);
        pm_volume_free(v);
    }
}

TEST(the_crop_box_holds_the_cube_around_a_point_and_keeps_positions)
{
    pm_grid g;
    pm_grid_init(&g, 40, 30, 20, 0.5, 0.5, 2.0);
    g.origin[0] = -10, g.origin[1] = 5, g.origin[2] = 100;
    pm_volume *v = pm_volume_new(&g);
    for (size_t x = 0; x < pm_grid_voxels(&g); x++)
        v->hu[x] = (int16_t)(x % 3000);
    double c[3];
    pm_grid_to_lps(&g, 20, 10, 8, c);
    int lo[3], hi[3];
    CHECK(pm_grid_crop_box(&g, c, 3.0, lo, hi) == PM_OK, "%s", pm_error());
    CHECK(lo[0] == 14 && hi[0] == 27 && lo[1] == 4 && hi[1] == 17 && lo[2] == 7 && hi[2] == 10,
          "box %d..%d %d..%d %d..%d", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
    pm_volume *cv = pm_volume_crop(v, lo, hi);
    double p[3], q[3];
    pm_grid_to_lps(&cv->g, 6, 6, 1, p);
    CHECK(fabs(p[0] - c[0]) + fabs(p[1] - c[1]) + fabs(p[2] - c[2]) < 1e-9, "the centre moved");
    CHECK(cv->hu[6 + 13 * (6 + 13 * 1)] == v->hu[20 + 40 * (10 + 30 * 8)], "HU moved");
    pm_grid_to_lps(&g, 39, 29, 19, q);
    CHECK(pm_grid_crop_box(&g, q, 100, lo, hi) == PM_OK && lo[0] == 0 && hi[2] == 20, "clamping");
    q[0] += 1000;
    CHECK(pm_grid_crop_box(&g, q, 5, lo, hi) == PM_EUSAGE, "a cube outside the volume is accepted");
    /* Both at once: the same box from the volume and the mask on its grid. */
    pm_mask *m = pm_mask_new(&g);
    pm_volume *bv = NULL;
    pm_mask *bm = NULL;
    m->v[20 + 40 * (10 + 30 * 8)] = 7;
    CHECK(pm_crop_around(v, m, c, 3.0, &bv, &bm) == PM_OK, "%s", pm_error());
    CHECK(!memcmp(bv->g.dim, cv->g.dim, sizeof cv->g.dim) && !memcmp(bv->hu, cv->hu, pm_grid_voxels(&cv->g) * 2) &&
          !memcmp(bm->g.dim, cv->g.dim, sizeof cv->g.dim) && bm->v[6 + 13 * (6 + 13 * 1)] == 7,
          "pm_crop_around differs from the box and its copies");
    pm_volume *nv = NULL;
    pm_mask *nm = NULL;
    CHECK(pm_crop_around(NULL, m, c, 3.0, &nv, &nm) == PM_OK && !nv && nm, "mask alone");
    CHECK(pm_crop_around(v, m, q, 5, &bv, &bm) == PM_EUSAGE, "a cube outside is accepted");
    pm_mask_free(nm);
    pm_mask_free(bm);
    pm_volume_free(bv);
    pm_mask_free(m);
    pm_volume_free(cv);
    pm_volume_free(v);
}

int main(void)
{
    RUN(gk_recovers_the_centres_of_two_and_three_gaussian_mixtures_within_2_hu);
    RUN(weighted_points_cluster_like_the_repeated_points);
    RUN(the_same_seed_gives_the_same_clusters);
    RUN(options_changed_while_clustering_do_not_reach_the_running_job);
    RUN(structures_cover_the_phantom_vessel_tree_and_none_of_the_parenchyma);
    RUN(the_crop_box_holds_the_cube_around_a_point_and_keeps_positions);
    return test_done();
}
