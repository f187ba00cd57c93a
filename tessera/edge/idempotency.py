"""The Idempotency-Key header on POST creates, for /v2 and /rest/api/2: a dependency that hands
the route an IdempotentCreate, and the response sent when a key is replayed. The work (the key's
row, written in the create's transaction) is tessera.tenancy.idempotency's.

A route with a key claims it first in its write transaction and stores its response last in
that same transaction, so its response is rendered before the commit rather than after it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.tenancy.actor import Actor
from tessera.tenancy.idempotency import (
    IdempotentWrite,
    Replayed,
    StoredResponse,
    claim_key,
    record_response,
    request_fingerprint,
    validate_idempotency_key,
)

REPLAYED_HEADER = "Idempotent-Replayed"
# Headers of the first response that its replay carries too (the body's content type is JSON).
KEPT_HEADERS = ("location", "etag")
# For `responses=` of the routes that honour the header.
IDEMPOTENCY_DOC: dict[int | str, dict[str, Any]] = {
    409: {"description": "The Idempotency-Key is held by a request that has not finished."},
    422: {"description": "A malformed field, or an Idempotency-Key used in the last 24 hours with another "
                         "request."}}


@dataclass
class IdempotentCreate:
    request: Request
    key: str | None

    @property
    def held(self) -> bool:
        """Whether the request carries a key: its response must then be stored before the commit."""
        return self.key is not None

    async def claim(self, session: AsyncSession, actor: Actor, *, fingerprint: str | None = None) -> None:
        """First thing in the create's write transaction. Raises Replayed (sent by the edge's
        handler) when the key's first request has created already. `fingerprint` for bodies
        that are not JSON read whole (uploads); by default method, path and JSON body."""
        if self.key is None:
            return
        if fingerprint is None:
            fingerprint = request_fingerprint(self.request.method, self.request.url.path, await self.request.body())
        await claim_key(session, actor=actor, key=self.key, fingerprint=fingerprint)

    async def store(self, session: AsyncSession, actor: Actor, response: Response) -> Response:
        """Last thing in the create's write transaction: the response, kept for replays."""
        if self.key is not None:
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            await record_response(session, actor=actor, key=self.key, response=StoredResponse(
                response.status_code, bytes(response.body).decode(), headers))
        return response

    def around(self, render: Callable[[Any], Response], fingerprint: str) -> IdempotentWrite | None:
        """The hook for a create that opens its own transaction (attachments); None without a key."""
        return None if self.key is None else _Around(self, render, fingerprint)


@dataclass
class _Around:
    create: IdempotentCreate
    render: Callable[[Any], Response]
    fingerprint: str

    async def claim(self, session: AsyncSession, actor: Actor) -> None:
        await self.create.claim(session, actor, fingerprint=self.fingerprint)

    async def record(self, session: AsyncSession, actor: Actor, created: Any) -> None:
        await self.create.store(session, actor, self.render(created))


def upload_fingerprint(request: Request, files: Sequence[Any]) -> str:
    """An upload is the same one again when its files are: names, types, sizes and digests (a
    client's multipart boundary differs from one try to the next)."""
    parts = [[f.filename, f.declared_content_type, f.size, f.sha256] for f in files]
    return request_fingerprint(request.method, request.url.path, json.dumps(parts))


async def idempotent_create(request: Request, idempotency_key: Annotated[str | None, Header(
        max_length=1000, description="A key of your choice (a UUID): a retry with the same key within 24 hours "
                                     "answers the first response (with `Idempotent-Replayed: true`) instead of "
                                     "creating again.")] = None) -> IdempotentCreate:
    return IdempotentCreate(request, None if idempotency_key is None else validate_idempotency_key(idempotency_key))


Idempotency = Annotated[IdempotentCreate, Depends(idempotent_create)]


async def replayed(request: Request, exc: Replayed) -> Response:
    """The edges' handler for Replayed: the first response again, marked as a replay."""
    stored = exc.response
    return Response(stored.body, status_code=stored.status, media_type="application/json",
                    headers={**stored.headers, REPLAYED_HEADER: "true"})
