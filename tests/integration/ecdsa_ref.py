"""Independent reference for the service's threshold ECDSA (GG18/GG20)
signatures on secp256k1, written from SEC 1 v2 (section 4.1.4 verification,
4.1.6 public key recovery) and SEC 2 (the curve, via schnorr_ref), plus the
low-S rule (BIP-62/BIP-146) and strict DER (BIP-66). Pure Python, slow, for
tests only. Digests are the 32-byte message hash the service signs."""
from schnorr_ref import N, P, G, compress, decompress, lift_x, point_add, point_mul


def _scalar_ok(v):
    return isinstance(v, int) and 1 <= v < N


def is_low_s(s):
    """True if s is in the lower half of the group order (s <= n/2)."""
    return 1 <= s <= N // 2


def verify(pub33, digest32, r, s, require_low_s=False):
    """SEC 1 4.1.4: True if (r, s) is a valid ECDSA signature of digest32
    under the compressed key pub33. With require_low_s, s > n/2 is refused."""
    Q = decompress(pub33)
    if Q is None or len(digest32) != 32 or not _scalar_ok(r) or not _scalar_ok(s):
        return False
    if require_low_s and not is_low_s(s):
        return False
    e = int.from_bytes(digest32, "big")  # the hash is exactly 256 bits: no truncation
    w = pow(s, -1, N)
    R = point_add(point_mul(G, e * w % N), point_mul(Q, r * w % N))
    return R is not None and R[0] % N == r


def recover(digest32, r, s, recid):
    """SEC 1 4.1.6: the compressed public key for which (r, s) signs digest32,
    where recid bit 0 is R's y parity and bit 1 says R.x = r + n. Returns None
    when no such key exists."""
    if len(digest32) != 32 or not _scalar_ok(r) or not _scalar_ok(s) or recid not in (0, 1, 2, 3):
        return None
    x = r + (recid >> 1) * N
    R = lift_x(x) if x < P else None
    if R is None:
        return None
    if R[1] % 2 != recid & 1:
        R = (R[0], P - R[1])
    e = int.from_bytes(digest32, "big")
    r_inv = pow(r, -1, N)
    # Q = r^-1 (sR - eG)
    Q = point_add(point_mul(R, s * r_inv % N), point_mul(G, (N - e) * r_inv % N))
    if Q is None:
        return None
    pub = compress(Q)
    return pub if verify(pub, digest32, r, s) else None


def recovery_id(pub33, digest32, r, s):
    """The recid (0..3) with recover(...) == pub33, or None."""
    for recid in range(4):
        if recover(digest32, r, s, recid) == pub33:
            return recid
    return None


def _der_int(buf, i):
    """Parses one strict DER INTEGER at buf[i:]; returns (value, next index)."""
    if i + 2 > len(buf) or buf[i] != 0x02:
        raise ValueError("DER: expected INTEGER")
    n = buf[i + 1]
    body = buf[i + 2:i + 2 + n]
    if n == 0 or n > 33 or len(body) != n:
        raise ValueError("DER: bad INTEGER length")
    if body[0] & 0x80:
        raise ValueError("DER: negative INTEGER")
    if n > 1 and body[0] == 0 and not body[1] & 0x80:
        raise ValueError("DER: non-minimal INTEGER")
    return int.from_bytes(body, "big"), i + 2 + n


def der_parse(sig):
    """Strict DER (BIP-66) ECDSA signature -> (r, s); ValueError otherwise.
    r and s must be in [1, n-1]."""
    sig = bytes(sig)
    if len(sig) < 8 or len(sig) > 72 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        raise ValueError("DER: bad SEQUENCE header")
    r, i = _der_int(sig, 2)
    s, i = _der_int(sig, i)
    if i != len(sig):
        raise ValueError("DER: trailing bytes")
    if not _scalar_ok(r) or not _scalar_ok(s):
        raise ValueError("DER: r or s out of range")
    return r, s


def der_encode(r, s):
    """(r, s) -> minimal DER, the inverse of der_parse."""
    def integer(v):
        b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # minimal, with a sign bit of 0
        return bytes([0x02, len(b)]) + b
    body = integer(r) + integer(s)
    return bytes([0x30, len(body)]) + body
