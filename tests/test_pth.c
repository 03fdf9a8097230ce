/* test_pth.c - the PyTorch weight reader on the real tiny-unet.pth and on
 * damaged copies of it: names and shapes against tiny-unet.json, truncation,
 * a wrong tensor shape, an unknown pickle opcode, a bad CRC, and a few
 * hundred random mutations of data.pkl (CRC fixed up so the unpickler, not
 * the CRC check, meets them), none of which may crash. */
#include "test.h"
#include "pulmo/pth.h"
#include "pulmo/unet.h"

#include <stdint.h>
#include <zlib.h>

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    CHECK(b && fread(b, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

static const char *spit(const char *name, const uint8_t *b, size_t len)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite(b, 1, len, f) == len, "cannot write %s", p);
    fclose(f);
    return p;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* Where data.pkl's bytes are, and its central directory CRC field. */
static void find_pkl(const uint8_t *b, size_t len, size_t *data, size_t *size, size_t *crcfield)
{
    *data = 0;
    for (size_t p = 0; p + 46 < len; p++) {
        if (rd32(b + p) != 0x02014b50)
            continue;
        size_t nlen = b[p + 28] | b[p + 29] << 8;
        if (nlen >= 8 && !memcmp(b + p + 46 + nlen - 8, "data.pkl", 8)) {
            size_t loff = rd32(b + p + 42);
            *data = loff + 30 + (b[loff + 26] | b[loff + 27] << 8) + (b[loff + 28] | b[loff + 29] << 8);
            *size = rd32(b + p + 24);
            *crcfield = p + 16;
            return;
        }
    }
    CHECK(0, "no data.pkl in the central directory");
}

static void fix_crc(uint8_t *b, size_t len)
{
    size_t d, n, c;
    find_pkl(b, len, &d, &n, &c);
    uint32_t crc = (uint32_t)crc32(0L, b + d, (uInt)n);
    b[c] = crc & 255, b[c + 1] = crc >> 8 & 255, b[c + 2] = crc >> 16 & 255, b[c + 3] = crc >> 24;
}

TEST(tiny_unet_tensors_have_the_names_and_shapes_of_the_json)
{
    size_t jl;
    char *json = (char *)slurp(test_data("unet/tiny-unet.json"), &jl);
    pm_pth *w;
    CHECK(pm_pth_read(test_data("unet/tiny-unet.pth"), &w) == PM_OK, "%s", pm_error());
    const char *sec = strstr(json, "\"state_dict_shapes\"");
    CHECK(sec, "no state_dict_shapes in the JSON");
    int seen = 0;
    for (const char *p = strchr(sec + 19, '"'); p; p = strchr(p, '"')) {
        const char *e = strchr(p + 1, '"');
        CHECK(e, "unterminated name");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        const char *lb = strchr(e, '['), *rb = lb ? strchr(lb, ']') : NULL;
        CHECK(lb && rb, "no shape for %s", name);
        int64_t shape[8];
        int nd = 0;
        for (const char *q = lb + 1; q < rb; q++)
            if (*q >= '0' && *q <= '9') {
                shape[nd++] = strtoll(q, (char **)&q, 10);
                q--;
            }
        const pm_tensor *t = pm_pth_find(w, name);
        CHECK(t, "tensor %s is missing", name);
        CHECK(t->ndim == nd, "%s has %d dims, JSON %d", name, t->ndim, nd);
        for (int d = 0; d < nd; d++)
            CHECK(t->shape[d] == shape[d], "%s dim %d: %lld vs %lld", name, d,
                  (long long)t->shape[d], (long long)shape[d]);
        seen++;
        p = rb + 1;
        while (*p == ' ' || *p == ',' || *p == '\n')
            p++;
        if (*p == '}')
            break;
    }
    CHECK(seen == w->n && seen == 227, "JSON lists %d tensors, file has %d", seen, w->n);
    const pm_tensor *nb = pm_pth_find(w, "down_path.0.block.2.num_batches_tracked");
    CHECK(nb && nb->i64 && !nb->f32 && nb->ndim == 0, "num_batches_tracked is not an int64 scalar");
    CHECK(!strcmp(w->archive, "tiny-unet"), "archive folder '%s'", w->archive);
    pm_pth_free(w);
    free(json);
}

static void expect_corrupt(const char *path, const char *needle)
{
    pm_unet *net = NULL;
    int rc = pm_unet_load(path, &net);
    CHECK(rc == PM_ECORRUPT && !net, "%s: rc %d (%s)", path, rc, pm_error());
    CHECK(strstr(pm_error(), path), "reason does not name the file: %s", pm_error());
    CHECK(strstr(pm_error(), needle), "reason '%s' lacks '%s'", pm_error(), needle);
}

TEST(truncated_weight_files_are_corrupt_not_crashes)
{
    size_t len;
    uint8_t *b = slurp(test_data("unet/tiny-unet.pth"), &len);
    expect_corrupt(spit("half.pth", b, len / 2), "truncated");
    expect_corrupt(spit("tail-cut.pth", b, len - 10), "truncated");
    expect_corrupt(spit("empty.pth", b, 0), "too short");
    free(b);
}

TEST(a_wrong_tensor_shape_is_named)
{
    size_t len, d, n, c;
    uint8_t *b = slurp(test_data("unet/tiny-unet.pth"), &len);
    find_pkl(b, len, &d, &n, &c);
    /* last.weight is rebuilt with size (3, 8, 1, 1): K\x03 K\x08 K\x01 K\x01 */
    uint8_t *hit, *name = memmem(b + d, n, "last.weight", 11);
    CHECK(name, "no last.weight in data.pkl");
    hit = memmem(name, n - (size_t)(name - (b + d)), "K\x03K\x08K\x01K\x01", 8);
    CHECK(hit, "size tuple of last.weight not found");
    hit[3] = 7;
    fix_crc(b, len);
    expect_corrupt(spit("shape.pth", b, len), "last.weight");
    CHECK(strstr(pm_error(), "shape [3x7x1x1]"), "%s", pm_error());
    free(b);
}

TEST(an_unknown_pickle_opcode_is_refused)
{
    size_t len, d, n, c;
    uint8_t *b = slurp(test_data("unet/tiny-unet.pth"), &len);
    find_pkl(b, len, &d, &n, &c);
    CHECK(b[d] == 0x80 && b[d + 2] == 'c', "data.pkl does not start with PROTO, GLOBAL");
    b[d + 27] = 'p';                        /* BINPUT -> PUT (text protocol 0) */
    fix_crc(b, len);
    expect_corrupt(spit("opcode.pth", b, len), "opcode 0x70");
    free(b);
}

TEST(a_global_outside_the_allow_list_is_refused)
{
    size_t len, d, n, c;
    uint8_t *b = slurp(test_data("unet/tiny-unet.pth"), &len);
    find_pkl(b, len, &d, &n, &c);
    uint8_t *g = memmem(b + d, n, "collections\nOrderedDict\n", 24);
    CHECK(g, "no OrderedDict global");
    memcpy(g, "os         \nsystem     \n", 24);
    fix_crc(b, len);
    expect_corrupt(spit("global.pth", b, len), "refused");
    free(b);
}

TEST(a_flipped_storage_byte_fails_the_crc)
{
    size_t len;
    uint8_t *b = slurp(test_data("unet/tiny-unet.pth"), &len);
    b[len / 2] ^= 0x40;                     /* inside some data/N storage */
    expect_corrupt(spit("crc.pth", b, len), "CRC");
    free(b);
}

TEST(random_mutations_of_data_pkl_never_crash)
{
    size_t len, d, n, c;
    uint8_t *orig = slurp(test_data("unet/tiny-unet.pth"), &len);
    uint8_t *b = malloc(len);
    find_pkl(orig, len, &d, &n, &c);
    uint32_t s = 12345;
    int ok = 0, bad = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(b, orig, len);
        int flips = 1 + it % 4;
        for (int f = 0; f < flips; f++) {
            s = s * 1103515245u + 12345u;
            size_t at = d + (s >> 8) % n;
            s = s * 1103515245u + 12345u;
            b[at] = (uint8_t)(it & 1 ? s >> 16 : b[at] ^ (1u << (s >> 13 & 7)));
        }
        fix_crc(b, len);
        pm_pth *w = NULL;
        int rc = pm_pth_parse(b, len, "mutant.pth", &w);
        CHECK(rc == PM_OK || rc == PM_ECORRUPT, "mutation %d: rc %d (%s)", it, rc, pm_error());
        CHECK((rc == PM_OK) == (w != NULL), "mutation %d: output/status mismatch", it);
        if (rc == PM_OK) {
            pm_unet *net = NULL;
            int r2 = pm_unet_from_pth(w, "mutant.pth", &net);
            CHECK(r2 == PM_OK || r2 == PM_ECORRUPT, "mutation %d: net rc %d", it, r2);
            pm_unet_free(net);
            ok++;
        } else
            bad++;
        pm_pth_free(w);
    }
    CHECK(bad > 100, "only %d of 400 mutations were refused", bad);
    free(b);
    free(orig);
}

