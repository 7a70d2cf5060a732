/* test_primitives.c - scalars against OpenSSL BIGNUM, points and the
 * identity, RFC 9380 expand_message_xmd vectors, transcript unambiguity,
 * bounded readers, the message envelope and Lagrange interpolation. */
#include <string.h>

#include <openssl/bn.h>

#include "engine/hash.h"
#include "engine/party.h"
#include "engine/shamir.h"
#include "engine/transcript.h"
#include "engine/wire.h"
#include "test_support.h"

static const char *ORDER_HEX = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";

static BIGNUM *bn_of(const unsigned char *b, size_t len) {
    BIGNUM *x = BN_bin2bn(b, (int)len, NULL);
    CHECK(x != NULL);
    return x;
}

static void check_eq_bn(const mpc_scalar *s, const BIGNUM *x) {
    unsigned char b[32];
    CHECK(BN_bn2binpad(x, b, 32) == 32);
    CHECK(memcmp(b, s->b, 32) == 0);
}

static void scalars(mpc_test_rng *trng) {
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *n = NULL, *r = BN_new();
    CHECK(BN_hex2bn(&n, ORDER_HEX) && r != NULL);
    mpc_rng rng = mpc_test_rng_source(trng);
    for (int it = 0; it < 300; it++) {
        mpc_scalar a, b, c;
        unsigned char raw[48];
        CHECK(mpc_scalar_random(&rng, &a) && mpc_scalar_random(&rng, &b));
        if (it == 0) memset(a.b, 0, 32);        /* zero operands */
        if (it == 1) memset(b.b, 0, 32);
        if (it == 2) mpc_scalar_neg(&b, &a);    /* sum is zero */
        BIGNUM *x = bn_of(a.b, 32), *y = bn_of(b.b, 32);
        mpc_scalar_add(&c, &a, &b);
        CHECK(BN_mod_add(r, x, y, n, bctx));
        check_eq_bn(&c, r);
        mpc_scalar_sub(&c, &a, &b);
        CHECK(BN_mod_sub(r, x, y, n, bctx));
        check_eq_bn(&c, r);
        mpc_scalar_mul(&c, &a, &b);
        CHECK(BN_mod_mul(r, x, y, n, bctx));
        check_eq_bn(&c, r);
        mpc_scalar_neg(&c, &a);
        CHECK(BN_mod_sub(r, BN_value_one(), BN_value_one(), n, bctx) && BN_mod_sub(r, r, x, n, bctx));
        check_eq_bn(&c, r);
        if (it < 20 && !mpc_scalar_is_zero(&a)) {
            mpc_scalar_inv(&c, &a);
            CHECK(BN_mod_inverse(r, x, n, bctx) != NULL);
            check_eq_bn(&c, r);
        }
        CHECK(mpc_rng_fill(&rng, raw, sizeof raw));
        if (it == 3) memset(raw, 0xff, sizeof raw);
        BIGNUM *w = bn_of(raw, 48);
        mpc_scalar_reduce48(&c, raw);
        CHECK(BN_nnmod(r, w, n, bctx));
        check_eq_bn(&c, r);
        BN_free(w);
        w = bn_of(raw, 32);
        mpc_scalar_reduce32(&c, raw);
        CHECK(BN_nnmod(r, w, n, bctx));
        check_eq_bn(&c, r);
        BN_free(w);
        BN_free(x);
        BN_free(y);
    }
    /* Strict parsing: n is rejected, n-1 and 0 accepted. */
    unsigned char nb[32];
    mpc_scalar s;
    CHECK(BN_bn2binpad(n, nb, 32) == 32);
    CHECK(!mpc_scalar_parse(&s, nb) && mpc_scalar_is_zero(&s));
    nb[31]--;
    CHECK(mpc_scalar_parse(&s, nb));
    memset(nb, 0, 32);
    CHECK(mpc_scalar_parse(&s, nb));
    /* Batch inversion refuses a zero. */
    mpc_scalar v[3], inv[3];
    mpc_scalar_set_u32(&v[0], 5);
    mpc_scalar_set_u32(&v[1], 0);
    mpc_scalar_set_u32(&v[2], 7);
    CHECK(!mpc_scalar_inv_batch(inv, v, 3));
    BN_free(n);
    BN_free(r);
    BN_CTX_free(bctx);
    printf("scalars: ok\n");
}

