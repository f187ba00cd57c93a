"""The object stores: the local directory (atomic writes, keys confined to the root) and the S3
backend against a real S3 HTTP server (moto's, started by the test)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tessera.collaboration.storage import (
    InvalidObjectKey,
    LocalObjectStore,
    ObjectMissing,
    ObjectStore,
    attachment_key,
    check_key,
    object_store_from_settings,
)
from tessera.config import Settings
from tests.factories.s3_server import ACCESS_KEY, SECRET_KEY, moto_s3_server

TRAVERSALS = ["../escape", "org/../../escape", "/etc/passwd", "a//b", "a/./b", "a/..", ".hidden", "", "a\\..\\b",
              "org/1/att/x\x00y", "org/%2e%2e/x", "ok/" + "x" * 200, " leading"]


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _read(store: ObjectStore, key: str, **span: int) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key, **span)])


async def _round_trip(store: ObjectStore) -> None:
    """The contract every backend meets."""
    key = attachment_key(7, uuid.uuid4().hex)
    payload = os.urandom(300_000)
    stored = await store.put(key, payload, content_type="application/octet-stream")
    assert stored.size == len(payload) and stored.key == key
    assert await store.exists(key)
    assert await store.get(key) == payload
    assert await _read(store, key, start=10, end=19) == payload[10:20]
    assert await _read(store, key, start=299_990) == payload[299_990:]
    # From a file (read from its current position) and from an async stream.
    from_file = attachment_key(7, uuid.uuid4().hex)
    assert (await store.put(from_file, io.BytesIO(payload), content_type="image/png")).sha256 == stored.sha256
    from_stream = attachment_key(7, uuid.uuid4().hex)
    assert (await store.put(from_stream, _chunks(b"ab", b"", b"cd"), content_type="text/plain")).size == 4
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


def test_keys_are_confined_and_namespaced_by_organization() -> None:
    assert attachment_key(12, "abc123") == "org/12/att/abc123"
    for bad in TRAVERSALS:
        with pytest.raises(InvalidObjectKey):
            check_key(bad)
    with pytest.raises(InvalidObjectKey):
        attachment_key(12, "../../x")


async def test_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    await _round_trip(store)
    # Nothing was written outside the root, and no temp files remain.
    assert {p.name for p in tmp_path.iterdir()} == {"objects"}
    leftovers = [p for p in (tmp_path / "objects").rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == []


async def test_local_store_rejects_traversal_through_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    (root / "org").mkdir(parents=True)
    (root / "org" / "link").symlink_to(outside, target_is_directory=True)
    store = LocalObjectStore(root)
    with pytest.raises(InvalidObjectKey):
        await store.put("org/link/x", b"escape", content_type="text/plain")
    assert list(outside.iterdir()) == []


async def test_a_failed_local_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    key = attachment_key(1, "broken")
    await store.put(key, b"old", content_type="text/plain")

    async def failing() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(key, failing(), content_type="text/plain")
    assert await store.get(key) == b"old"  # the previous object is intact, never half-replaced
    assert [p.name for p in store.path_of(key).parent.iterdir()] == ["broken"]


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    local = object_store_from_settings(Settings(database_url=f"sqlite:///{tmp_path}/db/t.db"))
    assert isinstance(local, LocalObjectStore) and local.root == (tmp_path / "db" / "attachments").resolve()
    env = Settings.from_env({"TESSERA_ATTACHMENTS_DIR": str(tmp_path / "files"),
                             "TESSERA_ATTACHMENT_MAX_BYTES": "1234"})
    assert env.attachment_max_bytes == 1234
    assert object_store_from_settings(env).root == (tmp_path / "files").resolve()  # type: ignore[attr-defined]
    s3 = Settings.from_env({"TESSERA_S3_BUCKET": "b", "TESSERA_S3_ENDPOINT_URL": "http://127.0.0.1:9",
                            "TESSERA_S3_ACCESS_KEY": "k", "TESSERA_S3_SECRET_KEY": "s", "TESSERA_S3_REGION": "eu-west-1"})
    from tessera.collaboration.storage.s3 import S3ObjectStore

    store = object_store_from_settings(s3)
    assert isinstance(store, S3ObjectStore) and store.bucket == "b"


# --- S3 -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


async def test_s3_store_round_trip(s3_endpoint: str) -> None:
    from tessera.collaboration.storage.s3 import S3ObjectStore

    store = S3ObjectStore(bucket=f"tessera-{uuid.uuid4().hex[:8]}", endpoint_url=s3_endpoint,
                          access_key=ACCESS_KEY, secret_key=SECRET_KEY, region="us-east-1")
    try:
        await store.ensure_bucket()
        await _round_trip(store)
        # A file past the multipart threshold goes up in parts and comes back whole.
        big = os.urandom(9 * 1024 * 1024)
        key = attachment_key(8, "big")
        stored = await store.put(key, io.BytesIO(big), content_type="application/octet-stream")
        assert stored.size == len(big)
        assert await store.get(key) == big
    finally:
        await store.aclose()
