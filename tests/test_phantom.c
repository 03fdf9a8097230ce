/* test_phantom.c - the synthetic phantoms: every standard phantom is
 * written as DICOM + truth into a temporary folder, loaded back through the
 * normal loader and checked against what the generator made. */
#include "test.h"
#include "pulmo/nifti.h"
#include "pulmo/phantom.h"
#include "pulmo/series.h"

#include <math.h>

#define NMAX 8
static int nph;
static pm_phantom_spec sp[NMAX];
static pm_phantom ph[NMAX];
static pm_volume *vol[NMAX];
static char series_root[512], truth_dir[512];

static pm_volume *load_dir(int i);

static void setup(void)
{
    snprintf(series_root, sizeof series_root, "%s/patients", test_tmpdir());
    snprintf(truth_dir, sizeof truth_dir, "%s/truth", test_tmpdir());
    nph = pm_phantom_standard_count();
    if (nph > NMAX)
        nph = NMAX;
    for (int i = 0; i < nph; i++) {
        if (pm_phantom_standard(i, &sp[i]) != PM_OK || pm_phantom_generate(&sp[i], &ph[i], NULL) != PM_OK
            || pm_phantom_write(&sp[i], &ph[i], series_root, truth_dir, NULL) != PM_OK) {
            printf("FAIL setup: phantom %d: %s\n", i, pm_error());
            exit(1);
        }
        vol[i] = load_dir(i);
    }
}

/* Loaded once in setup: loading under the sanitizers is the slow part. */
static pm_volume *load(int i)
{
    return vol[i];
}

static pm_volume *load_dir(int i)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", series_root, sp[i].name);
    pm_volume *v = NULL;
    int rc = pm_load_dir(dir, NULL, NULL, &v, NULL);
    if (rc != PM_OK) {
        printf("FAIL setup: load %.300s: %d %s\n", dir, rc, pm_error());
        exit(1);
    }
    return v;
}

static pm_mask *truth(int i)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.labels.nii.gz", truth_dir, sp[i].name);
    pm_mask *m = NULL;
    int rc = pm_nifti_read_mask(path, &m);
    CHECK(rc == PM_OK, "read %.300s: %s", path, pm_error());
    return m;
}

static int has_warning(const pm_volume *v, const char *kind)
{
    for (int i = 0; i < v->nwarnings; i++)
        if (!strcmp(v->warnings[i].kind, kind))
            return 1;
    return 0;
}

/* The loader keeps the missing slice's grid place and interpolates it:
 * every other loaded slice k is generated slice k. */
static int interpolated(int i, int k)
{
    return k == sp[i].missing_slice;
}

static void check_same_grid(const pm_grid *a, const pm_grid *b, const char *what)
{
    for (int d = 0; d < 3; d++) {
        CHECK(a->dim[d] == b->dim[d], "%s: dim %d is %d, expected %d", what, d, a->dim[d], b->dim[d]);
        CHECK(fabs(a->spacing[d] - b->spacing[d]) < 1e-4, "%s: spacing %d is %g, expected %g", what, d,
              a->spacing[d], b->spacing[d]);
        CHECK(fabs(a->origin[d] - b->origin[d]) < 1e-3, "%s: origin %d is %g, expected %g", what, d,
              a->origin[d], b->origin[d]);
    }
    for (int d = 0; d < 9; d++)
        CHECK(fabs(a->dir[d] - b->dir[d]) < 1e-5, "%s: direction %d is %g, expected %g", what, d,
              a->dir[d], b->dir[d]);
}

