/* app.h - the terminal UI's shared state, status line and modal dialogs
 * (app.c). Screens include this; the loop itself is private to app.c.
 */
#ifndef PULMO_TUI_APP_H
#define PULMO_TUI_APP_H

#include "crt.h"
#include "job.h"
#include "screen.h"

#include "pulmo/series.h"
#include "pulmo/volume.h"

typedef struct tui_app {
    const char *root;
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
/* Modal line editor in a box; returns 1 with buf filled, 0 on Escape. */
int app_prompt(const char *title, char *buf, size_t cap);
/* Modal yes/no question; 1 for yes. */
int app_confirm(const char *question);

#endif
