/* recipe.c - the built-in recipes and their parameters.
 *
 * A recipe is data: a list of steps, each naming an operation of steps.c
 * and carrying its parameters with defaults and ranges. Changing a recipe
 * means changing these tables; --list-recipes prints them as they are.
 */
#include "pulmo/recipe.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define P(n, k, d, lo, hi, i, h)                                                              \
    {.name = n, .help = h, .value = d, .def = d, .min = lo, .max = hi, .is_int = i, .kind = PM_KIND_##k}

#define STEP_THRESHOLD(hmax)                                                                  \
    {.name = "threshold", .help = "air = voxels with hu_min <= HU <= hu_max", .nparams = 2,    \
     .params = {P("hu_min", HU, -32768, -32768, 32767, 1, "lowest HU counted as air"),           \
                P("hu_max", HU, hmax, -32768, 32767, 1, "highest HU counted as air")}}

#define STEP_REQUIRE(ml)                                                                      \
    {.name = "require", .help = "fail with 'no lungs' (exit 6) below min_ml of lung",       \
     .nparams = 1, .params = {P("min_ml", REAL, ml, 0, 100000, 0, "smallest lung volume accepted, mL")}}

static const pm_recipe recipes[] = {
    {.name = "tutorial",
     .help = "the Python tutorial: threshold -320 HU, corner-voxel outside air, per-slice fill, "
             "single largest air component",
     .nsteps = 5,
     .steps = {
         STEP_THRESHOLD(-320),
         {.name = "corner", .help = "the air component holding voxel (0,0,0) is outside air",
          .nparams = 1, .params = {P("conn", CONN, 26, 6, 26, 1, "connectivity (6 or 26)")}},
         {.name = "fill_structures",
          .help = "per slice, everything but the largest tissue component becomes air",
          .nparams = 2, .params = {P("enabled", BOOL, 1, 0, 1, 1, "1 = fill vessels and nodules"),
                                   P("conn", CONN, 8, 4, 8, 1, "in-slice connectivity (4 or 8)")}},
         {.name = "largest", .help = "keep the n largest air components",
          .nparams = 2, .params = {P("n", COUNT, 1, 1, 100, 1, "components kept"),
                                   P("conn", CONN, 26, 6, 26, 1, "connectivity (6 or 26)")}},
         STEP_REQUIRE(100),
     }},
    {.name = "otsu",
     .help = "Otsu threshold, per-slice border clearing, small-object removal, cross closing",
     .nsteps = 5,
     .steps = {
         {.name = "otsu", .help = "air = voxels below Otsu's threshold of the whole volume",
          .nparams = 1, .params = {P("bins", COUNT, 256, 2, 65536, 1, "histogram bins")}},
         {.name = "border2d", .help = "per slice, remove air touching the image border",
          .nparams = 1, .params = {P("conn", CONN, 8, 4, 8, 1, "in-slice connectivity (4 or 8)")}},
         {.name = "small", .help = "per slice, remove components below min_voxels",
          .nparams = 3, .params = {P("min_voxels", COUNT, 100, 0, 1e9, 1, "smallest component kept, voxels"),
                                   P("min_mm3", REAL, 0, 0, 1e9, 0, "smallest component kept, mm^3"),
                                   P("conn", CONN, 4, 4, 26, 1, "connectivity (4/8 per slice, 6/26 3D)")}},
         {.name = "close2d", .help = "per slice, binary closing with the 3x3 cross",
          .nparams = 1, .params = {P("enabled", BOOL, 1, 0, 1, 1, "1 = close")}},
         STEP_REQUIRE(100),
     }},
    {.name = "default",
     .help = "pulmo: body mask, airway removed (3), two lungs right=1 left=2, "
             "ball closing and hole filling",
     .nsteps = 7,
     .steps = {
         STEP_THRESHOLD(-320),
         {.name = "body",
          .help = "the patient's body (tissue, opened, largest piece, slices filled); air outside it "
                  "is never lung",
          .nparams = 2, .params = {P("tissue_hu", HU, -500, -1000, 3000, 1, "body tissue is above this HU"),
                                   P("open_mm", MM, 3, 0, 20, 0, "opening that detaches table and blankets, mm")}},
         {.name = "airway", .help = "find the trachea (in the neck, else at the top), follow it down, grow the airway, label it 3",
          .nparams = 11,
          .params = {P("enabled", BOOL, 1, 0, 1, 1, "1 = remove the airway"),
                     P("search_mm", MM, 40, 1, 500, 0, "depth below the top slice searched for the trachea"),
                     P("seed_hu", HU, -950, -1100, 0, 0, "lumen HU: seed_frac of the trachea is below it"),
                     P("seed_frac", REAL, 0.4, 0, 1, 0, "fraction of the trachea's section below seed_hu"),
                     P("min_area_mm2", REAL, 40, 1, 10000, 0, "smallest trachea cross-section"),
                     P("max_area_mm2", REAL, 800, 1, 10000, 0, "largest trachea cross-section"),
                     P("start_hu", HU, -960, -1100, 0, 0, "first growing threshold"),
                     P("max_hu", HU, -800, -1100, 0, 0, "last growing threshold tried"),
                     P("leak_ratio", REAL, 2.0, 1.01, 100, 0, "volume jump per step that means a leak"),
                     P("max_ml", REAL, 250, 1, 5000, 0, "an airway above this is a leak"),
                     P("shell_mm", MM, 1.5, 0, 10, 0, "partial-volume shell added around the lumen")}},
         {.name = "lungs", .help = "keep the two largest components, name them right=1 and left=2",
          .nparams = 3, .params = {P("conn", CONN, 6, 6, 26, 1, "connectivity (6 or 26)"),
                                   P("min_ml", REAL, 50, 0, 100000, 0, "smallest lung, mL"),
                                   P("min_frac", REAL, 0.1, 0, 1, 0, "second lung at least this fraction of the first")}},
         {.name = "close",
          .help = "closing of each lung with a ball on the chest wall's side (keeps juxtapleural "
                  "nodules, not the hilum)",
          .nparams = 3, .params = {P("radius_mm", MM, 10, 0, 50, 0, "ball radius, mm (0 = off)"),
                                   P("rim_mm", MM, 1.5, 0, 10, 0, "tissue this close to what the closing added joins it"),
                                   P("wall_mm", MM, 30, 0, 500, 0, "added voxels kept this much deeper than the chest wall (0 = all)")}},
         {.name = "fill", .help = "fill holes of each lung (vessels, nodules, small bronchi)",
          .nparams = 1, .params = {P("mode", CHOICE, 3, 0, 3, 1, "0 off, 1 per slice, 2 3D, 3 both")}},
         STEP_REQUIRE(100),
     }},
    {.name = "unet",
     .help = "lungmask's U-Net (R231 weights, from --weights): right = 1, left = 2",
     .nsteps = 2,
     .steps = {
         {.name = "unet",
          .help = "2D U-Net on LPS axial slices with lungmask's body crop and post-processing",
          .nparams = 0},
         STEP_REQUIRE(100),
     }},
};
#define NRECIPES (int)(sizeof recipes / sizeof recipes[0])

int pm_recipe_count(void)
{
    return NRECIPES;
}

const char *pm_recipe_name_at(int i)
{
    return i >= 0 && i < NRECIPES ? recipes[i].name : NULL;
}

int pm_recipe_init(pm_recipe *r, const char *name)
{
    for (int i = 0; i < NRECIPES; i++)
        if (name && !strcmp(recipes[i].name, name)) {
            *r = recipes[i];
            return PM_OK;
        }
    return pm_fail(PM_EUSAGE, "unknown recipe '%s' (default, tutorial, otsu or unet)", name ? name : "");
}

int pm_recipe_step_index(const pm_recipe *r, const char *step)
{
    for (int s = 0; s < r->nsteps; s++)
        if (!strcmp(r->steps[s].name, step))
            return s;
    return -1;
}

static pm_param *find_param(pm_recipe *r, const char *step, size_t steplen, const char *param, int *si)
{
    for (int s = 0; s < r->nsteps; s++) {
        if (strlen(r->steps[s].name) != steplen || strncmp(r->steps[s].name, step, steplen))
            continue;
        *si = s;
        for (int q = 0; q < r->steps[s].nparams; q++)
            if (!strcmp(r->steps[s].params[q].name, param))
                return &r->steps[s].params[q];
        return NULL;
    }
    *si = -1;
    return NULL;
}

int pm_recipe_set(pm_recipe *r, const char *a, int *step)
{
    const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
    if (!dot || !eq || eq < dot)
        return pm_fail(PM_EUSAGE, "'%s' is not step.param=value", a);
    char param[64];
    size_t plen = (size_t)(eq - dot - 1);
    if (plen == 0 || plen >= sizeof param)
        return pm_fail(PM_EUSAGE, "'%s' is not step.param=value", a);
    memcpy(param, dot + 1, plen);
    param[plen] = 0;
    int si;
    pm_param *p = find_param(r, a, (size_t)(dot - a), param, &si);
    if (si < 0)
        return pm_fail(PM_EUSAGE, "recipe '%s' has no step '%.*s'", r->name, (int)(dot - a), a);
    if (!p)
        return pm_fail(PM_EUSAGE, "step '%s' has no parameter '%s'", r->steps[si].name, param);
    char *end;
    errno = 0;
    double v = strtod(eq + 1, &end);
    if (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "true"))
        v = 1, end = (char *)"";
    else if (!strcmp(eq + 1, "off") || !strcmp(eq + 1, "false"))
        v = 0, end = (char *)"";
    if (errno || end == eq + 1 || *end || !isfinite(v))
        return pm_fail(PM_EUSAGE, "%s.%s: '%s' is not a number", r->steps[si].name, param, eq + 1);
    if (v < p->min || v > p->max)
        return pm_fail(PM_EUSAGE, "%s.%s = %g is outside %g..%g", r->steps[si].name, param, v,
                       p->min, p->max);
    if (p->is_int && v != floor(v))
        return pm_fail(PM_EUSAGE, "%s.%s must be an integer", r->steps[si].name, param);
    if (p->kind == PM_KIND_CONN && !pm_param_conn_ok(p, v))
        return pm_fail(PM_EUSAGE, "%s.conn must be a connectivity: %s", r->steps[si].name,
                       p->min == 4 && p->max == 8 ? "4 or 8" : p->min == 6 ? "6 or 26" : "4, 8, 6 or 26");
    p->value = v;
    if (step)
        *step = si;
    return PM_OK;
}

const char *pm_param_kind_name(pm_param_kind k)
{
    static const char *const names[] = {"number", "HU", "mm", "count", "connectivity", "boolean", "choice"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "number";
}

double pm_recipe_get(const pm_recipe *r, const char *step, const char *param)
{
    int s = pm_recipe_step_index(r, step);
    if (s < 0)
        return NAN;
    for (int q = 0; q < r->steps[s].nparams; q++)
        if (!strcmp(r->steps[s].params[q].name, param))
            return r->steps[s].params[q].value;
    return NAN;
}

void pm_recipe_flat(pm_recipe *r)
{
    if (pm_recipe_step_index(r, "airway") >= 0)
        pm_recipe_set(r, "airway.enabled=0", NULL);
}
