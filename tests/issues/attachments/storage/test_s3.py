"""The S3 store against a real S3 HTTP server (moto's, started by the test): the backends'
contract, and multipart uploads past the threshold."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator

import pytest

from tessera.issues.attachments.storage import attachment_key
from tests.factories.object_stores import assert_round_trip
from tests.factories.s3_server import ACCESS_KEY, SECRET_KEY, moto_s3_server


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


async def test_s3_store_round_trip(s3_endpoint: str) -> None:
    from tessera.issues.attachments.storage.s3 import S3ObjectStore

    store = S3ObjectStore(bucket=f"tessera-{uuid.uuid4().hex[:8]}", endpoint_url=s3_endpoint,
                          access_key=ACCESS_KEY, secret_key=SECRET_KEY, region="us-east-1")
    try:
        await store.ensure_bucket()
        await assert_round_trip(store)
        # A file past the multipart threshold goes up in parts and comes back whole.
        big = os.urandom(9 * 1024 * 1024)
        key = attachment_key(8, "big")
        stored = await store.put(key, io.BytesIO(big), content_type="application/octet-stream")
        assert stored.size == len(big)
        assert await store.get(key) == big
    finally:
        await store.aclose()
