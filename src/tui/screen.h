/* screen.h - what every screen of the terminal UI is: a small interface
 * the main loop (app.c) drives, and the stack of screens it drives.
 *
 * The loop keeps a stack of screens. The top one is drawn and gets every
 * key; every screen on the stack is ticked (so background work finishes
 * under a screen pushed on top), and the status line shows the busy job
 * of the topmost screen that has one. A key the top screen leaves
 * unhandled (R_NONE) is dropped, except '?' and F1, which open the help
 * box on the tables the screen's help gives. A screen never routes keys
 * to the screen under it.
 *
 * A side panel inside a screen (the viewer's histogram and segmentation
 * panels) is the same interface, drawn into the box its screen gives it;
 * the screen passes it the keys first while it is shown.
 *
 * Adding a screen: fill a tui_screen with its functions (only draw and
 * key are required), push it with app_push, and pop it with app_pop when
 * it closes (its module frees its own state).
 */
#ifndef PULMO_TUI_SCREEN_H
#define PULMO_TUI_SCREEN_H

#include "job.h"

/* Reaction flags returned by actions and key handlers. */
enum {
    R_NONE = 0,
    R_REDRAW = 1,       /* redraw the screen */
    R_IMAGE = 2,        /* the picture changed (re-render pixels) */
    R_HANDLED = 4,      /* key consumed */
    R_QUIT = 8,
};

typedef int (*tui_action)(void);

/* One key of a screen: its action and how the help box shows it (a NULL
 * help hides an alias, such as '>' next to 'j'). Tables end with fn NULL. */
typedef struct tui_binding {
    int key;
    tui_action fn;
    const char *keyname;
    const char *help;
} tui_binding;

/* Runs the action bound to key in t (a linear scan: tables are short).
 * R_NONE when unbound or when the action does not apply now. */
int app_dispatch(const tui_binding *t, int key);

typedef struct tui_screen {
    const char *name;
    /* Draws into the box (screens get rows 0..LINES-2; the loop draws the
     * status line on the last row). */
    void (*draw)(int y, int x, int rows, int cols);
    /* Reaction flags; R_NONE leaves the key unhandled. */
    int (*key)(int key);
    /* Polls background work on every loop pass (NULL: none). */
    void (*tick)(void);
    /* The job whose progress the status line shows, or NULL (NULL: none). */
    tui_job *(*busy)(void);
    /* Key hints for the status line (NULL: none). */
    const char *(*hints)(void);
    /* Fills up to max binding tables and their titles for the help box;
     * returns how many (NULL: no help). */
    int (*help)(const tui_binding **tables, const char **titles, int max);
    /* Optional: a number that changes when the screen's layout does, so
     * sixel pictures are repainted in full (NULL: fixed layout). */
    int (*layout)(void);
} tui_screen;

#define APP_MAX_SCREENS 8

/* Puts s on top of the stack (ignored when full). */
void app_push(const tui_screen *s);
/* Removes the top screen; the bottom one stays. */
void app_pop(void);
/* The top screen, or NULL before the first push. */
const tui_screen *app_top(void);
/* 1 when s is on the stack. */
int app_on_stack(const tui_screen *s);

#endif
