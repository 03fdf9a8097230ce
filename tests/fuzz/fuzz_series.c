/* fuzz_series.c - a folder of files through pm_load_dir: indexing,
 * grouping, slice planning (sorting, duplicates, gaps, tilt) and decoding.
 *
 * The input is cut into files at each "PMFILE\n" marker (the seed corpus
 * joins real slices with it; fuzz/dicom.dict offers it to the mutator), at
 * most 16 files. Loading runs under a 64 MB memory cap.
 */
#include "fuzz_common.h"
#include "pulmo/series.h"

#include <dirent.h>

static const char marker[] = "PMFILE\n";

static void clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir();
    clear_dir(dir);
    size_t ml = sizeof marker - 1, start = 0;
    int nfiles = 0;
    for (size_t i = 0; i <= size && nfiles < 16; ) {
        int cut = i == size || (size - i >= ml && memcmp(data + i, marker, ml) == 0);
        if (!cut) {
            i++;
            continue;
        }
        char name[32];
        /* Alternate names with and without the .dcm suffix: the index treats
         * a broken .dcm file as an error and a broken nameless one as
         * not-DICOM, and both paths need exercising. */
        snprintf(name, sizeof name, nfiles % 2 ? "%02d.dcm" : "%02d", nfiles);
        fuzz_write(name, data + start, i - start);
        nfiles++;
        i += i == size ? 1 : ml;
        start = i;
    }
    pm_load_opts o = {64u << 20};
    pm_volume *v = NULL;
    if (pm_load_dir(dir, NULL, &o, &v, NULL) == PM_OK) {
        int lo, hi;
        double mean;
        pm_volume_stats(v, &lo, &hi, &mean);
        pm_volume_free(v);
    }
    return 0;
}
