/* browser_rows.c - the browser's rows: patients, each followed by its
 * series that pass the filter, rebuilt from the index when the scan ends
 * and on every change of the filter. The rows' memory comes from the
 * caller so that its failure is a plain argument: an earlier version kept
 * the list's old row count when the allocation failed, and the next draw
 * read the rows through NULL (issue 15).
 */
#include "browser_rows.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 1;
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

int brows_matches(const pm_series *s, const char *f)
{
    return contains_ci(s->meta.patient_id, f) || contains_ci(s->meta.patient_name, f) ||
           contains_ci(s->meta.study_date, f) || contains_ci(s->meta.modality, f) ||
           contains_ci(s->meta.series_description, f) || contains_ci(s->meta.study_description, f) ||
           contains_ci(s->folder, f);
}

static int same_patient(const pm_series *x, const pm_series *y)
{
    return !strcmp(x->meta.patient_id, y->meta.patient_id) &&
           !strcmp(x->meta.patient_name, y->meta.patient_name);
}

int brows_build(brow *mem, const pm_index *ix, const int *order, const char *filter, brow **rows,
                int *nrows, tui_list *list)
{
    int keep = *rows && *nrows && list->sel >= 0 && list->sel < *nrows ? (*rows)[list->sel].series : -2;
    free(*rows);
    *rows = order ? mem : NULL;
    *nrows = 0;
    if (!*rows) {
        free(mem);
        list_resize(list, 0);
        return -1;
    }
    brow *r = *rows;
    int n = ix->nseries, m = 0;
    for (int a = 0; a < n;) {
        int b = a;
        while (b < n && same_patient(&ix->series[order[a]], &ix->series[order[b]]))
            b++;
        int shown = 0, head = m;
        r[m++] = (brow){-1, a, b - a};
        for (int k = a; k < b; k++)
            if (brows_matches(&ix->series[order[k]], filter)) {
                r[m++] = (brow){order[k], a, 0};
                shown++;
            }
        if (!shown)
            m = head;
        a = b;
    }
    *nrows = m;
    int sel = 0;
    for (int i = 0; i < m; i++)
        if (r[i].series == keep)
            sel = i;
    list->sel = sel;
    list_resize(list, m);
    return 0;
}
