/* histcache.h - the histogram panel's cached HU histogram (histcache.c),
 * apart from curses so it can be unit tested. */
#ifndef PULMO_TUI_HISTCACHE_H
#define PULMO_TUI_HISTCACHE_H

#include "pulmo/render.h"

typedef struct tui_hist_cache {
    pm_hist hist;
    int have;
    /* What the histogram is of: the source and the shown mask's version
     * (previews edit the mask in place, so its pointer is not enough). */
    int for_mask, for_version;
} tui_hist_cache;

/* The HU histogram of vol (of the voxels of m when m is not NULL), kept
 * until the source or the mask's version changes. version is the count the
 * mask's owner bumps on every edit, in place or not. NULL when it could not
 * be computed (out of memory). */
const pm_hist *hist_cache_get(tui_hist_cache *c, const pm_volume *vol, const pm_mask *m, int version);
/* Frees the histogram; the cache is empty after. Can't fail. */
void hist_cache_done(tui_hist_cache *c);

#endif
