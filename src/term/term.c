/* term.c - terminal capability probing (see term.h). */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* One control sequence CSI [private] params final, as found in a reply. */
typedef struct term__csi {
    char priv;            /* '?' or 0 */
    int p[16];
    int np;
    char final;
} term__csi;

/* Finds the next complete CSI sequence at or after *pos; 0 when found. */
static int term__next_csi(const char *b, size_t n, size_t *pos, term__csi *c)
{
    for (size_t i = *pos; i < n; i++) {
        size_t j;
        if (b[i] == '\033' && i + 1 < n && b[i + 1] == '[')
            j = i + 2;
        else if ((unsigned char)b[i] == 0x9b)
            j = i + 1;
        else
            continue;
        memset(c, 0, sizeof *c);
        if (j < n && (b[j] == '?' || b[j] == '>' || b[j] == '='))
            c->priv = b[j++];
        int cur = 0, have = 0;
        for (; j < n; j++) {
            unsigned char ch = (unsigned char)b[j];
            if (ch >= '0' && ch <= '9') {
                if (cur < 100000000)
                    cur = cur * 10 + (ch - '0');
                have = 1;
            } else if (ch == ';') {
                if (c->np < 16)
                    c->p[c->np++] = cur;
                cur = have = 0;
            } else if (ch >= 0x40 && ch <= 0x7e) {
                if ((have || c->np) && c->np < 16)
                    c->p[c->np++] = cur;
                c->final = (char)ch;
                *pos = j + 1;
                return 0;
            } else {
                break; /* not a well-formed reply: look further */
            }
        }
        if (j >= n)
            return -1;
    }
    return -1;
}

int pm_term_parse_da1(const char *buf, size_t n)
{
    size_t pos = 0;
    term__csi c;
    while (term__next_csi(buf, n, &pos, &c) == 0) {
        if (c.priv != '?' || c.final != 'c')
            continue;
        /* The first parameter is the terminal class (62..65 or 1), the rest
         * are its features. */
        for (int i = 1; i < c.np; i++)
            if (c.p[i] == 4)
                return 1;
        return 0;
    }
    return -1;
}

int pm_term_parse_xtsm(const char *buf, size_t n, int item, int *v1, int *v2)
{
    size_t pos = 0;
    term__csi c;
    while (term__next_csi(buf, n, &pos, &c) == 0) {
        if (c.priv != '?' || c.final != 'S' || c.np < 3 || c.p[0] != item)
            continue;
        if (c.p[1] != 0)
            return -1;
        *v1 = c.p[2];
        if (v2)
            *v2 = c.np > 3 ? c.p[3] : 0;
        return 0;
    }
    return -1;
}

int pm_term_parse_kitty(const char *buf, size_t n)
{
    static const char ok[] = "\033_Gi=31;OK\033\\";
    return memmem(buf, n, ok, sizeof ok - 1) != NULL;
}

int pm_term_parse_version(const char *buf, size_t n, char *name, size_t cap)
{
    const char *p = memmem(buf, n, "\033P>|", 4);
    if (!p || !cap)
        return -1;
    const char *end = buf + n;
    size_t k = 0;
    for (p += 4; p < end && *p != '\033' && (unsigned char)*p != 0x9c; p++)
        if ((unsigned char)*p >= 0x20 && *p != 0x7f && k + 1 < cap)
            name[k++] = *p;
    if (p >= end)
        return -1;
    name[k] = '\0';
    return 0;
}

int pm_term_parse_cell(const char *buf, size_t n, int *w, int *h)
{
    size_t pos = 0;
    term__csi c;
    while (term__next_csi(buf, n, &pos, &c) == 0) {
        if (c.priv || c.final != 't' || c.np < 3 || c.p[0] != 6)
            continue;
        *h = c.p[1];
        *w = c.p[2];
        return *w > 0 && *h > 0 ? 0 : -1;
    }
    return -1;
}

void pm_term_env(pm_term_caps *caps)
{
    memset(caps, 0, sizeof *caps);
    const char *ct = getenv("COLORTERM");
    caps->truecolor = ct && (!strcasecmp(ct, "truecolor") || !strcasecmp(ct, "24bit"));
    const char *nc = getenv("NO_COLOR");
    caps->no_color = nc && *nc;
    const char *term = getenv("TERM");
    caps->multiplexer = (getenv("TMUX") && *getenv("TMUX")) || (getenv("STY") && *getenv("STY"))
                        || (term && (!strncmp(term, "screen", 6) || !strncmp(term, "tmux", 4)));
}

