/* test_faults.c - fault injection against the DKG and signing state machines:
 * wrong DKG share, bad proof of knowledge, wrong commitment count, wrong
 * signature share, malformed commitment, reused nonce, message from a
 * non-member, truncated / oversized / trailing-garbage messages, duplicate and
 * conflicting messages, foreign session, spoofed sender, and the abort on a
 * programming error. Each must be caught with the right culprit. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "engine/frost_dkg.h"
#include "engine/frost_session.h"
#include "test_support.h"

#define N 4
#define T 3

static const mpc_engine_ctx *g_ctx; /* test-only convenience */

typedef enum fault {
    F_NONE,
    F_SHARE,       /* round-2 DKG share +1 */
    F_POK,         /* flip a bit of mu in the round-1 proof */
    F_COUNT_LESS,  /* drop the last commitment */
    F_COUNT_MORE,  /* append an extra commitment */
    F_TRUNCATE,    /* cut the envelope short */
    F_SHORT_PAYLOAD, /* consistent envelope, payload one byte short */
    F_TRAILING,    /* one garbage byte after the payload */
    F_OVERSIZE,    /* declared payload length above the maximum */
    F_SIG_SHARE,   /* signature share +1 */
    F_BAD_POINT,   /* commitment that is not a curve point */
} fault;

typedef struct tamper {
    fault kind;
    uint16_t from, to; /* to == 0: every recipient */
    uint8_t round;
} tamper;

static void bump_scalar(unsigned char *p) {
    mpc_scalar s, one;
    CHECK(mpc_scalar_parse(&s, p));
    mpc_scalar_set_u32(&one, 1);
    mpc_scalar_add(&s, &s, &one);
    mpc_scalar_serialize(p, &s);
}

static int hook(void *ud, uint16_t from, uint16_t to, uint8_t round, unsigned char **bytes,
                size_t *len) {
    const tamper *tp = ud;
    if (tp->kind == F_NONE || from != tp->from || round != tp->round || (tp->to && to != tp->to))
        return 1;
    mpc_msg_header h;
    const unsigned char *pl;
    CHECK(mpc_msg_decode(&h, &pl, *bytes, *len) == MPC_OK);
    unsigned char buf[4096];
    size_t plen = h.payload_len;
    CHECK(plen + 33 <= sizeof buf);
    memcpy(buf, pl, plen);
    switch (tp->kind) {
    case F_SHARE:
    case F_SIG_SHARE: bump_scalar(buf); break;
    case F_POK: buf[plen - 1] ^= 1; break;
    case F_COUNT_LESS: /* u16 count | C... | pok: remove the last C */
        buf[1]--;
        memmove(buf + plen - 65 - 33, buf + plen - 65, 65);
        plen -= 33;
        break;
    case F_COUNT_MORE:
        buf[1]++;
        memmove(buf + plen - 65 + 33, buf + plen - 65, 65);
        memcpy(buf + plen - 65, buf + 2, 33);
        plen += 33;
        break;
    case F_SHORT_PAYLOAD: plen--; break;
    case F_TRAILING: buf[plen++] = 0; break;
    case F_BAD_POINT: memset(buf + 1, 0xff, 32); break;
    case F_TRUNCATE: *len -= 5; return 1;
    case F_OVERSIZE: (*bytes)[40] = 0x7f; return 1;
    default: break;
    }
    unsigned char *out;
    size_t outlen;
    reencode(*bytes, *len, buf, plen, &out, &outlen);
    *bytes = out;
    *len = outlen;
    return 1;
}

static void make_dkg(mpc_party **p, uint16_t t, uint16_t n, unsigned char sess) {
    for (uint16_t i = 0; i < n; i++) {
        frost_dkg_config c = {.session = {sess}, .self = (uint16_t)(i + 1), .t = t, .n = n};
        CHECK(frost_dkg_new(g_ctx, &p[i], &c) == MPC_OK);
    }
}

/* Run a DKG with one fault; every victim must fail with (code, culprit),
 * every party the fault did not reach must succeed. */
