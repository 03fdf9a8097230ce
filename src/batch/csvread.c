/* csv.c - reading the summary tables back (RFC 4180: commas, double quotes,
 * "" inside quotes, line breaks inside quotes), for merging shards.
 *
 * Each record keeps its raw bytes as well as its fields, so a merge copies
 * rows through unchanged: the figures in summary.csv are byte for byte the
 * ones the shard wrote, never re-formatted. */
#include "batch_csv.h"

#include "pulmo/core.h"
#include "pulmo/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pm__push(void **arr, int *n, int *cap, size_t size)
{
    if (*n < *cap)
        return 0;
    int nc = *cap ? 2 * *cap : 16;
    void *na = realloc(*arr, (size_t)nc * size);
    if (!na)
        return -1;
    *arr = na;
    *cap = nc;
    return 0;
}

/* Parses one record starting at s[*pos]; fields are unquoted copies. */
static int pm__record(const char *s, size_t len, size_t *pos, pm__csv_row *row)
{
    size_t i = *pos;
    int fcap = 0;
    row->raw = s + i;
    row->fields = NULL;
    row->nfields = 0;
    for (;;) {
        size_t cap = 32, n = 0;
        char *fld = malloc(cap);
        if (!fld)
            return -1;
        int quoted = i < len && s[i] == '"';
        if (quoted)
            i++;
        for (; i < len; i++) {
            char c = s[i];
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < len && s[i + 1] == '"')
                        i++;
                    else {
                        quoted = 0;
                        continue;
                    }
                }
            } else if (c == ',' || c == '\n' || c == '\r') {
                break;
            }
            if (n + 2 > cap) {
                char *nf = realloc(fld, cap *= 2);
                if (!nf) {
                    free(fld);
                    return -1;
                }
                fld = nf;
            }
            fld[n++] = c;
        }
        fld[n] = '\0';
        if (pm__push((void **)&row->fields, &row->nfields, &fcap, sizeof(char *)) != 0) {
            free(fld);
            return -1;
        }
        row->fields[row->nfields++] = fld;
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    row->rawlen = (size_t)(s + i - row->raw);
    if (i < len && s[i] == '\r')
        i++;
    if (i < len && s[i] == '\n')
        i++;
    *pos = i;
    return 0;
}

static void pm__row_free(pm__csv_row *r)
{
    for (int i = 0; i < r->nfields; i++)
        free(r->fields[i]);
    free(r->fields);
}

void pm__csv_free(pm__csv *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nrows; i++)
        pm__row_free(&c->rows[i]);
    pm__row_free(&c->header);
    free(c->rows);
    free(c->text);
    free(c);
}

int pm__csv_read(const char *path, pm__csv **out)
{
    *out = NULL;
    pm__csv *c = calloc(1, sizeof *c);
    if (!c)
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    size_t len = 0, pos = 0;
    int rc = pm_read_file(path, 0, &c->text, &len);
    if (rc != PM_OK) {
        free(c);
        return rc == PM_EMEMORY ? rc : PM_ECORRUPT;
    }
    if (len == 0 || pm__record(c->text, len, &pos, &c->header) != 0 || c->header.nfields < 2) {
        pm__csv_free(c);
        return pm_fail(PM_ECORRUPT, "%s: not a summary table (no header line)", path);
    }
    int cap = 0;
    while (pos < len) {
        if (c->text[pos] == '\n' || c->text[pos] == '\r') {
            pos++;
            continue;
        }
        if (pm__push((void **)&c->rows, &c->nrows, &cap, sizeof *c->rows) != 0 ||
            pm__record(c->text, len, &pos, &c->rows[c->nrows]) != 0) {
            pm__csv_free(c);
            return pm_fail(PM_EMEMORY, "%s: out of memory", path);
        }
        c->nrows++;
    }
    *out = c;
    return PM_OK;
}

int pm__csv_column(const pm__csv *c, const char *name)
{
    for (int i = 0; i < c->header.nfields; i++)
        if (!strcmp(c->header.fields[i], name))
            return i;
    return -1;
}

const char *pm__csv_field(const pm__csv_row *r, int col)
{
    return col >= 0 && col < r->nfields ? r->fields[col] : "";
}

void pm__csv_put(FILE *f, const char *s)
{
    /* Always quoted, so a name that looks like a number stays text in a
     * spreadsheet; line breaks become spaces, so one record is one line for
     * grep, cut and the shards' merge. */
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}
