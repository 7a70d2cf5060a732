"""Cross-library test of the Avro codec: our C code against fastavro.

(a) records written by the C codec (mpc_codec_tool samples) are read with
    fastavro after checking the single-object header (magic C3 01 and the
    CRC-64-AVRO fingerprint fastavro computes from the schema file);
(b) records written by fastavro in single-object encoding are decoded by the
    C codec (mpc_codec_tool decode) with the same values, and records that
    break our limits are refused with the right code;
(c) our Parsing Canonical Form and fingerprint equal fastavro's for every
    schema file (and for extra schemas exercising names and namespaces).

Run by ctest (label unit) with MPC_CODEC_TOOL and MPC_SCHEMAS_DIR set; the
sample values below must match tests/codec/samples.c.
"""

import io
import json
import os
import pathlib
import subprocess
import tempfile

import pytest

try:
    import fastavro
    from fastavro.schema import fingerprint, to_parsing_canonical_form
except ImportError as exc:  # a missing dependency must fail, not skip
    raise SystemExit(
        f"fastavro is required for the cross-library codec test ({exc}); "
        "install it in the Python that MPC_PYTHON names: pip install fastavro pytest"
    )

TOOL = os.environ.get("MPC_CODEC_TOOL")
SCHEMAS = pathlib.Path(
    os.environ.get("MPC_SCHEMAS_DIR", pathlib.Path(__file__).resolve().parents[2] / "schemas")
)
if not TOOL:
    raise SystemExit("MPC_CODEC_TOOL must name the mpc_codec_tool binary (ctest sets it)")

RECORDS = ["KeygenRequest", "SignRequest", "RoundMessage", "Result", "NodeHeartbeat", "DeadLetter"]
MAGIC = b"\xc3\x01"


def load_schema(name):
    with open(SCHEMAS / f"{name}.avsc", encoding="utf-8") as f:
        return json.load(f)


def parsed(name):
    return fastavro.parse_schema(load_schema(name))


def fp_bytes(schema):
    """The 8 header bytes: fastavro's fingerprint hex is already little-endian."""
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def write_single_object(name, record):
    schema = parsed(name)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, record)
    return MAGIC + fp_bytes(schema) + body.getvalue()


def read_single_object(name, data):
    schema = parsed(name)
    assert data[:2] == MAGIC, "magic"
    assert data[2:10] == fp_bytes(schema), "fingerprint"
    stream = io.BytesIO(data[10:])
    record = fastavro.schemaless_reader(stream, schema)
    assert stream.read() == b"", "bytes left after the record"
    return record


def run_tool(*args, check=True):
    proc = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"mpc_codec_tool {args} exited {proc.returncode}: {proc.stderr}")
    return proc


