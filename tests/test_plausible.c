/* test_plausible.c - every real series of ../shared/data (real/, patients/)
 * and every phantom of samples/ goes through `pulmo segment` (the default
 * recipe) and its result is checked against anatomy, with checks of the
 * test's own (not the recipe's):
 *   - a chest has two lungs, each 35-65 % of the total, 2-8 L together
 *     (a series whose lungs reach its first or last slice may hold less,
 *     and must then carry the partial_coverage warning);
 *   - no lung voxel outside the body: per axial slice the body is the
 *     largest piece of tissue (> -500 HU) after a 2 mm erosion (which cuts
 *     the thin contacts with the table and blankets), grown back and with
 *     its holes filled;
 *   - no lung below the lung bases: the air (< -400 HU) of each lung label
 *     in 6-connected pieces; no air of another piece than the largest (the
 *     lung) lies below the lung in its (x, y) column (stomach and bowel gas
 *     under the diaphragm, cut off from the lung by it);
 *   - the trachea is airway: label 3 is present and reaches within 10 mm of
 *     the top of the lungs;
 *   - a head CT has no lungs (exit 6). */
#include "files.h"
#include "pulmo/nifti.h"
#include "pulmo/seg.h"
#include "pulmo/series.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>

#define BODY_HU (-500)
#define BODY_ERODE_MM 2.0
#define AIRWAY_TOP_MM 10.0
#define OUTSIDE_TOL_ML 0.1
#define BELOW_TOL_ML 2.0
#define COVER_MM2 500.0

/* Series with no lungs at all. */
static const char *const no_lungs[] = {"GE-HEAD-TILT"};

typedef struct verdict {
    char why[1400];
    size_t len;
} verdict;

static void bad(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(verdict *v, const char *fmt, ...)
{
    if (v->len >= sizeof v->why - 2)
        return;
    if (v->len)
        v->len += (size_t)snprintf(v->why + v->len, sizeof v->why - v->len, "; ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v->why + v->len, sizeof v->why - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n;
    if (v->len > sizeof v->why - 1)
        v->len = sizeof v->why - 1;
    for (char *c = v->why; *c; c++)
        if (*c == '\n')
            *c = ' ';
}

static double json_num(const char *s, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *q = strstr(s, pat);
    if (!q || !strncmp(q + strlen(pat), "null", 4))
        return NAN;
    return atof(q + strlen(pat));
}

/* Square min (erode) or max (dilate) filter of half-width e, separable. */
static void square_filter(uint8_t *m, uint8_t *tmp, int nx, int ny, int e, int dilate)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                int v = dilate ? 0 : 1;
                for (int d = -e; d <= e; d++) {
                    int ii = pass ? i : i + d, jj = pass ? j + d : j;
                    int x = (ii < 0 || jj < 0 || ii >= nx || jj >= ny) ? 0 : m[ii + nx * jj];
                    v = dilate ? (v | x) : (v & x);
                }
                tmp[i + nx * j] = (uint8_t)v;
            }
        memcpy(m, tmp, (size_t)nx * ny);
    }
}

/* Flood fill of the 4-connected region of value `from` at seed with `to`;
 * returns its size. */
static long flood(uint8_t *m, int *stack, int nx, int ny, int seed, uint8_t from, uint8_t to)
{
    long n = 0;
    int sp = 0;
    if (m[seed] != from)
        return 0;
    m[seed] = to;
    stack[sp++] = seed;
    while (sp) {
        int p = stack[--sp], i = p % nx, j = p / nx;
        n++;
        int nb[4] = {i > 0 ? p - 1 : -1, i < nx - 1 ? p + 1 : -1, j > 0 ? p - nx : -1, j < ny - 1 ? p + nx : -1};
        for (int q = 0; q < 4; q++)
            if (nb[q] >= 0 && m[nb[q]] == from) {
                m[nb[q]] = to;
                stack[sp++] = nb[q];
            }
    }
    return n;
}

