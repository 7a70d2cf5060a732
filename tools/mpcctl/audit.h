/* audit.h - `mpcctl audit ...`: verify the audit chain, query audit rows.
 *
 *   mpcctl audit verify [--dsn DSN] [--anchor SEQ:HASH]
 *   mpcctl audit query  [--dsn DSN] [--key ID] [--request ID] [--session ID]
 *                       [--node ID] [--event TYPE] [--since TIME]
 *                       [--until TIME] [--after SEQ] [--limit N]
 *
 * Talks to PostgreSQL directly (DSN from --dsn or $MPC_PG_DSN); the code is
 * in services/auditor (library mpc_audit), which mpcctl must link.
 */
#ifndef MPCCTL_AUDIT_H
#define MPCCTL_AUDIT_H

/* argv[0] is "audit". Returns the process exit status: 0 success (verify:
 * chain intact), 1 verify found a bad row, 2 usage or database error. */
int mpcctl_audit_main(int argc, char **argv);

#endif
