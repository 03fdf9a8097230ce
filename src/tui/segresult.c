/* segresult.c - the figures under the segmentation panel's parameters.
 * A series of one or two slices is segmented in 2-D (pm_recipe_run): its
 * lungs are cross-sections, so it shows areas per slice, never mL. */
#include "segresult.h"
#include "crt.h"
#include "pulmo/recipe.h"

int seg_result_draw(int y, int x, int w, const seg_result_view *r)
{
    const pm_lung_measures *m = r->m;
    if (!m) {
        crt_text(y, x, w, r->running ? "running the recipe..." : "no result yet");
        return y + 1;
    }
    const char *upd = r->updating ? " (updating)" : "";
    int flat = r->labels && pm_recipe_flat_copies(&r->labels->g) ? r->labels->g.dim[2] : 0;
    crt_role(r->status == PM_ENOLUNG ? ROLE_ERROR : ROLE_PATIENT);
    if (flat)
        crt_textf(y++, x, w, "2-D: %d slice%s, areas in cm2%s", flat, flat > 1 ? "s" : "", upd);
    else
        crt_textf(y++, x, w, "Lungs %.0f mL%s%s", m->lung_ml, upd,
                  r->apex_cut && r->base_cut ? "  partial: apex+base cut" : r->apex_cut ? "  partial: apex cut"
                  : r->base_cut ? "  partial: base cut" : "");
    crt_role(ROLE_NORMAL);
    for (int k = 0; k < flat; k++) {
        double a[4];
        pm_lung_areas(r->labels, k, a);
        crt_textf(y++, x, w, "slice %d: %.1f  R %.1f  L %.1f", k + 1, a[0], a[1], a[2]);
    }
    if (!flat && m->sides)
        crt_textf(y++, x, w, "R %.0f  L %.0f  airway %.0f mL", m->right_ml, m->left_ml, m->airway_ml);
    else if (!flat)
        crt_textf(y++, x, w, "airway %.0f mL  %d component(s)", m->airway_ml, m->components);
    crt_textf(y++, x, w, "LAA-950 %.1f%%  Perc15 %.0f HU", m->laa950_pct, m->perc15_hu);
    crt_textf(y++, x, w, "mean %.0f HU  run %.1f s", m->mean_hu, r->seconds);
    return y;
}