static void points(const mpc_engine_ctx *ctx) {
    mpc_scalar k, nk, zero = {{0}};
    mpc_point P, Q, I, S;
    unsigned char enc[33];
    mpc_scalar_set_u32(&k, 12345);
    mpc_scalar_neg(&nk, &k);
    mpc_point_mul_base(ctx, &P, &k);
    mpc_point_mul_base(ctx, &Q, &nk);
    mpc_point_add(ctx, &I, &P, &Q);
    CHECK(mpc_point_is_identity(&I));
    CHECK(!mpc_point_serialize(ctx, enc, &I));
    mpc_point_mul_base(ctx, &I, &zero);
    CHECK(mpc_point_is_identity(&I));
    mpc_point_add(ctx, &S, &I, &P);
    CHECK(mpc_point_eq(ctx, &S, &P));
    mpc_point_neg(ctx, &S, &P);
    CHECK(mpc_point_eq(ctx, &S, &Q));
    mpc_point_mul(ctx, &S, &P, &zero);
    CHECK(mpc_point_is_identity(&S));
    CHECK(mpc_point_serialize(ctx, enc, &P) && mpc_point_parse(ctx, &S, enc));
    CHECK(mpc_point_eq(ctx, &S, &P));
    enc[0] = 0x04; /* only compressed encodings */
    CHECK(!mpc_point_parse(ctx, &S, enc) && mpc_point_is_identity(&S));
    memset(enc, 0, 33);
    CHECK(!mpc_point_parse(ctx, &S, enc));
    enc[0] = 0x02;
    memset(enc + 1, 0xff, 32); /* x >= p */
    CHECK(!mpc_point_parse(ctx, &S, enc));
    printf("points: ok\n");
}

