/* tui.h - the terminal UI's one entry point, called by the command line
 * (src/cli/cmd_tui.c parses `pulmo [ROOT]`'s options). The UI's own
 * headers are per part: crt.h (terminal), job.h (worker threads),
 * screen.h (the screen interface), app.h (state, dialogs), list.h
 * (scrolling lists), view.h (the viewer's plane, zoom and pixel mapping),
 * one per screen (browser.h, viewer.h, segpanel.h, meshview.h,
 * histpanel.h) and one per part a screen draws or opens (segresult.h,
 * refview.h, inside.h, export.h).
 *
 * The division of work follows htop and ncdu: crt.c owns curses, colours,
 * signals and the terminal's graphics; job.c runs long core calls on a
 * worker thread with progress and cancel; app.c holds the main loop over a
 * stack of screens and the dialogs. Nothing is computed in the UI: pixels,
 * segmentation, meshes and reports come from the core library; the front
 * end keeps the view state and draws text.
 */
#ifndef PULMO_TUI_H
#define PULMO_TUI_H

/* Runs the UI on the DICOM series under root (a folder) with graphics
 * mode gfx (PM_GFX_AUTO, ...: src/term/term.h) until the user quits.
 * Returns 0, or -1 when the terminal cannot run curses. */
int tui_main(const char *root, int gfx);

#endif
