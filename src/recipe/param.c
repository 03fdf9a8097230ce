/* param.c - stepping a recipe parameter up or down, as the terminal UI's
 * keys do: the next value is the core's business so that every front end
 * tunes the same way.
 */
#include "pulmo/recipe.h"

#include <math.h>
#include <string.h>

/* Connectivities are few (4/8 per slice, 6/26 in 3-D): a step jumps to
 * the next one the parameter takes. */
static const double conns[] = {4, 6, 8, 26};

int pm_param_conn_ok(const pm_param *p, double v)
{
    if (v < p->min || v > p->max)
        return 0;
    int slice = v == 4 || v == 8, space = v == 6 || v == 26;
    /* 6..26 is the 3-D pair only; 8 lies in that range but is 2-D */
    return slice ? p->min == 4 : space ? p->max == 26 : 0;
}

/* Booleans, choices and small counts step by one. */
static int is_small_int(const pm_param *p)
{
    return p->kind == PM_KIND_BOOL || p->kind == PM_KIND_CHOICE || (p->is_int && p->max - p->min <= 30);
}

double pm_param_fine_step(const pm_param *p)
{
    if (is_small_int(p))
        return 1;
    if (p->kind == PM_KIND_HU)
        return 10;
    /* A power of ten near a twentieth of the value. */
    double mag = fabs(p->value) > 1e-9 ? fabs(p->value) / 20 : 0.2;
    double s = pow(10, floor(log10(mag)));
    return p->is_int && s < 1 ? 1 : s;
}

double pm_param_step(const pm_param *p, int dir, int coarse)
{
    double v = p->value, sign = dir > 0 ? 1 : -1;
    if (p->kind == PM_KIND_CONN) {
        int n = (int)(sizeof conns / sizeof conns[0]);
        for (int i = sign > 0 ? 0 : n - 1; i >= 0 && i < n; i += sign > 0 ? 1 : -1)
            if ((sign > 0 ? conns[i] > v : conns[i] < v) && pm_param_conn_ok(p, conns[i]))
                return conns[i];
        return v;
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
