"""Objects as files under one root directory (the embedded default)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from tessera.issues.attachments.storage.base import (
    CHUNK_BYTES,
    Digest,
    InvalidObjectKey,
    ObjectMissing,
    ObjectSource,
    StoredObject,
    iterate_source,
    validate_object_key,
)


class LocalObjectStore:
    """Writes go to a hidden temp file in the target directory, are fsynced, then renamed into
    place, so a reader never sees a partial object and a crash leaves at most a stray temp file.
    Temp names start with a dot, which no valid key segment does."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path_of(self, key: str) -> Path:
        path = (self.root / validate_object_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidObjectKey(f"Invalid object key {key!r}.")
        return path

    async def put(self, key: str, source: ObjectSource, *, content_type: str) -> StoredObject:
        path = self.path_of(key)
        temp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        digest = Digest()
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        handle: BinaryIO = await asyncio.to_thread(open, temp, "wb")
        try:
            async for chunk in iterate_source(source):
                await asyncio.to_thread(handle.write, digest.update(chunk))
            await asyncio.to_thread(_flush_and_sync, handle)
            handle.close()
            await asyncio.to_thread(os.replace, temp, path)
        except BaseException:
            handle.close()
            await asyncio.to_thread(_unlink_quietly, temp)
            raise
        return StoredObject(key=key, size=digest.size, sha256=digest.sha256)

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            handle: BinaryIO = await asyncio.to_thread(open, path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectMissing(key) from None
        return _read_range(handle, start, end)

    async def get(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in await self.open(key)])

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(_unlink_quietly, self.path_of(key))

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def aclose(self) -> None:
        return None


async def _read_range(handle: BinaryIO, start: int, end: int | None) -> AsyncIterator[bytes]:
    try:
        if start:
            await asyncio.to_thread(handle.seek, start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            want = CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining)
            chunk = await asyncio.to_thread(handle.read, want)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _flush_and_sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
