/* metaimage.c - MetaImage headers (.mhd with a separate data file, .mha
 * with the data after the header), as ITK and the LUNA16 challenge write
 * them: "Key = Value" lines ending with ElementDataFile.
 */
#include "volfile_internal.h"
#include "pulmo/core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXHDR 65536

static int pm__doubles(const char *s, double *out, int n)
{
    int k = 0;
    while (k < n) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v))
            break;
        out[k++] = v;
        s = end;
    }
    return k;
}

static char *pm__trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

int pm__meta_header(const char *path, pm__vhdr *h)
{
    char *text;
    size_t len;
    int rc = pm__vhdr_text(path, MAXHDR, &text, &len, h);
    if (rc != PM_OK)
        return rc;
    pm_grid_init(&h->g, 0, 0, 0, 1, 1, 1);
    int ndims = 0, have_file = 0, st = PM_OK, channels = 1;
    long long header_size = 0;
    char *line = text, *next;
    double m[9];
    for (; line && *line && !have_file; line = next) {
        char *nl = memchr(line, '\n', len - (size_t)(line - text));
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        if (strlen(line) != (size_t)((nl ? nl : text + len) - line)) {
            st = pm_fail(PM_ECORRUPT, "%s: binary bytes in the MetaImage header", path);
            break;
        }
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        char *key = pm__trim(line), *val = pm__trim(eq + 1);
        if (!strcasecmp(key, "NDims")) {
            ndims = atoi(val);
        } else if (!strcasecmp(key, "DimSize")) {
            double d[3] = {1, 1, 1};
            int k = pm__doubles(val, d, 3);
            for (int a = 0; a < 3; a++)
                h->g.dim[a] = a < k && d[a] >= 1 && d[a] <= 1e6 && d[a] == floor(d[a]) ? (int)d[a] : (a < k ? -1 : 1);
        } else if (!strcasecmp(key, "ElementSpacing") || !strcasecmp(key, "ElementSize")) {
            if (pm__doubles(val, h->g.spacing, 3) < ndims)
                st = pm_fail(PM_ECORRUPT, "%s: bad %s", path, key);
        } else if (!strcasecmp(key, "Offset") || !strcasecmp(key, "Position") || !strcasecmp(key, "Origin")) {
            if (pm__doubles(val, h->g.origin, 3) < ndims)
                st = pm_fail(PM_ECORRUPT, "%s: bad %s", path, key);
        } else if (!strcasecmp(key, "TransformMatrix") || !strcasecmp(key, "Rotation")
                   || !strcasecmp(key, "Orientation")) {
            if (pm__doubles(val, m, 9) != 9)
                st = pm_fail(PM_ECORRUPT, "%s: %s needs 9 numbers", path, key);
            else
                memcpy(h->g.dir, m, sizeof m);
        } else if (!strcasecmp(key, "ElementType")) {
            if (!(h->type = pm__vtype_meta(val)))
                st = pm_fail(PM_ECORRUPT, "%s: unsupported ElementType '%.32s'", path, val);
        } else if (!strcasecmp(key, "ElementByteOrderMSB") || !strcasecmp(key, "BinaryDataByteOrderMSB")) {
            h->big_endian = !strcasecmp(val, "True");
        } else if (!strcasecmp(key, "CompressedData")) {
            h->compressed = !strcasecmp(val, "True");
        } else if (!strcasecmp(key, "ElementNumberOfChannels")) {
            channels = atoi(val);
        } else if (!strcasecmp(key, "HeaderSize")) {
            header_size = atoll(val);
        } else if (!strcasecmp(key, "ElementDataFile")) {
            have_file = 1;
            if (!strcasecmp(val, "LOCAL")) {
                snprintf(h->data_path, sizeof h->data_path, "%s", path);
                header_size = next ? (long long)(next - text) : (long long)len;
            } else if (!strncasecmp(val, "LIST", 4) || strchr(val, '%') || strchr(val, ' ')) {
                st = pm_fail(PM_ECORRUPT, "%s: data split over several files is not supported", path);
            } else {
                pm__vpath(path, val, h->data_path, sizeof h->data_path);
            }
        }
        if (st != PM_OK)
            break;
    }
    free(text);
    if (st != PM_OK)
        return st;
    if (!have_file)
        return pm_fail(PM_ECORRUPT, "%s: not a MetaImage header (no ElementDataFile)", path);
    if (ndims != 3 && ndims != 2)
        return pm_fail(PM_ECORRUPT, "%s: NDims %d (3D images only)", path, ndims);
    if (channels != 1)
        return pm_fail(PM_ECORRUPT, "%s: %d channels per voxel (greyscale only)", path, channels);
    if (!h->type)
        return pm_fail(PM_ECORRUPT, "%s: no ElementType", path);
    for (int a = 0; a < 3; a++)
        if (h->g.dim[a] < 1)
            return pm_fail(PM_ECORRUPT, "%s: bad DimSize", path);
    for (int a = 0; a < 3; a++) {
        double *d = h->g.dir + 3 * a;
        double norm = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (!(h->g.spacing[a] > 0) || !(norm > 1e-6))
            return pm_fail(PM_ECORRUPT, "%s: bad spacing or direction on axis %d", path, a);
        for (int r = 0; r < 3; r++)
            d[r] /= norm;
    }
    h->offset = header_size;
    return PM_OK;
}
