/* zip.c - the part of the zip format that PyTorch weight files use: the end
 * of central directory record, the central directory and the local headers
 * of stored (method 0) entries. Lengths in the central directory and local
 * headers are both checked against the buffer, since a damaged or hostile
 * file may disagree with itself; CRC-32 (zlib) is verified on first use of an
 * entry, so a truncated or bit-flipped storage is reported rather than read. */
#include "pth_zip.h"

#include "pulmo/core.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int pm__zip_open(pm__zip *z, const uint8_t *buf, size_t len, const char *file)
{
    memset(z, 0, sizeof *z);
    z->file = file;
    if (len < 22)
        return pm_fail(PM_ECORRUPT, "%s: not a PyTorch zip weight file (too short)", file);
    /* The EOCD record is 22 bytes plus a comment of up to 65535 bytes. */
    size_t eocd = (size_t)-1;
    size_t lowest = len > 22 + 65535 ? len - 22 - 65535 : 0;
    for (size_t p = len - 22 + 1; p-- > lowest;) {
        if (rd32(buf + p) == 0x06054b50 && p + 22 + rd16(buf + p + 20) == len) {
            eocd = p;
            break;
        }
    }
    if (eocd == (size_t)-1)
        return pm_fail(PM_ECORRUPT, "%s: not a zip file or truncated (no end of central directory)",
                       file);
    const uint8_t *e = buf + eocd;
    uint32_t n = rd16(e + 10), cdsize = rd32(e + 12), cdoff = rd32(e + 16);
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != n)
        return pm_fail(PM_ECORRUPT, "%s: multi-part zip archives are not supported", file);
    if (n == 0xffff || cdoff == 0xffffffffu || cdsize == 0xffffffffu)
        return pm_fail(PM_ECORRUPT, "%s: zip64 archives are not supported", file);
    if ((uint64_t)cdoff + cdsize > eocd)
        return pm_fail(PM_ECORRUPT, "%s: truncated or damaged zip (central directory out of bounds)",
                       file);
    z->e = calloc(n ? n : 1, sizeof *z->e);
    if (!z->e)
        return pm_fail(PM_EMEMORY, "%s: out of memory", file);
    size_t p = cdoff, end = (size_t)cdoff + cdsize;
    for (uint32_t i = 0; i < n; i++) {
        if (end - p < 46 || rd32(buf + p) != 0x02014b50)
            goto bad_cd;
        const uint8_t *c = buf + p;
        uint32_t method = rd16(c + 10), flags = rd16(c + 8);
        uint32_t crc = rd32(c + 16), csize = rd32(c + 20), usize = rd32(c + 24);
        uint32_t nlen = rd16(c + 28), xlen = rd16(c + 30), klen = rd16(c + 32);
        uint32_t loff = rd32(c + 42);
        if ((uint64_t)46 + nlen + xlen + klen > end - p)
            goto bad_cd;
        pm__zip_entry *ze = &z->e[z->n];
        ze->name = (const char *)c + 46;
        ze->name_len = nlen;
        if (flags & 1) {
            pm__zip_close(z);
            return pm_fail(PM_ECORRUPT, "%s: encrypted zip entries are not supported", file);
        }
        if (method != 0 || csize != usize) {
            pm_fail(PM_ECORRUPT, "%s: compressed zip entry '%.*s' (PyTorch stores entries "
                    "uncompressed)", file, (int)(nlen > 200 ? 200 : nlen), (const char *)c + 46);
            pm__zip_close(z);
            return PM_ECORRUPT;
        }
        if (csize == 0xffffffffu || loff == 0xffffffffu) {
            pm__zip_close(z);
            return pm_fail(PM_ECORRUPT, "%s: zip64 entries are not supported", file);
        }
        /* Local header: its own name and extra lengths decide where data starts
         * (torch pads the extra field to align storages). */
        if ((uint64_t)loff + 30 > cdoff || rd32(buf + loff) != 0x04034b50)
            goto bad_local;
        uint64_t data = (uint64_t)loff + 30 + rd16(buf + loff + 26) + rd16(buf + loff + 28);
        if (data > cdoff || (uint64_t)csize > cdoff - data)
            goto bad_local;
        ze->data = buf + data;
        ze->size = csize;
        ze->crc = crc;
        z->n++;
        p += 46 + nlen + xlen + klen;
    }
    return PM_OK;
bad_cd:
    pm__zip_close(z);
    return pm_fail(PM_ECORRUPT, "%s: damaged zip central directory", file);
bad_local:
    pm__zip_close(z);
    return pm_fail(PM_ECORRUPT, "%s: truncated or damaged zip (entry data out of bounds)", file);
}

const pm__zip_entry *pm__zip_get(pm__zip *z, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < z->n; i++) {
        pm__zip_entry *e = &z->e[i];
        if (e->name_len != len || memcmp(e->name, name, len))
            continue;
        if (!e->crc_checked) {
            /* crc32 takes a uInt length: feed large entries in pieces. */
            uLong c = crc32(0L, Z_NULL, 0);
            for (size_t off = 0; off < e->size;) {
                size_t k = e->size - off > (1u << 30) ? (1u << 30) : e->size - off;
                c = crc32(c, e->data + off, (uInt)k);
                off += k;
            }
            if ((uint32_t)c != e->crc) {
                pm_fail(PM_ECORRUPT, "%s: entry '%s' is damaged (CRC mismatch)", z->file, name);
                return NULL;
            }
            e->crc_checked = 1;
        }
        return e;
    }
    pm_fail(PM_ECORRUPT, "%s: entry '%s' is missing", z->file, name);
    return NULL;
}

void pm__zip_close(pm__zip *z)
{
    free(z->e);
    z->e = NULL;
    z->n = 0;
}
