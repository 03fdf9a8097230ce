/* fuzz_common.h - what the libFuzzer targets share: a private scratch folder
 * (on /dev/shm when there is one, so each run costs no disk I/O) and writing
 * the fuzz input there as files.
 *
 * The targets call the same library functions as the CLI, on files, because
 * files are what pulmo reads: GDCM and zlib only take paths or descriptors.
 */
#ifndef PULMO_FUZZ_COMMON_H
#define PULMO_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pulmo/core.h"

static inline const char *fuzz_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        /* One worker: every target's first call comes here, and a fuzz
         * execution should not spend its time starting threads. */
        pm_threads_set(1);
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/pulmo-fuzz-XXXXXX", base);
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

/* Writes data to dir/name; returns the path (static buffer per slot). */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    return p;
}

#endif