/* body[] = the body of axial slice k (1 inside, holes filled). */
static void body_slice(const pm_volume *v, int k, uint8_t *body, uint8_t *tmp, int *stack)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], n = nx * ny;
    const int16_t *hu = v->hu + (size_t)n * k;
    for (int p = 0; p < n; p++)
        body[p] = hu[p] > BODY_HU;
    int e = (int)lround(BODY_ERODE_MM / v->g.spacing[0]);
    if (e < 1)
        e = 1;
    square_filter(body, tmp, nx, ny, e, 0);
    /* The largest piece: label pieces 2, 3, ... one at a time. */
    long best = 0;
    int bestseed = -1;
    for (int p = 0; p < n; p++)
        if (body[p] == 1) {
            long s = flood(body, stack, nx, ny, p, 1, 2);
            if (s > best)
                best = s, bestseed = p;
        }
    for (int p = 0; p < n; p++)
        body[p] = 0;
    if (bestseed < 0)
        return;
    for (int p = 0; p < n; p++)
        body[p] = hu[p] > BODY_HU;
    square_filter(body, tmp, nx, ny, e, 0);
    flood(body, stack, nx, ny, bestseed, 1, 3);
    for (int p = 0; p < n; p++)
        body[p] = body[p] == 3;
    square_filter(body, tmp, nx, ny, e, 1);
    /* Holes: what the outside (0 reached from the border) does not reach. */
    for (int i = 0; i < nx; i++) {
        flood(body, stack, nx, ny, i, 0, 2);
        flood(body, stack, nx, ny, i + nx * (ny - 1), 0, 2);
    }
    for (int j = 0; j < ny; j++) {
        flood(body, stack, nx, ny, nx * j, 0, 2);
        flood(body, stack, nx, ny, nx - 1 + nx * j, 0, 2);
    }
    for (int p = 0; p < n; p++)
        body[p] = body[p] != 2;
}

typedef struct anatomy {
    double outside_ml, below_ml[3];
    int top_touch, bottom_touch;       /* lung covers >= COVER_MM2 of the end slice */
    double lung_top_mm, airway_top_mm; /* highest lung / airway voxel, mm along superior */
    int airway_voxels;
    int below_box[3][6];               /* per label: i, j, t (slices from the top) min/max */
} anatomy;

/* The checks that read voxels. The grid's third axis must be the
 * head-foot one (every series here is axial). */
