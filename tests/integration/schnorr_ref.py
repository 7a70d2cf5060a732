"""Independent reference verifiers for the signatures the service produces,
written from the specifications (BIP-340; RFC 9591 section 6.5 with the
FROST(secp256k1, SHA-256) ciphersuite). Pure Python, slow, for tests only."""
import hashlib

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def point_mul(pt, k):
    r = None
    for i in range(256):
        if (k >> i) & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
    return r


def lift_x(x):
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return (x, y if y % 2 == 0 else P - y)


def decompress(b):
    if len(b) != 33 or b[0] not in (2, 3):
        return None
    pt = lift_x(int.from_bytes(b[1:], "big"))
    if pt is None:
        return None
    return pt if (pt[1] % 2) == (b[0] - 2) else (pt[0], P - pt[1])


def compress(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def bip340_verify(xonly, msg, sig):
    """BIP-340 Verify(pk, m, sig)."""
    pt = lift_x(int.from_bytes(xonly, "big"))
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if pt is None or r >= P or s >= N:
        return False
    e = int.from_bytes(tagged_hash("BIP0340/challenge", sig[:32] + xonly + msg), "big") % N
    R = point_add(point_mul(G, s), point_mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def expand_message_xmd(msg, dst, length):
    """RFC 9380 section 5.3.1 with SHA-256."""
    b_in_bytes, r_in_bytes = 32, 64
    ell = (length + b_in_bytes - 1) // b_in_bytes
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha256(b"\x00" * r_in_bytes + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    b = [hashlib.sha256(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        b.append(hashlib.sha256(bytes(x ^ y for x, y in zip(b0, b[-1])) + bytes([i]) + dst_prime).digest())
    return b"".join(b)[:length]


def frost_verify(group_key33, msg, sig):
    """RFC 9591: sig = SerializeElement(R) || SerializeScalar(z); checks
    z*G == R + c*Y with c = H2(R || Y || msg)."""
    if len(sig) != 65:
        return False
    R, Y = decompress(sig[:33]), decompress(group_key33)
    z = int.from_bytes(sig[33:], "big")
    if R is None or Y is None or z >= N:
        return False
    dst = b"FROST-secp256k1-SHA256-v1chal"
    c = int.from_bytes(expand_message_xmd(sig[:33] + group_key33 + msg, dst, 48), "big") % N
    return point_mul(G, z) == point_add(R, point_mul(Y, c))
