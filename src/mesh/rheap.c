/* rheap.c - the decimation queue: a radix heap of candidate edge collapses.
 *
 * A radix heap over the costs' float bit patterns (for
 * non-negative floats, bit order is value order), with one bucket per
 * (byte position, byte value): a key goes to the bucket of the highest byte
 * in which it differs from the last popped minimum, and keys equal to that
 * minimum to bucket 0. A pop that finds bucket 0 empty takes the lowest
 * non-empty bucket (a bitmap finds it), makes its smallest key the new
 * minimum and spreads its entries into lower buckets, so an entry moves at
 * most four times. Appends are sequential, which makes this several times
 * faster than a binary heap of millions of entries. Keys must not be below
 * the last minimum: a collapse can make an edge cheaper than that, and such
 * an edge is queued at the current minimum (collapsed next) instead.
 */
#include "mesh_internal.h"

#include <stdlib.h>
#include <string.h>

uint32_t pm__rheap_key(float cost)
{
    uint32_t k;
    memcpy(&k, &cost, 4);
    return k;
}

static int pm__bucket(uint32_t k, uint32_t last)
{
    uint32_t x = k ^ last;
    if (!x)
        return 0;
    int byte = (31 - __builtin_clz(x)) >> 3;
    return 1 + 256 * byte + (int)((k >> (8 * byte)) & 0xff);
}

int pm__rheap_push(pm__rheap *d, pm__edge e)
{
    uint32_t k = pm__rheap_key(e.cost);
    if (k < d->last) {
        k = d->last;
        memcpy(&e.cost, &k, 4);
    }
    int i = pm__bucket(k, d->last);
    pm__bucketv *b = &d->bk[i];
    if (b->n == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 64;
        pm__edge *ne = realloc(b->e, c * sizeof *ne);
        if (!ne)
            return -1;
        b->e = ne;
        b->cap = c;
    }
    b->e[b->n++] = e;
    d->used[i >> 6] |= 1ull << (i & 63);
    d->n++;
    return 0;
}

/* Pops some entry of minimum key (the heap must not be empty); -1 when
 * out of memory. */
int pm__rheap_pop(pm__rheap *d, pm__edge *out)
{
    int fail = 0;
    if (d->bk[0].n == 0) {
        int i = -1;
        for (int w = 0; w < PM__NBUCKET / 64 + 1 && i < 0; w++) {
            uint64_t bits = d->used[w] & (w == 0 ? ~1ull : ~0ull);
            if (bits)
                i = 64 * w + __builtin_ctzll(bits);
        }
        pm__bucketv *b = &d->bk[i];
        d->used[i >> 6] &= ~(1ull << (i & 63));
        uint32_t mn = 0xffffffffu;
        for (size_t j = 0; j < b->n; j++) {
            uint32_t k = pm__rheap_key(b->e[j].cost);
            mn = k < mn ? k : mn;
        }
        d->last = mn;
        /* every entry moves to a lower bucket; bucket i keeps its storage
         * for later unless a lower bucket took it over */
        size_t n = b->n;
        pm__edge *src = b->e;
        size_t cap = b->cap;
        b->e = NULL;
        b->n = b->cap = 0;
        d->n -= n;
        for (size_t j = 0; j < n; j++)
            fail |= pm__rheap_push(d, src[j]);
        if (!b->e) {
            b->e = src;
            b->cap = cap;
        } else {
            free(src);
        }
    }
    if (fail)
        return -1;
    d->n--;
    *out = d->bk[0].e[--d->bk[0].n];
    if (!d->bk[0].n)
        d->used[0] &= ~1ull;
    return 0;
}

void pm__rheap_free(pm__rheap *h)
{
    for (int i = 0; i < PM__NBUCKET; i++)
        free(h->bk[i].e);
    memset(h, 0, sizeof *h);
}
