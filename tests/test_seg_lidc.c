/* test_seg_lidc.c - the recipes on real scans: the tutorial recipe against
 * the seed pipeline's masks of LIDC-IDRI-0001, pulmo's default recipe on
 * the same scan, a head CT without lungs, and the slice preview. */
#include "test.h"
#include "pulmo/measure.h"
#include "pulmo/nifti.h"
#include "pulmo/recipe.h"
#include "pulmo/series.h"

#include <math.h>

static pm_volume *lidc;

static pm_volume *load_lidc(void)
{
    if (!lidc) {
        int rc = pm_load_dir(test_data("patients/LIDC-IDRI-0001"), NULL, NULL, &lidc, NULL);
        CHECK(rc == PM_OK, "load LIDC-IDRI-0001: %s", pm_error());
    }
    return lidc;
}

/* Dice of (a != 0) and (b != 0) on the same grid. */
static double dice(const pm_mask *a, const pm_mask *b)
{
    size_t n = pm_grid_voxels(&a->g), both = 0, na = 0, nb = 0;
    for (size_t x = 0; x < n; x++) {
        int p = a->v[x] != 0, q = b->v[x] != 0;
        both += p && q;
        na += p;
        nb += q;
    }
    return na + nb ? 2.0 * (double)both / (double)(na + nb) : 1.0;
}

static pm_seg_run *run_recipe(const char *name, const char *set, int expect)
{
    pm_recipe r;
    CHECK(pm_recipe_init(&r, name) == PM_OK, "%s", pm_error());
    if (set)
        CHECK(pm_recipe_set(&r, set, NULL) == PM_OK, "%s", pm_error());
    pm_seg_run *run = pm_seg_run_new(load_lidc(), 0);
    int rc = pm_recipe_run(&r, run, 0, NULL);
    CHECK(rc == expect, "recipe %s: status %d, expected %d (%s)", name, rc, expect, pm_error());
    return run;
}

/* The default recipe on v: its status, the run and its figures in *m
 * (zero unless the run succeeded). */
static pm_seg_run *run_default_on(const pm_volume *v, int *rc, pm_lung_measures *m)
{
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 0);
    CHECK(run != NULL, "out of memory");
    *rc = pm_recipe_run(&r, run, 0, NULL);
    memset(m, 0, sizeof *m);
    if (*rc == PM_OK)
        CHECK(pm_recipe_measure(run, m) == PM_OK, "%s", pm_error());
    return run;
}

static void check_reference(const char *set, const char *ref_name)
{
    pm_seg_run *run = run_recipe("tutorial", set, PM_OK);
    pm_mask *ref;
    char rel[256];
    snprintf(rel, sizeof rel, "reference/%s", ref_name);
    CHECK(pm_nifti_read_mask(test_data(rel), &ref) == PM_OK, "%s", pm_error());
    for (int a = 0; a < 3; a++)
        CHECK(ref->g.dim[a] == run->result->g.dim[a], "%s: grid differs on axis %d", ref_name, a);
    CHECK(fabs(ref->g.origin[2] - run->result->g.origin[2]) < 1e-3, "%s: slice order differs", ref_name);
    double d = dice(run->result, ref);
    CHECK(d >= 0.99, "tutorial%s: Dice %.5f against %s", set ? " with fill off" : "", d, ref_name);
    printf("# tutorial%s vs %s: Dice %.5f\n", set ? " (fill off)" : "", ref_name, d);
    pm_mask_free(ref);
    pm_seg_run_free(run);
}

TEST(tutorial_recipe_reproduces_the_seed_fill_mask)
{
    check_reference(NULL, "LIDC-IDRI-0001.seed-fill.nii.gz");
}

TEST(tutorial_recipe_with_fill_off_reproduces_the_seed_nofill_mask)
{
    check_reference("fill_structures.enabled=0", "LIDC-IDRI-0001.seed-nofill.nii.gz");
}

