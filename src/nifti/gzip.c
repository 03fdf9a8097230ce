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
 *
 * Label masks (bytes) are runs of a few values; zlib's level 1 spends its
 * time hashing them (35 ms for a 1 mm chest mask on one core). Their
 * chunks are coded here instead, as deflate's fixed-code blocks of a
 * literal and then matches at distance 1 for each run (what zlib's Z_RLE
 * finds): a word compare per 8 bytes, for a file 8 % larger than level 1's
 * (640 KB for LIDC's 43 MB mask at 1 mm).
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
    int level;            /* PM__GZ_RUNS: runs_chunk */
} gz_ctx;

/* Deflate's bits, least significant first. */
typedef struct gz_bits {
    unsigned char *out;
    size_t n;
    uint64_t acc;
    int nacc;
} gz_bits;

static void put_bits(gz_bits *b, uint32_t v, int n)
{
    b->acc |= (uint64_t)v << b->nacc;
    b->nacc += n;
    while (b->nacc >= 8) {
        b->out[b->n++] = (unsigned char)b->acc;
        b->acc >>= 8;
        b->nacc -= 8;
    }
}

/* A Huffman code goes most significant bit first. */
static void put_code(gz_bits *b, uint32_t code, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r |= (code >> i & 1u) << (n - 1 - i);
    put_bits(b, r, n);
}

/* The fixed literal/length code (RFC 1951, 3.2.6) of symbol s. */
static void put_sym(gz_bits *b, unsigned s)
{
    if (s < 144)
        put_code(b, 0x30 + s, 8);
    else if (s < 256)
        put_code(b, 0x190 + s - 144, 9);
    else if (s < 280)
        put_code(b, s - 256, 7);
    else
        put_code(b, 0xc0 + s - 280, 8);
}

/* A match of len (3..258) bytes at distance 1: length symbol and extra
 * bits, then distance code 0 (five zero bits). */
static void put_match(gz_bits *b, unsigned len)
{
    static const unsigned short base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                            31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    int c = 28;
    while (base[c] > len)
        c--;
    int extra = c < 8 || c == 28 ? 0 : (c - 4) / 4;
    put_sym(b, 257 + (unsigned)c);
    if (extra)
        put_bits(b, len - base[c], extra);
    put_bits(b, 0, 5);
}

/* Bytes from p on (at most n) equal to v, eight at a time. */
static size_t run_of(const unsigned char *p, size_t n, unsigned char v)
{
    uint64_t pat = 0x0101010101010101ull * v, w;
    size_t i = 0;
    while (i + 8 <= n) {
        memcpy(&w, p + i, 8);
        if (w != pat)
            return i + (size_t)__builtin_ctzll(w ^ pat) / 8;
        i += 8;
    }
    while (i < n && p[i] == v)
        i++;
    return i;
}

/* One chunk as a fixed-code block, ended as zlib's Z_FULL_FLUSH ends one
 * (an empty stored block, so the next chunk starts on a byte) or, last,
 * as Z_FINISH does. A chunk refers to no byte before it: its first byte
 * is a literal. At most 9 bits a byte, plus the block's ends. */
static size_t runs_chunk(const unsigned char *in, size_t len, int last, unsigned char *out)
{
    gz_bits b = {out, 0, 0, 0};
    put_bits(&b, last ? 1 : 0, 1);
    put_bits(&b, 1, 2);
    for (size_t i = 0; i < len;) {
        unsigned char v = in[i++];
        put_sym(&b, v);
        for (size_t r = run_of(in + i, len - i, v); r >= 3;) {
            unsigned m = r > 258 ? 258 : (unsigned)r;
            put_match(&b, m);
            i += m, r -= m;
        }
    }
    put_sym(&b, 256);
    if (!last) {
        put_bits(&b, 0, 3);
        put_bits(&b, 0, (8 - b.nacc) & 7);
        put_bits(&b, 0, 16);
        put_bits(&b, 0xffff, 16);
    }
    put_bits(&b, 0, (8 - b.nacc) & 7);
    return b.n;
}

static void deflate_chunk(void *vctx, int t, int thread)
{
    (void)thread;
    gz_ctx *g = vctx;
    gz_chunk *c = &g->c[t];
    c->failed = 1;
    if (g->level == PM__GZ_RUNS) {
        if ((c->out = malloc(c->len + c->len / 8 + 64))) {
            c->olen = runs_chunk(c->in, c->len, c->last, c->out);
            c->crc = crc32(crc32(0L, Z_NULL, 0), c->in, (uInt)c->len);
            c->failed = 0;
        }
        return;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
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
