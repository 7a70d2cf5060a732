/* tests/audit/mpcctl_audit_main.c - a stand-alone `mpcctl audit` for the
 * tests, until tools/mpcctl links tools/mpcctl/audit.c into mpcctl itself:
 *
 *   mpcctl-audit verify|query ...   ==   mpcctl audit verify|query ...
 */
#include "audit.h"

int main(int argc, char **argv) {
    argv[0] = "audit";
    return mpcctl_audit_main(argc, argv);
}