TEST(default_recipe_finds_two_lungs_and_the_airway_on_lidc)
{
    pm_seg_run *def = run_recipe("default", NULL, PM_OK);
    pm_seg_run *tut = run_recipe("tutorial", NULL, PM_OK);
    pm_lung_measures m;
    CHECK(pm_measure_lungs(lidc, def->result, &m, NULL) == PM_OK, "%s", pm_error());
    CHECK(m.sides, "no left lung label");
    double fr = m.right_ml / m.lung_ml, fl = m.left_ml / m.lung_ml;
    CHECK(fr >= 0.35 && fr <= 0.65 && fl >= 0.35 && fl <= 0.65, "right %.1f mL, left %.1f mL",
          m.right_ml, m.left_ml);
    CHECK(def->airway.found && m.airway_ml > 5, "airway %s, %.1f mL", def->airway.found ? "found" : "not found",
          m.airway_ml);
    /* The tutorial's mask includes the airway; compare without it. */
    size_t n = pm_grid_voxels(&lidc->g), tut_lung = 0;
    for (size_t x = 0; x < n; x++)
        tut_lung += tut->result->v[x] && def->result->v[x] != PM_LABEL_AIRWAY;
    double tut_ml = (double)tut_lung * pm_grid_voxel_mm3(&lidc->g) / 1000.0;
    CHECK(fabs(m.lung_ml - tut_ml) <= 0.15 * tut_ml, "default %.1f mL vs tutorial minus airway %.1f mL",
          m.lung_ml, tut_ml);
    /* Right is the patient's right: smaller LPS x. */
    double sx[3] = {0}, cnt[3] = {0};
    for (int k = 0; k < lidc->g.dim[2]; k += 4)
        for (int j = 0; j < lidc->g.dim[1]; j += 4)
            for (int i = 0; i < lidc->g.dim[0]; i += 4) {
                uint8_t l = def->result->v[(size_t)i + 512 * ((size_t)j + 512 * (size_t)k)];
                if (l == 1 || l == 2) {
                    double p[3];
                    pm_grid_to_lps(&lidc->g, i, j, k, p);
                    sx[l] += p[0];
                    cnt[l]++;
                }
            }
    CHECK(sx[1] / cnt[1] < sx[2] / cnt[2], "right lung centroid x %.1f >= left %.1f", sx[1] / cnt[1],
          sx[2] / cnt[2]);
    CHECK(m.mean_hu > -900 && m.mean_hu < -750, "mean lung HU %.1f", m.mean_hu);
    CHECK(m.laa950_pct >= 0 && m.laa950_pct < 20, "LAA%%-950 %.2f", m.laa950_pct);
    CHECK(m.perc15_hu > -1000 && m.perc15_hu < m.mean_hu, "Perc15 %.0f", m.perc15_hu);
    printf("# default: %.1f mL (right %.1f, left %.1f), airway %.1f mL, tutorial minus airway %.1f mL\n",
           m.lung_ml, m.right_ml, m.left_ml, m.airway_ml, tut_ml);
    pm_seg_run_free(def);
    pm_seg_run_free(tut);
}

/* A patient with one lung (pneumonectomy, a collapsed lung): the lung that
 * is there keeps its side and its volume, and the other side reads 0 mL,
 * not "sides not separated". LIDC's right, then left, lung is filled with
 * soft tissue in a copy of the scan. */
