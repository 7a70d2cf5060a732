"""Checks the independent Python references (ecdsa_ref, address_ref) against
published vectors, and ecdsa_ref against signatures made by the
`cryptography` package. Needs no running stack."""
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import address_ref
import ecdsa_ref
from schnorr_ref import G, N, compress, point_mul

G33 = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")

# Keccak-256: published values ("", "abc", the pangram); 200 x 0xa3 crosses
# the 136-byte rate (value from pycryptodome, which address_ref also uses,
# so it pins the C library rather than checking pycryptodome).
KECCAK = [
    (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    (b"The quick brown fox jumps over the lazy dog",
     "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"),
    (b"\xa3" * 200, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"),
]

# BIP-173 / BIP-350 valid strings (checksum re-derived from hrp and data).
BECH32 = [
    "A12UEL5L", "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl",
]
BECH32M = [
    "A1LQFN3A", "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11" + "l" * 83 + "udsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa",
]

# BIP-350 valid segwit addresses and their scriptPubKeys.
SEGWIT = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    ("tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
]

# BIP-86: internal keys of m/86'/0'/0'/0/0, /0/1, /1/0 and their addresses.
BIP86 = [
    ("cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115",
     "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"),
    ("83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145",
     "bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh"),
    ("399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef",
     "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7"),
]

# Ethereum addresses of private keys 1, 2, 3.
ETH = [
    (1, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
    (2, "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"),
    (3, "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69"),
]

# EIP-55's examples.
EIP55 = [
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]

BAD_KEYS = [
    "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    "02" + "00" * 32,
    "02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
]


@pytest.mark.parametrize("msg,want", KECCAK)
def test_keccak256(msg, want):
    assert address_ref.keccak256(msg).hex() == want


def _reencode(s, const):
    hrp, _, rest = s.rpartition("1")
    data = [address_ref.CHARSET.index(c) for c in rest[:-6].lower()]
    return address_ref.bech32_encode(hrp, data, const)


def test_bech32_strings():
    for s in BECH32:
        assert _reencode(s, address_ref.BECH32) == s.lower()
        assert _reencode(s, address_ref.BECH32M) != s.lower()
    for s in BECH32M:
        assert _reencode(s, address_ref.BECH32M) == s.lower()
        assert len(s) <= 90


@pytest.mark.parametrize("addr,script", SEGWIT)
def test_segwit_addresses(addr, script):
    spk = bytes.fromhex(script)
    witver = 0 if spk[0] == 0 else spk[0] - 0x50
    assert spk[1] == len(spk) - 2
    assert address_ref.segwit_address(addr[:2].lower(), witver, spk[2:]) == addr.lower()


@pytest.mark.parametrize("x,addr", BIP86)
def test_bip86_p2tr(x, addr):
    for prefix in ("02", "03"):  # only the x-coordinate counts
        assert address_ref.address("bitcoin", "frost-bip340", bytes.fromhex(prefix + x)) == addr
    testnet = address_ref.address("bitcoin-testnet", "frost-bip340", bytes.fromhex("02" + x))
    assert testnet.startswith("tb1p") and testnet[4:56] == addr[4:56]


def test_bip173_p2wpkh():
    for proto in ("gg18", "gg20"):
        assert address_ref.address("bitcoin", proto, G33) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        assert address_ref.address("bitcoin-testnet", proto, G33) == "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"


@pytest.mark.parametrize("priv,addr", ETH)
def test_eth_addresses(priv, addr):
    pub = compress(point_mul(G, priv))
    for chain in address_ref.EVM_CHAINS:
        assert address_ref.address(chain, "gg20", pub) == addr
        assert address_ref.address(chain, "frost", pub) is None
        assert address_ref.address(chain, "frost-bip340", pub) is None


@pytest.mark.parametrize("addr", EIP55)
def test_eip55_examples(addr):
    assert address_ref.eip55(bytes.fromhex(addr[2:])) == addr


def test_no_address_and_errors():
    assert address_ref.address("bitcoin", "frost", G33) is None
    for chain, proto in (("solana", "gg20"), ("Bitcoin", "gg20"), ("bitcoin", "GG20"), ("bitcoin", "schnorr")):
        with pytest.raises(ValueError):
            address_ref.address(chain, proto, G33)
    for bad in BAD_KEYS:
        for proto in address_ref.PROTOCOLS:
            with pytest.raises(ValueError):
                address_ref.address("bitcoin", proto, bytes.fromhex(bad))
    with pytest.raises(ValueError):
        address_ref.digest("solana", b"abc")


def test_digests():
    sha_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert address_ref.digest("bitcoin", b"abc").hex() == sha_abc
    assert address_ref.digest("bitcoin-testnet", b"abc").hex() == sha_abc
    for chain in address_ref.EVM_CHAINS:
        assert address_ref.digest(chain, b"abc").hex() == KECCAK[1][1]


def test_ecdsa_published_vector():
    """Private key 1, SHA-256("Satoshi Nakamoto"), RFC 6979 nonce: the
    signature widely used as a secp256k1 test vector (already low-S)."""
    digest = hashlib.sha256(b"Satoshi Nakamoto").digest()
    r = 0x934B1EA10A4B3C1757E2B0C017D0B6143CE3C9A7E6A4A49860D7A6AB210EE3D8
    s = 0x2442CE9D2B916064108014783E923EC36B49743E2FFA1C4496F01A512AAFD9E5
    assert ecdsa_ref.verify(G33, digest, r, s, require_low_s=True)
    assert ecdsa_ref.verify(G33, digest, r, N - s)
    assert not ecdsa_ref.verify(G33, digest, r, N - s, require_low_s=True)
    recid = ecdsa_ref.recovery_id(G33, digest, r, s)
    assert recid is not None and ecdsa_ref.recover(digest, r, s, recid) == G33
    assert ecdsa_ref.recover(digest, r, N - s, recid ^ 1) == G33  # negating s flips R's parity
    assert not ecdsa_ref.verify(G33, digest[:-1] + bytes([digest[-1] ^ 1]), r, s)


def test_ecdsa_against_cryptography():
    for i in range(4):
        key = ec.generate_private_key(ec.SECP256K1())
        pub33 = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        digest = hashlib.sha256(b"message %d" % i).digest()
        der = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        r, s = ecdsa_ref.der_parse(der)
        assert (r, s) == decode_dss_signature(der)
        assert ecdsa_ref.der_encode(r, s) == der
        assert ecdsa_ref.verify(pub33, digest, r, s)
        low_s = min(s, N - s)
        assert ecdsa_ref.is_low_s(low_s) and ecdsa_ref.verify(pub33, digest, r, low_s, require_low_s=True)
        recid = ecdsa_ref.recovery_id(pub33, digest, r, s)
        assert recid is not None and ecdsa_ref.recover(digest, r, s, recid) == pub33
        assert not ecdsa_ref.verify(pub33, hashlib.sha256(b"other").digest(), r, s)
        assert not ecdsa_ref.verify(G33, digest, r, s)


def test_ecdsa_rejects_malformed():
    digest = bytes(32)
    assert not ecdsa_ref.verify(G33, digest, 0, 1)
    assert not ecdsa_ref.verify(G33, digest, 1, N)
    assert not ecdsa_ref.verify(bytes.fromhex(BAD_KEYS[1]), digest, 1, 1)
    assert ecdsa_ref.recover(digest, 0, 1, 0) is None
    assert ecdsa_ref.recover(digest, 1, 1, 4) is None
    good = ecdsa_ref.der_encode(0x80, 0x7F)
    assert good == bytes.fromhex("3007020200800201" + "7f")
    assert ecdsa_ref.der_parse(good) == (0x80, 0x7F)
    for bad in (
        good + b"\x00",                          # trailing byte
        good[:-1],                                # shorter than its length
        bytes.fromhex("30070202008002027f"),      # s runs past the end
        bytes.fromhex("3008020300008002017f"),    # non-minimal r
        bytes.fromhex("3006020180020177"),        # negative r
        bytes.fromhex("3006020100020101"),        # r = 0
        bytes.fromhex("3106020101020101"),        # not a SEQUENCE
    ):
        with pytest.raises(ValueError):
            ecdsa_ref.der_parse(bad)
