"""docs/openapi.yaml is a valid OpenAPI 3.1 document, and the running mpc-api
answers every operation it describes (success and error cases) with bodies
that match the described schemas. A final test checks that every operation
in the document was exercised."""
import json
import os
import uuid

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from api_helpers import api, insert_key, psql, redis_cli, sql_literal  # noqa: F401
from conftest import ROOT

SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
EXERCISED = set()


@pytest.fixture(scope="module")
def spec():
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


def test_spec_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def deref(spec, node):
    """Follows a local $ref (#/a/b/c) once."""
    if "$ref" not in node:
        return node
    target = spec
    for part in node["$ref"][2:].split("/"):
        target = target[part]
    return target


def check(spec, template, method, result):
    """Validates (status, body) of one call against the document."""
    status, body, response = result
    op = spec["paths"][template][method.lower()]
    responses = op["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, not described: {body}"
    described = deref(spec, responses[str(status)])
    media = described["content"]
    ctype = response.headers.get("Content-Type", "").split(";")[0]
    assert ctype in media, f"{method} {template} {status}: content type {ctype} not described"
    schema = {**media[ctype]["schema"], "components": spec["components"]}
    if ctype == "application/json":
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator,
                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    EXERCISED.add((template, method.lower(), status))
    return body


def request_check(spec, api, method, template, path, body=None, query=(), raw_get=False):
    if raw_get:  # unauthenticated endpoints
        r = api.session.get(api.base_url + path, timeout=10)
        try:
            parsed = r.json()
        except ValueError:
            parsed = None
        return check(spec, template, method, (r.status_code, parsed, r))
    return check(spec, template, method, api.call(method, path, body, query=query))


def test_operations_match_the_document(spec, api):
    key_id = f"key_oa_{uuid.uuid4().hex[:10]}"
    insert_key(key_id, public_key="02" + "11" * 32)
    rc = lambda *a, **k: request_check(spec, api, *a, **k)  # noqa: E731

    rc("GET", "/health/live", "/health/live", raw_get=True)
    rc("GET", "/health/ready", "/health/ready", raw_get=True)
    rc("GET", "/metrics", "/metrics", raw_get=True)

    rc("GET", "/api/v1/keys", "/api/v1/keys", query=[("limit", "3")])
    rc("GET", "/api/v1/keys", "/api/v1/keys", query=[("limit", "x")])
    rc("GET", "/api/v1/keys/{key_id}", f"/api/v1/keys/{key_id}")
    rc("GET", "/api/v1/keys/{key_id}", "/api/v1/keys/key_missing")

    kg = {"protocol": "frost", "curve": "secp256k1", "threshold": 2, "total_nodes": 3, "chain_type": "bitcoin",
          "request_id": f"oa-kg-{uuid.uuid4().hex}"}
    rc("POST", "/api/v1/keys", "/api/v1/keys", kg)
    rc("POST", "/api/v1/keys", "/api/v1/keys", kg)
    rc("POST", "/api/v1/keys", "/api/v1/keys", {**kg, "protocol": "bls"})

    rid = f"oa-sign-{uuid.uuid4().hex}"
    sign = {"key_id": key_id, "message": "ab" * 32, "message_type": "hash", "request_id": rid,
            "callback_url": "http://127.0.0.1:9/hook"}
    rc("POST", "/api/v1/sign", "/api/v1/sign", sign)
    rc("POST", "/api/v1/sign", "/api/v1/sign", sign)
    rc("POST", "/api/v1/sign", "/api/v1/sign", {**sign, "message": "cd" * 32})
    rc("POST", "/api/v1/sign", "/api/v1/sign", {**sign, "key_id": "key_missing", "request_id": "oa-x"})
    rc("POST", "/api/v1/sign", "/api/v1/sign", {**sign, "message": "zz"})

    batch = {"key_id": key_id, "batch_id": f"oa-b-{uuid.uuid4().hex}",
             "items": [{"message": "ab" * 32, "message_type": "hash"}, {"message": "00", "message_type": "raw"}]}
    rc("POST", "/api/v1/sign/batch", "/api/v1/sign/batch", batch)
    rc("POST", "/api/v1/sign/batch", "/api/v1/sign/batch", {**batch, "items": []})

    rc("GET", "/api/v1/requests/{request_id}", f"/api/v1/requests/{rid}")
    result = {"key_id": key_id, "public_key": None, "address": None, "signature": "aa" * 64, "signature_der": None,
              "recovery_id": None, "session_id": "s1", "participants": [1, 2]}
    psql(f"UPDATE requests SET status = 'succeeded', result = {sql_literal(json.dumps(result))}::jsonb, "
         f"completed_at = NOW() WHERE request_id = {sql_literal(rid)}")
    rc("GET", "/api/v1/requests/{request_id}", f"/api/v1/requests/{rid}")
    rc("GET", "/api/v1/requests/{request_id}", "/api/v1/requests/oa-missing")

    rc("POST", "/api/v1/verify", "/api/v1/verify",
       {"protocol": "frost-bip340", "public_key": "02" + "11" * 32, "message": "00" * 32, "message_type": "hash",
        "signature": "00" * 64})
    rc("POST", "/api/v1/verify", "/api/v1/verify", {"protocol": "frost"})

    sid = f"oa-sess-{uuid.uuid4().hex}"
    psql("INSERT INTO signing_sessions (session_id, key_id, protocol, status, threshold, total_nodes, total_rounds) "
         f"VALUES ({sql_literal(sid)}, {sql_literal(key_id)}, 'frost', 'running', 2, 3, 2)")
    rc("GET", "/api/v1/sessions/{session_id}", f"/api/v1/sessions/{sid}")
    rc("GET", "/api/v1/sessions/{session_id}", "/api/v1/sessions/oa-none")
    rc("POST", "/api/v1/sessions/{session_id}/cancel", f"/api/v1/sessions/{sid}/cancel", {})
    psql(f"UPDATE signing_sessions SET status = 'failed' WHERE session_id = {sql_literal(sid)}")
    rc("POST", "/api/v1/sessions/{session_id}/cancel", f"/api/v1/sessions/{sid}/cancel", {})
    rc("POST", "/api/v1/sessions/{session_id}/cancel", "/api/v1/sessions/oa-none/cancel", {})

    psql("INSERT INTO nodes (node_id, node_type) VALUES ('oa-node', 'participant') ON CONFLICT DO NOTHING")
    redis_cli("SET", "node:health:oa-node", '{"status":"ready"}', "EX", "30")
    rc("GET", "/api/v1/nodes", "/api/v1/nodes")
    rc("GET", "/api/v1/nodes/{node_id}/health", "/api/v1/nodes/oa-node/health")
    rc("GET", "/api/v1/nodes/{node_id}/health", "/api/v1/nodes/oa-none/health")

    rc("GET", "/api/v1/audit/events", "/api/v1/audit/events", query=[("limit", "2")])
    rc("GET", "/api/v1/audit/events", "/api/v1/audit/events", query=[("since", "yesterday")])
    rc("GET", "/api/v1/audit/verify", "/api/v1/audit/verify")
    rc("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", query=[("anchor_seq", "1")])

    # authentication failures are described too
    from api_helpers import ApiClient
    stranger = ApiClient(api.base_url, "mpck_nobody", "00" * 32)
    check(spec, "/api/v1/keys", "GET", stranger.get("/api/v1/keys"))


def test_every_operation_was_exercised(spec):
    ops = {(path, method) for path, item in spec["paths"].items() for method in item}
    seen = {(path, method) for path, method, _ in EXERCISED}
    assert ops <= seen, f"not exercised: {sorted(ops - seen)}"
