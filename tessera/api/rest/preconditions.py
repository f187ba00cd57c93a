"""`If-Match` on /v2 writes: the one reading of the header for issues, comments and projects.

A stale precondition answers 412 wherever it is found (tessera.errors.stale_version); a header
that is not one of our ETags answers 412 too, as RFC 9110 has a failed If-Match do."""

from __future__ import annotations

from tessera.db.refs import parse_etag_version
from tessera.errors import PreconditionFailed


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match names: our ETag (W/"id-version"), or a quoted or bare version
    number (see parse_etag_version); None when there is no header."""
    if value is None:
        return None
    version = parse_etag_version(value)
    if version is None:
        raise PreconditionFailed("If-Match must carry the ETag of what you read.", code="bad_if_match")
    return version
