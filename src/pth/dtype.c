/* dtype.c - tensor elements from their stored little-endian form to the
 * float32 or int64 that pulmo keeps (half floats widened by hand: C11 has no
 * half type). */
#include "pth_internal.h"

#include <string.h>

static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, f;
    if (e == 31)
        f = s | 0x7f800000u | m << 13;
    else if (e)
        f = s | (e + 112) << 23 | m << 13;
    else if (m) {
        e = 113;
        while (!(m & 1024)) { m <<= 1; e--; }
        f = s | e << 23 | (m & 1023) << 13;
    } else
        f = s;
    float r;
    memcpy(&r, &f, 4);
    return r;
}

/* Copies element src (little-endian, dtype dt) to element j of t. */
void pm__pth_convert(pm_tensor *t, int64_t j, const uint8_t *src)
{
    switch (t->dtype) {
    case PM_PTH_F32: memcpy(&t->f32[j], src, 4); break;
    case PM_PTH_F64: { double d; memcpy(&d, src, 8); t->f32[j] = (float)d; break; }
    case PM_PTH_F16: t->f32[j] = half_to_float((uint16_t)(src[0] | src[1] << 8)); break;
    case PM_PTH_I64: memcpy(&t->i64[j], src, 8); break;
    case PM_PTH_I32: { int32_t x; memcpy(&x, src, 4); t->i64[j] = x; break; }
    case PM_PTH_I16: { int16_t x; memcpy(&x, src, 2); t->i64[j] = x; break; }
    case PM_PTH_I8: t->i64[j] = (int8_t)src[0]; break;
    default: t->i64[j] = src[0]; break;
    }
}
