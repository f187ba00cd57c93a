"""What every domain event is: a frozen record of one change, written to the outbox as a row.

An event class says what it is in its class line: `class IssueUpdated(IssueEvent,
name="issue_updated", jira="jira:issue_updated")`. `name` is the outbox row's event_type, `jira`
the Jira `webhookEvent` it maps to (None where Jira has no such event), `aggregate` the row's
aggregate_type (usually from a base class), `version` the payload's schema version (1).

Every subclass is a frozen, keyword-only dataclass: `IssueCreated(issue_id=..., ...)` reads like
the payload it writes, and an event cannot change between the INSERT and the commit listeners.
Its fields are the payload's keys in the order they are written; the values are JSON values
exactly as stored (timestamps as ISO 8601 text), so `payload()` is a dict comprehension and
`from_payload(payload())` gives the event back. A field whose payload key would shadow a class
attribute (an issue's "version", a sprint's "name") has a name of its own and says its key with
`stored_as`. Events are built on the hottest write path (every create and transition): no
validation happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from functools import cache
from typing import Any, ClassVar, Self

_UNSAID: Any = object()


def stored_as(key: str) -> Any:
    """A field written under another payload key than its own name."""
    return field(metadata={"payload_key": key})


class DomainEvent:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]
    jira_webhook_event: ClassVar[str | None]

    def __init_subclass__(cls, *, name: str | None = None, jira: str | None = _UNSAID, aggregate: str | None = None,
                          version: int = 1, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            if jira is _UNSAID:
                raise TypeError(f"{cls.__name__} must say its Jira webhookEvent (jira=None where Jira has none)")
            cls.name, cls.version = name, version
        if jira is not _UNSAID:
            cls.jira_webhook_event = jira
        if aggregate is not None:
            cls.aggregate_type = aggregate
        dataclass(frozen=True, kw_only=True)(cls)

    def payload(self) -> dict[str, Any]:
        """The outbox row's payload: the fields under their keys, in declaration order."""
        return {key: getattr(self, attribute) for attribute, key in payload_keys(type(self))}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event a stored payload was written from (a replayed or claimed outbox row)."""
        return cls(**{attribute: payload[key] for attribute, key in payload_keys(cls) if key in payload})

    @classmethod
    def variants(cls, **jira_by_name: str | None) -> tuple[type[Self], ...]:
        """Event classes with this class's fields and nothing else of their own, one for each
        outbox name given (its Jira webhookEvent the value), named after it:
        `WorklogEvent.variants(worklog_added="worklog_created")` is (WorklogAdded,)."""
        return tuple(type("".join(word.capitalize() for word in name.split("_")), (cls,),
                          {"__module__": cls.__module__}, name=name, jira=jira)
                     for name, jira in jira_by_name.items())


@cache
def payload_keys(event_class: type[DomainEvent]) -> tuple[tuple[str, str], ...]:
    """(attribute, payload key) of each field."""
    return tuple((each.name, _key(each)) for each in fields(event_class))  # type: ignore[arg-type]


def _key(each: Field[Any]) -> str:
    return each.metadata.get("payload_key", each.name)


class IssueEvent(DomainEvent, aggregate="issue"):
    """About one issue: the keys live messages and webhooks need to route and show it."""

    issue_id: int
    issue_key: str | None
    project_id: int
