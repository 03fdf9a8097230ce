/* param.c - stepping a recipe parameter up or down, as the terminal UI's
 * keys do: the next value is the core's business so that every front end
 * tunes the same way.
 */
#include "pulmo/recipe.h"

#include <math.h>
#include <string.h>

/* Connectivities are pairs (6/26 in 3-D, 4/8 per slice): a step jumps. */
static int is_connectivity(const pm_param *p)
{
    return !strcmp(p->name, "conn");
}

/* Small integer ranges (booleans, counts of a few) step by one. */
static int is_small_int(const pm_param *p)
{
    return p->is_int && p->max - p->min <= 30;
}

double pm_param_fine_step(const pm_param *p)
{
    if (is_small_int(p))
        return 1;
    if (strstr(p->name, "hu"))
        return 10;
    /* A power of ten near a twentieth of the value. */
    double mag = fabs(p->value) > 1e-9 ? fabs(p->value) / 20 : 0.2;
    double s = pow(10, floor(log10(mag)));
    return p->is_int && s < 1 ? 1 : s;
}

double pm_param_step(const pm_param *p, int dir, int coarse)
{
    double v = p->value, sign = dir > 0 ? 1 : -1;
    if (is_connectivity(p)) {
        v = sign > 0 ? p->max : p->min;
    } else {
        double st = pm_param_fine_step(p) * (coarse && !is_small_int(p) ? 10 : 1);
        v = round(v / st) * st + sign * st;
    }
    if (v < p->min)
        v = p->min;
    if (v > p->max)
        v = p->max;
    if (p->is_int)
        v = round(v);
    return v;
}
