"""GG18 and GG20 threshold ECDSA through the real stack (Kafka, PostgreSQL,
Redis): keygen and signing driven over Kafka like an exchange would, every
signature checked by libsecp256k1 (ctypes on the system library) and by the
independent pure-Python verifier (ecdsa_ref.py), the recovery id by
recovering the key; the GG20 presignature pool, participants killed during
presigning and online signing, a restarted participant refusing to reuse a
presignature, a cheating participant named and audited.

Paillier keys come from the project's fixture primes (mpc-paillier-fill,
TEST ONLY), so no test waits for safe-prime generation; one test lets a node
generate a fresh key in the background."""
import ctypes
import ctypes.util
import glob
import hashlib
import json
import os
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer

import address_ref
import ecdsa_ref
import mpc_records
import schnorr_ref
from api_helpers import ApiClient, start_api
from conftest import ROOT, Service
from test_pipeline import NODES, Pipeline, metric_total

FIXTURE_PRIMES = os.path.join(ROOT, "tests", "engine", "fixtures", "safe_primes_1024.hex")
POOL_KEYS_PER_NODE = 16  # Paillier keys each node gets from the fixtures (120 distinct moduli in all): one per keygen of a module
PRESIGN_POOL = 6
GG_ENV = {
    "MPC_SESSION_GG_TIMEOUT_MS": "25000",
    "MPC_PRESIGN_POOL_SIZE": str(PRESIGN_POOL), "MPC_PRESIGN_LOW_WATER": "3", "MPC_PRESIGN_BATCH": "3",
    "MPC_PRESIGN_CONCURRENCY": "1", "MPC_PRESIGN_CHECK_INTERVAL_MS": "500",
    "MPC_PAILLIER_POOL_SIZE": str(POOL_KEYS_PER_NODE), "MPC_PAILLIER_REFILL": "false",
}


# ------------------------------------------------------------ libsecp256k1 ---

class Secp256k1:
    """The system libsecp256k1 through ctypes: ECDSA verification (DER) and
    public-key recovery."""

    def __init__(self):
        path = ctypes.util.find_library("secp256k1") or "libsecp256k1.so.1"
        self.lib = ctypes.CDLL(path)
        self.lib.secp256k1_context_create.restype = ctypes.c_void_p
        self.ctx = ctypes.c_void_p(self.lib.secp256k1_context_create(0x0101 | 0x0201))  # VERIFY | SIGN

    def _pub(self, pub33):
        pk = ctypes.create_string_buffer(64)
        assert self.lib.secp256k1_ec_pubkey_parse(self.ctx, pk, pub33, ctypes.c_size_t(len(pub33))) == 1
        return pk

    def verify_der(self, pub33, digest32, der):
        sig = ctypes.create_string_buffer(64)
        if self.lib.secp256k1_ecdsa_signature_parse_der(self.ctx, sig, der, ctypes.c_size_t(len(der))) != 1:
            return False
        return self.lib.secp256k1_ecdsa_verify(self.ctx, sig, digest32, self._pub(pub33)) == 1

    def recover(self, digest32, rs64, recid):
        rsig = ctypes.create_string_buffer(65)
        if self.lib.secp256k1_ecdsa_recoverable_signature_parse_compact(self.ctx, rsig, rs64, recid) != 1:
            return None
        pk = ctypes.create_string_buffer(64)
        if self.lib.secp256k1_ecdsa_recover(self.ctx, pk, rsig, digest32) != 1:
            return None
        out, outlen = ctypes.create_string_buffer(33), ctypes.c_size_t(33)
        assert self.lib.secp256k1_ec_pubkey_serialize(self.ctx, out, ctypes.byref(outlen), pk, 0x0102) == 1
        return out.raw


SECP = Secp256k1()


