/* steps.c - the operations that recipe steps name, as adapters from a
 * step's parameters to the seg.h functions.
 *
 * In a slice preview the steps that choose components by size over the
 * whole volume (largest, lungs) or that need the top of the scan (airway)
 * cannot decide on a thin slab; they then follow the hint, the output the
 * same step gave in the last full run, restricted to the slab.
 */
#include "recipe_internal.h"
#include "pulmo/unet.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pm_param *find_par(const pm_step *s, const char *name, size_t len)
{
    for (int q = 0; q < s->nparams; q++)
        if (strlen(s->params[q].name) == len && !strncmp(s->params[q].name, name, len))
            return &s->params[q];
    return NULL;
}

/* pm__step_exec has checked that the step defines every name its op reads,
 * so the 0 is never used; it only keeps the int casts defined. */
static double par(const pm__step_ctx *c, const char *name)
{
    const pm_param *p = find_par(c->s, name, strlen(name));
    return p ? p->value : 0;
}

void pm__run_warn(pm_seg_run *run, const char *fmt, ...)
{
    if (run->nwarnings >= PM_SEG_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->warnings[run->nwarnings++], sizeof run->warnings[0], fmt, ap);
    va_end(ap);
}

/* Preview: each component of [lo,hi] takes the most frequent lung label
 * (1..3) the hint has on it, or 0 when the hint has none. */
static int follow_hint(pm__step_ctx *c, int lo, int hi, int conn)
{
    pm_cc *cc;
    int rc = pm_cc_label(c->m, lo, hi, conn, &cc, NULL);
    if (rc != PM_OK)
        return rc;
    uint32_t (*votes)[4] = calloc((size_t)cc->ncomp + 1, sizeof *votes);
    uint16_t *lut = malloc(((size_t)cc->ncomp + 1) * sizeof *lut);
    if (!votes || !lut) {
        free(votes), free(lut);
        pm_cc_free(cc);
        return pm_fail(PM_EMEMORY, "out of memory");
    }
    int nx = cc->dim[0];
    int64_t nrows = (int64_t)cc->dim[1] * cc->dim[2];
    for (int64_t row = 0; row < nrows; row++) {
        const uint8_t *h = c->hint->v + (size_t)nx * (size_t)row;
        for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
            for (int i = cc->x0[r]; i < cc->x1[r]; i++)
                if (h[i] >= 1 && h[i] <= 3)
                    votes[cc->label[r]][h[i]]++;
    }
    for (uint32_t k = 0; k <= cc->ncomp; k++) {
        int best = 0;
        for (int l = 1; l <= 3; l++)
            if (votes[k][l] > votes[k][best])
                best = l;
        lut[k] = (uint16_t)best;
    }
    pm_cc_paint(cc, lut, c->m->v);
    free(votes), free(lut);
    pm_cc_free(cc);
    return PM_OK;
}

static int op_threshold(pm__step_ctx *c)
{
    pm_seg_threshold(c->v, (int)par(c, "hu_min"), (int)par(c, "hu_max"), PM_LABEL_LUNG, c->m);
    return PM_OK;
}

static int op_otsu(pm__step_ctx *c)
{
    double t = pm_seg_otsu(c->v, (int)par(c, "bins"));
    if (isnan(t))
        return PM_EMEMORY;
    c->run->otsu_hu = t;
    /* "image < threshold" with a threshold between integers: HU <= ceil(t) - 1 */
    pm_seg_threshold(c->v, -32768, (int)ceil(t) - 1, PM_LABEL_LUNG, c->m);
    return PM_OK;
}

static int op_corner(pm__step_ctx *c)
{
    pm_cc *cc;
    int rc = pm_cc_label(c->m, 1, 254, (int)par(c, "conn"), &cc, c->p);
    if (rc != PM_OK)
        return rc;
    uint32_t l = pm_cc_at(cc, 0, 0, 0);
    if (l) {
        uint16_t *lut = malloc(((size_t)cc->ncomp + 1) * sizeof *lut);
        if (!lut) {
            pm_cc_free(cc);
            return pm_fail(PM_EMEMORY, "out of memory");
        }
        for (uint32_t k = 0; k <= cc->ncomp; k++)
            lut[k] = k == l ? 0 : PM_CC_KEEP;
        pm_cc_paint(cc, lut, c->m->v);
        free(lut);
    }
    pm_cc_free(cc);
    return PM_OK;
}

