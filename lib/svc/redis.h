/* redis.h - one Redis connection for one thread, on hiredis.
 *
 * Configured by a URL: redis://[:password@]host[:port][/db] (rediss:// is
 * refused until TLS is wired in, with a message saying so). Connects lazily
 * with a timeout, authenticates, selects the database, and reconnects after
 * an I/O error. Failures are classified as in deps.h; messages never contain
 * the password.
 */
#ifndef MPC_SVC_REDIS_H
#define MPC_SVC_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "svc/deps.h"

typedef struct svc_redis svc_redis;

/* Parses the URL. Returns NULL with a one-line reason in err on a malformed
 * URL (a configuration error). */
svc_redis *svc_redis_new(const char *url, int timeout_ms, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void svc_redis_free(svc_redis *r);

/* Connects if needed and sends PING. */
svc_dep_status svc_redis_probe(svc_redis *r, char *err, size_t errlen);

/* The live context, or NULL when not connected (call svc_redis_probe). After
 * a reply of NULL (I/O error) call svc_redis_reset() so the next probe
 * reconnects. */
redisContext *svc_redis_ctx(svc_redis *r);
void svc_redis_reset(svc_redis *r);

#endif