static void xmd(void) {
    static const char dst[] = "QUUX-V01-CS02-with-expander-SHA256-128";
    struct { const char *msg; size_t len; const char *want; } v[] = {
        {"", 32, "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"},
        {"abc", 32, "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"},
        {"", 128, "af84c27ccfd45d41914fdff5df25293e221afc53d8ad2ac06d5e3e29485dadbee0d121587713a3e0"
                  "dd4d5e69e93eb7cd4f5df4cd103e188cf60cb02edc3edf18eda8576c412b18ffb658e3dd6ec84946"
                  "9b979d444cf7b26911a08e63cf31f9dcc541708d3491184472c2c29bb749d4286b004ceb5ee6b9a7"
                  "fa5b646c993f0ced"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char out[128], want[128];
        mpc_bytes m = {(const unsigned char *)v[i].msg, strlen(v[i].msg)};
        CHECK(mpc_expand_message_xmd(out, v[i].len, &m, 1, (const unsigned char *)dst,
                                     sizeof dst - 1));
        CHECK(hex_decode(want, sizeof want, v[i].want) == v[i].len);
        CHECK(memcmp(out, want, v[i].len) == 0);
    }
    unsigned char out[32];
    CHECK(!mpc_expand_message_xmd(out, 0, NULL, 0, (const unsigned char *)dst, 3));
    printf("expand_message_xmd: ok\n");
}

static void transcripts(void) {
    unsigned char d1[32], d2[32];
    mpc_transcript t;
    /* ("ab","c") and ("a","bc") must differ. */
    mpc_transcript_init(&t, "test");
    mpc_transcript_append(&t, "x", (const unsigned char *)"ab", 2);
    mpc_transcript_append(&t, "x", (const unsigned char *)"c", 1);
    mpc_transcript_digest(&t, d1);
    mpc_transcript_init(&t, "test");
    mpc_transcript_append(&t, "x", (const unsigned char *)"a", 1);
    mpc_transcript_append(&t, "x", (const unsigned char *)"bc", 2);
    mpc_transcript_digest(&t, d2);
    CHECK(memcmp(d1, d2, 32) != 0);
    mpc_transcript_init(&t, "other");
    mpc_transcript_append(&t, "x", (const unsigned char *)"ab", 2);
    mpc_transcript_append(&t, "x", (const unsigned char *)"c", 1);
    mpc_transcript_digest(&t, d2);
    CHECK(memcmp(d1, d2, 32) != 0);
    printf("transcripts: ok\n");
}

static void readers(void) {
    unsigned char buf[5] = {1, 2, 3, 4, 5}, out[8];
    mpc_reader r;
    uint32_t v;
    mpc_reader_init(&r, buf, sizeof buf);
    CHECK(mpc_read_u32(&r, &v) && v == 0x01020304);
    CHECK(!mpc_read_bytes(&r, out, 2)); /* past the end */
    CHECK(!mpc_read_u32(&r, &v) && !mpc_reader_done(&r)); /* sticky */
    mpc_reader_init(&r, buf, sizeof buf);
    CHECK(mpc_read_bytes(&r, out, 4) && !mpc_reader_done(&r)); /* trailing byte */
    CHECK(mpc_read_ptr(&r, (size_t)-1) == NULL); /* huge length, no overflow */
    printf("readers: ok\n");
}

static void envelope(void) {
    mpc_msg_header h = {.version = MPC_WIRE_VERSION, .protocol = 2, .round = 1,
                        .flags = MPC_FLAG_BROADCAST, .sender = 3, .recipient = 0};
    memset(h.session, 0xab, 32);
    unsigned char payload[10] = {9, 8, 7}, *enc;
    size_t len;
    const unsigned char *pl;
    mpc_msg_header d;
    CHECK(mpc_msg_encode(&enc, &len, &h, payload, sizeof payload) == MPC_OK);
    CHECK(len == MPC_HEADER_BYTES + sizeof payload);
    CHECK(mpc_msg_decode(&d, &pl, enc, len) == MPC_OK);
    CHECK(d.sender == 3 && d.round == 1 && d.payload_len == 10 && memcmp(pl, payload, 10) == 0);
    for (size_t cut = 0; cut < len; cut++) /* every truncation */
        CHECK(mpc_msg_decode(&d, &pl, enc, cut) == MPC_ERR_MALFORMED);
    unsigned char *big = malloc(len + 1);
    memcpy(big, enc, len);
    big[len] = 0;
    CHECK(mpc_msg_decode(&d, &pl, big, len + 1) == MPC_ERR_MALFORMED); /* trailing */
    big[40] = 0xff; /* declared length far beyond the buffer and the maximum */
    CHECK(mpc_msg_decode(&d, &pl, big, len) == MPC_ERR_MALFORMED);
    memcpy(big, enc, len);
    big[0] = 2;
    CHECK(mpc_msg_decode(&d, &pl, big, len) == MPC_ERR_VERSION);
    memcpy(big, enc, len);
    big[7] = 5; /* broadcast flag with a recipient */
    CHECK(mpc_msg_decode(&d, &pl, big, len) == MPC_ERR_MALFORMED);
    free(big);
    free(enc);
    CHECK(mpc_msg_encode(&enc, &len, &h, payload, MPC_MAX_PAYLOAD + 1) == MPC_ERR_MALFORMED);
    printf("envelope: ok\n");
}

static void lagrange(const mpc_engine_ctx *ctx) {
    mpc_scalar secret, shares[7], lam[4], acc = {{0}}, t;
    uint16_t ids[4] = {2, 4, 5, 7};
    mpc_scalar_set_u32(&secret, 424242);
    CHECK(mpc_shamir_split(ctx, shares, NULL, &secret, 4, 7));
    CHECK(mpc_lagrange_coeffs(lam, ids, 4));
    for (int i = 0; i < 4; i++) {
        mpc_scalar_mul(&t, &lam[i], &shares[ids[i] - 1]);
        mpc_scalar_add(&acc, &acc, &t);
    }
    CHECK(mpc_scalar_eq(&acc, &secret));
    uint16_t dup[3] = {1, 2, 1}, zero[2] = {0, 1};
    CHECK(!mpc_lagrange_coeffs(lam, dup, 3));
    CHECK(!mpc_lagrange_coeffs(lam, zero, 2));
    printf("lagrange: ok\n");
}

/* Every code has its own upper-case name, and its own text. */
static void error_names(void) {
    for (int a = MPC_OK; a <= MPC_ERR_BAD_DECOMMITMENT; a++) {
        const char *name = mpc_err_name((mpc_err_code)a);
        CHECK(strcmp(name, "UNKNOWN") != 0 && strcmp(mpc_err_str((mpc_err_code)a), "unknown error") != 0);
        for (const char *c = name; *c; c++) CHECK((*c >= 'A' && *c <= 'Z') || *c == '_');
        for (int b = MPC_OK; b < a; b++) CHECK(strcmp(name, mpc_err_name((mpc_err_code)b)) != 0);
    }
    CHECK(strcmp(mpc_err_name(MPC_ERR_BAD_SIG_SHARE), "BAD_SIG_SHARE") == 0);
    CHECK(strcmp(mpc_err_name((mpc_err_code)999), "UNKNOWN") == 0);
    printf("error names: ok\n");
}

int main(void) {
    error_names();
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_primitives"));
    scalars(&trng);
    points(ctx);
    xmd();
    transcripts();
    readers();
    envelope();
    lagrange(ctx);
    mpc_engine_ctx_free(ctx);
    return 0;
}
