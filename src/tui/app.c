/* app.c - `pulmo [ROOT]`: the main loop over the stack of screens
 * (screen.h), the title and status lines, and the modal dialogs (help, a
 * line prompt, a yes/no question).
 *
 * The loop waits for a key with a 100 ms timeout, so it never blocks on
 * work: jobs run on threads (job.c) and are polled on every tick; while one
 * runs, the status line redraws with its progress. Keys go to the top
 * screen only; its handler returns reaction flags (screen.h).
 */
#include "tui.h"
#include "app.h"
#include "browser.h"
#include "list.h"
#include "pulmo/io.h"
#include "pulmo/text.h"

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

/* The help box's text: every row a heading, so its list scrolls. */
static int help_no_row(void *ctx, int row)
{
    (void)ctx, (void)row;
    return 0;
}

typedef struct help_text {
    char (*lines)[96];
    int y, x, w;
} help_text;

static void help_row(void *ctx, int i, int line, int selected)
{
    (void)selected;
    const help_text *t = ctx;
    const char *l = t->lines[i];
    if (l[0] == '#') {
        attron(A_BOLD);
        crt_text(t->y + 1 + line, t->x + 2, t->w - 4, l + 1);
        attroff(A_BOLD);
    } else {
        crt_text(t->y + 1 + line, t->x + 2, t->w - 4, l);
    }
}

void app_help(const tui_binding *const *tables, const char *const *titles, int ntables)
{
    tui_list list = {0};
    list.selectable = help_no_row;
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
        help_text text = {lines, 0, 0, COLS - 4 > 76 ? 76 : COLS - 4};
        int h = LINES - 2;
        box_at(h, text.w, &text.y, &text.x, "Keys (Esc, q or ? closes; j/k scroll)");
        list_resize(&list, n);
        list_show(&list, h - 2, help_row, &text);
        crt_role(ROLE_NORMAL);
        refresh();
        int k = getch();
        if (k == 27 || k == 'q' || k == '?' || k == KEY_F(1))
            break;
        if (k == KEY_RESIZE)
            erase();
        else
            list_key(&list, k);
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

/* ---- the stack of screens ------------------------------------------- */

static const tui_screen *stack[APP_MAX_SCREENS];
static int depth;

void app_push(const tui_screen *s)
{
    if (depth < APP_MAX_SCREENS)
        stack[depth++] = s;
    app.dirty = 1;
}

void app_pop(void)
{
    if (depth > 1)
        depth--;
    app.dirty = 1;
}

const tui_screen *app_top(void)
{
    return depth ? stack[depth - 1] : NULL;
}

int app_on_stack(const tui_screen *s)
{
    for (int i = 0; i < depth; i++)
        if (stack[i] == s)
            return 1;
    return 0;
}

static tui_job *busy_job(void)
{
    for (int i = depth - 1; i >= 0; i--) {
        tui_job *j = stack[i]->busy ? stack[i]->busy() : NULL;
        if (j)
            return j;
    }
    return NULL;
}

static void draw(void)
{
    const tui_screen *top = app_top();
    /* Sixel pixels live outside curses' buffer: when the layout changes,
     * repaint every cell so no stale picture survives under text. */
    static const tui_screen *last_top;
    static int last_layout = -1;
    int layout = top && top->layout ? top->layout() : 0;
    if (crt_pixels() && (layout != last_layout || top != last_top)) {
        clearok(curscr, TRUE);
        crt_drop_sixel();
    }
    last_layout = layout;
    last_top = top;
    erase();
    if (LINES < 10 || COLS < 40) {
        crt_text(0, 0, COLS, "pulmo: window too small");
        crt_text(1, 0, COLS, "(needs 40x10)");
    } else if (top) {
        top->draw(0, 0, LINES - 1, COLS);
        app_status_line(top->hints ? top->hints() : "");
    }
    refresh();
    crt_flush_sixel();
}

static int help_of(const tui_screen *s)
{
    const tui_binding *t[APP_MAX_SCREENS * 2];
    const char *titles[APP_MAX_SCREENS * 2];
    int n = s->help ? s->help(t, titles, APP_MAX_SCREENS * 2) : 0;
    if (n <= 0)
        return R_NONE;
    app_help(t, titles, n);
    return R_REDRAW;
}

void app_redraw_now(void)
{
    draw();
}

/* Runs one key on the top screen. */
static void handle_key(int k)
{
    if (k == KEY_RESIZE) {
        clearok(curscr, TRUE);
        crt_drop_sixel();
        app.dirty = 1;
        return;
    }
    const tui_screen *top = app_top();
    if (!top)
        return;
    int r = top->key(k);
    if (!r && (k == '?' || k == KEY_F(1)))
        r = help_of(top);
    if (r & R_QUIT)
        app.quit = 1;
    if (r & (R_REDRAW | R_IMAGE | R_HANDLED))
        app.dirty = 1;
}

/* Keys typed while a picture was on its way (a slow link, a held key)
 * are all applied before the next frame: only the last state is drawn.
 * While keys come faster than REPEAT seconds apart pictures are coarse
 * (crt.coarse: fewer greys); REFINE seconds after the last key the
 * picture is drawn again in full. */
#define REPEAT 0.15
#define REFINE 0.3

static void loop(void)
{
    timeout(100);
    app.dirty = 1;
    double last_key = 0;
    while (!app.quit) {
        if (app.dirty) {
            app.dirty = 0;
            draw();
        }
        int k = getch();
        if (k != ERR) {
            int n = 0;
            timeout(0);
            do {
                handle_key(k);
                n++;
            } while (!app.quit && (k = getch()) != ERR);
            timeout(100);
            double now = pm_now();
            int coarse = n > 1 || now - last_key < REPEAT;
            if (coarse != crt.coarse && app.dirty)
                crt.coarse = coarse;
            last_key = now;
        } else if (crt.coarse && pm_now() - last_key > REFINE) {
            crt.coarse = 0;
            app.dirty = 1;
        }
        /* A tick may push or pop: walk a copy of the stack. */
        const tui_screen *now[APP_MAX_SCREENS];
        int n = depth;
        memcpy(now, stack, sizeof stack);
        for (int i = 0; i < n; i++)
            if (now[i]->tick)
                now[i]->tick();
        if (busy_job())
            app.dirty = 1;
    }
}

int tui_main(const char *root, int gfx)
{
    pm_io_protect(root);
    memset(&app, 0, sizeof app);
    app.root = root;
    depth = 0;
    if (crt_init(gfx) != 0)
        return -1;
    browser_init();
    loop();
    /* Screens free their own state; the browser owns the viewer it opened. */
    browser_done();
    crt_done();
    return 0;
}