def check_ecdsa(pub33, digest32, res):
    """Checks a GG Result record: r || s, DER, low-S, recovery id, with both
    verifiers. Returns (r, s)."""
    sig, der, recid = res["signature"], res["signature_der"], res["recovery_id"]
    assert len(sig) == 64 and der is not None and recid in (0, 1, 2, 3), res
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    assert ecdsa_ref.der_parse(der) == (r, s) and ecdsa_ref.der_encode(r, s) == der
    assert ecdsa_ref.is_low_s(s)
    assert SECP.verify_der(pub33, digest32, der), "libsecp256k1 rejects the signature"
    assert ecdsa_ref.verify(pub33, digest32, r, s, require_low_s=True), "ecdsa_ref rejects the signature"
    assert SECP.recover(digest32, sig, recid) == pub33, "libsecp256k1 recovers another key"
    assert ecdsa_ref.recover(digest32, r, s, recid) == pub33, "ecdsa_ref recovers another key"
    assert not SECP.verify_der(pub33, hashlib.sha256(digest32).digest(), der)
    return r, s


# ---------------------------------------------------------------- pipeline ---

class GGPipeline(Pipeline):
    """test_pipeline's Pipeline with GG settings (GG_ENV, then extra_env), an
    auditor, and every node's Paillier pool filled from the fixture primes
    before its first start."""

    def __init__(self, build_dir, stack_env, tmp, extra_env=None):
        self.stack_env = stack_env
        super().__init__(build_dir, stack_env, tmp, extra_env={**GG_ENV, **(extra_env or {})},
                         key_id="it-gg-" + uuid.uuid4().hex[:12])
        self.auditor = Service(build_dir, "auditor", {**stack_env, "MPC_LOG_LEVEL": "info"},
                               args=("-c", os.path.join(ROOT, "config", "auditor.cfg")))
        self.auditor.wait_http("/health/ready", 200)
        print("\nlogs:", self.coordinator.log_path, *(p.log_path for p in self.participants.values()))

    def node_dir(self, i):
        return os.path.join(self.tmp, f"node-{i}")

    def start_participant(self, i):
        pool = os.path.join(self.node_dir(i), "paillier")
        if not os.path.isdir(pool):
            os.makedirs(self.node_dir(i), mode=0o700, exist_ok=True)
            out = subprocess.run([f"{self.build_dir}/services/participant/mpc-paillier-fill", "--dir", pool,
                                  "--master-key", f"{self.keys}/node-{i}/master.key", "--node", str(i),
                                  "--primes", FIXTURE_PRIMES, "--first", str((i - 1) * POOL_KEYS_PER_NODE),
                                  "--count", str(POOL_KEYS_PER_NODE)], capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
        return super().start_participant(i)

    def sql(self, query):
        out = subprocess.run(["psql", self.stack_env["MPC_PG_DSN"], "-v", "ON_ERROR_STOP=1", "-qtAc", query],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return [line.split("|") for line in out.stdout.splitlines() if line]

    def ready_presigs(self, key_id, signers="1,2"):
        return int(self.sql(f"SELECT count(*) FROM presignatures WHERE key_id = '{key_id}'"
                            f" AND signers = '{signers}' AND status = 'ready'")[0][0])

    def wait_pool(self, key_id, want=PRESIGN_POOL, signers="1,2", timeout=120):
        deadline = time.time() + timeout
        while self.ready_presigs(key_id, signers) < want:
            assert time.time() < deadline, f"presignature pool of {key_id} never reached {want}"
            time.sleep(0.5)

    def sign_and_wait(self, key_id, messages, message_type="hash", timeout=120):
        items, _ = self.sign(key_id, messages, message_type=message_type)
        results = self.wait_results([i["request_id"] for i in items], timeout=timeout)
        return items, [results[i["request_id"]] for i in items]

    def stop(self):
        super().stop()
        if self.auditor.proc.poll() is None:
            self.auditor.stop()


@pytest.fixture(scope="module")
def gg(build_dir, stack_env, migrated, tmp_path_factory):
    p = GGPipeline(build_dir, stack_env, str(tmp_path_factory.mktemp("gg-pipeline")))
    yield p
    p.stop()


def ledger_ids(gg, node):
    with open(os.path.join(gg.node_dir(node), "nonce.ledger")) as f:
        return {line.split()[0] for line in f.read().splitlines()[1:] if line}


def presig_files(gg, node):
    return {os.path.basename(p)[:-len(".seal")] for p in glob.glob(os.path.join(gg.node_dir(node), "presig", "*.seal"))}


SIGNED_R = set()  # every r this module saw: a repeated r would be a reused nonce


def record_rs(pk, messages, results, digest=lambda m: m):
    for msg, res in zip(messages, results):
        assert res["status"] == "succeeded", res
        r, _ = check_ecdsa(pk, digest(msg), res)
        assert r not in SIGNED_R, "two signatures share r: a presignature or nonce was used twice"
        SIGNED_R.add(r)


# ------------------------------------------------------------------- tests ---

@pytest.mark.parametrize("protocol", ["gg18", "gg20"])
def test_keygen_and_signing_verify_with_recovery_id(gg, protocol):
    t0 = time.time()
    key = gg.keygen(protocol)
    keygen_s = time.time() - t0
    pk = key["public_key"]
    assert len(pk) == 33 and pk[0] in (2, 3) and key["participants"] == [1, 2, 3]
    row = gg.sql(f"SELECT algorithm, protocol, status, public_key FROM keys WHERE key_id = '{key['key_id']}'")[0]
    assert row == ["ecdsa", protocol, "Active", pk.hex()]
    messages = [os.urandom(32) for _ in range(5)]
    t0 = time.time()
    items, results = gg.sign_and_wait(key["key_id"], messages)
    sign_s = time.time() - t0
    for res in results:
        assert res["status"] == "succeeded", res
        assert len(res["participants"]) == 2 and set(res["participants"]) <= set(NODES)
    record_rs(pk, messages, results)
    # The API view (requests.result) carries the same fields.
    stored = json.loads(gg.sql(f"SELECT result FROM requests WHERE request_id = '{items[0]['request_id']}'")[0][0])
    assert stored["signature"] == results[0]["signature"].hex()
    assert stored["signature_der"] == results[0]["signature_der"].hex()
    assert stored["recovery_id"] == results[0]["recovery_id"]
    assert stored["r"] == results[0]["signature"][:32].hex() and stored["s"] == results[0]["signature"][32:].hex()
    print(f"\n{protocol}: keygen {keygen_s:.2f}s, 5-item batch {sign_s:.2f}s (end to end through Kafka)")


def test_raw_messages_are_hashed_by_the_keys_chain(gg):
    eth = gg.keygen("gg18", chain_type="ethereum")
    msgs = [b"transfer 1.5 ETH to 0x00000000219ab540356cbb839cbe05303d7705fa", b"x"]
    _, results = gg.sign_and_wait(eth["key_id"], msgs, message_type="raw")
    record_rs(eth["public_key"], msgs, results, lambda m: address_ref.digest("ethereum", m))
    btc = gg.keygen("gg20", chain_type="bitcoin")
    _, results = gg.sign_and_wait(btc["key_id"], msgs, message_type="raw")
    record_rs(btc["public_key"], msgs, results, lambda m: hashlib.sha256(m).digest())


def test_gg20_signs_from_the_pool_each_presignature_once(gg):
    key = gg.keygen("gg20")
    pk, key_id = key["public_key"], key["key_id"]
    gg.wait_pool(key_id)
    claimed_before = metric_total(gg.coordinator, "mpc_presign_claimed_total")
    t0 = time.time()
    msgs = [os.urandom(32)]
    items, results = gg.sign_and_wait(key_id, msgs)
    one_s = time.time() - t0
    record_rs(pk, msgs, results)
    msgs = [os.urandom(32) for _ in range(3)]
    items, more = gg.sign_and_wait(key_id, msgs)
    record_rs(pk, msgs, more)
    assert metric_total(gg.coordinator, "mpc_presign_claimed_total") - claimed_before == 4
    used = gg.sql(f"SELECT presig_id, claimed_session, status FROM presignatures WHERE key_id = '{key_id}'"
                  " AND status = 'claimed' ORDER BY claimed_at")
    assert len(used) == 4
    sessions = {res["session_id"] for res in results + more}
    assert {row[1] for row in used} == sessions, "every signature used a pooled presignature"
    for node in (1, 2):  # the signers: marker in the ledger, bytes gone
        ledger, files = ledger_ids(gg, node), presig_files(gg, node)
        for presig_id, _, _ in used:
            assert f"presig:{presig_id}" in ledger and presig_id not in files
        assert metric_total(gg.participants[node], "mpc_presig_consumed_total") >= 4
    # Below the low-water mark (6 - 4 = 2 < 3) the pool is refilled.
    gg.wait_pool(key_id)
    for name in ("mpc_presign_pool_size", "mpc_presign_pool_low_water", "mpc_presign_generated_total",
                 "mpc_presign_sessions_total"):
        assert metric_total(gg.coordinator, name) > 0, name
    assert metric_total(gg.participants[1], "mpc_presig_store_ready") >= PRESIGN_POOL
    print(f"\ngg20 one pooled signature end to end through Kafka: {one_s * 1000:.0f} ms")


def test_sequential_latency(gg):
    """End-to-end latency of single signatures, one after the other (from
    producing the request record to reading its Result): printed for the
    record, not asserted (the machine is shared)."""
    def sample(key, n):
        out = []
        for _ in range(n):
            msg = [os.urandom(32)]
            t0 = time.time()
            _, results = gg.sign_and_wait(key["key_id"], msg)
            out.append((time.time() - t0) * 1000)
            record_rs(key["public_key"], msg, results)
        return sorted(out)
    t0 = time.time()
    k18 = gg.keygen("gg18")
    k20 = gg.keygen("gg20")
    keygen_ms = (time.time() - t0) * 500
    gg18 = sample(k18, 8)
    gg.wait_pool(k20["key_id"])
    gg20 = sample(k20, PRESIGN_POOL - 1)
    print(f"\nlatency ms: keygen {keygen_ms:.0f} (mean of 2); gg18 1-item median {gg18[len(gg18) // 2]:.0f}"
          f" max {gg18[-1]:.0f}; gg20 pooled median {gg20[len(gg20) // 2]:.0f} max {gg20[-1]:.0f}")


def watch_rounds(gg, topics=("mpc.rounds",)):
    """A consumer of mpc.rounds (or of topics) positioned at its end."""
    c = Consumer({"bootstrap.servers": gg.stack_env["MPC_KAFKA_BROKERS"], "group.id": "it-gg-rounds-" + uuid.uuid4().hex,
                  "auto.offset.reset": "latest", "enable.auto.commit": False})
    c.subscribe(list(topics))
    deadline = time.time() + 30
    while {tp.topic for tp in c.assignment()} != set(topics) and time.time() < deadline:
        c.poll(0.2)
    assert {tp.topic for tp in c.assignment()} == set(topics), f"no partitions of {topics} assigned"
    time.sleep(1)  # the "latest" offsets are resolved
    c.poll(0.5)
    return c


def next_round(c, pred, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = mpc_records.poll(c, 0.05)
        if got and got[0] == "RoundMessage" and pred(got[1]):
            return got[1]
    raise AssertionError("no such round message")


def kill(gg, node):
    gg.participants[node].proc.send_signal(signal.SIGKILL)
    gg.participants[node].proc.wait()


def restart_coordinator(gg, extra_env):
    gg.coordinator.stop()
    gg.coordinator = Service(gg.build_dir, "coordinator", {
        **gg.env, "MPC_IDENTITY_KEY_FILE": f"{gg.keys}/node-0/identity.key", **extra_env})
    gg.coordinator.proc_group = "mpc-coordinator-it"
    gg.coordinator.wait_http("/health/ready", 200)


def test_heavy_sessions_wait_for_a_slot_and_all_sign(gg):
    """With session.max_heavy = 1 the coordinator runs one GG18 signing
    session at a time: four requests sent together become four sessions
    that never overlap (the later ones queued, their records uncommitted),
    and every one of them signs."""
    key = gg.keygen("gg18")
    restart_coordinator(gg, {"MPC_SESSION_MAX_HEAVY": "1"})
    try:
        msgs = [os.urandom(32) for _ in range(4)]
        sent = [gg.sign(key["key_id"], [m])[0][0] for m in msgs]
        results = gg.wait_results([i["request_id"] for i in sent], timeout=180)
        record_rs(key["public_key"], msgs, [results[i["request_id"]] for i in sent])
        ids = ",".join(f"'{i['request_id']}'" for i in sent)
        rows = gg.sql("SELECT extract(epoch FROM created_at), extract(epoch FROM completed_at) FROM signing_sessions"
                      f" WHERE request_ids ?| array[{ids}] ORDER BY created_at")
        spans = [(float(a), float(b)) for a, b in rows]
        assert len(spans) == 4, rows
        for (_, prev_end), (next_start, _) in zip(spans, spans[1:]):
            assert next_start >= prev_end, f"two GG18 sessions ran at once: {spans}"
        assert metric_total(gg.coordinator, "mpc_sessions_queued_total") >= 1
    finally:
        restart_coordinator(gg, {})


def test_redeliveries_are_counted_and_logged_and_inline_presigning_counted_once(gg):
    """With one heavy slot, no queue (session.max_queued = 0) and no pool,
    gg20 requests sent together presign inline one at a time: a record that
    finds the slot taken goes back to Kafka and comes round again (every few
    tens of milliseconds) until it frees. Each redelivery is counted and
    logged (at most every 10 s); mpc_presign_inline_total and the
    "presigning inline" line count announced sessions, not redeliveries."""
    restart_coordinator(gg, {"MPC_SESSION_MAX_HEAVY": "1", "MPC_SESSION_MAX_QUEUED": "0",
                             "MPC_PRESIGN_POOL_SIZE": "0"})
    try:
        key = gg.keygen("gg20")  # made by this coordinator: no pool is ever filled for it
        msgs = [os.urandom(32) for _ in range(3)]
        sent = [gg.sign(key["key_id"], [m])[0][0] for m in msgs]
        results = gg.wait_results([i["request_id"] for i in sent], timeout=180)
        record_rs(key["public_key"], msgs, [results[i["request_id"]] for i in sent])
        ids = ",".join(f"'{i['request_id']}'" for i in sent)
        sessions = int(gg.sql(f"SELECT count(*) FROM signing_sessions WHERE request_ids ?| array[{ids}]")[0][0])
        assert sessions >= 3
        logs = gg.coordinator.log_lines()
        inline = [line for line in logs if line.get("msg", "").endswith("presigning inline")]
        counted = metric_total(gg.coordinator, "mpc_presign_inline_total")
        assert counted == sessions == len(inline), f"{sessions} sessions, inline counted {counted}, logged {len(inline)}"
        redelivered = metric_total(gg.coordinator, "mpc_requests_redelivered_total")
        assert redelivered >= 1, "no record found the heavy slot taken"
        full = [line for line in logs if line.get("msg", "").startswith("heavy-session queue full")]
        assert full and full[0]["redelivered"] >= 1 and full[0]["max_queued"] == 0, full
        assert sum(line["redelivered"] for line in full) <= redelivered
        print(f"\n{sessions} inline sessions, {redelivered:.0f} redeliveries, {len(full)} log line(s)")
    finally:
        restart_coordinator(gg, {})


def test_participant_killed_while_presigning_loses_no_request(gg):
    key = gg.keygen("gg20")
    retries = metric_total(gg.coordinator, "mpc_session_retries_total")
    c = watch_rounds(gg)
    msgs = [os.urandom(32) for _ in range(PRESIGN_POOL + 2)]  # more than a pool holds: presigned inline
    items, _ = gg.sign(key["key_id"], msgs)
    rec = next_round(c, lambda r: r["kind"] == "protocol" and r["protocol"] == "gg20" and r["round"] == 2
                     and r["session_id"].startswith("s-") and r["from"] in NODES)
    c.close()
    victim = rec["from"]
    kill(gg, victim)
    results = gg.wait_results([i["request_id"] for i in items], timeout=180)
    results = [results[i["request_id"]] for i in items]
    record_rs(key["public_key"], msgs, results)
    assert all(victim not in r["participants"] for r in results)
    assert metric_total(gg.coordinator, "mpc_session_retries_total") > retries
    gg.restart_participant(victim)


def test_killed_during_online_signing_and_restarted_never_reuses_a_presignature(gg):
    key = gg.keygen("gg20")
    key_id, pk = key["key_id"], key["public_key"]
    gg.wait_pool(key_id)
    c = watch_rounds(gg)
    msgs = [os.urandom(32)]
    items, _ = gg.sign(key_id, msgs)
    # Node 1's online share is out: its presignature is consumed. Kill it now.
    rec = next_round(c, lambda r: r["kind"] == "protocol" and r["protocol"] == "gg20" and r["from"] == 1
                     and r["session_id"].startswith("s-"))
    c.close()
    kill(gg, 1)
    session = rec["session_id"]
    res = gg.wait_results([items[0]["request_id"]], timeout=180)[items[0]["request_id"]]
    record_rs(pk, msgs, [res])
    used = [row[0] for row in gg.sql(f"SELECT presig_id FROM presignatures WHERE claimed_session = '{session}'")]
    assert len(used) == 1
    assert f"presig:{used[0]}" in ledger_ids(gg, 1) and used[0] not in presig_files(gg, 1)

    # A crash between the ledger marker and the deletion of the bytes: the
    # marker of another (still stored) presignature is written while the node
    # is down; the restarted node deletes those bytes.
    newest = gg.sql(f"SELECT presig_id FROM presignatures WHERE key_id = '{key_id}' AND signers = '1,2'"
                    " AND status = 'ready' ORDER BY created_at DESC, presig_id DESC LIMIT 1")[0][0]
    assert newest in presig_files(gg, 1)
    marker = f"presig:{newest}"
    with open(os.path.join(gg.node_dir(1), "nonce.ledger"), "a") as f:
        f.write(f"{marker} {hashlib.sha256(marker.encode()).hexdigest()[:8]}\n")
    gg.restart_participant(1)
    assert newest not in presig_files(gg, 1)
    assert not {i[len("presig:"):] for i in ledger_ids(gg, 1) if i.startswith("presig:")} & presig_files(gg, 1)
    # A coordinator that hands the same presignature out again (a bug, a
    # restored database) must be refused by the signers themselves.
    gg.sql(f"UPDATE presignatures SET status = 'ready', claimed_session = NULL WHERE presig_id = '{used[0]}'")
    msgs = [os.urandom(32)]
    deadline = time.time() + 30
    while gg.sql(f"SELECT status FROM presignatures WHERE presig_id = '{used[0]}'")[0][0] == "ready":
        assert time.time() < deadline, "the coordinator never claimed the reset presignature"
        items, _ = gg.sign(key_id, msgs)
        res = gg.wait_results([items[0]["request_id"]], timeout=180)[items[0]["request_id"]]
    record_rs(pk, msgs, [res])
    refused = [line for line in gg.participants[1].log_lines()
               if line.get("msg") == "presignature refused" and line.get("presig_id") == used[0]]
    assert refused and refused[0]["reason"] == "used", "the restarted node did not refuse the used presignature"
    again = gg.sql(f"SELECT claimed_session FROM presignatures WHERE presig_id = '{used[0]}'")[0][0]
    assert res["session_id"] != again, "the request was signed with the reused presignature"
    code = gg.sql(f"SELECT error_code FROM signing_sessions WHERE session_id = '{again}'")[0][0]
    assert code == "PROTOCOL_ABORT"


def test_rest_api_gg20_ethereum_key_sign_verify(gg, build_dir):
    """Through mpc-api: POST /keys (gg20, ethereum), POST /sign of a raw
    message, GET /requests/{id} with r, s, DER and the recovery id, the
    key's EIP-55 address, and POST /verify with the chain's digest."""
    api = start_api(build_dir)
    client = ApiClient(api.url(""), gg.key_id, gg.secret)

    def wait_request(rid):
        deadline = time.time() + 120
        while True:
            st, body, _ = client.get(f"/api/v1/requests/{rid}")
            assert st == 200, body
            if body["data"]["status"] in ("succeeded", "failed"):
                return body["data"]
            assert time.time() < deadline, body
            time.sleep(0.3)
    try:
        st, body, _ = client.post("/api/v1/keys", {"protocol": "gg20", "curve": "secp256k1", "threshold": 2,
                                                   "total_nodes": 3, "chain_type": "ethereum"})
        assert st == 202, body
        key = wait_request(body["data"]["request_id"])
        assert key["status"] == "succeeded", key
        pk = bytes.fromhex(key["result"]["public_key"])
        st, body, _ = client.get(f"/api/v1/keys/{key['result']['key_id']}")
        assert st == 200 and body["data"]["protocol"] == "gg20" and body["data"]["algorithm"] == "ecdsa"
        assert body["data"]["address"] == address_ref.address("ethereum", "gg20", pk)
        msg = b"\x19Ethereum Signed Message:\n5hello"
        st, body, _ = client.post("/api/v1/sign", {"key_id": key["result"]["key_id"], "message": msg.hex(),
                                                   "message_type": "raw"})
        assert st == 202, body
        done = wait_request(body["data"]["request_id"])
        assert done["status"] == "succeeded", done
        res = done["result"]
        assert res["r"] + res["s"] == res["signature"] and res["recovery_id"] in (0, 1, 2, 3)
        record_rs(pk, [msg], [{"status": "succeeded", "signature": bytes.fromhex(res["signature"]),
                               "signature_der": bytes.fromhex(res["signature_der"]),
                               "recovery_id": res["recovery_id"]}], lambda m: address_ref.digest("ethereum", m))
        verify = {"protocol": "gg20", "public_key": pk.hex(), "message": msg.hex(), "message_type": "raw",
                  "signature": res["signature_der"], "chain_type": "ethereum"}
        st, body, _ = client.post("/api/v1/verify", verify)
        assert st == 200 and body["data"]["valid"] is True, body
        st, body, _ = client.post("/api/v1/verify", {k: v for k, v in verify.items() if k != "chain_type"})
        assert st == 200 and body["data"]["valid"] is False, body  # SHA-256 is not Ethereum's digest
        st, body, _ = client.post("/api/v1/verify", dict(verify, chain_type="dogecoin"))
        assert st == 400 and body["error"]["code"] == "UNKNOWN_CHAIN", body
    finally:
        api.stop()


# ------------------------------------------------------- a cheating node ---

def avro_long(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def avro_str(s):
    b = s.encode()
    return avro_long(len(b)) + b


def round_digest(m):
    """mpc_codec_round_message_digest (docs/messages.md)."""
    header = b"".join([avro_str("mpc.v1.RoundMessage.header"), avro_str(m["session_id"]), avro_str(m["protocol"]),
                       avro_long(m["round"]), avro_long(m["from"]), avro_long(m["to"]), avro_long(m["seq"]),
                       avro_str(m["kind"]), bytes([m["encrypted"]]), avro_long(m["sent_at"])])
    return hashlib.sha256(header + avro_long(len(m["payload"])) + m["payload"]).digest()


def bip340_sign(seckey, msg32):
    N, G = schnorr_ref.N, schnorr_ref.G
    d0 = int.from_bytes(seckey, "big")
    P = schnorr_ref.point_mul(G, d0)
    d = d0 if P[1] % 2 == 0 else N - d0
    aux = os.urandom(32)
    t = (d ^ int.from_bytes(schnorr_ref.tagged_hash("BIP0340/aux", aux), "big")).to_bytes(32, "big")
    px = P[0].to_bytes(32, "big")
    k0 = int.from_bytes(schnorr_ref.tagged_hash("BIP0340/nonce", t + px + msg32), "big") % N
    R = schnorr_ref.point_mul(G, k0)
    k = k0 if R[1] % 2 == 0 else N - k0
    rx = R[0].to_bytes(32, "big")
    e = int.from_bytes(schnorr_ref.tagged_hash("BIP0340/challenge", rx + px + msg32), "big") % N
    sig = rx + ((k + e * d) % N).to_bytes(32, "big")
    assert schnorr_ref.bip340_verify(px, msg32, sig)
    return sig


def test_cheating_participant_is_named_and_audited(gg):
    """Node 2 (its identity key, so the message is provably its own) puts a
    corrupt protocol message into a GG18 signing session: the honest signer
    aborts naming it, the coordinator retries without it, the request still
    succeeds, and the abort is in the audit log."""
    key = gg.keygen("gg18")
    c = watch_rounds(gg)
    msgs = [os.urandom(32) for _ in range(20)]  # a session long enough to inject into
    items, _ = gg.sign(key["key_id"], msgs)
    start = next_round(c, lambda r: r["kind"] == "session_start" and r["protocol"] == "gg18"
                       and json.loads(r["payload"])["items"][0]["request_id"] == items[0]["request_id"])
    c.close()
    assert 2 in json.loads(start["payload"])["participants"]
    sid = start["session_id"]
    forged = {"session_id": sid, "protocol": "gg18", "round": 77, "from": 2, "to": 0, "seq": 1_000_000,
              "kind": "protocol", "payload": b"\x00\x00\x00\x05corrupt", "encrypted": False,
              "sent_at": int(time.time() * 1000)}
    with open(os.path.join(gg.keys, "node-2", "identity.key")) as f:
        forged["signature"] = bip340_sign(bytes.fromhex(f.read().strip()), round_digest(forged))
    gg.produce("mpc.rounds", sid, mpc_records.encode("RoundMessage", forged))
    results = gg.wait_results([i["request_id"] for i in items], timeout=180)
    results = [results[i["request_id"]] for i in items]
    row = gg.sql(f"SELECT status, error_code, culprit_node FROM signing_sessions WHERE session_id = '{sid}'")[0]
    assert row == ["failed", "PROTOCOL_ABORT", "2"], row
    record_rs(key["public_key"], msgs, results)
    assert all(2 not in r["participants"] for r in results)
    deadline = time.time() + 300  # the auditor may still be working through earlier records
    while True:
        audited = gg.sql("SELECT node_id, details->'record'->'payload_json'->>'code' FROM audit_log WHERE"
                         f" session_id = '{sid}' AND operation = 'abort'"
                         " AND details->'record'->'payload_json'->>'culprit' = '2'")
        if audited or time.time() > deadline:
            break
        time.sleep(0.5)
    assert audited, "the abort naming node 2 is not in the audit log"
    assert audited[0] == ["1", "MALFORMED"], audited


# ------------------------------------------- Paillier keys made in the node ---

def test_participant_generates_fresh_paillier_keys_in_the_background(gg):
    """Every keygen above took its Paillier key from the pool; a node whose
    pool is below its size generates fresh safe primes in the background."""
    for node in NODES:
        assert metric_total(gg.participants[node], "mpc_paillier_pool_misses_total") == 0
    pool = os.path.join(gg.node_dir(3), "paillier")
    ready = len(glob.glob(os.path.join(pool, "*.seal")))
    saved = dict(gg.env)
    gg.env.update({"MPC_PAILLIER_REFILL": "true", "MPC_PAILLIER_POOL_SIZE": str(ready + 1)})
    try:
        gg.participants[3].stop()
        gg.restart_participant(3)
    finally:
        gg.env = saved
    node = gg.participants[3]
    deadline = time.time() + 300
    while metric_total(node, "mpc_paillier_generated_total") < 1:
        assert time.time() < deadline, "no Paillier key generated in the background"
        time.sleep(0.5)
    assert metric_total(node, "mpc_paillier_pool_ready") == ready + 1
    assert metric_total(node, "mpc_paillier_generation_seconds_count") >= 1
    assert len(glob.glob(os.path.join(pool, "*.seal"))) == ready + 1
    # A keygen takes a key from the pool; the thread makes the next one.
    key = gg.keygen("gg18")
    assert len(key["public_key"]) == 33
    assert metric_total(node, "mpc_paillier_consumed_total") == 1
    deadline = time.time() + 300
    while metric_total(node, "mpc_paillier_generated_total") < 2:
        assert time.time() < deadline, "the pool was not refilled"
        time.sleep(0.5)
    node.stop()
    gg.restart_participant(3)
