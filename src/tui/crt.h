/* crt.h - the terminal: curses, colours by role, clean text, and pictures
 * drawn as cells or sixel (crt.c, gfx.c). Every screen draws through it.
 */
#ifndef PULMO_TUI_CRT_H
#define PULMO_TUI_CRT_H

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "pulmo/render.h"


typedef enum tui_role {
    ROLE_NORMAL = 1, ROLE_TITLE, ROLE_HEADER, ROLE_SELECTED, ROLE_STATUS, ROLE_BUSY,
    ROLE_WARNING, ROLE_ERROR, ROLE_DIM, ROLE_KEY, ROLE_PROGRESS, ROLE_PATIENT,
    ROLE_DIALOG, ROLE_CURSOR, ROLE_MARK, ROLE_OVERLAY, ROLE_COUNT
} tui_role;

typedef enum tui_gfx { GFX_ASCII, GFX_SHADE, GFX_HALF, GFX_SIXEL } tui_gfx;

typedef struct tui_crt {
    int colors;         /* 0 with NO_COLOR or a monochrome terminal */
    int utf8;
    tui_gfx gfx;        /* how images are drawn */
    int in_tmux;
    int cell_w, cell_h; /* pixels of one cell (for sixel) */
    int registers;      /* sixel colour registers */
} tui_crt;

extern tui_crt crt;

/* Probes the terminal (pm_term_probe), then starts curses with stderr moved
 * away from the screen. gfx is the user's choice (PM_GFX_AUTO, ...).
 * Returns 0, or -1 when the terminal cannot run curses. */
int crt_init(int gfx);
/* Restores the terminal and stderr; safe to call twice. The signal
 * handlers call it too, as a best effort: endwin is not async-signal-safe,
 * so a signal arriving while curses is mid-write may leave the terminal
 * needing `reset`; leaving it in raw mode for sure would be worse. */
void crt_done(void);
/* Colour (or attribute fallback) of a role. */
attr_t crt_attr(tui_role r);
void crt_role(tui_role r);
/* Writes clean UTF-8 text at (y, x), clipped to width cells. */
void crt_text(int y, int x, int width, const char *s);
/* printf into crt_text. */
void crt_textf(int y, int x, int width, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Fills a row range with blanks in the current role. */
void crt_clear_rows(int y0, int y1);

/* Pixel grid of a (cols x rows) cell box for the current graphics mode, and
 * the height/width ratio of one of those pixels on screen. */
void crt_fb_size(int cols, int rows, int *w, int *h, double *aspect);
/* Draws fb into the cell box at (y, x). For sixel the image is queued and
 * written after the next refresh (crt_flush_sixel). */
void crt_draw_fb(const pm_fb *fb, int y, int x, int cols, int rows);
/* After refresh(): writes a queued sixel image straight to the terminal. */
void crt_flush_sixel(void);
/* Forgets queued sixels and sends every picture again on the next frame
 * (a dialog or a resize painted over them). */
void crt_drop_sixel(void);

#endif
