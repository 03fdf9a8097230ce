/* raster.c - samples the analytic chest on the voxel grid, one slice at a
 * time: tissues painted back to front with partial-volume blending, truth
 * labels from the voxel centres, lung texture and Gaussian noise.
 *
 * Every random value is a hash of the voxel or lattice position, never a
 * shared stream, so slices can be computed in any order on any thread. */
#include "phantom_int.h"

#include <math.h>
#include <string.h>

/* Weight of "inside" for a signed distance d: 1 deep inside, 0 outside,
 * 0.5 on the surface, over one blend width. */
static inline double pm__w(double d, double W)
{
    double t = 0.5 - d / W;
    if (t <= 0)
        return 0;
    if (t >= 1)
        return 1;
    return t * t * (3.0 - 2.0 * t);
}

static inline double pm__mixv(double a, double b, double w)
{
    return a + (b - a) * w;
}

/* Value noise in [-1,1] on a unit lattice, trilinear. */
static double pm__vnoise(uint64_t seed, double x, double y, double z)
{
    double fx = floor(x), fy = floor(y), fz = floor(z);
    double tx = x - fx, ty = y - fy, tz = z - fz;
    int64_t ix = (int64_t)fx, iy = (int64_t)fy, iz = (int64_t)fz;
    double v[8];
    for (int c = 0; c < 8; c++) {
        uint64_t key = (uint64_t)(ix + (c & 1)) * 73856093ULL ^ (uint64_t)(iy + ((c >> 1) & 1)) * 19349663ULL
                       ^ (uint64_t)(iz + (c >> 2)) * 83492791ULL;
        v[c] = (double)(pm__hash(seed, key) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    }
    double x00 = v[0] + (v[1] - v[0]) * tx, x10 = v[2] + (v[3] - v[2]) * tx;
    double x01 = v[4] + (v[5] - v[4]) * tx, x11 = v[6] + (v[7] - v[6]) * tx;
    double y0 = x00 + (x10 - x00) * ty, y1 = x01 + (x11 - x01) * ty;
    return y0 + (y1 - y0) * tz;
}

/* A standard normal value from the hash of (seed, n) (Box-Muller). */
static double pm__gauss(uint64_t seed, uint64_t n)
{
    uint64_t h = pm__hash(seed, n);
    double u1 = ((double)(h >> 40) + 0.5) * (1.0 / 16777216.0);
    double u2 = (double)((h >> 16) & 0xffffff) * (1.0 / 16777216.0);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double pm__nodule_d(const pm__model *m, int i, const double p[3])
{
    const pm_phantom_nodule *n = &m->nod[i];
    double v[3] = {p[0] - n->center[0], p[1] - n->center[1], p[2] - n->center[2]};
    double r = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (r > 2.0 * n->radius)
        return r - n->radius;
    if (r < 1e-9)
        return -n->radius;
    /* Gently lobulated: the radius varies with direction by up to 12%. */
    const double *ph = m->nod_phase[i];
    double lob = 0.06 * sin(3.0 * v[0] / r + ph[0]) * sin(2.0 * v[1] / r + ph[1])
               + 0.06 * sin(2.5 * v[2] / r + ph[2]);
    return r - n->radius * (1.0 + lob);
}

/* HU of the body wall at a depth below the skin. */
static double pm__body_hu(const pm__model *m, double depth)
{
    double s = m->s, W = m->W;
    double hu = 25.0;                                    /* skin */
    hu = pm__mixv(hu, -100.0, pm__w(2.0 * s - depth, W));   /* fat */
    hu = pm__mixv(hu, 50.0, pm__w(13.0 * s - depth, W));    /* muscle */
    hu = pm__mixv(hu, 35.0, pm__w(27.0 * s - depth, W));    /* inner soft tissue */
    return hu;
}

static double pm__ell(double x, double y, double cx, double cy, double a, double b)
{
    double dx = x - cx, dy = y - cy, r = sqrt(dx * dx + dy * dy);
    if (r < 1e-9)
        return -(a < b ? a : b);
    double c = dx / r, sn = dy / r;
    return r - a * b / sqrt(b * b * c * c + a * a * sn * sn);
}

/* Bones of the thoracic cage: vertebral body with discs, posterior arch,
 * ribs, sternum. Returns the HU after painting over hu. */
static double pm__bones(const pm__model *m, const double p[3], double hu)
{
    double s = m->s, W = m->W, x = p[0], y = p[1], z = p[2];
    double sx = m->spine_c[0], sy = m->spine_c[1];
    double dv = sqrt((x - sx) * (x - sx) + (y - sy) * (y - sy)) - m->spine_r;
    if (dv < W) {
        double period = 27.0 * m->hz, ph = fmod(z - m->zbot, period);
        double disc = fabs(ph - 0.5 * period) - (0.5 * period - 3.0 * m->hz);
        double bone = pm__mixv(900.0, 420.0, pm__w(dv + 2.0, W));
        hu = pm__mixv(hu, pm__mixv(bone, 80.0, pm__w(-disc, W) * pm__w(dv + 1.0, W)), pm__w(dv, W));
    }
    double cy = sy + m->spine_r + 9.0 * s;
    double dc = sqrt((x - sx) * (x - sx) + (y - cy) * (y - cy));
    if (dc < 40.0 * s) {
        hu = pm__mixv(hu, 850.0, pm__w(dc - 14.0 * s, W));          /* arch */
        hu = pm__mixv(hu, 30.0, pm__w(dc - 7.0 * s, W));            /* cord */
        pm__seg sp = {{sx, cy + 12 * s, z}, {sx, cy + 34 * s, z}, 4.0 * s, 0, 0, 0, 0, 0};
        hu = pm__mixv(hu, 750.0, pm__w(pm__seg_dist(&sp, p, NULL) - sp.r, W));
        for (int side = -1; side <= 1; side += 2) {
            pm__seg tp = {{sx, cy, z}, {sx + side * 27 * s, cy - 4 * s, z}, 4.5 * s, 0, 0, 0, 0, 0};
            hu = pm__mixv(hu, 750.0, pm__w(pm__seg_dist(&tp, p, NULL) - tp.r, W));
        }
    }
    /* Ribs: bands around the cavity just outside the pleura, sloping down
     * towards the front; costal cartilage near the sternum. */
    double ra = m->ca + 7.0 * s, rb = m->cb + 7.0 * s;
    double dr = pm__ell(x, y, m->bx, m->by, ra, rb);
    if (fabs(dr) < 8.0 * s && fabs(x - m->bx) > 24.0 * s) {
        double dx = (x - m->bx) / ra, dy = (y - m->by) / rb, rr = sqrt(dx * dx + dy * dy);
        double sn = rr > 0 ? dy / rr : 0;                  /* +1 posterior, -1 anterior */
        double drop = 95.0 * m->hz * (1.0 - sn) * 0.5;
        double pitch = (m->zhi - m->zlo) / 10.0, z0 = m->zhi - 8.0 * m->hz;
        double q = (z0 - (z + drop)) / pitch;
        long i = lround(q);
        if (i >= 0 && i <= 11 && sn > -0.93) {
            double dz = (q - (double)i) * pitch;
            double e = sqrt((dr / (4.5 * s)) * (dr / (4.5 * s)) + (dz / (6.5 * s)) * (dz / (6.5 * s)));
            double d = (e - 1.0) * 4.5 * s;
            double rib = sn > -0.75 ? pm__mixv(880.0, 430.0, pm__w(d + 1.5, W)) : 140.0;
            hu = pm__mixv(hu, rib, pm__w(d, W));
        }
    }
    /* Sternum in front of the cavity. */
    double dsx = fabs(x - m->bx) - 14.0 * s;
    double ymid = m->by - m->cb - 8.0 * s, dsy = fabs(y - ymid) - 5.5 * s;
    double zlo = m->zlo + 20.0 * m->hz, zhi = m->zhi - 25.0 * m->hz;
    double dsz = fabs(z - 0.5 * (zlo + zhi)) - 0.5 * (zhi - zlo);
    double dst = dsx > dsy ? (dsx > dsz ? dsx : dsz) : (dsy > dsz ? dsy : dsz);
    if (dst < W)
        hu = pm__mixv(hu, pm__mixv(700.0, 400.0, pm__w(dst + 1.5, W)), pm__w(dst, W));
    return hu;
}

/* Table: a carbon shell around a foam core, wider than the field of view. */
static double pm__table(const pm__model *m, const double p[3], double hu)
{
    double W = m->W, t0 = m->table_y, th = 14.0 * m->s;
    double dy = fabs(p[1] - (t0 + 0.5 * th)) - 0.5 * th;
    double dx = fabs(p[0] - m->bx) - 230.0;
    double d = dx > dy ? dx : dy;
    if (d > W)
        return hu;
    hu = pm__mixv(hu, 300.0, pm__w(d, W));
    return pm__mixv(hu, -950.0, pm__w(d + 2.0, W));
}

void pm__raster_slice(const pm__model *m, int k, int16_t *hu_out, uint8_t *lab_out, uint8_t *str_out)
{
    const pm_grid *g = &m->g;
    int nx = g->dim[0], ny = g->dim[1];
    double W = m->W;
    double o[3];
    pm_grid_to_lps(g, 0, 0, k, o);
    double z = o[2];
    /* The segments near this slice. */
    const pm__seg *ves[PM__MAXVES], *air[PM__MAXAIR];
    int nves = 0, nair = 0;
    for (int i = 0; i < m->nves; i++)
        if (z >= m->ves[i].zmin && z <= m->ves[i].zmax)
            ves[nves++] = &m->ves[i];
    for (int i = 0; i < m->nair; i++)
        if (z >= m->air[i].zmin && z <= m->air[i].zmax)
            air[nair++] = &m->air[i];
    uint64_t seed = m->spec.seed;
    double sigma = m->spec.noise;
    for (int j = 0; j < ny; j++) {
        for (int i = 0; i < nx; i++) {
            size_t idx = (size_t)i + (size_t)nx * (size_t)j;
            double p[3];
            pm_grid_to_lps(g, i, j, k, p);
            double fx = p[0] - m->fov_c[0], fy = p[1] - m->fov_c[1];
            if (fx * fx + fy * fy > m->fov_r * m->fov_r) {
                hu_out[idx] = -2000;
                lab_out[idx] = 0;
                if (str_out)
                    str_out[idx] = 0;
                continue;
            }
            double hu = -1000.0;
            int lab = 0, in_vessel = 0, in_wall = 0;
            hu = pm__table(m, p, hu);
            double db = pm__ell(p[0], p[1], m->bx, m->by, m->ba, m->bb);
            /* The back lies flat on the table. */
            double dback = p[1] - (m->table_y - 1.0);
            db = db > dback ? db : dback;
            if (db < W) {
                hu = pm__mixv(hu, pm__body_hu(m, -db), pm__w(db, W));
                /* Below the diaphragm: liver on the right, a gas bubble in
                 * the stomach on the left. */
                double dcav = pm__ell(p[0], p[1], m->bx, m->by, m->ca, m->cb);
                double zr = m->zlo + 0.3 * m->dome[1] - 6.0;
                double dl = dcav > p[0] - (m->bx + 30 * m->s) ? dcav : p[0] - (m->bx + 30 * m->s);
                dl = dl > p[2] - zr ? dl : p[2] - zr;
                hu = pm__mixv(hu, 62.0, pm__w(dl, W));
                double bd[3] = {p[0] - m->bubble_c[0], p[1] - m->bubble_c[1], p[2] - m->bubble_c[2]};
                double dbub = sqrt(bd[0] * bd[0] + bd[1] * bd[1] + bd[2] * bd[2]) - m->bubble_r;
                hu = pm__mixv(hu, -1000.0, pm__w(dbub, W));
                /* Heart in its fat, great vessels, bones. */
                double hp = 0;
                for (int a = 0; a < 3; a++) {
                    double t = (p[a] - m->heart_c[a]) / m->heart_r[a];
                    hp += t * t;
                }
                double dh = (sqrt(hp) - 1.0) * m->heart_r[1];
                hu = pm__mixv(hu, -85.0, pm__w(dh - 5.0 * m->s, W));
                hu = pm__mixv(hu, 42.0, pm__w(dh, W));
                for (int a = 0; a < m->nmed; a++)
                    if (z >= m->med[a].zmin && z <= m->med[a].zmax)
                        hu = pm__mixv(hu, 45.0, pm__w(pm__seg_dist(&m->med[a], p, NULL) - m->med[a].r, W));
                hu = pm__bones(m, p, hu);
                /* Lungs with texture and a gravity gradient; vessels. */
                for (int lung = 1; lung <= 2; lung++) {
                    double d = pm__lung_d(m, lung, p[0], p[1], p[2]);
                    if (d >= W)
                        continue;
                    double tex = 22.0 * pm__vnoise(seed ^ 0x1111, p[0] / 4.5, p[1] / 4.5, p[2] / 4.5)
                               + 12.0 * pm__vnoise(seed ^ 0x2222, p[0] / 1.7, p[1] / 1.7, p[2] / 1.7);
                    double lhu = -855.0 + 30.0 * (p[1] - m->by) / m->cb + tex;
                    double wl = pm__w(d, W);
                    hu = pm__mixv(hu, lhu, wl);
                    if (d < 0)
                        lab = lung;
                    double dv = 1e9;
                    for (int a = 0; a < nves; a++) {
                        if (ves[a]->lung != lung)
                            continue;
                        double e = pm__seg_dist(ves[a], p, NULL) - ves[a]->r;
                        if (e < dv)
                            dv = e;
                    }
                    if (dv < W)
                        hu = pm__mixv(hu, 40.0, pm__w(dv, W) * wl);
                    in_vessel |= dv < 0 && d < 0;
                }
                /* Airways: wall, then the air of the lumen. */
                double dw = 1e9, dlum = 1e9;
                for (int a = 0; a < nair; a++) {
                    double t, e = pm__seg_dist(air[a], p, &t);
                    double cut = air[a]->open_end ? (t - 1.0) * sqrt(
                        (air[a]->b[0] - air[a]->a[0]) * (air[a]->b[0] - air[a]->a[0]) +
                        (air[a]->b[1] - air[a]->a[1]) * (air[a]->b[1] - air[a]->a[1]) +
                        (air[a]->b[2] - air[a]->a[2]) * (air[a]->b[2] - air[a]->a[2])) : -1e9;
                    double ew = e - air[a]->r - air[a]->wall, el = e - air[a]->r;
                    ew = ew > cut ? ew : cut;
                    el = el > cut ? el : cut;
                    if (ew < dw)
                        dw = ew;
                    if (el < dlum)
                        dlum = el;
                }
                in_wall = dw < 0 && dlum >= 0;
                if (dw < W) {
                    hu = pm__mixv(hu, 40.0, pm__w(dw, W));
                    hu = pm__mixv(hu, -1000.0, pm__w(dlum, W));
                }
                /* Nodules; the truth keeps only their part inside a lung. */
                for (int a = 0; a < 2; a++) {
                    double dn = pm__nodule_d(m, a, p);
                    if (dn >= W)
                        continue;
                    hu = pm__mixv(hu, 38.0, pm__w(dn, W));
                    if (dn < 0 && lab == m->nod[a].lung)
                        lab = PM_LABEL_NODULE;
                }
                if (dlum < 0)
                    lab = PM_LABEL_AIRWAY;
            }
            if (sigma > 0)
                hu += sigma * pm__gauss(seed ^ 0x5eed, (uint64_t)idx + (uint64_t)nx * ny * (uint64_t)k);
            long v = lround(hu);
            hu_out[idx] = (int16_t)(v < -1024 ? -1024 : v > 3071 ? 3071 : v);
            lab_out[idx] = (uint8_t)lab;
            if (str_out)
                str_out[idx] = lab == PM_LABEL_RIGHT_LUNG || lab == PM_LABEL_LEFT_LUNG
                             ? (in_vessel ? 1 : in_wall ? 2 : 0) : 0;
        }
    }
}
