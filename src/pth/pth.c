/* pth.c - PyTorch weight files: finds data.pkl in the zip, runs the strict
 * unpickler on it and hands back the named tensors (see pth.h). */
#include "pth_internal.h"
#include "pulmo/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct zipctx {
    pm__zip *z;
    const char *prefix, *file;
} zipctx;

/* Storage key -> the zip entry <top>/data/<key>, which must hold exactly it. */
static int zip_lookup(void *ctx, const char *key, size_t keylen, int dtype, int64_t numel,
                      const uint8_t **data)
{
    zipctx *c = ctx;
    char name[512];
    snprintf(name, sizeof name, "%s/data/%.*s", c->prefix, (int)keylen, key);
    const pm__zip_entry *e = pm__zip_get(c->z, name);
    if (!e)
        return PM_ECORRUPT;
    uint64_t want = (uint64_t)numel * (uint64_t)pm__pth_esize[dtype];
    if (e->size != want)
        return pm_fail(PM_ECORRUPT, "%s: damaged weights: storage '%s' holds %zu bytes, "
                       "expected %llu", c->file, name, e->size, (unsigned long long)want);
    *data = e->data;
    return PM_OK;
}

static int parse_legacy(const uint8_t *buf, size_t len, const char *name, pm_pth *w);

int pm_pth_parse(const uint8_t *buf, size_t len, const char *name, pm_pth **out)
{
    *out = NULL;
    if (len >= 2 && buf[0] == 0x80) {
        pm_pth *w = calloc(1, sizeof *w);
        if (!w || !(w->archive = strdup(""))) {
            free(w);
            return pm_fail(PM_EMEMORY, "%s: out of memory", name);
        }
        int rc = parse_legacy(buf, len, name, w);
        if (rc) {
            pm_pth_free(w);
            return rc;
        }
        *out = w;
        return PM_OK;
    }
    pm__zip z;
    int rc = pm__zip_open(&z, buf, len, name);
    if (rc)
        return rc;
    /* torch names the top folder after the file ("archive" in some versions):
     * take it from the one entry called <top>/data.pkl. */
    const pm__zip_entry *pe = NULL;
    for (int i = 0; i < z.n; i++) {
        const pm__zip_entry *e = &z.e[i];
        const char *slash = memchr(e->name, '/', e->name_len);
        if (slash && slash > e->name && (size_t)(slash - e->name) < 256 &&
            e->name_len - (size_t)(slash - e->name) == 9 && !memcmp(slash, "/data.pkl", 9)) {
            if (pe) {
                pm__zip_close(&z);
                return pm_fail(PM_ECORRUPT, "%s: more than one data.pkl", name);
            }
            pe = e;
        }
    }
    if (!pe) {
        pm__zip_close(&z);
        return pm_fail(PM_ECORRUPT, "%s: not a PyTorch weight file (no data.pkl in the zip)", name);
    }
    pm_pth *w = calloc(1, sizeof *w);
    char prefix[256], entry[300];
    size_t plen = (size_t)((const char *)memchr(pe->name, '/', pe->name_len) - pe->name);
    memcpy(prefix, pe->name, plen);
    prefix[plen] = 0;
    if (!w || !(w->archive = strdup(prefix))) {
        free(w);
        pm__zip_close(&z);
        return pm_fail(PM_EMEMORY, "%s: out of memory", name);
    }
    snprintf(entry, sizeof entry, "%s/data.pkl", prefix);
    const pm__zip_entry *pkl = pm__zip_get(&z, entry);
    rc = pkl ? PM_OK : PM_ECORRUPT;
    /* torch >= 2.1 records the byte order; storages are read as little-endian. */
    snprintf(entry, sizeof entry, "%s/byteorder", prefix);
    for (int i = 0; !rc && i < z.n; i++)
        if (z.e[i].name_len == strlen(entry) && !memcmp(z.e[i].name, entry, strlen(entry)) &&
            !(z.e[i].size == 6 && !memcmp(z.e[i].data, "little", 6)))
            rc = pm_fail(PM_ECORRUPT, "%s: big-endian weight files are not supported", name);
    if (!rc) {
        uint64_t budget = 0;
        for (int i = 0; i < z.n; i++)
            budget += z.e[i].size;
        zipctx zc = {&z, prefix, name};
        rc = pm__pth_unpickle(pkl->data, pkl->size, name, budget, zip_lookup, &zc, NULL, w);
    }
    pm__zip_close(&z);
    if (rc) {
        pm_pth_free(w);
        return rc;
    }
    *out = w;
    return PM_OK;
}

