/* tui.h - the curses front end (`pulmo [ROOT]`): shared state and the
 * screens' interfaces.
 *
 * The division of work follows htop and ncdu: crt.c owns curses, colours,
 * signals and the terminal's graphics; job.c runs long core calls on a
 * worker thread with progress and cancel; app.c holds the main loop, which
 * switches on one state variable (the screen) to draw and to route keys, and
 * the dialogs; each screen exports _init/_draw/_key. Keys of a screen are
 * looked up in a key-indexed table of actions (one function per command);
 * actions return reaction flags saying what must be redrawn.
 *
 * Nothing is computed here: pixels, segmentation and meshes come from the
 * core library; the front end keeps the view state and draws text.
 */
#ifndef PULMO_TUI_H
#define PULMO_TUI_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "pulmo/core.h"
#include "pulmo/render.h"
#include "pulmo/series.h"
#include "pulmo/volume.h"

/* ---- crt.c: terminal, colours by role, graphics ----------------------- */

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
    int max_w, max_h;   /* largest sixel image the terminal shows */
    int greys;          /* grey levels of a sixel picture */
} tui_crt;

extern tui_crt crt;

/* Probes the terminal (pm_term_probe), then starts curses with stderr moved
 * away from the screen. gfx is the user's choice (PM_GFX_AUTO, ...).
 * Returns 0, or -1 when the terminal cannot run curses. */
int crt_init(int gfx);
/* Restores the terminal and stderr; safe to call twice and from signals. */
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

/* ---- job.c: one long core call on a worker thread -------------------- */

typedef struct tui_job tui_job;
typedef int (*tui_work_fn)(tui_job *j);

struct tui_job {
    const char *what;            /* status line text: "loading series" */
    tui_work_fn work;
    void *arg;
    void *result;
    int status;                  /* pm_status of work */
    char error[640];             /* pm_error() of the worker on failure */
    double started, finished;
    pthread_t th;
    pthread_mutex_t mu;
    double fraction;
    char stage[64];
    atomic_int cancel;
    atomic_int done;
    int running;
};

/* Starts work on a thread. Returns 0, or -1 (and sets error) if the thread
 * could not start. */
int job_start(tui_job *j, const char *what, tui_work_fn work, void *arg);
/* A progress callback for the core that records the fraction and returns
 * the cancel flag. */
pm_progress job_progress(tui_job *j);
/* 1 when a started job has finished (joined; status/result valid). */
int job_finished(tui_job *j);
void job_cancel(tui_job *j);
/* Cancels and joins. */
void job_stop(tui_job *j);
/* Fraction and stage under the lock. */
void job_peek(tui_job *j, double *fraction, char *stage, size_t cap);

/* ---- app.c: state, loop, dialogs ------------------------------------- */

typedef enum tui_screen { SCR_BROWSER, SCR_VIEWER } tui_screen;

/* Reaction flags returned by actions and key handlers. */
enum {
    R_NONE = 0,
    R_REDRAW = 1,       /* redraw the screen */
    R_IMAGE = 2,        /* the picture changed (re-render pixels) */
    R_HANDLED = 4,      /* key consumed */
    R_QUIT = 8,
};

typedef int (*tui_action)(void);

typedef struct tui_binding {
    int key;
    tui_action fn;
    const char *keyname;
    const char *help;
} tui_binding;

typedef struct tui_app {
    const char *root;
    tui_screen screen;
    int quit;
    int dirty;
    char status[512];       /* last message: result or failure */
    int status_error;
    tui_job load;           /* scan or load */
    pm_index *index;
    pm_volume *vol;
    char vol_label[400];
    char vol_dir[4096];     /* folder of the loaded series */
} tui_app;

extern tui_app app;

void app_message(int error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Draws the bottom status line: the running job with a progress bar, or the
 * last message, then the screen's key hints. */
void app_status_line(const char *hints);
/* Draws the current screen at once (before a short blocking write). */
void app_redraw_now(void);
/* Title bar on row 0. */
void app_title(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Help overlay from one or more binding tables (NULL-key terminated). */
void app_help(const tui_binding *const *tables, const char *const *titles, int ntables);
/* Looks key up in a table and runs it; R_NONE if unbound. */
int app_dispatch(const tui_binding *t, int key);
/* Modal line editor in a box; returns 1 with buf filled, 0 on Escape. */
int app_prompt(const char *title, char *buf, size_t cap);
/* Modal yes/no question; 1 for yes. */
int app_confirm(const char *question);

/* ---- browser.c ------------------------------------------------------- */
void browser_init(void);
void browser_draw(void);
int browser_key(int key);
void browser_done(void);
/* Called by the loop when the scan or load job ends. */
void browser_job_done(void);

/* ---- viewer.c -------------------------------------------------------- */
void viewer_open(pm_volume *v);
void viewer_draw(void);
int viewer_key(int key);
void viewer_done(void);
/* Polls the viewer's background work; called on every loop tick. */
void viewer_tick(void);

#endif
