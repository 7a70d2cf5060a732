/* audit_api.h - `mpcctl audit --api`: the audit trail through mpc-api
 * (GET /api/v1/audit/events and /api/v1/audit/verify, docs/api.md), as an
 * mpcctl_audit_api for audit.c.
 */
#ifndef MPCCTL_AUDIT_API_H
#define MPCCTL_AUDIT_API_H

#include "audit.h"
#include "client.h"

/* The transport over c, which must outlive its use. have_key is set when c
 * has an API key and secret. */
mpcctl_audit_api mpcctl_audit_api_rest(const mpcctl_client *c);

#endif
