/* weights.c - where the U-Net weights are: lungmask's files cannot be
 * shipped with pulmo, so the user names one once (option, environment or a
 * configuration file) and every front end finds it the same way. */
#include "pulmo/unet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pm_unet_weights_path(const char *arg, char *out, size_t cap)
{
    const char *env = getenv("PULMO_WEIGHTS");
    if (arg && *arg) {
        snprintf(out, cap, "%s", arg);
        return PM_OK;
    }
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return PM_OK;
    }
    char cfg[4096];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(cfg, sizeof cfg, "%s/pulmo/weights", xdg);
    else if (home && *home)
        snprintf(cfg, sizeof cfg, "%s/.config/pulmo/weights", home);
    else
        cfg[0] = 0;
    FILE *f = cfg[0] ? fopen(cfg, "rb") : NULL;
    if (f) {
        /* The file is either the weights themselves (a zip: "PK") or a text
         * file whose first line is their path. */
        char line[4096];
        size_t n = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[n] = 0;
        if (n >= 2 && line[0] == 'P' && line[1] == 'K') {
            snprintf(out, cap, "%s", cfg);
            return PM_OK;
        }
        line[strcspn(line, "\r\n")] = 0;
        if (line[0]) {
            snprintf(out, cap, "%s", line);
            return PM_OK;
        }
    }
    return pm_fail(PM_ENODATA, "no U-Net weights: pass --weights FILE.pth, set PULMO_WEIGHTS, "
                   "or put the file (or its path) in %s",
                   cfg[0] ? cfg : "$XDG_CONFIG_HOME/pulmo/weights");
}
