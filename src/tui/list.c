/* list.c - the scrolling list of list.h. */
#include "list.h"

#define NCURSES_WIDECHAR 1
#include <curses.h> /* key codes only */

static int can_select(const tui_list *l, int i)
{
    return i >= 0 && i < l->n && (!l->selectable || l->selectable(l->ctx, i));
}

/* First selectable row from i in direction d (+1/-1), or -1. */
static int scan(const tui_list *l, int i, int d)
{
    for (; i >= 0 && i < l->n; i += d)
        if (can_select(l, i))
            return i;
    return -1;
}

void list_select(tui_list *l, int row)
{
    if (row >= l->n)
        row = l->n - 1;
    if (row < 0)
        row = 0;
    int s = scan(l, row, 1);
    l->sel = s >= 0 ? s : scan(l, row, -1);
}

void list_resize(tui_list *l, int n)
{
    l->n = n < 0 ? 0 : n;
    list_select(l, l->sel);
    if (l->top > l->n - 1)
        l->top = l->n > 0 ? l->n - 1 : 0;
    if (l->top < 0)
        l->top = 0;
}

int list_move(tui_list *l, int delta)
{
    int old = l->sel, d = delta > 0 ? 1 : -1;
    if (l->sel < 0)
        return 0;
    for (int k = 0; k != delta; k += d) {
        int next = scan(l, l->sel + d, d);
        if (next < 0)
            break;
        l->sel = next;
    }
    return l->sel != old;
}

/* A list with nothing to select (only headings, like the help box's text)
 * scrolls; list_show clamps top to the rows. */
static int scroll_key(tui_list *l, int key, int page)
{
    switch (key) {
    case KEY_DOWN: case 'j': l->top++; return 1;
    case KEY_UP: case 'k': l->top--; return 1;
    case KEY_NPAGE: case ' ': l->top += page; return 1;
    case KEY_PPAGE: l->top -= page; return 1;
    case KEY_HOME: case 'g': l->top = 0; return 1;
    case KEY_END: case 'G': l->top = l->n; return 1;
    default: return 0;
    }
}

int list_key(tui_list *l, int key)
{
    int page = l->page > 1 ? l->page - 1 : 1;
    if (l->sel < 0)
        return scroll_key(l, key, page);
    switch (key) {
    case KEY_DOWN: case 'j': list_move(l, 1); return 1;
    case KEY_UP: case 'k': list_move(l, -1); return 1;
    case KEY_NPAGE: list_move(l, page); return 1;
    case KEY_PPAGE: list_move(l, -page); return 1;
    case KEY_HOME: case 'g': list_select(l, 0); return 1;
    case KEY_END: case 'G': {
        int s = scan(l, l->n - 1, -1);
        if (s >= 0)
            l->sel = s;
        return 1;
    }
    default: return 0;
    }
}

void list_show(tui_list *l, int rows, void (*row_fn)(void *ctx, int i, int line, int selected), void *ctx)
{
    if (rows < 1)
        return;
    l->page = rows;
    if (l->sel >= 0) {
        /* Headings directly above the selection come into view with it. */
        int first = l->sel;
        while (first > 0 && !can_select(l, first - 1) && l->sel - (first - 1) < rows)
            first--;
        if (first < l->top)
            l->top = first;
        if (l->sel >= l->top + rows)
            l->top = l->sel - rows + 1;
    }
    if (l->top > l->n - rows)
        l->top = l->n - rows;
    if (l->top < 0)
        l->top = 0;
    for (int r = 0; r < rows && l->top + r < l->n; r++)
        row_fn(ctx, l->top + r, r, l->top + r == l->sel);
}
