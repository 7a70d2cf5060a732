"""The pipeline end to end, as the pipeline issue's "done when" list asks:
every request record carries an Auth (records without a valid one are
refused); 3-of-5 keys; 1,000 signatures in batches; an outside client
writing 500 separate records; cancel through the REST API; webhooks from
the real coordinator's results; two coordinators in one consumer group, one
of them killed mid-flight.

Every signature is checked against the message this test sent and the key
the keygen returned, by libsecp256k1 (ctypes on the system library,
secp256k1_ctypes.py) and by the pure-Python reference (schnorr_ref.py; it is
slow, so on a sample where hundreds of signatures are involved).

One Pipeline (test_pipeline.py) with five participants serves the module;
the coordinator's session timeout is long (SESSION_TIMEOUT_MS) so that a
session stalled on purpose waits for the cancel instead of timing out."""
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

import mpc_records
import schnorr_ref
import secp256k1_ctypes
from api_helpers import ApiClient, Receiver, TopicReader, psql, redis_cli, sql_literal, start_api
from conftest import Service, free_port
from test_pipeline import Pipeline, metric_total

SESSION_TIMEOUT_MS = 30000
PURE_PYTHON_SAMPLE = 40  # schnorr_ref needs ~50 ms a signature: all of a few, a sample of hundreds


# ------------------------------------------------------------------ fixtures ---

@pytest.fixture(scope="module")
def secp():
    try:
        return secp256k1_ctypes.load()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="module")
