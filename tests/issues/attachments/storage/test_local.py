"""The local directory store: the backends' contract, atomic writes, keys confined to the root
even through symlinks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tessera.issues.attachments.storage import InvalidObjectKey, LocalObjectStore, attachment_key
from tests.factories.object_stores import assert_round_trip


async def test_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    await assert_round_trip(store)
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
