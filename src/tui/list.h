/* list.h - one scrolling list with a selection, for every list of the
 * terminal UI (the browser's patients and series, the segmentation
 * panel's parameters). Pure logic: no curses calls, so it is unit tested
 * (tests/test_tui_logic.c); the owner draws the rows it is handed.
 *
 * Rows are 0..n-1. Some rows may be headings that cannot be selected
 * (the panel's step names); the selection skips them, and scrolling keeps
 * the headings just above the selected row in view.
 */
#ifndef PULMO_TUI_LIST_H
#define PULMO_TUI_LIST_H

typedef struct tui_list {
    int n;              /* rows */
    int sel;            /* selected row; -1 when no row can be selected */
    int top;            /* first row shown */
    int page;           /* rows shown at the last list_show (page size) */
    /* 0 for a heading row (NULL: every row can be selected). */
    int (*selectable)(void *ctx, int row);
    void *ctx;
} tui_list;

/* Sets the number of rows and keeps the selection on a selectable row
 * (the same one when it still exists). */
void list_resize(tui_list *l, int n);
/* Moves the selection by delta selectable rows, stopping at the ends.
 * Returns 1 when it moved. */
int list_move(tui_list *l, int delta);
/* Selects row (or the nearest selectable one after it, else before). */
void list_select(tui_list *l, int row);
/* Navigation keys (arrows, j/k, PgUp/PgDn, Home/End, g/G): 1 when the key
 * was one of them. A list without a selectable row scrolls by them instead
 * (and by space, a page down). */
int list_key(tui_list *l, int key);
/* Scrolls so the selection is in view on `rows` rows, then calls row_fn
 * for each visible row: i is the row, line the screen line from 0. */
void list_show(tui_list *l, int rows, void (*row_fn)(void *ctx, int i, int line, int selected), void *ctx);

#endif