TEST(a_patient_with_one_lung_keeps_its_side)
{
    pm_seg_run *def = run_recipe("default", NULL, PM_OK);
    pm_lung_measures both;
    CHECK(pm_recipe_measure(def, &both) == PM_OK, "%s", pm_error());
    size_t n = pm_grid_voxels(&lidc->g);
    pm_volume *v = pm_volume_new(&lidc->g);
    CHECK(v != NULL, "out of memory");
    for (int gone = PM_LABEL_RIGHT; gone <= PM_LABEL_LEFT; gone++) {
        for (size_t x = 0; x < n; x++)
            v->hu[x] = def->result->v[x] == gone && lidc->hu[x] < -200 ? 35 : lidc->hu[x];
        int rc;
        pm_lung_measures m;
        pm_seg_run *run = run_default_on(v, &rc, &m);
        CHECK(rc == PM_OK, "%s", pm_error());
        double kept = gone == PM_LABEL_RIGHT ? m.left_ml : m.right_ml;
        double lost = gone == PM_LABEL_RIGHT ? m.right_ml : m.left_ml;
        double was = gone == PM_LABEL_RIGHT ? both.left_ml : both.right_ml;
        printf("# without the %s lung: kept %.1f mL (was %.1f), other side %.1f mL\n",
               gone == PM_LABEL_RIGHT ? "right" : "left", kept, was, lost);
        CHECK(m.sides && run->nlungs == 1, "sides %d, %d lungs", m.sides, run->nlungs);
        CHECK(lost == 0 && fabs(kept - was) <= 0.03 * was, "kept %.1f mL of %.1f, other side %.1f mL",
              kept, was, lost);
        pm_seg_run_free(run);
    }
    pm_volume_free(v);
    pm_seg_run_free(def);
}

/* Severe emphysema: the lungs' air with most of its tissue gone (each
 * lung voxel's HU pulled to a third of its distance above air, so 60 % of
 * the lungs fall below -950 HU, like the pure air of a stomach). Such
 * lungs are still the lungs, whatever small lung-like air (a mattress
 * pocket, a bit of fat-trapped air) the gas test compares them with. */
TEST(emphysematous_lungs_are_not_taken_for_gas)
{
    pm_seg_run *def = run_recipe("default", NULL, PM_OK);
    pm_lung_measures was;
    CHECK(pm_recipe_measure(def, &was) == PM_OK, "%s", pm_error());
    size_t n = pm_grid_voxels(&lidc->g), lung = 0, pure = 0;
    pm_volume *v = pm_volume_new(&lidc->g);
    CHECK(v != NULL, "out of memory");
    for (size_t x = 0; x < n; x++) {
        int in = def->result->v[x] == PM_LABEL_RIGHT || def->result->v[x] == PM_LABEL_LEFT;
        v->hu[x] = in ? (int16_t)lround(-1000 + 0.35 * (lidc->hu[x] + 1000)) : lidc->hu[x];
        lung += in;
        pure += in && v->hu[x] < -950;
    }
    int rc;
    pm_lung_measures m;
    pm_seg_run *run = run_default_on(v, &rc, &m);
    printf("# emphysema (%.0f %% of the lungs below -950 HU): right %.1f mL (was %.1f), left %.1f mL (was %.1f)\n",
           100.0 * (double)pure / (double)lung, m.right_ml, was.right_ml, m.left_ml, was.left_ml);
    CHECK(rc == PM_OK && run->nlungs == 2, "status %d (%s), %d lungs", rc, rc ? pm_error() : "", run->nlungs);
    CHECK(fabs(m.right_ml - was.right_ml) <= 0.1 * was.right_ml && fabs(m.left_ml - was.left_ml) <= 0.1 * was.left_ml,
          "right %.1f mL (was %.1f), left %.1f mL (was %.1f)", m.right_ml, was.right_ml, m.left_ml, was.left_ml);
    pm_seg_run_free(run);
    pm_volume_free(v);
    pm_seg_run_free(def);
}

/* A field of view narrower than the chest: the scanner reconstructs a
 * circle and fills the image's corners with one value (-1000 HU once
 * loaded when the file says -2000 or -3024, -1024 on other scanners).
 * With the circle at 70 % of the image's width it cuts the chest wall on
 * both sides and touches the lungs; the lungs are still found whole, and
 * reported as reaching the edge of the field of view. */
