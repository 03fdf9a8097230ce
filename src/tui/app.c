/* app.c - `pulmo [ROOT]`: the main loop, the title and status lines, and
 * the modal dialogs (help, a line prompt, a yes/no question).
 *
 * The loop waits for a key with a 100 ms timeout, so it never blocks on
 * work: jobs run on threads (job.c) and are polled on every tick; while one
 * runs, the status line redraws with its progress. Keys go to the screen
 * named by app.screen; its handler returns reaction flags (tui.h).
 */
#include "tui.h"
#include "viewer.h"
#include "../cli/cli.h"
#include "pulmo/io.h"
#include "pulmo/text.h"
#include "../term/term.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tui_app app;

void app_message(int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app.status, sizeof app.status, fmt, ap);
    va_end(ap);
    pm_text_clean_inplace(app.status);
    app.status_error = error;
    app.dirty = 1;
}

void app_title(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    crt_role(ROLE_TITLE);
    crt_clear_rows(0, 0);
    crt_text(0, 1, COLS - 2, buf);
    crt_role(ROLE_NORMAL);
}

/* The job running on behalf of the current screen, if any. */
static tui_job *busy_job(void);

void app_status_line(const char *hints)
{
    int y = LINES - 1;
    tui_job *j = busy_job();
    if (j) {
        double f;
        char stage[64];
        job_peek(j, &f, stage, sizeof stage);
        char left[160];
        snprintf(left, sizeof left, " %s%s%s %3.0f%% ", j->what, stage[0] ? ": " : "", stage, f * 100);
        crt_role(ROLE_BUSY);
        crt_clear_rows(y, y);
        crt_text(y, 0, COLS, left);
        int x0 = (int)pm_text_width(left), bw = COLS - x0 - 16;
        if (bw > 4) {
            int fill = (int)(f * bw + 0.5);
            crt_role(ROLE_PROGRESS);
            for (int i = 0; i < fill; i++)
                mvaddch(y, x0 + i, crt.colors ? ' ' : '#');
            crt_role(ROLE_BUSY);
            for (int i = fill; i < bw; i++)
                mvaddch(y, x0 + i, crt.colors ? ' ' : '.');
            crt_text(y, x0 + bw + 1, 15, "Esc cancels");
        }
        crt_role(ROLE_NORMAL);
        return;
    }
    crt_role(ROLE_STATUS);
    crt_clear_rows(y, y);
    /* Key hints keep their place on the right; the message gets the rest. */
    int hw = (int)strlen(hints);
    if (hw > COLS - 12)
        hw = COLS - 12 > 0 ? COLS - 12 : 0;
    if (hw > 0)
        crt_text(y, COLS - hw - 1, hw, hints);
    if (app.status[0]) {
        crt_role(app.status_error ? ROLE_ERROR : ROLE_STATUS);
        crt_textf(y, 0, COLS - hw - 3, " %s ", app.status);
    }
    crt_role(ROLE_NORMAL);
}

int app_dispatch(const tui_binding *t, int key)
{
    /* An action returning R_NONE does not apply now: the key passes on. */
    for (; t->fn; t++)
        if (t->key == key) {
            int r = t->fn();
            return r ? r | R_HANDLED : R_NONE;
        }
    return R_NONE;
}

/* A box centred on the screen, cleared, with a title. */
static void box_at(int h, int w, int *y, int *x, const char *title)
{
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    *y = (LINES - h) / 2;
    *x = (COLS - w) / 2;
    crt_role(ROLE_DIALOG);
    for (int r = 0; r < h; r++) {
        move(*y + r, *x);
        hline(' ', w);
    }
    crt_textf(*y, *x + 2, w - 4, " %s ", title);
}

void app_help(const tui_binding *const *tables, const char *const *titles, int ntables)
{
    int top = 0;
    crt_drop_sixel();
    for (;;) {
        /* Lines: a title per table, then "key  help" per binding. */
        char lines[256][96];
        int n = 0;
        for (int t = 0; t < ntables && n < 256; t++) {
            snprintf(lines[n++], sizeof lines[0], "#%s", titles[t]);
            for (const tui_binding *b = tables[t]; b->fn && n < 256; b++) {
                if (!b->help)
                    continue;
                snprintf(lines[n++], sizeof lines[0], "  %-12s %s", b->keyname, b->help);
            }
            if (n < 256)
                lines[n++][0] = '\0';
        }
        int y, x, h = LINES - 2, w = COLS - 4 > 76 ? 76 : COLS - 4;
        box_at(h, w, &y, &x, "Keys (Esc, q or ? closes; j/k scroll)");
        int rows = h - 2;
        if (top > n - rows)
            top = n - rows;
        if (top < 0)
            top = 0;
        for (int r = 0; r < rows && top + r < n; r++) {
            const char *l = lines[top + r];
            if (l[0] == '#') {
                attron(A_BOLD);
                crt_text(y + 1 + r, x + 2, w - 4, l + 1);
                attroff(A_BOLD);
            } else {
                crt_text(y + 1 + r, x + 2, w - 4, l);
            }
        }
        crt_role(ROLE_NORMAL);
        refresh();
        int k = getch();
        if (k == 27 || k == 'q' || k == '?' || k == KEY_F(1))
            break;
        if (k == 'j' || k == KEY_DOWN)
            top++;
        else if (k == 'k' || k == KEY_UP)
            top--;
        else if (k == KEY_NPAGE || k == ' ')
            top += rows;
        else if (k == KEY_PPAGE)
            top -= rows;
        else if (k == KEY_RESIZE)
            erase();
    }
    erase();
    app.dirty = 1;
}

