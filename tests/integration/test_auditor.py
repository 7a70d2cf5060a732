"""mpc-auditor against the real stack: every record type becomes a row, the
chain verifies (with `mpcctl audit verify` and with the independent Python
implementation tests/audit/audit_ref.py), a SIGKILL mid-stream loses and
repeats nothing, PostgreSQL going away loses nothing, and tampering by a
superuser is named by verify.

The database is shared with other tests (and other auditors may append to
the chain meanwhile), so rows are found by the Kafka offsets this test
produced, and every tampered row is restored before the test ends.
"""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import fastavro
import pytest
from confluent_kafka import Producer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from conftest import ROOT, free_port, http_get

sys.path.insert(0, os.path.join(ROOT, "tests", "audit"))
import audit_ref  # noqa: E402

TOPIC_OF = {"KeygenRequest": "mpc.keygen.requests", "SignRequest": "mpc.sign.requests",
            "RoundMessage": "mpc.rounds", "Result": "mpc.results", "NodeHeartbeat": "mpc.nodes",
            "DeadLetter": "mpc.dlq"}


# ---------------------------------------------------------------- records ---

def load_schema(name):
    with open(os.path.join(ROOT, "schemas", f"{name}.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    return schema, bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


SCHEMAS = {name: load_schema(name) for name in TOPIC_OF}


def encode(name, record):
    schema, fp = SCHEMAS[name]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, record)
    return b"\xc3\x01" + fp + body.getvalue()


def now_ms():
    return int(time.time() * 1000)


def sign_request(tag, n_items=1):
    items = [{"request_id": f"{tag}-item-{i}", "message": bytes([i % 256]) * 32, "message_type": "hash",
              "derivation_path": None} for i in range(n_items)]
    return encode("SignRequest", {
        "request_id": tag, "batch_id": tag if n_items > 1 else None, "key_id": f"key-{tag}", "items": items,
        "callback_url": None, "client_id": "exchange-it", "submitted_at": now_ms(), "auth": None})


def keygen_request(tag):
    return encode("KeygenRequest", {
        "request_id": tag, "protocol": "frost", "curve": "secp256k1", "threshold": 2, "total_nodes": 3,
        "chain_type": "bitcoin", "participants": [], "metadata": {"desk": "it"}, "client_id": "ops-it",
        "submitted_at": now_ms(), "auth": None})


SECRET_PAYLOAD = b"\x5e\xc7\x37" * 40  # stands in for an engine message / ciphertext


def round_message(session, seq, kind="protocol", payload=SECRET_PAYLOAD, to=2, encrypted=True):
    return encode("RoundMessage", {
        "session_id": session, "protocol": "frost", "round": 1, "from": 1, "to": to, "seq": seq, "kind": kind,
        "payload": payload, "encrypted": encrypted, "signature": b"\x01" * 64, "sent_at": now_ms()})


def result(tag, status="succeeded"):
    return encode("Result", {
        "request_id": tag, "batch_id": None, "kind": "sign", "status": status,
        "error_code": "participant_timeout" if status == "failed" else None, "error_message": None,
        "key_id": f"key-{tag}", "public_key": None, "address": None,
        "signature": b"\x02" * 64 if status == "succeeded" else None, "signature_der": None,
        "recovery_id": None, "session_id": f"sess-{tag}", "participants": [1, 3], "completed_at": now_ms()})


def heartbeat(instance, status="ready", node_id=7):
    return encode("NodeHeartbeat", {
        "node_id": node_id, "service": "participant", "instance": instance, "status": status,
        "capabilities": ["frost"], "load": 1, "active_sessions": 0, "version": "it", "sent_at": now_ms()})


def dead_letter(original_topic, original):
    return encode("DeadLetter", {
        "original_topic": original_topic, "original_partition": 0, "original_offset": 1, "original_key": b"k",
        "original_value": original, "reason_code": "unknown_key", "reason": "no such key",
        "rejected_by": "coordinator/it", "rejected_at": now_ms()})


class Produced:
    """A producer that remembers where each record landed."""

    def __init__(self, brokers):
        self.producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "linger.ms": 5})
        self.where = []  # (topic, partition, offset, label)
        self.lock = threading.Lock()

    def send(self, topic, value, key=None, label=None):
        def done(err, msg):
            assert err is None, err
            with self.lock:
                self.where.append((msg.topic(), msg.partition(), msg.offset(), label))
        while True:
            try:
                self.producer.produce(topic, value=value, key=key, on_delivery=done)
                break
            except BufferError:
                self.producer.poll(0.05)
        self.producer.poll(0)

    def flush(self):
        assert self.producer.flush(30) == 0

    def by_label(self):
        return {label: (t, p, o) for t, p, o, label in self.where if label is not None}


