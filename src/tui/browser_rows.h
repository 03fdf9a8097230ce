/* browser_rows.h - the browser's rows (browser_rows.c): patients, each
 * followed by its series that pass the filter. No curses, so the failure
 * paths are unit tested (tests/test_tui_logic.c). */
#ifndef PULMO_TUI_BROWSER_ROWS_H
#define PULMO_TUI_BROWSER_ROWS_H

#include "list.h"
#include "pulmo/series.h"

typedef struct brow {
    int series;      /* index into the index's series, or -1 for a patient row */
    int first;       /* patient rows: first series (in order[]) of the patient */
    int count;       /* patient rows: number of series */
} brow;

/* 1 when the filter is in any text of s (patient, name, date, modality,
 * descriptions, folder), case-insensitively; "" matches every series. */
int brows_matches(const pm_series *s, const char *filter);

/* Replaces *rows (freed) with mem, filled with the rows of ix's series in
 * order[] (ix->nseries of them) under filter, and resizes list over them,
 * keeping the selection on the same series. mem is the caller's
 * allocation of 2 * ix->nseries + 1 rows, so that a failed one (mem or
 * order NULL) is a path the tests drive: then *rows is NULL, *nrows 0 and
 * the list empty, so nothing indexes the missing rows; returns -1.
 * Returns 0 otherwise. */
int brows_build(brow *mem, const pm_index *ix, const int *order, const char *filter, brow **rows,
                int *nrows, tui_list *list);

#endif
