/* cmd_render.c - `pulmo render`: one picture of a slice, a histogram or a
 * mesh, as PNG, sixel or text graphics. */
#include "cli.h"
#include "../term/term.h"
#include "pulmo/encode.h"
#include "pulmo/io.h"
#include "pulmo/mesh.h"
#include "pulmo/compare.h"
#include "pulmo/nifti.h"
#include "pulmo/raster.h"
#include "pulmo/refmask.h"
#include "pulmo/render.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char render_help[] =
    "usage: pulmo render SERIES_DIR [--plane axial|coronal|sagittal] [--slice N | --mid]\n"
    "                    [--window NAME|W/L] [--mask M.nii.gz] [--hist] [--size WxH]\n"
    "                    (-o OUT.png | --sixel | --text) [--graphics G]\n"
    "       pulmo render --mesh MESH.stl [--azimuth A] [--elevation E] [--zoom Z]\n"
    "                    [--size WxH] (-o OUT.png | --sixel | --text)\n\n"
    "Draw one picture: a CT slice (patient's right on the left, anterior or superior\n"
    "up), the HU histogram, or a surface mesh.\n\n"
    "  --plane P          axial (default), coronal or sagittal\n"
    "  --slice N          slice number from 0 at the inferior (axial), anterior (coronal)\n"
    "                     or right (sagittal) end; default --mid\n"
    "  --mid              the middle slice\n"
    "  --window W         lung (default), mediastinum, bone, brain, or WIDTH/LEVEL in HU\n"
    "  --mask FILE        overlay the labels of a NIfTI mask on the same grid\n"
    "  --alpha A          overlay opacity 0..1 (default 0.4)\n"
    "  --outline          draw the labels' borders opaque (with --alpha 0: contours only)\n"
    "  --nearest          nearest-neighbour scaling (default bilinear)\n"
    "  --hist             draw the HU histogram (of the mask's voxels with --mask)\n"
    "  --bin N            histogram bin width in HU (default 10)\n"
    "  --range LO:HI      histogram HU range (default -1100:1100)\n"
    "  --log              logarithmic histogram counts\n"
    "  --mesh FILE        draw a surface mesh (STL) instead of a series\n"
    "  --azimuth A        mesh camera azimuth in degrees (0 = from the front)\n"
    "  --elevation E      mesh camera elevation in degrees\n"
    "  --zoom Z           mesh magnification (default 1: the whole mesh fits)\n"
    "  --size WxH         fit the picture in W x H pixels (text: character cells);\n"
    "                     default: the slice's native size, 640x320 for --hist,\n"
    "                     640x480 for --mesh, the terminal width for text\n"
    "  -o FILE            write a PNG\n"
    "  --sixel            write sixel graphics to standard output\n"
    "  --text             write text graphics (Unicode half blocks; ASCII with NO_COLOR)\n"
    "  --graphics G       sixel, kitty, iterm2, text or ascii: force the terminal\n"
    "                     output kind (kitty and iterm2 send a PNG the terminal scales)\n"
    "  --series UID       load the series with this SeriesInstanceUID\n"
    "  --max-memory SIZE  refuse volumes larger than SIZE\n"
    "  -h, --help         this help\n\n"
    "Without -o, --sixel, --text or --graphics the terminal is asked what it can\n"
    "show: sixel when it answers that it can (not inside tmux or screen), else text.\n";

typedef struct render_args {
    const char *dir, *mesh, *mask, *out, *uid;
    int plane, slice, hist, log, bin, lo, hi, nearest, outline;
    pm_window win;
    double alpha, azimuth, elevation, zoom;
    int w, h;
    pm_graphics gfx;
    int want_text;
    pm_load_opts lo_opts;
} render_args;