# --------------------------------------------------------------- database ---

def psql(env, sql, superuser=False, check=True):
    """Runs SQL with psql; the app role by default, else the cluster's
    superuser over the stack's private unix socket (scripts/stack.sh)."""
    if superuser:
        dsn = urllib.parse.urlparse(env["MPC_PG_DSN"])
        stack = os.environ.get("MPC_STACK_DIR", os.path.join(ROOT, ".local", "stack"))
        loc = os.path.join(stack, "postgres.location")
        base = open(loc).read().strip() if os.path.exists(loc) else os.path.join(stack, "postgres")
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", os.path.join(base, "run"),
               "-p", str(dsn.port), "-d", dsn.path.lstrip("/"), "-c", sql]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")
    else:
        out = subprocess.run(["psql", env["MPC_PG_DSN"], "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             capture_output=True, text=True, timeout=60)
    if check:
        assert out.returncode == 0, out.stderr
    return out


ROW_SQL = """SELECT json_build_object(
  'seq', seq, 'recorded_at', to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'event_type', event_type, 'client_id', client_id, 'request_id', request_id, 'key_id', key_id,
  'session_id', session_id, 'node_id', node_id, 'operation', operation, 'result', result,
  'details', details::text, 'ip_address', ip_address, 'user_agent', user_agent,
  'source_topic', source_topic, 'source_partition', source_partition, 'source_offset', source_offset,
  'prev_hash', encode(prev_hash, 'hex'), 'hash', encode(hash, 'hex'))
FROM audit_log {where} ORDER BY seq"""


def rows(env, where=""):
    out = psql(env, ROW_SQL.format(where=where))
    return [json.loads(line) for line in out.stdout.splitlines() if line]


def source_counts(env, produced):
    """{(topic, partition, offset): number of rows} for what was produced."""
    topics = sorted({t for t, _, _, _ in produced})
    low = min(o for _, _, o, _ in produced)
    out = psql(env, "SELECT source_topic, source_partition, source_offset, count(*) FROM audit_log "
                    f"WHERE source_topic IN ({','.join(repr(t) for t in topics)}) AND source_offset >= {low} "
                    "GROUP BY 1, 2, 3")
    counts = {}
    for line in out.stdout.splitlines():
        t, p, o, n = line.split("|")
        counts[(t, int(p), int(o))] = int(n)
    return {(t, p, o): counts.get((t, p, o), 0) for t, p, o, _ in produced}


def wait_rows(env, produced, timeout=90, proc=None):
    deadline = time.time() + timeout
    while True:
        counts = source_counts(env, produced)
        missing = [k for k, n in counts.items() if n == 0]
        if not missing:
            return counts
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"auditor exited with {proc.returncode}")
        if time.time() > deadline:
            raise AssertionError(f"{len(missing)} of {len(counts)} records have no audit row, e.g. {missing[:5]}")
        time.sleep(0.3)


def mpcctl_audit(build_dir, env, *args):
    mpcctl = os.path.join(build_dir, "tools", "mpcctl", "mpcctl")
    cmd = [mpcctl, "audit"]
    if not (os.access(mpcctl, os.X_OK) and
            subprocess.run(cmd + ["--help"], capture_output=True, timeout=10).returncode == 0):
        cmd = [os.path.join(build_dir, "tests", "audit", "mpcctl-audit")]
    return subprocess.run(cmd + list(args), env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def verify_ok(build_dir, env, independent=False):
    """`mpcctl audit verify` says OK; with independent=True the Python
    implementation walks the whole chain as well (slow on big tables)."""
    out = mpcctl_audit(build_dir, env, "verify")
    assert out.returncode == 0 and out.stdout.startswith("OK: "), out.stdout + out.stderr
    if independent:
        problem = audit_ref.verify(rows(env))
        assert problem is None, problem
    return out.stdout


# ---------------------------------------------------------------- auditor ---

class Auditor:
    """mpc-auditor in a fixed consumer group (as a restarted production
    instance would be), so Kafka's committed offsets are really in play."""

    def __init__(self, build_dir, env, group, extra=None):
        self.build_dir, self.env, self.group, self.extra = build_dir, env, group, extra or {}
        self.proc = None
        self.logs = []

    def start(self):
        self.port = free_port()
        self.log_path = f"/tmp/mpc-it-auditor-{self.port}.log"
        self.logs.append(self.log_path)
        env = {**os.environ, **self.env, "MPC_HTTP_PORT": str(self.port), "MPC_KAFKA_GROUP_ID": self.group,
               "MPC_LOG_LEVEL": "info", **self.extra}
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([f"{self.build_dir}/services/auditor/mpc-auditor", "-c",
                                          f"{ROOT}/config/auditor.cfg"], env=env, stdout=subprocess.DEVNULL,
                                         stderr=log)
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, self.stderr()
            try:
                if http_get(f"http://127.0.0.1:{self.port}/health/ready", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("auditor not ready:\n" + self.stderr())

    def stderr(self):
        return "".join(open(p).read() for p in self.logs if os.path.exists(p))

    def metrics(self):
        return http_get(f"http://127.0.0.1:{self.port}/metrics")[1]

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        return self.proc.returncode


@pytest.fixture
def auditors(build_dir, stack_env, migrated):
    started = []

    def make(extra=None, group=None):
        a = Auditor(build_dir, stack_env, group or f"it-auditor-{uuid.uuid4().hex[:8]}", extra)
        started.append(a)
        return a

    yield make
    for a in started:
        if a.proc and a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()


# ------------------------------------------------------------------ tests ---

def test_every_record_type_audited_and_chained(build_dir, stack_env, auditors):
    tag = f"it-{uuid.uuid4().hex[:10]}"
    aud = auditors().start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    p.send("mpc.keygen.requests", keygen_request(f"{tag}-kg"), key=f"{tag}-kg".encode(), label="keygen")
    p.send("mpc.sign.requests", sign_request(f"{tag}-sg", 3), key=f"{tag}-sg".encode(), label="sign")
    start = json.dumps({"session_id": f"sess-{tag}", "kind": "sign", "key_id": f"key-{tag}-sg",
                        "participants": [1, 3]}).encode()
    p.send("mpc.rounds", round_message(f"sess-{tag}", 0, "session_start", start, to=0, encrypted=False),
           key=f"sess-{tag}".encode(), label="start")
    p.send("mpc.rounds", round_message(f"sess-{tag}", 1), key=f"sess-{tag}".encode(), label="round")
    p.send("mpc.results", result(f"{tag}-ok"), label="ok")
    p.send("mpc.results", result(f"{tag}-bad", "failed"), label="failed")
    p.send("mpc.nodes", heartbeat(f"{tag}-hb"), key=b"7", label="heartbeat")
    p.send("mpc.dlq", dead_letter("mpc.sign.requests", sign_request(f"{tag}-dl")), label="dlq")
    p.send("mpc.sign.requests", b"\x00\x01 garbage, not Avro", key=b"\xff\xfe", label="garbage")
    p.send("mpc.rounds", b"\xc3\x01" + b"\x00" * 8 + b"unknown fingerprint", label="unknown")
    p.send("mpc.results", b"", label="empty")
    p.flush()
    wait_rows(stack_env, p.where, proc=aud.proc)

    where = p.by_label()
    got = {}
    for label, (t, part, off) in where.items():
        [row] = rows(stack_env, f"WHERE source_topic = '{t}' AND source_partition = {part} AND source_offset = {off}")
        row["details"] = json.loads(row["details"])
        got[label] = row

    def cols(label, *names):
        return tuple(got[label][n] for n in names)

    assert cols("keygen", "event_type", "operation", "result", "request_id", "client_id") == \
        ("keygen_requested", "keygen", "requested", f"{tag}-kg", "ops-it")
    assert got["keygen"]["key_id"].startswith("key_") and len(got["keygen"]["key_id"]) == 28
    assert cols("sign", "event_type", "request_id", "key_id", "client_id") == \
        ("sign_requested", f"{tag}-sg", f"key-{tag}-sg", "exchange-it")
    assert len(got["sign"]["details"]["record"]["items"]) == 3
    assert cols("start", "event_type", "operation", "session_id", "key_id", "node_id") == \
        ("round_message", "session_start", f"sess-{tag}", f"key-{tag}-sg", "1")
    assert got["start"]["details"]["record"]["payload_json"]["participants"] == [1, 3]
    rnd = got["round"]
    assert cols("round", "operation", "result", "session_id") == ("protocol", "sent_encrypted", f"sess-{tag}")
    assert "payload" not in rnd["details"]["record"]
    assert rnd["details"]["record"]["payload_len"] == len(SECRET_PAYLOAD)
    assert SECRET_PAYLOAD.hex()[:12] not in json.dumps(rnd["details"])
    assert cols("ok", "event_type", "result", "request_id", "key_id", "session_id") == \
        ("result_succeeded", "succeeded", f"{tag}-ok", f"key-{tag}-ok", f"sess-{tag}-ok")
    assert cols("failed", "event_type", "result") == ("result_failed", "failed")
    assert got["failed"]["details"]["record"]["error_code"] == "participant_timeout"
    assert cols("heartbeat", "event_type", "operation", "result", "node_id") == \
        ("node_heartbeat", "heartbeat", "ready", "7")
    assert cols("dlq", "event_type", "operation", "result", "request_id") == \
        ("dead_letter", "reject", "unknown_key", f"{tag}-dl")
    assert got["dlq"]["details"]["original"]["event_type"] == "sign_requested"
    assert "original_value" not in got["dlq"]["details"]["record"]
    for label, code in (("garbage", "bad_magic"), ("unknown", "unknown_schema"), ("empty", "truncated")):
        assert cols(label, "event_type", "operation", "result") == ("undecodable", "decode", code), got[label]
        assert got[label]["details"]["error"]["code"] == code
        assert "value_sha256" in got[label]["details"]
    assert got["garbage"]["details"]["kafka"]["key_len"] == 2

    verify_ok(build_dir, stack_env, independent=True)
    assert aud.stop() == 0
    assert "undecodable record audited" in aud.stderr()


def test_query_filters(build_dir, stack_env, auditors):
    tag = f"q-{uuid.uuid4().hex[:10]}"
    aud = auditors().start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    p.send("mpc.sign.requests", sign_request(tag, 2), key=tag.encode())
    p.send("mpc.rounds", round_message(f"sess-{tag}", 1), key=f"sess-{tag}".encode())
    p.send("mpc.results", result(f"{tag}-item-1"))
    p.flush()
    wait_rows(stack_env, p.where, proc=aud.proc)

    def query(*args):
        out = mpcctl_audit(build_dir, stack_env, "query", *args)
        assert out.returncode == 0, out.stderr
        return [json.loads(line) for line in out.stdout.splitlines()]

    # An item's id finds its batch's request and its own result.
    found = query("--request", f"{tag}-item-1")
    assert sorted(r["event_type"] for r in found) == ["result_succeeded", "sign_requested"]
    assert [r["seq"] for r in found] == sorted(r["seq"] for r in found)
    assert all(set(r) >= {"seq", "hash", "prev_hash", "details", "source_offset"} for r in found)
    assert [r["event_type"] for r in query("--key", f"key-{tag}")] == ["sign_requested"]
    assert [r["operation"] for r in query("--session", f"sess-{tag}")] == ["protocol"]
    assert len(query("--session", f"sess-{tag}", "--node", "1")) == 1
    assert query("--session", f"sess-{tag}", "--node", "2") == []
    assert len(query("--request", f"{tag}-item-1", "--limit", "1")) == 1
    assert query("--key", f"key-{tag}", "--until", "2000-01-01T00:00:00Z") == []
    assert len(query("--key", f"key-{tag}", "--since", "2000-01-01T00:00:00Z", "--event", "sign_requested")) == 1
    bad = mpcctl_audit(build_dir, stack_env, "query", "--since", "not a time")
    assert bad.returncode == 2 and "timestamp" in bad.stderr
    assert mpcctl_audit(build_dir, stack_env, "query", "--bogus", "x").returncode == 2


def test_heartbeats_sampled_but_accounted(build_dir, stack_env, auditors):
    tag = f"hb-{uuid.uuid4().hex[:8]}"
    aud = auditors({"MPC_AUDIT_HEARTBEAT_EVERY_S": "3600"}).start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    for _ in range(5):
        p.send("mpc.nodes", heartbeat(tag), key=b"7")
    p.send("mpc.nodes", heartbeat(tag, "draining"), key=b"7")
    p.flush()
    # Every heartbeat is covered by the stored position; two have rows.
    part = p.where[0][1]
    last = max(o for _, _, o, _ in p.where)
    deadline = time.time() + 60
    while time.time() < deadline:
        out = psql(stack_env, f"SELECT next_offset FROM audit_offsets WHERE topic = 'mpc.nodes' AND partition = {part}")
        if out.stdout.strip() and int(out.stdout) > last:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("heartbeat offsets never accounted for")
    mine = [r for r in rows(stack_env, "WHERE event_type = 'node_heartbeat'")
            if json.loads(r["details"])["record"]["instance"] == tag]
    assert [r["result"] for r in mine] == ["ready", "draining"]
    assert json.loads(mine[1]["details"])["elided_heartbeats"] == 4
    assert "mpc_audit_heartbeats_elided_total" in aud.metrics()


def test_sigkill_mid_stream_no_gap_no_duplicate(build_dir, stack_env, auditors):
    group = f"it-auditor-crash-{uuid.uuid4().hex[:8]}"
    first = auditors(group=group).start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    tag = f"k-{uuid.uuid4().hex[:8]}"
    total = 2000

    def produce():
        for i in range(total):
            kind = i % 5
            if kind == 0:
                p.send("mpc.sign.requests", sign_request(f"{tag}-{i}"), key=f"{tag}-{i}".encode())
            elif kind in (1, 2):
                p.send("mpc.rounds", round_message(f"sess-{tag}-{i % 40}", i), key=f"sess-{tag}-{i % 40}".encode())
            elif kind == 3:
                p.send("mpc.results", result(f"{tag}-{i}"), key=f"{tag}-{i}".encode())
            else:
                p.send("mpc.dlq", b"garbage %d" % i)
            if i % 100 == 0:
                time.sleep(0.15)  # ~3 s of traffic
        p.flush()

    t = threading.Thread(target=produce)
    t.start()
    time.sleep(1.2)
    first.stop(signal.SIGKILL)
    at_kill = sum(1 for n in source_counts(stack_env, list(p.where)).values() if n) if p.where else 0
    time.sleep(0.5)
    second = auditors(group=group).start()
    try:
        t.join(timeout=120)
        assert len(p.where) == total
        counts = wait_rows(stack_env, p.where, proc=second.proc)
        assert sorted(set(counts.values())) == [1], "a record has more than one row"
        assert 0 < at_kill < total, f"kill was not mid-stream ({at_kill} of {total} audited)"
        verify_ok(build_dir, stack_env, independent=True)
    finally:
        second.stop(signal.SIGKILL)


def test_two_auditors_one_group_share_one_chain(build_dir, stack_env, auditors):
    """Two processes in one consumer group: partitions are split, moved by
    rebalances (one joins mid-stream, then the other leaves), and the
    chain stays linear: every record exactly once, verify OK."""
    group = f"it-auditor-pair-{uuid.uuid4().hex[:8]}"
    a = auditors(group=group).start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    tag = f"pair-{uuid.uuid4().hex[:8]}"

    def produce():
        for i in range(1500):
            p.send("mpc.results" if i % 2 else "mpc.sign.requests",
                   result(f"{tag}-{i}") if i % 2 else sign_request(f"{tag}-{i}"), key=f"{tag}-{i}".encode())
            if i % 100 == 0:
                time.sleep(0.5)
        p.flush()

    t = threading.Thread(target=produce)
    t.start()
    time.sleep(0.8)
    b = auditors(group=group).start()
    deadline = time.time() + 60
    while "partitions assigned" not in open(b.log_path).read():
        assert time.time() < deadline, "the second auditor never got partitions"
        time.sleep(0.2)
    time.sleep(0.5)
    assert t.is_alive(), "production ended before both auditors worked"
    a.stop(signal.SIGTERM)  # leaves the group at once; SIGKILL has its own test
    t.join(timeout=120)
    counts = wait_rows(stack_env, p.where, proc=b.proc)
    assert sorted(set(counts.values())) == [1]
    verify_ok(build_dir, stack_env)


class Proxy:
    """A TCP proxy in front of PostgreSQL that the test can cut and restore."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = free_port()
        self.conns, self.server, self.lock = [], None, threading.Lock()
        self.up()

    def up(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(16)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def down(self):
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.server.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.conns = []


def test_postgres_away_loses_nothing(build_dir, stack_env, auditors):
    dsn = urllib.parse.urlparse(stack_env["MPC_PG_DSN"])
    proxy = Proxy(dsn.hostname, dsn.port)
    via_proxy = dsn._replace(netloc=f"{dsn.username}:{dsn.password}@127.0.0.1:{proxy.port}").geturl()
    aud = auditors({"MPC_PG_DSN": via_proxy, "MPC_POSTGRES_CONNECT_TIMEOUT_S": "2"}).start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    tag = f"pg-{uuid.uuid4().hex[:8]}"
    for i in range(50):
        p.send("mpc.results", result(f"{tag}-a{i}"))
    p.flush()
    wait_rows(stack_env, p.where, proc=aud.proc)
    proxy.down()
    for i in range(300):
        p.send("mpc.results", result(f"{tag}-b{i}"))
        p.send("mpc.rounds", round_message(f"sess-{tag}", i), key=f"sess-{tag}".encode())
    p.flush()
    time.sleep(4)
    assert aud.proc.poll() is None
    assert http_get(f"http://127.0.0.1:{aud.port}/health/ready")[0] == 503
    proxy.up()
    counts = wait_rows(stack_env, p.where, proc=aud.proc, timeout=120)
    assert sorted(set(counts.values())) == [1]
    verify_ok(build_dir, stack_env)
    proxy.down()


def test_database_refuses_changes_and_verify_names_tampering(build_dir, stack_env, auditors):
    aud = auditors().start()
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    tag = f"t-{uuid.uuid4().hex[:8]}"
    for i in range(6):
        p.send("mpc.results", result(f"{tag}-{i}"))
    p.flush()
    wait_rows(stack_env, p.where, proc=aud.proc)
    aud.stop()  # nobody appends while rows are tampered with
    verify_ok(build_dir, stack_env)
    seqs = [r["seq"] for r in rows(stack_env, f"WHERE request_id LIKE '{tag}-%'")]
    target, victim = seqs[1], seqs[3]

    # The application role cannot change or remove rows.
    for sql in (f"UPDATE audit_log SET result = 'x' WHERE seq = {target}",
                f"DELETE FROM audit_log WHERE seq = {target}", "TRUNCATE audit_log"):
        out = psql(stack_env, sql, check=False)
        assert out.returncode != 0 and ("append-only" in out.stderr or "permission denied" in out.stderr), out.stderr

    def superuser(sql):
        psql(stack_env, "ALTER TABLE audit_log DISABLE TRIGGER USER; " + sql +
             "; ALTER TABLE audit_log ENABLE TRIGGER USER", superuser=True)

    def verify_fails(expected):
        out = mpcctl_audit(build_dir, stack_env, "verify")
        assert out.returncode == 1 and out.stdout.strip() == f"FAIL: {expected}", out.stdout + out.stderr

    [before] = rows(stack_env, f"WHERE seq = {target}")

    def restore():
        superuser(f"UPDATE audit_log SET result = '{before['result']}', hash = '\\x{before['hash']}', "
                  f"details = '{before['details'].replace(chr(39), chr(39) * 2)}'::jsonb WHERE seq = {target}")

    try:
        # A changed value: that row is named.
        superuser(f"UPDATE audit_log SET result = 'failed' WHERE seq = {target}")
        verify_fails(f"row seq={target} altered (hash mismatch)")

        # The same change with the row's hash recomputed to match: the link
        # from the next row names it.
        forged = audit_ref.row_hash({**before, "result": "failed"}).hex()
        superuser(f"UPDATE audit_log SET hash = '\\x{forged}' WHERE seq = {target}")
        verify_fails(f"prev_hash of seq {target + 1} does not match the hash of seq {target}")
        restore()
        verify_ok(build_dir, stack_env)

        # A value inside details.
        superuser(f"UPDATE audit_log SET details = jsonb_set(details, '{{record,status}}', '\"failed\"') "
                  f"WHERE seq = {target}")
        verify_fails(f"row seq={target} altered (hash mismatch)")
    finally:
        restore()
    verify_ok(build_dir, stack_env)

    # A deleted row: verify names the gap; restored, the chain holds again.
    psql(stack_env, "DROP TABLE IF EXISTS audit_tamper_backup; "
                    f"CREATE TABLE audit_tamper_backup AS SELECT * FROM audit_log WHERE seq = {victim}",
         superuser=True)
    try:
        superuser(f"DELETE FROM audit_log WHERE seq = {victim}")
        verify_fails(f"missing row(s) between seq {victim - 1} and {victim + 1}")
    finally:
        psql(stack_env, "INSERT INTO audit_log SELECT * FROM audit_tamper_backup; DROP TABLE audit_tamper_backup",
             superuser=True)
    verify_ok(build_dir, stack_env)

    # Switched-off protection is itself a failure.
    psql(stack_env, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete", superuser=True)
    try:
        verify_fails("append-only trigger audit_log_no_update_delete is disabled")
    finally:
        psql(stack_env, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete", superuser=True)
    out = verify_ok(build_dir, stack_env)

    # An anchor from an earlier verify pins the chain.
    head_seq = int(psql(stack_env, "SELECT max(seq) FROM audit_log").stdout)
    head = out.split("head ")[1].strip()
    assert mpcctl_audit(build_dir, stack_env, "verify", "--anchor", f"{head_seq}:{head}").returncode == 0
    bad = mpcctl_audit(build_dir, stack_env, "verify", "--anchor", f"{head_seq}:{'0' * 64}")
    assert bad.returncode == 1 and f"seq={head_seq} does not match the anchor" in bad.stdout
    bad = mpcctl_audit(build_dir, stack_env, "verify", "--anchor", f"{head_seq + 10**9}:{head}")
    assert bad.returncode == 1 and "is missing" in bad.stdout


def test_throughput(build_dir, stack_env, auditors):
    """Rows per second through one auditor from a backlog (printed; the
    assertion is a floor well below what the pipeline needs)."""
    p = Produced(stack_env["MPC_KAFKA_BROKERS"])
    tag = f"tp-{uuid.uuid4().hex[:8]}"
    n = int(os.environ.get("MPC_AUDIT_BENCH_RECORDS", "10000"))
    for i in range(n):
        if i % 2:
            p.send("mpc.results", result(f"{tag}-{i}"), key=f"{tag}-{i}".encode())
        else:
            p.send("mpc.rounds", round_message(f"sess-{tag}-{i % 50}", i), key=f"sess-{tag}-{i % 50}".encode())
    p.flush()
    before = int(psql(stack_env, "SELECT count(*) FROM audit_log").stdout)
    aud = auditors().start()
    t0 = time.time()  # ready: it starts on the backlog now
    wait_rows(stack_env, p.where, proc=aud.proc, timeout=600)
    elapsed = time.time() - t0
    written = int(psql(stack_env, "SELECT count(*) FROM audit_log").stdout) - before
    rate = written / elapsed
    print(f"\nauditor throughput: {written} rows in {elapsed:.1f} s = {rate:.0f} rows/s")
    assert rate > 300
