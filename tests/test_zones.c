/* test_zones.c - lung zones (measure.h): upper, middle and lower thirds of
 * each lung's height along the patient's head-feet axis. A synthetic lung of
 * known HU per height band, stored head-first and feet-first (the same
 * patient, slices in opposite order), must give the same zones; the thirds'
 * volumes add up to the lung's and each spans a third of its height. */
#include "test.h"
#include "pulmo/measure.h"

#include <math.h>

/* Right lung: a box over slices 2..31 (30 slices, 2 mm apart) where the
 * HU depends on the height: top ten slices -960, middle ten -850, bottom
 * ten -700; left lung: a smaller box of -900 HU over slices 5..25. With
 * feet_first the k axis runs towards the head. */
static void build(int feet_first, pm_volume **vo, pm_mask **mo)
{
    pm_grid g = {{20, 16, 36}, {1.5, 1.5, 2.0}, {-10, -20, 0}, {1, 0, 0, 0, 1, 0, 0, 0, -1}};
    if (feet_first) {
        g.dir[8] = 1;
        g.origin[2] = -(g.dim[2] - 1) * g.spacing[2];
    }
    pm_volume *v = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    CHECK(v && m, "out of memory");
    for (int kk = 0; kk < g.dim[2]; kk++) {
        int k = feet_first ? g.dim[2] - 1 - kk : kk;   /* kk counts from the head */
        for (int j = 0; j < g.dim[1]; j++)
            for (int i = 0; i < g.dim[0]; i++) {
                size_t x = ((size_t)k * g.dim[1] + j) * g.dim[0] + i;
                v->hu[x] = 40;
                if (kk >= 2 && kk <= 31 && i < 9 && j > 2 && j < 14) {
                    m->v[x] = 1;
                    v->hu[x] = kk < 12 ? -960 : kk < 22 ? -850 : -700;
                } else if (kk >= 5 && kk <= 25 && i > 11 && j > 4 && j < 12) {
                    m->v[x] = 2;
                    v->hu[x] = -900;
                }
            }
    }
    *vo = v;
    *mo = m;
}

TEST(zones_split_each_lung_into_thirds_of_its_height_head_or_feet_first)
{
    pm_lung_measures a, b;
    for (int ff = 0; ff < 2; ff++) {
        pm_volume *v;
        pm_mask *m;
        build(ff, &v, &m);
        CHECK(pm_measure_lungs(v, m, ff ? &b : &a, NULL) == PM_OK, "%s", pm_error());
        pm_mask_free(m);
        pm_volume_free(v);
    }
    for (int ff = 0; ff < 2; ff++) {
        const pm_lung_measures *r = ff ? &b : &a;
        for (int l = 0; l < 2; l++) {
            double sum = 0, h = r->top_mm[l] - r->bottom_mm[l];
            for (int z = 0; z < PM_ZONES; z++) {
                const pm_zone_measures *zm = &r->zones[l][z];
                sum += zm->ml;
                /* Voxel centres within a third, at most a slice short at each end. */
                double span = zm->top_mm - zm->bottom_mm;
                CHECK(span <= h / 3 + 1e-9 && span >= h / 3 - 4.0 - 1e-9, "%s lung %d zone %d spans %g of %g mm",
                      ff ? "feet-first" : "head-first", l, z, span, h);
                if (z)
                    CHECK(zm->top_mm < r->zones[l][z - 1].bottom_mm, "zones overlap");
            }
            CHECK(fabs(sum - (l ? r->left_ml : r->right_ml)) < 1e-9, "thirds %g mL, lung %g mL", sum,
                  l ? r->left_ml : r->right_ml);
        }
        /* 30 slices: ten each, so each zone is one HU band. */
        CHECK(r->zones[0][0].mean_hu == -960 && r->zones[0][0].laa950_pct == 100, "upper %g HU %g %%",
              r->zones[0][0].mean_hu, r->zones[0][0].laa950_pct);
        CHECK(r->zones[0][1].mean_hu == -850 && r->zones[0][1].laa950_pct == 0, "middle %g HU",
              r->zones[0][1].mean_hu);
        CHECK(r->zones[0][2].perc15_hu == -700, "lower Perc15 %g", r->zones[0][2].perc15_hu);
        CHECK(fabs(r->top_mm[0] - r->bottom_mm[0] - 58.0) < 1e-9, "right lung height %g mm",
              r->top_mm[0] - r->bottom_mm[0]);
        /* Each lung whole: the right one a third in each band, so its Perc15
         * lies in the -960 band; the left one all -900. */
        const pm_zone_measures *rl = &r->lung[0], *ll = &r->lung[1];
        CHECK(fabs(rl->mean_hu - (-960 - 850 - 700) / 3.0) < 1e-9 && fabs(rl->laa950_pct - 100 / 3.0) < 1e-9 &&
                  rl->perc15_hu == -960 && fabs(rl->ml - r->right_ml) < 1e-9,
              "right lung %g HU, LAA %g %%, Perc15 %g, %g mL", rl->mean_hu, rl->laa950_pct, rl->perc15_hu, rl->ml);
        CHECK(ll->mean_hu == -900 && ll->laa950_pct == 0 && ll->perc15_hu == -900 && fabs(ll->ml - r->left_ml) < 1e-9,
              "left lung %g HU, LAA %g %%, Perc15 %g", ll->mean_hu, ll->laa950_pct, ll->perc15_hu);
    }
    for (int l = 0; l < 2; l++)
        for (int z = 0; z < PM_ZONES; z++)
            CHECK(a.zones[l][z].voxels == b.zones[l][z].voxels &&
                  a.zones[l][z].mean_hu == b.zones[l][z].mean_hu, "lung %d zone %d differs feet-first", l, z);
}

