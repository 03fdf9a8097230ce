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

/* Runs the operation named by c->s->name. */
int pm__step_exec(pm__step_ctx *c);
void pm__run_warn(pm_seg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
