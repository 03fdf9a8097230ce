/* files.h - helpers for the tests that build hostile inputs and run the CLI
 * on them: whole-file reads and writes, the element boundaries of an Explicit
 * VR Little Endian file (parsed here, independently of the code under test),
 * running $PULMO with its output captured, and a snapshot of a folder tree
 * to show that a command wrote nothing.
 */
#ifndef PULMO_TEST_FILES_H
#define PULMO_TEST_FILES_H

#include "test.h"

/* Failure messages quote program output and are cut to fit on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline unsigned char *tf_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static inline int tf_spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(b, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* mkdir -p through the shell: tests only. */
static inline int tf_mkdir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    return test_sh(cmd);
}

typedef struct tf_elem {
    size_t off;       /* where the element starts */
    size_t hdr;       /* header bytes (8 or 12) */
    uint32_t len;
    unsigned g, e;
    char vr[3];
} tf_elem;

/* Top-level elements of an Explicit VR LE file with a preamble, up to and
 * including the pixel data. Returns the count (at most max), -1 if the file
 * is not laid out that way. */
static inline int tf_elements(const unsigned char *b, size_t n, tf_elem *out, int max)
{
    static const char *longvr = "OBODOFOLOVOWSQSVUCUNURUTUV";
    if (n < 132 || memcmp(b + 128, "DICM", 4) != 0)
        return -1;
    size_t pos = 132;
    int k = 0;
    while (pos + 8 <= n && k < max) {
        tf_elem *el = &out[k];
        el->off = pos;
        el->g = (unsigned)(b[pos] | b[pos + 1] << 8);
        el->e = (unsigned)(b[pos + 2] | b[pos + 3] << 8);
        el->vr[0] = (char)b[pos + 4];
        el->vr[1] = (char)b[pos + 5];
        el->vr[2] = '\0';
        int is_long = 0;
        for (const char *v = longvr; *v; v += 2)
            is_long |= v[0] == el->vr[0] && v[1] == el->vr[1];
        if (is_long) {
            el->hdr = 12;
            el->len = (uint32_t)b[pos + 8] | (uint32_t)b[pos + 9] << 8 | (uint32_t)b[pos + 10] << 16
                    | (uint32_t)b[pos + 11] << 24;
        } else {
            el->hdr = 8;
            el->len = (uint32_t)(b[pos + 6] | b[pos + 7] << 8);
        }
        if (el->len == 0xFFFFFFFFu || el->len > n - pos - el->hdr)
            return -1;
        pos += el->hdr + el->len;
        k++;
        if (el->g == 0x7FE0 && el->e == 0x0010)
            break;
    }
    return k;
}

static inline const tf_elem *tf_find(const tf_elem *el, int n, unsigned g, unsigned e)
{
    for (int i = 0; i < n; i++)
        if (el[i].g == g && el[i].e == e)
            return &el[i];
    return NULL;
}

static inline void tf_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)(v >> 8);
}

static inline void tf_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* $PULMO (default build/san/pulmo) with relative program paths made
 * absolute, since tf_run runs it from another folder. It may be a command
 * line such as "valgrind --error-exitcode=99 ./pulmo". */
static inline const char *tf_pulmo(void)
{
    static char cmd[4096];
    if (cmd[0])
        return cmd;
    const char *p = getenv("PULMO");
    char words[4096];
    snprintf(words, sizeof words, "%s", p && *p ? p : "build/san/pulmo");
    size_t o = 0;
    for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
        char abs[4096];
        const char *use = w;
        if (w[0] != '/' && w[0] != '-' && strchr(w, '/') && access(w, X_OK) == 0 && realpath(w, abs))
            use = abs;
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s%s", o ? " " : "", use);
        if (o >= sizeof cmd)
            break;
    }
    return cmd;
}

/* Output of the last tf_run: stdout and stderr, NUL-terminated. */
static char tf_out[1 << 16], tf_err[1 << 16];

static inline void tf_read_text(const char *path, char *dst, size_t cap)
{
    size_t n = 0;
    unsigned char *b = tf_slurp(path, &n);
    if (n >= cap)
        n = cap - 1;
    if (b)
        memcpy(dst, b, n);
    dst[b ? n : 0] = '\0';
    free(b);
}

/* Runs `$PULMO args` in an empty working folder under test_tmpdir();
 * returns its exit status; stdout and stderr land in tf_out and tf_err. */
static inline int tf_run(const char *args)
{
    char work[600], cmd[8192];
    snprintf(work, sizeof work, "%s/work", test_tmpdir());
    tf_mkdir(work);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s %s >'%s/../stdout' 2>'%s/../stderr'", work, tf_pulmo(),
             args, work, work);
    int rc = test_sh(cmd);
    char path[700];
    snprintf(path, sizeof path, "%s/stdout", test_tmpdir());
    tf_read_text(path, tf_out, sizeof tf_out);
    snprintf(path, sizeof path, "%s/stderr", test_tmpdir());
    tf_read_text(path, tf_err, sizeof tf_err);
    return rc;
}

/* A listing of every file under dir with its size and modification time,
 * plus the working folder tf_run uses: equal snapshots mean nothing was
 * written. */
static inline void tf_snapshot(const char *dir, char *dst, size_t cap)
{
    char cmd[2048], path[700];
    snprintf(path, sizeof path, "%s/work", test_tmpdir());
    tf_mkdir(path);
    snprintf(path, sizeof path, "%s/snapshot", test_tmpdir());
    snprintf(cmd, sizeof cmd, "(find '%s' '%s/work' -printf '%%p %%s %%T@\\n' 2>/dev/null | sort) >'%s'",
             dir, test_tmpdir(), path);
    test_sh(cmd);
    tf_read_text(path, dst, cap);
}

/* Non-zero when s holds a sanitizer or valgrind report. */
static inline int tf_has_report(const char *s)
{
    return strstr(s, "Sanitizer") || strstr(s, "runtime error") || strstr(s, "==ERROR")
        || strstr(s, "Invalid read") || strstr(s, "Invalid write")
        || strstr(s, "uninitialised");
}

#endif
