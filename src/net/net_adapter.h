/* net_adapter.h - the C face of net_adapter.cpp, the DICOM upper layer and
 * DIMSE messages through DCMTK's dcmnet. Everything above it (naming,
 * queries, the cache) is C. Each call opens one association and releases
 * it; failures go through pm_fail with the node's name and the status. */
#ifndef PULMO_NET_ADAPTER_H
#define PULMO_NET_ADAPTER_H

#include "pulmo/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A C-FIND key: an attribute to match (value non-empty) or to return. */
typedef struct pm__net_key {
    unsigned group, element;
    const char *value;
} pm__net_key;

/* Called for each C-FIND match with the raw values of the keys, in order
 * ("" when absent). Non-zero stops the query (C-CANCEL). */
typedef int (*pm__net_row_fn)(void *user, const char *const *values);

/* Called after each image received or sent: done so far, and the total
 * when known (else -1). Non-zero cancels. */
typedef int (*pm__net_count_fn)(void *user, int done, int total);

int pm__net_echo(const pm_node *n);

/* Study Root C-FIND at level "STUDY" or "SERIES". */
int pm__net_find(const pm_node *n, const char *level, const pm__net_key *keys, int nkeys,
                 pm__net_row_fn fn, void *user);

/* C-GET (move_port 0) or C-MOVE of one series into dir. *received counts
 * the images written; *failed the sub-operations the node reported as
 * failed. PM_OK only when the node's final status was success. */
int pm__net_retrieve(const pm_node *n, const char *study_uid, const char *series_uid,
                     const char *dir, int expected, pm__net_count_fn fn, void *user,
                     int *received, int *failed);

/* C-STORE of files on one association. *sent counts those accepted. */
int pm__net_store(const pm_node *n, char *const *files, int nfiles, pm__net_count_fn fn,
                  void *user, int *sent);

/* From node.c: a UID is digits and dots, at most 64. */
int pm__net_uid_ok(const char *s);

#ifdef __cplusplus
}
#endif

#endif
