/* test_chain.c - unit tests for lib/chain against published vectors:
 * Keccak-256 (Keccak team / Ethereum), BIP-173 and BIP-350 Bech32/Bech32m
 * strings and segwit addresses, BIP-86 P2TR, BIP-173 P2WPKH, EIP-55; and
 * every error status (unknown chain or protocol, bad key, short buffer). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <secp256k1.h>

#include "chain/bech32.h"
#include "chain/chain.h"
#include "chain/keccak.h"
#include "svc/check.h"

/* The generator's compressed key (private key 1). */
static const char *G = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
static const char *EVM[] = {"ethereum", "polygon", "bsc", "arbitrum", "optimism", "avalanche", "base"};

/* A key (hex) and the address expected for it. */
typedef struct key_address {
    const char *key, *addr;
} key_address;

/* Decodes hex into out[0..max). Returns: the byte count, or 0 on bad hex. */
static size_t unhex(unsigned char *out, size_t max, const char *hex) {
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > max) return 0;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return 0;
        out[i] = (unsigned char)v;
    }
    return n / 2;
}

/* Returns: 1 if the 32-byte digest equals the hex string. */
static int digest_is(const unsigned char d[32], const char *hex) {
    unsigned char want[32];
    return unhex(want, sizeof want, hex) == 32 && memcmp(d, want, 32) == 0;
}

