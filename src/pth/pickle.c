/* pickle.c - a strict unpickler for torch.save(state_dict) and the tensor
 * rebuilding it implies.
 *
 * Python's pickle is a small stack machine that can call any importable
 * function; a weight file only ever needs a handful of opcodes and three kinds
 * of call (OrderedDict(), _rebuild_tensor_v2(...) and a typed storage named
 * by a persistent id), so this interpreter knows exactly those and refuses
 * the rest. Values live in one growable array and are referred to by index,
 * so growing never leaves dangling pointers; strings point into the pickle
 * bytes. Every read is checked against the end of data.pkl, every memo index
 * against what was stored, and the elements allocated for tensors are capped
 * by the bytes of the archive, so a hostile file can neither crash the reader
 * nor make it allocate far beyond its own size.
 */
#include "pth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V_NONE, V_BOOL, V_INT, V_STR, V_TUPLE, V_DICT, V_GLOBAL, V_STORAGE, V_TENSOR, V_LIST };
enum { G_ODICT = 1, G_REBUILD, G_STORAGE };

typedef struct pv {
    int type;
    int sub;             /* V_GLOBAL: G_*; V_GLOBAL G_STORAGE and V_STORAGE: dtype */
    int64_t i;           /* V_INT/V_BOOL value; V_STORAGE numel; V_TENSOR index */
    uint32_t a, n, b;    /* V_STR: offset, length in the pickle; V_TUPLE: pool offset,
                            count; V_DICT, V_LIST: first entry, count, last entry; V_STORAGE:
                            a = key string value */
} pv;

typedef struct pentry { uint32_t key, val, next; } pentry;

typedef struct up {
    const uint8_t *p;
    size_t len, pos;
    const char *file;
    pv *v; size_t nv, cv;
    uint32_t *pool; size_t npool, cpool;
    pentry *de; size_t nde, cde;
    uint32_t *st; size_t sp, cst;
    size_t *mk; size_t nmk, cmk;
    uint32_t *memo; size_t cmemo;    /* memo[i] = value index + 1 (0 = unset) */
    pm_tensor *tt; size_t ntt, ctt;
    pm__storage_fn lookup;           /* where storages are (NULL data: validate only) */
    void *lctx;
    uint64_t budget;                 /* tensor elements still allowed */
} up;

#define GROW(arr, n, cap, need)                                                       \
    do {                                                                              \
        if ((n) + (need) > (cap)) {                                                   \
            size_t c_ = (cap) ? (cap) * 2 : 64;                                       \
            while (c_ < (n) + (need)) c_ *= 2;                                        \
            void *q_ = realloc((arr), c_ * sizeof *(arr));                            \
            if (!q_) return pm_fail(PM_EMEMORY, "%s: out of memory", u->file);        \
            (arr) = q_;                                                               \
            (cap) = c_;                                                               \
        }                                                                             \
    } while (0)

static int bad(up *u, const char *what)
{
    return pm_fail(PM_ECORRUPT, "%s: damaged weights: data.pkl: %s (byte %zu)", u->file, what,
                   u->pos);
}

static int newval(up *u, pv v, uint32_t *idx)
{
    GROW(u->v, u->nv, u->cv, 1);
    if (u->nv >= 0xfffffff0u)
        return bad(u, "too many values");
    u->v[u->nv] = v;
    *idx = (uint32_t)u->nv++;
    return PM_OK;
}

static int push(up *u, uint32_t idx)
{
    GROW(u->st, u->sp, u->cst, 1);
    u->st[u->sp++] = idx;
    return PM_OK;
}

static int pushval(up *u, pv v)
{
    uint32_t idx = 0;
    int rc = newval(u, v, &idx);
    return rc ? rc : push(u, idx);
}

/* The stack above the innermost mark (the only part an opcode may pop). */
static size_t floor_(const up *u) { return u->nmk ? u->mk[u->nmk - 1] : 0; }

static int pop(up *u, uint32_t *idx)
{
    if (u->sp <= floor_(u))
        return bad(u, "stack underflow");
    *idx = u->st[--u->sp];
    return PM_OK;
}

