/* commands.h - mpcctl's subcommands. Each takes the arguments after its
 * name and returns the process exit status: 0 success, 1 the API answered
 * with an error (or a request failed / a signature is invalid), 2 usage,
 * 3 `wait` timed out.
 */
#ifndef MPCCTL_COMMANDS_H
#define MPCCTL_COMMANDS_H

#include "client.h"

int mpcctl_cmd_keys(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_sign(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_batch(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_status(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_wait(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_verify(const mpcctl_client *c, int argc, char **argv);
int mpcctl_cmd_nodes(const mpcctl_client *c, int argc, char **argv);

/* Polls GET /requests/{id} every 200 ms until succeeded (0), failed or
 * cancelled (1) or timeout_s (default 60) passed (3); prints the request. */
int mpcctl_wait_request(const mpcctl_client *c, const char *request_id, const char *timeout_s);

#endif
