"""What every domain event is: a frozen record of one change, written to the outbox as a row.

A subclass declares, as class attributes, the outbox `name` (the row's event_type), the payload's
schema `version`, the row's `aggregate_type`, and the Jira `webhookEvent` it maps to (None where
Jira has no such event). Its dataclass fields are the payload's keys, in the order they are
written; the values are JSON values exactly as stored (timestamps as ISO 8601 text), so
`payload()` is a dict comprehension and `from_payload(payload())` gives the event back. A field
whose payload key would shadow a class attribute (an issue's "version", a sprint's "name") has a
name of its own and says its key with `stored_as`. Events are built on the hottest write path
(every create and transition): slots, no validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from functools import cache
from typing import Any, ClassVar, Self

# Keyword-only and frozen for every event class: `IssueCreated(issue_id=..., ...)` reads like the
# payload it writes, and an event cannot change between the INSERT and the commit listeners.
domain_event = dataclass(frozen=True, slots=True, kw_only=True)


def stored_as(key: str) -> Any:
    """A field written under another payload key than its own name."""
    return field(metadata={"payload_key": key})


@domain_event
class DomainEvent:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]
    jira_webhook_event: ClassVar[str | None]

    def payload(self) -> dict[str, Any]:
        """The outbox row's payload: the fields under their keys, in declaration order."""
        return {key: getattr(self, attribute) for attribute, key in payload_keys(type(self))}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event a stored payload was written from (a replayed or claimed outbox row)."""
        return cls(**{attribute: payload[key] for attribute, key in payload_keys(cls) if key in payload})


@cache
def payload_keys(event_class: type[DomainEvent]) -> tuple[tuple[str, str], ...]:
    """(attribute, payload key) of each field."""
    return tuple((each.name, _key(each)) for each in fields(event_class))


def _key(each: Field[Any]) -> str:
    return each.metadata.get("payload_key", each.name)


@domain_event
class IssueEvent(DomainEvent):
    """About one issue: the keys live messages and webhooks need to route and show it."""

    aggregate_type: ClassVar[str] = "issue"
    issue_id: int
    issue_key: str | None
    project_id: int
