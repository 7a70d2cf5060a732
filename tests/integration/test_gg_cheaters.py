"""Every way a GG party can cheat that the proofs exist to catch, through the
real stack (Kafka, PostgreSQL, Redis): one node runs mpc-participant-cheater
(TEST ONLY, services/participant/cheat.h) with MPC_CHEAT set, the others are
honest. For each cheat: the session's abort names the cheater
(signing_sessions.culprit_node), the abort is in audit_log with the right
code, no process crashed, and the request still gets its documented outcome:

  - signing: the coordinator retries without the culprit, so the request
    succeeds (the signature verified by libsecp256k1 and ecdsa_ref);
  - keygen: every node 1..n must take part, so a keygen whose abort names a
    culprit is not retried: the request fails (PROTOCOL_ABORT) and the key
    is Failed; the cheater still signs with the keys it holds, and once it
    runs honestly a new keygen succeeds.

Paillier keys come from the fixture primes (test_gg_pipeline.GGPipeline)."""
import os
import time

import pytest

from test_gg_pipeline import PRESIGN_POOL, GGPipeline, record_rs
from test_pipeline_e2e import wait_healthy, wait_unhealthy

AUDIT_WAIT_S = 180  # the auditor may still be working through earlier records


class CheatPipeline(GGPipeline):
    """GGPipeline whose nodes can be restarted as mpc-participant-cheater.
    conftest.Service runs <build>/services/participant/mpc-participant, so
    the cheater is started from a directory where that name is a link to it."""

    def __init__(self, build_dir, stack_env, tmp, extra_env=None):
        self.cheats = {}
        self.cheater_build = os.path.join(tmp, "cheater-build")
        bindir = os.path.join(self.cheater_build, "services", "participant")
        os.makedirs(bindir)
        real = os.path.join(build_dir, "services", "participant")
        assert os.path.exists(os.path.join(real, "mpc-participant-cheater")), "build mpc-participant-cheater"
        os.symlink(os.path.join(real, "mpc-participant-cheater"), os.path.join(bindir, "mpc-participant"))
        os.symlink(os.path.join(real, "mpc-paillier-fill"), os.path.join(bindir, "mpc-paillier-fill"))
        super().__init__(build_dir, stack_env, tmp, extra_env)

    def start_participant(self, i):
        if i not in self.cheats:
            return super().start_participant(i)
        build_dir, env = self.build_dir, self.env
        self.build_dir, self.env = self.cheater_build, {**env, "MPC_CHEAT": self.cheats[i]}
        try:
            return super().start_participant(i)
        finally:
            self.build_dir, self.env = build_dir, env

    def become(self, node, cheat):
        """Restarts node as a cheater (cheat = an MPC_CHEAT value) or as an
        honest participant (None); returns once the coordinator counts it
        live again, so that it is picked as before (signers: the first t)."""
        if self.cheats.get(node) == cheat:
            return
        self.participants[node].stop()
        wait_unhealthy([node])
        if cheat:
            self.cheats[node] = cheat
        else:
            self.cheats.pop(node)
        self.restart_participant(node)
        wait_healthy([node], min_ttl_ms=5000)
        time.sleep(0.3)  # the coordinator's cached view of Redis
        if cheat:
            assert any(f"this node cheats: {cheat}" in line for line in self.participants[node].stderr().splitlines())

    def assert_all_alive(self):
        for svc in [self.coordinator, self.auditor, *self.participants.values()]:
            assert svc.proc.poll() is None, f"{svc.name} exited with {svc.proc.returncode}:\n{svc.stderr()[-3000:]}"

    def sessions_of(self, request_id):
        """(session_id, kind, status, error_code, culprit_node, error_message)
        of every attempt that ran request_id, oldest first."""
        return self.sql("SELECT session_id, kind, status, coalesce(error_code, ''), coalesce(culprit_node, ''),"
                        " coalesce(error_message, '') FROM signing_sessions"
                        f" WHERE request_ids ? '{request_id}' ORDER BY attempt, created_at")

    def audit_rows(self, where, timeout=AUDIT_WAIT_S):
        """audit_log rows (node_id, result, abort code, abort culprit)
        matching where, once there is at least one."""
        deadline = time.time() + timeout
        while True:
            rows = self.sql("SELECT coalesce(node_id, ''), coalesce(result, ''),"
                            " coalesce(details->'record'->'payload_json'->>'code', ''),"
                            " coalesce(details->'record'->'payload_json'->>'culprit', '')"
                            f" FROM audit_log WHERE {where} ORDER BY seq")
            if rows or time.time() > deadline:
                return rows
            time.sleep(0.5)

    def audited_abort(self, session_id, culprit, code, timeout=AUDIT_WAIT_S):
        """The honest nodes' aborts of session_id in audit_log name culprit
        with code (the engine's error name). (A cheater whose engine runs the
        checks honestly may name itself too: the reveal of GG20 presigning
        shows everybody, the cheater included, who deviated.)"""
        rows = self.audit_rows(f"session_id = '{session_id}' AND operation = 'abort'", timeout)
        assert rows, f"no abort of {session_id} in the audit log"
        blaming = [r for r in rows if r[3] == str(culprit) and r[0] != str(culprit)]
        assert blaming, f"no honest node's audited abort of {session_id} names node {culprit}: {rows}"
        for node, _, got, _ in blaming:
            assert got == code, blaming


