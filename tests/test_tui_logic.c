/* test_tui_logic.c - the terminal UI's logic that needs no terminal: the
 * scrolling list (src/tui/list.c) and the core's parameter stepping that
 * the segmentation panel's keys use (pm_param_step).
 */
#include "test.h"
#include "../src/tui/list.h"
#include "../src/tui/histcache.h"
#include "../src/tui/browser_rows.h"
#include "pulmo/recipe.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <math.h>

/* Rows 0, 4 and 8 are headings (like step names above parameters). */
static int not_heading(void *ctx, int row)
{
    (void)ctx;
    return row % 4 != 0;
}

static int shown[64], nshown, shown_sel;
static void record(void *ctx, int i, int line, int selected)
{
    (void)ctx;
    shown[line] = i;
    nshown = line + 1;
    if (selected)
        shown_sel = i;
}

TEST(list_skips_headings_and_stops_at_the_ends)
{
    tui_list l = {0};
    l.selectable = not_heading;
    list_resize(&l, 12);
    CHECK(l.sel == 1, "first selectable row is 1, got %d", l.sel);
    CHECK(!list_move(&l, -1) && l.sel == 1, "cannot move above the first selectable row");
    list_move(&l, 3);
    CHECK(l.sel == 5, "three moves from 1 over heading 4 land on 5, got %d", l.sel);
    list_key(&l, KEY_END);
    CHECK(l.sel == 11, "End selects the last row, got %d", l.sel);
    CHECK(!list_move(&l, 1), "no move past the end");
    list_key(&l, 'g');
    CHECK(l.sel == 1, "g goes to the first selectable row, got %d", l.sel);
    list_select(&l, 8);
    CHECK(l.sel == 9, "selecting heading 8 selects the row after it, got %d", l.sel);
}

static int no_row(void *ctx, int row)
{
    (void)ctx, (void)row;
    return 0;
}

/* The help box: text with nothing to select scrolls by the same keys. */
TEST(list_without_selectable_rows_scrolls_and_clamps)
{
    tui_list l = {0};
    l.selectable = no_row;
    list_resize(&l, 30);
    CHECK(l.sel == -1, "no row selected, got %d", l.sel);
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 0 && nshown == 10 && shown[0] == 0, "first page shows rows 0..9");
    CHECK(list_key(&l, 'j') && list_key(&l, KEY_DOWN), "j and Down scroll");
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 2 && shown[0] == 2, "two lines down shows row 2 first, got %d", shown[0]);
    list_key(&l, KEY_NPAGE);
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 11, "a page is 9 lines (one kept), top %d", l.top);
    list_key(&l, ' ');
    list_key(&l, ' ');
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 20 && shown[9] == 29, "scrolling stops with the last row at the bottom, top %d", l.top);
    list_key(&l, 'g');
    list_key(&l, 'k');
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 0, "scrolling stops at the first row, top %d", l.top);
    list_key(&l, 'G');
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 20, "G shows the end, top %d", l.top);
    CHECK(!list_key(&l, 'x'), "other keys are not the list's");
}

TEST(list_scrolls_to_keep_the_selection_and_its_heading_in_view)
{
    tui_list l = {0};
    l.selectable = not_heading;
    list_resize(&l, 40);
    list_select(&l, 30);
    list_show(&l, 10, record, NULL);
    CHECK(nshown == 10 && shown_sel == 30, "10 rows shown with row 30 selected (%d, %d)", nshown, shown_sel);
    CHECK(shown[9] == 30, "scrolling down puts the selection on the last line, got top %d", l.top);
    list_select(&l, 17);
    list_show(&l, 10, record, NULL);
    CHECK(l.top == 16, "scrolling up shows heading 16 above row 17, top %d", l.top);
    list_key(&l, KEY_NPAGE);
    CHECK(l.sel > 17 + 5, "PgDn moves about a page (%d)", l.sel);
    /* Shrinking the list keeps a valid selection and top. */
    list_resize(&l, 3);
    list_show(&l, 10, record, NULL);
    CHECK(l.sel == 2 && l.top == 0 && nshown == 3, "3 rows: sel %d top %d shown %d", l.sel, l.top, nshown);
    list_resize(&l, 0);
    CHECK(l.sel == -1, "an empty list has no selection, got %d", l.sel);
    CHECK(!list_move(&l, 1) && list_key(&l, KEY_DOWN), "keys on an empty list do nothing harmful");
}

