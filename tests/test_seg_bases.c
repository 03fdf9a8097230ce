/* test_seg_bases.c - a scan that holds only the lung bases above the
 * abdomen (a PET/CT's attenuation CT, an abdominal CT): the stomach and the
 * bowel beside and below the bases are gas, never a lung. Made from the
 * real chests of ../shared/data by keeping the slices from the feet up to
 * a few cm above the lowest lung slice; what each run calls lung must be
 * lung in the run on the whole scan, and a base of tens of mL is found. */
#include "test.h"
#include "pulmo/recipe.h"
#include "pulmo/series.h"

#include <math.h>

/* The default recipe's labels of v (the run, for the caller to free). */
static pm_seg_run *segment(const pm_volume *v, int *rc)
{
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 0);
    CHECK(run != NULL, "out of memory");
    *rc = pm_recipe_run(&r, run, 0, NULL);
    CHECK(*rc == PM_OK || *rc == PM_ENOLUNG, "status %d: %s", *rc, pm_error());
    return run;
}

/* Slices k0..k1-1 of v as a volume of their own, in place in the patient. */
static pm_volume *slab(const pm_volume *v, int k0, int k1)
{
    pm_grid g = v->g;
    g.dim[2] = k1 - k0;
    pm_grid_to_lps(&v->g, 0, 0, k0, g.origin);
    pm_volume *s = pm_volume_new(&g);
    CHECK(s != NULL, "out of memory");
    size_t plane = (size_t)g.dim[0] * g.dim[1];
    memcpy(s->hu, v->hu + plane * (size_t)k0, plane * (size_t)g.dim[2] * sizeof *s->hu);
    return s;
}

/* Cuts of the scan at mm above the lowest lung slice of the whole-scan
 * run: a few mL of each base beside the stomach, tens of mL, a hand's
 * breadth. */
static const double cut_mm[] = {15, 30, 60};

static void check_bases(const char *rel)
{
    const char *series = strrchr(rel, '/') + 1;
    pm_volume *v;
    CHECK(pm_load_dir(test_data(rel), NULL, NULL, &v, NULL) == PM_OK, "%s: %s", series, pm_error());
    int rc;
    pm_seg_run *full = segment(v, &rc);
    CHECK(rc == PM_OK, "%s: no lungs in the whole scan", series);
    int nz = v->g.dim[2], klo = nz, khi = -1;
    size_t plane = (size_t)v->g.dim[0] * v->g.dim[1];
    for (int k = 0; k < nz; k++)
        for (size_t x = 0; x < plane; x++) {
            uint8_t l = full->result->v[plane * (size_t)k + x];
            if (l == PM_LABEL_RIGHT || l == PM_LABEL_LEFT) {
                klo = k < klo ? k : klo;
                khi = k > khi ? k : khi;
                break;
            }
        }
    double a[3], b[3];
    pm_grid_to_lps(&v->g, 0, 0, 0, a);
    pm_grid_to_lps(&v->g, 0, 0, nz - 1, b);
    int feet_first_index = a[2] < b[2];     /* slice 0 is the most inferior */
    double vox_ml = pm_grid_voxel_mm3(&v->g) / 1000.0;
    for (size_t f = 0; f < sizeof cut_mm / sizeof *cut_mm; f++) {
        int reach = (int)lround(cut_mm[f] / v->g.spacing[2]);
        int k0 = feet_first_index ? 0 : khi - reach, k1 = feet_first_index ? klo + reach + 1 : nz;
        pm_volume *s = slab(v, k0, k1);
        pm_seg_run *run = segment(s, &rc);
        double not_lung = 0, lung = 0, side[3] = {0}, found[3] = {0};
        size_t n = plane * (size_t)(k1 - k0);
        for (size_t x = 0; x < n; x++) {
            /* "no lungs" (exit 6) writes no mask: nothing is called lung */
            uint8_t l = rc == PM_OK ? run->result->v[x] : 0, t = full->result->v[plane * (size_t)k0 + x];
            int here = l == PM_LABEL_RIGHT || l == PM_LABEL_LEFT;
            int there = t == PM_LABEL_RIGHT || t == PM_LABEL_LEFT || t == PM_LABEL_AIRWAY;
            lung += here;
            not_lung += here && !there;
            if (t == PM_LABEL_RIGHT || t == PM_LABEL_LEFT) {
                side[t]++;
                found[t] += l == t;
            }
        }
        printf("# %s, feet to %.0f mm above the bases: %.1f mL called lung, %.1f mL of it not lung "
               "in the whole scan; right %.1f of %.1f mL, left %.1f of %.1f mL\n", series, cut_mm[f],
               lung * vox_ml, not_lung * vox_ml, found[1] * vox_ml, side[1] * vox_ml, found[2] * vox_ml,
               side[2] * vox_ml);
        CHECK(not_lung * vox_ml <= 5.0, "%s, %.0f mm: %.1f mL of gas called lung", series, cut_mm[f],
              not_lung * vox_ml);
        /* A base of tens of mL is a lung however small the rest of the
         * scan's air makes it look (when the two hold enough to pass the
         * recipe's "no lungs" limit of 100 mL). */
        for (int l = 1; l <= 2 && (side[1] + side[2]) * vox_ml >= 150; l++)
            CHECK(side[l] * vox_ml < 20 || found[l] >= 0.5 * side[l], "%s, %.0f mm: %s base of %.1f mL not found",
                  series, cut_mm[f], l == 1 ? "right" : "left", side[l] * vox_ml);
        pm_seg_run_free(run);
        pm_volume_free(s);
    }
    pm_seg_run_free(full);
    pm_volume_free(v);
}

TEST(covid_chest_cut_to_its_bases_keeps_the_stomach_out)
{
    check_bases("real/RICORD-1A-COVID");
}

TEST(whole_body_cut_to_the_bases_keeps_the_bowel_out)
{
    check_bases("real/WHOLEBODY-ARMS-UP");
}

TEST(chest_and_abdomen_cut_to_the_bases_keeps_the_bowel_out)
{
    check_bases("real/CMB-CRC-GE-VCT");
}

TEST(planning_ct_cut_to_the_bases_keeps_the_stomach_out)
{
    check_bases("real/NSCLC-LUNG1-020-RT");
}

TEST(lidc_cut_to_the_bases_finds_both_bases)
{
    check_bases("patients/LIDC-IDRI-0001");
}

int main(void)
{
    RUN(covid_chest_cut_to_its_bases_keeps_the_stomach_out);
    RUN(whole_body_cut_to_the_bases_keeps_the_bowel_out);
    RUN(chest_and_abdomen_cut_to_the_bases_keeps_the_bowel_out);
    RUN(planning_ct_cut_to_the_bases_keeps_the_stomach_out);
    RUN(lidc_cut_to_the_bases_finds_both_bases);
    return test_done();
}
