#!/bin/sh
# test_keytool.sh KEYTOOL - mpc-keytool init-stack creates every key and the
# roster, keeps existing keys on a second run, and refuses unsafe key files.
set -eu
tool="$1"
dir=$(mktemp -d "${TMPDIR:-/tmp}/mpc-keytool-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "test_keytool: $*" >&2; exit 1; }

"$tool" init-stack --dir "$dir/keys" --participants 3 >/dev/null
for i in 0 1 2 3; do
  [ -f "$dir/keys/node-$i/identity.key" ] || fail "node-$i/identity.key missing"
  [ "$(stat -c %a "$dir/keys/node-$i/identity.key")" = 600 ] || fail "node-$i identity mode"
  pub=$("$tool" pubkey --key "$dir/keys/node-$i/identity.key")
  grep -q "\"public_key\": \"$pub\"" "$dir/keys/roster.json" || fail "node-$i key not in roster"
done
[ ! -e "$dir/keys/node-0/master.key" ] || fail "the coordinator got a master key"
for i in 1 2 3; do
  [ "$(stat -c %a "$dir/keys/node-$i/master.key")" = 600 ] || fail "node-$i master mode"
done
grep -q '"role": "coordinator"' "$dir/keys/roster.json" || fail "no coordinator in roster"
[ "$(grep -c '"role": "participant"' "$dir/keys/roster.json")" = 3 ] || fail "participants"

# Idempotent: a second run keeps every key; growing the stack adds node 4.
cat "$dir"/keys/node-*/*.key > "$dir/before"
cp "$dir/keys/roster.json" "$dir/roster.before"
"$tool" init-stack --dir "$dir/keys" --participants 3 >/dev/null
cat "$dir"/keys/node-*/*.key | cmp -s - "$dir/before" || fail "keys changed on rerun"
cmp -s "$dir/keys/roster.json" "$dir/roster.before" || fail "roster changed on rerun"
"$tool" init-stack --dir "$dir/keys" --participants 4 >/dev/null
grep -q '"id": 4' "$dir/keys/roster.json" || fail "node 4 not added"

# Unsafe or broken key files are refused with a message naming them.
chmod 644 "$dir/keys/node-2/identity.key"
if "$tool" init-stack --dir "$dir/keys" --participants 3 2>"$dir/err" >/dev/null; then
  fail "a world-readable identity key was accepted"
fi
grep -q "node-2/identity.key" "$dir/err" || fail "error does not name the file: $(cat "$dir/err")"
chmod 600 "$dir/keys/node-2/identity.key"
if "$tool" pubkey --key "$dir/keys/roster.json" 2>/dev/null; then fail "pubkey of a non-key"; fi
if "$tool" init-stack --dir "$dir/keys" --participants 0 2>/dev/null; then fail "N=0 accepted"; fi
"$tool" new-identity --out "$dir/one.key"
if "$tool" new-identity --out "$dir/one.key" 2>/dev/null; then fail "overwrote a key"; fi
"$tool" new-master-key --out "$dir/one.master"
[ "$(stat -c %a "$dir/one.master")" = 600 ] || fail "new-master-key mode"
echo "test_keytool: ok"
