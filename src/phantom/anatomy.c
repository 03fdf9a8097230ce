/* anatomy.c - the analytic chest behind every phantom: where the body,
 * lungs, mediastinum, airways, bones and vessels are, in LPS millimetres.
 *
 * Shapes are signed distance approximations (negative inside), combined by
 * max() for intersections, so that one function answers both "is this voxel
 * centre inside?" (the truth label) and "how far from the edge?" (the
 * partial-volume blend). Sizes are given for an adult (scale 1) and scaled
 * in-plane by spec.scale and vertically by the lung height the volume
 * leaves room for. */
#include "phantom_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t pm__mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double pm__unif(uint64_t *state)
{
    return (double)(pm__mix(state) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t pm__hash(uint64_t seed, uint64_t n)
{
    uint64_t st = seed ^ (n * 0xd1b54a32d192ed03ULL);
    pm__mix(&st);
    return pm__mix(&st);
}

double pm__seg_dist(const pm__seg *s, const double p[3], double *t)
{
    double ab[3], ap[3], L2 = 0, dot = 0;
    for (int i = 0; i < 3; i++) {
        ab[i] = s->b[i] - s->a[i];
        ap[i] = p[i] - s->a[i];
        L2 += ab[i] * ab[i];
        dot += ab[i] * ap[i];
    }
    double u = L2 > 0 ? dot / L2 : 0;
    if (t)
        *t = u;
    double c = u < 0 ? 0 : u > 1 ? 1 : u, d2 = 0;
    for (int i = 0; i < 3; i++) {
        double e = ap[i] - c * ab[i];
        d2 += e * e;
    }
    return sqrt(d2);
}

/* Radial distance to an axis-aligned ellipse (exact on the axes, close
 * enough elsewhere for blending). */
static double pm__ell_d(double x, double y, double cx, double cy, double a, double b)
{
    double dx = x - cx, dy = y - cy, r = sqrt(dx * dx + dy * dy);
    if (r < 1e-9)
        return -(a < b ? a : b);
    double c = dx / r, s = dy / r;
    double R = a * b / sqrt(b * b * c * c + a * a * s * s);
    return r - R;
}

static double pm__ellipsoid_d(const double p[3], const double c[3], const double r[3])
{
    double q = 0, rmin = r[0];
    for (int i = 0; i < 3; i++) {
        double t = (p[i] - c[i]) / r[i];
        q += t * t;
        if (r[i] < rmin)
            rmin = r[i];
    }
    return (sqrt(q) - 1.0) * rmin;
}

static double pm__max(double a, double b)
{
    return a > b ? a : b;
}

/* Lateral centre of a lung's apex and diaphragm dome. */
static double pm__lung_cx(const pm__model *m, int lung)
{
    return m->bx + (lung == PM_LABEL_RIGHT_LUNG ? -0.5 : 0.5) * m->ca;
}

double pm__lung_d(const pm__model *m, int lung, double x, double y, double z)
{
    double s = m->s;
    /* Patient's right is -x: mirror so that x' grows laterally. */
    double xl = lung == PM_LABEL_RIGHT_LUNG ? m->bx - x : x - m->bx;
    double yn = (y - m->by) / m->cb;             /* -1 anterior .. +1 posterior */
    double wmed = s * (14.0 + 6.0 * (yn + 1.0));
    double d = wmed - xl;
    if (d > 12)
        return d;
    d = pm__max(d, pm__ell_d(x, y, m->bx, m->by, m->ca, m->cb));
    double cx = pm__lung_cx(m, lung), cy = m->by + 0.1 * m->cb;
    double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
    double Ra = 38.0 * s;
    double ztop = m->zhi - r2 / (2.0 * Ra);
    d = pm__max(d, (z - ztop) / sqrt(1.0 + r2 / (Ra * Ra)));
    double Rd = 0.62 * m->ca, hd = m->dome[lung];
    double zd = m->zlo + hd * (1.0 - r2 / (Rd * Rd));
    double zmin = m->zlo - 0.6 * m->dome[1];
    double gr = 2.0 * hd * sqrt(r2) / (Rd * Rd);
    if (zd < zmin) {
        zd = zmin;
        gr = 0;
    }
    d = pm__max(d, (zd - z) / sqrt(1.0 + gr * gr));
    if (d > 12)
        return d;
    /* Mediastinal organs push the lungs away, with a pleural margin. */
    double p[3] = {x, y, z};
    d = pm__max(d, 4.0 * s - pm__ellipsoid_d(p, m->heart_c, m->heart_r));
    for (int i = 0; i < m->nmed; i++)
        if (z > m->med[i].zmin - 20 && z < m->med[i].zmax + 20)
            d = pm__max(d, 3.0 * s - (pm__seg_dist(&m->med[i], p, NULL) - m->med[i].r));
    d = pm__max(d, 5.0 * s - (pm__seg_dist(&m->air[0], p, NULL) - m->air[0].r - m->air[0].wall));
    double sd = sqrt((x - m->spine_c[0]) * (x - m->spine_c[0]) + (y - m->spine_c[1]) * (y - m->spine_c[1]));
    d = pm__max(d, 5.0 * s - (sd - m->spine_r - 8.0 * s));
    return d;
}

static void pm__seg_set(pm__seg *g, const double a[3], const double b[3], double r, double wall, int open)
{
    memcpy(g->a, a, sizeof g->a);
    memcpy(g->b, b, sizeof g->b);
    g->r = r;
    g->wall = wall;
    g->open_end = open;
    double lo = a[2] < b[2] ? a[2] : b[2], hi = a[2] < b[2] ? b[2] : a[2];
    g->zmin = lo - r - wall - 3;
    g->zmax = hi + r + wall + 3;
}

static void pm__add_med(pm__model *m, double x0, double y0, double z0, double x1, double y1, double z1,
                        double r)
{
    double a[3] = {m->bx + x0 * m->s, m->by + y0 * m->s, z0};
    double b[3] = {m->bx + x1 * m->s, m->by + y1 * m->s, z1};
    pm__seg_set(&m->med[m->nmed++], a, b, r * m->s, 0, 0);
}

/* An airway branch from a to a + (dx,dy,dz) (scaled). */
static pm__seg *pm__add_air(pm__model *m, const double a[3], double dx, double dy, double dz, double r,
                            double wall, int open)
{
    double b[3] = {a[0] + dx * m->s, a[1] + dy * m->s, a[2] + dz * m->hz};
    pm__seg *g = &m->air[m->nair++];
    pm__seg_set(g, a, b, r * m->s, wall * m->s, open);
    return g;
}

static void pm__rand_dir(uint64_t *st, const double d[3], double ang, double out[3])
{
    /* A random unit vector at angle ang from d. */
    double u[3] = {pm__unif(st) - 0.5, pm__unif(st) - 0.5, pm__unif(st) - 0.5};
    double dot = u[0] * d[0] + u[1] * d[1] + u[2] * d[2], n = 0;
    for (int i = 0; i < 3; i++) {
        u[i] -= dot * d[i];
        n += u[i] * u[i];
    }
    n = sqrt(n);
    if (n < 1e-9) {
        u[0] = -d[1]; u[1] = d[0]; u[2] = 0;
        n = sqrt(u[0] * u[0] + u[1] * u[1]) + 1e-12;
    }
    for (int i = 0; i < 3; i++)
        out[i] = cos(ang) * d[i] + sin(ang) * u[i] / n;
}

static void pm__grow(pm__model *m, uint64_t *st, int lung, const double a[3], const double dir[3],
                     double r, double len, int gen)
{
    if (m->nves >= PM__MAXVES || r < 0.6)
        return;
    double b[3];
    for (int tries = 0; tries < 3; tries++, len *= 0.6) {
        for (int i = 0; i < 3; i++)
            b[i] = a[i] + dir[i] * len;
        if (pm__lung_d(m, lung, b[0], b[1], b[2]) < -(r + 2.0))
            break;
    }
    if (pm__lung_d(m, lung, b[0], b[1], b[2]) >= -(r + 2.0))
        return;
    pm__seg *g = &m->ves[m->nves++];
    pm__seg_set(g, a, b, r, 0, 0);
    g->lung = lung;
    if (gen >= 5)
        return;
    for (int c = 0; c < 2; c++) {
        double d[3];
        pm__rand_dir(st, dir, 0.35 + 0.35 * pm__unif(st), d);
        pm__grow(m, st, lung, b, d, r * 0.72, len * (0.7 + 0.15 * pm__unif(st)), gen + 1);
    }
}

/* Airway lumen distance; open ends are cut flat at b. */
static double pm__air_d(const pm__model *m, const double p[3], double extra)
{
    double best = 1e9;
    for (int i = 0; i < m->nair; i++) {
        double t, d = pm__seg_dist(&m->air[i], p, &t) - m->air[i].r - extra;
        if (d < best)
            best = d;
    }
    return best;
}

static void pm__nodules(pm__model *m, uint64_t *st)
{
    int lung = 1 + (int)(pm__mix(st) & 1);
    /* A solid nodule well inside one lung, away from the airways. */
    pm_phantom_nodule *n = &m->nod[0];
    n->radius = (4.0 + 3.0 * pm__unif(st)) * m->s;
    n->lung = lung;
    for (int tries = 0; tries < 5000; tries++) {
        double c[3] = {pm__lung_cx(m, lung) + (pm__unif(st) - 0.5) * 0.8 * m->ca,
                       m->by + (pm__unif(st) - 0.5) * 1.4 * m->cb,
                       m->zlo + (0.15 + 0.7 * pm__unif(st)) * (m->zhi - m->zlo)};
        memcpy(n->center, c, sizeof c);
        if (pm__lung_d(m, lung, c[0], c[1], c[2]) < -(n->radius + 8.0) &&
            pm__air_d(m, c, 3.0) > n->radius + 6.0)
            break;
    }
    /* A juxtapleural nodule on the lateral or posterior wall of the other
     * lung: centre just inside the pleura so part of it lies in the wall. */
    n = &m->nod[1];
    lung = 3 - lung;
    n->lung = lung;
    n->juxtapleural = 1;
    n->radius = (5.0 + 2.0 * pm__unif(st)) * m->s;
    for (int tries = 0; tries < 5000; tries++) {
        double z = m->zlo + (0.25 + 0.45 * pm__unif(st)) * (m->zhi - m->zlo);
        double ang = (-0.3 + 1.6 * pm__unif(st)) * 0.5 * M_PI;   /* lateral .. posterior */
        double dx = cos(ang) * (lung == PM_LABEL_RIGHT_LUNG ? -1 : 1), dy = sin(ang);
        double p[3] = {pm__lung_cx(m, lung), m->by + 0.1 * m->cb, z};
        if (pm__lung_d(m, lung, p[0], p[1], p[2]) > -10)
            continue;
        double step = 0.5;
        for (int i = 0; i < 600 && pm__lung_d(m, lung, p[0], p[1], p[2]) < 0; i++) {
            p[0] += dx * step;
            p[1] += dy * step;
        }
        p[0] -= dx * 0.45 * n->radius;
        p[1] -= dy * 0.45 * n->radius;
        memcpy(n->center, p, sizeof p);
        if (pm__air_d(m, p, 3.0) > n->radius + 6.0)
            break;
    }
    m->nod_phase[0][0] = 2 * M_PI * pm__unif(st);
    m->nod_phase[0][1] = 2 * M_PI * pm__unif(st);
    m->nod_phase[0][2] = 2 * M_PI * pm__unif(st);
    m->nod_phase[1][0] = 2 * M_PI * pm__unif(st);
    m->nod_phase[1][1] = 2 * M_PI * pm__unif(st);
    m->nod_phase[1][2] = 2 * M_PI * pm__unif(st);
}

static void pm__grid(pm__model *m)
{
    const pm_phantom_spec *sp = &m->spec;
    pm_grid *g = &m->g;
    pm_grid_init(g, sp->nx, sp->ny, sp->nz, sp->pixel_mm, sp->pixel_mm, sp->slice_mm);
    double ext = (sp->nz - 1) * sp->slice_mm;
    g->origin[1] = -(sp->ny - 1) * 0.5 * sp->pixel_mm;
    if (sp->feet_first) {
        /* As many scanners write feet-first series: rows run to the
         * patient's right, and the slice normal points to the feet. */
        g->dir[0] = -1;
        g->dir[8] = -1;
        g->origin[0] = (sp->nx - 1) * 0.5 * sp->pixel_mm;
        g->origin[2] = 95.0;
        m->ztop = 95.0;
        m->zbot = 95.0 - ext;
    } else {
        g->origin[0] = -(sp->nx - 1) * 0.5 * sp->pixel_mm;
        g->origin[2] = -40.0 - ext;
        m->zbot = -40.0 - ext;
        m->ztop = -40.0;
    }
}

int pm__model_build(pm__model *m, const pm_phantom_spec *sp)
{
    memset(m, 0, sizeof *m);
    m->spec = *sp;
    pm__grid(m);
    double s = m->s = sp->scale;
    m->W = sp->pixel_mm;
    m->fov_c[0] = 0;
    m->fov_c[1] = 0;
    m->fov_r = 0.5 * (sp->nx < sp->ny ? sp->nx : sp->ny) * sp->pixel_mm;
    uint64_t st = sp->seed;
    m->bx = (pm__unif(&st) - 0.5) * 8.0;
    m->by = -12.0 * s;
    m->ba = 165.0 * s;
    m->bb = 112.0 * s;
    m->ca = m->ba - 30.0 * s;
    m->cb = m->bb - 27.0 * s;
    m->table_y = m->by + m->bb - 6.0 * s;
    m->dome[1] = 46.0 * s;
    m->dome[2] = 36.0 * s;
    m->zhi = m->ztop - 14.0;
    m->zlo = m->zbot + 12.0 + 0.6 * m->dome[1];
    double H = m->zhi - m->zlo;
    double hz = m->hz = H / 250.0;
    m->zcar = m->zlo + 0.64 * H;

    m->heart_c[0] = m->bx + 15.0 * s;
    m->heart_c[1] = m->by - 32.0 * s;
    m->heart_c[2] = m->zlo + 40.0 * hz;
    m->heart_r[0] = 56.0 * s;
    m->heart_r[1] = 44.0 * s;
    m->heart_r[2] = 52.0 * hz;
    m->spine_c[0] = m->bx;
    m->spine_c[1] = m->by + 64.0 * s;
    m->spine_r = 17.0 * s;
    m->bubble_r = 14.0 * s;
    m->bubble_c[0] = m->bx + 0.45 * m->ca;
    m->bubble_c[1] = m->by - 0.1 * m->cb;
    m->bubble_c[2] = m->zlo - 0.6 * m->dome[1] - 8.0;

    /* Great vessels: descending aorta beside the spine, ascending aorta,
     * the arch passing left of the trachea, the SVC on the right, the
     * pulmonary trunk. */
    double zarch = m->zcar + 24.0 * hz, zht = m->heart_c[2] + 0.6 * m->heart_r[2];
    pm__add_med(m, 26, 45, m->zbot - 20, 26, 45, zarch, 12);
    pm__add_med(m, -5, -25, zht, -5, -25, zarch, 14);
    pm__add_med(m, -5, -25, zarch, 22, 0, zarch + 8 * hz, 12);
    pm__add_med(m, 22, 0, zarch + 8 * hz, 26, 45, zarch, 12);
    pm__add_med(m, -22, -12, zht, -22, -12, m->ztop + 20, 9);
    pm__add_med(m, 8, -38, zht - 12 * hz, 16, -14, m->zcar - 10 * hz, 11);

    /* Airways: trachea from above the volume to the carina, main bronchi to
     * the hila, lobar bronchi open into the lungs. */
    double tr[3] = {m->bx, m->by + 25.0 * s, m->ztop + 30.0};
    double car[3] = {m->bx, m->by + 25.0 * s, m->zcar};
    pm__seg_set(&m->air[m->nair++], tr, car, 8.0 * s, 2.0 * s, 0);
    m->airways_connect = 1;
    for (int lung = 1; lung <= 2; lung++) {
        int right = lung == PM_LABEL_RIGHT_LUNG;
        double sx = right ? -1 : 1;
        pm__seg *mb = pm__add_air(m, car, sx * (right ? 38 : 52), -4, right ? -24 : -26,
                                  right ? 6.5 : 5.5, 1.8, 0);
        if (sp->disconnected == lung) {
            /* Stops short: the blind end stays in the mediastinum. */
            double f = 1.0;
            for (; f > 0.1; f -= 0.02) {
                double e[3];
                for (int i = 0; i < 3; i++)
                    e[i] = car[i] + f * (mb->b[i] - car[i]);
                if (pm__lung_d(m, lung, e[0], e[1], e[2]) > mb->r + mb->wall + 4.0)
                    break;
            }
            double e[3];
            for (int i = 0; i < 3; i++)
                e[i] = car[i] + f * (mb->b[i] - car[i]);
            pm__seg_set(mb, car, e, mb->r, mb->wall, 0);
            m->airways_connect = 0;
            continue;
        }
        double h[3] = {mb->b[0], mb->b[1], mb->b[2]};
        if (right) {
            pm__add_air(m, h, -22, 0, 16, 4.0, 1.2, 1);
            pm__add_air(m, h, -18, -18, -14, 3.5, 1.2, 1);
            pm__add_air(m, h, -14, 10, -28, 4.5, 1.2, 1);
        } else {
            pm__add_air(m, h, 20, -8, 18, 4.0, 1.2, 1);
            pm__add_air(m, h, 16, 10, -28, 4.5, 1.2, 1);
        }
    }

    /* Vessel trees from each hilum. */
    m->ves = calloc(PM__MAXVES, sizeof *m->ves);
    if (!m->ves)
        return pm_fail(PM_EMEMORY, "out of memory");
    for (int lung = 1; lung <= 2; lung++) {
        double sx = lung == PM_LABEL_RIGHT_LUNG ? -1 : 1;
        double root[3] = {m->bx + sx * 50.0 * s, m->by + 5.0 * s, m->zcar - 30.0 * hz};
        static const double dirs[5][3] = {{0.4, -0.2, 0.9}, {0.9, -0.3, 0.1}, {0.5, -0.7, -0.5},
                                          {0.4, 0.4, -0.8}, {0.6, 0.6, 0.3}};
        for (int t = 0; t < 5; t++) {
            double d[3] = {sx * dirs[t][0], dirs[t][1], dirs[t][2]}, n = 0;
            for (int i = 0; i < 3; i++)
                n += d[i] * d[i];
            for (int i = 0; i < 3; i++)
                d[i] /= sqrt(n);
            pm__grow(m, &st, lung, root, d, 3.8 * s, 32.0 * s, 0);
        }
    }
    pm__nodules(m, &st);
    return PM_OK;
}

void pm__model_done(pm__model *m)
{
    free(m->ves);
    m->ves = NULL;
}
