"""Sealed checkpoints: redacted on disk, the raw values a run still needs encrypted under a key of its own.

A checkpoint is written as the redacted form of the contract (every string, keys
included, passed through :func:`~agentrt.actors.redaction.redact`) plus, while the run
is unfinished, a sealed blob: the original strings that redaction changed, by their
position in the encoded tree, encrypted with AES-256-GCM under a random per-run key.
Reading the checkpoint back puts the originals in place again, so a resumed run sees
exactly what it saw before. The key lives in the vault directory (``0700``, key files
``0600``), apart from the database; when the run ends its key is deleted and the
checkpoint is written without a blob, so from then on only the redacted form exists
anywhere (crypto-shredding: a copy of the database taken earlier cannot be opened
either).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from agentrt.actors.redaction import redact
from agentrt.contracts import SCHEMA_VERSION, Contract, ContractError
from agentrt.contracts.codec import Codec

__all__ = ["RunVault", "SealedCheckpoint", "open_checkpoint", "redacted_text", "seal_checkpoint"]

_NONCE = 12
_SHORTEST = 6  # no recognised value is shorter ("a@b.co")
_MEMOISED = 64 * 1024
_CODEC = Codec()


@functools.lru_cache(maxsize=16_384)
def redacted_text(text: str) -> str:
    """``text`` with personal data and secrets replaced by markers (memoised: checkpoints repeat their strings)."""
    return redact(text).text


def _redacted(text: str) -> str:
    if len(text) < _SHORTEST:
        return text
    # Large texts (attachments) are not memoised: the cache would hold them twice each.
    return redacted_text(text) if len(text) <= _MEMOISED else redact(text).text


class RunVault:
    """Per-run keys that seal a run's raw values; deleting a key (``shred``) makes its sealed values unreadable.

    Args:
        directory: Where the key files live; created ``0700``.
    """

    def __init__(self, directory: Path | str) -> None:
        self._dir = Path(directory)

    @property
    def directory(self) -> Path:
        """The key directory."""
        return self._dir

    def _path(self, run_id: str) -> Path:
        # Hashed: a run id never becomes part of a path.
        return self._dir / f"{hashlib.sha256(run_id.encode()).hexdigest()[:40]}.key"

    def _key(self, run_id: str) -> bytes | None:
        try:
            return self._path(run_id).read_bytes()
        except FileNotFoundError:
            return None

    def _new_key(self, run_id: str) -> bytes:
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self._dir, 0o700)
        key = AESGCM.generate_key(bit_length=256)
        fd = os.open(self._path(run_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        return key

    def seal(self, run_id: str, plain: bytes) -> bytes:
        """Encrypt ``plain`` under the run's key (made on first use), bound to the run id."""
        key = self._key(run_id) or self._new_key(run_id)
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(key).encrypt(nonce, plain, run_id.encode())

    def open(self, run_id: str, sealed: bytes) -> bytes | None:
        """Decrypt what ``seal`` made for this run; None once the key is shredded or if the blob is not this run's."""
        key = self._key(run_id)
        if key is None or len(sealed) <= _NONCE:
            return None
        try:
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], run_id.encode())
        except InvalidTag:
            return None

    def shred(self, run_id: str) -> None:
        """Delete the run's key (idempotent)."""
        with contextlib.suppress(FileNotFoundError):
            self._path(run_id).unlink()


class _Walk:
    """Turns a contract into plain msgpack-ready values, rewriting each string, counting strings in order."""

    def __init__(self, rewrite: Callable[[int, str], str]) -> None:
        self._rewrite = rewrite
        self._n = 0

    def text(self, value: str) -> str:
        n = self._n
        self._n += 1
        return self._rewrite(n, value)

    def value(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, BaseModel):
            return {self.text(k): self.value(v) for k, v in value.__dict__.items()}
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


class SealedCheckpoint:
    """A checkpoint as written: the redacted encoding, and the sealed originals (None when nothing is sealed)."""

    __slots__ = ("data", "sealed")

    def __init__(self, data: bytes, sealed: bytes | None) -> None:
        self.data = data
        self.sealed = sealed


def seal_checkpoint(run_id: str, message: Contract, vault: RunVault | None, keep_raw: bool) -> SealedCheckpoint:
    """Encode ``message`` redacted; with ``keep_raw`` and a vault, seal the originals redaction changed.

    Args:
        run_id: The run the message belongs to (names its key).
        message: The contract to write.
        vault: Where the run's key lives; None writes the redacted form only.
        keep_raw: Seal the originals (an unfinished run); False writes the redacted form only.
    """
    originals: list[tuple[int, str]] = []

    def rewrite(n: int, text: str) -> str:
        clean = _redacted(text)
        if clean != text:
            originals.append((n, text))
        return clean

    tree = _Walk(rewrite).value(message)
    try:
        data = msgpack.packb((SCHEMA_VERSION, tree), datetime=True)
    except (OverflowError, TypeError, ValueError) as exc:
        raise ContractError(f"cannot encode {type(message).__name__}: {exc}", what="unencodable") from None
    sealed = None
    if originals and keep_raw and vault is not None:
        sealed = vault.seal(run_id, msgpack.packb(originals))
    return SealedCheckpoint(data, sealed)


def open_checkpoint(run_id: str, data: bytes, sealed: bytes | None, vault: RunVault | None) -> Contract:
    """Decode a checkpoint, putting back the sealed originals where the run's key still opens them.

    Raises:
        ContractError: The bytes are not a valid contract.
    """
    envelope = _CODEC.unpack(data)
    plain = vault.open(run_id, sealed) if sealed is not None and vault is not None else None
    if plain is not None:
        restore = {int(n): text for n, text in msgpack.unpackb(plain, use_list=True)}
        walk = _Walk(lambda n, text: restore.get(n, text))
        envelope = walk.value(envelope)
    return _CODEC.validate(envelope)