/* The tutorial's "fill lung structures": per slice, only the largest tissue
 * component stays tissue; everything else becomes air. */
static int op_fill_structures(pm__step_ctx *c)
{
    if (par(c, "enabled") == 0)
        return PM_OK;
    pm_cc *cc;
    int rc = pm_cc_label(c->m, 0, 0, (int)par(c, "conn"), &cc, c->p);
    if (rc != PM_OK)
        return rc;
    int nx = c->m->g.dim[0], ny = c->m->g.dim[1], nz = c->m->g.dim[2];
    size_t plane = (size_t)nx * ny;
    for (int k = 0; k < nz; k++) {
        int64_t a = cc->row_start[(int64_t)ny * k], b = cc->row_start[(int64_t)ny * (k + 1)];
        if (a == b)
            continue; /* no tissue: the slice is left as it is */
        uint32_t best = 0;
        for (int64_t r = a; r < b; r++) {
            uint32_t l = cc->label[r];
            if (!best || cc->size[l] > cc->size[best] || (cc->size[l] == cc->size[best] && l < best))
                best = l;
        }
        uint8_t *s = c->m->v + plane * (size_t)k;
        for (int j = 0; j < ny; j++) {
            int64_t row = (int64_t)j + (int64_t)ny * k;
            for (int64_t r = cc->row_start[row]; r < cc->row_start[row + 1]; r++)
                if (cc->label[r] != best)
                    memset(s + (size_t)nx * j + cc->x0[r], PM_LABEL_LUNG,
                           (size_t)(cc->x1[r] - cc->x0[r]));
        }
    }
    pm_cc_free(cc);
    return PM_OK;
}

static int op_largest(pm__step_ctx *c)
{
    int conn = (int)par(c, "conn");
    if (c->hint)
        return follow_hint(c, 1, 254, conn);
    return pm_seg_keep_largest(c->m, 1, 254, conn, (int)par(c, "n"), NULL, c->p);
}

static int op_border2d(pm__step_ctx *c)
{
    return pm_seg_clear_border(c->m, 1, 254, (int)par(c, "conn"), 1, 0, c->p);
}

static int op_small(pm__step_ctx *c)
{
    double v = par(c, "min_voxels"), mm = par(c, "min_mm3") / pm_grid_voxel_mm3(&c->m->g);
    return pm_seg_remove_small(c->m, 1, 254, (int)par(c, "conn"), (uint64_t)ceil(v > mm ? v : mm), c->p);
}

static int op_close2d(pm__step_ctx *c)
{
    if (par(c, "enabled") == 0)
        return PM_OK;
    return pm_seg_close_cross2d(c->m, 1, 254, PM_LABEL_LUNG, c->p);
}

static int op_outside(pm__step_ctx *c)
{
    return pm_seg_clear_border(c->m, PM_LABEL_LUNG, PM_LABEL_LUNG, (int)par(c, "conn"),
                               (int)par(c, "faces"), PM_LABEL_OUTSIDE, c->p);
}

static int op_body(pm__step_ctx *c)
{
    if (c->hint) {      /* the body needs the whole volume's largest piece */
        size_t n = pm_grid_voxels(&c->m->g);
        for (size_t x = 0; x < n; x++)
            if (c->hint->v[x] == PM_LABEL_OUTSIDE)
                c->m->v[x] = PM_LABEL_OUTSIDE;
        return PM_OK;
    }
    return pm_seg_body(c->v, c->m, (int)par(c, "tissue_hu"), par(c, "open_mm"), c->p);
}

/* The grid as the patient lies in it (m's, with the in-plane directions
 * the anatomy says), worked out once per run from the body step's labels. */