TEST(every_phantom_loads_with_its_declared_geometry)
{
    int ffs = 0, hfs = 0, missing = 0, rescaled = 0, blind = 0;
    for (int i = 0; i < nph; i++) {
        pm_volume *v = load(i);
        pm_grid want = ph[i].hu->g;
        CHECK(v->g.dim[0] == sp[i].nx && v->g.dim[1] == sp[i].ny, "%s: %dx%d", sp[i].name, v->g.dim[0],
              v->g.dim[1]);
        CHECK(fabs(v->g.spacing[0] - sp[i].pixel_mm) < 1e-4 && fabs(v->g.spacing[2] - sp[i].slice_mm) < 1e-4,
              "%s: spacing %g x %g", sp[i].name, v->g.spacing[0], v->g.spacing[2]);
        check_same_grid(&v->g, &want, sp[i].name);
        CHECK(!strcmp(v->meta.patient_position, sp[i].feet_first ? "FFS" : "HFS"), "%s: position %s",
              sp[i].name, v->meta.patient_position);
        CHECK(!strcmp(v->meta.modality, "CT") && !strcmp(v->meta.patient_id, sp[i].name),
              "%s: modality %s id %s", sp[i].name, v->meta.modality, v->meta.patient_id);
        int want_warn = sp[i].missing_slice >= 0;
        CHECK(has_warning(v, "missing_slices") == want_warn, "%s: missing_slices warning %s", sp[i].name,
              want_warn ? "absent" : "unexpected");
        CHECK(v->nwarnings == want_warn, "%s: unexpected warning %s", sp[i].name,
              v->nwarnings ? v->warnings[v->nwarnings - 1].message : "");
        ffs += sp[i].feet_first;
        hfs += !sp[i].feet_first;
        missing += want_warn;
        rescaled += sp[i].slope != 1.0;
        blind += sp[i].disconnected != 0;
    }
    CHECK(nph >= 3 && ffs && hfs && missing && rescaled && blind,
          "the standard set lacks a kind: %d phantoms, %d FFS, %d HFS, %d missing, %d rescaled, %d blind",
          nph, ffs, hfs, missing, rescaled, blind);
}

TEST(stored_hu_round_trip_exactly_through_dicom)
{
    for (int i = 0; i < nph; i++) {
        pm_volume *v = load(i);
        const pm_grid *g = &v->g;
        size_t n = (size_t)g->dim[0] * g->dim[1], diff = 0, body = 0;
        int worst = 0;
        for (int k = 0; k < g->dim[2]; k++) {
            if (interpolated(i, k))
                continue;
            const int16_t *a = v->hu + n * k, *b = ph[i].hu->hu + n * k;
            for (size_t p = 0; p < n; p++) {
                /* The loader reads the -2000 fill outside the scan circle as air. */
                int want = b[p] < -1024 ? -1000 : b[p];
                int d = abs(a[p] - want);
                diff += d != 0;
                worst = d > worst ? d : worst;
                body += b[p] > -500;
            }
        }
        CHECK(worst == 0, "%s: %zu voxels differ, by up to %d HU", sp[i].name, diff, worst);
        CHECK(body > n * g->dim[2] / 10, "%s: only %zu voxels of tissue", sp[i].name, body);
    }
}