/* ---- the legacy format (torch.save before 1.6) ----
 * One stream of pickles: a magic number, the protocol version (1001), a
 * dict of system information, the state_dict (storages as persistent ids
 * with view metadata None), the list of storage keys; then, for each key in
 * that order, the element count (int64, little-endian) and the raw
 * elements. The state_dict comes before the storages, so it is run twice:
 * once to learn each key's type and size, once to build the tensors. */

typedef struct lstore {
    const char *key;
    size_t n;
    int dtype;
    int64_t numel;
    const uint8_t *data;
} lstore;

typedef struct legacy {
    lstore *s;
    size_t n, cap;
    size_t nkeys;          /* keys listed so far (order of the data section) */
    const char *file;
} legacy;

static int lstore_cmp(const void *a, const void *b)
{
    const lstore *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->key, y->key, m);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static lstore *lfind(legacy *L, const char *key, size_t n)
{
    lstore k = {.key = key, .n = n};
    return L->n ? bsearch(&k, L->s, L->n, sizeof *L->s, lstore_cmp) : NULL;
}

static int legacy_record(void *ctx, const char *key, size_t keylen, int dtype, int64_t numel,
                         const uint8_t **data)
{
    legacy *L = ctx;
    *data = NULL;
    if (L->n == L->cap) {
        size_t c = L->cap ? 2 * L->cap : 256;
        lstore *s = realloc(L->s, c * sizeof *s);
        if (!s)
            return pm_fail(PM_EMEMORY, "%s: out of memory", L->file);
        L->s = s;
        L->cap = c;
    }
    L->s[L->n++] = (lstore){key, keylen, dtype, numel, NULL};
    return PM_OK;
}

static int legacy_lookup(void *ctx, const char *key, size_t keylen, int dtype, int64_t numel,
                         const uint8_t **data)
{
    legacy *L = ctx;
    lstore *e = lfind(L, key, keylen);
    if (!e || !e->data || e->dtype != dtype || e->numel != numel)
        return pm_fail(PM_ECORRUPT, "%s: damaged weights: storage '%.*s' is missing or differs",
                       L->file, (int)(keylen > 64 ? 64 : keylen), key);
    *data = e->data;
    return PM_OK;
}

/* Each listed key, in order, gets its place in the data section later;
 * here they only need to be known storages. */
typedef struct keylist {
    legacy *L;
    lstore **order;
    size_t n, cap;
} keylist;

static int legacy_key(void *ctx, const char *s, size_t n)
{
    keylist *k = ctx;
    lstore *e = lfind(k->L, s, n);
    if (!e)
        return pm_fail(PM_ECORRUPT, "%s: damaged weights: storage key '%.*s' is not used",
                       k->L->file, (int)(n > 64 ? 64 : n), s);
    if (k->n == k->cap) {
        size_t c = k->cap ? 2 * k->cap : 256;
        lstore **o = realloc(k->order, c * sizeof *o);
        if (!o)
            return pm_fail(PM_EMEMORY, "%s: out of memory", k->L->file);
        k->order = o;
        k->cap = c;
    }
    k->order[k->n++] = e;
    return PM_OK;
}