@pytest.fixture(scope="module")
def cg(build_dir, stack_env, migrated, tmp_path_factory):
    # Node 2 cheats in case after case here, and the online sig-share case
    # needs a pooled presignature of {1, 2}: no blame cooldown keeping node 2
    # out of refills (the cooldown has its own test, test_gg_pool_hygiene).
    p = CheatPipeline(build_dir, stack_env, str(tmp_path_factory.mktemp("gg-cheaters")),
                      extra_env={"MPC_PRESIGN_BLAME_COOLDOWN_MS": "0"})
    yield p
    p.stop()


@pytest.fixture(scope="module")
def keys(cg):
    """A gg18 and a gg20 key made while every node is honest."""
    return {protocol: cg.keygen(protocol) for protocol in ("gg18", "gg20")}


def cheating_nodes(p):
    """The body of a `cheater` fixture for CheatPipeline p: yields
    make(node, how), which restarts node as a cheater; every node made so is
    honest again afterwards."""
    made = []

    def make(node, how):
        p.become(node, how)
        made.append(node)

    yield make
    for node in made:
        p.become(node, None)


@pytest.fixture
def cheater(cg):
    """cheater(node, how) restarts node as a cheater; honest again after the test."""
    yield from cheating_nodes(cg)


def sign_with_cheater(cg, key, nitems=1):
    """Signs nitems digests with key (the signatures verified); returns the
    results and every attempt's signing_sessions row."""
    msgs = [os.urandom(32) for _ in range(nitems)]
    items, results = cg.sign_and_wait(key["key_id"], msgs, timeout=300)
    record_rs(key["public_key"], msgs, results)
    return results, cg.sessions_of(items[0]["request_id"])


def failed_then_signed_without(results, rows, cheater):
    """The first attempt failed naming cheater, the last one signed without
    it. Returns the failed attempt's row."""
    assert all(cheater not in r["participants"] for r in results), results
    assert len(rows) >= 2, rows
    first, last = rows[0], rows[-1]
    assert last[2] == "completed" and last[0] == results[0]["session_id"], rows
    assert first[1:5] == ["sign", "failed", "PROTOCOL_ABORT", str(cheater)], rows
    return first


# ------------------------------------------------------------------ signing ---

@pytest.mark.parametrize("how,protocol,code", [
    ("sign:decommit", "gg18", "BAD_DECOMMITMENT"),       # phase 5B: V_i, A_i
    ("sign:decommit", "gg20", "BAD_DECOMMITMENT"),       # presigning: Gamma_i
    ("sign:sigshare", "gg18", "BAD_SIG_SHARE"),    # round 9
    ("sign:sigshare", "gg20", "BAD_SIG_SHARE"),    # online, from a pooled presignature
    ("sign:mta-range", "gg18", "BAD_PROOF"),  # c_i = Enc(n^4): the range proof fails
    ("sign:mta-range", "gg20", "BAD_PROOF"),  # the same in presigning
    # consistent with its own proofs: the round-5 sum check fails, round 6 reveals
    ("sign:delta", "gg20", "BAD_SIG_SHARE"),       # wrong delta_i
    ("sign:sigma", "gg20", "BAD_SIG_SHARE"),       # wrong sigma_i
    ("sign:mta-gamma", "gg20", "BAD_SIG_SHARE"),   # k-gamma MtA with another gamma
])
def test_signing_cheat_is_named_audited_and_signed_without_it(cg, keys, cheater, how, protocol, code):
    key = keys[protocol]
    nitems = 1
    if protocol == "gg20" and how == "sign:sigshare":
        cg.wait_pool(key["key_id"], want=1)
    elif protocol == "gg20":
        nitems = PRESIGN_POOL + 1  # more than the pool holds: the signers presign inline
    cheater(2, how)
    t0 = time.time()
    results, rows = sign_with_cheater(cg, key, nitems)
    took = time.time() - t0
    if how == "sign:sigshare" and rows[0][2] == "completed":
        # The share is the last thing a signer sends: the cheater, holding
        # the honest signer's share, can output a valid signature before the
        # honest signer's abort arrives, and the first valid output decides.
        # The abort naming it is then only in the audit log.
        assert len(rows) == 1 and 2 in results[0]["participants"], rows
        outcome = "the cheater's own valid output won the race; the abort naming it is audited"
    else:
        failed_then_signed_without(results, rows, 2)
        outcome = "failed naming node 2, then signed without it"
    if protocol == "gg20" and how == "sign:sigshare":
        claimed = cg.sql(f"SELECT count(*) FROM presignatures WHERE claimed_session = '{rows[0][0]}'")
        assert claimed == [["1"]], "the cheated session did not sign from the pool"
    cg.audited_abort(rows[0][0], 2, code)
    cg.assert_all_alive()
    print(f"\n{how} {protocol}: {outcome} ({took:.1f}s)")


