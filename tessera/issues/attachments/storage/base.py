"""The object-store interface attachments are kept behind, and what every backend shares: key
rules, stored-object facts, and reading any accepted source in chunks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK_BYTES = 256 * 1024
# Keys are slash-separated segments of safe characters; no segment may be "." or "..", so a key
# can never name anything outside the store's root (or its bucket prefix).
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

ObjectSource = bytes | BinaryIO | AsyncIterable[bytes]


class ObjectStoreError(Exception):
    """A store failed (I/O, network, refused credentials): our failure, never the client's."""


class InvalidObjectKey(ObjectStoreError, ValueError):
    pass


class ObjectMissing(ObjectStoreError, KeyError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


@runtime_checkable
class ObjectStore(Protocol):
    """Where attachment bytes live. Writes are all-or-nothing: a reader sees the whole object or
    none. `open` fetches eagerly (raising ObjectMissing before any byte is sent) and returns the
    bytes `start`..`end` inclusive (the whole object by default) as an async iterator of chunks."""

    async def put(self, key: str, source: ObjectSource, *, content_type: str) -> StoredObject: ...

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def aclose(self) -> None: ...


def validate_object_key(key: str) -> str:
    """The key itself when it is safe; InvalidObjectKey otherwise (traversal, empty segments, odd
    characters)."""
    if not isinstance(key, str) or not key or len(key) > 1024:
        raise InvalidObjectKey(f"Invalid object key {key!r}.")
    segments = key.split("/")
    if any(not _SEGMENT.fullmatch(segment) or set(segment) == {"."} for segment in segments):
        raise InvalidObjectKey(f"Invalid object key {key!r}.")
    return key


def attachment_key(organization_id: int, token: str) -> str:
    """Objects are namespaced by organization, so one organization's keys never meet another's."""
    return validate_object_key(f"org/{int(organization_id)}/att/{token}")


class Digest:
    """Counts and hashes bytes as they pass."""

    def __init__(self) -> None:
        self.size = 0
        self._sha = hashlib.sha256()

    def update(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        self._sha.update(chunk)
        return chunk

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


async def iterate_source(source: ObjectSource) -> AsyncIterator[bytes]:
    """Any accepted source as chunks. A file is read from its current position; callers that
    pass a spooled upload rewind it first. Reads of a file are small and local (a temp file)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        for offset in range(0, len(data), CHUNK_BYTES):
            yield data[offset:offset + CHUNK_BYTES]
    elif hasattr(source, "read"):
        while chunk := source.read(CHUNK_BYTES):  # type: ignore[union-attr]
            yield chunk
    else:
        async for chunk in source:  # type: ignore[union-attr]
            if chunk:
                yield bytes(chunk)

