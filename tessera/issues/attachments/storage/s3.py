"""Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), through aioboto3."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, BinaryIO

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tessera.issues.attachments.storage.base import (
    CHUNK_BYTES,
    Digest,
    ObjectMissing,
    ObjectSource,
    ObjectStoreError,
    StoredObject,
    iterate_source,
    validate_object_key,
)

_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_SPOOL_BYTES = 1024 * 1024


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3ObjectStore:
    """One client per store, opened on first use and closed by `aclose()`. A single PUT is atomic
    in S3, and so is completing a multipart upload (which upload_fileobj uses for large files),
    so readers never see a partial object."""

    def __init__(self, *, bucket: str, endpoint_url: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None, region: str | None = None) -> None:
        self.bucket = bucket
        self._session = aioboto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                         region_name=region or "us-east-1")
        # Custom endpoints (MinIO, test servers) rarely resolve bucket subdomains: use path style there.
        style = {"addressing_style": "path"} if endpoint_url else {}
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "config": Config(signature_version="s3v4", s3=style, retries={"max_attempts": 3, "mode": "standard"},
                             connect_timeout=10, read_timeout=60)}
        self._client: Any = None
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._stack.enter_async_context(
                        self._session.client("s3", **self._client_args))
        return self._client

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (for tests and first runs against MinIO)."""
        s3 = await self._s3()
        try:
            await s3.head_bucket(Bucket=self.bucket)
        except ClientError:
            await s3.create_bucket(Bucket=self.bucket)

    async def put(self, key: str, source: ObjectSource, *, content_type: str) -> StoredObject:
        validate_object_key(key)
        s3 = await self._s3()
        try:
            if isinstance(source, (bytes, bytearray, memoryview)):
                data = bytes(source)
                digest = Digest()
                digest.update(data)
                await s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
                return StoredObject(key=key, size=digest.size, sha256=digest.sha256)
            if hasattr(source, "read") and hasattr(source, "seek"):
                return await self._upload_file(s3, key, source, content_type)  # type: ignore[arg-type]
            with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
                async for chunk in iterate_source(source):
                    await asyncio.to_thread(spool.write, chunk)
                spool.seek(0)
                return await self._upload_file(s3, key, spool, content_type)  # type: ignore[arg-type]
        except (ClientError, BotoCoreError) as error:
            raise ObjectStoreError(f"Could not store {key}: {error}") from error

    async def _upload_file(self, s3: Any, key: str, handle: BinaryIO, content_type: str) -> StoredObject:
        """Hashes the file first (it is a local temp file), then uploads from the same position."""
        origin = handle.tell()
        digest = Digest()
        async for chunk in iterate_source(handle):
            digest.update(chunk)
        handle.seek(origin)
        await s3.upload_fileobj(handle, self.bucket, key, ExtraArgs={"ContentType": content_type})
        return StoredObject(key=key, size=digest.size, sha256=digest.sha256)

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        validate_object_key(key)
        s3 = await self._s3()
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            arguments["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = await s3.get_object(**arguments)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                raise ObjectMissing(key) from None
            raise ObjectStoreError(f"Could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise ObjectStoreError(f"Could not read {key}: {error}") from error
        return _stream(response["Body"])

    async def get(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in await self.open(key)])

    async def delete(self, key: str) -> None:
        validate_object_key(key)
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) not in _MISSING_CODES:
                raise ObjectStoreError(f"Could not delete {key}: {error}") from error

    async def exists(self, key: str) -> bool:
        validate_object_key(key)
        s3 = await self._s3()
        try:
            await s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                return False
            raise ObjectStoreError(f"Could not look up {key}: {error}") from error
        return True

    async def aclose(self) -> None:
        self._client = None
        await self._stack.aclose()


async def _stream(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await body.read(CHUNK_BYTES):
            yield chunk
    finally:
        body.close()
