/* recipe_internal.h - the step operations behind recipe names. */
#ifndef PULMO_RECIPE_INTERNAL_H
#define PULMO_RECIPE_INTERNAL_H

#include "pulmo/recipe.h"

typedef struct pm__step_ctx {
    const pm_volume *v;
    pm_mask *m;               /* input, replaced in place by the output */
    const pm_step *s;
    const pm_mask *hint;      /* preview: the last full run's output of this step on the slab */
    pm_seg_run *run;          /* where findings go (a scratch run in previews) */
    const pm_progress *p;
} pm__step_ctx;

/* A step's output kept run-length encoded (kept.c). NULL with a reason
 * when out of memory. */
pm_kept *pm__kept_make(const pm_mask *m);
pm_kept *pm__kept_clone(const pm_kept *k);
void pm__kept_free(pm_kept *k);
/* Slices k0..k1-1 of the kept mask into out (plane * (k1 - k0) bytes). */
void pm__kept_slices(const pm_kept *k, int k0, int k1, uint8_t *out);
/* The whole kept mask decoded into a new mask. */
pm_mask *pm__kept_mask(const pm_kept *k);

/* Runs the operation named by c->s->name. */
int pm__step_exec(pm__step_ctx *c);
void pm__run_warn(pm_seg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
