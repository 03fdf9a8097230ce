/* histpanel.c - the HU histogram side panel of the viewer: of the volume
 * or of the mask's voxels, with the recipe's thresholds marked; the recipe
 * stays tunable under it (its keys pass to the segmentation panel).
 */
#include "histpanel.h"
#include "histcache.h"
#include "segpanel.h"
#include "viewer.h"
#include "pulmo/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    int hist_of_mask;         /* histogram of the mask's voxels */
    tui_hist_cache cache;     /* of the volume or the shown mask's version */
    pm_fb *fb;
} P;

void hist_done(void)
{
    hist_cache_done(&P.cache);
    pm_fb_free(P.fb);
    memset(&P, 0, sizeof P);
}

/* ---- histogram ------------------------------------------------------ */

static void draw_hist(int y0, int x0, int rows, int cols)
{
    const pm_mask *m = P.hist_of_mask ? V.mask : NULL;
    const pm_hist *hist = hist_cache_get(&P.cache, V.vol, m, m ? seg_shown_version() : 0);
    crt_role(ROLE_HEADER);
    move(y0, x0);
    hline(' ', cols);
    crt_textf(y0, x0 + 1, cols - 2, "HU histogram: %s", m ? "mask" : "volume");
    crt_role(ROLE_NORMAL);
    if (!hist)
        return;
    double marks[4];
    int nm = seg_markers(marks, 4);
    int prow = rows - 6, fbw, fbh;
    double aspect;
    if (prow < 3)
        return;
    crt_fb_size(cols - 2, prow, &fbw, &fbh, &aspect);
    if (!P.fb || P.fb->w != fbw || P.fb->h != fbh) {
        pm_fb_free(P.fb);
        P.fb = pm_fb_new(fbw, fbh, 0);
    }
    if (!P.fb)
        return;
    pm_fb_clear(P.fb, 0, 0, 0);
    pm_hist_style st = {1, marks, nm, V.view.win};
    pm_draw_hist(P.fb, pm_fb_rect(P.fb), hist, &st);
    crt_draw_fb(P.fb, y0 + 1, x0 + 1, cols - 2, prow);
    int y = y0 + 1 + prow;
    crt_textf(y++, x0 + 1, cols - 2, "%-6d %*d HU", hist->lo, cols - 12, hist->hi);
    crt_textf(y++, x0 + 1, cols - 2, "%llu voxels (log counts)", (unsigned long long)hist->total);
    crt_role(ROLE_MARK);
    char buf[128] = "";
    for (int i = 0, n = 0; i < nm && n < (int)sizeof buf - 16; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%.0f", i ? ", " : "threshold ", marks[i]);
    crt_text(y++, x0 + 1, cols - 2, nm ? buf : "no threshold (press S)");
    crt_role(ROLE_NORMAL);
    crt_textf(y++, x0 + 1, cols - 2, "window W %.0f L %.0f", V.view.win.width, V.view.win.level);
    if (seg_started()) {
        char sel[160];
        seg_selected(sel, sizeof sel);
        crt_role(ROLE_KEY);
        crt_textf(y, x0 + 1, cols - 2, "J/K [ ]: %s", sel);
        crt_role(ROLE_NORMAL);
    }
}

static const char *hist_hints(void)
{
    return "v volume/mask  J/K [ ] tune  H close  ? keys";
}

/* ---- actions -------------------------------------------------------- */

static int act_hist_source(void)
{
    if (!V.mask) {
        app_message(0, "no mask yet: press S to segment");
        return R_REDRAW;
    }
    P.hist_of_mask = !P.hist_of_mask;
    return R_IMAGE;
}

static const tui_binding hist_keys[] = {
    {'v', act_hist_source, "v", "histogram of the volume / of the mask"},
    {0, NULL, NULL, NULL},
};

static int hist_key(int k)
{
    int r = app_dispatch(hist_keys, k);
    /* The recipe stays tunable under the histogram, whose markers follow. */
    if (!r && seg_started() && k != 27)
        r = seg_panel.key(k);
    return r;
}

static int hist_help(const tui_binding **t, const char **titles, int max)
{
    int n = 0;
    if (n < max)
        t[n] = hist_keys, titles[n++] = "Histogram panel (H)";
    return n;
}

const tui_screen hist_panel = {
    .name = "histogram",
    .draw = draw_hist,
    .key = hist_key,
    .hints = hist_hints,
    .help = hist_help,
};
