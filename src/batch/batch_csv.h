/* batch_csv.h - internal: the CSV reader behind `pulmo batch --merge` and
 * the one CSV field writer of summary.csv and shards.csv.
 * Not part of the public API (src/batch only). */
#ifndef PULMO_BATCH_CSV_H
#define PULMO_BATCH_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct pm__csv_row {
    const char *raw;     /* the record's bytes in the file, without line end */
    size_t rawlen;
    char **fields;       /* unquoted */
    int nfields;
} pm__csv_row;

typedef struct pm__csv {
    char *text;
    pm__csv_row header;
    pm__csv_row *rows;
    int nrows;
} pm__csv;

/* Reads a whole CSV file with a header line. PM_ECORRUPT when missing,
 * unreadable or without header (the reason says which), PM_EMEMORY. */
int pm__csv_read(const char *path, pm__csv **out);
void pm__csv_free(pm__csv *c);
/* Index of the header column called name, or -1. */
int pm__csv_column(const pm__csv *c, const char *name);
/* Field col of r, "" when the row is short. Can't fail. */
const char *pm__csv_field(const pm__csv_row *r, int col);
/* Writes s as one CSV field, quoted, line breaks as spaces. Can't fail. */
void pm__csv_put(FILE *f, const char *s);

#endif
