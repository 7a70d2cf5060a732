"""Independent reference for lib/chain: per-chain message digests and the
addresses of group public keys, written from the specifications: BIP-173 and
BIP-350 (Bech32/Bech32m, segwit addresses), BIP-341/BIP-86 (P2TR key-path
output key), BIP-141 (P2WPKH) and EIP-55 (Ethereum checksummed addresses).
Keccak-256 and RIPEMD-160 come from pycryptodome (not OpenSSL, which the C
library uses); the curve arithmetic from schnorr_ref. Pure Python, tests only.

address(chain, protocol, pub33) mirrors mpc_chain_address: a string, None
for "no address" (plain FROST anywhere, BIP-340 keys on EVM chains), and
ValueError for an unknown chain, protocol or an invalid key."""
import hashlib

from Crypto.Hash import RIPEMD160, keccak

from schnorr_ref import G, decompress, lift_x, point_add, point_mul, tagged_hash

BITCOIN_HRP = {"bitcoin": "bc", "bitcoin-testnet": "tb"}
EVM_CHAINS = ("ethereum", "polygon", "bsc", "arbitrum", "optimism", "avalanche", "base")
PROTOCOLS = ("frost", "frost-bip340", "gg18", "gg20")

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32, BECH32M = 1, 0x2BC830A3  # checksum constants (BIP-173, BIP-350)


def keccak256(data):
    return keccak.new(digest_bits=256, data=bytes(data)).digest()


def hash160(data):
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


def _polymod(values):
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def bech32_encode(hrp, data, const):
    """BIP-173 bech32_encode with the checksum constant of BIP-173 or BIP-350."""
    hrp = hrp.lower()
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _polymod(expanded + list(data) + [0] * 6) ^ const
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in list(data) + checksum)


def convertbits(data, frombits, tobits):
    """BIP-173 convertbits with padding."""
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & ((1 << tobits) - 1))
    if bits:
        out.append((acc << (tobits - bits)) & ((1 << tobits) - 1))
    return out


def segwit_address(hrp, witver, program):
    if not 0 <= witver <= 16 or not 2 <= len(program) <= 40 or (witver == 0 and len(program) not in (20, 32)):
        raise ValueError("invalid witness version or program")
    return bech32_encode(hrp, [witver] + convertbits(program, 8, 5), BECH32 if witver == 0 else BECH32M)


def taproot_output_key(xonly32):
    """BIP-86: x(P + int(hash_TapTweak(x(P)))G), P = lift_x(x)."""
    P = lift_x(int.from_bytes(xonly32, "big"))
    if P is None:
        raise ValueError("x-only key not on the curve")
    t = int.from_bytes(tagged_hash("TapTweak", bytes(xonly32)), "big")
    Q = point_add(P, point_mul(G, t))
    return Q[0].to_bytes(32, "big")


def p2tr_address(pub33, hrp="bc"):
    if decompress(pub33) is None:
        raise ValueError("invalid public key")
    return segwit_address(hrp, 1, taproot_output_key(pub33[1:]))


def p2wpkh_address(pub33, hrp="bc"):
    if decompress(pub33) is None:
        raise ValueError("invalid public key")
    return segwit_address(hrp, 0, hash160(pub33))


def eip55(addr20):
    hexaddr = addr20.hex()
    h = keccak256(hexaddr.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8 else c for i, c in enumerate(hexaddr))


def eth_address(pub33):
    Q = decompress(pub33)
    if Q is None:
        raise ValueError("invalid public key")
    return eip55(keccak256(Q[0].to_bytes(32, "big") + Q[1].to_bytes(32, "big"))[12:])


def digest(chain, message):
    """The raw-message digest a chain signs: SHA-256 or Keccak-256."""
    if chain in BITCOIN_HRP:
        return hashlib.sha256(message).digest()
    if chain in EVM_CHAINS:
        return keccak256(message)
    raise ValueError("unknown chain " + repr(chain))


def address(chain, protocol, pub33):
    if chain not in BITCOIN_HRP and chain not in EVM_CHAINS:
        raise ValueError("unknown chain " + repr(chain))
    if protocol not in PROTOCOLS:
        raise ValueError("unknown protocol " + repr(protocol))
    if decompress(bytes(pub33)) is None:
        raise ValueError("invalid public key")
    if chain in BITCOIN_HRP:
        if protocol == "frost-bip340":
            return p2tr_address(pub33, BITCOIN_HRP[chain])
        if protocol in ("gg18", "gg20"):
            return p2wpkh_address(pub33, BITCOIN_HRP[chain])
        return None
    return eth_address(pub33) if protocol in ("gg18", "gg20") else None