/* The number after "key": inside the object that follows "obj":. */
static double json_num(const char *text, const char *obj, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", obj);
    const char *o = strstr(text, pat);
    CHECK(o, "no \"%s\" in the truth JSON", obj);
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *k = strstr(o, pat);
    CHECK(k, "no \"%s\" in \"%s\"", key, obj);
    return strtod(k + strlen(pat), NULL);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    CHECK(f, "cannot open %.300s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

TEST(truth_labels_match_the_generator_and_the_json_volumes)
{
    static const char *names[5] = {"", "right_lung", "left_lung", "airway", "nodule"};
    for (int i = 0; i < nph; i++) {
        pm_mask *t = truth(i);
        pm_volume *v = load(i);
        check_same_grid(&t->g, &v->g, "truth grid vs loaded grid");
        size_t n = (size_t)t->g.dim[0] * t->g.dim[1], count[256] = {0}, diff = 0;
        for (int k = 0; k < t->g.dim[2]; k++) {
            const uint8_t *a = t->v + n * k, *b = ph[i].labels->v + n * k;
            for (size_t p = 0; p < n; p++) {
                count[a[p]]++;
                diff += a[p] != b[p];
            }
        }
        CHECK(diff == 0, "%s: %zu truth voxels differ from the generator's labels", sp[i].name, diff);
        for (int l = 5; l < 256; l++)
            CHECK(count[l] == 0, "%s: %zu voxels of label %d", sp[i].name, count[l], l);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.json", truth_dir, sp[i].name);
        const char *js = slurp(path);
        double ml = pm_grid_voxel_mm3(&t->g) / 1000.0;
        for (int l = 1; l <= 4; l++) {
            CHECK(count[l] > 0, "%s: label %d is empty", sp[i].name, l);
            double jv = json_num(js, "voxels", names[l]), jml = json_num(js, "volumes_ml", names[l]);
            CHECK(jv == (double)count[l], "%s: JSON says %.0f voxels of %s, the NIfTI has %zu", sp[i].name,
                  jv, names[l], count[l]);
            CHECK(fabs(jml - count[l] * ml) <= 1e-6 * count[l] * ml + 1e-9, "%s: JSON %s %g mL, NIfTI %g mL",
                  sp[i].name, names[l], jml, count[l] * ml);
        }
        /* Adult-like sizes: each lung 1 to 4 litres, two nodules of 0.1..3 mL. */
        for (int l = 1; l <= 2; l++)
            CHECK(count[l] * ml > 1000 && count[l] * ml < 4000, "%s: %s %.0f mL", sp[i].name, names[l],
                  count[l] * ml);
        CHECK(count[4] * ml > 0.2 && count[4] * ml < 6, "%s: nodules %.2f mL", sp[i].name, count[4] * ml);
        pm_mask_free(t);
    }
}

static void centroid(const pm_mask *m, const pm_grid *g, int label, double c[3])
{
    double s[3] = {0, 0, 0};
    size_t cnt = 0;
    int nx = m->g.dim[0], ny = m->g.dim[1];
    for (int k = 0; k < m->g.dim[2]; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                if (m->v[i + (size_t)nx * (j + (size_t)ny * k)] == label) {
                    double p[3];
                    pm_grid_to_lps(g, i, j, k, p);
                    s[0] += p[0]; s[1] += p[1]; s[2] += p[2];
                    cnt++;
                }
    CHECK(cnt > 0, "label %d empty", label);
    for (int d = 0; d < 3; d++)
        c[d] = s[d] / cnt;
}

TEST(right_lung_is_on_the_patients_right_head_first_and_feet_first)
{
    for (int i = 0; i < nph; i++) {
        pm_mask *t = truth(i);
        pm_volume *v = load(i);
        double r[3], l[3], rl[3], ll[3];
        centroid(t, &t->g, PM_LABEL_RIGHT_LUNG, r);
        centroid(t, &t->g, PM_LABEL_LEFT_LUNG, l);
        centroid(t, &v->g, PM_LABEL_RIGHT_LUNG, rl);
        centroid(t, &v->g, PM_LABEL_LEFT_LUNG, ll);
        CHECK(r[0] < -30 && l[0] > 30, "%s (%s): right lung at x %.1f, left at x %.1f (truth grid)",
              sp[i].name, sp[i].feet_first ? "FFS" : "HFS", r[0], l[0]);
        CHECK(rl[0] < -30 && ll[0] > 30, "%s (%s): right lung at x %.1f, left at x %.1f (loaded grid)",
              sp[i].name, sp[i].feet_first ? "FFS" : "HFS", rl[0], ll[0]);
        /* Independent of the labels: the heart is left of the midline, so
         * the loaded HU hold more soft tissue at +x at heart level. */
        double ijk[3];
        double zh = 0.5 * (r[2] + l[2]) - 40.0;
        CHECK(pm_grid_from_lps(&v->g, (double[3]){0, 0, zh}, ijk) == 0, "degenerate grid");
        int k = (int)lround(ijk[2]);
        CHECK(k >= 0 && k < v->g.dim[2], "heart level outside the volume");
        long right = 0, left = 0;
        int nx = v->g.dim[0], ny = v->g.dim[1];
        for (int j = 0; j < ny; j++)
            for (int a = 0; a < nx; a++) {
                double p[3];
                pm_grid_to_lps(&v->g, a, j, k, p);
                int16_t hu = v->hu[a + (size_t)nx * (j + (size_t)ny * k)];
                if (fabs(p[0]) < 90 && p[1] < 20 && hu > 0 && hu < 100)
                    *(p[0] > 0 ? &left : &right) += 1;
            }
        CHECK(left > right, "%s: soft tissue at heart level: %ld voxels right, %ld left", sp[i].name,
              right, left);
        pm_mask_free(t);
    }
}

TEST(truth_labels_agree_with_the_hu)
{
    for (int i = 0; i < nph; i++) {
        const pm_volume *h = ph[i].hu;
        const uint8_t *lab = ph[i].labels->v;
        size_t n = pm_grid_voxels(&h->g), cnt[5] = {0}, ok[5] = {0};
        for (size_t p = 0; p < n; p++) {
            int l = lab[p], hu = h->hu[p];
            if (l > 4)
                continue;
            cnt[l]++;
            ok[l] += l == 1 || l == 2 ? hu < -500 : l == 3 ? hu < -700 : l == 4 ? hu > -400 : 1;
        }
        for (int l = 1; l <= 4; l++)
            CHECK(ok[l] >= 0.9 * cnt[l], "%s: only %zu of %zu voxels of label %d have its HU", sp[i].name,
                  ok[l], cnt[l], l);
    }
}

/* Labels 6-connected flood fill from seed over voxels whose label is in set. */
static size_t flood(const pm_mask *m, size_t seed, unsigned set, uint8_t *seen)
{
    int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
    size_t n = pm_grid_voxels(&m->g), *stack = malloc(n * sizeof *stack), sp_ = 0, got = 0;
    stack[sp_++] = seed;
    seen[seed] = 1;
    while (sp_) {
        size_t p = stack[--sp_];
        got++;
        int i = (int)(p % nx), j = (int)(p / nx % ny), k = (int)(p / ((size_t)nx * ny));
        int nb[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k}, {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        for (int a = 0; a < 6; a++) {
            if (nb[a][0] < 0 || nb[a][1] < 0 || nb[a][2] < 0 || nb[a][0] >= nx || nb[a][1] >= ny || nb[a][2] >= nz)
                continue;
            size_t q = nb[a][0] + (size_t)nx * (nb[a][1] + (size_t)ny * nb[a][2]);
            if (!seen[q] && (set >> m->v[q] & 1)) {
                seen[q] = 1;
                stack[sp_++] = q;
            }
        }
    }
    free(stack);
    return got;
}

TEST(lungs_touch_only_through_the_airways_as_declared)
{
    for (int i = 0; i < nph; i++) {
        const pm_mask *m = ph[i].labels;
        size_t n = pm_grid_voxels(&m->g), r = n, l = n;
        int nx = m->g.dim[0];
        for (size_t p = 0; p < n; p++) {
            if (m->v[p] == 1 && r == n)
                r = p;
            if (m->v[p] == 2 && l == n)
                l = p;
            /* No right-lung voxel beside a left-lung voxel. */
            size_t off[3] = {1, (size_t)nx, (size_t)nx * m->g.dim[1]};
            for (int a = 0; m->v[p] == 1 && a < 3; a++)
                CHECK((p + off[a] >= n || m->v[p + off[a]] != 2) && (p < off[a] || m->v[p - off[a]] != 2),
                      "%s: the lungs touch at voxel %zu", sp[i].name, p);
        }
        uint8_t *seen = calloc(n, 1);
        flood(m, r, 1u << 1 | 1u << 4, seen);
        CHECK(!seen[l], "%s: lungs joined without the airways", sp[i].name);
        memset(seen, 0, n);
        flood(m, r, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4, seen);
        int joined = seen[l];
        free(seen);
        CHECK(joined == !sp[i].disconnected, "%s: lungs %s through the airways", sp[i].name,
              joined ? "joined" : "not joined");
        CHECK(ph[i].airways_connect == joined, "%s: airways_connect says %d", sp[i].name, ph[i].airways_connect);
    }
}

TEST(generation_is_deterministic_and_bad_specs_are_refused)
{
    pm_phantom again;
    int i = nph - 1;
    CHECK(pm_phantom_generate(&sp[i], &again, NULL) == PM_OK, "%s", pm_error());
    size_t n = pm_grid_voxels(&again.hu->g);
    int same = !memcmp(again.hu->hu, ph[i].hu->hu, n * 2) && !memcmp(again.labels->v, ph[i].labels->v, n);
    pm_phantom_free(&again);
    CHECK(same, "%s differs between two runs", sp[i].name);
    pm_phantom_spec bad = sp[0];
    bad.pixel_mm = 0.5;   /* the body no longer fits the field of view */
    CHECK(pm_phantom_generate(&bad, &again, NULL) == PM_EUSAGE, "too small a field of view accepted");
    CHECK(strstr(pm_error(), "field of view"), "reason: %s", pm_error());
    bad = sp[0];
    snprintf(bad.name, sizeof bad.name, "../x");
    CHECK(pm_phantom_check(&bad) == PM_EUSAGE, "a name with a slash accepted");
    CHECK(pm_phantom_find("NOPE", &bad) == PM_EUSAGE, "an unknown phantom found");
}

TEST(one_nodule_lies_inside_a_lung_and_one_touches_the_pleura)
{
    for (int i = 0; i < nph; i++) {
        const pm_mask *m = ph[i].labels;
        int nx = m->g.dim[0], ny = m->g.dim[1], nz = m->g.dim[2];
        size_t cnt[2] = {0, 0}, wall[2] = {0, 0};
        CHECK(ph[i].nnodules == 2 && !ph[i].nodules[0].juxtapleural && ph[i].nodules[1].juxtapleural,
              "%s: expected an inner and a juxtapleural nodule", sp[i].name);
        for (int k = 1; k < nz - 1; k++)
            for (int j = 1; j < ny - 1; j++)
                for (int a = 1; a < nx - 1; a++) {
                    size_t p = a + (size_t)nx * (j + (size_t)ny * k);
                    if (m->v[p] != PM_LABEL_NODULE)
                        continue;
                    double x[3], d[2];
                    pm_grid_to_lps(&m->g, a, j, k, x);
                    for (int b = 0; b < 2; b++) {
                        const double *c = ph[i].nodules[b].center;
                        d[b] = hypot(hypot(x[0] - c[0], x[1] - c[1]), x[2] - c[2]);
                    }
                    int b = d[1] < d[0];
                    CHECK(d[b] < 1.3 * ph[i].nodules[b].radius + 1.0, "%s: nodule voxel %.1f mm from its centre",
                          sp[i].name, d[b]);
                    cnt[b]++;
                    size_t off[3] = {1, (size_t)nx, (size_t)nx * ny};
                    for (int o = 0; o < 3; o++)
                        wall[b] += m->v[p + off[o]] == 0 || m->v[p - off[o]] == 0;
                }
        CHECK(cnt[0] > 20 && cnt[1] > 20, "%s: nodules of %zu and %zu voxels", sp[i].name, cnt[0], cnt[1]);
        CHECK(wall[0] == 0, "%s: the inner nodule touches the outside of the lung", sp[i].name);
        CHECK(wall[1] > 5, "%s: the juxtapleural nodule does not touch the pleura", sp[i].name);
    }
}

int main(void)
{
    setup();
    RUN(every_phantom_loads_with_its_declared_geometry);
    RUN(stored_hu_round_trip_exactly_through_dicom);
    RUN(truth_labels_match_the_generator_and_the_json_volumes);
    RUN(right_lung_is_on_the_patients_right_head_first_and_feet_first);
    RUN(truth_labels_agree_with_the_hu);
    RUN(lungs_touch_only_through_the_airways_as_declared);
    RUN(one_nodule_lies_inside_a_lung_and_one_touches_the_pleura);
    RUN(generation_is_deterministic_and_bad_specs_are_refused);
    for (int i = 0; i < nph; i++) {
        pm_phantom_free(&ph[i]);
        pm_volume_free(vol[i]);
    }
    return test_done();
}