int app_prompt(const char *title, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    crt_drop_sixel();
    for (;;) {
        int y, x, w = COLS - 4 > 90 ? 90 : COLS - 4;
        box_at(5, w, &y, &x, title);
        crt_text(y + 3, x + 2, w - 4, "Enter accepts, Esc cancels");
        /* Show the end of a long path. */
        size_t vis = (size_t)(w - 6), off = len > vis ? len - vis : 0;
        crt_role(ROLE_NORMAL);
        move(y + 2, x + 2);
        hline(' ', w - 4);
        crt_text(y + 2, x + 2, w - 5, buf + off);
        curs_set(1);
        move(y + 2, x + 2 + (int)(len - off));
        refresh();
        int k = getch();
        if (k == 27) {
            curs_set(0);
            erase();
            app.dirty = 1;
            return 0;
        }
        if (k == '\n' || k == '\r' || k == KEY_ENTER) {
            curs_set(0);
            erase();
            app.dirty = 1;
            return 1;
        }
        if ((k == KEY_BACKSPACE || k == 127 || k == 8) && len > 0) {
            /* Whole UTF-8 code points. */
            do
                len--;
            while (len > 0 && ((unsigned char)buf[len] & 0xC0) == 0x80);
            buf[len] = '\0';
        } else if (k == 21) { /* ^U */
            len = 0;
            buf[0] = '\0';
        } else if (k >= 32 && k < 256 && k != 127 && len + 1 < cap) {
            buf[len++] = (char)k;
            buf[len] = '\0';
        } else if (k == KEY_RESIZE) {
            erase();
        }
    }
}

int app_confirm(const char *question)
{
    crt_drop_sixel();
    for (;;) {
        int y, x, w = COLS - 4 > 90 ? 90 : COLS - 4;
        box_at(4, w, &y, &x, "Confirm");
        crt_text(y + 1, x + 2, w - 4, question);
        crt_text(y + 2, x + 2, w - 4, "y = yes, n or Esc = no");
        crt_role(ROLE_NORMAL);
        refresh();
        int k = getch();
        if (k == 'y' || k == 'Y' || k == 'n' || k == 'N' || k == 27) {
            erase();
            app.dirty = 1;
            return k == 'y' || k == 'Y';
        }
        if (k == KEY_RESIZE)
            erase();
    }
}

static tui_job *busy_job(void)
{
    if (app.load.running)
        return &app.load;
    return app.screen == SCR_VIEWER && app.vol ? panels_busy() : NULL;
}

static void draw(void)
{
    /* Sixel pixels live outside curses' buffer: when the layout changes,
     * repaint every cell so no stale picture survives under text. */
    static int last_layout = -1;
    int layout = app.screen == SCR_VIEWER && app.vol ? 1 + viewer_layout() : 0;
    if (crt.gfx == GFX_SIXEL && layout != last_layout) {
        clearok(curscr, TRUE);
        crt_drop_sixel();
    }
    last_layout = layout;
    erase();
    if (LINES < 10 || COLS < 40) {
        crt_text(0, 0, COLS, "pulmo: window too small");
        crt_text(1, 0, COLS, "(needs 40x10)");
    } else if (app.screen == SCR_BROWSER) {
        browser_draw();
    } else {
        viewer_draw();
    }
    refresh();
    crt_flush_sixel();
}

void app_redraw_now(void)
{
    draw();
}

static void loop(void)
{
    timeout(100);
    app.dirty = 1;
    while (!app.quit) {
        if (app.dirty) {
            app.dirty = 0;
            draw();
        }
        int k = getch();
        if (k == KEY_RESIZE) {
            clearok(curscr, TRUE);
            crt_drop_sixel();
            app.dirty = 1;
        } else if (k != ERR) {
            int r = app.screen == SCR_BROWSER ? browser_key(k) : viewer_key(k);
            if (r & R_QUIT)
                app.quit = 1;
            if (r & (R_REDRAW | R_IMAGE | R_HANDLED))
                app.dirty = 1;
        }
        if (job_finished(&app.load)) {
            browser_job_done();
            app.dirty = 1;
        }
        viewer_tick();
        if (busy_job())
            app.dirty = 1;
    }
}

static const char tui_help[] =
    "usage: pulmo [ROOT] [--ascii] [--graphics MODE]\n\n"
    "Open the interactive terminal UI on the DICOM series under ROOT (default: the\n"
    "current folder). `?` inside lists every key.\n\n"
    "  --ascii          draw pictures with ASCII characters only\n"
    "  --graphics MODE  sixel, text (Unicode half blocks), ascii or auto (default:\n"
    "                   sixel when the terminal has it outside tmux/screen)\n"
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
                return cli_usage("", "--graphics takes sixel, text, ascii or auto, not '%s'", m);
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
    if (!pm_is_dir(root)) {
        fprintf(stderr, "pulmo: %s: not a folder\n", root);
        return PM_ENODATA;
    }
    if (!isatty(0) || !isatty(1)) {
        fprintf(stderr, "pulmo: the interactive UI needs a terminal; try 'pulmo --help'\n");
        return PM_EUSAGE;
    }
    pm_io_protect(root);
    memset(&app, 0, sizeof app);
    app.root = root;
    if (crt_init(gfx) != 0) {
        fprintf(stderr, "pulmo: cannot start the terminal UI (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return PM_EUSAGE;
    }
    browser_init();
    loop();
    viewer_done();
    browser_done();
    crt_done();
    return PM_OK;
}
