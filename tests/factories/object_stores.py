"""The contract every object store backend meets, checked the same way on each."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from tessera.issues.attachments.storage import InvalidObjectKey, ObjectMissing, ObjectStore, attachment_key

TRAVERSALS = ["../escape", "org/../../escape", "/etc/passwd", "a//b", "a/./b", "a/..", ".hidden", "", "a\\..\\b",
              "org/1/att/x\x00y", "org/%2e%2e/x", "ok/" + "x" * 200, " leading"]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_object(store: ObjectStore, key: str, **span: int) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key, **span)])


async def assert_round_trip(store: ObjectStore) -> None:
    """The contract every backend meets."""
    key = attachment_key(7, uuid.uuid4().hex)
    payload = os.urandom(300_000)
    stored = await store.put(key, payload, content_type="application/octet-stream")
    assert stored.size == len(payload) and stored.key == key
    assert await store.exists(key)
    assert await store.get(key) == payload
    assert await read_object(store, key, start=10, end=19) == payload[10:20]
    assert await read_object(store, key, start=299_990) == payload[299_990:]
    # From a file (read from its current position) and from an async stream.
    from_file = attachment_key(7, uuid.uuid4().hex)
    assert (await store.put(from_file, io.BytesIO(payload), content_type="image/png")).sha256 == stored.sha256
    from_stream = attachment_key(7, uuid.uuid4().hex)
    assert (await store.put(from_stream, chunks(b"ab", b"", b"cd"), content_type="text/plain")).size == 4
    assert await store.get(from_stream) == b"abcd"
    # Overwrite replaces the whole object.
    await store.put(from_stream, b"new", content_type="text/plain")
    assert await store.get(from_stream) == b"new"
    await store.delete(key)
    assert not await store.exists(key)
    await store.delete(key)  # idempotent
    with pytest.raises(ObjectMissing):
        await store.open(key)
    for bad in TRAVERSALS:
        with pytest.raises(InvalidObjectKey):
            await store.put(bad, b"x", content_type="text/plain")
