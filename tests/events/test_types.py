"""The event catalog: every outbox event type is one registered class whose payload has exactly
the keys, in the order, that the services wrote before the catalog existed (live messages,
replay and tests read them), and maps to one of Jira's webhookEvent names or to none."""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from typing import Any

import pytest

import tessera.events.types as catalog
from tessera.events.types import (
    EVENT_TYPES,
    BoardUpdated,
    CommentDeleted,
    DomainEvent,
    IssueRanked,
    IssueUpdated,
    SprintStarted,
    StatusChanged,
    WorkflowEventFired,
    WorkflowPublished,
    event_class,
    event_from_record,
)
from tessera.events.types.issues import FieldChanges

ISSUE = ["issue_id", "issue_key", "project_id"]
COMMENT = [*ISSUE, "comment_id", "parent_id", "user_id", "timestamp", "visibility", "version"]
SPRINT = ["sprint_id", "name", "state", "project_id", "user_id", "timestamp"]
BOARD = ["board_id", "name", "project_id", "user_id", "timestamp"]
ATTACHMENT = [*ISSUE, "attachment_id", "filename", "size", "content_type", "user_id", "timestamp"]
WORKLOG = [*ISSUE, "worklog_id", "time_spent_seconds", "user_id", "timestamp"]
REMOTE_LINK = [*ISSUE, "remote_link_id", "url", "user_id", "timestamp"]
USER = ["user_id", "role", "active"]

# name -> (aggregate type, payload keys in written order, Jira webhookEvent)
CATALOG: dict[str, tuple[str, list[str], str | None]] = {
    "issue_created": ("issue", [*ISSUE, "user_id", "timestamp"], "jira:issue_created"),
    "issue_updated": ("issue", [*ISSUE, "field_changes", "user_id", "timestamp", "version"], "jira:issue_updated"),
    "issue_deleted": ("issue", [*ISSUE, "user_id", "timestamp", "summary", "reporter_id", "assignee_id", "parent_id",
                                "watcher_ids", "component_ids"], "jira:issue_deleted"),
    "status_changed": ("issue", [*ISSUE, "user_id", "timestamp", "transition", "field_changes", "version",
                                "status_category"],
                       "jira:issue_updated"),
    "issue_link_created": ("issue", [*ISSUE, "field_changes", "user_id", "timestamp"], "issuelink_created"),
    "issue_link_deleted": ("issue", [*ISSUE, "field_changes", "user_id", "timestamp"], "issuelink_deleted"),
    "issue_ranked": ("issue", [*ISSUE, "rank", "rank_before", "user_id", "timestamp"], "jira:issue_updated"),
    "comment_added": ("issue", [*COMMENT, "body"], "comment_created"),
    "comment_updated": ("issue", [*COMMENT, "body"], "comment_updated"),
    "comment_deleted": ("issue", [*COMMENT, "tombstone"], "comment_deleted"),
    "user_mentioned": ("issue", [*ISSUE, "comment_id", "mentioned_user_id", "user_id", "timestamp", "visibility"],
                       None),
    "project_deleted": ("project", ["project_id", "project_key", "user_id", "issue_count"], None),
    "issue_notified": ("issue", [*ISSUE, "user_id", "timestamp", "subject", "text_body", "recipient_ids"], None),
    "attachment_added": ("issue", ATTACHMENT, "attachment_created"),
    "attachment_deleted": ("issue", ATTACHMENT, "attachment_deleted"),
    "worklog_added": ("issue", WORKLOG, "worklog_created"),
    "worklog_updated": ("issue", WORKLOG, "worklog_updated"),
    "worklog_deleted": ("issue", WORKLOG, "worklog_deleted"),
    "remote_link_created": ("issue", REMOTE_LINK, None),
    "remote_link_updated": ("issue", REMOTE_LINK, None),
    "remote_link_deleted": ("issue", REMOTE_LINK, None),
    "workflow_published": ("workflow", ["workflow_id", "version", "moved", "user_id", "timestamp"], None),
    "sprint_created": ("sprint", [*SPRINT, "board_id"], "sprint_created"),
    "sprint_updated": ("sprint", [*SPRINT, "changed"], "sprint_updated"),
    "sprint_started": ("sprint", [*SPRINT, "board_id", "goal", "start_at", "end_at", "issue_count"],
                       "sprint_started"),
    "sprint_completed": ("sprint", [*SPRINT, "board_id", "completed_issue_ids", "incomplete_issue_ids",
                                    "moved_issue_ids", "moved_to"], "sprint_closed"),
    "board_created": ("board", BOARD, "board_created"),
    "board_updated": ("board", [*BOARD, "changed"], "board_updated"),
    "board_deleted": ("board", BOARD, "board_deleted"),
    "project_created": ("project", ["project_id", "project_key", "user_id"], "project_created"),
    "project_updated": ("project", ["project_id", "project_key", "user_id", "changed"], "project_updated"),
    "project_roles_changed": ("project", ["project_id", "role", "user_ids"], None),
    "user_updated": ("user", USER, "user_updated"),
    "user_deactivated": ("user", USER, "user_updated"),
    "token_revoked": ("user", ["user_id", "token_id"], None),
    "catalog_changed": ("organization", ["organization_id"], None),
    "notification_added": ("user", ["user_id", "notification_id", "unread"], None),
    "webhook_disabled": ("webhook", ["webhook_id", "owner_id", "webhook_name", "url", "reason"], None),
}

