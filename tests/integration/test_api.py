"""mpc-api against the real stack: authentication (HMAC, clock window, nonce
replay, rate limit), every bad-input case with its status and stable code,
the write path (PostgreSQL row, Avro record on Kafka, idempotency), reads,
verification with independent Python signers, and webhooks (signature,
retry, dead state). The coordinator's part is simulated by writing to
PostgreSQL and producing Result records directly."""
import hashlib
import hmac
import json
import secrets
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import mpc_records
from api_helpers import (ApiClient, Receiver, TopicReader, api, create_api_key, decode_record, encode_record,  # noqa: F401
                         insert_key, psql, redis_cli, sql_literal, start_api)
from schnorr_ref import G, N, bip340_verify, compress, expand_message_xmd, frost_verify, point_mul, tagged_hash

HASH = "ab" * 32


@pytest.fixture(scope="module")
def key_id(api):
    kid = f"key_it_{uuid.uuid4().hex[:12]}"
    insert_key(kid)
    return kid


def sign_body(key_id, **extra):
    return {"key_id": key_id, "message": HASH, "message_type": "hash", **extra}


# ---- authentication ---------------------------------------------------------

def test_authenticated_call_with_query(api):
    status, body, r = api.get("/api/v1/keys", query=[("limit", "5"), ("offset", "0")])
    assert status == 200, body
    assert body["success"] is True and isinstance(body["data"]["keys"], list)
    assert body["meta"]["request_id"] == r.headers["X-Request-Id"]
    assert body["meta"]["timestamp"].endswith("Z")


def test_health_and_metrics_need_no_auth(api):
    r = api.session.get(api.base_url + "/health/ready", timeout=5)
    assert r.status_code == 200
    r = api.session.get(api.base_url + "/metrics", timeout=5)
    assert r.status_code == 200 and "mpc_api_call_seconds" in r.text


def expect_error(result, status, code):
    got_status, body, _ = result
    assert got_status == status, body
    assert body["success"] is False and body["error"]["code"] == code, body
    assert body["error"]["message"] and body["meta"]["request_id"]


def test_missing_auth_headers(api):
    expect_error(api.call("GET", "/api/v1/keys", headers={}), 401, "AUTH_MISSING")


def test_unknown_key(api):
    other = ApiClient(api.base_url, "mpck_doesnotexist", "00" * 32)
    expect_error(other.get("/api/v1/keys"), 401, "AUTH_UNKNOWN_KEY")


def test_wrong_secret(api):
    other = ApiClient(api.base_url, api.key_id, "11" * 32)
    expect_error(other.get("/api/v1/keys"), 401, "AUTH_BAD_SIGNATURE")


def test_body_changed_after_signing(api, key_id):
    body = json.dumps(sign_body(key_id)).encode()
    h = api.headers("POST", "/api/v1/sign", body)
    tampered = body.replace(HASH.encode(), ("cd" * 32).encode())
    expect_error(api.call("POST", "/api/v1/sign", raw=tampered, headers=h), 401, "AUTH_BAD_SIGNATURE")


def test_query_is_signed(api):
    h = api.headers("GET", "/api/v1/keys", b"", query=[("limit", "5")])
    r = api.session.get(api.base_url + "/api/v1/keys?limit=6", headers=h, timeout=5)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_BAD_SIGNATURE"


def test_query_order_does_not_matter(api):
    h = api.headers("GET", "/api/v1/keys", b"", query=[("offset", "0"), ("limit", "5")])
    r = api.session.get(api.base_url + "/api/v1/keys?offset=0&limit=5", headers=h, timeout=5)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("skew_ms", [-6 * 60 * 1000, 6 * 60 * 1000])
def test_stale_timestamp(api, skew_ms):
    expect_error(api.call("GET", "/api/v1/keys", timestamp=int(time.time() * 1000) + skew_ms), 401,
                 "AUTH_STALE_TIMESTAMP")


def test_timestamp_not_a_number(api):
    h = api.headers("GET", "/api/v1/keys", b"")
    h["X-MPC-Timestamp"] = "yesterday"
    expect_error(api.call("GET", "/api/v1/keys", headers=h), 401, "AUTH_STALE_TIMESTAMP")


def test_short_nonce(api):
    expect_error(api.call("GET", "/api/v1/keys", nonce="abc"), 401, "AUTH_INVALID")


