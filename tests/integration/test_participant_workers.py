"""The participant computes on worker threads (node.worker_threads): a long
GG computation on a node does not hold up another session's messages
(services/participant/main.c, workers.h).

The slow session is a GG18 keygen among nodes 1..3. Its second step on each
node (checking the other nodes' Paillier proofs and answering them) takes
hundreds of milliseconds even in Release and seconds in the Debug build.
While every node is inside that step, a FROST signature is requested from
the same nodes. A participant that computed on its Kafka loop would read
the FROST messages only after finishing its keygen step, so the signature
would come after the keygen's round-2 messages of its signers; with workers
it comes before them. The assertion is on the order of records on Kafka
(their CreateTime), not on absolute durations."""
import json
import os
import time

import mpc_records
from conftest import http_get
from test_gg_pipeline import gg, watch_rounds  # noqa: F401 (gg: the module's pipeline fixture)
from test_pipeline import check_signature, metric_total


def poll_record(consumer, timeout):
    """(CreateTime ms, record) of the next RoundMessage or Result, or None."""
    msg = consumer.poll(timeout)
    if msg is None or msg.error():
        return None
    try:
        name, rec = mpc_records.decode(msg.value())
    except (AssertionError, KeyError, ValueError, EOFError):
        return None
    return (msg.timestamp()[1], rec) if name in ("RoundMessage", "Result") else None


def test_frost_signing_is_not_held_up_by_a_gg_keygen(gg):
    frost = gg.keygen("frost")
    warm = [os.urandom(32)]
    items, _ = gg.sign(frost["key_id"], warm)
    res = gg.wait_results([items[0]["request_id"]])[items[0]["request_id"]]
    assert res["status"] == "succeeded", res

    rounds = watch_rounds(gg, ("mpc.rounds", "mpc.results"))

    keygen_id = "kg-workers-" + os.urandom(8).hex()
    rec = {"request_id": keygen_id, "protocol": "gg18", "curve": "secp256k1", "threshold": 2, "total_nodes": 3,
           "chain_type": "bitcoin", "participants": [], "metadata": {}, "client_id": gg.key_id,
           "submitted_at": int(time.time() * 1000), "auth": None}
    gg.produce("mpc.keygen.requests", keygen_id, gg.encode("KeygenRequest", "mpc.keygen.requests", rec)[1])

    keygen_session = None
    round1 = set()        # nodes whose keygen round 1 is out: each is now in its long second step
    round2 = {}           # node -> CreateTime of its first keygen round-2 message
    frost_req = frost_res = None
    deadline = time.time() + 120
    while time.time() < deadline and (frost_res is None or len(round2) < 3):
        got = poll_record(rounds, 0.05)
        if got is None:
            continue
        ts, r = got
        if "round" in r and r["kind"] == "session_start" and keygen_session is None:
            desc = json.loads(r["payload"])
            if desc["kind"] == "keygen" and desc["protocol"] == "gg18":
                keygen_session = r["session_id"]
        elif "round" in r and r["session_id"] == keygen_session and r["kind"] == "protocol":
            if r["round"] == 1:
                round1.add(r["from"])
            elif r["round"] == 2:
                round2.setdefault(r["from"], ts)
        elif "request_id" in r and frost_req and r["request_id"] == frost_req:
            frost_res = (ts, r)
        if len(round1) == 3 and frost_req is None:
            assert not round2, "the keygen's second step was over before the test could sign"
            msg = [os.urandom(32)]
            items, _ = gg.sign(frost["key_id"], msg)
            frost_req = items[0]["request_id"]
    rounds.close()
    assert keygen_session and len(round1) == 3 and len(round2) == 3, (keygen_session, round1, round2)
    assert frost_res is not None, "no FROST result"
    ts, res = frost_res
    assert res["status"] == "succeeded", res
    assert check_signature("frost", frost["public_key"], msg[0], res["signature"])
    signers = res["participants"]
    print(f"\nFROST result at {ts}; keygen round 2 of nodes: {round2}; signers {signers}")
    late = {n: round2[n] - ts for n in signers}
    assert all(d > 0 for d in late.values()), \
        f"the FROST signature waited for the keygen step of its signers (ms ahead of their round 2: {late})"
    assert gg.wait_results([keygen_id])[keygen_id]["status"] == "succeeded"

    # The worker pool in /metrics.
    for node in (1, 2, 3):
        svc = gg.participants[node]
        assert metric_total(svc, "mpc_participant_worker_threads") == 2
        assert metric_total(svc, "mpc_participant_worker_jobs_total") > 0
        status, text = http_get(svc.url("/metrics"))
        assert status == 200
        for name in ("mpc_participant_worker_busy", "mpc_participant_worker_queued",
                     'mpc_participant_worker_job_seconds_count{kind="heavy"}',
                     'mpc_participant_worker_wait_seconds_count{kind="light"}'):
            assert f"\n{name} " in text, name
