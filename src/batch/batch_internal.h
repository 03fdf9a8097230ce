/* batch_internal.h - shared by segment_job.c and batch.c. */
#ifndef PULMO_BATCH_INTERNAL_H
#define PULMO_BATCH_INTERNAL_H

#include "pulmo/batch.h"

/* Segments a loaded volume (which it may replace in place by its resampled
 * version, and whose voxels it frees once measured unless o->sheet draws
 * them; the caller still frees v). t0 = when the job started. */
int pm__segment_volume(pm_volume *v, double t0, const char *outdir, const pm_segment_opts *o,
                       pm_segment_report *rep, const pm_progress *p);

/* The --mesh surface of a segmentation (segment_job.c). */
typedef struct pm__mesh_job pm__mesh_job;

/* Everything of pm__segment_volume but the writing: the labels on v's grid
 * go to *labels (NULL when the recipe did not get that far; the caller
 * frees). outdir (may be NULL) is created before the work starts. With
 * mesh, the surface starts on its own thread as soon as the labels exist
 * (the caller joins it before it frees them). */
int pm__segment_run(pm_volume *v, double t0, const char *outdir, const pm_segment_opts *o,
                    pm_segment_report *rep, pm_mask **labels, pm__mesh_job *mesh, const pm_progress *p);

/* Writes summary.csv (one row per report, named names[t]) atomically. */
int pm__batch_write_summary(const char *path, const pm_segment_report *reps, char (*names)[256],
                            int n);

/* A series of the batch whose outputs exist (report.json, readable, into
 * rep; and sheet.png when sheets are asked for): not recomputed. */
int pm__batch_done(const char *dir, const pm_batch_opts *o, pm_segment_report *rep);
/* The segmentation options of one series of the batch, writing into dir:
 * o->seg with the mesh path (in buf) when o->meshes asks for one. */
void pm__batch_seg_opts(const pm_batch_opts *o, const char *dir, pm_segment_opts *so, char *buf, size_t cap);

#endif
