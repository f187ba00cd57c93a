"""What clients may send to create or change an issue: references are ids (JSON integers, never
booleans) or names, text has its limits, unknown fields are refused, and an update carries only
what was sent."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tessera.issues.inputs import MAX_LABELS, IssueCreate, IssueUpdate
from tessera.issues.models import SUMMARY_MAX


def test_a_create_takes_ids_or_names_and_fills_its_defaults() -> None:
    data = IssueCreate(project_id="WEB", issue_type={"name": "Bug"}, summary="Checkout fails", priority=2,
                       labels=["web"], due_date="2026-03-05", original_estimate="3d 4h")
    assert (data.project_id, data.issue_type, data.priority, data.due_date) == ("WEB", {"name": "Bug"}, 2,
                                                                                date(2026, 3, 5))
    assert (data.components, data.custom_fields, data.assignee_id, data.original_estimate) == ([], {}, None, "3d 4h")
    assert IssueCreate(project_id=7, issue_type="task", summary="x").project_id == 7


@pytest.mark.parametrize(("changes", "field"), [
    ({"project_id": True}, "project_id"), ({"summary": ""}, "summary"), ({"summary": "x" * (SUMMARY_MAX + 1)}, "summary"),
    ({"labels": [""]}, "labels"), ({"labels": ["l"] * (MAX_LABELS + 1)}, "labels"), ({"colour": "red"}, "colour"),
    ({"due_date": "soon"}, "due_date"), ({"original_estimate": 1.5}, "original_estimate"),
    ({"assignee_id": [1]}, "assignee_id"),
])
def test_a_create_refuses_what_cannot_be(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IssueCreate(**{"project_id": 1, "issue_type": "task", "summary": "Fine", **changes})
    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


def test_an_update_carries_only_what_was_sent() -> None:
    update = IssueUpdate(summary="New", assignee_id=None, version=3)
    assert update.model_dump(exclude_unset=True) == {"summary": "New", "assignee_id": None, "version": 3}
    assert IssueUpdate().model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError):
        IssueUpdate(key="WEB-2")
    with pytest.raises(ValidationError):
        IssueUpdate(reporter_id=False)
