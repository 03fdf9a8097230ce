/* cmd_tui.c - `pulmo [ROOT] [--ascii] [--graphics MODE]`: checks the
 * options and the terminal, then hands over to the terminal UI (src/tui).
 */
#include "cli.h"
#include "pulmo/io.h"
#include "../term/term.h"
#include "../tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char tui_help[] =
    "usage: pulmo [ROOT] [--ascii] [--graphics MODE]\n\n"
    "Open the interactive terminal UI on the DICOM series under ROOT (default: the\n"
    "current folder). `?` inside lists every key. ROOT may be a DICOM node,\n"
    "dicom://AET@host:port: its CT series are listed (C-FIND) and retrieved when\n"
    "opened (C-GET into the cache; Esc cancels).\n\n"
    "  --ascii          draw pictures with ASCII characters only\n"
    "  --graphics MODE  kitty, iterm2, sixel, text (Unicode half blocks), ascii or\n"
    "                   auto (default: what the terminal answers it has; text\n"
    "                   inside tmux/screen)\n"
    "  -h, --help       this help\n";

int cmd_tui(int argc, char **argv)
{
    int gfx = PM_GFX_AUTO;
    const char *root = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ascii"))
            gfx = PM_GFX_ASCII;
        else if (!strcmp(argv[i], "--graphics") || !strncmp(argv[i], "--graphics=", 11)) {
            const char *m = argv[i][10] == '=' ? argv[i] + 11 : i + 1 < argc ? argv[++i] : "";
            if ((gfx = pm_graphics_parse(m)) < 0)
                return cli_usage("", "--graphics takes kitty, iterm2, sixel, text, ascii or auto, not '%s'", m);
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(tui_help, stdout);
            return PM_OK;
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("", "unknown option '%s'", argv[i]);
        else if (root)
            return cli_usage("", "expects at most one ROOT folder");
        else
            root = argv[i];
    }
    if (!root)
        root = ".";
    if (pm_net_is_url(root)) {
        pm_node n;
        char uid[72] = "";
        if (pm_net_parse(root, &n, uid, sizeof uid) != PM_OK || uid[0]) {
            fprintf(stderr, "pulmo: %s\n", uid[0] ? "the browser opens a node: dicom://AET@host:port" : pm_error());
            return PM_EUSAGE;
        }
    } else if (!pm_is_dir(root)) {
        fprintf(stderr, "pulmo: %s: not a folder\n", root);
        return PM_ENODATA;
    }
    if (!isatty(0) || !isatty(1)) {
        fprintf(stderr, "pulmo: the interactive UI needs a terminal; try 'pulmo --help'\n");
        return PM_EUSAGE;
    }
    if (tui_main(root, gfx) != 0) {
        fprintf(stderr, "pulmo: cannot start the terminal UI (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return PM_EUSAGE;
    }
    return PM_OK;
}
