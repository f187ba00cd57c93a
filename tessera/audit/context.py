"""Where a change comes from, for its audit record.

The request edge knows the client (address, user agent, request id) and, once it has
authenticated, the actor and the API token. The domain does not: it emits events with an actor
id only. So the edge leaves these facts where the record is written from, without threading
them through every domain call: the request's facts in a context variable (set once per HTTP
request by tessera.edge.guard, visible to every transaction the request opens), the actor's on
the session of the unit of work it opened for that actor (`session.info`), next to the events
the session collects."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class ActingAs:
    user_id: int | None
    token_id: int | None = None


REQUEST_ORIGIN: ContextVar[RequestOrigin | None] = ContextVar("tessera_request_origin", default=None)
# session.info key: the ActingAs of the unit of work's actor.
ACTING_AS = "audit_acting_as"


def set_request_origin(origin: RequestOrigin) -> None:
    REQUEST_ORIGIN.set(origin)


def current_origin() -> RequestOrigin:
    return REQUEST_ORIGIN.get() or RequestOrigin()


def act_as(session: AsyncSession, *, user_id: int | None, token_id: int | None = None) -> None:
    """Records the session's actor for the audit records its transaction writes."""
    session.info[ACTING_AS] = ActingAs(user_id, token_id)


def acting_as(session: AsyncSession) -> ActingAs | None:
    return session.info.get(ACTING_AS)
