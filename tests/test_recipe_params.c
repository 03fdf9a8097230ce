/* test_recipe_params.c - every recipe's parameters are typed and
 * consistent: each step names a known operation and defines every
 * parameter that operation reads, defaults lie in their ranges and fit
 * their kind; `--set` (pm_recipe_set) rejects unknown names, out-of-range
 * values and non-connectivities with a reason naming them.
 */
#include "test.h"
#include "pulmo/recipe.h"

#include <math.h>

TEST(every_step_defines_what_its_operation_reads_in_range)
{
    int checked = 0;
    for (int i = 0; i < pm_recipe_count(); i++) {
        pm_recipe r;
        CHECK(pm_recipe_init(&r, pm_recipe_name_at(i)) == PM_OK, "recipe %s", pm_recipe_name_at(i));
        for (int s = 0; s < r.nsteps; s++) {
            const pm_step *st = &r.steps[s];
            const char *reads = pm_step_reads(st->name);
            CHECK(reads, "%s: step '%s' is no operation", r.name, st->name);
            char names[256];
            snprintf(names, sizeof names, "%s", reads);
            for (char *save = NULL, *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
                int found = 0;
                for (int q = 0; q < st->nparams; q++)
                    found |= !strcmp(st->params[q].name, n);
                CHECK(found, "%s.%s: the operation reads '%s', the step does not define it", r.name, st->name, n);
            }
            for (int q = 0; q < st->nparams; q++) {
                const pm_param *p = &st->params[q];
                CHECK(strstr(reads, p->name), "%s.%s.%s is defined but never read", r.name, st->name, p->name);
                CHECK(p->min <= p->def && p->def <= p->max && p->value == p->def, "%s.%s.%s = %g outside %g..%g",
                      r.name, st->name, p->name, p->def, p->min, p->max);
                CHECK(!p->is_int || p->def == floor(p->def), "%s.%s.%s: integer default %g", r.name, st->name,
                      p->name, p->def);
                switch (p->kind) {
                case PM_KIND_CONN:
                    CHECK(p->is_int && (p->min == 4 || p->min == 6) && (p->max == 8 || p->max == 26) &&
                              (p->def == 4 || p->def == 6 || p->def == 8 || p->def == 26),
                          "%s.%s.%s: connectivity %g in %g..%g", r.name, st->name, p->name, p->def, p->min, p->max);
                    break;
                case PM_KIND_BOOL:
                    CHECK(p->is_int && p->min == 0 && p->max == 1, "%s.%s.%s: boolean range", r.name, st->name,
                          p->name);
                    break;
                case PM_KIND_COUNT:
                case PM_KIND_CHOICE:
                    CHECK(p->is_int && p->min >= 0, "%s.%s.%s: a %s is a whole number", r.name, st->name, p->name,
                          pm_param_kind_name(p->kind));
                    break;
                case PM_KIND_HU:
                    CHECK(p->min >= -32768 && p->max <= 32767, "%s.%s.%s: HU range", r.name, st->name, p->name);
                    break;
                case PM_KIND_MM:
                    CHECK(p->min >= 0, "%s.%s.%s: negative length", r.name, st->name, p->name);
                    break;
                default:
                    break;
                }
                checked++;
            }
        }
    }
    CHECK(checked > 20, "only %d parameters", checked);
}

TEST(set_rejects_unknown_out_of_range_and_non_connectivity_values)
{
    pm_recipe r;
    CHECK(pm_recipe_init(&r, "default") == PM_OK, "default");
    CHECK(pm_recipe_set(&r, "nosuch.x=1", NULL) == PM_EUSAGE && strstr(pm_error(), "no step 'nosuch'"),
          "unknown step: %s", pm_error());
    CHECK(pm_recipe_set(&r, "threshold.hu_mx=1", NULL) == PM_EUSAGE && strstr(pm_error(), "no parameter 'hu_mx'"),
          "unknown parameter: %s", pm_error());
    CHECK(pm_recipe_set(&r, "threshold.hu_max=40000", NULL) == PM_EUSAGE && strstr(pm_error(), "outside"),
          "out of range: %s", pm_error());
    CHECK(pm_recipe_set(&r, "lungs.conn=18", NULL) == PM_EUSAGE && strstr(pm_error(), "connectivity"),
          "connectivity: %s", pm_error());
    CHECK(pm_recipe_set(&r, "lungs.conn=8", NULL) == PM_EUSAGE && strstr(pm_error(), "6 or 26"),
          "8 is no 3-D connectivity: %s", pm_error());
    CHECK(pm_recipe_set(&r, "lungs.conn=1e400", NULL) == PM_EUSAGE, "overflow is not a number");
    int step = -1;
    CHECK(pm_recipe_set(&r, "body.open_mm=5", &step) == PM_OK && step == pm_recipe_step_index(&r, "body") &&
              pm_recipe_get(&r, "body", "open_mm") == 5,
          "a valid value is set");
}

/* The API takes any pm_step: one built by hand without a parameter its
 * operation reads is refused by name, not run with a made-up value. */
TEST(a_step_missing_a_parameter_is_refused_when_run)
{
    pm_recipe r;
    CHECK(pm_recipe_init(&r, "default") == PM_OK, "default");
    int close = pm_recipe_step_index(&r, "close");
    CHECK(close > 0, "default has a close step");
    pm_step *st = &r.steps[close];
    int at = -1;
    for (int q = 0; q < st->nparams; q++)
        if (!strcmp(st->params[q].name, "rim_mm"))
            at = q;
    CHECK(at >= 0, "close reads rim_mm");
    st->params[at] = st->params[--st->nparams];
    pm_grid g;
    pm_grid_init(&g, 24, 24, 12, 1, 1, 1);
    pm_volume *v = pm_volume_new(&g);
    CHECK(v, "volume");
    for (size_t i = 0; i < pm_grid_voxels(&g); i++)
        v->hu[i] = -1000;
    pm_seg_run *run = pm_seg_run_new(v, 0);
    CHECK(run, "run");
    int rc = pm_recipe_run(&r, run, 0, NULL);
    CHECK(rc == PM_EUSAGE && strstr(pm_error(), "'close' has no parameter 'rim_mm'"), "rc %d: %s", rc, pm_error());
    pm_seg_run_free(run);
    pm_volume_free(v);
}

int main(void)
{
    RUN(every_step_defines_what_its_operation_reads_in_range);
    RUN(set_rejects_unknown_out_of_range_and_non_connectivity_values);
    RUN(a_step_missing_a_parameter_is_refused_when_run);
    return test_done();
}