static void dkg_fault(tamper tp, mpc_err_code code) {
    mpc_party *p[N];
    mpc_error errs[N];
    make_dkg(p, T, N, (unsigned char)tp.kind);
    net_run(p, N, hook, &tp, errs);
    for (uint16_t i = 0; i < N; i++) {
        uint16_t id = (uint16_t)(i + 1);
        int victim = id != tp.from && (tp.to == 0 || tp.to == id);
        if (victim) {
            mpc_error e = mpc_party_error(p[i]);
            if (mpc_party_status_get(p[i]) != MPC_PARTY_FAILED || e.code != code ||
                e.culprit != tp.from) {
                fprintf(stderr, "fault %d: party %u status %d err %s culprit %u\n", tp.kind, id,
                        mpc_party_status_get(p[i]), mpc_err_str(e.code), e.culprit);
                exit(1);
            }
            CHECK(errs[i].code == code && errs[i].culprit == tp.from);
        } else if (tp.to != 0) {
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
        }
        mpc_party_free(p[i]);
    }
}

static void dkg_faults(void) {
    dkg_fault((tamper){F_SHARE, 3, 1, 2}, MPC_ERR_BAD_SHARE);
    dkg_fault((tamper){F_POK, 2, 0, 1}, MPC_ERR_BAD_PROOF);
    dkg_fault((tamper){F_COUNT_LESS, 4, 0, 1}, MPC_ERR_COMMITMENT_COUNT);
    dkg_fault((tamper){F_COUNT_MORE, 4, 0, 1}, MPC_ERR_COMMITMENT_COUNT);
    dkg_fault((tamper){F_TRUNCATE, 2, 0, 1}, MPC_ERR_MALFORMED);
    dkg_fault((tamper){F_SHORT_PAYLOAD, 1, 0, 1}, MPC_ERR_MALFORMED);
    dkg_fault((tamper){F_TRAILING, 3, 2, 2}, MPC_ERR_MALFORMED);
    dkg_fault((tamper){F_OVERSIZE, 2, 4, 2}, MPC_ERR_MALFORMED);
    dkg_fault((tamper){F_BAD_POINT, 3, 0, 1}, MPC_ERR_MALFORMED);
    printf("DKG faults (share, PoK, commitment count, truncated, oversized, trailing): ok\n");
}

/* Envelope-level rejections: non-member, duplicate, foreign session,
 * spoofed sender, wrong protocol; the party stays usable. Then equivocation. */
