/* net.h - DICOM networking: a PACS node as a source of series.
 *
 * A node is named like a folder, "dicom://CALLED_AET@host:port", and a
 * series on it as "dicom://CALLED_AET@host:port/SERIES_UID". pulmo talks
 * to it as a Query/Retrieve SCU (Study Root): C-ECHO, C-FIND at study then
 * series level (CT only), retrieval with C-GET on the same association (no
 * port to open, so it works through firewalls and NAT), or with C-MOVE to
 * pulmo's own storage SCP when a listening port is given, and C-STORE.
 *
 * The wire protocol is DCMTK's dcmnet (src/net/net_adapter.cpp, the only
 * C++ of this module): GDCM's networking (libgdcmMEXD) reports success as a
 * bool, has no C-GET, no cancel, no per-image callback and no timeouts, so
 * it could not say which DICOM status a node answered nor show progress.
 *
 * Retrieved series land in a cache, $PULMO_CACHE or $XDG_CACHE_HOME/pulmo/
 * dicom (default ~/.cache/pulmo/dicom), one folder per series UID. A
 * retrieval writes into a private ".part" folder that is renamed into place
 * only when every image the node announced has arrived and the node said
 * success; a cancelled, failed or short retrieval is deleted, so nothing
 * half-retrieved is ever read as a series. Complete series are reused. The
 * cache is kept under $PULMO_CACHE_MAX bytes (default 8G) by deleting the
 * least recently used series after each retrieval.
 *
 * Errors name the node ("ORTHANC@127.0.0.1:4242") and, when the node
 * answered, the DICOM status in hex with its meaning. Status codes:
 * PM_ENET (cannot connect, timeout, broken association), PM_EREFUSED
 * (association rejected, e.g. an unknown called or calling AE title, or a
 * failure status), PM_ENODATA (no such study or series). Text from the node
 * is untrusted: the meta fields below are cleaned of control characters.
 * Functions never print; they are not meant to run concurrently on one
 * node structure.
 */
#ifndef PULMO_NET_H
#define PULMO_NET_H

#include "pulmo/core.h"
#include "pulmo/volume.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_node {
    char called_aet[17];   /* the node's AE title */
    char host[256];
    int port;
    char calling_aet[17];  /* pulmo's own AE title ("PULMO") */
    int move_port;         /* 0: C-GET; else C-MOVE to pulmo listening here */
    int timeout;           /* seconds for connecting and for each answer */
} pm_node;

/* Non-zero when s starts with "dicom://". */
int pm_net_is_url(const char *s);

/* Parses "dicom://AET@host:port[/SERIES_UID]" into n (with defaults: calling
 * AE title PULMO, C-GET, timeout 30 s) and, when given, the series UID into
 * series_uid (else ""). PM_EUSAGE with a reason on a malformed address, an
 * AE title longer than 16 characters or a UID that is not digits and dots. */
int pm_net_parse(const char *url, pm_node *n, char *series_uid, size_t cap);

/* "AET@host:port" for messages. */
const char *pm_net_name(const pm_node *n, char *buf, size_t cap);

/* C-ECHO. PM_OK or the error. */
int pm_net_echo(const pm_node *n);

typedef struct pm_remote_series {
    pm_series_meta meta;   /* cleaned text */
    int series_number;
    int ninstances;        /* NumberOfSeriesRelatedInstances (0: not given) */
} pm_remote_series;

typedef struct pm_remote_query {
    const char *study_date;   /* DICOM range "20260101-20260131", or NULL */
    const char *study_uid;    /* only this study, or NULL */
    const char *series_uid;   /* only this series, or NULL */
} pm_remote_query;

/* C-FIND: the CT studies matching q, then the CT series of each, sorted by
 * patient, date, study and series number. PM_OK with *out (free with
 * free()) and *n, which may be 0; or the error. */
int pm_net_find(const pm_node *node, const pm_remote_query *q, pm_remote_series **out,
                int *n, const pm_progress *p);

/* The node's CT series (pm_net_find) as an index like a folder's: each
 * series' folder is its address dicom://AET@host:port/SERIES_UID, nfiles
 * the node's instance count; no files, headers or geometry. Free with
 * pm_index_free. */
struct pm_index;
int pm_net_index(const pm_node *node, const pm_remote_query *q, struct pm_index **out,
                 const pm_progress *p);

/* A series address: retrieved (pm_net_fetch, default options) and loaded
 * (pm_load_dir); the progress covers both. */
struct pm_load_opts;
int pm_net_load(const char *url, const struct pm_load_opts *o, pm_volume **out, const pm_progress *p);

/* The cache folder of series_uid when it holds a complete retrieval (path
 * written to dir), else 0. */
int pm_net_cached(const char *series_uid, char *dir, size_t cap);

/* Retrieves a series into the cache (or finds it there) and writes its
 * folder to dir. Progress reports images received out of expected; a
 * cancel returns PM_ECANCEL and leaves nothing in the cache. */
int pm_net_fetch(const pm_node *node, const char *series_uid, char *dir, size_t cap,
                 const pm_progress *p);

/* C-STORE of every DICOM file under root (a folder or a file). PM_OK when
 * the node accepted them all; else the first failure (the others are still
 * sent). *sent counts accepted files. */
int pm_net_store(const pm_node *node, const char *root, int *sent, const pm_progress *p);

/* --push: writes OUTDIR/seg.dcm (a DICOM SEG of OUTDIR/mask.nii.gz, see
 * dcmout.h) and OUTDIR/sheet.dcm (a Secondary Capture of the middle axial
 * and coronal slices with the lungs, and the lung HU histogram, with the
 * summary text as its comments) in the study of the series in series_dir,
 * then C-STOREs both. *sent counts the objects the node accepted. */
int pm_net_push(const pm_node *node, const char *series_dir, const char *series_uid,
                const char *outdir, const char *summary, int sides, int *sent, const pm_progress *p);

#ifdef __cplusplus
}
#endif

#endif
