"""GG20 presignature pool hygiene through the real stack (Kafka, PostgreSQL,
Redis), with cheating nodes (mpc-participant-cheater, TEST ONLY, its
presign:* cheats: services/participant/cheat.h) to make presign sessions
fail on purpose:

  - a node that an abort names as culprit is left out of the pool-refill
    signer sets for presign.blame_cooldown_ms (docs/ecdsa.md, "Refill").

Paillier keys come from the fixture primes (test_gg_pipeline.GGPipeline)."""
import json
import time

import pytest

from test_gg_cheaters import CheatPipeline, cheating_nodes
from test_gg_pipeline import PRESIGN_POOL
from test_pipeline import metric_total

COOLDOWN_MS = 20000
HYGIENE_ENV = {"MPC_PRESIGN_BLAME_COOLDOWN_MS": str(COOLDOWN_MS)}


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
    seconds; 0 while running)."""
    rows = hg.sql("SELECT session_id, status, coalesce(culprit_node, ''), participating_nodes::text,"
                  " extract(epoch FROM created_at), coalesce(extract(epoch FROM completed_at), 0)"
                  f" FROM signing_sessions WHERE kind = 'presign' AND key_id = '{key_id}' ORDER BY created_at")
    return [{"session_id": r[0], "status": r[1], "culprit": r[2], "participants": json.loads(r[3]),
             "created": float(r[4]), "completed": float(r[5])} for r in rows]


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