/* Width of the terminal on stdout in cells (80 when unknown). */
static int render_cols(void)
{
    struct winsize ws;
    if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Writes fb as the chosen kind of output. For text the picture is already
 * at cell resolution (two pixel rows per cell for half blocks). */
/* Graphics that carry pixels (not characters) to the terminal. */
static int render_pixels(pm_graphics g)
{
    return g == PM_GFX_SIXEL || g == PM_GFX_KITTY || g == PM_GFX_ITERM;
}

static int render_emit(const render_args *a, pm_graphics g, const pm_fb *fb,
                       const pm_term_caps *caps)
{
    if (!fb)    /* a picture that could not be allocated on the way */
        return cli_fail(PM_EMEMORY, "out of memory");
    if (a->out) {
        if (pm_png_write(a->out, fb) != PM_OK)
            return cli_fail(PM_EWRITE, "PNG write failed");
        return PM_OK;
    }
    return cli_show_picture(g, fb, caps);
}

int cli_show_picture(int graphics, const pm_fb *fb, const pm_term_caps *caps)
{
    pm_graphics g = (pm_graphics)graphics;
    pm_buf b = {0};
    int rc;
    if (g == PM_GFX_SIXEL) {
        rc = pm_sixel_encode(fb, caps->registers > 0 ? caps->registers : 256, &b);
    } else if (g == PM_GFX_KITTY) {
        rc = pm_kitty_image(fb, 1, 0, 0, &b);
        if (rc == PM_OK)
            rc = pm_buf_add(&b, "\n", 1);
    } else if (g == PM_GFX_ITERM) {
        rc = pm_iterm_image(fb, 0, 0, &b);
        if (rc == PM_OK)
            rc = pm_buf_add(&b, "\n", 1);
    } else {
        pm_text_mode mode = g == PM_GFX_ASCII ? PM_TEXT_ASCII
                            : caps->truecolor ? PM_TEXT_TRUECOLOR : PM_TEXT_256;
        rc = pm_text_encode(fb, mode, &b);
    }
    if (rc == PM_OK && fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = pm_fail(PM_EWRITE, "standard output: write failed");
    if (rc == PM_OK && fflush(stdout) != 0)
        rc = pm_fail(PM_EWRITE, "standard output: write failed");
    pm_buf_free(&b);
    return rc == PM_OK ? PM_OK : cli_fail(rc, "encoding failed");
}

/* The picture's cell box: for a file or a pixel terminal, --size pixels or
 * the default (PNG and sixel share it, so both have the same size) within
 * the terminal's sixel limit; for text, the terminal width in cells and
 * --size rows, else as tall as dw x dh needs. */
static pm_cell_box render_box(const render_args *a, pm_graphics g, const pm_term_caps *caps, int dw, int dh)
{
    if (a->out || render_pixels(g)) {
        int mw = 0, mh = 0;
        if (g == PM_GFX_SIXEL && !a->out)
            pm_term_sixel_limit(caps, &mw, &mh);
        return pm_render_cell_box(a->w > 0 ? a->w : dw, a->h > 0 ? a->h : dh, PM_CELLS_PIXELS, 1, 1, mw, mh);
    }
    int cols = a->w > 0 ? a->w : render_cols();
    pm_cell_box b = pm_render_cell_box(cols, a->h, g == PM_GFX_ASCII ? PM_CELLS_ASCII : PM_CELLS_HALF, 1, 1, 0, 0);
    if (a->h <= 0)
        pm_cell_box_resize(&b, cols, dh > 0 && dw > 0 ? cols * dh / dw : 0);
    return b;
}

/* The text picture fb reduced to its cells (fb freed); fb itself when it
 * already has their size. */
static pm_fb *render_cells(pm_fb *fb, const pm_cell_box *b, int bilinear)
{
    if (!fb || (fb->w == b->cells_w && fb->h == b->cells_h))
        return fb;
    pm_fb *cells = pm_cell_box_reduce(b, fb, bilinear);
    pm_fb_free(fb);
    return cells;
}

static int render_mesh(const render_args *a, pm_graphics g, const pm_term_caps *caps)
{
    pm_mesh *m = NULL;
    int rc = pm_mesh_read_stl(a->mesh, &m);
    if (rc != PM_OK)
        return cli_fail(rc, "mesh read failed");
    pm_cell_box box = render_box(a, g, caps, 640, 480);
    if (box.h <= 0)
        pm_cell_box_resize(&box, box.w, box.w * 3 / 4);
    float *normals = NULL;
    pm_fb *fb = NULL;
    if ((rc = pm_raster_normals(m, &normals)) != PM_OK) {
        rc = cli_fail(rc, "mesh normals failed");
        goto done;
    }
    fb = pm_fb_new(box.w * box.scale, box.h * box.scale, 1);
    if (!fb) {
        rc = cli_fail(PM_EMEMORY, "out of memory");
        goto done;
    }
    pm_raster_opts o = pm_raster_defaults();
    o.azimuth = a->azimuth;
    o.elevation = a->elevation;
    o.zoom = a->zoom;
    o.normals = normals;
    if ((rc = pm_raster_mesh(fb, m, &o, NULL)) != PM_OK) {
        rc = cli_fail(rc, "rasterizing failed");
        goto done;
    }
    if (!(fb = render_cells(fb, &box, 1))) {
        rc = cli_fail(PM_EMEMORY, "out of memory");
        goto done;
    }
    rc = render_emit(a, g, fb, caps);
done:
    pm_fb_free(fb);
    free(normals);
    pm_mesh_free(m);
    return rc;
}

/* The mask file (NIfTI, SEG, RTSTRUCT) on the series' grid: an RTSTRUCT is
 * drawn on it, other masks are put on it through their affines. */
static int render_mask(const char *path, const pm_volume *v, pm_mask **out)
{
    pm_refmask_opts ro = {0};
    ro.grid = &v->g;
    pm_refmask *r;
    int rc = pm_refmask_load(path, &ro, &r, &cli_progress);
    if (rc != PM_OK)
        return rc;
    if (memcmp(r->labels->g.dim, v->g.dim, sizeof v->g.dim) == 0) {
        *out = r->labels;
        r->labels = NULL;
    } else {
        rc = pm_mask_resample_to(r->labels, &v->g, out);
    }
    pm_refmask_free(r);
    return rc;
}

static int render_series(const render_args *a, pm_graphics g, const pm_term_caps *caps)
{
    pm_volume *v = NULL;
    pm_mask *m = NULL;
    pm_fb *fb = NULL;
    int rc = pm_load_dir(a->dir, a->uid, &a->lo_opts, &v, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "load failed");
    cli_print_warnings(v);
    if (a->mask && (rc = render_mask(a->mask, v, &m)) != PM_OK) {
        rc = cli_fail(rc, "mask read failed");
        goto done;
    }
    pm_cell_box box;
    if (a->hist) {
        pm_hist hg;
        if ((rc = pm_hist_compute(v, m, a->lo, a->hi, a->bin, &hg)) != PM_OK) {
            rc = cli_fail(rc, "histogram failed");
            goto done;
        }
        box = render_box(a, g, caps, 640, 320);
        if (box.h <= 0)
            pm_cell_box_resize(&box, box.w, box.w / 2);
        double marks[2] = {a->win.level - a->win.width / 2, a->win.level + a->win.width / 2};
        pm_hist_style st = {a->log, marks, 2, a->win};
        fb = pm_fb_new(box.w, box.h, 0);
        if (fb)
            pm_draw_hist(fb, pm_fb_rect(fb), &hg, &st);
        pm_hist_free(&hg);
        fb = render_cells(fb, &box, 1);
    } else {
        pm_slice_view sv;
        if ((rc = pm_slice_view_init(&v->g, a->plane, a->slice, &sv)) != PM_OK) {
            rc = cli_fail(rc, "bad slice");
            goto done;
        }
        int nw, nh;
        pm_slice_view_size(&sv, 0, 0, &nw, &nh);
        box = render_box(a, g, caps, a->out ? 0 : nw, a->out ? 0 : nh);
        int w, h;
        pm_slice_view_size(&sv, box.w, box.h, &w, &h);
        pm_cell_box_resize(&box, w, h);
        /* Text is drawn at the native size (not box.scale times the cells:
         * a slice has no more detail than its voxels) and reduced. */
        int text = box.mode != PM_CELLS_PIXELS;
        fb = pm_fb_new(text ? nw : w, text ? nh : h, 0);
        if (fb) {
            pm_draw_slice(fb, pm_fb_rect(fb), v, &sv, a->win, !a->nearest);
            if (m)
                pm_draw_mask(fb, pm_fb_rect(fb), m, &sv, &(pm_labels){NULL, 0, a->outline}, a->alpha);
        }
        if (text)
            fb = render_cells(fb, &box, !a->nearest);
    }
    rc = render_emit(a, g, fb, caps);
done:
    pm_fb_free(fb);
    pm_mask_free(m);
    pm_volume_free(v);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    enum { O_PLANE = 256, O_SLICE, O_MID, O_WINDOW, O_MASK, O_ALPHA, O_OUTLINE, O_NEAREST, O_HIST, O_BIN,
           O_RANGE, O_LOG, O_MESH, O_AZ, O_EL, O_ZOOM, O_SIZE, O_SIXEL, O_TEXT, O_GFX,
           O_SERIES, O_MEM };
    static const struct option opts[] = {
        {"plane", required_argument, 0, O_PLANE}, {"slice", required_argument, 0, O_SLICE},
        {"mid", no_argument, 0, O_MID}, {"window", required_argument, 0, O_WINDOW},
        {"mask", required_argument, 0, O_MASK}, {"alpha", required_argument, 0, O_ALPHA},
        {"outline", no_argument, 0, O_OUTLINE}, {"nearest", no_argument, 0, O_NEAREST}, {"hist", no_argument, 0, O_HIST},
        {"bin", required_argument, 0, O_BIN}, {"range", required_argument, 0, O_RANGE},
        {"log", no_argument, 0, O_LOG}, {"mesh", required_argument, 0, O_MESH},
        {"azimuth", required_argument, 0, O_AZ}, {"elevation", required_argument, 0, O_EL},
        {"zoom", required_argument, 0, O_ZOOM}, {"size", required_argument, 0, O_SIZE},
        {"sixel", no_argument, 0, O_SIXEL}, {"text", no_argument, 0, O_TEXT},
        {"graphics", required_argument, 0, O_GFX}, {"series", required_argument, 0, O_SERIES},
        {"max-memory", required_argument, 0, O_MEM}, {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    render_args a;
    memset(&a, 0, sizeof a);
    a.plane = PM_PLANE_AXIAL;
    a.slice = -1;
    a.bin = 10;
    a.lo = -1100;
    a.hi = 1100;
    a.win = PM_WINDOW_LUNG;
    a.alpha = PM_OVERLAY_ALPHA;
    a.zoom = 1;
    int c, nkinds = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_PLANE:
            if ((a.plane = pm_plane_parse(optarg)) < 0)
                return cli_usage("render", "bad --plane '%s'", optarg);
            break;
        case O_SLICE:
            if (cli_opt_int("render", "slice", optarg, 0, 1000000, NULL, &a.slice))
                return PM_EUSAGE;
            break;
        case O_MID: a.slice = -1; break;
        case O_WINDOW:
            if (pm_window_parse(optarg, &a.win) != PM_OK)
                return cli_usage("render", "%s", pm_error());
            break;
        case O_MASK: a.mask = optarg; break;
        case O_ALPHA:
            if (cli_opt_real("render", "alpha", optarg, 0, 1, 0, NULL, &a.alpha))
                return PM_EUSAGE;
            break;
        case O_OUTLINE: a.outline = 1; break;
        case O_NEAREST: a.nearest = 1; break;
        case O_HIST: a.hist = 1; break;
        case O_BIN:
            if (cli_opt_int("render", "bin", optarg, 1, 10000, "HU, 1..10000", &a.bin))
                return PM_EUSAGE;
            break;
        case O_RANGE:
            if (cli_parse_pair(optarg, ':', -100000, 100000, &a.lo, &a.hi) || a.hi <= a.lo)
                return cli_usage("render", "bad --range '%s' (LO:HI)", optarg);
            break;
        case O_LOG: a.log = 1; break;
        case O_MESH: a.mesh = optarg; break;
        case O_AZ:
            if (cli_opt_real("render", "azimuth", optarg, -1e6, 1e6, 0, "degrees", &a.azimuth))
                return PM_EUSAGE;
            break;
        case O_EL:
            if (cli_opt_real("render", "elevation", optarg, -90, 90, 0, NULL, &a.elevation))
                return PM_EUSAGE;
            break;
        case O_ZOOM:
            if (cli_opt_real("render", "zoom", optarg, 0.01, 100, 1, NULL, &a.zoom))
                return PM_EUSAGE;
            break;
        case O_SIZE:
            if (cli_parse_pair(optarg, 'x', -100000, 100000, &a.w, &a.h) || a.w < 1 || a.h < 1 || a.w > 16384
                || a.h > 16384)
                return cli_usage("render", "bad --size '%s' (WxH, 1..16384)", optarg);
            break;
        case 'o': a.out = optarg; nkinds++; break;
        case O_SIXEL: a.gfx = PM_GFX_SIXEL; nkinds++; break;
        case O_TEXT: a.want_text = 1; nkinds++; break;
        case O_GFX: {
            int gg = pm_graphics_parse(optarg);
            if (gg < 0)
                return cli_usage("render", "bad --graphics '%s' (sixel, kitty, iterm2, text, ascii)", optarg);
            a.gfx = (pm_graphics)gg;
            break;
        }
        case O_SERIES: a.uid = optarg; break;
        case O_MEM:
            if (cli_parse_memory(optarg, &a.lo_opts) != 0)
                return cli_usage("render", "bad --max-memory '%s'", optarg);
            break;
        case 'h': fputs(render_help, stdout); return PM_OK;
        default: return cli_usage("render", "unknown option");
        }
    }
    if (nkinds > 1)
        return cli_usage("render", "choose one of -o, --sixel and --text");
    if (a.mesh ? optind != argc : optind != argc - 1)
        return cli_usage("render", a.mesh ? "--mesh takes no SERIES_DIR" : "expects one SERIES_DIR");
    if (!a.mesh)
        a.dir = argv[optind];
    /* The series folder is the input pulmo never writes into; a mesh or
     * mask file is usually pulmo's own output, so a picture may go beside it. */
    if (a.out && a.dir && pm_io_protect(a.dir) != 0)
        return cli_fail(PM_ENODATA, "input not found");
    /* --text picks text graphics (ASCII under NO_COLOR unless --graphics
     * says otherwise); with no choice at all the terminal is asked. */
    pm_term_caps caps;
    pm_graphics g = a.gfx;
    if (a.want_text && g == PM_GFX_AUTO)
        g = PM_GFX_TEXT;
    if (!a.out && g == PM_GFX_AUTO && isatty(1))
        pm_term_probe(&caps, 1.0); /* returns at the DA1 reply; the limit is for far SSH links */
    else
        pm_term_env(&caps);
    if (!a.out)
        g = pm_term_choose(&caps, g);
    return a.mesh ? render_mesh(&a, g, &caps) : render_series(&a, g, &caps);
}
