"""Object storage for attachments: a protocol, a local-directory default and an S3 backend."""

from __future__ import annotations

from tessera.config import Settings
from tessera.issues.attachments.storage.base import (
    InvalidObjectKey,
    ObjectMissing,
    ObjectSource,
    ObjectStore,
    ObjectStoreError,
    StoredObject,
    attachment_key,
    validate_object_key,
)
from tessera.issues.attachments.storage.local import LocalObjectStore

__all__ = ["InvalidObjectKey", "LocalObjectStore", "ObjectMissing", "ObjectSource", "ObjectStore",
           "ObjectStoreError", "StoredObject", "attachment_key", "object_store_from_settings", "validate_object_key"]


def object_store_from_settings(settings: Settings) -> ObjectStore:
    """S3 when a bucket is configured, else a directory (TESSERA_ATTACHMENTS_DIR, or beside the
    SQLite file). aioboto3 is imported only for S3."""
    if settings.s3_bucket:
        try:
            from tessera.issues.attachments.storage.s3 import S3ObjectStore
        except ImportError as missing:
            raise RuntimeError("TESSERA_S3_BUCKET is set but the S3 client is not installed: "
                               "pip install 'tessera[s3]'") from missing

        return S3ObjectStore(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
                             access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
                             region=settings.s3_region)
    return LocalObjectStore(settings.attachments_root)
