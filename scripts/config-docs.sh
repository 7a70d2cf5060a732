#!/usr/bin/env bash
# config-docs.sh - rewrites the per-service blocks of docs/configuration.md
# from each service's own `--print-config` (defaults, descriptions and
# environment variables), so the documentation cannot drift from the code.
#
# Usage: scripts/config-docs.sh BUILD_DIR [--check]
#   --check  exit 1 (and show the difference) instead of rewriting
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: scripts/config-docs.sh BUILD_DIR [--check]}
DOC="$ROOT/docs/configuration.md"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# Everything before the first service heading is prose and stays.
sed '/^## mpc-api$/,$d' "$DOC" >"$tmp"
for svc in api coordinator participant auditor; do
    printf '## mpc-%s\n\n```\n' "$svc" >>"$tmp"
    # A clean environment: the defaults, not this shell's overrides.
    env -i PATH="$PATH" "$BUILD/services/$svc/mpc-$svc" --print-config >>"$tmp"
    printf '```\n' >>"$tmp"
    [ "$svc" = auditor ] || printf '\n' >>"$tmp"
done

if [ "${2:-}" = --check ]; then
    diff -u "$DOC" "$tmp" && exit 0
    echo "config-docs: docs/configuration.md is out of date; run scripts/config-docs.sh $BUILD" >&2
    exit 1
fi
cp "$tmp" "$DOC"