static int parse_legacy(const uint8_t *buf, size_t len, const char *name, pm_pth *w)
{
    static const uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20,
                                    0x6a, 0xa8, 0x50, 0x19, 0x2e};
    static const uint8_t proto[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
    if (len < sizeof magic + sizeof proto || memcmp(buf, magic, sizeof magic) ||
        memcmp(buf + sizeof magic, proto, sizeof proto))
        return pm_fail(PM_ECORRUPT, "%s: not a PyTorch weight file (a pickle without torch's "
                       "magic number and protocol 1001)", name);
    size_t pos = sizeof magic + sizeof proto, end;
    legacy L = {.file = name};
    keylist K = {.L = &L};
    pm_pth dry = {0};
    int rc = pm__pkl_skip(buf + pos, len - pos, name, &end);          /* system info */
    pos += end;
    size_t main_at = pos;
    if (!rc)
        rc = pm__pth_unpickle(buf + pos, len - pos, name, len, legacy_record, &L, &end, &dry);
    for (int i = 0; i < dry.n; i++)
        free(dry.t[i].name);
    free(dry.t);
    if (!rc) {
        pos += end;
        qsort(L.s, L.n, sizeof *L.s, lstore_cmp);
        size_t k = 0;          /* one entry per key; the same key must mean the same storage */
        for (size_t i = 0; i < L.n && !rc; i++) {
            if (k && !lstore_cmp(&L.s[k - 1], &L.s[i])) {
                if (L.s[k - 1].dtype != L.s[i].dtype || L.s[k - 1].numel != L.s[i].numel)
                    rc = pm_fail(PM_ECORRUPT, "%s: damaged weights: storage '%.*s' declared "
                                 "twice differently", name, (int)(L.s[i].n > 64 ? 64 : L.s[i].n),
                                 L.s[i].key);
                continue;
            }
            L.s[k++] = L.s[i];
        }
        L.n = k;
    }
    if (!rc)
        rc = pm__pkl_strings(buf + pos, len - pos, name, &end, legacy_key, &K);
    if (!rc)
        pos += end;
    for (size_t i = 0; i < K.n && !rc; i++) {
        lstore *e = K.order[i];
        if (len - pos < 8) {
            rc = pm_fail(PM_ECORRUPT, "%s: truncated (storage data)", name);
            break;
        }
        int64_t n;
        memcpy(&n, buf + pos, 8);
        uint64_t bytes = (uint64_t)e->numel * (uint64_t)pm__pth_esize[e->dtype];
        if (n != e->numel || e->data || bytes > len - pos - 8) {
            rc = pm_fail(PM_ECORRUPT, "%s: %s (storage '%.*s')", name,
                         bytes > len - pos - 8 ? "truncated" : "damaged weights",
                         (int)(e->n > 64 ? 64 : e->n), e->key);
            break;
        }
        e->data = buf + pos + 8;
        pos += 8 + (size_t)bytes;
    }
    if (!rc && pos != len)
        rc = pm_fail(PM_ECORRUPT, "%s: damaged weights: %zu bytes after the last storage", name,
                     len - pos);
    if (!rc)
        rc = pm__pth_unpickle(buf + main_at, len - main_at, name, len, legacy_lookup, &L, NULL, w);
    free(L.s);
    free(K.order);
    return rc;
}

int pm_pth_read(const char *path, pm_pth **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return pm_fail(PM_ECORRUPT, "%s: not a regular file", path);
    char *buf;
    size_t len;
    int rc = pm_read_file(path, 0, &buf, &len);
    if (rc != PM_OK)
        return rc;
    rc = pm_pth_parse((const uint8_t *)buf, len, path, out);
    free(buf);
    return rc;
}

const pm_tensor *pm_pth_find(const pm_pth *w, const char *name)
{
    for (int i = 0; w && i < w->n; i++)
        if (!strcmp(w->t[i].name, name))
            return &w->t[i];
    return NULL;
}

void pm_pth_free(pm_pth *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].f32);
        free(w->t[i].i64);
    }
    free(w->t);
    free(w->archive);
    free(w);
}