static pm_grid patient_grid(pm__step_ctx *c)
{
    pm_seg_run *run = c->run;
    pm_grid g = c->m->g;
    if (!run->oriented) {
        pm_grid pg;
        run->turned = pm_seg_patient_grid(c->m, &pg);
        memcpy(run->patient_dir, pg.dir, sizeof run->patient_dir);
        run->oriented = 1;
    }
    memcpy(g.dir, run->patient_dir, sizeof g.dir);
    return g;
}

static int op_airway(pm__step_ctx *c)
{
    if (par(c, "enabled") == 0)
        return PM_OK;
    if (c->hint) {
        size_t n = pm_grid_voxels(&c->m->g);
        for (size_t x = 0; x < n; x++)
            if (c->hint->v[x] == PM_LABEL_AIRWAY && c->m->v[x] == PM_LABEL_LUNG)
                c->m->v[x] = PM_LABEL_AIRWAY;
        return PM_OK;
    }
    pm_airway_opts o;
    o.search_mm = par(c, "search_mm");
    o.seed_hu = par(c, "seed_hu");
    o.seed_frac = par(c, "seed_frac");
    o.min_area_mm2 = par(c, "min_area_mm2");
    o.max_area_mm2 = par(c, "max_area_mm2");
    o.start_hu = par(c, "start_hu");
    o.max_hu = par(c, "max_hu");
    o.step_hu = 10;
    o.leak_ratio = par(c, "leak_ratio");
    o.max_ml = par(c, "max_ml");
    o.shell_mm = par(c, "shell_mm");
    pm_grid pg = patient_grid(c);
    o.patient = &pg;
    int rc = pm_seg_airway(c->v, c->m, &o, &c->run->airway, c->p);
    if (rc == PM_OK && !c->run->airway.found)
        pm__run_warn(c->run, "no trachea found in the top %.0f mm: the airway stays in the lung mask",
                     o.search_mm);
    return rc;
}

static int op_lungs(pm__step_ctx *c)
{
    int conn = (int)par(c, "conn");
    if (c->hint)
        return follow_hint(c, PM_LABEL_LUNG, PM_LABEL_LUNG, conn);
    pm_grid pg = patient_grid(c);
    int rc = pm_seg_split_lungs(c->v, c->m, &pg, conn, par(c, "min_ml"), par(c, "min_frac"), &c->run->nlungs, c->p);
    if (rc == PM_OK && c->run->turned)
        pm__run_warn(c->run, "the body lies across the image's left-right axis (a patient on the side "
                             "whose header says otherwise?): sides follow the anatomy, the heart on the left");
    if (rc == PM_OK && c->run->nlungs == 1)
        pm__run_warn(c->run, "only one lung found");
    return rc;
}

static int op_close(pm__step_ctx *c)
{
    double r = par(c, "radius_mm"), rim = par(c, "rim_mm");
    if (r <= 0)
        return PM_OK;
    /* Each lung on its own, so that the closing never bridges the two. The
     * lung's edge under a juxtapleural nodule has no contrast at all (the
     * nodule's tissue meets the chest wall's): a closing fills the nodule
     * but cannot tell the last layer of it from the wall, so tissue within
     * rim_mm of what the closing added joins it. Outside air and gas that
     * is not lung are never written over. In a preview the slab has no
     * whole body around it, so the wall limit waits for the full run. */
    return pm_seg_close_pleural(c->m, r, rim, c->hint ? 0 : par(c, "wall_mm"), c->p);
}

static int op_fill(pm__step_ctx *c)
{
    int mode = (int)par(c, "mode"), rc = PM_OK;
    unsigned over = 1u | 1u << PM_LABEL_AIRWAY;
    /* A hole in 3D (air no face of the volume reaches through its six
     * neighbours) is, on each slice, enclosed by lung through its four
     * in-plane ones: so the slices' holes include the volume's, and "both"
     * fills what "per slice" fills, with half the labelling. */
    for (int l = PM_LABEL_RIGHT; l <= PM_LABEL_LEFT && rc == PM_OK; l++) {
        if (mode & 1)
            rc = pm_seg_fill_holes(c->m, (uint8_t)l, 4, over, c->p);
        else if (mode & 2)
            rc = pm_seg_fill_holes(c->m, (uint8_t)l, 6, over, c->p);
    }
    return rc;
}