static int need(up *u, size_t n)
{
    if (u->len - u->pos < n)
        return bad(u, "truncated");
    return PM_OK;
}

static uint32_t rd_le(const uint8_t *p, int n)
{
    uint32_t r = 0;
    for (int i = n - 1; i >= 0; i--)
        r = r << 8 | p[i];
    return r;
}

static int str_is(const up *u, const pv *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->type == V_STR && s->n == n && !memcmp(u->p + s->a, lit, n);
}

static const struct { const char *mod, *name; int g, dtype; } globals[] = {
    {"collections", "OrderedDict", G_ODICT, 0},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD, 0},
    {"torch", "FloatStorage", G_STORAGE, PM_PTH_F32},
    {"torch", "DoubleStorage", G_STORAGE, PM_PTH_F64},
    {"torch", "HalfStorage", G_STORAGE, PM_PTH_F16},
    {"torch", "LongStorage", G_STORAGE, PM_PTH_I64},
    {"torch", "IntStorage", G_STORAGE, PM_PTH_I32},
    {"torch", "ShortStorage", G_STORAGE, PM_PTH_I16},
    {"torch", "CharStorage", G_STORAGE, PM_PTH_I8},
    {"torch", "ByteStorage", G_STORAGE, PM_PTH_U8},
    {"torch", "BoolStorage", G_STORAGE, PM_PTH_BOOL},
};
const int pm__pth_esize[] = {4, 8, 2, 8, 4, 2, 1, 1, 1};

static int op_global(up *u)
{
    const uint8_t *s = u->p + u->pos, *end = u->p + u->len;
    const uint8_t *nl1 = memchr(s, '\n', (size_t)(end - s));
    const uint8_t *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
    if (!nl2)
        return bad(u, "truncated GLOBAL");
    size_t ml = (size_t)(nl1 - s), nl = (size_t)(nl2 - nl1 - 1);
    u->pos = (size_t)(nl2 + 1 - u->p);
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
        if (strlen(globals[i].mod) == ml && !memcmp(s, globals[i].mod, ml) &&
            strlen(globals[i].name) == nl && !memcmp(nl1 + 1, globals[i].name, nl))
            return pushval(u, (pv){.type = V_GLOBAL, .sub = globals[i].g, .i = globals[i].dtype});
    }
    char m[128];
    size_t k = 0;
    for (const uint8_t *c = s; c < nl2 && k < sizeof m - 1; c++)
        m[k++] = *c == '\n' ? '.' : (*c >= 32 && *c < 127 ? (char)*c : '?');
    m[k] = 0;
    return pm_fail(PM_ECORRUPT, "%s: data.pkl refers to '%s', which a state_dict of tensors "
                   "never needs (refused)", u->file, m);
}

static int op_tuple(up *u, size_t from)
{
    size_t n = u->sp - from;
    GROW(u->pool, u->npool, u->cpool, n ? n : 1);
    if (u->npool + n >= 0xfffffff0u)
        return bad(u, "too many values");
    memcpy(u->pool + u->npool, u->st + from, n * sizeof *u->st);
    pv t = {.type = V_TUPLE, .a = (uint32_t)u->npool, .n = (uint32_t)n};
    u->npool += n;
    u->sp = from;
    return pushval(u, t);
}

static int setitem(up *u, uint32_t dict, uint32_t k, uint32_t val)
{
    GROW(u->de, u->nde, u->cde, 1);
    if (u->nde >= 0xfffffff0u)
        return bad(u, "too many values");
    pv *d = &u->v[dict];
    uint32_t e = (uint32_t)u->nde++;
    u->de[e] = (pentry){k, val, 0};
    if (d->n++ == 0)
        d->a = e + 1;
    else
        u->de[d->b - 1].next = e + 1;
    d->b = e + 1;
    return PM_OK;
}

