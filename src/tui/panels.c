/* panels.c - the side panels of the viewer. */
#include "viewer.h"

void panels_open(void) {}
void panels_close(void) {}
int panels_width(void) { return 0; }
void panels_draw(void) {}
const char *panels_hints(void) { return "j/k slice  1-4 window  arrows cursor  ? keys  q back"; }
int panels_key(int k) { (void)k; return 0; }
int panels_back(void) { return 0; }
void panels_tick(void) {}
int panels_help(const tui_binding **t, const char **titles, int max) { (void)t; (void)titles; (void)max; return 0; }
int panels_mesh_active(void) { return 0; }
void mesh_view_draw(int y, int x, int rows, int cols) { (void)y; (void)x; (void)rows; (void)cols; }
