"""GG20 presignature pool hygiene through the real stack (Kafka, PostgreSQL,
Redis), with cheating nodes (mpc-participant-cheater, TEST ONLY, its
presign:* cheats: services/participant/cheat.h) to make presign sessions
fail on purpose:

  - presignatures a node stored for a presign session that then failed are
    deleted by the node's sweep (services/participant/presig_sweep.h), and
    live pool entries are kept and still sign;
  - a presign session whose row was closed while its coordinator stalled
    adds no presignatures when the coordinator resumes (they are being
    swept as orphans), and rows left running by a stopped coordinator are
    closed as ABANDONED;
  - a node that an abort names as culprit is left out of the pool-refill
    signer sets for presign.blame_cooldown_ms (docs/ecdsa.md, "Refill").

Paillier keys come from the fixture primes (test_gg_pipeline.GGPipeline)."""
import json
import os
import signal
import time
import uuid

import pytest

from test_gg_cheaters import CheatPipeline, cheating_nodes
from test_gg_pipeline import (GG_ENV, PRESIGN_POOL, ledger_ids, next_round, presig_files, record_rs,
                              restart_coordinator, watch_rounds)
from test_pipeline import metric_total
from test_pipeline_e2e import wait_healthy, wait_unhealthy

COOLDOWN_MS = 20000
SWEEP_INTERVAL_MS, SWEEP_MIN_AGE_MS = 1000, 6000
HYGIENE_ENV = {"MPC_PRESIGN_BLAME_COOLDOWN_MS": str(COOLDOWN_MS),
               "MPC_PRESIG_SWEEP_INTERVAL_MS": str(SWEEP_INTERVAL_MS),
               "MPC_PRESIG_SWEEP_MIN_AGE_MS": str(SWEEP_MIN_AGE_MS)}
BATCH = int(GG_ENV["MPC_PRESIGN_BATCH"])
CLOSED_MEANWHILE = "presign session was closed meanwhile (abandoned): its presignatures are not added"


@pytest.fixture(scope="module")
def hg(build_dir, stack_env, migrated, tmp_path_factory):
    p = CheatPipeline(build_dir, stack_env, str(tmp_path_factory.mktemp("gg-pool-hygiene")), extra_env=HYGIENE_ENV)
    yield p
    p.stop()


@pytest.fixture
def cheater(hg):
    """cheater(node, how) restarts node as a cheater; honest again after the test."""
    yield from cheating_nodes(hg)


def wait_for(fetch, timeout, what):
    """Polls fetch() until it returns something true; returns that."""
    deadline = time.time() + timeout
    while True:
        got = fetch()
        if got:
            return got
        assert time.time() < deadline, f"never: {what}"
        time.sleep(0.5)


def presign_sessions(hg, key_id):
    """Presign sessions of key_id, oldest first: dicts with session_id,
    status, culprit ('' for none), participants, created and completed (Unix
    seconds; 0 while running), message (the error message)."""
    rows = hg.sql("SELECT session_id, status, coalesce(culprit_node, ''), participating_nodes::text,"
                  " extract(epoch FROM created_at), coalesce(extract(epoch FROM completed_at), 0),"
                  " coalesce(error_message, '')"
                  f" FROM signing_sessions WHERE kind = 'presign' AND key_id = '{key_id}' ORDER BY created_at")
    return [{"session_id": r[0], "status": r[1], "culprit": r[2], "participants": json.loads(r[3]),
             "created": float(r[4]), "completed": float(r[5]), "message": r[6]} for r in rows]


def held(hg, node, session_id):
    """The presignatures of presign session session_id that node holds."""
    return {name for name in presig_files(hg, node) if name.startswith(session_id + ".")}


