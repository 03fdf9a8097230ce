/* browser.h - the first screen: patients and their series under ROOT
 * (browser.c). It owns the scan and load job (app.load) and opens the
 * viewer screen on the loaded series.
 */
#ifndef PULMO_TUI_BROWSER_H
#define PULMO_TUI_BROWSER_H

#include "screen.h"

extern const tui_screen browser_screen;

/* Starts the scan of app.root and pushes the browser screen. */
void browser_init(void);
/* Stops the job, closes the viewer if open, frees the index. */
void browser_done(void);

#endif