/* The legacy (pre-1.6) format, written from tiny-unet.pth by tests/legacy_pth.py. */
static const char *legacy_copy(void)
{
    static char path[600];
    char cmd[2000];
    snprintf(path, sizeof path, "%s/legacy.pth", test_tmpdir());
    snprintf(cmd, sizeof cmd, "python3 tests/legacy_pth.py '%s' '%s'", test_data("unet/tiny-unet.pth"),
             path);
    CHECK(test_sh(cmd) == 0, "tests/legacy_pth.py failed");
    return path;
}

TEST(a_legacy_format_file_gives_the_tensors_of_the_zip_file)
{
    pm_pth *z, *l;
    const char *path = legacy_copy();
    CHECK(pm_pth_read(test_data("unet/tiny-unet.pth"), &z) == PM_OK, "%s", pm_error());
    CHECK(pm_pth_read(path, &l) == PM_OK, "%s", pm_error());
    CHECK(l->n == z->n, "%d tensors, zip %d", l->n, z->n);
    for (int i = 0; i < z->n; i++) {
        const pm_tensor *a = &z->t[i], *b = pm_pth_find(l, a->name);
        CHECK(b && b->ndim == a->ndim && b->numel == a->numel && b->dtype == a->dtype,
              "%s differs in shape or type", a->name);
        CHECK(a->f32 ? !memcmp(a->f32, b->f32, (size_t)a->numel * 4)
                     : !memcmp(a->i64, b->i64, (size_t)a->numel * 8), "%s differs in values", a->name);
    }
    pm_pth_free(z);
    pm_pth_free(l);
}

