/* nrrd.c - NRRD headers (.nrrd with the data after a blank line, .nhdr with
 * a detached data file), as 3D Slicer writes them: "field: value" lines,
 * "#" comments, "key:=value" key/value pairs (ignored).
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

/* Parses "(x,y,z)"; 1 on success. */
static int pm__vec(const char **s, double v[3])
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '(')
        return 0;
    p++;
    for (int k = 0; k < 3; k++) {
        char *end;
        v[k] = strtod(p, &end);
        if (end == p || !isfinite(v[k]))
            return 0;
        p = end;
        while (*p == ' ')
            p++;
        if (*p != (k < 2 ? ',' : ')'))
            return 0;
        p++;
    }
    *s = p;
    return 1;
}

/* Sign of each LPS axis for a NRRD space name; 0 when unknown. */
static int pm__space(const char *s, double sign[3])
{
    static const struct { const char *a, *b; double x, y; } sp[] = {
        {"left-posterior-superior", "LPS", 1, 1},
        {"right-anterior-superior", "RAS", -1, -1},
        {"left-anterior-superior", "LAS", 1, -1},
        {"scanner-xyz", "3D-right-handed", 1, 1}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        if (!strcasecmp(s, sp[i].a) || !strcasecmp(s, sp[i].b)) {
            sign[0] = sp[i].x;
            sign[1] = sp[i].y;
            sign[2] = 1;
            return 1;
        }
    return 0;
}

static int pm__parse(const char *path, char *text, size_t len, pm__vhdr *h, long long *data_at)
{
    double sign[3] = {1, 1, 1}, dirs[9], spacings[3] = {1, 1, 1};
    int dim = 0, have_dirs = 0, have_type = 0, have_sizes = 0, have_enc = 0;
    long long skip = 0;
    char *line = text, *next;
    *data_at = -1;
    for (int first = 1; line; line = next, first = 0) {
        char *nl = memchr(line, '\n', len - (size_t)(line - text));
        if (!nl && len == MAXHDR)
            return pm_fail(PM_ECORRUPT, "%s: NRRD header does not end (no blank line within 64 KB)", path);
        if (!nl && line == text + len)
            break;     /* a detached header may end with the file */
        if (!nl)
            nl = text + len;
        next = nl < text + len ? nl + 1 : NULL;
        if (memchr(line, 0, (size_t)(nl - line)))
            return pm_fail(PM_ECORRUPT, "%s: binary bytes in the NRRD header", path);
        *nl = 0;
        if (nl > line && nl[-1] == '\r')
            nl[-1] = 0;
        if (first) {
            if (strncmp(line, "NRRD000", 7))
                return pm_fail(PM_ECORRUPT, "%s: not a NRRD file (no NRRD000x magic)", path);
            continue;
        }
        if (!*line) {
            *data_at = (long long)(next - text);
            break;
        }
        if (line[0] == '#' || strstr(line, ":="))
            continue;
        char *colon = strstr(line, ": ");
        if (!colon)
            return pm_fail(PM_ECORRUPT, "%s: bad NRRD header line '%.40s'", path, line);
        *colon = 0;
        char *key = line, *val = colon + 2;
        while (*val == ' ')
            val++;
        if (!strcasecmp(key, "dimension")) {
            dim = atoi(val);
        } else if (!strcasecmp(key, "type")) {
            if (!(h->type = pm__vtype_nrrd(val)))
                return pm_fail(PM_ECORRUPT, "%s: unsupported type '%.32s'", path, val);
            have_type = 1;
        } else if (!strcasecmp(key, "sizes")) {
            char *p = val;
            for (int a = 0; a < 3; a++) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p) {
                    h->g.dim[a] = a < dim ? -1 : 1;
                    continue;
                }
                h->g.dim[a] = v >= 1 && v <= 1000000 ? (int)v : -1;
                p = end;
            }
            have_sizes = 1;
        } else if (!strcasecmp(key, "encoding")) {
            if (!strcasecmp(val, "raw"))
                h->compressed = 0;
            else if (!strcasecmp(val, "gzip") || !strcasecmp(val, "gz"))
                h->compressed = 1;
            else
                return pm_fail(PM_ECORRUPT, "%s: unsupported encoding '%.32s' (raw and gzip are read)", path, val);
            have_enc = 1;
        } else if (!strcasecmp(key, "endian")) {
            h->big_endian = !strcasecmp(val, "big");
        } else if (!strcasecmp(key, "space")) {
            if (!pm__space(val, sign))
                return pm_fail(PM_ECORRUPT, "%s: unsupported space '%.40s'", path, val);
        } else if (!strcasecmp(key, "space dimension")) {
            if (atoi(val) != 3)
                return pm_fail(PM_ECORRUPT, "%s: space dimension %s (3 only)", path, val);
        } else if (!strcasecmp(key, "space directions")) {
            const char *p = val;
            for (int a = 0; a < 3; a++)
                if (!pm__vec(&p, dirs + 3 * a))
                    return pm_fail(PM_ECORRUPT, "%s: bad space directions", path);
            have_dirs = 1;
        } else if (!strcasecmp(key, "space origin")) {
            const char *p = val;
            if (!pm__vec(&p, h->g.origin))
                return pm_fail(PM_ECORRUPT, "%s: bad space origin", path);
        } else if (!strcasecmp(key, "spacings")) {
            if (sscanf(val, "%lf %lf %lf", &spacings[0], &spacings[1], &spacings[2]) != 3)
                return pm_fail(PM_ECORRUPT, "%s: bad spacings", path);
        } else if (!strcasecmp(key, "byte skip")) {
            skip = atoll(val);
        } else if (!strcasecmp(key, "line skip")) {
            if (atoll(val) != 0)
                return pm_fail(PM_ECORRUPT, "%s: line skip is not supported", path);
        } else if (!strcasecmp(key, "data file") || !strcasecmp(key, "datafile")) {
            if (!strncasecmp(val, "LIST", 4) || strchr(val, '%') || strchr(val, ' '))
                return pm_fail(PM_ECORRUPT, "%s: data split over several files is not supported", path);
            pm__vpath(path, val, h->data_path, sizeof h->data_path);
        }
    }
    if (dim != 3)
        return pm_fail(PM_ECORRUPT, "%s: dimension %d (3D images only)", path, dim);
    if (!have_type || !have_sizes || !have_enc)
        return pm_fail(PM_ECORRUPT, "%s: NRRD header lacks type, sizes or encoding", path);
    if (skip < -1)
        return pm_fail(PM_ECORRUPT, "%s: bad byte skip", path);
    for (int a = 0; a < 3; a++) {
        if (h->g.dim[a] < 1)
            return pm_fail(PM_ECORRUPT, "%s: bad sizes", path);
        double v[3] = {0, 0, 0};
        if (have_dirs)
            memcpy(v, dirs + 3 * a, sizeof v);
        else
            v[a] = spacings[a];
        double norm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (!(norm > 1e-6) || !isfinite(norm))
            return pm_fail(PM_ECORRUPT, "%s: bad spacing or direction on axis %d", path, a);
        h->g.spacing[a] = norm;
        for (int r = 0; r < 3; r++)
            h->g.dir[3 * a + r] = sign[r] * v[r] / norm;
    }
    for (int r = 0; r < 3; r++)
        h->g.origin[r] *= sign[r];
    h->offset = skip;
    return PM_OK;
}

int pm__nrrd_header(const char *path, pm__vhdr *h)
{
    char *text;
    size_t len;
    int rc = pm__vhdr_text(path, MAXHDR, &text, &len, h);
    if (rc != PM_OK)
        return rc;
    pm_grid_init(&h->g, 1, 1, 1, 1, 1, 1);
    long long data_at;
    int st = pm__parse(path, text, len, h, &data_at);
    free(text);
    if (st != PM_OK)
        return st;
    if (!h->data_path[0]) {
        /* Attached data: byte skip counts from the end of the header; -1
         * (raw only) means the data ends the file. */
        if (data_at < 0)
            return pm_fail(PM_ECORRUPT, "%s: no data after the NRRD header", path);
        snprintf(h->data_path, sizeof h->data_path, "%s", path);
        h->offset = h->offset < 0 ? -1 : data_at + h->offset;
    }
    return PM_OK;
}
