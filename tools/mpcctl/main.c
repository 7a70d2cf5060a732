/* mpcctl - command-line client of the threshold-signing service.
 *
 * Talks to mpc-api over REST and signs every call with the API key
 * (docs/api.md, "Authentication"); `audit` is served by audit.c when the
 * build has it, from PostgreSQL or through the API (audit_api.c). Global
 * options come before the command:
 *
 *   mpcctl [--url URL] [--key KEY_ID] [--secret SECRET] [--timeout-ms N] [--envelope]
 *          COMMAND ...
 *
 * Defaults: MPC_API_URL (http://127.0.0.1:18080), MPC_API_KEY, MPC_API_SECRET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#ifdef MPCCTL_HAVE_AUDIT
#include "audit_api.h"
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: mpcctl [--url URL] [--key KEY_ID] [--secret SECRET] [--timeout-ms N] [--envelope] COMMAND\n"
            "\n"
            "commands:\n"
            "  keys create --protocol frost|frost-bip340|gg18|gg20 --threshold T --total N\n"
            "              [--chain bitcoin] [--participants 1,2,3] [--request-id ID] [--wait [--timeout S]]\n"
            "  keys list [--limit N] [--offset N] [--status S] [--chain C]\n"
            "  keys show KEY_ID\n"
            "  sign KEY_ID HEX_MESSAGE [--raw] [--path m/0/1] [--request-id ID] [--callback URL]\n"
            "       [--wait [--timeout S]]           (without --raw the message is a 32-byte hash)\n"
            "  batch KEY_ID FILE [--batch-id ID] [--callback URL]\n"
            "       FILE: a JSON array or JSON lines of {\"message\", \"message_type\", \"request_id\"?,\n"
            "       \"derivation_path\"?} or bare hex hashes; - reads stdin\n"
            "  status REQUEST_ID\n"
            "  wait REQUEST_ID [--timeout SECONDS]   (exit 0 succeeded, 1 failed/cancelled, 3 timeout)\n"
            "  verify --protocol P --public-key HEX --message HEX --signature HEX [--raw]\n"
            "                                        (exit 0 valid, 1 invalid)\n"
            "  nodes [NODE_ID]\n"
            "  audit ...                             (mpcctl audit --help)\n"
            "\n"
            "environment: MPC_API_URL (default http://127.0.0.1:18080), MPC_API_KEY, MPC_API_SECRET\n"
            "(`eval \"$(mpc-api --create-api-key NAME)\"` sets the last two)\n");
}

static const char *env_or(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return v && v[0] ? v : dflt;
}

int main(int argc, char **argv) {
    mpcctl_client c = {env_or("MPC_API_URL", "http://127.0.0.1:18080"), env_or("MPC_API_KEY", NULL),
                       env_or("MPC_API_SECRET", NULL), 30000, 0};
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--envelope")) {
            c.raw_output = 1;
        } else if (v && !strcmp(a, "--url")) {
            c.url = argv[++i];
        } else if (v && !strcmp(a, "--key")) {
            c.key_id = argv[++i];
        } else if (v && !strcmp(a, "--secret")) {
            c.secret = argv[++i];
        } else if (v && !strcmp(a, "--timeout-ms")) {
            c.timeout_ms = atoi(argv[++i]);
        } else {
            fprintf(stderr, "mpcctl: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    if (!strcmp(cmd, "audit")) {
#ifdef MPCCTL_HAVE_AUDIT
        mpcctl_audit_api api = mpcctl_audit_api_rest(&c);
        return mpcctl_audit_run(argc - i, argv + i, &api);
#else
        fprintf(stderr, "mpcctl: audit is not available in this build\n");
        return 2;
#endif
    }
    static const struct {
        const char *name;
        int (*fn)(const mpcctl_client *, int, char **);
    } commands[] = {{"keys", mpcctl_cmd_keys},     {"sign", mpcctl_cmd_sign},     {"batch", mpcctl_cmd_batch},
                    {"status", mpcctl_cmd_status}, {"wait", mpcctl_cmd_wait},     {"verify", mpcctl_cmd_verify},
                    {"nodes", mpcctl_cmd_nodes}};
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(cmd, commands[k].name) != 0) continue;
        if (c.key_id == NULL || c.secret == NULL) {
            fprintf(stderr, "mpcctl: set MPC_API_KEY and MPC_API_SECRET (or --key/--secret);\n"
                            "        `eval \"$(mpc-api --create-api-key NAME)\"` creates a key\n");
            return 2;
        }
        return commands[k].fn(&c, sub_argc, sub_argv);
    }
    fprintf(stderr, "mpcctl: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
