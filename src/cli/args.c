/* args.c - the checked parsers of numeric option values, so that every
 * command refuses "12abc", "", "1e999" and out-of-range numbers the same
 * way: a usage message naming the option and what it accepts, exit 1. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int cli_opt_long(const char *cmd, const char *opt, const char *arg, long long lo, long long hi,
                 const char *what, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (end == arg || *end || errno == ERANGE || v < lo || v > hi) {
        if (what)
            return cli_usage(cmd, "bad --%s '%s' (%s)", opt, arg, what);
        return cli_usage(cmd, "bad --%s '%s' (%lld..%lld)", opt, arg, lo, hi);
    }
    *out = v;
    return PM_OK;
}

int cli_opt_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, const char *what,
                int *out)
{
    long long v = 0;
    int rc = cli_opt_long(cmd, opt, arg, lo, hi, what, &v);
    if (rc == PM_OK)
        *out = (int)v;
    return rc;
}

int cli_opt_real(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                 int lo_open, const char *what, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v) || v > hi || (lo_open ? !(v > lo) : !(v >= lo))) {
        if (what)
            return cli_usage(cmd, "bad --%s '%s' (%s)", opt, arg, what);
        return cli_usage(cmd, "bad --%s '%s' (%s%g..%g)", opt, arg, lo_open ? "over " : "", lo, hi);
    }
    *out = v;
    return PM_OK;
}

int cli_opt_u64(const char *cmd, const char *opt, const char *arg, int base, const char *what,
                uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, base);
    if (end == arg || *end || errno == ERANGE || *arg == '-')
        return cli_usage(cmd, "bad --%s '%s' (%s)", opt, arg, what);
    *out = v;
    return PM_OK;
}

int cli_parse_pair(const char *s, char sep, long lo, long hi, int *x, int *y)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != sep)
        return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || a < lo || a > hi || b < lo || b > hi)
        return -1;
    *x = (int)a;
    *y = (int)b;
    return 0;
}

int cli_parse_reals(const char *s, char sep, int n, double *out)
{
    double v[8];
    if (n < 1 || n > 8)
        return -1;
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(s, &end);
        if (end == s || !isfinite(v[i]) || *end != (i + 1 < n ? sep : '\0'))
            return -1;
        s = end + 1;
    }
    for (int i = 0; i < n; i++)
        out[i] = v[i];
    return 0;
}
