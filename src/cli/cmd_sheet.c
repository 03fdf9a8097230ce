/* cmd_sheet.c - `pulmo report SERIES_DIR -o OUT.png` (also `pulmo sheet`, its
 * first name): segment a series and draw its triage sheet
 * (pm_segment_sheet) to a PNG and/or the terminal, then print the report. */
#include "cli.h"
#include "../term/term.h"
#include "pulmo/batch.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"
#include "pulmo/render.h"
#include "pulmo/volfile.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char sheet_help[] =
    "usage: pulmo report SERIES_DIR (-o OUT.png | --sixel | --text | --graphics G)\n"
    "                    [--recipe NAME] [--set STEP.PARAM=VALUE ...] [--series UID]\n"
    "                    [--max-memory SIZE]\n"
    "       (`pulmo sheet` is the same command)\n\n"
    "Segment the lungs of a series and draw its triage sheet, one page to read in\n"
    "ten seconds: patient and series, warnings in a box, axial slices through the\n"
    "upper, middle and lower thirds of the lungs and a coronal slice with the\n"
    "labels over them (red right lung, green left lung, blue airway), the lung HU\n"
    "histogram with -950 marked, and volume, mean HU, LAA%-950 and Perc15 per lung\n"
    "and per zone. Writes nothing else; prints the report.\n\n"
    "  -o, --output FILE  the PNG (never inside SERIES_DIR)\n"
    "  --sixel            show the sheet in the terminal as sixel graphics\n"
    "  --text             show it as text graphics (only a thumbnail)\n"
    "  --graphics G       sixel, kitty, iterm2, text or ascii\n"
    "  --recipe NAME      default (pulmo's), tutorial, otsu or unet\n"
    "  --set S.P=V        change parameter P of step S (repeatable)\n"
    "  --series UID       the series with this SeriesInstanceUID\n"
    "  --max-memory SIZE  refuse volumes larger than SIZE\n"
    "  -h, --help         this help\n\n"
    "Exit 6 when no lungs are found (the sheet is still drawn).\n";

/* The sheet in the terminal: scaled down to a sixel limit, or to the width
 * of the terminal for text (the cell box's half blocks or ASCII). */
static int sheet_show(const pm_fb *fb, pm_graphics want)
{
    pm_term_caps caps;
    if (isatty(1))
        pm_term_probe(&caps, 1.0);
    else
        pm_term_env(&caps);
    pm_graphics g = pm_term_choose(&caps, want);
    pm_cell_box b = pm_render_cell_box(fb->w, fb->h, PM_CELLS_PIXELS, 1, 1, 0, 0);
    if (g == PM_GFX_SIXEL) {
        int mw, mh;
        pm_term_sixel_limit(&caps, &mw, &mh);
        if (fb->w > mw || fb->h > mh) {
            double s = (double)mw / fb->w < (double)mh / fb->h ? (double)mw / fb->w : (double)mh / fb->h;
            pm_cell_box_resize(&b, (int)(fb->w * s), (int)(fb->h * s));
        }
    } else if (g == PM_GFX_TEXT || g == PM_GFX_ASCII) {
        int cols = caps.cols > 0 ? caps.cols : 80;
        b = pm_render_cell_box(cols, 0, g == PM_GFX_TEXT ? PM_CELLS_HALF : PM_CELLS_ASCII, 1, 1, 0, 0);
        pm_cell_box_resize(&b, cols, cols * fb->h / fb->w);
    }
    if (b.cells_w == fb->w && b.cells_h == fb->h)
        return cli_show_picture(g, fb, &caps);
    pm_fb *small = pm_cell_box_reduce(&b, fb, 1);
    if (!small)
        return cli_fail(PM_EMEMORY, "the sheet");
    int rc = cli_show_picture(g, small, &caps);
    pm_fb_free(small);
    return rc;
}

int cmd_sheet(int argc, char **argv)
{
    enum { O_SIXEL = 256, O_TEXT, O_GFX };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"recipe", required_argument, 0, 'r'},
        {"set", required_argument, 0, 's'}, {"series", required_argument, 0, 'u'},
        {"max-memory", required_argument, 0, 'm'}, {"sixel", no_argument, 0, O_SIXEL},
        {"text", no_argument, 0, O_TEXT}, {"graphics", required_argument, 0, O_GFX},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *cmd = argv[0];
    pm_segment_opts so = {.recipe = "default"};
    const char *out = NULL;
    int c, gfx = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r': so.recipe = optarg; break;
        case 's':
            if (so.nsets == PM_MAX_SETS)
                return cli_usage(cmd, "too many --set options");
            so.sets[so.nsets++] = optarg;
            break;
        case 'u': so.series_uid = optarg; break;
        case 'm':
            if (cli_parse_memory(optarg, &so.load) != 0)
                return cli_usage(cmd, "bad --max-memory '%s'", optarg);
            break;
        case O_SIXEL: gfx = PM_GFX_SIXEL; break;
        case O_TEXT: gfx = PM_GFX_TEXT; break;
        case O_GFX:
            if ((gfx = pm_graphics_parse(optarg)) < 0)
                return cli_usage(cmd, "bad --graphics '%s' (sixel, kitty, iterm2, text, ascii)", optarg);
            break;
        case 'h': fputs(sheet_help, stdout); return PM_OK;
        default: return cli_usage(cmd, "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage(cmd, "expects one SERIES_DIR");
    if (!out && gfx < 0)
        return cli_usage(cmd, "needs -o OUT.png, --sixel, --text or --graphics");
    pm_recipe r;
    if (pm_segment_opts_recipe(&so, &r) != PM_OK)
        return cli_usage(cmd, "%s", pm_error());
    const char *dir = argv[optind];
    pm_io_protect(dir);
    if (out && pm_io_is_protected(out))
        return cli_refuse_inside(out, dir);
    if (!pm_is_dir(dir) && !pm_volfile_kind(dir))
        return cli_error(PM_ENODATA, "%s: not a folder or a volume file", dir);
    pm_segment_report rep;
    pm_fb *fb = NULL;
    int rc = pm_segment_sheet(dir, out, &so, &rep, gfx >= 0 ? &fb : NULL, &cli_progress);
    if (rc != PM_OK && rc != PM_ENOLUNG)
        return cli_fail(rc, "triage sheet failed");
    int src = fb ? sheet_show(fb, (pm_graphics)gfx) : PM_OK;
    pm_fb_free(fb);
    if (src != PM_OK)
        return src;
    cli_print_report(&rep);
    if (out)
        printf("sheet        %s (%d x %d)\n", out, PM_SHEET_W, PM_SHEET_H);
    cli_print_coverage(&rep);
    if (rc == PM_ENOLUNG)
        fprintf(stderr, "pulmo: %s\n", rep.message);
    return rc;
}
