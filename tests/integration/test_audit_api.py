"""The audit API of mpc-api (GET /api/v1/audit/events and /api/v1/audit/verify,
docs/api.md) against the real stack, and `mpcctl audit --api`.

Known records are produced to Kafka and written into audit_log by a real
mpc-auditor (the helpers of test_auditor.py); the auditor is then stopped so
the table holds still. Every filter is checked against the rows it must
return: named rows for values only this test uses, and for shared values
(event types, node 1, time windows) the same predicate evaluated in SQL over
the rows from this test's first one on. Tampering is done as in
test_auditor.py (superuser, triggers disabled) and always undone.
"""
import datetime
import json
import os
import secrets
import subprocess
import uuid

import pytest

from api_helpers import ApiClient, api, create_api_key, start_api  # noqa: F401
from conftest import ROOT
from test_auditor import (Auditor, Produced, heartbeat, keygen_request, psql, result, round_message, rows,
                          sign_request, wait_rows)

EVENTS = "/api/v1/audit/events"
VERIFY = "/api/v1/audit/verify"


def produce_and_wait(env, aud, records):
    """Produces (topic, value, key, label) records; returns {label: seq}."""
    p = Produced(env["MPC_KAFKA_BROKERS"])
    for topic, value, key, label in records:
        p.send(topic, value, key=key, label=label)
    p.flush()
    wait_rows(env, p.where, proc=aud.proc)
    seqs = {}
    for label, (t, part, off) in p.by_label().items():
        [row] = rows(env, f"WHERE source_topic = '{t}' AND source_partition = {part} AND source_offset = {off}")
        seqs[label] = row["seq"]
    return seqs


@pytest.fixture(scope="module")
def trail(build_dir, stack_env, migrated):
    """Two batches of known rows (a pause between them, so their
    recorded_at differ), then the auditor stops."""
    tag = f"aa-{uuid.uuid4().hex[:10]}"
    node = str(200 + secrets.randbelow(56))  # node ids are 0..255; rows before this test's may share it
    sess = f"sess-{tag}"
    start = json.dumps({"session_id": sess, "kind": "sign", "key_id": f"key-{tag}", "participants": [1, 3]}).encode()
    aud = Auditor(build_dir, stack_env, f"it-audit-api-{tag}").start()
    try:
        first = produce_and_wait(stack_env, aud, [
            ("mpc.sign.requests", sign_request(tag, 2), tag.encode(), "sign"),
            ("mpc.keygen.requests", keygen_request(f"{tag}-kg"), None, "keygen"),
            ("mpc.rounds", round_message(sess, 0, "session_start", start, to=0, encrypted=False), sess.encode(),
             "start"),
            ("mpc.rounds", round_message(sess, 1), sess.encode(), "r1"),
            ("mpc.rounds", round_message(sess, 2), sess.encode(), "r2"),
            ("mpc.results", result(f"{tag}-item-1"), None, "result"),
        ])
        second = produce_and_wait(stack_env, aud, [
            ("mpc.rounds", round_message(sess, 3), sess.encode(), "r3"),
            ("mpc.rounds", round_message(sess, 4), sess.encode(), "r4"),
            ("mpc.rounds", round_message(sess, 5), sess.encode(), "r5"),
            ("mpc.results", result(f"{tag}-x", "failed"), None, "failed"),
            ("mpc.nodes", heartbeat(f"{tag}-hb", node_id=int(node)), node.encode(), "hb"),
        ])
    finally:
        assert aud.stop() == 0, aud.stderr()
    seqs = {**first, **second}
    assert max(first.values()) < min(second.values())
    return {"tag": tag, "node": node, "session": sess, "seq": seqs, "label": {v: k for k, v in seqs.items()},
            "window": min(seqs.values()) - 1, "second_at": rows(stack_env, f"WHERE seq = {min(second.values())}")[0][
                "recorded_at"]}


def ok(result):
    status, body, _ = result
    assert status == 200, body
    assert body["success"] is True and body["meta"]["request_id"] and body["meta"]["timestamp"]
    return body["data"]


def expect_error(result, status, code):
    got, body, _ = result
    assert got == status, body
    assert body["success"] is False and body["error"]["code"] == code and body["error"]["message"], body