def test_replayed_nonce(api):
    nonce = uuid.uuid4().hex
    h = api.headers("GET", "/api/v1/keys", b"", nonce=nonce)
    assert api.call("GET", "/api/v1/keys", headers=h)[0] == 200
    expect_error(api.call("GET", "/api/v1/keys", headers=h), 401, "AUTH_NONCE_REPLAYED")
    # a fresh signature with the same nonce is refused too
    expect_error(api.call("GET", "/api/v1/keys", nonce=nonce), 401, "AUTH_NONCE_REPLAYED")


def test_rate_limit(api, build_dir):
    kid, secret = create_api_key(build_dir, "it-rate", "--rate-limit", "3", "--rate-window", "60")
    client = ApiClient(api.base_url, kid, secret)
    assert [client.get("/api/v1/keys")[0] for _ in range(3)] == [200, 200, 200]
    status, body, r = client.get("/api/v1/keys")
    expect_error((status, body, r), 429, "RATE_LIMITED")
    assert 0 < int(r.headers["Retry-After"]) <= 60


def test_allowed_keys_restrict_signing(api, build_dir, key_id):
    kid, secret = create_api_key(build_dir, "it-restricted", "--allow-keys", "some_other_key")
    client = ApiClient(api.base_url, kid, secret)
    expect_error(client.post("/api/v1/sign", sign_body(key_id)), 403, "FORBIDDEN")
    expect_error(client.get(f"/api/v1/keys/{key_id}"), 404, "KEY_NOT_FOUND")


# ---- bad input -------------------------------------------------------------

BAD_SIGN = [
    ("malformed json", b'{"key_id": "k", ', 400, "INVALID_JSON"),
    ("duplicate keys", b'{"key_id": "a", "key_id": "b"}', 400, "INVALID_JSON"),
    ("not an object", b'["x"]', 400, "INVALID_TYPE"),
    ("message not a string", {"message": 5}, 400, "INVALID_TYPE"),
    ("key_id not a string", {"key_id": ["x"]}, 400, "INVALID_TYPE"),
    ("missing message", {"message": None}, 400, "MISSING_FIELD"),
    ("unknown field", {"amount": 5}, 400, "UNKNOWN_FIELD"),
    ("bad hex", {"message": "zz" * 32}, 400, "INVALID_HEX"),
    ("odd hex", {"message": "abc"}, 400, "INVALID_HEX"),
    ("short hash", {"message": "ab" * 31}, 400, "INVALID_MESSAGE_LENGTH"),
    ("long hash", {"message": "ab" * 33}, 400, "INVALID_MESSAGE_LENGTH"),
    ("raw too long", {"message": "ab" * 4097, "message_type": "raw"}, 400, "INVALID_MESSAGE_LENGTH"),
    ("bad message_type", {"message_type": "text"}, 400, "INVALID_FIELD"),
    ("bad request_id", {"request_id": "has space"}, 400, "INVALID_FIELD"),
    ("bad callback", {"callback_url": "ftp://example.com/x"}, 400, "INVALID_FIELD"),
    ("bad derivation path", {"derivation_path": "m/0'/1"}, 400, "INVALID_FIELD"),
    ("child key derivation", {"derivation_path": "m/0/7"}, 400, "DERIVATION_NOT_SUPPORTED"),
    ("unknown key", {"key_id": "key_does_not_exist"}, 404, "KEY_NOT_FOUND"),
]


@pytest.mark.parametrize("name,change,status,code", BAD_SIGN, ids=[c[0] for c in BAD_SIGN])
def test_bad_sign_input(api, key_id, name, change, status, code):
    if isinstance(change, bytes):
        result = api.call("POST", "/api/v1/sign", raw=change)
    else:
        body = sign_body(key_id)
        for k, v in change.items():
            if v is None:
                body.pop(k)
            else:
                body[k] = v
        result = api.post("/api/v1/sign", body)
    expect_error(result, status, code)


