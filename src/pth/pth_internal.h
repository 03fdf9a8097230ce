/* pth_internal.h - internal: the unpickler's entry points and how it finds
 * storage bytes (zip entries, or the storage section of a legacy file). */
#ifndef PULMO_PTH_INTERNAL_H
#define PULMO_PTH_INTERNAL_H

#include "pulmo/pth.h"
#include "pth_zip.h"

/* Finds storage key (keylen bytes, not NUL-terminated) holding numel
 * elements of dtype: *data = its bytes (exactly numel elements), or NULL to
 * validate the pickle without reading tensor data. PM_OK or a pm_fail code. */
typedef int (*pm__storage_fn)(void *ctx, const char *key, size_t keylen, int dtype,
                              int64_t numel, const uint8_t **data);

/* Bytes per element of each pm_pth_dtype. */
extern const int pm__pth_esize[];

/* Copies element src (little-endian, of t's stored dtype) to element j of t,
 * widened to float32 or int64. Can't fail. */
void pm__pth_convert(pm_tensor *t, int64_t j, const uint8_t *src);

/* Runs a state_dict pickle (len bytes at most; *end gets the offset after
 * its STOP) and moves its tensors into w. */
int pm__pth_unpickle(const uint8_t *pkl, size_t len, const char *file, uint64_t budget,
                     pm__storage_fn lookup, void *lctx, size_t *end, pm_pth *w);
/* Runs a pickle of a list of strings, calling fn for each. */
int pm__pkl_strings(const uint8_t *p, size_t len, const char *file, size_t *end,
                    int (*fn)(void *ctx, const char *s, size_t n), void *ctx);
/* Runs any pickle of plain values and forgets it (*end as above). */
int pm__pkl_skip(const uint8_t *p, size_t len, const char *file, size_t *end);

#endif