TEST(parameter_steps_stay_in_range_and_jump_between_connectivities)
{
    pm_recipe r;
    CHECK(pm_recipe_init(&r, "default") == PM_OK, "default recipe");
    int nchecked = 0;
    for (int s = 0; s < r.nsteps; s++)
        for (int q = 0; q < r.steps[s].nparams; q++) {
            pm_param p = r.steps[s].params[q];
            for (int dir = -1; dir <= 1; dir += 2)
                for (int coarse = 0; coarse <= 1; coarse++) {
                    double v = pm_param_step(&p, dir, coarse);
                    CHECK(v >= p.min && v <= p.max, "%s.%s: %g outside [%g, %g]", r.steps[s].name, p.name, v,
                          p.min, p.max);
                    CHECK(dir > 0 ? v >= p.value : v <= p.value, "%s.%s moves the wrong way", r.steps[s].name,
                          p.name);
                    CHECK(!p.is_int || v == round(v), "%s.%s: integer parameter got %g", r.steps[s].name, p.name, v);
                }
            nchecked++;
        }
    CHECK(nchecked > 5, "the default recipe has parameters (%d)", nchecked);
    int s = pm_recipe_step_index(&r, "lungs");
    CHECK(s >= 0, "default recipe has a lungs step");
    pm_param conn = r.steps[s].params[0];
    CHECK(!strcmp(conn.name, "conn"), "lungs' first parameter is conn");
    conn.value = 6;
    CHECK(pm_param_step(&conn, 1, 0) == 26, "6-connectivity steps up to 26");
    conn.value = 26;
    CHECK(pm_param_step(&conn, -1, 0) == 6, "26-connectivity steps down to 6");
    CHECK(pm_param_step(&conn, 1, 0) == 26, "26 is the highest: stays");
    /* small.conn takes both pairs: every one is reached in turn */
    pm_recipe tut;
    CHECK(pm_recipe_init(&tut, "otsu") == PM_OK, "otsu recipe");
    int sm = pm_recipe_step_index(&tut, "small");
    CHECK(sm >= 0, "otsu has a small step");
    pm_param both = tut.steps[sm].params[2];
    CHECK(!strcmp(both.name, "conn") && both.min == 4 && both.max == 26, "small.conn spans 4..26");
    const double up[] = {4, 6, 8, 26};
    both.value = 4;
    for (int i = 1; i < 4; i++) {
        both.value = pm_param_step(&both, 1, 0);
        CHECK(both.value == up[i], "step %d up gives %g, not %g", i, both.value, up[i]);
    }
    for (int i = 2; i >= 0; i--) {
        both.value = pm_param_step(&both, -1, 0);
        CHECK(both.value == up[i], "step down gives %g, not %g", both.value, up[i]);
    }
    int t = pm_recipe_step_index(&r, "threshold");
    pm_param hu = r.steps[t].params[1];
    double v = pm_param_step(&hu, 1, 0);
    CHECK(v == hu.value + 10, "HU steps by 10: %g -> %g", hu.value, v);
    /* Coarse steps land on whole hundreds: -320 -> -400. */
    v = pm_param_step(&hu, -1, 1);
    CHECK(v < hu.value && v > hu.value - 200 && fmod(v, 100) == 0, "coarse HU step from %g gave %g", hu.value, v);
}

/* Issue 15: the histogram panel's cache was keyed by the mask's pointer,
 * so a preview that edited the shown mask in place left a stale histogram. */
