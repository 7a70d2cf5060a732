"""Avro records of the service as an outside client writes and reads them:
fastavro with Avro single-object encoding (C3 01, CRC-64-AVRO fingerprint of
the schema's canonical form, body), using the schemas in schemas/ only."""
import glob
import hashlib
import hmac
import io
import json
import os
import struct
import time
import uuid

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCHEMAS = {}
BY_FINGERPRINT = {}
for path in glob.glob(os.path.join(ROOT, "schemas", "*.avsc")):
    with open(path) as f:
        parsed = parse_schema(json.load(f))
    name = os.path.basename(path)[:-5]
    fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))
    SCHEMAS[name] = (parsed, fp)
    BY_FINGERPRINT[fp] = (name, parsed)


def encode(name, record):
    parsed, fp = SCHEMAS[name]
    out = io.BytesIO()
    out.write(b"\xc3\x01")
    out.write(fp)
    fastavro.schemaless_writer(out, parsed, record)
    return out.getvalue()


def decode(data):
    """Returns (record name, record)."""
    assert data[:2] == b"\xc3\x01", "not an Avro single-object record"
    name, parsed = BY_FINGERPRINT[data[2:10]]
    return name, fastavro.schemaless_reader(io.BytesIO(data[10:]), parsed)


def poll(consumer, timeout):
    """The next record of a confluent_kafka consumer as (record name, record),
    or None when nothing came within timeout seconds, on a consumer error, or
    when the value is not one of our records (tests share topics with
    garbage on purpose)."""
    msg = consumer.poll(timeout)
    if msg is None or msg.error():
        return None
    try:
        return decode(msg.value())
    except (AssertionError, KeyError, ValueError, EOFError):
        return None


def auth_digest(name, rec):
    """SHA-256 of the single-object encoding of rec with auth = null: what an
    Auth's HMAC covers (docs/messages.md, "Authentication of outside
    producers"; mpc_codec_auth_digest)."""
    return hashlib.sha256(encode(name, dict(rec, auth=None))).digest()


def record_string_to_sign(topic, timestamp_ms, nonce, digest):
    """docs/api.md, "Records written straight to Kafka" (services/api/sigv1.h)."""
    return f"KAFKA\n{topic}\n{timestamp_ms}\n{nonce}\n{digest.hex()}".encode()


def signed(name, rec, topic, key_id, secret, timestamp_ms=None, nonce=None):
    """A copy of rec (KeygenRequest or SignRequest) with an Auth made with the
    API key key_id and its secret (the 64-character text as given; its ASCII
    bytes are the HMAC key): signature = HMAC-SHA256(secret, "KAFKA\\n" topic
    "\\n" timestamp "\\n" nonce "\\n" hex(digest)), raw 32 bytes. A fresh nonce
    and the current time unless given. rec's client_id is left as it is (set
    it to key_id)."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    nonce = nonce or uuid.uuid4().hex
    mac = hmac.new(secret.encode("ascii"), record_string_to_sign(topic, ts, nonce, auth_digest(name, rec)),
                   hashlib.sha256).digest()
    return dict(rec, auth={"key_id": key_id, "timestamp": ts, "nonce": nonce, "signature": mac})
