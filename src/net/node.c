/* node.c - naming a DICOM node: parsing "dicom://AET@host:port/UID". */
#include "pulmo/net.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pm_net_is_url(const char *s)
{
    return s && !strncmp(s, "dicom://", 8);
}

/* An AE title is 1-16 characters of the default repertoire without
 * backslash; leading and trailing spaces are not significant. */
static int pm__aet_ok(const char *s, size_t n)
{
    if (n == 0 || n > 16)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '\\')
            return 0;
    return 1;
}

/* UIDs travel into file names of the cache: only digits and dots, as the
 * standard says, so no '/' or '..' can reach a path. */
static int pm__uid_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != '.')
            return 0;
    return 1;
}

int pm_net_parse(const char *url, pm_node *n, char *series_uid, size_t cap)
{
    if (!pm_net_is_url(url))
        return pm_fail(PM_EUSAGE, "%s: not a dicom://AET@host:port address", url);
    const char *s = url + 8, *at = strchr(s, '@');
    if (!at || !pm__aet_ok(s, (size_t)(at - s)))
        return pm_fail(PM_EUSAGE, "%s: expected dicom://AET@host:port with an AE title of 1 to 16 "
                       "characters", url);
    pm_node t;
    memset(&t, 0, sizeof t);
    memcpy(t.called_aet, s, (size_t)(at - s));
    const char *h = at + 1, *slash = strchr(h, '/');
    const char *end = slash ? slash : h + strlen(h);
    /* host:port, or [v6]:port */
    const char *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb || rb[1] != ':')
            return pm_fail(PM_EUSAGE, "%s: expected [address]:port", url);
        if ((size_t)(rb - h - 1) >= sizeof t.host || rb == h + 1)
            return pm_fail(PM_EUSAGE, "%s: bad host", url);
        memcpy(t.host, h + 1, (size_t)(rb - h - 1));
        colon = rb + 1;
    } else {
        for (const char *c = h; c < end; c++)
            if (*c == ':')
                colon = c;
        if (!colon || colon == h || (size_t)(colon - h) >= sizeof t.host)
            return pm_fail(PM_EUSAGE, "%s: expected dicom://AET@host:port", url);
        memcpy(t.host, h, (size_t)(colon - h));
    }
    char *pe;
    long port = strtol(colon + 1, &pe, 10);
    if (pe != end || colon + 1 == end || port < 1 || port > 65535)
        return pm_fail(PM_EUSAGE, "%s: the port must be a number from 1 to 65535", url);
    t.port = (int)port;
    strcpy(t.calling_aet, "PULMO");
    t.timeout = 30;
    if (series_uid && cap)
        series_uid[0] = '\0';
    if (slash && slash[1]) {
        const char *uid = slash + 1;
        size_t len = strlen(uid);
        if (uid[len - 1] == '/')
            len--;
        char tmp[72];
        if (len >= sizeof tmp)
            return pm_fail(PM_EUSAGE, "%s: the series UID is too long", url);
        memcpy(tmp, uid, len);
        tmp[len] = '\0';
        if (!pm__uid_ok(tmp))
            return pm_fail(PM_EUSAGE, "%s: a series UID is digits and dots", url);
        if (!series_uid || cap <= len)
            return pm_fail(PM_EUSAGE, "%s: this command takes a node, not a series", url);
        strcpy(series_uid, tmp);
    }
    *n = t;
    return PM_OK;
}

const char *pm_net_name(const pm_node *n, char *buf, size_t cap)
{
    if (strchr(n->host, ':'))
        snprintf(buf, cap, "%s@[%s]:%d", n->called_aet, n->host, n->port);
    else
        snprintf(buf, cap, "%s@%s:%d", n->called_aet, n->host, n->port);
    return buf;
}

int pm__net_uid_ok(const char *s)
{
    return pm__uid_ok(s);
}
