/* client.h - mpcctl's connection to mpc-api: where it is, which API key
 * signs, and one signed call (services/api/sigv1.h: the same scheme any
 * client implements from docs/api.md).
 */
#ifndef MPCCTL_CLIENT_H
#define MPCCTL_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "sigv1.h"

typedef struct {
    const char *url;    /* base URL, e.g. http://127.0.0.1:18080 */
    const char *key_id;
    const char *secret;
    int timeout_ms;
    int raw_output;     /* print the whole envelope instead of data */
} mpcctl_client;

/* Sends method path?query with body (object, or NULL) signed with the
 * client's key. Returns the parsed envelope (caller json_decref's it) and
 * sets *status; NULL with a message on stderr when no answer came. */
json_t *mpcctl_call(const mpcctl_client *c, const char *method, const char *path, const mpc_api_query_pair *query,
                    size_t nquery, json_t *body, int *status);

/* Prints the result of a call: data (pretty JSON) on stdout and returns 0,
 * or "mpcctl: CODE: message" on stderr and returns 1. Steals env. */
int mpcctl_print(const mpcctl_client *c, json_t *env, int status);

#endif
