"""Helpers for the API tests: a request-signing client (docs/api.md,
"Authentication", implemented here independently of the C code), API key
creation, an mpc-api process per test module, and small PostgreSQL / Redis /
Kafka / Avro utilities. Imported by test_api.py and test_openapi.py."""
import hashlib
import hmac
import http.server
import io
import json
import os
import subprocess
import threading
import time
import urllib.parse
import uuid

import fastavro
import pytest
import requests
from fastavro.schema import fingerprint, to_parsing_canonical_form

from conftest import ROOT, Service, required_env

# Webhook timing short enough for tests (see api.webhook_* settings).
FAST_WEBHOOKS = {
    "MPC_API_WEBHOOK_BACKOFF_INITIAL_MS": "100",
    "MPC_API_WEBHOOK_BACKOFF_MAX_MS": "400",
    "MPC_API_WEBHOOK_RETRY_WINDOW_S": "600",
    "MPC_API_WEBHOOK_MAX_ATTEMPTS": "4",
    "MPC_API_WEBHOOK_TIMEOUT_MS": "2000",
}


def canonical_query(params):
    """Percent-encode (RFC 3986 unreserved kept), sort, join."""
    enc = sorted((urllib.parse.quote(str(k), safe="-._~"), urllib.parse.quote(str(v), safe="-._~"))
                 for k, v in params)
    return "&".join(f"{k}={v}" for k, v in enc)


def sign(secret, method, path_with_query, timestamp_ms, nonce, body):
    body_hash = hashlib.sha256(body).hexdigest()
    text = f"{method}\n{path_with_query}\n{timestamp_ms}\n{nonce}\n{body_hash}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class ApiClient:
    """Signs every call like any outside client would."""

    def __init__(self, base_url, key_id, secret):
        self.base_url, self.key_id, self.secret = base_url, key_id, secret
        self.session = requests.Session()

    def headers(self, method, path, body, query=(), timestamp=None, nonce=None):
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        nonce = nonce or uuid.uuid4().hex
        pq = path + ("?" + canonical_query(query) if query else "")
        return {"X-MPC-Key": self.key_id, "X-MPC-Timestamp": str(ts), "X-MPC-Nonce": nonce,
                "X-MPC-Signature": sign(self.secret, method, pq, ts, nonce, body),
                "Content-Type": "application/json"}

    def call(self, method, path, body=None, query=(), raw=None, headers=None, **sign_opts):
        """Returns (status, parsed JSON, response). body: object -> JSON;
        raw: bytes sent as is. headers: replaces the signed headers."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        h = headers if headers is not None else self.headers(method, path, data, query, **sign_opts)
        url = self.base_url + path + ("?" + canonical_query(query) if query else "")
        r = self.session.request(method, url, data=data, headers=h, timeout=30)
        try:
            parsed = r.json()
        except ValueError:
            parsed = None
        return r.status_code, parsed, r

    def get(self, path, query=()):
        return self.call("GET", path, query=query)

    def post(self, path, body):
        return self.call("POST", path, body)


def create_api_key(build_dir, name, *args):
    """Runs `mpc-api --create-api-key` and returns (key_id, secret)."""
    out = subprocess.run([f"{build_dir}/services/api/mpc-api", "--create-api-key", name, *args],
                         env=os.environ.copy(), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    values = dict(line[len("export "):].split("=", 1) for line in out.stdout.splitlines()
                  if line.startswith("export "))
    return values["MPC_API_KEY"], values["MPC_API_SECRET"]


def start_api(build_dir, env=None, ready=True):
    svc = Service(build_dir, "api", {**FAST_WEBHOOKS, **(env or {})})
    svc.wait_http("/health/ready" if ready else "/health/live", 200, timeout=60)
    return svc


# ---- PostgreSQL and Redis through their command-line clients --------------

def sql_literal(value):
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def psql(sql):
    out = subprocess.run(["psql", required_env("MPC_PG_DSN"), "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line.split("|") for line in out.stdout.splitlines() if line]


def redis_cli(*args):
    url = urllib.parse.urlparse(required_env("MPC_REDIS_URL"))
    cmd = ["redis-cli", "-h", url.hostname, "-p", str(url.port or 6379), "--no-auth-warning"]
    if url.password:
        cmd += ["-a", url.password]
    out = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def insert_key(key_id, protocol="frost-bip340", chain_type="bitcoin", public_key=None, status="active"):
    psql("INSERT INTO keys (key_id, public_key, algorithm, protocol, curve, threshold, total_nodes, participants, "
         f"chain_type, status) VALUES ({sql_literal(key_id)}, {sql_literal(public_key)}, 'schnorr', "
         f"{sql_literal(protocol)}, 'secp256k1', 2, 3, '[1,2,3]', {sql_literal(chain_type)}, {sql_literal(status)}) "
         "ON CONFLICT (key_id) DO NOTHING")


# ---- Avro records ----------------------------------------------------------

def load_schema(name):
    with open(os.path.join(ROOT, "schemas", f"{name}.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
    return schema, fp


def encode_record(name, record):
    schema, fp = load_schema(name)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, record)
    return b"\xc3\x01" + fp + body.getvalue()


def decode_record(name, data):
    schema, fp = load_schema(name)
    assert data[:2] == b"\xc3\x01" and data[2:10] == fp, "not a record of " + name
    return fastavro.schemaless_reader(io.BytesIO(data[10:]), schema)


class TopicReader:
    """Reads a topic from its current end: create before acting, then collect()."""

    def __init__(self, brokers, topic):
        from confluent_kafka import Consumer, TopicPartition
        self.consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"it-api-{uuid.uuid4()}",
                                  "enable.auto.commit": False, "auto.offset.reset": "latest"})
        md = self.consumer.list_topics(topic, timeout=10)
        parts = []
        for p in md.topics[topic].partitions:
            lo, hi = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            parts.append(TopicPartition(topic, p, hi))
        self.consumer.assign(parts)

    def collect(self, want=None, key=None, timeout=10.0, settle=1.0):
        """Messages until `want` matched (by key when given) or the timeout;
        then keeps listening `settle` seconds to catch duplicates."""
        got, deadline, extra_until = [], time.time() + timeout, None
        while time.time() < (extra_until or deadline):
            m = self.consumer.poll(0.2)
            if m is None or m.error():
                continue
            if key is None or m.key() == key:
                got.append(m)
            if want is not None and len(got) >= want and extra_until is None:
                extra_until = time.time() + settle
        return got

    def close(self):
        self.consumer.close()


@pytest.fixture(scope="module")
def api(build_dir, stack_env, migrated):
    """One mpc-api for the module, with a client allowed everything."""
    for k, v in stack_env.items():
        os.environ.setdefault(k, v)
    svc = start_api(build_dir)
    key_id, secret = create_api_key(build_dir, "it-api", "--rate-limit", "10000")
    client = ApiClient(svc.url(""), key_id, secret)
    client.service = svc
    yield client
    svc.stop()


class Receiver:
    """A local webhook endpoint answering with the given statuses in turn
    (the last one from then on); keeps every (headers, body) it received."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