def test_orphaned_presignatures_are_swept_and_live_ones_kept_and_used(hg, cheater):
    """Node 2 away and node 3 reporting -R for presignatures it stored
    honestly (presign:wrong-r): the refill for {1,3} fails after nodes 1 and
    3 stored their halves, which nobody will ever ask for. Their sweeps
    delete them (ledger marker first) once the coordinator's tables say so,
    while node 1's live entries of the {1,2} pool stay, however old; a
    claimed entry stays while its signing session runs and goes after. With
    node 2 back, a request is signed from the surviving pool."""
    key = hg.keygen("gg20")
    key_id, pk = key["key_id"], key["public_key"]
    hg.wait_pool(key_id)
    live = [row[0] for row in hg.sql(f"SELECT presig_id FROM presignatures WHERE key_id = '{key_id}'"
                                     " AND signers = '1,2' AND status = 'ready' ORDER BY presig_id")]
    assert len(live) == PRESIGN_POOL and set(live) <= presig_files(hg, 1)
    cheater(3, "presign:wrong-r")  # not in the refill set yet
    hg.participants[2].stop()
    wait_unhealthy([2])
    failed = wait_for(lambda: [s for s in presign_sessions(hg, key_id) if s["status"] == "failed"
                               and s["message"] == "participants disagree on the presignatures"], 120,
                      "a presign session of {1,3} failed by node 3's -R")[0]
    assert failed["participants"] == [1, 3], failed
    sid = failed["session_id"]
    orphans = {f"{sid}.{i}" for i in range(BATCH)}
    assert held(hg, 1, sid) == orphans and held(hg, 3, sid) == orphans, "the signers did not store before failing"
    assert hg.sql(f"SELECT count(*) FROM presignatures WHERE presign_session = '{sid}'") == [["0"]]
    t0 = time.time()
    wait_for(lambda: not held(hg, 1, sid) and not held(hg, 3, sid), 60, "the orphans swept")
    swept_s = time.time() - t0
    for node in (1, 3):
        assert {f"presig:{o}" for o in orphans} <= ledger_ids(hg, node), "deleted without its ledger marker"
    lines = [line for line in hg.participants[1].log_lines() if line.get("msg") == "orphaned presignatures swept"]
    assert orphans <= {i for line in lines for i in line["ids"]}, lines
    assert metric_total(hg.participants[1], "mpc_presig_swept_total") >= BATCH
    assert metric_total(hg.participants[1], "mpc_presig_sweep_checked_total") >= PRESIGN_POOL + BATCH

    # Live entries stay: ready for a signer set of node 1's, or claimed by a
    # signing session that runs (a made-up one here); then that session ends.
    victim, fake = live[0], "s-it-" + uuid.uuid4().hex
    hg.sql("INSERT INTO signing_sessions (session_id, key_id, kind, protocol, status, threshold, total_nodes,"
           f" total_rounds) VALUES ('{fake}', '{key_id}', 'sign', 'gg20', 'running', 2, 3, 1)")
    hg.sql(f"UPDATE presignatures SET status = 'claimed', claimed_session = '{fake}', claimed_at = now()"
           f" WHERE presig_id = '{victim}'")
    time.sleep(3 * SWEEP_INTERVAL_MS / 1000)
    assert set(live) <= presig_files(hg, 1), "the sweep deleted a live presignature"
    hg.sql(f"UPDATE signing_sessions SET status = 'failed', completed_at = now() WHERE session_id = '{fake}'")
    wait_for(lambda: victim not in presig_files(hg, 1), 30, "the presignature of the ended session swept")
    assert f"presig:{victim}" in ledger_ids(hg, 1)
    assert set(live[1:]) <= presig_files(hg, 1)

    hg.restart_participant(2)
    wait_healthy([2], min_ttl_ms=5000)
    time.sleep(0.3)  # the coordinator's cached view of Redis
    msgs = [os.urandom(32)]
    _, results = hg.sign_and_wait(key_id, msgs)
    record_rs(pk, msgs, results)
    used = hg.sql(f"SELECT presig_id FROM presignatures WHERE claimed_session = '{results[0]['session_id']}'")
    assert len(used) == 1 and used[0][0] in live[1:], used
    print(f"\n{BATCH} orphans of {sid} swept {swept_s:.1f}s after the session failed"
          f" (sweep_min_age_ms {SWEEP_MIN_AGE_MS}); {PRESIGN_POOL - 1} live entries kept, one signed with")


