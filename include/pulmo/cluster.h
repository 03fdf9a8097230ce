/* cluster.h - Gustafson-Kessel fuzzy clustering of points and of the HU
 * inside a lung mask (the tutorial's "fuzzy clustering of internal
 * structures", ../shared/docs/pipeline.md).
 *
 * GK is fuzzy c-means with one norm per cluster, A_i = det(F_i)^(1/d) F_i^-1
 * (F_i the cluster's fuzzy covariance): clusters may be elongated but all
 * have the same volume. Points may carry weights (a point of weight w counts
 * as w identical points), which is what makes clustering HU fast: HU are
 * integers, so the voxels of a mask collapse into one weighted point per
 * distinct value (a few thousand at most) and an iteration costs the same
 * for one slice or a whole chest, with exactly the memberships the voxels
 * would get one by one. With one feature every norm is 1 and GK equals
 * fuzzy c-means.
 *
 * Start: seed 0 puts the centres at weighted quantiles of the first feature
 * (the rest at the mean); any other seed draws the initial memberships from
 * a splitmix64 stream of that seed, as the tutorial's random start does.
 * Either way the result depends only on the inputs and the seed (no
 * threads, fixed summation order).
 *
 * Failure: PM_EUSAGE for bad parameters (1..4 features, 2..PM_GK_MAX
 * clusters, m > 1, at least c points of positive weight), PM_EMEMORY,
 * PM_ENOLUNG when a mask holds fewer voxels than clusters. Outputs are
 * untouched on failure.
 */
#ifndef PULMO_CLUSTER_H
#define PULMO_CLUSTER_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PM_GK_MAX 16
#define PM_GK_MAXD 4

typedef struct pm_gk_opts {
    int c;            /* clusters, 2..PM_GK_MAX */
    double m;         /* fuzzifier, > 1 (tutorial: 2) */
    int maxit;        /* at most this many iterations (tutorial: 100) */
    double eps;       /* stop when no membership moved more than this (tutorial: 1e-6) */
    uint64_t seed;    /* 0: quantile start; else random memberships from this seed */
} pm_gk_opts;

/* The tutorial's settings: m 2, 4 clusters, 100 iterations, 1e-6, seed 0. */
void pm_gk_defaults(pm_gk_opts *o);

typedef struct pm_gk_result {
    int c, d;
    double center[PM_GK_MAX][PM_GK_MAXD];
    double cov[PM_GK_MAX][PM_GK_MAXD * PM_GK_MAXD];  /* fuzzy covariance F_i */
    double weight[PM_GK_MAX];  /* sum of w_k u_ik: the cluster's fuzzy size */
    double change[PM_GK_MAX];  /* largest membership change of the cluster in the last iteration */
    double final_change;       /* largest of those */
    int iterations;
} pm_gk_result;

/* Clusters n points of dimension d (row major in x) with weights w (NULL:
 * all 1). u (may be NULL) gets n*c memberships, point major; each row sums
 * to 1. Clusters are in the order the start gave them. */
int pm_gk_run(const float *x, const double *w, size_t n, int d, const pm_gk_opts *o,
              pm_gk_result *r, float *u);

/* ---- HU inside a mask ------------------------------------------------- */

/* The lung labels clustered: 1 and 2 (lungs), 4 (nodule, in truth maps) and
 * 5 (structures inside the lungs); not 3, the airway lumen. */
int pm_cluster_in_lung(uint8_t label);

typedef struct pm_hu_clusters {
    pm_gk_result gk;          /* centres sorted by HU: cluster i is label i + 1 */
    int hu_lo, hu_hi;         /* HU range of the clustered voxels */
    float *lut;               /* (hu_hi - hu_lo + 1) * c memberships by HU */
    uint64_t voxels[PM_GK_MAX];  /* voxels whose largest membership is the cluster's */
    double ml[PM_GK_MAX];
    uint64_t total;           /* voxels clustered */
    int smallest;             /* cluster (0-based) with the fewest voxels: nodules and
                                 airway walls in the tutorial */
    int k0, k1;               /* slices clustered: k0 <= k < k1 */
} pm_hu_clusters;

/* Clusters the HU of the voxels of slices k0 <= k < k1 whose mask label is a
 * lung label (pm_cluster_in_lung). The mask is on v's grid (PM_EUSAGE
 * otherwise). Free with pm_hu_clusters_done. */
int pm_cluster_hu(const pm_volume *v, const pm_mask *mask, int k0, int k1, const pm_gk_opts *o,
                  pm_hu_clusters *out, const pm_progress *p);
void pm_hu_clusters_done(pm_hu_clusters *h);

/* Membership of cluster i (sorted) for a voxel of HU hu that was clustered;
 * hu outside the clustered range is clamped. Can't fail. */
float pm_cluster_membership(const pm_hu_clusters *h, int hu, int i);
/* 1 + the cluster with the largest membership at HU hu. Can't fail. */
int pm_cluster_label(const pm_hu_clusters *h, int hu);

/* Label image: 1 + cluster on the clustered voxels, 0 elsewhere (out on v's
 * grid; only slices k0..k1-1 are written, the others are cleared). */
void pm_cluster_labels(const pm_hu_clusters *h, const pm_volume *v, const pm_mask *mask,
                       pm_mask *out);

#ifdef __cplusplus
}
#endif

#endif