/* The same head-first patient stored with the head-feet axis along i (a
 * sagittal stack: z changes along each row, which the row-wise shortcut of
 * axial grids must not be taken for): the same zones, figure for figure. */
TEST(zones_do_not_depend_on_which_grid_axis_runs_head_to_feet)
{
    pm_volume *v;
    pm_mask *m;
    build(0, &v, &m);
    pm_lung_measures a, b;
    CHECK(pm_measure_lungs(v, m, &a, NULL) == PM_OK, "%s", pm_error());
    const pm_grid *g = &v->g;
    pm_grid t = {{g->dim[2], g->dim[1], g->dim[0]}, {g->spacing[2], g->spacing[1], g->spacing[0]},
                 {g->origin[0], g->origin[1], g->origin[2]}, {0, 0, -1, 0, 1, 0, 1, 0, 0}};
    pm_volume *tv = pm_volume_new(&t);
    pm_mask *tm = pm_mask_new(&t);
    CHECK(tv && tm, "out of memory");
    for (int k = 0; k < g->dim[2]; k++)
        for (int j = 0; j < g->dim[1]; j++)
            for (int i = 0; i < g->dim[0]; i++) {
                size_t x = ((size_t)k * g->dim[1] + j) * g->dim[0] + i;
                size_t y = ((size_t)i * t.dim[1] + j) * t.dim[0] + k;
                tv->hu[y] = v->hu[x];
                tm->v[y] = m->v[x];
            }
    CHECK(pm_measure_lungs(tv, tm, &b, NULL) == PM_OK, "%s", pm_error());
    for (int l = 0; l < 2; l++) {
        CHECK(a.top_mm[l] == b.top_mm[l] && a.bottom_mm[l] == b.bottom_mm[l], "lung %d: %g..%g vs %g..%g mm",
              l, a.bottom_mm[l], a.top_mm[l], b.bottom_mm[l], b.top_mm[l]);
        for (int z = 0; z < PM_ZONES; z++) {
            const pm_zone_measures *p = &a.zones[l][z], *q = &b.zones[l][z];
            CHECK(p->voxels == q->voxels && p->mean_hu == q->mean_hu && p->laa950_pct == q->laa950_pct &&
                  p->perc15_hu == q->perc15_hu && p->top_mm == q->top_mm && p->bottom_mm == q->bottom_mm,
                  "lung %d zone %d: %zu voxels %g HU %g..%g mm vs %zu voxels %g HU %g..%g mm", l, z,
                  (size_t)p->voxels, p->mean_hu, p->bottom_mm, p->top_mm, (size_t)q->voxels, q->mean_hu,
                  q->bottom_mm, q->top_mm);
        }
    }
    pm_mask_free(tm);
    pm_volume_free(tv);
    pm_mask_free(m);
    pm_volume_free(v);
}

TEST(an_empty_mask_has_empty_zones)
{
    pm_volume *v;
    pm_mask *m;
    build(0, &v, &m);
    memset(m->v, 0, pm_grid_voxels(&m->g));
    pm_lung_measures r;
    CHECK(pm_measure_lungs(v, m, &r, NULL) == PM_OK, "%s", pm_error());
    pm_mask_free(m);
    pm_volume_free(v);
    CHECK(r.zones[0][0].ml == 0 && isnan(r.zones[0][0].mean_hu) && isnan(r.top_mm[0]), "empty zones");
    CHECK(r.lung[0].ml == 0 && isnan(r.lung[0].perc15_hu) && isnan(r.lung[1].mean_hu), "empty lungs");
}

int main(void)
{
    RUN(zones_split_each_lung_into_thirds_of_its_height_head_or_feet_first);
    RUN(zones_do_not_depend_on_which_grid_axis_runs_head_to_feet);
    RUN(an_empty_mask_has_empty_zones);
    return test_done();
}