TEST(histogram_cache_refreshes_when_the_mask_is_edited_in_place)
{
    pm_grid g = {{4, 4, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1}};
    pm_volume *vol = pm_volume_new(&g);
    pm_mask *m = pm_mask_new(&g);
    CHECK(vol && m, "out of memory");
    size_t n = pm_grid_voxels(&g);
    for (size_t i = 0; i < n; i++)
        vol->hu[i] = i < n / 2 ? -900 : 40;
    for (size_t i = 0; i < 3; i++)
        m->v[i] = 1;
    tui_hist_cache c = {0};
    const pm_hist *h = hist_cache_get(&c, vol, NULL, 0);
    CHECK(h && h->total == n, "volume histogram of %zu voxels, got %llu", n,
          h ? (unsigned long long)h->total : 0ULL);
    h = hist_cache_get(&c, vol, m, 1);
    CHECK(h && h->total == 3, "mask histogram of its 3 voxels, got %llu", h ? (unsigned long long)h->total : 0ULL);
    /* A preview edits the same mask: the pointer stays, the version moves. */
    for (size_t i = n - 5; i < n; i++)
        m->v[i] = 1;
    h = hist_cache_get(&c, vol, m, 2);
    CHECK(h && h->total == 8, "the edited mask's 8 voxels, got %llu", h ? (unsigned long long)h->total : 0ULL);
    int hi = (40 - h->lo) / h->bin;
    CHECK(h->count[hi] == 5, "the 5 new voxels in the 40 HU bin, got %llu", (unsigned long long)h->count[hi]);
    /* The same version is the cached histogram, not a recount. */
    const pm_hist *again = hist_cache_get(&c, vol, m, 2);
    CHECK(again == h && again->count == h->count, "an unchanged version keeps the cached counts");
    h = hist_cache_get(&c, vol, NULL, 2);
    CHECK(h && h->total == n, "back to the volume's histogram");
    hist_cache_done(&c);
    CHECK(!c.have, "done empties the cache");
    pm_mask_free(m);
    pm_volume_free(vol);
}

static int rows_drawn;
static void count_row(void *ctx, int i, int line, int selected)
{
    const brow *rows = ctx;
    (void)line, (void)selected;
    rows_drawn += rows[i].series >= -1; /* reads the row, as the browser's draw does */
}

/* Issue 15: when the rows' allocation failed the browser kept the list's
 * old row count, and the next draw read the rows through NULL. */
TEST(browser_rows_out_of_memory_leave_an_empty_list_not_a_stale_one)
{
    pm_series s[3];
    memset(s, 0, sizeof s);
    snprintf(s[0].meta.patient_id, sizeof s[0].meta.patient_id, "A");
    snprintf(s[1].meta.patient_id, sizeof s[1].meta.patient_id, "A");
    snprintf(s[2].meta.patient_id, sizeof s[2].meta.patient_id, "B");
    snprintf(s[2].meta.series_description, sizeof s[2].meta.series_description, "Chest");
    pm_index ix;
    memset(&ix, 0, sizeof ix);
    ix.series = s;
    ix.nseries = 3;
    int order[3] = {0, 1, 2};
    brow *rows = NULL;
    int nrows = 0;
    tui_list l = {0};
    CHECK(brows_build(calloc(7, sizeof(brow)), &ix, order, "", &rows, &nrows, &l) == 0, "rows built");
    CHECK(nrows == 5 && l.n == 5, "patient A, 2 series, patient B, 1 series: %d rows, list %d", nrows, l.n);
    list_select(&l, 4);
    CHECK(brows_build(calloc(7, sizeof(brow)), &ix, order, "chest", &rows, &nrows, &l) == 0, "filtered");
    CHECK(nrows == 2 && rows[l.sel].series == 2, "the filter keeps patient B's series selected");
    /* The allocation fails. */
    CHECK(brows_build(NULL, &ix, order, "", &rows, &nrows, &l) == -1, "out of memory is reported");
    CHECK(!rows && nrows == 0 && l.n == 0, "no rows and an empty list, got %d rows, list %d", nrows, l.n);
    rows_drawn = 0;
    list_show(&l, 10, count_row, rows);
    CHECK(rows_drawn == 0, "nothing drawn from the missing rows");
    /* The order's allocation failed: likewise, and the next build works. */
    CHECK(brows_build(calloc(7, sizeof(brow)), &ix, NULL, "", &rows, &nrows, &l) == -1 && l.n == 0,
          "no order, no rows");
    CHECK(brows_build(calloc(7, sizeof(brow)), &ix, order, "", &rows, &nrows, &l) == 0 && l.n == 5,
          "memory back, rows back");
    free(rows);
}

int main(void)
{
    RUN(list_skips_headings_and_stops_at_the_ends);
    RUN(list_scrolls_to_keep_the_selection_and_its_heading_in_view);
    RUN(list_without_selectable_rows_scrolls_and_clamps);
    RUN(parameter_steps_stay_in_range_and_jump_between_connectivities);
    RUN(histogram_cache_refreshes_when_the_mask_is_edited_in_place);
    RUN(browser_rows_out_of_memory_leave_an_empty_list_not_a_stale_one);
    return test_done();
}
