"""Encryption of every payload Temporal stores: customer names, phone and ID numbers and
complaint texts never sit readable in a workflow's history.

`EncryptionCodec` is a `PayloadCodec` (the samples-python `encryption/` sample, with key
rotation): each payload is serialized as a whole (metadata and data) and sealed with AES-GCM
under the ring's active 256-bit key; the result carries the metadata
`encoding: binary/encrypted` and `encryption-key-id: <id>`, and its data is a fresh 12-byte
nonce followed by the ciphertext and tag. Decoding uses whichever key the payload names, so
keys rotate by adding a new key and making it active while the old ones stay in the ring for
as long as histories encrypted under them exist. Payloads without the encrypted encoding pass
through unchanged (histories recorded before encryption still replay). An unknown key id, a
missing key id or a payload that fails authentication raise `CodecError`: never a silent pass.

Identity. A payload may carry, inside its encrypted envelope, the identity of the person who
sent it as the system verified it (metadata `complaints-identity`, JSON: actor, roles, scope,
the workflow it is bound to, when, a nonce): the codec server stamps it for the Web UI and
CLI, the HTTP API for its callers (`sealed`). Only whoever holds the key ring can make such a
payload, so the workflow trusts the identity in a payload that arrived encrypted and nothing
else: decoding strips the identity metadata from any payload that was not encrypted, whoever
typed it there.

What stays readable in Temporal by design: workflow ids, search attributes (never customer
data there), failure messages and stack traces (the default failure converter), and timer
summaries and current details written from workflow code (none hold customer data).

Keys come from the environment (`KeyRing.from_env`):

- `COMPLAINTS_CODEC_KEYS`: a JSON object `{"<key id>": "<base64 of 32 bytes>", ...}`, or
- `COMPLAINTS_CODEC_KEYS_FILE`: the path of a file holding such an object (one of the two);
- `COMPLAINTS_CODEC_ACTIVE_KEY`: the id that encrypts (default: the last key listed).

To rotate: add a key to the object, point `COMPLAINTS_CODEC_ACTIVE_KEY` at it (or list it
last), restart workers, API and codec server; keep the old keys.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_SIZE = 12
KEY_SIZE = 32  # AES-256

IDENTITY = "complaints-identity"  # metadata: the sender as the system verified it (above)

ENV_KEYS = "COMPLAINTS_CODEC_KEYS"
ENV_KEYS_FILE = "COMPLAINTS_CODEC_KEYS_FILE"
ENV_ACTIVE_KEY = "COMPLAINTS_CODEC_ACTIVE_KEY"

_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class CodecError(ValueError):
    """A payload or a key ring that cannot be used: the message says which and why."""


class UnknownKeyError(CodecError):
    """A payload names a key id the ring does not hold."""

    def __init__(self, key_id: str, known: Iterable[str]) -> None:
        self.key_id = key_id
        super().__init__(
            f"payload encrypted with unknown key id {key_id!r}; this key ring holds "
            f"{', '.join(repr(k) for k in known) or 'no keys'} (add the old key to "
            f"{ENV_KEYS} or {ENV_KEYS_FILE}; never drop a key while histories use it)"
        )


# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class KeyRing:
    """Named AES-256 keys; `active` encrypts, every key decrypts."""

    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise CodecError("a key ring needs at least one key")
        for key_id, key in self.keys.items():
            if not _KEY_ID_PATTERN.fullmatch(key_id):
                raise CodecError(
                    f"bad key id {key_id!r}: 1-64 of letters, digits, '.', '_' and '-'"
                )
            if len(key) != KEY_SIZE:
                raise CodecError(f"key {key_id!r} has {len(key)} bytes; AES-256 needs 32")
        if self.active not in self.keys:
            raise CodecError(
                f"the active key {self.active!r} is not in the key ring "
                f"({', '.join(repr(k) for k in self.keys)})"
            )
        object.__setattr__(self, "keys", dict(self.keys))  # a private copy, in order

    def __repr__(self) -> str:  # never the key material
        return f"KeyRing(keys=[{', '.join(repr(k) for k in self.keys)}], active={self.active!r})"

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(key_id, self.keys) from None

    @classmethod
    def generate(cls, key_id: str | None = None) -> KeyRing:
        """A ring with one new random key."""
        key_id = key_id or new_key_id()
        return cls({key_id: AESGCM.generate_key(bit_length=256)}, key_id)

    def rotated(self, key_id: str | None = None) -> KeyRing:
        """This ring plus a new random key, which becomes the active one."""
        key_id = key_id or new_key_id()
        if key_id in self.keys:
            raise CodecError(f"the key ring already holds a key {key_id!r}")
        keys = {**self.keys, key_id: AESGCM.generate_key(bit_length=256)}
        return dataclasses.replace(self, keys=keys, active=key_id)

    def to_json(self) -> str:
        """The ring as `{"<key id>": "<base64>"}`, the active key last (it is the default)."""
        ordered = [k for k in self.keys if k != self.active] + [self.active]
        return json.dumps({k: base64.b64encode(self.keys[k]).decode() for k in ordered}, indent=2)

    @classmethod
    def from_json(cls, text: str, active: str | None = None, *, source: str = "") -> KeyRing:
        where = f" in {source}" if source else ""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise CodecError(f"the codec keys{where} are not JSON: {err}") from None
        if not isinstance(data, dict) or not data:
            raise CodecError(
                f'the codec keys{where} must be a JSON object {{"<key id>": "<base64 key>"}}'
                " with at least one key"
            )
        keys: dict[str, bytes] = {}
        for key_id, encoded in data.items():
            if not isinstance(encoded, str):
                raise CodecError(f"key {key_id!r}{where} must be a base64 string")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise CodecError(f"key {key_id!r}{where} is not valid base64") from None
        return cls(keys, active or list(keys)[-1])

    @classmethod
    def from_file(cls, path: str | Path, active: str | None = None) -> KeyRing:
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise CodecError(f"cannot read the codec keys file {path}: {err}") from None
        return cls.from_json(text, active, source=str(path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing | None:
        """The ring configured in the environment (module docstring); None if none is.

        Raises `CodecError` on a half or wrong configuration rather than run unencrypted.
        """
        env = os.environ if environ is None else environ
        inline = env.get(ENV_KEYS, "").strip()
        file = env.get(ENV_KEYS_FILE, "").strip()
        active = env.get(ENV_ACTIVE_KEY, "").strip() or None
        if inline and file:
            raise CodecError(f"set {ENV_KEYS} or {ENV_KEYS_FILE}, not both")
        if inline:
            return cls.from_json(inline, active, source=ENV_KEYS)
        if file:
            return cls.from_file(file, active)
        if active:
            raise CodecError(
                f"{ENV_ACTIVE_KEY} is set but no keys are ({ENV_KEYS} or {ENV_KEYS_FILE})"
            )
        return None


def new_key_id() -> str:
    """`k<yyyymmdd>-<6 hex>`: sortable by creation, unique enough to never clash."""
    return f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def write_private(path: str | Path, text: str) -> None:
    """Create `path` readable by its owner only (0600 from the first byte); never overwrite."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)  # whatever the umask did