/* ('storage', torch.XStorage, key, location, numel) -> a storage value. */
static int op_persid(up *u)
{
    uint32_t t = 0;
    int rc = pop(u, &t);
    if (rc)
        return rc;
    pv pid = u->v[t];
    /* zip: 5 fields; legacy files add view metadata, None for plain storages */
    if (pid.type != V_TUPLE || (pid.n != 5 && pid.n != 6))
        return bad(u, "persistent id is not a storage reference");
    const uint32_t *it = u->pool + pid.a;
    if (pid.n == 6 && u->v[it[5]].type != V_NONE)
        return bad(u, "storage views are not supported");
    pv tag = u->v[it[0]], ty = u->v[it[1]], key = u->v[it[2]], num = u->v[it[4]];
    if (!str_is(u, &tag, "storage") || ty.type != V_GLOBAL || ty.sub != G_STORAGE ||
        key.type != V_STR || key.n == 0 || key.n > 64 || u->v[it[3]].type != V_STR ||
        num.type != V_INT || num.i < 0)
        return bad(u, "malformed storage reference");
    return pushval(u, (pv){.type = V_STORAGE, .sub = ty.sub == G_STORAGE ? (int)ty.i : 0,
                           .i = num.i, .a = it[2]});
}

static int get_ints(up *u, pv tup, int64_t *out, const char *what)
{
    if (tup.type != V_TUPLE || tup.n > PM_PTH_MAXDIM)
        return bad(u, what);
    for (uint32_t i = 0; i < tup.n; i++) {
        pv x = u->v[u->pool[tup.a + i]];
        if (x.type != V_INT || x.i < 0 || x.i > ((int64_t)1 << 40))
            return bad(u, what);
        out[i] = x.i;
    }
    return PM_OK;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta]) */
static int rebuild(up *u, pv args)
{
    if (args.type != V_TUPLE || (args.n != 6 && args.n != 7))
        return bad(u, "_rebuild_tensor_v2 with unexpected arguments");
    const uint32_t *a = u->pool + args.a;
    pv st = u->v[a[0]], off = u->v[a[1]];
    int64_t size[PM_PTH_MAXDIM], stride[PM_PTH_MAXDIM];
    if (st.type != V_STORAGE || off.type != V_INT || off.i < 0 || u->v[a[4]].type != V_BOOL)
        return bad(u, "_rebuild_tensor_v2 with unexpected arguments");
    int rc = get_ints(u, u->v[a[2]], size, "bad tensor size");
    if (!rc)
        rc = get_ints(u, u->v[a[3]], stride, "bad tensor stride");
    if (rc)
        return rc;
    pv sz = u->v[a[2]];
    if (u->v[a[3]].n != sz.n)
        return bad(u, "tensor size and stride differ in length");
    int64_t numel = 1, last = off.i;
    for (uint32_t d = 0; d < sz.n; d++) {
        if (size[d] && numel > ((int64_t)1 << 40) / size[d])
            return bad(u, "tensor too large");
        numel *= size[d];
        if (size[d])
            last += (size[d] - 1) * stride[d];
    }
    if (numel > 0 && last >= st.i)
        return bad(u, "tensor reaches beyond its storage");
    if ((uint64_t)numel > u->budget)
        return bad(u, "tensors larger than the file");
    u->budget -= (uint64_t)numel;

    const pv key = u->v[st.a];
    const uint8_t *data = NULL;
    int es = pm__pth_esize[st.sub];
    if ((uint64_t)st.i > SIZE_MAX / 8)
        return bad(u, "storage too large");
    rc = u->lookup(u->lctx, (const char *)u->p + key.a, key.n, st.sub, st.i, &data);
    if (rc)
        return rc;

    GROW(u->tt, u->ntt, u->ctt, 1);
    pm_tensor *t = &u->tt[u->ntt];
    memset(t, 0, sizeof *t);
    t->dtype = (pm_pth_dtype)st.sub;
    t->ndim = (int)sz.n;
    memcpy(t->shape, size, sizeof(int64_t) * sz.n);
    t->numel = numel;
    int isfloat = t->dtype <= PM_PTH_F16;
    u->ntt++;
    if (!data)                  /* validation pass: shapes only */
        return pushval(u, (pv){.type = V_TENSOR, .i = (int64_t)u->ntt - 1});
    void *mem = calloc(numel ? (size_t)numel : 1, isfloat ? sizeof(float) : sizeof(int64_t));
    if (!mem)
        return pm_fail(PM_EMEMORY, "%s: out of memory for tensor data", u->file);
    if (isfloat)
        t->f32 = mem;
    else
        t->i64 = mem;
    /* Walk the multi-index in row-major order, following the file's strides. */
    int64_t idx[PM_PTH_MAXDIM] = {0}, src = off.i;
    for (int64_t j = 0; j < numel; j++) {
        pm__pth_convert(t, j, data + (size_t)src * (size_t)es);
        for (int d = t->ndim - 1; d >= 0; d--) {
            src += stride[d];
            if (++idx[d] < size[d])
                break;
            src -= stride[d] * size[d];
            idx[d] = 0;
        }
    }
    return pushval(u, (pv){.type = V_TENSOR, .i = (int64_t)u->ntt - 1});
}