static double term__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void pm_term_probe(pm_term_caps *caps, double timeout)
{
    pm_term_env(caps);
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct termios saved, raw;
    if (!isatty(fd) || tcgetattr(fd, &saved) != 0) {
        close(fd);
        return;
    }
    caps->tty = 1;
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
        caps->cols = ws.ws_col;
        caps->rows = ws.ws_row;
        caps->win_w = ws.ws_xpixel;
        caps->win_h = ws.ws_ypixel;
    }
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb")) {
        close(fd);
        return;
    }
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &raw) != 0) {
        close(fd);
        return;
    }
    static const char q[] = "\033[?1;1;0S\033[?2;1;0S\033[16t\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\"
                            "\033[>0q\033[c";
    char buf[1024];
    size_t n = 0;
    if (write(fd, q, sizeof q - 1) == (ssize_t)(sizeof q - 1)) {
        double end = term__now() + timeout;
        while (n < sizeof buf - 1 && pm_term_parse_da1(buf, n) < 0) {
            double left = end - term__now();
            if (left <= 0)
                break;
            struct pollfd p = {fd, POLLIN, 0};
            int r = poll(&p, 1, (int)(left * 1000) + 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
            if (got <= 0)
                break;
            n += (size_t)got;
        }
    }
    tcsetattr(fd, TCSANOW, &saved);
    close(fd);
    int da = pm_term_parse_da1(buf, n);
    caps->answered = da >= 0;
    caps->sixel = da == 1;
    caps->kitty = pm_term_parse_kitty(buf, n);
    if (pm_term_parse_version(buf, n, caps->version, sizeof caps->version) != 0)
        caps->version[0] = '\0';
    int v1, v2;
    if (pm_term_parse_xtsm(buf, n, 1, &v1, NULL) == 0 && v1 > 0)
        caps->registers = v1;
    if (pm_term_parse_xtsm(buf, n, 2, &v1, &v2) == 0 && v1 > 0 && v2 > 0) {
        caps->max_w = v1;
        caps->max_h = v2;
    }
    int cw, ch;
    if (caps->cols > 0 && caps->rows > 0 && caps->win_w > 0 && caps->win_h > 0) {
        caps->cell_w = caps->win_w / caps->cols;
        caps->cell_h = caps->win_h / caps->rows;
    } else if (pm_term_parse_cell(buf, n, &cw, &ch) == 0) {
        caps->cell_w = cw;
        caps->cell_h = ch;
        caps->win_w = cw * caps->cols;
        caps->win_h = ch * caps->rows;
    }
}

pm_graphics pm_term_choose(const pm_term_caps *caps, pm_graphics want)
{
    if (want == PM_GFX_TEXT && caps->no_color)
        return PM_GFX_ASCII;
    if (want != PM_GFX_AUTO)
        return want;
    const char *term = getenv("TERM");
    if (!caps->multiplexer && caps->kitty)
        return PM_GFX_KITTY;
    if (!caps->multiplexer && (strstr(caps->version, "iTerm2") || strstr(caps->version, "WezTerm")))
        return PM_GFX_ITERM;
    if (caps->sixel && !caps->multiplexer)
        return PM_GFX_SIXEL;
    if (caps->no_color || (term && !strcmp(term, "dumb")))
        return PM_GFX_ASCII;
    return PM_GFX_TEXT;
}

void pm_term_sixel_limit(const pm_term_caps *caps, int *max_w, int *max_h)
{
    int w = caps->max_w > 0 ? caps->max_w : PM_TERM_SIXEL_DEFAULT;
    int h = caps->max_h > 0 ? caps->max_h : PM_TERM_SIXEL_DEFAULT;
    *max_w = w;
    *max_h = h >= 6 ? h - h % 6 : h;
}

int pm_graphics_parse(const char *s)
{
    if (!strcmp(s, "sixel"))
        return PM_GFX_SIXEL;
    if (!strcmp(s, "kitty"))
        return PM_GFX_KITTY;
    if (!strcmp(s, "iterm2") || !strcmp(s, "iterm"))
        return PM_GFX_ITERM;
    if (!strcmp(s, "text"))
        return PM_GFX_TEXT;
    if (!strcmp(s, "ascii"))
        return PM_GFX_ASCII;
    if (!strcmp(s, "auto"))
        return PM_GFX_AUTO;
    return -1;
}
