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

typedef enum tui_gfx { GFX_ASCII, GFX_SHADE, GFX_HALF, GFX_SIXEL, GFX_KITTY, GFX_ITERM } tui_gfx;

typedef struct tui_crt {
    int colors;         /* 0 with NO_COLOR or a monochrome terminal */
    int utf8;
    tui_gfx gfx;        /* how images are drawn */
    int in_tmux;
    int cell_w, cell_h; /* pixels of one cell (for sixel) */
    int registers;      /* sixel colour registers */
    int max_w, max_h;   /* largest sixel image the terminal shows */
    int greys;          /* grey levels of a sixel picture */
    int coarse;         /* keys are repeating: cheaper pictures until they stop */
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

/* The core's picture for a (cols x rows) cell box in the current graphics
 * mode (pm_render_cell_box). */
pm_cell_box crt_cell_box(int cols, int rows);
/* Its pixel grid as the encoder gets it, and the height/width ratio of one
 * of those pixels on screen. */
void crt_fb_size(int cols, int rows, int *w, int *h, double *aspect);
/* Draws fb into the cell box at (y, x). Pictures in pixels (sixel, kitty,
 * iTerm2: pixels.c) are queued and written after the next refresh
 * (crt_flush_sixel), and only when they changed. */
void crt_draw_fb(const pm_fb *fb, int y, int x, int cols, int rows);
/* The same with the cursor crosshair at picture pixel (px, py) (-1: none),
 * drawn apart from the picture where the protocol allows, so a cursor
 * move does not send the picture again. */
void crt_draw_fb_cursor(const pm_fb *fb, int y, int x, int cols, int rows, int px, int py);
/* gfx.c: fb as character cells (half blocks, shades, ASCII). */
void crt_draw_cells(const pm_fb *fb, int y, int x, int cols, int rows);
/* 1 when pictures go as pixels (sixel, kitty, iTerm2). */
int crt_pixels(void);
/* 1 when the terminal scales pictures itself (kitty, iTerm2): send no more
 * pixels than the data has. */
int crt_scales(void);
/* After refresh(): writes the queued pictures and cursor straight to the
 * terminal. */
void crt_flush_sixel(void);
/* Seconds to wait before an animation's next frame: at least `least`,
 * longer when the last pictures took the link long to carry. */
double crt_frame_interval(double least);
/* Forgets queued pictures and sends every picture again on the next frame
 * (a dialog or a resize painted over them). */
void crt_drop_sixel(void);

#endif