static void check_voxels(const pm_volume *v, const pm_mask *m, anatomy *a)
{
    int nx = v->g.dim[0], ny = v->g.dim[1], nz = v->g.dim[2], n = nx * ny;
    double ml = pm_grid_voxel_mm3(&v->g) / 1000.0, sz = v->g.spacing[2];
    int up = v->g.dir[8] > 0;   /* k grows toward the head */
    memset(a, 0, sizeof *a);
    a->lung_top_mm = a->airway_top_mm = -1e9;
    uint8_t *body = malloc((size_t)n), *tmp = malloc((size_t)n);
    int *stack = malloc((size_t)n * 4 * sizeof *stack);
    long outside = 0;
    for (int k = 0; k < nz; k++) {
        const uint8_t *lab = m->v + (size_t)n * k;
        int any = 0, cover = 0;
        for (int p = 0; p < n; p++)
            if (lab[p] == 1 || lab[p] == 2)
                any = 1, cover++;
        double zmm = (up ? k : nz - 1 - k) * sz;
        for (int p = 0; p < n; p++)
            if (lab[p] == 3) {
                a->airway_voxels++;
                if (zmm > a->airway_top_mm)
                    a->airway_top_mm = zmm;
                break;
            }
        if (any && zmm > a->lung_top_mm)
            a->lung_top_mm = zmm;
        if (cover * v->g.spacing[0] * v->g.spacing[1] >= COVER_MM2) {
            if (k == 0)
                *(up ? &a->bottom_touch : &a->top_touch) = 1;
            if (k == nz - 1)
                *(up ? &a->top_touch : &a->bottom_touch) = 1;
        }
        if (!any)
            continue;
        body_slice(v, k, body, tmp, stack);
        for (int p = 0; p < n; p++)
            outside += (lab[p] == 1 || lab[p] == 2) && !body[p];
    }
    a->outside_ml = (double)outside * ml;
    /* Below the bases: the air of a lung label (HU < -400, so vessels and
     * the tissue a closing pulled in do not join pieces) in 6-connected
     * pieces. The largest is the lung; air of another piece lying below it
     * in its (x, y) column is a separate air body under the diaphragm. Lobes,
     * the lung around the hilum and the heart stay one piece through their
     * air; the stomach is cut off by the diaphragm. */
    pm_mask *air = pm_mask_new(&v->g);
    for (int l = 1; l <= 2 && air; l++) {
        size_t nv = pm_grid_voxels(&v->g);
        for (size_t x = 0; x < nv; x++)
            air->v[x] = m->v[x] == l && v->hu[x] < -400;
        pm_cc *cc = NULL;
        if (pm_cc_label(air, 1, 1, 6, &cc, NULL) != PM_OK)
            break;
        uint32_t big = 0;
        for (uint32_t c = 1; c <= cc->ncomp; c++)
            if (!big || cc->size[c] > cc->size[big])
                big = c;
        uint16_t *lut = calloc(cc->ncomp + 1, sizeof *lut);
        for (uint32_t c = 1; c <= cc->ncomp; c++)
            lut[c] = c == big ? 1 : 2;
        memset(air->v, 0, nv);
        pm_cc_paint(cc, lut, air->v);
        free(lut);
        pm_cc_free(cc);
        long below = 0;
        for (int p = 0; p < n; p++) {
            int lowest = -1;   /* slices from the top */
            for (int t = 0; t < nz; t++)
                if (air->v[(size_t)n * (up ? nz - 1 - t : t) + p] == 1)
                    lowest = t;
            for (int t = lowest + 1; lowest >= 0 && t < nz; t++) {
                if (air->v[(size_t)n * (up ? nz - 1 - t : t) + p] != 2)
                    continue;
                int *b = a->below_box[l], c[3] = {p % nx, p / nx, t};
                if (!below++)
                    for (int q = 0; q < 3; q++)
                        b[2 * q] = b[2 * q + 1] = c[q];
                for (int q = 0; q < 3; q++) {
                    if (c[q] < b[2 * q])
                        b[2 * q] = c[q];
                    if (c[q] > b[2 * q + 1])
                        b[2 * q + 1] = c[q];
                }
            }
        }
        a->below_ml[l] = (double)below * ml;
    }
    pm_mask_free(air);
    free(body);
    free(tmp);
    free(stack);
}

static int failures;

