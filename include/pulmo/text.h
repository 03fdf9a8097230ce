/* text.h - untrusted text and JSON output.
 *
 * Everything read from a DICOM header (names, descriptions, UIDs) passes
 * through pm_text_clean() before it can reach a terminal or a report: C0 and
 * C1 control characters (ESC, CSI, BEL, ...) are removed, bytes that are not
 * valid UTF-8 become '?', and padding spaces are trimmed.
 *
 * pm_json is a small streaming JSON writer that inserts the commas itself.
 */
#ifndef PULMO_TEXT_H
#define PULMO_TEXT_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Copies src into dst (capacity cap > 0, always terminated), cleaned. */
void pm_text_clean(char *dst, size_t cap, const char *src);
/* Cleans s in place. */
void pm_text_clean_inplace(char *s);

/* Display width in terminal cells of clean UTF-8 text (1 per code point). */
size_t pm_text_width(const char *s);

/* Cuts clean UTF-8 text to at most cells code points, on a character
 * boundary. */
void pm_text_truncate(char *s, size_t cells);

typedef struct pm_json {
    FILE *f;
    int depth;
    int pretty;
    unsigned char need_comma[64];
} pm_json;

void pm_json_init(pm_json *j, FILE *f, int pretty);
/* key is NULL inside arrays and at the top level. */
void pm_json_object_begin(pm_json *j, const char *key);
void pm_json_object_end(pm_json *j);
void pm_json_array_begin(pm_json *j, const char *key);
void pm_json_array_end(pm_json *j);
void pm_json_string(pm_json *j, const char *key, const char *value);
/* NaN and infinities are written as null. */
void pm_json_number(pm_json *j, const char *key, double value);
/* value as a reader of pm_json_number's text gets it back (10 significant
 * digits), so figures printed from a fresh value and from a re-read JSON
 * report round the same way. Can't fail. */
double pm_json_roundtrip(double value);
void pm_json_int(pm_json *j, const char *key, long long value);
void pm_json_bool(pm_json *j, const char *key, int value);
void pm_json_null(pm_json *j, const char *key);
/* An array of n values (a grid's dims, spacing, a bounding box...). */
void pm_json_ints(pm_json *j, const char *key, const int *v, int n);
void pm_json_numbers(pm_json *j, const char *key, const double *v, int n);
/* Ends the document with a newline. */
void pm_json_end(pm_json *j);

#ifdef __cplusplus
}
#endif

#endif