static int op_reduce(up *u)
{
    uint32_t ai = 0, fi = 0;
    int rc = pop(u, &ai);
    if (!rc)
        rc = pop(u, &fi);
    if (rc)
        return rc;
    pv f = u->v[fi], args = u->v[ai];
    if (f.type == V_GLOBAL && f.sub == G_ODICT) {
        if (args.type != V_TUPLE || args.n != 0)
            return bad(u, "OrderedDict with arguments");
        return pushval(u, (pv){.type = V_DICT});
    }
    if (f.type == V_GLOBAL && f.sub == G_REBUILD)
        return rebuild(u, args);
    return bad(u, "call of something that is not callable here");
}

static int step(up *u, int op, int *stop)
{
    uint32_t x = 0, y = 0, z = 0;
    int rc;
    switch (op) {
    case 0x80: /* PROTO */
        if ((rc = need(u, 1)))
            return rc;
        if (u->p[u->pos++] > 4)
            return bad(u, "pickle protocol above 4");
        return PM_OK;
    case 0x95: /* FRAME: only a size hint */
        if ((rc = need(u, 8)))
            return rc;
        u->pos += 8;
        return PM_OK;
    case 'c': return op_global(u);
    case 'q': case 'r': case 0x94: { /* BINPUT, LONG_BINPUT, MEMOIZE */
        size_t n = op == 'q' ? 1 : op == 'r' ? 4 : 0, idx;
        if ((rc = need(u, n)))
            return rc;
        if (op == 0x94) {
            idx = 0;
            while (idx < u->cmemo && u->memo[idx])
                idx++;
        } else
            idx = rd_le(u->p + u->pos, (int)n);
        u->pos += n;
        if (u->sp == 0)
            return bad(u, "memo put on an empty stack");
        if (idx > u->len)
            return bad(u, "memo index out of range");
        if (idx >= u->cmemo) {
            size_t c = u->cmemo ? u->cmemo : 256;
            while (c <= idx)
                c *= 2;
            uint32_t *m = realloc(u->memo, c * sizeof *m);
            if (!m)
                return pm_fail(PM_EMEMORY, "%s: out of memory", u->file);
            memset(m + u->cmemo, 0, (c - u->cmemo) * sizeof *m);
            u->memo = m;
            u->cmemo = c;
        }
        u->memo[idx] = u->st[u->sp - 1] + 1;
        return PM_OK;
    }
    case 'h': case 'j': { /* BINGET, LONG_BINGET */
        int n = op == 'h' ? 1 : 4;
        if ((rc = need(u, (size_t)n)))
            return rc;
        size_t idx = rd_le(u->p + u->pos, n);
        u->pos += (size_t)n;
        if (idx >= u->cmemo || !u->memo[idx])
            return bad(u, "memo get of an unset index");
        return push(u, u->memo[idx] - 1);
    }
    case '(': /* MARK */
        GROW(u->mk, u->nmk, u->cmk, 1);
        u->mk[u->nmk++] = u->sp;
        return PM_OK;
    case ')': return op_tuple(u, u->sp);
    case 't':
        if (!u->nmk)
            return bad(u, "TUPLE without MARK");
        x = (uint32_t)u->mk[--u->nmk];
        return op_tuple(u, x);
    case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
        size_t n = (size_t)(op - 0x84);
        if (u->sp - floor_(u) < n)
            return bad(u, "stack underflow");
        return op_tuple(u, u->sp - n);
    }
    case 'K': case 'M': case 'J': { /* BININT1, BININT2, BININT */
        int n = op == 'K' ? 1 : op == 'M' ? 2 : 4;
        if ((rc = need(u, (size_t)n)))
            return rc;
        uint32_t r = rd_le(u->p + u->pos, n);
        u->pos += (size_t)n;
        return pushval(u, (pv){.type = V_INT, .i = n == 4 ? (int64_t)(int32_t)r : (int64_t)r});
    }
    case 0x8a: { /* LONG1: little-endian two's complement of n <= 8 bytes */
        if ((rc = need(u, 1)))
            return rc;
        size_t n = u->p[u->pos++];
        if (n > 8)
            return bad(u, "integer too large");
        if ((rc = need(u, n)))
            return rc;
        uint64_t r = 0;
        for (size_t i = 0; i < n; i++)
            r |= (uint64_t)u->p[u->pos + i] << (8 * i);
        if (n && n < 8 && (u->p[u->pos + n - 1] & 0x80))
            r |= ~(uint64_t)0 << (8 * n);
        u->pos += n;
        int64_t s;
        memcpy(&s, &r, 8);
        return pushval(u, (pv){.type = V_INT, .i = s});
    }
    case 0x88: case 0x89: return pushval(u, (pv){.type = V_BOOL, .i = op == 0x88});
    case 'N': return pushval(u, (pv){.type = V_NONE});
    case 'X': case 0x8c: { /* BINUNICODE, SHORT_BINUNICODE */
        int n = op == 'X' ? 4 : 1;
        if ((rc = need(u, (size_t)n)))
            return rc;
        size_t l = rd_le(u->p + u->pos, n);
        u->pos += (size_t)n;
        if ((rc = need(u, l)))
            return rc;
        pv s = {.type = V_STR, .a = (uint32_t)u->pos, .n = (uint32_t)l};
        u->pos += l;
        return pushval(u, s);
    }
    case '}': return pushval(u, (pv){.type = V_DICT});
    case ']': return pushval(u, (pv){.type = V_LIST});
    case 'a': /* APPEND */
        if ((rc = pop(u, &y)))
            return rc;
        if (u->sp == 0 || u->v[u->st[u->sp - 1]].type != V_LIST)
            return bad(u, "APPEND to something that is not a list");
        return setitem(u, u->st[u->sp - 1], y, y);
    case 'e': { /* APPENDS */
        if (!u->nmk)
            return bad(u, "APPENDS without MARK");
        size_t from = u->mk[--u->nmk];
        if (from == 0 || u->v[u->st[from - 1]].type != V_LIST)
            return bad(u, "malformed APPENDS");
        for (size_t i = from; i < u->sp; i++)
            if ((rc = setitem(u, u->st[from - 1], u->st[i], u->st[i])))
                return rc;
        u->sp = from;
        return PM_OK;
    }
    case 's':
        if ((rc = pop(u, &y)) || (rc = pop(u, &x)))
            return rc;
        if (u->sp == 0 || u->v[u->st[u->sp - 1]].type != V_DICT)
            return bad(u, "SETITEM on something that is not a dict");
        return setitem(u, u->st[u->sp - 1], x, y);
    case 'u': {
        if (!u->nmk)
            return bad(u, "SETITEMS without MARK");
        size_t from = u->mk[--u->nmk];
        if ((u->sp - from) % 2 || from == 0 || u->v[u->st[from - 1]].type != V_DICT)
            return bad(u, "malformed SETITEMS");
        for (size_t i = from; i < u->sp; i += 2)
            if ((rc = setitem(u, u->st[from - 1], u->st[i], u->st[i + 1])))
                return rc;
        u->sp = from;
        return PM_OK;
    }
    case 'b': /* BUILD: the state_dict's _metadata attribute; not needed */
        if ((rc = pop(u, &z)))
            return rc;
        if (u->sp == 0 || u->v[u->st[u->sp - 1]].type != V_DICT)
            return bad(u, "BUILD on something that is not a dict");
        return PM_OK;
    case 'Q': return op_persid(u);
    case 'R': return op_reduce(u);
    case '.': *stop = 1; return PM_OK;
    default: {
        char m[64];
        snprintf(m, sizeof m, "unsupported pickle opcode 0x%02x", op);
        u->pos--;
        return bad(u, m);
    }
    }
}