def test_presign_session_closed_while_its_coordinator_stalled_adds_nothing(hg):
    """The coordinator stops (SIGSTOP) right after announcing a presign
    session; the signers finish and store their halves (kept by their
    sweeps, however old, while the session runs); meanwhile the
    session's row is closed (as another coordinator does with sessions left
    running, ABANDONED). Resumed, the coordinator sees a successful session
    but adds none of its presignatures (the row is no longer running), and
    the signers sweep them as orphans. A row left running long after its
    timeout is closed as ABANDONED by a coordinator (here at its start)."""
    c = watch_rounds(hg)
    try:
        key_id = hg.keygen("gg20")["key_id"]
        start = next_round(c, lambda r: r["kind"] == "session_start" and r["session_id"].startswith("ps-")
                           and json.loads(r["payload"])["key_id"] == key_id)
        hg.coordinator.proc.send_signal(signal.SIGSTOP)
    finally:
        c.close()
    sid, signers = start["session_id"], json.loads(start["payload"])["participants"]
    try:
        wait_for(lambda: all(len(held(hg, n, sid)) == BATCH for n in signers), 60, "the signers' presignatures")
        # Older than sweep_min_age_ms, but their session runs: kept.
        time.sleep((SWEEP_MIN_AGE_MS + 2 * SWEEP_INTERVAL_MS) / 1000)
        assert all(len(held(hg, n, sid)) == BATCH for n in signers), "presignatures of a running session swept"
        hg.sql("UPDATE signing_sessions SET status = 'failed', error_code = 'ABANDONED', completed_at = now()"
               f" WHERE session_id = '{sid}' AND status = 'running'")
    finally:
        hg.coordinator.proc.send_signal(signal.SIGCONT)
    outcome = wait_for(lambda: [line["msg"] for line in hg.coordinator.log_lines() if line.get("session_id") == sid
                                and line.get("msg") in ("presignatures ready", CLOSED_MEANWHILE)], 30,
                       "the resumed coordinator's conclusion")
    assert hg.sql(f"SELECT count(*) FROM presignatures WHERE presign_session = '{sid}'") == [["0"]], \
        "presignatures of a closed session were added to the pool"
    assert outcome == [CLOSED_MEANWHILE]
    assert hg.sql(f"SELECT status, error_code FROM signing_sessions WHERE session_id = '{sid}'") == \
        [["failed", "ABANDONED"]]
    wait_for(lambda: not any(held(hg, n, sid) for n in signers), 60, "the orphans swept")
    hg.wait_pool(key_id)  # later sessions fill the pool

    stale = "ps-it-" + uuid.uuid4().hex
    hg.sql("INSERT INTO signing_sessions (session_id, key_id, kind, protocol, status, threshold, total_nodes,"
           f" total_rounds, created_at) VALUES ('{stale}', '{key_id}', 'presign', 'gg20', 'running', 2, 3, 1,"
           " now() - interval '1 hour')")
    restart_coordinator(hg, {})
    wait_for(lambda: hg.sql(f"SELECT status, error_code FROM signing_sessions WHERE session_id = '{stale}'")
             == [["failed", "ABANDONED"]], 30, "the stale presign session closed")


def test_node_named_as_culprit_is_left_out_of_refills_for_the_cooldown(hg, cheater):
    """Node 2 sends a wrong decommitment in every presign session
    (presign:decommit). The first refill of a new key's pool, for the
    signers the coordinator picks ({1,2}: the first t live), fails with node
    1's abort naming node 2. For presign.blame_cooldown_ms the coordinator
    leaves node 2 out of refill signer sets: the pool of {1,3} fills instead
    of presign sessions failing on node 2 again and again. Once that is over
    (node 2 honest by then) the pool of {1,2} is refilled."""
    cheater(2, "presign:decommit")
    key_id = hg.keygen("gg20")["key_id"]  # keygen is honest: the cheat is for presign sessions only
    failed = wait_for(lambda: [s for s in presign_sessions(hg, key_id) if s["status"] == "failed"], 120,
                      "a failed presign session")[0]
    assert failed["participants"] == [1, 2] and failed["culprit"] == "2", failed
    hg.wait_pool(key_id, signers="1,3", want=PRESIGN_POOL, timeout=120)
    blamed_at = failed["completed"]
    during = [s for s in presign_sessions(hg, key_id)
              if blamed_at <= s["created"] < blamed_at + COOLDOWN_MS / 1000 - 1]
    assert during and all(2 not in s["participants"] for s in during), during
    lines = [line for line in hg.coordinator.log_lines()
             if line.get("msg") == "node named as culprit: left out of presign refills"]
    assert lines and lines[0]["node"] == 2 and lines[0]["session_id"] == failed["session_id"], lines
    assert metric_total(hg.coordinator, "mpc_presign_blamed_total") >= 1
    hg.become(2, None)
    hg.wait_pool(key_id, signers="1,2", want=PRESIGN_POOL, timeout=120)
    back = [s for s in presign_sessions(hg, key_id)
            if s["created"] > blamed_at and 2 in s["participants"] and s["status"] == "completed"]
    assert back and back[0]["created"] >= blamed_at + COOLDOWN_MS / 1000 - 1, back
    print(f"\nnode 2 blamed by {failed['session_id']}; {len(during)} refill session(s) without it during the"
          f" cooldown; back in the set {back[0]['created'] - blamed_at:.1f}s later")