static int op_require(pm__step_ctx *c)
{
    size_t lung = pm_seg_count(c->m, PM_LABEL_RIGHT, PM_LABEL_LEFT);
    c->run->lung_ml = (double)lung * pm_grid_voxel_mm3(&c->m->g) / 1000.0;
    if (c->hint)
        return PM_OK;
    if (c->run->lung_ml < par(c, "min_ml"))
        return pm_fail(PM_ENOLUNG, "no lungs found: %.0f mL of lung-like air, below %.0f mL "
                       "(is this a chest CT?)", c->run->lung_ml, par(c, "min_ml"));
    return PM_OK;
}

/* The network's labels. R231 has pulmo's labels already (1 right, 2 left);
 * LTRCLobes' five lobes (1-2 left, 3-5 right) are mapped to the sides. */
static int op_unet(pm__step_ctx *c)
{
    size_t n = pm_grid_voxels(&c->m->g);
    if (c->hint) {               /* preview: the full run's labels on the slab */
        memcpy(c->m->v, c->hint->v, n);
        return PM_OK;
    }
    if (!c->run->unet)
        return pm_fail(PM_EUSAGE, "the unet recipe needs U-Net weights: --weights FILE.pth, "
                       "PULMO_WEIGHTS or $XDG_CONFIG_HOME/pulmo/weights");
    int rc = pm_unet_segment(c->v, c->run->unet, 0, c->m->v, c->p);
    if (rc == PM_ENOLUNG) {      /* "require" reports it with the volumes */
        memset(c->m->v, 0, n);
        return PM_OK;
    }
    pm_unet_info info;
    pm_unet_describe(c->run->unet, &info);
    if (rc == PM_OK && info.n_classes == 6)
        for (size_t x = 0; x < n; x++)
            c->m->v[x] = c->m->v[x] == 0 ? 0 : c->m->v[x] <= 2 ? PM_LABEL_LEFT : PM_LABEL_RIGHT;
    return rc;
}

/* Each operation with the parameters it reads (par): a recipe's step must
 * define them all, which tests/test_recipe_params.c checks for every step. */
static const struct {
    const char *name;
    int (*fn)(pm__step_ctx *c);
    const char *reads;
} ops[] = {
    {"threshold", op_threshold, "hu_min hu_max"},
    {"otsu", op_otsu, "bins"},
    {"corner", op_corner, "conn"},
    {"fill_structures", op_fill_structures, "enabled conn"},
    {"largest", op_largest, "n conn"},
    {"border2d", op_border2d, "conn"},
    {"small", op_small, "min_voxels min_mm3 conn"},
    {"close2d", op_close2d, "enabled"},
    {"outside", op_outside, "conn faces"},
    {"body", op_body, "tissue_hu open_mm"},
    {"airway", op_airway, "enabled search_mm seed_hu seed_frac min_area_mm2 max_area_mm2 start_hu max_hu "
                          "leak_ratio max_ml shell_mm"},
    {"lungs", op_lungs, "conn min_ml min_frac"},
    {"close", op_close, "radius_mm rim_mm wall_mm"},
    {"fill", op_fill, "mode"},
    {"require", op_require, "min_ml"},
    {"unet", op_unet, ""},
};

const char *pm_step_reads(const char *op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(ops[i].name, op))
            return ops[i].reads;
    return NULL;
}

int pm__step_exec(pm__step_ctx *c)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(ops[i].name, c->s->name))
            continue;
        /* A step built by hand (the API takes any pm_step) may lack a
         * parameter its op reads: refuse it rather than guess a value. */
        for (const char *r = ops[i].reads; *r;) {
            size_t len = strcspn(r, " ");
            if (!find_par(c->s, r, len))
                return pm_fail(PM_EUSAGE, "step '%s' has no parameter '%.*s'", c->s->name, (int)len, r);
            r += len;
            r += strspn(r, " ");
        }
        return ops[i].fn(c);
    }
    return pm_fail(PM_EUSAGE, "unknown step '%s'", c->s->name);
}