TEST(a_chest_wider_than_the_field_of_view_keeps_its_lungs)
{
    pm_seg_run *def = run_recipe("default", NULL, PM_OK);
    pm_lung_measures was;
    CHECK(pm_recipe_measure(def, &was) == PM_OK, "%s", pm_error());
    CHECK(!pm_lung_cut_by_fov(def->result, lidc), "LIDC's own circle reported as cutting the lungs");
    const int *d = lidc->g.dim;
    pm_volume *v = pm_volume_new(&lidc->g);
    CHECK(v != NULL, "out of memory");
    static const int16_t fill[] = {-1000, -1024};
    for (int t = 0; t < 2; t++) {
        double r = 0.35 * d[0];
        for (int k = 0; k < d[2]; k++)
            for (int j = 0; j < d[1]; j++)
                for (int i = 0; i < d[0]; i++) {
                    size_t x = (size_t)i + (size_t)d[0] * ((size_t)j + (size_t)d[1] * k);
                    double di = i - 0.5 * d[0], dj = j - 0.5 * d[1];
                    v->hu[x] = di * di + dj * dj > r * r ? fill[t] : lidc->hu[x];
                }
        int rc;
        pm_lung_measures m;
        pm_seg_run *run = run_default_on(v, &rc, &m);
        CHECK(rc == PM_OK, "%s", pm_error());
        printf("# circle of %.0f mm filled with %d: right %.1f mL (was %.1f), left %.1f mL (was %.1f)\n",
               2 * r * lidc->g.spacing[0], fill[t], m.right_ml, was.right_ml, m.left_ml, was.left_ml);
        /* the volumes are lower bounds, and the report says so */
        CHECK(pm_lung_cut_by_fov(run->result, v), "filled with %d: lungs cut by the circle not reported", fill[t]);
        CHECK(fabs(m.right_ml - was.right_ml) <= 0.03 * was.right_ml && fabs(m.left_ml - was.left_ml) <= 0.03 * was.left_ml,
              "filled with %d: right %.1f mL (was %.1f), left %.1f mL (was %.1f)", fill[t], m.right_ml, was.right_ml,
              m.left_ml, was.left_ml);
        pm_seg_run_free(run);
    }
    pm_volume_free(v);
    pm_seg_run_free(def);
}

/* A patient on the side whose header says supine: the same scan with its
 * slices turned a quarter in the image but the direction cosines left as
 * they were. The body's shape tells the left-right axis and the heart
 * which end is left: both lungs, their sides and the airway come out as
 * on the untouched scan, with a warning saying why. */
TEST(a_patient_turned_against_the_header_keeps_lungs_sides_and_airway)
{
    pm_seg_run *def = run_recipe("default", NULL, PM_OK);
    CHECK(!def->turned, "the untouched scan was taken as turned");
    const pm_grid *g = &lidc->g;
    int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
    pm_grid tg = *g;
    tg.dim[0] = ny, tg.dim[1] = nx;
    tg.spacing[0] = g->spacing[1], tg.spacing[1] = g->spacing[0];
    pm_volume *v = pm_volume_new(&tg);
    CHECK(v != NULL, "out of memory");
    for (int turn = 1; turn >= -1; turn -= 2) {
        /* turned (i', j') holds the untouched (i, j) */
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++) {
                    int ti = turn > 0 ? ny - 1 - j : j, tj = turn > 0 ? i : nx - 1 - i;
                    v->hu[(size_t)ti + (size_t)ny * ((size_t)tj + (size_t)nx * k)] =
                        lidc->hu[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k)];
                }
        pm_recipe r;
        pm_recipe_init(&r, "default");
        pm_seg_run *run = pm_seg_run_new(v, 0);
        CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
        size_t same[4] = {0}, a[4] = {0}, b[4] = {0};
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++) {
                    int ti = turn > 0 ? ny - 1 - j : j, tj = turn > 0 ? i : nx - 1 - i;
                    uint8_t p = def->result->v[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k)];
                    uint8_t q = run->result->v[(size_t)ti + (size_t)ny * ((size_t)tj + (size_t)nx * k)];
                    if (p && p < 4)
                        a[p]++;
                    if (q && q < 4)
                        b[q]++;
                    if (p == q && p && p < 4)
                        same[p]++;
                }
        for (int l = 1; l <= 3; l++) {
            double d = a[l] + b[l] ? 2.0 * (double)same[l] / (double)(a[l] + b[l]) : 0;
            printf("# turned %+d: label %d Dice %.4f\n", turn, l, d);
            CHECK(d >= 0.99, "turned %+d: label %d Dice %.4f against the untouched scan", turn, l, d);
        }
        CHECK(run->turned && run->nwarnings > 0 && strstr(run->warnings[0], "sides follow the anatomy"),
              "turned %+d: no warning (%d warnings)", turn, run->nwarnings);
        pm_seg_run_free(run);
    }
    pm_volume_free(v);
    pm_seg_run_free(def);
}