static void rejections(void) {
    mpc_party *p[2];
    mpc_outmsg m1, m2;
    mpc_error e;
    make_dkg(p, 2, 2, 99);
    CHECK(mpc_party_pop(p[0], &m1) && mpc_party_pop(p[1], &m2));
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 9, &e) == MPC_ERR_NOT_PARTICIPANT &&
          e.culprit == 9);
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 2, &e) == MPC_ERR_NOT_PARTICIPANT); /* self */
    CHECK(mpc_party_handle(p[1], m2.bytes, m2.len, 1, &e) == MPC_ERR_SENDER_MISMATCH &&
          e.culprit == 1);
    m1.bytes[8] ^= 1; /* session id */
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 1, &e) == MPC_ERR_WRONG_SESSION);
    m1.bytes[8] ^= 1;
    m1.bytes[1] = MPC_PROTO_FROST_SIGN;
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 1, &e) == MPC_ERR_VERSION);
    m1.bytes[1] = MPC_PROTO_FROST_DKG;
    m1.bytes[2] = 3; /* round out of range */
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 1, &e) == MPC_ERR_BAD_ROUND);
    m1.bytes[2] = 1;
    CHECK(mpc_party_status_get(p[1]) == MPC_PARTY_RUNNING);
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 1, &e) == MPC_OK);
    CHECK(mpc_party_handle(p[1], m1.bytes, m1.len, 1, &e) == MPC_ERR_DUPLICATE && e.culprit == 1);
    CHECK(mpc_err_is_rejection(MPC_ERR_DUPLICATE));
    CHECK(mpc_party_status_get(p[1]) == MPC_PARTY_RUNNING);
    /* p[1] now sent its share to 1: deliver normally and finish. */
    CHECK(mpc_party_handle(p[0], m2.bytes, m2.len, 2, &e) == MPC_OK);
    mpc_outmsg s1, s2;
    CHECK(mpc_party_pop(p[0], &s1) && mpc_party_pop(p[1], &s2));
    CHECK(mpc_party_handle(p[1], s1.bytes, s1.len, 1, &e) == MPC_OK);
    CHECK(mpc_party_handle(p[0], s2.bytes, s2.len, 2, &e) == MPC_OK);
    CHECK(mpc_party_status_get(p[0]) == MPC_PARTY_DONE && mpc_party_status_get(p[1]) == MPC_PARTY_DONE);
    CHECK(mpc_party_handle(p[1], s1.bytes, s1.len, 1, &e) == MPC_ERR_STATE); /* after done */
    mpc_outmsg_free(&s1);
    mpc_outmsg_free(&s2);
    /* A p2p message addressed to someone else. */
    mpc_party_free(p[0]);
    mpc_party_free(p[1]);
    mpc_outmsg_free(&m1);
    mpc_outmsg_free(&m2);

    /* Equivocation: two different round-1 messages from party 1. */
    mpc_party *q[3], *other;
    make_dkg(q, 2, 3, 98);
    frost_dkg_config c = {.session = {98}, .self = 1, .t = 2, .n = 3};
    CHECK(frost_dkg_new(g_ctx, &other, &c) == MPC_OK);
    CHECK(mpc_party_pop(q[0], &m1) && mpc_party_pop(other, &m2));
    CHECK(mpc_party_handle(q[1], m1.bytes, m1.len, 1, &e) == MPC_OK);
    CHECK(mpc_party_handle(q[1], m2.bytes, m2.len, 1, &e) == MPC_ERR_EQUIVOCATION && e.culprit == 1);
    CHECK(mpc_party_status_get(q[1]) == MPC_PARTY_FAILED && mpc_party_error(q[1]).culprit == 1);
    /* Point-to-point message for someone else. */
    mpc_msg_header h;
    const unsigned char *pl;
    unsigned char *b;
    size_t bl;
    CHECK(mpc_msg_decode(&h, &pl, m1.bytes, m1.len) == MPC_OK);
    h.round = 2;
    h.flags = 0;
    h.recipient = 3;
    unsigned char share[32] = {0};
    CHECK(mpc_msg_encode(&b, &bl, &h, share, 32) == MPC_OK);
    CHECK(mpc_party_handle(q[2], b, bl, 1, &e) == MPC_OK); /* buffered for round 2 */
    h.recipient = 2;
    free(b);
    CHECK(mpc_msg_encode(&b, &bl, &h, share, 32) == MPC_OK);
    CHECK(mpc_party_handle(q[2], b, bl, 1, &e) == MPC_ERR_WRONG_RECIPIENT);
    free(b);
    for (int i = 0; i < 3; i++) mpc_party_free(q[i]);
    mpc_party_free(other);
    mpc_outmsg_free(&m1);
    mpc_outmsg_free(&m2);
    printf("rejections (non-member, spoofed sender, session, protocol, round, duplicate, "
           "equivocation, recipient): ok\n");
}

static frost_keypkg keys[N];

