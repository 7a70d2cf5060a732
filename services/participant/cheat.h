/* cheat.h - TEST ONLY: the misbehaviour of mpc-participant-cheater, a
 * participant built from the same sources as mpc-participant plus cheat.c,
 * compiled with MPC_PARTICIPANT_CHEATER (services/participant/CMakeLists.txt).
 * mpc-participant itself is built without that define and contains none of
 * this: the hooks in main.c and gg.c are #ifdef'd out.
 *
 * The cheat is chosen at start by the environment variable MPC_CHEAT (an
 * unknown value stops the process with exit status 2); without it the
 * cheater is an honest participant. Each cheat is one of the ways the GG
 * proofs exist to catch (tests/integration/test_gg_cheaters.py):
 *
 *   keygen:non-blum      the node's Paillier key is N = p q, p = q = 1 mod 4
 *                        (Pi_mod fails)
 *   keygen:small-factor  N = p q with a 256-bit p (Pi_fac fails)
 *   keygen:bad-prm       ring-Pedersen s is not t^lambda (Pi_prm fails)
 *   sign:decommit        a wrong decommitment: GG18 round 6 (phase 5B, V_i
 *                        and A_i), GG20 presign round 4 (Gamma_i)
 *   sign:sigshare        a wrong signature share: GG18 round 9, GG20
 *                        online round 1
 *   sign:mta-range       an out-of-range MtA input: c_i = Enc(n^4) in round
 *                        1 of GG18 / GG20 presigning, with honestly computed
 *                        range proofs for it in round 2
 *   sign:equivocate      every round-1 broadcast goes out twice: the honest
 *                        bundle, then a different one for the same slot
 *   sign:delta           GG20 presigning (inline) with delta_i + 1: every
 *                        proof passes, the round-5 sum check fails and the
 *                        reveal round names this node (gg20_ident.h)
 *   sign:sigma           the same with sigma_i + 1 (in T_i and S_i alike)
 *   sign:mta-gamma       the same with the k-gamma MtA answered using
 *                        gamma_i + 1 (the MtA proof does not bind it)
 *
 * The last three are deviations built into the engine (engine/gg_faults.h):
 * the cheater links mpc_engine_faults, the engine compiled with them.
 *
 * Sign cheats apply to sessions of kind "sign" only (GG20 presign sessions
 * that fill the coordinator's pool stay honest). Presign cheats apply to
 * those pool-filling sessions only (tests/integration/test_gg_pool_hygiene.py):
 *
 *   presign:decommit     sign:decommit's wrong Gamma_i decommitment (GG20
 *                        presign round 4): the honest signers abort naming
 *                        this node, before anybody stored a presignature
 *   presign:wrong-r      stores its presignatures honestly, then reports
 *                        -R for the first one: the coordinator sees the
 *                        signers disagree and fails the session after
 *                        every signer stored its presignatures (orphans)
 *
 * The tampering happens on this node's own outgoing bundles (or output)
 * before they are signed and encrypted, so every bad message provably
 * comes from it.
 */
#ifndef MPC_PARTICIPANT_CHEAT_H
#define MPC_PARTICIPANT_CHEAT_H

#ifndef MPC_PARTICIPANT_CHEATER
#error "cheat.h belongs to mpc-participant-cheater only"
#endif

#include "engine/gg_common.h"
#include "engine/gg_faults.h"
#include "engine/paillier.h"
#include "gg.h"
#include "pipeline/batch.h"
#include "pipeline/session.h"

/* gg.c: a GG run's key package (NULL for keygen and pooled GG20 sessions). */
const gg_keypkg *gg_run_keypkg(const gg_run *r);

/* Keygen hook (gg.c): the Paillier key this node uses, given the one it
 * took from its pool (may be NULL: empty pool). Returns pooled, or a bad key
 * replacing it (pooled is then freed). */
gg_paillier_priv *cheat_paillier(const mpc_engine_ctx *ctx, gg_paillier_priv *pooled);

/* Outgoing hook (step.c, on a worker thread, before main.c seals and sends
 * the bundle): may tamper with *b in place. Returns a bundle to send before
 * *b (equivocation: the honest one, *b then being its twin), or an empty one
 * (bytes NULL). run is the session's GG state (NULL for FROST). */
pl_bundle cheat_bundle(const mpc_engine_ctx *ctx, const pl_session *d, const gg_run *run, pl_bundle *b);

/* Presign output hook (gg.c, after this node stored the presignatures of
 * presign session d): may alter the output, points[0..len) (the R of each
 * item, 33 bytes each), in place. */
void cheat_presign_output(const pl_session *d, unsigned char *points, size_t len);

/* Party hook (gg.c, after a GG18 signing or GG20 presigning party of d is
 * created): switches on the engine faults of the delta / sigma / mta-gamma
 * cheats for sign sessions. */
void cheat_party(mpc_party *party, const pl_session *d);

#endif
