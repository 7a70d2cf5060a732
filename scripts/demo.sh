#!/usr/bin/env bash
# demo.sh - shows the running system signing: creates a 2-of-3 FROST
# (BIP-340 / Taproot) key by distributed key generation, signs a message
# through the REST API, verifies the signature, and checks the audit chain.
# Run by `./dev up` after the services are healthy; needs the stack's
# settings in the environment (eval "$(scripts/stack.sh env)").
#
# Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: scripts/demo.sh BUILD_DIR}
MPCCTL="$BUILD/tools/mpcctl/mpcctl"
PY="$ROOT/.local/venv/bin/python"
SECRET_FILE="$ROOT/.local/dev-api-secret"

# field <json-file> <dotted.path>: prints one value of a JSON document.
field() {
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"
}

# The development API key "dev": its secret is made once and kept in .local/.
if [ ! -s "$SECRET_FILE" ]; then
    (umask 077 && openssl rand -hex 32 >"$SECRET_FILE")
fi
"$BUILD/services/api/mpc-api" --create-api-key dev --key-id dev --secret "$(cat "$SECRET_FILE")" --replace \
    >/dev/null 2>&1
export MPC_API_URL=${MPC_API_URL:-http://127.0.0.1:18080} MPC_API_KEY=dev MPC_API_SECRET
MPC_API_SECRET=$(cat "$SECRET_FILE")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "creating a 2-of-3 FROST (BIP-340) key by distributed key generation..."
"$MPCCTL" keys create --protocol frost-bip340 --threshold 2 --total 3 --chain bitcoin --wait --timeout 60 \
    >"$tmp/key.json"
key_id=$(field "$tmp/key.json" result.key_id)
public_key=$(field "$tmp/key.json" result.public_key)
echo "  key        $key_id"
echo "  public key $public_key (held by nobody: nodes 1, 2, 3 each have a share)"
echo "  address    $(field "$tmp/key.json" result.address) (Taproot, BIP-86 key path)"

message=$(printf 'withdraw 0.5 BTC to bc1p-demo' | sha256sum | cut -d' ' -f1)
echo "signing the hash $message ..."
"$MPCCTL" sign "$key_id" "$message" --wait --timeout 60 >"$tmp/sig.json"
signature=$(field "$tmp/sig.json" result.signature)
signers=$(field "$tmp/sig.json" result.participants)
echo "  signature  $signature"
echo "  signed by  nodes $signers"

"$MPCCTL" verify --protocol frost-bip340 --public-key "$public_key" --message "$message" \
    --signature "$signature" >/dev/null
echo "  verified   yes (BIP-340, libsecp256k1)"

sleep 1 # let the auditor catch up with the last records
echo "audit chain: $("$MPCCTL" audit verify)"
echo
echo "Try it yourself:"
echo "  export MPC_API_URL=$MPC_API_URL MPC_API_KEY=dev MPC_API_SECRET=\$(cat .local/dev-api-secret)"
echo "  $MPCCTL sign $key_id <64 hex digits> --wait"
