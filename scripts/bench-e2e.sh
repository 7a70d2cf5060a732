#!/usr/bin/env bash
# bench-e2e.sh - end-to-end benchmarks of the running system, driven like an
# exchange on Kafka (bench/e2e_load.c): signed SignRequest records in,
# verified Results out. Needs the stack and services of `./dev up`.
#
# Usage: scripts/bench-e2e.sh BUILD_DIR [DURATION_S]
#   BUILD_DIR   a Release build with the e2e_load target (./dev bench builds it)
#   DURATION_S  seconds of each fixed-rate run (default 30)
#
# Runs, each with a fresh key made by distributed key generation:
#   1. 2-of-3 FROST (BIP-340), one signature per request at 100 requests/s
#   2. 2-of-3 FROST (BIP-340), batches of 500, 4 batches in flight (20,000 signatures)
#   3. 2-of-3 FROST (RFC 9591), one signature per request at 100 requests/s
# and prints one JSON object per run (also kept in .local/bench/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: scripts/bench-e2e.sh BUILD_DIR [DURATION_S]}
DURATION=${2:-30}
LOAD="$BUILD/bench/e2e_load"
SECRET_FILE="$ROOT/.local/dev-api-secret"
[ -x "$LOAD" ] || { echo "bench-e2e: $LOAD not built" >&2; exit 1; }
[ -s "$SECRET_FILE" ] || { echo "bench-e2e: no development API key; run ./dev up first" >&2; exit 1; }
eval "$("$ROOT/scripts/stack.sh" env)"

out_dir="$ROOT/.local/bench"
mkdir -p "$out_dir"
out="$out_dir/e2e-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
common=(--brokers "$MPC_KAFKA_BROKERS" --api-key-id dev --api-secret "$(cat "$SECRET_FILE")")

run() {
    "$LOAD" "${common[@]}" "$@" | tee -a "$out"
}
run --keygen frost-bip340:2:3 --rate 100 --duration "$DURATION" --label "frost-bip340 2-of-3, 100 req/s"
run --keygen frost-bip340:2:3 --batch-size 500 --batches 40 --inflight 4 --label "frost-bip340 2-of-3, batches of 500"
run --keygen frost:2:3 --rate 100 --duration "$DURATION" --label "frost 2-of-3, 100 req/s"
echo "bench-e2e: results in $out" >&2
