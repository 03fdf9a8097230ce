/* uf.h - internal: the union-find of connected components, shared by
 * seg/cc.c (runs) and unet/post.c (voxels and merged components).
 *
 * Union links the larger root to the smaller, so a set's root is always its
 * smallest element; both labellers rely on that to number components in one
 * ascending pass (a parent is never above its child). Find halves paths.
 */
#ifndef PULMO_CORE_UF_H
#define PULMO_CORE_UF_H

#include <stdint.h>

static inline uint32_t pm__uf_find(uint32_t *p, uint32_t a)
{
    while (p[a] != a) {
        p[a] = p[p[a]];
        a = p[a];
    }
    return a;
}

static inline void pm__uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
    a = pm__uf_find(p, a);
    b = pm__uf_find(p, b);
    if (a < b)
        p[b] = a;
    else if (b < a)
        p[a] = b;
}

#endif