BAD_KEYGEN = [
    ("unsupported protocol", {"protocol": "musig2"}, "UNSUPPORTED_PROTOCOL"),
    ("unsupported curve", {"curve": "ed25519"}, "UNSUPPORTED_CURVE"),
    ("threshold above total", {"threshold": 4}, "INVALID_FIELD"),
    ("threshold zero", {"threshold": 0}, "INVALID_FIELD"),
    ("total above 255", {"total_nodes": 256}, "INVALID_FIELD"),
    ("threshold as string", {"threshold": "2"}, "INVALID_TYPE"),
    ("threshold as float", {"threshold": 2.0}, "INVALID_TYPE"),
    ("missing chain", {"chain_type": None}, "MISSING_FIELD"),
    ("bad chain", {"chain_type": "Bit Coin"}, "INVALID_FIELD"),
    ("participants wrong count", {"participants": [1, 2]}, "INVALID_FIELD"),
    ("participants repeated", {"participants": [1, 1, 2]}, "INVALID_FIELD"),
    ("participants not ints", {"participants": ["a", "b", "c"]}, "INVALID_TYPE"),
    ("metadata not strings", {"metadata": {"a": 1}}, "INVALID_TYPE"),
]


@pytest.mark.parametrize("name,change,code", BAD_KEYGEN, ids=[c[0] for c in BAD_KEYGEN])
def test_bad_keygen_input(api, name, change, code):
    body = {"protocol": "frost", "curve": "secp256k1", "threshold": 2, "total_nodes": 3, "chain_type": "bitcoin"}
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    expect_error(api.post("/api/v1/keys", body), 400, code)


def test_oversized_batch(api, key_id):
    items = [{"message": HASH, "message_type": "hash"} for _ in range(1001)]
    expect_error(api.post("/api/v1/sign/batch", {"key_id": key_id, "items": items}), 400, "BATCH_TOO_LARGE")


@pytest.mark.parametrize("items,code", [
    ([], "INVALID_FIELD"),
    ("x", "INVALID_TYPE"),
    ([5], "INVALID_TYPE"),
    ([{"message": HASH, "message_type": "hash", "extra": 1}], "UNKNOWN_FIELD"),
    ([{"message": HASH, "message_type": "hash", "request_id": "a"},
      {"message": HASH, "message_type": "hash", "request_id": "a"}], "INVALID_FIELD"),
    ([{"message": "ab", "message_type": "hash"}], "INVALID_MESSAGE_LENGTH"),
])
def test_bad_batch_items(api, key_id, items, code):
    expect_error(api.post("/api/v1/sign/batch", {"key_id": key_id, "items": items}), 400, code)


