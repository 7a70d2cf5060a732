"""The signing pipeline through the real stack, driven like an exchange would:
Avro records straight onto Kafka, results read from mpc.results, every
signature checked by an independent verifier (schnorr_ref.py)."""
import os
import secrets
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer

import mpc_records
import schnorr_ref
from api_helpers import create_api_key
from conftest import Service, http_get

NODES = (1, 2, 3)


class Pipeline:
    """A coordinator and `nodes` participants (1..nodes) with their own keys
    and stores. Given an API key id (and secret; made up when absent), it
    creates that API client and writes every request record with an Auth
    made with it (mpc_records.signed), as an outside producer must."""

    def __init__(self, build_dir, stack_env, tmp, extra_env=None, nodes=3, key_id=None, secret=None):
        self.build_dir, self.tmp = build_dir, tmp
        self.nodes = tuple(range(1, nodes + 1))
        self.key_id, self.secret = key_id, None
        if key_id:
            self.secret = secret or secrets.token_hex(32)
            create_api_key(build_dir, key_id, "--key-id", key_id, "--secret", self.secret, "--replace",
                           "--rate-limit", "100000")
        self.keys = os.path.join(tmp, "keys")
        subprocess.run([f"{build_dir}/lib/secure/mpc-keytool", "init-stack", "--dir", self.keys,
                        "--participants", str(nodes)], check=True, capture_output=True)
        self.env = {**stack_env, "MPC_ROSTER_FILE": f"{self.keys}/roster.json",
                    "MPC_SESSION_TIMEOUT_MS": "4000", "MPC_LOG_LEVEL": "info", **(extra_env or {})}
        self.coordinator = Service(build_dir, "coordinator", {
            **self.env, "MPC_IDENTITY_KEY_FILE": f"{self.keys}/node-0/identity.key"})
        self.coordinator.proc_group = "mpc-coordinator-it"
        self.participants = {i: self.start_participant(i) for i in self.nodes}
        self.coordinator.wait_http("/health/ready", 200)
        for p in self.participants.values():
            p.wait_http("/health/ready", 200)
        brokers = stack_env["MPC_KAFKA_BROKERS"]
        self.producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
        self.results = Consumer({"bootstrap.servers": brokers, "group.id": "it-results-" + uuid.uuid4().hex,
                                 "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self.results.subscribe(["mpc.results"])
        self.seen = {}

    def start_participant(self, i):
        node_dir = os.path.join(self.tmp, f"node-{i}")
        os.makedirs(node_dir, mode=0o700, exist_ok=True)
        svc = Service(self.build_dir, "participant", {
            **self.env, "MPC_NODE_ID": str(i),
            "MPC_IDENTITY_KEY_FILE": f"{self.keys}/node-{i}/identity.key",
            "MPC_MASTER_KEY_FILE": f"{self.keys}/node-{i}/master.key",
            "MPC_SHARE_DIR": f"{node_dir}/shares", "MPC_LEDGER_FILE": f"{node_dir}/nonce.ledger"})
        return svc

    def restart_participant(self, i):
        self.participants[i] = self.start_participant(i)
        self.participants[i].wait_http("/health/ready", 200)

    def encode(self, name, topic, rec):
        """rec's single-object encoding, with an Auth when the Pipeline has an API key."""
        if self.key_id:
            rec = mpc_records.signed(name, rec, topic, self.key_id, self.secret)
        return rec, mpc_records.encode(name, rec)

    def produce(self, topic, key, value):
        self.producer.produce(topic, key=key, value=value)
        assert self.producer.flush(10) == 0

    def wait_results(self, ids, timeout=60, at_least=1):
        """Collects the Result records for ids until each has at_least of
        them; returns the latest per id."""
        deadline = time.time() + timeout
        while time.time() < deadline and any(len(self.seen.get(i, [])) < at_least for i in ids):
            msg = self.results.poll(0.2)
            if msg is None or msg.error():
                continue
            try:
                name, rec = mpc_records.decode(msg.value())
            except (AssertionError, KeyError, ValueError, EOFError):
                continue  # not a Result (other tests write garbage to every topic)
            if name == "Result":
                self.seen.setdefault(rec["request_id"], []).append(rec)
        missing = {i for i in ids if len(self.seen.get(i, [])) < at_least}
        assert not missing, f"no result for {sorted(missing)[:5]} (+{max(0, len(missing) - 5)})"
        return {i: self.seen[i][-1] for i in ids}

    def keygen(self, protocol, t=2, n=3, chain_type="bitcoin"):
        rid = "kg-" + uuid.uuid4().hex
        rec = {"request_id": rid, "protocol": protocol, "curve": "secp256k1", "threshold": t, "total_nodes": n,
               "chain_type": chain_type, "participants": [], "metadata": {}, "client_id": self.key_id or "it",
               "submitted_at": int(time.time() * 1000), "auth": None}
        # Heartbeats may not have reached the coordinator yet: retry until the nodes count.
        for _ in range(20):
            self.produce("mpc.keygen.requests", rid, self.encode("KeygenRequest", "mpc.keygen.requests", rec)[1])
            res = self.wait_results([rid])[rid]
            if res["status"] == "succeeded" or res["error_code"] != "NOT_ENOUGH_PARTICIPANTS":
                break
            time.sleep(1)
            rid = rec["request_id"] = "kg-" + uuid.uuid4().hex
        assert res["status"] == "succeeded", res
        return res

    def sign(self, key_id, messages, message_type="hash", batch_id=None):
        items = [{"request_id": "sg-" + uuid.uuid4().hex, "message": m, "message_type": message_type,
                  "derivation_path": None} for m in messages]
        batch_id = batch_id or ("b-" + uuid.uuid4().hex)
        rec = {"request_id": batch_id, "batch_id": batch_id, "key_id": key_id, "items": items,
               "callback_url": None, "client_id": self.key_id or "it", "submitted_at": int(time.time() * 1000),
               "auth": None}
        rec, value = self.encode("SignRequest", "mpc.sign.requests", rec)
        self.produce("mpc.sign.requests", batch_id, value)
        return items, rec

    def stop(self):
        self.results.close()
        for svc in [self.coordinator, *self.participants.values()]:
            if svc.proc.poll() is None:
                svc.stop()


@pytest.fixture(scope="module")
def pipeline(build_dir, stack_env, migrated, tmp_path_factory):
    p = Pipeline(build_dir, stack_env, str(tmp_path_factory.mktemp("pipeline")),
                 key_id="it-pipeline-" + uuid.uuid4().hex[:12])
    yield p
    p.stop()


def check_signature(protocol, public_key, message, sig):
    if protocol == "frost-bip340":
        return schnorr_ref.bip340_verify(public_key[1:], message, sig)
    return schnorr_ref.frost_verify(public_key, message, sig)


@pytest.mark.parametrize("protocol", ["frost", "frost-bip340"])
def test_keygen_then_batch_signatures_verify_independently(pipeline, protocol):
    key = pipeline.keygen(protocol)
    pk = key["public_key"]
    assert len(pk) == 33 and key["participants"] == [1, 2, 3] and key["key_id"].startswith("key_")
    messages = [os.urandom(32) for _ in range(20)]
    items, _ = pipeline.sign(key["key_id"], messages)
    results = pipeline.wait_results([i["request_id"] for i in items])
    for item in items:
        res = results[item["request_id"]]
        assert res["status"] == "succeeded", res
        assert len(res["participants"]) == 2 and set(res["participants"]) <= {1, 2, 3}
        assert check_signature(protocol, pk, item["message"], res["signature"])
        assert not check_signature(protocol, pk, os.urandom(32), res["signature"])
    # raw messages are signed as given (FROST hashes internally).
    raw_items, _ = pipeline.sign(key["key_id"], [b"withdraw 1.5 BTC to bc1q..."], message_type="raw")
    res = pipeline.wait_results([raw_items[0]["request_id"]])[raw_items[0]["request_id"]]
    assert check_signature(protocol, pk, raw_items[0]["message"], res["signature"])


def test_resubmitted_request_returns_first_outcome(pipeline):
    key = pipeline.keygen("frost-bip340")
    items, rec = pipeline.sign(key["key_id"], [os.urandom(32)])
    rid = items[0]["request_id"]
    first = pipeline.wait_results([rid])[rid]
    count = len(pipeline.seen[rid])
    pipeline.produce("mpc.sign.requests", rec["request_id"], mpc_records.encode("SignRequest", rec))
    again = pipeline.wait_results([rid], timeout=30, at_least=count + 1)[rid]
    assert len(pipeline.seen[rid]) == count + 1
    assert again["signature"] == first["signature"] and again["session_id"] == first["session_id"]


def test_unknown_key_fails_with_code(pipeline):
    items, _ = pipeline.sign("key_doesnotexist", [os.urandom(32)])
    res = pipeline.wait_results([items[0]["request_id"]])[items[0]["request_id"]]
    assert res["status"] == "failed" and res["error_code"] == "KEY_NOT_FOUND"


def test_garbage_on_request_topic_is_dead_lettered(pipeline, stack_env):
    dlq = Consumer({"bootstrap.servers": stack_env["MPC_KAFKA_BROKERS"], "group.id": "it-dlq-" + uuid.uuid4().hex,
                    "auto.offset.reset": "earliest"})
    dlq.subscribe(["mpc.dlq"])
    key = "garbage-" + uuid.uuid4().hex
    pipeline.produce("mpc.sign.requests", key, b"\x00not avro at all")
    found = None
    deadline = time.time() + 30
    while found is None and time.time() < deadline:
        msg = dlq.poll(0.5)
        if msg is None or msg.error() or msg.key() != key.encode():
            continue
        name, rec = mpc_records.decode(msg.value())
        if name == "DeadLetter" and rec["original_value"] == b"\x00not avro at all":
            found = rec
    dlq.close()
    assert found is not None, "no dead letter"
    assert found["reason_code"] == "bad_magic" and found["original_topic"] == "mpc.sign.requests"
    assert found["original_value"] == b"\x00not avro at all" and found["rejected_by"] == "coordinator"
    # The coordinator is still working.
    key2 = pipeline.keygen("frost")
    assert key2["status"] == "succeeded"


def test_forged_round_message_is_rejected_and_counted(pipeline):
    before = rejected_total(pipeline.participants[2])
    forged = {"session_id": "s-forged", "protocol": "frost", "round": 1, "from": 1, "to": 0, "seq": 1,
              "kind": "protocol", "payload": b"\x01" * 40, "encrypted": False, "signature": b"\x02" * 64,
              "sent_at": int(time.time() * 1000)}
    pipeline.produce("mpc.rounds", "s-forged", mpc_records.encode("RoundMessage", forged))
    deadline = time.time() + 15
    while rejected_total(pipeline.participants[2]) == before and time.time() < deadline:
        time.sleep(0.2)
    assert rejected_total(pipeline.participants[2]) > before
    assert pipeline.participants[2].proc.poll() is None


def metric_total(svc, name):
    _, text = http_get(svc.url("/metrics"))
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def rejected_total(svc):
    return metric_total(svc, "mpc_rounds_rejected_total")


def test_participant_killed_mid_session_request_still_succeeds(pipeline, stack_env):
    key = pipeline.keygen("frost-bip340")
    retries_before = metric_total(pipeline.coordinator, "mpc_session_retries_total")
    # Watch mpc.rounds so the kill lands mid-session: right after a signer's
    # round-1 message, while it computes round 2 for a 1000-item batch.
    rounds = Consumer({"bootstrap.servers": stack_env["MPC_KAFKA_BROKERS"], "group.id": "it-rounds-" + uuid.uuid4().hex,
                       "auto.offset.reset": "latest", "enable.auto.commit": False})
    rounds.subscribe(["mpc.rounds"])
    deadline = time.time() + 30
    while not rounds.assignment() and time.time() < deadline:
        rounds.poll(0.2)
    assert rounds.assignment(), "no mpc.rounds partitions assigned"
    time.sleep(1)  # the assignment's "latest" offsets are resolved
    rounds.poll(0.5)
    messages = [os.urandom(32) for _ in range(1000)]
    items, _ = pipeline.sign(key["key_id"], messages)
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:
        msg = rounds.poll(0.1)
        if msg is None or msg.error():
            continue
        try:
            name, rec = mpc_records.decode(msg.value())
        except (AssertionError, KeyError, ValueError, EOFError):
            continue
        if name == "RoundMessage" and rec["kind"] == "protocol" and rec["round"] == 1 and rec["from"] in NODES:
            victim = rec["from"]
    rounds.close()
    assert victim is not None, "no signer started the session"
    pipeline.participants[victim].proc.send_signal(signal.SIGKILL)
    pipeline.participants[victim].proc.wait()

    results = pipeline.wait_results([i["request_id"] for i in items], timeout=180)
    for item in items:
        res = results[item["request_id"]]
        assert res["status"] == "succeeded", res
        assert victim not in res["participants"], "signed by the killed node?"
    for item in items[:50]:  # the pure-Python verifier is slow; a sample suffices
        res = results[item["request_id"]]
        assert schnorr_ref.bip340_verify(key["public_key"][1:], item["message"], res["signature"])
    # The first session lost the victim and timed out; the retry left it out.
    assert metric_total(pipeline.coordinator, "mpc_session_retries_total") > retries_before

    # Restarted, it rejoins: with the third node stopped, only the victim and
    # one other can sign.
    pipeline.restart_participant(victim)
    other = [n for n in NODES if n != victim]
    pipeline.participants[other[1]].stop()
    time.sleep(3)  # the stopped node's "stopping" heartbeat and the victim's fresh ones arrive
    items, _ = pipeline.sign(key["key_id"], [os.urandom(32)])
    res = pipeline.wait_results([items[0]["request_id"]])[items[0]["request_id"]]
    assert res["status"] == "succeeded", res
    assert sorted(res["participants"]) == sorted([victim, other[0]])
    pipeline.restart_participant(other[1])
