"""Avro records of the service as an outside client writes and reads them:
fastavro with Avro single-object encoding (C3 01, CRC-64-AVRO fingerprint of
the schema's canonical form, body), using the schemas in schemas/ only."""
import glob
import io
import json
import os
import struct

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