def pipe(build_dir, stack_env, migrated, tmp_path_factory):
    for k, v in stack_env.items():
        os.environ.setdefault(k, v)  # mpc-api --create-api-key reads MPC_PG_DSN from the environment
    p = Pipeline(build_dir, stack_env, str(tmp_path_factory.mktemp("e2e")), nodes=5,
                 extra_env={"MPC_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS)},
                 key_id="it-e2e-" + uuid.uuid4().hex[:12])
    yield p
    p.stop()


@pytest.fixture(scope="module")
def key23(pipe):
    """A 2-of-3 FROST/BIP-340 key (nodes 1..3 of the five)."""
    key = pipe.keygen("frost-bip340", t=2, n=3)
    assert key["participants"] == [1, 2, 3], key
    return key


@pytest.fixture(scope="module")
def api(build_dir, pipe):
    """mpc-api (fast webhook retries: api_helpers.FAST_WEBHOOKS, 4 attempts)
    with the Pipeline's API client."""
    svc = start_api(build_dir)
    client = ApiClient(svc.url(""), pipe.key_id, pipe.secret)
    client.service = svc
    yield client
    svc.stop()


@pytest.fixture
def dlq(stack_env):
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.dlq")
    yield reader
    reader.close()


# ------------------------------------------------------------------- helpers ---

def decode_or_none(value):
    try:
        return mpc_records.decode(value)
    except (AssertionError, KeyError, ValueError, EOFError, IndexError):
        return None, None  # not one of our records (other tests write garbage to every topic)


class Tail:
    """Reads a topic from its end at creation; drain() returns everything
    written since, up to the end offsets at the time of the call."""

    def __init__(self, brokers, topic):
        self.consumer = Consumer({"bootstrap.servers": brokers, "group.id": "it-e2e-" + uuid.uuid4().hex,
                                  "enable.auto.commit": False})
        self.topic, self.next = topic, {}
        for p in self.consumer.list_topics(topic, timeout=10).topics[topic].partitions:
            self.next[p] = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        self.consumer.assign([TopicPartition(topic, p, o) for p, o in self.next.items()])

    def drain(self, timeout=60):
        end = {p: self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
               for p in self.next}
        got, deadline = [], time.time() + timeout
        while any(self.next[p] < end[p] for p in end):
            assert time.time() < deadline, f"{self.topic}: not drained within {timeout} s"
            m = self.consumer.poll(0.2)
            if m is None or m.error():
                continue
            self.next[m.partition()] = m.offset() + 1
            got.append(m)
        return got

    def close(self):
        self.consumer.close()


def pump_results(pipe, seconds):
    """Reads mpc.results into pipe.seen for `seconds` (to see results that
    should not exist)."""
    end = time.time() + seconds
    while time.time() < end:
        msg = pipe.results.poll(0.1)
        if msg is None or msg.error():
            continue
        name, rec = decode_or_none(msg.value())
        if name == "Result":
            pipe.seen.setdefault(rec["request_id"], []).append(rec)


def verify(secp, protocol, public_key, message, sig, pure_python=True):
    """Both verifiers (libsecp256k1 always; schnorr_ref when pure_python)."""
    if protocol == "frost-bip340":
        ok = secp.bip340_verify(public_key[1:], message, sig)
        ref = schnorr_ref.bip340_verify(public_key[1:], message, sig) if pure_python else ok
    else:
        ok = secp.frost_verify(public_key, message, sig)
        ref = schnorr_ref.frost_verify(public_key, message, sig) if pure_python else ok
    assert ok == ref, f"libsecp256k1 says {ok}, schnorr_ref says {ref}"
    return ok


def check_signed(secp, protocol, public_key, messages, results, threshold, nodes):
    """Every result succeeded with `threshold` distinct signers among `nodes`,
    its signature verifies (libsecp256k1 for all, schnorr_ref on a sample),
    and no two signatures share a nonce point."""
    sample = set(random.sample(range(len(messages)), min(PURE_PYTHON_SAMPLE, len(messages))))
    r_values = set()
    for i, (msg, res) in enumerate(zip(messages, results)):
        assert res["status"] == "succeeded", res
        parts = res["participants"]
        assert len(parts) == threshold and len(set(parts)) == threshold and set(parts) <= set(nodes), res
        assert verify(secp, protocol, public_key, msg, res["signature"], pure_python=i in sample), res["request_id"]
        r_values.add(bytes(res["signature"][:33 if protocol == "frost" else 32]))
    assert len(r_values) == len(results), "two signatures share a nonce point"
    bad = bytes([messages[0][0] ^ 1]) + messages[0][1:]
    assert not verify(secp, protocol, public_key, bad, results[0]["signature"])


def sign_record(pipe, key_id, message, rid=None):
    rid = rid or "sg-" + uuid.uuid4().hex
    return {"request_id": rid, "batch_id": None, "key_id": key_id,
            "items": [{"request_id": rid, "message": message, "message_type": "hash", "derivation_path": None}],
            "callback_url": None, "client_id": pipe.key_id, "submitted_at": int(time.time() * 1000), "auth": None}


def signed_record(pipe, key_id, message, rid=None):
    return mpc_records.signed("SignRequest", sign_record(pipe, key_id, message, rid), "mpc.sign.requests",
                              pipe.key_id, pipe.secret)


def wait_unhealthy(node_ids, timeout=30):
    """Polls Redis until no health key of these nodes is left, then lets the
    coordinator's health cache (HEALTH_CACHE_MS, 250 ms) expire."""
    deadline = time.time() + timeout
    while any(redis_cli("EXISTS", f"node:health:{n}") != "0" for n in node_ids):
        assert time.time() < deadline, f"nodes {node_ids} still healthy in Redis"
        time.sleep(0.1)
    time.sleep(0.3)  # not observable from outside: the coordinator's cached view of Redis


def wait_healthy(node_ids, timeout=30, min_ttl_ms=0):
    """Polls Redis until every node's health key exists (with at least
    min_ttl_ms left: a fresh heartbeat)."""
    deadline = time.time() + timeout
    while True:
        ttl = {n: int(redis_cli("PTTL", f"node:health:{n}")) for n in node_ids}
        if all(t > min_ttl_ms for t in ttl.values()):
            return
        assert time.time() < deadline, f"nodes not healthy in Redis: {ttl}"
        time.sleep(0.1)


def api_wait(api, path, pred, timeout=60, what=""):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        status, body, _ = api.get(path)
        last = body
        if status == 200 and pred(body["data"]):
            return body["data"]
        time.sleep(0.1)
    raise AssertionError(f"{path}: never {what}: {last}")


# ------------------------------------------------- 1. records carry Auth ---

def test_records_carry_a_valid_auth(pipe, key23, build_dir, secp):
    """The Pipeline's records carry an Auth over the digest the C codec
    computes from the received bytes (mpc_codec_auth_digest), and sign."""
    msg = os.urandom(32)
    items, rec = pipe.sign(key23["key_id"], [msg])
    auth = rec["auth"]
    assert auth is not None and auth["key_id"] == pipe.key_id and rec["client_id"] == pipe.key_id
    assert len(auth["signature"]) == 32 and 8 <= len(auth["nonce"]) <= 128
    assert abs(auth["timestamp"] - time.time() * 1000) < 60000
    wire = mpc_records.encode("SignRequest", rec)
    path = os.path.join(pipe.tmp, "signed-record.bin")
    with open(path, "wb") as f:
        f.write(wire)
    out = subprocess.run([f"{build_dir}/tests/codec/mpc_codec_tool", "auth-digest", path], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    digest = mpc_records.auth_digest("SignRequest", rec)
    assert out.stdout.strip() == digest.hex(), "the C codec digests the received record differently"
    sts = f"KAFKA\nmpc.sign.requests\n{auth['timestamp']}\n{auth['nonce']}\n{digest.hex()}".encode()
    assert hmac.compare_digest(auth["signature"], hmac.new(pipe.secret.encode(), sts, hashlib.sha256).digest())
    # Signed with another secret, or over another body, the MAC differs.
    other = mpc_records.signed("SignRequest", rec, "mpc.sign.requests", pipe.key_id, "0" * 64,
                               timestamp_ms=auth["timestamp"], nonce=auth["nonce"])
    assert other["auth"]["signature"] != auth["signature"]
    res = pipe.wait_results([items[0]["request_id"]])[items[0]["request_id"]]
    assert res["status"] == "succeeded", res
    assert verify(secp, "frost-bip340", key23["public_key"], msg, res["signature"])


def without_auth(pipe, rec):
    return dict(rec, auth=None)


def with_wrong_hmac(pipe, rec):
    good = mpc_records.signed("SignRequest", rec, "mpc.sign.requests", pipe.key_id, pipe.secret)
    return dict(good, auth=dict(good["auth"], signature=hmac.new(b"not the secret", b"x", hashlib.sha256).digest()))


def changed_after_signing(pipe, rec):
    good = mpc_records.signed("SignRequest", rec, "mpc.sign.requests", pipe.key_id, pipe.secret)
    item = dict(good["items"][0], message=hashlib.sha256(b"another withdrawal").digest())
    return dict(good, items=[item])


@pytest.mark.parametrize("forge", [without_auth, with_wrong_hmac, changed_after_signing],
                         ids=["no_auth", "wrong_hmac", "changed_after_signing"])
def test_record_without_valid_auth_is_refused(pipe, key23, dlq, forge):
    """Ends as a failed Result with UNAUTHENTICATED, or as a dead letter with
    reason_code unauthenticated; never signed."""
    rid = "unauth-" + uuid.uuid4().hex
    rec = forge(pipe, sign_record(pipe, key23["key_id"], os.urandom(32), rid))
    value = mpc_records.encode("SignRequest", rec)
    pipe.produce("mpc.sign.requests", rid, value)
    deadline, outcome = time.time() + 30, None
    while outcome is None and time.time() < deadline:
        pump_results(pipe, 0.2)
        if pipe.seen.get(rid):
            outcome = ("result", pipe.seen[rid][0])
        m = dlq.consumer.poll(0.1)
        if m is not None and not m.error() and m.key() == rid.encode():
            name, dead = decode_or_none(m.value())
            if name == "DeadLetter" and dead["original_value"] == value:
                outcome = ("dead_letter", dead)
    assert outcome is not None, "neither a result nor a dead letter"
    kind, rec_out = outcome
    if kind == "result":
        assert rec_out["status"] == "failed" and rec_out["error_code"] == "UNAUTHENTICATED", rec_out
        assert rec_out["signature"] is None
    else:
        assert rec_out["reason_code"] == "unauthenticated" and rec_out["original_topic"] == "mpc.sign.requests"
        pump_results(pipe, 1.0)
        assert not any(r["status"] == "succeeded" for r in pipe.seen.get(rid, [])), "dead-lettered and signed"
        # docs/decisions.md 12: a refused record is not stored (a forger must not pre-empt the id).
        assert psql(f"SELECT count(*) FROM requests WHERE request_id = {sql_literal(rid)}") == [["0"]]


def test_child_key_derivation_is_refused_not_signed_with_the_root_key(pipe, key23):
    """A record straight on Kafka asking for a child key (derivation_path
    m/0/7) fails with DERIVATION_NOT_SUPPORTED: a root-key signature would not
    verify under the child key. "m" (the key itself) still signs."""
    child, root = "deriv-" + uuid.uuid4().hex, "deriv-m-" + uuid.uuid4().hex
    for rid, path in ((child, "m/0/7"), (root, "m")):
        rec = sign_record(pipe, key23["key_id"], os.urandom(32), rid)
        rec["items"][0]["derivation_path"] = path
        pipe.produce("mpc.sign.requests", rid,
                     mpc_records.encode("SignRequest", mpc_records.signed("SignRequest", rec, "mpc.sign.requests",
                                                                          pipe.key_id, pipe.secret)))
    results = pipe.wait_results([child, root], timeout=60)
    assert results[child]["status"] == "failed" and results[child]["error_code"] == "DERIVATION_NOT_SUPPORTED", \
        results[child]
    assert results[child]["signature"] is None
    assert results[root]["status"] == "succeeded", results[root]


# ------------------------------------------------------------- 2. 3-of-5 ---

@pytest.mark.parametrize("protocol", ["frost", "frost-bip340"])
def test_3_of_5_keys_sign_with_any_three(pipe, secp, protocol):
    key = pipe.keygen(protocol, t=3, n=5)
    pk = key["public_key"]
    assert len(pk) == 33 and pk[0] in (2, 3) and key["participants"] == [1, 2, 3, 4, 5], key
    messages = [os.urandom(32) for _ in range(30)]
    items, _ = pipe.sign(key["key_id"], messages)
    results = pipe.wait_results([i["request_id"] for i in items], timeout=120)
    check_signed(secp, protocol, pk, messages, [results[i["request_id"]] for i in items], 3, range(1, 6))
    for item in items:  # this small batch: every signature by both verifiers
        assert verify(secp, protocol, pk, item["message"], results[item["request_id"]]["signature"])
    raw = [b"withdraw 0.25 BTC to bc1p" + os.urandom(20).hex().encode()]
    raw_items, _ = pipe.sign(key["key_id"], raw, message_type="raw")
    res = pipe.wait_results([raw_items[0]["request_id"]])[raw_items[0]["request_id"]]
    assert res["status"] == "succeeded" and verify(secp, protocol, pk, raw[0], res["signature"]), res

    # Nodes 1 and 2 stopped: the other three sign.
    for n in (1, 2):
        pipe.participants[n].stop()  # SIGTERM: its "stopping" heartbeat drops it from Redis
    try:
        wait_unhealthy((1, 2))
        messages = [os.urandom(32) for _ in range(5)]
        items, _ = pipe.sign(key["key_id"], messages)
        results = pipe.wait_results([i["request_id"] for i in items], timeout=60)
        check_signed(secp, protocol, pk, messages, [results[i["request_id"]] for i in items], 3, (3, 4, 5))
    finally:
        for n in (1, 2):
            pipe.restart_participant(n)
        wait_healthy((1, 2))


# ----------------------------------------------- 3. 1,000 in two batches ---

def test_1000_signatures_in_two_batches(pipe, secp, key23):
    """Two batches of 500, in flight together, for one 2-of-3 key."""
    batches = []
    for _ in range(2):
        messages = [os.urandom(32) for _ in range(500)]
        items, rec = pipe.sign(key23["key_id"], messages)
        batches.append((messages, items, rec["batch_id"]))
    ids = [i["request_id"] for _, items, _ in batches for i in items]
    results = pipe.wait_results(ids, timeout=180)
    messages = [m for msgs, _, _ in batches for m in msgs]
    check_signed(secp, "frost-bip340", key23["public_key"], messages, [results[i] for i in ids], 2, (1, 2, 3))
    for _, items, batch_id in batches:
        sessions = {results[i["request_id"]]["session_id"] for i in items}
        assert len(sessions) == 1, "a batch is one session"
        assert all(results[i["request_id"]]["batch_id"] == batch_id for i in items)
    assert len({results[i]["session_id"] for i in ids}) == 2
    assert all(len(pipe.seen[i]) == 1 for i in ids), "a request got more than one result"


# ---------------------------------------- 4. an outside client, 500 records ---

def test_outside_client_500_separate_records(pipe, secp, key23, stack_env):
    """An exchange with fastavro and confluent-kafka: 500 SignRequest records
    of one item each, each with its Auth, produced in one go; then mpc.results
    until every one has its result: exactly one, succeeded, verified."""
    brokers = stack_env["MPC_KAFKA_BROKERS"]
    results_reader = TopicReader(brokers, "mpc.results")  # from the current end, before producing
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all"})
    messages = {}
    for _ in range(500):
        rid = "wd-" + uuid.uuid4().hex
        messages[rid] = os.urandom(32)
        rec = signed_record(pipe, key23["key_id"], messages[rid], rid)
        producer.produce("mpc.sign.requests", key=rid.encode(), value=mpc_records.encode("SignRequest", rec))
    assert producer.flush(30) == 0
    got = {}
    deadline = time.time() + 180
    try:
        while time.time() < deadline and len(got) < len(messages):
            m = results_reader.consumer.poll(0.2)
            if m is None or m.error():
                continue
            name, rec = decode_or_none(m.value())
            if name == "Result" and rec["request_id"] in messages:
                got.setdefault(rec["request_id"], []).append(rec)
        missing = set(messages) - set(got)
        assert not missing, f"{len(missing)} requests without a result after 180 s"
        # Keep listening a moment: a second result for any id would show here.
        end = time.time() + 2
        while time.time() < end:
            m = results_reader.consumer.poll(0.1)
            if m is not None and not m.error():
                name, rec = decode_or_none(m.value())
                if name == "Result" and rec["request_id"] in messages:
                    got[rec["request_id"]].append(rec)
    finally:
        results_reader.close()
    dup = [rid for rid, rs in got.items() if len(rs) != 1]
    assert not dup, f"{len(dup)} requests with more than one result, e.g. {got[dup[0]]}"
    ids = list(messages)
    check_signed(secp, "frost-bip340", key23["public_key"], [messages[i] for i in ids], [got[i][0] for i in ids], 2,
                 (1, 2, 3))
    assert all(got[i][0]["batch_id"] is None for i in ids)


# ---------------------------------------------------------- 5. cancel ---

def is_cancelled(status, code):
    """docs: a cancelled request is status `cancelled`, or `failed` with
    error code CANCELLED (what the coordinator writes today)."""
    return status == "cancelled" or (status == "failed" and code == "CANCELLED")


def test_cancel_through_the_api(pipe, api, key23, stack_env, secp):
    """A 500-item batch whose session stalls (one of its two signers is
    SIGSTOPped) is cancelled with POST /sessions/{id}/cancel: the session and
    every request end cancelled, a Result is published for each, and nothing
    is signed for them afterwards, also once the stopped node runs again."""
    victim = 1  # the coordinator takes the first live participants of the key: nodes 1 and 2
    wait_healthy((1, 2, 3))
    wait_healthy((victim,), min_ttl_ms=8000)  # a fresh heartbeat: it counts as live for ~8 s more once stopped
    rounds = Tail(stack_env["MPC_KAFKA_BROKERS"], "mpc.rounds")
    batch_id = "cancel-" + uuid.uuid4().hex
    items = [{"request_id": f"{batch_id}-{i}", "message": os.urandom(32).hex(), "message_type": "hash"}
             for i in range(500)]
    ids = [i["request_id"] for i in items]
    proc = pipe.participants[victim].proc
    proc.send_signal(signal.SIGSTOP)
    try:
        status, body, _ = api.post("/api/v1/sign/batch", {"key_id": key23["key_id"], "batch_id": batch_id,
                                                          "items": items})
        assert status == 202, body
        req = api_wait(api, f"/api/v1/requests/{ids[0]}", lambda d: d["status"] == "running" and d["session_id"],
                       what="running")
        sid = req["session_id"]
        session = api.get(f"/api/v1/sessions/{sid}")[1]["data"]
        assert victim in session["participating_nodes"], f"the session does not wait for node {victim}: {session}"
        assert session["status"] == "running", session
        status, body, _ = api.post(f"/api/v1/sessions/{sid}/cancel", {})
        assert status == 202 and body["data"] == {"session_id": sid, "status": "cancel_requested"}, body

        results = pipe.wait_results(ids, timeout=30)
        for rid in ids:
            res = results[rid]
            assert is_cancelled(res["status"], res["error_code"]), res
            assert res["signature"] is None and res["batch_id"] == batch_id, res
        session = api_wait(api, f"/api/v1/sessions/{sid}", lambda d: d["status"] != "cancel_requested",
                           what="concluded")
        assert is_cancelled(session["status"], session["error_code"]), session
        for rid in (ids[0], ids[-1]):
            d = api.get(f"/api/v1/requests/{rid}")[1]["data"]
            assert is_cancelled(d["status"], (d["error"] or {}).get("code")) and d["result"] is None, d
        rows = psql("SELECT status, coalesce(error_code, ''), count(*) FROM requests"
                    f" WHERE batch_id = {sql_literal(batch_id)} GROUP BY 1, 2")
        assert len(rows) == 1 and is_cancelled(rows[0][0], rows[0][1]) and rows[0][2] == "500", rows
    finally:
        proc.send_signal(signal.SIGCONT)

    # The stopped node runs again and catches up on the cancelled session.
    # Once it has signed something new, nothing more happened for the old one.
    wait_healthy((victim,), min_ttl_ms=8000)
    items2, _ = pipe.sign(key23["key_id"], [os.urandom(32)])
    after = pipe.wait_results([items2[0]["request_id"]], timeout=60)[items2[0]["request_id"]]
    assert after["status"] == "succeeded" and victim in after["participants"], after
    pump_results(pipe, 2.0)
    assert all(len(pipe.seen[rid]) == 1 for rid in ids), "a cancelled request got a second result"
    rows = psql(f"SELECT status, count(*) FROM requests WHERE batch_id = {sql_literal(batch_id)} GROUP BY 1")
    assert len(rows) == 1 and rows[0][0] != "succeeded", rows
    kinds = []
    for m in rounds.drain():
        name, rec = decode_or_none(m.value())
        if name == "RoundMessage" and rec["session_id"] == sid:
            kinds.append((rec["from"], rec["kind"]))
    rounds.close()
    assert (0, "abort") in kinds, f"the coordinator sent no abort for the cancelled session: {kinds}"
    assert not [k for k in kinds if k[1] == "output"], f"a signer output the cancelled session: {kinds}"
    assert psql(f"SELECT count(*) FROM signing_sessions WHERE request_ids ? {sql_literal(ids[0])}") == [["1"]], \
        "the cancelled requests were run again"


# ---------------------------------------------------------- 6. webhooks ---

def sign_with_callback(api, key, url):
    rid, msg = "wh-" + uuid.uuid4().hex, os.urandom(32)
    status, body, _ = api.post("/api/v1/sign", {"key_id": key["key_id"], "message": msg.hex(), "message_type": "hash",
                                                "request_id": rid, "callback_url": url})
    assert status == 202, body
    return rid, msg


def wait_webhook(api, rid, state, timeout=60):
    """The request's `webhook` once its state is `state`."""
    return api_wait(api, f"/api/v1/requests/{rid}", lambda d: (d["webhook"] or {}).get("state") == state,
                    timeout=timeout, what=f"webhook {state}")["webhook"]


def check_delivery(api, headers, body, rid):
    ts = headers["X-MPC-Timestamp"]
    want = hmac.new(api.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-MPC-Signature"], want), "webhook HMAC does not verify"
    assert abs(int(ts) - time.time() * 1000) < 120000
    assert headers["X-MPC-Request-Id"] == rid and headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def test_webhook_delivered_signed_with_the_signature(pipe, api, key23, secp):
    rx = Receiver([200])
    try:
        rid, msg = sign_with_callback(api, key23, rx.url)
        hook = wait_webhook(api, rid, "delivered")
        assert hook["attempts"] == 1 and hook["last_status"] == 200 and hook["delivered_at"], hook
        assert len(rx.received) == 1
        headers, body = rx.received[0]
        assert headers["X-MPC-Delivery-Attempt"] == "1"
        payload = check_delivery(api, headers, body, rid)
        assert payload["event"] == "request.completed" and payload["request_id"] == rid
        assert payload["kind"] == "sign" and payload["status"] == "succeeded" and payload["error"] is None, payload
        sig = bytes.fromhex(payload["result"]["signature"])
        assert verify(secp, "frost-bip340", key23["public_key"], msg, sig)
        assert payload["result"]["key_id"] == key23["key_id"] and len(payload["result"]["participants"]) == 2
        stored = api.get(f"/api/v1/requests/{rid}")[1]["data"]
        assert stored["status"] == "succeeded" and stored["result"]["signature"] == payload["result"]["signature"]
    finally:
        rx.close()


def test_webhook_retried_after_two_500s(pipe, api, key23):
    rx = Receiver([500, 500, 200])
    try:
        rid, _ = sign_with_callback(api, key23, rx.url)
        hook = wait_webhook(api, rid, "delivered")
        assert hook["attempts"] == 3 and hook["last_status"] == 200, hook
        assert len(rx.received) == 3
        assert [h["X-MPC-Delivery-Attempt"] for h, _ in rx.received] == ["1", "2", "3"]
        assert len({b for _, b in rx.received}) == 1, "the payload changed between attempts"
        for headers, body in rx.received:
            assert check_delivery(api, headers, body, rid)["status"] == "succeeded"
    finally:
        rx.close()


def test_webhook_that_always_fails_ends_dead(pipe, api, key23):
    rx = Receiver([500])
    try:
        rid, _ = sign_with_callback(api, key23, rx.url)
        hook = wait_webhook(api, rid, "dead")
        assert hook["attempts"] == 4 and hook["last_status"] == 500 and not hook["delivered_at"], hook  # 4 attempts
        assert len(rx.received) == 4
        d = api.get(f"/api/v1/requests/{rid}")[1]["data"]
        assert d["status"] == "succeeded" and d["result"]["signature"], d  # the signature itself is unaffected
    finally:
        rx.close()


# ------------------------------------- 7. two coordinators, one group ---

class GroupService(Service):
    """conftest's Service, in a given Kafka consumer group (Service gives
    every process a group of its own)."""

    def __init__(self, build_dir, name, env, group_id):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join("/tmp", f"mpc-it-{name}-{self.port}.log")
        self.log = open(self.log_path, "w+")
        full_env = {**os.environ, **env, "MPC_HTTP_PORT": str(self.port), "MPC_KAFKA_GROUP_ID": group_id}
        self.proc = subprocess.Popen([f"{build_dir}/services/{name}/mpc-{name}"], env=full_env,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)


class CoordinatorGroup:
    """The Pipeline's coordinator plus others in its consumer group, with the
    same identity key; each extra one has a known MPC_INSTANCE (its Kafka
    client id is "mpc-coordinator-<instance>")."""

    def __init__(self, pipe, build_dir, stack_env):
        self.pipe, self.build_dir = pipe, build_dir
        self.brokers = stack_env["MPC_KAFKA_BROKERS"]
        self.nparts = int(stack_env.get("MPC_TOPIC_PARTITIONS", "6"))
        if not hasattr(pipe, "coordinator_group"):  # conftest.Service's group for the Pipeline's own
            pipe.coordinator_group = f"it-coordinator-{pipe.coordinator.port}"
        self.group = pipe.coordinator_group
        self.instances = {}  # Service -> instance, for the ones started here
        self.admin = AdminClient({"bootstrap.servers": self.brokers})
        self.producer = Producer({"bootstrap.servers": self.brokers, "enable.idempotence": True})

    def start(self):
        instance = "it-coordinator-" + uuid.uuid4().hex[:8]
        svc = GroupService(self.build_dir, "coordinator", {
            **self.pipe.env, "MPC_INSTANCE": instance,
            "MPC_IDENTITY_KEY_FILE": f"{self.pipe.keys}/node-0/identity.key"}, self.group)
        self.instances[svc] = instance
        svc.wait_http("/health/ready", 200)
        return svc

    def members(self):
        """{client id: {(topic, partition)}} as the broker has assigned them."""
        desc = self.admin.describe_consumer_groups([self.group])[self.group].result()
        return {m.client_id: {(tp.topic, tp.partition) for tp in m.assignment.topic_partitions}
                for m in desc.members}

    def settle(self, live, timeout=60):
        """Waits until exactly the `live` services hold every partition
        (the keygen and sign topics) between them, each some; returns
        {service: its partitions}."""
        deadline = time.time() + timeout
        while True:
            members = self.members()
            held = {}
            for svc in live:
                mine = [parts for cid, parts in members.items()
                        if (svc in self.instances and cid.endswith(self.instances[svc])) or
                        (svc not in self.instances and not any(cid.endswith(i) for i in self.instances.values()))]
                held[svc] = mine[0] if len(mine) == 1 else set()
            if len(members) == len(live) and all(held.values()) and sum(map(len, held.values())) == 2 * self.nparts:
                return held
            assert time.time() < deadline, f"group never settled: {members}"
            time.sleep(0.2)

    def produce(self, count, partitions, key_id):
        """count single-item sign requests, each with its Auth, request i on
        partitions[i % len]; returns {request id: (message, partition)}."""
        msgs = {}
        for i in range(count):
            rid = "two-co-" + uuid.uuid4().hex
            msgs[rid] = (os.urandom(32), partitions[i % len(partitions)])
            self.producer.produce("mpc.sign.requests", key=rid.encode(), partition=msgs[rid][1],
                                  value=mpc_records.encode("SignRequest",
                                                           signed_record(self.pipe, key_id, msgs[rid][0], rid)))
        assert self.producer.flush(30) == 0
        return msgs

    def stop(self, svc):
        if svc.proc.poll() is None:
            svc.stop()
        elif not svc.log.closed:
            svc.log.close()


def sessions_started(svc):
    """Session ids the coordinator announced (its log)."""
    return [line["session_id"] for line in svc.log_lines() if line.get("msg") == "session started"]


def sign_partitions(held):
    return sorted(p for t, p in held if t == "mpc.sign.requests")


def check_once_each(pipe, secp, key, msgs, timeout):
    """Every request has a succeeded result; all its successful results (also
    re-published ones) carry the same signature, which verifies."""
    ids = list(msgs)
    results = pipe.wait_results(ids, timeout=timeout)
    pump_results(pipe, 2.0)
    for rid in ids:
        ok = {bytes(r["signature"]) for r in pipe.seen[rid] if r["status"] == "succeeded"}
        assert len(ok) == 1, f"{rid}: {len(ok)} different successful signatures: {pipe.seen[rid]}"
    check_signed(secp, "frost-bip340", key["public_key"], [msgs[i][0] for i in ids], [results[i] for i in ids], 2,
                 (1, 2, 3))
    rows = psql("SELECT status, count(*) FROM requests WHERE request_id IN (" +
                ",".join(sql_literal(i) for i in ids) + ") GROUP BY 1")
    assert rows == [["succeeded", str(len(ids))]], rows
    return results


def test_two_coordinators_share_the_work_and_survive_a_kill(pipe, secp, key23, build_dir, stack_env):
    """A second coordinator joins the first one's consumer group (same
    identity key); requests spread over every partition are shared. Then one
    of them is SIGKILLed while the requests of its partitions are in flight:
    the other takes its partitions over (after the group's session timeout)
    and every request ends with exactly one signature (a result may be
    re-published, never a different one)."""
    co = CoordinatorGroup(pipe, build_dir, stack_env)
    first, second = pipe.coordinator, co.start()
    try:
        held = co.settle([first, second])
        wait_healthy((1, 2, 3))
        before = {svc: metric_total(svc, "mpc_results_total") for svc in (first, second)}

        # Phase 1: 60 requests over every partition; both coordinators sign some.
        phase1 = co.produce(60, list(range(co.nparts)), key23["key_id"])
        results = check_once_each(pipe, secp, key23, phase1, timeout=90)
        ran = {svc: {rid for rid in phase1 if results[rid]["session_id"] in set(sessions_started(svc))}
               for svc in (first, second)}
        assert ran[first] and ran[second] and len(ran[first]) + len(ran[second]) == 60, \
            {svc.port: len(r) for svc, r in ran.items()}
        for svc in (first, second):
            assert metric_total(svc, "mpc_results_total") > before[svc], f"{svc.port} published no result"
            assert {phase1[rid][1] for rid in ran[svc]} == set(sign_partitions(held[svc])), "partitions mixed up"

        # Phase 2: 40 requests on the victim's partitions; SIGKILL once it has started sessions for them.
        victim, survivor = second, first
        started = len(sessions_started(victim))
        phase2 = co.produce(40, sign_partitions(held[victim]), key23["key_id"])
        deadline = time.time() + 30
        while len(sessions_started(victim)) == started:
            assert time.time() < deadline, "the victim started nothing"
            time.sleep(0.02)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        pipe.coordinator = survivor
        # The group notices the dead member after its session timeout (librdkafka: 45 s).
        results = check_once_each(pipe, secp, key23, phase2, timeout=150)
        victim_sessions = set(sessions_started(victim))
        assert any(results[rid]["session_id"] not in victim_sessions for rid in phase2), \
            "the survivor took nothing over"
        # Sessions the victim left unfinished are closed when the survivor takes their requests over.
        rows = psql("SELECT status, coalesce(error_code, '') FROM signing_sessions WHERE session_id IN (" +
                    ",".join(sql_literal(s) for s in victim_sessions) + ")")
        abandoned = [r for r in rows if r == ["failed", "ABANDONED"]]
        assert abandoned, f"the kill found no session in flight: the takeover was not exercised ({rows})"
        assert not [r for r in rows if r[0] == "running"], f"a dead coordinator's session is still running: {rows}"
    finally:
        for svc in (first, second):
            if svc is not pipe.coordinator:
                co.stop(svc)


def test_survivor_still_signs_while_the_dead_coordinators_partitions_wait(pipe, secp, key23, build_dir, stack_env):
    """A coordinator dies. Requests the survivor receives 12 s later (beyond
    the 10 s health TTL, well within the 45 s before the group reassigns the
    dead one's partitions) must still be signed: every participant is alive,
    and every coordinator reads every heartbeat (it once depended on which
    coordinator held a node's mpc.nodes partition)."""
    co = CoordinatorGroup(pipe, build_dir, stack_env)
    first, extra = pipe.coordinator, co.start()
    try:
        held = co.settle([first, extra])
        wait_healthy((1, 2, 3))
        victim, survivor = first, extra
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        pipe.coordinator = survivor
        time.sleep(12)  # the scenario: requests arriving 12 s after the crash, not a synchronisation
        probe = co.produce(10, sign_partitions(held[survivor]), key23["key_id"])
        check_once_each(pipe, secp, key23, probe, timeout=60)
    finally:
        for svc in (first, extra):
            if svc is not pipe.coordinator:
                co.stop(svc)