# Jira's webhookEvent names (shared/reference/jira-webhooks-notifications.md, section 2.1).
JIRA_WEBHOOK_EVENTS = {
    "jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created", "comment_updated",
    "comment_deleted", "worklog_created", "worklog_updated", "worklog_deleted", "attachment_created",
    "attachment_deleted", "issuelink_created", "issuelink_deleted", "project_created", "project_updated",
    "project_deleted", "user_created", "user_updated", "user_deleted", "sprint_created", "sprint_updated",
    "sprint_deleted", "sprint_started", "sprint_closed", "board_created", "board_updated", "board_deleted",
    "board_configuration_changed",
}

_SAMPLES: dict[Any, Any] = {
    int: 7, str: "text", bool: True, list[int]: [3, 1], list[str]: ["name"], dict[str, int]: {"To Do": 2},
    dict[str, Any]: {"type": "role", "value": "developers"}, FieldChanges: {"summary": {"from": "a", "to": "b"}}}
# Left unset: each excludes another field (IssueRanked's rank_before, StatusChanged's transition).
_UNSET = {"rank_after", "caused_by"}


def sample(event_type: type[DomainEvent]) -> DomainEvent:
    """An event of the class with a value of its type in every field."""
    values = {}
    for name, hint in typing.get_type_hints(event_type).items():
        if typing.get_origin(hint) is typing.ClassVar or name in _UNSET:
            continue
        if isinstance(hint, types.UnionType):
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        values[name] = _SAMPLES[hint]
    return event_type(**values)


def test_the_registry_holds_exactly_the_catalog() -> None:
    assert set(EVENT_TYPES) == set(CATALOG)
    for name, event_type in EVENT_TYPES.items():
        assert event_type.name == name
        assert event_type.version == 1


def test_every_event_class_of_the_catalog_modules_is_registered() -> None:
    defined = set()
    for module in pkgutil.iter_modules(catalog.__path__):
        for value in vars(importlib.import_module(f"{catalog.__name__}.{module.name}")).values():
            if isinstance(value, type) and issubclass(value, DomainEvent) and isinstance(value.__dict__.get("name"),
                                                                                          str):
                defined.add(value)
    assert defined == set(EVENT_TYPES.values())


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_payload_keys_aggregate_and_jira_name(name: str) -> None:
    aggregate_type, keys, jira_name = CATALOG[name]
    event_type = event_class(name)
    assert event_type.aggregate_type == aggregate_type
    assert event_type.jira_webhook_event == jira_name
    assert jira_name is None or jira_name in JIRA_WEBHOOK_EVENTS
    event = sample(event_type)
    assert event.name == name
    assert list(event.payload()) == keys


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_payload_round_trip(name: str) -> None:
    event = sample(event_class(name))
    assert event_class(name).from_payload(event.payload()) == event
    assert event_from_record(name, event.payload()) == event