static void up_free(up *u)
{
    for (size_t i = 0; i < u->ntt; i++) {
        free(u->tt[i].f32);
        free(u->tt[i].i64);
    }
    free(u->tt); free(u->v); free(u->pool); free(u->de); free(u->st); free(u->mk); free(u->memo);
}

/* Runs the pickle at u->p up to its STOP. */
static int run(up *u)
{
    int stop = 0, rc = PM_OK;
    while (!rc && !stop) {
        if (u->pos >= u->len)
            return bad(u, "truncated (no STOP)");
        rc = step(u, u->p[u->pos++], &stop);
    }
    if (!rc && (u->sp != 1 || u->nmk))
        rc = bad(u, "the pickle does not end with one value");
    return rc;
}

int pm__pkl_strings(const uint8_t *p, size_t len, const char *file, size_t *end,
                    int (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
    up uu = {.p = p, .len = len, .file = file};
    up *u = &uu;
    int rc = run(u);
    if (!rc && u->v[u->st[0]].type != V_LIST)
        rc = bad(u, "expected a list of storage keys");
    if (!rc) {
        for (uint32_t e = u->v[u->st[0]].a; !rc && e; e = u->de[e - 1].next) {
            pv s = u->v[u->de[e - 1].val];
            rc = s.type == V_STR ? fn(ctx, (const char *)p + s.a, s.n) : bad(u, "a key is not a string");
        }
    }
    *end = u->pos;
    up_free(u);
    return rc;
}

int pm__pkl_skip(const uint8_t *p, size_t len, const char *file, size_t *end)
{
    up uu = {.p = p, .len = len, .file = file};
    int rc = run(&uu);
    *end = uu.pos;
    up_free(&uu);
    return rc;
}

/* Runs a state_dict pickle and moves the tensors of the resulting dict into w. */
int pm__pth_unpickle(const uint8_t *pkl, size_t len, const char *file, uint64_t budget,
                     pm__storage_fn lookup, void *lctx, size_t *end, pm_pth *w)
{
    up uu = {.p = pkl, .len = len, .file = file, .lookup = lookup, .lctx = lctx, .budget = budget};
    up *u = &uu;
    int rc = run(u);
    if (end)
        *end = u->pos;
    if (!rc && u->v[u->st[0]].type != V_DICT)
        rc = bad(u, "the pickle is not a single dict");
    if (!rc) {
        pv d = u->v[u->st[0]];
        w->t = calloc(d.n ? d.n : 1, sizeof *w->t);
        if (!w->t)
            rc = pm_fail(PM_EMEMORY, "%s: out of memory", file);
        for (uint32_t e = d.a; !rc && e; e = u->de[e - 1].next) {
            pv k = u->v[u->de[e - 1].key], val = u->v[u->de[e - 1].val];
            if (k.type != V_STR || val.type != V_TENSOR) {
                rc = bad(u, "a state_dict entry is not name -> tensor");
                break;
            }
            pm_tensor *src = &u->tt[val.i];
            if (src->name) {
                rc = bad(u, "a tensor appears twice");
                break;
            }
            pm_tensor *t = &w->t[w->n];
            *t = *src;
            t->name = malloc(k.n + 1);
            if (!t->name) {
                rc = pm_fail(PM_EMEMORY, "%s: out of memory", file);
                break;
            }
            memcpy(t->name, pkl + k.a, k.n);
            t->name[k.n] = 0;
            src->f32 = NULL;
            src->i64 = NULL;
            src->name = t->name; /* marks the tensor as moved */
            w->n++;
        }
    }
    up_free(u);
    return rc;
}