static void sign_fault(frost_variant v, tamper tp, mpc_err_code code) {
    uint16_t signers[3] = {1, 3, 4};
    mpc_party *p[3];
    mpc_error errs[3];
    unsigned char msg[5] = "hello";
    frost_session_config sc = {.session = {(unsigned char)tp.kind}, .variant = v,
                               .signers = signers, .nsigners = 3, .msg = msg, .msglen = 5};
    for (int k = 0; k < 3; k++) {
        sc.key = &keys[signers[k] - 1];
        CHECK(frost_session_new(g_ctx, &p[k], &sc) == MPC_OK);
    }
    net_run(p, 3, hook, &tp, errs);
    for (int k = 0; k < 3; k++) {
        if (signers[k] == tp.from || tp.kind == F_NONE) {
            CHECK(tp.kind != F_NONE || mpc_party_status_get(p[k]) == MPC_PARTY_DONE);
        } else {
            mpc_error e = mpc_party_error(p[k]);
            CHECK(mpc_party_status_get(p[k]) == MPC_PARTY_FAILED);
            CHECK(e.code == code && e.culprit == tp.from);
        }
        mpc_party_free(p[k]);
    }
}

static void signing_faults(void) {
    mpc_party *p[N];
    mpc_error errs[N];
    make_dkg(p, T, N, 77);
    net_run(p, N, NULL, NULL, errs);
    for (int i = 0; i < N; i++) {
        CHECK(frost_dkg_output(p[i], &keys[i]) == MPC_OK);
        mpc_party_free(p[i]);
    }
    for (int v = 0; v < 2; v++) {
        sign_fault((frost_variant)v, (tamper){F_NONE, 0, 0, 0}, MPC_OK);
        sign_fault((frost_variant)v, (tamper){F_SIG_SHARE, 3, 0, 2}, MPC_ERR_BAD_SIG_SHARE);
        sign_fault((frost_variant)v, (tamper){F_BAD_POINT, 4, 0, 1}, MPC_ERR_MALFORMED);
        sign_fault((frost_variant)v, (tamper){F_TRUNCATE, 1, 0, 2}, MPC_ERR_MALFORMED);
        sign_fault((frost_variant)v, (tamper){F_TRAILING, 4, 0, 1}, MPC_ERR_MALFORMED);
    }
    printf("signing faults (wrong share, bad commitment, truncated, trailing): ok\n");
}