def all_events(api, query):
    """Every matching event, following next_after_seq page by page."""
    out, query = [], dict(query)
    while True:
        data = ok(api.get(EVENTS, query=list(query.items())))
        out += data["events"]
        assert data["count"] == len(data["events"])
        if not data["has_more"]:
            return out
        query["after_seq"] = str(data["next_after_seq"])


def sql_seqs(where):
    out = psql({"MPC_PG_DSN": os.environ["MPC_PG_DSN"]}, f"SELECT seq FROM audit_log WHERE {where} ORDER BY seq")
    return [int(line) for line in out.stdout.split()]


def labels(trail, events):
    return sorted(trail["label"].get(e["seq"], f"other:{e['seq']}") for e in events)


# ---- filters -----------------------------------------------------------------

def test_each_filter_returns_exactly_its_rows(api, trail):
    t, s = trail["tag"], trail["session"]
    cases = [
        ({"key_id": f"key-{t}"}, ["sign", "start"]),
        ({"request_id": t}, ["sign"]),
        ({"request_id": f"{t}-item-1"}, ["result", "sign"]),  # an item's id finds its batch too
        ({"session_id": s}, ["r1", "r2", "r3", "r4", "r5", "start"]),
        ({"node_id": trail["node"], "after_seq": str(trail["window"])}, ["hb"]),
        ({"session_id": s, "node_id": "1"}, ["r1", "r2", "r3", "r4", "r5", "start"]),
        ({"session_id": s, "node_id": "2"}, []),
        ({"session_id": s, "event_type": "round_message"}, ["r1", "r2", "r3", "r4", "r5", "start"]),
        ({"key_id": f"key-{t}", "event_type": "sign_requested"}, ["sign"]),
        ({"session_id": s, "since": trail["second_at"]}, ["r3", "r4", "r5"]),
        ({"session_id": s, "until": trail["second_at"]}, ["r1", "r2", "start"]),
        ({"session_id": s, "since": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00Z"}, []),
        ({"key_id": f"key-{t}-none"}, []),
    ]
    for query, want in cases:
        events = all_events(api, query)
        assert labels(trail, events) == want, query
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events), query


def test_shared_values_match_sql(api, trail):
    """Filters whose values other rows share: the API returns exactly what
    the same predicate selects in SQL (from this test's first row on)."""
    w = trail["window"]
    at = trail["second_at"]
    plus2 = datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(
        datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    cases = [
        ({"event_type": "result_failed"}, "event_type = 'result_failed'", "failed"),
        ({"event_type": "round_message"}, "event_type = 'round_message'", "r3"),
        ({"event_type": "keygen_requested"}, "event_type = 'keygen_requested'", "keygen"),
        ({"node_id": "1"}, "node_id = '1'", "r1"),
        ({"since": at}, f"recorded_at >= '{at}'", "r5"),
        ({"since": plus2}, f"recorded_at >= '{at}'", "hb"),
        ({"until": at}, f"recorded_at < '{at}'", "sign"),
        ({"until": at.replace("T", "t").replace("Z", "z")}, f"recorded_at < '{at}'", "result"),
    ]
    for query, where, mine in cases:
        got = [e["seq"] for e in all_events(api, {**query, "after_seq": str(w)})]
        assert got == sql_seqs(f"seq > {w} AND {where}"), query
        assert trail["seq"][mine] in got, query
    every = all_events(api, {"after_seq": str(w), "limit": "1000"})
    assert [e["seq"] for e in every] == sql_seqs(f"seq > {w}")


def test_event_fields(api, trail):
    [ev] = ok(api.get(EVENTS, query=[("node_id", trail["node"]), ("after_seq", str(trail["window"]))]))["events"]
    [db] = rows({"MPC_PG_DSN": os.environ["MPC_PG_DSN"]}, f"WHERE seq = {trail['seq']['hb']}")
    for name in ("seq", "recorded_at", "event_type", "client_id", "request_id", "key_id", "session_id", "node_id",
                 "operation", "result", "ip_address", "user_agent", "source_topic", "source_partition",
                 "source_offset", "prev_hash", "hash"):
        assert ev[name] == db[name], name
    assert ev["details"] == json.loads(db["details"]) and ev["details"]["record"]["instance"] == f"{trail['tag']}-hb"
    assert len(ev["hash"]) == 64 and len(ev["prev_hash"]) == 64


def test_paging(api, trail):
    s = trail["session"]
    full = [e["seq"] for e in ok(api.get(EVENTS, query=[("session_id", s)]))["events"]]
    assert len(full) == 6
    page1 = ok(api.get(EVENTS, query=[("session_id", s), ("limit", "4")]))
    assert [e["seq"] for e in page1["events"]] == full[:4]
    assert page1["has_more"] is True and page1["next_after_seq"] == full[3] and page1["limit"] == 4
    page2 = ok(api.get(EVENTS, query=[("session_id", s), ("limit", "4"), ("after_seq", str(page1["next_after_seq"]))]))
    assert [e["seq"] for e in page2["events"]] == full[4:]
    assert page2["has_more"] is False and page2["next_after_seq"] == full[5]
    # a page that ends exactly at the last row knows there is no more
    exact = ok(api.get(EVENTS, query=[("session_id", s), ("limit", "3"), ("after_seq", str(full[2]))]))
    assert [e["seq"] for e in exact["events"]] == full[3:] and exact["has_more"] is False
    empty = ok(api.get(EVENTS, query=[("session_id", s), ("after_seq", str(full[5]))]))
    assert empty == {"events": [], "count": 0, "limit": 100, "has_more": False, "next_after_seq": None}
    one = ok(api.get(EVENTS, query=[("session_id", s), ("limit", "1"), ("after_seq", str(full[0]))]))
    assert [e["seq"] for e in one["events"]] == [full[1]] and one["has_more"] is True


# ---- bad input, authentication, access ------------------------------------------

BAD_EVENTS = [
    [("limit", "0")], [("limit", "1001")], [("limit", "ten")], [("limit", "-5")], [("limit", "")],
    [("after_seq", "-1")], [("after_seq", "1.5")], [("after_seq", "99999999999999999999")],
    [("since", "yesterday")], [("since", "2026-02-30T00:00:00Z")], [("since", "2026-01-31T12:00:00")],
    [("until", "2026-01-31 12:00:00Z")], [("since", "2026-01-31T24:00:00Z")], [("since", "2026-01-31T12:00:60Z")],
    [("until", "2026-01-31T12:00:00+16:00")], [("since", "2026-01-31T12:00:00.Z")], [("since", "0000-01-01T00:00:00Z")],
    [("since", "2025-02-29T00:00:00Z")], [("keyid", "key_x")], [("key_id", "a"), ("key_id", "b")], [("key_id", "")],
    [("key_id", "a b")], [("session_id", "x" * 256)], [("event_type", "sign\nrequested")],
]


@pytest.mark.parametrize("query", BAD_EVENTS, ids=[repr(q)[:60] for q in BAD_EVENTS])
def test_bad_events_query(api, query):
    expect_error(api.get(EVENTS, query=query), 400, "INVALID_QUERY")


BAD_VERIFY = [[("anchor_seq", "5")], [("anchor_hash", "00" * 32)], [("anchor_seq", "0"), ("anchor_hash", "00" * 32)],
              [("anchor_seq", "5"), ("anchor_hash", "zz" * 32)], [("anchor_seq", "5"), ("anchor_hash", "00" * 31)],
              [("anchor", "5:" + "00" * 32)]]


@pytest.mark.parametrize("query", BAD_VERIFY, ids=[repr(q)[:60] for q in BAD_VERIFY])
def test_bad_verify_query(api, query):
    expect_error(api.get(VERIFY, query=query), 400, "INVALID_QUERY")


def test_edge_values_accepted(api, trail):
    for query in ([("limit", "1000")], [("limit", "1")], [("since", "2024-02-29T23:59:59.123456789-15:59")],
                  [("until", "9999-12-31T23:59:59+00:00")], [("since", "0001-01-01T00:00:00Z")]):
        ok(api.get(EVENTS, query=query + [("session_id", trail["session"])]))


@pytest.mark.parametrize("path", [EVENTS, VERIFY])
def test_unauthenticated(api, path):
    expect_error(api.call("GET", path, headers={}), 401, "AUTH_MISSING")
    expect_error(ApiClient(api.base_url, api.key_id, "11" * 32).get(path), 401, "AUTH_BAD_SIGNATURE")
    # the query is part of what is signed
    h = api.headers("GET", path, b"", query=[("limit", "5")])
    r = api.session.get(api.base_url + path + "?limit=6", headers=h, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_BAD_SIGNATURE"


@pytest.mark.parametrize("restriction", [("--allow-keys", "key_a"), ("--allow-chains", "bitcoin")])
def test_restricted_keys_are_refused(api, build_dir, restriction):
    kid, secret = create_api_key(build_dir, f"it-audit-{restriction[0][8:]}", *restriction)
    client = ApiClient(api.base_url, kid, secret)
    expect_error(client.get(EVENTS), 403, "FORBIDDEN")
    expect_error(client.get(VERIFY), 403, "FORBIDDEN")


def test_method_not_allowed(api):
    expect_error(api.post(EVENTS, {}), 405, "METHOD_NOT_ALLOWED")


# ---- verify --------------------------------------------------------------------------

def head():
    out = psql({"MPC_PG_DSN": os.environ["MPC_PG_DSN"]},
               "SELECT count(*), max(seq), encode((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), 'hex') "
               "FROM audit_log")
    n, seq, h = out.stdout.strip().split("|")
    return int(n), int(seq), h


def test_verify_intact_chain_and_anchors(api, trail):
    n, seq, h = head()
    assert ok(api.get(VERIFY)) == {"ok": True, "rows": n, "head_seq": seq, "head_hash": h, "bad_seq": None,
                                   "message": None}
    assert ok(api.get(VERIFY, query=[("anchor_seq", str(seq)), ("anchor_hash", h.upper())]))["ok"] is True
    bad = ok(api.get(VERIFY, query=[("anchor_seq", str(seq)), ("anchor_hash", "00" * 32)]))
    assert bad["ok"] is False and bad["bad_seq"] == seq and bad["head_hash"] is None
    assert bad["message"] == f"row seq={seq} does not match the anchor hash"
    gone = ok(api.get(VERIFY, query=[("anchor_seq", str(seq + 10**9)), ("anchor_hash", h)]))
    assert gone["ok"] is False and gone["bad_seq"] == seq + 10**9 and "is missing" in gone["message"]


def superuser(sql):
    psql({"MPC_PG_DSN": os.environ["MPC_PG_DSN"]},
         "ALTER TABLE audit_log DISABLE TRIGGER USER; " + sql + "; ALTER TABLE audit_log ENABLE TRIGGER USER",
         superuser=True)


def mpcctl(build_dir, api, *args, dsn=False):
    env = {k: v for k, v in os.environ.items() if k not in ("MPC_PG_DSN", "MPC_API_KEY", "MPC_API_SECRET")}
    env.update(MPC_API_URL=api.base_url, MPC_API_KEY=api.key_id, MPC_API_SECRET=api.secret)
    if dsn:
        env["MPC_PG_DSN"] = os.environ["MPC_PG_DSN"]
    return subprocess.run([f"{build_dir}/tools/mpcctl/mpcctl", "audit", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_verify_names_the_altered_row(api, build_dir, trail):
    target = trail["seq"]["failed"]
    [before] = rows({"MPC_PG_DSN": os.environ["MPC_PG_DSN"]}, f"WHERE seq = {target}")
    try:
        superuser(f"UPDATE audit_log SET result = 'succeeded' WHERE seq = {target}")
        rep = ok(api.get(VERIFY))
        assert rep["ok"] is False and rep["bad_seq"] == target, rep
        assert rep["message"] == f"row seq={target} altered (hash mismatch)" and rep["head_hash"] is None
        assert rep["rows"] == target - 1 and rep["head_seq"] == target - 1
        # mpcctl through the API says the same
        out = mpcctl(build_dir, api, "verify")
        assert out.returncode == 1 and out.stdout == f"FAIL: row seq={target} altered (hash mismatch)\n", out
        # the altered value is what the query shows
        [ev] = ok(api.get(EVENTS, query=[("after_seq", str(target - 1)), ("limit", "1")]))["events"]
        assert ev["seq"] == target and ev["result"] == "succeeded"
    finally:
        superuser(f"UPDATE audit_log SET result = '{before['result']}' WHERE seq = {target}")
    assert ok(api.get(VERIFY))["ok"] is True


def test_database_unreadable_is_503(build_dir, stack_env, trail):
    """An mpc-api whose database role may read api_clients but not
    audit_log: authentication works, the audit endpoints answer 503."""
    role = f"it_noaudit_{uuid.uuid4().hex[:8]}"
    env = {"MPC_PG_DSN": os.environ["MPC_PG_DSN"]}
    psql(env, f"CREATE ROLE {role} LOGIN PASSWORD 'pw'; GRANT USAGE ON SCHEMA public TO {role}; "
              f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}; REVOKE SELECT ON audit_log FROM {role}",
         superuser=True)
    svc = None
    try:
        dsn = os.environ["MPC_PG_DSN"].replace("//mpc:mpc-dev-password@", f"//{role}:pw@")
        assert dsn != os.environ["MPC_PG_DSN"], "unexpected DSN form"
        kid, secret = create_api_key(build_dir, "it-audit-503")
        svc = start_api(build_dir, {"MPC_PG_DSN": dsn}, ready=False)
        client = ApiClient(svc.url(""), kid, secret)
        expect_error(client.get(EVENTS), 503, "UNAVAILABLE")
        expect_error(client.get(VERIFY), 503, "UNAVAILABLE")
        ok(client.get("/api/v1/keys"))  # the same call path works where the role may read
        assert "permission denied" in svc.stderr()
    finally:
        if svc:
            svc.stop()
        psql(env, f"DROP OWNED BY {role}; DROP ROLE {role}", superuser=True)


# ---- mpcctl audit --api ------------------------------------------------------------

def test_mpcctl_api_mode(api, build_dir, trail):
    s = trail["session"]
    # no MPC_PG_DSN but an API key: the API is the default
    out = mpcctl(build_dir, api, "query", "--session", s, "--limit", "4")
    assert out.returncode == 0, out.stderr
    via_api = out.stdout
    assert [json.loads(line)["seq"] for line in via_api.splitlines()] == sorted(
        trail["seq"][k] for k in ("start", "r1", "r2", "r3", "r4", "r5"))[:4]
    # the database gives the very same lines
    out = mpcctl(build_dir, api, "query", "--session", s, "--limit", "4", dsn=True)
    assert out.returncode == 0 and out.stdout == via_api, out.stderr
    out = mpcctl(build_dir, api, "query", "--api", "--request", f"{trail['tag']}-item-1", dsn=True)
    assert out.returncode == 0, out.stderr
    assert sorted(json.loads(line)["seq"] for line in out.stdout.splitlines()) == sorted(
        [trail["seq"]["sign"], trail["seq"]["result"]])
    out = mpcctl(build_dir, api, "verify", "--api", dsn=True)
    assert out.returncode == 0 and out.stdout == f"OK: {head()[0]} rows, head {head()[2]}\n", out
    n, seq, h = head()
    assert mpcctl(build_dir, api, "verify", "--anchor", f"{seq}:{h}").returncode == 0
    bad = mpcctl(build_dir, api, "verify", "--anchor", f"{seq}:{'0' * 64}")
    assert bad.returncode == 1 and bad.stdout == f"FAIL: row seq={seq} does not match the anchor hash\n"
    # API errors: exit 2 with the code on stderr
    bad = mpcctl(build_dir, api, "query", "--since", "not a time")
    assert bad.returncode == 2 and "INVALID_QUERY" in bad.stderr and "timestamp" in bad.stderr
    assert mpcctl(build_dir, api, "query", "--api", "--dsn", "x").returncode == 2
    env = {k: v for k, v in os.environ.items() if k not in ("MPC_API_KEY", "MPC_API_SECRET", "MPC_PG_DSN")}
    out = subprocess.run([f"{build_dir}/tools/mpcctl/mpcctl", "audit", "verify", "--api"], env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "MPC_API_KEY" in out.stderr
    # the database mode still works alone
    out = mpcctl(build_dir, api, "verify", dsn=True)
    assert out.returncode == 0 and out.stdout.startswith("OK: "), out

