/* crt.c - the terminal: curses setup and teardown, signals, colours named
 * by role, stderr kept off the screen, and drawing RGB pictures as cells
 * (Unicode half blocks, shade characters, ASCII) or as sixel.
 *
 * GDCM and other libraries write to stderr; while curses owns the screen
 * file descriptor 2 points to a file (PULMO_STDERR, else an unlinked
 * temporary file), so nothing can scribble on the UI. Every way out
 * (normal exit, SIGINT/SIGTERM/SIGHUP, a crash) goes through crt_done so
 * the terminal is never left in raw mode.
 */
#include "crt.h"
#include "pulmo/text.h"
#include "../term/term.h"

#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tui_crt crt;

static SCREEN *screen;
static int saved_stderr = -1;
static volatile sig_atomic_t active;
static struct sigaction old_fatal[32];

/* ---- stderr ----------------------------------------------------------- */

static void stderr_away(void)
{
    fflush(stderr);
    saved_stderr = dup(2);
    const char *path = getenv("PULMO_STDERR");
    int fd = -1;
    if (path && *path)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        FILE *t = tmpfile();
        if (t)
            fd = dup(fileno(t));
        if (t)
            fclose(t);
    }
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}

static void stderr_back(void)
{
    if (saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

/* ---- signals ---------------------------------------------------------- */

/* Not async-signal-safe (endwin, stdio): a best effort, see crt.h. */
static void on_quit_signal(int sig)
{
    crt_done();
    _exit(sig == SIGINT ? PM_ECANCEL : 128 + sig);
}

/* Restores the terminal, then hands the signal to the previous handler
 * (the sanitizer's, or the default): a real fault happens again when the
 * handler returns; a signal sent with kill() or raise() is raised again. */
static void on_fatal_signal(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    crt_done();
    if (sig >= 0 && sig < 32)
        sigaction(sig, &old_fatal[sig], NULL);
    else
        signal(sig, SIG_DFL);
    if (sig == SIGABRT || !info || info->si_code <= 0)
        raise(sig);
}

static void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_NODEFER | SA_SIGINFO;
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, &old_fatal[fatal[i]]);
    signal(SIGPIPE, SIG_IGN);
}

static void init_roles(void)
{
    if (!crt.colors)
        return;
    static const short fg[ROLE_COUNT] = {
        [ROLE_NORMAL] = -1, [ROLE_TITLE] = COLOR_BLACK, [ROLE_HEADER] = COLOR_BLACK,
        [ROLE_SELECTED] = COLOR_BLACK, [ROLE_STATUS] = COLOR_BLACK, [ROLE_BUSY] = COLOR_BLACK,
        [ROLE_WARNING] = COLOR_YELLOW, [ROLE_ERROR] = COLOR_RED, [ROLE_DIM] = COLOR_BLUE,
        [ROLE_KEY] = COLOR_CYAN, [ROLE_PROGRESS] = COLOR_BLACK, [ROLE_PATIENT] = COLOR_GREEN,
        [ROLE_DIALOG] = COLOR_WHITE, [ROLE_CURSOR] = COLOR_BLACK, [ROLE_MARK] = COLOR_RED,
        [ROLE_OVERLAY] = COLOR_GREEN};
    static const short bg[ROLE_COUNT] = {
        [ROLE_NORMAL] = -1, [ROLE_TITLE] = COLOR_CYAN, [ROLE_HEADER] = COLOR_GREEN,
        [ROLE_SELECTED] = COLOR_CYAN, [ROLE_STATUS] = COLOR_WHITE, [ROLE_BUSY] = COLOR_YELLOW,
        [ROLE_WARNING] = -1, [ROLE_ERROR] = -1, [ROLE_DIM] = -1, [ROLE_KEY] = -1,
        [ROLE_PROGRESS] = COLOR_GREEN, [ROLE_PATIENT] = -1, [ROLE_DIALOG] = COLOR_BLUE,
        [ROLE_CURSOR] = COLOR_YELLOW, [ROLE_MARK] = -1, [ROLE_OVERLAY] = -1};
    for (int r = 1; r < ROLE_COUNT; r++)
        init_pair((short)r, fg[r], bg[r]);
}

attr_t crt_attr(tui_role r)
{
    if (crt.colors) {
        attr_t a = COLOR_PAIR(r);
        if (r == ROLE_TITLE || r == ROLE_HEADER || r == ROLE_PATIENT || r == ROLE_ERROR)
            a |= A_BOLD;
        return a;
    }
    switch (r) {
    case ROLE_TITLE: case ROLE_HEADER: case ROLE_SELECTED: case ROLE_STATUS:
    case ROLE_PROGRESS: case ROLE_CURSOR: case ROLE_DIALOG:
        return A_REVERSE;
    case ROLE_BUSY: case ROLE_ERROR: case ROLE_PATIENT: case ROLE_KEY: case ROLE_MARK:
        return A_BOLD;
    case ROLE_DIM:
        return A_DIM;
    default:
        return A_NORMAL;
    }
}

void crt_role(tui_role r)
{
    attrset(crt_attr(r));
}

int crt_init(int gfx)
{
    setlocale(LC_ALL, "");
    crt.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    pm_term_caps caps;
    if (gfx == PM_GFX_ASCII || gfx == PM_GFX_TEXT)
        pm_term_env(&caps);
    else
        pm_term_probe(&caps, 1.0); /* returns at the DA1 reply; a terminal still starting is slow */
    int mode = pm_term_choose(&caps, gfx);
    crt.in_tmux = caps.multiplexer;
    crt.cell_w = caps.cell_w > 0 ? caps.cell_w : 10;
    crt.cell_h = caps.cell_h > 0 ? caps.cell_h : 20;
    crt.registers = caps.registers > 0 ? caps.registers : 256;
    pm_term_sixel_limit(&caps, &crt.max_w, &crt.max_h);
    crt.greys = 24;
    stderr_away();
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        stderr_back();
        return -1;
    }
    set_term(screen);
    active = 1;
    signals_install();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(40);
    curs_set(0);
    crt.colors = 0;
    if (has_colors() && !(getenv("NO_COLOR") && *getenv("NO_COLOR"))) {
        start_color();
        use_default_colors();
        crt.colors = COLORS;
    }
    init_roles();
    if (mode == PM_GFX_ASCII || !crt.utf8)
        crt.gfx = GFX_ASCII;
    else if (mode == PM_GFX_SIXEL)
        crt.gfx = GFX_SIXEL;
    else if (mode == PM_GFX_KITTY)
        crt.gfx = GFX_KITTY;
    else if (mode == PM_GFX_ITERM)
        crt.gfx = GFX_ITERM;
    else if (crt.colors >= 256 && COLOR_PAIRS >= 1024)
        crt.gfx = GFX_HALF;
    else
        crt.gfx = GFX_SHADE;
    return 0;
}

void crt_done(void)
{
    if (!active)
        return;
    active = 0;
    endwin();
    fflush(stdout);
    stderr_back();
}

void crt_text(int y, int x, int width, const char *s)
{
    if (width <= 0 || y < 0 || y >= LINES)
        return;
    int cells = 0;
    size_t n = 0;
    while (s[n]) {
        if (((unsigned char)s[n] & 0xC0) != 0x80) {
            if (cells == width)
                break;
            cells++;
        }
        n++;
    }
    mvaddnstr(y, x, s, (int)n);
}

void crt_textf(int y, int x, int width, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    crt_text(y, x, width, buf);
}

void crt_clear_rows(int y0, int y1)
{
    for (int y = y0; y <= y1 && y < LINES; y++) {
        move(y, 0);
        hline(' ', COLS);
    }
}
