"""The system libsecp256k1 (Debian's libsecp256k1-1, >= 0.2.0) through ctypes:
BIP-340 verification (secp256k1_xonly_pubkey_parse + secp256k1_schnorrsig_verify)
and, from its group operations, the RFC 9591 FROST(secp256k1, SHA-256)
verification equation z*G == R + c*Y. A second verifier next to the
pure-Python schnorr_ref.py.

load() raises when the library or a needed symbol is missing: the tests
that use it must fail, not skip, without it."""
import ctypes
import ctypes.util

import schnorr_ref

CONTEXT_VERIFY_SIGN = 0x0101 | 0x0201  # SECP256K1_CONTEXT_VERIFY | SECP256K1_CONTEXT_SIGN
EC_COMPRESSED = 0x0102                 # SECP256K1_EC_COMPRESSED
N = schnorr_ref.N

_SYMBOLS = ("secp256k1_context_create", "secp256k1_xonly_pubkey_parse", "secp256k1_schnorrsig_verify",
            "secp256k1_schnorrsig_sign_custom",  # only in versions whose verify takes a message length
            "secp256k1_ec_pubkey_parse", "secp256k1_ec_pubkey_create", "secp256k1_ec_pubkey_tweak_mul",
            "secp256k1_ec_pubkey_combine", "secp256k1_ec_pubkey_serialize")


class Secp256k1:
    def __init__(self, path=None):
        path = path or ctypes.util.find_library("secp256k1") or "libsecp256k1.so.1"
        try:
            self.lib = lib = ctypes.CDLL(path)
        except OSError as e:
            raise RuntimeError(f"cannot load libsecp256k1 ({path}): {e}; install Debian's libsecp256k1-1") from e
        missing = [s for s in _SYMBOLS if not hasattr(lib, s)]
        if missing:
            raise RuntimeError(f"{path} lacks {', '.join(missing)}: libsecp256k1 >= 0.2.0 with the "
                               "schnorrsig and extrakeys modules is needed")
        vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
        lib.secp256k1_context_create.restype = vp
        lib.secp256k1_context_create.argtypes = [ctypes.c_uint]
        lib.secp256k1_xonly_pubkey_parse.argtypes = [vp, cp, cp]
        lib.secp256k1_schnorrsig_verify.argtypes = [vp, cp, cp, sz, cp]
        lib.secp256k1_ec_pubkey_parse.argtypes = [vp, cp, cp, sz]
        lib.secp256k1_ec_pubkey_create.argtypes = [vp, cp, cp]
        lib.secp256k1_ec_pubkey_tweak_mul.argtypes = [vp, cp, cp]
        lib.secp256k1_ec_pubkey_combine.argtypes = [vp, cp, ctypes.POINTER(cp), sz]
        lib.secp256k1_ec_pubkey_serialize.argtypes = [vp, cp, ctypes.POINTER(sz), cp, ctypes.c_uint]
        self.ctx = lib.secp256k1_context_create(CONTEXT_VERIFY_SIGN)
        if not self.ctx:
            raise RuntimeError("secp256k1_context_create failed")

    def bip340_verify(self, xonly32, msg, sig64):
        """BIP-340 Verify(pk, m, sig) for a message of any length."""
        if len(xonly32) != 32 or len(sig64) != 64:
            return False
        pk = ctypes.create_string_buffer(64)
        if self.lib.secp256k1_xonly_pubkey_parse(self.ctx, pk, bytes(xonly32)) != 1:
            return False
        return self.lib.secp256k1_schnorrsig_verify(self.ctx, bytes(sig64), bytes(msg), len(msg), pk) == 1

    def _point(self, sec):
        pk = ctypes.create_string_buffer(64)
        return pk if self.lib.secp256k1_ec_pubkey_parse(self.ctx, pk, bytes(sec), len(sec)) == 1 else None

    def _serialize(self, pk):
        out, n = ctypes.create_string_buffer(33), ctypes.c_size_t(33)
        assert self.lib.secp256k1_ec_pubkey_serialize(self.ctx, out, ctypes.byref(n), pk, EC_COMPRESSED) == 1
        return out.raw

    def frost_verify(self, group_key33, msg, sig65):
        """RFC 9591 section 6.5: sig = R (compressed) || z; valid when
        z*G == R + c*Y, c = H2(R || Y || msg) (the hash from schnorr_ref,
        every group operation from libsecp256k1)."""
        if len(sig65) != 65 or len(group_key33) != 33:
            return False
        R, Y = self._point(sig65[:33]), self._point(group_key33)
        z = int.from_bytes(sig65[33:], "big")
        if R is None or Y is None or not 0 < z < N:
            return False
        c = int.from_bytes(schnorr_ref.expand_message_xmd(bytes(sig65[:33]) + bytes(group_key33) + bytes(msg),
                                                          b"FROST-secp256k1-SHA256-v1chal", 48), "big") % N
        zG = ctypes.create_string_buffer(64)
        if self.lib.secp256k1_ec_pubkey_create(self.ctx, zG, z.to_bytes(32, "big")) != 1:
            return False
        if c == 0:
            return self._serialize(zG) == self._serialize(R)
        if self.lib.secp256k1_ec_pubkey_tweak_mul(self.ctx, Y, c.to_bytes(32, "big")) != 1:
            return False
        total = ctypes.create_string_buffer(64)
        ins = (ctypes.c_char_p * 2)(ctypes.cast(R, ctypes.c_char_p), ctypes.cast(Y, ctypes.c_char_p))
        if self.lib.secp256k1_ec_pubkey_combine(self.ctx, total, ins, 2) != 1:
            return False  # R + cY is the point at infinity
        return self._serialize(total) == self._serialize(zG)


_instance = None


def load():
    """The shared instance; raises RuntimeError when the library cannot be used."""
    global _instance
    if _instance is None:
        _instance = Secp256k1()
    return _instance
