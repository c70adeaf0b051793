"""The wire codec: msgpack with a schema version, never pickle.

``encode`` turns any contract into bytes; ``decode`` turns bytes back into the
contract, or raises :class:`~agentrt.contracts.errors.ContractError` naming what was
wrong (oversize, truncated, not msgpack, wrong version, unknown kind, invalid
fields). No other exception escapes ``decode``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import msgpack
from pydantic import BaseModel, ValidationError

from agentrt.contracts._base import Contract
from agentrt.contracts.errors import ContractError
from agentrt.contracts.message import MESSAGE_ADAPTER, kind_of

__all__ = ["SCHEMA_VERSION", "Codec", "decode", "decode_as", "encode"]

SCHEMA_VERSION = 1
"""Bumped whenever a contract changes incompatibly."""

T = TypeVar("T", bound=Contract)


def _kind(message: Contract) -> str:
    # Every concrete contract declares a ``kind`` tag; the base class does not.
    return str(getattr(message, "kind", type(message).__name__))


@dataclass(frozen=True, slots=True)
class Codec:
    """Encoder/decoder with a payload size limit.

    Args:
        max_bytes: Largest payload accepted in either direction.
    """

    max_bytes: int = 32 * 1024 * 1024

    def encode(self, message: Contract) -> bytes:
        """Encode a contract. Raises ContractError for non-contracts and oversize payloads."""
        if not isinstance(message, Contract):
            raise ContractError(f"cannot encode {type(message).__name__}: not a contract", what="type")
        try:
            data: bytes = msgpack.packb((SCHEMA_VERSION, message), datetime=True, default=_fields)
        except (OverflowError, TypeError, ValueError) as exc:
            raise ContractError(f"cannot encode {_kind(message)}: {exc}", what="unencodable") from None
        if len(data) > self.max_bytes:
            raise ContractError(
                f"encoded {_kind(message)} is {len(data)} bytes, over the {self.max_bytes} limit",
                what="oversize",
            )
        return data

    def decode(self, data: bytes) -> Contract:
        """Decode bytes into a contract, or raise ContractError."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ContractError(f"cannot decode {type(data).__name__}: expected bytes", what="type")
        return self.validate(self.unpack(bytes(data)))

    def unpack(self, data: bytes) -> object:
        """Unpack bytes into plain values without validating them (for a store that rewrites them first).

        Raises:
            ContractError: The bytes are oversize or not msgpack.
        """
        if len(data) > self.max_bytes:
            raise ContractError(f"payload of {len(data)} bytes is over the {self.max_bytes} limit", what="oversize")
        return self._unpack(bytes(data))

    def validate(self, envelope: object) -> Contract:
        """Turn an unpacked ``[version, message]`` envelope into its contract, or raise ContractError."""
        if not (isinstance(envelope, list) and len(envelope) == 2):
            raise ContractError("payload is not a [version, message] envelope", what="envelope")
        version, payload = envelope
        if version != SCHEMA_VERSION or isinstance(version, bool):
            raise ContractError(
                f"unsupported schema version {version!r} (this build speaks {SCHEMA_VERSION})", what="version"
            )
        if kind_of(payload) is None:
            kind = payload.get("kind") if isinstance(payload, dict) else None
            raise ContractError(f"unknown message kind {kind!r}", what="kind")
        try:
            return MESSAGE_ADAPTER.validate_python(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ContractError(
                f"invalid {payload['kind']}: {where}: {first['msg']}", what="invalid", field=where
            ) from None
        except (RecursionError, ValueError, TypeError) as exc:
            raise ContractError(f"invalid {payload['kind']}: {exc}", what="invalid") from None

    def decode_as(self, data: bytes, expected: type[T]) -> T:
        """Decode and check the message is of the expected contract type."""
        message = self.decode(data)
        if not isinstance(message, expected):
            raise ContractError(f"expected {expected.__name__}, got {type(message).__name__}", what="kind")
        return message

    def _unpack(self, data: bytes) -> object:
        try:
            return msgpack.unpackb(
                data, raw=False, timestamp=3, strict_map_key=True, use_list=True, ext_hook=_reject_ext
            )
        except msgpack.ExtraData:
            raise ContractError("trailing bytes after the message", what="malformed") from None
        except (ValueError, msgpack.UnpackException, TypeError, OverflowError, RecursionError) as exc:
            # Truncated input raises ValueError; bad utf-8 UnicodeDecodeError (a ValueError).
            raise ContractError(f"not a msgpack message: {type(exc).__name__}: {exc}", what="malformed") from None


def _fields(value: object) -> object:
    # Contracts are frozen with extra="forbid", so a model's __dict__ is exactly its
    # fields in declaration order: packing it directly gives the bytes model_dump would,
    # at a third of the cost.
    if isinstance(value, BaseModel):
        return value.__dict__
    raise TypeError(f"{type(value).__name__} is not serialisable on the wire")


def _reject_ext(code: int, data: bytes) -> object:
    raise ValueError(f"msgpack extension type {code} is not part of the protocol")


_DEFAULT = Codec()


def encode(message: Contract) -> bytes:
    """Encode a contract with the default codec."""
    return _DEFAULT.encode(message)


def decode(data: bytes) -> Contract:
    """Decode bytes into a contract with the default codec."""
    return _DEFAULT.decode(data)


def decode_as(data: bytes, expected: type[T]) -> T:
    """Decode bytes and check the contract type, with the default codec."""
    return _DEFAULT.decode_as(data, expected)
