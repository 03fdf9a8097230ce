/* histpanel.h - the HU histogram panel (histpanel.c) of the viewer. */
#ifndef PULMO_TUI_HISTPANEL_H
#define PULMO_TUI_HISTPANEL_H

#include "screen.h"

extern const tui_screen hist_panel;
void hist_done(void);

#endif
