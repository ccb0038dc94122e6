"""Bytes encrypted at rest under the codec's key ring (infra/codec.py `KeyRing`): evidence
files in the ledger (R-IN-9) are sealed with the same keys as the payloads Temporal stores, so
one rotation covers both (the key id is kept with each blob; old keys stay in the ring).

A blob is a fresh 12-byte nonce followed by the AES-GCM ciphertext and tag; `bound_to` (e.g.
the evidence id) is authenticated with it, so a blob copied onto another row does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.codec import NONCE_SIZE, CodecError, KeyRing


def seal(ring: KeyRing, data: bytes, bound_to: str) -> tuple[str, bytes]:
    """(key id, blob) under the ring's active key."""
    nonce = os.urandom(NONCE_SIZE)
    blob = nonce + AESGCM(ring.key(ring.active)).encrypt(nonce, data, bound_to.encode())
    return ring.active, blob


def open_sealed(ring: KeyRing, key_id: str, blob: bytes, bound_to: str) -> bytes:
    """The bytes `seal` sealed; `CodecError` for an unknown key or an altered blob."""
    try:
        return AESGCM(ring.key(key_id)).decrypt(
            blob[:NONCE_SIZE], blob[NONCE_SIZE:], bound_to.encode()
        )
    except InvalidTag:
        raise CodecError(f"sealed bytes under key {key_id!r} failed authentication") from None
