/* pth_zip.h - internal: the zip central directory of a PyTorch weight file,
 * read in place from memory (stored entries only, every offset checked). */
#ifndef PULMO_PTH_ZIP_H
#define PULMO_PTH_ZIP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pm__zip_entry {
    const char *name;        /* not NUL-terminated: points into the buffer */
    size_t name_len;
    const uint8_t *data;     /* stored bytes, inside the buffer */
    size_t size;
    uint32_t crc;
    int crc_checked;
} pm__zip_entry;

typedef struct pm__zip {
    pm__zip_entry *e;
    int n;
    const char *file;        /* for messages */
} pm__zip;

/* Parses the central directory and each local header of buf. Returns
 * PM_OK or PM_ECORRUPT/PM_EMEMORY with a reason naming file. */
int pm__zip_open(pm__zip *z, const uint8_t *buf, size_t len, const char *file);
/* The entry with exactly this name, its CRC verified; NULL with a
 * pm_fail(PM_ECORRUPT) reason when missing or damaged. */
const pm__zip_entry *pm__zip_get(pm__zip *z, const char *name);
void pm__zip_close(pm__zip *z);

#endif
