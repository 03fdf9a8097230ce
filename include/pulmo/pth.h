/* pth.h - reads PyTorch weight files (torch.save of a state_dict) without
 * Python.
 *
 * Limitations first: the zip format of torch >= 1.6 with stored
 * (uncompressed) entries and no zip64, or the legacy stream format of
 * torch.save before 1.6 (magic number, protocol 1001, pickles, raw
 * storages; lungmask's 2019 weight files may be in it); not the older tar
 * format, not storage views. Pickle protocol <= 4 opcodes that plain values
 * use, and only the globals a state_dict needs (collections.OrderedDict,
 * torch._utils._rebuild_tensor_v2 and the typed storages
 * torch.{Float,Double,Half,Long,Int,Short,Char,Byte,Bool}Storage); anything
 * that would need to run code is refused. This is a strict reader for untrusted files: every
 * length, offset, memo index, shape and stride is bounds-checked, and any
 * surprise fails with PM_ECORRUPT and a reason naming the file.
 *
 * Usage:
 *     pm_pth *w;
 *     if (pm_pth_read("unet_r231.pth", &w) != PM_OK) puts(pm_error());
 *     const pm_tensor *t = pm_pth_find(w, "last.weight");
 *     ... t->f32[...] ...
 *     pm_pth_free(w);
 *
 * Tensors come out contiguous (row-major over shape), whatever their stride
 * and storage offset in the file. Float tensors are converted to float32
 * (f32), integer and bool tensors to int64 (i64); the other pointer is NULL.
 */
#ifndef PULMO_PTH_H
#define PULMO_PTH_H

#include "pulmo/core.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_PTH_MAXDIM 8

typedef enum pm_pth_dtype {
    PM_PTH_F32, PM_PTH_F64, PM_PTH_F16, PM_PTH_I64, PM_PTH_I32, PM_PTH_I16, PM_PTH_I8,
    PM_PTH_U8, PM_PTH_BOOL
} pm_pth_dtype;

typedef struct pm_tensor {
    char *name;              /* state_dict key, e.g. "down_path.0.block.0.weight" */
    pm_pth_dtype dtype;      /* dtype of the storage in the file */
    int ndim;                /* 0 for a scalar */
    int64_t shape[PM_PTH_MAXDIM];
    int64_t numel;
    float *f32;              /* floating dtypes: values as float32 */
    int64_t *i64;            /* integer and bool dtypes: values as int64 */
} pm_tensor;

typedef struct pm_pth {
    pm_tensor *t;            /* in file order */
    int n;
    char *archive;           /* the zip's top folder name */
} pm_pth;

/* Reads a weight file. On failure returns PM_ECORRUPT (damaged or
 * unsupported content), PM_ENODATA (cannot open) or PM_EMEMORY, with *out
 * left NULL and the reason in pm_error(). */
int pm_pth_read(const char *path, pm_pth **out);

/* The same on a file already in memory; name is used in error messages.
 * buf is not kept. This is the fuzzing entry point. */
int pm_pth_parse(const uint8_t *buf, size_t len, const char *name, pm_pth **out);

/* The tensor called name, or NULL. */
const pm_tensor *pm_pth_find(const pm_pth *w, const char *name);

/* Frees everything; w may be NULL. */
void pm_pth_free(pm_pth *w);

#ifdef __cplusplus
}
#endif

#endif
