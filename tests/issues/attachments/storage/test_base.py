"""Object keys are confined to their organization's namespace, and the settings choose the backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.config import Settings
from tessera.issues.attachments.storage import (
    InvalidObjectKey,
    LocalObjectStore,
    attachment_key,
    object_store_from_settings,
    validate_object_key,
)
from tests.factories.object_stores import TRAVERSALS


def test_keys_are_confined_and_namespaced_by_organization() -> None:
    assert attachment_key(12, "abc123") == "org/12/att/abc123"
    for bad in TRAVERSALS:
        with pytest.raises(InvalidObjectKey):
            validate_object_key(bad)
    with pytest.raises(InvalidObjectKey):
        attachment_key(12, "../../x")


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    local = object_store_from_settings(Settings(database_url=f"sqlite:///{tmp_path}/db/t.db"))
    assert isinstance(local, LocalObjectStore) and local.root == (tmp_path / "db" / "attachments").resolve()
    env = Settings.from_env({"TESSERA_ATTACHMENTS_DIR": str(tmp_path / "files"),
                             "TESSERA_ATTACHMENT_MAX_BYTES": "1234"})
    assert env.attachment_max_bytes == 1234
    assert object_store_from_settings(env).root == (tmp_path / "files").resolve()  # type: ignore[attr-defined]
    s3 = Settings.from_env({"TESSERA_S3_BUCKET": "b", "TESSERA_S3_ENDPOINT_URL": "http://127.0.0.1:9",
                            "TESSERA_S3_ACCESS_KEY": "k", "TESSERA_S3_SECRET_KEY": "s", "TESSERA_S3_REGION": "eu-west-1"})
    from tessera.issues.attachments.storage.s3 import S3ObjectStore

    store = object_store_from_settings(s3)
    assert isinstance(store, S3ObjectStore) and store.bucket == "b"
