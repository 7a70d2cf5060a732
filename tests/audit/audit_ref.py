"""Independent reference implementation of the audit chain (docs/audit.md).

Written from the documentation, not from the C code, so that the C unit test
(test_audit.c, whose pinned vectors come from here) and the integration tests
(which recompute hashes of real rows with it) cross-check the auditor.

    python3 tests/audit/audit_ref.py    # prints the unit-test vectors
"""
import hashlib
import json

VERSION = "mpc.audit.row.v1"
ZERO = bytes(32)

# Columns in canonical order (every column of audit_log except hash).
COLUMNS = ["seq", "recorded_at", "event_type", "client_id", "request_id", "key_id", "session_id", "node_id",
           "operation", "result", "details", "ip_address", "user_agent", "source_topic", "source_partition",
           "source_offset", "prev_hash"]


def canonical_json(value):
    """details as canonical JSON: sorted keys, no spaces, raw UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def field(value):
    if value is None:
        return b"\xff\xff\xff\xff"
    if isinstance(value, str):
        value = value.encode()
    return len(value).to_bytes(4, "big") + value


def canonical_row(row):
    """row: dict with the COLUMNS; details is a JSON value (or its text),
    integers are ints, prev_hash is bytes or hex."""
    out = field(VERSION)
    for col in COLUMNS:
        v = row[col]
        if col in ("seq", "source_partition", "source_offset"):
            v = str(int(v))
        elif col == "details":
            v = canonical_json(json.loads(v) if isinstance(v, str) else v)
        elif col == "prev_hash":
            v = bytes.fromhex(v) if isinstance(v, str) else v
        out += field(v)
    return out


def row_hash(row):
    prev = row["prev_hash"]
    prev = bytes.fromhex(prev) if isinstance(prev, str) else prev
    return hashlib.sha256(prev + canonical_row(row)).digest()


def verify(rows):
    """rows in seq order (dicts with COLUMNS + hash as hex). Returns None when
    the chain holds, else a message naming the first bad row."""
    prev, expect = ZERO, 1
    for r in rows:
        if r["seq"] != expect:
            return f"missing row(s) between seq {expect - 1} and {r['seq']}"
        if bytes.fromhex(r["prev_hash"]) != prev:
            return f"prev_hash of seq {r['seq']} does not match"
        if row_hash(r).hex() != r["hash"]:
            return f"row seq={r['seq']} altered"
        prev, expect = bytes.fromhex(r["hash"]), expect + 1
    return None


def vectors():
    """The two rows pinned in test_audit.c."""
    r1 = {"seq": 1, "recorded_at": "2026-01-02T03:04:05.123456Z", "event_type": "sign_requested",
          "client_id": "ops", "request_id": "req-1", "key_id": "key_abc", "session_id": None, "node_id": None,
          "operation": "sign", "result": "requested",
          "details": {"b": 1, "a": "x\n\u0001\u00e9\"\\/", "c": [True, False, None, -5], "A": {}},
          "ip_address": None, "user_agent": None, "source_topic": "mpc.sign.requests", "source_partition": 3,
          "source_offset": 42, "prev_hash": ZERO}
    h1 = row_hash(r1)
    r2 = {**r1, "seq": 2, "event_type": "round_message", "client_id": None, "request_id": None, "key_id": None,
          "session_id": "sess-1", "node_id": "2", "operation": "protocol", "result": "sent", "details": {},
          "source_topic": "mpc.rounds", "source_partition": 0, "source_offset": 0, "prev_hash": h1,
          "ip_address": "", "user_agent": "ua"}
    return r1, h1, r2, row_hash(r2)


if __name__ == "__main__":
    r1, h1, r2, h2 = vectors()
    print("details1", canonical_json(r1["details"]))
    print("canonical1", canonical_row(r1).hex())
    print("hash1", h1.hex())
    print("hash2", h2.hex())