def test_equivocating_broadcast_is_named_and_audited(cg, keys, cheater):
    """Node 2 sends two different signed round-1 broadcasts of GG18 signing
    for the same slot. Kafka orders them the same for every reader; the
    second is proof of equivocation: the coordinator fails the session
    naming node 2 and dead-letters the second message (audited as a reject
    naming node 2), then signs without it."""
    cheater(2, "sign:equivocate")
    first = failed_then_signed_without(*sign_with_cheater(cg, keys["gg18"]), 2)
    assert "EQUIVOCATION" in first[5], first
    rows = cg.audit_rows(f"session_id = '{first[0]}' AND operation = 'reject'")
    assert rows and all(r[:2] == ["2", "equivocation"] for r in rows), rows
    cg.assert_all_alive()


def test_equivocation_is_aborted_by_the_honest_signer(cg, keys, cheater):
    """The honest signer, seeing node 2's second round-1 message, fails the
    session itself and publishes an abort naming node 2 (audited)."""
    cheater(2, "sign:equivocate")
    first = failed_then_signed_without(*sign_with_cheater(cg, keys["gg18"]), 2)
    cg.audited_abort(first[0], 2, "EQUIVOCATION")


# ------------------------------------------------------------------- keygen ---

def failed_keygen(cg, protocol):
    """Runs a keygen expected to fail; returns its Result."""
    before = set(cg.seen)
    with pytest.raises(AssertionError):
        cg.keygen(protocol)
    new = [cg.seen[r][-1] for r in cg.seen if r not in before and r.startswith("kg-")]
    failed = [r for r in new if r["error_code"] != "NOT_ENOUGH_PARTICIPANTS"]
    assert len(failed) == 1, new
    return failed[0]


@pytest.mark.parametrize("how,protocol,node", [
    ("keygen:non-blum", "gg18", 3),      # Pi_mod
    ("keygen:small-factor", "gg20", 1),  # Pi_fac
    ("keygen:bad-prm", "gg18", 2),       # Pi_prm
])
def test_keygen_cheat_is_named_audited_and_fails_the_key(cg, keys, cheater, how, protocol, node):
    cheater(node, how)
    t0 = time.time()
    res = failed_keygen(cg, protocol)
    took = time.time() - t0
    assert res["status"] == "failed" and res["error_code"] == "PROTOCOL_ABORT", res
    assert f"node {node} misbehaved" in res["error_message"], res
    rows = cg.sessions_of(res["request_id"])
    assert len(rows) == 1, f"a keygen naming a culprit is not retried: {rows}"
    session_id, kind, status, code, culprit, _ = rows[0]
    assert [kind, status, code, culprit] == ["keygen", "failed", "PROTOCOL_ABORT", str(node)], rows
    key_status = cg.sql(f"SELECT k.status FROM keys k JOIN signing_sessions s ON s.key_id = k.key_id"
                        f" WHERE s.session_id = '{session_id}'")
    assert key_status == [["Failed"]], key_status
    cg.audited_abort(session_id, node, "BAD_PROOF")
    cg.assert_all_alive()
    # Signing goes on meanwhile (with the cheater when it is a signer)...
    for key in keys.values():
        msgs = [os.urandom(32)]
        _, results = cg.sign_and_wait(key["key_id"], msgs)
        record_rs(key["public_key"], msgs, results)
    # ...and, honest again, takes part in a keygen that succeeds.
    cg.become(node, None)
    key = cg.keygen(protocol)
    assert len(key["public_key"]) == 33 and key["participants"] == [1, 2, 3]
    print(f"\n{how} on node {node}: keygen failed naming it in {took:.1f}s")
