"""The kinds read off an event's payload: an assignment, and the transitions Jira names on their
own (resolved, closed, reopened); every other status change stays `status_changed`."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.notifications.kinds import ISSUE_KINDS, KINDS, kind_of, named_for
from tessera.notifications.preferences import preferences_from
from tessera.notifications.schemes import DEFAULT_SCHEME


def moved(resolution: tuple[str | None, str | None] | None = None,
          category: tuple[str, str] | None = None) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": {"from": "A", "to": "B"}}
    if resolution is not None:
        changes["resolution"] = {"from": resolution[0], "to": resolution[1]}
    payload: dict[str, Any] = {"issue_id": 1, "field_changes": changes}
    if category is not None:
        payload["status_category"] = {"from": category[0], "to": category[1]}
    return payload


@pytest.mark.parametrize(("payload", "kind"), [
    (moved((None, "Done"), ("in_progress", "done")), "issue_resolved"),
    (moved(("Done", None), ("done", "todo")), "issue_reopened"),
    # Resolved -> Closed: the resolution stays, the issue stays done.
    (moved(None, ("done", "done")), "issue_closed"),
    # Done -> Won't Do: another resolution, still done.
    (moved(("Done", "Won't Do"), ("done", "done")), "issue_closed"),
    # A parent moved into a done status by its sub-task gains no resolution.
    (moved(None, ("in_progress", "done")), "issue_closed"),
    (moved(None, ("done", "in_progress")), "issue_reopened"),
    (moved(None, ("todo", "in_progress")), "status_changed"),
    # Written before events carried the category: the resolution alone tells.
    (moved((None, "Fixed")), "issue_resolved"),
    (moved(("Fixed", None)), "issue_reopened"),
    (moved(), "status_changed"),
    ({"issue_id": 1, "field_changes": "garbled", "status_category": ["x"]}, "status_changed"),
])
def test_a_status_change_is_resolved_closed_reopened_or_just_a_move(payload: dict[str, Any], kind: str) -> None:
    assert kind_of("status_changed", payload) == kind


def test_only_a_status_change_is_read_so() -> None:
    # An edit of the resolution field (no transition) is an edit, as in Jira.
    assert kind_of("issue_updated", moved((None, "Done"), ("todo", "done"))) == "issue_updated"
    assert kind_of("issue_updated", {"field_changes": {"assignee": {"from": None, "to": "Ada"}}}) == "issue_assigned"
    assert kind_of("comment_added", moved((None, "Done"))) == "comment_added"


def test_the_derived_kinds_can_be_named_and_go_where_a_status_change_goes_by_default() -> None:
    for kind in ("issue_resolved", "issue_closed", "issue_reopened"):
        assert kind in ISSUE_KINDS and kind in KINDS
        assert DEFAULT_SCHEME[kind] == DEFAULT_SCHEME["status_changed"]


def test_a_scheme_or_preferences_that_do_not_name_a_derived_kind_read_it_as_a_status_change() -> None:
    """Schemes and preferences saved before these kinds existed keep notifying of resolutions."""
    older = {"status_changed": [{"type": "watchers"}]}
    assert named_for("issue_resolved", older) == [{"type": "watchers"}]
    # Named, even with no rule, the kind decides for itself.
    assert named_for("issue_resolved", {**older, "issue_resolved": []}) == []
    assert named_for("issue_assigned", {"issue_updated": [{"type": "reporter"}]}) is None
    quiet = preferences_from({"events": {"status_changed": {"email": False}}})
    assert not quiet.wants("email", "issue_closed") and quiet.wants("inbox", "issue_closed")
    loud = preferences_from({"events": {"status_changed": {"email": False}, "issue_closed": {"email": True}}})
    assert loud.wants("email", "issue_closed") and not loud.wants("email", "issue_reopened")
