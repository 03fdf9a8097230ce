/* gzip.c - one gzip member from a buffer in memory, deflated on all cores.
 *
 * A mask of a 1 mm chest volume is 40 MB; zlib deflates it at about
 * 600 MB/s on one core, the last serial step of `pulmo segment`. The data
 * is cut into chunks of CHUNK bytes, a count that does not depend on the
 * thread count, so the file is the same on every machine. Each chunk is a
 * raw deflate stream of its own that ends on a byte boundary (Z_FULL_FLUSH
 * writes an empty stored block and keeps the last-block bit clear), the
 * last chunk ends with Z_FINISH: laid end to end they are one valid
 * deflate stream (as pigz writes it), behind one gzip header and before
 * one trailer whose CRC-32 is combined from the chunks' own. Chunks go in
 * rounds of a few per thread, so memory holds only those chunks' output.
 */
#include "nifti_internal.h"
#include "pulmo/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK ((size_t)4 << 20)
#define ROUND 8

typedef struct gz_chunk {
    const unsigned char *in;
    size_t len;
    int last;
    unsigned char *out;
    size_t olen;
    uLong crc;
    int failed;
} gz_chunk;

typedef struct gz_ctx {
    gz_chunk c[ROUND];
    int level;
} gz_ctx;

static void deflate_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    gz_ctx *g = vctx;
    gz_chunk *c = &g->c[t];
    z_stream z;
    memset(&z, 0, sizeof z);
    c->failed = 1;
    if (deflateInit2(&z, g->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return;
    size_t cap = deflateBound(&z, (uLong)c->len) + 16;
    c->out = malloc(cap);
    if (c->out) {
        z.next_in = (Bytef *)c->in;
        z.avail_in = (uInt)c->len;
        z.next_out = c->out;
        z.avail_out = (uInt)cap;
        int r = deflate(&z, c->last ? Z_FINISH : Z_FULL_FLUSH);
        if (c->last ? r == Z_STREAM_END : r == Z_OK && z.avail_in == 0 && z.avail_out > 0) {
            c->olen = cap - z.avail_out;
            c->crc = crc32(crc32(0L, Z_NULL, 0), c->in, (uInt)c->len);
            c->failed = 0;
        }
    }
    deflateEnd(&z);
}

static void put32le(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int pm__gzip_write(FILE *f, const void *head, size_t hlen, const void *data, size_t len, int level)
{
    /* the header goes as a chunk of its own: the data's chunks then start
     * at the data, whatever the header's size */
    static const unsigned char gzhead[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    if (fwrite(gzhead, 1, sizeof gzhead, f) != sizeof gzhead)
        return PM_EWRITE;
    size_t nchunks = 1 + (len + CHUNK - 1) / CHUNK;
    uLong crc = crc32(0L, Z_NULL, 0);
    gz_ctx g;
    g.level = level;
    int rc = PM_OK;
    for (size_t c0 = 0; c0 < nchunks && rc == PM_OK; c0 += ROUND) {
        int n = nchunks - c0 < ROUND ? (int)(nchunks - c0) : ROUND;
        memset(g.c, 0, sizeof g.c);
        for (int t = 0; t < n; t++) {
            size_t i = c0 + (size_t)t;
            gz_chunk *c = &g.c[t];
            if (i == 0) {
                c->in = head, c->len = hlen;
            } else {
                size_t off = (i - 1) * CHUNK;
                c->in = (const unsigned char *)data + off;
                c->len = len - off < CHUNK ? len - off : CHUNK;
            }
            c->last = i == nchunks - 1;
        }
        rc = pm_parallel_for(n, 0, deflate_chunk, &g, NULL, NULL);
        for (int t = 0; t < n && rc == PM_OK; t++) {
            gz_chunk *c = &g.c[t];
            if (c->failed)
                rc = PM_EMEMORY;
            else if (fwrite(c->out, 1, c->olen, f) != c->olen)
                rc = PM_EWRITE;
            else
                crc = crc32_combine(crc, c->crc, (z_off_t)c->len);
        }
        for (int t = 0; t < n; t++)
            free(g.c[t].out);
    }
    if (rc != PM_OK)
        return rc;
    unsigned char tail[8];
    put32le(tail, (uint32_t)crc);
    put32le(tail + 4, (uint32_t)((uint64_t)(hlen + len) & 0xffffffffu));
    return fwrite(tail, 1, sizeof tail, f) == sizeof tail ? PM_OK : PM_EWRITE;
}
