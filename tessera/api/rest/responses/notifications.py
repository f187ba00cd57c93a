"""Response bodies of /v2/notifications, the notification preferences and schemes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out, PersonRef


class NotificationIssueRef(Out):
    id: int | None
    key: str | None
    summary: str | None = Field(description="As it is now; null when the issue was deleted or you may no "
                                            "longer browse it.")
    current: bool = Field(description="False when the issue was deleted or you may no longer browse it.")


class NotificationChangeOut(Out):
    event: str
    event_id: int | None
    actor_id: int | None
    at: str | None
    issue_key: str | None
    payload: dict[str, Any]


class NotificationOut(Out):
    id: int
    read: bool
    kind: str = Field(description="issue (changes to one issue), digest or overflow (several issues).")
    issue: NotificationIssueRef | None
    event: str = Field(description="The first change's event kind.")
    events: list[str]
    created: str
    actor: PersonRef | None = Field(description="Who made the last change.")
    changes: list[NotificationChangeOut]


class NotificationsOut(Out):
    unread: int
    total: int
    start_at: int
    max_results: int
    notifications: list[NotificationOut]


class UnreadOut(Out):
    unread: int


class ReadAllOut(Out):
    marked: int
    unread: int


class PreferencesOut(Out):
    channels: dict[str, bool]
    events: dict[str, dict[str, bool]]
    own_changes: bool
    digest: dict[str, str]
    language: str


class MuteOut(Out):
    issue_id: int
    muted: bool


class NotificationSchemeOut(Out):
    project_id: int
    default: bool = Field(description="True while the project uses the default scheme.")
    events: dict[str, list[dict[str, Any]]]
    event_kinds: list[str]
    rule_types: list[str]


class UnsubscribeOut(Out):
    channel: str
    unsubscribed: bool