/* Low-level nonce rules: single use, wiped nonce, wrong package. */
static void nonce_reuse(void) {
    frost_secnonce sn, copy, zero;
    frost_commitment cm[3];
    frost_signing_pkg *pkg;
    mpc_scalar z;
    memset(&zero, 0, sizeof zero);
    uint16_t ids[3] = {1, 2, 3};
    frost_secnonce others[3];
    for (int i = 0; i < 3; i++)
        CHECK(frost_commit(g_ctx, NULL, &others[i], &cm[i], &keys[ids[i] - 1],
                           FROST_VARIANT_RFC9591) == MPC_OK);
    sn = others[0];
    copy = others[0]; /* what a careless caller might do */
    CHECK(frost_signing_pkg_new(g_ctx, &pkg, FROST_VARIANT_RFC9591, &keys[0].group_key, cm, 3,
                                (const unsigned char *)"m", 1) == MPC_OK);
    CHECK(frost_sign(g_ctx, &z, &sn, &keys[0], pkg) == MPC_OK);
    CHECK(frost_sign(g_ctx, &z, &sn, &keys[0], pkg) == MPC_ERR_NONCE_USED);
    CHECK(frost_sign(g_ctx, &z, &zero, &keys[0], pkg) == MPC_ERR_NONCE_USED);
    /* A nonce can't be used by another key, nor with a package that lists
     * other commitments for it; it is consumed by the attempt. */
    CHECK(frost_sign(g_ctx, &z, &copy, &keys[1], pkg) == MPC_ERR_CONFIG);
    CHECK(frost_sign(g_ctx, &z, &copy, &keys[0], pkg) == MPC_ERR_NONCE_USED);
    frost_commitment swapped[3] = {cm[0], cm[1], cm[2]};
    swapped[1].hiding = cm[2].hiding;
    frost_signing_pkg *pkg2;
    CHECK(frost_signing_pkg_new(g_ctx, &pkg2, FROST_VARIANT_RFC9591, &keys[0].group_key, swapped,
                                3, (const unsigned char *)"m", 1) == MPC_OK);
    CHECK(frost_sign(g_ctx, &z, &others[1], &keys[1], pkg2) == MPC_ERR_BAD_COMMITMENTS);
    CHECK(frost_sign(g_ctx, &z, &others[1], &keys[1], pkg2) == MPC_ERR_NONCE_USED);
    /* Unsorted or repeated ids are rejected. */
    frost_commitment bad[2] = {cm[1], cm[0]};
    frost_signing_pkg *pkg3 = NULL;
    CHECK(frost_signing_pkg_new(g_ctx, &pkg3, FROST_VARIANT_RFC9591, &keys[0].group_key, bad, 2,
                                NULL, 0) == MPC_ERR_BAD_COMMITMENTS && pkg3 == NULL);
    frost_signing_pkg_free(pkg);
    frost_signing_pkg_free(pkg2);

    /* The session: after signing, a conflicting round-1 message is
     * equivocation, never a second signature. */
    uint16_t signers[3] = {1, 2, 3};
    mpc_party *p[3], *alt;
    mpc_outmsg m;
    mpc_error e;
    frost_session_config sc = {.session = {5}, .variant = FROST_VARIANT_RFC9591,
                               .signers = signers, .nsigners = 3, .msg = (const unsigned char *)"x",
                               .msglen = 1};
    for (int i = 0; i < 3; i++) {
        sc.key = &keys[i];
        CHECK(frost_session_new(g_ctx, &p[i], &sc) == MPC_OK);
    }
    sc.key = &keys[1];
    CHECK(frost_session_new(g_ctx, &alt, &sc) == MPC_OK); /* same id 2, fresh nonces */
    for (int i = 1; i < 3; i++) {
        CHECK(mpc_party_pop(p[i], &m));
        CHECK(mpc_party_handle(p[0], m.bytes, m.len, (uint16_t)(i + 1), &e) == MPC_OK);
        mpc_outmsg_free(&m);
    }
    CHECK(mpc_party_round(p[0]) == 2);
    CHECK(mpc_party_pop(p[0], &m)); /* round 1 */
    mpc_outmsg_free(&m);
    CHECK(mpc_party_pop(p[0], &m) && m.round == 2); /* the one signature share */
    mpc_outmsg_free(&m);
    CHECK(mpc_party_pop(alt, &m));
    CHECK(mpc_party_handle(p[0], m.bytes, m.len, 2, &e) == MPC_ERR_EQUIVOCATION && e.culprit == 2);
    mpc_outmsg_free(&m);
    CHECK(!mpc_party_pop(p[0], &m)); /* no second share */
    for (int i = 0; i < 3; i++) mpc_party_free(p[i]);
    mpc_party_free(alt);

    /* Configuration errors. */
    uint16_t few[2] = {1, 2}, stranger[3] = {1, 2, 9}, dup[3] = {1, 1, 2};
    sc.key = &keys[0];
    sc.signers = few;
    sc.nsigners = 2;
    CHECK(frost_session_new(g_ctx, &alt, &sc) == MPC_ERR_CONFIG);
    sc.signers = stranger;
    sc.nsigners = 3;
    CHECK(frost_session_new(g_ctx, &alt, &sc) == MPC_ERR_CONFIG);
    sc.signers = dup;
    CHECK(frost_session_new(g_ctx, &alt, &sc) == MPC_ERR_CONFIG);
    frost_dkg_config bad_cfg = {.self = 1, .t = 3, .n = 2};
    CHECK(frost_dkg_new(g_ctx, &alt, &bad_cfg) == MPC_ERR_CONFIG);
    printf("nonce reuse and configuration errors: ok\n");
}

/* A NULL where none is allowed aborts (programming error), in a child. */
static void programming_error(void) {
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", 1);
        if (fd >= 0) dup2(fd, 2);
        mpc_scalar_set_u32(NULL, 1);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    printf("illegal argument aborts: ok\n");
}

int main(void) {
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_faults"));
    g_ctx = ctx;
    dkg_faults();
    rejections();
    signing_faults();
    nonce_reuse();
    programming_error();
    mpc_engine_ctx_free(ctx);
    return 0;
}