def decode_with_c(files):
    proc = run_tool("decode", *map(str, files), check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


# ---- Expected sample values (tests/codec/samples.c) ---------------------------

HASH = bytes(range(32))
HASH2 = bytes(0xFF - i for i in range(32))
PAYLOAD = bytes((i * 7) & 0xFF for i in range(300))
ROUND_SIG = bytes(range(64))
PUBKEY = b"\x02" + bytes(range(1, 33))
RESULT_SIG = bytes(0x80 + i for i in range(64))

SAMPLES = {
    "KeygenRequest": {
        "request_id": "kg-0001", "protocol": "frost", "curve": "secp256k1",
        "threshold": 2, "total_nodes": 3, "chain_type": "bitcoin",
        "participants": [1, 2, 3],
        "metadata": {"owner": "treasury", "note": "ünïcode ✓"},
        "client_id": "ops", "submitted_at": 1700000000123, "auth": None,
    },
    "SignRequest": {
        "request_id": "batch-42", "batch_id": "batch-42", "key_id": "key-abc",
        "items": [
            {"request_id": "w-1", "message": HASH, "message_type": "hash", "derivation_path": None},
            {"request_id": "w-2", "message": b"hello world", "message_type": "raw",
             "derivation_path": "m/0/17"},
            {"request_id": "w-3", "message": HASH2, "message_type": "hash",
             "derivation_path": "m/44/0/0/1"},
        ],
        "callback_url": "https://exchange.example/cb", "client_id": "exchange-1",
        "submitted_at": 1700000000456,
        "auth": {"key_id": "exchange-1", "timestamp": 1700000000450,
                 "nonce": "nonce-0123456789", "signature": b"\xa5" * 32},
    },
    "RoundMessage": {
        "session_id": "sess-7", "protocol": "frost-bip340", "round": 2, "from": 1, "to": 3,
        "seq": 12345678901, "kind": "protocol", "payload": PAYLOAD, "encrypted": True,
        "signature": ROUND_SIG, "sent_at": 1700000000789,
    },
    "Result": {
        "request_id": "w-2", "batch_id": "batch-42", "kind": "sign", "status": "succeeded",
        "error_code": None, "error_message": None, "key_id": "key-abc", "public_key": PUBKEY,
        "address": "bc1pexample", "signature": RESULT_SIG, "signature_der": None,
        "recovery_id": 1, "session_id": "sess-7", "participants": [1, 3],
        "completed_at": 1700000001000,
    },
    "NodeHeartbeat": {
        "node_id": 2, "service": "participant", "instance": "host-a:4242", "status": "ready",
        "capabilities": ["frost", "frost-bip340"], "load": 17, "active_sessions": 3,
        "version": "0.1.0", "sent_at": 1700000002000,
    },
    "DeadLetter": {
        "original_topic": "mpc.sign.requests", "original_partition": 5,
        "original_offset": 987654321012, "original_key": b"k-1",
        "original_value": b"\xde\xad\xbe\xef", "reason_code": "bad_magic",
        "reason": "not Avro single-object encoding", "rejected_by": "coordinator/host-b:1",
        "rejected_at": 1700000003000,
    },
}


def timestamps_to_millis(value):
    """fastavro returns timestamp-millis as datetime; compare as integers."""
    import datetime

    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: timestamps_to_millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [timestamps_to_millis(v) for v in value]
    return value


def as_json_view(value):
    """Our tool prints bytes as lowercase hex."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: as_json_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_view(v) for v in value]
    return value


@pytest.fixture(scope="module")
def c_samples():
    with tempfile.TemporaryDirectory() as d:
        run_tool("samples", d)
        yield {name: (pathlib.Path(d) / f"{name}.bin").read_bytes() for name in RECORDS}


# ---- (a) C writes, fastavro reads ----------------------------------------------

@pytest.mark.parametrize("name", RECORDS)
def test_fastavro_reads_c_records(c_samples, name):
    record = read_single_object(name, c_samples[name])
    assert timestamps_to_millis(record) == SAMPLES[name]


@pytest.mark.parametrize("name", RECORDS)
def test_c_and_fastavro_write_the_same_bytes(c_samples, name):
    assert write_single_object(name, SAMPLES[name]) == c_samples[name]


# ---- (b) fastavro writes, C reads ----------------------------------------------

def variants():
    """Records fastavro writes for the C side to decode: the samples plus
    variations through nulls, defaults and limits."""
    out = [(name, rec) for name, rec in SAMPLES.items()]
    single = dict(SAMPLES["SignRequest"], batch_id=None, callback_url=None, auth=None,
                  request_id="w-9",
                  items=[{"request_id": "w-9", "message": b"\x11" * 32,
                          "message_type": "hash", "derivation_path": None}])
    out.append(("SignRequest", single))
    batch = dict(SAMPLES["SignRequest"], items=[
        {"request_id": f"r-{i}", "message": i.to_bytes(32, "big"), "message_type": "hash",
         "derivation_path": f"m/{i}"} for i in range(1000)])
    out.append(("SignRequest", batch))
    failed = {"request_id": "kg-9", "batch_id": None, "kind": "keygen", "status": "failed",
              "error_code": "not_enough_participants", "error_message": "only 1 healthy",
              "key_id": None, "public_key": None, "address": None, "signature": None,
              "signature_der": None, "recovery_id": None, "session_id": None,
              "participants": [], "completed_at": 0}
    out.append(("Result", failed))
    out.append(("KeygenRequest", dict(SAMPLES["KeygenRequest"], participants=[], metadata={},
                                      protocol="gg20")))
    big = dict(SAMPLES["RoundMessage"], payload=os.urandom(1024 * 1024), kind="session_start",
               encrypted=False, to=0)
    out.append(("RoundMessage", big))
    return out


def test_c_reads_fastavro_records(tmp_path):
    cases = variants()
    files = []
    for i, (name, rec) in enumerate(cases):
        path = tmp_path / f"{i}-{name}.bin"
        path.write_bytes(write_single_object(name, rec))
        files.append(path)
    lines = decode_with_c(files)
    assert len(lines) == len(cases)
    for (name, rec), line in zip(cases, lines):
        assert line["ok"], line
        assert line["type"] == f"mpc.v1.{name}"
        assert line["record"] == as_json_view(rec), name


def write_fields_schema_defaults(tmp_path):
    """A writer that leaves out every field with a default (fastavro fills
    defaults in), to check the schema defaults are what the C side expects."""
    rec = {k: v for k, v in SAMPLES["SignRequest"].items()
           if k not in ("batch_id", "callback_url", "auth")}
    rec["items"] = [{k: v for k, v in rec["items"][0].items() if k != "derivation_path"}]
    path = tmp_path / "defaults.bin"
    path.write_bytes(write_single_object("SignRequest", rec))
    return path


def test_defaults(tmp_path):
    [line] = decode_with_c([write_fields_schema_defaults(tmp_path)])
    assert line["ok"], line
    rec = line["record"]
    assert rec["batch_id"] is None and rec["callback_url"] is None and rec["auth"] is None
    assert rec["items"][0]["derivation_path"] is None


REJECTS = [
    ("bad protocol", "KeygenRequest", dict(SAMPLES["KeygenRequest"], protocol="ecdsa"),
     "invalid", "protocol"),
    ("threshold above total", "KeygenRequest", dict(SAMPLES["KeygenRequest"], threshold=4),
     "invalid", "threshold"),
    ("1001 items", "SignRequest", dict(SAMPLES["SignRequest"], items=[
        {"request_id": f"r-{i}", "message": HASH, "message_type": "hash",
         "derivation_path": None} for i in range(1001)]), "too_large", "items"),
    ("raw message of 4097 bytes", "SignRequest", dict(SAMPLES["SignRequest"], items=[
        {"request_id": "r", "message": b"x" * 4097, "message_type": "raw",
         "derivation_path": None}]), "too_large", "items[0].message"),
    ("hash of 20 bytes", "SignRequest", dict(SAMPLES["SignRequest"], items=[
        {"request_id": "r", "message": b"x" * 20, "message_type": "hash",
         "derivation_path": None}]), "invalid", "items[0].message"),
    ("hardened path", "SignRequest", dict(SAMPLES["SignRequest"], items=[
        {"request_id": "r", "message": HASH, "message_type": "hash",
         "derivation_path": "m/44'/0"}]), "invalid", "items[0].derivation_path"),
    ("payload over 1 MiB", "RoundMessage",
     dict(SAMPLES["RoundMessage"], payload=b"\0" * (1024 * 1024 + 1)), "too_large", "payload"),
    ("unknown status", "Result", dict(SAMPLES["Result"], status="done"), "invalid", "status"),
    ("unknown service", "NodeHeartbeat", dict(SAMPLES["NodeHeartbeat"], service="web"),
     "invalid", "service"),
]


def test_c_rejects_what_breaks_the_rules(tmp_path):
    files = []
    for i, (_, name, rec, _, _) in enumerate(REJECTS):
        path = tmp_path / f"reject-{i}.bin"
        path.write_bytes(write_single_object(name, rec))
        files.append(path)
    lines = decode_with_c(files)
    for (what, _, _, code, field), line in zip(REJECTS, lines):
        assert not line["ok"], what
        assert (line["code"], line["field"]) == (code, field), (what, line)


def test_c_rejects_bad_framing(tmp_path, c_samples):
    good = c_samples["SignRequest"]
    other = fastavro.parse_schema({"type": "record", "name": "Other", "namespace": "x",
                                   "fields": [{"name": "a", "type": "string"}]})
    body = io.BytesIO()
    fastavro.schemaless_writer(body, other, {"a": "hi"})
    cases = {
        "bad_magic": b"\xc3\x02" + good[2:],
        "unknown_schema": MAGIC + fp_bytes(other) + body.getvalue(),
        "truncated": good[:-1],
        "trailing_bytes": good + b"\0",
    }
    files = []
    for code, data in cases.items():
        path = tmp_path / f"{code}.bin"
        path.write_bytes(data)
        files.append(path)
    lines = decode_with_c(files)
    assert [line["code"] for line in lines] == list(cases)


def test_auth_digest_is_sha256_of_record_without_auth(tmp_path, c_samples):
    """An outside producer computes what its HMAC covers with any Avro
    library: SHA-256 of the record encoded with auth = null."""
    import hashlib

    for name in ("SignRequest", "KeygenRequest"):
        unsigned = dict(SAMPLES[name], auth=None)
        want = hashlib.sha256(write_single_object(name, unsigned)).hexdigest()
        path = tmp_path / f"{name}.bin"
        path.write_bytes(c_samples[name])  # as received, auth filled in (SignRequest)
        assert run_tool("auth-digest", str(path)).stdout.strip() == want


# ---- (c) canonical form and fingerprints ----------------------------------------

def test_canonical_forms_match_fastavro():
    lines = [json.loads(line) for line in run_tool("schemas").stdout.splitlines()]
    ours = {line["name"]: line for line in lines}
    files = sorted(SCHEMAS.glob("*.avsc"))
    assert sorted(p.stem for p in files) == sorted(RECORDS)
    for path in files:
        schema = parsed(path.stem)
        line = ours[f"mpc.v1.{path.stem}"]
        assert line["canonical"] == to_parsing_canonical_form(schema), path.name
        assert line["fingerprint"] == fingerprint(to_parsing_canonical_form(schema),
                                                  "CRC-64-AVRO"), path.name
        # The canonical-form function on the raw file gives the same.
        raw = json.loads(run_tool("canonical", str(path)).stdout)
        assert raw == {"canonical": line["canonical"], "fingerprint": line["fingerprint"]}


EXTRA_SCHEMAS = [
    "int",
    {"type": "long", "logicalType": "timestamp-millis"},
    ["null", {"type": "string"}, "bytes"],
    {"type": "fixed", "name": "F", "namespace": "a.b", "size": 16, "aliases": ["G"]},
    {"type": "enum", "name": "x.E", "symbols": ["A", "B"], "doc": "letters", "default": "A"},
    {"type": "record", "name": "R", "namespace": "n", "doc": "outer", "fields": [
        {"name": "s", "type": {"type": "record", "name": "S", "namespace": "m", "fields": [
            {"name": "f", "type": {"type": "fixed", "name": "H", "size": 4}}]}},
        {"name": "t", "type": "m.S"},
        {"name": "h", "type": "m.H"},
        {"name": "u", "type": {"type": "array", "items": {"type": "map", "values": "double"}}},
        {"name": "v", "type": ["null", "n.R"], "default": None, "order": "ignore"},
        {"name": "w", "type": {"type": "enum", "name": "q.Z", "symbols": ["X"]}},
        {"name": "x", "type": "q.Z"},
        {"name": "y", "type": {"type": "string", "logicalType": "uuid"}},
    ]},
]


@pytest.mark.parametrize("schema", EXTRA_SCHEMAS, ids=lambda s: json.dumps(s)[:40])
def test_canonical_form_of_other_schemas(tmp_path, schema):
    path = tmp_path / "schema.avsc"
    path.write_text(json.dumps(schema, indent=3))
    ours = json.loads(run_tool("canonical", str(path)).stdout)
    theirs = to_parsing_canonical_form(fastavro.parse_schema(schema))
    assert ours["canonical"] == theirs
    assert ours["fingerprint"] == fingerprint(theirs, "CRC-64-AVRO")


def test_nullable_fields_default_to_null():
    """Evolvability: every ["null", T] field has default null, every array or
    map field a default, so readers of a newer schema can fill them in."""
    for name in RECORDS:
        for rec in walk_records(load_schema(name)):
            for field in rec["fields"]:
                t = field["type"]
                if isinstance(t, list):
                    assert t[0] == "null" and field.get("default", "missing") is None, \
                        f"{name}.{field['name']}"


def walk_records(schema):
    if isinstance(schema, dict):
        if schema.get("type") == "record":
            yield schema
            for f in schema["fields"]:
                yield from walk_records(f["type"])
        else:
            for key in ("items", "values", "type"):
                if isinstance(schema.get(key), (dict, list)):
                    yield from walk_records(schema[key])
    elif isinstance(schema, list):
        for s in schema:
            yield from walk_records(s)