def test_body_too_large(api):
    status, _, _ = api.call("POST", "/api/v1/sign", raw=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert status == 413


def test_unknown_endpoint_and_method(api):
    expect_error(api.get("/api/v1/nope"), 404, "NOT_FOUND")
    expect_error(api.call("DELETE", "/api/v1/keys"), 405, "METHOD_NOT_ALLOWED")
    expect_error(api.get("/api/v1/requests/bad%20id"), 400, "INVALID_ID")


# ---- the write path ----------------------------------------------------------

def test_sign_produces_a_decodable_record(api, key_id, stack_env):
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.sign.requests")
    rid = f"it-sign-{uuid.uuid4().hex}"
    status, body, _ = api.post("/api/v1/sign", sign_body(key_id, request_id=rid, derivation_path="m"))
    assert status == 202, body
    assert body["data"] == {"request_id": rid, "key_id": key_id, "batch_id": None, "status": "accepted",
                            "replayed": False}
    msgs = reader.collect(want=1, key=rid.encode())
    reader.close()
    assert len(msgs) == 1
    rec = decode_record("SignRequest", msgs[0].value())
    assert rec["request_id"] == rid and rec["batch_id"] is None and rec["key_id"] == key_id
    # The API signs the record with the caller's own secret, as an outside
    # producer would (docs/messages.md): the coordinator checks every record.
    auth = rec["auth"]
    assert rec["client_id"] == api.key_id and auth["key_id"] == api.key_id
    ts = auth["timestamp"]  # fastavro reads timestamp-millis as an aware datetime
    ts_ms = ts if isinstance(ts, int) else round(ts.timestamp() * 1000)
    want = mpc_records.signed("SignRequest", rec, "mpc.sign.requests", api.key_id, api.secret,
                              timestamp_ms=ts_ms, nonce=auth["nonce"])["auth"]["signature"]
    assert hmac.compare_digest(auth["signature"], want)
    assert rec["items"] == [{"request_id": rid, "message": bytes.fromhex(HASH), "message_type": "hash",
                             "derivation_path": "m"}]
    row = psql(f"SELECT status, kind, key_id, client_id FROM requests WHERE request_id = {sql_literal(rid)}")
    assert row == [["accepted", "sign", key_id, api.key_id]]


def test_same_request_twice_gives_one_row_and_one_record(api, key_id, stack_env):
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.sign.requests")
    rid = f"it-idem-{uuid.uuid4().hex}"
    first = api.post("/api/v1/sign", sign_body(key_id, request_id=rid))
    second = api.post("/api/v1/sign", sign_body(key_id, request_id=rid))
    assert first[0] == 202 and second[0] == 200, (first[1], second[1])
    assert second[1]["data"]["replayed"] is True and second[1]["data"]["request_id"] == rid
    msgs = reader.collect(want=1, key=rid.encode(), settle=2.0)
    reader.close()
    assert len(msgs) == 1
    assert psql(f"SELECT count(*) FROM requests WHERE request_id = {sql_literal(rid)}") == [["1"]]
    # the replay reports the stored status
    psql(f"UPDATE requests SET status = 'running' WHERE request_id = {sql_literal(rid)}")
    third = api.post("/api/v1/sign", sign_body(key_id, request_id=rid))
    assert third[0] == 200 and third[1]["data"]["status"] == "running", third[1]


def test_same_id_different_payload_conflicts(api, key_id):
    rid = f"it-conflict-{uuid.uuid4().hex}"
    assert api.post("/api/v1/sign", sign_body(key_id, request_id=rid))[0] == 202
    expect_error(api.post("/api/v1/sign", sign_body(key_id, request_id=rid, message="cd" * 32)), 409,
                 "IDEMPOTENCY_CONFLICT")
    # also when the fast path (Redis) has forgotten the id: PostgreSQL decides
    redis_cli("DEL", f"idem:{rid}")
    expect_error(api.post("/api/v1/sign", sign_body(key_id, request_id=rid, message_type="raw")), 409,
                 "IDEMPOTENCY_CONFLICT")


def test_batch_and_its_replay(api, key_id, stack_env):
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.sign.requests")
    batch = f"it-batch-{uuid.uuid4().hex}"
    items = [{"request_id": f"{batch}-{i}", "message": hashlib.sha256(bytes([i])).hexdigest(),
              "message_type": "hash"} for i in range(50)]
    items.append({"request_id": f"{batch}-raw", "message": b"hello".hex(), "message_type": "raw"})
    body = {"key_id": key_id, "batch_id": batch, "items": items}
    status, resp, _ = api.post("/api/v1/sign/batch", body)
    assert status == 202, resp
    assert resp["data"]["batch_id"] == batch and resp["data"]["request_ids"] == [i["request_id"] for i in items]
    status2, resp2, _ = api.post("/api/v1/sign/batch", body)
    assert status2 == 200 and resp2["data"]["replayed"] is True
    msgs = reader.collect(want=1, key=batch.encode(), settle=2.0)
    reader.close()
    assert len(msgs) == 1
    rec = decode_record("SignRequest", msgs[0].value())
    assert rec["request_id"] == batch and rec["batch_id"] == batch and len(rec["items"]) == 51
    assert rec["items"][-1]["message"] == b"hello"
    assert psql(f"SELECT count(*) FROM requests WHERE batch_id = {sql_literal(batch)}") == [["51"]]
    # an overlapping, different batch is refused
    expect_error(api.post("/api/v1/sign/batch", {"key_id": key_id, "items": items[:2] + [
        {"request_id": f"{batch}-new", "message": HASH, "message_type": "hash"}]}), 409, "IDEMPOTENCY_CONFLICT")


def test_keygen(api, stack_env):
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.keygen.requests")
    rid = f"it-keygen-{uuid.uuid4().hex}"
    body = {"protocol": "frost-bip340", "curve": "secp256k1", "threshold": 2, "total_nodes": 3,
            "chain_type": "bitcoin", "request_id": rid, "metadata": {"owner": "it"}}
    status, resp, _ = api.post("/api/v1/keys", body)
    assert status == 202, resp
    want_key = "key_" + hashlib.sha256(b"mpc.v1.key_id" + rid.encode()).hexdigest()[:24]
    assert resp["data"] == {"request_id": rid, "key_id": want_key, "status": "accepted", "replayed": False}
    assert api.post("/api/v1/keys", body)[0] == 200
    msgs = reader.collect(want=1, key=rid.encode(), settle=2.0)
    reader.close()
    assert len(msgs) == 1
    rec = decode_record("KeygenRequest", msgs[0].value())
    assert rec["protocol"] == "frost-bip340" and rec["threshold"] == 2 and rec["total_nodes"] == 3
    assert rec["metadata"] == {"owner": "it"} and rec["participants"] == []


def test_kafka_down_gives_503_and_a_retry_works(api, build_dir, key_id, stack_env):
    svc = start_api(build_dir, {"MPC_KAFKA_BROKERS": "127.0.0.1:1", "MPC_API_PRODUCE_TIMEOUT_MS": "500"},
                    ready=False)
    try:
        # readiness is down without Kafka, but the API still answers
        kid, secret = create_api_key(build_dir, "it-kafka-down")
        client = ApiClient(svc.url(""), kid, secret)
        rid = f"it-nokafka-{uuid.uuid4().hex}"
        expect_error(client.post("/api/v1/sign", sign_body(key_id, request_id=rid)), 503, "KAFKA_UNAVAILABLE")
        assert psql(f"SELECT status, error_code FROM requests WHERE request_id = {sql_literal(rid)}") == \
            [["failed", "KAFKA_UNAVAILABLE"]]
        assert client.post("/api/v1/sign", sign_body(key_id, request_id=rid))[0] == 503  # still down
    finally:
        svc.stop()
    # the same submission through an API that reaches Kafka: produced now
    reader = TopicReader(stack_env["MPC_KAFKA_BROKERS"], "mpc.sign.requests")
    status, body, _ = ApiClient(api.base_url, kid, secret).post("/api/v1/sign", sign_body(key_id, request_id=rid))
    assert status == 202, body
    assert len(reader.collect(want=1, key=rid.encode(), settle=1.0)) == 1
    reader.close()
    assert psql(f"SELECT status FROM requests WHERE request_id = {sql_literal(rid)}") == [["accepted"]]


# ---- reads -------------------------------------------------------------------

def test_key_read(api, key_id):
    status, body, _ = api.get(f"/api/v1/keys/{key_id}")
    assert status == 200
    k = body["data"]
    assert k["key_id"] == key_id and k["threshold"] == 2 and k["participants"] == [1, 2, 3]
    expect_error(api.get("/api/v1/keys/key_nope"), 404, "KEY_NOT_FOUND")
    status, body, _ = api.get("/api/v1/keys", query=[("chain_type", "bitcoin"), ("limit", "500")])
    assert key_id in [k["key_id"] for k in body["data"]["keys"]]
    expect_error(api.get("/api/v1/keys", query=[("limit", "0")]), 400, "INVALID_QUERY")


def test_request_status_follows_the_database(api, key_id, build_dir):
    rid = f"it-status-{uuid.uuid4().hex}"
    assert api.post("/api/v1/sign", sign_body(key_id, request_id=rid))[0] == 202
    status, body, _ = api.get(f"/api/v1/requests/{rid}")
    assert status == 200 and body["data"]["status"] == "accepted" and body["data"]["result"] is None
    result = {"key_id": key_id, "public_key": "02" + "11" * 32, "address": None, "signature": "aa" * 64,
              "signature_der": None, "recovery_id": None, "session_id": "sess-1", "participants": [1, 3]}
    psql(f"UPDATE requests SET status = 'succeeded', session_id = 'sess-1', result = "
         f"{sql_literal(json.dumps(result))}::jsonb, completed_at = NOW() WHERE request_id = {sql_literal(rid)}")
    status, body, _ = api.get(f"/api/v1/requests/{rid}")
    d = body["data"]
    assert d["status"] == "succeeded" and d["result"] == result and d["session_id"] == "sess-1"
    assert d["completed_at"] and d["created_at"] and d["error"] is None and d["webhook"] is None
    psql(f"UPDATE requests SET status = 'failed', error_code = 'PARTICIPANT_TIMEOUT', error_message = 'node 2' "
         f"WHERE request_id = {sql_literal(rid)}")
    d = api.get(f"/api/v1/requests/{rid}")[1]["data"]
    assert d["error"] == {"code": "PARTICIPANT_TIMEOUT", "message": "node 2"}
    expect_error(api.get("/api/v1/requests/no-such-request"), 404, "REQUEST_NOT_FOUND")
    kid, secret = create_api_key(build_dir, "it-other")
    expect_error(ApiClient(api.base_url, kid, secret).get(f"/api/v1/requests/{rid}"), 404, "REQUEST_NOT_FOUND")


def test_sessions_read_and_cancel(api, key_id):
    sid, done = f"it-sess-{uuid.uuid4().hex}", f"it-sess-done-{uuid.uuid4().hex}"
    for s, st in ((sid, "running"), (done, "succeeded")):
        psql("INSERT INTO signing_sessions (session_id, key_id, protocol, status, threshold, total_nodes, "
             f"total_rounds, participating_nodes) VALUES ({sql_literal(s)}, {sql_literal(key_id)}, 'frost-bip340', "
             f"{sql_literal(st)}, 2, 3, 2, '[1,2]')")
    status, body, _ = api.get(f"/api/v1/sessions/{sid}")
    assert status == 200 and body["data"]["status"] == "running" and body["data"]["participating_nodes"] == [1, 2]
    status, body, _ = api.post(f"/api/v1/sessions/{sid}/cancel", {})
    assert status == 202 and body["data"] == {"session_id": sid, "status": "cancel_requested"}
    assert psql(f"SELECT status FROM signing_sessions WHERE session_id = {sql_literal(sid)}") == [["cancel_requested"]]
    expect_error(api.post(f"/api/v1/sessions/{done}/cancel", {}), 409, "SESSION_TERMINAL")
    expect_error(api.get("/api/v1/sessions/nope"), 404, "SESSION_NOT_FOUND")
    expect_error(api.post("/api/v1/sessions/nope/cancel", {}), 404, "SESSION_NOT_FOUND")


def test_nodes_and_health(api):
    nid = str(200 + secrets.randbelow(50))
    psql(f"INSERT INTO nodes (node_id, node_type, public_key) VALUES ({sql_literal(nid)}, 'participant', '02ab') "
         "ON CONFLICT (node_id) DO NOTHING")
    redis_cli("SET", f"node:health:{nid}", json.dumps({"status": "ready", "load": 3}), "EX", "30")
    status, body, _ = api.get("/api/v1/nodes")
    assert status == 200
    node = next(n for n in body["data"]["nodes"] if n["node_id"] == nid)
    assert node["healthy"] is True and node["heartbeat"] == {"status": "ready", "load": 3}
    status, body, _ = api.get(f"/api/v1/nodes/{nid}/health")
    assert status == 200 and body["data"]["healthy"] is True
    redis_cli("DEL", f"node:health:{nid}")
    assert api.get(f"/api/v1/nodes/{nid}/health")[1]["data"]["healthy"] is False
    expect_error(api.get("/api/v1/nodes/999/health"), 404, "NODE_NOT_FOUND")


# ---- verify, against signers written here ------------------------------------
# Curve arithmetic and hashes come from the independent reference in
# schnorr_ref.py; the one-key signers below are this test's own.

def point_mul_g(k):
    return point_mul(G, k)


def bip340_sign(x, msg):
    pub = point_mul_g(x)
    d = x if pub[1] % 2 == 0 else N - x
    k0 = int.from_bytes(tagged_hash("BIP0340/nonce", secrets.token_bytes(32) + pub[0].to_bytes(32, "big") + msg), "big") % N
    R = point_mul_g(k0)
    k = k0 if R[1] % 2 == 0 else N - k0
    e = int.from_bytes(tagged_hash("BIP0340/challenge", R[0].to_bytes(32, "big") + pub[0].to_bytes(32, "big") + msg),
                       "big") % N
    return R[0].to_bytes(32, "big") + ((k + e * d) % N).to_bytes(32, "big"), pub


def frost_rfc9591_sign(x, msg):
    """A one-signer RFC 9591 FROST(secp256k1, SHA-256) signature: same
    verification equation z*G = R + c*Y as any threshold signature."""
    Y, k = point_mul_g(x), 1 + secrets.randbelow(N - 1)
    R = point_mul_g(k)
    c = int.from_bytes(expand_message_xmd(compress(R) + compress(Y) + msg, b"FROST-secp256k1-SHA256-v1chal", 48),
                       "big") % N
    return compress(R) + ((k + c * x) % N).to_bytes(32, "big"), Y


def verify_call(api, protocol, pub, msg, sig, mtype="hash"):
    return api.post("/api/v1/verify", {"protocol": protocol, "public_key": pub.hex(), "message": msg.hex(),
                                       "message_type": mtype, "signature": sig.hex()})


def test_verify_bip340(api):
    x, msg = 1 + secrets.randbelow(N - 1), hashlib.sha256(b"tx").digest()
    sig, pub = bip340_sign(x, msg)
    assert bip340_verify(pub[0].to_bytes(32, "big"), msg, sig)  # the signer agrees with the reference
    for key in (compress(pub), pub[0].to_bytes(32, "big")):
        status, body, _ = verify_call(api, "frost-bip340", key, msg, sig)
        assert status == 200 and body["data"]["valid"] is True, body
    bad = sig[:-1] + bytes([sig[-1] ^ 1])
    assert verify_call(api, "frost-bip340", compress(pub), msg, bad)[1]["data"]["valid"] is False
    raw_sig, _ = bip340_sign(x, b"raw message")
    assert verify_call(api, "frost-bip340", compress(pub), b"raw message", raw_sig, "raw")[1]["data"]["valid"]


def test_verify_frost_rfc9591(api):
    x, msg = 1 + secrets.randbelow(N - 1), hashlib.sha256(b"frost").digest()
    sig, pub = frost_rfc9591_sign(x, msg)
    assert frost_verify(compress(pub), msg, sig)  # the signer agrees with the reference
    status, body, _ = verify_call(api, "frost", compress(pub), msg, sig)
    assert status == 200 and body["data"]["valid"] is True, body
    assert verify_call(api, "frost", compress(pub), hashlib.sha256(b"other").digest(), sig)[1]["data"]["valid"] is False


def test_verify_ecdsa(api):
    key = ec.generate_private_key(ec.SECP256K1())
    pub = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    msg = b"withdraw 1 BTC"
    der = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    assert verify_call(api, "gg20", pub, msg, der, "raw")[1]["data"]["valid"] is True
    assert verify_call(api, "gg18", pub, hashlib.sha256(msg).digest(), der)[1]["data"]["valid"] is True
    assert verify_call(api, "gg18", pub, hashlib.sha256(b"x").digest(), der)[1]["data"]["valid"] is False


@pytest.mark.parametrize("change,code", [
    ({"protocol": "rsa"}, "UNSUPPORTED_PROTOCOL"),
    ({"public_key": "02" + "00" * 32}, "INVALID_PUBLIC_KEY"),
    ({"signature": "ab" * 10}, "INVALID_SIGNATURE_FORMAT"),
    ({"message": "xyz"}, "INVALID_HEX"),
    ({"message": "ab" * 5}, "INVALID_MESSAGE_LENGTH"),
    ({"public_key": None}, "MISSING_FIELD"),
])
def test_verify_bad_input(api, change, code):
    sig, pub = bip340_sign(5, bytes(32))
    body = {"protocol": "frost-bip340", "public_key": compress(pub).hex(), "message": "00" * 32,
            "message_type": "hash", "signature": sig.hex()}
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    expect_error(api.post("/api/v1/verify", body), 400, code)


# ---- webhooks ------------------------------------------------------------------

def publish_result(brokers, rid, key_id):
    from confluent_kafka import Producer
    rec = {"request_id": rid, "batch_id": None, "kind": "sign", "status": "succeeded", "error_code": None,
           "error_message": None, "key_id": key_id, "public_key": None, "address": None, "signature": b"\x11" * 64,
           "signature_der": None, "recovery_id": None, "session_id": "sess-wh", "participants": [1, 2],
           "completed_at": int(time.time() * 1000)}
    p = Producer({"bootstrap.servers": brokers})
    p.produce("mpc.results", key=rid.encode(), value=encode_record("Result", rec))
    assert p.flush(10) == 0


def wait_webhook(api, rid, state, timeout=30):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        last = api.get(f"/api/v1/requests/{rid}")[1]["data"]["webhook"]
        if last and last["state"] == state:
            return last
        time.sleep(0.2)
    raise AssertionError(f"webhook of {rid} never reached {state}: {last}")


def submit_with_callback(api, key_id, url):
    rid = f"it-wh-{uuid.uuid4().hex}"
    status, body, _ = api.post("/api/v1/sign", sign_body(key_id, request_id=rid, callback_url=url))
    assert status == 202, body
    assert api.get(f"/api/v1/requests/{rid}")[1]["data"]["webhook"]["state"] == "pending"
    return rid


def test_webhook_delivered_and_signed(api, key_id, stack_env):
    rx = Receiver([200])
    try:
        rid = submit_with_callback(api, key_id, rx.url)
        publish_result(stack_env["MPC_KAFKA_BROKERS"], rid, key_id)
        hook = wait_webhook(api, rid, "delivered")
        assert hook["attempts"] == 1 and hook["last_status"] == 200 and hook["delivered_at"]
        headers, body = rx.received[0]
        ts = headers["X-MPC-Timestamp"]
        want = hmac.new(api.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-MPC-Signature"], want)
        assert abs(int(ts) - time.time() * 1000) < 60000
        payload = json.loads(body)
        assert payload["event"] == "request.completed" and payload["request_id"] == rid
        assert payload["status"] == "succeeded" and payload["result"]["signature"] == "11" * 64
        assert payload["result"]["participants"] == [1, 2] and payload["error"] is None
        # a re-published result is not delivered again
        publish_result(stack_env["MPC_KAFKA_BROKERS"], rid, key_id)
        time.sleep(2)
        assert len(rx.received) == 1
    finally:
        rx.close()


def test_webhook_retried_after_500(api, key_id, stack_env):
    rx = Receiver([500, 200])
    try:
        rid = submit_with_callback(api, key_id, rx.url)
        publish_result(stack_env["MPC_KAFKA_BROKERS"], rid, key_id)
        hook = wait_webhook(api, rid, "delivered")
        assert hook["attempts"] == 2 and hook["last_status"] == 200
        assert len(rx.received) == 2 and rx.received[0][1] == rx.received[1][1]
        assert rx.received[1][0]["X-MPC-Delivery-Attempt"] == "2"
    finally:
        rx.close()


def test_webhook_dead_after_the_attempt_limit(api, key_id, stack_env):
    rx = Receiver([500])
    try:
        rid = submit_with_callback(api, key_id, rx.url)
        publish_result(stack_env["MPC_KAFKA_BROKERS"], rid, key_id)
        hook = wait_webhook(api, rid, "dead")
        assert hook["attempts"] == 4 and hook["last_status"] == 500  # MPC_API_WEBHOOK_MAX_ATTEMPTS
        assert len(rx.received) == 4
    finally:
        rx.close()


def test_webhook_to_nowhere_is_retried_then_dead(api, key_id, stack_env):
    rid = submit_with_callback(api, key_id, "http://127.0.0.1:9/unreachable")
    publish_result(stack_env["MPC_KAFKA_BROKERS"], rid, key_id)
    hook = wait_webhook(api, rid, "dead")
    assert hook["attempts"] == 4 and hook["last_status"] is None


# ---- mpcctl ---------------------------------------------------------------------

def test_mpcctl(api, key_id, build_dir, tmp_path):
    import subprocess
    env = {"PATH": "/usr/bin:/bin", "MPC_API_URL": api.base_url, "MPC_API_KEY": api.key_id,
           "MPC_API_SECRET": api.secret}

    def run(*args):
        return subprocess.run([f"{build_dir}/tools/mpcctl/mpcctl", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    rid = f"it-cli-{uuid.uuid4().hex}"
    out = run("sign", key_id, HASH, "--request-id", rid)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["request_id"] == rid
    assert json.loads(run("status", rid).stdout)["status"] == "accepted"
    assert run("wait", rid, "--timeout", "0.5").returncode == 3
    psql(f"UPDATE requests SET status = 'succeeded' WHERE request_id = {sql_literal(rid)}")
    assert run("wait", rid, "--timeout", "5").returncode == 0
    items = tmp_path / "items.jsonl"
    items.write_text(f'"{"cd" * 32}"\n{{"message": "{b"raw".hex()}", "message_type": "raw"}}\n')
    out = run("batch", key_id, str(items))
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["request_ids"]) == 2
    assert json.loads(run("keys", "show", key_id).stdout)["key_id"] == key_id
    assert run("keys", "list", "--limit", "2").returncode == 0
    assert run("nodes").returncode == 0
    sig, pub = bip340_sign(7, bytes(32))
    assert run("verify", "--protocol", "frost-bip340", "--public-key", compress(pub).hex(), "--message", "00" * 32,
               "--signature", sig.hex()).returncode == 0
    bad = run("sign", "key_missing", HASH)
    assert bad.returncode == 1 and "KEY_NOT_FOUND" in bad.stderr
    assert run("sign", key_id).returncode == 2