def test_fields_stored_under_another_key() -> None:
    updated = IssueUpdated(issue_id=1, issue_key="P-1", project_id=2, field_changes={}, user_id=3,
                           timestamp="2026-01-01T00:00:00+00:00", issue_version=4)
    assert updated.payload()["version"] == 4 and updated.version == 1
    sprint = SprintStarted(sprint_id=1, sprint_name="Sprint 1", state="active", project_id=2, user_id=3,
                           timestamp="t", board_id=4, goal="", start_at="s", end_at="e", issue_count=0)
    assert sprint.payload()["name"] == "Sprint 1" and sprint.name == "sprint_started"
    board = BoardUpdated(board_id=1, board_name="Board", project_id=2, user_id=3, timestamp="t", changed=["name"])
    assert board.payload()["name"] == "Board" and BoardUpdated.from_payload(board.payload()) == board
    assert WorkflowPublished(workflow_id=1, workflow_version=5, moved={}, user_id=None,
                             timestamp="t").payload()["version"] == 5
    deleted = CommentDeleted(issue_id=1, issue_key="P-1", project_id=2, comment_id=3, parent_id=None, user_id=4,
                             timestamp="t", visibility=None, comment_version=2, tombstone=True)
    assert deleted.payload()["version"] == 2


def test_a_parent_moved_by_its_subtask_names_the_subtask_in_the_order_written_then() -> None:
    moved = StatusChanged(issue_id=1, issue_key="P-1", project_id=2, field_changes={}, user_id=3, timestamp="t",
                          issue_version=6, caused_by="P-2")
    assert list(moved.payload()) == [*ISSUE, "field_changes", "user_id", "timestamp", "version", "caused_by"]
    assert StatusChanged.from_payload(moved.payload()) == moved


def test_a_rank_names_one_anchor_side() -> None:
    after = IssueRanked(issue_id=1, issue_key="P-1", project_id=2, rank="0|a", rank_after=9, user_id=3,
                        timestamp="t")
    assert after.payload() == {"issue_id": 1, "issue_key": "P-1", "project_id": 2, "rank": "0|a", "rank_after": 9,
                               "user_id": 3, "timestamp": "t"}
    assert IssueRanked.from_payload(after.payload()) == after


def test_a_name_outside_the_catalog_is_a_workflow_s_fired_event() -> None:
    payload = {"issue_id": 1, "issue_key": "P-1", "project_id": 2, "user_id": 3, "timestamp": "t",
               "transition": {"id": "11", "name": "Triage"}}
    assert event_class("issue_triaged") is WorkflowEventFired
    fired = event_from_record("issue_triaged", payload)
    assert isinstance(fired, WorkflowEventFired)
    assert fired.name == "issue_triaged" and fired.payload() == payload
    assert fired.jira_webhook_event == "jira:issue_updated" and fired.aggregate_type == "issue"


def test_an_event_class_must_say_its_jira_name() -> None:
    with pytest.raises(TypeError, match="webhookEvent"):
        class Unsaid(DomainEvent, name="nothing_said", aggregate="issue"):
            pass


def test_events_are_frozen_and_keyword_only() -> None:
    event = sample(IssueUpdated)
    with pytest.raises(AttributeError):
        event.issue_id = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        IssueUpdated(1, "P-1", 2, {}, 3, "t", 4)  # type: ignore[misc]


def test_the_registry_refuses_two_classes_with_one_name() -> None:
    class Again(DomainEvent, name="issue_created", jira=None, aggregate="issue"):
        pass

    with pytest.raises(ValueError, match="issue_created"):
        catalog._closed_registry([*EVENT_TYPES.values(), Again])
    with pytest.raises(TypeError):
        catalog._closed_registry([DomainEvent])
