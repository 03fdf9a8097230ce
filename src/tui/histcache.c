/* histcache.c - the histogram panel's cached HU histogram. Recomputing it
 * walks the whole volume, so the panel keeps one and recomputes it only
 * when its source changes: the volume or the mask, and the mask's version.
 * The mask is not told apart by its pointer: the segmentation panel's
 * previews edit the shown mask in place (issue 15).
 */
#include "histcache.h"

#include <string.h>

const pm_hist *hist_cache_get(tui_hist_cache *c, const pm_volume *vol, const pm_mask *m, int version)
{
    if (!m)
        version = 0;
    if (!c->have || c->for_mask != (m != NULL) || c->for_version != version) {
        if (c->have)
            pm_hist_free(&c->hist);
        c->have = pm_hist_compute(vol, m, -1100, 700, 10, &c->hist) == PM_OK;
        c->for_mask = m != NULL;
        c->for_version = version;
    }
    return c->have ? &c->hist : NULL;
}

void hist_cache_done(tui_hist_cache *c)
{
    if (c->have)
        pm_hist_free(&c->hist);
    memset(c, 0, sizeof *c);
}
