/* gg_faults.h - TEST ONLY: make a GG signing party deviate from the protocol
 * in ways that every proof lets through, so that tests can check the
 * identification that catches them (gg20_ident.h).
 *
 * Only the library mpc_engine_faults (the engine compiled with
 * MPC_ENGINE_FAULTS) has gg_sign_set_faults; production builds have neither
 * the function nor the code paths it switches on. Message tampering by a
 * test harness cannot produce these cheaters: they stay consistent with
 * their own commitments and proofs.
 */
#ifndef MPC_ENGINE_GG_FAULTS_H
#define MPC_ENGINE_GG_FAULTS_H

#include "engine/party.h"

enum {
    GG_FAULT_DELTA = 1 << 0,         /* broadcast delta_i + 1 in round 4 */
    GG_FAULT_MTA_GAMMA = 1 << 1,     /* answer every k-gamma MtA with gamma_i + 1 */
    GG_FAULT_SIGMA = 1 << 2,         /* use sigma_i + 1 (in T_i and S_i alike) */
    GG_FAULT_NU = 1 << 3,            /* add 1 to the nu of the first MtAwc answered */
    GG_FAULT_ANSWER_DIGEST = 1 << 4, /* broadcast a wrong digest of the first answer */
    GG_FAULT_REVEAL_ALPHA = 1 << 5,  /* reveal the first alpha as alpha + 1 (round 6) */
    GG_FAULT_REVEAL_GAMMA = 1 << 6,  /* reveal gamma_i + 1 (round 6) */
};

#ifdef MPC_ENGINE_FAULTS
/* Switch on faults (a mask of GG_FAULT_*) for a GG18 or GG20-presign party
 * just created, before it receives anything. Returns: MPC_OK, or
 * MPC_ERR_STATE for another kind of party. */
MPC_WUR mpc_err_code gg_sign_set_faults(mpc_party *p, unsigned faults);
#endif

#endif