static void test_keccak(void) {
    static const struct {
        size_t len;
        int fill; /* -1: bytes 0,1,2,... ; else every byte = fill */
        const char *text;
        const char *hex;
    } V[] = {
        /* published: Keccak-256 of "" and "abc", and the pangram */
        {0, 0, "", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        {3, 0, "abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
        {43, 0, "The quick brown fox jumps over the lazy dog",
         "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"},
        /* 200 bytes of 0xa3 (the FIPS 202 example message, Keccak padding)
         * and the rate boundaries 135/136/137/272; values cross-checked with
         * pycryptodome's Crypto.Hash.keccak */
        {200, 0xa3, NULL, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"},
        {135, -1, NULL, "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62"},
        {136, -1, NULL, "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e"},
        {137, -1, NULL, "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db"},
        {272, -1, NULL, "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e"},
    };
    unsigned char msg[272], d[32];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        for (size_t k = 0; k < V[i].len; k++)
            msg[k] = V[i].text ? (unsigned char)V[i].text[k]
                               : (unsigned char)(V[i].fill < 0 ? k : (size_t)V[i].fill);
        mpc_keccak256(d, msg, V[i].len);
        CHECK(digest_is(d, V[i].hex));
    }
    mpc_keccak256(d, NULL, 0);
    CHECK(digest_is(d, V[0].hex));
}

/* Re-encodes a valid Bech32(m) string from its hrp and data part and
 * compares, ignoring case. */
static int reencodes(const char *s, mpc_bech32_variant variant) {
    static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    char hrp[91], out[91];
    unsigned char data[90];
    const char *sep = strrchr(s, '1');
    size_t len = strlen(s);
    if (sep == NULL || (size_t)(sep - s) >= sizeof hrp) return 0;
    size_t hrplen = (size_t)(sep - s), ndata = len - hrplen - 1 - 6;
    memcpy(hrp, s, hrplen);
    hrp[hrplen] = '\0';
    for (size_t i = 0; i < ndata; i++) {
        char c = sep[1 + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        const char *p = strchr(CHARSET, c);
        if (p == NULL || c == '\0') return 0;
        data[i] = (unsigned char)(p - CHARSET);
    }
    if (!mpc_bech32_encode(out, sizeof out, hrp, data, ndata, variant)) return 0;
    return strcasecmp(out, s) == 0;
}

static void test_bech32_strings(void) {
    /* BIP-173 "Test vectors", valid Bech32 */
    static const char *B32[] = {
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    /* BIP-350 "Test vectors for Bech32m", valid */
    static const char *B32M[] = {
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    };
    for (size_t i = 0; i < sizeof B32 / sizeof B32[0]; i++) {
        CHECK(strlen(B32[i]) <= MPC_BECH32_MAX_LEN);
        CHECK(reencodes(B32[i], MPC_BECH32));
        CHECK(!reencodes(B32[i], MPC_BECH32M));
    }
    for (size_t i = 0; i < sizeof B32M / sizeof B32M[0]; i++) {
        CHECK(reencodes(B32M[i], MPC_BECH32M));
        CHECK(!reencodes(B32M[i], MPC_BECH32));
    }

    char out[91], hrp84[85];
    unsigned char data[90] = {0};
    memset(hrp84, 'a', 84);
    hrp84[84] = '\0';
    CHECK(!mpc_bech32_encode(out, sizeof out, "", data, 1, MPC_BECH32));
    CHECK(out[0] == '\0');
    CHECK(!mpc_bech32_encode(out, sizeof out, hrp84, data, 0, MPC_BECH32));
    CHECK(!mpc_bech32_encode(out, sizeof out, "a b", data, 0, MPC_BECH32));   /* space: 32 */
    CHECK(!mpc_bech32_encode(out, sizeof out, "a\x7f", data, 0, MPC_BECH32)); /* DEL: 127 */
    CHECK(!mpc_bech32_encode(out, sizeof out, "a", data, 83, MPC_BECH32));    /* 91 chars */
    CHECK(mpc_bech32_encode(out, sizeof out, "a", data, 82, MPC_BECH32));     /* 90 chars */
    data[0] = 32;
    CHECK(!mpc_bech32_encode(out, sizeof out, "a", data, 1, MPC_BECH32));
    CHECK(mpc_bech32_encode(out, 9, "a", NULL, 0, MPC_BECH32) && strcmp(out, "a12uel5l") == 0);
    CHECK(!mpc_bech32_encode(out, 8, "a", NULL, 0, MPC_BECH32) && out[0] == '\0');
    CHECK(!mpc_bech32_encode(NULL, 0, "a", NULL, 0, MPC_BECH32));
}

static void test_segwit(void) {
    /* BIP-350 valid segwit addresses (BIP-173's, re-checksummed for v1+) */
    static const struct {
        const char *addr;
        const char *hrp;
        const char *script; /* scriptPubKey: OP_n, push length, program */
    } V[] = {
        {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc",
         "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
        {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "tb",
         "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
        {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bc",
         "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
        {"BC1SW50QGDZ25J", "bc", "6002751e"},
        {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc", "5210751e76e8199196d454941c45d1b3a323"},
        {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", "tb",
         "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
        {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "tb",
         "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
        {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc",
         "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
    };
    char out[91];
    unsigned char script[42];
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        size_t n = unhex(script, sizeof script, V[i].script);
        CHECK(n >= 4 && script[1] == n - 2);
        unsigned witver = script[0] == 0 ? 0 : script[0] - 0x50u;
        CHECK(mpc_segwit_address(out, sizeof out, V[i].hrp, witver, script + 2, n - 2));
        CHECK(strcasecmp(out, V[i].addr) == 0);
    }
    unsigned char prog[41] = {0};
    CHECK(!mpc_segwit_address(out, sizeof out, "bc", 17, prog, 32));
    CHECK(out[0] == '\0');
    CHECK(!mpc_segwit_address(out, sizeof out, "bc", 1, prog, 1));
    CHECK(!mpc_segwit_address(out, sizeof out, "bc", 1, prog, 41));
    CHECK(!mpc_segwit_address(out, sizeof out, "bc", 0, prog, 21));
    CHECK(mpc_segwit_address(out, sizeof out, "bc", 1, prog, 40));
    CHECK(!mpc_segwit_address(out, 42, "bc", 0, prog, 20)); /* needs 43 */
    CHECK(mpc_segwit_address(out, 43, "bc", 0, prog, 20));
}

/* Returns: the status of mpc_chain_address; out holds the address. */
static mpc_chain_status address(const char *chain, const char *proto, const char *key_hex,
                                char *out, size_t outlen) {
    unsigned char key[33];
    CHECK(unhex(key, sizeof key, key_hex) == 33);
    return mpc_chain_address(chain, proto, key, out, outlen);
}

static void test_addresses(void) {
    char out[MPC_CHAIN_ADDRESS_MAX];

    /* BIP-86 test vectors: internal keys of m/86'/0'/0'/0/0, .../0/1, .../1/0;
     * either SEC1 prefix gives the same x-only internal key */
    static const key_address B86[] = {
        {"cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115",
         "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"},
        {"83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145",
         "bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh"},
        {"399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef",
         "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7"},
    };
    for (size_t i = 0; i < sizeof B86 / sizeof B86[0]; i++) {
        char key[67];
        for (int prefix = 2; prefix <= 3; prefix++) {
            snprintf(key, sizeof key, "0%d%s", prefix, B86[i].key);
            CHECK(address("bitcoin", "frost-bip340", key, out, sizeof out) == MPC_CHAIN_OK);
            CHECK(strcmp(out, B86[i].addr) == 0);
        }
    }
    char key0[67];
    snprintf(key0, sizeof key0, "02%s", B86[0].key);
    CHECK(address("bitcoin-testnet", "frost-bip340", key0, out, sizeof out) == MPC_CHAIN_OK);
    CHECK(strncmp(out, "tb1p", 4) == 0 && strlen(out) == 62);
    CHECK(strcmp(out + 4, B86[0].addr + 4) != 0); /* same program, other hrp: other checksum */
    CHECK(strncmp(out + 4, B86[0].addr + 4, 52) == 0);

    /* BIP-173: P2WPKH of the generator's compressed key */
    for (int gg = 18; gg <= 20; gg += 2) {
        const char *proto = gg == 18 ? "gg18" : "gg20";
        CHECK(address("bitcoin", proto, G, out, sizeof out) == MPC_CHAIN_OK);
        CHECK(strcmp(out, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4") == 0);
        CHECK(address("bitcoin-testnet", proto, G, out, sizeof out) == MPC_CHAIN_OK);
        CHECK(strcmp(out, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx") == 0);
    }

    /* Ethereum addresses of private keys 1, 2, 3 */
    static const key_address ETH[] = {
        {"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
         "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
        {"02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
         "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"},
        {"02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
         "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69"},
    };
    for (size_t i = 0; i < sizeof ETH / sizeof ETH[0]; i++)
        for (size_t c = 0; c < sizeof EVM / sizeof EVM[0]; c++) {
            CHECK(address(EVM[c], "gg20", ETH[i].key, out, sizeof out) == MPC_CHAIN_OK);
            CHECK(strcmp(out, ETH[i].addr) == 0);
            CHECK(address(EVM[c], "gg18", ETH[i].key, out, 43) == MPC_CHAIN_OK);
            CHECK(strcmp(out, ETH[i].addr) == 0);
        }

    /* EIP-55's own examples: all caps, all lower, mixed */
    static const char *E55[] = {
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    };
    for (size_t i = 0; i < sizeof E55 / sizeof E55[0]; i++) {
        unsigned char a[20];
        char lowered[41], text[43];
        for (size_t k = 0; k < 40; k++) {
            char ch = E55[i][2 + k];
            lowered[k] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
        }
        lowered[40] = '\0';
        CHECK(unhex(a, sizeof a, lowered) == 20);
        mpc_chain_eip55(text, a);
        CHECK(strcmp(text, E55[i]) == 0);
    }

    /* no standard address: plain FROST anywhere, BIP-340 keys on EVM chains */
    strcpy(out, "junk");
    CHECK(address("bitcoin", "frost", G, out, sizeof out) == MPC_CHAIN_NO_ADDRESS && out[0] == '\0');
    for (size_t c = 0; c < sizeof EVM / sizeof EVM[0]; c++) {
        CHECK(address(EVM[c], "frost", G, out, sizeof out) == MPC_CHAIN_NO_ADDRESS);
        CHECK(address(EVM[c], "frost-bip340", G, out, sizeof out) == MPC_CHAIN_NO_ADDRESS);
    }
    CHECK(address("bitcoin-testnet", "frost", G, NULL, 0) == MPC_CHAIN_NO_ADDRESS);
}

static void test_errors(void) {
    char out[MPC_CHAIN_ADDRESS_MAX];
    unsigned char d[32];

    strcpy(out, "junk");
    CHECK(address("solana", "gg20", G, out, sizeof out) == MPC_CHAIN_UNKNOWN_CHAIN && out[0] == '\0');
    CHECK(address("Bitcoin", "gg20", G, out, sizeof out) == MPC_CHAIN_UNKNOWN_CHAIN);
    CHECK(address("", "gg20", G, out, sizeof out) == MPC_CHAIN_UNKNOWN_CHAIN);
    CHECK(address("bitcoin", "schnorr", G, out, sizeof out) == MPC_CHAIN_UNKNOWN_PROTOCOL);
    CHECK(address("bitcoin", "GG20", G, out, sizeof out) == MPC_CHAIN_UNKNOWN_PROTOCOL);

    /* not compressed SEC1 / not on the curve / x >= p; checked before "no address" */
    static const char *BAD[] = {
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        "0079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        "020000000000000000000000000000000000000000000000000000000000000000",
        "02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        strcpy(out, "junk");
        CHECK(address("bitcoin", "frost-bip340", BAD[i], out, sizeof out) == MPC_CHAIN_BAD_PUBKEY);
        CHECK(out[0] == '\0');
        CHECK(address("bitcoin", "gg18", BAD[i], out, sizeof out) == MPC_CHAIN_BAD_PUBKEY);
        CHECK(address("ethereum", "gg20", BAD[i], out, sizeof out) == MPC_CHAIN_BAD_PUBKEY);
        CHECK(address("ethereum", "frost", BAD[i], out, sizeof out) == MPC_CHAIN_BAD_PUBKEY);
    }

    /* short buffers: P2TR needs 63 bytes, P2WPKH 43, EIP-55 43 */
    strcpy(out, "junk");
    CHECK(address("bitcoin", "frost-bip340", G, out, 62) == MPC_CHAIN_BUFFER_TOO_SMALL && out[0] == '\0');
    CHECK(address("bitcoin", "frost-bip340", G, out, 63) == MPC_CHAIN_OK && strlen(out) == 62);
    CHECK(address("bitcoin", "gg20", G, out, 42) == MPC_CHAIN_BUFFER_TOO_SMALL);
    CHECK(address("bitcoin", "gg20", G, out, 43) == MPC_CHAIN_OK);
    CHECK(address("ethereum", "gg20", G, out, 42) == MPC_CHAIN_BUFFER_TOO_SMALL && out[0] == '\0');
    CHECK(address("ethereum", "gg20", G, NULL, 0) == MPC_CHAIN_BUFFER_TOO_SMALL);

    /* digests: SHA-256 on bitcoin, Keccak-256 on every EVM chain */
    static const char *SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static const char *KECCAK_ABC = "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45";
    const unsigned char *abc = (const unsigned char *)"abc";
    CHECK(mpc_chain_digest("bitcoin", abc, 3, d) == MPC_CHAIN_OK && digest_is(d, SHA256_ABC));
    CHECK(mpc_chain_digest("bitcoin-testnet", abc, 3, d) == MPC_CHAIN_OK && digest_is(d, SHA256_ABC));
    for (size_t c = 0; c < sizeof EVM / sizeof EVM[0]; c++)
        CHECK(mpc_chain_digest(EVM[c], abc, 3, d) == MPC_CHAIN_OK && digest_is(d, KECCAK_ABC));
    CHECK(mpc_chain_digest("bitcoin", NULL, 0, d) == MPC_CHAIN_OK &&
          digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    memset(d, 0x5a, sizeof d);
    CHECK(mpc_chain_digest("solana", abc, 3, d) == MPC_CHAIN_UNKNOWN_CHAIN && d[0] == 0x5a);
    CHECK(mpc_chain_digest("", abc, 3, d) == MPC_CHAIN_UNKNOWN_CHAIN);

    /* every status has a name */
    for (int s = MPC_CHAIN_OK; s <= MPC_CHAIN_CRYPTO_UNAVAILABLE; s++)
        CHECK(strcmp(mpc_chain_status_str((mpc_chain_status)s), "unknown_status") != 0);
    CHECK(strcmp(mpc_chain_status_str(MPC_CHAIN_NO_ADDRESS), "no_address") == 0);
}

/* Returns: 1 if mpc_chain_address(chain, "gg20", key, out, outlen) aborts
 * (a programming error), run in a child process. key is not on the curve. */
static int aborts(const char *chain, char *out, size_t outlen) {
    static const unsigned char key[33] = {0x02};
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, 2);
        MPC_IGNORE(mpc_chain_address(chain, "gg20", key, out, outlen));
        _exit(0);
    }
    int st;
    return waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void test_programming_errors(void) {
    char out[MPC_CHAIN_ADDRESS_MAX];
    CHECK(aborts(NULL, out, sizeof out));
    CHECK(aborts("bitcoin", NULL, 10));
    CHECK(!aborts("bitcoin", out, sizeof out)); /* control: a bad key is data, no abort */
}

int main(void) {
    secp256k1_selftest(); /* lib/chain runs on secp256k1_context_static */
    test_keccak();
    test_bech32_strings();
    test_segwit();
    test_addresses();
    test_errors();
    test_programming_errors();
    return CHECK_DONE();
}
