"""Jira's webhookEvent names a webhook may subscribe to.

`EMITTED` comes from the event catalog (each class's `jira=`), so it grows with the catalog and
never by hand. `ACCEPTED` adds the names Jira Server knows that Tessera does not emit yet: a
registration copied from Jira keeps working and is listed back as it was written."""

from __future__ import annotations

from collections.abc import Iterable

from tessera.errors import InvalidInput
from tessera.events.types import EVENT_TYPES

EMITTED: frozenset[str] = frozenset(cls.jira_webhook_event for cls in EVENT_TYPES.values()
                                    if cls.jira_webhook_event is not None)

# Reference §2.1 (Jira Server and Data Center).
_JIRA_SERVER = frozenset({
    "jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "jira:worklog_updated",
    "comment_created", "comment_updated", "comment_deleted",
    "worklog_created", "worklog_updated", "worklog_deleted",
    "attachment_created", "attachment_deleted", "issuelink_created", "issuelink_deleted",
    "project_created", "project_updated", "project_deleted",
    "jira:version_created", "jira:version_updated", "jira:version_deleted", "jira:version_released",
    "jira:version_unreleased", "jira:version_moved", "jira:version_merged",
    "user_created", "user_updated", "user_deleted",
    "option_voting_changed", "option_watching_changed", "option_unassigned_issues_changed",
    "option_subtasks_changed", "option_attachments_changed", "option_issuelinks_changed",
    "option_timetracking_changed",
    "sprint_created", "sprint_updated", "sprint_deleted", "sprint_started", "sprint_closed",
    "board_created", "board_updated", "board_deleted", "board_configuration_changed",
})
ACCEPTED: frozenset[str] = EMITTED | _JIRA_SERVER

# Events a JQL filter applies to (reference §4.2: the issue and comment families); Tessera
# also filters the other issue-bound families (worklogs, attachments, links) the same way.
ISSUE_RELATED_PREFIXES = ("jira:issue_", "comment_", "worklog_", "attachment_", "issuelink_", "jira:worklog_")


def check_event_names(names: Iterable[object], *, field: str = "events") -> list[str]:
    """Known names, deduplicated and sorted; an unknown one is a 400 naming it."""
    checked: set[str] = set()
    for name in names:
        if not isinstance(name, str) or name.strip() not in ACCEPTED:
            raise InvalidInput(f"'{name}' is not a webhook event. Known events: {', '.join(sorted(ACCEPTED))}.",
                               field=field)
        checked.add(name.strip())
    if len(checked) > len(ACCEPTED):
        raise InvalidInput("Too many events.", field=field)
    return sorted(checked)