def generate_key_file(path: str | Path) -> KeyRing:
    """Write a new ring with one random key to `path` (0600); FileExistsError if it exists."""
    ring = KeyRing.generate()
    write_private(path, ring.to_json() + "\n")
    return ring


def ensure_key_file(path: str | Path) -> KeyRing:
    """The ring in `path`, made by `generate_key_file` if the file does not exist yet."""
    try:
        return generate_key_file(path)
    except FileExistsError:
        return KeyRing.from_file(path)


# ---------------------------------------------------------------------------------------------
# The codec


class EncryptionCodec(PayloadCodec):
    """AES-GCM over whole payloads, with the key named in each payload (module docstring)."""

    def __init__(self, ring: KeyRing) -> None:
        super().__init__()
        self.ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        key_id = self.ring.active
        cipher = self._ciphers[key_id]
        encoded: list[Payload] = []
        for payload in payloads:
            nonce = os.urandom(NONCE_SIZE)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: key_id.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload; an unencrypted one as it is, but never with an identity: only
        a payload sealed under the system's keys may carry one (module docstring)."""
        if payload.metadata.get("encoding") != ENCODING:
            return without_identity(payload)
        raw_id = payload.metadata.get(KEY_ID)
        if not raw_id:
            raise CodecError(f"encrypted payload without the {KEY_ID!r} metadata")
        key_id = raw_id.decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(key_id, self.ring.keys)
        data = payload.data
        if len(data) < NONCE_SIZE + 16:
            raise CodecError(f"encrypted payload under key {key_id!r} is truncated")
        try:
            plain = cipher.decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], None)
        except InvalidTag:
            raise CodecError(
                f"encrypted payload under key {key_id!r} failed authentication "
                "(altered, or a different key with the same id)"
            ) from None
        return Payload.FromString(plain)


def sealed(payload: Payload, identity: bytes) -> Payload:
    """A copy of `payload` carrying `identity` (JSON); encoding then encrypts the two together."""
    copy = without_identity(payload)
    if copy is payload:
        copy = Payload()
        copy.CopyFrom(payload)
    copy.metadata[IDENTITY] = identity
    return copy


def without_identity(payload: Payload) -> Payload:
    """`payload`, or a copy without identity metadata if it had any."""
    if IDENTITY not in payload.metadata:
        return payload
    copy = Payload()
    copy.CopyFrom(payload)
    del copy.metadata[IDENTITY]
    return copy


def data_converter(ring: KeyRing | None) -> DataConverter:
    """The pydantic converter, encrypting with `ring` (None: the plain pydantic converter)."""
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=EncryptionCodec(ring))


__all__ = [
    "ENCODING",
    "IDENTITY",
    "KEY_ID",
    "CodecError",
    "EncryptionCodec",
    "KeyRing",
    "UnknownKeyError",
    "data_converter",
    "ensure_key_file",
    "generate_key_file",
    "new_key_id",
    "sealed",
    "without_identity",
    "write_private",
]
