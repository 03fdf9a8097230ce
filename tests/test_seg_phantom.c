/* test_seg_phantom.c - the default recipe on every sample phantom against its
 * ground truth (samples/truth, written by `make samples`): Dice per lung,
 * nodules inside the mask, trachea outside it, both lungs where the airways
 * do not join them. */
#include "test.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/seg.h"
#include "pulmo/series.h"

#include <dirent.h>
#include <math.h>

#define TRUTH_NODULE 4
#define TRUTH_AIRWAY 3

static char names[16][64];
static int nnames;

static void find_phantoms(void)
{
    if (nnames)
        return;
    DIR *d = opendir("samples/patients");
    CHECK(d != NULL, "samples/patients missing: run `make samples`");
    struct dirent *e;
    while ((e = readdir(d)) && nnames < 16)
        if (!strncmp(e->d_name, "PHANTOM-", 8))
            snprintf(names[nnames++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    CHECK(nnames >= 5, "only %d phantoms in samples/patients", nnames);
    /* readdir order is arbitrary: sort for stable messages */
    qsort(names, (size_t)nnames, sizeof names[0], (int (*)(const void *, const void *))strcmp);
}

typedef struct result {
    double dice[3];
    double nodule_in[8];
    int nnodules;
    size_t trachea, trachea_lung;
    int nlungs, airway_found;
} result;

static result run_phantom(const char *name)
{
    char dir[256], truth[256];
    snprintf(dir, sizeof dir, "samples/patients/%s", name);
    snprintf(truth, sizeof truth, "samples/truth/%s.labels.nii.gz", name);
    pm_volume *v;
    CHECK(pm_load_dir(dir, NULL, NULL, &v, NULL) == PM_OK, "%s: %s", name, pm_error());
    pm_mask *t;
    CHECK(pm_nifti_read_mask(truth, &t) == PM_OK, "%s: %s", name, pm_error());
    for (int a = 0; a < 3; a++)
        CHECK(t->g.dim[a] == v->g.dim[a], "%s: truth grid differs", name);
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 0);
    int rc = pm_recipe_run(&r, run, 0, NULL);
    CHECK(rc == PM_OK, "%s: %d %s", name, rc, pm_error());
    result res = {.nlungs = run->nlungs, .airway_found = run->airway.found};
    const uint8_t *m = run->result->v, *tv = t->v;
    size_t n = pm_grid_voxels(&v->g), plane = (size_t)v->g.dim[0] * (size_t)v->g.dim[1];
    /* Dice per lung; nodule voxels are checked on their own below. */
    for (int l = 1; l <= 2; l++) {
        size_t both = 0, p = 0, q = 0;
        for (size_t x = 0; x < n; x++) {
            if (tv[x] == TRUTH_NODULE)
                continue;
            int a = m[x] == l, b = tv[x] == l;
            both += a && b;
            p += a;
            q += b;
        }
        res.dice[l] = 2.0 * (double)both / (double)(p + q);
    }
    pm_cc *cc;
    CHECK(pm_cc_label(t, TRUTH_NODULE, TRUTH_NODULE, 26, &cc, NULL) == PM_OK, "%s", pm_error());
    for (uint32_t c = 1; c <= cc->ncomp && res.nnodules < 8; c++) {
        size_t in = 0;
        int nx = cc->dim[0];
        for (int64_t row = 0; row < (int64_t)cc->dim[1] * cc->dim[2]; row++)
            for (int64_t q = cc->row_start[row]; q < cc->row_start[row + 1]; q++)
                if (cc->label[q] == c)
                    for (int i = cc->x0[q]; i < cc->x1[q]; i++) {
                        uint8_t l = m[(size_t)row * (size_t)nx + (size_t)i];
                        in += l == 1 || l == 2;
                    }
        res.nodule_in[res.nnodules++] = (double)in / (double)cc->size[c];
    }
    pm_cc_free(cc);
    /* The trachea: the upper 30 % of the airway's extent along the body. */
    int kmin = 1 << 30, kmax = -1;
    for (size_t x = 0; x < n; x++)
        if (tv[x] == TRUTH_AIRWAY) {
            int k = (int)(x / plane);
            kmin = k < kmin ? k : kmin;
            kmax = k > kmax ? k : kmax;
        }
    CHECK(kmax > kmin, "%s: no airway in the truth", name);
    int up = v->g.dir[8] > 0;
    for (size_t x = 0; x < n; x++) {
        if (tv[x] != TRUTH_AIRWAY)
            continue;
        double f = (double)((int)(x / plane) - kmin) / (kmax - kmin);
        if ((up ? f : 1 - f) > 0.7) {
            res.trachea++;
            res.trachea_lung += m[x] == 1 || m[x] == 2;
        }
    }
    pm_seg_run_free(run);
    pm_mask_free(t);
    pm_volume_free(v);
    return res;
}

static result results[16];

static void run_all(void)
{
    static int done;
    find_phantoms();
    if (done)
        return;
    for (int p = 0; p < nnames; p++) {
        results[p] = run_phantom(names[p]);
        printf("# %s: Dice right %.4f left %.4f, nodules", names[p], results[p].dice[1], results[p].dice[2]);
        for (int q = 0; q < results[p].nnodules; q++)
            printf(" %.1f%%", 100 * results[p].nodule_in[q]);
        printf(" inside, trachea voxels in the lungs %zu of %zu\n", results[p].trachea_lung,
               results[p].trachea);
    }
    done = 1;
}

TEST(default_recipe_matches_each_lung_of_every_phantom)
{
    run_all();
    for (int p = 0; p < nnames; p++)
        for (int l = 1; l <= 2; l++)
            CHECK(results[p].dice[l] >= 0.97, "%s: Dice %.4f for the %s lung", names[p], results[p].dice[l],
                  l == 1 ? "right" : "left");
}

TEST(nodules_including_juxtapleural_ones_are_inside_the_mask)
{
    run_all();
    for (int p = 0; p < nnames; p++) {
        CHECK(results[p].nnodules >= 2, "%s: %d nodules in the truth", names[p], results[p].nnodules);
        for (int q = 0; q < results[p].nnodules; q++)
            CHECK(results[p].nodule_in[q] >= 0.95, "%s: nodule %d only %.1f%% inside the lung mask",
                  names[p], q + 1, 100 * results[p].nodule_in[q]);
    }
}

TEST(trachea_is_excluded_from_the_lungs)
{
    run_all();
    for (int p = 0; p < nnames; p++) {
        CHECK(results[p].airway_found, "%s: airway not found", names[p]);
        CHECK(results[p].trachea > 100 && results[p].trachea_lung == 0,
              "%s: %zu of %zu trachea voxels labelled lung", names[p], results[p].trachea_lung,
              results[p].trachea);
    }
}

TEST(both_lungs_are_found_in_every_phantom_including_unjoined_ones)
{
    run_all();
    for (int p = 0; p < nnames; p++)
        CHECK(results[p].nlungs == 2, "%s: %d lungs found", names[p], results[p].nlungs);
}

int main(void)
{
    RUN(default_recipe_matches_each_lung_of_every_phantom);
    RUN(nodules_including_juxtapleural_ones_are_inside_the_mask);
    RUN(trachea_is_excluded_from_the_lungs);
    RUN(both_lungs_are_found_in_every_phantom_including_unjoined_ones);
    return test_done();
}
