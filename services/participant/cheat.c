/* cheat.c - TEST ONLY: mpc-participant-cheater's misbehaviour; see cheat.h.
 * The bad Paillier keys come from the engine tests' fixtures
 * (tests/engine/gg_fixtures.c), the envelope re-encoding from their support
 * code (tests/engine/test_support.c). */
#include "cheat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/party.h"
#include "engine/zk_range.h"
#include "gg_fixtures.h"
#include "svc/log.h"
#include "test_support.h"

typedef enum {
    HONEST,
    KG_NON_BLUM,
    KG_SMALL_FACTOR,
    KG_BAD_PRM,
    SG_DECOMMIT,
    SG_SIGSHARE,
    SG_MTA_RANGE,
    SG_EQUIVOCATE,
    SG_DELTA,
    SG_SIGMA,
    SG_MTA_GAMMA,
    PS_DECOMMIT, /* presign cheats from here on */
    PS_WRONG_R,
} cheat_mode;

static const struct {
    const char *name;
    cheat_mode mode;
} MODES[] = {
    {"keygen:non-blum", KG_NON_BLUM},  {"keygen:small-factor", KG_SMALL_FACTOR}, {"keygen:bad-prm", KG_BAD_PRM},
    {"sign:decommit", SG_DECOMMIT},    {"sign:sigshare", SG_SIGSHARE},            {"sign:mta-range", SG_MTA_RANGE},
    {"sign:equivocate", SG_EQUIVOCATE}, {"sign:delta", SG_DELTA},                 {"sign:sigma", SG_SIGMA},
    {"sign:mta-gamma", SG_MTA_GAMMA},  {"presign:decommit", PS_DECOMMIT},        {"presign:wrong-r", PS_WRONG_R},
};

static cheat_mode mode = HONEST;
static const char *mode_name = "honest";

/* Reads MPC_CHEAT before main(): a typo must not pass for an honest run. */
__attribute__((constructor)) static void cheat_init(void) {
    const char *v = getenv("MPC_CHEAT");
    if (v == NULL || v[0] == 0) return;
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++)
        if (strcmp(v, MODES[i].name) == 0) {
            mode = MODES[i].mode;
            mode_name = MODES[i].name;
            fprintf(stderr, "mpc-participant-cheater: TEST ONLY, this node cheats: %s\n", mode_name);
            return;
        }
    fprintf(stderr, "mpc-participant-cheater: unknown MPC_CHEAT '%s'; one of:", v);
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) fprintf(stderr, " %s", MODES[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

static void announce(const char *what, const char *session_id) {
    svc_log(SVC_LOG_WARN, "CHEATING (test only)", "{s:s,s:s,s:s}", "cheat", mode_name, "what", what, "session_id",
            session_id ? session_id : "");
}

gg_paillier_priv *cheat_paillier(const mpc_engine_ctx *ctx, gg_paillier_priv *pooled) {
    if (mode == KG_NON_BLUM || mode == KG_SMALL_FACTOR) {
        gg_paillier_free(pooled);
        announce(mode == KG_NON_BLUM ? "non-Blum Paillier modulus" : "Paillier modulus with a 256-bit factor", NULL);
        return mode == KG_NON_BLUM ? gg_bad_key_non_blum(ctx) : gg_bad_key_small_factor(ctx);
    }
    if (mode != KG_BAD_PRM) return pooled;
    if (pooled == NULL && gg_paillier_generate(ctx, &pooled) != MPC_OK) return NULL;
    BN_CTX *bc = BN_CTX_new();
    CHECK(bc != NULL && bn_rand_unit(mpc_engine_rng(ctx), pooled->pub.s, pooled->pub.N, bc));
    BN_CTX_free(bc);
    announce("ring-Pedersen s replaced by a random unit", NULL);
    return pooled;
}

/* ---- bundles: u32 count | count x (u32 len | engine envelope) ---- */

#define MAX_ELEMS PL_BATCH_MAX_ITEMS

typedef struct {
    size_t n;
    unsigned char *elem[MAX_ELEMS]; /* into the bundle's bytes */
    size_t len[MAX_ELEMS];
} elements;

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3]; }