static void plausible(const char *dir, const char *name)
{
    verdict vd = {{0}, 0};
    char out[700], args[2 * PATH_MAX], path[800], abs[PATH_MAX], figures[300] = "";
    if (!realpath(dir, abs))
        snprintf(abs, sizeof abs, "%s", dir);
    snprintf(out, sizeof out, "%s/%s", test_tmpdir(), name);
    snprintf(args, sizeof args, "segment '%s' -o '%s' --json", abs, out);
    int rc = tf_run(args);
    int head = 0;
    for (size_t i = 0; i < sizeof no_lungs / sizeof no_lungs[0]; i++)
        head |= !strcmp(name, no_lungs[i]);
    if (head) {
        if (rc != 6)
            bad(&vd, "a series without lungs gave exit %d, not 6", rc);
    } else if (rc != 0) {
        bad(&vd, "exit %d: %.200s", rc, tf_err);
    } else {
        double total = json_num(tf_out, "lung_ml"), right = json_num(tf_out, "right_ml"),
               left = json_num(tf_out, "left_ml"), airway = json_num(tf_out, "airway_ml");
        int partial_warned = strstr(tf_out, "partial_coverage") != NULL;
        pm_volume *v = NULL;
        pm_mask *m = NULL;
        snprintf(path, sizeof path, "%s/mask.nii.gz", out);
        if (pm_load_dir(dir, NULL, NULL, &v, NULL) != PM_OK || pm_nifti_read_mask(path, &m) != PM_OK) {
            bad(&vd, "cannot read the series or the mask: %s", pm_error());
        } else if (memcmp(v->g.dim, m->g.dim, sizeof v->g.dim) || fabs(v->g.dir[8]) < 0.9) {
            bad(&vd, "mask %dx%dx%d not on the axial series grid", m->g.dim[0], m->g.dim[1], m->g.dim[2]);
        } else {
            anatomy a;
            check_voxels(v, m, &a);
            int partial = a.top_touch || a.bottom_touch;
            snprintf(figures, sizeof figures,
                     "%.0f mL (right %.0f %%, left %.0f %%), airway %.1f mL, outside body %.1f mL, "
                     "below bases %.1f/%.1f mL%s%s",
                     total, 100 * right / total, 100 * left / total, airway, a.outside_ml, a.below_ml[1],
                     a.below_ml[2], partial ? ", coverage ends in the lungs at the " : "",
                     partial ? (a.top_touch && a.bottom_touch ? "apex and base" : a.top_touch ? "apex" : "base")
                             : "");
            if (isnan(right) || isnan(left) || right <= 0 || left <= 0)
                bad(&vd, "not two lungs (right %.0f, left %.0f mL)", right, left);
            else if (right < 0.35 * total || right > 0.65 * total)
                bad(&vd, "right lung %.0f %% of the total (35-65 %%)", 100 * right / total);
            if (!partial && (total < 2000 || total > 8000))
                bad(&vd, "total %.0f mL outside 2-8 L", total);
            if (partial && total > 8000)
                bad(&vd, "total %.0f mL over 8 L", total);
            if (partial && !partial_warned)
                bad(&vd, "lungs reach the %s slice but no partial_coverage warning",
                    a.top_touch ? "top" : "bottom");
            if (a.outside_ml > OUTSIDE_TOL_ML)
                bad(&vd, "%.1f mL of lung outside the body", a.outside_ml);
            for (int l = 1; l <= 2; l++)
                if (a.below_ml[l] > BELOW_TOL_ML)
                    bad(&vd, "%.1f mL of %s lung below the lung base (gas under the diaphragm?) in "
                        "i %d-%d, j %d-%d, slices %d-%d from the top", a.below_ml[l], l == 1 ? "right" : "left",
                        a.below_box[l][0], a.below_box[l][1], a.below_box[l][2], a.below_box[l][3],
                        a.below_box[l][4], a.below_box[l][5]);
            if (a.airway_voxels == 0)
                bad(&vd, "no airway (label 3)");
            else if (a.airway_top_mm < a.lung_top_mm - AIRWAY_TOP_MM)
                bad(&vd, "the airway stops %.0f mm below the top of the lungs: the trachea is not airway",
                    a.lung_top_mm - a.airway_top_mm);
        }
        pm_mask_free(m);
        pm_volume_free(v);
    }
    if (!vd.len)
        printf("PASS plausible_%s: %s\n", name, figures[0] ? figures : "no lungs, exit 6");
    else {
        printf("FAIL plausible_%s: %s [%s]\n", name, vd.why, figures);
        failures++;
    }
    fflush(stdout);
}

/* Every folder under root holding DICOM images (not the RTSTRUCT's). */
static int each_series(const char *root, int max, char dirs[][PATH_MAX])
{
    DIR *d = opendir(root);
    int n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".rtstruct"))
            continue;
        snprintf(dirs[n], PATH_MAX, "%s/%s", root, e->d_name);
        struct stat st;
        if (stat(dirs[n], &st) == 0 && S_ISDIR(st.st_mode))
            n++;
    }
    closedir(d);
    return n;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int main(void)
{
    static char dirs[64][PATH_MAX];
    int n = each_series(test_data("real"), 32, dirs);
    n += each_series(test_data("patients"), 16, dirs + n);
    n += each_series("samples/patients", 16, dirs + n);
    qsort(dirs, (size_t)n, sizeof dirs[0], cmp);
    (void)test__passed, (void)test__failed, (void)test__why, (void)test__jb;
    if (n < 8) {
        printf("FAIL plausible_series_found: only %d series under %s and samples/patients\n", n, test_data(""));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const char *slash = strrchr(dirs[i], '/');
        plausible(dirs[i], slash ? slash + 1 : dirs[i]);
    }
    return failures ? 1 : 0;
}
