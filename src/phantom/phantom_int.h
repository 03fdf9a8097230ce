/* phantom_int.h - internals shared by the phantom model (anatomy.c), its
 * rasterizer (raster.c) and the writer (write.c). */
#ifndef PULMO_PHANTOM_INT_H
#define PULMO_PHANTOM_INT_H

#include "pulmo/phantom.h"

#include <stdint.h>

/* A capsule (segment with a radius). open_end: flat-cut and open at b, so
 * an airway's lumen runs into the lung parenchyma there. */
typedef struct pm__seg {
    double a[3], b[3];
    double r, wall;
    double zmin, zmax;        /* z extent including radius and wall */
    int open_end;
    int lung;                 /* lung vessels: the lung (1/2) they belong to */
} pm__seg;

#define PM__MAXMED 8
#define PM__MAXAIR 12
#define PM__MAXVES 600

typedef struct pm__model {
    pm_phantom_spec spec;
    pm_grid g;
    double s, hz;             /* in-plane and vertical scale factors */
    double W;                 /* blend width of every edge, mm */
    double fov_c[2], fov_r;
    double bx, by, ba, bb;    /* body ellipse */
    double ca, cb;            /* thoracic cavity semi-axes */
    double zbot, ztop;        /* volume extent */
    double zlo, zhi;          /* lung base (dome top) and apex */
    double dome[3];           /* diaphragm dome height: [1] right, [2] left */
    double zcar;              /* carina */
    double heart_c[3], heart_r[3];
    double spine_c[2], spine_r;
    double table_y;
    double bubble_c[3], bubble_r;
    pm__seg med[PM__MAXMED];  /* aorta, SVC, pulmonary trunk */
    int nmed;
    pm__seg air[PM__MAXAIR];  /* trachea, bronchi */
    int nair;
    pm__seg *ves;             /* lung vessels */
    int nves;
    pm_phantom_nodule nod[2];
    double nod_phase[2][3];
    int airways_connect;
} pm__model;

/* splitmix64: the generator's only source of randomness. */
uint64_t pm__mix(uint64_t *state);
/* Uniform in [0,1) from a stream. */
double pm__unif(uint64_t *state);
/* Stateless hash of (seed, n) to 64 bits. */
uint64_t pm__hash(uint64_t seed, uint64_t n);

/* Builds the model for spec (grid, anatomy, random vessel trees and
 * nodules). PM_OK, PM_EUSAGE or PM_EMEMORY. */
int pm__model_build(pm__model *m, const pm_phantom_spec *spec);
void pm__model_done(pm__model *m);

/* Signed distance (approximate, mm, negative inside) to lung 1 or 2. */
double pm__lung_d(const pm__model *m, int lung, double x, double y, double z);
/* Distance from p to segment s (clamped) and the unclamped parameter t. */
double pm__seg_dist(const pm__seg *s, const double p[3], double *t);

/* Fills one slice k of hu, labels and (str may be NULL) the structures
 * inside the lungs (1 vessel, 2 bronchial wall). */
void pm__raster_slice(const pm__model *m, int k, int16_t *hu, uint8_t *lab, uint8_t *str);

#endif