static void put_be32(unsigned char *p, size_t v) {
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

/* Our own bundles are well formed (pl_batch_pop made them). */
static int split_bundle(const pl_bundle *b, elements *e) {
    if (b->len < 4 || be32(b->bytes) == 0 || be32(b->bytes) > MAX_ELEMS) return 0;
    e->n = be32(b->bytes);
    size_t off = 4;
    for (size_t i = 0; i < e->n; i++) {
        e->len[i] = be32(b->bytes + off);
        e->elem[i] = b->bytes + off + 4;
        off += 4 + e->len[i];
    }
    return e->elem[0][0] == MPC_WIRE_VERSION && e->len[0] >= MPC_HEADER_BYTES;
}

/* Flips one payload byte of every element (an offset past the payload is
 * left alone). */
static void flip_payloads(elements *e, size_t off) {
    for (size_t i = 0; i < e->n; i++)
        if (MPC_HEADER_BYTES + off < e->len[i]) e->elem[i][MPC_HEADER_BYTES + off] ^= 1;
}

/* Where sign:decommit and sign:sigshare flip a bit: (engine protocol,
 * round, payload offset). */
static const struct {
    cheat_mode mode;
    uint8_t protocol, round;
    size_t off;
} FLIPS[] = {
    {SG_DECOMMIT, MPC_PROTO_GG18_SIGN, 6, 33 + 33 + 5},    /* V_i | A_i | blinding: in the blinding */
    {SG_DECOMMIT, MPC_PROTO_GG20_PRESIGN, 4, 32 + 33 + 5}, /* delta_i | Gamma_i | blinding: in the blinding */
    {PS_DECOMMIT, MPC_PROTO_GG20_PRESIGN, 4, 32 + 33 + 5}, /* the same, in sessions that fill the pool */
    {SG_SIGSHARE, MPC_PROTO_GG18_SIGN, 9, 31},              /* s_i | l_i: last byte of s_i */
    {SG_SIGSHARE, MPC_PROTO_GG20_SIGN, 1, 31},              /* s_i */
};

/* sign:mta-range: element `in` with c_i replaced by Enc(n^4; r) (round 1)
 * or the range proof of that ciphertext for its recipient (round 2). r is
 * derived from the engine session, so both rounds use the same one. */
static void out_of_range(const mpc_engine_ctx *ctx, const gg_keypkg *kp, const pl_session *d,
                         const unsigned char *in, size_t inlen, unsigned char **out, size_t *outlen) {
    mpc_msg_header h;
    const unsigned char *pl;
    CHECK(mpc_msg_decode(&h, &pl, in, inlen) == MPC_OK && h.payload_len >= 32);
    const gg_paillier_priv *own = kp->own;
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *n = bn_curve_order(), *m = BN_new(), *r = BN_new(), *c = BN_new();
    CHECK(bc && n && m && r && c && BN_sqr(m, n, bc) && BN_sqr(m, m, bc)); /* m = n^4 */
    CHECK(bn_hash_below(r, h.session, "cheat-mta-r", 0, own->pub.N, bc) && bn_is_unit(r, own->pub.N, bc));
    CHECK(gg_paillier_encrypt(&own->pub, own, c, m, r, bc));
    mpc_writer w;
    mpc_writer_init(&w);
    if (h.round == 1) {
        mpc_write_bytes(&w, pl, 32); /* keep the commitment to Gamma_i */
        bn_write(&w, c);
    } else {
        unsigned char ids[2 * PL_MAX_PARTIES], c32[32], *proof;
        size_t prooflen;
        for (size_t j = 0; j < d->nparticipants; j++) {
            ids[2 * j] = (unsigned char)(d->participants[j] >> 8);
            ids[2 * j + 1] = (unsigned char)d->participants[j];
        }
        gg_context(c32, "sign-enc", h.session, h.sender, h.recipient, ids, 2 * d->nparticipants);
        CHECK(gg_zk_enc_prove(ctx, own, &kp->paillier[h.recipient - 1], c32, c, m, r, NULL, NULL, &proof,
                              &prooflen) == MPC_OK);
        mpc_write_bytes(&w, proof, prooflen);
        free(proof);
    }
    size_t nl;
    unsigned char *np = mpc_writer_take(&w, &nl);
    CHECK(np != NULL);
    reencode(in, inlen, np, nl, out, outlen);
    free(np);
    BN_free(n), BN_free(m), BN_free(r), BN_free(c);
    BN_CTX_free(bc);
}

/* Replaces every element of *b by its out-of-range version. */
static void rebuild_out_of_range(const mpc_engine_ctx *ctx, const gg_keypkg *kp, const pl_session *d,
                                 const elements *e, pl_bundle *b) {
    unsigned char **nb = calloc(e->n, sizeof *nb);
    size_t *nl = calloc(e->n, sizeof *nl), total = 4;
    CHECK(nb != NULL && nl != NULL);
    for (size_t i = 0; i < e->n; i++) {
        out_of_range(ctx, kp, d, e->elem[i], e->len[i], &nb[i], &nl[i]);
        total += 4 + nl[i];
    }
    unsigned char *buf = malloc(total);
    CHECK(buf != NULL);
    put_be32(buf, e->n);
    size_t off = 4;
    for (size_t i = 0; i < e->n; i++) {
        put_be32(buf + off, nl[i]);
        memcpy(buf + off + 4, nb[i], nl[i]);
        off += 4 + nl[i];
        free(nb[i]);
    }
    free(nb);
    free(nl);
    pl_bundle_free(b);
    b->bytes = buf;
    b->len = total;
}

void cheat_presign_output(const pl_session *d, unsigned char *points, size_t len) {
    if (mode != PS_WRONG_R || d->kind != PL_KIND_PRESIGN || len < 33) return;
    points[0] ^= 1; /* 02 <-> 03: -R, a valid point, but not the one the other signers report */
    announce("-R reported for items[0] (its presignatures stored honestly)", d->session_id);
}

void cheat_party(mpc_party *party, const pl_session *d) {
    static const struct {
        cheat_mode mode;
        unsigned faults;
        const char *what;
    } ENGINE[] = {
        {SG_DELTA, GG_FAULT_DELTA, "delta_i + 1"},
        {SG_SIGMA, GG_FAULT_SIGMA, "sigma_i + 1"},
        {SG_MTA_GAMMA, GG_FAULT_MTA_GAMMA, "k-gamma MtA answered with gamma_i + 1"},
    };
    if (d->kind != PL_KIND_SIGN) return;
    for (size_t i = 0; i < sizeof ENGINE / sizeof ENGINE[0]; i++)
        if (ENGINE[i].mode == mode) {
            CHECK(gg_sign_set_faults(party, ENGINE[i].faults) == MPC_OK);
            announce(ENGINE[i].what, d->session_id);
        }
}

pl_bundle cheat_bundle(const mpc_engine_ctx *ctx, const pl_session *d, const gg_run *run, pl_bundle *b) {
    pl_bundle first = {0};
    elements e; /* per call: bundles are tampered with on worker threads */
    pl_session_kind cheats_in = mode >= PS_DECOMMIT ? PL_KIND_PRESIGN : PL_KIND_SIGN;
    if (mode < SG_DECOMMIT || d->kind != cheats_in || !split_bundle(b, &e)) return first;
    uint8_t protocol = e.elem[0][1], round = e.elem[0][2];
    int gg_sign = protocol == MPC_PROTO_GG18_SIGN || protocol == MPC_PROTO_GG20_PRESIGN ||
                  protocol == MPC_PROTO_GG20_SIGN;
    if (mode == SG_EQUIVOCATE && gg_sign && round == 1) {
        first = *b;
        CHECK((first.bytes = malloc(b->len)) != NULL);
        memcpy(first.bytes, b->bytes, b->len);
        flip_payloads(&e, 0);
        announce("a second, different round-1 broadcast", d->session_id);
        return first;
    }
    for (size_t i = 0; i < sizeof FLIPS / sizeof FLIPS[0]; i++)
        if (FLIPS[i].mode == mode && FLIPS[i].protocol == protocol && FLIPS[i].round == round) {
            flip_payloads(&e, FLIPS[i].off);
            announce(mode == SG_SIGSHARE ? "wrong signature share" : "wrong decommitment", d->session_id);
        }
    const gg_keypkg *kp = gg_run_keypkg(run);
    if (mode == SG_MTA_RANGE && kp != NULL && (round == 1 || round == 2) &&
        (protocol == MPC_PROTO_GG18_SIGN || protocol == MPC_PROTO_GG20_PRESIGN)) {
        rebuild_out_of_range(ctx, kp, d, &e, b);
        announce(round == 1 ? "MtA input Enc(n^4)" : "range proofs for Enc(n^4)", d->session_id);
    }
    return first;
}