TEST(otsu_recipe_finds_the_air_inside_the_body_on_lidc)
{
    pm_seg_run *run = run_recipe("otsu", NULL, PM_OK);
    CHECK(run->otsu_hu > -700 && run->otsu_hu < -200, "Otsu threshold %.1f HU", run->otsu_hu);
    pm_mask *ref;
    CHECK(pm_nifti_read_mask(test_data("reference/LIDC-IDRI-0001.seed-fill.nii.gz"), &ref) == PM_OK, "%s",
          pm_error());
    double d = dice(run->result, ref);
    CHECK(d >= 0.95, "otsu vs the tutorial's mask: Dice %.4f", d);
    printf("# otsu: threshold %.1f HU, Dice %.4f against the tutorial's mask\n", run->otsu_hu, d);
    pm_mask_free(ref);
    pm_seg_run_free(run);
}

TEST(slice_preview_on_lidc_agrees_with_the_full_run)
{
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(load_lidc(), 1);
    CHECK(pm_recipe_run(&r, run, 0, NULL) == PM_OK, "%s", pm_error());
    int step;
    CHECK(pm_recipe_set(&r, "close.radius_mm=6", &step) == PM_OK, "%s", pm_error());
    size_t plane = 512 * 512;
    uint8_t *slice = malloc(plane);
    double t0 = pm_now();
    CHECK(pm_recipe_preview(&r, run, step, 66, slice, NULL) == PM_OK, "%s", pm_error());
    double dt = pm_now() - t0;
    CHECK(pm_recipe_run(&r, run, step, NULL) == PM_OK, "%s", pm_error());
    size_t diff = 0, set = 0;
    for (size_t x = 0; x < plane; x++) {
        diff += slice[x] != run->result->v[plane * 66 + x];
        set += slice[x] != 0;
    }
    CHECK(set > 10000 && diff <= set / 100, "preview differs on %zu of %zu voxels", diff, set);
    printf("# preview of slice 66 after close.radius_mm=6: %.1f ms (sanitized build), %zu differing voxels\n",
           dt * 1000, diff);
    free(slice);
    pm_seg_run_free(run);
}

TEST(head_ct_has_no_lungs)
{
    pm_volume *v;
    CHECK(pm_load_dir(test_data("patients/GE-HEAD-TILT"), NULL, NULL, &v, NULL) == PM_OK, "%s", pm_error());
    pm_recipe r;
    pm_recipe_init(&r, "default");
    pm_seg_run *run = pm_seg_run_new(v, 0);
    int rc = pm_recipe_run(&r, run, 0, NULL);
    CHECK(rc == PM_ENOLUNG, "status %d on a head CT", rc);
    CHECK(strstr(pm_error(), "no lungs") != NULL, "reason '%s'", pm_error());
    pm_seg_run_free(run);
    pm_volume_free(v);
}

int main(void)
{
    RUN(tutorial_recipe_reproduces_the_seed_fill_mask);
    RUN(tutorial_recipe_with_fill_off_reproduces_the_seed_nofill_mask);
    RUN(default_recipe_finds_two_lungs_and_the_airway_on_lidc);
    RUN(a_patient_with_one_lung_keeps_its_side);
    RUN(emphysematous_lungs_are_not_taken_for_gas);
    RUN(a_chest_wider_than_the_field_of_view_keeps_its_lungs);
    RUN(a_patient_turned_against_the_header_keeps_lungs_sides_and_airway);
    RUN(otsu_recipe_finds_the_air_inside_the_body_on_lidc);
    RUN(slice_preview_on_lidc_agrees_with_the_full_run);
    RUN(head_ct_has_no_lungs);
    pm_volume_free(lidc);
    return test_done();
}
