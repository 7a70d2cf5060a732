/* deps.h - outcome codes shared by the dependency clients (pg, redis).
 *
 * Probing a dependency ends in one of three ways: it works, it is away (the
 * service stays not-ready and retries), or it refused us in a way retrying
 * cannot fix (wrong password, unknown database): the operator must change
 * the configuration, and the service says exactly which setting.
 */
#ifndef MPC_SVC_DEPS_H
#define MPC_SVC_DEPS_H

typedef enum {
    SVC_DEP_OK = 0,
    SVC_DEP_UNAVAILABLE = 1, /* transient: not reachable, starting up */
    SVC_DEP_MISCONFIGURED = 2 /* permanent until the configuration changes */
} svc_dep_status;

#endif