TEST(damaged_legacy_files_are_corrupt_not_crashes)
{
    size_t len;
    uint8_t *b = slurp(legacy_copy(), &len);
    expect_corrupt(spit("legacy-cut.pth", b, len - 100), "truncated");
    expect_corrupt(spit("legacy-head.pth", b, 40), "");
    uint8_t *m = malloc(len);
    uint32_t s = 99;
    int refused = 0;
    for (int it = 0; it < 200; it++) {
        memcpy(m, b, len);
        size_t span = it % 2 ? 40000 : len;   /* mostly the pickles, sometimes anywhere */
        for (int f = 0; f < 1 + it % 3; f++) {
            s = s * 1103515245u + 12345u;
            m[(s >> 8) % span] = (uint8_t)(s >> 20);
        }
        pm_pth *w = NULL;
        int rc = pm_pth_parse(m, it % 5 ? len : (s >> 4) % len, "legacy-mutant.pth", &w);
        CHECK(rc == PM_OK || rc == PM_ECORRUPT, "mutation %d: rc %d (%s)", it, rc, pm_error());
        refused += rc != PM_OK;
        pm_pth_free(w);
    }
    CHECK(refused > 50, "only %d of 200 mutations were refused", refused);
    free(m);
    free(b);
}

int main(void)
{
    RUN(tiny_unet_tensors_have_the_names_and_shapes_of_the_json);
    RUN(truncated_weight_files_are_corrupt_not_crashes);
    RUN(a_wrong_tensor_shape_is_named);
    RUN(an_unknown_pickle_opcode_is_refused);
    RUN(a_global_outside_the_allow_list_is_refused);
    RUN(a_flipped_storage_byte_fails_the_crc);
    RUN(random_mutations_of_data_pkl_never_crash);
    RUN(a_legacy_format_file_gives_the_tensors_of_the_zip_file);
    RUN(damaged_legacy_files_are_corrupt_not_crashes);
    return test_done();
}
